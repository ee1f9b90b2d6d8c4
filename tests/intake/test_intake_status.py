"""Status lookup: code + last 4 phone digits; schedule window from an approved route."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.status import lookup_status
from tests.intake.yogya import schedule_visit

DAY = dt.date(2026, 11, 25)


def make_request(session: Session, **fields: object) -> models.ServiceRequest:
    office = session.scalar(select(models.Office))
    assert office is not None
    values: dict[str, object] = {
        "tracking_code": "JB-7K3M-Q2F",
        "office_id": office.id,
        "person_name": "Siti Aminah",
        "nik": "3471135403500001",
        "phone": "+6281234567890",
        "services": ["perekaman_ktp", "kk"],
        **fields,
    }
    req = models.ServiceRequest(**values)
    session.add(req)
    session.flush()
    return req


def plan_visit(
    session: Session, req: models.ServiceRequest, *, approved: bool = True
) -> models.Stop:
    stop = schedule_visit(session, req, day=DAY, arrival=dt.time(9, 47))
    if not approved:
        stop.route.approved = False
        stop.route.plan.status = "draft"
        req.status = "terverifikasi"
        session.flush()
    return stop


def test_right_code_and_digits(yapp: Flask, session: Session) -> None:
    make_request(session)
    view = lookup_status(session, "jb 7k3m q2f", "7890")
    assert view is not None
    assert (view.status, view.scheduled_date, view.window_start) == ("baru", None, None)
    assert view.services == ("perekaman_ktp", "kk")


def test_wrong_digits_or_code_look_the_same(yapp: Flask, session: Session) -> None:
    make_request(session)
    assert lookup_status(session, "JB-7K3M-Q2F", "7891") is None
    assert lookup_status(session, "JB-7K3M-Q2G", "7890") is None  # bad check character
    assert lookup_status(session, "JB-4HXR-9TU", "7890") is None  # valid shape, no such code
    assert lookup_status(session, "JB-7K3M-Q2F", "") is None


def test_request_without_phone_cannot_be_looked_up(yapp: Flask, session: Session) -> None:
    make_request(session, phone=None)
    assert lookup_status(session, "JB-7K3M-Q2F", "0000") is None


def test_approved_route_gives_date_and_window(yapp: Flask, session: Session) -> None:
    req = make_request(session)
    plan_visit(session, req)
    view = lookup_status(session, "JB-7K3M-Q2F", "7890")
    assert view is not None and view.status == "terjadwal"
    assert view.scheduled_date == DAY
    assert (view.window_start, view.window_end) == (dt.time(9, 0), dt.time(10, 30))


def test_draft_plan_is_not_shown(yapp: Flask, session: Session) -> None:
    req = make_request(session, status="terverifikasi")
    plan_visit(session, req, approved=False)
    view = lookup_status(session, "JB-7K3M-Q2F", "7890")
    assert view is not None and view.scheduled_date is None


def test_merged_code_follows_the_kept_request(yapp: Flask, session: Session) -> None:
    kept = make_request(session, tracking_code="JB-2222-222", status="terverifikasi")
    make_request(session, status="digabung", merged_into_id=kept.id, phone="+6281200001111")
    view = lookup_status(session, "JB-7K3M-Q2F", "1111")
    assert view is not None and view.merged and view.status == "terverifikasi"
    assert view.tracking_code == "JB-7K3M-Q2F"


def test_rejection_reason_is_shown(yapp: Flask, session: Session) -> None:
    make_request(session, status="ditolak", status_reason="Sudah merekam di kantor.")
    view = lookup_status(session, "JB-7K3M-Q2F", "7890")
    assert view is not None and view.reason == "Sudah merekam di kantor."
