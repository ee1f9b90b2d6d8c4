"""Home-visit weekdays: Monday to Friday unless the office says otherwise; never Sunday."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach import models
from outreach.planning.calendar import nth_working_day_after, working_days
from outreach.planning.records import office_weekdays, rules_for

THURSDAY = dt.date(2026, 11, 26)


def _office(**settings: object) -> models.Office:
    return models.Office(
        name="X", region_slug="x", region_code="1", depot_lon=0, depot_lat=0, settings=settings
    )


def test_an_office_visits_monday_to_friday_by_default() -> None:
    weekdays = office_weekdays(_office())
    assert weekdays == frozenset(range(5))
    assert rules_for(_office()).working_weekdays == weekdays
    days = working_days(THURSDAY, 3, weekdays)
    assert [d.strftime("%a") for d in days] == ["Thu", "Fri", "Mon"]
    assert nth_working_day_after(THURSDAY, 2, weekdays) == dt.date(2026, 11, 30)


def test_saturday_when_the_office_works_it_but_never_sunday() -> None:
    weekdays = office_weekdays(_office(working_weekdays=[0, 1, 2, 3, 4, 5, 6]))
    assert 5 in weekdays and 6 not in weekdays
    days = working_days(THURSDAY, 3, weekdays)
    assert [d.strftime("%a") for d in days] == ["Thu", "Fri", "Sat"]


def test_a_broken_setting_falls_back_and_no_weekday_is_an_error() -> None:
    assert office_weekdays(_office(working_weekdays=["x", 9])) == frozenset(range(5))
    with pytest.raises(ValueError):
        working_days(THURSDAY, 1, {6})
