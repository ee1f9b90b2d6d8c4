"""Road graphs: read a pack's road file, clip it to the region, add travel times, cache it.

The built graph is an osmnx MultiDiGraph in EPSG:4326 whose edges carry ``length`` (m),
``speed_kph`` and ``travel_time`` (s). Building Kota Yogyakarta takes a few seconds (osmnx's XML
parsing dominates), so the result is pickled in the cache folder under a key made of the road
file's SHA-256, the boundary and the build parameters; the next load reads the pickle.

Speeds
------
Where OSM tags a ``maxspeed`` it is used. Elsewhere :data:`URBAN_SPEEDS_KMH` applies: typical
speeds of a car in Indonesian city traffic by highway type (not legal limits, which are 50-80
km/h and rarely reached in a kota). Highway types missing from the table take the mean tagged
``maxspeed`` of their type, else :data:`FALLBACK_SPEED_KMH`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import shapely
from shapely.geometry.base import BaseGeometry

from outreach.errors import RegionError
from outreach.geo import _osm

logger = logging.getLogger(__name__)

# Bump when anything below changes the built graph (filter, clipping, speeds): old cache files
# are then simply not found again and the graph is rebuilt.
BUILD_VERSION = "roads-v2"  # v2: motorbike-only ways kept aside

URBAN_SPEEDS_KMH: dict[str, float] = {
    "motorway": 60.0,  # toll roads (e.g. Balikpapan-Samarinda): still urban at the ends
    "motorway_link": 40.0,
    "trunk": 40.0,  # national roads through the city: heavy, mixed traffic
    "trunk_link": 30.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 25.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,  # narrow kampung streets, parked motorbikes, children
    "living_street": 20.0,
    "service": 20.0,
    "road": 20.0,
    "busway": 30.0,
}
FALLBACK_SPEED_KMH = 20.0

# A team on motorbikes (TeamSpec.profile "motor"): typical speeds of a motorbike in Indonesian
# city traffic by highway type. Motorbikes filter through queues, so they are quicker than a car
# on busy and narrow roads; maxspeed tags are not used (they bound cars on open roads). Toll
# roads are closed to them (PP 15/2005 on toll roads, art. 38: toll roads are for vehicles of two
# axles or more; PP 44/2009 allows separate motorbike lanes, which OSM maps as other ways).
MOTORBIKE_SPEEDS_KMH: dict[str, float] = {
    "trunk": 40.0,
    "trunk_link": 30.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 20.0,
    "service": 20.0,
    "road": 25.0,
    "busway": 30.0,
    # Ways only a motorbike may use (gang, alleys, paths open to motorbikes), when a pack has them.
    "track": 15.0,
    "path": 12.0,
    "footway": 10.0,
    "pedestrian": 10.0,
    "cycleway": 15.0,
    "bridleway": 10.0,
}
GANG_SPEED_KMH = 15.0  # at most, on a way only motorbikes may use
# Edge attribute of graphs built from a line layer: the class's motorbike km/h (0: closed).
MOTOR_SPEED_ATTR = "motor_speed_kph"
MOTORBIKE_BANNED: frozenset[str] = frozenset({"motorway", "motorway_link"})


def load_road_graph(
    roads_file: str | Path,
    *,
    boundary: BaseGeometry,
    cache_dir: str | Path,
    margin_m: float = 500.0,
) -> nx.MultiDiGraph:
    """Load a region's routable road graph, from the cache when it was built before.

    Parameters
    ----------
    roads_file
        ``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf`` (OSM data; only drivable ways are
        used, as osmnx's ``drive`` network type), ``.graphml`` or ``.graphml.gz`` (osmnx).
    boundary
        Region outline in EPSG:4326; roads are kept within ``margin_m`` of it.
    cache_dir
        Folder for built graphs (created if missing).
    margin_m
        Buffer around the boundary, in metres, so routes may leave the region briefly.

    Returns
    -------
    G
        The largest strongly connected part of the clipped roads, with ``travel_time`` (s) on
        every edge. ``G.graph`` also holds ``source_sha256``, ``cache_file`` and
        ``loaded_from_cache`` (False when this call built the graph).

    Raises
    ------
    RegionError
        The file is missing, unreadable, not road data, or has no roads near the boundary.
    """
    path = Path(roads_file)
    if path.name == "roads.json":  # a government line layer: outreach/geo/lines.py
        from outreach.geo.lines import load_line_graph  # lines imports this module

        return load_line_graph(path, boundary=boundary, cache_dir=cache_dir, margin_m=margin_m)
    if not path.is_file():
        msg = f"Road file {path} does not exist"
        raise RegionError(msg)
    source_sha256 = file_sha256(path)
    cache_file = cache_path_for(
        path, source_sha256=source_sha256, boundary=boundary, margin_m=margin_m, cache_dir=cache_dir
    )
    G = _read_cache(cache_file)
    if G is None:
        G = build_road_graph(path, boundary=boundary, margin_m=margin_m)
        G.graph.update(
            source_file=str(path), source_sha256=source_sha256, build_version=BUILD_VERSION
        )
        _write_cache(G, cache_file)
        G.graph["loaded_from_cache"] = False
    else:
        G.graph["loaded_from_cache"] = True
    G.graph["cache_file"] = str(cache_file)
    return G


def build_road_graph(
    roads_file: Path, *, boundary: BaseGeometry, margin_m: float = 500.0
) -> nx.MultiDiGraph:
    """Build the routable graph without touching the cache (see :func:`load_road_graph`)."""
    G = _osm.read_raw_graph(roads_file)
    G = clip_to_boundary(G, boundary=boundary, margin_m=margin_m, roads_file=roads_file)
    # Ways only motorbikes may use are kept aside (G.graph["motorbike_only"]) for
    # motorbike_graph; the car's graph is the rest.
    motorbike_only = _take_motorbike_only(G)
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_edges() == 0:
        msg = f"{roads_file}: the roads near the boundary do not form a connected network"
        raise RegionError(msg)
    G = ox.routing.add_edge_speeds(G, hwy_speeds=URBAN_SPEEDS_KMH, fallback=FALLBACK_SPEED_KMH)
    G = ox.routing.add_edge_travel_times(G)
    G.graph["margin_m"] = float(margin_m)
    G.graph["motorbike_only"] = motorbike_only
    logger.info("Built road graph from %s: %d nodes, %d edges", roads_file, len(G), len(G.edges))
    return G


def _take_motorbike_only(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Remove the motorbike-only edges from ``G``; return them and their nodes (x, y)."""
    edges = [
        (u, v, k, dict(data))
        for u, v, k, data in G.edges(keys=True, data=True)
        if data.get(_osm.MOTORBIKE_ONLY_TAG)
    ]
    G.remove_edges_from([(u, v, k) for u, v, k, _ in edges])
    nodes = {
        n: {"x": float(G.nodes[n]["x"]), "y": float(G.nodes[n]["y"])}
        for u, v, _, _ in edges
        for n in (u, v)
    }
    G.remove_nodes_from([n for n in nodes if G.degree(n) == 0])
    return {"nodes": nodes, "edges": [(u, v, data) for u, v, _, data in edges]}


def clip_to_boundary(
    G: nx.MultiDiGraph, *, boundary: BaseGeometry, margin_m: float, roads_file: Path
) -> nx.MultiDiGraph:
    """Keep the nodes within ``margin_m`` of ``boundary`` (buffered in UTM metres)."""
    area = gpd.GeoSeries([boundary], crs="EPSG:4326")
    utm = area.estimate_utm_crs()
    polygon = area.to_crs(utm).buffer(margin_m).to_crs("EPSG:4326").iloc[0]
    bounds = _node_bounds(G)
    if not shapely.intersects(polygon, shapely.box(*bounds)):
        msg = (
            f"{roads_file}: the roads (lon {bounds[0]:.4f}..{bounds[2]:.4f}, lat "
            f"{bounds[1]:.4f}..{bounds[3]:.4f}) lie outside the region boundary"
        )
        raise RegionError(msg)
    try:
        return ox.truncate.truncate_graph_polygon(G, polygon)
    except ValueError as exc:  # osmnx: "Found no graph nodes within the requested polygon"
        msg = f"{roads_file}: no road nodes lie within {margin_m:.0f} m of the region boundary"
        raise RegionError(msg) from exc


def check_roads_cover_boundary(
    roads_file: Path, *, boundary: BaseGeometry, G: nx.MultiDiGraph | None = None
) -> None:
    """Raise RegionError when the road extent does not intersect the region boundary.

    Uses the nodes of ``G`` when given (cheap), else scans the file's node locations.
    """
    bounds = _node_bounds(G) if G is not None else _osm.read_road_bounds(roads_file)
    if not shapely.intersects(boundary, shapely.box(*bounds)):
        msg = (
            f"{roads_file}: the roads (lon {bounds[0]:.4f}..{bounds[2]:.4f}, lat "
            f"{bounds[1]:.4f}..{bounds[3]:.4f}) lie outside the region boundary"
        )
        raise RegionError(msg)


def cache_path_for(
    roads_file: Path,
    *,
    source_sha256: str,
    boundary: BaseGeometry,
    margin_m: float,
    cache_dir: str | Path,
) -> Path:
    """Return the cache file for this source, boundary and build parameters."""
    key = hashlib.sha256()
    key.update(source_sha256.encode())
    key.update(f"|{BUILD_VERSION}|{margin_m:.3f}|".encode())
    key.update(shapely.to_wkb(boundary, output_dimension=2))
    stem = f"{roads_file.parent.name}-{roads_file.name.split('.')[0]}"
    return Path(cache_dir) / f"{stem}-{key.hexdigest()[:24]}.graph.pickle"


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror or exc})"
        raise RegionError(msg) from exc
    return digest.hexdigest()


