"""A synthetic kabupaten-scale region pack: a town, a 134 km road, and a far cluster of desa.

Layout (lat about -2.0; one degree of longitude is about 111 km)::

    town grid (4 x 4, 330 m)  ===== primary road, maxspeed 40, 134 km =====  far grid (4 x 4)
    kelurahan "Kota Satu"           desa "Hulu Satu"                          desa "Hulu Dua"
    kecamatan 99.02.01 "Kota"       kecamatan 99.02.02 "Hulu"

The drive out takes about 3 h 20 min each way, so a day trip has little time at the far end.
Made by the tests themselves (the shared packs are not copied): boundaries as GeoJSON, roads as
OSM XML the way Overpass writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CODE = "99.02"
SLUG = "kab-uji-jauh"
LAT0 = -1.99
STEP = 0.003
TOWN_LON = 110.0
FAR_LON = 111.205
GRID = 4
WEST, EAST = 109.99, 111.24
NORTH, SOUTH = -1.97, -2.02
SPLIT_LON = 110.5  # kecamatan Kota | Hulu
DESA_LON = 111.21  # desa Hulu Satu | Hulu Dua


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(features: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }


def grid_point(lon0: float, row: int, col: int) -> tuple[float, float]:
    """A street corner of the town grid (``lon0=TOWN_LON``) or the far grid (``FAR_LON``)."""
    return lon0 + col * STEP, LAT0 - row * STEP


def _osm_xml() -> str:
    nodes: list[tuple[int, float, float]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []

    def grid(base: int, lon0: float, name: str) -> None:
        for r in range(GRID):
            for c in range(GRID):
                nodes.append((base + r * GRID + c, *grid_point(lon0, r, c)))
        for r in range(GRID):
            refs = [base + r * GRID + c for c in range(GRID)]
            ways.append((base + r, refs, {"highway": "residential", "name": f"{name} {r}"}))
        for c in range(GRID):
            refs = [base + r * GRID + c for r in range(GRID)]
            ways.append((base + 50 + c, refs, {"highway": "residential", "name": f"Gang {c}"}))

    grid(1000, TOWN_LON, "Jalan Kota")
    grid(3000, FAR_LON, "Jalan Hulu")
    # The long road: from the town's east edge (row 1) to the far grid's west edge (row 1).
    start_lon, _ = grid_point(TOWN_LON, 1, GRID - 1)
    end_lon, _ = grid_point(FAR_LON, 1, 0)
    steps = 60
    road = [1000 + GRID + GRID - 1]
    for k in range(1, steps):
        lon = start_lon + (end_lon - start_lon) * k / steps
        nodes.append((5000 + k, lon, LAT0 - STEP))
        road.append(5000 + k)
    road.append(3000 + GRID)
    ways.append((9000, road, {"highway": "primary", "maxspeed": "40", "name": "Jalan Poros"}))
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    lines += [
        f'  <node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>' for i, lon, lat in nodes
    ]
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_kabupaten_pack(root: Path) -> Path:
    """Write the pack as ``root/kab-uji-jauh`` and return that folder."""
    folder = root / SLUG
    folder.mkdir(parents=True, exist_ok=True)
    kec = f"{CODE}.01", f"{CODE}.02"
    files = {
        "boundary.geojson": _collection(
            [({"kode": CODE, "nama": "Kabupaten Uji Jauh"}, _box(WEST, SOUTH, EAST, NORTH))]
        ),
        "kecamatan.geojson": _collection(
            [
                ({"kode": kec[0], "nama": "Kota"}, _box(WEST, SOUTH, SPLIT_LON, NORTH)),
                ({"kode": kec[1], "nama": "Hulu"}, _box(SPLIT_LON, SOUTH, EAST, NORTH)),
            ]
        ),
        "kelurahan.geojson": _collection(
            [
                (
                    {"kode": f"{kec[0]}.1001", "nama": "Kota Satu", "kode_kec": kec[0]},
                    _box(WEST, SOUTH, SPLIT_LON, NORTH),
                ),
                (
                    {"kode": f"{kec[1]}.2001", "nama": "Hulu Satu", "kode_kec": kec[1]},
                    _box(SPLIT_LON, SOUTH, DESA_LON, NORTH),
                ),
                (
                    {"kode": f"{kec[1]}.2002", "nama": "Hulu Dua", "kode_kec": kec[1]},
                    _box(DESA_LON, SOUTH, EAST, NORTH),
                ),
            ]
        ),
    }
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    (folder / "roads.osm").write_text(_osm_xml(), encoding="utf-8")
    return folder
