"""Point -> kelurahan / kecamatan, with a rule for the overlaps and gaps of simplified polygons.

The rule (:meth:`AreaIndex.locate`), in UTM metres:

1. inside (or on the edge of) exactly one kelurahan: ``match="inside"``;
2. inside several (neighbours overlap slightly): ``match="overlap"``; the winner is the
   polygon the point is deepest inside (farthest from its boundary), ties (to the centimetre)
   by lowest code; ``candidates`` lists them all, winner first;
3. in none, but within ``tolerance_m`` (default 150 m) of one (a gap between polygons, or just
   over the kota line): ``match="nearest"``, ``distance_m`` to it;
4. otherwise ``match="outside"`` with no codes and ``distance_m`` to the nearest kelurahan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import AreaRef, LonLat
from outreach.errors import NotFoundError, RegionError
from outreach.geo.fallback import as_lonlat_array
from outreach.geo.packs import RegionPack

TOLERANCE_M = 150.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Area:
    code: str
    name: str
    kecamatan_code: str
    kecamatan_name: str
    rep_lonlat: LonLat


class AreaIndex:
    """Spatial index of one region's kelurahan (shapely STRtree over UTM polygons).

    Build it with :meth:`from_session` (imported region) or :meth:`from_pack`.

    Parameters
    ----------
    areas
        One entry per kelurahan: code, name, kecamatan code and name, representative point.
    geometries
        Kelurahan polygons in EPSG:4326, in the order of ``areas``.
    boundary
        The kab/kota outline in EPSG:4326.
    tolerance_m
        Gap tolerance of :meth:`locate` and :meth:`contains`.
    """

    def __init__(
        self,
        areas: Sequence[_Area],
        geometries: Sequence[BaseGeometry],
        boundary: BaseGeometry,
        *,
        tolerance_m: float = TOLERANCE_M,
    ) -> None:
        if not areas or len(areas) != len(geometries):
            msg = "AreaIndex needs one geometry per kelurahan, and at least one kelurahan"
            raise ValueError(msg)
        self.tolerance_m = float(tolerance_m)
        # Sorted by code, so the lowest code wins ties by position.
        order = sorted(range(len(areas)), key=lambda i: areas[i].code)
        self._areas = [areas[i] for i in order]
        self._by_code = {a.code: a for a in self._areas}
        centre = shapely.centroid(boundary)
        zone = min(60, int((centre.x + 180) // 6) + 1)
        crs = pyproj.CRS.from_epsg((32700 if centre.y < 0 else 32600) + zone)
        self._to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        polygons = np.array([geometries[i] for i in order], dtype=object)
        self._polygons = shapely.transform(polygons, self._project_xy)
        self._edges = shapely.boundary(self._polygons)
        self._tree = shapely.STRtree(self._polygons)
        self._region = shapely.transform(boundary, self._project_xy).buffer(self.tolerance_m)
        shapely.prepare(self._region)

    def __len__(self) -> int:
        return len(self._areas)

    @classmethod
    def from_pack(cls, pack: RegionPack, *, tolerance_m: float = TOLERANCE_M) -> AreaIndex:
        """Index a region pack's kelurahan (no database needed)."""
        kel = pack.kelurahan
        reps = kel.geometry.representative_point()
        kec_names = dict(zip(pack.kecamatan["kode"], pack.kecamatan["nama"], strict=True))
        areas = [
            _Area(str(code), str(name), str(kec), str(kec_names[kec]), (float(p.x), float(p.y)))
            for code, name, kec, p in zip(
                kel["kode"], kel["nama"], kel["kode_kec"], reps, strict=True
            )
        ]
        return cls(areas, list(kel.geometry), pack.boundary, tolerance_m=tolerance_m)

    @classmethod
    def from_session(
        cls, session: Session, region_slug: str, *, tolerance_m: float = TOLERANCE_M
    ) -> AreaIndex:
        """Index the kelurahan of an imported region.

        Raises
        ------
        RegionError
            The region has not been imported (the web layer answers 503).
        """
        record = session.scalar(
            select(models.RegionImport).where(models.RegionImport.slug == region_slug)
        )
        rows = session.execute(
            select(models.Kelurahan, models.Kecamatan)
            .join(models.Kecamatan, models.Kelurahan.kecamatan_id == models.Kecamatan.id)
            .where(models.Kelurahan.region_slug == region_slug)
        ).all()
        if record is None or not rows:
            msg = (
                f"Region '{region_slug}' is not imported; run: "
                f"flask --app wsgi outreach region import {region_slug}"
            )
            raise RegionError(msg)
        areas = [
            _Area(kel.code, kel.name, kec.code, kec.name, (kel.rep_lon, kel.rep_lat))
            for kel, kec in rows
        ]
        geometries = shapely.from_wkt([kel.geometry_wkt for kel, _ in rows])
        boundary = shapely.from_wkt(record.boundary_wkt)
        return cls(areas, list(geometries), boundary, tolerance_m=tolerance_m)

    def locate(self, lon: float, lat: float) -> AreaRef:
        """Kelurahan and kecamatan of one point (see the module docstring for the rule)."""
        return self.locate_many([(lon, lat)])[0]

    def locate_many(self, points: Sequence[LonLat]) -> list[AreaRef]:
        """:meth:`locate` for many points at once (one STRtree query for all)."""
        arr = as_lonlat_array(points)
        geoms: npt.NDArray[np.object_] = np.asarray(shapely.points(self._project_xy(arr)))
        results: list[AreaRef | None] = [None] * len(arr)
        hit_point, hit_area = self._tree.query(geoms, predicate="intersects")
        depth = np.round(shapely.distance(geoms[hit_point], self._edges[hit_area]), 2)
        # Group hits by point, deepest first, then lowest code (self._areas is sorted by code).
        order = np.lexsort((hit_area, -depth, hit_point))
        hit_point, hit_area = hit_point[order], hit_area[order]
        starts = np.flatnonzero(np.r_[True, hit_point[1:] != hit_point[:-1]])[: order.size]
        ends = np.r_[starts[1:], order.size][: starts.size]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            ranked = [int(a) for a in hit_area[start:end]]
            point = int(hit_point[start])
            if len(ranked) == 1:
                results[point] = self._ref(ranked[0], "inside")
            else:
                candidates = tuple(self._areas[a].code for a in ranked)
                results[point] = self._ref(ranked[0], "overlap", candidates=candidates)
        missing = np.array([i for i, r in enumerate(results) if r is None], dtype=np.int64)
        if missing.size:
            (near_point, near_area), dist = self._tree.query_nearest(
                geoms[missing], return_distance=True, all_matches=False
            )
            for p, a, d in zip(near_point.tolist(), near_area.tolist(), dist.tolist(), strict=True):
                if d <= self.tolerance_m:
                    results[int(missing[p])] = self._ref(a, "nearest", distance_m=d)
                else:
                    results[int(missing[p])] = AreaRef(
                        None, None, None, None, match="outside", distance_m=float(d)
                    )
        return [r if r is not None else AreaRef(None, None, None, None, "outside") for r in results]

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies in the region (its boundary widened by ``tolerance_m``)."""
        return bool(self.contains_many([(lon, lat)])[0])

    def contains_many(self, points: Sequence[LonLat]) -> npt.NDArray[np.bool_]:
        """:meth:`contains` for many points: a bool array."""
        xy = self._project_xy(as_lonlat_array(points))
        return np.asarray(shapely.contains_xy(self._region, xy[:, 0], xy[:, 1]), dtype=bool)

    def representative_point(self, kelurahan_code: str) -> LonLat:
        """A point inside the kelurahan (shapely ``representative_point``), as ``(lon, lat)``.

        Raises
        ------
        NotFoundError
            No kelurahan with that code in this region.
        """
        area = self._by_code.get(kelurahan_code)
        if area is None:
            msg = f"Kelurahan {kelurahan_code} is not in this region"
            raise NotFoundError(msg)
        return area.rep_lonlat

    def _project_xy(self, coords: FloatArray) -> FloatArray:
        x, y = self._to_utm.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _ref(
        self, index: int, match: str, *, distance_m: float = 0.0, candidates: tuple[str, ...] = ()
    ) -> AreaRef:
        area = self._areas[index]
        return AreaRef(
            kelurahan_code=area.code,
            kelurahan_name=area.name,
            kecamatan_code=area.kecamatan_code,
            kecamatan_name=area.kecamatan_name,
            match=match,
            distance_m=float(distance_m),
            candidates=candidates,
        )
