"""Trips to far desa clusters (issue 13, section 4): a team-day devoted to one far cluster.

A synthetic kabupaten on straight lines at 45 km/h: a cluster of desa 90 km from the office
(two hours each way) and work near the office, three teams. Every plan passes the independent
feasibility checker.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from outreach import models
from outreach.domain import PlanResult, PlanRules, Site, TeamSpec
from outreach.errors import OutreachError
from outreach.office import set_far_trips
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import PlanningProblem
from outreach.planning.trips import FarTrips, far_trip_settings, far_trips_for
from tests.planning.plan_helpers import ALL_SKILLS, MONDAY, H, matrix_for, problem, site, team

SPEED_MPS = 12.5  # 45 km/h: 90 km is two hours
FAR_X_M = 90_000
DAYS = [MONDAY + dt.timedelta(days=d) for d in range(3)]
KABUPATEN_RULES = PlanRules(sync_deadline_s=int(16.5 * H))


def far_sites(n: int, *, first_id: int = 100, **kwargs: object) -> list[Site]:
    """``n`` sites on a 1.5 km circle 90 km east of the office."""
    return [
        site(first_id + i, FAR_X_M + 1500 * math.cos(i), 1500 * math.sin(i), **kwargs)
        for i in range(n)
    ]


def near_sites(n: int, *, seed: int = 7) -> list[Site]:
    """``n`` sites within 8 km of the office."""
    rng = random.Random(seed)
    return [site(i, rng.uniform(-8000, 8000), rng.uniform(-8000, 8000)) for i in range(1, n + 1)]


def kabupaten_teams(shift: tuple[float, float] = (7, 16)) -> list[TeamSpec]:
    return [team(i, shift=shift) for i in (1, 2, 3)]


def plan(prob: PlanningProblem, trips: FarTrips | None = FarTrips()) -> PlanResult:  # noqa: B008
    """Plan with far trips and assert the checker finds nothing wrong."""
    matrix = matrix_for(prob, speed_mps=SPEED_MPS)
    result = plan_routes(prob, matrix, far_trips=trips)
    assert check_plan(prob, matrix, result) == []
    return result


def far_routes(result: PlanResult, far_ids: set[int]) -> list[list[int]]:
    routes = [[s.site_id for s in r.stops] for r in result.routes]
    return [ids for ids in routes if set(ids) & far_ids]


def test_a_team_day_goes_to_the_far_cluster_and_serves_only_it() -> None:
    far = far_sites(8)
    far_ids = {s.id for s in far}
    prob = problem([*far, *near_sites(30)], kabupaten_teams(), dates=DAYS, rules=KABUPATEN_RULES)
    result = plan(prob)
    trips = far_routes(result, far_ids)
    assert len(trips) == 1  # one team-day for the whole cluster
    assert set(trips[0]) <= far_ids  # only far sites on it
    assert len(trips[0]) >= 6  # most of the cluster (all 8 here)
    trip = next(r for r in result.routes if r.stops[0].site_id in far_ids)
    assert trip.stops[0].travel_s >= 7000  # the long drive out is counted ...
    assert trip.return_travel_s >= 7000  # ... and back, by the sync deadline
    assert trip.end_s <= KABUPATEN_RULES.sync_deadline_s
    assert result.unassigned == ()  # the near work is done by the other teams


def test_without_far_trips_the_far_route_takes_near_sites_too() -> None:
    """What the trips change: the plain day solver mixes near sites into the far route."""
    far = far_sites(8)
    far_ids = {s.id for s in far}
    prob = problem([*far, *near_sites(30)], kabupaten_teams(), dates=DAYS, rules=KABUPATEN_RULES)
    mixed = far_routes(plan(prob, None), far_ids)
    assert any(set(ids) - far_ids for ids in mixed)


def test_on_a_short_day_the_trip_serves_what_fits_at_the_far_end() -> None:
    """Shift 08-15 with an hour's lunch: two hours at the far end, about half the cluster."""
    far = far_sites(8)
    far_ids = {s.id for s in far}
    prob = problem([*far, *near_sites(30)], kabupaten_teams((8, 15)), dates=DAYS)
    trips = far_routes(plan(prob), far_ids)
    assert trips and all(set(ids) <= far_ids for ids in trips)
    assert sum(len(ids) for ids in trips) >= 6  # over the three days
    assert max(len(ids) for ids in trips) >= 4


