"""Road base layer: classes, merged and rounded lines, cached per key."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from shapely.geometry import LineString

from outreach.render.roads import (
    cached_road_geojson,
    iter_road_lines,
    make_road_geojson,
    road_class,
)


def _graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for node, (x, y) in {1: (110.0, -7.0), 2: (110.001, -7.0), 3: (110.002, -7.0)}.items():
        G.add_node(node, x=x, y=y)
    G.add_edge(1, 2, highway="residential")
    G.add_edge(2, 1, highway="residential")  # the other direction of the same street
    G.add_edge(2, 3, highway=["primary", "secondary"])
    G.add_edge(3, 2, highway=["primary", "secondary"])
    return G


def test_road_class_takes_the_biggest_of_a_merged_way() -> None:
    assert road_class("residential") == "lokal"
    assert road_class(["service", "tertiary"]) == "sekunder"
    assert road_class(["primary_link"]) == "utama"
    assert road_class(None) == "layanan"


def test_each_street_once_and_classes() -> None:
    lines = list(iter_road_lines(_graph()))
    assert sorted(c for c, _ in lines) == ["lokal", "utama"]


def test_geojson_is_merged_rounded_and_credited() -> None:
    wiggly = LineString([(110.0000001, -7.0), (110.0000002, -7.0000001), (110.001, -7.0)])
    straight = LineString([(110.001, -7.0), (110.002, -7.0)])
    data = make_road_geojson([("lokal", wiggly), ("lokal", straight)])
    assert data["attribution"] == "© OpenStreetMap contributors"
    (feature,) = data["features"]
    assert feature["properties"] == {"kelas": "lokal"}
    # Two touching lines merged into one; the near-duplicate vertex dropped by rounding.
    assert feature["geometry"]["coordinates"] == [[[110.0, -7.0], [110.002, -7.0]]]


def test_cache_builds_once_per_key(tmp_path: Path) -> None:
    calls: list[int] = []

    def load() -> nx.MultiDiGraph:
        calls.append(1)
        return _graph()

    first = cached_road_geojson(cache_dir=tmp_path, key="abc/../x", load_graph=load)
    again = cached_road_geojson(cache_dir=tmp_path, key="abc/../x", load_graph=load)
    assert calls == [1]
    assert first == again and first.plain.parent == tmp_path  # the key cannot escape the folder
    assert first.gzipped.stat().st_size < first.plain.stat().st_size * 2
