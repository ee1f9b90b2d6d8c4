"""Working days, shifts and breaks of a day.

- A working day is one of the office's weekdays for home visits (never Sunday) that is not an
  Indonesian public holiday or collective leave day (cuti bersama: the ``holidays`` package,
  categories public and government) nor a closure of the office; a date the office keeps open
  is one whatever else holds (:class:`~outreach.domain.OfficeDays`).
- A team's day (:class:`TeamDay`) runs from its shift start at its own start point (or the
  office) back to the office by ``return_by_s``: the earlier of the shift end and the office's
  sync deadline, because recordings are uploaded at the office. A team away that day has none;
  in a special-hours period (Ramadan) the shift is cut to the period's hours and its sync
  deadline applies (:class:`~outreach.domain.HoursPeriod`).
- Breaks: lunch (by default 60 minutes starting 12:00-13:00) on ordinary days; on Fridays the
  Friday-prayer break (by default 11:30-13:00) replaces it; a special-hours period sets their
  length. A break applies to a team-day only
  if it fits inside it (a half-day shift ending 12:00 has none) and is then required whenever
  the team is still out after the break's latest start; a team back at the office earlier
  takes it there, off the route.
- A programme day (:class:`~outreach.domain.ProgrammeDay`, in ``PlanRules.programme_days``) is
  a date the office keeps closed for home visits on which a recurring programme goes out (a
  Saturday school programme, :mod:`outreach.programmes.planning`): only the programme's teams
  have a team-day then, in the programme's hours, and without :data:`HOME_VISIT_DAY`, so only
  programme visits fit it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

import holidays

from outreach.domain import BreakRule, OfficeDays, PlanRules, ProgrammeDay, TeamSpec, TimeWindow

FRIDAY = 4
SUNDAY = 6


#: The ``holidays`` categories an office is closed on: the national public holidays and the
#: collective leave days (cuti bersama, SKB 3 Menteri), which the package lists only under
#: ``government``.
HOLIDAY_CATEGORIES = ("public", "government")


@lru_cache(maxsize=16)
def _holidays_of(year: int) -> dict[dt.date, str]:
    calendar = holidays.country_holidays(
        "ID", years=year, categories=HOLIDAY_CATEGORIES, language="id"
    )
    return dict(calendar.items())


def holiday_name(day: dt.date) -> str | None:
    """The holiday or collective leave day on ``day``, named in Indonesian (``None``: none).

    Source: the ``holidays`` package, Indonesia, categories public and government (cuti
    bersama, e.g. "Cuti Bersama Hari Raya Idul Fitri" on 2 April 2025).
    """
    return _holidays_of(day.year).get(day)


#: Weekdays (0 = Monday) an office makes home visits on, unless it says otherwise.
ALL_BUT_SUNDAY = frozenset(range(6))


#: An office's working days: its calendar, or just its weekdays (0 = Monday).
Days = OfficeDays | Collection[int]


def _office_days(days: Days) -> OfficeDays:
    return days if isinstance(days, OfficeDays) else OfficeDays(frozenset(days))


def closed_reason(day: dt.date, weekdays: Days = ALL_BUT_SUNDAY) -> str | None:
    """Why the office makes no home visits on ``day``, in Indonesian (``None``: it does).

    In order: a date kept open by the office is open; an office closure (its label); a
    national holiday or cuti bersama (its name, from ``holidays``); Sunday or a weekday off.
    """
    days = _office_days(weekdays)
    if day in days.opened:
        return None
    closed = dict(days.closed)
    if day in closed:
        return closed[day] or "Kantor tutup"
    holiday = holiday_name(day)
    if holiday is not None:
        return holiday
    if day.weekday() == SUNDAY or day.weekday() not in days.weekdays:
        return "Bukan hari kerja kunjungan"
    return None


def is_working_day(day: dt.date, weekdays: Days = ALL_BUT_SUNDAY) -> bool:
    """True when the office makes home visits on ``day``.

    ``weekdays`` is the office's calendar (:class:`~outreach.domain.OfficeDays`) or just its
    weekdays: one of them (never Sunday), no Indonesian holiday or cuti bersama, no closure
    of the office; a date the office keeps open always is.
    """
    return closed_reason(day, weekdays) is None


def iter_working_days(start: dt.date, weekdays: Days = ALL_BUT_SUNDAY) -> Iterator[dt.date]:
    """Working days from ``start`` on (``start`` included when it is one), without end.

    Raises
    ------
    ValueError
        The calendar has no weekday from Monday to Saturday and no date kept open after
        ``start`` (there would be no working day).
    """
    days = _office_days(weekdays)
    opened_later = max(days.opened, default=dt.date.min) >= start
    if not days.weekdays & ALL_BUT_SUNDAY and not opened_later:
        msg = "No working weekday (Monday to Saturday) given."
        raise ValueError(msg)
    day = start
    while True:
        if is_working_day(day, days):
            yield day
        elif not days.weekdays & ALL_BUT_SUNDAY and day > max(days.opened):
            msg = "No working day after the last date kept open."
            raise ValueError(msg)
        day += dt.timedelta(days=1)


def working_days(
    start: dt.date, count: int, weekdays: Days = ALL_BUT_SUNDAY
) -> tuple[dt.date, ...]:
    """The first ``count`` working days on or after ``start``.

    Parameters
    ----------
    start
        First calendar day to consider.
    count
        How many working days to return (0 or less gives none).
    weekdays
        The office's calendar, or its weekdays for home visits (0 = Monday; default Monday to
        Saturday).

    Returns
    -------
    tuple of datetime.date
        In order.
    """
    days: list[dt.date] = []
    if count <= 0:
        return ()
    for day in iter_working_days(start, weekdays):
        days.append(day)
        if len(days) == count:
            break
    return tuple(days)


def nth_working_day_after(day: dt.date, n: int, weekdays: Days = ALL_BUT_SUNDAY) -> dt.date:
    """The ``n``-th working day after ``day`` (``n >= 1``)."""
    following = iter_working_days(day + dt.timedelta(days=1), weekdays)
    for found, candidate in enumerate(following, start=1):
        if found >= n:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover - the iterator never ends


def break_rules_on(day: dt.date, rules: PlanRules) -> tuple[BreakRule, ...]:
    """Breaks of ``day`` before fitting them to a shift: Friday prayer or lunch.

    In a special-hours period (Ramadan) the break lasts the period's ``break_s`` (none when 0).
    """
    chosen = rules.friday_break if day.weekday() == FRIDAY else rules.lunch
    if chosen is None:
        return ()
    period = rules.period_on(day)
    if period is not None:
        if period.break_s <= 0:
            return ()
        chosen = dataclasses.replace(chosen, duration_s=period.break_s)
    return (chosen,)


def shift_in_period(shift: TimeWindow, day: dt.date, rules: PlanRules) -> TimeWindow:
    """``shift`` cut to the office's hours of a special-hours period covering ``day``."""
    period = rules.period_on(day)
    if period is None:
        return shift
    end = period.hours.end_s
    if day.weekday() == FRIDAY and period.friday_end_s is not None:
        end = period.friday_end_s
    return TimeWindow(max(shift.start_s, period.hours.start_s), min(shift.end_s, end))


