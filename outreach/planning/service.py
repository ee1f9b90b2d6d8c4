"""Planning against the database: load the backlog, plan, persist, approve, insert urgently.

The DB-facing layer around the pure core (:func:`outreach.planning.engine.plan_routes`). It
takes a SQLAlchemy session and a travel model (``outreach.domain.TravelModel``; the caller
builds it from configuration, e.g. ``outreach.geo.network.travel_model_for``), changes rows and
never commits (DESIGN.md rule 4).

What is eligible
    Requests of the office with status ``terverifikasi``, and ``terjadwal`` ones that are not on an
    approved route still to come (so requests of a superseded or never-approved plan, or of a past
    route without an outcome, come back). Requests flagged ``perlu_dihubungi`` (three visits found
    nobody home, :mod:`outreach.visits`) wait for a coordinator and are left out; parts of a split
    visit already served are not planned again. With ``keep_approved`` (the default) the approved
    routes on the planned days are kept unchanged and their team-days take no new work; without it
    they are planned again. Requests without a location are included and reported (``no_location``).

Service parameters
    ``Office.settings["planning"]`` may set ``setup_min`` (10), ``per_person_min`` (12, a home
    visit), ``collective_per_person_min`` (6, a queue at a collective visit) and
    ``collective_max_persons`` (40); the office's ``sync_deadline`` and ``daily_card_capacity``
    become the plan's rules.

Big collective visits
    A collective request for more than ``collective_max_persons`` persons is planned as
    near-equal parts (:mod:`outreach.planning.split`), each its own site: parts may go to
    several teams on one day or to several days. Every part's stop points at the request
    (``Stop.part`` / ``parts`` / ``persons`` say which part); a part left out is a
    ``PlanUnassigned`` row of the request whose detail names the part. Parts already on
    approved routes of other days are not planned again (the rest of the request is), and a
    split on an approved route keeps its number of parts.

Times
    Route and stop times are wall-clock times of the office's timezone, stored naive.

Approval
    :func:`approve_plan` makes a draft the approved plan of its days: its routes approved, their
    requests ``terjadwal`` with ``scheduled_at``; approved routes of other plans on those days
    are withdrawn. Kept routes are copied into a new draft with ``approved=False`` until then,
    so "approved routes" always means routes of an approved plan with ``Route.approved``.

Urgent requests
    :func:`insert_urgent` (in :mod:`outreach.planning.urgent`, re-exported here).

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
import zoneinfo
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.appointments import office_cards_booked
from outreach.domain import (
    PlanResult,
    PlanRules,
    Site,
    TeamSpec,
    TravelMatrix,
    TravelModel,
)
from outreach.errors import NotFoundError, PlanningError, PlanViolationsError
from outreach.office import get_office
from outreach.planning.backlog import trim_backlog, trimmed_unassigned
from outreach.planning.calendar import team_day, working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import PlanningProblem, problem_points, travel_matrix
from outreach.planning.reasons import Reason, describe, format_date, title
from outreach.planning.records import (
    FLAG_CONTACT,
    FLAG_OFFICE,
    approved_routes,
    clock,
    planned_route,
    route_is_approved,
    rules_for,
    served_parts,
    service_params,
    sites_for,
    store_route,
    team_spec,
)
from outreach.planning.split import DEFAULT_COLLECTIVE_MAX_PERSONS, part_label
from outreach.planning.stability import plan_stable, previous_positions
from outreach.planning.trips import far_trips_for
from outreach.planning.urgent import UrgentResult, insert_urgent
from outreach.programmes.planning import (
    mark_home_visits,
    missed_programme_visit,
    prioritise_programme_visits,
    programme_days,
    with_programme_days,
)

__all__ = [
    "PlanInputs",
    "UrgentResult",
    "approve_plan",
    "compute_plan",
    "create_plan",
    "describe_plan",
    "discard_plan",
    "insert_urgent",
    "load_inputs",
    "plan_dates",
    "save_plan",
]

logger = logging.getLogger(__name__)

Status = models.RequestStatus
#: ``progress(done, total, text)``: how far planning is (text in Indonesian, for users).
ProgressFn = Callable[[int, int, str], None]


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
    # Most persons of one collective visit; bigger ones are parts of the problem's sites.
    collective_max_persons: int = DEFAULT_COLLECTIVE_MAX_PERSONS
    # Requests flagged perlu_dihubungi: not planned, listed as left out with the reason.
    waiting_contact: tuple[int, ...] = ()
    # Approved routes of the plan's days given up because their team no longer works that
    # day (away, not planning, day off): one note each, in Indonesian.
    released: tuple[str, ...] = ()
    # Sites left out before planning: the backlog was far larger than the plan's days can
    # serve (outreach.planning.backlog); stored as left out with the plan.
    trimmed: tuple[Site, ...] = ()


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


def _away_after_lodging(
    team_specs: tuple[TeamSpec, ...],
    approved: Sequence[models.Route],
    locked_rows: Sequence[models.Route],
    date_set: set[dt.date],
    released: list[str],
) -> tuple[TeamSpec, ...]:
    """Teams whose approved first day of an overnight trip lies before the plan: away on day 2.

    The planner sees only the plan's days, so it would send such a team out from the office on
    the trip's second day while it sleeps near the far cluster. Unless that second day's route
    is kept as approved, the team is left out of that day and a note (Indonesian) says why.
    """
    kept = {(r.team_id, r.route_date) for r in locked_rows}
    away: dict[int, set[dt.date]] = {}
    for r in approved:
        if not r.ends_at_lodging or r.route_date in date_set:
            continue
        day2 = r.route_date + dt.timedelta(days=1)
        if day2 not in date_set or (r.team_id, day2) in kept:
            continue
        away.setdefault(r.team_id, set()).add(day2)
        released.append(
            f"Tim {r.team.name} menginap setelah rute {format_date(r.route_date)} yang sudah "
            f"disetujui; tim ini tidak direncanakan pada {format_date(day2)}. Rencanakan mulai "
            f"{format_date(r.route_date)} agar hari kedua berangkat dari penginapan."
        )
    return tuple(
        dataclasses.replace(t, away=t.away | frozenset(away[t.id])) if t.id in away else t
        for t in team_specs
    )


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
    rules = rules or rules_for(office)
    dates = working_days(start_date, days, rules.office_days)
    # Programme days on weekdays closed for home visits (weekend programmes) join the plan.
    last_day = max(dates, default=start_date)
    extra_days = programme_days(session, office.id, start_date, last_day, rules)
    if extra_days:
        rules = with_programme_days(rules, extra_days)
        dates = tuple(sorted(set(dates) | {d.day for d in extra_days}))
    team_rows = _select_teams(office.teams, teams)
    params = service_params(office)

    # Approved routes still to come, also those before start_date: what they serve is not
    # planned again (a plan made for next week leaves this week's scheduled visits alone).
    today = dt.datetime.now(zoneinfo.ZoneInfo(office.timezone)).date()
    approved = approved_routes(session, office.id, from_date=min(start_date, today))
    date_set = set(dates)
    specs = {t.id: team_spec(t) for t in team_rows}
    locked_rows: list[models.Route] = []
    released: list[str] = []
    for r in approved:
        if not keep_approved or r.route_date not in date_set:
            continue
        spec = specs.get(r.team_id)
        working = spec is not None and team_day(spec, r.route_date, rules) is not None
        if working or any(s.outcome is not None for s in r.stops):
            locked_rows.append(r)  # still driven (or already under way): kept as approved
        else:
            # A team that no longer works that day (away, left out of the plan) does not keep
            # its route as if it did: its visits are planned again with the teams that work.
            released.append(
                f"Rute {r.team.name} yang sudah disetujui pada {format_date(r.route_date)} "
                f"dilepas karena tim tidak bertugas; {len(r.stops)} kunjungannya direncanakan "
                "ulang. Setujui rencana ini untuk menggantinya."
            )
    locked_route_ids = {r.id for r in locked_rows}
    # Approved routes of other days (kept as they are): what they serve is not planned again,
    # part by part, so the rest of a split visit stays in the backlog.
    elsewhere: dict[int, set[int]] = {}
    # A split already on an approved route is kept (its parts' ids must match).
    prior_parts: dict[int, int] = {}
    for r in approved:
        kept = r.id in locked_route_ids or r.route_date not in date_set
        for s in r.stops if kept else ():
            prior_parts[s.request_id] = s.parts or 1
            if r.id not in locked_route_ids:
                elsewhere.setdefault(s.request_id, set()).add(s.part or 1)
    stmt = (
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == office.id,
            models.ServiceRequest.status.in_([Status.TERVERIFIKASI.value, Status.TERJADWAL.value]),
        )
        .order_by(models.ServiceRequest.id)
    )
    first_day = dates[0] if dates else start_date
    candidates = [r for r in session.scalars(stmt) if not missed_programme_visit(r, first_day)]
    waiting_contact = tuple(r.id for r in candidates if FLAG_CONTACT in (r.flags or ()))
    # Waiting for a call, or booked at an office session: not planned for a home visit.
    backlog = [r for r in candidates if not {FLAG_CONTACT, FLAG_OFFICE} & set(r.flags or ())]
    # Parts already served (an outcome selesai) are not planned again; those on routes kept
    # here stay, as the kept routes' sites.
    locked_parts: dict[int, set[int]] = {}
    for r in locked_rows:
        for s in r.stops:
            locked_parts.setdefault(s.request_id, set()).add(s.part or 1)
    served = served_parts(session, (r.id for r in backlog))
    for request_id, parts in served.items():
        elsewhere.setdefault(request_id, set()).update(parts - locked_parts.get(request_id, set()))
    for stop in session.scalars(
        select(models.Stop).where(models.Stop.request_id.in_(sorted(served)))
    ):
        prior_parts.setdefault(stop.request_id, stop.parts or 1)
    rows = [
        r
        for r in backlog
        if not set(range(1, prior_parts.get(r.id, 1) + 1)) <= elsewhere.get(r.id, set())
    ]
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
        site
        for r in rows
        for site in sites_for(
            r,
            on=on,
            area=areas.get(r.kelurahan_id, "") if r.kelurahan_id else "",
            params=params,
            parts=prior_parts.get(r.id),
            skip=elsewhere.get(r.id, ()),
        )
    )
    team_specs = tuple(team_spec(t) for t in team_rows)
    if dates:
        # A trip's first day may be the day before the plan, earlier than ``approved`` reaches.
        day_before = dates[0] - dt.timedelta(days=1)
        nights = [
            r
            for r in approved_routes(session, office.id, from_date=day_before)
            if r.ends_at_lodging
        ]
        team_specs = _away_after_lodging(team_specs, nights, locked_rows, date_set, released)
    # A programme visit is an appointment with a school or hall: it goes first on its date.
    programme_ids = {r.id for r in rows if r.programme_id is not None}
    sites = prioritise_programme_visits(sites, programme_ids)
    if rules.programme_days:
        # Only programme visits fit a programme day (calendar.HOME_VISIT_DAY).
        team_specs, sites = mark_home_visits(team_specs, sites, programme_ids)
    problem = PlanningProblem(
        depot=(office.depot_lon, office.depot_lat),
        dates=dates,
        teams=team_specs,
        sites=sites,
        rules=rules,
        locked=tuple(
            planned_route(r, locked=True, sites={x.id: x for x in sites}) for r in locked_rows
        ),
        seed=seed,
        cards_printed=_cards_used(session, office.id, dates, set(locked_route_ids)),
    )
    problem, trimmed = trim_backlog(problem)
    return PlanInputs(
        office=office,
        problem=problem,
        requested_date=start_date,
        days=days,
        keep_approved=keep_approved,
        locked_route_ids=tuple(r.id for r in locked_rows),
        requests={r.id: r for r in rows},
        collective_max_persons=params.collective_max_persons,
        waiting_contact=waiting_contact,
        released=tuple(released),
        trimmed=trimmed,
    )


def _cards_used(
    session: Session, office_id: int, dates: Sequence[dt.date], locked_route_ids: set[int]
) -> dict[dt.date, int]:
    """Cards a day's printers already owe: visits done outside the kept routes, office sessions.

    Office sessions (:mod:`outreach.appointments`) share the daily card capacity with outreach.
    """
    used = _cards_printed(session, office_id, dates, locked_route_ids)
    for day, cards in office_cards_booked(session, office_id, dates).items():
        used[day] = used.get(day, 0) + cards
    return used


def _cards_printed(
    session: Session, office_id: int, dates: Sequence[dt.date], locked_route_ids: set[int]
) -> dict[dt.date, int]:
    """Cards printed on ``dates`` at visits done on routes that are not kept (re-planned)."""
    if not dates:
        return {}
    rows = session.execute(
        select(
            models.VisitOutcome.visit_date, models.VisitOutcome.cards_printed, models.Stop.route_id
        )
        .join(models.Stop, models.VisitOutcome.stop_id == models.Stop.id)
        .join(models.ServiceRequest, models.VisitOutcome.request_id == models.ServiceRequest.id)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.VisitOutcome.visit_date.in_(list(dates)),
        )
    )
    out: dict[dt.date, int] = {}
    for day, cards, route_id in rows:
        if route_id not in locked_route_ids and day is not None:
            out[day] = out.get(day, 0) + int(cards or 0)
    return out


# --- planning and storing --------------------------------------------------------------------


def compute_plan(
    inputs: PlanInputs,
    travel: TravelModel,
    *,
    progress: ProgressFn | None = None,
    previous: models.Plan | None = None,
) -> tuple[PlanResult, TravelMatrix]:
    """Build the matrix with ``travel`` and run the core planner (with road geometry).

    ``progress`` (optional) is told ``(0, days, ...)`` before the travel times are computed,
    then ``(day_index, days, ...)`` before each day is planned. With ``previous`` (a draft
    over the same days) the plan starts from it: its visits stay on their team and day where
    they still fit (:func:`outreach.planning.stability.plan_stable`).

    Returns
    -------
    tuple of PlanResult and TravelMatrix
        The plan (``timings_s`` includes ``matrix_s``) and the matrix it was made on.
    """
    started = time.perf_counter()
    if progress is not None:
        progress(0, len(inputs.problem.dates), "Menghitung waktu tempuh antarlokasi ...")
    matrix = travel_matrix(travel, problem_points(inputs.problem).points, inputs.problem.teams)
    matrix_s = time.perf_counter() - started
    if previous is None:
        result = plan_routes(
            inputs.problem,
            matrix,
            legs=travel.leg_geometry,
            progress=progress,
            far_trips=far_trips_for(inputs.office.settings),
        )
    else:
        result = plan_stable(
            inputs.problem,
            matrix,
            previous_positions(previous),
            legs=travel.leg_geometry,
            progress=progress,
            far_trips=far_trips_for(inputs.office.settings),
        )
    result.timings_s["matrix_s"] = matrix_s
    return result, matrix


def _snapshot(inputs: PlanInputs, matrix: TravelMatrix, result: PlanResult) -> dict[str, Any]:
    problem = inputs.problem
    office = inputs.office
    rules = dataclasses.asdict(problem.rules)
    rules["working_weekdays"] = sorted(problem.rules.working_weekdays)
    # The office calendar as it was: dates closed and kept open, special-hours periods.
    rules["closed_days"] = [[d.isoformat(), why] for d, why in problem.rules.closed_days]
    rules["open_days"] = sorted(d.isoformat() for d in problem.rules.open_days)
    rules["programme_days"] = [
        {
            "day": p.day.isoformat(),
            "team_ids": sorted(p.team_ids),
            "hours": [clock(p.hours.start_s), clock(p.hours.end_s)] if p.hours else None,
        }
        for p in problem.rules.programme_days
    ]
    rules["periods"] = [
        {**dataclasses.asdict(p), "start": p.start.isoformat(), "end": p.end.isoformat()}
        for p in problem.rules.periods
    ]
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
            # Travel profiles beside the car's (a team on motorbikes: its own times).
            "profiles": ["car", *sorted(matrix.profiles)],
            "road_source": matrix.source or None,
        },
        "teams": [
            {
                "id": t.id,
                "name": t.name,
                "skills": sorted(t.skills),
                "shift": [clock(t.shift.start_s), clock(t.shift.end_s)],
                "shift_by_weekday": {
                    str(d): [clock(w.start_s), clock(w.end_s)] if w else []
                    for d, w in t.shift_by_weekday
                },
                "start": list(t.start) if t.start else None,
                "max_stops": t.max_stops,
                "away": sorted(d.isoformat() for d in t.away if d in problem.dates),
            }
            for t in problem.teams
        ],
        # No names, NIK or phone numbers here (privacy.py): ids, codes and planning facts only.
        "collective_max_persons": inputs.collective_max_persons,
        # A split visit is one entry per part: "id" is the request's, "site_id" the part's.
        "requests": [
            {
                "id": s.request_key,
                "tracking_code": s.label,
                "status": (
                    inputs.requests[s.request_key].status
                    if s.request_key in inputs.requests
                    else None
                ),
                **({"site_id": s.id, "part": s.part, "parts": s.parts} if s.parts > 1 else {}),
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
                        "start": clock(a.window.start_s),
                        "end": clock(a.window.end_s),
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
        "split": _split_snapshot(problem.sites),
    }


def _split_snapshot(sites: Sequence[Site]) -> dict[str, Any]:
    """Per split request (id as a string, JSON keys): its parts and their persons."""
    split: dict[str, Any] = {}
    for s in sites:
        if s.parts > 1:
            entry = split.setdefault(str(s.request_key), {"parts": s.parts, "planned": {}})
            entry["planned"][str(s.part)] = s.persons
    return split


def _summary(result: PlanResult, violations: int, sites: Sequence[Site]) -> dict[str, Any]:
    # A visit is a stop: each part of a split collective visit counts as one visit, with its
    # own persons (route persons are summed from the parts).
    visits = sum(len(r.stops) for r in result.routes)
    by_id = {s.id: s for s in sites}
    split_ids = {s.request_key for s in sites if s.parts > 1}
    routed_parts = [by_id[p.site_id] for r in result.routes for p in r.stops if p.site_id in by_id]
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
        "split_requests": len(split_ids),
        "split_parts_planned": sum(1 for x in routed_parts if x.parts > 1),
        "unassigned": len(result.unassigned),
        "unassigned_by_reason": dict(sorted(by_reason.items())),
        "notes": list(result.notes),
        "violations": violations,
        "timings_s": {k: round(v, 3) for k, v in sorted(result.timings_s.items())},
    }


def save_plan(
    session: Session, inputs: PlanInputs, result: PlanResult, matrix: TravelMatrix
) -> models.Plan:
    """Store ``result`` as a draft plan with its inputs snapshot (flushed, not committed).

    The independent feasibility check runs on the way in; violations (there should be none)
    are logged, counted in ``summary["violations"]`` and listed in
    ``summary["violation_details"]``; :func:`approve_plan` refuses such a plan.
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
    sites = {s.id: s for s in (*problem.sites, *inputs.trimmed)}
    for route in result.routes:
        store_route(plan, route, sites)
    for u in (*result.unassigned, *trimmed_unassigned(inputs.trimmed)):
        site = sites.get(u.site_id)
        detail = u.message
        if site is not None and site.parts > 1:
            # One row per part left out, all for the request; the detail says which part.
            label = part_label(site.part, site.parts, site.persons)
            detail = f"{label[:1].upper()}{label[1:]}: {u.message}"
        plan.unassigned.append(
            models.PlanUnassigned(
                request_id=u.site_id if site is None else site.request_key,
                reason=u.reason,
                detail=detail,
                expected_date=u.expected_date,
            )
        )
    for request_id in inputs.waiting_contact:
        plan.unassigned.append(
            models.PlanUnassigned(
                request_id=request_id,
                reason=Reason.NEEDS_CONTACT.value,
                detail=describe(Reason.NEEDS_CONTACT),
            )
        )
    session.flush()
    summary = _summary(result, len(violations), problem.sites)
    if inputs.trimmed:
        summary["unassigned"] += len(inputs.trimmed)
        by_reason = Counter(summary["unassigned_by_reason"])
        by_reason.update({Reason.DAY_FULL.value: len(inputs.trimmed)})
        summary["unassigned_by_reason"] = dict(sorted(by_reason.items()))
        summary["backlog_trimmed"] = len(inputs.trimmed)
    summary["notes"] = [*inputs.released, *summary.get("notes", [])]
    # Never silent: what the independent check found is kept with the plan (codes, teams,
    # days, request ids only), shown on its page, and a plan with any cannot be approved.
    summary["violation_details"] = [
        {
            "code": v.code,
            "message": v.message,
            "team_id": v.team_id,
            "day": v.day.isoformat() if v.day else None,
            "site_id": v.site_id,
        }
        for v in violations
    ]
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
    progress: ProgressFn | None = None,
    previous: models.Plan | None = None,
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
    progress
        ``progress(done, total, text)`` as planning goes (see :func:`compute_plan`).
    previous
        A draft over the same days to start from: its visits keep their team and day where
        they still fit (stable re-planning, see :mod:`outreach.planning.stability`).

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
    result, matrix = compute_plan(inputs, travel, progress=progress, previous=previous)
    return save_plan(session, inputs, result, matrix)


