"""A draft's life: progress while it is made, superseded when another plan of its days is
approved, discarded."""

from __future__ import annotations

import datetime as dt

import pytest
from plan_helpers import MONDAY, StraightLineModel, at, make_office
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import PlanningError
from outreach.planning.service import approve_plan, create_plan, discard_plan

TUESDAY = MONDAY + dt.timedelta(days=1)
THURSDAY = MONDAY + dt.timedelta(days=3)


def _backlog(session: Session, office: models.Office, n: int = 6) -> None:
    for i in range(1, n + 1):
        lon, lat = at(400 * i, 150 * (i % 3))
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-L{i:03d}", office_id=office.id, category="lansia",
                services=["perekaman_ktp"], person_name=f"Warga {i}", lon=lon, lat=lat,
                status=models.RequestStatus.TERVERIFIKASI.value, location_confirmed=True,
            )
        )  # fmt: skip
    session.flush()


def _statuses(session: Session) -> dict[int, str]:
    rows = session.execute(select(models.ServiceRequest.id, models.ServiceRequest.status))
    return {int(i): str(s) for i, s in rows}


def _plan(session: Session, office: models.Office, start: dt.date, days: int = 1) -> models.Plan:
    return create_plan(session, StraightLineModel(), start_date=start, days=days, office=office)


def test_progress_is_reported_per_day(session: Session) -> None:
    office = make_office(session)
    _backlog(session, office)
    seen: list[tuple[int, int, str]] = []
    plan = create_plan(
        session,
        StraightLineModel(),
        start_date=MONDAY,
        days=2,
        office=office,
        progress=lambda done, total, text: seen.append((done, total, text)),
    )
    assert plan.routes
    assert seen == [
        (0, 2, "Menghitung waktu tempuh antarlokasi ..."),
        (0, 2, "Menyusun rute Senin, 3 Maret 2025 (hari 1 dari 2)"),
        (1, 2, "Menyusun rute Selasa, 4 Maret 2025 (hari 2 dari 2)"),
    ]


def test_approving_supersedes_overlapping_drafts_only(session: Session) -> None:
    office = make_office(session)
    _backlog(session, office)
    week = _plan(session, office, MONDAY, days=2)  # Monday and Tuesday
    tuesday = _plan(session, office, TUESDAY)
    thursday = _plan(session, office, THURSDAY)
    chosen = _plan(session, office, MONDAY)

    approve_plan(session, chosen.id, actor="user:1")

    assert chosen.status == "approved"
    assert week.status == "superseded" and week.summary["superseded_by"] == chosen.id
    assert tuesday.status == "draft" and "superseded_by" not in tuesday.summary
    assert thursday.status == "draft"
    event = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "plan.approve")
    ).one()
    assert event.detail["superseded"] == [week.id]
    # A superseded draft can no longer be approved.
    with pytest.raises(PlanningError):
        approve_plan(session, week.id)


def test_an_approved_plan_replaced_on_all_its_days_names_its_successor(session: Session) -> None:
    office = make_office(session)
    _backlog(session, office)
    first = _plan(session, office, MONDAY)
    approve_plan(session, first.id)
    second = create_plan(
        session, StraightLineModel(), start_date=MONDAY, office=office, keep_approved=False
    )
    approve_plan(session, second.id)
    assert first.status == "superseded" and first.summary["superseded_by"] == second.id


def test_discard_deletes_a_draft_with_its_routes(session: Session) -> None:
    office = make_office(session)
    _backlog(session, office)
    session.add(
        models.ServiceRequest(
            tracking_code="JB-L999", office_id=office.id, category="lansia",
            services=["perekaman_ktp"], person_name="Tanpa lokasi",
            status=models.RequestStatus.TERVERIFIKASI.value,
        )
    )  # fmt: skip
    draft = _plan(session, office, MONDAY)
    assert draft.routes and draft.unassigned
    statuses = _statuses(session)

    assert discard_plan(session, draft.id, actor="user:5") == draft.id

    for model in (models.Plan, models.Route, models.Stop, models.PlanUnassigned):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert _statuses(session) == statuses  # the requests stay in the backlog as they were
    event = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "plan.discard")
    ).one()
    assert (event.actor, event.entity_id) == ("user:5", draft.id)
    assert event.detail["visits"] > 0 and event.detail["start_date"] == MONDAY.isoformat()


def test_approved_and_superseded_plans_are_not_discarded(session: Session) -> None:
    office = make_office(session)
    _backlog(session, office)
    kept = _plan(session, office, MONDAY)
    chosen = _plan(session, office, MONDAY)
    approve_plan(session, chosen.id)
    assert kept.status == "superseded"
    for plan in (chosen, kept):
        with pytest.raises(PlanningError):
            discard_plan(session, plan.id)
    assert session.scalar(select(func.count()).select_from(models.Plan)) == 2