def _node_bounds(G: nx.MultiDiGraph) -> tuple[float, float, float, float]:
    xs = [float(x) for _, x in G.nodes(data="x")]
    ys = [float(y) for _, y in G.nodes(data="y")]
    return min(xs), min(ys), max(xs), max(ys)


def _read_cache(cache_file: Path) -> nx.MultiDiGraph | None:
    if not cache_file.is_file():
        return None
    try:
        with cache_file.open("rb") as handle:
            G = pickle.load(handle)  # our own cache folder: trusted
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
        logger.warning("Ignoring unreadable road graph cache %s (%s); rebuilding", cache_file, exc)
        return None
    if not isinstance(G, nx.MultiDiGraph):
        logger.warning("Ignoring road graph cache %s: not a graph; rebuilding", cache_file)
        return None
    return G


def _write_cache(G: nx.MultiDiGraph, cache_file: Path) -> None:
    """Write atomically (temp file + rename) so a concurrent reader never sees half a file."""
    tmp_name: str | None = None
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=cache_file.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(G, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp_name, cache_file)
    except OSError as exc:
        # A read-only or full cache folder costs speed, not correctness: keep the built graph.
        logger.warning("Could not write road graph cache %s: %s", cache_file, exc)
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def motorbike_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of a built road graph timed for motorbikes (travel profile ``"motor"``).

    Edges get ``speed_kph`` from :data:`MOTORBIKE_SPEEDS_KMH` by highway type (a list of types:
    their mean; a type not in the table, or no type, keeps the car speed) and ``travel_time``
    (s) = length / speed. Toll roads (:data:`MOTORBIKE_BANNED`) are removed, and then only the
    largest strongly connected part is kept, as for cars. Ways only a motorbike may use (gang,
    alleys: kept aside in ``G.graph["motorbike_only"]`` when the road file has them) are
    added back. The shared packs are drive extracts without such ways: there a motorbike uses
    the car's ways.

    A graph built from a line layer (:mod:`outreach.geo.lines`) has no highway types: its
    edges carry the motorbike speed of their class (``motor_speed_kph``, from the pack's
    ``motorbike_speeds_kmh``; 0 closes the edge to motorbikes), which wins over the table and
    over the gang cap; its classes only motorbikes use are in ``G.graph["motorbike_only"]``
    like OSM gangs. Without that key in ``roads.json`` the edges keep the car's speed.

    Raises
    ------
    RegionError
        Nothing is left once toll roads are removed.
    """
    motor = G.copy()
    extra = G.graph.get("motorbike_only") or {"nodes": {}, "edges": []}
    for node, xy in extra["nodes"].items():
        if node not in motor:
            motor.add_node(node, **xy)
    for u, v, data in extra["edges"]:
        motor.add_edge(u, v, **data)
    banned = [
        (u, v, k)
        for u, v, k, data in motor.edges(keys=True, data=True)
        if (
            _highway_types(data.get("highway"))
            and _highway_types(data.get("highway")) <= MOTORBIKE_BANNED
        )
        or data.get(MOTOR_SPEED_ATTR) == 0
    ]
    motor.remove_edges_from(banned)
    if banned or extra["edges"]:
        motor = ox.truncate.largest_component(motor, strongly=True)
    if motor.number_of_edges() == 0:
        msg = "no road is left for motorbikes once toll roads are removed"
        raise RegionError(msg)
    for _u, _v, data in motor.edges(data=True):
        known = [
            MOTORBIKE_SPEEDS_KMH[t]
            for t in sorted(_highway_types(data.get("highway")))
            if t in MOTORBIKE_SPEEDS_KMH
        ]
        speed = (
            sum(known) / len(known) if known else float(data.get("speed_kph", FALLBACK_SPEED_KMH))
        )
        if data.get(_osm.MOTORBIKE_ONLY_TAG):
            speed = min(speed, GANG_SPEED_KMH)  # a gang: slow whatever its tag
        if data.get(MOTOR_SPEED_ATTR):  # a line layer's class speed (roads.json)
            speed = float(data[MOTOR_SPEED_ATTR])
        data["speed_kph"] = speed
        data["travel_time"] = float(data["length"]) / (speed / 3.6)
    motor.graph["profile"] = "motor"
    return motor


def _highway_types(highway: object) -> frozenset[str]:
    values = highway if isinstance(highway, list) else [highway]
    return frozenset(str(v) for v in values if v)
