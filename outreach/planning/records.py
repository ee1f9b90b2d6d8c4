"""Rows <-> planner dataclasses, and the queries the planning services share.

- requests, teams and the office become :class:`~outreach.domain.Site`,
  :class:`~outreach.domain.TeamSpec` and :class:`~outreach.domain.PlanRules` (priority as of
  the first planned day; service time from the office's ``settings["planning"]``); a big
  collective request becomes several sites, its parts (:func:`sites_for`,
  :mod:`outreach.planning.split`);
- stored routes become :class:`~outreach.domain.PlannedRoute` again (kept approved routes,
  urgent insertion), and planned routes become ``Route`` / ``Stop`` rows.

Times of day are stored as naive wall-clock datetimes of the office's timezone; a break is
stored as ``{"label", "start", "end", "start_s", "end_s", "before_sequence"}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import (
    CAR,
    MOTOR,
    Availability,
    BreakRule,
    HoursPeriod,
    OfficeDays,
    PlannedBreak,
    PlannedRoute,
    PlannedStop,
    PlanRules,
    Site,
    TeamSpec,
    TimeWindow,
)
from outreach.models import Trait
from outreach.office import solver_budget
from outreach.planning.priority import (
    COLLECTIVE_PER_PERSON_S,
    PER_PERSON_S,
    SETUP_S,
    cards_for,
    priority_for,
    service_seconds,
    waiting_days,
)
from outreach.planning.split import (
    DEFAULT_COLLECTIVE_MAX_PERSONS,
    part_site_id,
    parts_needed,
    split_site,
)

# --- conversions -----------------------------------------------------------------------------


def seconds_of(value: dt.time) -> int:
    """Seconds after midnight of a time of day."""
    return value.hour * 3600 + value.minute * 60 + value.second


def _parse_hhmm(text: Any) -> int | None:
    try:
        hour, minute = str(text).strip().replace(".", ":").split(":")
        return int(hour) * 3600 + int(minute) * 60
    except ValueError:
        return None


def at_time(day: dt.date, seconds: int) -> dt.datetime:
    """``day`` plus ``seconds`` after midnight as a naive wall-clock datetime."""
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=int(seconds))


def _since_midnight(value: dt.datetime, day: dt.date) -> int:
    return int((value - dt.datetime.combine(day, dt.time())).total_seconds())


def clock(seconds: int) -> str:
    """``HH:MM`` of seconds after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_availability(raw: Iterable[Any]) -> tuple[Availability, ...]:
    """Read ``[{"days": [0, 1], "start": "08:00", "end": "12:00"}, ...]``; skip broken slots."""
    slots: list[Availability] = []
    for slot in raw or ():
        if not isinstance(slot, dict):
            continue
        start, end = _parse_hhmm(slot.get("start")), _parse_hhmm(slot.get("end"))
        days = slot.get("days") or range(7)
        try:
            weekdays = frozenset(int(d) for d in days if 0 <= int(d) <= 6)
        except (TypeError, ValueError):
            continue
        if start is None or end is None or end < start or not weekdays:
            continue
        slots.append(Availability(weekdays, TimeWindow(start, end)))
    return tuple(slots)


def team_spec(team: models.Team) -> TeamSpec:
    """A team row as the planner's :class:`~outreach.domain.TeamSpec`."""
    overrides: list[tuple[int, TimeWindow | None]] = []
    for key, span in sorted((team.shift_by_weekday or {}).items()):
        try:
            weekday = int(key)
        except ValueError:
            continue
        if not span:
            overrides.append((weekday, None))
            continue
        start, end = _parse_hhmm(span[0]), _parse_hhmm(span[-1])
        if start is None or end is None:
            continue
        overrides.append((weekday, TimeWindow(start, end)))
    start_point = None
    if team.start_lon is not None and team.start_lat is not None:
        start_point = (float(team.start_lon), float(team.start_lat))
    return TeamSpec(
        id=team.id,
        name=team.name,
        skills=frozenset(str(s) for s in team.skills or ()),
        shift=TimeWindow(seconds_of(team.shift_start), seconds_of(team.shift_end)),
        shift_by_weekday=tuple(overrides),
        start=start_point,
        max_stops=team.max_stops,
        # A team with the "motor" trait rides motorbikes: its own travel times.
        profile=MOTOR if Trait.MOTOR.value in (team.skills or ()) else CAR,
        away=frozenset(
            a.start_date + dt.timedelta(days=i)
            for a in team.absences
            for i in range((a.end_date - a.start_date).days + 1)
        ),
    )


