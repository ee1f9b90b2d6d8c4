"""What the planner needs to know about programmes (used by ``planning.service.load_inputs``).

A programme visit is a pinned collective site: on an ordinary working day the planner plans
it on its date and fills the rest of its teams' day with home visits. On a date the office
keeps closed for home visits only because of its weekday (a Saturday or Sunday programme) the
day is added to the plan as a :class:`~outreach.domain.ProgrammeDay`: only the programme's
teams work, in its hours, and only programme visits are planned then (every other site needs
:data:`~outreach.planning.calendar.HOME_VISIT_DAY`, which those team-days lack). The day is
kept open in the rules' calendar so the feasibility check accepts its routes; it does not
open that weekday to home visits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import PlanRules, ProgrammeDay, Site, TeamSpec, TimeWindow
from outreach.planning.calendar import HOME_VISIT_DAY, holiday_name

_ELIGIBLE = (models.RequestStatus.TERVERIFIKASI.value, models.RequestStatus.TERJADWAL.value)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def weekday_off(day: dt.date, rules: PlanRules) -> bool:
    """True when ``day`` is closed for home visits only by its weekday (no holiday, closure)."""
    days = rules.office_days
    if day in days.opened or day in dict(days.closed) or holiday_name(day) is not None:
        return False
    return day.weekday() == 6 or day.weekday() not in days.weekdays


def programme_days(
    session: Session, office_id: int, start: dt.date, end: dt.date, rules: PlanRules
) -> tuple[ProgrammeDay, ...]:
    """Programme days from ``start`` to ``end`` on weekdays the office keeps closed.

    One per programme and date with an eligible programme visit (``terverifikasi`` or
    ``terjadwal``) pinned there; its teams are the programme's (none listed: every team) and
    its hours the programme's (unset: the teams' own shifts).
    """
    stmt = (
        select(models.ServiceRequest.pinned_date, models.Programme)
        .join(models.Programme, models.ServiceRequest.programme_id == models.Programme.id)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.status.in_(_ELIGIBLE),
            models.ServiceRequest.pinned_date >= start,
            models.ServiceRequest.pinned_date <= end,
        )
    )
    found: dict[tuple[dt.date, int], ProgrammeDay] = {}
    for day, programme in session.execute(stmt):
        if day is None or not weekday_off(day, rules) or (day, programme.id) in found:
            continue
        hours = None
        if programme.hours_start is not None and programme.hours_end is not None:
            hours = TimeWindow(_seconds(programme.hours_start), _seconds(programme.hours_end))
        found[(day, programme.id)] = ProgrammeDay(
            day=day, team_ids=frozenset(int(t) for t in programme.team_ids or ()), hours=hours
        )
    return tuple(found[k] for k in sorted(found))


def with_programme_days(rules: PlanRules, days: Sequence[ProgrammeDay]) -> PlanRules:
    """``rules`` with ``days`` as programme days, their dates kept open for the plan."""
    return dataclasses.replace(
        rules,
        programme_days=(*rules.programme_days, *days),
        open_days=rules.open_days | {d.day for d in days},
    )


def mark_home_visits(
    teams: Iterable[TeamSpec], sites: Iterable[Site], programme_request_ids: set[int]
) -> tuple[tuple[TeamSpec, ...], tuple[Site, ...]]:
    """Teams with the home-visit skill, and every site but programme visits needing it."""
    marked = frozenset({HOME_VISIT_DAY})
    return (
        tuple(dataclasses.replace(t, skills=t.skills | marked) for t in teams),
        tuple(
            s
            if s.request_key in programme_request_ids
            else dataclasses.replace(s, needs=s.needs | marked)
            for s in sites
        ),
    )


#: Priority of a programme visit: above every home visit (the planner's scale is 0-100).
PROGRAMME_PRIORITY = 100


def prioritise_programme_visits(
    sites: Iterable[Site], programme_request_ids: set[int]
) -> tuple[Site, ...]:
    """Programme visits at the top priority, so home visits never push them off their date."""
    return tuple(
        dataclasses.replace(s, priority=PROGRAMME_PRIORITY)
        if s.request_key in programme_request_ids
        else s
        for s in sites
    )


def missed_programme_visit(request: models.ServiceRequest, first_day: dt.date) -> bool:
    """A programme visit whose date passed before ``first_day``: not planned again."""
    return (
        request.programme_id is not None
        and request.pinned_date is not None
        and request.pinned_date < first_day
    )
