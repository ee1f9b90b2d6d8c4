"""The home map in real Chromium with every outside request aborted (an office offline).

Screenshots go to /tmp/jb-home-*.png for a look by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.conftest import make_test_app
from tests.render.sample_data import NIKS, STAFF, add_sample_region, write_sample_pack

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP = ".folium-map"
CREDIT = "© OpenStreetMap contributors"
# The folium map is a global variable named after its element id.
LAYER_COUNTS = """() => {
    const map = window[document.querySelector('.folium-map').id];
    const out = {circles: 0, polygons: 0, markers: 0, lines: 0};
    map.eachLayer((layer) => {
        if (layer instanceof L.CircleMarker) { out.circles += 1; }
        else if (layer instanceof L.Polygon) { out.polygons += 1; }
        else if (layer instanceof L.Polyline) { out.lines += 1; }
        else if (layer instanceof L.Marker) { out.markers += 1; }
    });
    return out;
}"""


@pytest.fixture
def live_app(tmp_path: Path, request: pytest.FixtureRequest) -> Flask:
    """Overrides the harness's app: ``(tiles, data)``, data "sample" or "yogyakarta"."""
    tiles, data = getattr(request, "param", ("none", "sample"))
    if data == "yogyakarta":
        # The real pack and demo; the shared graph cache keeps this to a few seconds.
        app = make_test_app(tmp_path, MAP_TILES=tiles)
        runner = app.test_cli_runner()
        for args in (["region", "import", "kota-yogyakarta"], ["seed-demo"]):
            res = runner.invoke(args=["outreach", *args])
            assert res.exit_code == 0, res.output
    else:
        app = make_test_app(tmp_path, MAP_TILES=tiles, CACHE_DIR=str(tmp_path / "cache"))
        with app.app_context():
            pack = write_sample_pack(tmp_path / "kota-contoh")
            add_sample_region(get_session(), pack, cache_dir=tmp_path / "cache")
            # The home map shows approved routes only: approve the sample's route.
            for plan in get_session().scalars(select(models.Plan)):
                plan.status = models.PlanStatus.APPROVED.value
                for route in plan.routes:
                    route.approved = True
            get_session().commit()
    return app


def _sign_in(page: Any, base: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _wait_for_roads(page: Any) -> int:
    page.wait_for_selector(f"{MAP}[data-road-features]", state="attached")
    return int(page.get_attribute(MAP, "data-road-features"))


def _credit(page: Any) -> str:
    box = page.locator(".leaflet-control-attribution")
    assert box.is_visible()
    return str(box.inner_text())


def _wait_for_data(page: Any) -> int:
    """The staff map script fetched its GeoJSON and drew it: the requests shown."""
    page.wait_for_selector(f"{MAP}[data-ready='1']", state="attached")
    return int(page.get_attribute(MAP, "data-markers"))


def test_staff_map_offline_draws_roads_markers_and_credit(live_server: str, page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server)
    assert page.evaluate("typeof window.L") == "object"
    assert page.evaluate("L.version") == "1.9.3"
    assert _wait_for_roads(page) >= 2  # the 3x3 street grid, merged into lines per class
    assert page.locator(f"{MAP} canvas").count() >= 1  # the road layer's canvas
    assert _wait_for_data(page) == 3  # one marker per request, fetched as GeoJSON
    counts = page.evaluate(LAYER_COUNTS)
    assert counts["polygons"] >= 2  # kelurahan (and kecamatan) outlines
    assert counts["lines"] >= 1 and counts["markers"] >= 2  # route, stop badge, office
    assert page.locator(".jb-stop").count() == 1
    assert CREDIT in _credit(page)
    # A popup shows initials only, never the name, NIK or phone.
    page.evaluate(
        """() => { const c = window.jbStaffMap.requests, m = c.getLayers()[0];
            c.zoomToShowLayer(m, () => m.openPopup()); }"""
    )
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Kategori" in popup and "JB-" in popup
    assert not any(nik in page.content() for nik in NIKS)
    page.screenshot(path="/tmp/jb-home-staff-offline.png")
    assert errors == []


@pytest.mark.parametrize("live_app", [(TILES, "sample")], indirect=True)
def test_tiles_that_fail_give_way_to_the_road_layer(live_server: str, page: Any) -> None:
    _sign_in(page, live_server)
    page.wait_for_selector(f"{MAP}[data-tile-fallback='1']", state="attached")
    assert _wait_for_roads(page) >= 2
    assert page.locator(".leaflet-tile-loaded").count() == 0
    assert CREDIT in _credit(page)
    # The layer control now has the road layer ticked as the base.
    checked = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-control-layers-base input')]"
        ".filter((i) => i.checked).map((i) => i.nextElementSibling.textContent.trim())"
    )
    assert checked == ["Jaringan jalan"]
    page.screenshot(path="/tmp/jb-home-tile-fallback.png")


def test_visitor_sees_counts_not_residents(live_server: str, page: Any) -> None:
    page.goto(live_server + "/")
    assert _wait_for_roads(page) >= 2
    counts = page.evaluate(LAYER_COUNTS)
    assert counts["circles"] == 0 and counts["polygons"] == 2
    assert CREDIT in _credit(page)
    assert "Layanan jemput bola" in page.locator("h1").inner_text()
    page.screenshot(path="/tmp/jb-home-public.png")


@pytest.mark.slow
@pytest.mark.parametrize("live_app", [("none", "yogyakarta")], indirect=True)
def test_demo_map_of_yogyakarta(live_server: str, page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server)
    assert _wait_for_roads(page) > 5000
    assert _wait_for_data(page) > 120  # the active demo requests with a point
    counts = page.evaluate(LAYER_COUNTS)
    assert counts["polygons"] == 45 + 14  # every kelurahan and kecamatan of Kota Yogyakarta
    assert CREDIT in _credit(page)
    page.screenshot(path="/tmp/jb-home-yogyakarta.png")
