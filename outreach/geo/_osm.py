"""Read road files (OSM XML / PBF via pyosmium, osmnx GraphML) into raw drivable graphs.

Private to :mod:`outreach.geo.roads`, which clips, adds speeds and caches. Every way of failing
to read a file ends in :class:`~outreach.errors.RegionError` naming the file.
"""

from __future__ import annotations

import gzip
import logging
import tempfile
import xml.sax
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import networkx as nx
import osmium
import osmnx as ox
from osmnx._errors import InsufficientResponseError

from outreach.errors import RegionError

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf")
GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")

# Mirrors osmnx's network_type="drive" (osmnx/_overpass.py), so a pack made from a Geofabrik
# extract routes on the same ways as one downloaded with osmnx or the Overpass drive filter.
NON_DRIVABLE_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bridleway",
        "bus_guideway",
        "construction",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "no",
        "path",
        "pedestrian",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "service",
        "services",
        "steps",
        "track",
    }
)
NON_DRIVABLE_SERVICES = frozenset(
    {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"}
)

# Ways a motorbike may use but a car may not (a gang, an alley): kept beside the car's roads
# for teams on motorbikes (outreach.geo.roads.motorbike_graph). Ways never ridden:
NEVER_RIDDEN_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "corridor",
        "elevator",
        "escalator",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "steps",
    }
)
MOTORBIKE_ACCESS = frozenset({"yes", "designated", "permissive"})
# The tag our reader puts on motorbike-only ways (kept on their edges through osmnx).
MOTORBIKE_ONLY_TAG = "jb_motorbike_only"

# What a broken or foreign file makes the readers raise; all become RegionError. osmium reports
# XML, PBF and compression errors as RuntimeError; networkx/osmnx raise the rest.
_READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    RuntimeError,
    AttributeError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    ParseError,
    xml.sax.SAXException,
    zlib.error,
    nx.NetworkXError,
    InsufficientResponseError,
)


def file_kind(path: Path) -> str:
    """Return ``"osm"`` or ``"graphml"`` for a road file name, else raise RegionError."""
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(GRAPHML_SUFFIXES):
        return "graphml"
    msg = f"{path}: unknown road file type (expected one of {', '.join(OSM_SUFFIXES)}, "
    msg += f"{', '.join(GRAPHML_SUFFIXES)})"
    raise RegionError(msg)


def is_drivable(tags: Any) -> bool:
    """True for an OSM way a car may use (osmnx ``drive`` rules); ``tags`` maps key -> value."""
    highway = tags.get("highway")
    if not highway or highway in NON_DRIVABLE_HIGHWAYS:
        return False
    if tags.get("area") == "yes" or tags.get("access") == "private":
        return False
    if tags.get("motor_vehicle") == "no" or tags.get("motorcar") == "no":
        return False
    return tags.get("service") not in NON_DRIVABLE_SERVICES


def is_motorbike_only(tags: Any) -> bool:
    """True for an OSM way a motorbike may use but a car may not (``tags``: key -> value).

    A way a car may use is not one (:func:`is_drivable`). Otherwise: any ridable highway
    tagged ``motorcycle=yes|designated|permissive``; else, unless motorbikes or motor
    vehicles are barred (``motorcycle=no``, ``motor_vehicle=no``, ``access=no|private``), an
    alley (``highway=service`` + ``service=alley``: a gang) or a road closed to cars only
    (``motorcar=no``).
    """
    highway = tags.get("highway")
    if not highway or is_drivable(tags) or tags.get("area") == "yes":
        return False
    if highway in NEVER_RIDDEN_HIGHWAYS:
        return False
    if tags.get("motorcycle") in MOTORBIKE_ACCESS:
        return True
    if (
        tags.get("motorcycle") == "no"
        or tags.get("motor_vehicle") == "no"
        or tags.get("access") in ("no", "private")
    ):
        return False
    if highway == "service":
        return bool(tags.get("service") == "alley")
    return highway not in NON_DRIVABLE_HIGHWAYS and bool(tags.get("motorcar") == "no")


def read_raw_graph(path: Path) -> nx.MultiDiGraph:
    """Read a road file into an unclipped, simplified graph of drivable edges (EPSG:4326).

    OSM formats go through pyosmium (which reads .osm, .osm.gz, .osm.bz2 and .osm.pbf alike):
    drivable ways and the nodes they reference are written to a temporary plain OSM XML file,
    which osmnx turns into a graph. Ways only a motorbike may use (:func:`is_motorbike_only`)
    come along with ``MOTORBIKE_ONLY_TAG="yes"`` on their edges (never merged with a car's
    road by simplification). GraphML is read with osmnx as is (drivable edges only).
    """
    try:
        G = _read_osm(path) if file_kind(path) == "osm" else _read_graphml(path)
    except RegionError:
        raise
    except _READ_ERRORS as exc:
        msg = f"{path}: cannot read road data ({_first_line(exc)})"
        raise RegionError(msg) from exc
    _check_road_graph(G, path)
    return G


