"""The coordinator's home map in Chromium: data fetched, clusters, filters without a reload.

Screenshots: /tmp/shots/map-staff-desktop.png, /tmp/shots/map-staff-phone.png.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

MAP = "#peta .folium-map"
EXTRA = 400  # spread over the city: enough for clusters
SHOTS = Path("/tmp/shots")
ROUTE_DAY = dt.date.today() + dt.timedelta(days=7)


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        build_field_day(session, travel_for(app))
        office = session.scalar(select(models.Office))
        assert office is not None
        # The map offers the route days from today on: move the field day's routes ahead.
        for route in session.scalars(select(models.Route)):
            route.route_date = ROUTE_DAY
        kelurahan = list(session.scalars(select(models.Kelurahan)))
        rng = random.Random(8)
        for i in range(EXTRA):
            kel = kelurahan[i % len(kelurahan)]
            session.add(
                models.ServiceRequest(
                    tracking_code=f"JB-M{i:04d}",
                    office_id=office.id,
                    category=rng.choice(["lansia", "sakit", "disabilitas", "darurat"]),
                    services=["perekaman_ktp"],
                    person_name=f"Warga Peta {i}",
                    lon=kel.rep_lon + rng.uniform(-0.002, 0.002),
                    lat=kel.rep_lat + rng.uniform(-0.002, 0.002),
                    kelurahan_id=kel.id,
                    kecamatan_id=kel.kecamatan_id,
                    rw=str(rng.randint(1, 9)),
                    status=rng.choice(["baru", "terverifikasi", "gagal"]),
                    location_source="map",
                    location_confirmed=True,
                )
            )
        session.commit()
    return app


def _sign_in(page: Any, base: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", COORDINATOR[0])
    page.fill("input[name=password]", COORDINATOR[1])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.wait_for_selector(f"{MAP}[data-ready='1']", state="attached", timeout=20_000)


def _shown(page: Any) -> int:
    return int(page.get_attribute(MAP, "data-markers"))


def test_filters_change_the_map_without_a_reload(live_server: str, browser: Any) -> None:
    total = EXTRA + 7  # the field day's 6 home visits and its collective visit
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, live_server)
        assert _shown(page) == total
        count = page.locator("[data-map-count]")
        assert count.inner_text() == f"Ditampilkan {total} dari {total} permohonan"
        # Many requests: clusters, not hundreds of single markers.
        assert page.locator(".marker-cluster").count() >= 3
        page.evaluate("window.__before = 'same page'")
        page.select_option("select[data-filter=category]", "darurat")
        darurat = _shown(page)
        assert 0 < darurat < total
        page.select_option("select[data-filter=kecamatan]", "Umbulharjo")
        both = _shown(page)
        assert 0 < both < darurat
        # The kelurahan choice follows the kecamatan.
        options = page.eval_on_selector_all(
            "select[data-filter=kelurahan] option", "els => els.map(e => e.value)"
        )
        assert "Semaki" in options and "Terban" not in options
        assert count.inner_text() == f"Ditampilkan {both} dari {total} permohonan"
        assert page.evaluate("window.__before") == "same page"  # no reload
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        page.click("button[type=reset]")
        page.wait_for_function(f"() => window.jbMarkersShown === {total}")
        # The field day's routes: the day and team filters show their stops.
        page.select_option("select[data-filter=day]", ROUTE_DAY.isoformat())
        stops = int(page.get_attribute(MAP, "data-stops"))
        assert stops >= 7
        assert page.locator(".jb-stop").count() == stops
        team = page.eval_on_selector_all(
            "select[data-filter=team] option", "els => els.map(e => [e.value, e.textContent])"
        )
        mawar = next(value for value, text in team if text == "Tim Mawar")
        page.select_option("select[data-filter=team]", mawar)
        assert 0 < int(page.get_attribute(MAP, "data-stops")) < stops
        # A request's popup links to its page and shows initials only.
        page.select_option("select[data-filter=team]", "")
        page.select_option("select[data-filter=kecamatan]", "Umbulharjo")
        page.select_option("select[data-filter=kelurahan]", "Semaki")
        page.evaluate(
            """() => { const c = window.jbStaffMap.requests, m = c.getLayers()[0];
                c.zoomToShowLayer(m, () => m.openPopup()); }"""
        )
        page.wait_for_selector(".leaflet-popup-content")
        popup = page.locator(".leaflet-popup-content")
        assert "/koordinator/permohonan/" in str(popup.locator("a").get_attribute("href"))
        assert "Warga" not in popup.inner_text()
        page.click("button[type=reset]")
        page.wait_for_function(f"() => window.jbMarkersShown === {total}")
        page.select_option("select[data-filter=day]", ROUTE_DAY.isoformat())
        page.evaluate("() => window.jbStaffMap.map.closePopup()")
        page.wait_for_timeout(600)  # cluster animations settle
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "map-staff-desktop.png"))
        assert errors == []
    finally:
        context.close()


def test_the_map_on_a_phone(live_server: str, browser: Any) -> None:
    context = local_context(browser, viewport={"width": 400, "height": 800})
    try:
        page = context.new_page()
        _sign_in(page, live_server)
        assert _shown(page) == EXTRA + 7
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "map-staff-phone.png"), full_page=True)
    finally:
        context.close()


def test_routes_of_any_other_day_load_on_demand(
    live_app: Flask, live_server: str, browser: Any
) -> None:
    # One team's routes lie in the past: the page loads the route days from today on only.
    past = dt.date.today() - dt.timedelta(days=45)
    with live_app.app_context():
        session = get_session()
        for route in session.scalars(select(models.Route).join(models.Team)):
            if route.team.name == "Tim Melati":
                route.route_date = past
        session.commit()
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, live_server)
        days = page.eval_on_selector_all(
            "select[data-filter=day] option", "els => els.map(e => e.value)"
        )
        assert past.isoformat() not in days and ROUTE_DAY.isoformat() in days
        page.fill("input[data-load-day]", past.isoformat())
        page.dispatch_event("input[data-load-day]", "change")
        page.wait_for_function(
            f"() => document.querySelector('select[data-filter=day]').value === '{past}'"
        )
        assert int(page.get_attribute(MAP, "data-stops")) > 0
        assert page.locator(".jb-stop").count() > 0
        # A day without approved routes says so.
        empty = past - dt.timedelta(days=1)
        page.fill("input[data-load-day]", empty.isoformat())
        page.dispatch_event("input[data-load-day]", "change")
        note = page.locator("[data-day-note]")
        note.wait_for(state="visible")
        assert "Tidak ada rute yang disetujui" in note.inner_text()
        # ... and shows none (not every day's routes).
        assert page.get_attribute(MAP, "data-stops") == "0"
        assert page.input_value("select[data-filter=day]") == empty.isoformat()
        assert errors == []
    finally:
        context.close()
