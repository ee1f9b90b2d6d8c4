"""Planning against the database: load the backlog, plan, persist, approve, insert urgently.

The DB-facing layer around the pure core (:func:`outreach.planning.engine.plan_routes`). It
takes a SQLAlchemy session and a travel model (``outreach.domain.TravelModel``; the caller
builds it from configuration, e.g. ``outreach.geo.network.travel_model_for``), changes rows and
never commits (DESIGN.md rule 4).

What is eligible
    Requests of the office with status ``terverifikasi``, and ``terjadwal`` ones that are not on
    an approved route still to come (so requests of a superseded or never-approved plan, or of
    a past route without an outcome, come back). With ``keep_approved`` (the default) the
    approved routes on the planned days are kept unchanged and their team-days take no new work;
    without it they are planned again. Requests without a location are included and reported
    (``no_location``).

Service parameters
    ``Office.settings["planning"]`` may set ``setup_min`` (10) and ``per_person_min`` (12); the
    office's ``sync_deadline`` and ``daily_card_capacity`` become the plan's rules.

Times
    Route and stop times are wall-clock times of the office's timezone, stored naive.

What is stored
    ``Plan.inputs`` is a snapshot of what the plan was made from -- rules, teams, and per request
    its id, tracking code, category, services, traits, persons, priority, point, availability,
    pins and deadline -- so a plan can be explained later. It holds no names, NIK or phone
    numbers, and nothing logged here does either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import (
    Availability,
    PlannedBreak,
    PlannedRoute,
    PlannedStop,
    PlanResult,
    PlanRules,
    Site,
    TeamSpec,
    TimeWindow,
    TravelMatrix,
    TravelModel,
    UnassignedSite,
)
from outreach.errors import NotFoundError, PlanningError
from outreach.office import get_office
from outreach.planning.calendar import working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.insertion import Insertion, insert_site
from outreach.planning.priority import (
    PER_PERSON_S,
    SETUP_S,
    cards_for,
    priority_for,
    service_seconds,
    waiting_days,
)
from outreach.planning.problem import PlanningProblem, problem_points
from outreach.planning.reasons import Reason, describe, format_date, title

logger = logging.getLogger(__name__)

Status = models.RequestStatus


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


def _clock(seconds: int) -> str:
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
    )


def rules_for(office: models.Office, **overrides: Any) -> PlanRules:
    """The office's planning rules (sync deadline, card capacity), with ``overrides``."""
    rules = PlanRules(
        sync_deadline_s=seconds_of(office.sync_deadline) if office.sync_deadline else None,
        daily_card_capacity=office.daily_card_capacity,
    )
    return dataclasses.replace(rules, **overrides)


def site_for(
    request: models.ServiceRequest,
    *,
    on: dt.date,
    area: str = "",
    setup_s: int = SETUP_S,
    per_person_s: int = PER_PERSON_S,
) -> Site:
    """A request row as a :class:`~outreach.domain.Site` (priority as of day ``on``)."""
    services = [str(s) for s in request.services or ()]
    persons = max(1, int(request.persons or 1))
    to_deadline = None if request.deadline is None else (request.deadline - on).days
    return Site(
        id=request.id,
        lon=request.lon,
        lat=request.lat,
        service_s=service_seconds(persons, setup_s=setup_s, per_person_s=per_person_s),
        persons=persons,
        cards=cards_for(services, persons),
        needs=frozenset(services) | frozenset(str(t) for t in request.required_traits or ()),
        availability=parse_availability(request.availability or ()),
        category=request.category,
        priority=priority_for(
            request.category,
            waiting_days=waiting_days(request.verified_at or request.created_at, on),
            days_to_deadline=to_deadline,
        ),
        deadline=request.deadline,
        pinned_team_id=request.pinned_team_id,
        pinned_date=request.pinned_date,
        area=area,
        label=request.tracking_code,
    )