# --- approving -------------------------------------------------------------------------------


def approve_plan(
    session: Session, plan_id: int, *, now: dt.datetime | None = None, actor: str = "system"
) -> models.Plan:
    """Approve a draft: its routes become the approved routes of their days.

    Requests on its stops become ``terjadwal`` with ``scheduled_at`` = the earliest planned
    service start (a split request: of its parts here and on other approved routes; with only
    some parts scheduled it is ``terjadwal`` too, and the next plan takes its other parts).
    Approved routes of other plans on the same days are withdrawn (a plan left with none
    becomes ``superseded``) and their requests not in this plan go back to ``terverifikasi``.
    Every other draft of the office whose days overlap this plan's becomes ``superseded``
    ("Diganti"); a superseded plan's ``summary["superseded_by"]`` is this plan's id.

    Raises
    ------
    NotFoundError
        No such plan.
    PlanningError
        The plan is not a draft.
    PlanViolationsError
        The independent check found rules the plan breaks (``summary["violations"]``).
    """
    plan = session.get(models.Plan, plan_id)
    if plan is None:
        msg = f"No plan {plan_id}."
        raise NotFoundError(msg)
    if plan.status != models.PlanStatus.DRAFT.value:
        msg = f"Plan {plan_id} is {plan.status}, not a draft."
        raise PlanningError(msg)
    if (plan.summary or {}).get("violations"):
        msg = f"Plan {plan_id} breaks {plan.summary['violations']} planning rule(s)."
        raise PlanViolationsError(msg)
    now = now or models.utcnow()
    days = plan_dates(plan)
    in_plan = {s.request_id for r in plan.routes for s in r.stops}
    touched: set[int] = set()
    withdrawn: dict[int, models.ServiceRequest] = {}
    for other in approved_routes(session, plan.office_id, from_date=min(days, default=now.date())):
        if other.plan_id == plan.id or other.route_date not in days:
            continue
        other.approved = False
        touched.add(other.plan_id)
        withdrawn.update((s.request_id, s.request) for s in other.stops)
    session.flush()
    # Parts of a split visit on approved routes of other days stay scheduled: a request goes
    # back to the backlog only when none of its visits is left, and it is scheduled at its
    # earliest visit.
    elsewhere = _approved_starts(session, set(withdrawn) | in_plan)
    for request_id, request in sorted(withdrawn.items()):
        if request_id in in_plan or request.status != Status.TERJADWAL.value:
            continue
        if request_id in elsewhere:
            request.scheduled_at = elsewhere[request_id]
        else:
            request.status = Status.TERVERIFIKASI.value
            request.scheduled_at = None
    for other_id in sorted(touched):
        other_plan = session.get(models.Plan, other_id)
        if other_plan is not None and not any(r.approved for r in other_plan.routes):
            _supersede(other_plan, by=plan.id)
    drafts = session.scalars(
        select(models.Plan).where(
            models.Plan.office_id == plan.office_id,
            models.Plan.status == models.PlanStatus.DRAFT.value,
            models.Plan.id != plan.id,
        )
    )
    replaced = sorted(d.id for d in drafts if plan_dates(d) & days)
    for draft_id in replaced:
        draft = session.get(models.Plan, draft_id)
        if draft is not None:
            _supersede(draft, by=plan.id)
    first: dict[int, dt.datetime] = dict(elsewhere)
    for route in plan.routes:
        route.approved = True
        for stop in route.stops:
            # Any part scheduled makes the request terjadwal; its parts left out stay in the
            # backlog (load_inputs plans only the parts not on approved routes).
            stop.request.status = Status.TERJADWAL.value
            when = first.get(stop.request_id)
            first[stop.request_id] = (
                stop.service_start_at if when is None else min(when, stop.service_start_at)
            )
            stop.request.scheduled_at = first[stop.request_id]
    plan.status = models.PlanStatus.APPROVED.value
    plan.approved_at = now
    session.add(
        models.AuditEvent(
            actor=actor,
            action="plan.approve",
            entity="plan",
            entity_id=plan.id,
            detail={"routes": len(plan.routes), "visits": len(in_plan), "superseded": replaced},
        )
    )
    session.flush()
    return plan


