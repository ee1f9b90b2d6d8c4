"""Urgent requests into a day's routes, against the database.

:func:`insert_urgent` loads the day's approved routes (else the newest draft's), asks the core
(:func:`outreach.planning.insertion.insert_site`) for the cheapest feasible position, and
updates the rows in place: the other visits keep their team and order, times after the new
stop move, stop ids (and any outcomes recorded on them) stay. Nothing is committed.

A collective request big enough to be split into parts (:mod:`outreach.planning.split`) is
not inserted: it comes back as left out with reason ``split_visit`` (plan it instead). Parts
of split visits already on the day's routes are kept as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import Site, TravelMatrix, TravelModel, UnassignedSite
from outreach.errors import NotFoundError, PlanningError
from outreach.office import get_office
from outreach.planning.expected import first_servable_day
from outreach.planning.insertion import Displacement, Insertion, displace_for, insert_site
from outreach.planning.problem import PlanningProblem, problem_points, travel_matrix
from outreach.planning.reasons import Reason, describe
from outreach.planning.records import (
    approved_routes,
    planned_route,
    rewrite_route,
    rules_for,
    service_params,
    sites_for,
    stop_site_id,
    store_route,
    team_spec,
)

Status = models.RequestStatus


class AlreadyScheduledError(PlanningError):
    """The request is already on an approved route of another day (``code``, ``day``)."""

    def __init__(self, code: str, day: dt.date) -> None:
        super().__init__(f"Request {code} is already scheduled on {day.isoformat()}.")
        self.code = code
        self.day = day


@dataclasses.dataclass(frozen=True)
class SwapOffer:
    """On an approved day: the least disruptive swap that would fit an urgent request.

    ``displaced`` are the requests (ids and tracking codes) that would leave ``team_name``'s
    route; nothing has changed yet (the coordinator accepts with ``displace=True``).
    """

    team_name: str
    displaced: tuple[tuple[int, str], ...]
    added_travel_s: int


@dataclasses.dataclass(frozen=True)
class UrgentResult:
    """The stop an urgent request got, or why it could not go into the day's routes.

    ``displaced`` lists the requests (id, tracking code) taken off the day to make room;
    ``offer`` is a swap the coordinator may accept on an approved day.
    """

    stop: models.Stop | None
    unassigned: UnassignedSite | None
    added_travel_s: int = 0
    displaced: tuple[tuple[int, str], ...] = ()
    offer: SwapOffer | None = None


def _day_routes(session: Session, office_id: int, day: dt.date) -> list[models.Route]:
    approved = [
        r for r in approved_routes(session, office_id, from_date=day) if r.route_date == day
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


def _done_prefix(route: models.Route) -> int:
    """How many of the route's first stops are behind the team.

    That is up to the last stop with an outcome: the team is past it, even if an earlier stop
    has none yet (a paper sheet not typed in).
    """
    done = [i for i, s in enumerate(route.stops, start=1) if s.outcome is not None]
    return max(done, default=0)


def _cards_used(route_rows: Sequence[models.Route], sites: Mapping[int, Site]) -> int:
    """Cards of the day: printed at visits done, planned at the others."""
    total = 0
    for route in route_rows:
        for stop in route.stops:
            if stop.outcome is not None:
                total += stop.outcome.cards_printed
            else:
                site = sites.get(stop_site_id(stop))
                total += site.cards if site is not None else 0
    return total


def insert_urgent(
    session: Session,
    travel: TravelModel,
    *,
    request_id: int,
    day: dt.date,
    office: models.Office | None = None,
    displace: bool = False,
) -> UrgentResult:
    """Insert request ``request_id`` into the routes of ``day`` at least added travel time.

    The day's approved routes are used (else the newest draft's); every other visit keeps its
    team and order, times after the new stop shift. Visits already done (an outcome recorded)
    stay before the new stop, and the day's card capacity counts the cards they printed. If the
    plan is approved the request becomes ``terjadwal``. Nothing raises when it does not fit:
    the reason comes back instead.

    An urgent request (priority at least the rules' ``must_priority``: darurat) that finds the
    day full may displace up to two less urgent visits of one route
    (:func:`~outreach.planning.insertion.displace_for`): on a draft day at once; on an
    approved day only with ``displace=True`` -- without it the swap comes back as ``offer``.
    Displaced requests are listed on the plan with reason ``displaced_by_urgent`` and the date
    they can next be served, go back to ``terverifikasi`` if they were scheduled, and get that
    date as their deadline so the next plan takes them first.

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
        for r in approved_routes(session, office.id, from_date=dt.date.min)
        if r.route_date != day
        and request.status == Status.TERJADWAL.value
        and any(s.request_id == request_id for s in r.stops)
    ]
    if elsewhere:
        raise AlreadyScheduledError(request.tracking_code, elsewhere[0])
    route_rows = _day_routes(session, office.id, day)
    on_routes = [s.request_id for r in route_rows for s in r.stops]
    if request_id in on_routes:
        stop = next(s for r in route_rows for s in r.stops if s.request_id == request_id)
        return UrgentResult(stop, None)
    params = service_params(office)
    mine = sites_for(request, on=day, params=params)
    if len(mine) > 1:
        # One urgent stop cannot serve a visit that needs several teams or days: a new plan
        # places its parts (and says why a part is left out).
        text = f"{describe(Reason.SPLIT_VISIT)} ({len(mine)} bagian, {mine[0].persons} orang)."
        left = UnassignedSite(request_id, Reason.SPLIT_VISIT.value, text, None)
        return UrgentResult(None, left)
    # The day's stops as the sites they serve (one part of a split visit keeps its part).
    sites = [
        x
        for r in route_rows
        for s in r.stops
        for x in sites_for(s.request, on=day, params=params, parts=s.parts or 1)
        if x.id == stop_site_id(s)
    ]
    sites.extend(mine)
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
    matrix = travel_matrix(travel, problem_points(problem).points, problem.teams)
    answer = insert_site(
        problem,
        matrix,
        site_id=request_id,
        routes=routes,
        legs=travel.leg_geometry,
        done={r.team_id: _done_prefix(r) for r in route_rows},
        cards_used=_cards_used(route_rows, by_id),
    )
    displaced: tuple[tuple[int, str], ...] = ()
    if not isinstance(answer, Insertion):
        swap = _displacement(problem, matrix, answer, route_rows, by_id, travel)
        if swap is None:
            return UrgentResult(None, answer)
        codes = tuple(_request_of(session, by_id[i]) for i in swap.removed)
        approved = plan_row.status == models.PlanStatus.APPROVED.value
        if approved and not displace:
            team = next(
                r.team.name for r in route_rows if r.team_id == swap.insertion.route.team_id
            )
            offer = SwapOffer(team, codes, swap.insertion.added_travel_s)
            return UrgentResult(None, answer, offer=offer)
        _take_off(
            session,
            plan_row,
            route_rows,
            swap.removed,
            request.tracking_code,
            problem,
            matrix,
            by_id,
        )
        answer = swap.insertion
        displaced = codes
    stop = apply_insertion(session, plan_row, route_rows, answer, by_id)
    if plan_row.status == models.PlanStatus.APPROVED.value:
        request.status = Status.TERJADWAL.value
        request.scheduled_at = stop.service_start_at
    session.flush()
    session.expire(plan_row, ["routes"])
    summary = dict(plan_row.summary or {})
    # The plan's totals follow its routes (a new route, one more visit, the longer drive).
    summary.update(
        routes=len(plan_row.routes),
        visits=sum(len(r.stops) for r in plan_row.routes),
        persons=sum(r.persons for r in plan_row.routes),
        travel_time_s=sum(r.travel_time_s for r in plan_row.routes),
        distance_m=sum(r.distance_m for r in plan_row.routes),
    )
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
    if displaced:
        summary["displacements"] = [
            *summary.get("displacements", []),
            {"request_id": request_id, "displaced": [i for i, _ in displaced]},
        ]
    plan_row.summary = summary
    session.flush()
    return UrgentResult(stop, None, answer.added_travel_s, displaced=displaced)


