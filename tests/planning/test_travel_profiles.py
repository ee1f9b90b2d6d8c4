"""Teams on motorbikes travel on their own times (issue 10, section 5).

A team with the "motor" trait rides motorbikes: its own speeds by road type and no toll roads
(outreach.geo.roads.motorbike_graph). The planner, the solver, the route timer and the
feasibility checker all use that team's own matrix; the car teams keep theirs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from outreach import models
from outreach.domain import CAR, MOTOR, PlannedRoute
from outreach.geo.fallback import FallbackNetwork
from outreach.geo.network import RoadNetwork
from outreach.geo.packs import find_pack
from outreach.geo.roads import MOTORBIKE_SPEEDS_KMH, load_road_graph, motorbike_graph
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import problem_points, travel_matrix
from outreach.planning.records import team_spec
from outreach.planning.solver import RoutingProblem, SolverJob, SolverVehicle
from outreach.planning.vroom_adapter import VroomSolver
from tests.conftest import REPO_ROOT, SHARED_REGIONS
from tests.planning.plan_helpers import (
    H,
    StraightLineModel,
    problem,
    site,
    team,
)

CACHE_DIR = REPO_ROOT / "data" / "cache"


def _toy_graph() -> nx.MultiDiGraph:
    """A - B - C on residential streets (both ways), and a toll road A -> C."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in {1: (110.36, -7.80), 2: (110.37, -7.80), 3: (110.38, -7.80)}.items():
        G.add_node(node, x=x, y=y)

    def road(u: int, v: int, highway: str, length: float, kph: float) -> None:
        G.add_edge(
            u, v, highway=highway, length=length, speed_kph=kph, travel_time=length / (kph / 3.6)
        )

    for u, v in [(1, 2), (2, 1), (2, 3), (3, 2)]:
        road(u, v, "residential", 1100.0, 20.0)
    road(1, 3, "motorway", 2300.0, 60.0)
    road(3, 1, "motorway", 2300.0, 60.0)
    return G


def test_motorbike_graph_has_its_own_speeds_and_no_toll_roads() -> None:
    moto = motorbike_graph(_toy_graph())
    assert moto.graph["profile"] == MOTOR
    highways = {h for _, _, h in moto.edges(data="highway")}
    assert highways == {"residential"}  # toll roads are closed to motorbikes
    for _, _, data in moto.edges(data=True):
        assert data["speed_kph"] == MOTORBIKE_SPEEDS_KMH["residential"]
        assert data["travel_time"] == pytest.approx(1100.0 / (25.0 / 3.6))


def test_a_motorbike_goes_round_the_toll_road_a_car_takes() -> None:
    car = RoadNetwork(_toy_graph())
    motor = car.for_profile(MOTOR)
    assert car.for_profile(CAR) is car
    assert car.for_profile(MOTOR) is motor  # built once
    a, c = (110.36, -7.80), (110.38, -7.80)
    by_car = car.matrix([a, c])
    by_motor = motor.matrix([a, c])
    assert by_car.distances_m[0, 1] == 2300  # the toll road
    assert by_motor.distances_m[0, 1] == 2200  # the streets round it
    assert by_motor.durations_s[0, 1] == round(2200 / (25 / 3.6))
    with pytest.raises(ValueError, match="unknown travel profile"):
        car.for_profile("sepeda")


def test_without_roads_a_motorbike_is_quicker_on_the_same_lines() -> None:
    car = FallbackNetwork()
    points = [(110.36, -7.80), (110.38, -7.81)]
    by_car, by_motor = car.matrix(points), car.for_profile(MOTOR).matrix(points)
    assert (by_motor.distances_m == by_car.distances_m).all()
    assert by_motor.durations_s[0, 1] == pytest.approx(by_car.durations_s[0, 1] * 25 / 30, abs=1)


