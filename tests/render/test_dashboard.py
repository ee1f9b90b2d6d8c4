"""The coordinator's dashboard and the monthly report (outreach.render.dashboard / .report)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.render.dashboard import (
    AGE_BINS,
    age_in_days,
    bar_chart_svg,
    build_dashboard,
    histogram_svg,
)
from outreach.render.report import (
    ReportError,
    build_month_report,
    month_label,
    parse_month,
    report_xlsx,
)
from outreach.visits import OutcomeInput, record_outcome, route_progress
from tests.field_day import DAY, FieldDay, build_field_day, travel_for
from tests.intake.yogya import SEMAKI, yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

TODAY = dt.date(2026, 11, 23)
# 08:00 in Yogyakarta (UTC+7) on TODAY, as stored (UTC, naive).
MORNING_UTC = dt.datetime(2026, 11, 23, 1, 0)


def _office(session: Session) -> models.Office:
    office = session.scalar(select(models.Office))
    assert office is not None
    return office


def _add(
    session: Session,
    code: str,
    *,
    days_ago: int,
    category: str = "lansia",
    status: str = "baru",
    area: bool = True,
    **fields: Any,
) -> models.ServiceRequest:
    """A request that came in ``days_ago`` office days before TODAY (at 08:00 office time)."""
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    values: dict[str, Any] = {
        "location_source": "map",
        "location_confirmed": True,
        "lon": 110.39,
        "lat": -7.80,
        **fields,
    }
    row = models.ServiceRequest(
        tracking_code=code,
        office_id=_office(session).id,
        category=category,
        status=status,
        person_name=f"Warga {code}",
        services=["perekaman_ktp"],
        kelurahan_id=kel.id if area else None,
        kecamatan_id=kel.kecamatan_id if area else None,
        created_at=MORNING_UTC - dt.timedelta(days=days_ago),
        **values,
    )
    session.add(row)
    session.flush()
    return row


def test_age_counts_office_days_not_utc_days() -> None:
    # 23:30 UTC on the 22nd is 06:30 on the 23rd in Yogyakarta: same day, age 0.
    assert age_in_days(dt.datetime(2026, 11, 22, 23, 30), TODAY, "Asia/Jakarta") == 0
    assert age_in_days(dt.datetime(2026, 11, 22, 16, 59), TODAY, "Asia/Jakarta") == 1
    assert age_in_days(dt.datetime(2026, 11, 30, 1, 0), TODAY, "Asia/Jakarta") == 0


def test_counts_by_status_category_and_kecamatan(yapp: Flask) -> None:
    session = get_session()
    _add(session, "JB-A1", days_ago=0, category="sakit")
    _add(session, "JB-A2", days_ago=2, category="sakit", status="terverifikasi")
    _add(session, "JB-A3", days_ago=5, category="lansia", status="terjadwal")
    _add(session, "JB-A4", days_ago=40, category="darurat", area=False)
    _add(session, "JB-A5", days_ago=9, status="selesai")
    _add(session, "JB-A6", days_ago=9, status="ditolak")
    board = build_dashboard(session, _office(session), today=TODAY)
    status = {c.key: c.count for c in board.by_status}
    assert status["baru"] == 2 and status["terverifikasi"] == 1 and status["terjadwal"] == 1
    assert status["selesai"] == 1 and status["ditolak"] == 1 and status["batal"] == 0
    assert next(c for c in board.by_status if c.key == "baru").query == {"status": "baru"}
    assert board.total_backlog == 4  # closed requests are not waiting
    assert [(c.key, c.count) for c in board.by_category] == [
        ("darurat", 1),
        ("sakit", 2),
        ("lansia", 1),
    ]
    kec = {c.label: c for c in board.by_kecamatan}
    assert kec["Umbulharjo"].count == 3 and kec["Tanpa kecamatan"].count == 1
    assert kec["Umbulharjo"].query == {"status": "terbuka", "kecamatan": "34.71.13"}
    assert board.by_kecamatan[0].label == "Umbulharjo"  # most first


def test_backlog_age_oldest_median_per_category_and_histogram(yapp: Flask) -> None:
    session = get_session()
    for i, (days, category) in enumerate(
        [(0, "sakit"), (3, "sakit"), (4, "lansia"), (10, "lansia"), (20, "lansia"), (31, "pemula")]
    ):
        _add(session, f"JB-B{i}", days_ago=days, category=category)
    board = build_dashboard(session, _office(session), today=TODAY)
    assert board.oldest_days == 31 and board.oldest is not None
    assert board.oldest.tracking_code == "JB-B5"
    assert board.median_days == 7.0  # (4 + 10) / 2
    ages = {a.category: (a.count, a.oldest_days, a.median_days) for a in board.ages_by_category}
    assert ages == {"sakit": (2, 3, 1.5), "lansia": (3, 20, 10.0), "pemula": (1, 31, 31.0)}
    assert [b.label for b in board.age_bins] == [label for label, _lo, _hi in AGE_BINS]
    assert [b.count for b in board.age_bins] == [2, 1, 1, 1, 1]


def test_empty_office_has_no_age(yapp: Flask) -> None:
    session = get_session()
    board = build_dashboard(session, _office(session), today=TODAY)
    assert board.total_backlog == 0 and board.oldest_days is None and board.median_days is None
    assert all(item.count == 0 for item in board.attention)
    assert "Tidak ada data" in board.kecamatan_svg


def test_attention_items_count_and_link_to_the_queue(yapp: Flask) -> None:
    session = get_session()
    _add(session, "JB-L1", days_ago=1, location_source="kelurahan", location_confirmed=False)
    _add(session, "JB-L2", days_ago=1, location_source="kelurahan", location_confirmed=True)
    _add(session, "JB-D1", days_ago=1, flags=["kemungkinan_duplikat"])
    _add(session, "JB-T1", days_ago=1, deadline=TODAY + dt.timedelta(days=3))
    _add(session, "JB-T2", days_ago=1, deadline=TODAY - dt.timedelta(days=1))  # overdue
    _add(session, "JB-T3", days_ago=1, deadline=TODAY + dt.timedelta(days=4))
    _add(session, "JB-C1", days_ago=1, status="terverifikasi", flags=["perlu_dihubungi"])
    _add(session, "JB-W1", days_ago=15)
    _add(session, "JB-W2", days_ago=14)
    _add(session, "JB-X1", days_ago=30, status="selesai", flags=["kemungkinan_duplikat"])
    board = build_dashboard(session, _office(session), today=TODAY)
    items = {item.key: item for item in board.attention}
    codes = {key: [r.tracking_code for r in item.examples] for key, item in items.items()}
    assert codes == {
        "tenggat": ["JB-T2", "JB-T1"],  # the most pressing first
        "perlu_dihubungi": ["JB-C1"],
        "lokasi_perlu_konfirmasi": ["JB-L1"],
        "kemungkinan_duplikat": ["JB-D1"],  # a closed request needs nothing
        "lama_menunggu": ["JB-W1"],  # more than 14 days
    }
    assert {key: item.count for key, item in items.items()} == {
        "tenggat": 2,
        "perlu_dihubungi": 1,
        "lokasi_perlu_konfirmasi": 1,
        "kemungkinan_duplikat": 1,
        "lama_menunggu": 1,
    }
    assert items["perlu_dihubungi"].query == {"status": "terbuka", "tanda": "perlu_dihubungi"}
    assert items["kemungkinan_duplikat"].query["tanda"] == "kemungkinan_duplikat"
    # The links filter the queue to exactly the requests counted.
    assert items["lama_menunggu"].query == {
        "status": "terbuka",
        "menunggu": "15",
        "urut": "terlama",
    }
    assert items["tenggat"].query["tenggat"] == "3"


def test_attention_lists_a_few_examples_but_counts_all(yapp: Flask) -> None:
    session = get_session()
    for i in range(8):
        _add(session, f"JB-M{i}", days_ago=20 + i)
    item = next(i for i in build_dashboard(session, _office(session), today=TODAY).attention)
    waiting = next(
        i
        for i in build_dashboard(session, _office(session), today=TODAY).attention
        if i.key == "lama_menunggu"
    )
    assert item.key == "tenggat" and item.count == 0
    assert waiting.count == 8 and len(waiting.examples) == 5
    assert waiting.examples[0].tracking_code == "JB-M7"  # oldest first


# --- a field day with recorded outcomes ------------------------------------------------------

VISIT_NOW = dt.datetime(2026, 11, 23, 6, 0)  # UTC: 13:00 in Yogyakarta on DAY


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    built = build_field_day(get_session(), travel_for(yapp))
    session = get_session()
    # The requests came in early in November (their real creation time is "now").
    for row in session.scalars(select(models.ServiceRequest)):
        row.created_at = dt.datetime(2026, 11, 10, 2, 0)
    session.commit()
    return built


def _stop(session: Session, request_id: int) -> models.Stop:
    stop = session.scalar(
        select(models.Stop)
        .join(models.Route)
        .where(models.Stop.request_id == request_id, models.Route.approved.is_(True))
    )
    assert stop is not None
    return stop


def _record(session: Session, request_id: int, outcome: str, **kw: Any) -> None:
    stop = _stop(session, request_id)
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome=outcome, **kw)
    assert record_outcome(session, data, team_id=None, user_id=None, now=VISIT_NOW).created
    session.commit()


def record_sample_outcomes(session: Session, day: FieldDay) -> None:
    """Two served (one home, one collective of 3), one not at home, one refused."""
    first, second, third = day.request_ids[:3]
    _record(session, first, "selesai")
    _record(session, second, "tidak_di_rumah")
    _record(session, third, "menolak", note="sudah ke kantor")
    _record(
        session,
        day.letter_request_id,
        "selesai",
        persons_served=3,
        attendees=tuple(day.letter_resident_ids[:3]),
    )


def test_today_routes_show_progress_from_outcomes(day: FieldDay) -> None:
    session = get_session()
    record_sample_outcomes(session, day)
    board = build_dashboard(session, _office(session), today=DAY)
    assert sorted(r.team_name for r in board.routes) == ["Tim Mawar", "Tim Melati"]
    progress = route_progress(session, [r.route_id for r in board.routes])
    for route in board.routes:
        assert (route.done, route.planned) == (
            progress[route.route_id].done,
            progress[route.route_id].planned,
        )
    assert board.routes_done == 4 and board.routes_planned == 7
    # Another day has no routes.
    assert build_dashboard(session, _office(session), today=DAY + dt.timedelta(days=1)).routes == ()


def test_month_report_numbers_on_a_field_day(day: FieldDay) -> None:
    session = get_session()
    record_sample_outcomes(session, day)
    report = build_month_report(
        session, _office(session), dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)
    )
    assert report.label == "November 2026" and not report.partial
    assert report.received == 7
    assert (report.visits, report.served, report.failed, report.closed) == (4, 2, 1, 1)
    assert report.persons == 4 and report.cards == 4  # e-KTP: one card per person by default
    outcomes = {code: n for code, _label, n in report.by_outcome}
    assert outcomes == {
        "selesai": 2,
        "tidak_di_rumah": 1,
        "jadwal_ulang": 0,
        "menolak": 1,
        "pindah_alamat": 0,
        "meninggal": 0,
    }
    assert [(r.label, r.visits, r.persons) for r in report.by_kecamatan] == [("Umbulharjo", 2, 4)]
    assert [(r.label, r.visits, r.persons) for r in report.by_category] == [
        ("Lansia", 1, 1),
        ("Kolektif", 1, 3),
    ]
    assert [(r.label, r.visits, r.persons) for r in report.by_service] == [
        ("Perekaman KTP-el", 2, 4)
    ]
    assert sum(t.visits for t in report.by_team) == 4
    assert sum(t.persons for t in report.by_team) == 4
    # 7 requests, 2 served and 1 refused: 4 wait at the month's end (one not home, 3 planned).
    assert report.backlog == 4
    assert [(r.label, r.count, r.oldest_days) for r in report.backlog_by_kecamatan] == [
        ("Umbulharjo", 4, 20)  # came in on 10 November; the month ends on the 30th
    ]


def test_month_report_backlog_at_an_earlier_month_end(day: FieldDay) -> None:
    session = get_session()
    record_sample_outcomes(session, day)
    october = build_month_report(
        session, _office(session), dt.date(2026, 10, 1), today=dt.date(2026, 12, 5)
    )
    assert (october.received, october.visits, october.persons, october.backlog) == (0, 0, 0, 0)
    # A request closed in December still waited at the end of November.
    row = session.get(models.ServiceRequest, day.request_ids[0])
    assert row is not None
    row.closed_at = dt.datetime(2026, 12, 2, 3, 0)
    session.commit()
    november = build_month_report(
        session, _office(session), dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)
    )
    assert november.backlog == 5


def test_running_month_is_partial(day: FieldDay) -> None:
    session = get_session()
    report = build_month_report(session, _office(session), dt.date(2026, 11, 1), today=DAY)
    assert report.partial and report.backlog == 7


def test_report_xlsx_reads_back(day: FieldDay) -> None:
    session = get_session()
    record_sample_outcomes(session, day)
    report = build_month_report(
        session, _office(session), dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)
    )
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames == [
        "Ringkasan",
        "Per kecamatan",
        "Per kategori",
        "Per layanan",
        "Hasil kunjungan",
        "Per tim",
        "Antrean akhir bulan",
    ]
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True) if row}
    assert summary["Laporan jemput bola November 2026"] is None
    assert summary["Orang dilayani (direkam)"] == 4
    assert summary["Kunjungan gagal (tidak di rumah / jadwal ulang)"] == 1
    assert summary["Antrean di akhir bulan"] == 4
    kec = list(book["Per kecamatan"].iter_rows(values_only=True))
    assert kec == [("Kecamatan", "Kunjungan selesai", "Orang dilayani"), ("Umbulharjo", 2, 4)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", dt.date(2026, 11, 1)),
        ("", dt.date(2026, 11, 1)),
        (" 2025-01 ", dt.date(2025, 1, 1)),
    ],
)
def test_parse_month(text: str, expected: dt.date) -> None:
    assert parse_month(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "Bulan tidak valid"),
        ("November", "Bulan tidak valid"),
        ("2026-1", "Bulan tidak valid"),
        ("1999-12", "Bulan tidak valid"),
        ("2026-12", "Bulan Desember 2026 belum berjalan"),
    ],
)
def test_parse_month_refuses(text: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        parse_month(text, today=TODAY)


def test_month_label_is_indonesian() -> None:
    assert month_label(dt.date(2026, 8, 1)) == "Agustus 2026"


def test_charts_write_their_numbers_and_escape_labels() -> None:
    svg = bar_chart_svg(
        [("Umbulharjo", 12), ("<script>x</script>", 3)], title="Antrean", description="d"
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>Antrean</title>" in svg
    assert ">12</text>" in svg and ">3</text>" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    hist = histogram_svg([("0-3", 5), (">30", 0)], title="Umur", description="d")
    assert ">5</text>" in hist and "&gt;30" in hist


def test_report_xlsx_keeps_typed_names_as_text(day: FieldDay) -> None:
    session = get_session()
    team = session.get(models.Team, day.team_ids["Tim Mawar"])
    assert team is not None
    team.name = "=1+2"  # a name someone typed: never a formula in the office's Excel
    session.commit()
    record_sample_outcomes(session, day)
    report = build_month_report(
        session, _office(session), dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)
    )
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    cells = [c for row in book["Per tim"].iter_rows() for c in row if c.value == "=1+2"]
    assert cells and all(c.data_type == "s" for c in cells)
