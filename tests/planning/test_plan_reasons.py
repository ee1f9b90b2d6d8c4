"""Every request left out gets the reason a coordinator can act on, checked before solving."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_helpers import MONDAY, matrix_for, problem, reasons, route_of, site, solve, team

from outreach.domain import PlanRules, Site
from outreach.planning.calendar import working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan


def test_reasons_found_before_solving() -> None:
    no_location = dataclasses.replace(site(1, 0, 0), lon=None, lat=None)
    no_skill = site(2, 300, 0, needs=frozenset({"kia", "bahasa_isyarat"}))
    evening = site(3, 300, 50, windows=[(18, 20)])
    huge = site(4, 400, 0, service_min=8 * 60)
    saturday_only = site(5, 500, 0, windows=[(9, 11)], weekdays=[5])
    pinned_elsewhere = site(6, 350, 0, pinned_team_id=99)
    fine = site(7, 450, 0)
    sites = [no_location, no_skill, evening, huge, saturday_only, pinned_elsewhere, fine]
    result = solve(problem(sites, [team(1)]))
    assert reasons(result) == {
        1: "no_location",
        2: "no_skill",
        3: "windows_miss_shifts",
        4: "too_long",
        5: "not_available",
        6: "pinned_team_unavailable",
    }
    assert route_of(result, 1) == [7]
    messages = {u.site_id: u.message for u in result.unassigned}
    assert "juru bahasa isyarat" in messages[2] and "KIA" not in messages[2].split("kurang:")[1]


def test_skill_combination_no_single_team_has() -> None:
    needs = frozenset({"perekaman_ktp", "petugas_perempuan", "bahasa_isyarat"})
    teams = [
        team(1, skills=frozenset({"perekaman_ktp", "petugas_perempuan"})),
        team(2, skills=frozenset({"perekaman_ktp", "bahasa_isyarat"})),
    ]
    result = solve(problem([site(1, 300, 0, needs=needs)], teams))
    (left,) = result.unassigned
    assert left.reason == "no_skill"
    assert "semua keahlian" in left.message and "kurang:" in left.message
    # Names what the closest team has and lacks, in words.
    assert (
        "Tim 1 punya perekaman e-KTP dan petugas perempuan tetapi tidak punya juru bahasa isyarat"
        in left.message
    )


def test_skilled_team_not_working_that_day() -> None:
    sign = team(2, skills=frozenset({"kia", "bahasa_isyarat"}), shift_by_weekday=((0, None),))
    result = solve(problem([site(1, 300, 0, needs=frozenset({"bahasa_isyarat"}))], [team(1), sign]))
    assert reasons(result) == {1: "no_team_on_day"}


def test_no_working_days_in_the_horizon() -> None:
    result = solve(problem([site(1, 300, 0)], [team(1)], dates=()))
    assert reasons(result) == {1: "not_working_day"}
    assert result.routes == ()


def test_no_requests_gives_an_empty_plan() -> None:
    result = solve(problem([], [team(1), team(2)]))
    assert result.routes == () and result.unassigned == ()


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[list[Site], list]:
    n = draw(st.integers(0, 14))
    sites = []
    for i in range(1, n + 1):
        x = draw(st.integers(-6000, 6000))
        y = draw(st.integers(-6000, 6000))
        windows = []
        if draw(st.booleans()):
            start = draw(st.sampled_from([8, 9.5, 11, 12, 13.5, 14]))
            windows = [(start, start + draw(st.sampled_from([0.5, 1, 2])))]
        sites.append(
            site(
                i,
                x,
                y,
                service_min=draw(st.sampled_from([22, 34, 60, 130])),
                windows=windows,
                priority=draw(st.integers(0, 100)),
                cards=draw(st.integers(0, 3)),
                needs=draw(st.sampled_from([frozenset(), frozenset({"bahasa_isyarat"})])),
            )
        )
    teams = [
        team(1, max_stops=draw(st.sampled_from([None, 3]))),
        team(2, skills=frozenset({"kia", "bahasa_isyarat"}), shift=(9, 16)),
    ][: draw(st.integers(1, 2))]
    return sites, teams


@settings(max_examples=30, deadline=None)
@given(small_problems(), st.sampled_from([1, 2]), st.sampled_from([None, 4]))
def test_any_small_problem_gives_a_feasible_complete_deterministic_plan(
    data: tuple[list[Site], list], days: int, card_capacity: int | None
) -> None:
    sites, teams = data
    prob = problem(
        sites,
        teams,
        dates=working_days(MONDAY + dt.timedelta(days=3), days),  # Thursday (+ Friday prayer)
        rules=PlanRules(daily_card_capacity=card_capacity),
    )
    matrix = matrix_for(prob)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    assert plan_routes(prob, matrix) == result
