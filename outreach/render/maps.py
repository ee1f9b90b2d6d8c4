"""Folium maps of the requests: the staff map and the aggregated public map.

Pure functions: plain data in (:mod:`outreach.render.mapdata`), a ``folium.Map`` out, and
:func:`map_parts` to embed it in a page. The maps load only the app's own Leaflet; the one
outside URL they may carry is the tile URL template the office configured, and without tiles
the road network is the base layer. Names are shown only when the caller says the viewer is
staff; NIK and phone numbers are always masked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.features import DivIcon, GeoJsonTooltip
from folium.template import Template

from outreach.privacy import mask_nik, mask_phone
from outreach.render.elements import (
    BOUNDARY_CREDIT,
    OSM_CREDIT,
    Attribution,
    Legend,
    LocalMap,
    RoadLayer,
    SafePopup,
    SafeTooltip,
    TileFallback,
)
from outreach.render.mapdata import (
    AreaShape,
    LonLat,
    MapAssets,
    MapView,
    RequestPoint,
    RouteLine,
)
from outreach.render.style import (
    CATEGORY_COLORS,
    CATEGORY_LABELS,
    MONTHS_ID,
    ROAD_CLASSES,
    SERVICE_LABELS,
    STATUS_LABELS,
    WEEKDAYS_ID,
    category_color,
    team_color,
)
from outreach.visits import OUTCOME_LABELS

ZOOM_START = 13


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for a page template.

    ``header`` goes in ``<head>``, ``html`` where the map is, ``script`` in a ``<script>``
    element after it.
    """

    header: str
    html: str
    script: str


def make_staff_map(
    *,
    view: MapView,
    assets: MapAssets,
    areas: Sequence[AreaShape],
    requests: Sequence[RequestPoint],
    routes: Sequence[RouteLine] = (),
    show_names: bool = True,
) -> folium.Map:
    """The coordinator's map: every request as a marker, kelurahan outlines, planned routes.

    Parameters
    ----------
    view
        Centre, bounds and depot.
    assets
        Local Leaflet URLs, the road layer URL and the tile URL template (or None).
    areas
        Kelurahan outlines (drawn light, with their names on hover).
    requests
        Requests with a location. Markers are coloured by category; popups show masked NIK
        and phone only.
    routes
        Planned routes; one overlay per day, the first day shown.
    show_names
        Show the resident's name in popups (signed-in staff only).

    Returns
    -------
    folium.Map
    """
    m = base_map(view, assets)
    _add_areas(m, areas, counts=False)
    days = _add_routes(m, routes)
    _add_requests(m, requests, show_names=show_names)
    add_depot(m, view)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    Legend(_staff_legend(requests, routes, days)).add_to(m)
    return m


def make_public_map(*, view: MapView, assets: MapAssets, areas: Sequence[AreaShape]) -> folium.Map:
    """The public map: kelurahan outlines shaded by how many requests they hold, no residents.

    Parameters
    ----------
    view
        Centre and bounds.
    assets
        Local Leaflet URLs, the road layer URL and the tile URL template (or None).
    areas
        Kelurahan outlines with their request counts.

    Returns
    -------
    folium.Map
    """
    m = base_map(view, assets)
    _add_areas(m, areas, counts=True)
    add_depot(m, view)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    Legend(_public_legend(areas)).add_to(m)
    return m


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` into the three parts a page template embeds (no iframe).

    Parameters
    ----------
    m
        A map from :func:`make_staff_map` or :func:`make_public_map`.

    Returns
    -------
    MapParts
    """
    root = m.get_root()
    if not isinstance(root, Figure):  # folium.Map always creates its Figure
        msg = "map has no Figure to render into"
        raise TypeError(msg)
    root.render()
    return MapParts(
        header=root.header.render(), html=root.html.render(), script=root.script.render()
    )


def find_external_urls(text: str, *, allowed: Iterable[str] = ()) -> list[str]:
    """Return the http(s) URLs in ``text`` that point outside the app.

    Parameters
    ----------
    text
        Rendered HTML or script.
    allowed
        URL prefixes that are expected (e.g. the configured tile URL template).

    Returns
    -------
    list of str
        Offending URLs, in order of appearance (empty when the page is self-contained).
    """
    keep = tuple(a for a in allowed if a)
    urls = re.findall(r"https?://[^\s\"'<>`)]+", text)
    local = ("http://127.0.0.1", "http://localhost")
    return [u for u in urls if not u.startswith(keep + local)]


