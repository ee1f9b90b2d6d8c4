"""Hand-made day plans whose best answer is known; every plan passes the independent checker."""

from __future__ import annotations

import dataclasses
import datetime as dt

from plan_helpers import (
    FRIDAY,
    MONDAY,
    H,
    matrix_for,
    problem,
    reasons,
    route_of,
    site,
    solve,
    straight_matrix,
    team,
)

from outreach.domain import PlanRules, Site, TeamSpec, TimeWindow
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import problem_points


def _cluster(first_id: int, x_m: float, count: int) -> list[Site]:
    return [site(first_id + i, x_m + 60 * (i % 4), 60 * (i // 4)) for i in range(count)]


def test_two_clusters_two_teams_each_team_takes_one_cluster() -> None:
    # 12 visits of 22 min per cluster: a cluster is most of a team's day, so one team
    # cannot do both, and splitting a cluster would only add driving.
    east = _cluster(100, 4000, 12)
    west = _cluster(200, -4000, 12)
    result = solve(problem(east + west, [team(1), team(2)]))
    assert result.unassigned == ()
    visits = [set(route_of(result, 1)), set(route_of(result, 2))]
    assert sorted(visits, key=min) == [{s.id for s in east}, {s.id for s in west}]


def test_lunch_break_falls_inside_the_route() -> None:
    sites = _cluster(1, 3000, 14)  # about 5.5 h of service: the team is out over noon
    result = solve(problem(sites, [team(1)]))
    (route,) = result.routes
    (lunch,) = route.breaks
    assert lunch.label == "istirahat"
    assert 12 * H <= lunch.start_s <= 13 * H
    assert lunch.end_s - lunch.start_s == H
    stop = route.stops[lunch.before_sequence - 1]
    assert stop.arrival_s <= lunch.start_s and lunch.end_s <= stop.service_start_s
    # Nobody is being served during the break.
    assert all(
        s.departure_s <= lunch.start_s or s.service_start_s >= lunch.end_s for s in route.stops
    )


def test_friday_prayer_replaces_lunch_on_fridays() -> None:
    sites = _cluster(1, 3000, 14)
    result = solve(problem(sites, [team(1)], dates=[FRIDAY]))
    (route,) = result.routes
    assert [(b.label, b.start_s, b.end_s) for b in route.breaks] == [
        ("salat_jumat", 11 * H + 1800, 13 * H)
    ]


def test_short_day_back_before_lunch_needs_no_break() -> None:
    result = solve(problem(_cluster(1, 1000, 3), [team(1)]))
    (route,) = result.routes
    assert route.end_s < 12 * H
    assert route.breaks == ()


def test_skill_only_request_goes_to_the_only_team_with_it() -> None:
    near_team_1 = site(1, 200, 0, needs=frozenset({"kia", "bahasa_isyarat"}))
    others = [site(2, 250, 50), site(3, -2500, 0), site(4, -2550, 40)]
    teams = [
        team(1, skills=frozenset({"kia", "perekaman_ktp"})),
        team(2, skills=frozenset({"kia", "perekaman_ktp", "bahasa_isyarat"})),
    ]
    result = solve(problem([near_team_1, *others], teams))
    assert 1 in route_of(result, 2)
    assert 1 not in route_of(result, 1)


def test_card_capacity_full_lowest_priority_waits() -> None:
    sites = [
        site(1, 500, 0, persons=1, cards=1, priority=90, category="darurat"),
        site(2, 600, 0, persons=1, cards=1, priority=40, category="lansia"),
        site(3, 700, 0, persons=1, cards=1, priority=15, category="lainnya"),
    ]
    rules = PlanRules(daily_card_capacity=2)
    result = solve(problem(sites, [team(1)], rules=rules))
    assert sorted(route_of(result, 1)) == [1, 2]
    (left,) = result.unassigned
    assert (left.site_id, left.reason) == (3, "card_capacity_full")
    assert left.expected_date == MONDAY + dt.timedelta(days=1)
    assert "Selasa, 4 Maret 2025" in left.message


def test_day_full_lowest_priority_waits_with_expected_date() -> None:
    # Five 100-minute visits for a 7-hour day with an hour of lunch: three fit, the least
    # urgent two wait.
    priorities = {1: 15, 2: 60, 3: 90, 4: 40, 5: 50}
    sites = [site(i, 300 * i, 0, service_min=100, priority=p) for i, p in priorities.items()]
    result = solve(problem(sites, [team(1)]))
    served = set(route_of(result, 1))
    assert served == {2, 3, 5}
    assert reasons(result) == {1: "day_full", 4: "day_full"}
    expected = {u.site_id: u.expected_date for u in result.unassigned}
    assert all(d is not None and d > MONDAY for d in expected.values())


def test_time_window_is_respected_and_ordering_follows_it() -> None:
    sites = [
        site(1, 500, 0, windows=[(13, 14)]),
        site(2, 600, 0, windows=[(8, 9)]),
    ]
    result = solve(problem(sites, [team(1)]))
    (route,) = result.routes
    assert [s.site_id for s in route.stops] == [2, 1]
    first, second = route.stops
    assert 8 * H <= first.service_start_s <= 9 * H
    assert 13 * H <= second.service_start_s <= 14 * H


def test_several_windows_later_one_used_when_the_first_is_taken() -> None:
    # Both are home 9:00-10:30 (a 60-minute visit starts by 9:30); site 2 is also home
    # 13:00-15:00 and gets that.
    sites = [
        site(1, 500, 0, service_min=60, windows=[(9, 10.5)], priority=50),
        site(2, 520, 0, service_min=60, windows=[(9, 10.5), (13, 15)], priority=40),
    ]
    result = solve(problem(sites, [team(1)]))
    (route,) = result.routes
    starts = {s.site_id: s.service_start_s for s in route.stops}
    assert 9 * H <= starts[1] <= 9.5 * H
    assert 13 * H <= starts[2] <= 14 * H


def test_sync_deadline_earlier_than_shift_end_brings_teams_back_earlier() -> None:
    sites = _cluster(1, 2000, 20)
    rules = PlanRules(sync_deadline_s=14 * H)
    result = solve(problem(sites, [team(1, shift=(8, 16))], rules=rules))
    (route,) = result.routes
    assert route.end_s <= 14 * H
    assert result.unassigned  # 20 x 22 min do not fit before 14:00


def test_max_stops_caps_a_team() -> None:
    sites = _cluster(1, 1000, 6)
    result = solve(problem(sites, [team(1, max_stops=4)]))
    assert len(route_of(result, 1)) == 4
    assert len(result.unassigned) == 2


def test_team_start_point_is_used() -> None:
    from plan_helpers import at

    sites = [site(1, 5000, 0), site(2, 5100, 0)]
    result = solve(problem(sites, [team(1, start=at(5000, 100))]))
    (route,) = result.routes
    assert route.stops[0].travel_s <= 30  # starts next door, not at the office


def test_pinned_team_and_day() -> None:
    sites = [site(1, 300, 0, pinned_team_id=2), site(2, -300, 0, pinned_date=MONDAY)]
    result = solve(problem(sites, [team(1), team(2)]))
    assert 1 in route_of(result, 2)
    assert 2 in route_of(result, 1) + route_of(result, 2)


def test_pinned_to_another_day_waits_for_it() -> None:
    later = MONDAY + dt.timedelta(days=7)
    result = solve(problem([site(1, 300, 0, pinned_date=later)], [team(1)]))
    (left,) = result.unassigned
    assert left.reason == "pinned_other_day"
    assert left.expected_date == later


def test_deterministic_same_input_same_plan() -> None:
    sites = _cluster(1, 2500, 16) + _cluster(50, -2500, 16) + _cluster(90, 0, 10)
    prob = problem(sites, [team(1), team(2), team(3)], seed=7)
    matrix = matrix_for(prob)
    first = plan_routes(prob, matrix)
    second = plan_routes(prob, matrix)
    assert first == second
    assert check_plan(prob, matrix, first) == []


def test_fallback_point_off_the_road_network() -> None:
    sites = [site(1, 300, 0), site(2, 400, 0)]
    prob = problem(sites, [team(1)])
    points = problem_points(prob).points
    off = [False, False, True]  # office, site 1, site 2 (off the network)
    matrix = straight_matrix(points, fallback=off)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    assert reasons(result) == {2: "off_network"}
    planned = plan_routes(dataclasses.replace(prob, rules=PlanRules(plan_off_network=True)), matrix)
    (route,) = planned.routes
    # A leg is an estimate when either end is off the network.
    legs = {s.site_id: s.fallback for s in route.stops}
    assert legs[2] is True
    assert route.stops[0].site_id == 2 or legs[1] is False


def test_whole_matrix_fallback_still_plans_with_a_note() -> None:
    prob = problem([site(1, 300, 0)], [team(1)])
    m = matrix_for(prob)
    m = dataclasses.replace(m, fallback=m.fallback | True, method="fallback")
    result = plan_routes(prob, m)
    assert route_of(result, 1) == [1]
    assert result.notes and "perkiraan" in result.notes[0]


def test_team_shift_by_weekday_off_and_empty_shift() -> None:
    off_monday = team(1, shift_by_weekday=((0, None),))
    empty = TeamSpec(2, "Tim 2", off_monday.skills, TimeWindow(8 * H, 8 * H))
    result = solve(problem([site(1, 300, 0)], [off_monday, empty]))
    assert result.routes == ()
    assert reasons(result) == {1: "no_teams"}
    assert result.notes


def test_break_before_the_drive_back_when_the_last_visit_ends_late() -> None:
    # 30 min out, 4 h 20 min at the door: the visit ends 12:50 and the drive back would reach
    # the office after 13:00, the latest lunch start, so lunch comes before driving back.
    far = site(1, 9000, 0, service_min=260)
    result = solve(problem([far], [team(1)], rules=PlanRules(sync_deadline_s=None)))
    (route,) = result.routes
    (stop,) = route.stops
    assert stop.departure_s == 12 * H + 50 * 60
    (lunch,) = route.breaks
    assert lunch.before_sequence == 2  # the way back
    assert (lunch.start_s, lunch.end_s) == (stop.departure_s, stop.departure_s + H)
    assert route.end_s == lunch.end_s + route.return_travel_s


def test_polish_gives_one_canonical_order_for_equal_routes() -> None:
    from outreach.planning.calendar import team_day
    from outreach.planning.polish import polish_route
    from outreach.planning.timing import schedule_route

    sites = [site(1, 1000, 0), site(2, 1000, 500), site(3, 0, 500)]  # a square with the office
    prob = problem(sites, [team(1)])
    index = problem_points(prob)
    matrix = matrix_for(prob)
    td = team_day(prob.teams[0], MONDAY, prob.rules)
    by_id = {s.id: s for s in sites}

    def timer(t, order):
        return schedule_route(
            t,
            order,
            rows=[index.site_row[s.id] for s in order],
            start_row=0,
            depot_row=0,
            matrix=matrix,
        )

    forward = timer(td, [by_id[1], by_id[2], by_id[3]])
    backward = timer(td, [by_id[3], by_id[2], by_id[1]])
    assert forward.travel_s == backward.travel_s  # the same loop, both ways
    finished = [
        polish_route(
            td,
            r,
            by_id,
            rows=index.site_row,
            start_row=0,
            depot_row=0,
            durations=matrix.durations_s,
            timer=timer,
        )
        for r in (forward, backward)
    ]
    assert [s.site_id for s in finished[0].stops] == [1, 2, 3]
    assert finished[0] == finished[1]