def rules_for(office: models.Office, **overrides: Any) -> PlanRules:
    """The office's planning rules, with ``overrides``.

    From the office: sync deadline, card capacity, weekdays for home visits, its calendar
    (dates set closed or open, special-hours periods) and break lengths
    (``settings["lunch_minutes"]``, ``settings["friday_break_minutes"]``; 60 and 90 by default).
    """
    defaults = PlanRules()
    settings = office.settings or {}
    lunch, friday = defaults.lunch, defaults.friday_break
    if lunch is not None and _minutes(settings.get("lunch_minutes")) is not None:
        lunch = _break_of(lunch, _minutes(settings.get("lunch_minutes")))
    if friday is not None and _minutes(settings.get("friday_break_minutes")) is not None:
        friday = _break_of(friday, _minutes(settings.get("friday_break_minutes")))
    rules = PlanRules(
        sync_deadline_s=seconds_of(office.sync_deadline) if office.sync_deadline else None,
        daily_card_capacity=office.daily_card_capacity,
        working_weekdays=office_weekdays(office),
        closed_days=tuple((d.day, d.label) for d in office.calendar_days if not d.is_open),
        open_days=frozenset(d.day for d in office.calendar_days if d.is_open),
        periods=tuple(hours_period(p) for p in office.hours_periods),
        lunch=lunch,
        friday_break=friday,
        solver_budget_s=float(solver_budget(office)),
    )
    return dataclasses.replace(rules, **overrides)


def _minutes(value: Any) -> int | None:
    """Whole minutes from a setting (``None`` when unset or not a number 0-240)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return int(text) if text.isdecimal() and 0 <= int(text) <= 240 else None


def _break_of(rule: BreakRule, minutes: int | None) -> BreakRule | None:
    """``rule`` lasting ``minutes`` (``None`` when 0: no such break)."""
    if not minutes:
        return None
    return dataclasses.replace(rule, duration_s=minutes * 60)


def hours_period(row: models.OfficeHours) -> HoursPeriod:
    """A special-hours period row as the planner's :class:`~outreach.domain.HoursPeriod`."""
    return HoursPeriod(
        name=row.name,
        start=row.start_date,
        end=row.end_date,
        hours=TimeWindow(seconds_of(row.work_start), seconds_of(row.work_end)),
        friday_end_s=seconds_of(row.friday_end) if row.friday_end else None,
        break_s=max(0, row.break_minutes) * 60,
        sync_deadline_s=seconds_of(row.sync_deadline) if row.sync_deadline else None,
    )


def office_days(office: models.Office) -> OfficeDays:
    """The office's calendar of working days (weekdays, closures, dates kept open)."""
    return rules_for(office).office_days


#: Home visits Monday to Friday unless the office says otherwise (its settings page).
DEFAULT_WORKING_WEEKDAYS = frozenset(range(5))


def office_weekdays(office: models.Office) -> frozenset[int]:
    """The office's weekdays for home visits: ``settings["working_weekdays"]`` (0 = Monday).

    Monday to Friday when unset; values that are not weekdays are ignored, and a setting with
    none left falls back to the default too.
    """
    raw = (office.settings or {}).get("working_weekdays")
    days = frozenset(int(d) for d in raw or () if str(d).isdecimal() and 0 <= int(d) <= 5)
    return days or DEFAULT_WORKING_WEEKDAYS


