"""Stable re-planning: a small change to a draft keeps most visits on their team and day.

The core planner (:mod:`outreach.planning.engine`) plans from scratch: one request more can
regroup the areas and move most visits of a week to another team or day. A coordinator who
already checked (or told residents about) a draft wants the rest left alone. So a re-plan
over the same days starts from the previous draft, without touching the engine:

1. every site the previous plan placed gets a *soft pin*: ``pinned_team_id`` and
   ``pinned_date`` set to where it was (the engine then treats it as a must-visit of that
   team-day; the order inside the route is still optimised);
2. sites that are new, or whose previous team or day is no longer in the problem, stay free
   and are fitted around the pinned ones;
3. a soft-pinned site the engine could not place (its team-day no longer has room, e.g. a
   new pinned visit took it) has its soft pin released and the plan is made again, so it may
   go to another team or day; so does the least urgent soft-pinned visit of a day a site
   pinned there by hand found full; at most ``rounds`` rounds;
4. sites still left for lack of room (``day_full``, ``card_capacity_full``) -- the new ones
   and the released ones: with every day's work pinned, the engine's candidate budget leaves
   free sites little chance -- are put where they add the least travel into the routes as
   they are (:func:`~outreach.planning.insertion.insert_site`, day by day), most urgent first.

Pins a coordinator set (on the request, or by editing the draft) are never replaced. The
result's unassigned sites carry the engine's reasons; the original (unpinned) sites are what a
checker should see.

Pure apart from :func:`previous_positions` and :func:`draft_over`, which read stored plans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import PlanResult, Site, TravelMatrix
from outreach.planning.engine import ProgressFn, plan_routes
from outreach.planning.insertion import Insertion, insert_site
from outreach.planning.problem import Legs, PlanningProblem, problem_points
from outreach.planning.records import stop_site_id
from outreach.planning.solver import RoutingSolver
from outreach.planning.trips import FarTrips

#: Site id -> (team id, day) where a previous plan put it.
Positions = Mapping[int, tuple[int, dt.date]]


def previous_positions(plan: models.Plan | None) -> dict[int, tuple[int, dt.date]]:
    """Where ``plan`` put each site: site id (parts included) -> (team id, day)."""
    if plan is None:
        return {}
    return {
        stop_site_id(stop): (route.team_id, route.route_date)
        for route in plan.routes
        for stop in route.stops
    }


def draft_over(
    session: Session, office_id: int, *, start_date: dt.date, days: int
) -> models.Plan | None:
    """The newest draft of the office planned from ``start_date`` over ``days`` working days.

    A new plan over the same days starts from it (``create_plan(previous=...)``).
    """
    return session.scalar(
        select(models.Plan)
        .where(
            models.Plan.office_id == office_id,
            models.Plan.status == models.PlanStatus.DRAFT.value,
            models.Plan.start_date == start_date,
            models.Plan.days == days,
        )
        .order_by(models.Plan.id.desc())
        .limit(1)
    )


def result_positions(result: PlanResult) -> dict[int, tuple[int, dt.date]]:
    """Where ``result`` put each site: site id -> (team id, day)."""
    return {s.site_id: (r.team_id, r.day) for r in result.routes for s in r.stops}


def soft_pins(problem: PlanningProblem, previous: Positions) -> dict[int, tuple[int, dt.date]]:
    """The soft pins for ``problem``: previous positions still possible and not pinned by hand.

    A site gets one when it was placed before, has no pin of its own (team or date), and its
    previous team takes part and its previous day is one of the problem's dates.
    """
    teams = {t.id for t in problem.teams}
    dates = set(problem.dates)
    locked = {s.site_id for r in problem.locked for s in r.stops}
    pins: dict[int, tuple[int, dt.date]] = {}
    for site in problem.sites:
        where = previous.get(site.id)
        if where is None or site.id in locked:
            continue
        if site.pinned_team_id is not None or site.pinned_date is not None:
            continue
        team_id, day = where
        if team_id in teams and day in dates:
            pins[site.id] = (team_id, day)
    return pins


def _pinned(problem: PlanningProblem, pins: Positions) -> PlanningProblem:
    """``problem`` with the soft pins set; a day pinned by hand outranks them (priority)."""
    sites: list[Site] = []
    for site in problem.sites:
        where = pins.get(site.id)
        if where is None:
            if site.pinned_date in problem.dates:
                site = dataclasses.replace(site, priority=max(site.priority, 100))
            sites.append(site)
        else:
            sites.append(dataclasses.replace(site, pinned_team_id=where[0], pinned_date=where[1]))
    return dataclasses.replace(problem, sites=tuple(sites))


def plan_stable(
    problem: PlanningProblem,
    matrix: TravelMatrix,
    previous: Positions,
    *,
    solver: RoutingSolver | None = None,
    legs: Legs | None = None,
    progress: ProgressFn | None = None,
    rounds: int = 3,
    far_trips: FarTrips | None = None,
) -> PlanResult:
    """Plan ``problem`` keeping the sites of ``previous`` on their team and day when they fit.

    Parameters
    ----------
    problem, matrix, solver, legs, progress, far_trips
        As for :func:`~outreach.planning.engine.plan_routes` (``matrix`` over the problem's
        points; soft pins do not change the points).
    previous
        Site id -> (team id, day) of the plan being re-planned (:func:`previous_positions`).
    rounds
        Most plans made: after each, soft pins of sites left out are released.

    Returns
    -------
    PlanResult
        As :func:`~outreach.planning.engine.plan_routes`; ``timings_s`` adds
        ``stability_rounds`` and ``released_pins``.
    """
    pins = soft_pins(problem, previous)
    released = 0
    result = plan_routes(
        _pinned(problem, pins),
        matrix,
        solver=solver,
        legs=legs,
        progress=progress,
        far_trips=far_trips,
    )
    done = 1
    by_id = {s.id: s for s in problem.sites}
    while done < rounds:
        left = [u.site_id for u in result.unassigned if u.site_id in pins]
        # A site pinned by hand to a day that soft pins filled: the least urgent soft-pinned
        # visit of that day (of its team, when pinned to one) makes room.
        for u in result.unassigned:
            own = by_id.get(u.site_id)
            if own is None or own.pinned_date not in problem.dates or u.reason not in _ROOM:
                continue
            there = [
                sid
                for sid, (team_id, day) in pins.items()
                if day == own.pinned_date
                and sid not in left
                and own.pinned_team_id in (None, team_id)
            ]
            if there:
                left.append(min(there, key=lambda sid: (by_id[sid].priority, -sid)))
        if not left:
            break
        for site_id in left:
            del pins[site_id]
        released += len(left)
        result = plan_routes(
            _pinned(problem, pins),
            matrix,
            solver=solver,
            legs=legs,
            progress=progress,
            far_trips=far_trips,
        )
        done += 1
    result = _fill_gaps(problem, matrix, result, legs=legs)
    result.timings_s["stability_rounds"] = float(done)
    result.timings_s["released_pins"] = float(released)
    return result


@dataclasses.dataclass(frozen=True)
class Movement:
    """How a new plan differs from the previous one, for the visits the previous one had."""

    kept: int  # same team and day
    moved: int  # another team or day
    dropped: int  # not planned any more
    previous_visits: int

    @property
    def moved_share(self) -> float:
        """Moved (or dropped) visits as a share of the previous plan's visits."""
        if not self.previous_visits:
            return 0.0
        return (self.moved + self.dropped) / self.previous_visits


