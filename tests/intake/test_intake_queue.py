"""The triage queue: filters, sort by priority or age, pages, and bulk verify."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.areas import load_area_options
from outreach.intake.queue import QueueFilters, list_queue, parse_ids, verify_selected
from outreach.planning.priority import priority_for

T0 = dt.datetime(2026, 11, 20, 2, 0)
TODAY = dt.date(2026, 11, 20)
FLAGS = {"nik_luar_wilayah", "lokasi_perlu_konfirmasi", "kemungkinan_duplikat"}


def area(session: Session, code: str) -> tuple[int, int]:
    """(kecamatan id, kelurahan id) of a kelurahan code."""
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == code))
    assert kel is not None
    return kel.kecamatan_id, kel.id


def add(session: Session, code: str, hours: int, **fields: object) -> models.ServiceRequest:
    office = session.scalar(select(models.Office))
    assert office is not None
    req = models.ServiceRequest(
        tracking_code=code,
        office_id=office.id,
        person_name=f"Warga {code}",
        created_at=T0 + dt.timedelta(hours=hours),
        **fields,
    )
    session.add(req)
    session.flush()
    return req


def codes(session: Session, office_id: int, **kw: str) -> list[str]:
    search = kw.pop("q", "")
    areas = load_area_options(session, "kota-yogyakarta")
    filters = QueueFilters.clean(kw, flags=FLAGS, areas=areas, search=search)
    page = list_queue(session, office_id, filters, today=TODAY)
    return [row.request.tracking_code for row in page.rows]


def test_order_and_filters(yapp: Flask, session: Session) -> None:
    office_id = add(session, "A", 0, category="lansia").office_id
    add(session, "B", 1, category="darurat", flags=["lokasi_perlu_konfirmasi"])
    add(session, "C", 2, category="sakit", channel="whatsapp", nik="3471135403500001")
    add(session, "D", 3, category="sakit", status="terverifikasi", flags=["nik_luar_wilayah"])
    add(session, "E", 4, category="darurat", status="ditolak")

    assert codes(session, office_id) == ["B", "C", "A"]  # priority: darurat, sakit, lansia
    assert codes(session, office_id, urut="terlama") == ["A", "B", "C"]
    assert codes(session, office_id, urut="terbaru") == ["C", "B", "A"]
    assert codes(session, office_id, status="terbuka") == ["B", "C", "D", "A"]
    assert codes(session, office_id, status="semua", urut="terlama") == ["A", "B", "C", "D", "E"]
    assert codes(session, office_id, status="semua", tanda="nik_luar_wilayah") == ["D"]
    assert codes(session, office_id, tanda="lokasi_perlu_konfirmasi") == ["B"]
    assert codes(session, office_id, kanal="whatsapp") == ["C"]
    assert codes(session, office_id, kategori="sakit", status="terbuka") == ["C", "D"]
    assert codes(session, office_id, q="3471135403500001") == ["C"]
    assert codes(session, office_id, q="warga a") == ["A"]
    assert codes(session, office_id, q="347113540350") == []  # a NIK matches only whole
    assert codes(session, office_id, q="3471 1354 0350 0001") == ["C"]  # written in groups
    # A search looks through every status, whatever the status filter says.
    assert codes(session, office_id, q="Warga D") == ["D"]
    assert codes(session, office_id, q="Warga E", status="baru") == ["E"]
    # Unknown values mean "any" (or the default status), never an error.
    assert codes(session, office_id, status="x", tanda="x", kanal="x", urut="x") == ["B", "C", "A"]


def test_search_by_phone_in_any_form_and_wildcards_as_text(yapp: Flask, session: Session) -> None:
    office_id = add(session, "P", 0, phone="+6289530097636", applicant_name="Anak Budi").office_id
    add(session, "Q", 1, companion_phone="+6281122334455")
    add(session, "R", 2, applicant_name="Bapak 100%")
    for typed in ("+6289530097636", "089530097636", "6289530097636", "0895-3009-7636"):
        assert codes(session, office_id, q=typed) == ["P"], typed
    assert codes(session, office_id, q="081122334455") == ["Q"]
    assert codes(session, office_id, q="anak budi") == ["P"]
    assert codes(session, office_id, q="%") == ["R"]
    assert codes(session, office_id, q="_") == []


def test_deadline_and_waiting_filters(yapp: Flask, session: Session) -> None:
    office_id = add(session, "S", 0, deadline=TODAY + dt.timedelta(days=2)).office_id
    add(session, "T", 1, deadline=TODAY - dt.timedelta(days=1))  # past: still due
    add(session, "U", 2, deadline=TODAY + dt.timedelta(days=9))
    add(session, "V", 3)
    assert sorted(codes(session, office_id, tenggat="3")) == ["S", "T"]
    assert codes(session, office_id, tenggat="x") == codes(session, office_id)
    waited = (TODAY - T0.date()).days
    assert len(codes(session, office_id, menunggu=str(waited - 1))) == 4
    assert codes(session, office_id, menunggu=str(waited + 2)) == []


def test_area_and_rw_filters(yapp: Flask, session: Session) -> None:
    semaki = area(session, "34.71.13.1001")
    baciro = area(session, "34.71.03.1004")
    demangan = area(session, "34.71.03.1001")
    office_id = add(
        session, "S7", 0, kecamatan_id=semaki[0], kelurahan_id=semaki[1], rw="007"
    ).office_id
    add(session, "S2", 1, kecamatan_id=semaki[0], kelurahan_id=semaki[1], rw="002")
    add(session, "B7", 2, kecamatan_id=baciro[0], kelurahan_id=baciro[1], rw="007")
    add(session, "D1", 3, kecamatan_id=demangan[0], kelurahan_id=demangan[1], rw="001")

    by_age = {"urut": "terlama"}
    assert codes(session, office_id, kecamatan="34.71.03", **by_age) == ["B7", "D1"]
    assert codes(session, office_id, kelurahan="34.71.13.1001", **by_age) == ["S7", "S2"]
    assert codes(session, office_id, kecamatan="34.71.03", kelurahan="34.71.03.1004") == ["B7"]
    # RW as typed: "7" is RW 007.
    assert codes(session, office_id, rw="7", **by_age) == ["S7", "B7"]
    assert codes(session, office_id, kelurahan="34.71.13.1001", rw="07") == ["S7"]
    # A kelurahan outside the chosen kecamatan is dropped, not mixed in.
    assert codes(session, office_id, kecamatan="34.71.03", kelurahan="34.71.13.1001", **by_age) == [
        "B7",
        "D1",
    ]
    filters = QueueFilters.clean(
        {"kecamatan": "34.71.03", "kelurahan": "34.71.13.1001", "rw": "abc"},
        flags=FLAGS,
        areas=load_area_options(session, "kota-yogyakarta"),
    )
    assert (filters.kecamatan, filters.kelurahan, filters.rw) == ("34.71.03", "", "")
    # Codes of another region are unknown.
    assert codes(session, office_id, kecamatan="31.71.01", **by_age) == ["S7", "S2", "B7", "D1"]


def test_priority_uses_waiting_days_and_deadline(yapp: Flask, session: Session) -> None:
    # Lansia waiting 75 days (40 + 25) outranks sakit that came in yesterday (60); a lansia
    # request due in 5 days (40 + 10) comes after both today, and first once the day is due.
    old = add(session, "OLD", -75 * 24, category="lansia")
    add(session, "NEW", -24, category="sakit")
    add(session, "DUE", 0, category="lansia", deadline=TODAY + dt.timedelta(days=5))
    page = list_queue(session, old.office_id, QueueFilters(), today=TODAY)
    assert [r.request.tracking_code for r in page.rows] == ["OLD", "NEW", "DUE"]
    scores = {r.request.tracking_code: (r.priority, r.waiting_days) for r in page.rows}
    assert scores == {"OLD": (65, 75), "NEW": (60, 1), "DUE": (50, 0)}
    assert scores["DUE"][0] == priority_for("lansia", days_to_deadline=5)
    due_day = TODAY + dt.timedelta(days=5)
    later = list_queue(session, old.office_id, QueueFilters(), today=due_day)
    assert [r.request.tracking_code for r in later.rows] == ["DUE", "OLD", "NEW"]
    assert later.rows[0].priority == priority_for("lansia", waiting_days=5, days_to_deadline=0)


def test_pages(yapp: Flask, session: Session) -> None:
    office_id = 0
    for i in range(120):
        office_id = add(session, f"R{i:03d}", i, category="lansia").office_id
    first = list_queue(session, office_id, QueueFilters(sort="terlama"), today=TODAY)
    assert (first.total, first.pages, first.page, first.first, first.last) == (120, 3, 1, 1, 50)
    assert first.rows[0].request.tracking_code == "R000"
    second = list_queue(session, office_id, QueueFilters(sort="terlama"), today=TODAY, page=2)
    assert (second.first, second.last) == (51, 100)
    assert [r.request.tracking_code for r in second.rows][:2] == ["R050", "R051"]
    third = list_queue(session, office_id, QueueFilters(), today=TODAY, page=3)
    assert (third.first, third.last, len(third.rows)) == (101, 120, 20)
    # Pages of the priority sort do not overlap and cover everything.
    seen = [
        r.request.id
        for n in (1, 2, 3)
        for r in list_queue(session, office_id, QueueFilters(), today=TODAY, page=n).rows
    ]
    assert len(seen) == len(set(seen)) == 120
    # Out of range: clamped.
    assert list_queue(session, office_id, QueueFilters(), today=TODAY, page=99).page == 3
    assert list_queue(session, office_id, QueueFilters(), today=TODAY, page=-4).page == 1
    assert first.page_numbers() == [1, 2, 3]
    big = list_queue(session, office_id, QueueFilters(), today=TODAY, page=6, page_size=10)
    assert big.page_numbers() == [1, None, 4, 5, 6, 7, 8, None, 12]
    empty = list_queue(session, office_id, QueueFilters(status="selesai"), today=TODAY)
    assert (empty.total, empty.pages, empty.first, empty.last, empty.rows) == (0, 1, 0, 0, [])


def test_bulk_verify(yapp: Flask, session: Session) -> None:
    ok = add(session, "OK", 0, lon=110.39, lat=-7.80, location_source="map")
    ok2 = add(
        session,
        "OK2",
        1,
        lon=110.39,
        lat=-7.80,
        location_source="kelurahan",
        location_confirmed=True,
    )
    unplaced = add(
        session,
        "KEL",
        2,
        lon=110.39,
        lat=-7.80,
        location_source="kelurahan",
        flags=["lokasi_perlu_konfirmasi"],
    )
    no_point = add(session, "NONE", 3)
    flagged = add(
        session,
        "DUP",
        4,
        lon=110.39,
        lat=-7.80,
        location_source="gps",
        flags=["kemungkinan_duplikat"],
    )
    done = add(
        session, "VER", 5, lon=110.39, lat=-7.80, location_source="map", status="terverifikasi"
    )
    office_id = ok.office_id
    ids = [ok.id, ok2.id, unplaced.id, no_point.id, flagged.id, done.id, 99999]
    result = verify_selected(session, office_id, ids, actor="user:1", now=T0)
    assert [r.tracking_code for r in result.verified] == ["OK", "OK2"]
    refused = {r.request.tracking_code: r for r in result.refused}
    assert list(refused) == ["KEL", "NONE", "DUP", "VER"]
    assert "Lokasi belum dikonfirmasi" in refused["KEL"].reason
    assert "Lokasi belum dikonfirmasi" in refused["NONE"].reason
    assert refused["DUP"].flags == ("kemungkinan_duplikat",)
    assert "Bukan permohonan baru" in refused["VER"].reason
    assert result.missing == 1
    assert ok.status == ok2.status == "terverifikasi" and ok.verified_at == T0
    assert unplaced.status == no_point.status == flagged.status == "baru"
    assert flagged.flags == ["kemungkinan_duplikat"]
    events = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "request.verify")
    ).all()
    assert sorted(e.entity_id or 0 for e in events) == sorted([ok.id, ok2.id])


def test_bulk_verify_stays_in_the_office(yapp: Flask, session: Session) -> None:
    other = models.Office(
        name="Kantor lain", region_slug="lain", region_code="31.71", depot_lon=0, depot_lat=0
    )
    session.add(other)
    session.flush()
    foreign = add(session, "LAIN", 0, lon=110.39, lat=-7.80, location_source="map")
    foreign.office_id = other.id
    own = add(session, "OWN", 1, lon=110.39, lat=-7.80, location_source="map")
    result = verify_selected(session, own.office_id, [foreign.id, own.id], actor="user:1")
    assert [r.tracking_code for r in result.verified] == ["OWN"]
    assert result.missing == 1 and foreign.status == "baru"


def test_parse_ids() -> None:
    assert parse_ids(["3", " 5", "3", "x", "-1", "0", ""]) == [3, 5]
    with pytest.raises(IntakeError, match="Centang"):
        parse_ids(["x"])
    with pytest.raises(IntakeError, match="Paling banyak"):
        parse_ids([str(i) for i in range(1, 300)])


def test_a_big_collective_visit_ranks_by_its_persons_as_the_planner_does(
    yapp: Flask, session: Session
) -> None:
    # A fresh 40-person kolektif request (30 + 13 persons points) comes before a fresh lansia
    # visit (40) and after a sakit one (60); a family of five at home gets no persons points.
    hall = add(session, "HALL", 0, category="kolektif", persons=40)
    add(session, "HOME", 0, category="lansia", persons=5)
    add(session, "SICK", 0, category="sakit")
    page = list_queue(session, hall.office_id, QueueFilters(), today=TODAY)
    assert [r.request.tracking_code for r in page.rows] == ["SICK", "HALL", "HOME"]
    scores = {r.request.tracking_code: r.priority for r in page.rows}
    assert scores["HALL"] == priority_for("kolektif", persons=40, collective=True) == 43
    assert scores["HOME"] == priority_for("lansia") == 40