def format_day(day: dt.date) -> str:
    """``Senin, 24 Nov 2025``: a date as read on the map."""
    return f"{WEEKDAYS_ID[day.weekday()]}, {day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def base_map(view: MapView, assets: MapAssets) -> folium.Map:
    """A folium map of ``view`` on the app's own assets (tiles, or the roads when offline)."""
    lon, lat = view.center
    m = LocalMap(
        leaflet_js=assets.leaflet_js,
        leaflet_css=assets.leaflet_css,
        location=[lat, lon],
        zoom_start=ZOOM_START,
        control_scale=True,
        max_zoom=19,
        # Quarter steps let a whole kota fill the frame instead of half of it.
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    tiles = None
    if assets.tiles_url:
        tiles = folium.TileLayer(
            tiles=assets.tiles_url, attr=OSM_CREDIT, name="Peta OSM", max_zoom=19
        )
        tiles.add_to(m)
    if assets.roads_url:
        roads = RoadLayer(assets.roads_url, styles=ROAD_CLASSES, show=tiles is None)
        roads.add_to(m)
        if tiles is not None:
            TileFallback(
                map_name=m.get_name(), tiles_name=tiles.get_name(), roads_name=roads.get_name()
            ).add_to(m)
    # OSM is credited even when neither tiles nor roads are drawn: markers sit on OSM streets.
    Attribution([OSM_CREDIT, BOUNDARY_CREDIT]).add_to(m)
    if view.bounds is not None:
        (west, south), (east, north) = view.bounds
        m.fit_bounds([[south, west], [north, east]])
    return m


def _add_areas(m: folium.Map, areas: Sequence[AreaShape], *, counts: bool) -> None:
    if not areas:
        return
    top = max((a.count for a in areas), default=0)
    features = [
        {
            "type": "Feature",
            "properties": {
                # folium's GeoJsonTooltip writes these as HTML: escaped here.
                "nama": escape(a.name),
                "kecamatan": escape(a.kecamatan),
                "jumlah": a.count,
                "isi": _shade(a.count, top) if counts else 0.04,
            },
            "geometry": a.geometry,
        }
        for a in areas
    ]
    fields, aliases = ["nama", "kecamatan"], ["Kelurahan", "Kecamatan"]
    if counts:
        fields.append("jumlah")
        aliases.append("Permohonan aktif")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="Batas kelurahan",
        style_function=lambda f: {
            "color": "#2b4c7e",
            "weight": 1.2 if counts else 1.4,
            "opacity": 0.7 if counts else 0.6,
            "dashArray": None if counts else "5 4",
            "fillColor": "#2b6cb0",
            "fillOpacity": f["properties"]["isi"],
        },
        highlight_function=lambda _f: {"weight": 2.5, "opacity": 1.0},
        tooltip=GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
        overlay=True,
    ).add_to(m)


def _shade(count: int, top: int) -> float:
    """Fill opacity for a count: light for few, darker for many (0.05-0.55)."""
    return round(0.05 + 0.5 * (count / top), 3) if top else 0.05


def _add_requests(m: folium.Map, requests: Sequence[RequestPoint], *, show_names: bool) -> None:
    present = [c for c in CATEGORY_COLORS if any(r.category == c for r in requests)]
    groups = {
        c: folium.FeatureGroup(name=f"Permohonan: {CATEGORY_LABELS[c]}", overlay=True)
        for c in present
    }
    for group in groups.values():
        group.add_to(m)
    for req in requests:
        group = groups.get(req.category) or groups[present[-1]]
        marker = folium.CircleMarker(location=[req.lat, req.lon], **_marker_style(req))
        SafeTooltip(f"{req.tracking_code} · {CATEGORY_LABELS.get(req.category, '')}").add_to(marker)
        SafePopup(_popup_html(req, show_names=show_names)).add_to(marker)
        marker.add_to(group)


def _marker_style(req: RequestPoint) -> dict[str, Any]:
    """Marker look of a request.

    Fill = category. A ring without fill: only the kelurahan's point is known; a dark
    outline: new, not verified yet; a white outline: verified.
    """
    color = category_color(req.category)
    style: dict[str, Any] = {"radius": _radius(req.persons), "fill": True, "weight": 1.5}
    if req.needs_location_check:
        style.update(color=color, weight=3, fill_color="#ffffff", fill_opacity=0.85)
    else:
        outline = "#1d2733" if req.status == "baru" else "#ffffff"
        style.update(color=outline, fill_color=color, fill_opacity=0.9)
    return style


def _radius(persons: int) -> float:
    """Marker size: 6 px for one person, up to 14 px for a collective visit of 40."""
    return 6.0 if persons <= 1 else min(14.0, 7.0 + persons / 5.0)


