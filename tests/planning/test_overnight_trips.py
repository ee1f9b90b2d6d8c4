"""Overnight trips to far clusters (issue 13, section 4): two days of one team, a night away.

The synthetic kabupaten of the far-trip tests (straight lines at 45 km/h, three teams on
07-16 with the sync deadline at 16:30), with the far cluster moved to 135 km: three hours
each way, so a day trip has two hours at the far end for a cluster of about six hours of
work. Every plan passes the independent feasibility checker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import PlannedRoute, PlanResult, PlanRules, Site, TeamSpec
from outreach.office import set_far_trips
from outreach.planning.edits import EditRefused, move_stop, remove_stop
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.insertion import Insertion, insert_site
from outreach.planning.problem import PlanningProblem, problem_points
from outreach.planning.records import planned_route
from outreach.planning.service import approve_plan, create_plan
from outreach.planning.stability import plan_stable
from outreach.planning.trips import FarTrips, far_trips_for
from tests.planning.plan_helpers import (
    ALL_SKILLS,
    MONDAY,
    H,
    StraightLineModel,
    make_office,
    matrix_for,
    problem,
    site,
    team,
)
from tests.planning.test_far_trips import KABUPATEN_RULES, SPEED_MPS, kabupaten_teams, near_sites

FAR_X_M = 135_000  # three hours each way at 45 km/h
TUESDAY = MONDAY + dt.timedelta(days=1)
DAYS = (MONDAY, TUESDAY, MONDAY + dt.timedelta(days=2))
OVERNIGHT = FarTrips(overnight=True)


def far_sites(n: int = 16, *, first_id: int = 100, **kwargs: object) -> list[Site]:
    """``n`` home visits on a 1.5 km circle 135 km east of the office (about 6 h of work)."""
    return [
        site(first_id + i, FAR_X_M + 1500 * math.cos(i), 1500 * math.sin(i), **kwargs)
        for i in range(n)
    ]


def kabupaten(
    *,
    dates: tuple[dt.date, ...] = DAYS,
    teams: list[TeamSpec] | None = None,
    rules: PlanRules = KABUPATEN_RULES,
    far: list[Site] | None = None,
    **kwargs: object,
) -> PlanningProblem:
    return problem(
        [*(far or far_sites()), *near_sites(30)],
        teams or kabupaten_teams(),
        dates=dates,
        rules=rules,
        **kwargs,
    )


def plan(prob: PlanningProblem, trips: FarTrips | None = OVERNIGHT) -> PlanResult:
    """Plan and assert the checker finds nothing wrong."""
    matrix = matrix_for(prob, speed_mps=SPEED_MPS)
    result = plan_routes(prob, matrix, far_trips=trips)
    assert check_plan(prob, matrix, result) == []
    return result


def far_ids() -> set[int]:
    return {s.id for s in far_sites()}


def trip_pairs(result: PlanResult) -> list[tuple[PlannedRoute, PlannedRoute]]:
    """(day 1, day 2) of every overnight trip."""
    by_key = {(r.team_id, r.day): r for r in result.routes}
    return [
        (r, by_key[(r.team_id, r.day + dt.timedelta(days=1))])
        for r in result.routes
        if r.ends_at_lodging
    ]


def test_without_overnight_trips_the_far_cluster_is_mostly_too_long() -> None:
    """Today's behaviour: three hours each way leave the day trips a few visits."""
    result = plan(kabupaten(), FarTrips())
    assert not any(r.ends_at_lodging or r.starts_from_lodging for r in result.routes)
    served = {s.site_id for r in result.routes for s in r.stops} & far_ids()
    assert len(served) < 8
    reasons = {u.site_id: u.reason for u in result.unassigned}
    assert {reasons[i] for i in far_ids() - served} == {"too_long"}


