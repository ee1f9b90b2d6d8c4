"""A tiny region pack (two square kelurahan, a 3x3 street grid), an office, requests, a route.

Small enough to build in milliseconds, so the map tests need neither the real pack nor the
slow road graph; shared by tests/render, tests/web and tests/browser.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from shapely.geometry import box, mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.geo.regions import import_pack
from outreach.web.auth import hash_password

WEST, EAST, SOUTH, NORTH, MID = 110.360, 110.380, -7.790, -7.780, 110.370
KELURAHAN = (
    ("34.71.01.1001", "Kricak", WEST, MID),
    ("34.71.01.1002", "Karangwaru", MID, EAST),
)
DEPOT = (110.3705, -7.7895)
NIKS = ("3471014507800003", "3471010101500012", "3471015203090004")
PHONES = ("+6281234567890", "+6285700011122", "+6287812345678")
NAMES = ("Sutinah Wulandari", "Bambang Priyono", "SMA Negeri 9 (kolektif)")
STAFF = ("koordinator", "jemputbola")


def write_grid_osm(path: Path) -> Path:
    """A 3x3 grid of two-way streets (residential, one primary) as OSM XML."""
    nodes = []
    node_id = {}
    for i, lat in enumerate((SOUTH + 0.001, (SOUTH + NORTH) / 2, NORTH - 0.001)):
        for j, lon in enumerate((WEST + 0.001, MID, EAST - 0.001)):
            nid = 100 + i * 3 + j
            node_id[(i, j)] = nid
            nodes.append(f'<node id="{nid}" version="1" lat="{lat:.6f}" lon="{lon:.6f}"/>')
    ways = []
    wid = 1000
    for i in range(3):
        for j in range(3):
            for di, dj in ((0, 1), (1, 0)):
                if i + di > 2 or j + dj > 2:
                    continue
                wid += 1
                kind = "primary" if i == 1 and di == 0 else "residential"
                ways.append(
                    f'<way id="{wid}" version="1"><nd ref="{node_id[(i, j)]}"/>'
                    f'<nd ref="{node_id[(i + di, j + dj)]}"/>'
                    f'<tag k="highway" v="{kind}"/><tag k="name" v="Jalan {wid}"/></way>'
                )
    body = "\n".join(nodes + ways)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{body}\n</osm>\n',
        encoding="utf-8",
    )
    return path


def write_sample_pack(folder: Path, *, roads: bool = True) -> Path:
    """A region pack folder (boundary, one kecamatan, two kelurahan, optional roads)."""
    folder.mkdir(parents=True, exist_ok=True)

    def collection(features: list[dict[str, object]]) -> str:
        return json.dumps({"type": "FeatureCollection", "features": features})

    def feature(props: dict[str, str], west: float, east: float) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": props,
            "geometry": mapping(box(west, SOUTH, east, NORTH)),
        }

    outline = {"kode": "34.71", "nama": "Kota Contoh"}
    kec = {"kode": "34.71.01", "nama": "Tegalrejo"}
    (folder / "boundary.geojson").write_text(collection([feature(outline, WEST, EAST)]))
    (folder / "kecamatan.geojson").write_text(collection([feature(kec, WEST, EAST)]))
    kelurahan = [
        feature({"kode": code, "nama": name, "kode_kec": "34.71.01"}, west, east)
        for code, name, west, east in KELURAHAN
    ]
    (folder / "kelurahan.geojson").write_text(collection(kelurahan))
    if roads:
        write_grid_osm(folder / "roads.osm")
    return folder


def add_sample_region(
    session: Session, pack_dir: Path, *, cache_dir: Path, with_route: bool = True
) -> models.Office:
    """Import the pack, then add an office, a team, a staff user, three requests, a route."""
    import_pack(session, str(pack_dir), search_dirs=[], cache_dir=cache_dir)
    kec = session.scalars(select(models.Kecamatan)).one()
    kels = list(session.scalars(select(models.Kelurahan).order_by(models.Kelurahan.code)))
    office = models.Office(
        name="Disdukcapil Kota Contoh",
        region_slug=pack_dir.name,
        region_code="34.71",
        depot_lon=DEPOT[0],
        depot_lat=DEPOT[1],
    )
    session.add(office)
    session.flush()
    team = models.Team(office_id=office.id, name="Tim 1", skills=["perekaman_ktp"])
    session.add(team)
    session.add(
        models.User(
            username=STAFF[0],
            password_hash=hash_password(STAFF[1]),
            role="coordinator",
            office_id=office.id,
        )
    )
    requests = []
    specs = (
        ("JB-AAAA-AA2", "lansia", "terverifikasi", 110.365, -7.785, kels[0], 1),
        ("JB-BBBB-BB3", "sakit", "baru", 110.375, -7.784, kels[1], 1),
        ("JB-CCCC-CC4", "kolektif", "terjadwal", 110.372, -7.786, kels[1], 25),
    )
    for (code, cat, status, lon, lat, kel, persons), nik, phone, name in zip(
        specs, NIKS, PHONES, NAMES, strict=True
    ):
        req = models.ServiceRequest(
            tracking_code=code,
            office_id=office.id,
            category=cat,
            status=status,
            person_name=name,
            nik=nik,
            phone=phone,
            rt="003",
            rw="007",
            kecamatan_id=kec.id,
            kelurahan_id=kel.id,
            lon=lon,
            lat=lat,
            location_source="demo",
            location_confirmed=True,
            persons=persons,
            services=["perekaman_ktp"],
        )
        session.add(req)
        requests.append(req)
    session.flush()
    if with_route:
        _add_route(session, office, team, requests[2])
    session.flush()
    return office


def _add_route(
    session: Session, office: models.Office, team: models.Team, req: models.ServiceRequest
) -> None:
    day = dt.date.today() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(8, 0))
    plan = models.Plan(office_id=office.id, start_date=day, days=1)
    session.add(plan)
    session.flush()
    route = models.Route(
        plan_id=plan.id,
        team_id=team.id,
        route_date=day,
        start_at=start,
        end_at=start + dt.timedelta(hours=3),
        travel_time_s=900,
        distance_m=2400,
        return_geometry=[[110.372, -7.786], [110.3705, -7.7895]],
    )
    session.add(route)
    session.flush()
    session.add(
        models.Stop(
            route_id=route.id,
            request_id=req.id,
            sequence=1,
            arrival_at=start + dt.timedelta(minutes=10),
            service_start_at=start + dt.timedelta(minutes=10),
            departure_at=start + dt.timedelta(minutes=90),
            leg_geometry=[[110.3705, -7.7895], [110.3705, -7.786], [110.372, -7.786]],
        )
    )
