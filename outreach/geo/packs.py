"""Region packs: one folder per kota/kabupaten with its boundaries and, optionally, its roads.

A pack folder holds ``boundary.geojson`` (properties ``kode``, ``nama``), ``kecamatan.geojson``
(``kode``, ``nama``), ``kelurahan.geojson`` (``kode``, ``nama``, ``kode_kec``; optional ``jenis``,
``kecamatan``) and at most one road source (see :data:`ROAD_FILE_NAMES`): OSM data, an osmnx
GraphML, or ``roads.json`` naming a line layer (:mod:`outreach.geo.lines`). See
``maps/README.md``.

Everything is validated when the pack is read, so later steps (database import, routing) can
trust it: a bad pack raises :class:`~outreach.errors.RegionError` with one line naming the file
and what is wrong.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from outreach.errors import RegionError

BOUNDARY_FILE = "boundary.geojson"
KECAMATAN_FILE = "kecamatan.geojson"
KELURAHAN_FILE = "kelurahan.geojson"
# Looked for in this order; the first one present is the pack's road source.
ROAD_FILE_NAMES = (
    "roads.osm",
    "roads.osm.gz",
    "roads.osm.bz2",
    "roads.osm.pbf",
    "roads.graphml",
    "roads.graphml.gz",
    # A government line layer (RBI) with its class -> speed mapping: see outreach/geo/lines.py.
    "roads.json",
)
CRS = "EPSG:4326"
KELURAHAN_COLUMNS = ("kode", "nama", "jenis", "kode_kec", "kecamatan")

# A slug is a folder name; anything with a path separator (or starting with . or ~) is a path.
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, eq=False)  # eq=False: GeoDataFrames have no plain truth value
class RegionPack:
    """A validated region pack.

    Attributes
    ----------
    slug
        The folder name, e.g. ``kota-yogyakarta``.
    name, code
        Kab/kota name and Kemendagri code (``nama`` and ``kode`` of ``boundary.geojson``).
    path
        The pack folder (absolute).
    boundary
        Kab/kota outline (shapely Polygon or MultiPolygon, EPSG:4326).
    kecamatan
        GeoDataFrame (EPSG:4326) with columns ``kode``, ``nama``, ``geometry``.
    kelurahan
        GeoDataFrame (EPSG:4326) with columns ``kode``, ``nama``, ``jenis``, ``kode_kec``,
        ``kecamatan``, ``geometry``.
    roads_file
        The road source (first of :data:`ROAD_FILE_NAMES` present), or None.
    """

    slug: str
    name: str
    code: str
    path: Path
    boundary: BaseGeometry
    kecamatan: gpd.GeoDataFrame
    kelurahan: gpd.GeoDataFrame
    roads_file: Path | None

    @property
    def has_roads(self) -> bool:
        """True when the pack ships a road file."""
        return self.roads_file is not None


@dataclass(frozen=True)
class PackSummary:
    """What :func:`list_packs` reports about a pack without reading its polygons."""

    slug: str
    name: str
    code: str
    path: Path
    roads_file: Path | None


def find_pack(slug_or_path: str, *, search_dirs: Sequence[str | Path]) -> RegionPack:
    """Find, read and validate a region pack.

    Parameters
    ----------
    slug_or_path
        A slug (looked up as a sub-folder of each of ``search_dirs``, in order) or a path to a
        pack folder (anything containing a path separator, or starting with ``.`` or ``~``).
    search_dirs
        Folders searched for slugs, in order; missing folders are skipped.

    Returns
    -------
    RegionPack

    Raises
    ------
    RegionError
        The pack is not found, or a file is missing, not valid GeoJSON or inconsistent.
    """
    path = resolve_pack_dir(slug_or_path, search_dirs=search_dirs)
    name, code, boundary = _read_boundary(path / BOUNDARY_FILE)
    kecamatan = _read_kecamatan(path / KECAMATAN_FILE, code=code, boundary=boundary)
    kelurahan = _read_kelurahan(path / KELURAHAN_FILE, kecamatan=kecamatan, boundary=boundary)
    return RegionPack(
        slug=path.name,
        name=name,
        code=code,
        path=path,
        boundary=boundary,
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        roads_file=find_roads_file(path),
    )


def resolve_pack_dir(slug_or_path: str, *, search_dirs: Sequence[str | Path]) -> Path:
    """Return the absolute folder of a pack without reading it (see :func:`find_pack`).

    Raises
    ------
    RegionError
        No such folder; for a slug the message lists the folders searched.
    """
    text = slug_or_path.strip()
    if not text:
        msg = "No region given: pass a region slug (e.g. kota-yogyakarta) or a pack folder."
        raise RegionError(msg)
    if _is_slug(text):
        for folder in search_dirs:
            candidate = Path(folder).expanduser() / text
            if candidate.is_dir():
                return candidate.resolve()
        # A bare name that is not in the search dirs may still be a folder under the cwd.
        if Path(text).is_dir():
            return Path(text).resolve()
        searched = ", ".join(str(Path(d).expanduser()) for d in search_dirs) or "(none)"
        msg = f"Region pack '{text}' not found; searched: {searched}"
        raise RegionError(msg)
    path = Path(text).expanduser()
    if not path.is_dir():
        msg = f"Region pack folder {path} does not exist or is not a folder"
        raise RegionError(msg)
    return path.resolve()


def find_roads_file(pack_dir: Path) -> Path | None:
    """Return the pack's road file (first of :data:`ROAD_FILE_NAMES` present), or None."""
    for file_name in ROAD_FILE_NAMES:
        candidate = pack_dir / file_name
        if candidate.is_file():
            return candidate
    return None