def test_overnight_on_plans_a_two_day_trip_that_serves_the_whole_cluster() -> None:
    prob = kabupaten()
    matrix = matrix_for(prob, speed_mps=SPEED_MPS)
    result = plan(prob)
    pairs = trip_pairs(result)
    assert len(pairs) == 1
    first, second = pairs[0]
    assert (first.day, second.day) == (MONDAY, TUESDAY)
    assert first.team_id == second.team_id
    # Day 1 ends at its last stop: no way back.
    assert first.return_travel_s == first.return_distance_m == 0
    assert first.end_s == first.stops[-1].departure_s or first.breaks
    assert first.stops[0].travel_s >= 3 * H - 300  # the long drive out is counted
    # Day 2 leaves from there at the shift start and drives back by the deadline.
    lodging = first.stops[-1].site_id
    assert second.lodging_site_id == lodging
    assert second.start_s >= 7 * H
    index = problem_points(prob)
    row = index.site_row[lodging]
    first_row = index.site_row[second.stops[0].site_id]
    assert second.stops[0].travel_s == int(matrix.durations_s[row, first_row])
    assert second.return_travel_s >= 3 * H - 300
    assert second.end_s <= 16 * H
    # Every far site is served, on the trip only, and the team has no other work.
    on_trip = [s.site_id for r in (first, second) for s in r.stops]
    assert set(on_trip) == far_ids()
    others = [r for r in result.routes if r.team_id == first.team_id and r not in pairs[0]]
    assert not [r for r in others if r.day in (MONDAY, TUESDAY)]
    # No far site is "deferred"; the near work is done by the other teams.
    assert not {u.site_id for u in result.unassigned} & far_ids()


def test_the_checker_flags_a_route_ending_away_and_a_wrong_lodging_start() -> None:
    prob = kabupaten()
    matrix = matrix_for(prob, speed_mps=SPEED_MPS)
    result = plan(prob)
    first, second = trip_pairs(result)[0]

    def codes(*routes: PlannedRoute) -> set[str]:
        swapped = {(r.team_id, r.day): r for r in routes}
        changed = tuple(swapped.get((r.team_id, r.day), r) for r in result.routes)
        bad = dataclasses.replace(result, routes=changed)
        return {v.code for v in check_plan(prob, matrix, bad)}

    # Day 1 without its mark: it ends away from the office.
    unmarked = dataclasses.replace(first, ends_at_lodging=False)
    assert "ends_away" in codes(unmarked)
    # Day 2 leaving from another far site than day 1's last stop.
    other = next(s.site_id for s in first.stops[:-1])
    assert {"lodging_start", "lodging_next_start"} <= codes(
        dataclasses.replace(second, lodging_site_id=other)
    )
    # Day 2 leaving from the office as if there had been no night away.
    assert "lodging_next_start" in codes(dataclasses.replace(second, lodging_site_id=None))
    # A route leaving from a lodging with no first day before it.
    lone = dataclasses.replace(first, ends_at_lodging=False, lodging_site_id=other)
    assert "lodging_no_first_day" in {
        v.code
        for v in check_plan(
            prob,
            matrix,
            dataclasses.replace(
                result,
                routes=(*(r for r in result.routes if r not in (first, second)), lone),
            ),
        )
    }


def test_no_overnight_trip_when_the_next_day_is_a_holiday() -> None:
    """Tuesday closed (a regional holiday): the plan's next day is Wednesday, two nights."""
    wednesday = MONDAY + dt.timedelta(days=2)
    rules = dataclasses.replace(KABUPATEN_RULES, closed_days=((TUESDAY, "Libur daerah"),))
    result = plan(kabupaten(dates=(MONDAY, wednesday), rules=rules))
    assert not any(r.ends_at_lodging or r.starts_from_lodging for r in result.routes)


def test_no_overnight_trip_when_the_team_does_not_work_the_next_day() -> None:
    off_tuesday = ((1, None),)
    teams = [team(i, shift=(7, 16), shift_by_weekday=off_tuesday) for i in (1, 2, 3)]
    result = plan(kabupaten(dates=(MONDAY, TUESDAY), teams=teams))
    assert not any(r.ends_at_lodging or r.starts_from_lodging for r in result.routes)
    # The one team that works on Tuesday is the one that goes.
    teams[2] = team(3, shift=(7, 16))
    result = plan(kabupaten(dates=(MONDAY, TUESDAY), teams=teams))
    assert [(a.team_id, b.team_id) for a, b in trip_pairs(result)] == [(3, 3)]


def test_no_overnight_trip_on_the_last_day_of_the_plan() -> None:
    result = plan(kabupaten(dates=(MONDAY,)))
    assert not any(r.ends_at_lodging for r in result.routes)


