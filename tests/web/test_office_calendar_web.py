"""The office calendar on the web (issue 10, section 1): holidays and cuti bersama of 2026,
the office's own closed and open dates, Ramadan hours, break lengths, and teams away.

Each form is tried with good input (saved, 303 and a flash) and with each kind of bad input
(the form again, HTTP 400, the Indonesian message, what was typed kept, nothing saved).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, or_, select

from outreach import models
from outreach.db import get_session
from outreach.office import get_office, save_team
from outreach.planning.records import rules_for, team_spec
from outreach.staff import hash_password
from outreach.web.mapping_data import office_today
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

ADMIN = ("admin.kantor", "rahasia-456")
CALENDAR = "/pengaturan/kalender"
DAYS = "/pengaturan/kalender/tanggal"
HOURS = "/pengaturan/kalender/jam"
PLAIN = (
    "Hari libur nasional dan cuti bersama tertutup untuk kunjungan rumah kecuali ditandai "
    "Tetap buka."
)


def sign_in(app: Flask, username: str, password: str = "rahasia-123") -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(yapp: Flask) -> FlaskClient:
    # The app context is shared by every request: forget the user Flask-Login keeps in ``g``
    # so several signed-in clients can take turns.
    @yapp.before_request
    def _forget_user() -> None:
        g.pop("_login_user", None)

    session = get_session()
    session.add(
        models.User(
            username=ADMIN[0],
            full_name="Admin Kantor",
            password_hash=hash_password(ADMIN[1]),
            role="admin",
            office_id=get_office(session).id,
        )
    )
    session.commit()
    return sign_in(yapp, *ADMIN)


@pytest.fixture
def team_id(yapp: Flask) -> int:
    session = get_session()
    team = save_team(session, get_office(session), name="Tim Mawar", skills=["perekaman_ktp"])
    session.commit()
    return team.id


def count(model: Any) -> int:
    query = select(func.count()).select_from(model)
    if model is models.AuditEvent:  # the calendar's own rows, not the rest of the trail
        query = query.where(
            or_(model.action.like("calendar.%"), model.entity.in_(("office_day", "office_hours")))
        )
    return int(get_session().scalar(query) or 0)


def office_days() -> dict[dt.date, models.OfficeDay]:
    get_session().expire_all()
    return {d.day: d for d in get_office(get_session()).calendar_days}


def refused(res: Any, message: str, *typed: str) -> str:
    """The form shown again (400) with ``message`` and what was typed."""
    page = res.get_data(as_text=True)
    assert res.status_code == 400, page
    assert message in page, page
    for text in typed:
        assert f'value="{text}"' in page, text
    return page


# --- the year -----------------------------------------------------------------------------------


def test_the_year_lists_holidays_and_cuti_bersama_closed_with_plain_words(
    admin_client: FlaskClient,
) -> None:
    page = admin_client.get(f"{CALENDAR}?tahun=2026").get_data(as_text=True)
    assert "Kalender kantor 2026" in page
    assert PLAIN in page
    # National holidays and the cuti bersama of the SKB 3 Menteri, dated in Indonesian.
    assert "Jumat, 25 Desember 2026" in page and "Hari Raya Natal" in page
    assert "Kamis, 24 Desember 2026" in page and "Cuti Bersama Hari Raya Natal" in page
    assert "Selasa, 24 Maret 2026" in page and "Cuti Bersama Hari Raya Idul Fitri" in page
    assert page.count("Libur nasional") >= 17 and page.count("Cuti bersama") >= 8
    assert "Buka untuk kunjungan" not in page.split("<tbody>")[1].split("</tbody>")[0]
    # 17 holidays + 8 cuti bersama, all closed; 4 fall on a weekend (closed anyway).
    assert page.count(">Tetap buka<") == 21
    assert page.count("bukan hari kerja kunjungan") == 4
    assert ">Kembalikan<" not in page
    assert 'href="/pengaturan/kalender?tahun=2025"' in page
    assert 'href="/pengaturan/kalender?tahun=2027"' in page
    # Other years come from the same national calendar: Nyepi and its cuti bersama 2025.
    page = admin_client.get(f"{CALENDAR}?tahun=2025").get_data(as_text=True)
    assert "Sabtu, 29 Maret 2025" in page and "Cuti Bersama Hari Suci Nyepi" in page


def test_the_page_opens_on_the_offices_year_and_ignores_a_nonsense_year(
    admin_client: FlaskClient,
) -> None:
    year = office_today(get_office(get_session())).year
    for query in ("", "?tahun=abc", "?tahun=99999", "?tahun=-1"):
        res = admin_client.get(CALENDAR + query)
        assert res.status_code == 200, query
        assert f"Kalender kantor {year}" in res.get_data(as_text=True)


def test_admin_nav_links_the_calendar(admin_client: FlaskClient) -> None:
    page = admin_client.get("/pengaturan/tim").get_data(as_text=True)
    assert 'href="/pengaturan/kalender"' in page and "Kalender kantor" in page
    page = admin_client.get(CALENDAR).get_data(as_text=True)
    assert 'href="/pengaturan/kalender" aria-current="page"' in page


# --- closing and opening dates ----------------------------------------------------------------


def test_closing_a_regional_holiday(admin_client: FlaskClient) -> None:
    data = {"aksi": "tutup", "dari": "2026-10-07", "keterangan": "Hari jadi Kota Yogyakarta"}
    res = admin_client.post(DAYS, data={**data, "tahun": "2026"})
    assert res.status_code == 303
    assert res.headers["Location"].endswith("/pengaturan/kalender?tahun=2026")
    row = office_days()[dt.date(2026, 10, 7)]
    assert (row.is_open, row.label) == (False, "Hari jadi Kota Yogyakarta")
    page = admin_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Kantor tutup untuk kunjungan rumah Rabu, 7 Oktober 2026." in page
    assert "Ditetapkan kantor" in page and "Hari jadi Kota Yogyakarta" in page
    assert page.count(">Kembalikan<") == 1
    # The planner sees it, and the audit trail has it.
    rules = rules_for(get_office(get_session()))
    assert (dt.date(2026, 10, 7), "Hari jadi Kota Yogyakarta") in rules.closed_days
    audit = get_session().scalars(select(models.AuditEvent.action)).all()
    assert "calendar.close" in audit


def test_closing_a_range_and_resetting_it(admin_client: FlaskClient) -> None:
    data = {"aksi": "tutup", "dari": "2026-06-08", "sampai": "2026-06-10", "keterangan": "Raker"}
    res = admin_client.post(DAYS, data=data)
    assert res.status_code == 303
    assert sorted(office_days()) == [dt.date(2026, 6, d) for d in (8, 9, 10)]
    page = admin_client.get(CALENDAR + "?tahun=2026").get_data(as_text=True)
    assert "Senin, 8 Juni 2026 s/d Rabu, 10 Juni 2026" in page  # the flash
    res = admin_client.post(DAYS, data={"aksi": "kembalikan", "dari": "2026-06-09"})
    assert res.status_code == 303
    assert sorted(office_days()) == [dt.date(2026, 6, 8), dt.date(2026, 6, 10)]
    page = admin_client.get(CALENDAR + "?tahun=2026").get_data(as_text=True)
    assert "Selasa, 9 Juni 2026 kembali mengikuti kalender nasional." in page
    admin_client.post(DAYS, data={"aksi": "kembalikan", "dari": "2026-06-09"})
    page = admin_client.get(CALENDAR).get_data(as_text=True)
    assert "tidak punya pengaturan kantor; tidak ada yang diubah" in page


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        ({"keterangan": ""}, "Isi alasan kantor tutup (mis. hari jadi kota).", ["2026-10-07"]),
        ({"keterangan": "   "}, "Isi alasan kantor tutup", []),
        ({"sampai": "2026-10-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal.", []),
        ({"sampai": "2027-12-31"}, "Rentang tanggal paling panjang 366 hari.", []),
        ({"dari": ""}, "Isi tanggalnya.", ["Hari jadi"]),
        ({"dari": "31-02-2026"}, "Bukan tanggal yang sah: 31-02-2026", ["31-02-2026"]),
        ({"keterangan": "x" * 201}, "Keterangan paling panjang 200 karakter.", []),
    ],
)
def test_closing_refusals(
    admin_client: FlaskClient, changes: dict[str, str], message: str, typed: list[str]
) -> None:
    data = {"aksi": "tutup", "dari": "2026-10-07", "keterangan": "Hari jadi", **changes}
    page = refused(admin_client.post(DAYS, data=data), message, *typed)
    assert 'id="f-tutup-' in page and 'aria-invalid="true"' in page
    assert office_days() == {}
    assert count(models.AuditEvent) == 0


def test_keeping_a_cuti_bersama_open_and_resetting_it(admin_client: FlaskClient) -> None:
    christmas_eve = dt.date(2026, 12, 24)
    res = admin_client.post(DAYS, data={"aksi": "buka", "dari": "2026-12-24", "tahun": "2026"})
    assert res.status_code == 303
    assert office_days()[christmas_eve].is_open
    assert christmas_eve in rules_for(get_office(get_session())).open_days
    page = admin_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Kamis, 24 Desember 2026 dibuka untuk kunjungan rumah." in page
    row = page.split("Kamis, 24 Desember 2026</strong>")[1].split("</tr>")[0]
    assert "Cuti bersama" in row and "Buka untuk kunjungan" in row and "diubah kantor" in row
    assert ">Kembalikan<" in row and ">Tetap buka<" not in row
    res = admin_client.post(DAYS, data={"aksi": "kembalikan", "dari": "2026-12-24"})
    assert res.status_code == 303 and office_days() == {}


def test_opening_a_saturday_range_with_a_note(admin_client: FlaskClient) -> None:
    data = {"aksi": "buka", "dari": "2026-11-28", "sampai": "2026-11-28", "keterangan": "Sabtu"}
    assert admin_client.post(DAYS, data=data).status_code == 303
    row = office_days()[dt.date(2026, 11, 28)]
    assert (row.is_open, row.label) == (True, "Sabtu")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sampai": "2026-12-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ({"dari": "kemarin"}, "Bukan tanggal yang sah: kemarin"),
    ],
)
def test_opening_refusals(admin_client: FlaskClient, changes: dict[str, str], message: str) -> None:
    data = {"aksi": "buka", "dari": "2026-12-24", **changes}
    page = refused(admin_client.post(DAYS, data=data), message)
    assert 'id="f-buka-' in page
    assert office_days() == {}


# --- special hours (Ramadan) ------------------------------------------------------------------

RAMADAN = {
    "nama": "Ramadan 1448 H",
    "mulai": "2027-02-08",
    "sampai": "2027-03-09",
    "jam": "08.00-14.00",
    "jumat": "14:30",
    "istirahat": "30",
    "sinkron": "14.00",
}


def test_adding_and_removing_ramadan_hours(admin_client: FlaskClient) -> None:
    res = admin_client.post(HOURS, data=RAMADAN)
    assert res.status_code == 303
    assert res.headers["Location"].endswith("/pengaturan/kalender?tahun=2027#jam")
    (row,) = get_office(get_session()).hours_periods
    assert (row.start_date, row.end_date) == (dt.date(2027, 2, 8), dt.date(2027, 3, 9))
    assert (row.work_start, row.work_end) == (dt.time(8), dt.time(14))
    assert (row.friday_end, row.break_minutes, row.sync_deadline) == (
        dt.time(14, 30),
        30,
        dt.time(14),
    )
    page = admin_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Periode jam khusus Ramadan 1448 H disimpan." in page
    assert "Senin, 8 Februari 2027 s/d Selasa, 9 Maret 2027" in page
    assert "08.00–14.00" in page and "14.30" in page and "30 menit" in page
    (period,) = rules_for(get_office(get_session())).periods
    assert period.name == "Ramadan 1448 H" and period.break_s == 1800
    res = admin_client.post(f"{HOURS}/{row.id}/hapus", data={"tahun": "2027"})
    assert res.status_code == 303
    get_session().expire_all()
    assert get_office(get_session()).hours_periods == []
    assert "Periode jam khusus dihapus." in admin_client.get(CALENDAR).get_data(as_text=True)
    assert admin_client.post(f"{HOURS}/{row.id}/hapus").status_code == 404


def test_hours_without_friday_end_or_sync_deadline_and_no_breaks(admin_client: FlaskClient) -> None:
    data = {**RAMADAN, "jam": "08:00-14:00", "jumat": "", "sinkron": "", "istirahat": "0"}
    assert admin_client.post(HOURS, data=data).status_code == 303
    (row,) = get_office(get_session()).hours_periods
    assert (row.friday_end, row.sync_deadline, row.break_minutes) == (None, None, 0)
    page = admin_client.get(CALENDAR + "?tahun=2027").get_data(as_text=True)
    assert "tanpa istirahat" in page and "seperti biasa" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nama": ""}, "Isi nama periode (mis. Ramadan 1448 H)."),
        ({"mulai": ""}, "Isi tanggalnya."),
        ({"sampai": "2027-13-01"}, "Bukan tanggal yang sah: 2027-13-01"),
        ({"sampai": "2027-02-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ({"jam": ""}, "Isi jam kerja, mis. 08.00-14.00."),
        ({"jam": "8 sampai 14"}, "Bukan rentang jam (JJ:MM-JJ:MM)"),
        ({"jam": "08.00-25.00"}, "Bukan jam yang sah (JJ:MM)"),
        ({"jam": "14.00-08.00"}, "Jam selesai harus sesudah jam mulai"),
        ({"jumat": "07.00"}, "Jam selesai hari Jumat harus setelah jam mulai."),
        ({"jumat": "siang"}, "Bukan jam yang sah (JJ:MM)"),
        ({"istirahat": "150"}, "Lama istirahat 0 sampai 120 menit."),
        ({"istirahat": "setengah jam"}, "Lama istirahat ditulis dalam menit"),
        ({"sinkron": "07.30"}, "Batas sinkronisasi harus setelah jam mulai."),
    ],
)
def test_hours_refusals(admin_client: FlaskClient, changes: dict[str, str], message: str) -> None:
    data = {**RAMADAN, **changes}
    typed = [v for k, v in data.items() if v and k not in changes]
    page = refused(admin_client.post(HOURS, data=data), message, *typed)
    assert 'id="f-jam-' in page and 'aria-invalid="true"' in page
    assert get_office(get_session()).hours_periods == []


def test_overlapping_hours_are_refused(admin_client: FlaskClient) -> None:
    assert admin_client.post(HOURS, data=RAMADAN).status_code == 303
    data = {**RAMADAN, "nama": "Ramadan lagi", "mulai": "2027-03-01", "sampai": "2027-03-20"}
    page = refused(admin_client.post(HOURS, data=data), "bertumpang tindih dengan periode")
    assert "Ramadan 1448 H (08-02-2027 s/d 09-03-2027)" in page
    assert [p.name for p in get_office(get_session()).hours_periods] == ["Ramadan 1448 H"]


# --- break lengths on the office page --------------------------------------------------------


def office_form(**changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Disdukcapil Kota Yogyakarta",
        "address": "Jl. Kenari No. 56",
        "depot_lon": "110.390500",
        "depot_lat": "-7.800200",
        "work_start": "08:00",
        "work_end": "15:00",
        "sync_deadline": "15:30",
        "daily_card_capacity": "250",
        "printers": "2",
        "working_weekdays": ["0", "1", "2", "3", "4"],
        "collective_max_persons": "30",
        "lunch_minutes": "45",
        "friday_break_minutes": "0",
    }
    data.update(changes)
    return data


def test_office_break_lengths(admin_client: FlaskClient) -> None:
    page = admin_client.get("/pengaturan/kantor").get_data(as_text=True)
    assert "Lama istirahat siang (menit)" in page and "Lama istirahat salat Jumat (menit)" in page
    assert 'name="lunch_minutes" type="text" value="60"' in page
    assert 'name="friday_break_minutes" type="text" value="90"' in page
    res = admin_client.post("/pengaturan/kantor", data=office_form())
    assert res.status_code == 303
    org = get_office(get_session())
    assert (org.settings["lunch_minutes"], org.settings["friday_break_minutes"]) == (45, 0)
    rules = rules_for(org)
    assert rules.lunch is not None and rules.lunch.duration_s == 45 * 60
    assert rules.friday_break is None  # 0: no Friday-prayer break
    page = admin_client.get("/pengaturan/kantor").get_data(as_text=True)
    assert 'name="lunch_minutes" type="text" value="45"' in page
    assert 'name="friday_break_minutes" type="text" value="0"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lunch_minutes": "241"}, "Lama istirahat siang harus 0 sampai 240."),
        ({"lunch_minutes": "-5"}, "Lama istirahat siang harus 0 sampai 240."),
        ({"friday_break_minutes": "satu jam"}, "Lama istirahat salat Jumat harus berupa bilangan"),
    ],
)
def test_office_break_refusals(
    admin_client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    res = admin_client.post("/pengaturan/kantor", data=office_form(**changes))
    refused(res, message, *changes.values())
    settings = get_office(get_session()).settings or {}
    assert "lunch_minutes" not in settings and "friday_break_minutes" not in settings


# --- teams away -------------------------------------------------------------------------------


def test_coordinator_marks_a_team_away_and_back(staff_client: FlaskClient, team_id: int) -> None:
    page = staff_client.get(f"/pengaturan/tim/{team_id}").get_data(as_text=True)
    assert "Tim tidak bertugas" in page and "Tidak ada tanggal tidak bertugas" in page
    today = office_today(get_office(get_session()))
    start, end = today + dt.timedelta(days=7), today + dt.timedelta(days=9)
    data = {"dari": start.isoformat(), "sampai": end.isoformat(), "keterangan": "Pelatihan"}
    res = staff_client.post(f"/pengaturan/tim/{team_id}/tidak-bertugas", data=data)
    assert res.status_code == 303
    assert res.headers["Location"].endswith(f"/pengaturan/tim/{team_id}#tidak-bertugas")
    team = get_session().get(models.Team, team_id)
    assert team is not None
    (away,) = team.absences
    assert (away.start_date, away.end_date, away.reason) == (start, end, "Pelatihan")
    assert team_spec(team).away == {start + dt.timedelta(days=i) for i in range(3)}
    page = staff_client.get(f"/pengaturan/tim/{team_id}").get_data(as_text=True)
    assert "Tim Mawar tidak bertugas" in page  # the flash
    assert "Pelatihan" in page and f"/tidak-bertugas/{away.id}/hapus" in page
    res = staff_client.post(f"/pengaturan/tim/{team_id}/tidak-bertugas/{away.id}/hapus")
    assert res.status_code == 303
    get_session().expire_all()
    assert get_session().get(models.Team, team_id).absences == []  # type: ignore[union-attr]
    page = staff_client.get(f"/pengaturan/tim/{team_id}").get_data(as_text=True)
    assert "Tim Mawar kembali direncanakan pada tanggal itu." in page
    res = staff_client.post(f"/pengaturan/tim/{team_id}/tidak-bertugas/{away.id}/hapus")
    assert res.status_code == 404


def test_past_absences_are_not_listed(staff_client: FlaskClient, team_id: int) -> None:
    data = {"dari": "2020-01-06", "keterangan": "Cuti lama"}
    assert staff_client.post(f"/pengaturan/tim/{team_id}/tidak-bertugas", data=data).status_code
    page = staff_client.get(f"/pengaturan/tim/{team_id}").get_data(as_text=True)
    assert "Cuti lama" not in page.split('id="tidak-bertugas"')[1].split("<form")[0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dari": ""}, "Isi tanggalnya."),
        ({"dari": "besok"}, "Bukan tanggal yang sah: besok"),
        ({"sampai": "2026-12-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ({"keterangan": "s" * 201}, "Keterangan paling panjang 200 karakter."),
    ],
)
def test_team_away_refusals(
    staff_client: FlaskClient, team_id: int, changes: dict[str, str], message: str
) -> None:
    data = {"dari": "2026-12-07", "sampai": "2026-12-08", "keterangan": "Sakit", **changes}
    res = staff_client.post(f"/pengaturan/tim/{team_id}/tidak-bertugas", data=data)
    page = refused(res, message)
    assert "Ubah tim" in page and 'id="f-away-' in page
    assert count(models.TeamAbsence) == 0


def test_unknown_team_is_404(staff_client: FlaskClient) -> None:
    res = staff_client.post("/pengaturan/tim/999/tidak-bertugas", data={"dari": "2026-12-07"})
    assert res.status_code == 404


# --- who may ----------------------------------------------------------------------------------


def test_coordinator_cannot_change_the_office_calendar(
    staff_client: FlaskClient, team_id: int
) -> None:
    res = staff_client.get(CALENDAR)
    assert res.status_code == 302 and "/pengaturan" not in res.headers["Location"]
    res = staff_client.get(CALENDAR, headers={"Accept": "application/json"})
    assert res.status_code == 403
    data = {"aksi": "tutup", "dari": "2026-10-07", "keterangan": "Hari jadi"}
    assert staff_client.post(DAYS, data=data).status_code == 302
    assert (
        staff_client.post(DAYS, data=data, headers={"Accept": "application/json"}).status_code
        == 403
    )
    assert staff_client.post(HOURS, data=RAMADAN).status_code == 302
    assert office_days() == {} and get_office(get_session()).hours_periods == []
    page = staff_client.get("/pengaturan/tim").get_data(as_text=True)
    assert "/pengaturan/kalender" not in page


def test_team_lead_cannot_change_calendar_or_absences(yapp: Flask, team_id: int) -> None:
    client = sign_in(yapp, "ketua_tim")
    json = {"Accept": "application/json"}
    assert client.get(CALENDAR, headers=json).status_code == 403
    data = {"aksi": "tutup", "dari": "2026-10-07", "keterangan": "Hari jadi"}
    assert client.post(DAYS, data=data, headers=json).status_code == 403
    away = f"/pengaturan/tim/{team_id}/tidak-bertugas"
    assert client.post(away, data={"dari": "2026-12-07"}, headers=json).status_code == 403
    assert client.post(away, data={"dari": "2026-12-07"}).status_code == 302
    assert office_days() == {} and count(models.TeamAbsence) == 0


def test_anonymous_is_sent_to_sign_in(yclient: FlaskClient) -> None:
    res = yclient.get(CALENDAR)
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]
