/* Jemput Bola request forms: the map follows the kelurahan picked, and a point tapped outside
   that kelurahan gets a visible warning (Indonesian). Progressive enhancement: the server
   checks the point again (flag "kelurahan_tidak_sesuai_peta"); this only helps the resident
   notice a slip before sending.

   Listens for "jb:map-ready" ({map, config}) from intake-map.js; the kelurahan outlines come
   from config.boundaries (the same GeoJSON the map draws, cached by the browser). The form's
   kelurahan <select> is [data-kelurahan-select]. The warning is a <p data-area-warning
   role="alert"> placed after the map's status line (or after the map). */
(function () {
  "use strict";
  if (window.jbAreaCheck) { return; }  // loaded twice (a page and a layout both include it)
  window.jbAreaCheck = true;

  // Ray casting on one ring of [lon, lat] pairs.
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) { return false; }
    for (var k = 1; k < rings.length; k++) {
      if (inRing(x, y, rings[k])) { return false; }  // a hole
    }
    return true;
  }

  function contains(feature, lon, lat) {
    var g = feature.geometry;
    if (g.type === "Polygon") { return inPolygon(lon, lat, g.coordinates); }
    if (g.type === "MultiPolygon") {
      return g.coordinates.some(function (p) { return inPolygon(lon, lat, p); });
    }
    return false;
  }

  function setUp(el, map, config) {
    var form = el.closest("form");
    var select = form && form.querySelector("[data-kelurahan-select]");
    if (!select || !config.boundaries) { return; }
    var warning = document.createElement("p");
    warning.className = "map-status warn map-warning";
    warning.setAttribute("data-area-warning", "");
    warning.setAttribute("role", "alert");
    warning.hidden = true;
    var status = form.querySelector("[data-map-status]");
    var anchor = status && el.parentNode === status.parentNode ? status : el;
    anchor.parentNode.insertBefore(warning, anchor.nextSibling);

    var features = null, last = null;

    function picked() {
      if (!features || !select.value) { return null; }
      for (var i = 0; i < features.length; i++) {
        if (features[i].properties.code === select.value) { return features[i]; }
      }
      return null;
    }

    function check() {
      var kel = picked();
      if (!kel || !last) { warning.hidden = true; warning.textContent = ""; return; }
      if (contains(kel, last.lng, last.lat)) {
        warning.hidden = true;
        warning.textContent = "";
        return;
      }
      warning.textContent = "Titik yang ditandai berada di luar Kel. " + kel.properties.name +
        ". Periksa kembali letak rumah di peta atau pilihan kelurahan.";
      warning.hidden = false;
    }

    function zoomToPicked() {
      var kel = picked();
      if (!kel) { return; }
      map.fitBounds(L.geoJSON(kel).getBounds(), { padding: [12, 12], maxZoom: 17 });
      el.setAttribute("data-zoomed-to", kel.properties.code);
    }

    function pointFromInputs() {
      var lon = form.querySelector("input[name=lon]"), lat = form.querySelector("input[name=lat]");
      var x = lon ? parseFloat(lon.value) : NaN, y = lat ? parseFloat(lat.value) : NaN;
      return isFinite(x) && isFinite(y) ? L.latLng(y, x) : null;
    }

    fetch(config.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        features = data.features || [];
        last = pointFromInputs();
        if (!last) { zoomToPicked(); }  // a point already marked keeps the map on it
        check();
        el.setAttribute("data-area-check", "1");
      })
      .catch(function () { /* no outlines: no warning; the server still checks */ });

    select.addEventListener("change", function () {
      zoomToPicked();
      check();
    });
    map.on("click", function (e) {
      last = e.latlng;
      check();
    });
    // The "lokasi HP" button and typed coordinates set the inputs: check them too.
    form.addEventListener("change", function (e) {
      if (e.target && (e.target.name === "lon" || e.target.name === "lat")) {
        last = pointFromInputs();
        check();
      }
    });
    var clear = form.querySelector("[data-clear-point]");
    if (clear) {
      clear.addEventListener("click", function () { last = null; check(); });
    }
  }

  document.addEventListener("jb:map-ready", function (e) {
    if (!window.L || !e.detail || !e.detail.map) { return; }
    setUp(e.target, e.detail.map, e.detail.config || {});
  });
})();
