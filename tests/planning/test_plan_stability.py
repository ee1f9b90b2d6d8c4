"""Stable re-planning (outreach.planning.stability): one small change moves few visits."""

from __future__ import annotations

import dataclasses

from plan_helpers import FRIDAY, MONDAY, matrix_for, problem, site, team

from outreach.domain import PlanResult
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import PlanningProblem
from outreach.planning.stability import (
    movement,
    plan_stable,
    result_positions,
    soft_pins,
)

DAYS = (MONDAY, MONDAY.replace(day=4), MONDAY.replace(day=5))


def _week() -> PlanningProblem:
    """Two teams, three days, 36 home visits spread over a 6 km line (a little spare time)."""
    sites = [
        site(i, -3000 + 170 * i, (i % 5) * 150, service_min=30, priority=10 + i % 40)
        for i in range(1, 37)
    ]
    return problem(sites, [team(1), team(2)], dates=DAYS)


def _checked(prob: PlanningProblem, result: PlanResult) -> PlanResult:
    assert check_plan(prob, matrix_for(prob), result) == []
    return result


def test_one_added_request_moves_at_most_a_few_visits() -> None:
    base_problem = _week()
    base = _checked(base_problem, plan_routes(base_problem, matrix_for(base_problem)))
    previous = result_positions(base)
    assert len(previous) >= 30
    new = site(99, 150, 100, service_min=30, priority=30)
    changed = dataclasses.replace(base_problem, sites=(*base_problem.sites, new))
    stable = _checked(changed, plan_stable(changed, matrix_for(changed), previous))
    moved = movement(previous, stable, ignore=frozenset({99}))
    assert moved.moved + moved.dropped <= 2
    assert 99 in result_positions(stable)  # the new one found room
    fresh = plan_routes(changed, matrix_for(changed))
    assert len(result_positions(stable)) >= len(result_positions(fresh)) - 1


def test_removed_and_repinned_requests_leave_the_rest_in_place() -> None:
    base_problem = _week()
    base = plan_routes(base_problem, matrix_for(base_problem))
    previous = result_positions(base)
    gone = sorted(previous)[3]
    without = dataclasses.replace(
        base_problem, sites=tuple(s for s in base_problem.sites if s.id != gone)
    )
    stable = _checked(without, plan_stable(without, matrix_for(without), previous))
    assert movement(previous, stable, ignore=frozenset({gone})).moved == 0
    # Pinned by hand to another day: that pin wins, the others stay.
    mover = sorted(previous)[5]
    other = next(d for d in DAYS if d != previous[mover][1])
    repinned = dataclasses.replace(
        base_problem,
        sites=tuple(
            dataclasses.replace(s, pinned_date=other) if s.id == mover else s
            for s in base_problem.sites
        ),
    )
    assert mover not in soft_pins(repinned, previous)
    stable = _checked(repinned, plan_stable(repinned, matrix_for(repinned), previous))
    assert result_positions(stable)[mover][1] == other
    m = movement(previous, stable, ignore=frozenset({mover}))
    assert m.moved + m.dropped <= 2


def test_a_previous_day_outside_the_plan_is_not_a_pin() -> None:
    prob = _week()
    pins = soft_pins(prob, {1: (1, FRIDAY), 2: (7, MONDAY), 3: (2, MONDAY)})
    assert pins == {3: (2, MONDAY)}
