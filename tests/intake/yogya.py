"""A Kota Yogyakarta office for intake tests: boundaries imported once per session into a
template database, copied for each test (importing the pack every time would be slow)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.geo.boundaries import import_region
from outreach.geo.packs import find_pack
from outreach.intake.nik import make_nik
from outreach.office import configure_office
from outreach.web.auth import hash_password
from tests.conftest import (
    ON_POSTGRESQL,
    create_pg_database,
    make_test_app,
    pg_database_name,
)

DEPOT = (110.3905, -7.8002)  # Jl. Kenari, Umbulharjo
# Kel. Semaki and Kec. Umbulharjo, where the depot is.
SEMAKI = "34.71.13.1001"
UMBULHARJO = "34.71.13"
COORDINATOR = ("koordinator", "rahasia-123")


def build_template(directory: Path) -> Path:
    """Migrate a database, import Kota Yogyakarta, set up the office and a coordinator."""
    app = make_test_app(directory)
    with app.app_context():
        session = get_session()
        pack = find_pack("kota-yogyakarta", search_dirs=app.config["REGIONS_DIRS"])
        import_region(session, pack)
        office = configure_office(
            session,
            name="Disdukcapil Kota Yogyakarta",
            region_slug="kota-yogyakarta",
            depot=DEPOT,
            address="Jl. Kenari No. 56",
            work_hours=(dt.time(8, 0), dt.time(15, 0)),
        )
        session.add(
            models.User(
                username=COORDINATOR[0],
                full_name="Koordinator Uji",
                password_hash=hash_password(COORDINATOR[1]),
                role="coordinator",
                office_id=office.id,
            )
        )
        session.add(
            models.User(
                username="ketua_tim",
                password_hash=hash_password("rahasia-123"),
                role="team_lead",
                office_id=office.id,
            )
        )
        session.commit()
        session.close()
    app.extensions["outreach_engine"].dispose()
    return directory / "test.db"


@pytest.fixture(scope="session")
def yogya_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("yogya-template"))


def yogya_app(tmp_path: Path, template: Path, **overrides: Any) -> Flask:
    """A fresh app on a copy of the template database.

    On PostgreSQL the copy is ``CREATE DATABASE ... TEMPLATE`` of the template's database.
    """
    if ON_POSTGRESQL:
        name = pg_database_name(template.parent)
        assert name, f"no PostgreSQL template database for {template}"
        create_pg_database(tmp_path, template=name)
    else:
        shutil.copyfile(template, tmp_path / "test.db")
    return make_test_app(tmp_path, **overrides)


@pytest.fixture
def yapp(tmp_path: Path, yogya_template: Path) -> Iterator[Flask]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        yield app
    app.extensions["outreach_engine"].dispose()


@pytest.fixture
def yclient(yapp: Flask) -> FlaskClient:
    return yapp.test_client()


@pytest.fixture
def staff_client(yapp: Flask) -> FlaskClient:
    client = yapp.test_client()
    res = client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def nik_for(
    born: dt.date = dt.date(1950, 3, 14),
    *,
    female: bool = True,
    serial: int = 1,
    kec: str = "347113",
) -> str:
    """A structurally valid NIK (default: a woman born 1950 in Umbulharjo)."""
    return make_nik(kec, born, female=female, serial=serial)


def form_data(**changes: Any) -> dict[str, Any]:
    """A valid public form submission; ``changes`` override fields (None removes one)."""
    data: dict[str, Any] = {
        "person_name": "Siti Aminah",
        "nik": nik_for(),
        "category": "sakit",
        "description": "Stroke sejak 2023, hanya bisa berbaring.",
        "services": ["perekaman_ktp"],
        "applicant_relation": "anak",
        "applicant_name": "Budi Santoso",
        "phone": "0812-3456-7890",
        "kecamatan": UMBULHARJO,
        "kelurahan": SEMAKI,
        "rt": "3",
        "rw": "7",
        "address_street": "Jl. Kenari Gg. Mawar No. 12",
        "landmark": "dekat masjid",
        "lon": "",
        "lat": "",
        "location_source": "",
        "avail-0-days": ["0", "1", "2"],
        "avail-0-start": "09:00",
        "avail-0-end": "12:00",
        "consent": "ya",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def schedule_visit(
    session: Any, req: models.ServiceRequest, *, day: dt.date, arrival: dt.time
) -> models.Stop:
    """Put ``req`` on an approved route of a new team (wall-clock times, as planning does)."""
    office = session.scalar(select(models.Office))
    team = models.Team(office_id=office.id, name=f"Tim {req.id}")
    plan = models.Plan(office_id=office.id, start_date=day, status="approved")
    session.add_all([team, plan])
    session.flush()
    at = dt.datetime.combine(day, arrival)
    route = models.Route(
        plan_id=plan.id,
        team_id=team.id,
        route_date=day,
        start_at=at - dt.timedelta(hours=1),
        end_at=at + dt.timedelta(hours=4),
        approved=True,
    )
    session.add(route)
    session.flush()
    stop = models.Stop(
        route_id=route.id,
        request_id=req.id,
        sequence=1,
        arrival_at=at,
        service_start_at=at,
        departure_at=at + dt.timedelta(minutes=30),
    )
    session.add(stop)
    req.status = "terjadwal"
    session.flush()
    return stop


def admin_client(app: Flask, username: str, password: str) -> FlaskClient:
    """A client signed in as a new admin of the Yogyakarta office (made here, committed).

    Each request forgets the user loaded for the previous one, so two clients of the same app
    (an admin and a coordinator) keep their own users.
    """

    @app.before_request
    def _forget_user() -> None:
        g.pop("_login_user", None)

    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    session.add(
        models.User(
            username=username,
            password_hash=hash_password(password),
            role="admin",
            office_id=office.id,
        )
    )
    session.commit()
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client
