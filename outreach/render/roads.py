"""The road network as a light GeoJSON base layer, for maps drawn without tile servers.

One feature per road class (``utama``, ``sekunder``, ``lokal``, ``layanan``), each a
MultiLineString of merged, simplified lines with coordinates rounded to about a metre: the
whole of Kota Yogyakarta is a few hundred kilobytes, and much less gzipped. The result is
written once per road source to a cache folder (keyed by the caller, normally the hash of the
road file) and served as a static file from then on.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

from outreach.render.elements import OSM_CREDIT

# OSM highway values per drawing class; anything not listed is drawn as "layanan".
ROAD_CLASS_OF: dict[str, str] = {
    **dict.fromkeys(
        ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"),
        "utama",
    ),
    **dict.fromkeys(("secondary", "secondary_link", "tertiary", "tertiary_link"), "sekunder"),
    **dict.fromkeys(("residential", "living_street", "unclassified", "road"), "lokal"),
}
# Draw order (first at the bottom): big roads stay on top of the small ones.
CLASS_ORDER = ("layanan", "lokal", "sekunder", "utama")
# About 2 m at the equator: invisible at street zoom, halves the vertex count.
SIMPLIFY_DEG = 0.00002
DECIMALS = 5  # about 1.1 m


@dataclass(frozen=True)
class RoadGeoJsonFiles:
    """The cached road layer: plain and gzip-compressed GeoJSON of the same content."""

    plain: Path
    gzipped: Path
    key: str


def road_class(highway: Any) -> str:
    """Drawing class of an OSM ``highway`` tag (a list, as osmnx merges ways: the biggest wins).

    Parameters
    ----------
    highway
        The tag value: a string, a list of strings, or None.

    Returns
    -------
    str
        One of ``utama``, ``sekunder``, ``lokal``, ``layanan``.
    """
    values = highway if isinstance(highway, list | tuple) else [highway]
    classes = {ROAD_CLASS_OF.get(str(v), "layanan") for v in values}
    return max(classes, key=CLASS_ORDER.index)


def iter_road_lines(G: nx.MultiDiGraph) -> Iterator[tuple[str, LineString]]:
    """Yield ``(class, line)`` for every road of an osmnx-style graph, each street once.

    Both directions of a two-way street are separate edges in a directed graph; only one is
    kept (the pair of end nodes, in either order, with the same shape).

    Parameters
    ----------
    G
        Nodes with ``x``/``y`` (lon/lat); edges with ``highway`` and optional ``geometry``.
    """
    seen: set[tuple[int, int, int]] = set()
    for u, v, key, data in G.edges(keys=True, data=True):
        pair = (min(u, v), max(u, v), key)
        if pair in seen:
            continue
        seen.add(pair)
        geometry = data.get("geometry")
        if geometry is None:
            start, end = G.nodes[u], G.nodes[v]
            geometry = LineString([(start["x"], start["y"]), (end["x"], end["y"])])
        yield road_class(data.get("highway")), geometry


def make_road_geojson(lines: Iterable[tuple[str, LineString]]) -> dict[str, Any]:
    """Merge, simplify and round road lines into a GeoJSON FeatureCollection.

    Parameters
    ----------
    lines
        ``(class, LineString)`` pairs in EPSG:4326, e.g. from :func:`iter_road_lines`.

    Returns
    -------
    dict
        A FeatureCollection with one MultiLineString feature per class (property ``kelas``),
        in :data:`CLASS_ORDER`, and an ``attribution`` member crediting OpenStreetMap.
    """
    by_class: dict[str, list[LineString]] = {name: [] for name in CLASS_ORDER}
    for name, line in lines:
        by_class.setdefault(name, []).append(line)
    features = []
    for name in CLASS_ORDER:
        if not by_class[name]:
            continue
        merged = linemerge(MultiLineString(by_class[name]))
        simple = shapely.simplify(merged, SIMPLIFY_DEG, preserve_topology=False)
        coords = [_rounded(part) for part in _parts(simple)]
        coords = [c for c in coords if len(c) >= 2]
        features.append(
            {
                "type": "Feature",
                "properties": {"kelas": name},
                "geometry": {"type": "MultiLineString", "coordinates": coords},
            }
        )
    return {"type": "FeatureCollection", "attribution": OSM_CREDIT, "features": features}


def cached_road_geojson(
    *, cache_dir: Path, key: str, load_graph: Callable[[], nx.MultiDiGraph]
) -> RoadGeoJsonFiles:
    """Return the road layer files for ``key``, building them from the graph the first time.

    Parameters
    ----------
    cache_dir
        Folder for the files (created when missing).
    key
        Identifies the road source, e.g. the hash of the road file; a new key builds new files.
    load_graph
        Called only when the files are missing (loading a graph can take seconds).

    Returns
    -------
    RoadGeoJsonFiles
    """
    safe_key = "".join(ch for ch in key if ch.isalnum() or ch in "-_")[:80] or "roads"
    plain = cache_dir / f"roads-{safe_key}.geojson"
    gzipped = plain.with_name(plain.name + ".gz")
    if not (plain.is_file() and gzipped.is_file()):
        data = make_road_geojson(iter_road_lines(load_graph()))
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a second process never reads half a file.
        _write_atomic(gzipped, gzip.compress(body, compresslevel=9, mtime=0))
        _write_atomic(plain, body)
    return RoadGeoJsonFiles(plain=plain, gzipped=gzipped, key=safe_key)


def _parts(geometry: Any) -> list[LineString]:
    if isinstance(geometry, LineString):
        return [geometry]
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, LineString)]


def _rounded(line: LineString) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in line.coords:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _write_atomic(path: Path, body: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
