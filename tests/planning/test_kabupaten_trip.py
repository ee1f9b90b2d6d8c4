"""Far trips on a synthetic kabupaten-scale pack: real road import, real road times (issue 13).

The pack (tests/planning/kabupaten_pack.py) has a town and a cluster of 14 far requests in a
desa at the end of a 134 km road (about 3 h 20 min each way at its maxspeed of 40): too far for
a day trip between 07:00 and the 16:30 sync deadline with the lunch break. The office
works 07:00-16:00 with its default lunch break, the sync deadline at 16:30. Planned through the
service on the road network built by ``region import``; every plan passes the checker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.geo.network import RoadNetwork, travel_model_for
from outreach.geo.regions import import_pack
from outreach.office import set_far_trips
from outreach.planning.service import create_plan
from tests.planning.kabupaten_pack import (
    FAR_LON,
    GRID,
    SLUG,
    TOWN_LON,
    grid_point,
    write_kabupaten_pack,
)

MONDAY = dt.date(2026, 12, 7)
H = 3600


@pytest.fixture
def kabupaten(session: Session, tmp_path: Path) -> tuple[models.Office, RoadNetwork]:
    root = tmp_path / "regions"
    write_kabupaten_pack(root)
    cache = tmp_path / "cache"
    report = import_pack(session, SLUG, search_dirs=[root], cache_dir=cache)
    assert report is not None
    travel = travel_model_for(SLUG, search_dirs=[root], cache_dir=cache)
    assert isinstance(travel, RoadNetwork)
    depot = grid_point(TOWN_LON, 1, 1)
    office = models.Office(
        name="Disdukcapil Kabupaten Uji Jauh",
        region_slug=SLUG,
        region_code="99.02",
        depot_lon=depot[0],
        depot_lat=depot[1],
        sync_deadline=dt.time(16, 30),
    )
    session.add(office)
    session.flush()
    for name in ("Tim A", "Tim B", "Tim C"):
        session.add(
            models.Team(
                office_id=office.id,
                name=name,
                skills=["perekaman_ktp", "cetak_ktp", "kia", "kk"],
                shift_start=dt.time(7),
                shift_end=dt.time(16),
            )
        )
    areas = {k.name: k for k in session.scalars(select(models.Kelurahan))}
    points = [(TOWN_LON, r, c, "Kota Satu") for r in range(GRID) for c in range(2)]
    far = [(FAR_LON, r, c) for r in range(GRID) for c in range(GRID)][:14]
    points += [(lon, r, c, "Hulu Dua") for lon, r, c in far]
    for i, (lon0, r, c, area) in enumerate(points):
        lon, lat = grid_point(lon0, r, c)
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-K{i:03d}",
                office_id=office.id,
                category="lansia",
                services=["perekaman_ktp"],
                person_name=f"Warga {i}",
                lon=lon,
                lat=lat,
                kelurahan_id=areas[area].id,
                kecamatan_id=areas[area].kecamatan_id,
                status=models.RequestStatus.TERVERIFIKASI.value,
                verified_at=dt.datetime(2026, 12, 1, 2, 0),
                location_source="map",
                location_confirmed=True,
            )
        )
    session.flush()
    return office, travel


def _back(route: models.Route) -> int:
    """Seconds of the drive back to the office (0: the route ends at a lodging)."""
    return route.travel_time_s - sum(s.travel_time_s for s in route.stops)


def _far_ids(session: Session) -> set[int]:
    hulu = session.scalar(select(models.Kelurahan).where(models.Kelurahan.name == "Hulu Dua"))
    assert hulu is not None
    return set(
        session.scalars(
            select(models.ServiceRequest.id).where(models.ServiceRequest.kelurahan_id == hulu.id)
        )
    )


@pytest.mark.slow
def test_without_overnight_trips_the_far_desa_are_too_far_for_a_day(
    session: Session, kabupaten: tuple[models.Office, RoadNetwork]
) -> None:
    office, travel = kabupaten
    plan = create_plan(session, travel, start_date=MONDAY, days=3, office=office)
    assert plan.summary["violations"] == 0
    served = {s.request_id for r in plan.routes for s in r.stops}
    far = _far_ids(session)
    assert not far & served
    assert {
        u.request_id: u.reason for u in plan.unassigned if u.request_id in far
    } == dict.fromkeys(far, "too_long")
    assert not any(r.ends_at_lodging for r in plan.routes)
    assert len(served) == 8  # the town's requests


@pytest.mark.slow
def test_an_overnight_trip_serves_the_far_desa_on_real_roads(
    session: Session, kabupaten: tuple[models.Office, RoadNetwork]
) -> None:
    office, travel = kabupaten
    set_far_trips(office, overnight_trips=True)
    session.flush()
    plan = create_plan(session, travel, start_date=MONDAY, days=3, office=office)
    assert plan.summary["violations"] == 0
    first = [r for r in plan.routes if r.ends_at_lodging]
    assert len(first) == 1
    day1 = first[0]
    day2 = next(
        r
        for r in plan.routes
        if r.team_id == day1.team_id and r.route_date == day1.route_date + dt.timedelta(days=1)
    )
    assert day2.lodging_site_id == day1.stops[-1].request_id
    assert day1.lodging_area == "Hulu Dua"
    assert day1.stops[0].travel_time_s >= 2 * H  # the drive out is counted
    assert _back(day1) == 0 and _back(day2) >= 2 * H
    assert day2.end_at.time() <= dt.time(16, 30)
    far = _far_ids(session)
    on_trip = {s.request_id for r in (day1, day2) for s in r.stops}
    assert on_trip == far  # the whole far cluster in one two-day trip
    # The near work is done by the other teams; the trip's team has nothing else those days.
    others = [r for r in plan.routes if r.team_id == day1.team_id and r not in (day1, day2)]
    assert not [r for r in others if r.route_date in (day1.route_date, day2.route_date)]
