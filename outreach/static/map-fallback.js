/* Jemput Bola form maps (public form, letters, request detail, settings point maps): the road
   network as the base layer when map tiles cannot load, like the coordinator's home map
   (outreach/render/elements.py TileFallback + RoadLayer).

   A map script announces its map with a "jb:map-ready" event ({map, config}) on the map's
   element; this script then watches the tile layer. After a few tile errors with no tile
   loaded, when the browser says it is offline, or when no tile has arrived after
   config.tileTimeoutMs (default 10 s: a network that hangs instead of failing), the tiles are
   removed and the region's roads (/peta/jalan.geojson, or config.roads) are drawn instead.
   Without tiles configured the roads are the base layer from the start. The element gets
   data-tile-fallback="1" when it switches, data-road-features="<lines>" once the roads are
   drawn, data-road-error on failure. */
(function () {
  "use strict";
  if (window.jbMapFallback) { return; }  // loaded twice (a page and a layout both include it)
  window.jbMapFallback = true;

  // Same classes and colours as outreach/render/style.py ROAD_CLASSES.
  var STYLES = {
    utama: ["#f2b36b", 4.0],
    sekunder: ["#f6d58e", 3.2],
    lokal: ["#9aa5b1", 1.6],
    layanan: ["#c3cad2", 0.9]
  };
  var script = document.currentScript;
  var DEFAULT_ROADS = script && script.src
    ? script.src.replace(/static\/map-fallback\.js(\?.*)?$/, "peta/jalan.geojson")
    : "/peta/jalan.geojson";

  function tileLayerOf(map) {
    var found = null;
    map.eachLayer(function (layer) {
      if (!found && layer instanceof L.TileLayer) { found = layer; }
    });
    return found;
  }

  function addRoads(map, url) {
    var box = map.getContainer();
    if (box.dataset.roadsAdded) { return; }
    box.dataset.roadsAdded = "1";
    // Above the kelurahan fills (overlay pane, 400), under markers and labels.
    if (!map.getPane("jbRoads")) {
      var pane = map.createPane("jbRoads");
      pane.style.zIndex = 410;
      pane.style.pointerEvents = "none";
    }
    var layer = L.geoJSON(null, {
      pane: "jbRoads",
      renderer: L.canvas({ pane: "jbRoads", padding: 0.3 }),
      interactive: false,
      style: function (feature) {
        var s = STYLES[feature.properties && feature.properties.kelas] || STYLES.layanan;
        return { color: s[0], weight: s[1], opacity: 0.95, lineCap: "round" };
      }
    }).addTo(map);
    box.style.background = "#f3f1ec";
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        layer.addData(data);
        var lines = 0;
        data.features.forEach(function (f) {
          lines += f.geometry.type === "MultiLineString" ? f.geometry.coordinates.length : 1;
        });
        box.dataset.roadFeatures = String(lines);
      })
      .catch(function (err) { box.dataset.roadError = String(err); });
  }

  function watch(map, config) {
    var url = config.roads || DEFAULT_ROADS;
    var tiles = tileLayerOf(map);
    if (!tiles) { addRoads(map, url); return; }
    var loaded = false, errors = 0;
    function useRoads() {
      if (loaded || !map.hasLayer(tiles)) { return; }
      map.removeLayer(tiles);
      map.getContainer().dataset.tileFallback = "1";
      addRoads(map, url);
    }
    tiles.on("tileload", function () { loaded = true; });
    tiles.on("tileerror", function () {
      errors += 1;
      if (errors >= 3) { useRoads(); }
    });
    if (navigator.onLine === false) { useRoads(); }
    window.setTimeout(useRoads, config.tileTimeoutMs || 10000);
  }

  document.addEventListener("jb:map-ready", function (e) {
    if (!window.L || !e.detail || !e.detail.map) { return; }
    watch(e.detail.map, e.detail.config || {});
  });
})();
