"""Whole flow on the other real packs: import, demo data, plan, on fallback travel times.

Kota Cirebon has no roads: everything plans on great-circle times and says so. Kota Balikpapan
has roads for kecamatan Balikpapan Kota only: requests elsewhere are off the network and the
plan says why they were left out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models

pytestmark = pytest.mark.slow

MONDAY = dt.date(2026, 11, 23)


def _setup(runner: FlaskCliRunner, slug: str, n_requests: int) -> None:
    res = runner.invoke(args=["outreach", "region", "import", slug])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        args=["outreach", "seed-demo", "--region", slug, "--requests", str(n_requests)]
    )
    assert res.exit_code == 0, res.output


def _plan(runner: FlaskCliRunner, session: Session) -> models.Plan:
    res = runner.invoke(
        args=["outreach", "plan", "--date", MONDAY.isoformat(), "--days", "2", "--allow-past"]
    )
    assert res.exit_code == 0, res.output
    plan = session.scalars(select(models.Plan).order_by(models.Plan.id.desc())).first()
    assert plan is not None
    return plan


def test_cirebon_without_roads_plans_on_the_fallback(
    runner: FlaskCliRunner, session: Session
) -> None:
    _setup(runner, "kota-cirebon", 30)
    plan = _plan(runner, session)
    visits = sum(len(r.stops) for r in plan.routes)
    assert visits > 0
    # Every stop was timed on straight-line estimates, and the plan says so.
    assert all(s.fallback_distance for r in plan.routes for s in r.stops)
    assert plan.inputs["matrix"]["method"] == "fallback"
    assert plan.inputs["matrix"]["fallback_points"] == plan.inputs["matrix"]["points"]
    assert any("garis lurus" in note for note in plan.summary["notes"])


def test_balikpapan_requests_off_its_roads_fall_back_and_say_so(
    runner: FlaskCliRunner, session: Session
) -> None:
    _setup(runner, "kota-balikpapan", 30)
    kelurahan = list(session.scalars(select(models.Kelurahan).order_by(models.Kelurahan.code)))
    kota = {k.id for k in kelurahan if k.kecamatan.name.lower() == "balikpapan kota"}
    office = session.scalars(select(models.Office)).one()
    # A verified request at the point of every kelurahan outside the roads' kecamatan.
    for k in kelurahan:
        if k.id not in kota:
            session.add(
                models.ServiceRequest(
                    tracking_code=f"JB-UJI-{k.id:03d}",
                    office_id=office.id,
                    category="lansia",
                    services=["perekaman_ktp"],
                    person_name="Warga Uji",
                    kecamatan_id=k.kecamatan_id,
                    kelurahan_id=k.id,
                    lon=k.rep_lon,
                    lat=k.rep_lat,
                    location_source="map",
                    location_confirmed=True,
                    status="terverifikasi",
                )
            )
    session.commit()
    plan = _plan(runner, session)
    requests = {r.id: r for r in session.scalars(select(models.ServiceRequest))}
    routed = [s.request_id for r in plan.routes for s in r.stops]
    assert routed, "requests inside Balikpapan Kota are routed on its roads"
    assert all(requests[i].kelurahan_id in kota for i in routed)
    off = [u for u in plan.unassigned if u.reason == "off_network"]
    assert off and all(requests[u.request_id].kelurahan_id not in kota for u in off)
    assert all("jalan" in u.detail.lower() for u in off)
