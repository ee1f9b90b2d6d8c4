"""Tiny region packs made on the fly: a 5 x 5 street grid in four kelurahan.

Layout (lon grows east, lat grows north; one step is 0.002 degrees, about 220 m)::

    row 0 (north)  o---o---o---o---o   residential
                   |   |   |   |   v   columns: tertiary; column 4 is one-way southwards
    row 2          o===o===o===o===o   primary, maxspeed 50
                   |   |   |   |   v
    row 4 (south)  o---o---o---o---o   residential

plus a footway (must be dropped) and a street 50 km away (must be clipped away).
Kecamatan 99.01.01 is the west half, 99.01.02 the east half; each has a north and a south
kelurahan. The two northern kelurahan overlap by a sliver along the kecamatan line, and the two
western ones leave a 20 m gap between them.
"""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import osmium
import osmnx as ox

LON0, LAT0 = 110.0, -7.0
STEP = 0.002
SIZE = 5
CODE = "99.01"
FAR_LON = LON0 + 0.5  # the clipped-away street


def node_id(row: int, col: int) -> int:
    return 1000 + row * SIZE + col


def node_lonlat(row: int, col: int) -> tuple[float, float]:
    return LON0 + col * STEP, LAT0 - row * STEP


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(features: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }


WEST, EAST = LON0 - 0.001, LON0 + (SIZE - 1) * STEP + 0.001
NORTH, SOUTH = LAT0 + 0.001, LAT0 - (SIZE - 1) * STEP - 0.001
MID_LON = LON0 + 2 * STEP + 0.001  # kecamatan line (between columns 2 and 3)
MID_LAT = LAT0 - 2 * STEP - 0.001  # north/south kelurahan line (just south of row 2)
SLIVER = 0.0001  # ~11 m overlap of the northern kelurahan
GAP = 0.0002  # ~22 m gap between the western kelurahan


def boundary_geojson() -> dict[str, Any]:
    return _collection([({"kode": CODE, "nama": "Kota Uji"}, _box(WEST, SOUTH, EAST, NORTH))])


def kecamatan_geojson() -> dict[str, Any]:
    return _collection(
        [
            ({"kode": f"{CODE}.01", "nama": "Barat"}, _box(WEST, SOUTH, MID_LON, NORTH)),
            ({"kode": f"{CODE}.02", "nama": "Timur"}, _box(MID_LON, SOUTH, EAST, NORTH)),
        ]
    )


def kelurahan_geojson() -> dict[str, Any]:
    def props(kode: str, nama: str, kec: str, **extra: str) -> dict[str, Any]:
        return {"kode": kode, "nama": nama, "kode_kec": f"{CODE}.{kec}", **extra}

    return _collection(
        [
            (
                props(f"{CODE}.01.1001", "Barat Laut", "01", jenis="kelurahan"),
                _box(WEST, MID_LAT + GAP / 2, MID_LON + SLIVER, NORTH),
            ),
            (
                props(f"{CODE}.01.1002", "Barat Daya", "01"),  # no jenis: from the code
                _box(WEST, SOUTH, MID_LON, MID_LAT - GAP / 2),
            ),
            (
                props(f"{CODE}.02.1001", "Timur Laut", "02", kecamatan="Timur"),
                _box(MID_LON - SLIVER, MID_LAT, EAST, NORTH),
            ),
            (props(f"{CODE}.02.2001", "Timur Daya", "02"), _box(MID_LON, SOUTH, EAST, MID_LAT)),
        ]
    )


def osm_xml(*, shift_lon: float = 0.0, with_highways: bool = True) -> str:
    """The grid as OSM XML (as Overpass writes it), optionally moved east by ``shift_lon``."""
    nodes = [(node_id(r, c), *node_lonlat(r, c)) for r in range(SIZE) for c in range(SIZE)]
    nodes += [(9001, LON0 + STEP / 2, LAT0 - STEP / 2)]  # footway middle
    nodes += [(9101, FAR_LON, LAT0), (9102, FAR_LON + STEP, LAT0)]  # far street
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for r in range(SIZE):
        tags = {"highway": "residential", "name": f"Jalan Baris {r}"}
        if r == 2:
            tags = {"highway": "primary", "maxspeed": "50", "name": "Jalan Raya"}
        ways.append((100 + r, [node_id(r, c) for c in range(SIZE)], tags))
    for c in range(SIZE):
        tags = {"highway": "tertiary", "name": f"Jalan Kolom {c}"}
        if c == SIZE - 1:
            tags["oneway"] = "yes"
        ways.append((200 + c, [node_id(r, c) for r in range(SIZE)], tags))
    ways.append((300, [node_id(0, 0), 9001, node_id(1, 1)], {"highway": "footway"}))
    ways.append((301, [9101, 9102], {"highway": "residential"}))
    if not with_highways:
        ways = [(i, refs, {"building": "yes"}) for i, refs, _ in ways]
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    lines += [
        f'  <node id="{i}" version="1" lat="{lat:.7f}" lon="{lon + shift_lon:.7f}"/>'
        for i, lon, lat in nodes
    ]
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


ROAD_FORMATS = ("osm", "osm.gz", "osm.bz2", "osm.pbf", "graphml", "graphml.gz")


def write_roads(folder: Path, fmt: str, *, shift_lon: float = 0.0) -> Path:
    """Write the grid's roads as ``folder/roads.<fmt>``."""
    xml = osm_xml(shift_lon=shift_lon)
    target = folder / f"roads.{fmt}"
    if fmt == "osm":
        target.write_text(xml, encoding="utf-8")
    elif fmt == "osm.gz":
        target.write_bytes(gzip.compress(xml.encode()))
    elif fmt == "osm.bz2":
        target.write_bytes(bz2.compress(xml.encode()))
    elif fmt == "osm.pbf":
        plain = folder / "tmp-roads.osm"
        plain.write_text(xml, encoding="utf-8")
        with osmium.SimpleWriter(str(target)) as writer:
            for obj in osmium.FileProcessor(str(plain)):
                writer.add(obj)
        plain.unlink()
    elif fmt in ("graphml", "graphml.gz"):
        plain = folder / "tmp-roads.osm"
        plain.write_text(xml, encoding="utf-8")
        G = ox.graph_from_xml(plain, retain_all=True)
        plain.unlink()
        graphml = folder / "roads.graphml"
        ox.save_graphml(G, graphml)
        if fmt == "graphml.gz":
            target.write_bytes(gzip.compress(graphml.read_bytes()))
            graphml.unlink()
    else:  # pragma: no cover - test bug
        raise ValueError(fmt)
    return target


def write_pack(folder: Path, *, roads: str | None = "osm", shift_lon: float = 0.0) -> Path:
    """Write the tiny pack into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (
        ("boundary.geojson", boundary_geojson()),
        ("kecamatan.geojson", kecamatan_geojson()),
        ("kelurahan.geojson", kelurahan_geojson()),
    ):
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    if roads is not None:
        write_roads(folder, roads, shift_lon=shift_lon)
    return folder


def copy_pack(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
