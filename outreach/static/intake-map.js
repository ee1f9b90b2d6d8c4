/* Jemput Bola intake forms: pick a location on a Leaflet map and narrow the kelurahan list.
   Progressive enhancement: without this script the form still works (no point: the
   kelurahan's point is used and a coordinator confirms the location). */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  /* Kelurahan <select> with <optgroup> per kecamatan: show only the chosen kecamatan's. */
  function linkAreaSelects(form) {
    var kec = form.querySelector("[data-kecamatan-select]");
    var kel = form.querySelector("[data-kelurahan-select]");
    if (!kec || !kel) { return null; }
    var groups = Array.prototype.slice.call(kel.querySelectorAll("optgroup")).map(function (g) {
      return g.cloneNode(true);
    });
    var placeholder = kel.options[0].cloneNode(true);
    function rebuild() {
      var keep = kel.value;
      kel.innerHTML = "";
      kel.appendChild(placeholder.cloneNode(true));
      groups.forEach(function (g) {
        if (!kec.value || g.getAttribute("data-kecamatan") === kec.value) {
          kel.appendChild(g.cloneNode(true));
        }
      });
      kel.value = keep;
      if (kel.value !== keep) { kel.value = ""; }
    }
    kec.addEventListener("change", rebuild);
    kel.addEventListener("change", function () {
      var opt = kel.options[kel.selectedIndex];
      var code = opt && opt.getAttribute("data-kecamatan");
      if (code && kec.value !== code) { kec.value = code; rebuild(); }
    });
    if (kec.value) { rebuild(); }
    return {
      choose: function (kecCode, kelCode) {
        if (!kelCode || kel.value) { return; }
        kec.value = kecCode || "";
        rebuild();
        kel.value = kelCode;
      }
    };
  }

  /* "Nama pemohon" only matters when someone fills the form for another person. */
  function linkRelation(form) {
    var select = form.querySelector("[data-relation-select]");
    var box = form.querySelector("[data-applicant-name]");
    if (!select || !box) { return; }
    function sync() {
      var self = select.value === "diri_sendiri";
      box.hidden = self && !box.querySelector("[aria-invalid]");
    }
    select.addEventListener("change", sync);
    sync();
  }

  /* A map in a folded <details> has no size: build it the first time the part is opened. */
  function whenShown(el, build) {
    var part = el.closest("details");
    if (!part || part.open) { build(); return; }
    part.addEventListener("toggle", function once() {
      if (!part.open) { return; }
      part.removeEventListener("toggle", once);
      build();
    });
  }

  function initMap(el, areas) {
    var cfg = JSON.parse(el.getAttribute("data-config"));
    var form = el.closest("form");
    var lon = byId("f-lon"), lat = byId("f-lat"), source = byId("f-location_source");
    var status = form.querySelector("[data-map-status]");
    var locateBtn = form.querySelector("[data-locate-me]");
    var clearBtn = form.querySelector("[data-clear-point]");
    // Fractional zoom so the whole region fills the small map on a phone.
    var map = L.map(el, { zoomControl: true, attributionControl: true, zoomSnap: 0.25 });
    // A drawn pin (no image files to load; clearly visible on a plain base layer).
    var pin = L.divIcon({
      className: "jb-pin-icon", html: '<span class="jb-pin"></span>',
      iconSize: [30, 30], iconAnchor: [15, 30]
    });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(cfg.attribution);
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { maxZoom: 19 }).addTo(map);
    }
    // Names only when zoomed in far enough for them not to overlap.
    map.on("zoomend", function () { el.classList.toggle("labels-hidden", map.getZoom() < 14); });
    if (cfg.bounds) { map.fitBounds(cfg.bounds); } else { map.setView(cfg.center, 13); }
    el.classList.toggle("labels-hidden", map.getZoom() < 14);
    el.setAttribute("data-ready", "1");
    // Other scripts (area-check.js: the kelurahan check) hook into the map from here.
    el.dispatchEvent(new CustomEvent("jb:map-ready", {
      bubbles: true, detail: { map: map, config: cfg }
    }));
    var marker = null;

    function say(text, warn) {
      if (!status) { return; }
      status.textContent = text;
      status.className = "map-status" + (warn ? " warn" : "");
    }

    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { icon: pin, keyboard: false }).addTo(map); }
      if (clearBtn) { clearBtn.hidden = false; }
    }

    function setPoint(latlng, how) {
      place(latlng);
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      source.value = how;
      say(how === "gps" ? "Lokasi HP dipakai." : "Titik ditandai.", false);
      if (!cfg.locate || !window.fetch) { return; }
      var token = form.querySelector("input[name=csrf_token]");
      fetch(cfg.locate, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRFToken": token ? token.value : ""
        },
        body: "lon=" + encodeURIComponent(lon.value) + "&lat=" + encodeURIComponent(lat.value)
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (info) {
          if (!info) { return; }
          if (!info.inside) {
            say("Titik ini di luar wilayah layanan. Periksa kembali lokasinya.", true);
            return;
          }
          say("Titik berada di Kel. " + info.kelurahan_name + ", Kec. " + info.kecamatan_name + ".", false);
          if (areas) { areas.choose(info.kecamatan_code, info.kelurahan_code); }
        })
        .catch(function () { /* the hint is optional; the server checks the point anyway */ });
    }

    fetch(cfg.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var base = !cfg.tiles;
        L.geoJSON(data, {
          style: function () {
            return base
              ? { color: "#0b6e4f", weight: 1.2, fillColor: "#e7efe9", fillOpacity: 0.9 }
              : { color: "#0b6e4f", weight: 1, fill: false };
          },
          onEachFeature: function (feature, layer) {
            // Kelurahan names help residents find their street on the plain base layer.
            layer.bindTooltip(feature.properties.name, {
              permanent: true, direction: "center", className: "jb-area-label"
            });
          }
        }).addTo(map);
        el.setAttribute("data-boundaries", "1");
      })
      .catch(function () { say("Batas wilayah gagal dimuat; peta tetap dapat diketuk.", true); });

    map.on("click", function (e) {
      var first = !marker;
      setPoint(e.latlng, "map");
      // Zoom in after a first rough tap so the second tap can be exact.
      if (first && map.getZoom() < 15) { map.setView(e.latlng, Math.min(map.getZoom() + 2, 16)); }
    });

    if (lon.value && lat.value) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      place(start);
      map.setView(start, 16);
    } else if (cfg.point) {
      map.setView(cfg.point, 16);
    }
    if (cfg.fallback) {
      // The kelurahan's point now standing in for the house: shown, but not as a pin.
      // Its own pane: above the kelurahan fills, which load later.
      map.createPane("fallback").style.zIndex = 450;
      L.circleMarker(cfg.fallback, {
        pane: "fallback", radius: 11, color: "#8a5a00", weight: 3, dashArray: "4 3",
        fillColor: "#f2c14e", fillOpacity: 0.5
      }).bindTooltip("Titik tengah kelurahan (belum dikonfirmasi)").addTo(map);
    }

    if (locateBtn && navigator.geolocation) {
      locateBtn.hidden = false;
      locateBtn.addEventListener("click", function () {
        say("Mencari lokasi HP…", false);
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
            setPoint(ll, "gps");
            map.setView(ll, 17);
          },
          function () { say("Lokasi HP tidak dapat dibaca. Ketuk peta di lokasi rumah.", true); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
    if (clearBtn) {
      clearBtn.hidden = !(lon.value && lat.value);
      clearBtn.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lon.value = ""; lat.value = ""; source.value = "";
        clearBtn.hidden = true;
        say("Titik dihapus: titik kelurahan akan dipakai.", false);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      linkRelation(form);
      var areas = linkAreaSelects(form);
      var el = form.querySelector("[data-pick-map]");
      if (el && window.L) {
        whenShown(el, function () { initMap(el, areas); });
      }
    });
  });
})();
