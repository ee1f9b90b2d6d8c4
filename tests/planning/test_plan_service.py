"""The DB-facing planning service: load, plan, persist, approve, re-plan, insert."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from plan_helpers import MONDAY, StraightLineModel, at, make_office
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.planning.service import (
    approve_plan,
    create_plan,
    describe_plan,
    insert_urgent,
    load_inputs,
)

NIK = "3471014107800001"
PHONE = "+6281234567890"


def _office(session: Session, teams: int = 2) -> models.Office:
    return make_office(session, teams)


def _request(
    session: Session, office: models.Office, n: int, x: float | None, y: float = 0.0, **kw: object
) -> models.ServiceRequest:
    lon, lat = at(x, y) if x is not None else (None, None)
    values: dict[str, object] = {
        "tracking_code": f"JB-{n:04d}",
        "office_id": office.id,
        "category": "lansia",
        "services": ["perekaman_ktp"],
        "person_name": f"Warga {n}",
        "applicant_name": f"Pemohon {n}",
        "nik": NIK,
        "phone": PHONE,
        "lon": lon,
        "lat": lat,
        "status": models.RequestStatus.TERVERIFIKASI.value,
        "verified_at": dt.datetime(2025, 2, 20, 9, 0),
    }
    values.update(kw)
    row = models.ServiceRequest(**values)
    session.add(row)
    session.flush()
    return row


def _backlog(session: Session, office: models.Office) -> list[models.ServiceRequest]:
    # 3 persons each (46 min at the door): a side is most of a team's day.
    east = [_request(session, office, i, 2500 + 70 * i, persons=3) for i in range(1, 7)]
    west = [_request(session, office, 10 + i, -2500 - 70 * i, persons=3) for i in range(1, 7)]
    return east + west


def test_plan_is_stored_with_routes_reasons_and_a_private_snapshot(session: Session) -> None:
    office = _office(session)
    _backlog(session, office)
    nowhere = _request(session, office, 99, None)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert plan.status == "draft"
    assert plan.routes and all(r.stops for r in plan.routes)
    assert sum(len(r.stops) for r in plan.routes) == 12
    first = plan.routes[0].stops[0]
    assert first.arrival_at.date() == MONDAY
    assert first.leg_geometry and first.leg_geometry[0] == pytest.approx(list(at(0, 0)))
    (left,) = plan.unassigned
    assert (left.request_id, left.reason) == (nowhere.id, "no_location")
    assert "Lokasi belum ada" in left.detail
    text = json.dumps(plan.inputs)
    assert NIK not in text and PHONE not in text and "Warga" not in text and "Pemohon" not in text
    assert {r["tracking_code"] for r in plan.inputs["requests"]} >= {"JB-0001", "JB-0099"}
    assert plan.summary["visits"] == 12 and plan.summary["violations"] == 0
    assert any("Not planned: 1" in line for line in describe_plan(plan))
    # The service does not commit: rolling back leaves no plan behind.
    session.rollback()
    assert session.scalar(select(func.count()).select_from(models.Plan)) == 0


def test_approve_then_replan_keeps_approved_routes(session: Session) -> None:
    office = _office(session)
    _backlog(session, office)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    approve_plan(session, plan.id, now=dt.datetime(2025, 3, 1, 10, 0))
    assert plan.status == "approved"
    scheduled = session.scalars(
        select(models.ServiceRequest).where(models.ServiceRequest.status == "terjadwal")
    ).all()
    assert len(scheduled) == 12
    assert all(r.scheduled_at and r.scheduled_at.date() == MONDAY for r in scheduled)
    before = {r.team_id: [(s.request_id, s.arrival_at) for s in r.stops] for r in plan.routes}

    late = _request(session, office, 50, 300, category="sakit")
    again = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    kept = {r.team_id: [(s.request_id, s.arrival_at) for s in r.stops] for r in again.routes}
    assert {k: kept[k] for k in before} == before  # approved routes unchanged
    assert late.id not in {s.request_id for r in again.routes for s in r.stops}
    assert again.inputs["locked_route_ids"]

    replanned = create_plan(
        session, StraightLineModel(), start_date=MONDAY, office=office, keep_approved=False
    )
    assert late.id in {s.request_id for r in replanned.routes for s in r.stops}
    approve_plan(session, replanned.id)
    assert plan.status == "superseded"
    assert late.status == "terjadwal"


def test_urgent_request_is_inserted_into_the_approved_day(session: Session) -> None:
    office = _office(session)
    _backlog(session, office)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    approve_plan(session, plan.id)
    visits_before = plan.summary["visits"]
    urgent = _request(session, office, 77, 2600, 30, category="darurat")
    answer = insert_urgent(
        session, StraightLineModel(), request_id=urgent.id, day=MONDAY, office=office
    )
    assert answer.stop is not None and answer.unassigned is None
    route = next(r for r in plan.routes if r.id == answer.stop.route_id)
    assert [s.sequence for s in route.stops] == list(range(1, len(route.stops) + 1))
    assert len(route.stops) == 7
    assert urgent.status == "terjadwal"
    assert plan.summary["insertions"][0]["request_id"] == urgent.id
    # The plan's totals follow (the plan page shows them).
    assert plan.summary["visits"] == visits_before + 1
    assert plan.summary["travel_time_s"] == sum(r.travel_time_s for r in plan.routes)


def test_bad_input_still_gives_a_plan(session: Session) -> None:
    office = _office(session, teams=0)
    _request(session, office, 1, 500)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert plan.routes == []
    assert [u.reason for u in plan.unassigned] == ["no_teams"]

    empty = _office(session)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=empty)
    assert plan.routes == [] and plan.unassigned == []


def test_team_with_empty_shift_and_selection_by_name(session: Session) -> None:
    office = _office(session)
    office.teams[0].shift_by_weekday = {"0": []}  # Tim A is off on Mondays
    _backlog(session, office)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert {r.team.name for r in plan.routes} == {"Tim B"}
    inputs = load_inputs(session, start_date=MONDAY, teams=["tim b"], office=office)
    assert [t.name for t in inputs.problem.teams] == ["Tim B"]


def test_cli_plan_prints_a_summary(app, runner, session: Session, monkeypatch) -> None:
    import outreach.geo.network as network

    office = _office(session)
    _backlog(session, office)
    session.commit()
    monkeypatch.setattr(network, "travel_model_for", lambda *a, **k: StraightLineModel())
    result = runner.invoke(
        args=["outreach", "plan", "--date", MONDAY.isoformat(), "--approve", "--allow-past"]
    )
    assert result.exit_code == 0, result.output
    assert "Senin, 3 Maret 2025: 12 visits" in result.output
    assert session.scalar(select(models.Plan.status)) == "approved"


def test_cli_plan_insert_puts_an_urgent_request_into_the_day(
    app, runner, session: Session, monkeypatch
) -> None:
    import outreach.geo.network as network

    office = _office(session)
    _backlog(session, office)
    session.commit()
    monkeypatch.setattr(network, "travel_model_for", lambda *a, **k: StraightLineModel())
    day = MONDAY.isoformat()
    planned = runner.invoke(args=["outreach", "plan", "--date", day, "--approve", "--allow-past"])
    assert planned.exit_code == 0
    urgent = _request(session, office, 70, -2600, 20, category="darurat")
    session.commit()
    out = runner.invoke(args=["outreach", "plan-insert", str(urgent.id), "--date", day])
    assert out.exit_code == 0, out.output
    assert f"Request {urgent.id}: stop" in out.output and "ETA" in out.output


def test_urgent_insert_refuses_a_request_scheduled_on_another_day(session: Session) -> None:
    from outreach.errors import PlanningError

    office = _office(session)
    requests = _backlog(session, office)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    approve_plan(session, plan.id)
    tuesday = MONDAY + dt.timedelta(days=1)
    with pytest.raises(PlanningError, match="already scheduled"):
        insert_urgent(
            session, StraightLineModel(), request_id=requests[0].id, day=tuesday, office=office
        )


def test_a_forty_person_collective_visit_fits_one_shift(session: Session) -> None:
    office = _office(session, teams=1)
    hall = _request(session, office, 1, 1500, category="kolektif", persons=40)
    home = _request(session, office, 2, -1500, persons=40)  # 40 at the home rate: 8 h 10 min
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    (route,) = plan.routes
    (stop,) = route.stops
    assert stop.request_id == hall.id
    assert stop.service_s == 10 * 60 + 40 * 6 * 60
    (left,) = plan.unassigned
    assert left.request_id == home.id and left.reason == "too_long"