@pytest.mark.slow
def test_on_yogyakarta_roads_a_motorbike_is_quicker_than_a_car() -> None:
    pack = find_pack("kota-yogyakarta", search_dirs=[SHARED_REGIONS])
    assert pack.roads_file is not None
    car = RoadNetwork(load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=CACHE_DIR))
    reps = pack.kelurahan.geometry.representative_point()
    points = [(float(p.x), float(p.y)) for p in reps][:15]
    by_car = car.matrix(points)
    by_motor = car.for_profile(MOTOR).matrix(points)
    off = ~np.eye(len(points), dtype=bool)
    quicker = (by_motor.durations_s < by_car.durations_s)[off]
    assert quicker.mean() > 0.9
    ratio = by_motor.durations_s[off].sum() / by_car.durations_s[off].sum()
    assert 0.6 < ratio < 0.98


def _two_teams_problem() -> tuple[object, object]:
    car_team = team(1)
    motor_team = dataclasses.replace(team(2, skills=team(2).skills | {"motor"}), profile=MOTOR)
    sites = [site(i, 800.0 * i, 400.0 * (i % 3), service_min=20) for i in range(1, 25)]
    prob = problem(sites, [car_team, motor_team])
    matrix = travel_matrix(StraightLineModel(), problem_points(prob).points, prob.teams)
    return prob, matrix


def test_the_planner_times_each_team_on_its_own_matrix() -> None:
    prob, matrix = _two_teams_problem()
    assert set(matrix.profiles) == {MOTOR}  # type: ignore[attr-defined]
    result = plan_routes(prob, matrix)  # type: ignore[arg-type]
    assert check_plan(prob, matrix, result) == []  # type: ignore[arg-type]
    by_team = {r.team_id: r for r in result.routes}
    assert set(by_team) == {1, 2}
    index = problem_points(prob)  # type: ignore[arg-type]
    motor = matrix.for_profile(MOTOR)  # type: ignore[attr-defined]
    first = by_team[2].stops[0]
    row = index.site_row[first.site_id]
    assert first.travel_s == motor.durations_s[index.team_start[2], row]
    assert first.travel_s < matrix.durations_s[index.team_start[2], row]  # type: ignore[attr-defined]


def test_the_checker_flags_a_motorbike_route_timed_as_a_car() -> None:
    prob, matrix = _two_teams_problem()
    car_only = dataclasses.replace(
        prob,  # type: ignore[type-var]
        teams=tuple(dataclasses.replace(t, profile=CAR) for t in prob.teams),  # type: ignore[attr-defined]
    )
    result = plan_routes(car_only, matrix)  # type: ignore[arg-type]
    motor_route = next(r for r in result.routes if r.team_id == 2)
    assert motor_route.stops
    found = check_plan(prob, matrix, result)  # type: ignore[arg-type]
    assert {v.code for v in found if v.team_id == 2} & {"leg", "return_leg"}


