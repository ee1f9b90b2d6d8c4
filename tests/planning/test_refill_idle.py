"""A day whose candidates were chosen on estimates and left a team idle is solved again.

Big collective visits weigh a lot in the day's candidate selection (its work estimates), so a
day can be handed too few visits: a team back at the office before one o'clock while home
visits wait "Kapasitas tim penuh" (seen in the demo after sweeps got persons points). The
engine then offers the solver more candidates and keeps the answer that serves more.
"""

from __future__ import annotations

import random

import pytest

from outreach.planning import engine
from outreach.planning.problem import PlanningProblem
from tests.planning.plan_helpers import H, problem, site, solve, team


def _day() -> PlanningProblem:
    rng = random.Random(3)
    sites = [
        site(
            1000 + k,
            rng.uniform(-3000, 3000),
            rng.uniform(-3000, 3000),
            service_min=10 + 6 * 35,
            persons=35,
            category="kolektif",
            priority=49,
        )
        for k in range(3)
    ]
    sites += [
        site(i, rng.uniform(-3000, 3000), rng.uniform(-3000, 3000), category="lansia", priority=40)
        for i in range(1, 60)
    ]
    return problem(sites, [team(1), team(2), team(3)])


def test_an_idle_team_gets_more_visits_when_work_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    prob = _day()
    with monkeypatch.context() as m:
        m.setattr(engine, "REFILL_IDLE_S", 10**9)  # as before: one solve only
        before = solve(prob)
    after = solve(prob)
    visits = [sum(len(r.stops) for r in result.routes) for result in (before, after)]
    assert visits[1] > visits[0]
    assert min(r.end_s for r in before.routes) < 13 * H  # a team was back before one o'clock
    assert min(r.end_s for r in after.routes) > 13.5 * H  # now every team works the afternoon
    # Still work waiting, so the day really was full.
    assert {u.site_id for u in after.unassigned}