def plan_dates(plan: models.Plan) -> set[dt.date]:
    """The days a stored plan covers: its planned working days and its routes' days."""
    return {r.route_date for r in plan.routes} | {
        dt.date.fromisoformat(d) for d in (plan.inputs or {}).get("dates", [])
    }


def _supersede(plan: models.Plan, *, by: int) -> None:
    plan.status = models.PlanStatus.SUPERSEDED.value
    # A new dict, so the JSON column is seen as changed.
    plan.summary = {**(plan.summary or {}), "superseded_by": by}


def discard_plan(session: Session, plan_id: int, *, actor: str = "system") -> int:
    """Delete draft ``plan_id`` with its routes, stops and unassigned rows (flushed).

    Nothing else changes: a draft schedules nobody (approval does). An audit event
    ``plan.discard`` records who discarded it and its size.

    Returns
    -------
    int
        The discarded plan's id.

    Raises
    ------
    NotFoundError
        No such plan.
    PlanningError
        The plan is not a draft (approved and superseded plans are history; they are kept).
    """
    plan = session.get(models.Plan, plan_id)
    if plan is None:
        msg = f"No plan {plan_id}."
        raise NotFoundError(msg)
    if plan.status != models.PlanStatus.DRAFT.value:
        msg = f"Plan {plan_id} is {plan.status}, not a draft."
        raise PlanningError(msg)
    detail = {
        "start_date": plan.start_date.isoformat(),
        "days": plan.days,
        "routes": len(plan.routes),
        "visits": sum(len(r.stops) for r in plan.routes),
    }
    session.delete(plan)
    session.add(
        models.AuditEvent(
            actor=actor, action="plan.discard", entity="plan", entity_id=plan_id, detail=detail
        )
    )
    session.flush()
    return plan_id


def _approved_starts(session: Session, request_ids: set[int]) -> dict[int, dt.datetime]:
    """Earliest service start of each request on approved routes of approved plans."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(models.Stop.request_id, func.min(models.Stop.service_start_at))
        .join(models.Route, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(
            models.Stop.request_id.in_(sorted(request_ids)),
            route_is_approved(),
        )
        .group_by(models.Stop.request_id)
    )
    return {int(rid): start for rid, start in rows}


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
                f"{r.distance_m / 1000:.1f} km"
                + (f" [{breaks}]" if breaks else "")
                + (
                    f" [overnight near {r.lodging_area or 'the last visit'}]"
                    if r.ends_at_lodging
                    else ""
                )
                + (" [leaves from the lodging]" if r.lodging_site_id is not None else "")
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
