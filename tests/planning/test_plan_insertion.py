"""Urgent insertion into a day's approved routes."""

from __future__ import annotations

import dataclasses

from plan_helpers import matrix_for, problem, route_of, site, solve, team

from outreach.domain import PlanResult, UnassignedSite
from outreach.planning.feasibility import check_plan
from outreach.planning.insertion import Insertion, insert_site


def _day() -> tuple[list, PlanResult]:
    east = [site(i, 3000 + 80 * i, 0) for i in range(1, 7)]
    west = [site(10 + i, -3000 - 80 * i, 0) for i in range(1, 7)]
    # Each side is a full day for one team: 6 visits of 50 minutes.
    east = [dataclasses.replace(s, service_s=50 * 60) for s in east]
    west = [dataclasses.replace(s, service_s=50 * 60) for s in west]
    result = solve(problem(east + west, [team(1), team(2)]))
    return east + west, result


def test_urgent_site_goes_into_the_nearest_route_at_least_cost() -> None:
    sites, result = _day()
    east_team = next(r.team_id for r in result.routes if 1 in route_of(result, r.team_id))
    urgent = site(99, 3250, 20, priority=100, category="darurat")
    prob = problem([*sites, urgent], [team(1), team(2)])
    matrix = matrix_for(prob)
    answer = insert_site(prob, matrix, site_id=99, routes=result.routes)
    assert isinstance(answer, Insertion)
    assert answer.route.team_id == east_team
    assert answer.replaces is not None
    old_order = [s.site_id for s in answer.replaces.stops]
    new_order = [s.site_id for s in answer.route.stops]
    assert [s for s in new_order if s != 99] == old_order  # everyone else keeps the order
    assert answer.added_travel_s < 200
    others = tuple(r for r in result.routes if r.team_id != east_team)
    updated = PlanResult(result.dates, (*others, answer.route), (), result.solver, result.seed)
    assert check_plan(prob, matrix, updated) == []


def test_urgent_site_that_fits_nowhere_gets_a_reason() -> None:
    sites, result = _day()
    urgent = site(99, 0, 9000, service_min=180, priority=100)
    prob = problem([*sites, urgent], [team(1), team(2)])
    answer = insert_site(prob, matrix_for(prob), site_id=99, routes=result.routes)
    assert isinstance(answer, UnassignedSite)
    assert answer.reason == "day_full"
    assert answer.expected_date is not None


def test_urgent_site_with_a_skill_nobody_has() -> None:
    sites, result = _day()
    urgent = site(99, 3250, 0, needs=frozenset({"bahasa_isyarat"}))
    prob = problem([*sites, urgent], [team(1), team(2)])
    answer = insert_site(prob, matrix_for(prob), site_id=99, routes=result.routes)
    assert isinstance(answer, UnassignedSite)
    assert answer.reason == "no_skill"
    assert "juru bahasa isyarat" in answer.message