def test_a_kept_first_day_makes_the_team_leave_from_the_lodging_on_day_two() -> None:
    """Day 1 approved (kept), day 2 planned again: the team starts at the lodging, no near work.

    Only team 1 has a woman officer, whom every far visit needs: no other team takes the rest
    of the cluster on Monday.
    """
    woman = frozenset({"petugas_perempuan"})
    far = far_sites(needs=woman)
    teams = [team(1, shift=(7, 16), skills=ALL_SKILLS | woman), *kabupaten_teams()[1:]]
    prob = kabupaten(teams=teams, far=far)
    first, _ = trip_pairs(plan(prob))[0]
    kept = dataclasses.replace(first, locked=True)
    again = kabupaten(teams=teams, far=far, locked=(kept,))
    result = plan(again)
    day2 = [r for r in result.routes if r.team_id == first.team_id and r.day == TUESDAY]
    assert len(day2) == 1
    assert day2[0].lodging_site_id == first.stops[-1].site_id
    assert {s.site_id for s in day2[0].stops} <= far_ids()
    served = {s.site_id for r in result.routes for s in r.stops}
    assert far_ids() <= served
    # Without far trips at all, the kept night still holds the team on day 2.
    result = plan(again, None)
    day2 = [r for r in result.routes if r.team_id == first.team_id and r.day == TUESDAY]
    assert [r.lodging_site_id for r in day2] == [first.stops[-1].site_id]


def test_settings_turn_overnight_trips_on() -> None:
    office = models.Office(name="Disdukcapil Kab. Uji", region_slug="uji", settings={})
    assert set_far_trips(office, overnight_trips=True) == (60, True)
    assert far_trips_for(office.settings) == FarTrips(overnight=True)
    assert set_far_trips(office, far_trip_minutes=120) == (120, True)
    assert set_far_trips(office, overnight_trips=False) == (120, False)


def far_office(session: Session) -> tuple[models.Office, list[models.ServiceRequest]]:
    """A stored office (3 teams 07-16, sync 16:30, overnight trips on) and 12 far requests."""
    office = make_office(session, 3, overnight_trips=True)
    office.sync_deadline = dt.time(16, 30)
    for t in office.teams:
        t.shift_start, t.shift_end = dt.time(7), dt.time(16)
    requests = [
        models.ServiceRequest(
            tracking_code=f"JB-{i:04d}",
            office_id=office.id,
            category="lansia",
            services=["perekaman_ktp"],
            person_name=f"Warga {i}",
            applicant_name=f"Pemohon {i}",
            nik="3471014107800001",
            phone="+6281234567890",
            lon=s.lon,
            lat=s.lat,
            status=models.RequestStatus.TERVERIFIKASI.value,
            verified_at=dt.datetime(2025, 2, 20, 9, 0),
        )
        for i, s in enumerate(far_sites(12))
    ]
    session.add_all(requests)
    session.flush()
    return office, requests


def test_stored_routes_keep_their_marks_and_a_replan_keeps_them(session: Session) -> None:
    """Real SQLite: plan Monday-Tuesday, store, reload, approve, plan again."""
    office, requests = far_office(session)
    travel = StraightLineModel(SPEED_MPS)
    plan_row = create_plan(session, travel, start_date=MONDAY, days=2, office=office)
    assert plan_row.summary["violations"] == 0
    session.commit()
    session.expire_all()
    routes = session.scalars(select(models.Route).order_by(models.Route.route_date)).all()
    first = [r for r in routes if r.ends_at_lodging]
    second = [r for r in routes if r.lodging_site_id is not None]
    assert len(first) == len(second) == 1
    assert first[0].team_id == second[0].team_id
    assert first[0].return_geometry == []
    assert second[0].lodging_site_id == first[0].stops[-1].request_id
    back = planned_route(second[0], locked=True)
    assert back.lodging_site_id == first[0].stops[-1].request_id
    assert planned_route(first[0], locked=True).ends_at_lodging
    assert planned_route(first[0], locked=True).return_travel_s == 0
    served = {s.request_id for r in routes for s in r.stops}
    assert served == {r.id for r in requests}

    approve_plan(session, plan_row.id, now=dt.datetime(2025, 3, 1, 10, 0))
    session.commit()
    again = create_plan(session, travel, start_date=MONDAY, days=2, office=office)
    assert again.summary["violations"] == 0
    marks = sorted((r.ends_at_lodging, r.lodging_site_id is not None) for r in again.routes)
    assert marks == [(False, True), (True, False)]
    # Only Tuesday planned again: the kept day-2 route leaves from a lodging the plan does
    # not hold (Monday is outside it); it is kept as it is.
    tuesday = create_plan(session, travel, start_date=TUESDAY, days=1, office=office)
    assert tuesday.summary["violations"] == 0
    assert sum(r.lodging_site_id is not None for r in tuesday.routes) == 1


