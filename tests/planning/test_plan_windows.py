"""The whole visit inside the resident's hours (issue 10, section 2).

A resident home 10:00-10:40 must not be visited 10:36-11:10: the service has to *end* by the
window's end, so the solver gets start windows ``[start, end - service]`` and the checker
asserts the end. A window shorter than the visit is a reason of its own.
"""

from __future__ import annotations

import dataclasses

from plan_helpers import H, matrix_for, problem, reasons, site, solve, team

from outreach.domain import PlannedRoute
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.reasons import Reason, describe


def _ends(result_routes: tuple[PlannedRoute, ...], service_s: dict[int, int]) -> dict[int, int]:
    return {
        s.site_id: s.service_start_s + service_s[s.site_id] for r in result_routes for s in r.stops
    }


def test_visit_ends_inside_the_residents_window() -> None:
    # 10:00-10:40 and a 34-minute visit: service must start by 10:06 and end by 10:40.
    tight = site(1, 2500, 0, service_min=34, windows=[(10, 10 + 40 / 60)])
    # Others that pull the team to arrive late if the window were a start window only.
    others = [site(10 + i, 2500 + 80 * i, 300, service_min=30) for i in range(1, 5)]
    result = solve(problem([tight, *others], [team(1)]))
    stop = next(s for r in result.routes for s in r.stops if s.site_id == 1)
    assert 10 * H <= stop.service_start_s <= 10 * H + 6 * 60
    assert stop.service_start_s + 34 * 60 <= 10 * H + 40 * 60


def test_two_residents_home_at_the_same_time_are_not_both_squeezed_in() -> None:
    # Both home 10:00-10:40, 30-minute visits, one team: only one visit can end by 10:40
    # (a start window would let the second run 10:33-11:03).
    a = site(1, 1500, 0, service_min=30, windows=[(10, 10 + 40 / 60)])
    b = site(2, 1550, 0, service_min=30, windows=[(10, 10 + 40 / 60)])
    result = solve(problem([a, b], [team(1, shift=(9.9, 15))]))
    ((routed, end),) = _ends(result.routes, {1: 1800, 2: 1800}).items()
    assert end <= 10 * H + 40 * 60
    assert set(reasons(result)) == {3 - routed}


def test_window_shorter_than_the_visit_is_its_own_reason() -> None:
    # Home 13:00-13:15, the visit takes 22 minutes: never 13:00-13:22.
    short = site(1, 1500, 0, windows=[(13, 13.25)])
    result = solve(problem([short], [team(1)]))
    assert reasons(result) == {1: Reason.WINDOW_TOO_SHORT.value}
    assert "terlalu singkat untuk layanan ini" in describe(Reason.WINDOW_TOO_SHORT)


def test_checker_flags_a_visit_running_past_the_window() -> None:
    s1 = site(1, 500, 0, windows=[(9, 10)])
    prob = problem([s1], [team(1)])
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    # The same route checked against a window that closes 10 minutes into the visit.
    (route,) = result.routes
    start = route.stops[0].service_start_s
    closing = dataclasses.replace(
        prob,
        sites=(site(1, 500, 0, windows=[(start / H - 0.25, (start + 600) / H)]),),
    )
    codes = {v.code for v in check_plan(closing, matrix, result)}
    assert "window_end" in codes
    assert "window" not in codes  # it did start inside the window
