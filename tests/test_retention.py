"""Retention: closed requests past the period lose their personal data, statistics stay.

A real approved field day in Kota Yogyakarta (tests/field_day.py), outcomes recorded through the
visits domain, the collective letter's residents attending; then ``purge_closed`` and the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import outreach.cli_ops  # noqa: F401  (registers "outreach purge|backup|restore")
from outreach import models
from outreach.db import get_session
from outreach.exports import outcome_rows, request_rows
from outreach.personal_data import (
    EXPORT_COLUMNS,
    PURGED_NAME,
    REGISTER,
    export_value,
    fields_of,
    mask_value,
)
from outreach.render.dashboard import build_dashboard
from outreach.render.report import build_month_report
from outreach.retention import blank_audit_detail, purge_closed, retention_cutoff
from outreach.visits import OutcomeInput, record_outcome
from tests.field_day import DAY, FieldDay, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

CLOSED_LONG_AGO = dt.datetime(2024, 1, 10, 9, 0)
BEFORE = dt.datetime(2024, 6, 1)


def _office(session: Session) -> models.Office:
    office = session.scalar(select(models.Office))
    assert office is not None
    return office


def _secrets_of(req: models.ServiceRequest) -> dict[str, str]:
    """Give ``req`` personal values found nowhere else, and return them."""
    n = req.id
    values = {
        "person_name": f"Warga Rahasia {n:03d}",
        "nik": f"34711354035{n:05d}",
        "kk_number": f"34711301019{n:05d}",
        "phone": f"+628123456{n:04d}",
        "companion_phone": f"+628139876{n:04d}",
        "applicant_name": f"Pemohon Rahasia {n:03d}",
        "companion_name": f"Pendamping Rahasia {n:03d}",
        "source_text": f"pesan asli {n:03d} tolong datang ke rumah",
        "address_street": f"Jl. Rahasia No. {n:03d}",
        "landmark": f"sebelah warung {n:03d}",
        "notes": f"catatan staf {n:03d}",
    }
    for key, value in values.items():
        setattr(req, key, value)
    return values


@pytest.fixture
def field(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def _close_day(session: Session, field: FieldDay, keep_open: int) -> dict[int, dict[str, str]]:
    """Personal values on every request, outcomes on every stop but ``keep_open``'s."""
    secrets: dict[int, dict[str, str]] = {}
    for req in session.scalars(select(models.ServiceRequest)):
        if req.id != field.letter_request_id:
            secrets[req.id] = _secrets_of(req)
    session.commit()
    stops = session.scalars(
        select(models.Stop).join(models.Route).where(models.Route.approved.is_(True))
    ).all()
    for stop in stops:
        if stop.request_id == keep_open:
            continue
        attendees = (
            tuple(field.letter_resident_ids[:3])
            if stop.request_id == field.letter_request_id
            else ()
        )
        data = OutcomeInput(
            client_id=str(uuid.uuid4()),
            stop_id=stop.id,
            outcome="selesai",
            note=f"catatan kunjungan {stop.request_id:03d} ibu sakit",
            attendees=attendees,
            recorded_at=dt.datetime.combine(DAY, dt.time(10, 0)),
        )
        record_outcome(session, data, team_id=stop.route.team_id, user_id=None)
    session.commit()
    return secrets


def _db_text(session: Session) -> str:
    """Every value of every column of every table, as one text."""
    parts: list[str] = []
    for table in models.Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            for value in row:
                if isinstance(value, dict | list):
                    parts.append(json.dumps(value, ensure_ascii=False))
                elif value is not None:
                    parts.append(str(value))
    return "\n".join(parts)


def test_register_covers_masking_and_exports() -> None:
    columns = {(f.table, f.column) for f in REGISTER}
    for needed in [
        ("service_request", "nik"),
        ("service_request", "kk_number"),
        ("service_request", "phone"),
        ("service_request", "companion_phone"),
        ("service_request", "person_name"),
        ("service_request", "lon"),
        ("service_request", "source_text"),
        ("visit_outcome", "notes"),
        ("visit_outcome", "attendees"),
        ("letter_resident", "nik"),
        ("letter_resident", "name"),
        ("audit_event", "detail"),
    ]:
        assert needed in columns
    # Every registered column exists in the schema.
    for f in REGISTER:
        assert f.column in f.model.__table__.columns, (f.table, f.column)
    assert mask_value("nik", "3471135403500001") == "347113********01"
    assert mask_value("kk", "3471130101900001") == "347113********01"
    assert mask_value("phone", "+6281234567890") == "+62812*****890"
    assert export_value("birth_date", dt.date(1950, 3, 14), personal=False) == ""
    assert export_value("birth_date", dt.date(1950, 3, 14), personal=True) == "1950-03-14"
    assert export_value("person_name", "Sri", personal=False) == "Sri"
    assert set(EXPORT_COLUMNS) >= {"nik", "phone", "companion_phone", "birth_date"}
    assert {f.column for f in fields_of(models.LetterResident)} >= {"name", "nik", "phone"}


