"""Importing a pack's boundaries into the database: idempotent, all-or-nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import RegionError
from outreach.geo.boundaries import import_region
from outreach.geo.packs import find_pack


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count(models.Kecamatan.id))) or 0,
        session.scalar(select(func.count(models.Kelurahan.id))) or 0,
        session.scalar(select(func.count(models.RegionImport.id))) or 0,
    )


def test_import_writes_kecamatan_kelurahan_and_the_import_record(
    session: Session, regions_dir: Path
) -> None:
    pack = find_pack("kota-uji", search_dirs=[regions_dir])
    record = import_region(session, pack)
    session.commit()

    assert _counts(session) == (2, 4, 1)
    assert (record.slug, record.name, record.code) == ("kota-uji", "Kota Uji", "99.01")
    assert record.source_dir == str(pack.path) and record.roads_file == str(pack.roads_file)
    assert shapely.from_wkt(record.boundary_wkt).equals_exact(pack.boundary, 1e-6)
    desa = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == "99.01.02.2001"))
    assert desa is not None
    assert (desa.name, desa.jenis, desa.region_slug) == ("Timur Daya", "desa", "kota-uji")
    assert desa.kecamatan.code == "99.01.02"
    assert shapely.from_wkt(desa.geometry_wkt).contains(shapely.Point(desa.rep_lon, desa.rep_lat))


def test_import_does_not_commit(session: Session, regions_dir: Path) -> None:
    import_region(session, find_pack("kota-uji", search_dirs=[regions_dir]))
    session.rollback()

    assert _counts(session) == (0, 0, 0)


def test_a_second_import_updates_in_place(session: Session, regions_dir: Path) -> None:
    pack = find_pack("kota-uji", search_dirs=[regions_dir])
    import_region(session, pack)
    session.commit()
    ids = sorted(session.scalars(select(models.Kelurahan.id)))
    first_at = session.scalar(select(models.RegionImport.imported_at))

    path = regions_dir / "kota-uji" / "kelurahan.geojson"
    data = json.loads(path.read_text("utf-8"))
    data["features"][0]["properties"]["nama"] = "Barat Laut Baru"
    path.write_text(json.dumps(data), "utf-8")
    import_region(session, find_pack("kota-uji", search_dirs=[regions_dir]))
    session.commit()

    assert _counts(session) == (2, 4, 1)
    assert sorted(session.scalars(select(models.Kelurahan.id))) == ids
    assert session.scalar(
        select(models.Kelurahan.name).where(models.Kelurahan.code == "99.01.01.1001")
    ) == ("Barat Laut Baru")
    assert (session.scalar(select(models.RegionImport.imported_at)) or first_at) >= first_at


def test_a_pack_whose_roads_lie_outside_changes_nothing(
    session: Session, make_pack: Callable[..., Path]
) -> None:
    pack = find_pack(str(make_pack(roads="osm", shift_lon=1.0)), search_dirs=[])

    with pytest.raises(RegionError, match=r"roads\.osm: .*outside the region boundary"):
        import_region(session, pack)
    assert not session.new and not session.dirty
    assert _counts(session) == (0, 0, 0)


def test_a_failed_reimport_keeps_the_previous_import(
    session: Session, make_pack: Callable[..., Path], tmp_path: Path
) -> None:
    good = make_pack("kota-uji")
    import_region(session, find_pack(str(good), search_dirs=[]))
    session.commit()
    bad = tmp_path / "bad" / "kota-uji"  # same slug, roads moved away
    shutil.copytree(make_pack("other", shift_lon=1.0), bad)

    with pytest.raises(RegionError):
        import_region(session, find_pack(str(bad), search_dirs=[]))
    session.rollback()

    assert _counts(session) == (2, 4, 1)
    assert session.scalar(select(models.RegionImport.source_dir)) == str(good.resolve())


def test_codes_of_another_imported_region_are_refused(
    session: Session, make_pack: Callable[..., Path]
) -> None:
    import_region(session, find_pack(str(make_pack("kota-uji")), search_dirs=[]))
    session.commit()

    twin = find_pack(str(make_pack("kota-uji-kembar")), search_dirs=[])
    with pytest.raises(RegionError, match="already imported from region 'kota-uji'"):
        import_region(session, twin)
    assert not session.new and not session.dirty


def _drop_timur_daya(pack_dir: Path) -> None:
    path = pack_dir / "kelurahan.geojson"
    data = json.loads(path.read_text("utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["kode"] != "99.01.02.2001"]
    path.write_text(json.dumps(data), "utf-8")


def test_areas_that_left_the_pack_are_removed(
    session: Session, make_pack: Callable[..., Path]
) -> None:
    pack_dir = make_pack()
    import_region(session, find_pack(str(pack_dir), search_dirs=[]))
    session.commit()
    _drop_timur_daya(pack_dir)

    import_region(session, find_pack(str(pack_dir), search_dirs=[]))
    session.commit()

    assert _counts(session) == (2, 3, 1)


def test_areas_still_used_by_requests_are_not_removed(
    session: Session, make_pack: Callable[..., Path]
) -> None:
    pack_dir = make_pack()
    import_region(session, find_pack(str(pack_dir), search_dirs=[]))
    office = models.Office(
        name="Disdukcapil Uji", region_slug="kota-uji", region_code="99.01", depot_lon=110.0,
        depot_lat=-7.0,
    )  # fmt: skip
    session.add(office)
    session.flush()
    desa = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == "99.01.02.2001"))
    assert desa is not None
    session.add(
        models.ServiceRequest(
            tracking_code="JB-TEST1", office_id=office.id, person_name="Warga", kelurahan_id=desa.id
        )
    )
    session.commit()
    _drop_timur_daya(pack_dir)

    with pytest.raises(RegionError, match=r"99\.01\.02\.2001\) are used by 1 request"):
        import_region(session, find_pack(str(pack_dir), search_dirs=[]))
    session.rollback()
    assert _counts(session) == (2, 4, 1)
