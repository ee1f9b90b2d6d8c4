"""Expected dates that can come true (issue 10, section 3).

Every "Perkiraan dijadwalkan" is a date the request can really be served on: the office is
open, a skilled team works with a day long enough for the whole visit, the resident is home,
the pin holds, the cards fit the day's capacity. Without such a date, none is given.
"""

from __future__ import annotations

import datetime as dt

from plan_helpers import MONDAY, H, matrix_for, problem, site, solve, team

from outreach.domain import PlannedRoute, PlanRules, TimeWindow
from outreach.planning.calendar import working_days
from outreach.planning.insertion import insert_site
from outreach.planning.reasons import Reason

FRIDAY = MONDAY + dt.timedelta(days=4)  # 7 March 2025
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)
RULES = PlanRules(working_weekdays=frozenset(range(5)))


def _left(result: object) -> dict[int, tuple[str, dt.date | None, str]]:
    return {u.site_id: (u.reason, u.expected_date, u.message) for u in result.unassigned}  # type: ignore[attr-defined]


def test_a_long_collective_visit_is_promised_a_day_with_a_shift_long_enough() -> None:
    # Fridays end at 11:00; a 39-person collective visit takes about 4 hours.
    short_friday = team(1, shift_by_weekday=((4, TimeWindow(8 * H, 11 * H)),))
    big = site(1, 1500, 0, service_min=240, persons=39, cards=39)
    result = solve(problem([big], [short_friday], dates=(FRIDAY,), rules=RULES))
    reason, expected, message = _left(result)[1]
    assert reason == Reason.TOO_LONG.value
    assert expected == NEXT_MONDAY
    assert "Perkiraan dijadwalkan: Senin" in message
    assert "melebihi satu shift" not in message  # it does fit a whole day


def test_a_resident_home_monday_and_wednesday_is_never_promised_another_day() -> None:
    # One team, a Monday plan full of more urgent visits; the resident is home Mon and Wed.
    urgent = [site(i, 1500 + 40 * i, 100 * (i % 5), priority=90) for i in range(1, 30)]
    home = site(100, 1600, 0, windows=[(8, 15)], weekdays=[0, 2], priority=10)
    result = solve(problem([*urgent, home], [team(1)], dates=(MONDAY,), rules=RULES))
    left = _left(result)
    assert 100 in left
    _, expected, _ = left[100]
    assert expected is not None and expected.weekday() in (0, 2)
    for site_id, (_, day, _) in left.items():
        assert day is None or day.weekday() < 5, site_id


def test_a_site_pinned_to_a_monday_is_told_that_monday() -> None:
    pinned = site(1, 1500, 0, pinned_date=NEXT_MONDAY)
    result = solve(problem([pinned], [team(1)], dates=(MONDAY + dt.timedelta(days=1),)))
    reason, expected, message = _left(result)[1]
    assert reason == Reason.PINNED_OTHER_DAY.value
    assert expected == NEXT_MONDAY
    assert "Selasa" not in message


def test_more_cards_than_a_day_prints_gets_no_date() -> None:
    rules = PlanRules(working_weekdays=frozenset(range(5)), daily_card_capacity=20)
    others = [site(i, 1500 + 40 * i, 0, cards=5, priority=80) for i in range(1, 5)]
    huge = site(9, 1700, 0, cards=30, priority=10)
    result = solve(problem([*others, huge], [team(1)], dates=(MONDAY,), rules=rules))
    reason, expected, message = _left(result)[9]
    assert reason == Reason.CARD_CAPACITY_FULL.value
    assert expected is None
    assert "Belum ada tanggal" in message


def test_home_only_on_a_day_no_team_works_says_so() -> None:
    saturday_only = site(1, 1500, 0, windows=[(9, 12)], weekdays=[5])
    days = working_days(MONDAY, 3, RULES.office_days)
    result = solve(problem([saturday_only], [team(1)], dates=days, rules=RULES))
    reason, expected, message = _left(result)[1]
    assert reason == Reason.NO_TEAM_WHEN_HOME.value
    assert expected is None
    assert "tidak ada tim" in message


def test_urgent_insertion_names_a_day_the_resident_is_home() -> None:
    # The day is full (max 1 stop); the resident is home on Wednesdays only.
    busy = team(1, max_stops=1)
    first = site(1, 1500, 0)
    wednesday = site(2, 1600, 0, windows=[(8, 15)], weekdays=[0, 2])
    prob = problem([first, wednesday], [busy], dates=(MONDAY,), rules=RULES)
    matrix = matrix_for(prob)
    routes = solve(problem([first], [busy], dates=(MONDAY,), rules=RULES)).routes
    answer = insert_site(prob, matrix, site_id=2, routes=list[PlannedRoute](routes))
    assert getattr(answer, "reason", None) == Reason.DAY_FULL.value
    assert getattr(answer, "expected_date", None) == MONDAY + dt.timedelta(days=2)
