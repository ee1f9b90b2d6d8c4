"""Multi-day plans: working days, area groups per day, rollover, locks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from plan_helpers import MONDAY, H, matrix_for, problem, reasons, route_of, site, solve, team

from outreach.domain import PlannedRoute, Site
from outreach.planning.calendar import working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan


def _area(first_id: int, x_m: float, y_m: float, count: int) -> list[Site]:
    return [site(first_id + i, x_m + 70 * (i % 4), y_m + 70 * (i // 4)) for i in range(count)]


def test_horizon_skips_sundays_and_public_holidays() -> None:
    # Thursday 29 May 2025 is Ascension Day, Friday 30 May its cuti bersama; 1 June is a
    # Sunday (and Pancasila Day).
    days = working_days(dt.date(2025, 5, 28), 4)
    assert days == (
        dt.date(2025, 5, 28),
        dt.date(2025, 5, 31),
        dt.date(2025, 6, 2),
        dt.date(2025, 6, 3),
    )


def test_one_team_works_one_area_a_day() -> None:
    # Three areas far apart, each a full day's work for the single team.
    areas = {
        "north": _area(100, 0, 5000, 13),
        "east": _area(200, 5000, 0, 13),
        "south": _area(300, 0, -5000, 13),
    }
    sites = [s for group in areas.values() for s in group]
    days = working_days(MONDAY, 3)
    result = solve(problem(sites, [team(1)], dates=days))
    per_day = [set(route_of(result, 1, day)) for day in days]
    # Each day's visits come from one area only.
    for visits in per_day:
        touched = [name for name, group in areas.items() if visits & {s.id for s in group}]
        assert len(touched) == 1, (visits, touched)
    assert len({frozenset(v) for v in per_day}) == 3


def test_urgent_area_goes_first() -> None:
    calm = _area(100, 5000, 0, 13)
    urgent = [*_area(200, -5000, 0, 12), site(299, -5000, 300, priority=60, category="sakit")]
    days = working_days(MONDAY, 2)
    result = solve(problem(calm + urgent, [team(1)], dates=days))
    assert 299 in route_of(result, 1, days[0])
    assert set(route_of(result, 1, days[0])) & {s.id for s in urgent}


def test_leftovers_roll_over_to_the_next_day() -> None:
    sites = _area(1, 2000, 0, 24)  # about 1.5 days of work
    days = working_days(MONDAY, 2)
    result = solve(problem(sites, [team(1)], dates=days))
    assert result.unassigned == ()
    assert route_of(result, 1, days[0]) and route_of(result, 1, days[1])


def test_backlog_beyond_the_horizon_gets_expected_dates_after_it() -> None:
    sites = _area(1, 2000, 0, 40)
    days = working_days(MONDAY, 1)
    result = solve(problem(sites, [team(1)], dates=days))
    waiting = [u for u in result.unassigned if u.reason == "day_full"]
    assert waiting
    assert all(u.expected_date and u.expected_date > days[-1] for u in waiting)
    # More urgent sites are expected no later than less urgent ones (queue by priority).
    assert max(u.expected_date for u in waiting) >= min(u.expected_date for u in waiting)


def test_not_available_on_any_planned_day() -> None:
    only_saturday = site(1, 500, 0, windows=[(9, 12)], weekdays=[5])
    result = solve(problem([only_saturday], [team(1)], dates=[MONDAY]))
    assert reasons(result) == {1: "not_available"}
    saturday = MONDAY + dt.timedelta(days=5)
    result = solve(problem([only_saturday], [team(1)], dates=[MONDAY, saturday]))
    assert route_of(result, 1, saturday) == [1]


def test_locked_route_is_kept_and_its_team_takes_no_new_work() -> None:
    sites = _area(1, 1500, 0, 6)
    first = solve(problem(sites, [team(1), team(2)]))
    locked = tuple(dataclasses.replace(r, locked=True) for r in first.routes if r.team_id == 1)
    assert locked
    extra = _area(50, -1500, 0, 4)
    prob = problem(sites + extra, [team(1), team(2)], locked=locked)
    again = solve(prob)
    kept = [r for r in again.routes if r.team_id == 1]
    assert kept == list(locked)
    locked_sites = {s.site_id for r in locked for s in r.stops}
    assert not locked_sites & set(route_of(again, 2))


def test_checker_flags_a_tampered_plan() -> None:
    sites = _area(1, 1500, 0, 14)
    prob = problem(sites, [team(1)])
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    (route,) = result.routes
    assert route.breaks

    def codes(r: PlannedRoute) -> set[str]:
        tampered = dataclasses.replace(result, routes=(r,))
        return {v.code for v in check_plan(prob, matrix, tampered)}

    assert "break_missing" in codes(dataclasses.replace(route, breaks=()))
    late = dataclasses.replace(route, end_s=16 * H)
    assert {"late", "arrival"} <= codes(late)
    doubled = dataclasses.replace(route, stops=(*route.stops, route.stops[0]))
    assert "visited_twice" in codes(doubled)
    dropped = dataclasses.replace(route, stops=route.stops[1:])
    assert "missing" in codes(dropped)
    wrong_team = dataclasses.replace(route, team_id=9)
    assert "team_day" in codes(wrong_team)


def test_checker_flags_a_route_on_a_day_the_office_is_closed() -> None:
    # A plan over cuti bersama Idul Fitri (Wednesday 2 April 2025), made by hand: the plan's
    # own dates list the day, so only the office calendar can catch it.
    closed = dt.date(2025, 4, 2)
    prob = problem(_area(1, 1500, 0, 3), [team(1)], dates=(closed,))
    matrix = matrix_for(prob)
    result = plan_routes(dataclasses.replace(prob, dates=(MONDAY,)), matrix)
    (route,) = result.routes
    moved = dataclasses.replace(result, routes=(dataclasses.replace(route, day=closed),))
    found = {v.code: v.message for v in check_plan(prob, matrix, moved)}
    assert "Cuti Bersama" in found["closed_day"]


def test_checker_flags_a_window_and_skill_violation() -> None:
    s1 = site(1, 500, 0, windows=[(9, 10)], needs=frozenset({"kia"}))
    prob = problem([s1], [team(1)])
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    restricted = dataclasses.replace(prob, teams=(team(1, skills=frozenset({"kk"})),))
    outside = dataclasses.replace(
        prob,
        sites=(
            dataclasses.replace(s1, availability=site(1, 0, 0, windows=[(13, 14)]).availability),
        ),
    )
    assert "skill" in {v.code for v in check_plan(restricted, matrix, result)}
    assert "window" in {v.code for v in check_plan(outside, matrix, result)}


def test_pinned_day_reason_is_the_reason_of_that_day() -> None:
    days = working_days(MONDAY, 3)
    # Pinned to Tuesday, but the resident is only at home on Mondays.
    pinned = site(1, 500, 0, windows=[(9, 11)], weekdays=[0], pinned_date=days[1])
    result = solve(problem([pinned], [team(1)], dates=days))
    assert reasons(result) == {1: "not_available"}
