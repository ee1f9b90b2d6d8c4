"""Insert one urgent site into a day's existing routes at least cost.

Used when a darurat request arrives after the day's routes were approved: every other visit
keeps its team and its order, and the new visit goes where it adds the least travel time
(ties: earliest return, then team id, then position), possibly as the only stop of a team
that had no route that day. Each candidate position is re-timed with
:func:`outreach.planning.timing.schedule_route`, so windows, breaks, the return deadline and
``max_stops`` hold; the day's card capacity is checked too. When no position works the answer
is the reason, never an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence

from outreach.domain import (
    CAR,
    LonLat,
    PlannedRoute,
    PlannedStop,
    Site,
    TravelMatrix,
    UnassignedSite,
)
from outreach.planning.calendar import team_day
from outreach.planning.expected import first_servable_day
from outreach.planning.prechecks import capable_team_days, check_site, check_site_on_day
from outreach.planning.problem import Legs, PlanningProblem, PointIndex, problem_points
from outreach.planning.reasons import DAY_REASONS, Reason, describe
from outreach.planning.timing import schedule_route


@dataclasses.dataclass(frozen=True)
class Insertion:
    """Where the site went: the team's new route and what it cost."""

    route: PlannedRoute
    replaces: PlannedRoute | None  # the route it changed (None: a new route)
    sequence: int  # the new stop's position, 1-based
    added_travel_s: int


def _refuse(site: Site, reason: Reason, *, expected: dt.date | None) -> UnassignedSite:
    return UnassignedSite(site.id, reason.value, describe(reason, expected=expected), expected)


def route_with_legs(
    route: PlannedRoute,
    old: PlannedRoute | None,
    index: PointIndex,
    legs: Legs | None,
    profile: str = CAR,
) -> PlannedRoute:
    """``route`` with each leg's road shape: the old route's where the leg is unchanged.

    Only the new legs are fetched with ``legs`` (``None``: they stay empty), for the team's
    travel ``profile``.
    """
    known: dict[tuple[int | None, int | None], tuple[LonLat, ...]] = {}
    if old is not None:
        prev: int | None = None
        for stop in old.stops:
            known[(prev, stop.site_id)] = stop.geometry
            prev = stop.site_id
        known[(prev, None)] = old.return_geometry

    def leg(a: int | None, b: int | None) -> tuple[LonLat, ...]:
        if (a, b) in known:
            return known[(a, b)]
        if legs is None:
            return ()
        start = index.points[index.team_start[route.team_id] if a is None else index.site_row[a]]
        end = index.points[index.depot if b is None else index.site_row[b]]
        return tuple(legs(start, end, profile))

    stops: list[PlannedStop] = []
    prev = None
    for stop in route.stops:
        stops.append(dataclasses.replace(stop, geometry=leg(prev, stop.site_id)))
        prev = stop.site_id
    return dataclasses.replace(route, stops=tuple(stops), return_geometry=leg(prev, None))


def insert_site(
    problem: PlanningProblem,
    matrix: TravelMatrix,
    *,
    site_id: int,
    routes: Sequence[PlannedRoute],
    legs: Legs | None = None,
    done: Mapping[int, int] | None = None,
    cards_used: int | None = None,
) -> Insertion | UnassignedSite:
    """Insert site ``site_id`` into ``routes`` (one day) where it adds the least travel.

    Parameters
    ----------
    problem
        ``dates`` = the one day; ``sites`` = the sites on ``routes`` plus the new one;
        ``teams`` = the teams that may take it (with or without a route that day).
    matrix
        Travel times over :func:`~outreach.planning.problem.problem_points` of ``problem``.
    site_id
        The site to insert.
    routes
        The day's current routes.
    legs
        Road geometry for the new legs (``None``: none).
    done
        Team id -> how many of its route's first stops are done (an outcome recorded): the new
        stop goes after them.
    cards_used
        Cards the day's routes use, when known better than their plan (printed cards of
        visits done plus planned cards of the rest); default: the routes' planned cards.

    Returns
    -------
    Insertion or UnassignedSite
        The changed route, or why the site cannot go into today's routes.
    """
    (day,) = problem.dates
    index = problem_points(problem)
    by_id = {s.id: s for s in problem.sites}
    site = by_id[site_id]
    finding = check_site(
        site,
        teams=problem.teams,
        dates=problem.dates,
        index=index,
        matrix=matrix,
        rules=problem.rules,
    )
    tds = [td for t in problem.teams if (td := team_day(t, day, problem.rules)) is not None]
    if finding is None:
        finding = check_site_on_day(site, day, team_days=tds, index=index, matrix=matrix)
    # The next date that can really serve it: office open, a skilled team whose day fits the
    # whole visit, the resident at home (not just "the next working day").
    tomorrow = first_servable_day(
        site, day, teams=problem.teams, rules=problem.rules, index=index, matrix=matrix
    )
    if finding is not None:
        later = tomorrow if finding.reason in DAY_REASONS else None
        return UnassignedSite(site.id, finding.reason.value, finding.message(later), later)
    cap = problem.rules.daily_card_capacity
    used = sum(r.cards for r in routes if r.day == day) if cards_used is None else cards_used
    if cap is not None and used + site.cards > cap:
        return _refuse(site, Reason.CARD_CAPACITY_FULL, expected=tomorrow)
    current = {r.team_id: r for r in routes if r.day == day}
    best: tuple[tuple[int, int, int, int], PlannedRoute, PlannedRoute | None] | None = None
    for td in capable_team_days(site, tds):
        old = current.get(td.team.id)
        if old is not None and (old.ends_at_lodging or old.starts_from_lodging):
            continue  # a day of an overnight trip: re-planned as a whole, not edited here
        order = [by_id[s.site_id] for s in old.stops] if old else []
        if td.team.max_stops is not None and len(order) + 1 > td.team.max_stops:
            continue
        first = min(len(order), (done or {}).get(td.team.id, 0))
        for position in range(first, len(order) + 1):
            trial = [*order[:position], site, *order[position:]]
            timed = schedule_route(
                td,
                trial,
                rows=[index.site_row[s.id] for s in trial],
                start_row=index.team_start[td.team.id],
                depot_row=index.depot,
                matrix=matrix,
            )
            if timed is None:
                continue
            added = timed.travel_s - (old.travel_s if old else 0)
            key = (added, timed.end_s, td.team.id, position)
            if best is None or key < best[0]:
                best = (key, timed, old)
    if best is None:
        return _refuse(site, Reason.DAY_FULL, expected=tomorrow)
    (added, _, _, position), timed, old = best
    if old is not None:
        timed = dataclasses.replace(timed, locked=old.locked)
    profile = next((t.profile for t in problem.teams if t.id == timed.team_id), CAR)
    placed = route_with_legs(timed, old, index, legs, profile)
    return Insertion(placed, old, position + 1, added)


