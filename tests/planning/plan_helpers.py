"""Small hand-made planning problems on straight-line travel (no road graph needed)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import (
    Availability,
    LonLat,
    PlanResult,
    PlanRules,
    Site,
    TeamSpec,
    TimeWindow,
    TravelMatrix,
)
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import PlanningProblem, problem_points

H = 3600
BASE: LonLat = (110.3650, -7.8010)  # near Kota Yogyakarta's civil-registration office
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(BASE[1]))
ALL_SKILLS = frozenset({"perekaman_ktp", "cetak_ktp", "kia", "kk", "akta", "pindah"})
MONDAY = dt.date(2025, 3, 3)
FRIDAY = dt.date(2025, 3, 7)


def at(x_m: float, y_m: float) -> LonLat:
    """The point ``x_m`` east and ``y_m`` north of BASE."""
    return (BASE[0] + x_m / M_PER_DEG_LON, BASE[1] + y_m / M_PER_DEG_LAT)


def straight_matrix(
    points: Sequence[LonLat], *, speed_mps: float = 5.0, fallback: Sequence[bool] | None = None
) -> TravelMatrix:
    """Straight-line metres and seconds at ``speed_mps`` (rounded to whole units)."""
    xy = np.array(
        [((lon - BASE[0]) * M_PER_DEG_LON, (lat - BASE[1]) * M_PER_DEG_LAT) for lon, lat in points]
    )
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))
    fb = np.zeros(len(points), dtype=bool) if fallback is None else np.asarray(fallback)
    return TravelMatrix(
        durations_s=np.rint(dist / speed_mps).astype(np.int64),
        distances_m=np.rint(dist).astype(np.int64),
        fallback=fb,
        method="road",
    )


def team(
    team_id: int,
    *,
    skills: frozenset[str] = ALL_SKILLS,
    shift: tuple[float, float] = (8, 15),
    **kwargs: object,
) -> TeamSpec:
    return TeamSpec(
        id=team_id,
        name=f"Tim {team_id}",
        skills=skills,
        shift=TimeWindow(int(shift[0] * H), int(shift[1] * H)),
        **kwargs,  # type: ignore[arg-type]
    )


def site(
    site_id: int,
    x_m: float,
    y_m: float,
    *,
    service_min: float = 22,
    windows: Sequence[tuple[float, float]] = (),
    weekdays: Sequence[int] = range(7),
    **kwargs: object,
) -> Site:
    lon, lat = at(x_m, y_m)
    availability = tuple(
        Availability(frozenset(weekdays), TimeWindow(int(a * H), int(b * H))) for a, b in windows
    )
    return Site(
        id=site_id,
        lon=lon,
        lat=lat,
        service_s=int(service_min * 60),
        availability=availability,
        **kwargs,  # type: ignore[arg-type]
    )


def problem(
    sites: Sequence[Site],
    teams: Sequence[TeamSpec],
    *,
    dates: Sequence[dt.date] = (MONDAY,),
    rules: PlanRules | None = None,
    **kwargs: object,
) -> PlanningProblem:
    return PlanningProblem(
        depot=BASE,
        dates=tuple(dates),
        teams=tuple(teams),
        sites=tuple(sites),
        rules=rules or PlanRules(),
        **kwargs,  # type: ignore[arg-type]
    )


def matrix_for(prob: PlanningProblem, **kwargs: object) -> TravelMatrix:
    return straight_matrix(problem_points(prob).points, **kwargs)  # type: ignore[arg-type]


def solve(prob: PlanningProblem, matrix: TravelMatrix | None = None) -> PlanResult:
    """Plan and assert the independent checker finds nothing wrong."""
    matrix = matrix or matrix_for(prob)
    result = plan_routes(prob, matrix)
    violations = check_plan(prob, matrix, result)
    assert violations == [], violations
    return result


def route_of(result: PlanResult, team_id: int, day: dt.date | None = None) -> list[int]:
    for r in result.routes:
        if r.team_id == team_id and (day is None or r.day == day):
            return [s.site_id for s in r.stops]
    return []


def reasons(result: PlanResult) -> dict[int, str]:
    return {u.site_id: u.reason for u in result.unassigned}


class StraightLineModel:
    """A TravelModel on straight lines (tests of the DB-facing service)."""

    has_roads = False

    def __init__(self, speed_mps: float = 5.0) -> None:
        self.speed_mps = speed_mps

    def matrix(self, points: Sequence[LonLat]) -> TravelMatrix:
        return straight_matrix(points, speed_mps=self.speed_mps)

    def for_profile(self, profile: str) -> StraightLineModel:
        """Motorbikes at 1.5 times the speed (tests of travel profiles)."""
        return self if profile == "car" else StraightLineModel(self.speed_mps * 1.5)

    def leg_geometry(
        self, origin: LonLat, destination: LonLat, profile: str = "car"
    ) -> list[LonLat]:
        return [origin, destination]


def make_office(session: Session, teams: int = 2, **settings: object) -> models.Office:
    """An office at ``at(0, 0)`` with ``teams`` all-skill teams (Tim A, Tim B...)."""
    lon, lat = at(0, 0)
    office = models.Office(
        name="Disdukcapil Uji",
        region_slug="uji",
        region_code="34.71",
        depot_lon=lon,
        depot_lat=lat,
        settings={"planning": settings} if settings else {},
    )
    session.add(office)
    session.flush()
    for i in range(teams):
        session.add(
            models.Team(
                office_id=office.id,
                name=f"Tim {chr(65 + i)}",
                skills=["perekaman_ktp", "cetak_ktp", "kia", "kk", "akta"],
            )
        )
    session.flush()
    return office