def list_packs(*, search_dirs: Sequence[str | Path]) -> list[PackSummary]:
    """List the packs in ``search_dirs`` (a slug found twice: the first folder wins).

    Only ``boundary.geojson`` is read, so this is quick; folders without one are skipped and a
    pack whose boundary cannot be read is listed with an empty name (``check`` explains why).
    """
    found: dict[str, PackSummary] = {}
    for folder in search_dirs:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for pack_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            if pack_dir.name in found or not (pack_dir / BOUNDARY_FILE).is_file():
                continue
            try:
                name, code, _ = _read_boundary(pack_dir / BOUNDARY_FILE)
            except RegionError:
                name, code = "", ""
            found[pack_dir.name] = PackSummary(
                slug=pack_dir.name,
                name=name,
                code=code,
                path=pack_dir.resolve(),
                roads_file=find_roads_file(pack_dir),
            )
    return list(found.values())


def _is_slug(text: str) -> bool:
    return bool(_SLUG_RE.match(text)) and os.sep not in text and "/" not in text


def _read_boundary(path: Path) -> tuple[str, str, BaseGeometry]:
    features = _read_features(path, required=("kode", "nama"))
    props = features[0][0]
    geometry = shapely.union_all([geom for _, geom in features])
    return str(props["nama"]), str(props["kode"]), geometry


