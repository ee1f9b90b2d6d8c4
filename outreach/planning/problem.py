"""A planning problem and the order of its points in the travel-time matrix.

The matrix a planner works on is built once per problem over :func:`problem_points`: the
office first, then each distinct team start point (in team order), then every located site
(in site order). :class:`PointIndex` maps ids to rows, so the core, the checker and the
benchmarks agree on it without passing indices around.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from outreach.domain import (
    CAR,
    LonLat,
    PlannedRoute,
    PlanRules,
    Site,
    TeamSpec,
    TravelMatrix,
    TravelModel,
)


class Legs(Protocol):
    """Road shape of a leg: ``legs(origin, destination, profile) -> [(lon, lat), ...]``.

    ``profile`` is how the team travels (``"car"``, ``"motor"``); a TravelModel's
    ``leg_geometry`` is one.
    """

    def __call__(self, origin: LonLat, destination: LonLat, profile: str = CAR) -> Sequence[LonLat]:
        """Coordinates of the leg's path, origin to destination."""


# Travel longer than this (in seconds) counts as "no way there" (disconnected road graph).
UNREACHABLE_S = 24 * 3600


@dataclass(frozen=True)
class PlanningProblem:
    """Everything a plan is made from.

    Attributes
    ----------
    depot
        The office, where every route ends.
    dates
        The days to plan, in order (working days already chosen, see
        :func:`outreach.planning.calendar.working_days`).
    teams
        Teams taking part (active, selected).
    sites
        The eligible backlog, plus the sites on ``locked`` routes.
    rules
        Office rules and tuning.
    locked
        Approved routes kept unchanged: their team-days take no new work and their sites are
        not planned again.
    seed
        Seed of every random choice (clustering), stored with the plan.
    cards_printed
        Cards already printed on a day by visits done outside ``locked`` (outcomes recorded
        on routes planned again): they count against that day's card capacity.
    """

    depot: LonLat
    dates: tuple[dt.date, ...]
    teams: tuple[TeamSpec, ...]
    sites: tuple[Site, ...]
    rules: PlanRules = field(default_factory=PlanRules)
    locked: tuple[PlannedRoute, ...] = ()
    seed: int = 1
    cards_printed: Mapping[dt.date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PointIndex:
    """Rows of the travel-time matrix: office, team starts, located sites."""

    points: tuple[LonLat, ...]
    team_start: dict[int, int]  # team id -> row
    site_row: dict[int, int]  # site id -> row (located sites only)

    depot: int = 0


def problem_points(problem: PlanningProblem) -> PointIndex:
    """The matrix rows of ``problem`` (see the module docstring).

    Parameters
    ----------
    problem
        The problem.

    Returns
    -------
    PointIndex
        Points in matrix order and the id -> row maps.
    """
    points: list[LonLat] = [problem.depot]
    team_start: dict[int, int] = {}
    start_rows: dict[LonLat, int] = {problem.depot: 0}
    for team in problem.teams:
        start = team.start or problem.depot
        if start not in start_rows:
            start_rows[start] = len(points)
            points.append(start)
        team_start[team.id] = start_rows[start]
    site_row: dict[int, int] = {}
    for site in problem.sites:
        if site.lon is not None and site.lat is not None and site.id not in site_row:
            site_row[site.id] = len(points)
            points.append((site.lon, site.lat))
    return PointIndex(tuple(points), team_start, site_row)


def travel_matrix(
    travel: TravelModel, points: Sequence[LonLat], teams: Sequence[TeamSpec] = ()
) -> TravelMatrix:
    """The matrix between ``points`` for every travel profile ``teams`` use.

    The car matrix is always built (the office's own figures, e.g. clustering, use it); a
    profile only some teams use (``"motor"``) is added in ``TravelMatrix.profiles``.

    Parameters
    ----------
    travel
        The region's travel model.
    points
        Points in matrix order (:func:`problem_points`).
    teams
        The teams planned; their ``profile`` decides which matrices are built.

    Returns
    -------
    TravelMatrix
        The car matrix, with the other profiles' matrices over the same points.

    Raises
    ------
    ValueError
        A team has a travel profile the model does not know.
    """
    matrix = travel.matrix(points)
    others = sorted({t.profile for t in teams} - {CAR})
    if not others:
        return matrix
    return replace(matrix, profiles={p: travel.for_profile(p).matrix(points) for p in others})
