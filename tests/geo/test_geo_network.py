"""Travel models on the tiny grid: snapping, matrices, leg shapes, fallback."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from geo_builders import STEP, node_id, node_lonlat

from outreach.errors import RegionError
from outreach.geo import network
from outreach.geo.network import (
    FallbackNetwork,
    RoadNetwork,
    clear_travel_models,
    travel_model_for,
)
from outreach.geo.packs import find_pack
from outreach.geo.roads import load_road_graph

M_PER_DEG_LAT = 110_574.0  # at 7 degrees south; close enough for 1 m checks over 30 m


@pytest.fixture
def grid(make_pack: Callable[..., Path], cache_dir: Path) -> nx.MultiDiGraph:
    pack = find_pack(str(make_pack()), search_dirs=[])
    assert pack.roads_file is not None
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


@pytest.fixture
def net(grid: nx.MultiDiGraph) -> RoadNetwork:
    return RoadNetwork(grid)


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    clear_travel_models()
    yield
    clear_travel_models()


def between(a: tuple[int, int], b: tuple[int, int], t: float, *, north_m: float = 0.0) -> tuple:
    """A point ``t`` of the way from node a to node b, moved ``north_m`` metres north."""
    (lon_a, lat_a), (lon_b, lat_b) = node_lonlat(*a), node_lonlat(*b)
    return lon_a + t * (lon_b - lon_a), lat_a + t * (lat_b - lat_a) + north_m / M_PER_DEG_LAT


def east_of(a: tuple[int, int], b: tuple[int, int], t: float, metres: float) -> tuple:
    lon, lat = between(a, b, t)
    return lon + metres / (M_PER_DEG_LAT * np.cos(np.radians(7))), lat


def test_a_point_beside_a_street_snaps_to_it(net: RoadNetwork) -> None:
    snapped = net.snap(*between((0, 1), (0, 2), 0.5, north_m=30))

    assert not snapped.fallback
    assert snapped.walk_m == pytest.approx(30, abs=1)
    assert snapped.walk_s == pytest.approx(30 / (4.5 / 3.6), abs=1)
    assert snapped.edge is not None and {snapped.edge[0], snapped.edge[1]} == {
        node_id(0, 1),
        node_id(0, 2),
    }
    assert snapped.node in {node_id(0, 1), node_id(0, 2)}
    assert snapped.edge_offset_m == pytest.approx(110, abs=2)
    assert snapped.lat == pytest.approx(node_lonlat(0, 1)[1], abs=1e-6)  # on the street


def test_points_off_the_network_fall_back(grid: nx.MultiDiGraph) -> None:
    far_away = (110.1, -7.0)  # 11 km east, outside the graph's coverage
    beside = between((0, 1), (0, 2), 0.5, north_m=30)

    assert RoadNetwork(grid).snap(*far_away).fallback
    assert RoadNetwork(grid, max_snap_m=20).snap(*beside).fallback


def test_matrix_basics(net: RoadNetwork) -> None:
    a, b = between((0, 1), (0, 2), 0.3, north_m=10), between((3, 2), (4, 2), 0.5)
    c = node_lonlat(4, 4)
    m = net.matrix([a, b, a, c])

    assert m.size == 4 and m.method == "road"
    assert m.durations_s.dtype == np.int64 and m.distances_m.dtype == np.int64
    assert not m.fallback.any()
    assert (np.diag(m.durations_s) == 0).all() and (np.diag(m.distances_m) == 0).all()
    assert m.durations_s[0, 2] == m.durations_s[2, 0] == m.distances_m[0, 2] == 0  # same point
    assert (m.durations_s[np.triu_indices(4, 1)] > 0).sum() == 5
    assert net.matrix([]).size == 0


def test_matrix_equals_networkx_between_nodes(net: RoadNetwork, grid: nx.MultiDiGraph) -> None:
    nodes = [(r, c) for r in range(5) for c in range(5) if node_id(r, c) in grid]
    m = net.matrix([node_lonlat(*n) for n in nodes])

    for i, a in enumerate(nodes):
        times = nx.single_source_dijkstra_path_length(grid, node_id(*a), weight="travel_time")
        for j, b in enumerate(nodes):
            assert m.durations_s[i, j] == pytest.approx(times[node_id(*b)], abs=1)


def test_distances_are_those_of_the_fastest_path(net: RoadNetwork, grid: nx.MultiDiGraph) -> None:
    # Row 1 is a 20 km/h street; going down to the 50 km/h main road and back is faster but
    # longer. The distance must be the main-road one.
    m = net.matrix([node_lonlat(1, 0), node_lonlat(1, 3)])
    path = nx.shortest_path(grid, node_id(1, 0), node_id(1, 3), weight="travel_time")
    fastest_m = sum(
        min(d["length"] for d in grid[u][v].values()) for u, v in nx.utils.pairwise(path)
    )

    assert node_id(2, 1) in path
    assert m.distances_m[0, 1] == pytest.approx(fastest_m, abs=1)
    assert m.distances_m[0, 1] > 3 * STEP * 110_000 * 1.4
    # The end nodes may be left out: the points sit on their edges' ends.
    nodes = net.path_nodes(node_lonlat(1, 0), node_lonlat(1, 3))
    assert nodes in (path, path[1:], path[:-1], path[1:-1])


def test_one_way_streets_make_the_matrix_asymmetric(net: RoadNetwork) -> None:
    # Column 4 is one-way southwards: north -> south is direct, back needs a detour.
    north, south = east_of((0, 4), (1, 4), 0.5, 10), east_of((1, 4), (2, 4), 0.5, 10)
    m = net.matrix([north, south])

    walk_s = 2 * 10 / (4.5 / 3.6)
    drive_s = 221 / (30 / 3.6)  # half an edge + half an edge at 30 km/h
    assert m.durations_s[0, 1] == pytest.approx(walk_s + drive_s, abs=2)
    assert m.durations_s[1, 0] > m.durations_s[0, 1] + 60


def test_two_points_on_one_street_drive_straight_between_them(net: RoadNetwork) -> None:
    a = between((0, 1), (0, 2), 0.25, north_m=10)
    b = between((0, 1), (0, 2), 0.75, north_m=-10)
    m = net.matrix([a, b])

    half_edge_m = 0.5 * STEP * 110_000
    expected_s = 20 / (4.5 / 3.6) + half_edge_m / (20 / 3.6)
    assert m.durations_s[0, 1] == pytest.approx(expected_s, abs=2)
    assert m.durations_s[1, 0] == pytest.approx(expected_s, abs=2)
    assert m.distances_m[0, 1] == pytest.approx(20 + half_edge_m, abs=2)


def test_neighbours_far_from_the_road_walk_door_to_door(net: RoadNetwork) -> None:
    # Issue 10: doors 1 m apart, both 96 m from the street: a 1-second walk, not 154 s of
    # walking out to the road and back in.
    a = between((0, 1), (0, 2), 0.5, north_m=-96)
    b = east_of((0, 1), (0, 2), 0.5, 1.0)
    b = (b[0], a[1])
    far = node_lonlat(4, 4)
    m = net.matrix([a, b, far])
    assert m.durations_s[0, 1] <= 2 and m.durations_s[1, 0] <= 2
    assert m.distances_m[0, 1] <= 2
    # Trips elsewhere still walk out to the road: the shortcut is only between the doors.
    assert m.durations_s[0, 2] >= 96 / (4.5 / 3.6)
    assert net.leg_geometry(a, b) == [a, b]
    assert len(net.leg_geometry(a, far)) > 2


def test_leg_geometry_runs_door_to_door_along_the_roads(
    net: RoadNetwork, grid: nx.MultiDiGraph
) -> None:
    a = between((0, 0), (0, 1), 0.4, north_m=25)
    b = east_of((3, 4), (4, 4), 0.5, 15)
    leg = net.leg_geometry(a, b)

    assert leg[0] == a and leg[-1] == b
    snapped = net.snap(*a)
    assert leg[1] == pytest.approx((snapped.lon, snapped.lat), abs=1e-7)
    roads = shapely.union_all(
        [shapely.LineString([node_lonlat(*rc) for rc in line]) for line in _grid_lines()]
    ).buffer(1e-6)
    assert all(roads.contains(shapely.Point(p)) for p in leg[1:-1])
    distance_m = net.matrix([a, b]).distances_m[0, 1]
    leg_m = sum(
        np.hypot((x2 - x1) * M_PER_DEG_LAT * np.cos(np.radians(7)), (y2 - y1) * M_PER_DEG_LAT)
        for (x1, y1), (x2, y2) in itertools.pairwise(leg)
    )
    assert leg_m == pytest.approx(distance_m, rel=0.02)


def _grid_lines() -> list[list[tuple[int, int]]]:
    rows = [[(r, c) for c in range(5)] for r in range(5)]
    cols = [[(r, c) for r in range(5)] for c in range(5)]
    return rows + cols


def test_a_point_off_the_network_uses_the_fallback_row_and_column(net: RoadNetwork) -> None:
    a, b, far = node_lonlat(0, 1), node_lonlat(4, 3), (110.1, -7.0)
    m = net.matrix([a, b, far])
    estimate = FallbackNetwork().matrix([a, far])

    assert m.fallback.tolist() == [False, False, True]
    assert m.method == "road"
    assert m.durations_s[0, 2] == estimate.durations_s[0, 1]
    assert m.distances_m[2, 0] == estimate.distances_m[1, 0]
    assert net.leg_geometry(a, far) == [a, far]
    assert net.path_nodes(a, far) == []


def test_all_points_off_the_network_say_fallback(net: RoadNetwork) -> None:
    m = net.matrix([(110.1, -7.0), (110.2, -7.1)])

    assert m.method == "fallback" and m.fallback.all()


def test_chunked_sources_give_the_same_matrix(
    net: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    points = [(110.0 + x, -7.0 - y) for x, y in rng.uniform(0, 0.008, size=(12, 2))]
    whole = net.matrix(points)
    monkeypatch.setattr(network, "CHUNK_BYTES", 1)  # one source per Dijkstra call
    chunked = net.matrix(points)

    assert (whole.durations_s == chunked.durations_s).all()
    assert (whole.distances_m == chunked.distances_m).all()


def test_bad_points_are_a_caller_error(net: RoadNetwork) -> None:
    with pytest.raises(ValueError, match="finite"):
        net.matrix([(float("nan"), -7.0)])
    with pytest.raises(ValueError, match="finite"):
        FallbackNetwork().matrix([(200.0, -7.0)])


def test_fallback_network_is_great_circle_times_circuity() -> None:
    model = FallbackNetwork(speed_kmh=25, circuity=1.35)
    a, b = (110.0, -7.0), (110.0, -7.01)  # 0.01 degree of latitude: 1,111.9 m
    m = model.matrix([a, b])

    assert not model.has_roads and model.snap(*a).fallback
    assert m.method == "fallback" and m.fallback.all()
    assert m.distances_m[0, 1] == pytest.approx(1111.9 * 1.35, abs=1)
    assert m.durations_s[0, 1] == pytest.approx(1111.9 * 1.35 / (25 / 3.6), abs=1)
    assert (m.durations_s == m.durations_s.T).all()
    assert model.leg_geometry(a, b) == [a, b]
    with pytest.raises(ValueError, match="speed_kmh"):
        FallbackNetwork(speed_kmh=0)


def test_travel_model_for_builds_once_per_region(regions_dir: Path, cache_dir: Path) -> None:
    road = travel_model_for("kota-uji", search_dirs=[regions_dir], cache_dir=cache_dir)
    again = travel_model_for("kota-uji", search_dirs=[regions_dir], cache_dir=cache_dir)
    plain = travel_model_for("kota-uji-tanpa-jalan", search_dirs=[regions_dir], cache_dir=cache_dir)

    assert isinstance(road, RoadNetwork) and road.has_roads and again is road
    assert isinstance(plain, FallbackNetwork) and not plain.has_roads
    assert plain.matrix([(110.0, -7.0), (110.002, -7.0)]).method == "fallback"
    clear_travel_models()
    assert travel_model_for("kota-uji", search_dirs=[regions_dir], cache_dir=cache_dir) is not road


def test_travel_model_for_an_unknown_region_raises(regions_dir: Path, cache_dir: Path) -> None:
    with pytest.raises(RegionError, match="not found"):
        travel_model_for("kota-entah", search_dirs=[regions_dir], cache_dir=cache_dir)