def site_for(
    request: models.ServiceRequest,
    *,
    on: dt.date,
    area: str = "",
    setup_s: int = SETUP_S,
    per_person_s: int = PER_PERSON_S,
    collective_per_person_s: int = COLLECTIVE_PER_PERSON_S,
) -> Site:
    """A request row as a :class:`~outreach.domain.Site` (priority as of day ``on``)."""
    services = [str(s) for s in request.services or ()]
    persons = max(1, int(request.persons or 1))
    collective = is_collective(request)
    per_person = collective_per_person_s if collective and persons > 1 else per_person_s
    to_deadline = None if request.deadline is None else (request.deadline - on).days
    return Site(
        id=request.id,
        lon=request.lon,
        lat=request.lat,
        service_s=service_seconds(persons, setup_s=setup_s, per_person_s=per_person),
        persons=persons,
        cards=cards_for(services, persons),
        needs=frozenset(services) | frozenset(str(t) for t in request.required_traits or ()),
        availability=parse_availability(request.availability or ()),
        category=request.category,
        priority=priority_for(
            request.category,
            waiting_days=waiting_days(request.verified_at or request.created_at, on),
            days_to_deadline=to_deadline,
            attempts=int(request.attempts or 0),
            persons=persons,
            collective=collective,
        ),
        deadline=request.deadline,
        pinned_team_id=request.pinned_team_id,
        # A pinned day already gone by (the visit did not happen) no longer holds it back.
        pinned_date=(
            request.pinned_date
            if request.pinned_date is None or request.pinned_date >= on
            else None
        ),
        area=area,
        label=request.tracking_code,
    )


@dataclasses.dataclass(frozen=True)
class ServiceParams:
    """How long visits take and how big one collective visit may be (an office's settings)."""

    setup_s: int = SETUP_S
    per_person_s: int = PER_PERSON_S
    collective_per_person_s: int = COLLECTIVE_PER_PERSON_S
    collective_max_persons: int = DEFAULT_COLLECTIVE_MAX_PERSONS


def service_params(office: models.Office) -> ServiceParams:
    """Service parameters from the office's ``settings["planning"]`` (defaults if missing).

    Keys: ``setup_min``, ``per_person_min``, ``collective_per_person_min`` and
    ``collective_max_persons``.
    """
    settings = (office.settings or {}).get("planning", {}) or {}
    default = ServiceParams()

    def seconds(key: str, fallback_s: int) -> int:
        return int(float(settings.get(key, fallback_s / 60)) * 60)

    return ServiceParams(
        setup_s=seconds("setup_min", default.setup_s),
        per_person_s=seconds("per_person_min", default.per_person_s),
        collective_per_person_s=seconds(
            "collective_per_person_min", default.collective_per_person_s
        ),
        # At least one person a visit, whatever is typed into the settings.
        collective_max_persons=max(
            1, int(settings.get("collective_max_persons", default.collective_max_persons))
        ),
    )


def is_collective(request: models.ServiceRequest) -> bool:
    """True for a visit that serves a group in one place (a letter or category kolektif)."""
    return request.category == "kolektif" or request.letter_id is not None


