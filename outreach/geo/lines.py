"""Road graphs from a government line layer (RBI: GeoJSON, shapefile or GeoPackage lines).

A region pack may carry, instead of OSM data, a line layer such as the roads of the national
base map (Rupabumi Indonesia, RBI) with a class column and no OSM tags. The pack then holds a
configuration file, :data:`CONFIG_FILE` (``roads.json``)::

    {
      "file": "jalan_rbi.shp",
      "class_column": "REMARK",
      "speeds_kmh": {"Jalan Arteri": 40, "Jalan Kolektor": 35, "Jalan Lokal": 25,
                     "Jalan Lain": 20, "Jalan Setapak": null},
      "motorbike_speeds_kmh": {"Jalan Arteri": 40, "Jalan Kolektor": 35, "Jalan Lokal": 30,
                               "Jalan Lain": 25, "Jalan Setapak": 12},
      "snap_tolerance_m": 5,
      "oneway_column": null,
      "source": "RBI 1:25.000"
    }

``file`` (required): the line layer, relative to the pack folder (anything geopandas reads:
``.geojson``, ``.shp`` with its ``.dbf``/``.shx``/``.prj``, ``.gpkg``). ``class_column``
(required): the column holding the road class. ``speeds_kmh`` (required): class -> typical
driving speed in km/h; ``null`` or ``0`` leaves that class out (e.g. footpaths a car cannot
use). Classes match without regard to case and repeated spaces; a class found in the data but
missing from the mapping (and from ``motorbike_speeds_kmh``) is an error naming every such class
(there is no default speed: a guessed speed would silently skew every plan), and the key ``""``
maps lines with an empty class.
``snap_tolerance_m`` (default :data:`DEFAULT_SNAP_M`): line ends closer than this are joined,
and a line end this close to the middle of another line is joined to it there (the other line
is split). ``oneway_column`` (optional): a column whose ``yes``/``ya``/``true``/``1`` makes
the line one-way in its drawn direction, ``-1`` against it; every other line is two-way.
``source`` (optional): how plans name the road source; default ``RBI <file name>``.

``motorbike_speeds_kmh`` (optional): class -> typical speed of a motorbike in km/h, for teams
on motorbikes (travel profile ``"motor"``, :func:`outreach.geo.roads.motorbike_graph`); RBI
lines carry no OSM highway types, so :data:`outreach.geo.roads.MOTORBIKE_SPEEDS_KMH` cannot
apply. A class with a speed here and none in ``speeds_kmh`` (``null``, ``0`` or missing) is a
way only a motorbike can use, like a gang or a *jalan setapak*: it is kept out of the car's
graph and added to the motorbike's (``G.graph["motorbike_only"]``, as for OSM gangs). ``null``
or ``0`` here closes a class to motorbikes (a toll road); a class of ``speeds_kmh`` missing
here is ridden at the car's speed. Without the key a motorbike uses the car's ways at the car's
speeds, and the import report says so. The example above: on arteri and kolektor a motorbike
is as quick as a car, on lokal and lain roads it passes the parked cars (30 and 25 km/h), and
footpaths (setapak, 12 km/h) are open only to it.

Building (:func:`build_line_graph`): the lines are read with geopandas and projected to UTM;
line ends are snapped (shapely), the graph is made by :func:`momepy.gdf_to_nx`, clipped to the
region like the OSM graph (:func:`outreach.geo.roads.clip_to_boundary`) and reduced to its
largest *strongly* connected part (osmnx): the planner needs a trip between every two points
in both directions, which a merely weakly connected part does not give when one-way lines are
configured (without one-way lines the two are the same). Edges carry ``length`` (m),
``speed_kph`` and ``travel_time`` (s) like the OSM path, so :mod:`outreach.geo.network` routes
on it unchanged. What was snapped and dropped is in ``G.graph["line_report"]`` (see
:class:`LineReport`) and the source label in ``G.graph["road_source"]``.

The built graph is cached where :func:`outreach.geo.roads.load_road_graph` looks for the
pack's road file (the configuration file), so every caller of that function finds it after a
``region import``; :func:`load_line_graph` rebuilds it when the configuration or the line files
changed.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import osmnx as ox
import pandas as pd
import shapely
from shapely import ops
from shapely.geometry.base import BaseGeometry

from outreach.errors import RegionError
from outreach.geo import _osm
from outreach.geo.roads import (
    MOTOR_SPEED_ATTR,
    _read_cache,
    _take_motorbike_only,
    _write_cache,
    cache_path_for,
    clip_to_boundary,
    file_sha256,
)

logger = logging.getLogger(__name__)

CONFIG_FILE = "roads.json"
DEFAULT_SNAP_M = 5.0
MARGIN_M = 500.0  # as outreach.geo.roads.load_road_graph's default
LINES_BUILD_VERSION = "lines-v2"  # v2: motorbike speeds and motorbike-only classes
CRS = "EPSG:4326"
_ONEWAY_FORWARD = frozenset({"yes", "ya", "y", "true", "1", "t"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_CONFIG_KEYS = frozenset(
    {
        "file",
        "class_column",
        "speeds_kmh",
        "motorbike_speeds_kmh",
        "snap_tolerance_m",
        "oneway_column",
        "source",
    }
)


@dataclass(frozen=True)
class LineConfig:
    """The validated ``roads.json`` of a pack."""

    path: Path
    file: Path
    class_column: str
    speeds_kmh: dict[str, float | None]  # normalised class -> km/h (None: left out)
    snap_tolerance_m: float
    oneway_column: str | None
    source: str
    # normalised class -> km/h of a motorbike (None: closed to motorbikes); None: no such key
    motorbike_speeds_kmh: dict[str, float | None] | None = None


@dataclass(frozen=True)
class LineReport:
    """What building a graph from lines did (kept in ``G.graph["line_report"]`` as a dict)."""

    lines: int  # line features read (multi-lines counted per part)
    lines_excluded: int  # of a class mapped to no speed (e.g. footpaths)
    excluded_km: float
    endpoints_snapped: int  # line ends moved onto another line's end or onto a line
    lines_split: int  # lines split where another line's end was joined to their middle
    edges_built: int  # directed edges before clipping
    km_built: float  # road km (each line once) before clipping
    edges_clipped: int  # directed edges outside the region (+ margin)
    km_clipped: float
    parts_dropped: int  # strongly connected parts other than the largest one
    edges_dropped: int  # directed edges in those parts (or between them)
    km_dropped: float
    edges_kept: int
    km_kept: float
    motorbike_speeds: bool = False  # roads.json has motorbike_speeds_kmh
    motorbike_only_lines: int = 0  # lines of classes only motorbikes use (kept aside)
    motorbike_only_km: float = 0.0

    def describe(self) -> str:
        """One line for the terminal."""
        text = (
            f"{self.lines:,} lines, {self.endpoints_snapped:,} endpoints snapped"
            f" ({self.lines_split:,} lines split)"
        )
        if self.lines_excluded:
            text += f", {self.lines_excluded:,} lines without speed left out"
            text += f" ({self.excluded_km:.1f} km)"
        if self.edges_clipped:
            text += f", {self.edges_clipped:,} edges ({self.km_clipped:.1f} km) outside region"
        text += (
            f", {self.parts_dropped:,} disconnected parts dropped"
            f" ({self.edges_dropped:,} edges, {self.km_dropped:.2f} km)"
            f", kept {self.edges_kept:,} edges ({self.km_kept:.1f} km)"
        )
        if not self.motorbike_speeds:
            text += "; motorbikes: car speeds (no motorbike_speeds_kmh)"
        elif self.motorbike_only_lines:
            text += (
                f"; motorbikes: own speeds, {self.motorbike_only_lines:,} lines only for them"
                f" ({self.motorbike_only_km:.1f} km)"
            )
        else:
            text += "; motorbikes: own speeds"
        return text


def is_line_config(path: Path | str | None) -> bool:
    """True when ``path`` is a pack's line-layer configuration (``roads.json``)."""
    return path is not None and Path(path).name == CONFIG_FILE


