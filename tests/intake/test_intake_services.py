"""Creating, editing, verifying, rejecting and merging requests; the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.dedupe import find_duplicates, merge_requests, name_similarity
from outreach.intake.services import (
    create_request,
    reject_request,
    update_request,
    verify_request,
)
from outreach.intake.validate import IntakeContext, RequestDraft, ValidatedRequest, validate_request
from outreach.web.intake_support import intake_context
from tests.intake.yogya import SEMAKI, UMBULHARJO, nik_for

NOW = dt.datetime(2026, 11, 22, 3, 0)


@pytest.fixture
def ctx(yapp: Flask, session: Session) -> IntakeContext:
    with yapp.test_request_context():
        return intake_context(session, office(session))


def office(session: Session) -> models.Office:
    row = session.scalar(select(models.Office))
    assert row is not None
    return row


def valid(ctx: IntakeContext, **changes: object) -> ValidatedRequest:
    d = RequestDraft(
        person_name="Siti Aminah",
        applicant_relation="anak",
        applicant_name="Budi Santoso",
        nik=nik_for(),
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


def test_same_submission_twice_makes_one_request(ctx: IntakeContext, session: Session) -> None:
    first, created = create_request(session, valid(ctx), office=office(session), now=NOW)
    again, created_again = create_request(
        session, valid(ctx), office=office(session), now=NOW + dt.timedelta(minutes=5)
    )
    assert created and not created_again and again.id == first.id
    later, created_later = create_request(
        session, valid(ctx), office=office(session), now=NOW + dt.timedelta(hours=25)
    )
    assert created_later and later.id != first.id
    assert "kemungkinan_duplikat" in later.flags  # same NIK, still open


GENERIC = ("create", "update", "delete")  # the generic trail's actions (outreach.audit)


def test_audit_events_hold_no_nik_or_phone(ctx: IntakeContext, session: Session) -> None:
    req, _ = create_request(session, valid(ctx), office=office(session), now=NOW)
    reject_request(
        session, req, reason=f"NIK {req.nik} sudah terdaftar, hp 081234567890", actor="user:1"
    )
    events = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action.not_in(GENERIC))
    ).all()
    assert [e.action for e in events] == ["request.create", "request.reject"]
    # The generic trail (outreach.audit) holds no NIK or phone either.
    everything = session.scalars(select(models.AuditEvent)).all()
    dumped = json.dumps([e.detail for e in everything])
    assert nik_for() not in dumped and "081234567890" not in dumped
    assert req.nik not in req.status_reason and "[NIK]" in req.status_reason


def test_verify_needs_a_confirmed_location(ctx: IntakeContext, session: Session) -> None:
    req, _ = create_request(session, valid(ctx), office=office(session), now=NOW)
    assert req.needs_location_check
    with pytest.raises(IntakeError, match="titik kelurahan"):
        verify_request(session, req, actor="user:1")
    verify_request(session, req, actor="user:1", accept_kelurahan_point=True, now=NOW)
    assert req.status == "terverifikasi" and req.location_confirmed
    assert "lokasi_perlu_konfirmasi" not in req.flags
    with pytest.raises(IntakeError, match="baru"):
        verify_request(session, req, actor="user:1")


def test_edit_with_a_map_point_confirms_location(ctx: IntakeContext, session: Session) -> None:
    req, _ = create_request(session, valid(ctx), office=office(session), now=NOW)
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    point = {
        "lon": f"{kel.rep_lon + 0.0005:.6f}",
        "lat": f"{kel.rep_lat:.6f}",
        "location_source": "map",
    }
    update_request(session, req, valid(ctx, **point), actor="user:1")
    assert req.location_source == "map" and req.location_confirmed
    assert "lokasi_perlu_konfirmasi" not in req.flags
    verify_request(session, req, actor="user:1")
    assert req.status == "terverifikasi"


def test_reject_needs_a_reason(ctx: IntakeContext, session: Session) -> None:
    req, _ = create_request(session, valid(ctx), office=office(session), now=NOW)
    with pytest.raises(IntakeError, match="alasan"):
        reject_request(session, req, reason="  ", actor="user:1")
    reject_request(session, req, reason="Sudah merekam KTP-el di kantor.", actor="user:1")
    assert req.status == "ditolak" and req.closed_at is not None
    with pytest.raises(IntakeError, match="ditutup"):
        reject_request(session, req, reason="lagi lagi", actor="user:1")


def test_duplicates_by_nik_or_phone_and_similar_name(ctx: IntakeContext, session: Session) -> None:
    o = office(session)
    a, _ = create_request(session, valid(ctx), office=o, now=NOW)
    # Same phone, name written differently: a duplicate.
    b, _ = create_request(
        session,
        validate_request(
            RequestDraft(
                person_name="Bu Siti Aminah",
                phone="0812-3456-7890",
                category="sakit",
                services=["cetak_ktp"],
                kelurahan=SEMAKI,
                consent=True,
            ),
            ctx,
            staff=True,
        ),
        office=o,
        channel="whatsapp",
        now=NOW + dt.timedelta(hours=1),
    )
    # Same phone, another family member: not a duplicate.
    c, _ = create_request(
        session, valid(ctx, nik=nik_for(serial=2), person_name="Budi Santoso"), office=o, now=NOW
    )
    assert name_similarity("Bu Siti Aminah", "Siti Aminah") == 1.0
    assert [d.request.id for d in find_duplicates(session, b)] == [a.id]
    assert find_duplicates(session, b)[0].reason == "telepon_nama"
    assert "kemungkinan_duplikat" in b.flags
    assert find_duplicates(session, c) == []


def test_merge_keeps_the_older_and_moves_information(ctx: IntakeContext, session: Session) -> None:
    o = office(session)
    older, _ = create_request(session, valid(ctx, landmark=""), office=o, now=NOW)
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    newer, _ = create_request(
        session,
        valid(
            ctx,
            services=["perekaman_ktp", "kk"],
            landmark="pagar hijau",
            description="baru pulang dari RS",
            lon=f"{kel.rep_lon:.6f}",
            lat=f"{kel.rep_lat + 0.0003:.6f}",
            location_source="gps",
            companion_name="Rina",
        ),
        office=o,
        now=NOW + dt.timedelta(hours=2),
    )
    kept = merge_requests(session, newer, older, actor="user:1", now=NOW + dt.timedelta(hours=3))
    assert kept.id == older.id
    assert newer.status == "digabung" and newer.merged_into_id == older.id
    assert sorted(older.services) == ["kk", "perekaman_ktp"]
    assert older.landmark == "pagar hijau" and older.companion_name == "Rina"
    assert newer.tracking_code in older.description
    assert older.location_source == "gps" and not older.needs_location_check
    assert "kemungkinan_duplikat" not in older.flags
    assert "lokasi_perlu_konfirmasi" not in older.flags
    with pytest.raises(IntakeError, match="terbuka"):
        merge_requests(session, older, newer, actor="user:1")
    assert session.scalar(select(func.count()).select_from(models.ServiceRequest)) == 2
