"""Small folium elements that need nothing but Leaflet itself (no jQuery, no CDN).

folium's own ``Popup`` needs jQuery and its ``Tooltip`` pastes text unescaped into a JavaScript
template literal; the elements here pass text as JSON instead, so a resident's name can never
break out into script. Every template writes JSON through ``tojson``, which escapes ``<``, ``>``,
``&`` and ``'`` for use inside a ``<script>`` element.
"""

from __future__ import annotations

import html
from typing import Any

import folium
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

OSM_CREDIT = "© OpenStreetMap contributors"
BOUNDARY_CREDIT = "Batas wilayah: cahyadsn/wilayah_boundaries (MIT)"


class LocalMap(folium.Map):
    """A folium map whose JS/CSS are the app's own Leaflet files, and only those.

    folium's default asset list pulls Leaflet, jQuery, Bootstrap and Font Awesome from CDNs;
    offices may be offline, so the list is replaced by the two local Leaflet URLs. The header
    keeps the map's own size rule but drops folium's ``html, body`` full-page styles, which
    would fight the app's page layout.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                #{{ this.get_name() }} {
                    position: relative;
                    width: 100%;
                    height: 100%;
                }
                .leaflet-container { font-size: {{ this.font_size }}; }
            </style>
            <script>
                L_NO_TOUCH = false;
                L_DISABLE_3D = false;
            </script>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self, *, leaflet_js: str, leaflet_css: str, location: list[float], **kwargs: Any
    ) -> None:
        super().__init__(location=location, tiles=None, **kwargs)
        self.default_js = [("leaflet", leaflet_js)]
        self.default_css = [("leaflet_css", leaflet_css)]


class SafePopup(MacroElement):
    """A popup with HTML content built (and escaped) in Python, bound to its parent."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup(
                {{ this.content|tojson }}, {maxWidth: {{ this.max_width|tojson }}}
            );
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, max_width: int = 280) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "SafePopup"
        self.content = content
        self.max_width = max_width


class SafeTooltip(MacroElement):
    """A tooltip with plain text: escaped here, as Leaflet escapes nothing.

    Text typed by people (a team's name, a tracking code) reaches tooltips: ``<script>`` in a
    team name must show as text, not run.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip(
                {{ this.content|tojson }}, {sticky: {{ this.sticky|tojson }}}
            );
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, sticky: bool = False) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "SafeTooltip"
        self.content = html.escape(content)
        self.sticky = sticky


class RoadLayer(Layer):
    """The road network as a base layer, fetched as GeoJSON the first time it is shown.

    The GeoJSON comes from the app (cached there), not inlined: it is the same for every page
    and large. It is drawn on a canvas, which copes with ten thousand lines on a cheap phone
    where SVG would not. When loaded, the map container gets ``data-road-features`` (the number
    of lines drawn); on failure ``data-road-error``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var styles = {{ this.styles|tojson }};
                var layer = L.geoJSON(null, {
                    renderer: L.canvas({padding: 0.3}),
                    interactive: false,
                    attribution: {{ this.credit|tojson }},
                    style: function (feature) {
                        var s = styles[feature.properties.kelas] || styles.layanan;
                        return {color: s[0], weight: s[1], opacity: 1, lineCap: "round"};
                    }
                });
                var requested = false;
                layer.on("add", function () {
                    var box = layer._map.getContainer();
                    box.style.background = {{ this.background|tojson }};
                    if (requested) { return; }
                    requested = true;
                    fetch({{ this.url|tojson }}, {credentials: "same-origin"})
                        .then(function (r) {
                            if (!r.ok) { throw new Error("HTTP " + r.status); }
                            return r.json();
                        })
                        .then(function (data) {
                            layer.addData(data);
                            var lines = 0;
                            data.features.forEach(function (f) {
                                lines += f.geometry.type === "MultiLineString"
                                    ? f.geometry.coordinates.length : 1;
                            });
                            box.dataset.roadFeatures = String(lines);
                            layer.bringToBack();
                        })
                        .catch(function (err) { box.dataset.roadError = String(err); });
                });
                layer.on("remove", function () {
                    if (layer._map) { layer._map.getContainer().style.background = ""; }
                });
                return layer;
            })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        *,
        styles: dict[str, tuple[str, float]],
        name: str = "Jaringan jalan",
        show: bool = True,
        background: str = "#f3f1ec",
        credit: str = OSM_CREDIT,
    ) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "RoadLayer"
        self.url = url
        self.styles = {key: [color, width] for key, (color, width) in styles.items()}
        self.background = background
        self.credit = credit


class TileFallback(MacroElement):
    """Swap the tile layer for the road layer when tiles cannot be fetched (office offline).

    Switches after a few tile errors with no tile loaded, when the browser says it is offline,
    or when no tile has arrived after ``timeout_ms`` (a network that hangs instead of failing).
    The map container gets ``data-tile-fallback="1"`` when it switches.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this.map_name }}, tiles = {{ this.tiles_name }},
                    roads = {{ this.roads_name }};
                var loaded = false, errors = 0;
                function useRoads() {
                    if (loaded || !map.hasLayer(tiles)) { return; }
                    map.removeLayer(tiles);
                    map.addLayer(roads);
                    map.getContainer().dataset.tileFallback = "1";
                }
                tiles.on("tileload", function () { loaded = true; });
                tiles.on("tileerror", function () {
                    errors += 1;
                    if (errors >= {{ this.max_errors }}) { useRoads(); }
                });
                if (navigator.onLine === false) { useRoads(); }
                window.setTimeout(useRoads, {{ this.timeout_ms }});
            })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        map_name: str,
        tiles_name: str,
        roads_name: str,
        max_errors: int = 3,
        timeout_ms: int = 10000,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "TileFallback"
        self.map_name = map_name
        self.tiles_name = tiles_name
        self.roads_name = roads_name
        self.max_errors = max_errors
        self.timeout_ms = timeout_ms


class Attribution(MacroElement):
    """Credits that stay on the map whatever layers are shown (OSM on every map).

    Leaflet's default prefix links to leafletjs.com with an external URL; it is replaced by
    plain text so the page references no outside host.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
            {%- for credit in this.credits %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution(
                {{ credit|tojson }}
            );
            {%- endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, credits: list[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Attribution"
        self.credits = credits


class Legend(MacroElement):
    """A legend box (HTML built and escaped in Python) in a corner of the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var legend = L.control({position: {{ this.position|tojson }}});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "jb-legend");
                    div.innerHTML = {{ this.content|tojson }};
                    // Folded on phones, where an open legend would hide half the map.
                    var box = div.querySelector("details");
                    if (box && window.innerWidth < 600) { box.removeAttribute("open"); }
                    L.DomEvent.disableClickPropagation(div);
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str = "bottomleft") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.content = content
        self.position = position