def planned_route(
    route: models.Route, *, locked: bool, sites: dict[int, Site] | None = None
) -> PlannedRoute:
    """A stored route as a :class:`~outreach.domain.PlannedRoute`.

    Persons and cards are summed from ``sites`` (the requests as they are now) when given.
    """
    day = route.route_date
    stops = tuple(
        PlannedStop(
            site_id=s.request_id,
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
        return_travel_s=end_s - last_departure,
        return_distance_m=route.distance_m - sum(s.distance_m for s in stops),
        return_fallback=any(s.fallback for s in stops[-1:]),
        return_geometry=tuple((float(p[0]), float(p[1])) for p in route.return_geometry or ()),
        persons=sum(sites[s.site_id].persons for s in stops if s.site_id in sites)
        if sites
        else route.persons,
        cards=sum(sites[s.site_id].cards for s in stops if s.site_id in sites) if sites else 0,
        locked=locked,
    )


# --- loading ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlanInputs:
    """A problem loaded from the database, and what is needed to store its plan."""

    office: models.Office
    problem: PlanningProblem
    requested_date: dt.date
    days: int
    keep_approved: bool
    locked_route_ids: tuple[int, ...]
    requests: dict[int, models.ServiceRequest]


def _approved_routes(session: Session, office_id: int, *, from_date: dt.date) -> list[models.Route]:
    stmt = (
        select(models.Route)
        .join(models.Plan)
        .where(
            models.Plan.office_id == office_id,
            models.Plan.status == models.PlanStatus.APPROVED.value,
            models.Route.approved.is_(True),
            models.Route.route_date >= from_date,
        )
        .order_by(models.Route.route_date, models.Route.team_id, models.Route.id)
    )
    return list(session.scalars(stmt))


def _select_teams(
    teams: Sequence[models.Team], wanted: Sequence[str | int] | None
) -> list[models.Team]:
    active = [t for t in teams if t.active]
    if not wanted:
        return active
    chosen: list[models.Team] = []
    for item in wanted:
        key = str(item).strip()
        match = next(
            (t for t in active if str(t.id) == key or t.name.casefold() == key.casefold()), None
        )
        if match is None:
            msg = f"No active team {key!r}."
            raise NotFoundError(msg)
        if match not in chosen:
            chosen.append(match)
    return chosen


def load_inputs(
    session: Session,
    *,
    start_date: dt.date,
    days: int = 1,
    teams: Sequence[str | int] | None = None,
    seed: int = 1,
    keep_approved: bool = True,
    office: models.Office | None = None,
    rules: PlanRules | None = None,
) -> PlanInputs:
    """Load the office, its teams, the eligible backlog and the approved routes to keep.

    Parameters
    ----------
    session
        Database session.
    start_date
        First day to consider; the plan covers the first ``days`` working days from it.
    days
        Number of working days (Sundays and public holidays are skipped).
    teams
        Team ids or names to plan for (default: every active team).
    seed
        Seed of the plan's random choices.
    keep_approved
        Keep approved routes on the planned days unchanged (else plan them again).
    office
        The office (default: the deployment's office).
    rules
        Planning rules (default: :func:`rules_for` the office).

    Returns
    -------
    PlanInputs
        The problem and what :func:`save_plan` needs.

    Raises
    ------
    NotFoundError
        No office is set up, or a named team does not exist.
    """
    office = office or get_office(session)
    dates = working_days(start_date, days)
    team_rows = _select_teams(office.teams, teams)
    settings = (office.settings or {}).get("planning", {}) or {}
    setup_s = int(float(settings.get("setup_min", SETUP_S / 60)) * 60)
    per_person_s = int(float(settings.get("per_person_min", PER_PERSON_S / 60)) * 60)

    approved = _approved_routes(session, office.id, from_date=start_date)
    date_set = set(dates)
    locked_rows = [r for r in approved if keep_approved and r.route_date in date_set]
    elsewhere = {
        s.request_id
        for r in approved
        if r.route_date not in date_set or keep_approved
        for s in r.stops
    }
    stmt = (
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == office.id,
            models.ServiceRequest.status.in_([Status.TERVERIFIKASI.value, Status.TERJADWAL.value]),
        )
        .order_by(models.ServiceRequest.id)
    )
    rows = [r for r in session.scalars(stmt) if r.id not in elsewhere]
    locked_ids = {s.request_id for r in locked_rows for s in r.stops}
    for request_id in sorted(locked_ids - {r.id for r in rows}):
        row = session.get(models.ServiceRequest, request_id)
        if row is not None:
            rows.append(row)
    areas = {
        int(k): str(n)
        for k, n in session.execute(select(models.Kelurahan.id, models.Kelurahan.name))
    }
    on = dates[0] if dates else start_date
    sites = tuple(
        site_for(
            r,
            on=on,
            area=areas.get(r.kelurahan_id, "") if r.kelurahan_id else "",
            setup_s=setup_s,
            per_person_s=per_person_s,
        )
        for r in rows
    )
    problem = PlanningProblem(
        depot=(office.depot_lon, office.depot_lat),
        dates=dates,
        teams=tuple(team_spec(t) for t in team_rows),
        sites=sites,
        rules=rules or rules_for(office),
        locked=tuple(
            planned_route(r, locked=True, sites={x.id: x for x in sites}) for r in locked_rows
        ),
        seed=seed,
    )
    return PlanInputs(
        office=office,
        problem=problem,
        requested_date=start_date,
        days=days,
        keep_approved=keep_approved,
        locked_route_ids=tuple(r.id for r in locked_rows),
        requests={r.id: r for r in rows},
    )


