"""Travel models: routing on a road graph, with a great-circle fallback.

:class:`RoadNetwork` places each point on the road network and computes travel-time matrices
with scipy's compiled Dijkstra; :class:`FallbackNetwork` (re-exported from
:mod:`outreach.geo.fallback`) estimates from straight-line distance. :func:`travel_model_for`
returns the right one for a region, built once per process.

How a point is placed on the roads
----------------------------------
A point is snapped to the nearest road edge (by perpendicular distance, in UTM metres), not to
the nearest node: nearest nodes are often on another street behind the houses. The point
becomes two virtual graph nodes for the matrix: a *source* joined to the edge's end node(s) the
team can drive to, and a *target* joined from the end node(s) it can arrive from, each weighted
by the part of the edge travelled at that edge's speed. A one-way edge ``u -> v`` is only left
towards ``v`` and entered from ``u``; a two-way street offers both ends, and Dijkstra picks the
better one for every destination. Door to road is walked: ``walk_m`` (the perpendicular
distance) at ``walk_speed_kmh`` is added to every trip leaving or reaching the point, in time
and in distance. Two doors at most ``DOOR_WALK_M`` apart are walked straight from one to the
other when that is quicker: neighbours 1 m apart whose doors lie 96 m from the road are a
1-second walk, not a 154-second walk out to the road and back (the matrix and the leg's shape
agree).

A point is off the network (``fallback=True``) when it lies outside the graph's coverage (the
concave hull of its nodes, widened by ``coverage_margin_m``: e.g. Balikpapan's graph covers
kecamatan Balikpapan Kota only) or farther than ``max_snap_m`` from any road. Its rows and
columns use the great-circle fallback, so a plan can still be made and says so.

Distances of the fastest paths
------------------------------
One Dijkstra per point gives both figures: each edge weight packs the travel time in whole
milliseconds above 24 bits of length in decimetres (``time_ms * 2**24 + length_dm``). Integer
sums stay exact in float64 below 2**53, so the total decodes to the fastest path's time and the
length *of that same path* (ties broken by the shorter one). Limits: 1,677 km of path length and
149 h of travel time per path, far beyond any kab/kota. Rounding per edge is below 0.5 ms and
5 cm.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely import ops

from outreach.domain import CAR, MOTOR, LonLat, SnappedPoint, TravelMatrix, TravelModel
from outreach.geo.fallback import FallbackNetwork, as_lonlat_array
from outreach.geo.lines import road_source_label
from outreach.geo.packs import BOUNDARY_FILE, find_pack, find_roads_file, resolve_pack_dir
from outreach.geo.roads import file_sha256, load_road_graph, motorbike_graph

__all__ = ["FallbackNetwork", "RoadNetwork", "clear_travel_models", "travel_model_for"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WALK_SPEED_KMH = 4.5
# A door farther than this from any road is not placed on it: in a kota that means a missing
# road in the data more often than a 13-minute walk.
MAX_SNAP_M = 1000.0
# Neighbours this close (straight line) may be walked door to door when that is quicker than
# walking out to the road and back in: houses in one gang share its access point.
DOOR_WALK_M = 150.0
COVERAGE_MARGIN_M = 300.0
COVERAGE_HULL_RATIO = 0.1  # shapely.concave_hull: 0 hugs the nodes, 1 is the convex hull
# A point this close to an edge's end node may start or finish there whatever the direction.
NODE_TOLERANCE_M = 1.0
# Dijkstra returns a (sources x nodes) float64 block: sources are chunked to stay under this.
CHUNK_BYTES = 64 * 2**20

_LEN_BITS = 24
_SCALE = float(2**_LEN_BITS)
_EXACT_LIMIT = float(2**53)


@dataclass(frozen=True)
class _Snaps:
    """Points placed on edges (vectorised; ``edge == -1`` means off the network)."""

    edge: IntArray
    fraction: FloatArray  # position along the edge, 0 at u and 1 at v
    walk_m: FloatArray
    snapped_xy: FloatArray  # (M, 2) UTM position on the edge (the point itself when off)

    @property
    def fallback(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.edge < 0)


@dataclass(frozen=True)
class _Link:
    """A virtual edge of a leg: along ``edge`` from ``start`` to ``end`` (fractions)."""

    edge: int
    start: float
    end: float


class RoadNetwork:
    """Travel model on a road graph built by :func:`outreach.geo.roads.load_road_graph`.

    Parameters
    ----------
    G
        MultiDiGraph in EPSG:4326 with ``length`` (m) and ``travel_time`` (s) on every edge,
        ideally strongly connected.
    walk_speed_kmh
        Walking speed between a door and the road.
    max_snap_m
        Points farther than this from any road are off the network (fallback).
    coverage_margin_m
        How far beyond the concave hull of the graph's nodes a point still counts as covered.
    fallback
        Model for points off the network (default :class:`FallbackNetwork` defaults).
    """

    def __init__(
        self,
        G: nx.MultiDiGraph,
        *,
        walk_speed_kmh: float = WALK_SPEED_KMH,
        max_snap_m: float = MAX_SNAP_M,
        coverage_margin_m: float = COVERAGE_MARGIN_M,
        fallback: FallbackNetwork | None = None,
    ) -> None:
        if G.number_of_edges() == 0:
            msg = "G has no edges"
            raise ValueError(msg)
        self.G = G
        self.road_source = road_source_label(G)
        self.walk_speed_kmh = float(walk_speed_kmh)
        self.max_snap_m = float(max_snap_m)
        self.coverage_margin_m = float(coverage_margin_m)
        self.fallback = fallback or FallbackNetwork()
        self._profiles: dict[str, RoadNetwork] = {}
        self._profiles_lock = threading.Lock()
        self._init_nodes()
        self._init_edges()
        self._init_csr()
        self._init_snapping(coverage_margin_m)

    def __repr__(self) -> str:
        return f"RoadNetwork({self.n_nodes} nodes, {self.n_edges} edges)"

    # --- public API -------------------------------------------------------------------------

    @property
    def has_roads(self) -> bool:
        """Always True: a road graph backs this model."""
        return True

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return len(self._node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed graph edges."""
        return len(self._eu)

    def snap(self, lon: float, lat: float) -> SnappedPoint:
        """Place one point on the road network.

        Returns
        -------
        SnappedPoint
            ``lon``/``lat`` where the point meets the road, the edge and offset along it, and
            ``node``: the edge's nearer end. Off the network: the point itself, fallback=True.
        """
        snaps = self._snap_many(as_lonlat_array([(lon, lat)]))
        edge = int(snaps.edge[0])
        if edge < 0:
            return SnappedPoint(lon, lat, node=None, walk_m=0.0, walk_s=0.0, fallback=True)
        snap_lon, snap_lat = self._to_lonlat.transform(*snaps.snapped_xy[0])
        fraction = float(snaps.fraction[0])
        u, v = int(self._node_ids[self._eu[edge]]), int(self._node_ids[self._ev[edge]])
        walk_m = float(snaps.walk_m[0])
        return SnappedPoint(
            lon=float(snap_lon),
            lat=float(snap_lat),
            node=u if fraction <= 0.5 else v,
            walk_m=walk_m,
            walk_s=walk_m / self._walk_mps,
            fallback=False,
            edge=(u, v, int(self._ek[edge])),
            edge_offset_m=fraction * float(self._length_m[edge]),
        )

    def for_profile(self, profile: str) -> RoadNetwork:
        """The network for ``"car"`` (itself); for ``"motor"`` its roads timed for motorbikes.

        The motorbike network (:func:`outreach.geo.roads.motorbike_graph`: its own speeds, no
        toll roads) is built on first use and kept. Raises ``ValueError`` for an unknown
        profile.
        """
        if profile == CAR or self.G.graph.get("profile") == profile:
            return self
        if profile != MOTOR:
            msg = f"unknown travel profile {profile!r}"
            raise ValueError(msg)
        with self._profiles_lock:
            network = self._profiles.get(profile)
            if network is None:
                network = RoadNetwork(
                    motorbike_graph(self.G),
                    walk_speed_kmh=self.walk_speed_kmh,
                    max_snap_m=self.max_snap_m,
                    coverage_margin_m=self.coverage_margin_m,
                    fallback=self.fallback.for_profile(profile),
                )
                self._profiles[profile] = network
        return network

    def matrix(self, points: Sequence[LonLat]) -> TravelMatrix:
        """Travel-time and distance matrix between ``points`` (fastest paths, walks included).

        Identical points are computed once and are 0 apart. Pairs involving a point off the
        network (and, in a graph that is not strongly connected, unreachable pairs) get the
        great-circle fallback.
        """
        arr = as_lonlat_array(points)
        if len(arr) == 0:
            empty = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrix(empty, empty.copy(), np.zeros(0, dtype=bool), "fallback")
        unique, inverse = np.unique(arr, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        snaps = self._snap_many(unique)
        travel_time_s, distance_m = self.fallback.pair_estimates(unique, unique)
        road = np.flatnonzero(~snaps.fallback)
        if road.size:
            road_s, road_m = self._road_pairs(snaps.edge[road], snaps.fraction[road])
            walk_m = snaps.walk_m[road]
            road_s += (walk_m[:, None] + walk_m[None, :]) / self._walk_mps
            road_m += walk_m[:, None] + walk_m[None, :]
            reachable = np.isfinite(road_s)
            block = np.ix_(road, road)
            travel_time_s[block] = np.where(reachable, road_s, travel_time_s[block])
            distance_m[block] = np.where(reachable, road_m, distance_m[block])
            self._walk_between_doors(unique[road], road, travel_time_s, distance_m)
        np.fill_diagonal(travel_time_s, 0.0)
        np.fill_diagonal(distance_m, 0.0)
        full = np.ix_(inverse, inverse)
        return TravelMatrix(
            durations_s=np.rint(travel_time_s[full]).astype(np.int64),
            distances_m=np.rint(distance_m[full]).astype(np.int64),
            fallback=snaps.fallback[inverse],
            method="road" if road.size else "fallback",
            source=self.road_source if road.size else "",
        )

    def leg_geometry(self, origin: LonLat, destination: LonLat, profile: str = CAR) -> list[LonLat]:
        """Coordinates of the fastest path, door to door: walk, roads, walk.

        Edge shapes follow the road (osmnx ``geometry``); off the network, or between
        neighbours walked door to door, it is a straight line. ``profile``: the path of a car
        (default) or a motorbike (:meth:`for_profile`).
        """
        own = self.for_profile(profile)
        if own is not self:
            return own.leg_geometry(origin, destination)
        start = (float(origin[0]), float(origin[1]))
        end = (float(destination[0]), float(destination[1]))
        route = self._route(start, end)
        if route is None:
            return [start, end]
        snaps, path, links, road_s = route
        direct_m = float(np.hypot(*np.subtract(self._project(start), self._project(end))))
        if direct_m <= DOOR_WALK_M and direct_m / self._walk_mps < road_s:
            return [start, end]
        xy: list[FloatArray] = [np.array([self._project(start)]), snaps.snapped_xy[:1]]
        for a, b in itertools.pairwise(path):
            link = links.get((a, b))
            if link is not None:
                xy.append(self._edge_part_xy(link.edge, link.start, link.end))
            else:
                xy.append(shapely.get_coordinates(self._lines_xy[self._edge_between(a, b)]))
        xy.extend([snaps.snapped_xy[1:], np.array([self._project(end)])])
        coords = np.concatenate(xy)
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-6, axis=1)
        lon, lat = self._to_lonlat.transform(coords[keep, 0], coords[keep, 1])
        out = [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]
        if len(out) < 2:
            return [start, end]
        out[0], out[-1] = start, end  # exact input points, not their projected round trip
        return out

    def path_nodes(self, origin: LonLat, destination: LonLat) -> list[int]:
        """Graph node ids along the fastest path (empty when off the network or same edge)."""
        route = self._route((float(origin[0]), float(origin[1])), (destination[0], destination[1]))
        if route is None:
            return []
        _, path, _, _ = route
        return [int(self._node_ids[i]) for i in path if i < self.n_nodes]

    # --- construction -----------------------------------------------------------------------

    def _init_nodes(self) -> None:
        self._node_ids = np.fromiter(self.G.nodes, dtype=np.int64, count=len(self.G))
        self._node_index = {int(n): i for i, n in enumerate(self._node_ids)}
        lonlat = np.array([(d["x"], d["y"]) for _, d in self.G.nodes(data=True)], dtype=float)
        self._node_lonlat = lonlat
        crs = _utm_crs(lonlat)
        self._to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        x, y = self._to_utm.transform(lonlat[:, 0], lonlat[:, 1])
        self._node_xy = np.column_stack([x, y])
        self._walk_mps = self.walk_speed_kmh / 3.6

    def _init_edges(self) -> None:
        index = self._node_index
        eu, ev, ek, travel_time_s, length_m, shapes = [], [], [], [], [], []
        for u, v, k, data in self.G.edges(keys=True, data=True):
            if "travel_time" not in data or "length" not in data:
                msg = "G needs travel_time and length on every edge (see load_road_graph)"
                raise ValueError(msg)
            eu.append(index[u])
            ev.append(index[v])
            ek.append(int(k))
            travel_time_s.append(float(data["travel_time"]))
            length_m.append(float(data["length"]))
            shapes.append(data.get("geometry"))
        self._eu = np.array(eu, dtype=np.int64)
        self._ev = np.array(ev, dtype=np.int64)
        self._ek = np.array(ek, dtype=np.int64)
        self._travel_time_s = np.array(travel_time_s, dtype=float)
        self._length_m = np.array(length_m, dtype=float)
        self._lines_xy = self._project_edge_lines(shapes)
        self._line_length_xy = shapely.length(self._lines_xy)
        self._reverse = self._pair_reverse_edges()

    def _project_edge_lines(
        self, shapes: list[shapely.LineString | None]
    ) -> npt.NDArray[np.object_]:
        """UTM LineStrings oriented u -> v (straight where the edge has no ``geometry``)."""
        lines = np.empty(len(shapes), dtype=object)
        has_shape = np.array([s is not None for s in shapes], dtype=bool)
        if has_shape.any():
            lines[has_shape] = shapely.transform(
                np.array([s for s in shapes if s is not None], dtype=object), self._project_xy
            )
        plain = np.flatnonzero(~has_shape)
        if plain.size:
            ends = np.stack(
                [self._node_xy[self._eu[plain]], self._node_xy[self._ev[plain]]], axis=1
            )
            lines[plain] = shapely.linestrings(ends)
        # osmnx orients shapes u -> v; reverse any that are not (hand-made GraphML).
        first = shapely.get_coordinates(shapely.get_point(lines, 0))
        backwards = np.hypot(*(first - self._node_xy[self._ev]).T) < np.hypot(
            *(first - self._node_xy[self._eu]).T
        )
        if backwards.any():
            lines[backwards] = shapely.reverse(lines[backwards])
        return lines

    def _project_xy(self, coords: FloatArray) -> FloatArray:
        x, y = self._to_utm.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _pair_reverse_edges(self) -> IntArray:
        """For each edge, the opposite edge of the same two-way street (-1 when one-way)."""
        by_ends: dict[tuple[int, int], list[int]] = {}
        for e, (u, v) in enumerate(zip(self._eu.tolist(), self._ev.tolist(), strict=True)):
            by_ends.setdefault((u, v), []).append(e)
        reverse = np.full(len(self._eu), -1, dtype=np.int64)
        middles = shapely.line_interpolate_point(self._lines_xy, 0.5, normalized=True)
        for e, (u, v) in enumerate(zip(self._eu.tolist(), self._ev.tolist(), strict=True)):
            if reverse[e] >= 0:
                continue
            for r in by_ends.get((v, u), []):
                same_length = abs(self._length_m[r] - self._length_m[e]) <= max(
                    1.0, 0.01 * self._length_m[e]
                )
                if (
                    r != e
                    and reverse[r] < 0
                    and same_length
                    and shapely.distance(middles[e], middles[r]) <= 5.0
                ):
                    reverse[e], reverse[r] = r, e
                    break
        return reverse

    def _init_csr(self) -> None:
        """Base adjacency: the fastest of parallel edges, with packed time/length weights."""
        weight = _pack(self._travel_time_s, self._length_m)
        order = np.lexsort((weight, self._ev, self._eu))
        rows, cols = self._eu[order], self._ev[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        self._base_rows = rows[first]
        self._base_cols = cols[first]
        self._base_weight = weight[order][first]
        self._base_edge = order[first]
        self._base_keys = self._base_rows * self.n_nodes + self._base_cols  # sorted

    def _init_snapping(self, coverage_margin_m: float) -> None:
        # A two-way street is indexed once; the reverse edge is added when placing points.
        canonical = np.flatnonzero((self._reverse < 0) | (np.arange(len(self._eu)) < self._reverse))
        self._tree_edges = canonical
        self._tree = shapely.STRtree(self._lines_xy[canonical])
        hull = shapely.concave_hull(shapely.MultiPoint(self._node_xy), ratio=COVERAGE_HULL_RATIO)
        self._coverage = hull.buffer(coverage_margin_m)
        shapely.prepare(self._coverage)

    # --- snapping and routing ---------------------------------------------------------------

    def _project(self, point: LonLat) -> tuple[float, float]:
        x, y = self._to_utm.transform(point[0], point[1])
        return float(x), float(y)

    def _snap_many(self, lonlat: FloatArray) -> _Snaps:
        count = len(lonlat)
        x, y = self._to_utm.transform(lonlat[:, 0], lonlat[:, 1])
        xy = np.column_stack([x, y])
        edge = np.full(count, -1, dtype=np.int64)
        walk_m = np.zeros(count)
        offset = np.zeros(count)
        snapped = xy.copy()
        covered = np.flatnonzero(shapely.contains_xy(self._coverage, x, y))
        if covered.size:
            points: npt.NDArray[np.object_] = np.asarray(shapely.points(xy[covered]))
            (hit, item), dist = self._tree.query_nearest(
                points, max_distance=self.max_snap_m, return_distance=True, all_matches=False
            )
            which = covered[hit]
            edges = self._tree_edges[item]
            edge[which] = edges
            walk_m[which] = dist
            offset[which] = shapely.line_locate_point(self._lines_xy[edges], points[hit])
            snapped[which] = shapely.get_coordinates(
                shapely.line_interpolate_point(self._lines_xy[edges], offset[which])
            )
        line_length = np.where(edge >= 0, self._line_length_xy[np.maximum(edge, 0)], 1.0)
        fraction = np.clip(offset / np.maximum(line_length, 1e-9), 0.0, 1.0)
        return _Snaps(edge=edge, fraction=fraction, walk_m=walk_m, snapped_xy=snapped)

    def _walk_between_doors(
        self,
        lonlat: FloatArray,
        rows: IntArray,
        travel_time_s: FloatArray,
        distance_m: FloatArray,
    ) -> None:
        """Walk straight between doors at most ``DOOR_WALK_M`` apart where that is quicker.

        ``rows`` are the matrix rows of the points ``lonlat``; the matrices change in place.
        Only close pairs are looked at (a k-d tree), so this stays cheap for large matrices.
        """
        x, y = self._to_utm.transform(lonlat[:, 0], lonlat[:, 1])
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(DOOR_WALK_M, output_type="ndarray")
        if len(pairs) == 0:
            return
        a, b = rows[pairs[:, 0]], rows[pairs[:, 1]]
        metres = np.hypot(x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]])
        seconds = metres / self._walk_mps
        for i, j in ((a, b), (b, a)):
            quicker = seconds < travel_time_s[i, j]
            travel_time_s[i[quicker], j[quicker]] = seconds[quicker]
            distance_m[i[quicker], j[quicker]] = metres[quicker]

    def _road_pairs(self, edge: IntArray, fraction: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Road-only ``(travel_time_s, distance_m)`` between placed points; inf if unreachable."""
        m, n = len(edge), self.n_nodes
        graph, _ = self._augmented(edge, fraction, with_links=False)
        targets = n + m + np.arange(m)
        rows_per_chunk = max(1, CHUNK_BYTES // (8 * (n + 2 * m)))
        travel_time_s = np.empty((m, m))
        distance_m = np.empty((m, m))
        for start in range(0, m, rows_per_chunk):
            stop = min(m, start + rows_per_chunk)
            sources = n + np.arange(start, stop)
            packed = dijkstra(graph, directed=True, indices=sources, min_only=False)[:, targets]
            finite = np.isfinite(packed)
            if finite.any() and packed[finite].max() >= _EXACT_LIMIT:
                msg = "a path is too long for packed time/length weights (over 1,677 km or 149 h)"
                raise ValueError(msg)
            time_ms = np.floor(packed / _SCALE)
            travel_time_s[start:stop] = np.where(finite, time_ms / 1000.0, np.inf)
            distance_m[start:stop] = np.where(finite, (packed - time_ms * _SCALE) / 10.0, np.inf)
        return travel_time_s, distance_m

    def _augmented(
        self, edge: IntArray, fraction: FloatArray, *, with_links: bool
    ) -> tuple[csr_matrix, dict[tuple[int, int], _Link]]:
        """The base graph plus a source (n + i) and a target (n + m + i) node per point."""
        m, n = len(edge), self.n_nodes
        # Each point sits on its edge and, on a two-way street, on the opposite edge too.
        rev = self._reverse[edge]
        two_way = np.flatnonzero(rev >= 0)
        point = np.concatenate([np.arange(m), two_way])
        on = np.concatenate([edge, rev[two_way]])
        at = np.concatenate([fraction, 1.0 - fraction[two_way]])
        tail, head = self._eu[on], self._ev[on]
        length_m = self._length_m[on]
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        starts: list[FloatArray] = []
        ends: list[FloatArray] = []
        edges: list[IntArray] = []

        def link(r: IntArray, c: IntArray, e: IntArray, f0: FloatArray, f1: FloatArray) -> None:
            rows.append(r)
            cols.append(c)
            edges.append(e)
            starts.append(f0)
            ends.append(f1)

        src, dst = n + point, n + m + point
        link(src, head, on, at, np.ones_like(at))  # leave forwards to the edge's head
        link(tail, dst, on, np.zeros_like(at), at)  # arrive from the edge's tail
        near_tail = np.flatnonzero(at * length_m <= NODE_TOLERANCE_M)
        link(src[near_tail], tail[near_tail], on[near_tail], at[near_tail], at[near_tail] * 0)
        near_head = np.flatnonzero((1 - at) * length_m <= NODE_TOLERANCE_M)
        link(head[near_head], dst[near_head], on[near_head], at[near_head] * 0 + 1, at[near_head])
        # Two points on the same edge: drive straight from one to the next one ahead.
        order = np.argsort(on, kind="stable")
        bounds = np.flatnonzero(np.diff(on[order])) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            i, j = np.meshgrid(group, group, indexing="ij")
            ahead = (point[i] != point[j]) & (at[j] >= at[i])
            i, j = i[ahead], j[ahead]
            link(src[i], dst[j], on[i], at[i], at[j])
        r, c, e = np.concatenate(rows), np.concatenate(cols), np.concatenate(edges)
        f0, f1 = np.concatenate(starts), np.concatenate(ends)
        share = np.abs(f1 - f0)
        weight = _pack(share * self._travel_time_s[e], share * self._length_m[e])
        # Keep the cheapest of duplicate virtual edges (e.g. both ends of a very short edge).
        order = np.lexsort((weight, c, r))
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (r[order][1:] != r[order][:-1]) | (c[order][1:] != c[order][:-1])
        order = order[keep]
        size = n + 2 * m
        graph = csr_matrix(
            (
                np.concatenate([self._base_weight, weight[order]]),
                (
                    np.concatenate([self._base_rows, r[order]]),
                    np.concatenate([self._base_cols, c[order]]),
                ),
            ),
            shape=(size, size),
        )
        links: dict[tuple[int, int], _Link] = {}
        if with_links:
            for k in order.tolist():
                links[(int(r[k]), int(c[k]))] = _Link(int(e[k]), float(f0[k]), float(f1[k]))
        return graph, links

    def _route(
        self, origin: LonLat, destination: LonLat
    ) -> tuple[_Snaps, list[int], dict[tuple[int, int], _Link], float] | None:
        """The fastest leg by road, or None.

        Its snaps, augmented-graph node path, virtual links and door-to-door seconds (the
        walks to and from the road included).
        """
        if origin == destination:
            return None
        snaps = self._snap_many(as_lonlat_array([origin, destination]))
        if snaps.fallback.any():
            return None
        graph, links = self._augmented(snaps.edge, snaps.fraction, with_links=True)
        source, target = self.n_nodes, self.n_nodes + 3  # m = 2: sources n, n+1; targets n+2, n+3
        dist, pred = dijkstra(
            graph, directed=True, indices=source, return_predecessors=True, min_only=False
        )
        if not np.isfinite(dist[target]):
            return None
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        road_s = float(np.floor(dist[target] / _SCALE)) / 1000.0
        return snaps, path[::-1], links, road_s + float(snaps.walk_m.sum()) / self._walk_mps

    def _edge_between(self, a: int, b: int) -> int:
        """The edge the base graph uses from node index a to b."""
        position = int(np.searchsorted(self._base_keys, a * self.n_nodes + b))
        return int(self._base_edge[position])

    def _edge_part_xy(self, edge: int, start: float, end: float) -> FloatArray:
        line = self._lines_xy[edge]
        length = float(self._line_length_xy[edge])
        if abs(end - start) * length < 1e-6:
            point = shapely.line_interpolate_point(line, start, normalized=True)
            return shapely.get_coordinates(point)
        return shapely.get_coordinates(ops.substring(line, start, end, normalized=True))


def _pack(travel_time_s: FloatArray, length_m: FloatArray) -> FloatArray:
    """Pack time (ms) and length (dm) into one exact float64 weight; never 0 (no free edges)."""
    packed = np.rint(travel_time_s * 1000.0) * _SCALE + np.rint(length_m * 10.0)
    return np.maximum(packed, 1.0)


def _utm_crs(lonlat: FloatArray) -> pyproj.CRS:
    """WGS 84 / UTM zone of the points' centre (metres; Indonesia spans zones 46-54)."""
    centre_lon, centre_lat = (lonlat.min(axis=0) + lonlat.max(axis=0)) / 2
    zone = min(60, int((centre_lon + 180) // 6) + 1)
    return pyproj.CRS.from_epsg((32700 if centre_lat < 0 else 32600) + zone)


# --- one model per region and process --------------------------------------------------------

_MODELS: dict[tuple[str, str, str], TravelModel] = {}
_HASHES: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def travel_model_for(
    region_slug: str, *, search_dirs: Sequence[str | Path], cache_dir: str | Path
) -> TravelModel:
    """Return the region's travel model, built on first use and kept for the process.

    Parameters
    ----------
    region_slug
        Pack slug (or folder), found as by :func:`outreach.geo.packs.find_pack`.
    search_dirs
        Folders searched for packs (``REGIONS_DIRS``).
    cache_dir
        Road graph cache folder (``CACHE_DIR``).

    Returns
    -------
    TravelModel
        :class:`RoadNetwork` when the pack has roads, else :class:`FallbackNetwork` (its
        matrices say ``method="fallback"`` and mark every point as fallback).

    Raises
    ------
    RegionError
        The pack is missing or broken.
    """
    pack_dir = resolve_pack_dir(region_slug, search_dirs=search_dirs)
    roads_file = find_roads_file(pack_dir)
    # The boundary decides the clipping: an edited boundary file makes a new model too.
    boundary = (pack_dir / BOUNDARY_FILE).stat() if (pack_dir / BOUNDARY_FILE).is_file() else None
    key = (
        str(pack_dir),
        _cached_sha256(roads_file) if roads_file else "",
        f"{boundary.st_size}-{boundary.st_mtime_ns}" if boundary else "",
    )
    with _LOCK:  # one build at a time: two requests must not parse the same graph twice
        model = _MODELS.get(key)
        if model is None:
            model = _build_model(pack_dir, roads_file, cache_dir=cache_dir)
            _MODELS[key] = model
    return model


def clear_travel_models() -> None:
    """Forget the models built so far (tests; after replacing a pack's files)."""
    with _LOCK:
        _MODELS.clear()
        _HASHES.clear()


def _build_model(pack_dir: Path, roads_file: Path | None, *, cache_dir: str | Path) -> TravelModel:
    if roads_file is None:
        logger.info("Region %s has no roads: great-circle fallback", pack_dir.name)
        return FallbackNetwork()
    pack = find_pack(str(pack_dir), search_dirs=[])
    G = load_road_graph(roads_file, boundary=pack.boundary, cache_dir=cache_dir)
    return RoadNetwork(G)


def _cached_sha256(path: Path) -> str:
    """SHA-256 of a file, recomputed only when its size or mtime changes."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]