def sites_for(
    request: models.ServiceRequest,
    *,
    on: dt.date,
    area: str = "",
    params: ServiceParams | None = None,
    parts: int | None = None,
    skip: Collection[int] = (),
) -> tuple[Site, ...]:
    """A request row as its sites: one, or the parts of a big collective visit.

    Parameters
    ----------
    request
        The request.
    on, area
        As for :func:`site_for`.
    params
        Service times and ``collective_max_persons``: a collective visit for more persons is
        split (:mod:`outreach.planning.split`); home visits are never split.
    parts
        Number of parts to use instead (the split of parts already on approved routes, so
        their ids match).
    skip
        Part numbers to leave out (already on approved routes that are kept).

    Returns
    -------
    tuple of Site
        The sites, each with ``request_id`` set; empty when every part is skipped.
    """
    params = params or ServiceParams()
    whole = site_for(
        request,
        on=on,
        area=area,
        setup_s=params.setup_s,
        per_person_s=params.per_person_s,
        collective_per_person_s=params.collective_per_person_s,
    )
    collective = is_collective(request) and whole.persons > 1
    if parts is None:
        parts = parts_needed(whole.persons, params.collective_max_persons) if collective else 1
    split = split_site(
        whole,
        parts=parts,
        services=[str(s) for s in request.services or ()],
        setup_s=params.setup_s,
        per_person_s=params.collective_per_person_s if collective else params.per_person_s,
        skip=skip,
    )
    if request.programme_id is not None and whole.pinned_team_id is not None:
        # A programme with one team: that team does the first part of a big school; the
        # other parts go, on the same date, to any team working then (one team cannot record
        # 60 pupils in a day, and the pupils are there on that date only).
        split = tuple(
            s if s.part == 1 else dataclasses.replace(s, pinned_team_id=None) for s in split
        )
    return split


def stop_site_id(stop: models.Stop) -> int:
    """The site id a stored stop served (the request's id unless it served one part)."""
    return part_site_id(stop.request_id, stop.part or 1, stop.parts or 1)


def planned_route(
    route: models.Route, *, locked: bool, sites: dict[int, Site] | None = None
) -> PlannedRoute:
    """A stored route as a :class:`~outreach.domain.PlannedRoute`.

    Persons and cards are summed from ``sites`` (the requests as they are now) when given.
    """
    day = route.route_date
    stops = tuple(
        PlannedStop(
            site_id=stop_site_id(s),
            sequence=s.sequence,
            arrival_s=_since_midnight(s.arrival_at, day),
            service_start_s=_since_midnight(s.service_start_at, day),
            departure_s=_since_midnight(s.departure_at, day),
            wait_s=s.wait_s,
            service_s=s.service_s,
            travel_s=s.travel_time_s,
            distance_m=s.distance_m,
            fallback=s.fallback_distance,
            geometry=tuple((float(p[0]), float(p[1])) for p in s.leg_geometry or ()),
        )
        for s in route.stops
    )
    breaks = tuple(
        PlannedBreak(
            label=str(b.get("label", "")),
            start_s=int(b.get("start_s", _parse_hhmm(b.get("start")) or 0)),
            end_s=int(b.get("end_s", _parse_hhmm(b.get("end")) or 0)),
            before_sequence=int(b.get("before_sequence", 0)),
        )
        for b in route.breaks or ()
    )
    last_departure = stops[-1].departure_s if stops else _since_midnight(route.start_at, day)
    end_s = _since_midnight(route.end_at, day)
    return PlannedRoute(
        team_id=route.team_id,
        day=day,
        start_s=_since_midnight(route.start_at, day),
        end_s=end_s,
        stops=stops,
        breaks=breaks,
        return_travel_s=0 if route.ends_at_lodging else end_s - last_departure,
        return_distance_m=route.distance_m - sum(s.distance_m for s in stops),
        return_fallback=any(s.fallback for s in stops[-1:]),
        return_geometry=tuple((float(p[0]), float(p[1])) for p in route.return_geometry or ()),
        persons=sum(_stop_persons(s, (sites or {}).get(stop_site_id(s))) for s in route.stops),
        cards=sum(_stop_cards(s, (sites or {}).get(stop_site_id(s))) for s in route.stops),
        locked=locked,
        ends_at_lodging=bool(route.ends_at_lodging),
        lodging_site_id=route.lodging_site_id,
    )