def _read_kecamatan(path: Path, *, code: str, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    features = _read_features(path, required=("kode", "nama"))
    _check_unique(path, [props["kode"] for props, _ in features])
    for props, _ in features:
        if not props["kode"].startswith(f"{code}."):
            msg = (
                f"{path}: kecamatan {props['kode']} ({props['nama']}) is not under kab/kota {code}"
            )
            raise RegionError(msg)
    frame = gpd.GeoDataFrame(
        {
            "kode": [props["kode"] for props, _ in features],
            "nama": [props["nama"] for props, _ in features],
        },
        geometry=[geom for _, geom in features],
        crs=CRS,
    )
    _check_within_boundary(path, frame, boundary)
    return frame


def _read_kelurahan(
    path: Path, *, kecamatan: gpd.GeoDataFrame, boundary: BaseGeometry
) -> gpd.GeoDataFrame:
    features = _read_features(path, required=("kode", "nama", "kode_kec"))
    _check_unique(path, [props["kode"] for props, _ in features])
    kec_names = dict(zip(kecamatan["kode"], kecamatan["nama"], strict=True))
    rows: list[dict[str, str]] = []
    for props, _ in features:
        kode, kode_kec = props["kode"], props["kode_kec"]
        if kode_kec not in kec_names:
            msg = (
                f"{path}: kelurahan {kode} ({props['nama']}) has kode_kec {kode_kec}, "
                f"which is not a kecamatan in {KECAMATAN_FILE}"
            )
            raise RegionError(msg)
        if not kode.startswith(f"{kode_kec}."):
            msg = f"{path}: kelurahan {kode} ({props['nama']}) is not under kecamatan {kode_kec}"
            raise RegionError(msg)
        rows.append(
            {
                "kode": kode,
                "nama": props["nama"],
                "jenis": _jenis(props, path),
                "kode_kec": kode_kec,
                "kecamatan": str(props.get("kecamatan") or kec_names[kode_kec]),
            }
        )
    frame = gpd.GeoDataFrame(
        {key: [row[key] for row in rows] for key in KELURAHAN_COLUMNS},
        geometry=[geom for _, geom in features],
        crs=CRS,
    )
    _check_within_boundary(path, frame, boundary)
    return frame


def _jenis(props: dict[str, Any], path: Path) -> str:
    """``kelurahan`` or ``desa``: as given, else from the code (last part 1xxx / 2xxx)."""
    jenis = props.get("jenis")
    if jenis in (None, ""):
        return "desa" if str(props["kode"]).rsplit(".", 1)[-1].startswith("2") else "kelurahan"
    if jenis not in ("kelurahan", "desa"):
        msg = f"{path}: kelurahan {props['kode']} has jenis {jenis!r} (expected kelurahan or desa)"
        raise RegionError(msg)
    return str(jenis)


def _read_features(
    path: Path, *, required: tuple[str, ...]
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Read a GeoJSON FeatureCollection of (multi)polygons with the ``required`` text properties.

    Invalid polygons (self-touching rings after simplification) are repaired with
    ``make_valid``, since GIS exports often carry them and the repair does not move boundaries.
    """
    if not path.is_file():
        msg = (
            f"{path} is missing (a region pack needs {BOUNDARY_FILE}, {KECAMATAN_FILE} "
            f"and {KELURAHAN_FILE})"
        )
        raise RegionError(msg)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:  # ValueError covers JSON and UTF-8 decoding errors
        msg = f"{path} is not valid GeoJSON: {_first_line(exc)}"
        raise RegionError(msg) from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        msg = f"{path} is not valid GeoJSON: expected a FeatureCollection"
        raise RegionError(msg)
    raw_features = data.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        msg = f"{path} has no features"
        raise RegionError(msg)
    features = [_read_feature(path, i, f, required) for i, f in enumerate(raw_features)]
    return features


def _read_feature(
    path: Path, index: int, feature: Any, required: tuple[str, ...]
) -> tuple[dict[str, Any], BaseGeometry]:
    where = f"{path}: feature {index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        msg = f"{where} is not a GeoJSON Feature"
        raise RegionError(msg)
    props = feature.get("properties")
    if not isinstance(props, dict):
        props = {}
    missing = [key for key in required if props.get(key) in (None, "")]
    if missing:
        msg = f"{where} lacks propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}"
        raise RegionError(msg)
    for key in required:
        if not isinstance(props[key], str):
            msg = f"{where}: property {key} must be text, got {props[key]!r}"
            raise RegionError(msg)
        props[key] = props[key].strip()
    if "kode" in props:
        where = f"{where} ({props['kode']})"
    return props, _polygonal(where, feature.get("geometry"))


def _polygonal(where: str, raw: Any) -> BaseGeometry:
    if not raw:
        msg = f"{where} has no geometry"
        raise RegionError(msg)
    try:
        geom = shape(raw)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as exc:
        msg = f"{where} has an invalid geometry: {_first_line(exc)}"
        raise RegionError(msg) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        msg = f"{where} must be a non-empty Polygon or MultiPolygon, got {geom.geom_type}"
        raise RegionError(msg)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        msg = f"{where}: coordinates are not lon/lat degrees (EPSG:4326)"
        raise RegionError(msg)
    if not geom.is_valid:
        geom = _polygonal_part(shapely.make_valid(geom))
        if geom.is_empty:
            msg = f"{where} has an invalid polygon that cannot be repaired"
            raise RegionError(msg)
    return geom


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the (multi)polygon part of a repaired geometry (drop stray lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _check_unique(path: Path, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            msg = f"{path}: kode {code} appears more than once"
            raise RegionError(msg)
        seen.add(code)


def _check_within_boundary(path: Path, frame: gpd.GeoDataFrame, boundary: BaseGeometry) -> None:
    """Every polygon must touch the kab/kota outline (catches lat/lon swaps and wrong packs)."""
    outside = ~shapely.intersects(frame.geometry.to_numpy(), boundary)
    if outside.any():
        first = frame[outside].iloc[0]
        msg = (
            f"{path}: {first['kode']} ({first['nama']}) lies outside the boundary in "
            f"{BOUNDARY_FILE}"
        )
        raise RegionError(msg)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
