"""Public places of a region pack where a sweep can be held (kelurahan office, hall, mosque...).

A region pack may carry ``places.geojson``: OpenStreetMap amenities of the area as GeoJSON points
or polygons whose properties are the OSM tags (``amenity``, ``office``, ``religion``, ``name``),
e.g. made from an extract with osmium::

    osmium tags-filter region.osm.pbf \
        nwr/amenity=townhall,community_centre,school,place_of_worship \
        nwr/office=government -o places.osm.pbf
    osmium export places.osm.pbf -o places.geojson

The shared packs carry none; then a sweep stays at the kelurahan's point for the coordinator to
move (:mod:`outreach.coverage.sweeps`). The file is read with geopandas; polygons count by a
point inside them (``representative_point``). Features of other kinds, or without a usable
geometry, are ignored; a file that cannot be read raises :class:`PlacesError`.

Which place a sweep uses (:func:`best_place`): inside the kelurahan's polygon, the first kind
of :data:`KINDS` present -- the kelurahan or desa office (``amenity=townhall`` or
``office=government``; one whose name holds the kelurahan's name first), a community hall
(``amenity=community_centre``: balai RW, balai warga), a mosque (``amenity=place_of_worship``
with ``religion=muslim``), a school (``amenity=school``) -- and among those the one nearest to
the kelurahan's representative point.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely import wkt
from shapely.geometry import Point

from outreach.errors import OutreachError

PLACES_FILE = "places.geojson"

#: Kinds in the order a sweep prefers them, with the words a street line starts with.
KINDS: tuple[tuple[str, str], ...] = (
    ("kantor", "Kantor"),
    ("balai", "Balai"),
    ("masjid", "Masjid"),
    ("sekolah", "Sekolah"),
)
_RANK = {kind: i for i, (kind, _) in enumerate(KINDS)}


class PlacesError(OutreachError):
    """A pack's ``places.geojson`` cannot be read."""


@dataclass(frozen=True)
class PublicPlace:
    """A place a sweep can be held at (lon/lat in degrees, EPSG:4326)."""

    lon: float
    lat: float
    kind: str  # one of KINDS
    name: str  # the OSM name, may be empty


def place_kind(tags: Mapping[str, Any]) -> str | None:
    """The :data:`KINDS` kind of a feature with OSM ``tags``, or ``None``."""
    amenity = str(tags.get("amenity") or "").strip().lower()
    office = str(tags.get("office") or "").strip().lower()
    if amenity == "townhall" or office == "government":
        return "kantor"
    if amenity == "community_centre":
        return "balai"
    if amenity == "place_of_worship" and str(tags.get("religion") or "").lower() == "muslim":
        return "masjid"
    if amenity == "school":
        return "sekolah"
    return None


def load_public_places(pack_dir: str | Path) -> list[PublicPlace]:
    """The public places of the pack in ``pack_dir`` (empty when it has no ``places.geojson``).

    Raises
    ------
    PlacesError
        The file is there but cannot be read as GeoJSON.
    """
    path = Path(pack_dir) / PLACES_FILE
    if not path.is_file():
        return []
    import geopandas as gpd  # heavy: only when a pack has places

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL notes on unusual GeoJSON members
            frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds for a broken file
        raise PlacesError(f"{path}: cannot be read as GeoJSON ({exc})") from exc
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    places: list[PublicPlace] = []
    columns = [c for c in frame.columns if c != "geometry"]
    for row in frame.itertuples(index=False):
        geometry = row.geometry
        if geometry is None or geometry.is_empty:
            continue
        tags = {c: getattr(row, c) for c in columns}
        tags = {k: v for k, v in tags.items() if isinstance(v, str)}
        kind = place_kind(tags)
        if kind is None:
            continue
        point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
        places.append(PublicPlace(float(point.x), float(point.y), kind, tags.get("name", "")))
    return places


def best_place(
    places: Sequence[PublicPlace],
    *,
    boundary_wkt: str,
    rep_point: tuple[float, float],
    area_name: str,
) -> PublicPlace | None:
    """The place a sweep of the kelurahan should use (see the module docstring), or ``None``."""
    if not places:
        return None
    polygon = wkt.loads(boundary_wkt)
    inside = [p for p in places if polygon.covers(Point(p.lon, p.lat))]
    if not inside:
        return None
    lon0, lat0 = rep_point
    scale = math.cos(math.radians(lat0))
    wanted = area_name.strip().lower()

    def key(p: PublicPlace) -> tuple[int, int, float]:
        named = 0 if p.kind == "kantor" and wanted and wanted in p.name.lower() else 1
        return (_RANK[p.kind], named, ((p.lon - lon0) * scale) ** 2 + (p.lat - lat0) ** 2)

    return min(inside, key=key)


def street_of(place: PublicPlace) -> str:
    """The street line of a sweep at ``place``: its OSM name, else its kind ("Masjid")."""
    return place.name.strip() or dict(KINDS)[place.kind]


def region_places(region_slug: str, *, search_dirs: Sequence[str | Path]) -> list[PublicPlace]:
    """:func:`load_public_places` of the region's pack (empty when the pack is not found).

    Raises
    ------
    PlacesError
        The pack's ``places.geojson`` cannot be read.
    """
    from outreach.errors import RegionError
    from outreach.geo.packs import resolve_pack_dir

    try:
        pack_dir = resolve_pack_dir(region_slug, search_dirs=search_dirs)
    except RegionError:
        return []
    return load_public_places(pack_dir)