# --- planning and storing --------------------------------------------------------------------


def compute_plan(inputs: PlanInputs, travel: TravelModel) -> tuple[PlanResult, TravelMatrix]:
    """Build the matrix with ``travel`` and run the core planner (with road geometry).

    Returns
    -------
    tuple of PlanResult and TravelMatrix
        The plan (``timings_s`` includes ``matrix_s``) and the matrix it was made on.
    """
    started = time.perf_counter()
    matrix = travel.matrix(problem_points(inputs.problem).points)
    matrix_s = time.perf_counter() - started
    result = plan_routes(inputs.problem, matrix, legs=travel.leg_geometry)
    result.timings_s["matrix_s"] = matrix_s
    return result, matrix


def _snapshot(inputs: PlanInputs, matrix: TravelMatrix, result: PlanResult) -> dict[str, Any]:
    problem = inputs.problem
    office = inputs.office
    rules = dataclasses.asdict(problem.rules)
    return {
        "requested_date": inputs.requested_date.isoformat(),
        "dates": [d.isoformat() for d in problem.dates],
        "days": inputs.days,
        "seed": problem.seed,
        "solver": result.solver,
        "keep_approved": inputs.keep_approved,
        "locked_route_ids": list(inputs.locked_route_ids),
        "office": {
            "id": office.id,
            "name": office.name,
            "region_slug": office.region_slug,
            "depot": [office.depot_lon, office.depot_lat],
        },
        "rules": rules,
        "matrix": {
            "method": matrix.method,
            "points": matrix.size,
            "fallback_points": int(matrix.fallback.sum()),
        },
        "teams": [
            {
                "id": t.id,
                "name": t.name,
                "skills": sorted(t.skills),
                "shift": [_clock(t.shift.start_s), _clock(t.shift.end_s)],
                "shift_by_weekday": {
                    str(d): [_clock(w.start_s), _clock(w.end_s)] if w else []
                    for d, w in t.shift_by_weekday
                },
                "start": list(t.start) if t.start else None,
                "max_stops": t.max_stops,
            }
            for t in problem.teams
        ],
        # No names, NIK or phone numbers here (privacy.py): ids, codes and planning facts only.
        "requests": [
            {
                "id": s.id,
                "tracking_code": s.label,
                "status": inputs.requests[s.id].status if s.id in inputs.requests else None,
                "category": s.category,
                "needs": sorted(s.needs),
                "persons": s.persons,
                "cards": s.cards,
                "service_s": s.service_s,
                "priority": s.priority,
                "lon": s.lon,
                "lat": s.lat,
                "availability": [
                    {
                        "days": sorted(a.weekdays),
                        "start": _clock(a.window.start_s),
                        "end": _clock(a.window.end_s),
                    }
                    for a in s.availability
                ],
                "deadline": s.deadline.isoformat() if s.deadline else None,
                "pinned_team_id": s.pinned_team_id,
                "pinned_date": s.pinned_date.isoformat() if s.pinned_date else None,
                "kelurahan": s.area,
            }
            for s in problem.sites
        ],
    }


