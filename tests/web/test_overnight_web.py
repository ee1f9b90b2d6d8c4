"""Overnight trips on paper and phone (issue 13, section 4): the lodging instead of the way back.

The approved field day of tests/field_day.py, with its two routes marked as the two days of an
overnight trip on the stored rows (the planner's side is tested in
tests/planning/test_overnight_trips.py): Tim Mawar's route ends at the lodging near its last
visit, Tim Melati's leaves from it. The plan page, the route sheet (HTML and PDF) and the team
lead's field page say so.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import BrowserContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.planning.records import stop_site_id
from tests.browser.conftest import browser, live_server
from tests.browser.test_field_offline import sign_in as phone_sign_in
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yogya_app, yogya_template
from tests.web.test_field import shift_plan_to, sign_in, today_of

__all__ = ["browser", "live_server", "staff_client", "yapp", "yogya_template"]

SHOTS = Path("/tmp/shots")


def mark_overnight(session: Session) -> dict[str, Any]:
    """Tim Mawar's route ends at the lodging near its last visit; Tim Melati's leaves from it."""
    routes = {r.team.name: r for r in session.scalars(select(models.Route))}
    first, second = routes["Tim Mawar"], routes["Tim Melati"]
    last = first.stops[-1]
    area = last.request.kelurahan.name if last.request.kelurahan else ""
    first.ends_at_lodging = True
    first.lodging_area = area
    first.travel_time_s = sum(s.travel_time_s for s in first.stops)
    first.distance_m = sum(s.distance_m for s in first.stops)
    first.end_at = last.departure_at
    first.return_geometry = []
    second.lodging_site_id = stop_site_id(last)
    second.lodging_area = area
    session.commit()
    return {"first": first.id, "second": second.id, "area": area}


@pytest.fixture
def overnight(yapp: Flask) -> dict[str, Any]:
    session = get_session()
    day = build_field_day(session, travel_for(yapp))
    shift_plan_to(session, day.plan_id, today_of(session))
    return {"plan_id": day.plan_id, **mark_overnight(session)}


def test_plan_page_and_sheet_show_the_lodging(
    staff_client: FlaskClient, overnight: dict[str, Any]
) -> None:
    area = overnight["area"]
    assert area
    page = staff_client.get(f"/rencana/{overnight['plan_id']}").get_data(as_text=True)
    assert f"Menginap di sekitar {area}; besok berangkat dari sana" in page
    assert f"Berangkat dari penginapan ({area})" in page
    assert page.count("Tiba kembali di kantor") == 1  # only Tim Melati's day 2 drives back

    sheet = staff_client.get(f"/lembar/rute/{overnight['first']}").get_data(as_text=True)
    assert f"Menginap di sekitar {area}" in sheet
    assert "Tiba kembali di kantor" not in sheet
    assert "Selesai (menginap)" in sheet
    back = staff_client.get(f"/lembar/rute/{overnight['second']}").get_data(as_text=True)
    assert f"Berangkat dari penginapan ({area})" in back
    assert "Tiba kembali di kantor" in back

    pdf = staff_client.get(f"/lembar/rute/{overnight['first']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "overnight-sheet.pdf").write_bytes(pdf.data)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(SHOTS / "overnight-sheet.pdf"),
            str(SHOTS / "overnight-sheet-pdf"),
        ],
        check=True,
    )


def test_team_lead_phone_page_says_where_the_team_sleeps(
    yapp: Flask, overnight: dict[str, Any]
) -> None:
    area = overnight["area"]
    mawar = yapp.test_client()
    assert sign_in(mawar, "ketua.mawar").status_code == 302
    page = mawar.get("/lapangan/").get_data(as_text=True)
    assert f"Menginap di sekitar {area}; besok berangkat dari sana" in page
    assert "menginap" in page and "Kembali ke kantor" not in page
    melati = yapp.test_client()
    assert sign_in(melati, "ketua.melati").status_code == 302
    page = melati.get("/lapangan/").get_data(as_text=True)
    assert f"Berangkat dari penginapan ({area})" in page
    assert "Berangkat dari kantor" not in page


# --- screenshots: the sheet on a desktop, the field page on a phone (real Chromium) ----------


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        shift_plan_to(session, day.plan_id, today_of(session))
        app.config["OVERNIGHT"] = mark_overnight(session)
    return app


@pytest.fixture
def desktop(browser: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 400, "height": 800}, locale="id-ID")
    try:
        yield context
    finally:
        context.close()


@pytest.mark.browser
def test_screenshots_of_the_sheet_and_the_phone_page(
    live_server: str, live_app: Flask, desktop: BrowserContext, phone: BrowserContext
) -> None:
    marks = live_app.config["OVERNIGHT"]
    SHOTS.mkdir(exist_ok=True)
    page = desktop.new_page()
    page.goto(live_server + "/auth/masuk")
    page.fill("input[name=username]", "koordinator")
    page.fill("input[name=password]", "rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/lembar/rute/{marks['first']}")
    lodging = page.locator(".event[data-lodging-end]")
    assert "Menginap di sekitar" in lodging.inner_text()
    lodging.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "overnight-sheet-end.png"))
    page.goto(f"{live_server}/lembar/rute/{marks['first']}")
    page.screenshot(path=str(SHOTS / "overnight-sheet.png"))
    mobile = phone.new_page()
    phone_sign_in(mobile, live_server)
    end = mobile.locator("[data-lodging-end]")
    assert "Menginap di sekitar" in end.inner_text()
    mobile.screenshot(path=str(SHOTS / "overnight-phone.png"))
    end.scroll_into_view_if_needed()
    mobile.screenshot(path=str(SHOTS / "overnight-phone-end.png"))
