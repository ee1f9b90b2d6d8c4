"""Planning with programmes on real Yogyakarta roads, every plan feasibility-checked.

- A Wednesday school visit is planned on its date with its team; home visits fill the rest
  of the week and of that team's Wednesday.
- A Saturday programme while the office is closed on Saturdays for home visits: the plan
  gets the Saturday with only the programme's team, in the programme's hours, and no home
  visit lands on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import Flask

from outreach.db import get_session
from outreach.planning.calendar import closed_reason
from outreach.planning.feasibility import check_plan
from outreach.planning.records import rules_for
from outreach.planning.service import approve_plan, compute_plan, load_inputs, save_plan
from outreach.programmes.generate import generate_visits
from tests.field_day import travel_for
from tests.programmes.programme_helpers import home_visits, office_of, place, programme, teams

MONDAY = dt.date(2026, 11, 23)
WEDNESDAY = dt.date(2026, 11, 25)
FRIDAY = dt.date(2026, 11, 27)
SATURDAY = dt.date(2026, 11, 28)


def _plan(app: Flask, start: dt.date, days: int):  # type: ignore[no-untyped-def]
    session = get_session()
    inputs = load_inputs(session, start_date=start, days=days, office=office_of(session))
    result, matrix = compute_plan(inputs, travel_for(app))
    assert check_plan(inputs.problem, matrix, result) == []
    plan = save_plan(session, inputs, result, matrix)
    assert plan.summary["violations"] == 0
    return inputs, plan


def test_wednesday_school_visit_and_home_visits_in_one_week(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    mawar, _melati = teams(session, "Tim Mawar", "Tim Melati", max_stops=3)
    place(session, "SMA Harapan Semaki", dx=0.006, dy=0.005, persons=25)
    programme(session, start=MONDAY, end=dt.date(2026, 12, 18), team_ids=(mawar.id,))
    generate_visits(session, office, MONDAY, FRIDAY)
    # More home visits than the week takes (2 teams x 3 stops x 5 days, less the school).
    home_visits(session, 32)
    session.commit()

    inputs, plan = _plan(yapp, MONDAY, 5)
    assert [d.isoformat() for d in inputs.problem.dates] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]
    assert not inputs.problem.rules.programme_days  # a working day: nothing special
    stops = [(r.route_date, r.team_id, s.request) for r in plan.routes for s in r.stops]
    school = [(day, team) for day, team, req in stops if req.programme_id is not None]
    assert school == [(WEDNESDAY, mawar.id)]
    wednesday_mawar = [req for day, team, req in stops if (day, team) == (WEDNESDAY, mawar.id)]
    assert any(req.programme_id is None for req in wednesday_mawar)  # home visits around it
    assert sum(1 for _, _, req in stops if req.programme_id is None) == 29
    approve_plan(session, plan.id)
    session.commit()


def test_saturday_programme_while_closed_for_home_visits(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    assert closed_reason(SATURDAY, rules_for(office).office_days) == "Bukan hari kerja kunjungan"
    _mawar, melati = teams(session, "Tim Mawar", "Tim Melati", max_stops=3)
    place(session, "Balai Kelurahan Semaki", dx=-0.004, dy=0.006, persons=20)
    programme(
        session,
        name="Kelurahan Sabtu",
        days=("Sabtu",),
        start=MONDAY,
        end=dt.date(2026, 12, 31),
        team_ids=(melati.id,),
        hours=("08:00", "12:00"),
    )
    generated = generate_visits(session, office, FRIDAY, SATURDAY)
    assert [v.visit_date for v in generated.visits] == [SATURDAY]
    # More home visits than Friday and Monday can take (2 teams x 3 stops x 2 days = 12).
    home_visits(session, 16)
    session.commit()

    inputs, plan = _plan(yapp, FRIDAY, 2)
    assert inputs.problem.dates == (FRIDAY, SATURDAY, dt.date(2026, 11, 30))
    by_day: dict[dt.date, list] = defaultdict(list)  # type: ignore[type-arg]
    for route in plan.routes:
        by_day[route.route_date].append(route)
    (saturday,) = by_day[SATURDAY]
    assert saturday.team_id == melati.id
    assert [s.request.programme_id for s in saturday.stops] == [generated.visits[0].programme_id]
    assert saturday.start_at.time() >= dt.time(8, 0) and saturday.end_at.time() <= dt.time(12, 0)
    # Home visits were left over, yet none went to the Saturday.
    home_stops = [s for r in plan.routes for s in r.stops if s.request.programme_id is None]
    assert len(home_stops) == 12 and plan.summary["unassigned"] == 4
    assert all(s.route.route_date != SATURDAY for s in home_stops)
    # The office calendar itself is unchanged: Saturday stays closed for home visits.
    assert closed_reason(SATURDAY, rules_for(office).office_days) is not None
    assert plan.inputs["rules"]["programme_days"] == [
        {"day": "2026-11-28", "team_ids": [melati.id], "hours": ["08:00", "12:00"]}
    ]
    approve_plan(session, plan.id)
    session.commit()
    # Planning again keeps the approved Saturday route (its team works that programme day).
    again, replan = _plan(yapp, FRIDAY, 2)
    assert again.locked_route_ids and saturday.id in again.locked_route_ids
    assert replan.summary["violations"] == 0


def test_a_big_school_is_served_whole_on_its_date_by_more_than_one_team(yapp: Flask) -> None:
    # 60 pupils: 370 minutes of recording, more than one team's day. The programme's one team
    # does the first part; the second goes to another team working that Wednesday (before,
    # it stayed pinned to the same team and was never served).
    session = get_session()
    office = office_of(session)
    mawar, melati = teams(session, "Tim Mawar", "Tim Melati")
    place(session, "SMK Harapan Semaki", dx=0.006, dy=0.005, persons=60)
    programme(session, start=MONDAY, end=dt.date(2026, 12, 18), team_ids=(mawar.id,))
    generate_visits(session, office, MONDAY, FRIDAY)
    home_visits(session, 6)
    session.commit()
    _inputs, plan = _plan(yapp, MONDAY, 5)
    school = sorted(
        (s.part or 1, r.route_date, r.team_id, s.persons)
        for r in plan.routes
        for s in r.stops
        if s.request.programme_id is not None
    )
    assert [(part, day) for part, day, _, _ in school] == [(1, WEDNESDAY), (2, WEDNESDAY)]
    assert school[0][2] == mawar.id and school[1][2] == melati.id
    assert sum(p or 0 for *_, p in school) == 60
    assert not [u for u in plan.unassigned if u.request.programme_id is not None]