def test_purge_removes_personal_data_and_keeps_statistics(yapp: Flask, field: FieldDay) -> None:
    session = get_session()
    keep_open = field.request_ids[-1]
    secrets = _close_day(session, field, keep_open)
    recent = field.request_ids[-2]  # closed now: inside the retention period
    purged_ids = [
        r for r in [*field.request_ids, field.letter_request_id] if r not in {keep_open, recent}
    ]
    session.execute(
        update(models.ServiceRequest)
        .where(models.ServiceRequest.id.in_(purged_ids))
        .values(closed_at=CLOSED_LONG_AGO)
    )
    letter = session.scalar(select(models.Letter))
    assert letter is not None
    letter_secrets = [letter.contact_name, letter.contact_phone or ""] + [
        value for r in letter.residents for value in (r.name, r.nik or "")
    ]
    session.commit()
    office = _office(session)
    board = build_dashboard(session, office, today=DAY)
    report = build_month_report(session, office, DAY.replace(day=1), today=DAY)
    stats = [
        (r["request_id"], r["status"], r["category"], r["kelurahan"], r["persons"], r["closed_at"])
        for r in request_rows(session, office.id, personal=True)
    ]
    outcomes = [
        (r["outcome_id"], r["outcome"], r["persons_served"], r["attendees"], r["visit_date"])
        for r in outcome_rows(session, office.id, date_from=None, date_to=None, personal=True)
    ]
    semaki = session.get(
        models.Kelurahan, session.get(models.ServiceRequest, keep_open).kelurahan_id
    )

    dry = purge_closed(session, BEFORE, dry_run=True)
    assert dry.requests == len(purged_ids)
    assert session.get(models.ServiceRequest, purged_ids[0]).person_name != PURGED_NAME
    result = purge_closed(session, BEFORE)
    session.commit()
    assert (result.requests, result.letters, result.residents) == (len(purged_ids), 1, 4)
    assert result.outcomes == len(purged_ids)
    assert result.audit_events > 0  # the generic trail's before/after values, blanked

    # Statistics: the dashboard, the month report and the exports' figures are unchanged.
    assert build_dashboard(session, office, today=DAY) == board
    assert build_month_report(session, office, DAY.replace(day=1), today=DAY) == report
    assert [
        (r["request_id"], r["status"], r["category"], r["kelurahan"], r["persons"], r["closed_at"])
        for r in request_rows(session, office.id, personal=True)
    ] == stats
    assert [
        (r["outcome_id"], r["outcome"], r["persons_served"], r["attendees"], r["visit_date"])
        for r in outcome_rows(session, office.id, date_from=None, date_to=None, personal=True)
    ] == outcomes

    # No personal value of a purged request anywhere in the database.
    text = _db_text(session)
    for rid in purged_ids:
        for key, value in secrets.get(rid, {}).items():
            assert value not in text, (rid, key)
    for value in letter_secrets:
        assert value and value not in text
    assert "catatan kunjungan" not in text.replace(f"catatan kunjungan {recent:03d}", "")
    # The requests kept theirs.
    for rid in (keep_open, recent):
        for value in secrets[rid].values():
            assert value in text
    for rid in purged_ids:
        req = session.get(models.ServiceRequest, rid)
        assert req is not None
        assert (req.nik, req.phone, req.kk_number, req.source_text) == (None, None, None, "")
        assert (req.lon, req.lat) == (semaki.rep_lon, semaki.rep_lat)
        if rid != field.letter_request_id:
            assert req.person_name == PURGED_NAME
        for stop in session.scalars(select(models.Stop).where(models.Stop.request_id == rid)):
            assert stop.leg_geometry == []
    # Attendance stays as ids of purged residents (the count is a statistic).
    assert all(r.name == PURGED_NAME and r.nik is None for r in letter.residents)
    events = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "retention.purge")
    ).all()
    assert [e.detail["requests"] for e in events] == [len(purged_ids)]

    # Again: nothing left to purge.
    assert purge_closed(session, BEFORE).requests == 0


