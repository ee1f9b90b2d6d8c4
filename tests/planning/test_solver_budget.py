"""The office's solving budget picks the engine (issue 12, section 5)."""

from __future__ import annotations

import dataclasses

import pytest

from outreach import models
from outreach.domain import PlanRules
from outreach.office import MAX_SOLVER_BUDGET_S, set_solver_budget, solver_budget
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.records import rules_for
from tests.planning.plan_helpers import matrix_for, problem, site, team


def _office(value: object) -> models.Office:
    return models.Office(
        name="Uji",
        region_slug="uji",
        region_code="34.71",
        depot_lon=0.0,
        depot_lat=0.0,
        settings={"planning": {"solver_budget_s": value}},
    )


def test_the_budget_setting_is_read_and_bounded() -> None:
    assert solver_budget(models.Office(name="Uji", settings={})) == 0
    assert solver_budget(_office(3)) == 3
    assert solver_budget(_office(999)) == MAX_SOLVER_BUDGET_S
    assert solver_budget(_office(-1)) == 0
    assert solver_budget(_office("banyak")) == 0
    assert rules_for(_office(2)).solver_budget_s == 2.0
    office = _office(0)
    set_solver_budget(office, 5)
    assert office.settings["planning"]["solver_budget_s"] == 5
    with pytest.raises(ValueError, match="0-30"):
        set_solver_budget(office, 31)


def test_without_a_budget_vroom_plans_alone_and_with_one_the_portfolio_does() -> None:
    sites = [site(i, 700.0 * (i % 5), 500.0 * (i // 5), service_min=15) for i in range(1, 16)]
    no_lunch = dataclasses.replace(PlanRules(), lunch=None, friday_break=None)
    for budget, engine in ((0.0, "vroom"), (0.5, "pyvrp")):
        prob = problem(
            sites, [team(1), team(2)], rules=dataclasses.replace(no_lunch, solver_budget_s=budget)
        )
        matrix = matrix_for(prob)
        result = plan_routes(prob, matrix)
        assert check_plan(prob, matrix, result) == []
        assert engine in result.solver
        assert sum(len(r.stops) for r in result.routes) == 15