@dataclasses.dataclass(frozen=True)
class Displacement:
    """Room made for an urgent site by taking lower-priority visits off one team's route.

    ``insertion.route`` is that team's new route (without ``removed``, with the urgent site);
    ``removed`` are the site ids taken off, least urgent first.
    """

    insertion: Insertion
    removed: tuple[int, ...]


#: At most this many visits are displaced for one urgent request.
MAX_DISPLACED = 2


def displace_for(
    problem: PlanningProblem,
    matrix: TravelMatrix,
    *,
    site_id: int,
    routes: Sequence[PlannedRoute],
    legs: Legs | None = None,
    done: Mapping[int, int] | None = None,
    cards_used: int | None = None,
) -> Displacement | None:
    """The least disruptive way to fit urgent site ``site_id`` into a full day.

    Tries taking one, then two, visits less urgent than the site (and not done yet) off one
    team's route, so that :func:`insert_site` finds a place for it on that same route (only
    one route changes). Among the ways that work: the fewest visits displaced, then the lowest
    priorities, then the least added travel. ``None`` when none works within
    :data:`MAX_DISPLACED` visits. Arguments as for :func:`insert_site`.
    """
    (day,) = problem.dates
    by_id = {s.id: s for s in problem.sites}
    site = by_id[site_id]
    index = problem_points(problem)
    day_routes = [r for r in routes if r.day == day]
    used = sum(r.cards for r in routes if r.day == day) if cards_used is None else cards_used
    for count in range(1, MAX_DISPLACED + 1):
        best: tuple[tuple[int, int, int, int], Displacement] | None = None
        for route in day_routes:
            team = next((t for t in problem.teams if t.id == route.team_id), None)
            td = None if team is None else team_day(team, day, problem.rules)
            if td is None or route.ends_at_lodging or route.starts_from_lodging:
                continue
            first = (done or {}).get(route.team_id, 0)
            movable = [
                s.site_id for s in route.stops[first:] if by_id[s.site_id].priority < site.priority
            ]
            for removed in itertools.combinations(movable, count):
                order = [by_id[s.site_id] for s in route.stops if s.site_id not in removed]
                trimmed = (
                    schedule_route(
                        td,
                        order,
                        rows=[index.site_row[s.id] for s in order],
                        start_row=index.team_start[route.team_id],
                        depot_row=index.depot,
                        matrix=matrix,
                    )
                    if order
                    else None
                )
                if order and trimmed is None:
                    continue
                others = [r for r in routes if r is not route]
                trial_routes = [*others, trimmed] if trimmed is not None else others
                freed = sum(by_id[i].cards for i in removed)
                answer = insert_site(
                    problem,
                    matrix,
                    site_id=site_id,
                    routes=trial_routes,
                    legs=None,
                    done=done,
                    cards_used=used - freed,
                )
                if not isinstance(answer, Insertion) or answer.route.team_id != route.team_id:
                    continue
                ranked = tuple(sorted(removed, key=lambda i: (by_id[i].priority, i)))
                added = answer.route.travel_s - route.travel_s  # against the route as it was
                key = (count, sum(by_id[i].priority for i in removed), added, route.team_id)
                if best is None or key < best[0]:
                    placed = route_with_legs(answer.route, route, index, legs, td.team.profile)
                    moved = Insertion(placed, route, answer.sequence, added)
                    best = (key, Displacement(moved, ranked))
        if best is not None:
            return best[1]
    return None
