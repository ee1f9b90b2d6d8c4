"""Sweeps at a real public place when the region pack carries OSM amenities (places.geojson)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from flask import Flask
from shapely import wkt
from sqlalchemy import select

from outreach import models
from outreach.coverage import create_sweeps, import_coverage
from outreach.coverage.public_places import (
    PlacesError,
    PublicPlace,
    best_place,
    load_public_places,
    place_kind,
    region_places,
)
from outreach.db import get_session
from tests.coverage.cov_files import csv_bytes

SQUARE = "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"


def test_osm_tags_give_the_kind_of_place() -> None:
    assert place_kind({"amenity": "townhall", "name": "Kantor Kelurahan Kricak"}) == "kantor"
    assert place_kind({"office": "government"}) == "kantor"
    assert place_kind({"amenity": "community_centre", "name": "Balai RW 05"}) == "balai"
    assert place_kind({"amenity": "place_of_worship", "religion": "muslim"}) == "masjid"
    assert place_kind({"amenity": "place_of_worship", "religion": "christian"}) is None
    assert place_kind({"amenity": "school", "name": "SMA Negeri 1"}) == "sekolah"
    assert place_kind({"amenity": "cafe"}) is None


def test_the_office_first_then_a_hall_a_mosque_a_school_inside_the_area() -> None:
    school = PublicPlace(0.5, 0.5, "sekolah", "SD Negeri 1")
    mosque = PublicPlace(0.9, 0.9, "masjid", "Masjid Al Ikhlas")
    hall = PublicPlace(0.2, 0.2, "balai", "Balai RW 03")
    other_office = PublicPlace(0.7, 0.7, "kantor", "Kantor Pos")
    own_office = PublicPlace(0.95, 0.1, "kantor", "Kantor Kelurahan Kricak")
    outside = PublicPlace(2.0, 2.0, "kantor", "Kantor Kelurahan Kricak")

    def pick(*places: PublicPlace) -> PublicPlace | None:
        return best_place(places, boundary_wkt=SQUARE, rep_point=(0.5, 0.5), area_name="Kricak")

    assert pick(school, mosque, hall, other_office, own_office, outside) == own_office
    assert pick(school, mosque, hall, other_office) == other_office
    assert pick(school, mosque, hall) == hall
    assert pick(school, mosque) == mosque
    assert pick(school, outside) == school
    assert pick(outside) is None
    assert pick() is None


def _write_places(folder: Path, features: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _point(lon: float, lat: float, **tags: str) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": tags,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def test_a_pack_file_is_read_points_and_buildings_alike(tmp_path: Path) -> None:
    square = {
        "type": "Feature",
        "properties": {"amenity": "community_centre", "name": "Balai Warga"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[110.0, -7.0], [110.001, -7.0], [110.001, -7.001], [110.0, -7.0]]],
        },
    }
    _write_places(
        tmp_path / "kota-contoh",
        [
            _point(110.36, -7.78, amenity="townhall", name="Kantor Kelurahan Contoh"),
            _point(110.37, -7.79, amenity="cafe", name="Warung"),
            square,
        ],
    )
    places = region_places("kota-contoh", search_dirs=[tmp_path])
    assert [(p.kind, p.name) for p in places] == [
        ("kantor", "Kantor Kelurahan Contoh"),
        ("balai", "Balai Warga"),
    ]
    assert places[0].lon == pytest.approx(110.36)
    # A pack without the file, or no pack at all: no places, nothing fails.
    (tmp_path / "kota-kosong").mkdir()
    assert region_places("kota-kosong", search_dirs=[tmp_path]) == []
    assert region_places("kota-tidak-ada", search_dirs=[tmp_path]) == []
    # A broken file says so.
    (tmp_path / "kota-rusak").mkdir()
    (tmp_path / "kota-rusak" / "places.geojson").write_text("{bukan geojson")
    with pytest.raises(PlacesError, match=r"places\.geojson"):
        load_public_places(tmp_path / "kota-rusak")


def test_a_sweep_goes_to_the_kelurahan_office_on_the_map(yapp: Flask) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    import_coverage(
        session,
        office,
        filename="cakupan.csv",
        data=csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"], ["Kricak", 9000, 400]]),
        as_of=dt.date(2026, 11, 20),
        actor="test",
        today=dt.date(2026, 11, 30),
    )
    kricak = session.scalar(select(models.Kelurahan).where(models.Kelurahan.name == "Kricak"))
    assert kricak is not None
    inside = wkt.loads(kricak.geometry_wkt).representative_point()
    office_point = PublicPlace(inside.x, inside.y, "kantor", "Kantor Kelurahan Kricak")
    mosque = PublicPlace(inside.x, inside.y, "masjid", "Masjid Jami")
    (result,) = create_sweeps(session, office, top=1, actor="test", places=[mosque, office_point])
    req = session.scalar(
        select(models.ServiceRequest).where(
            models.ServiceRequest.tracking_code == result.tracking_code
        )
    )
    assert req is not None
    assert (req.lon, req.lat) == (inside.x, inside.y)
    assert req.address_street == "Kantor Kelurahan Kricak"
    assert "peta OSM" in req.landmark
    assert req.location_source == models.LocationSource.IMPORTED.value
    assert not req.location_confirmed