def _summary(result: PlanResult, violations: int) -> dict[str, Any]:
    visits = sum(len(r.stops) for r in result.routes)
    by_reason = Counter(u.reason for u in result.unassigned)
    cards_by_day: Counter[str] = Counter()
    for r in result.routes:
        cards_by_day[r.day.isoformat()] += r.cards
    return {
        "routes": len(result.routes),
        "visits": visits,
        "persons": sum(r.persons for r in result.routes),
        "travel_time_s": sum(r.travel_s for r in result.routes),
        "distance_m": sum(r.distance_m for r in result.routes),
        "cards_by_day": dict(sorted(cards_by_day.items())),
        "unassigned": len(result.unassigned),
        "unassigned_by_reason": dict(sorted(by_reason.items())),
        "notes": list(result.notes),
        "violations": violations,
        "timings_s": {k: round(v, 3) for k, v in sorted(result.timings_s.items())},
    }


def _geometry(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    return [[round(lon, 6), round(lat, 6)] for lon, lat in points]


def _store_route(plan: models.Plan, route: PlannedRoute) -> models.Route:
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
        return_geometry=_geometry(route.return_geometry),
        breaks=[_break_json(b) for b in route.breaks],
    )
    row.stops = [_stop_row(day, s) for s in route.stops]
    plan.routes.append(row)
    return row


def _break_json(b: PlannedBreak) -> dict[str, Any]:
    # "start"/"end" for people; the seconds keep a kept route exact when it is read back.
    return {
        "label": b.label,
        "start": _clock(b.start_s),
        "end": _clock(b.end_s),
        "start_s": b.start_s,
        "end_s": b.end_s,
        "before_sequence": b.before_sequence,
    }


def _stop_row(day: dt.date, stop: PlannedStop) -> models.Stop:
    return models.Stop(
        request_id=stop.site_id,
        sequence=stop.sequence,
        arrival_at=at_time(day, stop.arrival_s),
        service_start_at=at_time(day, stop.service_start_s),
        departure_at=at_time(day, stop.departure_s),
        wait_s=stop.wait_s,
        service_s=stop.service_s,
        travel_time_s=stop.travel_s,
        distance_m=stop.distance_m,
        leg_geometry=_geometry(stop.geometry),
        fallback_distance=stop.fallback,
    )


def save_plan(
    session: Session, inputs: PlanInputs, result: PlanResult, matrix: TravelMatrix
) -> models.Plan:
    """Store ``result`` as a draft plan with its inputs snapshot (flushed, not committed).

    The independent feasibility check runs on the way in; violations (there should be none)
    are logged and counted in ``summary["violations"]``.
    """
    started = time.perf_counter()
    violations = check_plan(inputs.problem, matrix, result)
    for v in violations:
        logger.warning(
            "plan violation %s: team %s day %s site %s", v.code, v.team_id, v.day, v.site_id
        )
    problem = inputs.problem
    plan = models.Plan(
        office_id=inputs.office.id,
        start_date=problem.dates[0] if problem.dates else inputs.requested_date,
        days=inputs.days,
        status=models.PlanStatus.DRAFT.value,
        seed=problem.seed,
        solver=result.solver,
        inputs=_snapshot(inputs, matrix, result),
    )
    session.add(plan)
    for route in result.routes:
        _store_route(plan, route)
    for u in result.unassigned:
        plan.unassigned.append(
            models.PlanUnassigned(
                request_id=u.site_id,
                reason=u.reason,
                detail=u.message,
                expected_date=u.expected_date,
            )
        )
    session.flush()
    summary = _summary(result, len(violations))
    summary["timings_s"]["persist_s"] = round(time.perf_counter() - started, 3)
    plan.summary = summary
    logger.info(
        "plan %s: %s routes, %s visits, %s unassigned",
        plan.id,
        summary["routes"],
        summary["visits"],
        summary["unassigned"],
    )
    return plan