def movement(
    previous: Positions, result: PlanResult, *, ignore: frozenset[int] = frozenset()
) -> Movement:
    """Count the previous plan's visits kept, moved and dropped by ``result``.

    ``ignore``: site ids the change itself concerns (the request removed or pinned elsewhere).
    """
    now = result_positions(result)
    kept = moved = dropped = 0
    for site_id, where in previous.items():
        if site_id in ignore:
            continue
        there = now.get(site_id)
        if there is None:
            dropped += 1
        elif there == where:
            kept += 1
        else:
            moved += 1
    return Movement(kept, moved, dropped, len([s for s in previous if s not in ignore]))


_ROOM = {"day_full", "card_capacity_full"}


def _fill_gaps(
    problem: PlanningProblem, matrix: TravelMatrix, result: PlanResult, *, legs: Legs | None
) -> PlanResult:
    """Insert sites left for lack of room into the result's routes at least added travel."""
    by_id = {s.id: s for s in problem.sites}
    left = sorted(
        (u for u in result.unassigned if u.reason in _ROOM and u.site_id in by_id),
        key=lambda u: (-by_id[u.site_id].priority, u.site_id),
    )
    if not left:
        return result
    routes = list(result.routes)
    placed: set[int] = set()
    locked = {(r.team_id, r.day) for r in problem.locked}
    for gap in left:
        site = by_id[gap.site_id]
        best: tuple[int, dt.date, Insertion] | None = None
        for day in problem.dates:
            if site.pinned_date is not None and site.pinned_date != day:
                continue
            day_routes = [r for r in routes if r.day == day]
            open_routes = [r for r in day_routes if (r.team_id, r.day) not in locked]
            sub = dataclasses.replace(
                problem,
                dates=(day,),
                teams=tuple(t for t in problem.teams if (t.id, day) not in locked),
                sites=tuple([by_id[s.site_id] for r in open_routes for s in r.stops] + [site]),
                locked=(),
            )
            cards = sum(r.cards for r in day_routes) + problem.cards_printed.get(day, 0)
            answer = insert_site(
                sub,
                _sub_matrix(matrix, problem, sub),
                site_id=site.id,
                routes=open_routes,
                legs=legs,
                cards_used=cards,
            )
            if isinstance(answer, Insertion) and (best is None or answer.added_travel_s < best[0]):
                best = (answer.added_travel_s, day, answer)
        if best is None:
            continue
        answer = best[2]
        if answer.replaces is not None:
            routes.remove(answer.replaces)
        routes.append(answer.route)
        placed.add(site.id)
    if not placed:
        return result
    routes.sort(key=lambda r: (r.day, r.team_id))
    return dataclasses.replace(
        result,
        routes=tuple(routes),
        unassigned=tuple(u for u in result.unassigned if u.site_id not in placed),
        timings_s={**result.timings_s, "gap_inserted": float(len(placed))},
    )


def _sub_matrix(
    matrix: TravelMatrix, problem: PlanningProblem, sub: PlanningProblem
) -> TravelMatrix:
    """``matrix`` (over ``problem``'s points) restricted to ``sub``'s points."""
    full = problem_points(problem)
    small = problem_points(sub)
    rows = [full.depot] * len(small.points)
    for team_id, row in small.team_start.items():
        rows[row] = full.team_start[team_id]
    for site_id, row in small.site_row.items():
        rows[row] = full.site_row[site_id]
    return matrix.take(np.asarray(rows, dtype=np.intp))
