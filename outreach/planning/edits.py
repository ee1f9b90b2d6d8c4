"""Editing a draft plan: move a stop, pin a request, remove a stop, re-plan keeping the edits.

A coordinator changes a draft before approving it:

- :func:`move_stop` -- a stop goes to another team and/or day of the plan, at the position of
  least added travel time on that team's route (:func:`outreach.planning.insertion.insert_site`,
  as an urgent insertion), or as a new route; the route it leaves is re-timed in its order
  (:func:`outreach.planning.timing.schedule_route`) or deleted when empty. A part of a split
  collective visit moves alone.
- :func:`pin_request` -- sets ``ServiceRequest.pinned_team_id`` / ``pinned_date``; the planner
  honours them at the next plan (the draft's routes do not change now).
- :func:`remove_stop` -- the stop leaves the draft (its route re-timed) and the request is listed
  among the plan's unassigned with reason ``removed_by_coordinator``.
- :func:`replan_draft` -- a new draft for the same days and teams where moved stops are pinned to
  their team and day and removed ones stay out; the old draft becomes ``superseded``.

Every edit is checked before anything is written: the changed routes are timed and
:func:`outreach.planning.feasibility.check_plan` runs over the routes of the affected days.
When an edit cannot work, :class:`EditRefused` is raised with the Indonesian reason and the
database is not touched. Each edit is appended to ``Plan.inputs["edits"]`` (kind, request id,
part, team, date, actor, time; no names, NIK or phone numbers) and written as an
``AuditEvent``. Nothing is committed (DESIGN.md rule 4).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import (
    PlannedRoute,
    PlanResult,
    Site,
    TravelMatrix,
    TravelModel,
    UnassignedSite,
)
from outreach.errors import NotFoundError, PlanningError
from outreach.planning.calendar import team_day
from outreach.planning.feasibility import Violation, check_plan
from outreach.planning.insertion import Insertion, insert_site, route_with_legs
from outreach.planning.priority import cards_for
from outreach.planning.problem import PlanningProblem, PointIndex, problem_points, travel_matrix
from outreach.planning.reasons import Reason, describe, format_date, skill_label
from outreach.planning.records import (
    planned_route,
    rewrite_route,
    rules_for,
    service_params,
    sites_for,
    stop_site_id,
    team_spec,
)
from outreach.planning.service import ProgressFn, compute_plan, load_inputs, save_plan
from outreach.planning.split import part_label
from outreach.planning.timing import schedule_route
from outreach.planning.urgent import apply_insertion

__all__ = [
    "EditRefused",
    "edit_lines",
    "editable_teams",
    "move_stop",
    "pin_request",
    "plan_dates",
    "remove_stop",
    "replan_draft",
]

#: ``progress(done, total, text)`` during a re-plan (as :data:`service.ProgressFn`).
Progress = ProgressFn

_STATUS_TEXT = {"approved": "disetujui", "superseded": "diganti"}


class EditRefused(PlanningError):  # noqa: N818 (the name the pages and tests use)
    """An edit of a draft plan that cannot work; ``str()`` is the Indonesian reason."""


# --- reading ---------------------------------------------------------------------------------


def plan_dates(plan: models.Plan) -> list[dt.date]:
    """The plan's days: its planned dates and any date it has a route on, in order."""
    dates = {dt.date.fromisoformat(d) for d in (plan.inputs or {}).get("dates", [])}
    return sorted(dates | {r.route_date for r in plan.routes})


def editable_teams(plan: models.Plan, office: models.Office) -> list[models.Team]:
    """The active teams the plan was made for (all active teams when it does not say)."""
    ids = {int(t["id"]) for t in (plan.inputs or {}).get("teams", []) if "id" in t}
    active = [t for t in office.teams if t.active]
    return [t for t in active if t.id in ids] if ids else active