def return_by(shift: TimeWindow, rules: PlanRules, day: dt.date | None = None) -> int:
    """Latest arrival back at the office: shift end or sync deadline, whichever is first.

    The sync deadline is the special-hours period's on ``day`` when it sets one.
    """
    period = None if day is None else rules.period_on(day)
    deadline = rules.sync_deadline_s
    if period is not None and period.sync_deadline_s is not None:
        deadline = period.sync_deadline_s
    if deadline is None:
        return shift.end_s
    return min(shift.end_s, deadline)


def fit_breaks(
    breaks: tuple[BreakRule, ...], *, start_s: int, return_by_s: int
) -> tuple[BreakRule, ...]:
    """The breaks that fit inside ``[start_s, return_by_s]``, their latest start clipped."""
    fitted: list[BreakRule] = []
    for rule in breaks:
        if rule.earliest_start_s < start_s:
            continue  # the shift starts after it (an afternoon team)
        latest = min(rule.latest_start_s, return_by_s - rule.duration_s)
        if latest < rule.earliest_start_s:
            continue  # the shift ends before it could be taken
        fitted.append(BreakRule(rule.label, rule.earliest_start_s, latest, rule.duration_s))
    return tuple(fitted)


#: A need every site but a programme visit carries, and a skill every team has except on a
#: programme day closed for home visits (:func:`team_day`): so that day takes programme visits
#: only. Set by :func:`outreach.planning.service.load_inputs` only when the plan has such days.
HOME_VISIT_DAY = "hari_kunjungan_rumah"


def programme_day_for(team: TeamSpec, day: dt.date, rules: PlanRules) -> ProgrammeDay | None:
    """The programme day on ``day`` that ``team`` works (or, none listing it, the first one)."""
    found = [p for p in rules.programme_days if p.day == day]
    return next((p for p in found if team.id in p.team_ids), found[0] if found else None)


@dataclass(frozen=True)
class TeamDay:
    """One team on one day: where it starts, its hours and breaks."""

    team: TeamSpec
    day: dt.date
    start_s: int
    return_by_s: int
    breaks: tuple[BreakRule, ...]

    @property
    def working_s(self) -> int:
        """Time available for travelling and serving (hours minus breaks)."""
        return max(0, self.return_by_s - self.start_s - sum(b.duration_s for b in self.breaks))


def team_day(team: TeamSpec, day: dt.date, rules: PlanRules) -> TeamDay | None:
    """``team`` on ``day``, or ``None`` when it does not work then (or its shift is empty).

    Parameters
    ----------
    team
        The team.
    day
        The date.
    rules
        Office rules (sync deadline, breaks).

    Returns
    -------
    TeamDay or None
        The team-day, ``None`` for a day off or a shift with no time in it.
    """
    programme = programme_day_for(team, day, rules)
    if programme is not None:
        # A programme day the office keeps closed for home visits: only the programme's teams,
        # in its hours, and without the home-visit marker (so only programme visits fit).
        if day in team.away or (programme.team_ids and team.id not in programme.team_ids):
            return None
        shift = programme.hours or team.shift
        team = dataclasses.replace(team, skills=team.skills - {HOME_VISIT_DAY})
    elif (own := team.shift_on(day)) is None:
        return None
    else:
        shift = own
    shift = shift_in_period(shift, day, rules)
    end = return_by(shift, rules, day)
    if end <= shift.start_s:
        return None
    breaks = fit_breaks(break_rules_on(day, rules), start_s=shift.start_s, return_by_s=end)
    return TeamDay(team, day, shift.start_s, end, breaks)
