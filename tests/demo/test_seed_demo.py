"""`outreach seed-demo` on the real Kota Yogyakarta pack: office, teams, ~150 valid requests."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from flask import Flask
from shapely.geometry import LineString, Point
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from outreach import models
from outreach.cli import seed_demo
from outreach.db import get_session
from outreach.demo.places import RESIDENTIAL_HIGHWAYS
from outreach.geo.locate import AreaIndex
from outreach.geo.packs import find_pack
from outreach.geo.roads import load_road_graph
from outreach.intake.nik import load_wilayah, parse_nik
from outreach.intake.phone import normalise_phone
from tests.conftest import make_test_app

pytestmark = pytest.mark.slow

REGION = "kota-yogyakarta"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One database with the region imported and the demo seeded (seed 42), via the CLI."""
    app = make_test_app(tmp_path_factory.mktemp("demo"))
    runner = app.test_cli_runner()
    res = runner.invoke(args=["outreach", "region", "import", REGION])
    assert res.exit_code == 0, res.output
    res = runner.invoke(args=["outreach", "seed-demo", "--requests", "150", "--seed", "42"])
    assert res.exit_code == 0, res.output
    return app


@pytest.fixture
def db(demo_app: Flask) -> Iterator[Session]:
    with demo_app.app_context():
        yield get_session()


def _requests(db: Session) -> list[models.ServiceRequest]:
    return list(db.scalars(select(models.ServiceRequest).order_by(models.ServiceRequest.id)))


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_office_teams_and_staff(db: Session) -> None:
    office = db.scalar(select(models.Office))
    assert office is not None
    assert office.name == "Disdukcapil Kota Yogyakarta"
    assert (office.region_slug, office.region_code) == (REGION, "34.71")
    assert abs(office.depot_lon - 110.3917) < 0.002 and abs(office.depot_lat + 7.8010) < 0.002
    teams = office.teams
    assert len(teams) == 4
    assert all(len(t.members) >= 2 for t in teams)
    assert all(t.shift_by_weekday["4"] == ["08:00", "14:00"] for t in teams)  # Friday
    assert sum(1 for t in teams if t.max_stops) == 1
    for trait in ("petugas_perempuan", "bahasa_isyarat"):
        holders = [t.name for t in teams if trait in t.skills]
        assert 0 < len(holders) < 4, trait
    koordinator = db.scalar(select(models.User).where(models.User.username == "koordinator"))
    assert koordinator is not None and koordinator.role == "coordinator"
    assert check_password_hash(koordinator.password_hash, "jemputbola")
    assert db.scalar(select(models.User).where(models.User.role == "team_lead")) is not None
    roles = {u.username: u.role for u in db.scalars(select(models.User))}
    assert roles["admin"] == "admin" and roles["kepala"] == "head"  # calendar, audit, dashboard


def test_category_status_and_channel_mix(db: Session) -> None:
    rows = _requests(db)
    assert len(rows) == 150
    categories = Counter(r.category for r in rows)
    assert set(categories) == {c.value for c in models.Category}
    assert categories["lansia"] > categories["sakit"] > categories["darurat"] > 0
    statuses = Counter(r.status for r in rows)
    assert statuses["terverifikasi"] > statuses["baru"] > statuses["selesai"] > 0
    # Requests of every channel people use (sweeps and programme visits are made by the office).
    made_by_office = {models.Channel.SWEEP.value, models.Channel.PROGRAMME.value}
    assert (
        set(Counter(r.channel for r in rows)) == {c.value for c in models.Channel} - made_by_office
    )
    assert len({r.tracking_code for r in rows}) == 150
    windows = [r for r in rows if r.availability]
    assert 0.15 * 150 < len(windows) < 0.45 * 150
    assert any(len(r.availability) == 2 for r in rows)
    assert any("petugas_perempuan" in r.required_traits for r in rows)
    span = max(r.created_at for r in rows) - min(r.created_at for r in rows)
    assert dt.timedelta(days=20) < span <= dt.timedelta(days=30)


def test_collective_requests_come_with_letters(db: Session) -> None:
    collective = [r for r in _requests(db) if r.category == "kolektif"]
    assert len(collective) >= 5
    senders = set()
    for req in collective:
        assert 10 <= req.persons <= 40
        assert req.channel == "letter" and req.letter is not None
        assert len(req.letter.residents) == req.persons
        assert req.letter.number and req.letter.meeting_place
        senders.add(req.letter.sender_type)
    assert senders == {"rw", "kelurahan", "sekolah"}


def test_every_nik_is_valid_for_its_kecamatan(db: Session, demo_app: Flask) -> None:
    wilayah = load_wilayah(demo_app.config["KODE_WILAYAH_CSV"])
    today = dt.date.today()
    seen: set[str] = set()
    for req in _requests(db):
        assert req.kecamatan is not None
        people = [(req.nik, req.birth_date)] if req.nik else []
        if req.letter is not None:
            people += [(r.nik, r.birth_date) for r in req.letter.residents]
        for nik, born in people:
            assert nik is not None and nik not in seen
            seen.add(nik)
            info = parse_nik(nik, wilayah=wilayah, today=today)
            assert info.kecamatan_code == req.kecamatan.code
            assert info.birth_date == born
        if req.nik and req.birth_date:
            age = _age(req.birth_date, today)
            if req.category == "lansia":
                assert age >= 60
            if req.category == "pemula":
                assert 16 <= age <= 17
            if "kia" in req.services:
                assert age < 17
            if "perekaman_ktp" in req.services:
                assert age >= 16
    assert len(seen) > 300  # requests plus the residents listed in letters


