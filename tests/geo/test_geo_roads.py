"""Reading road files into clipped, timed, cached graphs."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from geo_builders import ROAD_FORMATS, SIZE, node_id, osm_xml, write_roads

from outreach.errors import RegionError
from outreach.geo import _osm, roads
from outreach.geo.packs import find_pack
from outreach.geo.roads import load_road_graph


def _load(pack_dir: Path, cache_dir: Path, **kwargs: float) -> nx.MultiDiGraph:
    pack = find_pack(str(pack_dir), search_dirs=[])
    assert pack.roads_file is not None
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir, **kwargs)


@pytest.mark.parametrize("fmt", ROAD_FORMATS)
def test_every_format_gives_the_same_routable_grid(
    make_pack: Callable[..., Path], cache_dir: Path, fmt: str
) -> None:
    G = _load(make_pack(roads=fmt), cache_dir)

    grid = {node_id(r, c) for r in range(SIZE) for c in range(SIZE)}
    assert grid - {node_id(0, 0), node_id(SIZE - 1, 0)} <= set(G.nodes)  # corners may merge
    assert not set(G.nodes) - grid, "the far street and the footway are gone"
    assert nx.is_strongly_connected(G)
    assert all(d["travel_time"] > 0 and d["length"] > 0 for *_, d in G.edges(data=True))


def test_speeds_use_maxspeed_else_urban_defaults(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    G = _load(make_pack(), cache_dir)

    edges = [d for *_, d in G.edges(data=True) if isinstance(d["highway"], str)]
    speeds = {d["highway"]: d["speed_kph"] for d in edges}
    assert speeds["primary"] == 50  # tagged maxspeed
    assert speeds["residential"] == roads.URBAN_SPEEDS_KMH["residential"] == 20
    assert speeds["tertiary"] == roads.URBAN_SPEEDS_KMH["tertiary"] == 30


def test_one_way_streets_stay_one_way(make_pack: Callable[..., Path], cache_dir: Path) -> None:
    G = _load(make_pack(), cache_dir)

    assert G.has_edge(node_id(0, SIZE - 1), node_id(1, SIZE - 1))
    assert not G.has_edge(node_id(1, SIZE - 1), node_id(0, SIZE - 1))


def test_the_second_load_comes_from_the_cache(
    make_pack: Callable[..., Path], cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_dir = make_pack(roads="osm.gz")
    first = _load(pack_dir, cache_dir)
    cache_file = Path(first.graph["cache_file"])
    mtime = cache_file.stat().st_mtime_ns

    def no_parsing(path: Path) -> nx.MultiDiGraph:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(_osm, "read_raw_graph", no_parsing)
    second = _load(pack_dir, cache_dir)

    assert first.graph["loaded_from_cache"] is False
    assert second.graph["loaded_from_cache"] is True
    assert cache_file.parent == cache_dir and cache_file.stat().st_mtime_ns == mtime
    assert second.graph["source_sha256"] == roads.file_sha256(pack_dir / "roads.osm.gz")
    assert nx.utils.graphs_equal(first, second) or len(first) == len(second)
    assert not list(cache_dir.glob(".tmp-*")), "no temporary files left behind"


def test_the_cache_key_follows_file_content_and_margin(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    pack_dir = make_pack()
    base = Path(_load(pack_dir, cache_dir).graph["cache_file"])
    wider = Path(_load(pack_dir, cache_dir, margin_m=900).graph["cache_file"])
    (pack_dir / "roads.osm").write_text(osm_xml().replace("Jalan Raya", "Jalan Besar"), "utf-8")
    edited = _load(pack_dir, cache_dir)

    assert len({base, wider, Path(edited.graph["cache_file"])}) == 3
    assert edited.graph["loaded_from_cache"] is False


def test_an_unreadable_cache_file_is_rebuilt(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    pack_dir = make_pack()
    cache_file = Path(_load(pack_dir, cache_dir).graph["cache_file"])
    cache_file.write_bytes(b"not a pickle")

    G = _load(pack_dir, cache_dir)

    assert G.graph["loaded_from_cache"] is False and len(G) > 0


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("roads.osm.gz", b"\x1f\x8b\x08\x00 this is not gzip data"),
        ("roads.osm", b"<osm><node id='1' lat='-7' lon="),
        ("roads.osm.pbf", b"\x00\x00\x00\x0dnot a pbf at all"),
        ("roads.graphml", b"<graphml><graph><node id='1'/><edge source="),
        ("roads.graphml.gz", gzip.compress(b"plain text, not xml")),
    ],
)
def test_a_corrupt_road_file_names_the_file(
    make_pack: Callable[..., Path], cache_dir: Path, file_name: str, content: bytes
) -> None:
    pack_dir = make_pack(roads=None)
    (pack_dir / file_name).write_bytes(content)

    with pytest.raises(RegionError, match=f"{file_name}: ") as err:
        _load(pack_dir, cache_dir)
    assert "\n" not in str(err.value)
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_osm_data_without_roads_is_refused(make_pack: Callable[..., Path], cache_dir: Path) -> None:
    pack_dir = make_pack(roads=None)
    (pack_dir / "roads.osm").write_text(osm_xml(with_highways=False), "utf-8")

    with pytest.raises(RegionError, match=r"roads\.osm: no drivable highway ways"):
        _load(pack_dir, cache_dir)


def test_a_graphml_without_coordinates_is_refused(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    pack_dir = make_pack(roads=None)
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, highway="residential", length=10.0)
    nx.write_graphml(G, pack_dir / "roads.graphml")

    with pytest.raises(RegionError, match=r"roads\.graphml: "):
        _load(pack_dir, cache_dir)


def test_roads_outside_the_boundary_are_refused(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    pack_dir = make_pack(roads="osm.pbf", shift_lon=1.0)  # about 110 km east

    with pytest.raises(RegionError, match=r"roads\.osm\.pbf: .*outside the region boundary"):
        _load(pack_dir, cache_dir)


def test_a_missing_road_file_is_reported(tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(RegionError, match="does not exist"):
        load_road_graph(tmp_path / "roads.osm", boundary=None, cache_dir=cache_dir)  # type: ignore[arg-type]


def test_road_bounds_are_read_without_building(make_pack: Callable[..., Path]) -> None:
    pack_dir = make_pack(roads=None)
    for fmt in ("osm.bz2", "graphml.gz"):
        path = write_roads(pack_dir, fmt)
        min_lon, min_lat, max_lon, max_lat = _osm.read_road_bounds(path)
        assert min_lon == pytest.approx(110.0) and max_lat == pytest.approx(-7.0)
        assert max_lon == pytest.approx(110.5 + 0.002 * (fmt == "osm.bz2"), abs=0.01)
        assert min_lat < max_lat


def test_a_clipped_extract_with_dangling_node_references_imports(
    make_pack: Callable[..., Path], cache_dir: Path
) -> None:
    # osmconvert/osmosis cut to a box keep ways whose outside nodes they dropped: here the
    # node at row 0, column 2 is gone while rows and columns still reference it.
    pack_dir = make_pack(roads=None)
    gone = node_id(0, 2)
    xml = "\n".join(line for line in osm_xml().splitlines() if f'<node id="{gone}"' not in line)
    (pack_dir / "roads.osm").write_text(xml + "\n", "utf-8")

    G = _load(pack_dir, cache_dir)
    assert gone not in G
    # The way is split at the gap, never joined across it.
    assert not G.has_edge(node_id(0, 1), node_id(0, 3))
    assert not G.has_edge(node_id(0, 3), node_id(0, 1))
    assert node_id(4, 4) in G and len(G) > 10