def _displacement(
    problem: PlanningProblem,
    matrix: TravelMatrix,
    refused: UnassignedSite,
    route_rows: Sequence[models.Route],
    by_id: Mapping[int, Site],
    travel: TravelModel,
) -> Displacement | None:
    """A way to make room for an urgent site the day refused for lack of room, or None."""
    site = by_id[refused.site_id]
    full = refused.reason in (Reason.DAY_FULL.value, Reason.CARD_CAPACITY_FULL.value)
    if not full or site.priority < problem.rules.must_priority:
        return None
    routes = [planned_route(r, locked=False, sites=dict(by_id)) for r in route_rows]
    return displace_for(
        problem,
        matrix,
        site_id=site.id,
        routes=routes,
        legs=travel.leg_geometry,
        done={r.team_id: _done_prefix(r) for r in route_rows},
        cards_used=_cards_used(route_rows, by_id),
    )


def _request_of(session: Session, site: Site) -> tuple[int, str]:
    row = session.get(models.ServiceRequest, site.request_key)
    return site.request_key, row.tracking_code if row is not None else str(site.request_key)


def _take_off(
    session: Session,
    plan: models.Plan,
    route_rows: Sequence[models.Route],
    removed: Sequence[int],
    urgent_code: str,
    problem: PlanningProblem,
    matrix: TravelMatrix,
    by_id: Mapping[int, Site],
) -> None:
    """Take the displaced sites' stops off the day, list them on the plan, free their requests."""
    index = problem_points(problem)
    for site_id in removed:
        site = by_id[site_id]
        stop = next(s for r in route_rows for s in r.stops if stop_site_id(s) == site_id)
        stop.route.stops.remove(stop)
        later = first_servable_day(
            site,
            problem.dates[0],
            teams=problem.teams,
            rules=problem.rules,
            index=index,
            matrix=matrix,
        )
        plan.unassigned.append(
            models.PlanUnassigned(
                request_id=site.request_key,
                reason=Reason.DISPLACED_BY_URGENT.value,
                detail=describe(
                    Reason.DISPLACED_BY_URGENT, expected=later, urgent_code=urgent_code
                ),
                expected_date=later,
            )
        )
        request = session.get(models.ServiceRequest, site.request_key)
        if request is not None:
            if request.status == Status.TERJADWAL.value and not any(
                s.request_id == request.id for r in route_rows for s in r.stops
            ):
                request.status = Status.TERVERIFIKASI.value
                request.scheduled_at = None
            if later is not None and (request.deadline is None or request.deadline > later):
                request.deadline = later  # the next plan takes it first
    session.flush()


def apply_insertion(
    session: Session,
    plan: models.Plan,
    route_rows: Sequence[models.Route],
    answer: Insertion,
    sites: Mapping[int, Site],
) -> models.Stop:
    """Write ``answer`` (a team's new route of one day) into the rows of ``plan``.

    The team's route row among ``route_rows`` is updated in place (stops re-sequenced and
    re-timed, the new one added), or a new route row is stored when the team had none; the
    new stop row is returned. Flushes, never commits.
    """
    new = answer.route
    row = next((r for r in route_rows if r.team_id == new.team_id), None)
    if row is None:
        row = store_route(plan, new, sites)
        row.approved = plan.status == models.PlanStatus.APPROVED.value
        session.flush()
        return row.stops[0]
    (inserted,) = rewrite_route(session, plan, row, new, sites)  # the one new stop
    return inserted