def test_a_small_far_cluster_waits_while_near_work_waits() -> None:
    """Two far sites fill far less than half the time left after the drive: no trip."""
    far = far_sites(2)
    prob = problem([*far, *near_sites(60)], kabupaten_teams(), rules=KABUPATEN_RULES)
    result = plan(prob)
    assert far_routes(result, {s.id for s in far}) == []
    waiting = {u.site_id: u.reason for u in result.unassigned}
    assert waiting[100] == waiting[101] == "day_full"
    assert any(u.reason == "day_full" for u in result.unassigned if u.site_id < 100)


def test_a_small_far_cluster_goes_when_the_near_work_fits_the_other_teams() -> None:
    far = far_sites(2)
    far_ids = {s.id for s in far}
    prob = problem([*far, *near_sites(8)], kabupaten_teams(), rules=KABUPATEN_RULES)
    result = plan(prob)
    assert far_routes(result, far_ids) == [[100, 101]] or far_routes(result, far_ids) == [
        [101, 100]
    ]
    assert result.unassigned == ()


def test_a_small_far_cluster_goes_when_its_oldest_request_waited_long() -> None:
    """Ten urgency points above the category base (30 days waiting) send a team anyway."""
    far = [
        *far_sites(1, priority=15),
        *far_sites(1, first_id=101, priority=15 + 10),  # "lainnya", waited 30 days
    ]
    prob = problem([*far, *near_sites(60)], kabupaten_teams(), rules=KABUPATEN_RULES)
    result = plan(prob)
    trips = far_routes(result, {100, 101})
    assert len(trips) == 1 and set(trips[0]) == {100, 101}


def test_the_team_with_the_skills_goes() -> None:
    far = far_sites(8, needs=frozenset({"kia", "petugas_perempuan"}))
    teams = [
        team(1, shift=(7, 16)),
        team(2, shift=(7, 16), skills=ALL_SKILLS | {"petugas_perempuan"}),
        team(3, shift=(7, 16)),
    ]
    prob = problem([*far, *near_sites(30)], teams, dates=DAYS, rules=KABUPATEN_RULES)
    result = plan(prob)
    trip = [r for r in result.routes if {s.site_id for s in r.stops} & {s.id for s in far}]
    assert [r.team_id for r in trip] == [2]


def test_a_far_site_that_must_go_today_is_still_tried_by_the_day_solver() -> None:
    """A darurat request far away is not held back for a trip that does not happen."""
    far = far_sites(1, priority=95, category="darurat")
    prob = problem([*far, *near_sites(60)], kabupaten_teams(), rules=KABUPATEN_RULES)
    result = plan(prob)
    assert 100 in {s.site_id for r in result.routes for s in r.stops}


def test_far_trip_settings_are_checked() -> None:
    """Overnight trips can be turned on (tests/planning/test_overnight_trips.py)."""
    office = models.Office(name="Disdukcapil Kab. Uji", region_slug="uji", settings={})
    assert far_trip_settings(office.settings) == (60, False)
    assert set_far_trips(office, far_trip_minutes=90) == (90, False)
    assert far_trips_for(office.settings) == FarTrips(far_s=90 * 60)
    assert set_far_trips(office, overnight_trips=True) == (90, True)
    with pytest.raises(OutreachError, match="15 sampai 300"):
        set_far_trips(office, far_trip_minutes=5)
    assert set_far_trips(office, overnight_trips=False) == (90, False)
