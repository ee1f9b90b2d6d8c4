"""Sweep visits from coverage figures: the CLI makes collective requests at the kelurahan's
point on a road, skips areas with an open sweep, and a week's plan on Yogyakarta's real roads
mixes them with home visits, passes the feasibility checker and names each sweep."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from pyproj import Geod
from sqlalchemy import func, select

from outreach import models
from outreach.coverage import SWEEP_TURNOUT, create_sweeps, import_coverage, sweep_lines
from outreach.coverage.sweeps import sweep_persons
from outreach.db import get_session
from outreach.office import save_team
from outreach.planning.feasibility import check_plan
from outreach.planning.service import compute_plan, create_plan, load_inputs
from tests.coverage.cov_files import csv_bytes
from tests.field_day import travel_for
from tests.intake.yogya import COORDINATOR, DEPOT

AS_OF = dt.date(2026, 11, 20)
MONDAY = dt.date(2026, 12, 7)
GAPS = {"Baciro": 400, "Klitren": 240, "Semaki": 120, "Demangan": 60, "Terban": 20}
GEOD = Geod(ellps="WGS84")
HOME_OFFSETS = ((0.006, 0.004), (-0.008, 0.003), (0.004, -0.007), (-0.005, -0.006), (0.01, 0.0))


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


@pytest.fixture
def city(yapp: Flask) -> Flask:
    """Two teams, six home visits near the office and a coverage import (gaps above)."""
    session = get_session()
    office = _office()
    for name in ("Tim Mawar", "Tim Melati"):
        save_team(session, office, name=name, skills=["perekaman_ktp", "cetak_ktp", "kia", "kk"])
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.name == "Semaki"))
    assert semaki is not None
    for i, (dx, dy) in enumerate(HOME_OFFSETS, start=1):
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-H{i:03d}",
                office_id=office.id,
                category="lansia",
                services=["perekaman_ktp"],
                person_name=f"Warga Rumah {i}",
                lon=DEPOT[0] + dx,
                lat=DEPOT[1] + dy,
                kelurahan_id=semaki.id,
                kecamatan_id=semaki.kecamatan_id,
                status="terverifikasi",
                location_source="map",
                location_confirmed=True,
            )
        )
    rows = [["Kelurahan", "Wajib KTP", "Belum rekam"]]
    rows += [[name, 8000, gap] for name, gap in GAPS.items()]
    import_coverage(
        session,
        office,
        filename="cakupan.csv",
        data=csv_bytes(rows),
        as_of=AS_OF,
        actor="test",
        today=dt.date(2026, 11, 30),
    )
    session.commit()
    return yapp


def _sweeps() -> list[models.ServiceRequest]:
    return list(
        get_session().scalars(
            select(models.ServiceRequest)
            .where(models.ServiceRequest.channel == "sweep")
            .order_by(models.ServiceRequest.id)
        )
    )


def test_expected_persons_rule() -> None:
    assert SWEEP_TURNOUT == 0.25
    assert sweep_persons(918, 250) == 230
    assert sweep_persons(2000, 250) == 250  # the day's card capacity
    assert sweep_persons(3, 250) == 1
    assert sweep_persons(0, 250) == 0


def test_sweeps_cli_creates_collective_requests_once(city: Flask) -> None:
    runner = city.test_cli_runner()
    res = runner.invoke(args=["outreach", "coverage", "sweeps", "--top", "3"])
    assert res.exit_code == 0, res.output
    assert "3 sweep visit(s) created, 0 already open." in res.output
    sweeps = _sweeps()
    assert [s.kelurahan.name for s in sweeps if s.kelurahan] == ["Baciro", "Klitren", "Semaki"]
    for s, gap in zip(sweeps, (400, 240, 120), strict=True):
        assert s.category == "kolektif" and s.status == "terverifikasi"
        assert s.services == ["perekaman_ktp"]
        assert s.persons == math.ceil(gap * SWEEP_TURNOUT)
        assert s.person_name == f"Jemput bola Kel. {s.kelurahan.name}"  # type: ignore[union-attr]
        assert "data cakupan per 20-11-2026" in s.description
        assert s.location_source == "kelurahan" and not s.location_confirmed
        assert s.kecamatan_id == s.kelurahan.kecamatan_id  # type: ignore[union-attr]
        assert s.nik is None and s.phone is None
        # The kelurahan's point, moved onto the nearest road (a few hundred metres at most).
        kel = s.kelurahan
        assert kel is not None and s.lon is not None and s.lat is not None
        _, _, metres = GEOD.inv(kel.rep_lon, kel.rep_lat, s.lon, s.lat)
        assert 0 < metres < 400
    res = runner.invoke(args=["outreach", "coverage", "sweeps", "--top", "4"])
    assert res.exit_code == 0, res.output
    assert "1 sweep visit(s) created, 3 already open." in res.output
    assert [s.kelurahan.name for s in _sweeps() if s.kelurahan][-1] == "Demangan"
    session = get_session()
    assert (
        session.scalar(
            select(func.count())
            .select_from(models.AuditEvent)
            .where(models.AuditEvent.action == "coverage.sweep")
        )
        == 4
    )
    res = runner.invoke(args=["outreach", "coverage", "sweeps", "--top", "0"])
    assert res.exit_code == 1 and "Jumlah kelurahan harus 1 sampai 100" in res.output


def test_sweeps_need_an_import(yapp: Flask) -> None:
    res = yapp.test_cli_runner().invoke(args=["outreach", "coverage", "sweeps", "--top", "3"])
    assert res.exit_code == 1 and "Belum ada data cakupan" in res.output


def test_a_week_with_sweeps_and_home_visits_is_feasible(city: Flask) -> None:
    session = get_session()
    office = _office()
    travel = travel_for(city)
    made = create_sweeps(session, office, top=3, actor="test", travel=travel)  # type: ignore[arg-type]
    session.commit()
    assert [r.persons for r in made] == [100, 60, 30]
    inputs = load_inputs(session, start_date=MONDAY, days=5, office=office)
    result, matrix = compute_plan(inputs, travel)
    assert check_plan(inputs.problem, matrix, result) == []
    sweep_ids = {s.id for s in _sweeps()}
    planned = {s.request_id for s in inputs.problem.sites} & sweep_ids
    assert planned == sweep_ids  # Baciro's 100 persons are split into parts of at most 40
    plan = create_plan(session, travel, start_date=MONDAY, days=5, office=office)
    session.flush()
    persons: dict[str, int] = {}
    for route in plan.routes:
        for stop in route.stops:
            if stop.request.channel == "sweep" and stop.request.kelurahan:
                name = stop.request.kelurahan.name
                persons[name] = persons.get(name, 0) + (stop.persons or stop.request.persons)
    assert persons == {"Baciro": 100, "Klitren": 60, "Semaki": 30}
    homes = [s for r in plan.routes for s in r.stops if s.request.channel != "sweep"]
    assert len(homes) == len(HOME_OFFSETS) and not plan.unassigned
    lines = sweep_lines(session, plan)
    assert len(lines) == 3
    assert all(line.startswith("Penyisiran: ") and " orang" in line for line in lines)
    assert any(line.startswith("Penyisiran: Baciro (") for line in lines)
    # The plan page says the same to the coordinator.
    session.commit()
    client = city.test_client()
    client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    page = client.get(f"/rencana/{plan.id}").get_data(as_text=True)
    assert "<dt>Penyisiran</dt>" in page
    for line in lines:
        assert line.removeprefix("Penyisiran: ") in page


def test_plan_command_names_each_sweep(city: Flask) -> None:
    session = get_session()
    create_sweeps(session, _office(), top=2, actor="test")
    session.commit()
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    start = today + dt.timedelta(days=7 - today.weekday())  # next Monday
    res = city.test_cli_runner().invoke(
        args=["outreach", "plan", "--date", start.isoformat(), "--days", "3"]
    )
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.startswith("Penyisiran")]
    assert {line.split(" (")[0] for line in lines} == {"Penyisiran: Baciro", "Penyisiran: Klitren"}
    weekday = ("Senin", "Selasa", "Rabu")
    assert all(any(day in line for day in weekday) and "orang" in line for line in lines)
