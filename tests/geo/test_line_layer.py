"""Road graphs from a government line layer (RBI-like lines with a class column, no OSM tags).

The fixture is a small network drawn here, in metres east/north of the grid pack's centre row
(geo_builders: the boundary and kelurahan of "Kota Uji")::

    (200,300) o                               o (820,300)   Jalan Lokal, 2 lines:
              |  Jalan Kolektor               |             20 m from the arteri's end, so
              |  (starts 3 m north of L1:     |             a separate part, dropped
              |   a T-junction, L1 split)     o (820,150)
    (0,0) o---+--------o o-----------------o (800,0)  . . . 20 m . . .
          |   L1: Jalan Arteri  L2: JALAN ARTERI (starts 2 m east of L1's end: snapped)
          | Jalan Setapak (speed null: left out)
    (0,-200) o

plus a Jalan Lokal line 50 km east (outside the region: clipped away).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pytest
import shapely
from flask.testing import FlaskCliRunner
from geo_builders import LAT0, LON0, STEP, osm_xml, write_pack
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import PlanRules, Site, TeamSpec, TimeWindow
from outreach.errors import RegionError
from outreach.geo.lines import (
    CONFIG_FILE,
    line_report,
    load_line_graph,
    road_source_label,
)
from outreach.geo.network import RoadNetwork, clear_travel_models, travel_model_for
from outreach.geo.packs import find_pack
from outreach.geo.regions import check_pack
from outreach.geo.roads import load_road_graph
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import PlanningProblem, problem_points

ORIGIN = (LON0, LAT0 - 2 * STEP)  # the grid pack's centre row, west end
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN[1]))
SPEEDS = {
    "Jalan Arteri": 40,
    "Jalan Kolektor": 30,
    "Jalan Lokal": 20,
    "Jalan Lain": 15,
    "Jalan Setapak": None,
}


def at(x_m: float, y_m: float) -> tuple[float, float]:
    """Lon/lat of the point ``x_m`` east and ``y_m`` north of ORIGIN."""
    return (ORIGIN[0] + x_m / M_PER_DEG_LON, ORIGIN[1] + y_m / M_PER_DEG_LAT)


def drawn_lines() -> gpd.GeoDataFrame:
    rows: list[tuple[str, list[tuple[float, float]]]] = [
        ("Jalan Arteri", [(0, 0), (400, 0)]),  # L1
        ("JALAN  ARTERI", [(402, 0), (800, 0)]),  # L2: 2 m gap, other spelling
        ("Jalan Kolektor", [(200, 3), (200, 300)]),  # T-junction 3 m from L1's middle
        ("Jalan Lokal", [(820, 0), (820, 150)]),  # 20 m from L2's end: not snapped
        ("Jalan Lokal", [(820, 150), (820, 300)]),
        ("Jalan Setapak", [(0, 0), (0, -200)]),  # no speed: left out
        ("Jalan Lokal", [(50_000, 0), (50_300, 0)]),  # outside the region: clipped away
    ]
    return gpd.GeoDataFrame(
        {"REMARK": [c for c, _ in rows], "NAMOBJ": [f"Jalan {i}" for i in range(len(rows))]},
        geometry=[shapely.LineString([at(x, y) for x, y in pts]) for _, pts in rows],
        crs="EPSG:4326",
    )


def write_line_pack(
    folder: Path,
    *,
    fmt: str = "geojson",
    speeds: dict[str, Any] | None = None,
    **config: Any,
) -> Path:
    """A grid pack (boundaries only) plus the drawn lines and ``roads.json``."""
    write_pack(folder, roads=None)
    lines = drawn_lines()
    if fmt == "shp":
        name = "jalan_rbi.shp"
        lines.to_file(folder / name, driver="ESRI Shapefile")
    else:
        name = "jalan_rbi.geojson"
        lines.to_file(folder / name, driver="GeoJSON")
    data = {"file": name, "class_column": "REMARK", "speeds_kmh": speeds or SPEEDS, **config}
    (folder / CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")
    return folder


@pytest.fixture
def line_pack(tmp_path: Path) -> Path:
    return write_line_pack(tmp_path / "regions" / "kota-garis")


def _graph(pack_dir: Path, cache_dir: Path) -> nx.MultiDiGraph:
    pack = find_pack(str(pack_dir), search_dirs=[])
    assert pack.roads_file == pack_dir / CONFIG_FILE
    return load_line_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def _node_near(G: nx.MultiDiGraph, x_m: float, y_m: float) -> int:
    lon, lat = at(x_m, y_m)
    return int(min(G.nodes, key=lambda n: math.hypot(G.nodes[n]["x"] - lon, G.nodes[n]["y"] - lat)))


def test_graph_from_lines_snaps_small_gaps_and_drops_the_far_part(
    line_pack: Path, tmp_path: Path
) -> None:
    G = _graph(line_pack, tmp_path / "cache")

    # L1 split at the T-junction (2 pieces), L2, the kolektor: 4 two-way lines = 8 edges.
    assert (len(G), G.number_of_edges()) == (5, 8)
    assert nx.is_strongly_connected(G)
    report = line_report(G)
    assert report is not None
    assert report.lines == 7
    assert (report.lines_excluded, round(report.excluded_km, 2)) == (1, 0.2)
    # L1's end and L2's start (2 m apart) and the kolektor's start (on L1): 3 ends moved.
    assert (report.endpoints_snapped, report.lines_split) == (3, 1)
    assert report.edges_clipped == 2 and round(report.km_clipped, 1) == 0.3
    # The lokal lines 20 m away (3 nodes, 4 directed edges, 0.3 km): one part, dropped.
    assert (report.parts_dropped, report.edges_dropped) == (1, 4)
    assert report.km_dropped == pytest.approx(0.3, abs=0.005)
    assert report.edges_kept == 8
    assert report.km_kept == pytest.approx(1.1, abs=0.01)
    text = report.describe()
    assert "3 endpoints snapped" in text and "1 disconnected parts dropped (4 edges" in text
    assert G.graph["road_source"] == "RBI jalan_rbi.geojson"
    assert road_source_label(G) == "RBI jalan_rbi.geojson"
    # Every node is within the drawn network (nothing of the far or dropped parts).
    assert max(G.nodes[n]["x"] for n in G) < at(810, 0)[0]


def test_travel_time_of_a_known_path_is_length_over_speed(line_pack: Path, tmp_path: Path) -> None:
    G = _graph(line_pack, tmp_path / "cache")

    for _, _, data in G.edges(data=True):
        speed = {"jalan arteri": 40.0, "jalan kolektor": 30.0}[data["road_class"]]
        assert data["speed_kph"] == speed
        assert data["travel_time"] == pytest.approx(data["length"] / (speed / 3.6), abs=0.01)
    west, east = _node_near(G, 0, 0), _node_near(G, 800, 0)
    length = nx.shortest_path_length(G, west, east, weight="length")
    seconds = nx.shortest_path_length(G, west, east, weight="travel_time")
    assert length == pytest.approx(800.0, abs=1.0)
    assert seconds == pytest.approx(length / (40 / 3.6), abs=0.1)  # about 72 s
    north = _node_near(G, 200, 300)
    up = nx.shortest_path_length(G, west, north, weight="travel_time")
    assert up == pytest.approx(200 / (40 / 3.6) + 300 / (30 / 3.6), abs=1.0)
    # Edge shapes run from u to v (network.py relies on it for the reverse edges too).
    for u, _v, data in G.edges(data=True):
        start = data["geometry"].coords[0]
        assert math.hypot(start[0] - G.nodes[u]["x"], start[1] - G.nodes[u]["y"]) < 1e-7


def test_larger_tolerance_joins_the_20_m_gap(tmp_path: Path) -> None:
    pack_dir = write_line_pack(tmp_path / "kota-garis", snap_tolerance_m=25)
    G = _graph(pack_dir, tmp_path / "cache")

    report = line_report(G)
    assert report is not None and report.parts_dropped == 0
    assert G.number_of_edges() == 12


def test_shapefile_reads_like_geojson(tmp_path: Path) -> None:
    from_geojson = _graph(write_line_pack(tmp_path / "a" / "kota-garis"), tmp_path / "cache")
    shp_dir = write_line_pack(tmp_path / "b" / "kota-garis", fmt="shp")
    assert (shp_dir / "jalan_rbi.dbf").is_file() and (shp_dir / "jalan_rbi.prj").is_file()
    from_shp = _graph(shp_dir, tmp_path / "cache")

    assert from_shp.graph["road_source"] == "RBI jalan_rbi.shp"
    assert (len(from_shp), from_shp.number_of_edges()) == (5, 8)
    assert line_report(from_shp) == line_report(from_geojson)


def test_missing_class_mapping_names_the_classes(tmp_path: Path) -> None:
    speeds = {"Jalan Arteri": 40, "Jalan Setapak": None}
    pack_dir = write_line_pack(tmp_path / "kota-garis", speeds=speeds)

    with pytest.raises(RegionError) as caught:
        _graph(pack_dir, tmp_path / "cache")
    message = str(caught.value)
    assert "no speed for road class(es) 'Jalan Kolektor', 'Jalan Lokal'" in message
    assert "column 'REMARK' of jalan_rbi.geojson" in message


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"class_column": "KELAS"}, "no column 'KELAS' (columns: REMARK, NAMOBJ)"),
        ({"file": "tidak-ada.geojson"}, "the line file tidak-ada.geojson is not in the pack"),
        ({"speeds_kmh": {}}, "'speeds_kmh' is required"),
        ({"speeds_kmh": {"Jalan Arteri": "cepat"}}, "speed of class 'Jalan Arteri' must be"),
        ({"snap_tolerance_m": 500}, "'snap_tolerance_m' must be metres between 0 and 50"),
        ({"speed": 3}, "unknown key(s) speed"),
    ],
)
def test_bad_configuration_is_one_clear_error(
    tmp_path: Path, config: dict[str, Any], expected: str
) -> None:
    pack_dir = write_line_pack(tmp_path / "kota-garis")
    data = json.loads((pack_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    data.update(config)
    (pack_dir / CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(RegionError) as caught:
        _graph(pack_dir, tmp_path / "cache")
    assert expected in str(caught.value)


def test_oneway_column_keeps_the_strongly_connected_part(tmp_path: Path) -> None:
    pack_dir = tmp_path / "kota-garis"
    write_line_pack(pack_dir, oneway_column="SATUARAH")
    lines = gpd.read_file(pack_dir / "jalan_rbi.geojson")
    # The kolektor one-way northwards: a dead end nobody can leave, so it is dropped.
    lines["SATUARAH"] = ["", "", "ya", "", "", "", ""]
    lines.to_file(pack_dir / "jalan_rbi.geojson", driver="GeoJSON")
    G = _graph(pack_dir, tmp_path / "cache")

    assert nx.is_strongly_connected(G)
    assert (len(G), G.number_of_edges()) == (4, 6)
    assert not any(data["road_class"] == "jalan kolektor" for *_, data in G.edges(data=True))


def test_cache_is_reused_and_rebuilt_when_the_lines_change(line_pack: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = _graph(line_pack, cache_dir)
    again = _graph(line_pack, cache_dir)
    assert (first.graph["loaded_from_cache"], again.graph["loaded_from_cache"]) == (False, True)
    assert line_report(again) == line_report(first)
    # osmnx-style callers (network.py, the map, the demo) find the same cached graph.
    pack = find_pack(str(line_pack), search_dirs=[])
    assert pack.roads_file is not None
    through_roads = load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)
    assert through_roads.graph["loaded_from_cache"] is True
    assert through_roads.graph["road_source"] == "RBI jalan_rbi.geojson"

    lines = gpd.read_file(line_pack / "jalan_rbi.geojson")
    lines.loc[3, "geometry"] = shapely.LineString([at(802, 0), at(820, 150)])  # now joined
    lines.to_file(line_pack / "jalan_rbi.geojson", driver="GeoJSON")
    rebuilt = _graph(line_pack, cache_dir)
    assert rebuilt.graph["loaded_from_cache"] is False
    assert rebuilt.number_of_edges() == 12


def test_region_import_builds_it_and_prints_the_report(
    runner: FlaskCliRunner, session: Session, line_pack: Path
) -> None:
    result = runner.invoke(args=["outreach", "region", "import", str(line_pack)])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Imported kota-garis (Kota Uji, 99.01): 2 kecamatan, 4 kelurahan" in out
    assert "roads 5 nodes, 8 edges" in out
    assert "RBI jalan_rbi.geojson: 7 lines, 3 endpoints snapped (1 lines split)" in out
    assert "1 disconnected parts dropped (4 edges, 0.30 km)" in out
    record = session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == "kota-garis")
    )
    assert record is not None and record.roads_file == str(line_pack / CONFIG_FILE)

    check = check_pack(str(line_pack), search_dirs=[], cache_dir=runner.app.config["CACHE_DIR"])
    assert check.graph_from_cache and "3 endpoints snapped" in check.roads_note


def test_a_plan_on_the_line_graph_is_feasible(line_pack: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    _graph(line_pack, cache_dir)  # as region import does: builds and caches
    clear_travel_models()
    travel = travel_model_for(str(line_pack), search_dirs=[], cache_dir=cache_dir)
    assert isinstance(travel, RoadNetwork)
    assert road_source_label(travel.G) == "RBI jalan_rbi.geojson"

    doors = [(100, 15), (600, -12), (215, 250), (780, 10)]
    sites = tuple(
        Site(id=i + 1, lon=at(x, y)[0], lat=at(x, y)[1], service_s=20 * 60)
        for i, (x, y) in enumerate(doors)
    )
    team = TeamSpec(
        id=1,
        name="Tim 1",
        skills=frozenset({"perekaman_ktp"}),
        shift=TimeWindow(8 * 3600, 15 * 3600),
    )
    problem = PlanningProblem(
        depot=at(0, 5),
        dates=(dt.date(2026, 11, 23),),
        teams=(team,),
        sites=sites,
        rules=PlanRules(),
    )
    matrix = travel.matrix(problem_points(problem).points)
    assert matrix.method == "road" and not matrix.fallback.any()
    # Depot (0, 5) to the door at (780, 10): about 780 m on the arteri at 40 km/h + walks.
    assert 780 / (40 / 3.6) <= matrix.durations_s[0, 4] <= 780 / (40 / 3.6) + 30
    result = plan_routes(problem, matrix, legs=travel.leg_geometry)
    assert check_plan(problem, matrix, result) == []
    assert sorted(s.site_id for r in result.routes for s in r.stops) == [1, 2, 3, 4]
    for route in result.routes:
        assert all(len(stop.geometry) >= 2 for stop in route.stops)


def test_osm_graphs_are_labelled_with_their_snapshot_date(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "kota-uji", roads=None)
    header = 'generator="test" timestamp_osm_base="2024-03-29T17:47:15Z"'
    xml = osm_xml().replace('generator="test"', header)
    (pack_dir / "roads.osm").write_text(xml, encoding="utf-8")
    pack = find_pack(str(pack_dir), search_dirs=[])
    assert pack.roads_file is not None
    G = load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=tmp_path / "cache")

    assert road_source_label(G) == "OSM 2024-03-29"
    (pack_dir / "roads.osm").write_text(osm_xml(), encoding="utf-8")  # no date in the header
    undated = load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=tmp_path / "c2")
    assert road_source_label(undated) == "OSM"


def test_lines_without_class_need_the_empty_key(tmp_path: Path) -> None:
    pack_dir = write_line_pack(tmp_path / "kota-garis")
    lines = gpd.read_file(pack_dir / "jalan_rbi.geojson")
    lines.loc[4, "REMARK"] = None
    lines.to_file(pack_dir / "jalan_rbi.geojson", driver="GeoJSON")

    with pytest.raises(RegionError, match=r"no speed for road class\(es\) '\(empty\)'"):
        _graph(pack_dir, tmp_path / "cache")
    data = json.loads((pack_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    data["speeds_kmh"][""] = 15
    (pack_dir / CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")
    G = _graph(pack_dir, tmp_path / "cache")
    assert (len(G), G.number_of_edges()) == (5, 8)  # that line was in the dropped part anyway