def _stop_persons(stop: models.Stop, site: Site | None) -> int:
    """Persons a stored stop serves: its site's (the request as it is now), else as stored."""
    if site is not None:
        return site.persons
    return int(stop.persons if stop.persons is not None else stop.request.persons or 1)


def _stop_cards(stop: models.Stop, site: Site | None) -> int:
    """Cards a stored stop prints: its site's, else from its request's services."""
    if site is not None:
        return site.cards
    services = [str(x) for x in stop.request.services or ()]
    return cards_for(services, _stop_persons(stop, None))


# --- rows ------------------------------------------------------------------------------------


def geometry_json(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    """``[[lon, lat], ...]`` rounded to 6 decimals (about 10 cm)."""
    return [[round(lon, 6), round(lat, 6)] for lon, lat in points]


def store_route(
    plan: models.Plan, route: PlannedRoute, sites: Mapping[int, Site] | None = None
) -> models.Route:
    """Add ``route`` with its stops to ``plan`` as rows (not approved yet).

    ``sites`` (by id) gives each stop its request, part and persons; without it a stop's
    site id is taken as the request's id. An overnight trip's marks are kept, with the
    kelurahan / desa of its lodging (:func:`lodging_area`).
    """
    day = route.day
    row = models.Route(
        team_id=route.team_id,
        route_date=day,
        start_at=at_time(day, route.start_s),
        end_at=at_time(day, route.end_s),
        travel_time_s=route.travel_s,
        distance_m=route.distance_m,
        service_s=route.service_s,
        wait_s=route.wait_s,
        persons=route.persons,
        # Kept (locked) routes are approved again only when this plan is approved.
        approved=False,
        return_geometry=geometry_json(route.return_geometry),
        breaks=[break_json(b) for b in route.breaks],
        ends_at_lodging=route.ends_at_lodging,
        lodging_site_id=route.lodging_site_id,
        lodging_area=lodging_area(route, sites),
    )
    row.stops = [stop_row(day, s, (sites or {}).get(s.site_id)) for s in route.stops]
    plan.routes.append(row)
    return row


def lodging_area(route: PlannedRoute, sites: Mapping[int, Site] | None) -> str:
    """The kelurahan / desa of an overnight trip's lodging (``""``: none, or not known).

    Day 1: its last stop's area; day 2: the area of the site it leaves from.
    """
    if route.lodging_site_id is not None:
        site_id: int | None = route.lodging_site_id
    elif route.ends_at_lodging and route.stops:
        site_id = route.stops[-1].site_id
    else:
        return ""
    site = (sites or {}).get(site_id) if site_id is not None else None
    return "" if site is None else site.area[:120]


def break_json(b: PlannedBreak) -> dict[str, Any]:
    """A break as stored in ``Route.breaks``."""
    # "start"/"end" for people; the seconds keep a kept route exact when it is read back.
    return {
        "label": b.label,
        "start": clock(b.start_s),
        "end": clock(b.end_s),
        "start_s": b.start_s,
        "end_s": b.end_s,
        "before_sequence": b.before_sequence,
    }


def stop_row(day: dt.date, stop: PlannedStop, site: Site | None = None) -> models.Stop:
    """A planned stop as a ``Stop`` row (times on ``day``) of ``site`` (its request and part).

    Without ``site`` the stop's site id is taken as the request's id (a whole request).
    """
    return models.Stop(
        request_id=stop.site_id if site is None else site.request_key,
        part=1 if site is None else site.part,
        parts=1 if site is None else site.parts,
        persons=None if site is None else site.persons,
        sequence=stop.sequence,
        arrival_at=at_time(day, stop.arrival_s),
        service_start_at=at_time(day, stop.service_start_s),
        departure_at=at_time(day, stop.departure_s),
        wait_s=stop.wait_s,
        service_s=stop.service_s,
        travel_time_s=stop.travel_s,
        distance_m=stop.distance_m,
        leg_geometry=geometry_json(stop.geometry),
        fallback_distance=stop.fallback,
    )


# --- queries ---------------------------------------------------------------------------------


def route_is_approved() -> ColumnElement[bool]:
    """SQL criteria of a route the teams drive: approved, in an approved plan.

    The query must join :class:`~outreach.models.Plan`.
    """
    return and_(
        models.Route.approved.is_(True),
        models.Plan.status == models.PlanStatus.APPROVED.value,
    )


def approved_routes(session: Session, office_id: int, *, from_date: dt.date) -> list[models.Route]:
    """Approved routes of approved plans of the office from ``from_date`` on, in order."""
    stmt = (
        select(models.Route)
        .join(models.Plan)
        .where(
            models.Plan.office_id == office_id,
            route_is_approved(),
            models.Route.route_date >= from_date,
        )
        .order_by(models.Route.route_date, models.Route.team_id, models.Route.id)
    )
    return list(session.scalars(stmt))


#: A request whose visits found nobody home three times: it waits for a coordinator's call and
#: is not planned (set and cleared by :mod:`outreach.visits`).
FLAG_CONTACT = "perlu_dihubungi"
# Served at an office session (outreach.appointments): not planned for a home visit.
FLAG_OFFICE = "antrean_kantor"


def served_parts(session: Session, request_ids: Iterable[int]) -> dict[int, set[int]]:
    """Request id -> the parts already served (an outcome ``selesai`` on one of its stops)."""
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(models.VisitOutcome.request_id, models.Stop.part)
        .join(models.Stop, models.VisitOutcome.stop_id == models.Stop.id)
        .where(
            models.VisitOutcome.request_id.in_(ids),
            models.VisitOutcome.outcome == models.Outcome.SELESAI.value,
        )
    )
    out: dict[int, set[int]] = {}
    for request_id, part in rows:
        out.setdefault(int(request_id), set()).add(int(part or 1))
    return out


