"""Form maps in real Chromium (issue 9, section 4): the road network replaces map tiles that
cannot load (public form, letter form, request detail, settings point map); the public form's
map zooms to the kelurahan picked and warns, visibly and in Indonesian, about a point tapped
outside it.

The pages load outreach/static/map-fallback.js and area-check.js; until every template
includes them, the test adds them to the page the way a <script> tag would (an init script;
the scripts ignore a second copy). Screenshots: /tmp/shots/robust-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from shapely import wkt
from shapely.geometry import Point
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.conftest import REPO_ROOT
from tests.intake.yogya import COORDINATOR, SEMAKI, form_data, yogya_app
from tests.web.conftest import yogya_template

pytestmark = pytest.mark.browser
__all__ = ["yogya_template"]

STATIC = REPO_ROOT / "outreach" / "static"
SHOTS = Path("/tmp/shots")
# An outside tile server: every request to it is aborted (an office without internet).
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Keep the handles of the maps the page announces, to turn a lon/lat into a tap position.
CAPTURE = """
window.__jbMaps = [];
document.addEventListener("jb:map-ready", function (e) { window.__jbMaps.push(e.detail.map); });
"""

# Resolves once the map stands still (a zoom or pan animation has ended).
SETTLED = """() => new Promise((done) => {
    const m = window.__jbMaps[0];
    if (m._animatingZoom || (m._panAnim && m._panAnim._inProgress)) { m.once("moveend", done); }
    else { done(); }
})"""


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """Yogyakarta with tiles configured (and unreachable) and the road layer cached per test."""
    return yogya_app(tmp_path, yogya_template, MAP_TILES=TILES)


def _context(browser: Any, width: int, height: int) -> Any:
    context = local_context(browser, viewport={"width": width, "height": height})
    context.add_init_script(CAPTURE)
    for name in ("map-fallback.js", "area-check.js"):
        context.add_init_script(path=str(STATIC / name))
    return context


@pytest.fixture
def phone(browser: Any) -> Iterator[Page]:
    context = _context(browser, 400, 800)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Page]:
    context = _context(browser, 1280, 900)
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_map(page: Page) -> Any:
    """The pick map, unfolded when it sits in a closed <details> part of the form."""
    the_map = page.locator("[data-pick-map], [data-point-map]").first
    the_map.evaluate("el => { const d = el.closest('details'); if (d) { d.open = true; } }")
    expect(the_map).to_have_attribute("data-ready", "1")
    return the_map


def _tap(page: Page, the_map: Any, lon: float, lat: float) -> None:
    point = page.evaluate(
        "([lat, lon]) => { const p = window.__jbMaps[0].latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    the_map.click(position={"x": point[0], "y": point[1]})


def _expect_roads(the_map: Any) -> None:
    expect(the_map).to_have_attribute("data-tile-fallback", "1", timeout=15_000)
    expect(the_map).to_have_attribute("data-road-features", lambda_nonzero(), timeout=15_000)


def lambda_nonzero() -> Any:
    import re

    return re.compile(r"^[1-9][0-9]*$")


def _kelurahan_shape(app: Flask, code: str) -> Any:
    with app.app_context():
        row = (
            get_session()
            .scalars(select(models.Kelurahan).where(models.Kelurahan.code == code))
            .one()
        )
        return wkt.loads(row.geometry_wkt)


def test_public_form_map_zooms_to_kelurahan_and_warns_outside(
    live_server: str, live_app: Flask, phone: Page
) -> None:
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(live_server + "/layanan/")
    the_map = _open_map(phone)
    expect(the_map).to_have_attribute("data-area-check", "1")
    zoom_before = phone.evaluate("() => window.__jbMaps[0].getZoom()")
    phone.select_option("#f-kelurahan", SEMAKI)  # the kelurahan decides the kecamatan
    expect(the_map).to_have_attribute("data-zoomed-to", SEMAKI)
    phone.evaluate(SETTLED)  # the zoom animation has ended
    zoom_after = phone.evaluate("() => window.__jbMaps[0].getZoom()")
    assert zoom_after > zoom_before  # a kelurahan fills the map, not the whole city

    warning = phone.locator("[data-area-warning]")
    expect(warning).to_be_hidden()
    semaki = _kelurahan_shape(live_app, SEMAKI)
    inside = semaki.representative_point()
    # Inside Semaki: no warning.
    _tap(phone, the_map, inside.x, inside.y)
    expect(warning).to_be_hidden()
    # A visible spot outside Semaki's outline (zoomed out a step or more to have some): a
    # warning. The map may still be moving after the tap: settle before reading its bounds.
    outside: tuple[float, float] | None = None
    for _ in range(4):
        phone.evaluate(SETTLED)
        phone.evaluate(
            "() => { const m = window.__jbMaps[0]; m.setZoom(m.getZoom() - 1, {animate: false}); }"
        )
        phone.evaluate(SETTLED)
        west, south, east, north = phone.evaluate(
            "() => { const b = window.__jbMaps[0].getBounds().pad(-0.1);"
            " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
        )
        outside = next(
            (
                (x, y)
                for i in range(1, 10)
                for j in range(1, 10)
                if not semaki.buffer(0.0003).contains(
                    Point(x := west + (east - west) * i / 10, y := south + (north - south) * j / 10)
                )
            ),
            None,
        )
        if outside is not None:
            break
    assert outside is not None, "no spot outside Semaki on the map"
    _tap(phone, the_map, *outside)
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("di luar Kel. Semaki")
    SHOTS.mkdir(exist_ok=True)
    warning.scroll_into_view_if_needed()
    phone.screenshot(path=str(SHOTS / "robust-area-warning-phone.png"))
    # Back inside: the warning goes.
    _tap(phone, the_map, inside.x, inside.y)
    expect(warning).to_be_hidden()
    assert not errors, errors


def test_public_form_map_falls_back_to_roads(live_server: str, desktop: Page) -> None:
    desktop.goto(live_server + "/layanan/")
    the_map = _open_map(desktop)
    _expect_roads(the_map)
    assert desktop.locator("#peta-lokasi .leaflet-tile-loaded").count() == 0
    the_map.scroll_into_view_if_needed()
    desktop.screenshot(path=str(SHOTS / "robust-public-roads-desktop.png"))


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", COORDINATOR[0])
    page.fill("input[name=password]", COORDINATOR[1])
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()


def _a_request(app: Flask) -> int:
    client = app.test_client()
    client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    res = client.post("/koordinator/permohonan/baru", data=form_data())
    assert res.status_code == 303
    with app.app_context():
        return int(get_session().scalars(select(models.ServiceRequest.id)).one())


@pytest.mark.parametrize("page_path", ["/koordinator/surat/baru", "/pengaturan/tim/baru", "detail"])
def test_staff_form_maps_fall_back_to_roads(
    live_server: str, live_app: Flask, desktop: Page, page_path: str
) -> None:
    if page_path == "detail":
        page_path = f"/koordinator/permohonan/{_a_request(live_app)}"
    _sign_in(desktop, live_server)
    desktop.goto(live_server + page_path)
    the_map = _open_map(desktop)
    _expect_roads(the_map)
    name = page_path.strip("/").replace("/", "-")
    the_map.scroll_into_view_if_needed()
    desktop.screenshot(path=str(SHOTS / f"robust-roads-{name}.png"))
