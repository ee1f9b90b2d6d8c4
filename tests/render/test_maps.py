"""Map builders: local assets only, masking, escaping, layers; no database, no flask."""

from __future__ import annotations

import datetime as dt

from outreach.render.mapdata import (
    AreaShape,
    MapAssets,
    MapView,
    RequestPoint,
    RouteLine,
    RouteStopPoint,
)
from outreach.render.maps import (
    extent,
    find_external_urls,
    format_day,
    make_public_map,
    make_staff_map,
    map_parts,
)

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[110.36, -7.79], [110.37, -7.79], [110.37, -7.78], [110.36, -7.78]]],
}
VIEW = MapView(center=(110.365, -7.785), bounds=((110.36, -7.79), (110.37, -7.78)))
AREAS = [AreaShape("34.71.01.1001", "Kricak", "Tegalrejo", SQUARE, count=4)]
NIK = "3471014507800003"
PHONE = "+6281234567890"


def _assets(*, tiles: str | None = None, roads: bool = True) -> MapAssets:
    return MapAssets(
        leaflet_js="/vendor/leaflet/leaflet.js",
        leaflet_css="/vendor/leaflet/leaflet.css",
        roads_url="/peta/jalan.geojson" if roads else None,
        tiles_url=tiles,
    )


def _point(**changes: object) -> RequestPoint:
    values: dict[str, object] = {
        "tracking_code": "JB-AAAA-AA2",
        "category": "lansia",
        "status": "terverifikasi",
        "lon": 110.365,
        "lat": -7.785,
        "kelurahan": "Kricak",
        "person_name": "Sutinah",
        "nik": NIK,
        "phone": PHONE,
    }
    values.update(changes)
    return RequestPoint(**values)  # type: ignore[arg-type]


def _html(m: object) -> str:
    parts = map_parts(m)  # type: ignore[arg-type]
    return parts.header + parts.html + parts.script


def test_only_local_leaflet_and_no_cdn() -> None:
    html = _html(make_staff_map(view=VIEW, assets=_assets(), areas=AREAS, requests=[_point()]))
    assert '<script src="/vendor/leaflet/leaflet.js"></script>' in html
    assert find_external_urls(html) == []
    for name in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "cdn"):
        assert name not in html.lower()
    assert "$(" not in html  # no jQuery calls either


def test_the_tile_template_is_the_only_outside_url() -> None:
    html = _html(make_public_map(view=VIEW, assets=_assets(tiles=TILES), areas=AREAS))
    assert find_external_urls(html) == [TILES]
    assert find_external_urls(html, allowed=[TILES]) == []
    assert "tileerror" in html  # the fallback to the road layer is wired


def test_osm_credit_even_without_tiles_or_roads() -> None:
    html = _html(make_public_map(view=VIEW, assets=_assets(roads=False), areas=AREAS))
    assert "\\u00a9 OpenStreetMap contributors" in html
    assert "L.tileLayer" not in html and "jalan.geojson" not in html


def test_road_layer_is_the_base_when_there_are_no_tiles() -> None:
    html = _html(make_public_map(view=VIEW, assets=_assets(), areas=AREAS))
    assert '"/peta/jalan.geojson"' in html
    assert "Jaringan jalan" in html
    assert "tileerror" not in html


def test_popups_mask_numbers_and_escape_text() -> None:
    evil = _point(person_name="<img src=x onerror=alert(1)>`${x}`")
    html = _html(make_staff_map(view=VIEW, assets=_assets(), areas=AREAS, requests=[evil]))
    assert NIK not in html and PHONE not in html
    assert "347101********03" in html and "+62812*****890" in html
    assert "<img src=x" not in html
    assert "\\u0026lt;img" in html  # HTML-escaped, then JSON-escaped for the script


def test_names_only_for_staff() -> None:
    shown = _html(make_staff_map(view=VIEW, assets=_assets(), areas=AREAS, requests=[_point()]))
    hidden = _html(
        make_staff_map(
            view=VIEW, assets=_assets(), areas=AREAS, requests=[_point()], show_names=False
        )
    )
    assert "Sutinah" in shown and "Sutinah" not in hidden


def test_public_map_has_counts_and_no_points() -> None:
    html = _html(make_public_map(view=VIEW, assets=_assets(), areas=AREAS))
    assert "circleMarker" not in html
    assert '"jumlah": 4' in html


def test_routes_one_layer_per_day_first_shown() -> None:
    day = dt.date(2026, 11, 23)
    stop = RouteStopPoint(1, 110.366, -7.786, dt.datetime(2026, 11, 23, 8, 20), "JB-AAAA-AA2")
    routes = [
        RouteLine("Tim 1", 0, day, ((110.365, -7.789), (110.366, -7.786)), (stop,), 600, 1200),
        RouteLine("Tim 2", 1, day + dt.timedelta(days=1), ((110.365, -7.789), (110.36, -7.78))),
    ]
    m = make_staff_map(view=VIEW, assets=_assets(), areas=AREAS, requests=[], routes=routes)
    html = _html(m)
    assert "Rute Senin, 23 Nov 2026" in html and "Rute Selasa, 24 Nov 2026" in html
    assert html.count("L.polyline(") == 2
    assert "Tim 1 #1 \\u00b7 08:20" in html


def test_team_names_are_text_in_tooltips_and_legend() -> None:
    day = dt.date(2026, 11, 23)
    evil = '<img src=x onerror="window.__xss=1">'
    stop = RouteStopPoint(
        1, 110.366, -7.786, dt.datetime(2026, 11, 23, 8, 20), "JB-AAAA-AA2", 5, "selesai"
    )
    routes = [RouteLine(evil, 0, day, ((110.365, -7.789), (110.366, -7.786)), (stop,), 60, 90)]
    m = make_staff_map(view=VIEW, assets=_assets(), areas=AREAS, requests=[], routes=routes)
    html = _html(m)
    # Escaped, then JSON-encoded into the script (& as \u0026): shown as text, never run.
    assert "<img src=x" not in html and "\\u0026lt;img src=x" in html
    # A visit done carries a tick and its outcome in words, and the marker its stop id.
    assert 'data-stop-marker=\\"5\\"' in html and "Selesai" in html


def test_small_helpers() -> None:
    assert format_day(dt.date(2026, 11, 27)) == "Jumat, 27 Nov 2026"
    assert extent([]) is None
    assert extent([(1.0, 2.0), (3.0, -1.0)]) == ((1.0, -1.0), (3.0, 2.0))
    assert find_external_urls("x http://127.0.0.1:5000/a https://cdn.example/x.js") == [
        "https://cdn.example/x.js"
    ]
