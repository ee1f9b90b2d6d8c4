"""The audit trail: every change recorded once, generically, with before/after and masking."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.audit import acting_as, current_actor
from outreach.db import get_session
from outreach.intake.services import create_request, update_request
from outreach.intake.validate import IntakeContext, RequestDraft, ValidatedRequest, validate_request
from outreach.office import get_office, save_team
from outreach.office_calendar import HoursInput, add_hours_period, set_days
from outreach.privacy import mask_nik, mask_phone
from outreach.web.intake_support import intake_context
from tests.field_day import LETTER_NIKS, PHONE, build_field_day, travel_for
from tests.field_day import NIK as FIELD_NIK
from tests.intake.yogya import (
    SEMAKI,
    UMBULHARJO,
    nik_for,
    staff_client,
    yapp,
    yclient,
    yogya_template,
)

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

NOW = dt.datetime(2026, 11, 22, 3, 0)
NIK = nik_for()
NEW_NIK = nik_for(serial=7)


@pytest.fixture
def session(yapp: Flask) -> Session:
    """The Kota Yogyakarta office's database (overrides the empty app's)."""
    return get_session()


@pytest.fixture
def ctx(yapp: Flask, session: Session) -> IntakeContext:
    with yapp.test_request_context():
        return intake_context(session, get_office(session))


def valid(ctx: IntakeContext, **changes: object) -> ValidatedRequest:
    d = RequestDraft(
        person_name="Siti Aminah",
        applicant_relation="anak",
        applicant_name="Budi Santoso",
        nik=NIK,
        phone="081234567890",
        category="lansia",
        services=["perekaman_ktp"],
        kecamatan=UMBULHARJO,
        kelurahan=SEMAKI,
        rt="3",
        rw="7",
        address_street="Jl. Kenari 12",
        consent=True,
    )
    for key, value in changes.items():
        setattr(d, key, value)
    return validate_request(d, ctx)


def events(session: Session, **where: Any) -> list[models.AuditEvent]:
    stmt = select(models.AuditEvent).order_by(models.AuditEvent.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(models.AuditEvent, key) == value)
    return list(session.scalars(stmt))


def dump(rows: list[models.AuditEvent]) -> str:
    return json.dumps([r.detail for r in rows], ensure_ascii=False)


def test_a_request_created_changed_and_deleted_leaves_masked_before_and_after(
    ctx: IntakeContext, session: Session
) -> None:
    office = get_office(session)
    with acting_as("user:42"):
        req, _ = create_request(session, valid(ctx), office=office, now=NOW)
        session.commit()
        update_request(
            session, req, valid(ctx, nik=NEW_NIK, phone="0813-9999-8888", rt="4"), actor="user:42"
        )
        session.commit()
        req_id = req.id
        session.delete(req)
        session.commit()

    rows = events(session, entity="service_request", entity_id=req_id)
    generic = [r for r in rows if r.action in {"create", "update", "delete"}]
    assert [r.action for r in generic] == ["create", "update", "delete"]
    # The hand-written intent stays beside the generic rows.
    assert {"request.create", "request.update"} <= {r.action for r in rows}
    assert all(r.actor == "user:42" and r.office_id == office.id for r in generic)

    created, changed, deleted = (r.detail for r in generic)
    assert created["after"]["nik"] == mask_nik(NIK)
    assert created["after"]["phone"] == mask_phone("+6281234567890")
    assert created["after"]["person_name"] == "Siti Aminah"
    assert changed["before"]["nik"] == mask_nik(NIK)
    assert changed["after"]["nik"] == mask_nik(NEW_NIK)
    assert changed["before"]["rt"] == "003" and changed["after"]["rt"] == "004"
    assert changed["after"]["phone"] == mask_phone("+6281399998888")
    # Only what changed; ``updated_at`` alone is no change.
    assert "person_name" not in changed["after"] and "updated_at" not in changed["after"]
    assert deleted["before"]["nik"] == mask_nik(NEW_NIK)

    text = dump(events(session))
    for secret in (NIK, NEW_NIK, "81234567890", "81399998888"):
        assert secret not in text


def test_nothing_is_recorded_when_the_change_is_rolled_back(
    ctx: IntakeContext, session: Session
) -> None:
    before = len(events(session))
    create_request(session, valid(ctx), office=get_office(session), now=NOW)
    session.rollback()
    assert len(events(session)) == before


def test_a_team_change_and_a_password_change(session: Session) -> None:
    office = get_office(session)
    team = save_team(session, office, name="Tim Kenanga", skills=["perekaman_ktp"])
    session.commit()
    save_team(
        session,
        office,
        team_id=team.id,
        name="Tim Kenanga Baru",
        skills=["perekaman_ktp", "kia"],
        max_stops=5,
    )
    session.commit()
    update = events(session, entity="team", entity_id=team.id, action="update")[-1]
    assert update.actor == "system"  # no request, no command: the default actor
    assert update.detail["before"]["name"] == "Tim Kenanga"
    assert update.detail["after"]["name"] == "Tim Kenanga Baru"
    assert sorted(update.detail["after"]["skills"]) == ["kia", "perekaman_ktp"]
    assert update.detail["before"]["max_stops"] is None and update.detail["after"]["max_stops"] == 5

    user = session.scalars(select(models.User)).first()
    assert user is not None
    old_hash = user.password_hash
    user.password_hash = "pbkdf2:sha256:new-hash-value"
    session.commit()
    change = events(session, entity="user", entity_id=user.id, action="update")[-1]
    assert change.detail["after"]["password_hash"] == "[secret]"
    assert old_hash not in dump(events(session)) and "new-hash-value" not in dump(events(session))


def test_an_office_calendar_change(session: Session) -> None:
    office = get_office(session)
    set_days(session, office, dt.date(2026, 12, 7), is_open=False, label="Hari jadi kota")
    ramadan = HoursInput(
        name="Ramadan",
        start=dt.date(2027, 2, 8),
        end=dt.date(2027, 3, 9),
        work_start=dt.time(8, 0),
        work_end=dt.time(14, 0),
    )
    add_hours_period(session, office, ramadan)
    session.commit()
    day = events(session, entity="office_day", action="create")[-1]
    assert day.office_id == office.id
    assert day.detail["after"]["day"] == "2026-12-07"
    assert day.detail["after"]["label"] == "Hari jadi kota"
    period = events(session, entity="office_hours", action="create")[-1]
    assert period.detail["after"]["work_end"] == "14:00"
    set_days(session, office, dt.date(2026, 12, 7), is_open=True, label="Tetap buka")
    session.commit()
    change = events(session, entity="office_day", action="update")[-1]
    assert change.detail["before"]["is_open"] is False and change.detail["after"]["is_open"] is True


def test_a_plan_approval_is_one_summarised_event_per_route(yapp: Flask, session: Session) -> None:
    day = build_field_day(session, travel_for(yapp))
    plan = session.get(models.Plan, day.plan_id)
    assert plan is not None and plan.status == "approved"
    approve = events(session, entity="plan", entity_id=plan.id, action="plan.approve")
    assert len(approve) == 1
    status = [
        e
        for e in events(session, entity="plan", entity_id=plan.id, action="update")
        if "status" in e.detail["after"]
    ]
    assert status[-1].detail["before"]["status"] == "draft"
    assert status[-1].detail["after"]["status"] == "approved"
    # Stops are counted on their route's event, not one row each; geometry is not copied.
    route_rows = events(session, entity="route", action="create")
    assert {r.entity_id for r in route_rows} == {r.id for r in plan.routes}
    stops = sum(len(r.stops) for r in plan.routes)
    assert sum(r.detail.get("stops", 0) for r in route_rows) == stops
    assert events(session, entity="stop", action="create") == []
    assert all(
        r.detail["after"].get("return_geometry", "[changed]") == "[changed]" for r in route_rows
    )
    assert "[[" not in dump(events(session, entity="plan"))
    assert all(e.office_id == plan.office_id for e in events(session, entity="route"))
    text = dump(events(session))
    for secret in (FIELD_NIK, PHONE[3:], *LETTER_NIKS):
        assert secret not in text


def test_the_actor_is_the_signed_in_user_on_the_web(
    staff_client: FlaskClient, session: Session
) -> None:
    office = get_office(session)
    team = save_team(session, office, name="Tim Anggrek", skills=["perekaman_ktp"])
    session.commit()
    coordinator = session.scalars(
        select(models.User).where(models.User.username == "koordinator")
    ).one()
    data: dict[str, Any] = {"name": "Tim Anggrek Dua", "skills": ["perekaman_ktp"]}
    data["members"] = "Sari"
    data["active"] = "ya"
    for weekday in range(5):
        data[f"shift-{weekday}-on"] = "ya"
        data[f"shift-{weekday}-start"] = "08:00"
        data[f"shift-{weekday}-end"] = "15:00"
    res = staff_client.post(f"/pengaturan/tim/{team.id}", data=data)
    assert res.status_code in (302, 303), res.get_data(as_text=True)
    update = events(session, entity="team", entity_id=team.id, action="update")[-1]
    assert update.actor == f"user:{coordinator.id}"
    assert update.detail["after"]["name"] == "Tim Anggrek Dua"
    assert current_actor() == "system"  # reset after the request


def test_the_actor_is_cli_on_the_command_line(yapp: Flask, session: Session) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "team", "add", "Tim Teratai", "--skills", "kia"])
    assert res.exit_code == 0, res.output
    row = events(session, entity="team", action="create")[-1]
    assert row.actor == "cli" and row.detail["after"]["name"] == "Tim Teratai"
    assert row.office_id == get_office(session).id
    assert current_actor() == "system"


def test_a_letter_and_its_residents(yapp: Flask, session: Session) -> None:
    day = build_field_day(session, travel_for(yapp))
    letter = events(session, entity="letter", action="create")[-1]
    assert letter.detail["residents"] == len(LETTER_NIKS)  # counted, not one row each
    assert letter.detail["after"]["contact_phone"] == mask_phone("+6281298765432")
    resident = session.get(models.LetterResident, day.letter_resident_ids[0])
    assert resident is not None
    resident.name = "Peserta Satu"
    resident.nik = "3471130101900009"
    session.commit()
    change = events(session, entity="letter_resident", entity_id=resident.id)[-1]
    assert change.action == "update"
    assert change.detail["before"]["nik"] == mask_nik(LETTER_NIKS[0])
    assert change.detail["after"] == {"name": "Peserta Satu", "nik": mask_nik("3471130101900009")}
    session.delete(session.get(models.Letter, resident.letter_id))
    session.commit()
    gone = events(session, entity="letter", action="delete")[-1]
    assert gone.detail["residents"] == len(LETTER_NIKS)
    assert "3471130101900009" not in dump(events(session))
