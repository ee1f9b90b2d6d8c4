/* The coordinator's home map: requests, routes and areas fetched as GeoJSON, filtered here.
 *
 * The page (templates/main/index.html) renders the base map with folium and hands it over as
 * window.jbStaffMap = {map, roads, tiles, config}. This script fetches the three GeoJSON
 * endpoints named in config, draws the requests (clustered with Leaflet.markercluster, coloured
 * by category, shaped by status), the approved routes with numbered stops, the kecamatan and
 * kelurahan outlines and the open-backlog choropleth, and filters all of it without a reload.
 *
 * Every text that reaches a popup or tooltip goes through esc(): team names are typed by people.
 * When drawn, the map box gets data-ready="1" and data-markers / data-stops (shown counts).
 */
(function () {
  "use strict";
  var hook = window.jbStaffMap;
  var form = document.getElementById("peta-filter");
  var textEl = document.getElementById("peta-teks");
  if (!hook || !form || !textEl || !window.L) { return; }
  var map = hook.map, cfg = hook.config, T = JSON.parse(textEl.textContent);
  var box = map.getContainer();
  // Clusters need the map's own zoom limit (folium puts it on tile layers only).
  if (map.options.maxZoom === undefined) { map.setMaxZoom(19); }
  var countEl = form.querySelector("[data-map-count]");
  var catByKey = {}, statusByKey = {};
  cfg.categories.forEach(function (c) { catByKey[c.key] = c; });
  cfg.statuses.forEach(function (s) { statusByKey[s.key] = s; });

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return String(values[k]); });
  }
  function dayLabel(iso) {
    var p = iso.split("-"), d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
    return T.days[d.getUTCDay()] + ", " + d.getUTCDate() + " " + T.months[d.getUTCMonth()] +
      " " + d.getUTCFullYear();
  }
  function getJSON(url) {
    // JSON first: a refused permission then answers 403 JSON, not a redirect to a page.
    var accept = "application/json, application/geo+json;q=0.9";
    return fetch(url, {credentials: "same-origin", headers: {Accept: accept}})
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  // --- layers and the layer control ---
  var bases = {}, overlays = {};
  if (hook.tiles) { bases[T.tiles] = hook.tiles; }
  if (hook.roads) { bases[T.roads] = hook.roads; }
  var kecLayer = L.layerGroup(), kelLayer = L.layerGroup(), choroLayer = L.layerGroup();
  var clusters = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    disableClusteringAtZoom: 17
  });
  var routesLayer = L.layerGroup();
  hook.requests = clusters;  // for tests and the console: the clustered request markers
  overlays[esc(T.kecOutline)] = kecLayer;
  overlays[esc(T.kelOutline)] = kelLayer;
  overlays[esc(T.choropleth)] = choroLayer;
  overlays[esc(T.requestsLayer)] = clusters;
  overlays[esc(T.routesLayer)] = routesLayer;
  [kecLayer, kelLayer, clusters, routesLayer].forEach(function (l) { l.addTo(map); });
  L.control.layers(bases, overlays, {position: "topright", collapsed: true}).addTo(map);

  // --- the legend: category colours, status shapes, teams of the routes shown ---
  var legendBody = null;
  var legend = L.control({position: "bottomleft"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "jb-legend jb-staff-legend");
    var cats = cfg.categories.map(function (c) {
      return '<li><span class="jb-dot" style="background:' + esc(c.color) + '"></span>' +
        esc(c.label) + "</li>";
    }).join("");
    var shapes = cfg.statuses.map(function (s) {
      return '<li><span class="jb-m jb-m-' + esc(s.shape) + '" style="background:#6b7280">' +
        "</span>" + esc(s.label) + "</li>";
    }).join("");
    div.innerHTML = "<details open><summary>" + esc(T.requests) + "</summary>" +
      "<p><strong>" + esc(T.category) + "</strong></p><ul>" + cats + "</ul>" +
      "<p><strong>" + esc(T.status) + "</strong></p><ul>" + shapes + "</ul>" +
      '<p class="jb-note">' + esc(T.ringNote) + "</p>" +
      '<div data-legend-teams></div></details>';
    var details = div.querySelector("details");
    if (details && window.innerWidth < 600) { details.removeAttribute("open"); }
    legendBody = div.querySelector("[data-legend-teams]");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  // --- requests ---
  var requests = [];  // {f: feature, marker: L.Marker}
  function requestIcon(p) {
    var c = catByKey[p.k] || catByKey.lainnya;
    var s = statusByKey[p.s] || {shape: "circle"};
    var ring = p.l ? " jb-m-ring" : "";
    var style = p.l ? "border-color:" + c.color : "background:" + c.color;
    var size = p.n > 1 ? Math.min(22, 13 + Math.round(p.n / 5)) : 13;
    return L.divIcon({
      className: "jb-m-icon",
      html: '<span class="jb-m jb-m-' + s.shape + ring + '" style="' + style +
        ";width:" + size + "px;height:" + size + 'px"></span>',
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2]
    });
  }
  function requestPopup(p) {
    var c = catByKey[p.k], s = statusByKey[p.s];
    var rows = [
      [T.name, p.nm], [T.category, c ? c.label : p.k], [T.status, s ? s.label : p.s],
      [T.kecamatan, p.kc], [T.kelurahan, p.kl], [T.rw, p.rw || "-"], [T.persons, p.n]
    ];
    var html = '<div class="jb-popup"><strong>' + esc(p.c) + "</strong><table>" +
      rows.map(function (r) {
        return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
      }).join("") + "</table>";
    if (p.l) { html += '<p class="jb-warn">' + esc(T.checkLocation) + "</p>"; }
    if (cfg.detailUrl && p.i) {
      html += '<p><a href="' + esc(cfg.detailUrl.replace("{id}", String(p.i))) + '">' +
        esc(T.open) + "</a></p>";
    }
    return html + "</div>";
  }
  function addRequests(data) {
    requests = data.features.map(function (f) {
      var p = f.properties, xy = f.geometry.coordinates;
      var marker = L.marker([xy[1], xy[0]], {icon: requestIcon(p), keyboard: false});
      var c = catByKey[p.k];
      marker.bindTooltip(esc(p.c + " · " + (c ? c.label : p.k)));
      marker.bindPopup(function () { return requestPopup(p); }, {maxWidth: 280});
      return {p: p, marker: marker};
    });
  }

  // --- routes ---
  var routeFeatures = [];
  function drawRoutes(day, team) {
    routesLayer.clearLayers();
    var teams = {}, nRoutes = 0, nStops = 0;
    routeFeatures.forEach(function (f) {
      var p = f.properties;
      if ((day && p.d !== day) || (team && String(p.t) !== team)) { return; }
      var name = esc(p.tn);
      if (f.geometry.type === "LineString") {
        nRoutes += 1;
        teams[p.t] = {name: p.tn, col: p.col};
        L.polyline(f.geometry.coordinates.map(function (xy) { return [xy[1], xy[0]]; }),
          {color: p.col, weight: 4, opacity: 0.85})
          .bindTooltip(name + ": " + esc(dayLabel(p.d)) + " · " + esc(p.ns) + " " +
            esc(T.visits) + ", " + esc(p.km) + " km, " + esc(p.min) + " " + esc(T.minutes),
            {sticky: true})
          .addTo(routesLayer);
      } else {
        nStops += 1;
        var xy = f.geometry.coordinates, done = Boolean(p.o);
        L.marker([xy[1], xy[0]], {
          icon: L.divIcon({
            className: "jb-stop-icon",
            html: '<span class="jb-stop' + (done ? " done" : "") + '" style="background:' +
              esc(p.col) + '" data-sequence="' + esc(p.q) + '" data-stop-marker="' +
              esc(p.sid) + '">' + (done ? "✓" : "") + esc(p.q) + "</span>",
            iconSize: [20, 20],
            iconAnchor: [10, 24]
          }),
          zIndexOffset: 1000
        }).bindTooltip(name + " #" + esc(p.q) + " · " + esc(dayLabel(p.d)) + " " + esc(p.a) +
          " · " + esc(p.c) + (done ? " · " + esc(p.o) : ""))
          .addTo(routesLayer);
      }
    });
    if (legendBody) {
      var items = Object.keys(teams).map(function (id) {
        return '<li><span class="jb-line" style="background:' + esc(teams[id].col) + '"></span>' +
          esc(teams[id].name) + "</li>";
      }).join("");
      legendBody.innerHTML = items ?
        "<p><strong>" + esc(T.teams) + "</strong> (" + esc(fmt(T.routes, {n: nRoutes})) +
        ")</p><ul>" + items + "</ul>" : "";
    }
    box.dataset.stops = String(nStops);
  }

  // --- areas ---
  function addAreas(data) {
    var kec = [], kel = [];
    data.features.forEach(function (f) { (f.properties.a === "kec" ? kec : kel).push(f); });
    L.geoJSON({type: "FeatureCollection", features: kec}, {
      interactive: false,
      style: function () { return {color: "#1d2733", weight: 2.2, opacity: 0.7, fill: false}; }
    }).addTo(kecLayer);
    L.geoJSON({type: "FeatureCollection", features: kel}, {
      style: function () {
        return {color: "#2b4c7e", weight: 1.2, opacity: 0.6, dashArray: "5 4",
          fillColor: "#2b6cb0", fillOpacity: 0.03};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(esc(f.properties.n) + " · " + esc(f.properties.kc));
      }
    }).addTo(kelLayer);
    L.geoJSON({type: "FeatureCollection", features: kel}, {
      style: function (f) {
        return {color: "#2b4c7e", weight: 1, opacity: 0.7, fillColor: "#c2410c",
          fillOpacity: f.properties.f};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(esc(f.properties.n) + " · " + esc(f.properties.kc) + ": " +
          esc(f.properties.j) + " " + esc(T.openCount).toLowerCase());
      }
    }).addTo(choroLayer);
    kecLayer.eachLayer(function (l) { l.bringToBack(); });
  }

  // --- filters ---
  var sel = {};
  form.querySelectorAll("[data-filter]").forEach(function (s) { sel[s.dataset.filter] = s; });
  function fillSelect(select, options) {
    var keep = select.value;
    while (select.options.length > 1) { select.remove(1); }
    options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o[0];
      opt.textContent = o[1];
      select.appendChild(opt);
    });
    select.value = options.some(function (o) { return o[0] === keep; }) ? keep : "";
  }
  function uniq(values) {
    var seen = {};
    return values.filter(function (v) {
      if (!v || seen[v]) { return false; }
      seen[v] = true;
      return true;
    }).sort(function (a, b) { return a.localeCompare(b, "id", {numeric: true}); });
  }
  function pairs(values) { return values.map(function (v) { return [v, v]; }); }
  function fillDependent() {
    var kc = sel.kecamatan.value, kl = sel.kelurahan.value;
    fillSelect(sel.kelurahan, pairs(uniq(requests.filter(function (r) {
      return !kc || r.p.kc === kc;
    }).map(function (r) { return r.p.kl; }))));
    kl = sel.kelurahan.value;
    fillSelect(sel.rw, pairs(uniq(requests.filter(function (r) {
      return (!kc || r.p.kc === kc) && (!kl || r.p.kl === kl);
    }).map(function (r) { return r.p.rw; }))));
  }
  function applyFilters() {
    var f = {};
    Object.keys(sel).forEach(function (k) { f[k] = sel[k].value; });
    var shown = requests.filter(function (r) {
      var p = r.p;
      return (!f.category || p.k === f.category) && (!f.status || p.s === f.status) &&
        (!f.kecamatan || p.kc === f.kecamatan) && (!f.kelurahan || p.kl === f.kelurahan) &&
        (!f.rw || p.rw === f.rw);
    });
    clusters.clearLayers();
    clusters.addLayers(shown.map(function (r) { return r.marker; }));
    drawRoutes(f.day, f.team);
    countEl.textContent = fmt(T.shown, {shown: shown.length, total: requests.length});
    box.dataset.markers = String(shown.length);
    window.jbMarkersShown = shown.length;
  }
  form.addEventListener("change", function (event) {
    var name = event.target.dataset ? event.target.dataset.filter : "";
    if (name === "kecamatan" || name === "kelurahan") { fillDependent(); }
    applyFilters();
  });
  // Any other day's approved routes: fetched on demand (the page loads the next few days).
  var otherDay = form.querySelector("[data-load-day]");
  var dayNote = document.createElement("p");
  dayNote.className = "muted";
  dayNote.setAttribute("data-day-note", "");
  form.appendChild(dayNote);
  function allDays() { return uniq(routeFeatures.map(function (f) { return f.properties.d; })); }
  if (otherDay) {
    otherDay.addEventListener("change", function (event) {
      event.stopPropagation();
      var day = otherDay.value;
      dayNote.textContent = "";
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { return; }
      var sep = cfg.routesUrl.indexOf("?") < 0 ? "?" : "&";
      getJSON(cfg.routesUrl + sep + "tanggal=" + encodeURIComponent(day))
        .then(function (data) {
          routeFeatures = routeFeatures.filter(function (f) { return f.properties.d !== day; })
            .concat(data.features);
          var days = allDays();
          if (days.indexOf(day) < 0) {
            // No approved routes that day: the day stays chosen and the map shows none.
            dayNote.textContent = fmt(T.noRoutes, {day: dayLabel(day)});
            days = days.concat([day]).sort();
          }
          fillSelect(sel.day, days.map(function (d) { return [d, dayLabel(d)]; }));
          sel.day.value = day;
          applyFilters();
        })
        .catch(function () { dayNote.textContent = T.error; });
    });
  }
  form.addEventListener("reset", function () {
    window.setTimeout(function () { fillDependent(); applyFilters(); }, 0);
  });

  // --- load ---
  countEl.textContent = T.loading;
  Promise.all([getJSON(cfg.requestsUrl), getJSON(cfg.routesUrl), getJSON(cfg.areasUrl)])
    .then(function (res) {
      addAreas(res[2]);
      addRequests(res[0]);
      routeFeatures = res[1].features;
      fillSelect(sel.category, cfg.categories.map(function (c) { return [c.key, c.label]; }));
      fillSelect(sel.status, cfg.statuses.map(function (s) { return [s.key, s.label]; }));
      fillSelect(sel.kecamatan, pairs(uniq(requests.map(function (r) { return r.p.kc; }))));
      var days = uniq(routeFeatures.map(function (f) { return f.properties.d; }));
      fillSelect(sel.day, days.map(function (d) { return [d, dayLabel(d)]; }));
      var teams = {};
      routeFeatures.forEach(function (f) { teams[f.properties.t] = f.properties.tn; });
      fillSelect(sel.team, Object.keys(teams).map(function (id) { return [id, teams[id]]; }));
      // The first route day from today is shown first (as the plan's day overlay was).
      if (days.length) { sel.day.value = days[0]; }
      fillDependent();
      applyFilters();
      box.dataset.ready = "1";
      if (window.performance && performance.mark) { performance.mark("jb-map-ready"); }
    })
    .catch(function (err) {
      countEl.textContent = T.error;
      box.dataset.error = String(err);
    });
})();
