"""Point -> kelurahan: inside, overlaps, gaps, outside."""

from __future__ import annotations

from pathlib import Path

import pytest
from geo_builders import GAP, LAT0, LON0, MID_LAT, MID_LON, SLIVER, WEST
from sqlalchemy.orm import Session

from outreach.errors import NotFoundError, RegionError
from outreach.geo.boundaries import import_region
from outreach.geo.locate import AreaIndex
from outreach.geo.packs import find_pack
from tests.conftest import SHARED_REGIONS

M_PER_DEG = 110_574.0


@pytest.fixture
def index(regions_dir: Path) -> AreaIndex:
    return AreaIndex.from_pack(find_pack("kota-uji", search_dirs=[regions_dir]))


def test_a_point_inside_one_kelurahan(index: AreaIndex) -> None:
    ref = index.locate(LON0 + 0.001, LAT0 - 0.001)

    assert (ref.kelurahan_code, ref.kelurahan_name) == ("99.01.01.1001", "Barat Laut")
    assert (ref.kecamatan_code, ref.kecamatan_name) == ("99.01.01", "Barat")
    assert ref.match == "inside" and ref.distance_m == 0 and ref.candidates == ()


def test_in_an_overlap_the_deepest_polygon_wins(index: AreaIndex) -> None:
    west_of_line = index.locate(MID_LON - SLIVER / 2, LAT0)  # deeper in Barat Laut
    east_of_line = index.locate(MID_LON + SLIVER / 2, LAT0)  # deeper in Timur Laut

    assert west_of_line.match == east_of_line.match == "overlap"
    assert west_of_line.kelurahan_code == "99.01.01.1001"
    assert west_of_line.candidates == ("99.01.01.1001", "99.01.02.1001")
    assert east_of_line.kelurahan_code == "99.01.02.1001"
    assert east_of_line.candidates == ("99.01.02.1001", "99.01.01.1001")


def test_an_overlap_tie_goes_to_the_lowest_code(index: AreaIndex) -> None:
    ref = index.locate(MID_LON, LAT0)

    assert ref.match == "overlap" and ref.kelurahan_code == "99.01.01.1001"


def test_a_point_in_a_gap_takes_the_nearest_kelurahan(index: AreaIndex) -> None:
    ref = index.locate(LON0, MID_LAT + GAP / 4)

    assert ref.match == "nearest" and ref.kelurahan_code == "99.01.01.1001"
    assert ref.distance_m == pytest.approx(GAP / 4 * M_PER_DEG, abs=1)


def test_just_over_the_kota_line_is_nearest_farther_is_outside(index: AreaIndex) -> None:
    near = (WEST - 50 / M_PER_DEG, LAT0)
    far = (WEST - 500 / M_PER_DEG, LAT0)

    assert index.locate(*near).match == "nearest" and index.contains(*near)
    ref = index.locate(*far)
    assert ref.match == "outside" and ref.kelurahan_code is None and ref.kecamatan_code is None
    assert ref.distance_m == pytest.approx(500, abs=5)
    assert not index.contains(*far)
    assert index.contains(LON0, LAT0)


def test_locate_many_agrees_with_locate(index: AreaIndex) -> None:
    points = [
        (LON0 + 0.001, LAT0 - 0.001),
        (MID_LON, LAT0),
        (LON0, MID_LAT + GAP / 4),
        (110.1, -7.0),
        (LON0 + 0.007, LAT0 - 0.007),
    ]

    assert index.locate_many(points) == [index.locate(*p) for p in points]
    assert index.contains_many(points).tolist() == [True, True, True, False, True]


def test_representative_points_lie_in_their_kelurahan(index: AreaIndex) -> None:
    for code in ("99.01.01.1001", "99.01.01.1002", "99.01.02.1001", "99.01.02.2001"):
        assert index.locate(*index.representative_point(code)).kelurahan_code == code
    with pytest.raises(NotFoundError, match=r"99\.01\.09\.1001"):
        index.representative_point("99.01.09.1001")


def test_from_session_matches_from_pack(
    session: Session, regions_dir: Path, index: AreaIndex
) -> None:
    import_region(session, find_pack("kota-uji", search_dirs=[regions_dir]))
    session.commit()
    from_db = AreaIndex.from_session(session, "kota-uji")
    points = [(LON0 + 0.001, LAT0 - 0.001), (MID_LON, LAT0), (LON0, MID_LAT + GAP / 4)]

    assert len(from_db) == len(index) == 4
    for db_ref, pack_ref in zip(
        from_db.locate_many(points), index.locate_many(points), strict=True
    ):
        assert (db_ref.kelurahan_code, db_ref.match) == (pack_ref.kelurahan_code, pack_ref.match)
        assert db_ref.distance_m == pytest.approx(pack_ref.distance_m, abs=0.05)
    assert from_db.representative_point("99.01.02.2001") == pytest.approx(
        index.representative_point("99.01.02.2001")
    )


def test_from_session_of_a_region_not_imported(session: Session) -> None:
    with pytest.raises(RegionError, match=r"'kota-uji' is not imported; run: .* region import"):
        AreaIndex.from_session(session, "kota-uji")


def test_every_yogyakarta_kelurahan_point_maps_back(session: Session) -> None:
    pack = find_pack("kota-yogyakarta", search_dirs=[SHARED_REGIONS])
    import_region(session, pack)
    session.commit()

    for index in (AreaIndex.from_pack(pack), AreaIndex.from_session(session, pack.slug)):
        codes = list(pack.kelurahan["kode"])
        refs = index.locate_many([index.representative_point(code) for code in codes])
        assert len(codes) == 45
        assert [r.kelurahan_code for r in refs] == codes
        assert {r.match for r in refs} == {"inside"}
