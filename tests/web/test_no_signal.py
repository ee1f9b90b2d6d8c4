"""Areas "tanpa sinyal" (issue 13, section 4): the flag, and what it changes on paper and phone.

The admin (office page) or the CLI marks a kelurahan without mobile signal; routes visiting it
say so on the plan page and the printed route sheet. The field page opened before departure is
enough: with the phone offline an outcome is kept on the phone, and sent when back online.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office import get_office
from outreach.render.route_rows import no_signal_areas, route_table
from tests.browser.conftest import browser, live_server
from tests.browser.test_field_offline import (
    outcome_count,
    record,
    sign_in,
    wait_for_count,
    wait_until_ready_offline,
)
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import SEMAKI, admin_client, staff_client, yapp, yogya_app, yogya_template
from tests.web.test_field import shift_plan_to, today_of

__all__ = ["browser", "live_server", "staff_client", "yapp", "yogya_template"]

BANNER = "Area tanpa sinyal: cetak lembar rute dan buka halaman lapangan sebelum berangkat"
ADMIN = ("admin.sinyal", "rahasia-789")


def _routes(session: Any) -> dict[str, models.Route]:
    return {r.team.name: r for r in session.scalars(select(models.Route))}


def _move_route_elsewhere(session: Any, route: models.Route) -> str:
    """Put every request of ``route`` in another kelurahan than Semaki; its name."""
    other = session.scalar(
        select(models.Kelurahan)
        .where(models.Kelurahan.code != SEMAKI)
        .where(models.Kelurahan.region_slug == "kota-yogyakarta")
        .order_by(models.Kelurahan.code)
    )
    for stop in route.stops:
        stop.request.kelurahan_id = other.id
    session.commit()
    return str(other.name)


@pytest.fixture
def field_day(yapp: Flask) -> dict[str, Any]:
    session = get_session()
    day = build_field_day(session, travel_for(yapp))
    routes = _routes(session)
    elsewhere = _move_route_elsewhere(session, routes["Tim Melati"])
    return {
        "plan_id": day.plan_id,
        "mawar": routes["Tim Mawar"].id,
        "melati": routes["Tim Melati"].id,
        "elsewhere": elsewhere,
    }


def _banners(html: str) -> list[str]:
    return re.findall(r'data-no-signal="(\d+)"', html)


def test_cli_flag_marks_the_plan_page_and_the_sheet(
    yapp: Flask, staff_client: FlaskClient, field_day: dict[str, Any]
) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "region", "no-signal", SEMAKI, "--on"])
    assert res.exit_code == 0, res.output
    assert "Semaki: no signal" in res.output
    get_session().expire_all()

    page = staff_client.get(f"/rencana/{field_day['plan_id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _banners(html) == [str(field_day["mawar"])]  # only the route that goes there
    assert BANNER in html and "(Semaki)" in html
    routes = {r.id: r for r in get_session().scalars(select(models.Route))}
    assert no_signal_areas(routes[field_day["mawar"]]) == ("Semaki",)
    assert route_table(routes[field_day["mawar"]]).no_signal_areas == ("Semaki",)
    assert no_signal_areas(routes[field_day["melati"]]) == ()

    sheet = staff_client.get(f"/lembar/rute/{field_day['mawar']}").get_data(as_text=True)
    assert BANNER in sheet and _banners(sheet) == [str(field_day["mawar"])]
    other = staff_client.get(f"/lembar/rute/{field_day['melati']}").get_data(as_text=True)
    assert BANNER not in other

    pdf = staff_client.get(f"/lembar/rute/{field_day['mawar']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    Path("/tmp/shots").mkdir(exist_ok=True)
    Path("/tmp/shots/remote-sheet.pdf").write_bytes(pdf.data)

    res = runner.invoke(args=["outreach", "region", "no-signal", SEMAKI, "--off"])
    assert res.exit_code == 0, res.output
    get_session().expire_all()
    assert BANNER not in staff_client.get(f"/rencana/{field_day['plan_id']}").get_data(as_text=True)


def test_cli_refuses_an_unknown_code(yapp: Flask) -> None:
    res = yapp.test_cli_runner().invoke(args=["outreach", "region", "no-signal", "99.99", "--on"])
    assert res.exit_code == 1
    assert "tidak ditemukan" in res.output


def test_cli_office_trips_sets_far_minutes_and_overnight(yapp: Flask) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "office", "trips", "--far-minutes", "90"])
    assert res.exit_code == 0, res.output
    assert "far trip above 90 min" in res.output and "overnight trips off" in res.output
    res = runner.invoke(args=["outreach", "office", "trips", "--overnight"])
    assert res.exit_code == 0 and "overnight trips on" in res.output
    res = runner.invoke(args=["outreach", "office", "trips", "--far-minutes", "5"])
    assert res.exit_code == 1 and "15 sampai 300" in res.output
    get_session().expire_all()
    planning = get_office(get_session()).settings["planning"]
    assert planning["far_trip_minutes"] == 90 and planning["overnight_trips"] is True


def test_admin_marks_and_clears_a_kelurahan_on_the_office_page(yapp: Flask) -> None:
    client = admin_client(yapp, *ADMIN)
    session = get_session()
    page = client.get("/pengaturan/kantor").get_data(as_text=True)
    assert "Area tanpa sinyal" in page and "Belum ada kelurahan/desa yang ditandai." in page

    res = client.post("/pengaturan/kantor/tanpa-sinyal", data={"code": SEMAKI, "no_signal": "1"})
    assert res.status_code == 303
    page = client.get("/pengaturan/kantor").get_data(as_text=True)
    assert "Semaki ditandai tanpa sinyal." in page
    assert "Hapus tanda" in page
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    session.refresh(semaki)
    assert semaki is not None and semaki.no_signal

    res = client.post("/pengaturan/kantor/tanpa-sinyal", data={"code": "bukan", "no_signal": "1"})
    assert res.status_code == 303
    assert "tidak ditemukan" in client.get("/pengaturan/kantor").get_data(as_text=True)
    client.post("/pengaturan/kantor/tanpa-sinyal", data={"code": SEMAKI, "no_signal": "0"})
    session.refresh(semaki)
    assert not semaki.no_signal

    # The coordinator may not change it (office.manage is the admin's).
    coord = yapp.test_client()
    coord.post("/auth/masuk", data={"username": "koordinator", "password": "rahasia-123"})
    denied = coord.post("/pengaturan/kantor/tanpa-sinyal", data={"code": SEMAKI, "no_signal": "1"})
    assert denied.status_code == 302  # sent home with "not allowed"
    session.refresh(semaki)
    assert not semaki.no_signal


# --- the field page opened before departure, then no signal (real Chromium) ------------------


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    app = yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        shift_plan_to(session, day.plan_id, today_of(session))
        semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
        assert semaki is not None
        semaki.no_signal = True
        session.commit()
        route = _routes(session)["Tim Mawar"]
        app.config["TEST_STOP_IDS"] = [s.id for s in route.stops]
    return app


@pytest.fixture
def phone(browser: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 400, "height": 800}, locale="id-ID", service_workers="allow"
    )
    try:
        yield context
    finally:
        context.close()


@pytest.mark.browser
def test_field_page_opened_before_departure_works_without_signal(
    live_server: str, live_app: Flask, phone: BrowserContext
) -> None:
    first, second = live_app.config["TEST_STOP_IDS"][:2]
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server)  # at the office, with signal
    wait_until_ready_offline(page)

    phone.set_offline(True)  # in the desa without signal
    expect(page.locator("[data-net]")).to_contain_text("Tanpa sinyal")
    record(page, first, "Selesai")
    expect(page.locator("[data-unsent]")).to_have_text("1 hasil belum terkirim")
    response = page.reload()  # the page itself reloads with no signal (service worker)
    assert response is not None and response.from_service_worker
    record(page, second, "Tidak di rumah")
    expect(page.locator("[data-unsent]")).to_have_text("2 hasil belum terkirim")
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.screenshot(path="/tmp/shots/remote-field-offline.png", full_page=False)
    assert outcome_count(live_app) == 0

    phone.set_offline(False)  # back at the office
    wait_for_count(live_app, 2)
    expect(page.locator("[data-unsent]")).to_be_hidden()
    assert errors == []
