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
    areas_geojson,
    extent,
    find_external_urls,
    format_day,
    make_public_map,
    make_staff_home_map,
    make_staff_map,
    map_parts,
    name_initials,
    requests_geojson,
    routes_geojson,
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


# --- the coordinator's home map: base page and GeoJSON ---


def test_home_map_base_carries_no_data_and_hands_over_the_map() -> None:
    config = {"requestsUrl": "/peta/permohonan.geojson", "detailUrl": "/k/{id}"}
    html = _html(make_staff_home_map(view=VIEW, assets=_assets(), config=config))
    assert "window.jbStaffMap" in html and "/peta/permohonan.geojson" in html
    assert "roads: road_layer_" in html and "tiles: null" in html
    assert "circleMarker" not in html and "Kricak" not in html
    assert '"shape": "triangle"' in html  # status shapes for the script's legend
    assert find_external_urls(html) == []
    tiled = _html(make_staff_home_map(view=VIEW, assets=_assets(tiles=TILES), config={}))
    assert "tiles: tile_layer_" in tiled


def test_name_initials() -> None:
    assert name_initials("Siti Aminah") == "S. A."
    assert name_initials("  m. yusuf  ") == "M. Y."
    assert name_initials("") == ""


def test_requests_geojson_is_compact_and_keeps_no_name_or_numbers() -> None:
    point = _point(
        lon=110.3651234567,
        request_id=7,
        kecamatan="Tegalrejo",
        rw="3",
        persons=2,
        needs_location_check=True,
    )
    data = requests_geojson([point, _point(tracking_code="JB-B")])
    first = data["features"][0]
    assert first["geometry"]["coordinates"] == [110.36512, -7.785]
    assert first["properties"] == {
        "i": 7,
        "c": "JB-AAAA-AA2",
        "k": "lansia",
        "s": "terverifikasi",
        "kc": "Tegalrejo",
        "kl": "Kricak",
        "rw": "3",
        "n": 2,
        "nm": "S.",
        "l": 1,
    }
    assert "l" not in data["features"][1]["properties"]
    text = str(data)
    assert "Sutinah" not in text and NIK not in text and PHONE not in text


def test_routes_geojson_lines_and_numbered_stops() -> None:
    day = dt.date(2025, 11, 24)
    stop = RouteStopPoint(
        1, 110.366, -7.786, dt.datetime(2025, 11, 24, 8, 20), "JB-X", 5, "selesai"
    )
    path = ((110.365, -7.789), (110.365, -7.789), (110.366, -7.786))
    routes = [RouteLine("<b>Tim</b>", 1, day, path, (stop,), 600, 1250, team_id=3)]
    data = routes_geojson(routes)
    line, point = data["features"]
    assert line["geometry"]["coordinates"] == [[110.365, -7.789], [110.366, -7.786]]
    assert line["properties"] == {
        "t": 3,
        "tn": "<b>Tim</b>",
        "col": "#b0245f",
        "d": "2025-11-24",
        "km": 1.2,
        "min": 10,
        "ns": 1,
    }
    assert point["properties"]["q"] == 1 and point["properties"]["a"] == "08:20"
    assert point["properties"]["o"] == "Selesai" and point["properties"]["sid"] == 5


def test_areas_geojson_kecamatan_and_shaded_kelurahan() -> None:
    areas = [
        AreaShape("1", "Kricak", "Tegalrejo", SQUARE, count=4),
        AreaShape("2", "Bener", "Tegalrejo", SQUARE, count=0),
    ]
    data = areas_geojson(areas, [("Tegalrejo", SQUARE)])
    kinds = [f["properties"]["a"] for f in data["features"]]
    assert kinds == ["kec", "kel", "kel"]
    kricak, bener = data["features"][1]["properties"], data["features"][2]["properties"]
    assert kricak["j"] == 4 and kricak["f"] > bener["f"] and kricak["kc"] == "Tegalrejo"
