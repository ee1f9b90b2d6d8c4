"""Travel-time matrices on Kota Yogyakarta: scipy csgraph (RoadNetwork) vs networkx.

For N = 50, 200, 1000 random points in the kota (fixed seed):

- ``scipy doors``: ``RoadNetwork.matrix`` on the random points themselves (snapping to edges,
  walks, times and fastest-path distances: what the planner calls);
- ``scipy nodes``: the same on the points' nearest graph nodes;
- ``networkx``: one ``single_source_dijkstra_path_length`` per unique nearest node (weight
  ``travel_time``), times only, a generous baseline (no distances, no snapping).

``max diff s`` compares the scipy node matrix with networkx (rounding: at most 1 s).

    .venv/bin/python bench/matrix.py
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from outreach.geo.network import RoadNetwork  # noqa: E402
from outreach.geo.packs import find_pack  # noqa: E402
from outreach.geo.roads import load_road_graph  # noqa: E402

SHARED = REPO.parent / "shared" / "regions"
RESULTS = REPO / "bench" / "results"
CACHE_DIR = REPO / "data" / "cache"
SIZES = (50, 200, 1000)
SEED = 42


def random_points(boundary: shapely.Geometry, n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = boundary.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if boundary.contains(shapely.Point(lon, lat)):
            points.append((float(lon), float(lat)))
    return points


def nearest_nodes(G: nx.MultiDiGraph, points: list[tuple[float, float]]) -> list[int]:
    """Nearest graph node of each point (local equirectangular metres; fine within a kota)."""
    ids = list(G.nodes)
    lonlat = np.array([(G.nodes[v]["x"], G.nodes[v]["y"]) for v in ids])
    scale = np.array([np.cos(np.radians(lonlat[:, 1].mean())), 1.0])
    _, index = cKDTree(lonlat * scale).query(np.array(points) * scale)
    return [ids[i] for i in index]


def networkx_matrix(G: nx.MultiDiGraph, nodes: list[int]) -> np.ndarray:
    unique = list(dict.fromkeys(nodes))
    rows = {}
    for source in unique:
        lengths = nx.single_source_dijkstra_path_length(G, source, weight="travel_time")
        rows[source] = [lengths.get(target, np.inf) for target in nodes]
    return np.array([rows[source] for source in nodes])


def timed(func, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - started


def main() -> None:
    pack = find_pack("kota-yogyakarta", search_dirs=[SHARED])
    assert pack.roads_file is not None
    G = load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=CACHE_DIR)
    net = RoadNetwork(G)
    rows = []
    for n in SIZES:
        doors = random_points(pack.boundary, n, SEED)
        nodes = nearest_nodes(G, doors)
        node_points = [(G.nodes[v]["x"], G.nodes[v]["y"]) for v in nodes]
        door_matrix, door_s = timed(net.matrix, doors)
        node_matrix, node_s = timed(net.matrix, node_points)
        reference, nx_s = timed(networkx_matrix, G, list(nodes))
        rows.append(
            {
                "n": n,
                "scipy_doors_s": door_s,
                "scipy_nodes_s": node_s,
                "networkx_s": nx_s,
                "speedup_nodes": nx_s / node_s,
                "max_diff_s": float(np.abs(node_matrix.durations_s - reference).max()),
                "fallback_points": int(door_matrix.fallback.sum()),
            }
        )
        print(f"N={n}: scipy {door_s:.2f} s / {node_s:.2f} s, networkx {nx_s:.2f} s", flush=True)

    print(f"\nKota Yogyakarta: {len(G):,} nodes, {G.number_of_edges():,} edges, seed {SEED}\n")
    print("| N | scipy doors s | scipy nodes s | networkx s | networkx / scipy | max diff s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']} | {r['scipy_doors_s']:.2f} | {r['scipy_nodes_s']:.2f} "
            f"| {r['networkx_s']:.2f} | {r['speedup_nodes']:.0f}x | {r['max_diff_s']:.0f} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "matrix.json"
    out.write_text(json.dumps({"machine": platform.platform(), "rows": rows}, indent=2))
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
