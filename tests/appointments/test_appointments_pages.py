"""The office desk's pages, the request page's actions, the status page and the CLI."""

from __future__ import annotations

import datetime as dt
import io

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from outreach import appointments, models
from outreach.db import get_session
from outreach.privacy import mask_nik
from outreach.web.auth import hash_password
from tests.appointments.appt_helpers import PHONE, add_request, office

MONDAY = dt.date(2026, 12, 7)


def _sign_in(app: Flask, username: str, role: str) -> FlaskClient:
    session = get_session()
    session.add(
        models.User(
            username=username,
            password_hash=hash_password("rahasia-123"),
            role=role,
            office_id=office(session).id,
        )
    )
    session.commit()
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": "rahasia-123"})
    assert res.status_code == 302
    return client


def _booked_day(n: int = 3) -> list[models.Appointment]:
    session = get_session()
    rows = [
        appointments.book(session, add_request(session, i), earliest=MONDAY)
        for i in range(1, n + 1)
    ]
    session.commit()
    return rows


def test_day_list_for_the_desk_marks_and_rolls_over(yapp: Flask, staff_client: FlaskClient) -> None:
    rows = _booked_day()
    res = staff_client.get("/kantor/antrean?tanggal=2026-12-07")
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "private, no-store"
    assert "Senin, 7 Desember 2026" in page
    for row in rows:
        assert appointments.queue_label(row) in page
        assert row.request.person_name in page
        assert row.request.nik in page  # a coordinator has personal.view
    assert "Sisa kapasitas kartu" in page
    # Marking before the session is refused in Indonesian on the queue page, after it is recorded.
    first, second = rows[0].id, rows[1].id
    res = staff_client.post(
        f"/kantor/antrean/{first}/tandai", data={"hadir": "came"}, follow_redirects=True
    )
    assert res.status_code == 200 and "/kantor/antrean" in res.request.path
    assert "belum berlangsung" in res.get_data(as_text=True)
    session = get_session()
    slot = rows[0].office_session
    slot.day = dt.date(2020, 1, 6)  # move the session into the past (a Monday)
    session.get(models.Appointment, second).office_session.day = dt.date(2020, 1, 6)
    session.commit()
    res = staff_client.post(f"/kantor/antrean/{first}/tandai", data={"hadir": "came"})
    assert res.status_code == 303
    res = staff_client.post(f"/kantor/antrean/{second}/tandai", data={"hadir": "no_show"})
    assert res.status_code == 303
    assert session.get(models.Appointment, first).status == "came"
    res = staff_client.post(
        f"/kantor/antrean/{second}/tandai", data={"hadir": "no_show"}, follow_redirects=True
    )
    assert "sudah ditandai" in res.get_data(as_text=True)
    res = staff_client.post(f"/kantor/antrean/{first + 99}/tandai", data={"hadir": "came"})
    assert res.status_code == 404
    res = staff_client.post("/kantor/antrean/gulirkan", data={"tanggal": "2020-01-06"})
    assert res.status_code == 303
    assert appointments.active_appointment(session, rows[1].request_id) is not None


def test_bad_input_gives_indonesian_errors(yapp: Flask, staff_client: FlaskClient) -> None:
    for url in (
        "/kantor/antrean?tanggal=kemarin",
        "/kantor/antrean?tanggal=2026-02-30",
        "/kantor/antrean.pdf?tanggal=2026-13-01",
    ):
        res = staff_client.get(url)
        assert res.status_code == 400, url
        assert "Tanggal tidak sah" in res.get_data(as_text=True)
    res = staff_client.post("/kantor/antrean/gulirkan", data={"tanggal": "x"})
    assert res.status_code == 400
    rows = _booked_day(1)
    res = staff_client.post(
        f"/kantor/antrean/{rows[0].id}/tandai", data={"hadir": "mungkin"}, follow_redirects=True
    )
    assert "tidak dikenal" in res.get_data(as_text=True)
    admin = _sign_in(yapp, "admin.uji", "admin")
    res = admin.post(
        "/kantor/pengaturan", data={"sessions": "08:00-10:00,09:00-11:00", "persons": "x"}
    )
    assert res.status_code == 400
    assert "bertumpang tindih" in res.get_data(as_text=True)
    res = admin.post("/kantor/pengaturan", data={"sessions": "08:00-11:00", "persons": "6"})
    assert res.status_code == 303
    assert appointments.read_settings(office(get_session())).persons_per_session == 6


