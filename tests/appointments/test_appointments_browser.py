"""The desk's day list and the resident's status page in real Chromium (desktop and phone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import appointments, models
from outreach.db import get_session
from tests.appointments.appt_helpers import PHONE, add_request
from tests.browser.conftest import local_context
from tests.field_day import DAY, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """A field day (approved routes on DAY) and five residents booked at the office that day."""
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        build_field_day(session, travel_for(app))
        names = ["Sri Wahyuni", "Bambang Riyadi", "Tri Lestari", "Agus Salim", "Dewi Kartika"]
        for n, name in enumerate(names, start=1):
            req = add_request(session, n, person_name=name, persons=2 if n == 4 else 1)
            appointments.book(session, req, earliest=DAY)
        session.commit()
    return app


def _page(browser: Any, live_server: str, width: int, height: int, sign_in: bool) -> Any:
    context = local_context(
        browser, viewport={"width": width, "height": height}, is_mobile=width < 600
    )
    page = context.new_page()
    if sign_in:
        page.goto(live_server + "/auth/masuk")
        page.fill("input[name=username]", COORDINATOR[0])
        page.fill("input[name=password]", COORDINATOR[1])
        page.click("button[type=submit]")
    return page


@pytest.fixture
def desktop(browser: Any, live_server: str) -> Iterator[Any]:
    page = _page(browser, live_server, 1280, 900, True)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    page = _page(browser, live_server, 400, 800, True)
    yield page
    page.context.close()


def test_desk_marks_a_resident_and_the_page_fits(live_server: str, desktop: Any) -> None:
    SHOTS.mkdir(exist_ok=True)
    errors: list[str] = []
    desktop.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    desktop.goto(f"{live_server}/kantor/antrean?tanggal={DAY.isoformat()}")
    assert desktop.locator("tr[data-queue]").count() == 5
    assert "Senin, 23 November 2026" in desktop.inner_text("h1")
    summary = desktop.inner_text(".appt-summary")
    assert "Kartu: tim keliling" in summary
    desktop.screenshot(path=str(SHOTS / "appt-day-desktop.png"), full_page=True)
    # The day is past for the office clock: the desk marks A-01 came.
    row = desktop.locator("tr[data-queue='A-01']")
    with desktop.expect_navigation():
        row.get_by_role("button", name="Hadir", exact=True).click()
    assert desktop.locator("tr[data-queue='A-01'].st-came").count() == 1
    text = desktop.inner_text("main")
    assert "A-01" in text
    assert not [e for e in errors if "Content Security Policy" in e]


def test_day_list_on_a_phone(live_server: str, phone: Any) -> None:
    SHOTS.mkdir(exist_ok=True)
    phone.goto(f"{live_server}/kantor/antrean?tanggal={DAY.isoformat()}")
    assert phone.locator("tr[data-queue]").count() == 5
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400
    phone.screenshot(path=str(SHOTS / "appt-day-phone.png"), full_page=True)


def test_status_page_on_a_phone_shows_the_queue_number(
    browser: Any, live_server: str, live_app: Flask
) -> None:
    SHOTS.mkdir(exist_ok=True)
    with live_app.app_context():
        req = get_session().scalar(
            select(models.ServiceRequest).where(models.ServiceRequest.person_name == "Sri Wahyuni")
        )
        assert req is not None
        code = req.tracking_code
    page = _page(browser, live_server, 400, 800, False)
    try:
        page.goto(f"{live_server}/layanan/status")
        page.fill("input[name=kode]", code)
        page.fill("input[name=hp4]", PHONE[-4:])
        with page.expect_navigation():
            page.click("button[type=submit]")
        text = page.inner_text(".status-card")
        assert "Nomor antrean A-01, Senin 23 November 2026 pukul 08:00-10:00" in text
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
        page.screenshot(path=str(SHOTS / "appt-status-phone.png"), full_page=True)
    finally:
        page.context.close()


def test_request_page_offers_the_move(live_server: str, desktop: Any, live_app: Flask) -> None:
    SHOTS.mkdir(exist_ok=True)
    with live_app.app_context():
        req = add_request(get_session(), 30)
        get_session().commit()
        request_id = req.id
    desktop.goto(f"{live_server}/koordinator/permohonan/{request_id}")
    with desktop.expect_navigation():
        desktop.click("text=Undang ke kantor")
    assert "diundang ke kantor: Nomor antrean" in desktop.inner_text("main")
    assert desktop.locator("text=Kembalikan ke kunjungan rumah").count() == 1
    desktop.screenshot(path=str(SHOTS / "appt-request-desktop.png"))