def read_config(path: Path) -> LineConfig:
    """Read and validate a ``roads.json`` (see the module docstring).

    Raises
    ------
    RegionError
        The file is missing, not JSON, or lacks or misuses a key.
    """
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror or exc})"
        raise RegionError(msg) from exc
    except ValueError as exc:
        msg = f"{path} is not valid JSON: {str(exc).splitlines()[0]}"
        raise RegionError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{path}: expected a JSON object with file, class_column and speeds_kmh"
        raise RegionError(msg)
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_CONFIG_KEYS))
        msg = f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}"
        raise RegionError(msg)
    for key in ("file", "class_column"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            msg = f"{path}: '{key}' is required (text)"
            raise RegionError(msg)
    speeds = data.get("speeds_kmh")
    if not isinstance(speeds, dict) or not speeds:
        msg = f"{path}: 'speeds_kmh' is required: an object mapping each road class to km/h"
        raise RegionError(msg)
    parsed = _parse_speeds(path, "speeds_kmh", speeds)
    motor = data.get("motorbike_speeds_kmh")
    if motor is not None and (not isinstance(motor, dict) or not motor):
        msg = f"{path}: 'motorbike_speeds_kmh' must be an object mapping road classes to km/h"
        raise RegionError(msg)
    motor_parsed = None if motor is None else _parse_speeds(path, "motorbike_speeds_kmh", motor)
    tolerance = data.get("snap_tolerance_m", DEFAULT_SNAP_M)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not 0 <= tolerance <= 50
    ):
        msg = f"{path}: 'snap_tolerance_m' must be metres between 0 and 50, got {tolerance!r}"
        raise RegionError(msg)
    oneway = data.get("oneway_column")
    if oneway is not None and (not isinstance(oneway, str) or not oneway.strip()):
        msg = f"{path}: 'oneway_column' must be a column name or null"
        raise RegionError(msg)
    file = path.parent / data["file"].strip()
    if not file.is_file():
        msg = f"{path}: the line file {file.name} is not in the pack folder"
        raise RegionError(msg)
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        msg = f"{path}: 'source' must be text"
        raise RegionError(msg)
    return LineConfig(
        path=path,
        file=file,
        class_column=data["class_column"].strip(),
        speeds_kmh=parsed,
        snap_tolerance_m=float(tolerance),
        oneway_column=oneway.strip() if oneway else None,
        source=(source or "").strip() or f"RBI {file.name}",
        motorbike_speeds_kmh=motor_parsed,
    )