def test_pages_by_role(yapp: Flask, yclient: FlaskClient) -> None:
    rows = _booked_day(1)
    assert yclient.get("/kantor/antrean").status_code == 302  # sign in first
    head = _sign_in(yapp, "kepala", "head")
    res = head.get("/kantor/antrean?tanggal=2026-12-07")
    assert res.status_code == 302 and rows[0].request.person_name not in res.get_data(as_text=True)
    lead = yapp.test_client()
    lead.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    assert lead.get("/kantor/antrean").status_code == 302
    assert lead.post(f"/kantor/permohonan/{rows[0].request_id}/kunjungan-rumah").status_code == 302
    coordinator = _sign_in(yapp, "koordinator.dua", "coordinator")
    assert coordinator.get("/kantor/pengaturan").status_code == 302  # office.manage: admin only
    # The PDF masks NIK whatever the role.
    res = coordinator.get("/kantor/antrean.pdf?tanggal=2026-12-07")
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(res.data)).pages)
    nik = rows[0].request.nik
    assert nik not in text and mask_nik(nik) in text
    assert "A-01" in text


def test_request_page_moves_and_status_page_shows_the_queue_number(
    yapp: Flask, staff_client: FlaskClient, yclient: FlaskClient
) -> None:
    session = get_session()
    req = add_request(session, 1)
    session.commit()
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "Undang ke kantor" in page
    res = staff_client.post(f"/kantor/permohonan/{req.id}/undang")
    assert res.status_code == 303
    row = appointments.active_appointment(session, req.id)
    assert row is not None
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "Kembalikan ke kunjungan rumah" in page
    assert "diundang ke kantor: Nomor antrean" in page
    # The queue number stays on the request page (not only in the one-time message).
    again = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert appointments.describe(row) in again
    res = yclient.post("/layanan/status", data={"kode": req.tracking_code, "hp4": PHONE[-4:]})
    status = res.get_data(as_text=True)
    assert res.status_code == 200
    assert appointments.describe(row) in status
    assert "Layanan di kantor Disdukcapil" in status
    # What to prepare: coming to the office, not waiting at home.
    assert "Datang ke kantor Disdukcapil 15 menit sebelum sesi" in status
    assert "ada di rumah dan dapat difoto" not in status
    assert req.person_name not in status and req.nik not in status
    res = staff_client.post(f"/kantor/permohonan/{req.id}/kunjungan-rumah")
    assert res.status_code == 303
    assert get_session().get(models.ServiceRequest, req.id).status == "terverifikasi"
    res = yclient.post("/layanan/status", data={"kode": req.tracking_code, "hp4": PHONE[-4:]})
    assert "Nomor antrean" not in res.get_data(as_text=True)
    assert "ada di rumah dan dapat difoto" in res.get_data(as_text=True)
    # Twice in a row: a clear message, not a 500.
    res = staff_client.post(f"/kantor/permohonan/{req.id}/kunjungan-rumah", follow_redirects=True)
    assert res.status_code == 200 and "tidak sedang dilayani di kantor" in res.get_data(
        as_text=True
    )


def test_cli_list_and_roll_over(yapp: Flask) -> None:
    rows = _booked_day(2)
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "appointments", "list", "--date", "2026-12-07"])
    assert res.exit_code == 0, res.output
    assert "A-01" in res.output and "A-02" in res.output
    assert rows[0].request.nik not in res.output
    assert mask_nik(rows[0].request.nik) in res.output
    res = runner.invoke(args=["outreach", "appointments", "list", "--date", "7-12-2026"])
    assert res.exit_code == 1 and "not a date" in res.output
    res = runner.invoke(args=["outreach", "appointments", "roll-over", "--date", "2026-12-07"])
    assert res.exit_code == 0 and "0 rolled over" in res.output
