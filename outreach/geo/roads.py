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
BUILD_VERSION = "roads-v1"

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
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_edges() == 0:
        msg = f"{roads_file}: the roads near the boundary do not form a connected network"
        raise RegionError(msg)
    G = ox.routing.add_edge_speeds(G, hwy_speeds=URBAN_SPEEDS_KMH, fallback=FALLBACK_SPEED_KMH)
    G = ox.routing.add_edge_travel_times(G)
    G.graph["margin_m"] = float(margin_m)
    logger.info("Built road graph from %s: %d nodes, %d edges", roads_file, len(G), len(G.edges))
    return G


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