def create_plan(
    session: Session,
    travel: TravelModel,
    *,
    start_date: dt.date,
    days: int = 1,
    teams: Sequence[str | int] | None = None,
    seed: int = 1,
    keep_approved: bool = True,
    office: models.Office | None = None,
    rules: PlanRules | None = None,
) -> models.Plan:
    """Plan ``days`` working days from ``start_date`` and store the plan as a draft.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    travel
        Travel model of the office's region (road network or fallback).
    start_date, days, teams, seed, keep_approved, office, rules
        As for :func:`load_inputs`.

    Returns
    -------
    models.Plan
        The draft plan with routes, stops and unassigned requests (each with a reason).
    """
    inputs = load_inputs(
        session,
        start_date=start_date,
        days=days,
        teams=teams,
        seed=seed,
        keep_approved=keep_approved,
        office=office,
        rules=rules,
    )
    result, matrix = compute_plan(inputs, travel)
    return save_plan(session, inputs, result, matrix)


# --- approving -------------------------------------------------------------------------------


def approve_plan(
    session: Session, plan_id: int, *, now: dt.datetime | None = None, actor: str = "system"
) -> models.Plan:
    """Approve a draft: its routes become the approved routes of their days.

    Requests on its stops become ``terjadwal`` with ``scheduled_at`` = the planned service
    start. Approved routes of other plans on the same days are withdrawn (a plan left with none
    becomes ``superseded``) and their requests not in this plan go back to ``terverifikasi``.

    Raises
    ------
    NotFoundError
        No such plan.
    PlanningError
        The plan is not a draft.
    """
    plan = session.get(models.Plan, plan_id)
    if plan is None:
        msg = f"No plan {plan_id}."
        raise NotFoundError(msg)
    if plan.status != models.PlanStatus.DRAFT.value:
        msg = f"Plan {plan_id} is {plan.status}, not a draft."
        raise PlanningError(msg)
    now = now or models.utcnow()
    days = {r.route_date for r in plan.routes} | {
        dt.date.fromisoformat(d) for d in (plan.inputs or {}).get("dates", [])
    }
    in_plan = {s.request_id for r in plan.routes for s in r.stops}
    touched: set[int] = set()
    for other in _approved_routes(session, plan.office_id, from_date=min(days, default=now.date())):
        if other.plan_id == plan.id or other.route_date not in days:
            continue
        other.approved = False
        touched.add(other.plan_id)
        for stop in other.stops:
            request = stop.request
            if stop.request_id not in in_plan and request.status == Status.TERJADWAL.value:
                request.status = Status.TERVERIFIKASI.value
                request.scheduled_at = None
    session.flush()
    for other_id in sorted(touched):
        other_plan = session.get(models.Plan, other_id)
        if other_plan is not None and not any(r.approved for r in other_plan.routes):
            other_plan.status = models.PlanStatus.SUPERSEDED.value
    for route in plan.routes:
        route.approved = True
        for stop in route.stops:
            stop.request.status = Status.TERJADWAL.value
            stop.request.scheduled_at = stop.service_start_at
    plan.status = models.PlanStatus.APPROVED.value
    plan.approved_at = now
    session.add(
        models.AuditEvent(
            actor=actor,
            action="plan.approve",
            entity="plan",
            entity_id=plan.id,
            detail={"routes": len(plan.routes), "visits": len(in_plan)},
        )
    )
    session.flush()
    return plan


