"""Where demo residents live: points beside residential streets, inside their kelurahan.

A point is drawn along a residential-class road of the kelurahan (``residential``,
``living_street``, ``unclassified``, ``service``), moved 5-20 m sideways (the house, not the
road), and kept only if the region's area lookup puts it in that same kelurahan: the simplified
kelurahan polygons overlap and leave gaps, and a demo point must agree with what intake would
say about it. Metric work is done in the region's UTM zone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from outreach.domain import AreaRef, LonLat

RESIDENTIAL_HIGHWAYS = frozenset({"residential", "living_street", "unclassified", "service"})
OFFSET_M = (5.0, 20.0)
# Parts of streets shorter than this inside a kelurahan are slivers along its edge: skipped.
MIN_PART_M = 15.0


class Locator(Protocol):
    """What the sampler needs from the area lookup (``outreach.geo`` AreaIndex)."""

    def locate(self, lon: float, lat: float) -> AreaRef:
        """Kelurahan and kecamatan of a point."""
        ...


@dataclass(frozen=True)
class AreaPolygon:
    """A kelurahan as the sampler needs it."""

    code: str
    name: str
    kecamatan_code: str
    geometry: BaseGeometry  # EPSG:4326
    rep: LonLat  # a point inside, for requests located only to their kelurahan


@dataclass(frozen=True)
class HomePoint:
    """A sampled house location."""

    lon: float
    lat: float
    street: str  # name of the street it lies on ("" when the road has no name)


@dataclass(frozen=True)
class _Street:
    line: LineString  # metres (UTM), clipped to the kelurahan
    name: str


class HomeSampler:
    """Draw house locations per kelurahan from a road graph.

    Parameters
    ----------
    G
        osmnx-style graph (EPSG:4326) with ``highway``, optional ``name`` and ``geometry``;
        None for a region without roads (points are then drawn inside the polygon).
    areas
        The region's kelurahan.
    locator
        The area lookup a point must agree with.
    rng
        The demo's random source.
    """

    def __init__(
        self,
        G: nx.MultiDiGraph | None,
        areas: Sequence[AreaPolygon],
        locator: Locator,
        *,
        rng: random.Random,
    ) -> None:
        self.areas = {a.code: a for a in areas}
        self.locator = locator
        self.rng = rng
        outline = shapely.union_all([a.geometry for a in areas])
        utm = gpd.GeoSeries([outline], crs="EPSG:4326").estimate_utm_crs()
        self._to_m = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True)
        self._to_deg = pyproj.Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
        self._streets: dict[str, list[_Street]] = {code: [] for code in self.areas}
        self._all_roads: list[LineString] = []
        self._road_tree: shapely.STRtree | None = None
        if G is not None:
            self._index_streets(G)

    def road_length_m(self, code: str) -> float:
        """Metres of residential-class street in kelurahan ``code`` (a proxy for homes)."""
        return sum(s.line.length for s in self._streets.get(code, []))

    def street_names(self, code: str) -> list[str]:
        """Names of the residential-class streets of kelurahan ``code``, sorted."""
        return sorted({s.name for s in self._streets.get(code, []) if s.name})

    def distance_to_road_m(self, lon: float, lat: float) -> float:
        """Distance from a point to the nearest road of any class, in metres (inf: no roads)."""
        if self._road_tree is None:
            return math.inf
        point = Point(self._to_m.transform(lon, lat))
        nearest = self._road_tree.nearest(point)
        return float(self._all_roads[int(nearest)].distance(point))

    def nearest_road_point(self, lon: float, lat: float) -> LonLat | None:
        """The point on the nearest road of any class (None when there are no roads)."""
        if self._road_tree is None:
            return None
        point = Point(self._to_m.transform(lon, lat))
        road = self._all_roads[int(self._road_tree.nearest(point))]
        on_road = road.interpolate(road.project(point))
        x, y = self._to_deg.transform(on_road.x, on_road.y)
        return float(x), float(y)

    def sample(self, code: str, *, tries: int = 80) -> HomePoint | None:
        """A house beside a residential street of kelurahan ``code``, or None if none fits.

        Parameters
        ----------
        code
            Kelurahan code, e.g. ``34.71.01.1001``.
        tries
            Attempts before giving up (points that fall in a neighbour are drawn again).
        """
        streets = self._streets.get(code, [])
        if not streets:
            return self._sample_in_polygon(code, tries=tries)
        weights = [s.line.length for s in streets]
        for _ in range(tries):
            street = self.rng.choices(streets, weights=weights)[0]
            x, y = self._beside(street.line)
            lon, lat = self._to_deg.transform(x, y)
            if self._is_in(code, lon, lat):
                return HomePoint(lon=float(lon), lat=float(lat), street=street.name)
        return None

    def _beside(self, line: LineString) -> tuple[float, float]:
        """A point 5-20 m to either side of a random spot along ``line`` (metres)."""
        along = self.rng.uniform(0.0, line.length)
        here = line.interpolate(along)
        step = 1.0 if along + 1.0 <= line.length else -1.0
        ahead = line.interpolate(along + step)
        dx, dy = (ahead.x - here.x) * step, (ahead.y - here.y) * step
        norm = math.hypot(dx, dy) or 1.0
        offset = self.rng.uniform(*OFFSET_M) * self.rng.choice((-1.0, 1.0))
        return here.x - dy / norm * offset, here.y + dx / norm * offset

    def _sample_in_polygon(self, code: str, *, tries: int) -> HomePoint | None:
        area = self.areas[code]
        west, south, east, north = area.geometry.bounds
        for _ in range(tries):
            lon, lat = self.rng.uniform(west, east), self.rng.uniform(south, north)
            if self._is_in(code, lon, lat):
                return HomePoint(lon=lon, lat=lat, street="")
        return None

    def _is_in(self, code: str, lon: float, lat: float) -> bool:
        """Inside the kelurahan polygon, and not won by an overlapping neighbour."""
        if not self.areas[code].geometry.contains(Point(lon, lat)):
            return False
        return self.locator.locate(float(lon), float(lat)).kelurahan_code == code

    def _index_streets(self, G: nx.MultiDiGraph) -> None:
        lines: list[LineString] = []
        names: list[str] = []
        residential: list[bool] = []
        seen: set[tuple[int, int, int]] = set()
        for u, v, key, data in G.edges(keys=True, data=True):
            pair = (min(u, v), max(u, v), key)
            if pair in seen:  # both directions of a two-way street: one street
                continue
            seen.add(pair)
            geometry = data.get("geometry")
            if geometry is None:
                a, b = G.nodes[u], G.nodes[v]
                geometry = LineString([(a["x"], a["y"]), (b["x"], b["y"])])
            lines.append(geometry)
            names.append(_first_text(data.get("name")))
            residential.append(_is_residential(data.get("highway")))
        metric = shapely.transform(np.array(lines, dtype=object), self._project_xy)
        self._all_roads = list(metric)
        self._road_tree = shapely.STRtree(self._all_roads)
        candidates = [line for line, ok in zip(metric, residential, strict=True) if ok]
        candidate_names = [n for n, ok in zip(names, residential, strict=True) if ok]
        tree = shapely.STRtree(candidates)
        for code, area in self.areas.items():
            polygon = shapely.transform(area.geometry, self._project_xy)
            for index in tree.query(polygon, predicate="intersects"):
                clipped = candidates[int(index)].intersection(polygon)
                for part in _line_parts(clipped):
                    if part.length >= MIN_PART_M:
                        self._streets[code].append(_Street(part, candidate_names[int(index)]))

    def _project_xy(self, coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = self._to_m.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])


def _is_residential(highway: Any) -> bool:
    values = highway if isinstance(highway, list | tuple) else [highway]
    return any(str(v) in RESIDENTIAL_HIGHWAYS for v in values)


def _first_text(value: Any) -> str:
    """Name of a road: osmnx stores a merged way's names as a list and a missing one as NaN."""
    if isinstance(value, list | tuple):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return value.strip() if isinstance(value, str) else ""


def _line_parts(geometry: BaseGeometry) -> list[LineString]:
    if isinstance(geometry, LineString):
        return [geometry] if not geometry.is_empty else []
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, LineString)]
