"""Calendar, breaks, priorities, reasons and clustering: the rules the planner is built on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from plan_helpers import FRIDAY, MONDAY, H, team

from outreach.domain import BreakRule, PlanRules, TimeWindow
from outreach.planning.calendar import (
    break_rules_on,
    holiday_name,
    is_working_day,
    nth_working_day_after,
    team_day,
)
from outreach.planning.clustering import cluster_sites, group_gaps, symmetric_times
from outreach.planning.priority import cards_for, priority_for, service_seconds, waiting_days
from outreach.planning.reasons import Reason, describe, format_date, title
from outreach.planning.records import parse_availability


def test_public_holidays_and_sundays_are_not_working_days() -> None:
    assert holiday_name(dt.date(2025, 8, 17)) is not None  # Independence Day
    assert not is_working_day(dt.date(2025, 5, 29))  # Ascension Day, a Thursday
    assert not is_working_day(dt.date(2025, 3, 9))  # a Sunday
    assert is_working_day(dt.date(2025, 3, 8))  # Saturdays count
    # Friday 30 May 2025 is cuti bersama after Ascension Day: closed too.
    assert nth_working_day_after(dt.date(2025, 5, 28), 1) == dt.date(2025, 5, 31)


def test_collective_leave_days_are_not_working_days() -> None:
    # SKB 3 Menteri: cuti bersama Idul Fitri 2-7 April 2025 (the 5th and 6th are a weekend).
    weekdays = range(5)  # Monday to Friday
    for day in (2, 3, 4, 7):
        assert not is_working_day(dt.date(2025, 4, day), weekdays), day
        assert "Cuti Bersama" in (holiday_name(dt.date(2025, 4, day)) or "")
    assert is_working_day(dt.date(2025, 4, 8), weekdays)
    cuti_bersama = [
        dt.date(2025, 1, 28), dt.date(2025, 3, 28), dt.date(2025, 5, 13), dt.date(2025, 5, 30),
        dt.date(2025, 6, 9), dt.date(2025, 8, 18), dt.date(2025, 12, 26), dt.date(2026, 2, 16),
        dt.date(2026, 3, 18), dt.date(2026, 3, 20), dt.date(2026, 3, 23), dt.date(2026, 3, 24),
        dt.date(2026, 5, 15), dt.date(2026, 5, 28), dt.date(2026, 12, 24),
    ]  # fmt: skip
    assert [d for d in cuti_bersama if is_working_day(d, weekdays)] == []
    assert nth_working_day_after(dt.date(2025, 4, 1), 1, weekdays) == dt.date(2025, 4, 8)


def test_friday_prayer_replaces_lunch() -> None:
    rules = PlanRules()
    assert [b.label for b in break_rules_on(MONDAY, rules)] == ["istirahat"]
    assert [b.label for b in break_rules_on(FRIDAY, rules)] == ["salat_jumat"]
    (prayer,) = break_rules_on(FRIDAY, rules)
    assert (prayer.earliest_start_s, prayer.earliest_start_s + prayer.duration_s) == (
        11 * H + 1800,
        13 * H,
    )


def test_team_day_returns_by_the_earlier_of_shift_end_and_sync_deadline() -> None:
    rules = PlanRules(sync_deadline_s=15 * H + 1800)
    assert team_day(team(1, shift=(8, 15)), MONDAY, rules).return_by_s == 15 * H
    assert team_day(team(1, shift=(9, 17)), MONDAY, rules).return_by_s == 15 * H + 1800


def test_breaks_only_where_they_fit_the_shift() -> None:
    rules = PlanRules()
    assert team_day(team(1, shift=(8, 12)), MONDAY, rules).breaks == ()  # half day
    assert team_day(team(1, shift=(12.5, 15)), MONDAY, rules).breaks == ()  # afternoon team
    clipped = team_day(team(1, shift=(8, 13.5)), MONDAY, rules).breaks
    assert clipped == (BreakRule("istirahat", 12 * H, 12 * H + 1800, H),)


def test_team_off_or_with_an_empty_shift_has_no_day() -> None:
    rules = PlanRules()
    assert team_day(team(1, shift_by_weekday=((0, None),)), MONDAY, rules) is None
    short = team(1, shift_by_weekday=((0, TimeWindow(9 * H, 9 * H)),))
    assert team_day(short, MONDAY, rules) is None
    assert team_day(short, MONDAY + dt.timedelta(days=1), rules) is not None


def test_priority_order_of_categories_and_waiting() -> None:
    order = ["darurat", "sakit", "disabilitas", "lansia", "kolektif", "lainnya"]
    values = [priority_for(c) for c in order]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert priority_for("pemula") == priority_for("kolektif")
    # Waiting raises priority, capped: a 'lainnya' waiting three months overtakes a new
    # collective visit and catches up with a new 'lansia'.
    assert priority_for("lainnya", waiting_days=90) > priority_for("kolektif")
    assert priority_for("lainnya", waiting_days=90) == priority_for("lansia")
    assert priority_for("lainnya", waiting_days=900) == priority_for("lainnya", waiting_days=75)
    assert priority_for("lainnya", days_to_deadline=0) > priority_for("lainnya", days_to_deadline=5)
    assert priority_for("darurat", waiting_days=100, days_to_deadline=0) == 100
    assert waiting_days(dt.datetime(2025, 3, 1, 23, 0), MONDAY) == 2


def test_service_time_and_cards() -> None:
    assert service_seconds(1) == 22 * 60
    assert service_seconds(20) == (10 + 240) * 60
    assert cards_for(["perekaman_ktp", "kk"], 3) == 3
    assert cards_for(["kia"], 3) == 0


def test_every_reason_has_a_title_and_an_indonesian_message() -> None:
    for reason in Reason:
        assert title(reason)
        assert describe(reason, expected=MONDAY).endswith(".")
    assert "Senin, 3 Maret 2025" in describe(Reason.DAY_FULL, expected=MONDAY)
    assert format_date(FRIDAY) == "Jumat, 7 Maret 2025"
    text = describe(Reason.NO_SKILL, skills=["bahasa_isyarat"], needs=["kia", "bahasa_isyarat"])
    assert "juru bahasa isyarat" in text and "KIA" in text


def test_availability_parsing_skips_broken_slots_and_merges_overlaps() -> None:
    slots = parse_availability(
        [
            {"days": [0, 2], "start": "08:00", "end": "10:00"},
            {"days": [0], "start": "09.30", "end": "11:00"},
            {"days": [0], "start": "late", "end": "11:00"},
            "nonsense",
        ]
    )
    assert len(slots) == 2
    from plan_helpers import site

    s = site(1, 0, 0)
    s = type(s)(**{**s.__dict__, "availability": slots})
    assert s.windows_on(MONDAY) == (TimeWindow(8 * H, 11 * H),)
    assert s.windows_on(MONDAY + dt.timedelta(days=2)) == (TimeWindow(8 * H, 10 * H),)
    assert s.windows_on(MONDAY + dt.timedelta(days=1)) == ()


def test_clustering_separates_far_apart_blobs_and_balances_work() -> None:
    rng = np.random.default_rng(0)
    left = rng.normal((0, 0), 200, size=(20, 2))
    right = rng.normal((8000, 0), 200, size=(20, 2))
    xy = np.vstack([left, right])
    times = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) / 5
    sym = symmetric_times(times.astype(np.int64))
    work = np.full(40, 1800.0)
    labels = cluster_sites(sym, work, group_work=40 * 1800 / 2, seed=1)
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1
    assert labels[0] != labels[20]
    assert (cluster_sites(sym, work, group_work=40 * 1800 / 2, seed=1) == labels).all()
    four = cluster_sites(sym, work, group_work=40 * 1800 / 4, seed=1)
    sizes = np.bincount(four)
    assert len(sizes) == 4 and sizes.max() <= 12  # balanced: 10 each, room 110 %
    gaps = group_gaps(sym, labels)
    assert gaps[0, 1] > 1000 and gaps[0, 0] == 0


@pytest.mark.parametrize("persons", [1, 25])
def test_service_seconds_grow_with_persons(persons: int) -> None:
    assert service_seconds(persons) == 600 + 720 * persons