# --- urgent insertion ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UrgentResult:
    """The stop an urgent request got, or why it could not go into the day's routes."""

    stop: models.Stop | None
    unassigned: UnassignedSite | None
    added_travel_s: int = 0


def _day_routes(session: Session, office_id: int, day: dt.date) -> list[models.Route]:
    approved = [
        r for r in _approved_routes(session, office_id, from_date=day) if r.route_date == day
    ]
    if approved:
        return approved
    latest = session.scalar(
        select(models.Plan)
        .join(models.Route)
        .where(
            models.Plan.office_id == office_id,
            models.Plan.status == models.PlanStatus.DRAFT.value,
            models.Route.route_date == day,
        )
        .order_by(models.Plan.id.desc())
        .limit(1)
    )
    return [] if latest is None else [r for r in latest.routes if r.route_date == day]


def insert_urgent(
    session: Session,
    travel: TravelModel,
    *,
    request_id: int,
    day: dt.date,
    office: models.Office | None = None,
) -> UrgentResult:
    """Insert request ``request_id`` into the routes of ``day`` at least added travel time.

    The day's approved routes are used (else the newest draft's); every other visit keeps its
    team and order, times after the new stop shift. If the plan is approved the request becomes
    ``terjadwal``. Nothing raises when it does not fit: the reason comes back instead.

    Raises
    ------
    NotFoundError
        No such request.
    PlanningError
        The request is already on an approved route of another day.
    """
    office = office or get_office(session)
    request = session.get(models.ServiceRequest, request_id)
    if request is None or request.office_id != office.id:
        msg = f"No request {request_id}."
        raise NotFoundError(msg)
    # On an approved route of another day and not closed yet (no outcome): a second visit.
    elsewhere = [
        r.route_date
        for r in _approved_routes(session, office.id, from_date=dt.date.min)
        if r.route_date != day
        and request.status == Status.TERJADWAL.value
        and any(s.request_id == request_id for s in r.stops)
    ]
    if elsewhere:
        msg = f"Request {request_id} is already scheduled on {elsewhere[0].isoformat()}."
        raise PlanningError(msg)
    route_rows = _day_routes(session, office.id, day)
    on_routes = [s.request_id for r in route_rows for s in r.stops]
    if request_id in on_routes:
        stop = next(s for r in route_rows for s in r.stops if s.request_id == request_id)
        return UrgentResult(stop, None)
    sites = [site_for(s.request, on=day) for r in route_rows for s in r.stops]
    sites.append(site_for(request, on=day))
    by_id = {x.id: x for x in sites}
    routes = [planned_route(r, locked=r.approved, sites=by_id) for r in route_rows]
    plan_row = route_rows[0].plan if route_rows else None
    team_rows = [t for t in office.teams if t.active]
    problem = PlanningProblem(
        depot=(office.depot_lon, office.depot_lat),
        dates=(day,),
        teams=tuple(team_spec(t) for t in team_rows),
        sites=tuple(sites),
        rules=rules_for(office),
    )
    if plan_row is None:
        left = UnassignedSite(request_id, Reason.NO_TEAMS.value, describe(Reason.NO_TEAMS), None)
        return UrgentResult(None, left)
    matrix = travel.matrix(problem_points(problem).points)
    answer = insert_site(
        problem, matrix, site_id=request_id, routes=routes, legs=travel.leg_geometry
    )
    if not isinstance(answer, Insertion):
        return UrgentResult(None, answer)
    stop = _apply_insertion(session, plan_row, route_rows, answer)
    if plan_row.status == models.PlanStatus.APPROVED.value:
        request.status = Status.TERJADWAL.value
        request.scheduled_at = stop.service_start_at
    summary = dict(plan_row.summary or {})
    summary["insertions"] = [
        *summary.get("insertions", []),
        {
            "request_id": request_id,
            "team_id": answer.route.team_id,
            "date": day.isoformat(),
            "sequence": answer.sequence,
            "added_travel_s": answer.added_travel_s,
        },
    ]
    plan_row.summary = summary
    session.flush()
    return UrgentResult(stop, None, answer.added_travel_s)