def edit_lines(plan: models.Plan) -> list[str]:
    """The plan's edit log in Indonesian, oldest first (``"Dipindah: JB-F003 ke Tim ..."``)."""
    lines: list[str] = []
    for e in (plan.inputs or {}).get("edits", []):
        what = str(e.get("tracking_code") or f"#{e.get('request_id')}")
        if int(e.get("parts") or 1) > 1:
            what += f" (bagian {e.get('part')}/{e.get('parts')})"
        where = _where(e.get("team_name"), e.get("date"))
        kind = e.get("kind")
        if kind == "move":
            lines.append(f"Dipindah: {what} ke {where}")
        elif kind == "remove":
            lines.append(f"Dikeluarkan: {what}")
        elif kind == "pin" and where:
            lines.append(f"Dipatok: {what} ke {where}")
        elif kind == "pin":
            lines.append(f"Patok dilepas: {what}")
    return lines


def _where(team_name: Any, day: Any) -> str:
    parts = [str(team_name)] if team_name else []
    if day:
        parts.append(format_date(dt.date.fromisoformat(str(day))))
    return ", ".join(parts)


# --- editing ---------------------------------------------------------------------------------


def move_stop(
    session: Session,
    travel: TravelModel,
    plan_id: int,
    stop_id: int,
    *,
    team_id: int,
    day: dt.date,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.Stop:
    """Move stop ``stop_id`` of draft ``plan_id`` to team ``team_id`` on ``day``.

    The stop goes where it adds the least travel time on the team's route of that day (a new
    route when the team has none); the route it leaves keeps its order and is re-timed, or is
    deleted when empty. Arrival, service and departure times, breaks and totals of both routes
    and the plan's summary are updated; legs that did not change keep their road geometry, new
    ones come from ``travel.leg_geometry``. The move is logged as a pin of the stop to
    (``team_id``, ``day``), so :func:`replan_draft` keeps it.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    travel
        Travel model of the office's region (travel times in seconds, distances in metres).
    plan_id, stop_id
        The draft and one of its stops (a split collective visit: one part).
    team_id, day
        Where the stop goes: one of the plan's teams and days.
    actor, now
        Who edits (``"user:3"``) and when (UTC; default now), for the log and the audit.

    Returns
    -------
    models.Stop
        The stop on its new route (a new row: stop ids of a draft are not kept).

    Raises
    ------
    NotFoundError
        No such plan, or the stop is not on it.
    EditRefused
        The plan is not a draft, the team or day is not the plan's, the team does not work
        that day or lacks a skill, the day is full, the time is not enough, the day's card
        capacity would be exceeded, the route is a kept approved one, or a rule of the plan
        would break. Nothing is changed.
    """
    plan = _draft(session, plan_id)
    stop = _stop_of(plan, stop_id)
    office = _office(session, plan)
    source = stop.route
    team = next((t for t in editable_teams(plan, office) if t.id == team_id), None)
    if team is None:
        _refuse("Tim itu tidak ikut dalam rencana ini.")
    if day not in plan_dates(plan):
        _refuse(f"{format_date(day)} bukan salah satu hari rencana ini.")
    if team.id == source.team_id and day == source.route_date:
        _refuse(f"Kunjungan ini sudah ada di rute {team.name} pada {format_date(day)}.")
    kept = _kept_team_days(session, plan)
    _refuse_kept(kept, source.team_id, source.route_date, source.team.name)
    _refuse_kept(kept, team.id, day, team.name)
    _refuse_overnight(source)
    _refuse_overnight(
        next((r for r in plan.routes if r.team_id == team.id and r.route_date == day), None)
    )
    rules = rules_for(office)
    spec = team_spec(team)
    if team_day(spec, day, rules) is None:
        _refuse(f"{team.name} tidak bertugas pada {format_date(day)}.")
    params = service_params(office)
    site = dataclasses.replace(_site_of(stop, params), pinned_team_id=team.id, pinned_date=day)
    missing = site.needs - spec.skills
    if missing:
        _refuse(f"{team.name} tidak punya keahlian {_and(missing)} yang dibutuhkan kunjungan ini.")
    day_rows = [r for r in plan.routes if r.route_date == day]
    target = next((r for r in day_rows if r.team_id == team.id), None)
    if target is not None and team.max_stops is not None and len(target.stops) >= team.max_stops:
        _refuse(
            f"{team.name} sudah mencapai batas {team.max_stops} kunjungan pada {format_date(day)}."
        )
    frame = _frame(travel, plan, office, days={source.route_date, day}, extra=[site])
    sites = frame.sites
    cards_used = sum(
        sites[stop_site_id(s)].cards for r in day_rows for s in r.stops if s is not stop
    )
    current = [planned_route(target, locked=False, sites=sites)] if target else []
    answer = insert_site(
        dataclasses.replace(frame.problem, dates=(day,)),
        frame.matrix,
        site_id=site.id,
        routes=current,
        legs=travel.leg_geometry,
        cards_used=cards_used,
    )
    if not isinstance(answer, Insertion):
        _refuse(_insert_reason(answer.reason, answer.message, team.name, day))
    left = _without(frame, source, stop, travel)
    changed = [answer.route] + ([left] if left is not None else [])
    _check(frame, plan, changed, replaced={source.id} | ({target.id} if target else set()))
    # Checked: write. The stop leaves its route first (its sequence is free then).
    source_id = source.id
    source.stops.remove(stop)
    session.flush()
    rewrite_route(session, plan, source, left)
    moved = apply_insertion(session, plan, day_rows if target else [], answer, sites)
    _log(
        session,
        plan,
        "move",
        stop,
        team_id=team.id,
        team_name=team.name,
        day=day,
        actor=actor,
        now=now,
        extra={"from_route_id": source_id, "added_travel_s": answer.added_travel_s},
    )
    return moved


def remove_stop(
    session: Session,
    travel: TravelModel,
    plan_id: int,
    stop_id: int,
    *,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.PlanUnassigned:
    """Take stop ``stop_id`` out of draft ``plan_id`` and back to the backlog.

    The route keeps its order and is re-timed (deleted when it was the only stop); the request
    (or the part) is listed among the plan's unassigned with reason
    :attr:`~outreach.planning.reasons.Reason.REMOVED_BY_COORDINATOR`, and :func:`replan_draft`
    leaves it out.

    Returns
    -------
    models.PlanUnassigned
        The new unassigned row.

    Raises
    ------
    NotFoundError
        No such plan, or the stop is not on it.
    EditRefused
        The plan is not a draft, the route is a kept approved one, or the route cannot be
        re-timed without the stop. Nothing is changed.
    """
    plan = _draft(session, plan_id)
    stop = _stop_of(plan, stop_id)
    office = _office(session, plan)
    route = stop.route
    _refuse_kept(_kept_team_days(session, plan), route.team_id, route.route_date, route.team.name)
    _refuse_overnight(route)
    left: PlannedRoute | None = None
    if len(route.stops) > 1:
        frame = _frame(travel, plan, office, days={route.route_date}, extra=[])
        left = _without(frame, route, stop, travel)
        _check(frame, plan, [left] if left else [], replaced={route.id})
    detail = describe(Reason.REMOVED_BY_COORDINATOR)
    if (stop.parts or 1) > 1:
        label = part_label(stop.part, stop.parts, int(stop.persons or 0))
        detail = f"{label[:1].upper()}{label[1:]}: {detail}"
    row = models.PlanUnassigned(
        request_id=stop.request_id, reason=Reason.REMOVED_BY_COORDINATOR.value, detail=detail
    )
    route.stops.remove(stop)
    session.flush()
    rewrite_route(session, plan, route, left)
    plan.unassigned.append(row)
    _log(session, plan, "remove", stop, actor=actor, now=now)
    return row


def pin_request(
    session: Session,
    plan_id: int,
    request_id: int,
    *,
    team_id: int | None,
    day: dt.date | None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Pin request ``request_id`` of draft ``plan_id`` to a team and/or day (``None``: unpin).

    Sets ``ServiceRequest.pinned_team_id`` / ``pinned_date``; the planner honours them from the
    next plan on (:func:`replan_draft`), the draft's routes stay as they are. A pin of a request
    removed from the draft brings it back at the re-plan.

    Raises
    ------
    NotFoundError
        No such plan, or the request is neither on it nor among its unassigned.
    EditRefused
        The plan is not a draft; the team or day is not the plan's; the team does not work
        that day or lacks a skill the request needs.
    """
    plan = _draft(session, plan_id)
    request = session.get(models.ServiceRequest, request_id)
    on_plan = {s.request_id for r in plan.routes for s in r.stops}
    on_plan |= {u.request_id for u in plan.unassigned}
    if request is None or request_id not in on_plan:
        msg = f"Request {request_id} is not on plan {plan_id}."
        raise NotFoundError(msg)
    office = _office(session, plan)
    team = None
    if team_id is not None:
        team = next((t for t in editable_teams(plan, office) if t.id == team_id), None)
        if team is None:
            _refuse("Tim itu tidak ikut dalam rencana ini.")
    if day is not None and day not in plan_dates(plan):
        _refuse(f"{format_date(day)} bukan salah satu hari rencana ini.")
    if (
        team is not None
        and day is not None
        and team_day(team_spec(team), day, rules_for(office)) is None
    ):
        _refuse(f"{team.name} tidak bertugas pada {format_date(day)}.")
    if team is not None:
        site = sites_for(request, on=day or plan.start_date, params=service_params(office))[0]
        missing = site.needs - team_spec(team).skills
        if missing:
            _refuse(f"{team.name} tidak punya keahlian {_and(missing)} yang dibutuhkan.")
    request.pinned_team_id = team_id
    request.pinned_date = day
    _log(
        session,
        plan,
        "pin",
        None,
        request=request,
        team_id=team_id,
        team_name=team.name if team else None,
        day=day,
        actor=actor,
        now=now,
    )
    return request


def replan_draft(
    session: Session,
    travel: TravelModel,
    plan_id: int,
    *,
    progress: Progress | None = None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.Plan:
    """Plan draft ``plan_id``'s days and teams again, keeping its edits; it becomes superseded.

    Uses :func:`~outreach.planning.service.load_inputs` (same first day, number of days,
    teams, seed and ``keep_approved``), then pins each moved stop's site to its team and day
    and leaves removed ones out (listed as unassigned with reason
    ``removed_by_coordinator``); pins set with :func:`pin_request` are on the requests already.
    The other visits start where the draft had them and stay on their team and day where they
    still fit (:mod:`outreach.planning.stability`), so a small edit moves few of them.
    The new draft's ``inputs`` carries the edit log and ``"replaces": plan_id``; the old one
    gets ``"replaced_by"`` and status ``superseded``.

    Parameters
    ----------
    session, travel, plan_id
        As for :func:`move_stop`.
    progress
        ``progress(done, total, text)`` (days planned of the plan's days, Indonesian text),
        as :func:`~outreach.planning.service.compute_plan` reports it, plus loading and saving.
    actor, now
        Who re-plans and when (UTC), for the audit.

    Returns
    -------
    models.Plan
        The new draft (flushed, not committed).

    Raises
    ------
    NotFoundError
        No such plan.
    EditRefused
        The plan is not a draft, or none of its teams is active any more.
    """
    plan = _draft(session, plan_id)
    office = _office(session, plan)
    days = len(plan_dates(plan))

    def say(text: str) -> None:
        if progress is not None:
            progress(0, days, text)

    old = dict(plan.inputs or {})
    teams = [t.id for t in editable_teams(plan, office)]
    if not teams:
        _refuse("Tim rencana ini tidak ada yang aktif lagi; buat rencana baru.")
    dates = plan_dates(plan)
    say("Memuat permohonan dan tim")
    inputs = load_inputs(
        session,
        start_date=dates[0] if dates else plan.start_date,
        days=plan.days,
        teams=teams,
        seed=plan.seed,
        keep_approved=bool(old.get("keep_approved", True)),
        office=office,
    )
    edits = list(old.get("edits", []))
    pins, removed = _edit_state(edits)
    locked = {s.site_id for r in inputs.problem.locked for s in r.stops}
    kept: list[Site] = []
    left_out: list[Site] = []
    for site in inputs.problem.sites:
        key = (site.request_key, site.part)
        if site.id in locked:
            kept.append(site)
        elif key in removed:
            left_out.append(site)
        elif key in pins:
            team_id, day = pins[key]
            kept.append(dataclasses.replace(site, pinned_team_id=team_id, pinned_date=day))
        else:
            kept.append(site)
    problem = dataclasses.replace(inputs.problem, sites=tuple(kept))
    inputs = dataclasses.replace(inputs, problem=problem)
    say("Menyusun rute")
    # Start from the draft: visits not edited stay on their team and day where they fit.
    result, matrix = compute_plan(inputs, travel, progress=progress, previous=plan)
    say("Menyimpan rencana")
    new = save_plan(session, inputs, result, matrix)
    for site in left_out:
        detail = describe(Reason.REMOVED_BY_COORDINATOR)
        if site.parts > 1:
            label = part_label(site.part, site.parts, site.persons)
            detail = f"{label[:1].upper()}{label[1:]}: {detail}"
        new.unassigned.append(
            models.PlanUnassigned(
                request_id=site.request_key,
                reason=Reason.REMOVED_BY_COORDINATOR.value,
                detail=detail,
            )
        )
    new.inputs = {**(new.inputs or {}), "edits": edits, "replaces": plan.id}
    plan.inputs = {**old, "replaced_by": new.id}
    # As approving does for a plan it replaces (the plans page reads this).
    plan.summary = {**(plan.summary or {}), "superseded_by": new.id}
    plan.status = models.PlanStatus.SUPERSEDED.value
    session.flush()
    summary = dict(new.summary or {})
    summary["unassigned"] = len(new.unassigned)
    by_reason = dict(summary.get("unassigned_by_reason", {}))
    if left_out:
        by_reason[Reason.REMOVED_BY_COORDINATOR.value] = len(left_out)
    summary["unassigned_by_reason"] = dict(sorted(by_reason.items()))
    new.summary = summary
    session.add(
        models.AuditEvent(
            actor=actor,
            at=now or models.utcnow(),
            action="plan.replan",
            entity="plan",
            entity_id=new.id,
            detail={"replaces": plan.id, "edits": len(edits), "removed": len(left_out)},
        )
    )
    session.flush()
    return new


# --- helpers ---------------------------------------------------------------------------------


def _refuse(text: str) -> NoReturn:
    raise EditRefused(text)


def _and(skills: Iterable[str]) -> str:
    names = [skill_label(s) for s in sorted(skills)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " dan " + names[-1]


def _draft(session: Session, plan_id: int) -> models.Plan:
    plan = session.get(models.Plan, plan_id)
    if plan is None:
        msg = f"No plan {plan_id}."
        raise NotFoundError(msg)
    if plan.status != models.PlanStatus.DRAFT.value:
        state = _STATUS_TEXT.get(plan.status, plan.status)
        _refuse(f"Hanya draf yang dapat diubah; rencana #{plan.id} sudah {state}.")
    return plan


def _office(session: Session, plan: models.Plan) -> models.Office:
    office = session.get(models.Office, plan.office_id)
    if office is None:
        msg = f"No office {plan.office_id}."
        raise NotFoundError(msg)
    return office


def _stop_of(plan: models.Plan, stop_id: int) -> models.Stop:
    for route in plan.routes:
        for stop in route.stops:
            if stop.id == stop_id:
                return stop
    msg = f"Stop {stop_id} is not on plan {plan.id}."
    raise NotFoundError(msg)


def _kept_team_days(session: Session, plan: models.Plan) -> set[tuple[int, dt.date]]:
    """Team-days of approved routes this draft keeps unchanged (copied into it)."""
    kept: set[tuple[int, dt.date]] = set()
    for route_id in (plan.inputs or {}).get("locked_route_ids", []):
        route = session.get(models.Route, int(route_id))
        if route is not None:
            kept.add((route.team_id, route.route_date))
    return kept


def _refuse_kept(
    kept: Collection[tuple[int, dt.date]], team_id: int, day: dt.date, name: str
) -> None:
    if (team_id, day) in kept:
        _refuse(
            f"Rute {name} pada {format_date(day)} sudah disetujui sebelumnya dan dipertahankan "
            "dalam rencana ini; buat rencana dengan pilihan merencanakan ulang rute yang sudah "
            "disetujui untuk mengubahnya."
        )


def _refuse_overnight(route: models.Route | None) -> None:
    """Refuse to edit a day of an overnight trip (its two days are planned together)."""
    if route is not None and (route.ends_at_lodging or route.lodging_site_id is not None):
        _refuse(
            f"Rute {route.team.name} pada {format_date(route.route_date)} adalah bagian dari "
            "perjalanan menginap dan tidak dapat diubah di sini; rencanakan ulang kedua harinya."
        )


def _site_of(stop: models.Stop, params: Any) -> Site:
    """The site a stop serves, as the request is now, without the request's own pins.

    A draft's edits are the coordinator's own choices: a pin set on the request afterwards
    (applied at the re-plan) must not make the routes as they are now look broken.
    """
    parts = sites_for(stop.request, on=stop.route.route_date, params=params, parts=stop.parts or 1)
    wanted = stop_site_id(stop)
    site = next((x for x in parts if x.id == wanted), parts[0])
    return dataclasses.replace(site, pinned_team_id=None, pinned_date=None)


@dataclasses.dataclass(frozen=True)
class _Frame:
    """The affected days of a plan as a problem, with its matrix."""

    problem: PlanningProblem
    matrix: TravelMatrix
    index: PointIndex
    sites: dict[int, Site]
    routes: list[models.Route]  # the plan's routes on those days


def _frame(
    travel: TravelModel,
    plan: models.Plan,
    office: models.Office,
    *,
    days: Collection[dt.date],
    extra: Sequence[Site],
) -> _Frame:
    params = service_params(office)
    rows = [r for r in plan.routes if r.route_date in days]
    by_id = {stop_site_id(s): _site_of(s, params) for r in rows for s in r.stops}
    by_id.update((s.id, s) for s in extra)
    team_rows = {t.id: t for t in editable_teams(plan, office)}
    team_rows.update((r.team_id, r.team) for r in rows)
    problem = PlanningProblem(
        depot=(office.depot_lon, office.depot_lat),
        dates=tuple(sorted(days)),
        teams=tuple(team_spec(t) for _, t in sorted(team_rows.items())),
        sites=tuple(by_id.values()),
        rules=rules_for(office),
    )
    index = problem_points(problem)
    return _Frame(problem, travel_matrix(travel, index.points, problem.teams), index, by_id, rows)


def _without(
    frame: _Frame, route: models.Route, stop: models.Stop, travel: TravelModel
) -> PlannedRoute | None:
    """``route`` without ``stop``, its order kept, re-timed (``None``: no stop left)."""
    order = [frame.sites[stop_site_id(s)] for s in route.stops if s is not stop]
    if not order:
        return None
    td = team_day(team_spec(route.team), route.route_date, frame.problem.rules)
    timed = None
    if td is not None:
        timed = schedule_route(
            td,
            order,
            rows=[frame.index.site_row[s.id] for s in order],
            start_row=frame.index.team_start[route.team_id],
            depot_row=frame.index.depot,
            matrix=frame.matrix,
        )
    if timed is None:
        _refuse(
            f"Rute {route.team.name} tidak dapat dihitung ulang tanpa kunjungan ini "
            "(jam warga atau jam kerja tidak cocok lagi)."
        )
    old = planned_route(route, locked=False, sites=frame.sites)
    profile = team_spec(route.team).profile
    return route_with_legs(timed, old, frame.index, travel.leg_geometry, profile)


def _check(
    frame: _Frame, plan: models.Plan, changed: Sequence[PlannedRoute], *, replaced: set[int]
) -> None:
    """Run the feasibility check over the affected days; refuse on a violation of the edit."""
    routes = [
        planned_route(r, locked=False, sites=frame.sites)
        for r in frame.routes
        if r.id not in replaced
    ]
    routes.extend(changed)
    # Sites no longer routed (a stop removed) stay in the problem, so the matrix rows match.
    on_routes = {s.site_id for r in routes for s in r.stops}
    text = describe(Reason.REMOVED_BY_COORDINATOR)
    out = tuple(
        UnassignedSite(s.id, Reason.REMOVED_BY_COORDINATOR.value, text, None)
        for s in frame.problem.sites
        if s.id not in on_routes
    )
    problem = frame.problem
    result = PlanResult(problem.dates, tuple(routes), out, "edit", plan.seed)
    keys = {(r.team_id, r.day) for r in changed}
    found = [v for v in check_plan(problem, frame.matrix, result) if _concerns(v, keys)]
    if found:
        codes = ", ".join(sorted({v.code for v in found}))
        _refuse(f"Perubahan ini melanggar aturan rencana ({codes}); tidak disimpan.")


def _concerns(v: Violation, keys: set[tuple[int, dt.date]]) -> bool:
    """A violation of a changed route, or of a whole day (card capacity, two routes)."""
    if v.team_id is None:
        return v.code in {"card_capacity", "two_routes"} or v.site_id is not None
    return v.day is None or (v.team_id, v.day) in keys


def _insert_reason(code: str, message: str, team: str, day: dt.date) -> str:
    if code == Reason.DAY_FULL.value:
        return (
            f"Waktu tidak cukup: {team} tidak dapat menambah kunjungan ini pada "
            f"{format_date(day)} tanpa melewati jam warga, jam kerja atau batas kembali ke kantor."
        )
    if code == Reason.CARD_CAPACITY_FULL.value:
        return describe(Reason.CARD_CAPACITY_FULL)
    if code == Reason.PINNED_TEAM_UNAVAILABLE.value:
        return f"{team} tidak bertugas pada {format_date(day)}."
    return message


def _log(
    session: Session,
    plan: models.Plan,
    kind: str,
    stop: models.Stop | None,
    *,
    request: models.ServiceRequest | None = None,
    team_id: int | None = None,
    team_name: str | None = None,
    day: dt.date | None = None,
    actor: str,
    now: dt.datetime | None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Append the edit to ``plan.inputs["edits"]``, refresh the summary, add an audit event."""
    at = now or models.utcnow()
    req = request if request is not None else stop.request if stop is not None else None
    assert req is not None
    entry: dict[str, Any] = {
        "kind": kind,
        "request_id": req.id,
        "tracking_code": req.tracking_code,
        "part": stop.part if stop is not None else 1,
        "parts": stop.parts if stop is not None else 1,
        "team_id": team_id,
        "team_name": team_name,
        "date": day.isoformat() if day else None,
        "actor": actor,
        "at": at.isoformat(timespec="seconds"),
        **(extra or {}),
    }
    inputs = dict(plan.inputs or {})
    inputs["edits"] = [*inputs.get("edits", []), entry]
    plan.inputs = inputs  # reassigned: JSON columns do not track changes inside
    session.flush()
    session.expire(plan, ["routes", "unassigned"])
    summary = dict(plan.summary or {})
    summary.update(
        routes=len(plan.routes),
        visits=sum(len(r.stops) for r in plan.routes),
        persons=sum(r.persons for r in plan.routes),
        travel_time_s=sum(r.travel_time_s for r in plan.routes),
        distance_m=sum(r.distance_m for r in plan.routes),
        unassigned=len(plan.unassigned),
    )
    cards: dict[str, int] = {}
    for r in plan.routes:
        for s in r.stops:
            site_cards = _stop_cards(s)
            cards[r.route_date.isoformat()] = cards.get(r.route_date.isoformat(), 0) + site_cards
    summary["cards_by_day"] = dict(sorted(cards.items()))
    plan.summary = summary
    session.add(
        models.AuditEvent(
            actor=actor,
            at=at,
            action=f"plan.edit.{kind}",
            entity="plan",
            entity_id=plan.id,
            detail={k: v for k, v in entry.items() if k not in {"actor", "at"}},
        )
    )
    session.flush()


def _stop_cards(stop: models.Stop) -> int:
    services = [str(x) for x in stop.request.services or ()]
    persons = int(stop.persons if stop.persons is not None else stop.request.persons or 1)
    return cards_for(services, persons)


def _edit_state(
    edits: Sequence[Mapping[str, Any]],
) -> tuple[dict[tuple[int, int], tuple[int, dt.date]], set[tuple[int, int]]]:
    """From the log: (request, part) -> (team, day) of moved stops, and the removed ones.

    A later edit of the same stop wins; a pin of a removed request brings it back.
    """
    pins: dict[tuple[int, int], tuple[int, dt.date]] = {}
    removed: set[tuple[int, int]] = set()
    for e in edits:
        key = (int(e["request_id"]), int(e.get("part") or 1))
        if e.get("kind") == "move" and e.get("team_id") and e.get("date"):
            pins[key] = (int(e["team_id"]), dt.date.fromisoformat(str(e["date"])))
            removed.discard(key)
        elif e.get("kind") == "remove":
            removed.add(key)
            pins.pop(key, None)
        elif e.get("kind") == "pin":
            removed = {k for k in removed if k[0] != key[0]}
    return pins, removed
