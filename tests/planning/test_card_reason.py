"""The reason a visit waits names what really kept it off the day (tester finding)."""

from __future__ import annotations

import dataclasses

from plan_helpers import MONDAY, problem, reasons, site, solve, team

from outreach.domain import PlanRules


def _collective(site_id: int, x: float) -> object:
    return site(site_id, x, 0, service_min=150, persons=30, cards=30, priority=30)


def test_time_not_cards_kept_it_off_the_day() -> None:
    # 60 cards a day; one team of four hours does one 150-minute collective visit (30 cards);
    # two are handed to the solver (work estimate), so the third waits for cards at first.
    rules = dataclasses.replace(PlanRules(), daily_card_capacity=60, lunch=None, friday_break=None)
    sites = [_collective(i, 300.0 * i) for i in (1, 2, 3)]
    result = solve(problem(sites, [team(1, shift=(8, 12))], dates=(MONDAY,), rules=rules))
    served = {s.site_id for r in result.routes for s in r.stops}
    assert len(served) == 1
    # 30 cards used of 60: the others waited for the team's time, not for the printers.
    assert set(reasons(result).values()) == {"day_full"}


def test_cards_kept_it_off_the_day() -> None:
    rules = dataclasses.replace(PlanRules(), daily_card_capacity=40, lunch=None, friday_break=None)
    sites = [site(i, 200.0 * i, 0, service_min=40, persons=25, cards=25) for i in (1, 2)]
    result = solve(problem(sites, [team(1)], dates=(MONDAY,), rules=rules))
    assert sum(len(r.stops) for r in result.routes) == 1
    assert set(reasons(result).values()) == {"card_capacity_full"}
