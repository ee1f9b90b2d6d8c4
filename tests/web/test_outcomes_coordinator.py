"""The coordinator's side of the field loop, on a real approved day in Kota Yogyakarta.

Paper entry of a whole route, WhatsApp confirmations after approval, the progress JSON the
plan page and the home map poll, a request's visit history with the "perlu dihubungi" flag,
and what the resident's status page says after each kind of outcome.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.intake.status import lookup_status, visit_message
from outreach.intake.tracking import make_tracking_code
from outreach.render.confirmations import confirmation_text, whatsapp_url
from outreach.render.progress import progress_payload, today_routes
from outreach.render.route_rows import route_table
from outreach.visits import OutcomeInput, record_outcome
from outreach.web.mapping_data import office_today
from tests.field_day import DAY, PASSWORD, PHONE, FieldDay, build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template
from tests.web.html_forms import form_fields

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

PHONE_DIGITS = PHONE.lstrip("+")


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def _routes(session: Session, day: FieldDay) -> list[models.Route]:
    return list(
        session.scalars(
            select(models.Route)
            .where(models.Route.plan_id == day.plan_id)
            .order_by(models.Route.id)
        )
    )


def _route_with_letter(session: Session, day: FieldDay) -> models.Route:
    for route in _routes(session, day):
        if any(s.request_id == day.letter_request_id for s in route.stops):
            return route
    raise AssertionError("the letter is on no route")


def _outcomes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(models.VisitOutcome)) or 0)


def _record(session: Session, stop: models.Stop, outcome: str, **kw: Any) -> None:
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome=outcome, **kw)
    record_outcome(session, data, team_id=stop.route.team_id, user_id=None)
    session.commit()


def _as_lead(yapp: Flask, method: str, url: str) -> Any:
    """One request by team lead ``ketua.mawar`` from a client of their own.

    The test clients share the test's app context, and with it ``g``, where Flask-Login keeps
    the signed-in user: it is dropped afterwards so the coordinator's client is itself again.
    """
    client = yapp.test_client()
    try:
        res = client.post("/auth/masuk", data={"username": "ketua.mawar", "password": PASSWORD})
        assert res.status_code == 302
        return client.open(url, method=method)
    finally:
        g.pop("_login_user", None)


# --- paper entry -----------------------------------------------------------------------------


def test_paper_entry_defaults_close_every_stop(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    url = f"/rencana/rute/{route.id}/hasil"
    res = staff_client.get(url)
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "Catat hasil dari lembar kertas" in page and route.team.name in page
    for stop in route.stops:
        assert stop.request.tracking_code in page
        assert f'name="hasil-{stop.id}"' in page
    # Every stop defaults to selesai, persons prefilled; the first select has the focus.
    assert page.count('<option value="selesai" selected>') == len(route.stops)
    assert page.count("autofocus") == 1
    # The letter's residents are listed with masked NIK, all ticked.
    assert "Peserta 1" in page and "3471130101900001" not in page and "347113********01" in page
    form = form_fields(page, url)
    assert len(form[f"hadir-{_letter_stop(route, day).id}"]) == 4  # type: ignore[arg-type]

    res = staff_client.post(url, data=form)
    assert res.status_code == 303
    assert res.headers["Location"].endswith(f"/rencana/{day.plan_id}#rute-{route.id}")
    session.expire_all()
    rows = session.scalars(select(models.VisitOutcome)).all()
    assert len(rows) == len(route.stops)
    assert {r.source for r in rows} == {"kertas"} and {r.team_id for r in rows} == {route.team_id}
    assert all(uuid.UUID(r.client_id) for r in rows)
    for stop in route.stops:
        assert stop.request.status == "selesai"
    letter = next(r for r in rows if r.request_id == day.letter_request_id)
    assert (
        sorted(letter.attendees) == sorted(day.letter_resident_ids) and letter.persons_served == 4
    )

    # Now every stop is read-only; sending the same form again stores nothing new.
    page = staff_client.get(url).get_data(as_text=True)
    assert "Semua kunjungan rute ini sudah tercatat" in page and 'name="hasil-' not in page
    assert page.count("sudah tercatat") >= len(route.stops)
    res = staff_client.post(url, data=form, follow_redirects=True)
    assert "Tidak ada hasil baru" in res.get_data(as_text=True)
    assert _outcomes(session) == len(route.stops)


def _letter_stop(route: models.Route, day: FieldDay) -> models.Stop:
    return next(s for s in route.stops if s.request_id == day.letter_request_id)


def test_paper_entry_bad_row_stores_nothing(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    url = f"/rencana/rute/{route.id}/hasil"
    form = form_fields(staff_client.get(url).get_data(as_text=True), url)
    first, second = route.stops[0], route.stops[1]
    form[f"catatan-{first.id}"] = "pintu terkunci"
    form[f"hasil-{first.id}"] = "tidak_di_rumah"
    form[f"kartu-{second.id}"] = "9"  # more cards than persons
    res = staff_client.post(url, data=form)
    assert res.status_code == 400
    page = res.get_data(as_text=True)
    assert "Belum ada yang disimpan" in page
    assert "Jumlah kartu dicetak tidak boleh lebih dari orang dilayani." in page
    assert f'href="#kartu-{second.id}"' in page
    # What was typed is kept.
    assert 'value="pintu terkunci"' in page
    assert '<option value="tidak_di_rumah" selected>' in page
    assert _outcomes(session) == 0
    session.expire_all()
    assert all(s.request.status == "terjadwal" for s in route.stops)


def test_paper_entry_every_kind_and_attendees(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    url = f"/rencana/rute/{route.id}/hasil"
    form = form_fields(staff_client.get(url).get_data(as_text=True), url)
    letter_stop = _letter_stop(route, day)
    others = [s for s in route.stops if s.id != letter_stop.id]
    form[f"hadir-{letter_stop.id}"] = [str(i) for i in day.letter_resident_ids[:3]]
    form[f"orang-{letter_stop.id}"] = "3"
    form[f"kartu-{letter_stop.id}"] = "3"
    form[f"hasil-{others[0].id}"] = "jadwal_ulang"
    form[f"ulang_tanggal-{others[0].id}"] = (DAY + dt.timedelta(days=2)).isoformat()
    form[f"ulang_mulai-{others[0].id}"] = "13:00"
    form[f"ulang_sampai-{others[0].id}"] = "15:00"
    if len(others) > 1:
        form[f"hasil-{others[1].id}"] = "pindah_alamat"
        form[f"catatan-{others[1].id}"] = "pindah ke Sleman"
    res = staff_client.post(url, data=form)
    assert res.status_code == 303, res.get_data(as_text=True)
    session.expire_all()
    assert letter_stop.request.status == "selesai" and letter_stop.request.persons_served == 3
    assert sorted(letter_stop.outcome.attendees) == sorted(day.letter_resident_ids[:3])  # type: ignore[union-attr]
    moved = others[0].request
    assert moved.status == "terverifikasi" and moved.attempts == 1
    assert moved.pinned_date == DAY + dt.timedelta(days=2)
    if len(others) > 1:
        assert others[1].request.status == "batal"
        assert "pindah_alamat" in others[1].request.flags


def test_paper_entry_rejects_bad_reschedule_and_too_many_ticks(
    staff_client: FlaskClient, day: FieldDay
) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    url = f"/rencana/rute/{route.id}/hasil"
    form = form_fields(staff_client.get(url).get_data(as_text=True), url)
    letter_stop = _letter_stop(route, day)
    other = next(s for s in route.stops if s.id != letter_stop.id)
    form[f"orang-{letter_stop.id}"] = "2"  # four ticked
    form[f"hasil-{other.id}"] = "jadwal_ulang"
    form[f"ulang_tanggal-{other.id}"] = DAY.isoformat()  # not after the visit
    form[f"ulang_mulai-{other.id}"] = "25:00"
    res = staff_client.post(url, data=form)
    assert res.status_code == 400
    page = res.get_data(as_text=True)
    assert "lebih sedikit dari peserta yang dicentang hadir (4)" in page
    assert "Tanggal jadwal ulang harus setelah hari kunjungan." in page
    assert "Jam tidak valid" in page
    assert "2 kunjungan perlu diperbaiki" in page
    assert _outcomes(session) == 0


def test_paper_entry_shows_field_outcomes_read_only(
    staff_client: FlaskClient, day: FieldDay
) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    first = route.stops[0]
    _record(session, first, "tidak_di_rumah", note="rumah kosong")
    url = f"/rencana/rute/{route.id}/hasil"
    page = staff_client.get(url).get_data(as_text=True)
    assert f'name="hasil-{first.id}"' not in page and "Tidak di rumah" in page
    assert "rumah kosong" in page
    form = form_fields(page, url)
    assert staff_client.post(url, data=form).status_code == 303
    assert _outcomes(session) == len(route.stops)
    session.expire_all()
    assert first.outcome.source == "lapangan"  # type: ignore[union-attr]


def test_paper_entry_needs_permission_and_an_approved_route(
    yapp: Flask, staff_client: FlaskClient, day: FieldDay
) -> None:
    session = get_session()
    route = _routes(session, day)[0]
    res = _as_lead(yapp, "GET", f"/rencana/rute/{route.id}/hasil")
    assert res.status_code == 302 and res.headers["Location"] == "/lapangan/"
    assert staff_client.get("/rencana/rute/999999/hasil").status_code == 404
    route.plan.status = "superseded"
    session.commit()
    page = staff_client.get(f"/rencana/rute/{route.id}/hasil").get_data(as_text=True)
    assert "belum disetujui" in page and "<button" not in page.split("paper-form")[1]
    res = staff_client.post(f"/rencana/rute/{route.id}/hasil", data={})
    assert res.status_code == 400 and _outcomes(session) == 0


# --- confirmations ---------------------------------------------------------------------------


def test_confirmation_text_and_link(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    route = _route_with_letter(session, day)
    table = route_table(route, reveal=True)
    home = next(s for s in table.stops if not s.collective)
    text = confirmation_text(home, office_name="Disdukcapil Kota Yogyakarta", day=DAY)
    assert text.startswith(f"Yth. Bapak/Ibu {home.contact_name},")
    assert "Disdukcapil Kota Yogyakarta" in text and "Senin, 23 November 2026" in text
    start, end = home.window_start, home.window_end
    assert f"antara pukul {start:%H.%M} dan {end:%H.%M}" in text
    assert "Kartu Keluarga (KK) asli" in text and "KTP-el lama, bila ada" in text
    assert f"kode permohonan {home.tracking_code}" in text
    assert home.nik not in text and PHONE not in text
    collective = next(s for s in table.stops if s.collective)
    text = confirmation_text(collective, office_name="X", day=DAY)
    assert "kunjungan kolektif" in text and "Balai RW 07" in text and "Pak RW" in text
    url = whatsapp_url(home.contact_phone, "Halo & salam")
    assert url == f"https://wa.me/{PHONE_DIGITS}?text=Halo%20%26%20salam"
    assert whatsapp_url("0812-3456-7890", "x") == "https://wa.me/6281234567890?text=x"
    assert whatsapp_url(None, "x") is None
    # A first-time applicant has no old card to bring.
    import dataclasses

    pemula = dataclasses.replace(home, category="pemula")
    text = confirmation_text(pemula, office_name="X", day=DAY)
    assert "Kartu Keluarga (KK) asli" in text and "KTP-el lama" not in text


def test_plan_page_confirmations_and_mark_sent(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    page = staff_client.get(f"/rencana/{day.plan_id}").get_data(as_text=True)
    stops = [s for r in _routes(session, day) for s in r.stops]
    links = re.findall(r'<a class="wa-link" href="([^"]+)" rel="noreferrer" target="_blank"', page)
    assert len(links) == len(stops)
    text = unquote(links[0].split("?text=")[1].replace("&amp;", "&"))
    assert "Senin, 23 November 2026" in text and "Mohon" in text
    # The number is only ever inside the outbound wa.me links.
    assert page.count(PHONE_DIGITS) == sum(link.count(PHONE_DIGITS) for link in links)
    assert PHONE not in page and "3471135403500001" not in page
    assert page.count("Tandai terkirim") == len(stops)

    stop = stops[0]
    res = staff_client.post(f"/rencana/kunjungan/{stop.id}/konfirmasi")
    assert res.status_code == 303
    assert res.headers["Location"].endswith(f"/rencana/{day.plan_id}#kunjungan-{stop.id}")
    session.expire_all()
    assert stop.confirmation_sent_at is not None
    page = staff_client.get(f"/rencana/{day.plan_id}").get_data(as_text=True)
    assert page.count("Tandai terkirim") == len(stops) - 1 and "terkirim" in page
    assert staff_client.post("/rencana/kunjungan/999999/konfirmasi").status_code == 404


def test_plan_page_progress_and_links(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    routes = _routes(session, day)
    page = staff_client.get(f"/rencana/{day.plan_id}").get_data(as_text=True)
    assert f'data-progress-url="/rencana/{day.plan_id}/kemajuan.json"' in page
    assert "progress.js" in page
    for route in routes:
        assert f"dikunjungi 0 / {len(route.stops)}" in page
        assert f'href="/rencana/rute/{route.id}/hasil"' in page
        for stop in route.stops:
            assert f'data-stop-outcome="{stop.id}"' in page
    assert "Catat hasil (lembar kertas)" in page
    _record(session, routes[0].stops[0], "selesai")
    page = staff_client.get(f"/rencana/{day.plan_id}").get_data(as_text=True)
    assert f"dikunjungi 1 / {len(routes[0].stops)}" in page
    assert 'class="badge outcome outcome-selesai">Selesai<' in page


# --- progress JSON ---------------------------------------------------------------------------


def test_progress_json(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    routes = _routes(session, day)
    res = staff_client.get(f"/rencana/{day.plan_id}/kemajuan.json")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "private, no-store"
    data = res.get_json()
    assert [r["route_id"] for r in data["routes"]] == [r.id for r in routes]
    assert all(r["done"] == 0 for r in data["routes"]) and data["stops"] == {}
    stop = routes[0].stops[0]
    _record(session, stop, "tidak_di_rumah", note="tidak ada orang")
    data = staff_client.get(f"/rencana/{day.plan_id}/kemajuan.json").get_json()
    first = data["routes"][0]
    assert first["done"] == 1 and first["text"] == f"dikunjungi 1 / {len(routes[0].stops)}"
    assert data["stops"] == {str(stop.id): {"outcome": "tidak_di_rumah", "label": "Tidak di rumah"}}
    assert data["done"] == 1 and data["planned"] == sum(len(r.stops) for r in routes)
    # Names, NIK, phone numbers and notes never travel in it.
    body = res.get_data(as_text=True) + str(data)
    assert "Warga" not in body and "tidak ada orang" not in body and PHONE_DIGITS not in body
    assert staff_client.get("/rencana/999999/kemajuan.json").status_code == 404


def test_progress_json_needs_sign_in(yclient: FlaskClient, day: FieldDay) -> None:
    res = yclient.get(f"/rencana/{day.plan_id}/kemajuan.json")
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]


def test_today_progress_on_the_home_map(
    yapp: Flask, staff_client: FlaskClient, day: FieldDay
) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    today = office_today(office)
    routes = _routes(session, day)
    assert [r.id for r in today_routes(session, office.id, DAY)] == sorted(
        (r.id for r in routes),
        key=lambda rid: session.get(models.Route, rid).team.name,  # type: ignore[union-attr]
    )
    data = staff_client.get("/rencana/hari-ini/kemajuan.json").get_json()
    if today != DAY:
        assert data["routes"] == []
        for route in routes:  # move the day to today
            route.route_date = today
        session.commit()
    _record(session, routes[0].stops[0], "selesai")
    data = staff_client.get("/rencana/hari-ini/kemajuan.json").get_json()
    assert {r["route_id"] for r in data["routes"]} == {r.id for r in routes}
    assert data["done"] == 1 and str(routes[0].stops[0].id) in data["stops"]
    page = staff_client.get("/").get_data(as_text=True)
    assert 'data-progress-url="/rencana/hari-ini/kemajuan.json"' in page
    assert "Kemajuan rute hari ini" in page and "progress.js" in page
    total = sum(len(r.stops) for r in routes)
    assert f"dikunjungi 1 / {total}" in page
    for route in routes:
        assert route.team.name in page
    # Team leads follow their own route on the field page, not every team's.
    res = _as_lead(yapp, "GET", "/rencana/hari-ini/kemajuan.json")
    assert res.status_code == 403 and res.is_json
    assert "Kemajuan rute hari ini" not in _as_lead(yapp, "GET", "/").get_data(as_text=True)
    assert progress_payload(session, [])["routes"] == []


# --- request page: history and the "perlu dihubungi" flag -------------------------------------


def test_request_history_and_clear_flag(
    yapp: Flask, staff_client: FlaskClient, day: FieldDay
) -> None:
    session = get_session()
    req = session.get(models.ServiceRequest, day.request_ids[0])
    assert req is not None
    stop = session.scalar(select(models.Stop).where(models.Stop.request_id == req.id))
    assert stop is not None
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "Riwayat kunjungan" in page and "Belum pernah dikunjungi." in page
    _record(session, stop, "tidak_di_rumah", note="tetangga bilang ke pasar")
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "23-11-2026" in page and stop.route.team.name in page
    assert "Tidak di rumah" in page and "tetangga bilang ke pasar" in page
    assert "Lapangan (HP)" in page and "Kunjungan belum berhasil: 1 kali" in page
    assert "Sudah dihubungi, rencanakan lagi" not in page

    # Third failed attempt (as the domain leaves it): the flag and the button show.
    req.attempts = 3
    req.flags = [*req.flags, "perlu_dihubungi"]
    session.commit()
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "Perlu dihubungi (3 kali gagal)" in page
    assert "Sudah dihubungi, rencanakan lagi" in page
    res = _as_lead(yapp, "POST", f"/koordinator/permohonan/{req.id}/sudah-dihubungi")
    assert res.status_code == 302
    session.expire_all()
    assert "perlu_dihubungi" in req.flags
    res = staff_client.post(f"/koordinator/permohonan/{req.id}/sudah-dihubungi")
    assert res.status_code == 303
    session.expire_all()
    assert "perlu_dihubungi" not in req.flags and req.attempts == 3  # still counted
    assert req.status == "terverifikasi"
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert "akan direncanakan lagi" in page and "Sudah dihubungi, rencanakan lagi" not in page
    assert staff_client.post("/koordinator/permohonan/999999/sudah-dihubungi").status_code == 404


def test_moved_flag_label(staff_client: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    stop = session.scalar(select(models.Stop).where(models.Stop.request_id == day.request_ids[1]))
    assert stop is not None
    _record(session, stop, "pindah_alamat", note="ke Bantul")
    page = staff_client.get(f"/koordinator/permohonan/{stop.request_id}").get_data(as_text=True)
    assert "Pindah alamat: teruskan ke Dukcapil tujuan" in page and "Pindah alamat" in page


# --- the resident's status page --------------------------------------------------------------

DATE_TEXT = "Senin, 23 November 2026"
EXPECTED = {
    "selesai": f"Perekaman selesai pada {DATE_TEXT}. KTP-el sudah dicetak",
    "tidak_di_rumah": f"Tim datang pada {DATE_TEXT} tetapi belum berhasil bertemu. Permohonan "
    "Anda dijadwalkan ulang; kami akan mengabari.",
    "jadwal_ulang": f"Tim datang pada {DATE_TEXT} tetapi belum berhasil bertemu.",
    "menolak": f"Permohonan ini sudah ditutup pada {DATE_TEXT}.",
    "meninggal": f"Permohonan ini sudah ditutup pada {DATE_TEXT}.",
    "pindah_alamat": f"Permohonan ditutup pada {DATE_TEXT} karena alamat sudah pindah.",
}


def test_status_after_each_outcome(yclient: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    codes: dict[str, str] = {}
    for request_id, outcome in zip(day.request_ids, EXPECTED, strict=True):
        req = session.get(models.ServiceRequest, request_id)
        assert req is not None
        req.tracking_code = codes[outcome] = make_tracking_code()
        session.commit()
        before = lookup_status(session, req.tracking_code, PHONE[-4:])
        assert before is not None and before.visit_message == "" and before.last_visit_date is None
        assert before.scheduled_date == DAY
        stop = session.scalar(select(models.Stop).where(models.Stop.request_id == request_id))
        assert stop is not None
        _record(session, stop, outcome, note="catatan internal tim")
    for outcome, code in codes.items():
        view = lookup_status(session, code, PHONE[-4:])
        assert view is not None
        assert EXPECTED[outcome] in view.visit_message, (outcome, view.visit_message)
        assert view.last_visit_date == DAY
        # A visit that happened is not the schedule any more.
        assert view.scheduled_date is None or view.scheduled_date > DAY
        res = yclient.post("/layanan/status", data={"kode": code, "hp4": PHONE[-4:]})
        assert res.status_code == 200
        page = res.get_data(as_text=True)
        assert EXPECTED[outcome] in page
        # Nothing else about the visit: no team, no note, no reason code.
        assert "catatan internal tim" not in page and "Tim Mawar" not in page
        assert "Tim Melati" not in page


def test_visit_message_wording() -> None:
    assert visit_message("selesai", "selesai", DAY, services=("kia",)) == (
        f"Layanan selesai pada {DATE_TEXT}. Dokumen akan diserahkan sesuai keterangan petugas."
    )
    text = visit_message("selesai", "selesai", DAY, services=("perekaman_ktp",))
    assert text.endswith("kami akan mengabari bila sudah dapat diambil di kantor Disdukcapil.")
    # A part of a split collective visit done while the rest waits: nothing to say yet.
    assert visit_message("selesai", "terjadwal", DAY, services=("perekaman_ktp",)) == ""
    # The request moved on since (e.g. re-planned and closed): the old visit says nothing.
    assert visit_message("tidak_di_rumah", "selesai", DAY) == ""
    assert "silakan ajukan kembali" in visit_message("menolak", "batal", DAY)
    assert (
        visit_message("meninggal", "batal", DAY)
        == f"Permohonan ini sudah ditutup pada {DATE_TEXT}."
    )
