"""Deterministic finishing of solved routes: a canonical form for equally good answers.

VROOM's search is not fully reproducible: on ties it sometimes returns a route in reverse
order, or swaps the routes of two interchangeable teams (observed with pyvroom 1.15.2, even
single-threaded). So that the same data and seed always give the same plan, every solved
route is finished here, deterministically:

1. *Polish*: 2-opt segment reversals and single-visit relocations are applied while one
   lowers the route's travel time, or keeps it equal and makes the visiting order
   lexicographically smaller (by site id), and the route still times out
   (:func:`outreach.planning.timing.schedule_route`). A route that is only a reversal of
   another with the same travel time thus ends up in one canonical order; a VROOM route is
   rarely improved otherwise (it is already 2-opt/relocate optimal for travel).
2. *Relabel*: among interchangeable team-days (same skills, start point, hours, breaks and
   ``max_stops``), routes are handed to teams in order of their smallest site id. Routes with
   a site pinned to its team stay where they are.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from outreach.domain import PlannedRoute, Site
from outreach.planning.calendar import TeamDay

Timer = Callable[[TeamDay, Sequence[Site]], PlannedRoute | None]
MAX_ROUNDS = 50


def _path_cost(dur: npt.NDArray[np.int64], path: Sequence[int]) -> int:
    return int(sum(int(dur[a, b]) for a, b in itertools.pairwise(path)))


def _moves(n: int) -> list[tuple[str, int, int]]:
    reversals = [("reverse", i, j) for i in range(n) for j in range(i + 1, n)]
    relocations = [("move", i, j) for i in range(n) for j in range(n) if i != j]
    return reversals + relocations


def _apply(order: list[Site], move: tuple[str, int, int]) -> list[Site]:
    kind, i, j = move
    if kind == "reverse":
        return order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
    moved = order[:i] + order[i + 1 :]
    moved.insert(j, order[i])
    return moved


def polish_route(
    td: TeamDay,
    route: PlannedRoute,
    sites: dict[int, Site],
    *,
    rows: dict[int, int],
    start_row: int,
    depot_row: int,
    durations: npt.NDArray[np.int64],
    timer: Timer,
) -> PlannedRoute:
    """Improve or canonicalise one route (see the module docstring).

    Parameters
    ----------
    td
        The route's team-day.
    route
        A feasible, timed route.
    sites
        Site id -> site.
    rows, start_row, depot_row
        Matrix rows of the sites, the team's start and the office.
    durations
        Travel-time matrix.
    timer
        Times an order for ``td`` (``None`` when infeasible).

    Returns
    -------
    PlannedRoute
        The finished route (``route`` itself when nothing applies).
    """
    order = [sites[s.site_id] for s in route.stops]
    best = route

    def cost(o: Sequence[Site]) -> int:
        return _path_cost(durations, [start_row, *(rows[s.id] for s in o), depot_row])

    current = cost(order)
    for _ in range(MAX_ROUNDS):
        ids = [s.id for s in order]
        candidates = []
        for move in _moves(len(order)):
            trial = _apply(order, move)
            delta = cost(trial) - current
            trial_ids = [s.id for s in trial]
            if delta < 0 or (delta == 0 and trial_ids < ids):
                candidates.append((delta, trial_ids, trial))
        candidates.sort(key=lambda c: (c[0], c[1]))
        for delta, _, trial in candidates:
            timed = timer(td, trial)
            if timed is not None:
                order, best, current = trial, timed, current + delta
                break
        else:
            break
    return best


def _signature(td: TeamDay, start_row: int) -> tuple[object, ...]:
    team = td.team
    return (
        tuple(sorted(team.skills)),
        start_row,
        td.start_s,
        td.return_by_s,
        td.breaks,
        team.max_stops,
        team.profile,
    )


def relabel_interchangeable(
    routes: Sequence[PlannedRoute],
    team_days: Sequence[TeamDay],
    *,
    start_rows: dict[int, int],
    sites: dict[int, Site],
) -> list[PlannedRoute]:
    """Hand routes to interchangeable teams in order of their smallest site id."""
    by_team = {r.team_id: r for r in routes}
    groups: dict[tuple[object, ...], list[int]] = {}
    for td in team_days:
        route = by_team.get(td.team.id)
        pinned = route is not None and any(
            sites[s.site_id].pinned_team_id is not None for s in route.stops
        )
        if not pinned:
            groups.setdefault(_signature(td, start_rows[td.team.id]), []).append(td.team.id)
    result = dict(by_team)
    for team_ids in groups.values():
        taken = [by_team[t] for t in team_ids if t in by_team]
        if len(team_ids) < 2 or not taken:
            continue
        taken.sort(key=lambda r: min(s.site_id for s in r.stops))
        for t in team_ids:
            result.pop(t, None)
        for team_id, route in zip(sorted(team_ids), taken, strict=False):
            result[team_id] = dataclasses.replace(route, team_id=team_id)
    return [result[t] for t in sorted(result)]