def _parse_speeds(path: Path, key: str, speeds: dict[str, Any]) -> dict[str, float | None]:
    """Normalised class -> km/h (``None`` for ``null`` or ``0``) of one speeds object."""
    parsed: dict[str, float | None] = {}
    for name, value in speeds.items():
        if value is None or value == 0:
            parsed[normalise_class(name)] = None
        elif isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 130:
            parsed[normalise_class(name)] = float(value)
        else:
            where = "" if key == "speeds_kmh" else f" in {key}"
            msg = (
                f"{path}: speed of class {name!r}{where} must be km/h between 1 and 130 "
                f"(or null), got {value!r}"
            )
            raise RegionError(msg)
    return parsed


def normalise_class(name: Any) -> str:
    """Class names compare case-insensitively with runs of spaces collapsed."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return " ".join(str(name).split()).casefold()


def load_line_graph(
    config_path: str | Path,
    *,
    boundary: BaseGeometry,
    cache_dir: str | Path,
    margin_m: float = MARGIN_M,
) -> nx.MultiDiGraph:
    """Load the pack's line-layer graph, from the cache when nothing changed since it was built.

    Same contract as :func:`outreach.geo.roads.load_road_graph` (``G.graph`` holds
    ``loaded_from_cache`` and ``cache_file``), plus ``road_source`` and ``line_report``.
    """
    path = Path(config_path)
    if not path.is_file():
        msg = f"Road configuration {path} does not exist"
        raise RegionError(msg)
    config = read_config(path)
    inputs_sha256 = _inputs_sha256(config)
    cache_file = cache_path_for(
        path,
        source_sha256=file_sha256(path),
        boundary=boundary,
        margin_m=margin_m,
        cache_dir=cache_dir,
    )
    G = _read_cache(cache_file)
    if G is not None and G.graph.get("lines_sha256") == inputs_sha256:
        G.graph["loaded_from_cache"] = True
    else:
        G = build_line_graph(config, boundary=boundary, margin_m=margin_m)
        G.graph.update(
            source_file=str(path),
            source_sha256=file_sha256(path),
            lines_sha256=inputs_sha256,
            build_version=LINES_BUILD_VERSION,
        )
        _write_cache(G, cache_file)
        G.graph["loaded_from_cache"] = False
    G.graph["cache_file"] = str(cache_file)
    return G


def line_report(G: nx.MultiDiGraph) -> LineReport | None:
    """The :class:`LineReport` of a graph built from lines, else None (OSM graphs)."""
    data = G.graph.get("line_report")
    return LineReport(**data) if isinstance(data, dict) else None


def build_line_graph(
    config: LineConfig, *, boundary: BaseGeometry, margin_m: float = MARGIN_M
) -> nx.MultiDiGraph:
    """Build the routable graph from the configured lines (no cache; see the module docs)."""
    lines = read_lines(config)
    utm = lines.estimate_utm_crs()
    lines = lines.to_crs(utm)
    n_lines = len(lines)
    speeds = lines["_class"].map(lambda c: _speed(config.speeds_kmh, c))
    motor = lines["_class"].map(lambda c: _speed(config.motorbike_speeds_kmh, c, closed=0.0))
    motor_only = speeds.isna() & (motor > 0)
    excluded = speeds.isna() & ~motor_only
    excluded_km = float(lines.geometry[excluded].length.sum()) / 1000.0
    if not (~speeds.isna()).any():
        msg = f"{config.file}: every line is of a class without speed; nothing to route on"
        raise RegionError(msg)
    lines["speed_kph"] = speeds
    lines[MOTOR_SPEED_ATTR] = motor
    lines[_osm.MOTORBIKE_ONLY_TAG] = motor_only
    lines = lines[~excluded].copy()
    # Motorbike-only lines are snapped with the others, so a gang joins the roads it links.
    lines, snapped, split = snap_endpoints(lines, config.snap_tolerance_m)
    G = _graph_from_lines(lines, utm)
    edges_built = G.number_of_edges()
    km_built = _road_km(G)
    G = clip_to_boundary(G, boundary=boundary, margin_m=margin_m, roads_file=config.file)
    edges_clipped, km_clipped = edges_built - G.number_of_edges(), km_built - _road_km(G)
    # Kept aside for outreach.geo.roads.motorbike_graph; the car's graph is the rest.
    motorbike_only = _take_motorbike_only(G)
    motor_only_km = sum(
        float(d["length"]) * (1.0 if d.get("oneway") else 0.5) for *_, d in motorbike_only["edges"]
    )
    parts = nx.number_strongly_connected_components(G)
    edges_before, km_before = G.number_of_edges(), _road_km(G)
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_edges() == 0:
        msg = f"{config.file}: the lines near the boundary do not form a connected network"
        raise RegionError(msg)
    G = ox.routing.add_edge_travel_times(G)
    report = LineReport(
        lines=n_lines,
        lines_excluded=int(excluded.sum()),
        excluded_km=round(excluded_km, 3),
        endpoints_snapped=snapped,
        lines_split=split,
        edges_built=edges_built,
        km_built=round(km_built, 3),
        edges_clipped=edges_clipped,
        km_clipped=round(km_clipped, 3),
        parts_dropped=parts - 1,
        edges_dropped=edges_before - G.number_of_edges(),
        km_dropped=round(km_before - _road_km(G), 3),
        edges_kept=G.number_of_edges(),
        km_kept=round(_road_km(G), 3),
        motorbike_speeds=config.motorbike_speeds_kmh is not None,
        motorbike_only_lines=int(motor_only.sum()),
        motorbike_only_km=round(motor_only_km / 1000.0, 3),
    )
    G.graph.update(
        road_source=config.source,
        line_report=asdict(report),
        margin_m=float(margin_m),
        motorbike_only=motorbike_only,
    )
    logger.info("Built road graph from %s: %s", config.file, report.describe())
    return G


def read_lines(config: LineConfig) -> gpd.GeoDataFrame:
    """Read the line layer: columns ``_class`` (normalised), ``_oneway`` (-1/0/1), geometry.

    Raises
    ------
    RegionError
        Missing or unreadable file, missing column, no lines, or classes without a speed.
    """
    path = config.file
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types (DataSourceError, ValueError ...)
        msg = f"{path}: cannot read the line layer ({str(exc).splitlines()[0][:200]})"
        raise RegionError(msg) from exc
    for column in (config.class_column, config.oneway_column):
        if column is not None and column not in frame.columns:
            columns = ", ".join(str(c) for c in frame.columns if c != "geometry")
            msg = f"{path}: no column {column!r} (columns: {columns})"
            raise RegionError(msg)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
    if frame.empty:
        msg = f"{path}: no line features found (not a road line layer?)"
        raise RegionError(msg)
    if frame.crs is None:
        min_lon, min_lat, max_lon, max_lat = frame.total_bounds
        if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
            msg = f"{path}: no coordinate system given (.prj) and coordinates are not lon/lat"
            raise RegionError(msg)
        frame = frame.set_crs(CRS)
    classes = frame[config.class_column].map(normalise_class)
    known = set(config.speeds_kmh) | set(config.motorbike_speeds_kmh or ())
    missing = sorted(
        {
            str(raw).strip() if normalise_class(raw) else "(empty)"
            for raw, norm in zip(frame[config.class_column], classes, strict=True)
            if norm not in known
        }
    )
    if missing:
        msg = (
            f"{config.path}: speeds_kmh has no speed for road class(es) "
            f"{', '.join(repr(c) for c in missing)} found in column "
            f"{config.class_column!r} of {path.name}"
        )
        raise RegionError(msg)
    oneway = (
        frame[config.oneway_column].map(_oneway_value)
        if config.oneway_column
        else pd.Series(0, index=frame.index)
    )
    out = gpd.GeoDataFrame(
        {"_class": classes, "_oneway": oneway}, geometry=frame.geometry, crs=frame.crs
    )
    out = out.explode(index_parts=False, ignore_index=True)
    return out[shapely.length(out.geometry.to_numpy()) > 0].reset_index(drop=True)


def snap_endpoints(
    lines: gpd.GeoDataFrame, tolerance_m: float
) -> tuple[gpd.GeoDataFrame, int, int]:
    """Join line ends that nearly meet (``lines`` in metres); return (lines, snapped, split).

    1. Ends within ``tolerance_m`` of each other (clusters, by shapely buffers) move to the
       cluster's centre, so they become one graph node.
    2. An end still alone (no other line starts or ends there) and within ``tolerance_m`` of
       another line's middle moves onto that line, which is split there (a T-junction the
       layer drew without a shared vertex).

    ``snapped`` counts the ends that moved (by more than a millimetre); ``split`` the lines
    cut in two or more.
    """
    geoms = np.array(lines.geometry.to_numpy(), dtype=object)
    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(geoms, 0)),
            shapely.get_coordinates(shapely.get_point(geoms, -1)),
        ]
    )  # rows 0..n-1: starts, n..2n-1: ends
    new_ends = ends.copy()
    cuts: dict[int, list[npt.NDArray[np.float64]]] = {}
    if tolerance_m > 0:
        new_ends = _join_ends(ends, tolerance_m)
        geoms = _with_ends(geoms, new_ends)
        cuts = _join_ends_to_lines(geoms, new_ends, tolerance_m)
        geoms = _with_ends(geoms, new_ends)
    snapped = int((np.hypot(*(new_ends - ends).T) > 1e-3).sum())
    rows: list[tuple[int, BaseGeometry]] = []
    for i, geom in enumerate(geoms):
        for piece in _split(geom, cuts.get(i, [])):
            if piece.length > 1e-6:  # a short line whose two ends were joined: nothing left
                rows.append((i, piece))
    index = [i for i, _ in rows]
    out = gpd.GeoDataFrame(
        lines.drop(columns="geometry").iloc[index].reset_index(drop=True),
        geometry=[g for _, g in rows],
        crs=lines.crs,
    )
    return out, snapped, len(cuts)


def _join_ends(ends: npt.NDArray[np.float64], tolerance_m: float) -> npt.NDArray[np.float64]:
    """Step 1 of :func:`snap_endpoints`: ends within the tolerance move to their centre."""
    unique, inverse = np.unique(ends, axis=0, return_inverse=True)
    blobs = shapely.union_all(shapely.buffer(shapely.points(unique), tolerance_m / 2))
    parts = np.array(shapely.get_parts(blobs), dtype=object)
    centres = shapely.get_coordinates(shapely.centroid(parts))
    point_idx, part_idx = shapely.STRtree(parts).query(
        shapely.points(unique), predicate="intersects"
    )
    owner = np.full(len(unique), -1, dtype=np.int64)
    owner[point_idx] = part_idx
    members = np.bincount(owner[owner >= 0], minlength=len(parts))
    moved = (owner >= 0) & (members[np.maximum(owner, 0)] > 1)
    unique_new = unique.copy()
    unique_new[moved] = centres[owner[moved]]
    return np.asarray(unique_new[inverse.ravel()], dtype=float)


def _join_ends_to_lines(
    geoms: npt.NDArray[np.object_], new_ends: npt.NDArray[np.float64], tolerance_m: float
) -> dict[int, list[npt.NDArray[np.float64]]]:
    """Step 2 of :func:`snap_endpoints`: move lonely ends onto nearby lines.

    ``new_ends`` is changed in place; returns the cut points per line.
    """
    n = len(geoms)
    _, inverse, counts = np.unique(new_ends, axis=0, return_inverse=True, return_counts=True)
    lonely = np.flatnonzero(counts[inverse.ravel()] == 1)
    points = np.asarray(shapely.points(new_ends[lonely]), dtype=object)
    hit_point, hit_line = shapely.STRtree(geoms).query(
        points, predicate="dwithin", distance=tolerance_m
    )
    keep = hit_line != lonely[hit_point] % n
    hit_point, hit_line = hit_point[keep], hit_line[keep]
    gaps = np.asarray(shapely.distance(geoms[hit_line], points[hit_point]), dtype=float)
    best: dict[int, tuple[float, int]] = {}
    for p, line, gap in zip(hit_point.tolist(), hit_line.tolist(), gaps.tolist(), strict=True):
        if p not in best or gap < best[p][0]:
            best[p] = (gap, line)
    cuts: dict[int, list[npt.NDArray[np.float64]]] = {}
    for p, (_, j) in best.items():
        along = float(shapely.line_locate_point(geoms[j], points[p]))
        if along <= 0 or along >= geoms[j].length:
            continue  # nearest to the other line's end: a dead end, left as it is
        cut = shapely.get_coordinates(shapely.line_interpolate_point(geoms[j], along))[0]
        new_ends[lonely[p]] = cut
        cuts.setdefault(j, []).append(cut)
    return cuts


def _with_ends(
    geoms: npt.NDArray[np.object_], new_ends: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    n = len(geoms)
    out = np.empty(n, dtype=object)
    for i, geom in enumerate(geoms):
        coords = shapely.get_coordinates(geom)
        coords[0], coords[-1] = new_ends[i], new_ends[n + i]
        out[i] = shapely.LineString(coords)
    return out


def road_source_label(G: nx.MultiDiGraph) -> str:
    """How a plan names the road source of ``G``: ``RBI <file>`` or ``OSM <date>``.

    Graphs from lines carry ``road_source``; OSM graphs are dated from their file's header
    (``timestamp_osm_base`` / ``osmosis_replication_timestamp`` / ``timestamp``), osmnx
    GraphML by its ``created_date`` (when osmnx downloaded it). No date found: ``OSM``.
    """
    if G.graph.get("road_source"):
        return str(G.graph["road_source"])
    source = Path(str(G.graph.get("source_file") or ""))
    date: str | None = None
    if source.name.endswith((".graphml", ".graphml.gz")):
        created = str(G.graph.get("created_date") or "")
        date = created[:10] if re.match(r"\d{4}-\d{2}-\d{2}", created) else None
    elif source.name:
        date = _osm_file_date(source)
    return f"OSM {date}" if date else "OSM"


def _osm_file_date(path: Path) -> str | None:
    opener: Any = open
    if path.name.endswith(".gz"):
        opener = gzip.open
    elif path.name.endswith(".bz2"):
        opener = bz2.open
    elif not path.name.endswith(".osm"):
        return None
    try:
        with opener(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except (OSError, EOFError, ValueError):
        return None
    found = re.search(
        r'(?:timestamp_osm_base|osmosis_replication_timestamp|timestamp)="(\d{4}-\d{2}-\d{2})', head
    )
    return found.group(1) if found else None


def _split(line: shapely.LineString, cuts: list[npt.NDArray[np.float64]]) -> list[BaseGeometry]:
    """Cut ``line`` at ``cuts`` (points on it); the pieces end exactly at the cut points."""
    if not cuts:
        return [line]
    at = sorted({float(shapely.line_locate_point(line, shapely.Point(c))): c for c in cuts}.items())
    pieces: list[BaseGeometry] = []
    start, start_xy = 0.0, None
    for along, xy in [*at, (line.length, None)]:
        if along - start <= 1e-6:
            continue
        coords = shapely.get_coordinates(ops.substring(line, start, along))
        if start_xy is not None:
            coords[0] = start_xy
        if xy is not None:
            coords[-1] = xy
        pieces.append(shapely.LineString(coords))
        start, start_xy = along, xy
    return pieces


def _oneway_value(value: Any) -> int:
    text = normalise_class(value)
    if text in _ONEWAY_FORWARD:
        return 1
    if text in _ONEWAY_BACKWARD:
        return -1
    return 0


def _graph_from_lines(lines: gpd.GeoDataFrame, utm: Any) -> nx.MultiDiGraph:
    """A momepy primal graph (lengths in metres), then nodes and shapes back in lon/lat."""
    import momepy  # about 1 s to import: only when a graph is built

    lines = lines.copy()
    backward = lines["_oneway"] < 0
    lines.loc[backward, "geometry"] = shapely.reverse(lines.geometry[backward].to_numpy())
    lines["oneway"] = lines["_oneway"] != 0
    lines = lines.drop(columns=["_oneway"]).rename(columns={"_class": "road_class"})
    G = momepy.gdf_to_nx(
        lines,
        approach="primal",
        length="length",
        multigraph=True,
        directed=True,
        oneway_column="oneway",
        integer_labels=True,
    )
    to_lonlat = gpd.GeoSeries(
        shapely.points([(d["x"], d["y"]) for _, d in G.nodes(data=True)]), crs=utm
    ).to_crs(CRS)
    for (_node, data), point in zip(G.nodes(data=True), to_lonlat, strict=True):
        data["x"], data["y"] = float(point.x), float(point.y)
    edges = list(G.edges(keys=True, data=True))
    shapes = gpd.GeoSeries([d["geometry"] for *_, d in edges], crs=utm).to_crs(CRS)
    for (u, _v, _k, data), shape in zip(edges, shapes, strict=True):
        start = shape.coords[0]
        if np.hypot(start[0] - G.nodes[u]["x"], start[1] - G.nodes[u]["y"]) > 1e-7:
            shape = shapely.reverse(shape)  # momepy adds the way back with the drawn shape
        data["geometry"] = shape
        data["length"] = float(data["length"])
        data.pop("mm_len", None)
        for key in ("speed_kph", MOTOR_SPEED_ATTR):  # no NaN on an edge: absent instead
            value = float(data.get(key, np.nan))
            if np.isnan(value):
                data.pop(key, None)
            else:
                data[key] = value
        data[_osm.MOTORBIKE_ONLY_TAG] = bool(data.get(_osm.MOTORBIKE_ONLY_TAG))
    G = nx.MultiDiGraph(G)
    G.graph = {"crs": CRS, "simplified": True}
    return G


def _speed(
    speeds: dict[str, float | None] | None, road_class: str, *, closed: float = np.nan
) -> float:
    """km/h of ``road_class`` in ``speeds``: NaN when not listed, ``closed`` when null there."""
    if speeds is None or road_class not in speeds:
        return float(np.nan)
    value = speeds[road_class]
    return float(closed) if value is None else float(value)


def _road_km(G: nx.MultiDiGraph) -> float:
    """Road length in km, each two-way line counted once."""
    total = 0.0
    for _, _, data in G.edges(data=True):
        total += float(data["length"]) * (1.0 if data.get("oneway") else 0.5)
    return total / 1000.0


def _inputs_sha256(config: LineConfig) -> str:
    """Hash of the configuration, the line file and its sidecars (.dbf, .shx, .prj, .cpg)."""
    digest = hashlib.sha256(LINES_BUILD_VERSION.encode())
    digest.update(file_sha256(config.path).encode())
    stem = config.file.name.split(".")[0]
    files = sorted(p for p in config.file.parent.glob(f"{stem}.*") if p.is_file())
    for item in files or [config.file]:
        digest.update(f"|{item.name}|{file_sha256(item)}".encode())
    return digest.hexdigest()
