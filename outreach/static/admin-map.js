/* Jemput Bola settings: pick one point (a team's start, the office's depot) on a Leaflet map.
   The point goes into two visible inputs (lon, lat), so the form also works without this
   script. Config (data-config): tiles, attribution, boundaries, bounds, center, point, depot. */
(function () {
  "use strict";

  function initMap(el) {
    var cfg = JSON.parse(el.getAttribute("data-config"));
    var form = el.closest("form");
    var lon = form.querySelector(el.getAttribute("data-lon"));
    var lat = form.querySelector(el.getAttribute("data-lat"));
    var status = form.querySelector("[data-map-status]");
    var clearBtn = form.querySelector("[data-clear-point]");
    var map = L.map(el, { zoomControl: true, attributionControl: true, zoomSnap: 0.25 });
    var pin = L.divIcon({
      className: "jb-pin-icon", html: '<span class="jb-pin"></span>',
      iconSize: [30, 30], iconAnchor: [15, 30]
    });
    var marker = null;

    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(cfg.attribution);
    if (cfg.tiles) { L.tileLayer(cfg.tiles, { maxZoom: 19 }).addTo(map); }
    if (cfg.bounds) { map.fitBounds(cfg.bounds); } else { map.setView(cfg.center, 13); }
    map.on("zoomend", function () { el.classList.toggle("labels-hidden", map.getZoom() < 14); });
    el.classList.toggle("labels-hidden", map.getZoom() < 14);

    function say(text) { if (status) { status.textContent = text; } }

    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.marker(latlng, { icon: pin, keyboard: false }).addTo(map);
      }
      if (clearBtn) { clearBtn.hidden = false; }
    }

    function fromInputs() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      return isFinite(x) && isFinite(y) ? L.latLng(y, x) : null;
    }

    if (cfg.depot) {
      // The office: where a team without its own start point leaves from.
      L.marker(cfg.depot, {
        icon: L.divIcon({ className: "jb-depot-icon", html: '<span class="jb-depot">K</span>', iconSize: [24, 24], iconAnchor: [12, 12] }),
        keyboard: false, interactive: true
      }).bindTooltip("Kantor").addTo(map);
    }

    map.on("click", function (e) {
      var first = !marker;
      place(e.latlng);
      lon.value = e.latlng.lng.toFixed(6);
      lat.value = e.latlng.lat.toFixed(6);
      say("Titik ditandai: " + lon.value + ", " + lat.value + ". Simpan untuk memakainya.");
      if (first && map.getZoom() < 15) { map.setView(e.latlng, Math.min(map.getZoom() + 2, 16)); }
    });

    function onTyped() {
      var ll = fromInputs();
      if (ll) { place(ll); map.setView(ll, Math.max(map.getZoom(), 15)); }
    }
    lon.addEventListener("change", onTyped);
    lat.addEventListener("change", onTyped);

    if (clearBtn) {
      clearBtn.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lon.value = ""; lat.value = "";
        clearBtn.hidden = true;
        say("Titik dihapus: tim berangkat dari kantor.");
      });
    }

    var start = fromInputs();
    if (start) { place(start); map.setView(start, 15); }

    fetch(cfg.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var base = !cfg.tiles;
        L.geoJSON(data, {
          interactive: false,
          style: function () {
            return base
              ? { color: "#0b6e4f", weight: 1.2, fillColor: "#e7efe9", fillOpacity: 0.9 }
              : { color: "#0b6e4f", weight: 1, fill: false };
          },
          onEachFeature: function (feature, layer) {
            // Plain text (never HTML): names come from the region pack.
            var label = document.createElement("span");
            label.textContent = feature.properties.name;
            layer.bindTooltip(label, { permanent: true, direction: "center", className: "jb-area-label" });
          }
        }).addTo(map);
        el.setAttribute("data-boundaries", "1");
      })
      .catch(function () { say("Batas wilayah gagal dimuat; peta tetap dapat diketuk."); });
    el.setAttribute("data-ready", "1");
    // map-fallback.js draws the road network when the tiles cannot load.
    el.dispatchEvent(new CustomEvent("jb:map-ready", { bubbles: true, detail: { map: map, config: cfg } }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.L) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-point-map]"), initMap);
  });
})();