def test_a_stable_replan_keeps_the_trip() -> None:
    """Re-planning a draft pins each visit to its day: day 2's visits still go on day 2."""
    prob = kabupaten()
    matrix = matrix_for(prob, speed_mps=SPEED_MPS)
    result = plan(prob)
    positions = {s.site_id: (r.team_id, r.day) for r in result.routes for s in r.stops}
    again = plan_stable(prob, matrix, positions, far_trips=OVERNIGHT)
    assert check_plan(prob, matrix, again) == []
    before = [
        ([s.site_id for s in a.stops], [s.site_id for s in b.stops]) for a, b in trip_pairs(result)
    ]
    after = [
        (sorted(s.site_id for s in a.stops), sorted(s.site_id for s in b.stops))
        for a, b in trip_pairs(again)
    ]
    assert [(sorted(a), sorted(b)) for a, b in before] == after


def test_replanning_day_two_alone_keeps_the_team_away_from_the_office(session: Session) -> None:
    """Day 1 approved and outside the plan, day 2 planned afresh: that team is not sent out."""
    office, _requests = far_office(session)
    travel = StraightLineModel(SPEED_MPS)
    first = create_plan(session, travel, start_date=MONDAY, days=2, office=office)
    approve_plan(session, first.id, now=dt.datetime(2025, 3, 1, 10, 0))
    session.commit()
    trip_team = next(r.team_id for r in first.routes if r.ends_at_lodging)
    tuesday = create_plan(
        session, travel, start_date=TUESDAY, days=1, office=office, keep_approved=False
    )
    assert tuesday.summary["violations"] == 0
    assert all(r.team_id != trip_team for r in tuesday.routes)
    assert any("menginap setelah rute" in n for n in tuesday.summary["notes"])


def test_a_day_of_an_overnight_trip_is_not_edited_stop_by_stop(session: Session) -> None:
    """Moving or removing one visit would re-time the day as from and back to the office."""
    office, _requests = far_office(session)
    travel = StraightLineModel(SPEED_MPS)
    draft = create_plan(session, travel, start_date=MONDAY, days=2, office=office)
    session.commit()
    day1 = next(r for r in draft.routes if r.ends_at_lodging)
    day2 = next(r for r in draft.routes if r.lodging_site_id is not None)
    other = next(t for t in office.teams if t.id != day1.team_id)
    with pytest.raises(EditRefused, match="perjalanan menginap"):
        move_stop(session, travel, draft.id, day1.stops[0].id, team_id=other.id, day=MONDAY)
    with pytest.raises(EditRefused, match="perjalanan menginap"):
        remove_stop(session, travel, draft.id, day2.stops[0].id)
    session.expire_all()
    assert len(session.get(models.Route, day1.id).stops) == len(day1.stops)


def test_an_urgent_insertion_leaves_the_trip_days_alone() -> None:
    """Inserting a site re-times a route from the office and back: never a day of a trip."""
    prob = kabupaten()
    result = plan(prob)
    first, _ = trip_pairs(result)[0]
    # A new far site next to the trip's sites, on the trip's first day: only the trip team
    # is near it, yet its route must not be re-timed as a day trip.
    newcomer = far_sites(1, first_id=900)[0]
    day_routes = [r for r in result.routes if r.day == MONDAY]
    # A very long day, so that time is no reason to refuse it.
    long_day = [t for t in kabupaten_teams(shift=(6, 23.5)) if t.id == first.team_id]
    one_day = dataclasses.replace(
        prob,
        dates=(MONDAY,),
        sites=(*prob.sites, newcomer),
        teams=tuple(long_day),
        rules=dataclasses.replace(prob.rules, sync_deadline_s=int(23.9 * H)),
    )
    matrix = matrix_for(one_day, speed_mps=SPEED_MPS)
    answer = insert_site(one_day, matrix, site_id=newcomer.id, routes=day_routes)
    assert not isinstance(answer, Insertion)
    # The same route without its overnight mark would take it.
    plain = [dataclasses.replace(r, ends_at_lodging=False) for r in day_routes]
    assert isinstance(insert_site(one_day, matrix, site_id=newcomer.id, routes=plain), Insertion)
