"""The settings pages in real Chromium: pick a team's start point on the map and save it.

Screenshots of every settings page (desktop 1280x900 and phone 400x800) go to
/tmp/shots/admin-*.png for a look by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office import get_office, save_team
from outreach.staff import hash_password
from tests.browser.conftest import local_context
from tests.intake.yogya import yogya_app, yogya_template

pytestmark = pytest.mark.browser
__all__ = ["yogya_template"]

SHOTS = Path("/tmp/shots")
WIDE = """() => Array.from(document.querySelectorAll('body *'))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5).map((el) => el.tagName + '.' + el.className + '#' + el.id)"""
LON_RANGE = (110.33, 110.42)  # Kota Yogyakarta, generously rounded
LAT_RANGE = (-7.85, -7.76)


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """The Yogyakarta office with CSRF on (as in production), an admin and two teams."""
    app = yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)
    with app.app_context():
        session = get_session()
        office = get_office(session)
        save_team(
            session,
            office,
            name="Tim Mawar",
            skills=["perekaman_ktp", "cetak_ktp", "petugas_perempuan"],
            members=["Sari Wulandari", "Dewi Lestari"],
            weekday_shifts={4: None, 5: None, 6: None},
            max_stops=8,
        )
        save_team(session, office, name="Tim Melati", skills=["kia", "kk"], members=["Budi"])
        session.add(
            models.User(
                username="admin.kantor",
                full_name="Admin Kantor",
                password_hash=hash_password("rahasia-456"),
                role="admin",
                office_id=office.id,
            )
        )
        session.commit()
    return app


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", "admin.kantor")
    page.fill("input[name=password]", "rahasia-456")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def test_pick_a_team_start_point_on_the_map(live_server: str, live_app: Flask, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server)
    page.goto(live_server + "/pengaturan/tim")
    page.get_by_role("link", name="Tim Mawar").click()
    the_map = page.locator("#peta-titik")
    expect(the_map).to_have_attribute("data-boundaries", "1")
    expect(page.locator(".jb-depot")).to_be_visible()  # the office, for reference
    assert page.input_value("#f-start_lon") == ""
    box = the_map.bounding_box()
    assert box is not None
    the_map.click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.6})
    expect(page.locator("[data-map-status]")).to_contain_text("Titik ditandai")
    lon, lat = float(page.input_value("#f-start_lon")), float(page.input_value("#f-start_lat"))
    assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1]
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.locator(".flash")).to_contain_text("Tim Mawar disimpan")
    expect(page.locator("tr", has_text="Tim Mawar")).to_contain_text("titik sendiri")
    with live_app.app_context():
        team = get_session().scalar(select(models.Team).where(models.Team.name == "Tim Mawar"))
        assert team is not None and team.start_lon is not None and team.start_lat is not None
        assert abs(team.start_lon - lon) < 1e-6 and abs(team.start_lat - lat) < 1e-6

    # Back on the form the pin is there; "start at the office" clears it.
    page.get_by_role("link", name="Tim Mawar").click()
    expect(page.locator(".jb-pin")).to_be_visible()
    page.get_by_role("button", name="Berangkat dari kantor (hapus titik)").click()
    assert page.input_value("#f-start_lon") == ""
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.locator("tr", has_text="Tim Mawar")).to_contain_text("kantor")
    assert errors == []


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("index", "/pengaturan/"),
        ("teams", "/pengaturan/tim"),
        ("team", "/pengaturan/tim/1"),
        ("team-new", "/pengaturan/tim/baru"),
        ("office", "/pengaturan/kantor"),
        ("users", "/pengaturan/petugas"),
        ("user", "/pengaturan/petugas/1"),
        ("user-new", "/pengaturan/petugas/baru"),
    ],
)
def test_settings_pages_render_on_desktop_and_phone(
    live_server: str, live_app: Flask, browser: Any, name: str, path: str
) -> None:
    SHOTS.mkdir(exist_ok=True)
    for label, viewport in (("desktop", (1280, 900)), ("phone", (400, 800))):
        context = local_context(browser, viewport={"width": viewport[0], "height": viewport[1]})
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, seen=errors: seen.append(str(exc)))
            _sign_in(page, live_server)
            res = page.goto(live_server + path)
            assert res is not None and res.status == 200
            if page.locator("[data-point-map]").count():
                expect(page.locator("[data-point-map]")).to_have_attribute("data-boundaries", "1")
            # Nothing wider than the screen on a phone.
            width = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SHOTS / f"admin-{name}-{label}.png"), full_page=True)
            wide = page.evaluate(WIDE)
            assert width <= viewport[0] + 1, f"{path} is {width}px wide: {wide}"
            assert errors == []
        finally:
            context.close()