def _popup_html(req: RequestPoint, *, show_names: bool) -> str:
    rows: list[tuple[str, str]] = [
        ("Kategori", CATEGORY_LABELS.get(req.category, req.category)),
        ("Status", STATUS_LABELS.get(req.status, req.status)),
        ("Kelurahan", req.kelurahan),
        ("RT/RW", f"{req.rt or '-'}/{req.rw or '-'}"),
        ("Jumlah orang", str(req.persons)),
    ]
    if req.services:
        rows.append(("Layanan", ", ".join(SERVICE_LABELS.get(s, s) for s in req.services)))
    if show_names and req.person_name:
        rows.insert(0, ("Nama", req.person_name))
    if req.nik:
        rows.append(("NIK", mask_nik(req.nik)))
    if req.phone:
        rows.append(("HP", mask_phone(req.phone)))
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    note = '<p class="jb-warn">Lokasi perlu dikonfirmasi</p>' if req.needs_location_check else ""
    link = (
        f'<p><a href="{escape(req.detail_url)}">Buka permohonan</a></p>' if req.detail_url else ""
    )
    return (
        f'<div class="jb-popup"><strong>{escape(req.tracking_code)}</strong>'
        f"<table>{body}</table>{note}{link}</div>"
    )


def _add_routes(m: folium.Map, routes: Sequence[RouteLine]) -> list[dt.date]:
    ordered = sorted(routes, key=lambda r: (r.route_date, r.team_index))
    days: list[dt.date] = []
    for day, day_routes in groupby(ordered, key=lambda r: r.route_date):
        group = folium.FeatureGroup(name=f"Rute {format_day(day)}", overlay=True, show=not days)
        days.append(day)
        for route in day_routes:
            _add_route(group, route)
        group.add_to(m)
    return days


def _add_route(group: folium.FeatureGroup, route: RouteLine) -> None:
    color = team_color(route.team_index)
    if len(route.path) >= 2:
        line = folium.PolyLine(  # type: ignore[no-untyped-call]
            [[lat, lon] for lon, lat in route.path], color=color, weight=4, opacity=0.85
        )
        minutes = round(route.travel_time_s / 60)
        km = route.distance_m / 1000
        SafeTooltip(
            f"{route.team_name}: {len(route.stops)} kunjungan, {km:.1f} km, "
            f"{minutes} menit perjalanan",
            sticky=True,
        ).add_to(line)
        line.add_to(group)
    for stop in route.stops:
        # A visit done shows a tick before its number (not colour alone); the live progress
        # script (static/progress.js) ticks markers by their data-stop-marker id.
        done = stop.outcome is not None
        marker_id = f' data-stop-marker="{stop.stop_id}"' if stop.stop_id is not None else ""
        badge = folium.Marker(
            location=[stop.lat, stop.lon],
            icon=DivIcon(
                html=(
                    f'<span class="jb-stop{" done" if done else ""}" style="background:{color}"'
                    f' data-sequence="{stop.sequence}"{marker_id}>'
                    f"{'✓' if done else ''}{stop.sequence}</span>"
                ),
                icon_size=(20, 20),
                icon_anchor=(10, 24),
                class_name="jb-stop-icon",
            ),
        )
        state = f" · {OUTCOME_LABELS.get(stop.outcome, stop.outcome)}" if stop.outcome else ""
        SafeTooltip(
            f"{route.team_name} #{stop.sequence} · {stop.arrival:%H:%M} · {stop.tracking_code}"
            + state
        ).add_to(badge)
        badge.add_to(group)


def add_depot(m: folium.Map, view: MapView) -> None:
    """Mark the office (the depot) on ``m`` when ``view`` has one."""
    if view.depot is None:
        return
    lon, lat = view.depot
    depot = folium.Marker(
        location=[lat, lon],
        icon=DivIcon(
            html='<span class="jb-depot">K</span>',
            icon_size=(24, 24),
            icon_anchor=(12, 12),
            class_name="jb-depot-icon",
        ),
    )
    SafeTooltip(view.depot_label).add_to(depot)
    depot.add_to(m)


