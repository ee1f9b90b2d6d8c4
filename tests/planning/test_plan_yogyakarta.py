"""End to end on Kota Yogyakarta's real roads: region import, demo backlog, plan, check."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.geo.network import travel_model_for
from outreach.planning.calendar import working_days
from outreach.planning.feasibility import check_plan
from outreach.planning.service import compute_plan, load_inputs

pytestmark = pytest.mark.slow

START = dt.date(2025, 3, 3)  # a Monday


def test_yogyakarta_demo_backlog_plans_feasibly_on_real_roads(
    app: Flask, runner: FlaskCliRunner, session: Session
) -> None:
    for args in (
        ["outreach", "region", "import", "kota-yogyakarta"],
        ["outreach", "seed-demo", "--requests", "90", "--seed", "7"],
    ):
        out = runner.invoke(args=args)
        assert out.exit_code == 0, out.output
    travel = travel_model_for(
        "kota-yogyakarta",
        search_dirs=app.config["REGIONS_DIRS"],
        cache_dir=app.config["CACHE_DIR"],
    )
    inputs = load_inputs(session, start_date=START, days=2, seed=3)
    assert inputs.problem.dates == working_days(START, 2)
    result, matrix = compute_plan(inputs, travel)
    assert matrix.method == "road"
    assert check_plan(inputs.problem, matrix, result) == []
    assert result.routes
    assert len({r.day for r in result.routes}) == 2
    for route in result.routes:
        # Road geometry on every leg, from the previous point to the door.
        assert all(len(stop.geometry) >= 2 for stop in route.stops)
        assert len(route.return_geometry) >= 2
        assert route.end_s <= inputs.problem.rules.sync_deadline_s
    # Every request is accounted for: planned or with a reason in Indonesian.
    planned = {s.site_id for r in result.routes for s in r.stops}
    assert planned | {u.site_id for u in result.unassigned} == {s.id for s in inputs.problem.sites}
    assert all(u.message for u in result.unassigned)

    out = runner.invoke(
        args=["outreach", "plan", "--date", START.isoformat(), "--days", "2", "--allow-past"]
    )
    assert out.exit_code == 0, out.output
    assert "Senin, 3 Maret 2025" in out.output
    plan = session.scalars(select(models.Plan).order_by(models.Plan.id.desc())).first()
    assert plan is not None and plan.summary["violations"] == 0
    assert plan.summary["visits"] == len(planned)  # same data and seed, same plan
