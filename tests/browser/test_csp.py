"""Every main page works under the Content-Security-Policy: Chromium reports no violation
(issue 11, section 5). Also screenshots the pages (desktop and phone) to /tmp/shots/sec-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models, staff
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template
from tests.web.test_field import shift_plan_to, team_route, today_of

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
ADMIN = ("admin.uji", "rahasia-123")

# Collects every CSP violation the page reports, from before its first script runs.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' +
  e.lineNumber + ' ' + (e.sample || '')));
"""


@pytest.fixture
def csp_app(tmp_path: Path, yogya_template: Path) -> tuple[Flask, FieldDay, dict[str, int]]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        shift_plan_to(session, day.plan_id, today_of(session))
        office = session.scalar(select(models.Office))
        staff.create_user(
            session, office, username=ADMIN[0], password=ADMIN[1], role=models.Role.ADMIN.value
        )
        letter = session.scalar(select(models.Letter))
        assert letter is not None
        ids = {
            "route": team_route(session, day.team_ids["Tim Mawar"]).id,
            "team": day.team_ids["Tim Mawar"],
            "letter": letter.id,
        }
        session.commit()
    return app, day, ids


@pytest.fixture
def live_app(csp_app: tuple[Flask, FieldDay, dict[str, int]]) -> Flask:
    return csp_app[0]


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _visit(page: Any, url: str, name: str, console: list[str], ready: str | None = None) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    if ready:
        page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)
    violations = page.evaluate("window.__csp")
    assert violations == [], (name, violations)
    assert [m for m in console if "Content Security Policy" in m] == [], name
    assert (
        "'unsafe-inline'"
        not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"sec-{name}-{width}.png"))


def _context(browser: Any, width: int, height: int, console: list[str]) -> Any:
    context = local_context(browser, viewport={"width": width, "height": height})
    context.add_init_script(LISTEN)
    context.on("console", lambda msg: console.append(msg.text))
    return context


@pytest.mark.parametrize("size", [(1280, 900), (400, 800)])
def test_every_main_page_runs_under_the_policy(
    live_server: str,
    csp_app: tuple[Flask, FieldDay, dict[str, int]],
    browser: Any,
    size: tuple[int, int],
) -> None:
    _, day, ids = csp_app
    base = live_server
    console: list[str] = []
    context = _context(browser, *size, console)
    try:
        page = context.new_page()
        _visit(page, base + "/", "home-public", console, ".leaflet-container")
        _visit(page, base + "/layanan/", "public-form", console)
        _sign_in(page, base, *COORDINATOR)
        _visit(page, base + "/", "home-staff", console, ".folium-map[data-ready='1']")
        _visit(page, base + "/koordinator/", "dashboard", console)
        _visit(page, base + "/koordinator/antrean", "queue", console)
        _visit(page, f"{base}/koordinator/permohonan/{day.request_ids[0]}", "request", console)
        _visit(page, base + "/koordinator/surat/", "letters", console)
        _visit(page, f"{base}/koordinator/surat/{ids['letter']}", "letter", console)
        _visit(page, base + "/koordinator/surat/baru", "letter-form", console)
        _visit(page, f"{base}/rencana/{day.plan_id}", "plan", console, ".jb-stop-icon")
        _visit(page, f"{base}/rencana/rute/{ids['route']}/hasil", "outcomes", console)
        _visit(page, f"{base}/lembar/rute/{ids['route']}", "route-sheet", console)
        page.click("#cetak") if page.locator("#cetak").count() else None
        context.close()

        context = _context(browser, *size, console)
        page = context.new_page()
        _sign_in(page, base, *ADMIN)
        _visit(page, base + "/pengaturan/kantor", "admin-office-map", console, ".leaflet-container")
        _visit(page, f"{base}/pengaturan/tim/{ids['team']}", "admin-team-map", console)
        context.close()

        context = _context(browser, *size, console)
        page = context.new_page()
        _sign_in(page, base, "ketua.mawar", "rahasia-123")
        _visit(page, base + "/lapangan/", "field", console, ".stop, li, main")
        assert page.locator("text=Tim Mawar").count() > 0
    finally:
        context.close()
