"""Dates on which a request can really be served: for every "Perkiraan dijadwalkan".

A date is *servable* for a site when the office makes home visits that day (its calendar), the
site's pin allows it (date and team), a team with every skill it needs works that day, the
resident is at home long enough for the whole visit, and the visit alone fits in that team's
day (drive there, serve, drive back to the office by the sync deadline, breaks included: the
same timing code that times solved routes) -- so a 39-person collective visit is never
promised a short Friday. A site that needs more cards than the office prints in a day, or
whose pin lies in the past, has no such date at all: callers say so instead of giving one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from outreach.domain import PlanRules, Site, TeamSpec, TravelMatrix
from outreach.planning.calendar import is_working_day, team_day
from outreach.planning.problem import PointIndex
from outreach.planning.timing import schedule_route

#: How far ahead to look for a servable date (a quarter of a year of calendar days).
LOOKAHEAD_DAYS = 92


def never_servable(site: Site, rules: PlanRules) -> bool:
    """True when no date can serve ``site``: more cards than a day's printing capacity."""
    cap = rules.daily_card_capacity
    return cap is not None and site.cards > cap


def servable_on(
    site: Site,
    day: dt.date,
    *,
    teams: Sequence[TeamSpec],
    rules: PlanRules,
    index: PointIndex | None = None,
    matrix: TravelMatrix | None = None,
) -> bool:
    """True when ``site`` can be served on ``day`` (see the module docstring).

    Without ``index``/``matrix`` (or a site without a matrix row) the visit is checked
    against the team's working time only (service time and breaks), not the drive.
    """
    if not is_working_day(day, rules.office_days):
        return False
    if site.pinned_date is not None and site.pinned_date != day:
        return False
    starts = site.start_windows_on(day)
    if starts == ():
        return False
    for team in teams:
        if not site.needs <= team.skills:
            continue
        if site.pinned_team_id is not None and team.id != site.pinned_team_id:
            continue
        td = team_day(team, day, rules)
        if td is None:
            continue
        row = None if index is None else index.site_row.get(site.id)
        if index is None or matrix is None or row is None:
            if td.working_s >= site.service_s:
                return True
            continue
        timed = schedule_route(
            td,
            [site],
            rows=[row],
            start_row=index.team_start[team.id],
            depot_row=index.depot,
            matrix=matrix,
        )
        if timed is not None:
            return True
    return False


def first_servable_day(
    site: Site,
    after: dt.date,
    *,
    teams: Sequence[TeamSpec],
    rules: PlanRules,
    index: PointIndex | None = None,
    matrix: TravelMatrix | None = None,
    include: bool = False,
) -> dt.date | None:
    """The first date after ``after`` (or from it, with ``include``) that can serve ``site``.

    Looks ahead ``LOOKAHEAD_DAYS`` calendar days. Returns ``None`` when there is none: the
    site needs more cards than a day's capacity, its pinned date is already past, or nothing
    fits within the look-ahead (say so to the coordinator instead of giving a date).
    """
    if never_servable(site, rules):
        return None
    start = after if include else after + dt.timedelta(days=1)
    if site.pinned_date is not None:
        if site.pinned_date < start:
            return None
        ok = servable_on(
            site, site.pinned_date, teams=teams, rules=rules, index=index, matrix=matrix
        )
        return site.pinned_date if ok else None
    for offset in range(LOOKAHEAD_DAYS):
        day = start + dt.timedelta(days=offset)
        if servable_on(site, day, teams=teams, rules=rules, index=index, matrix=matrix):
            return day
    return None


def home_days_without_team(site: Site, teams: Sequence[TeamSpec], rules: PlanRules) -> bool:
    """True when the resident is only home on weekdays no team with the skills works.

    Then the reason to give is that no team works when the resident is home, not that the
    resident is unavailable. Weekdays are judged on the next two weeks of calendar.
    """
    if not site.availability:
        return False
    home = frozenset().union(*(a.weekdays for a in site.availability))
    capable = [t for t in teams if site.needs <= t.skills]
    if not home or not capable:
        return False
    start = dt.date(2024, 1, 1)  # a Monday: weekday i is start + i (+ 7)
    for weekday in sorted(home):
        for week in (0, 7):
            day = start + dt.timedelta(days=weekday + week)
            if weekday in rules.working_weekdays and any(
                t.shift_on(day) is not None for t in capable
            ):
                return False
    return True
