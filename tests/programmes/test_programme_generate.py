"""Generating a programme's collective visits: dates, places in turn, holidays, idempotence."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office_calendar import set_days
from outreach.programmes.generate import generate_visits
from tests.programmes.programme_helpers import office_of, place, programme, teams

# Idul Adha 2026 falls on a Wednesday (the holidays package: "Hari Raya Idul Adha").
IDUL_ADHA = dt.date(2026, 5, 27)
START, END = dt.date(2026, 5, 1), dt.date(2026, 6, 30)


def _requests() -> list[models.ServiceRequest]:
    return list(
        get_session().scalars(
            select(models.ServiceRequest)
            .where(models.ServiceRequest.programme_id.is_not(None))
            .order_by(models.ServiceRequest.pinned_date, models.ServiceRequest.id)
        )
    )


def test_wednesdays_with_idul_adha_moved_and_idempotent(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    (mawar,) = teams(session, "Tim Mawar")
    place(session, "SMA Satu", persons=120)
    place(session, "SMK Dua", persons=25)
    prog = programme(session, start=START, end=END, team_ids=(mawar.id,), max_persons="60")
    result = generate_visits(session, office, START, END)
    wednesdays = [dt.date(2026, 5, d) for d in (6, 13, 20, 27)] + [
        dt.date(2026, 6, d) for d in (3, 10, 17, 24)
    ]
    assert [v.slot_date for v in result.visits] == wednesdays
    assert (result.created, result.moved, result.skipped) == (8, 1, 0)
    moved = next(v for v in result.visits if v.slot_date == IDUL_ADHA)
    assert moved.visit_date == dt.date(2026, 6, 3)
    assert "Idul Adha" in moved.note
    # Places take turns by slot: SMA Satu, SMK Dua, SMA Satu, ...
    assert [v.place.name for v in result.visits][:4] == ["SMA Satu", "SMK Dua"] * 2
    rows = _requests()
    assert IDUL_ADHA not in {r.pinned_date for r in rows}
    assert sum(1 for r in rows if r.pinned_date == dt.date(2026, 6, 3)) == 2
    first = rows[0]
    assert (first.category, first.channel, first.status) == (
        "kolektif",
        "programme",
        "terverifikasi",
    )
    assert first.pinned_team_id == mawar.id and first.programme_id == prog.id
    assert first.persons == 60  # 120 students turning 17, capped at 60 per visit
    assert rows[1].persons == 25
    session.commit()
    again = generate_visits(session, office, START, END)
    assert (again.created, again.existing) == (0, 8)
    assert len(_requests()) == 8
    # A wider window later adds only the new dates.
    wider = generate_visits(session, office, START, dt.date(2026, 7, 31))
    assert wider.created == 0 and wider.existing == 8  # the period ends 30 June


def test_skip_school_holiday_and_office_closure(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    place(session, "SMA Satu")
    prog = programme(
        session,
        start=START,
        end=END,
        on_holiday="lewati",
        closed="2026-06-15 2026-06-30 Libur kenaikan kelas",
    )
    set_days(session, office, dt.date(2026, 5, 13), None, is_open=False, label="Hari jadi kantor")
    result = generate_visits(session, office, START, END)
    status = {v.slot_date: (v.status, v.note) for v in result.visits}
    assert status[IDUL_ADHA] == ("dilewati", "Dilewati: Hari Raya Idul Adha")
    assert status[dt.date(2026, 5, 13)] == ("dilewati", "Dilewati: Hari jadi kantor")
    assert status[dt.date(2026, 6, 17)] == ("dilewati", "Dilewati: Libur kenaikan kelas")
    assert status[dt.date(2026, 6, 10)][0] == "dibuat"
    assert result.skipped == 4 and result.created == 4
    assert prog.visits[0].request is not None


def test_moved_past_the_period_end_is_skipped_and_weekends_are_not_holidays(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    place(session, "Balai Kelurahan Semaki")
    # Saturday and Sunday: the office makes no home visits then, but a weekend programme goes.
    programme(
        session,
        name="Kelurahan Sabtu dan Minggu",
        days=("Sabtu", "Minggu"),
        start=dt.date(2026, 3, 14),
        end=dt.date(2026, 3, 22),
    )
    result = generate_visits(session, office, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    got = {v.slot_date: (v.status, v.visit_date) for v in result.visits}
    assert got[dt.date(2026, 3, 14)] == ("dibuat", dt.date(2026, 3, 14))
    assert got[dt.date(2026, 3, 15)] == ("dibuat", dt.date(2026, 3, 15))
    # Idul Fitri (Sat 21 March) and its second day (Sun 22): no later date in the period.
    assert got[dt.date(2026, 3, 21)] == ("dilewati", None)
    assert got[dt.date(2026, 3, 22)] == ("dilewati", None)
