"""Finding and validating region packs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from geo_builders import CODE

from outreach.errors import RegionError
from outreach.geo.packs import find_pack, list_packs
from tests.conftest import SHARED_REGIONS


def test_a_slug_is_found_in_the_search_dirs(regions_dir: Path) -> None:
    pack = find_pack("kota-uji", search_dirs=[regions_dir])

    assert (pack.slug, pack.name, pack.code) == ("kota-uji", "Kota Uji", CODE)
    assert pack.path == (regions_dir / "kota-uji").resolve()
    assert pack.kecamatan.crs.to_epsg() == 4326 and pack.kelurahan.crs.to_epsg() == 4326
    assert list(pack.kecamatan["kode"]) == ["99.01.01", "99.01.02"]
    assert len(pack.kelurahan) == 4
    assert pack.roads_file == pack.path / "roads.osm"
    assert pack.has_roads
    assert pack.boundary.geom_type == "Polygon"


def test_jenis_and_kecamatan_name_are_filled_in_when_missing(regions_dir: Path) -> None:
    kel = find_pack("kota-uji", search_dirs=[regions_dir]).kelurahan.set_index("kode")

    assert kel.loc["99.01.01.1002", "jenis"] == "kelurahan"  # code 1xxx
    assert kel.loc["99.01.02.2001", "jenis"] == "desa"  # code 2xxx
    assert kel.loc["99.01.01.1002", "kecamatan"] == "Barat"


def test_a_path_is_used_directly(regions_dir: Path) -> None:
    pack = find_pack(str(regions_dir / "kota-uji-tanpa-jalan"), search_dirs=[])

    assert pack.slug == "kota-uji-tanpa-jalan"
    assert pack.roads_file is None and not pack.has_roads


def test_search_dirs_are_searched_in_order(
    tmp_path: Path, regions_dir: Path, make_pack: Callable[..., Path]
) -> None:
    first = make_pack("kota-uji", roads=None).parent

    assert find_pack("kota-uji", search_dirs=[first, regions_dir]).roads_file is None
    assert find_pack("kota-uji", search_dirs=[regions_dir, first]).roads_file is not None


def test_an_unknown_slug_names_the_folders_searched(tmp_path: Path, regions_dir: Path) -> None:
    with pytest.raises(RegionError, match="'kota-entah' not found") as err:
        find_pack("kota-entah", search_dirs=[tmp_path / "nowhere", regions_dir])

    assert str(tmp_path / "nowhere") in str(err.value) and str(regions_dir) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_missing_folder_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RegionError, match="does not exist"):
        find_pack(str(tmp_path / "no" / "such-pack"), search_dirs=[])


def test_an_empty_argument_is_refused() -> None:
    with pytest.raises(RegionError, match="No region given"):
        find_pack("  ", search_dirs=[])


@pytest.mark.parametrize("name", ["boundary.geojson", "kecamatan.geojson", "kelurahan.geojson"])
def test_a_missing_file_is_named(make_pack: Callable[..., Path], name: str) -> None:
    pack = make_pack()
    (pack / name).unlink()

    with pytest.raises(RegionError, match=f"{name} is missing"):
        find_pack(str(pack), search_dirs=[])


def test_broken_json_is_reported_with_the_file(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    (pack / "kelurahan.geojson").write_text('{"type": "FeatureCollection", "features": [', "utf-8")

    with pytest.raises(RegionError, match=r"kelurahan\.geojson is not valid GeoJSON") as err:
        find_pack(str(pack), search_dirs=[])
    assert "\n" not in str(err.value)


def test_json_that_is_not_a_feature_collection_is_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    (pack / "kecamatan.geojson").write_text("[1, 2, 3]", "utf-8")

    with pytest.raises(RegionError, match="expected a FeatureCollection"):
        find_pack(str(pack), search_dirs=[])


def test_an_empty_collection_is_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    (pack / "kecamatan.geojson").write_text('{"type":"FeatureCollection","features":[]}', "utf-8")

    with pytest.raises(RegionError, match=r"kecamatan\.geojson has no features"):
        find_pack(str(pack), search_dirs=[])


def _edit(path: Path, index: int, **changes: object) -> None:
    data = json.loads(path.read_text("utf-8"))
    props = data["features"][index]["properties"]
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    path.write_text(json.dumps(data), "utf-8")


@pytest.mark.parametrize(
    ("file_name", "missing"),
    [("boundary.geojson", "kode"), ("boundary.geojson", "nama"), ("kelurahan.geojson", "kode_kec")],
)
def test_missing_properties_are_named(
    make_pack: Callable[..., Path], file_name: str, missing: str
) -> None:
    pack = make_pack()
    _edit(pack / file_name, 0, **{missing: None})

    with pytest.raises(RegionError, match=f"{file_name}: feature 0 lacks property {missing}"):
        find_pack(str(pack), search_dirs=[])


def test_a_kelurahan_of_an_unknown_kecamatan_is_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    _edit(pack / "kelurahan.geojson", 1, kode_kec="99.01.09", kode="99.01.09.1002")

    with pytest.raises(RegionError, match=r"kode_kec 99.01.09, which is not a kecamatan"):
        find_pack(str(pack), search_dirs=[])


def test_a_kecamatan_of_another_kota_is_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    _edit(pack / "kecamatan.geojson", 0, kode="34.71.01")

    with pytest.raises(RegionError, match=r"34.71.01 .* is not under kab/kota 99.01"):
        find_pack(str(pack), search_dirs=[])


def test_duplicate_codes_are_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    _edit(pack / "kelurahan.geojson", 1, kode="99.01.01.1001")

    with pytest.raises(RegionError, match=r"kode 99.01.01.1001 appears more than once"):
        find_pack(str(pack), search_dirs=[])


def test_a_point_geometry_is_refused(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    data = json.loads((pack / "kecamatan.geojson").read_text("utf-8"))
    data["features"][0]["geometry"] = {"type": "Point", "coordinates": [110.0, -7.0]}
    (pack / "kecamatan.geojson").write_text(json.dumps(data), "utf-8")

    with pytest.raises(RegionError, match="must be a non-empty Polygon or MultiPolygon"):
        find_pack(str(pack), search_dirs=[])


def test_swapped_coordinates_are_caught(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    data = json.loads((pack / "kelurahan.geojson").read_text("utf-8"))
    ring = data["features"][0]["geometry"]["coordinates"][0]
    data["features"][0]["geometry"]["coordinates"][0] = [[lat, lon] for lon, lat in ring]
    (pack / "kelurahan.geojson").write_text(json.dumps(data), "utf-8")

    with pytest.raises(RegionError, match=r"not lon/lat degrees|lies outside the boundary"):
        find_pack(str(pack), search_dirs=[])


def test_a_self_intersecting_polygon_is_repaired(make_pack: Callable[..., Path]) -> None:
    pack = make_pack()
    data = json.loads((pack / "kelurahan.geojson").read_text("utf-8"))
    (w, s), (e, _), (_, n) = data["features"][0]["geometry"]["coordinates"][0][:3]
    bowtie = [[w, s], [e, n], [e, s], [w, n], [w, s]]
    data["features"][0]["geometry"]["coordinates"] = [bowtie]
    (pack / "kelurahan.geojson").write_text(json.dumps(data), "utf-8")

    geom = find_pack(str(pack), search_dirs=[]).kelurahan.geometry.iloc[0]
    assert geom.is_valid and geom.area > 0


def test_the_first_road_file_in_order_wins(make_pack: Callable[..., Path]) -> None:
    pack = make_pack(roads="graphml")
    (pack / "roads.osm.gz").write_bytes(b"")

    assert find_pack(str(pack), search_dirs=[]).roads_file == pack / "roads.osm.gz"


def test_list_packs_reads_only_boundaries(regions_dir: Path, tmp_path: Path) -> None:
    (regions_dir / "not-a-pack").mkdir()
    broken = regions_dir / "kota-rusak"
    broken.mkdir()
    (broken / "boundary.geojson").write_text("nope", "utf-8")

    found = {p.slug: p for p in list_packs(search_dirs=[tmp_path / "missing", regions_dir])}

    assert sorted(found) == ["kota-rusak", "kota-uji", "kota-uji-tanpa-jalan"]
    assert found["kota-uji"].name == "Kota Uji" and found["kota-uji"].roads_file is not None
    assert found["kota-uji-tanpa-jalan"].roads_file is None
    assert found["kota-rusak"].name == ""


@pytest.mark.parametrize(
    ("slug", "code", "kecamatan", "kelurahan", "roads"),
    [
        ("kota-yogyakarta", "34.71", 14, 45, "roads.osm.gz"),
        ("kota-balikpapan", "64.71", 6, 34, "roads.graphml.gz"),
        ("kota-cirebon", "32.74", 5, 22, None),
        ("kab-balangan", "63.11", 8, 157, None),
        ("kab-barito-timur", "62.13", 10, 103, None),
        ("kab-serang", "36.04", 29, 326, None),
    ],
)
def test_the_shared_packs_are_valid(
    slug: str, code: str, kecamatan: int, kelurahan: int, roads: str | None
) -> None:
    pack = find_pack(slug, search_dirs=[SHARED_REGIONS])

    assert (pack.code, len(pack.kecamatan), len(pack.kelurahan)) == (code, kecamatan, kelurahan)
    assert (pack.roads_file.name if pack.roads_file else None) == roads