def _staff_legend(
    requests: Sequence[RequestPoint], routes: Sequence[RouteLine], days: list[dt.date]
) -> str:
    counts: dict[str, int] = {}
    for req in requests:
        counts[req.category] = counts.get(req.category, 0) + 1
    items = "".join(
        f'<li><span class="jb-dot" style="background:{color}"></span>'
        f"{escape(CATEGORY_LABELS[cat])} ({counts[cat]})</li>"
        for cat, color in CATEGORY_COLORS.items()
        if cat in counts
    )
    teams = sorted({(r.team_index, r.team_name) for r in routes})
    team_items = "".join(
        f'<li><span class="jb-line" style="background:{team_color(i)}"></span>{escape(name)}</li>'
        for i, name in teams
    )
    parts = [
        f"<details open><summary>Permohonan ({len(requests)})</summary><ul>{items}</ul>",
        '<p class="jb-note">Tepi gelap: baru, belum diverifikasi. Cincin tanpa isi: lokasi '
        "baru titik kelurahan (perlu konfirmasi). Lingkaran besar: kunjungan kolektif.</p>",
    ]
    if team_items:
        parts.append(
            f"<p><strong>Rute tim</strong> ({len(days)} hari; pilih hari di kontrol lapisan)</p>"
            f"<ul>{team_items}</ul>"
        )
    return "".join(parts) + "</details>"


def _public_legend(areas: Sequence[AreaShape]) -> str:
    total = sum(a.count for a in areas)
    return (
        f"<details open><summary>Permohonan aktif: {total}</summary>"
        '<p class="jb-note">Warna lebih gelap: lebih banyak permohonan di kelurahan itu. '
        "Data pribadi warga tidak ditampilkan.</p></details>"
    )


def extent(points: Iterable[LonLat]) -> tuple[LonLat, LonLat] | None:
    """Bounds ``((west, south), (east, north))`` of ``(lon, lat)`` points, or None if empty.

    Parameters
    ----------
    points
        ``(lon, lat)`` pairs.
    """
    pts = list(points)
    if not pts:
        return None
    lons = [p[0] for p in pts]
    lats = [p[1] for p in pts]
    return ((min(lons), min(lats)), (max(lons), max(lats)))


# --- the coordinator's home map: a small page, the data fetched as GeoJSON ---

# Marker shape per request status on the home map (not colour alone; see static/staff-map.js).
STATUS_SHAPES: dict[str, str] = {
    "baru": "square",
    "terverifikasi": "circle",
    "terjadwal": "diamond",
    "gagal": "triangle",
}


