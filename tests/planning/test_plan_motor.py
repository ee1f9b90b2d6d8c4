"""Motorbike teams (issue 10, section 5): a request down a narrow gang ("motor saja") goes
only to a team marked as travelling by motorbike, and is told why when there is none."""

from __future__ import annotations

from plan_helpers import ALL_SKILLS, problem, reasons, route_of, site, solve, team

from outreach.models import Trait
from outreach.planning.reasons import Reason, describe

MOTOR = Trait.MOTOR.value


def test_a_gang_visit_goes_to_the_motorbike_team_only() -> None:
    car = team(1)
    bike = team(2, skills=ALL_SKILLS | {MOTOR})
    gang = site(1, 1500, 0, needs=frozenset({"perekaman_ktp", MOTOR}))
    street = [site(i, 1500 + 60 * i, 100) for i in range(2, 6)]
    result = solve(problem([gang, *street], [car, bike]))
    assert 1 in route_of(result, 2)
    assert 1 not in route_of(result, 1)


def test_without_a_motorbike_team_the_reason_names_it() -> None:
    gang = site(1, 1500, 0, needs=frozenset({"perekaman_ktp", MOTOR}))
    result = solve(problem([gang], [team(1)]))
    assert reasons(result) == {1: Reason.NO_SKILL.value}
    (left,) = result.unassigned
    assert "tim bermotor" in left.message
    assert "tim bermotor" in describe(Reason.NO_SKILL, skills=[MOTOR], needs=[MOTOR])