def _apply_insertion(
    session: Session, plan: models.Plan, route_rows: Sequence[models.Route], answer: Insertion
) -> models.Stop:
    new = answer.route
    day = new.day
    row = next((r for r in route_rows if r.team_id == new.team_id), None)
    if row is None:
        row = _store_route(plan, new)
        row.approved = plan.status == models.PlanStatus.APPROVED.value
        session.flush()
        return row.stops[0]
    by_request = {s.request_id: s for s in row.stops}
    for stop in row.stops:  # move out of the way of the unique (route, sequence)
        stop.sequence = -stop.sequence
    session.flush()
    inserted: models.Stop | None = None
    for planned in new.stops:
        existing = by_request.get(planned.site_id)
        if existing is None:
            inserted = _stop_row(day, planned)
            row.stops.append(inserted)
            continue
        fresh = _stop_row(day, planned)
        for name in (
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
        ):
            setattr(existing, name, getattr(fresh, name))
    row.start_at = at_time(day, new.start_s)
    row.end_at = at_time(day, new.end_s)
    row.travel_time_s = new.travel_s
    row.distance_m = new.distance_m
    row.service_s = new.service_s
    row.wait_s = new.wait_s
    row.persons = new.persons
    row.return_geometry = _geometry(new.return_geometry)
    row.breaks = [_break_json(b) for b in new.breaks]
    session.flush()
    session.expire(row, ["stops"])  # reload in sequence order
    assert inserted is not None  # the new site is on the new route by construction
    return inserted


# --- reading ---------------------------------------------------------------------------------


def describe_plan(plan: models.Plan) -> list[str]:
    """A readable summary of a stored plan, one line per item (for the CLI)."""
    summary = plan.summary or {}
    dates = (plan.inputs or {}).get("dates", [])
    lines = [
        f"Plan #{plan.id} ({plan.status}): {len(dates)} working day(s) from "
        f"{plan.start_date.isoformat()}, solver {plan.solver}, seed {plan.seed}",
    ]
    lines.extend(f"  ! {note}" for note in summary.get("notes", []))
    by_day: dict[dt.date, list[models.Route]] = {}
    for route in plan.routes:
        by_day.setdefault(route.route_date, []).append(route)
    for day in sorted(by_day):
        routes = sorted(by_day[day], key=lambda r: r.team.name)
        visits = sum(len(r.stops) for r in routes)
        lines.append(f"{format_date(day)}: {visits} visits, {len(routes)} team(s)")
        for r in routes:
            breaks = ", ".join(f"{b['label']} {b['start']}-{b['end']}" for b in r.breaks or ())
            lines.append(
                f"  {r.team.name}: {len(r.stops)} visits, {r.persons} persons, "
                f"{r.start_at:%H:%M}-{r.end_at:%H:%M}, travel {r.travel_time_s // 60} min, "
                f"{r.distance_m / 1000:.1f} km" + (f" [{breaks}]" if breaks else "")
            )
    lines.append(f"Not planned: {len(plan.unassigned)}")
    grouped: dict[str, list[models.PlanUnassigned]] = {}
    for u in plan.unassigned:
        grouped.setdefault(u.reason, []).append(u)
    for reason, items in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        dates_seen = sorted(d for d in (u.expected_date for u in items) if d)
        when = f" (expected from {format_date(dates_seen[0])})" if dates_seen else ""
        lines.append(f"  {len(items)} x {title(reason)}{when}")
    timings = summary.get("timings_s", {})
    if timings:
        lines.append("Timings: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(timings.items())))
    return lines