class StaffMapHook(MacroElement):
    """Hand the folium map and its base layers to ``static/staff-map.js`` (``window.jbStaffMap``).

    The script adds the layer control, the areas, the requests and the routes it fetches.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.jbStaffMap = {
                map: {{ this._parent.get_name() }},
                roads: {{ this.roads_name or "null" }},
                tiles: {{ this.tiles_name or "null" }},
                config: {{ this.config|tojson }}
            };
        {% endmacro %}
        """
    )

    def __init__(self, *, config: dict[str, Any], roads_name: str, tiles_name: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StaffMapHook"
        self.config = config
        self.roads_name = roads_name
        self.tiles_name = tiles_name


def make_staff_home_map(*, view: MapView, assets: MapAssets, config: dict[str, Any]) -> folium.Map:
    """The base of the coordinator's home map: view, road layer or tiles, depot; no data.

    Requests, routes and areas are fetched by ``static/staff-map.js`` from the GeoJSON
    endpoints named in ``config`` (so the page stays small whatever the backlog).

    Parameters
    ----------
    view
        Centre, bounds and depot.
    assets
        Local Leaflet URLs, the road layer URL and the tile URL template (or None).
    config
        JSON-ready settings for the script: data URLs, labels, colours and shapes.

    Returns
    -------
    folium.Map
    """
    m = base_map(view, assets)
    add_depot(m, view)
    names = {type(child).__name__: child.get_name() for child in m._children.values()}
    StaffMapHook(
        config={
            **config,
            "categories": [
                {"key": c, "label": CATEGORY_LABELS[c], "color": color}
                for c, color in CATEGORY_COLORS.items()
            ],
            "statuses": [
                {"key": s, "label": STATUS_LABELS[s], "shape": shape}
                for s, shape in STATUS_SHAPES.items()
            ],
        },
        roads_name=names.get("RoadLayer", ""),
        tiles_name=names.get("TileLayer", ""),
    ).add_to(m)
    return m


def name_initials(name: str) -> str:
    """``Siti Aminah`` -> ``S. A.``: how a resident's name reaches the home map."""
    return " ".join(f"{part[0].upper()}." for part in name.split() if part[:1].isalnum())


def _rounded(value: float) -> float:
    return round(value, 5)  # about 1 m


def requests_geojson(points: Sequence[RequestPoint]) -> dict[str, Any]:
    """Requests as a compact GeoJSON FeatureCollection for the home map.

    Property keys are short (the response is thousands of features): ``i`` id, ``c`` tracking
    code, ``k`` category, ``s`` status, ``kc`` kecamatan, ``kl`` kelurahan, ``rw`` RW,
    ``n`` persons, ``nm`` name initials (never the whole name, never NIK or phone),
    ``l`` 1 when the location is to be confirmed. Coordinates have 5 decimals (about 1 m).

    Parameters
    ----------
    points
        Requests with a location.

    Returns
    -------
    dict
    """
    features = []
    for p in points:
        props: dict[str, Any] = {
            "i": p.request_id,
            "c": p.tracking_code,
            "k": p.category,
            "s": p.status,
            "kc": p.kecamatan,
            "kl": p.kelurahan,
            "rw": p.rw,
            "n": p.persons,
            "nm": name_initials(p.person_name),
        }
        if p.needs_location_check:
            props["l"] = 1
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [_rounded(p.lon), _rounded(p.lat)]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def routes_geojson(routes: Sequence[RouteLine]) -> dict[str, Any]:
    """Routes as GeoJSON: one LineString per route and one Point per numbered stop.

    Line properties: ``t`` team id, ``tn`` team name, ``col`` team colour, ``d`` date
    (ISO), ``km``, ``min`` travel minutes, ``ns`` stops. Stop properties: ``t``, ``tn``,
    ``col``, ``d``, ``q`` sequence, ``a`` arrival (HH:MM), ``c`` tracking code, ``sid`` stop
    id, ``o`` outcome label once recorded.

    Parameters
    ----------
    routes
        Routes with their road path and stops.

    Returns
    -------
    dict
    """
    features: list[dict[str, Any]] = []
    for r in sorted(routes, key=lambda r: (r.route_date, r.team_index)):
        team = {"t": r.team_id, "tn": r.team_name, "col": team_color(r.team_index)}
        day = r.route_date.isoformat()
        path = _dedup([(_rounded(lon), _rounded(lat)) for lon, lat in r.path])
        if len(path) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": path},
                    "properties": {
                        **team,
                        "d": day,
                        "km": round(r.distance_m / 1000, 1),
                        "min": round(r.travel_time_s / 60),
                        "ns": len(r.stops),
                    },
                }
            )
        for stop in r.stops:
            props: dict[str, Any] = {
                **team,
                "d": day,
                "q": stop.sequence,
                "a": f"{stop.arrival:%H:%M}",
                "c": stop.tracking_code,
                "sid": stop.stop_id,
            }
            if stop.outcome:
                props["o"] = OUTCOME_LABELS.get(stop.outcome, stop.outcome)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [_rounded(stop.lon), _rounded(stop.lat)],
                    },
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _dedup(path: list[tuple[float, float]]) -> list[list[float]]:
    """Drop repeated points (legs meet at stops; rounding merges close vertices)."""
    out: list[list[float]] = []
    for lon, lat in path:
        if not out or out[-1] != [lon, lat]:
            out.append([lon, lat])
    return out


def areas_geojson(
    kelurahan: Sequence[AreaShape], kecamatan: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Kelurahan (with open counts, for outlines and the choropleth) and kecamatan outlines.

    Kelurahan properties: ``a`` "kel", ``n`` name, ``kc`` kecamatan, ``j`` open requests,
    ``f`` fill opacity of the choropleth. Kecamatan: ``a`` "kec", ``n`` name.

    Parameters
    ----------
    kelurahan
        Kelurahan outlines with their counts (geometries already simplified and rounded).
    kecamatan
        ``(name, geometry)`` of each kecamatan.

    Returns
    -------
    dict
    """
    top = max((a.count for a in kelurahan), default=0)
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"a": "kec", "n": name},
        }
        for name, geometry in kecamatan
    ]
    features.extend(
        {
            "type": "Feature",
            "geometry": a.geometry,
            "properties": {
                "a": "kel",
                "n": a.name,
                "kc": a.kecamatan,
                "j": a.count,
                "f": _shade(a.count, top),
            },
        }
        for a in kelurahan
    )
    return {"type": "FeatureCollection", "features": features}


# Inline elements only: ``<script src=...>`` from the app's own address needs no nonce.
_OPEN_TAG = re.compile(r"<(script|style)\b(?![^>]*\b(?:nonce|src)=)", re.IGNORECASE)


def add_nonce(html: str, nonce: str) -> str:
    """``html`` with ``nonce="..."`` on every inline ``<script>`` and ``<style>`` start tag.

    The page's Content-Security-Policy runs only inline scripts and styles carrying the
    request's nonce; folium renders both inline. Tags that already have a nonce are left alone.
    """
    if not nonce:
        return html
    value = escape(nonce, quote=True)
    return _OPEN_TAG.sub(lambda m: f'<{m.group(1)} nonce="{value}"', html)
