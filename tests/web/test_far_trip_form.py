"""The office page's far-trip settings: the far limit and overnight trips, on and off."""

from __future__ import annotations

from flask import Flask

from outreach.db import get_session
from outreach.office import get_office
from outreach.planning.trips import far_trip_settings
from tests.intake.yogya import admin_client, yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

ADMIN = ("admin.jauh", "rahasia-789")


def test_admin_sets_far_trips_on_the_office_page(yapp: Flask) -> None:
    client = admin_client(yapp, *ADMIN)
    session = get_session()
    office = get_office(session)
    page = client.get("/pengaturan/kantor").get_data(as_text=True)
    assert "Perjalanan jauh" in page and 'value="60"' in page
    assert (
        "Izinkan perjalanan menginap" in page
        and " checked" not in page.split("perjalanan-jauh")[1][:1500]
    )

    res = client.post(
        "/pengaturan/kantor/perjalanan-jauh",
        data={"far_trip_minutes": "120", "overnight_trips": "1"},
    )
    assert res.status_code == 303
    session.refresh(office)
    assert far_trip_settings(office.settings) == (120, True)
    page = client.get("/pengaturan/kantor").get_data(as_text=True)
    assert "Pengaturan perjalanan jauh disimpan." in page
    assert 'value="120"' in page.split('id="perjalanan-jauh"')[1]

    # Bad minutes: a clear message, nothing changed.
    for typed, message in (
        ("5", "15 sampai 300 menit"),
        ("satu jam", "angka menit"),
        ("", "angka menit"),
    ):
        res = client.post("/pengaturan/kantor/perjalanan-jauh", data={"far_trip_minutes": typed})
        assert res.status_code == 303
        assert "#" not in res.headers["Location"]  # the page's top, where the message is
        assert message in client.get("/pengaturan/kantor").get_data(as_text=True)
        session.refresh(office)
        assert far_trip_settings(office.settings) == (120, True)

    # Unticked: overnight trips off, the limit kept.
    client.post("/pengaturan/kantor/perjalanan-jauh", data={"far_trip_minutes": "120"})
    session.refresh(office)
    assert far_trip_settings(office.settings) == (120, False)

    # The coordinator may not change it.
    coord = yapp.test_client()
    coord.post("/auth/masuk", data={"username": "koordinator", "password": "rahasia-123"})
    denied = coord.post(
        "/pengaturan/kantor/perjalanan-jauh",
        data={"far_trip_minutes": "200", "overnight_trips": "1"},
    )
    assert denied.status_code == 302
    session.refresh(office)
    assert far_trip_settings(office.settings) == (120, False)
