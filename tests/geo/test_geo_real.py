"""The shared region packs: Yogyakarta routes on roads, Balikpapan partly, Cirebon not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from outreach.geo.network import (
    FallbackNetwork,
    RoadNetwork,
    clear_travel_models,
    travel_model_for,
)
from outreach.geo.packs import RegionPack, find_pack
from outreach.geo.roads import load_road_graph
from tests.conftest import REPO_ROOT, SHARED_REGIONS

CACHE_DIR = REPO_ROOT / "data" / "cache"  # shared with the app tests: built once per checkout


@pytest.fixture(scope="module")
def yogya_pack() -> RegionPack:
    return find_pack("kota-yogyakarta", search_dirs=[SHARED_REGIONS])


@pytest.fixture(scope="module")
def yogya_graph(yogya_pack: RegionPack) -> nx.MultiDiGraph:
    assert yogya_pack.roads_file is not None
    return load_road_graph(yogya_pack.roads_file, boundary=yogya_pack.boundary, cache_dir=CACHE_DIR)


@pytest.fixture(scope="module")
def yogya(yogya_graph: nx.MultiDiGraph) -> RoadNetwork:
    return RoadNetwork(yogya_graph)


@pytest.fixture(scope="module")
def yogya_points(yogya_pack: RegionPack) -> list[tuple[float, float]]:
    reps = yogya_pack.kelurahan.geometry.representative_point()
    return [(float(p.x), float(p.y)) for p in reps]


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    clear_travel_models()
    yield
    clear_travel_models()


@pytest.mark.slow
def test_yogyakarta_builds_a_strongly_connected_timed_graph(
    yogya_pack: RegionPack, yogya_graph: nx.MultiDiGraph
) -> None:
    assert 7_000 < len(yogya_graph) < 9_000
    assert nx.is_strongly_connected(yogya_graph)
    assert all(d["travel_time"] > 0 for *_, d in yogya_graph.edges(data=True))
    cache_file = Path(yogya_graph.graph["cache_file"])
    mtime = cache_file.stat().st_mtime_ns

    assert yogya_pack.roads_file is not None
    again = load_road_graph(
        yogya_pack.roads_file, boundary=yogya_pack.boundary, cache_dir=CACHE_DIR
    )

    assert again.graph["loaded_from_cache"] is True
    assert again.graph["cache_file"] == str(cache_file)
    assert cache_file.stat().st_mtime_ns == mtime
    assert len(again) == len(yogya_graph)


@pytest.mark.slow
def test_yogyakarta_matrix_is_sane(
    yogya: RoadNetwork, yogya_points: list[tuple[float, float]]
) -> None:
    m = yogya.matrix(yogya_points)
    d = m.durations_s.astype(float)

    assert m.method == "road" and not m.fallback.any()
    assert (np.diag(d) == 0).all() and (d[~np.eye(len(d), dtype=bool)] > 0).all()
    assert np.abs(d - d.T).mean() < 0.15 * d.mean()  # one-way streets: symmetric-ish
    via = (d[:, :, None] + d[None, :, :]).min(axis=1)  # best detour through any third point
    assert (d <= via + 2).all()  # triangle inequality (1 s rounding per leg)
    assert 60 < d.mean() < 1200  # 33 km2 of kota: minutes, not hours


@pytest.mark.slow
def test_yogyakarta_matrix_equals_networkx(
    yogya: RoadNetwork, yogya_graph: nx.MultiDiGraph
) -> None:
    rng = np.random.default_rng(7)
    nodes = [list(yogya_graph.nodes)[i] for i in rng.choice(len(yogya_graph), 6, replace=False)]
    m = yogya.matrix([(yogya_graph.nodes[n]["x"], yogya_graph.nodes[n]["y"]) for n in nodes])

    for i, source in enumerate(nodes):
        times, paths = nx.single_source_dijkstra(yogya_graph, source, weight="travel_time")
        for j, target in enumerate(nodes):
            path = paths[target]
            length_m = sum(
                min(d["length"] for d in yogya_graph[u][v].values())
                for u, v in nx.utils.pairwise(path)
            )
            assert m.durations_s[i, j] == pytest.approx(times[target], abs=1)
            assert m.distances_m[i, j] == pytest.approx(length_m, abs=max(2, 0.01 * length_m))


@pytest.mark.slow
def test_yogyakarta_legs_run_from_door_to_door(
    yogya: RoadNetwork, yogya_points: list[tuple[float, float]]
) -> None:
    for a, b in [(0, 44), (10, 20), (33, 5)]:
        origin, destination = yogya_points[a], yogya_points[b]
        leg = yogya.leg_geometry(origin, destination)
        snapped = yogya.snap(*origin)

        assert leg[0] == origin and leg[-1] == destination
        assert shapely.Point(leg[1]).distance(shapely.Point(snapped.lon, snapped.lat)) < 1e-6
        assert len(leg) > 5


@pytest.mark.slow
def test_travel_model_for_yogyakarta_is_the_road_network() -> None:
    model = travel_model_for("kota-yogyakarta", search_dirs=[SHARED_REGIONS], cache_dir=CACHE_DIR)

    assert isinstance(model, RoadNetwork) and model.has_roads


def test_balikpapan_routes_on_roads_only_in_balikpapan_kota() -> None:
    pack = find_pack("kota-balikpapan", search_dirs=[SHARED_REGIONS])
    model = travel_model_for("kota-balikpapan", search_dirs=[SHARED_REGIONS], cache_dir=CACHE_DIR)
    reps = pack.kelurahan.geometry.representative_point()
    points = [(float(p.x), float(p.y)) for p in reps]
    in_kota = (pack.kelurahan["kode_kec"] == "64.71.06").to_numpy()  # kecamatan Balikpapan Kota

    m = model.matrix(points)

    assert isinstance(model, RoadNetwork)
    assert in_kota.sum() == 5 and m.method == "road"
    assert (m.fallback == ~in_kota).all()
    estimate = FallbackNetwork().matrix(points)
    off = np.flatnonzero(~in_kota)
    assert (m.durations_s[off] == estimate.durations_s[off]).all()
    assert [model.snap(*p).fallback for p in points] == (~in_kota).tolist()


def test_cirebon_has_no_roads_and_says_so() -> None:
    pack = find_pack("kota-cirebon", search_dirs=[SHARED_REGIONS])
    model = travel_model_for("kota-cirebon", search_dirs=[SHARED_REGIONS], cache_dir=CACHE_DIR)
    reps = pack.kelurahan.geometry.representative_point()

    m = model.matrix([(float(p.x), float(p.y)) for p in reps])

    assert isinstance(model, FallbackNetwork) and not model.has_roads
    assert m.size == 22 and m.method == "fallback" and m.fallback.all()
    assert (m.durations_s[~np.eye(22, dtype=bool)] > 0).all()
