"""The office calendar the planner works with (issue 10, section 1), with real 2025-2026 dates.

National holidays and cuti bersama are closed by default; the office closes dates of its own,
keeps a cuti bersama open, sets Ramadan hours with their own breaks and sync deadline, and
marks a team away without deactivating it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from plan_helpers import H, StraightLineModel, at, make_office, matrix_for, problem, site, team
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import HoursPeriod, OfficeDays, PlanRules, TimeWindow
from outreach.errors import NotFoundError
from outreach.office import SettingsError
from outreach.office_calendar import (
    CUTI_BERSAMA,
    NATIONAL,
    OFFICE,
    HoursInput,
    add_absence,
    add_hours_period,
    remove_absence,
    remove_hours_period,
    reset_days,
    set_days,
    year_calendar,
)
from outreach.planning.calendar import closed_reason, team_day, working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.records import rules_for, team_spec
from outreach.planning.service import create_plan, load_inputs

WEEKDAYS = frozenset(range(5))
# Ramadan 1447 H: about 18 February to 19 March 2026 (the office sets the dates each year).
RAMADAN = HoursPeriod(
    name="Ramadan 1447 H",
    start=dt.date(2026, 2, 18),
    end=dt.date(2026, 3, 19),
    hours=TimeWindow(8 * H, 14 * H),
    friday_end_s=14 * H + 1800,
    break_s=1800,
    sync_deadline_s=14 * H,
)


def test_office_closures_and_openings_over_the_national_calendar() -> None:
    days = OfficeDays(
        WEEKDAYS,
        closed=((dt.date(2026, 10, 7), "Hari jadi Kota Yogyakarta"),),
        opened=frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 5)}),
    )
    # Cuti bersama Natal 2026 kept open; a Saturday opened; the city's anniversary closed.
    assert closed_reason(dt.date(2026, 12, 24), days) is None
    assert closed_reason(dt.date(2026, 12, 24), WEEKDAYS) == "Cuti Bersama Hari Raya Natal"
    assert closed_reason(dt.date(2026, 12, 5), days) is None
    assert closed_reason(dt.date(2026, 10, 7), days) == "Hari jadi Kota Yogyakarta"
    assert closed_reason(dt.date(2026, 12, 25), days) == "Hari Raya Natal"
    assert closed_reason(dt.date(2026, 12, 6), days) == "Bukan hari kerja kunjungan"  # Sunday
    assert working_days(dt.date(2026, 10, 6), 2, days) == (
        dt.date(2026, 10, 6),
        dt.date(2026, 10, 8),
    )


def test_ramadan_hours_cut_shifts_and_set_break_and_sync_deadline() -> None:
    rules = PlanRules(periods=(RAMADAN,))
    spec = team(1, shift=(7.5, 16))
    monday = team_day(spec, dt.date(2026, 2, 23), rules)
    friday = team_day(spec, dt.date(2026, 2, 27), rules)
    after = team_day(spec, dt.date(2026, 3, 30), rules)
    assert monday is not None and friday is not None and after is not None
    assert (monday.start_s, monday.return_by_s) == (8 * H, 14 * H)
    assert [b.duration_s for b in monday.breaks] == [1800]
    # Friday: hours to 14:30, but the period's sync deadline (14:00) still brings teams back.
    assert friday.return_by_s == 14 * H
    assert [(b.label, b.duration_s) for b in friday.breaks] == [("salat_jumat", 1800)]
    # After Ramadan: the team's own shift, the office's sync deadline 15:30, a 60-min lunch.
    assert (after.start_s, after.return_by_s) == (7.5 * H, 15.5 * H)
    assert [b.duration_s for b in after.breaks] == [3600]


def test_a_ramadan_plan_ends_by_the_periods_deadline_and_the_checker_knows_it() -> None:
    sites = [site(i, 1500 + 90 * i, 200 * (i % 3)) for i in range(1, 25)]
    prob = problem(
        sites, [team(1)], dates=(dt.date(2026, 2, 23),), rules=PlanRules(periods=(RAMADAN,))
    )
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    (route,) = result.routes
    assert route.end_s <= 14 * H
    assert [b.end_s - b.start_s for b in route.breaks] in ([], [1800])
    # The same route judged without the period's deadline but claiming a later return fails.
    late = dataclasses.replace(result, routes=(dataclasses.replace(route, end_s=14 * H + 600),))
    assert "late" in {v.code for v in check_plan(prob, matrix, late)}


def test_a_team_away_is_not_planned_that_day() -> None:
    away = team(2, away=frozenset({dt.date(2026, 12, 1)}))
    sites = [site(i, 2000 * (1 if i % 2 else -1), 100 * i) for i in range(1, 9)]
    days = (dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    prob = problem(sites, [team(1), away], dates=days)
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    assert (2, dt.date(2026, 12, 1)) not in {(r.team_id, r.day) for r in result.routes}
    assert team_day(away, dt.date(2026, 11, 30), PlanRules()) is not None


# --- stored in the database, read by rules_for / team_spec ---------------------------------


def test_calendar_settings_reach_the_planner(session: Session) -> None:
    office = make_office(session, teams=1)
    office.settings = {**office.settings, "lunch_minutes": 45, "friday_break_minutes": "0"}
    set_days(session, office, dt.date(2026, 10, 7), is_open=False, label="Hari jadi kota")
    set_days(session, office, dt.date(2026, 12, 24), is_open=True)
    add_hours_period(
        session,
        office,
        HoursInput(
            "Ramadan 1447 H",
            RAMADAN.start,
            RAMADAN.end,
            dt.time(8),
            dt.time(14),
            dt.time(14, 30),
            30,
            dt.time(14),
        ),
    )
    (tim,) = office.teams
    add_absence(session, tim, dt.date(2026, 12, 1), dt.date(2026, 12, 2), reason="Pelatihan")
    session.commit()
    session.expire_all()
    office = session.get(models.Office, office.id)
    assert office is not None
    rules = rules_for(office)
    assert rules.closed_days == ((dt.date(2026, 10, 7), "Hari jadi kota"),)
    assert rules.open_days == frozenset({dt.date(2026, 12, 24)})
    assert rules.periods == (RAMADAN,)
    assert rules.lunch is not None and rules.lunch.duration_s == 45 * 60
    assert rules.friday_break is None
    spec = team_spec(office.teams[0])
    assert spec.away == frozenset({dt.date(2026, 12, 1), dt.date(2026, 12, 2)})
    # The stored plan's days skip the closure; the cuti bersama kept open is a working day.
    inputs = load_inputs(session, start_date=dt.date(2026, 10, 6), days=2, office=office)
    assert inputs.problem.dates == (dt.date(2026, 10, 6), dt.date(2026, 10, 8))
    inputs = load_inputs(session, start_date=dt.date(2026, 12, 24), days=1, office=office)
    assert inputs.problem.dates == (dt.date(2026, 12, 24),)


def test_plans_over_idul_fitri_2025_skip_the_cuti_bersama(session: Session) -> None:
    # Issue 10: plans over 2-7 April 2025 put 114 visits on days the office was closed.
    office = make_office(session, teams=2)
    for i in range(1, 21):
        lon, lat = at(1500 + 60 * i, 300 * (i % 4))
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-{i:04d}",
                office_id=office.id,
                category="lansia",
                services=["perekaman_ktp"],
                person_name=f"Warga {i}",
                lon=lon,
                lat=lat,
                status=models.RequestStatus.TERVERIFIKASI.value,
            )
        )
    session.flush()
    plan = create_plan(
        session, StraightLineModel(), start_date=dt.date(2025, 4, 1), days=3, office=office
    )
    dates = {r.route_date for r in plan.routes}
    assert dates and dates <= {dt.date(2025, 4, 8), dt.date(2025, 4, 9), dt.date(2025, 4, 10)}


def test_calendar_changes_are_validated_in_indonesian(session: Session) -> None:
    office = make_office(session, teams=1)
    with pytest.raises(SettingsError, match="alasan kantor tutup"):
        set_days(session, office, dt.date(2026, 10, 7), is_open=False)
    with pytest.raises(SettingsError, match="sebelum tanggal awal"):
        set_days(session, office, dt.date(2026, 10, 7), dt.date(2026, 10, 1), is_open=True)
    with pytest.raises(SettingsError, match="366 hari"):
        set_days(
            session, office, dt.date(2026, 1, 1), dt.date(2028, 1, 1), is_open=False, label="x"
        )
    period = HoursInput("Ramadan", RAMADAN.start, RAMADAN.end, dt.time(8), dt.time(14))
    add_hours_period(session, office, period)
    with pytest.raises(SettingsError, match="bertumpang tindih"):
        add_hours_period(session, office, period)
    with pytest.raises(SettingsError, match="setelah jam mulai"):
        add_hours_period(
            session,
            office,
            HoursInput("X", dt.date(2027, 2, 8), dt.date(2027, 3, 9), dt.time(14), dt.time(8)),
        )
    with pytest.raises(NotFoundError):
        remove_hours_period(session, office, 999)
    (tim,) = office.teams
    with pytest.raises(NotFoundError):
        remove_absence(session, tim, 999)
    audit = session.scalars(select(models.AuditEvent.action)).all()
    assert "calendar.hours_add" in audit


def test_year_calendar_lists_holidays_cuti_bersama_and_the_offices_own(session: Session) -> None:
    office = make_office(session, teams=1)
    set_days(session, office, dt.date(2025, 4, 2), is_open=True, label="Layanan tetap buka")
    set_days(session, office, dt.date(2025, 10, 7), is_open=False, label="Hari jadi kota")
    entries = {e.day: e for e in year_calendar(office, 2025)}
    assert entries[dt.date(2025, 8, 17)].kind == NATIONAL
    assert not entries[dt.date(2025, 8, 17)].is_open
    kept = entries[dt.date(2025, 4, 2)]
    assert (kept.kind, kept.is_open, kept.override) == (CUTI_BERSAMA, True, True)
    assert (
        entries[dt.date(2025, 4, 3)].kind == CUTI_BERSAMA
        and not entries[dt.date(2025, 4, 3)].is_open
    )
    own = entries[dt.date(2025, 10, 7)]
    assert (own.kind, own.name, own.is_open) == (OFFICE, "Hari jadi kota", False)
    assert reset_days(session, office, dt.date(2025, 4, 2), dt.date(2025, 4, 3)) == 1
    assert not {e.day: e for e in year_calendar(office, 2025)}[dt.date(2025, 4, 2)].is_open