def test_purge_cli_dry_run_and_counts(yapp: Flask, field: FieldDay) -> None:
    session = get_session()
    _close_day(session, field, keep_open=-1)
    session.execute(update(models.ServiceRequest).values(closed_at=CLOSED_LONG_AGO))
    session.commit()
    runner = yapp.test_cli_runner()
    dry = runner.invoke(args=["outreach", "purge", "--before", "2024-06-01", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "7 would be purged" in dry.output
    assert session.scalar(select(models.ServiceRequest.person_name).limit(1)) != PURGED_NAME
    done = runner.invoke(args=["outreach", "purge", "--before", "2024-06-01"])
    assert done.exit_code == 0, done.output
    assert "7 purged" in done.output and "letter residents: 4" in done.output
    session.expire_all()
    assert {r.person_name for r in session.scalars(select(models.ServiceRequest))} == {PURGED_NAME}
    # Default: the retention period (730 days) before today; nothing closed in 2024-01 is left.
    again = runner.invoke(args=["outreach", "purge"])
    assert again.exit_code == 0 and "0 purged" in again.output
    future = runner.invoke(args=["outreach", "purge", "--before", "2999-01-01"])
    assert future.exit_code == 1 and "future" in future.output
    bad = runner.invoke(args=["outreach", "purge", "--before", "kemarin"])
    assert bad.exit_code == 2


def test_retention_cutoff_and_audit_blanking() -> None:
    now = dt.datetime(2026, 11, 30, 12, 0)
    assert retention_cutoff(now, 730) == dt.datetime(2024, 11, 30, 12, 0)
    with pytest.raises(ValueError):
        retention_cutoff(now, 0)
    detail: dict[str, Any] = {
        "before": {"person_name": "Sri", "status": "baru", "lat": -7.8, "persons": 2},
        "after": {"person_name": "Sri W", "status": "terverifikasi", "nik": "347113********01"},
        "tracking_code": "JB-ABC",
    }
    assert blank_audit_detail(detail) == {
        "before": {"person_name": "", "status": "baru", "lat": None, "persons": 2},
        "after": {"person_name": "", "status": "terverifikasi", "nik": ""},
        "tracking_code": "JB-ABC",
    }


def test_purge_removes_old_job_files(yapp: Flask) -> None:
    """Exports and PDFs of background jobs (whole NIK and phone numbers) go after a week."""
    import os
    from pathlib import Path

    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    jobs_dir = Path(yapp.config["DATA_DIR"]) / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    now = models.utcnow()
    old_id, new_id, orphan_id = (uuid.uuid4().hex for _ in range(3))
    for job_id, finished in ((old_id, now - dt.timedelta(days=9)), (new_id, now)):
        session.add(
            models.Job(
                id=job_id,
                kind="export",
                office_id=office.id,
                title="Ekspor",
                status=models.JobStatus.DONE.value,
                result={"file": f"{job_id}.csv"},
                finished_at=finished,
            )
        )
        (jobs_dir / f"{job_id}.csv").write_text("nik\n3471010101800001\n")
    orphan = jobs_dir / f"{orphan_id}.pdf"
    orphan.write_bytes(b"%PDF")
    ten_days = (now - dt.timedelta(days=10)).timestamp()
    os.utime(orphan, (ten_days, ten_days))
    session.commit()
    runner = yapp.test_cli_runner()
    dry = runner.invoke(args=["outreach", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "older than 7 days: 2 would be purged" in dry.output
    assert (jobs_dir / f"{old_id}.csv").exists() and orphan.exists()
    done = runner.invoke(args=["outreach", "purge"])
    assert done.exit_code == 0, done.output
    assert "older than 7 days: 2 purged" in done.output
    assert sorted(p.name for p in jobs_dir.iterdir()) == [f"{new_id}.csv"]
    session.expire_all()
    old_job = session.get(models.Job, old_id)
    assert old_job is not None and old_job.result["file_removed"] is True