def test_phone_numbers_are_valid_and_distinct(db: Session) -> None:
    phones = [r.phone for r in _requests(db)]
    assert all(p is not None and normalise_phone(p) == p for p in phones)
    assert len(set(phones)) == len(phones)


def test_points_sit_beside_residential_streets_in_their_kelurahan(
    db: Session, demo_app: Flask
) -> None:
    index = AreaIndex.from_session(db, REGION)
    pack = find_pack(REGION, search_dirs=demo_app.config["REGIONS_DIRS"])
    assert pack.roads_file is not None
    G = load_road_graph(
        pack.roads_file, boundary=pack.boundary, cache_dir=demo_app.config["CACHE_DIR"]
    )
    utm = gpd.GeoSeries([pack.boundary], crs="EPSG:4326").estimate_utm_crs()
    to_m = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True)

    def metric(line: LineString) -> LineString:
        xs, ys = to_m.transform(*np.asarray(line.coords).T)
        return LineString(np.column_stack([xs, ys]))

    roads = []
    for u, v, data in G.edges(data=True):
        kinds = data["highway"] if isinstance(data["highway"], list) else [data["highway"]]
        if RESIDENTIAL_HIGHWAYS & set(kinds):
            line = data.get("geometry") or LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
            roads.append(metric(line))
    tree = shapely.STRtree(roads)
    located = [r for r in _requests(db) if r.location_source == "demo"]
    assert len(located) > 120
    for req in located:
        assert req.location_confirmed
        assert req.kelurahan is not None and req.lon is not None and req.lat is not None
        assert index.locate(req.lon, req.lat).kelurahan_code == req.kelurahan.code
        point = Point(to_m.transform(req.lon, req.lat))
        nearest = roads[int(tree.nearest(point))]
        assert nearest.distance(point) <= 30.0, req.tracking_code
    rough = [r for r in _requests(db) if r.location_source == "kelurahan"]
    assert rough, "some requests are located only to their kelurahan"
    for req in rough:
        assert not req.location_confirmed and "lokasi_perlu_konfirmasi" in req.flags
        assert req.kelurahan is not None
        assert (req.lon, req.lat) == (req.kelurahan.rep_lon, req.kelurahan.rep_lat)


def test_kelurahan_spread(db: Session) -> None:
    used = Counter(r.kelurahan_id for r in _requests(db))
    assert len(used) >= 30  # of 45: spread over the city, not piled into a few
    assert max(used.values()) <= 15


def test_second_run_refuses_and_reset_is_deterministic(
    demo_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        before = _signature(get_session())
    again = runner.invoke(args=["outreach", "seed-demo"])
    assert again.exit_code == 1
    assert again.output.strip().count("\n") == 0 and "--reset" in again.output
    with caplog.at_level(logging.DEBUG):
        res = runner.invoke(args=["outreach", "seed-demo", "--reset", "--seed", "42"])
    assert res.exit_code == 0, res.output
    assert "replaced 150" in res.output
    with demo_app.app_context():
        session = get_session()
        assert _signature(session) == before
        # Never printed or logged: NIK and phone numbers.
        for req in _requests(session):
            assert req.nik is None or req.nik not in res.output + caplog.text
            assert req.phone is not None and req.phone not in res.output + caplog.text


def test_reset_leaves_other_rows_alone(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        session = get_session()
        office = session.scalar(select(models.Office))
        assert office is not None
        session.add(
            models.ServiceRequest(
                tracking_code="JB-REAL-000", office_id=office.id, person_name="Warga Asli"
            )
        )
        session.commit()
    res = runner.invoke(args=["outreach", "seed-demo", "--reset", "--requests", "20"])
    assert res.exit_code == 0, res.output
    with demo_app.app_context():
        codes = set(get_session().scalars(select(models.ServiceRequest.tracking_code)))
        assert "JB-REAL-000" in codes and len(codes) == 21


def _signature(session: Session) -> list[tuple[object, ...]]:
    return [
        (r.tracking_code, r.category, r.nik, r.phone, r.person_name, r.lon, r.lat, r.persons)
        for r in session.scalars(
            select(models.ServiceRequest)
            .where(models.ServiceRequest.submission_hash.like("demo:%"))
            .order_by(models.ServiceRequest.id)
        )
    ]


def test_missing_region_is_one_line_and_exit_1(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    res = app.test_cli_runner().invoke(args=["outreach", "seed-demo"])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0
    assert "region import kota-yogyakarta" in res.output


def test_an_office_that_is_not_demo_data_is_left_alone(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    runner = app.test_cli_runner()
    for args in (
        ["region", "import", REGION],
        ["office", "set", "--name", "Kantor Asli", "--region", REGION, "--depot", "110.39,-7.80"],
    ):
        res = runner.invoke(args=["outreach", *args])
        assert res.exit_code == 0, res.output
    res = runner.invoke(args=["outreach", "seed-demo", "--reset"])
    assert res.exit_code == 1 and res.output.strip().count("\n") == 0
    assert "not demo data" in res.output
    with app.app_context():
        assert get_session().scalar(select(models.ServiceRequest)) is None
        office = get_session().scalar(select(models.Office))
        assert office is not None and office.name == "Kantor Asli"


def test_up_to_5000_requests(tmp_path: Path) -> None:
    """5,000 is the most (the coordinator's map is measured with that many), 150 the default."""
    app = make_test_app(tmp_path)
    runner = app.test_cli_runner()
    res = runner.invoke(args=["outreach", "seed-demo", "--requests", "5001"])
    assert res.exit_code == 2 and "1<=x<=5000" in res.output
    option = next(p for p in seed_demo.params if p.name == "n_requests")
    assert option.default == 150