def read_road_bounds(path: Path) -> tuple[float, float, float, float]:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` of the road file's nodes, cheaply.

    For OSM formats this scans node locations with pyosmium (no graph is built); GraphML is
    small enough to load.
    """
    try:
        if file_kind(path) == "osm":
            xs: list[float] = []
            ys: list[float] = []
            for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
                if isinstance(node, osmium.osm.Node) and node.location.valid():
                    xs.append(node.location.lon)
                    ys.append(node.location.lat)
        else:
            G = _read_graphml(path)
            xs = [float(x) for _, x in G.nodes(data="x") if x is not None]
            ys = [float(y) for _, y in G.nodes(data="y") if y is not None]
    except RegionError:
        raise
    except _READ_ERRORS as exc:
        msg = f"{path}: cannot read road data ({_first_line(exc)})"
        raise RegionError(msg) from exc
    if not xs:
        msg = f"{path}: no road nodes found (not a road file?)"
        raise RegionError(msg)
    return min(xs), min(ys), max(xs), max(ys)


def _read_osm(path: Path) -> nx.MultiDiGraph:
    with tempfile.TemporaryDirectory(prefix="outreach-osm-") as tmp:
        plain = Path(tmp) / "drive.osm"
        ways = _write_drive_xml(path, plain)
        if ways == 0:
            msg = f"{path}: no drivable highway ways found (not a road file?)"
            raise RegionError(msg)
        # retain_all: clipping to the region comes first, then the largest strongly connected
        # component is kept (see roads.py); dropping parts before clipping could lose the city.
        saved = ox.settings.useful_tags_way
        ox.settings.useful_tags_way = [*saved, MOTORBIKE_ONLY_TAG]
        try:
            G = ox.graph_from_xml(plain, retain_all=True, simplify=False)
        finally:
            ox.settings.useful_tags_way = saved
        simple: nx.MultiDiGraph = ox.simplify_graph(G, edge_attrs_differ=[MOTORBIKE_ONLY_TAG])
        return simple


def _write_drive_xml(source: Path, target: Path) -> int:
    """Write drivable (and motorbike-only) ways and their nodes to plain OSM XML.

    Returns the number of ways written (0 when the file has no drivable way).

    Streaming passes with Python sets of node ids: osmium's BackReferenceWriter and
    IdTracker.add_references were 10x slower here on a kota extract.

    An extract cut to a bounding box (osmconvert, osmosis) keeps ways whose outside nodes were
    dropped. Such a way is split at its missing nodes: each run of at least two nodes that are
    in the file becomes a way of its own (the first keeps the way's id, the others get new
    negative ids), so nothing is joined across the gap and the file imports.
    """
    wanted: set[int] = set()
    ways = 0
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
        if not isinstance(way, osmium.osm.Way):
            continue
        if is_drivable(way.tags):
            wanted.update(ref.ref for ref in way.nodes)
            ways += 1
        elif is_motorbike_only(way.tags):
            wanted.update(ref.ref for ref in way.nodes)
    if ways == 0:
        return 0
    present = {
        node.id
        for node in osmium.FileProcessor(str(source), osmium.osm.NODE)
        if isinstance(node, osmium.osm.Node) and node.id in wanted and node.location.valid()
    }
    written = 0
    next_id = -1
    with osmium.SimpleWriter(str(target)) as writer:
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node):
                if obj.id in present:
                    writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                if is_drivable(obj.tags):
                    extra: dict[str, Any] = {}
                elif is_motorbike_only(obj.tags):
                    tags = {tag.k: tag.v for tag in obj.tags}
                    extra = {"tags": {**tags, MOTORBIKE_ONLY_TAG: "yes"}}
                else:
                    continue
                refs = [ref.ref for ref in obj.nodes]
                if all(r in present for r in refs):
                    writer.add_way(obj.replace(**extra) if extra else obj)
                    written += 1
                    continue
                for n, run in enumerate(_present_runs(refs, present)):
                    way_id = obj.id if n == 0 else next_id
                    if n:
                        next_id -= 1
                    writer.add_way(obj.replace(id=way_id, nodes=run, **extra))
                    written += 1
    return written


def _present_runs(refs: list[int], present: set[int]) -> list[list[int]]:
    """The runs of consecutive node ids in ``present``, of two nodes or more."""
    runs: list[list[int]] = [[]]
    for ref in refs:
        if ref in present:
            runs[-1].append(ref)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            G = ox.load_graphml(graphml_str=handle.read())
    else:
        G = ox.load_graphml(path)
    if not isinstance(G, nx.MultiDiGraph) or not G.is_directed():
        msg = f"{path}: not an osmnx road graph (expected a directed multigraph)"
        raise RegionError(msg)
    crs = str(G.graph.get("crs", "epsg:4326")).lower()
    if crs not in ("epsg:4326", "wgs84", "wgs 84"):
        # A projected graph saved by osmnx: bring it back to lon/lat like every other source.
        G = ox.projection.project_graph(G, to_latlong=True)
    drop = [(u, v, k) for u, v, k, hwy in G.edges(keys=True, data="highway") if _not_drive(hwy)]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n, degree in G.degree() if degree == 0])
    return G


def _not_drive(highway: Any) -> bool:
    values: Iterable[Any] = highway if isinstance(highway, list) else [highway]
    return all(not is_drivable({"highway": value}) for value in values)


def _check_road_graph(G: nx.MultiDiGraph, path: Path) -> None:
    if G.number_of_edges() == 0:
        msg = f"{path}: no drivable roads found (not a road file?)"
        raise RegionError(msg)
    for _, data in G.nodes(data=True):
        if not isinstance(data.get("x"), float) or not isinstance(data.get("y"), float):
            msg = f"{path}: not a road graph (nodes lack x/y coordinates)"
            raise RegionError(msg)
    missing_length = [
        (u, v, k) for u, v, k, length in G.edges(keys=True, data="length") if length is None
    ]
    if missing_length:
        ox.distance.add_edge_lengths(G, edges=missing_length)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