#: Stop columns a re-timed route rewrites.
TIMED_COLUMNS = (
    "sequence",
    "arrival_at",
    "service_start_at",
    "departure_at",
    "wait_s",
    "service_s",
    "travel_time_s",
    "distance_m",
    "leg_geometry",
    "fallback_distance",
)


def rewrite_route(
    session: Session,
    plan: models.Plan,
    row: models.Route,
    new: PlannedRoute | None,
    sites: Mapping[int, Site] | None = None,
) -> list[models.Stop]:
    """Write the re-timed ``new`` over the route ``row`` of ``plan``.

    Stops ``row`` has (by site id) keep their rows (ids, outcomes) and get the new times and
    order; a stop of ``new`` that ``row`` lacks is added (its request details from ``sites``)
    and returned. ``None`` deletes the route. Flushes, never commits.
    """
    if new is None:
        plan.routes.remove(row)
        session.flush()
        return []
    day = row.route_date
    by_site = {stop_site_id(s): s for s in row.stops}
    for stop in row.stops:  # out of the way of the unique (route, sequence)
        stop.sequence = -stop.sequence
    session.flush()
    added: list[models.Stop] = []
    for planned in new.stops:
        existing = by_site.get(planned.site_id)
        if existing is None:
            added.append(stop_row(day, planned, (sites or {}).get(planned.site_id)))
            row.stops.append(added[-1])
            continue
        fresh = stop_row(day, planned)
        for name in TIMED_COLUMNS:
            setattr(existing, name, getattr(fresh, name))
    row.start_at = at_time(day, new.start_s)
    row.end_at = at_time(day, new.end_s)
    row.travel_time_s = new.travel_s
    row.distance_m = new.distance_m
    row.service_s = new.service_s
    row.wait_s = new.wait_s
    row.persons = new.persons
    row.return_geometry = geometry_json(new.return_geometry)
    row.breaks = [break_json(b) for b in new.breaks]
    session.flush()
    session.expire(row, ["stops"])  # reload in sequence order
    return added