def test_the_solver_gives_a_far_tight_visit_to_the_motorbike() -> None:
    # One far visit that only a motorbike reaches inside its window: 3,000 s by car, 1,500 by
    # motorbike; the window closes 2,000 s after the shift starts.
    car = np.array([[0, 3000], [3000, 0]], dtype=np.int64)
    routing = RoutingProblem(
        durations=car,
        jobs=(SolverJob(id=7, index=1, service_s=600, windows=((8 * H, 8 * H + 2000),)),),
        vehicles=(
            SolverVehicle(id=1, start_index=0, end_index=0, window=(8 * H, 15 * H)),
            SolverVehicle(id=2, start_index=0, end_index=0, window=(8 * H, 15 * H), profile=MOTOR),
        ),
        profile_durations={MOTOR: car // 2},
    )
    solution = VroomSolver().solve(routing)
    assert solution.unassigned == ()
    assert [(r.vehicle_id, r.job_ids) for r in solution.routes] == [(2, (7,))]


def test_a_team_with_the_motor_trait_plans_on_motorbike_times() -> None:
    row = models.Team(
        id=5,
        office_id=1,
        name="Tim Motor",
        skills=["perekaman_ktp", "motor"],
        shift_start=dt.time(8),
        shift_end=dt.time(15),
    )
    spec = team_spec(row)
    assert spec.profile == MOTOR
    car_row = models.Team(
        office_id=1, name="Tim Mobil", skills=["kia"], shift_start=dt.time(8), shift_end=dt.time(15)
    )
    assert team_spec(car_row).profile == CAR
    # A route of that team timed and checked on the motorbike matrix.
    prob = problem([site(1, 3000, 0, service_min=20)], [spec])
    matrix = travel_matrix(StraightLineModel(), problem_points(prob).points, prob.teams)
    result = plan_routes(prob, matrix)
    assert check_plan(prob, matrix, result) == []
    route: PlannedRoute = result.routes[0]
    assert route.stops[0].travel_s == 400  # 3,000 m at 7.5 m/s (cars: 5 m/s, 600 s)


def test_a_motorbike_route_is_drawn_along_its_own_path() -> None:
    car = RoadNetwork(_toy_graph())
    a, c = (110.36, -7.80), (110.38, -7.80)
    car_team = team(1)
    motor_team = dataclasses.replace(team(2), profile=MOTOR)
    visit = dataclasses.replace(site(1, 0, 0), lon=c[0], lat=c[1])
    for crew, via_b in ((car_team, False), (motor_team, True)):
        prob = dataclasses.replace(problem([visit], [crew]), depot=a)
        matrix = travel_matrix(car, problem_points(prob).points, prob.teams)
        result = plan_routes(prob, matrix, legs=car.leg_geometry)
        assert check_plan(prob, matrix, result) == []
        (route,) = result.routes
        drawn = route.stops[0].geometry
        assert any(abs(lon - 110.37) < 1e-9 for lon, _ in drawn) is via_b


GANG_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="-7.8000" lon="110.3600"/>
  <node id="2" lat="-7.8000" lon="110.3650"/>
  <node id="3" lat="-7.8000" lon="110.3700"/>
  <node id="4" lat="-7.7970" lon="110.3600"/>
  <node id="5" lat="-7.7970" lon="110.3650"/>
  <node id="6" lat="-7.7970" lon="110.3700"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/></way>
  <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <way id="13"><nd ref="3"/><nd ref="6"/><tag k="highway" v="residential"/></way>
  <way id="14"><nd ref="2"/><nd ref="5"/><tag k="highway" v="path"/>
    <tag k="motorcycle" v="yes"/><tag k="name" v="Gang Mawar"/></way>
  <way id="15"><nd ref="3"/><nd ref="5"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_tags_of_ways_only_a_motorbike_may_use() -> None:
    from outreach.geo._osm import is_motorbike_only

    assert is_motorbike_only({"highway": "path", "motorcycle": "yes"})
    assert is_motorbike_only({"highway": "service", "service": "alley"})
    assert is_motorbike_only({"highway": "residential", "motorcar": "no"})
    assert not is_motorbike_only({"highway": "residential"})  # a car's road
    assert not is_motorbike_only({"highway": "footway"})
    assert not is_motorbike_only({"highway": "service", "service": "alley", "motorcycle": "no"})
    assert not is_motorbike_only({"highway": "steps", "motorcycle": "yes"})


def test_a_gang_in_the_road_file_is_a_motorbike_shortcut(tmp_path: Path) -> None:
    roads = tmp_path / "roads.osm"
    roads.write_text(GANG_OSM, encoding="utf-8")
    area = shapely.box(110.355, -7.805, 110.375, -7.792)
    G = load_road_graph(roads, boundary=area, cache_dir=tmp_path / "cache")
    assert {h for _, _, h in G.edges(data="highway")} == {"residential"}  # cars: no gang
    assert len(G.graph["motorbike_only"]["edges"]) == 2  # the gang, both ways
    car = RoadNetwork(G)
    south, north = (110.3650, -7.8000), (110.3650, -7.7970)
    by_car = car.matrix([south, north])
    by_motor = car.for_profile(MOTOR).matrix([south, north])
    assert by_car.distances_m[0, 1] > 1200  # round the block
    assert 300 < by_motor.distances_m[0, 1] < 360  # down the gang (333 m)
    assert by_motor.durations_s[0, 1] == pytest.approx(
        by_motor.distances_m[0, 1] / (12 / 3.6), abs=2
    )
    drawn = car.leg_geometry(south, north, MOTOR)
    assert all(abs(lon - 110.3650) < 1e-6 for lon, _ in drawn)  # straight up the gang
