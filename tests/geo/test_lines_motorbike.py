"""Motorbike speeds on a government line layer (``motorbike_speeds_kmh`` in ``roads.json``).

A small drawn network, in metres east/north of the grid pack's centre row (geo_builders)::

    D (0,400) o ~ ~ ~ ~ Jalan Setapak ~ ~ ~ ~ o E (400,400)    setapak: motorbikes only
              |                               |
              | Jalan Lokal                   | Jalan Lokal
              |                               |
    A (0,0)   o-------- Jalan Arteri ---------o F (400,0) ---- Jalan Tol ---- o (800,0)

By car D -> E goes round by A and F (1.2 km); a motorbike takes the 400 m setapak. The toll
road is closed to motorbikes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pytest
import shapely
from flask.testing import FlaskCliRunner
from geo_builders import LAT0, LON0, STEP, write_pack

from outreach.errors import RegionError
from outreach.geo.lines import CONFIG_FILE, line_report, load_line_graph, read_config
from outreach.geo.network import RoadNetwork, clear_travel_models, travel_model_for
from outreach.geo.packs import find_pack
from outreach.geo.roads import motorbike_graph

ORIGIN = (LON0, LAT0 - 2 * STEP)
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN[1]))
CAR = {"Jalan Arteri": 40, "Jalan Lokal": 20, "Jalan Tol": 60, "Jalan Setapak": None}
MOTOR = {"Jalan Arteri": 40, "Jalan Lokal": 30, "Jalan Tol": None, "Jalan Setapak": 15}


def at(x_m: float, y_m: float) -> tuple[float, float]:
    return (ORIGIN[0] + x_m / M_PER_DEG_LON, ORIGIN[1] + y_m / M_PER_DEG_LAT)


def write_pack_with_setapak(folder: Path, **config: Any) -> Path:
    write_pack(folder, roads=None)
    rows = [
        ("Jalan Arteri", [(0, 0), (400, 0)]),
        ("Jalan Lokal", [(0, 0), (0, 400)]),
        ("Jalan Lokal", [(400, 0), (400, 400)]),
        ("Jalan Setapak", [(0, 400), (400, 400)]),
        ("Jalan Tol", [(400, 0), (800, 0)]),
    ]
    gpd.GeoDataFrame(
        {"REMARK": [c for c, _ in rows]},
        geometry=[shapely.LineString([at(x, y) for x, y in pts]) for _, pts in rows],
        crs="EPSG:4326",
    ).to_file(folder / "jalan_rbi.geojson", driver="GeoJSON")
    data = {"file": "jalan_rbi.geojson", "class_column": "REMARK", "speeds_kmh": CAR, **config}
    (folder / CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")
    return folder


def _graph(pack_dir: Path, cache_dir: Path) -> nx.MultiDiGraph:
    pack = find_pack(str(pack_dir), search_dirs=[])
    assert pack.roads_file is not None
    return load_line_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def _classes(G: nx.MultiDiGraph) -> set[str]:
    return {str(c) for *_, c in G.edges(data="road_class")}


def _node_near(G: nx.MultiDiGraph, x_m: float, y_m: float) -> int:
    lon, lat = at(x_m, y_m)
    return int(min(G.nodes, key=lambda n: math.hypot(G.nodes[n]["x"] - lon, G.nodes[n]["y"] - lat)))


def test_the_setapak_is_the_motorbikes_alone_and_speeds_follow_the_configuration(
    tmp_path: Path,
) -> None:
    pack = write_pack_with_setapak(tmp_path / "kota-gang", motorbike_speeds_kmh=MOTOR)
    G = _graph(pack, tmp_path / "cache")
    assert _classes(G) == {"jalan arteri", "jalan lokal", "jalan tol"}
    report = line_report(G)
    assert report is not None
    assert (report.motorbike_speeds, report.motorbike_only_lines) == (True, 1)
    assert report.motorbike_only_km == pytest.approx(0.4, abs=0.01)
    assert report.lines_excluded == 0  # the setapak is not left out: it is the motorbike's
    assert "motorbikes: own speeds, 1 lines only for them (0.4 km)" in report.describe()

    motor = motorbike_graph(G)
    assert _classes(motor) == {"jalan arteri", "jalan lokal", "jalan setapak"}  # no toll road
    car_speed = {c.casefold(): v for c, v in CAR.items()}
    motor_speed = {c.casefold(): v for c, v in MOTOR.items()}
    for _, _, data in G.edges(data=True):
        assert data["speed_kph"] == car_speed[data["road_class"]]
    for _, _, data in motor.edges(data=True):
        assert data["speed_kph"] == motor_speed[data["road_class"]]
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))

    d_car, e_car = _node_near(G, 0, 400), _node_near(G, 400, 400)
    car_path = nx.shortest_path(G, d_car, e_car, weight="travel_time")
    assert len(car_path) == 4  # D, A, F, E: round by the arteri
    car_s = nx.path_weight(G, car_path, weight="travel_time")
    assert car_s == pytest.approx(800 / (20 / 3.6) + 400 / (40 / 3.6), rel=0.02)
    d_motor, e_motor = _node_near(motor, 0, 400), _node_near(motor, 400, 400)
    motor_path = nx.shortest_path(motor, d_motor, e_motor, weight="travel_time")
    assert len(motor_path) == 2  # straight along the setapak
    motor_s = nx.path_weight(motor, motor_path, weight="travel_time")
    assert motor_s == pytest.approx(400 / (15 / 3.6), rel=0.02)


def test_the_motorbike_matrix_takes_the_setapak(tmp_path: Path) -> None:
    pack = write_pack_with_setapak(tmp_path / "kota-gang", motorbike_speeds_kmh=MOTOR)
    cache_dir = tmp_path / "cache"
    _graph(pack, cache_dir)  # as region import does: builds and caches
    clear_travel_models()
    travel = travel_model_for(str(pack), search_dirs=[], cache_dir=cache_dir)
    assert isinstance(travel, RoadNetwork)
    doors = [at(10, 395), at(390, 395)]  # by D and by E, a few metres off the roads
    car = travel.matrix(doors)
    motor = travel.for_profile("motor").matrix(doors)
    assert car.method == motor.method == "road"
    assert not car.fallback.any() and not motor.fallback.any()
    # By car round by A and F: 1.2 km; by motorbike the setapak: 0.4 km.
    assert 1150 <= car.distances_m[0, 1] <= 1250
    assert 350 <= motor.distances_m[0, 1] <= 450
    assert motor.durations_s[0, 1] < car.durations_s[0, 1] - 60


def test_without_the_key_a_motorbike_uses_the_car_speeds_and_the_import_says_so(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    pack = write_pack_with_setapak(tmp_path / "regions" / "kota-gang")
    result = runner.invoke(args=["outreach", "region", "import", str(pack)])
    assert result.exit_code == 0, result.output
    assert "motorbikes: car speeds (no motorbike_speeds_kmh)" in result.output
    assert "1 lines without speed left out (0.4 km)" in result.output

    G = _graph(pack, Path(runner.app.config["CACHE_DIR"]))
    report = line_report(G)
    assert report is not None and not report.motorbike_speeds
    motor = motorbike_graph(G)
    assert _classes(motor) == _classes(G) == {"jalan arteri", "jalan lokal", "jalan tol"}
    for _, _, data in motor.edges(data=True):
        assert data["speed_kph"] == CAR[str(data["road_class"]).title()]


def test_a_class_known_only_to_motorbikes_is_not_a_missing_class(tmp_path: Path) -> None:
    car = {k: v for k, v in CAR.items() if k != "Jalan Setapak"}
    pack = write_pack_with_setapak(
        tmp_path / "kota-gang", speeds_kmh=car, motorbike_speeds_kmh={"Jalan Setapak": 12}
    )
    G = _graph(pack, tmp_path / "cache")
    motor = motorbike_graph(G)
    speeds = {str(c): float(s) for *_, c, s in _edge_speeds(motor)}
    # Classes not in motorbike_speeds_kmh are ridden at the car's speed.
    assert speeds == {
        "jalan arteri": 40.0,
        "jalan lokal": 20.0,
        "jalan tol": 60.0,
        "jalan setapak": 12.0,
    }


def _edge_speeds(G: nx.MultiDiGraph) -> list[tuple[int, int, str, float]]:
    return [(u, v, d["road_class"], d["speed_kph"]) for u, v, d in G.edges(data=True)]


@pytest.mark.parametrize(
    ("motor", "message"),
    [
        ([40], "'motorbike_speeds_kmh' must be an object"),
        ({}, "'motorbike_speeds_kmh' must be an object"),
        ({"Jalan Lokal": "cepat"}, "class 'Jalan Lokal' in motorbike_speeds_kmh must be km/h"),
        ({"Jalan Lokal": 200}, "between 1 and 130"),
    ],
)
def test_a_bad_motorbike_mapping_is_one_clear_error(
    tmp_path: Path, motor: object, message: str
) -> None:
    pack = write_pack_with_setapak(tmp_path / "kota-gang", motorbike_speeds_kmh=motor)
    with pytest.raises(RegionError, match=message):
        read_config(pack / CONFIG_FILE)
