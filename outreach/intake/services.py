"""Intake services: create, edit, verify and reject requests. They flush but never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.audit import record_event
from outreach.intake.dedupe import FLAG_DUPLICATE, OPEN_STATUSES, find_duplicates, name_key
from outreach.intake.locate import FLAG_LOCATION_UNCONFIRMED
from outreach.intake.tracking import make_tracking_code
from outreach.intake.validate import ValidatedRequest
from outreach.models import Channel, LocationSource, RequestStatus
from outreach.privacy import redact

DEDUPE_WINDOW = dt.timedelta(hours=24)
EDITABLE_STATUSES = (RequestStatus.BARU.value, RequestStatus.TERVERIFIKASI.value)
# Flags the validation decides afresh on every edit (the others are kept).
_VALIDATION_FLAGS = {
    "nik_luar_wilayah",
    "nik_belum_ada",
    "usia_tidak_sesuai_layanan",
    "kelurahan_tidak_sesuai_peta",
    FLAG_LOCATION_UNCONFIRMED,
}


def submission_hash(data: ValidatedRequest, *, channel: str, office_id: int) -> str:
    """SHA-256 of a normalised submission: the same form sent twice gives the same hash.

    The map point is left out on purpose: a second tap a few metres away is the same request.
    """
    key = {
        "office": office_id,
        "channel": channel,
        "nik": data.nik,
        "phone": data.phone,
        "name": name_key(data.person_name),
        "category": data.category,
        "services": sorted(data.services),
        "kelurahan": data.kelurahan.code if data.kelurahan else None,
        "rt": data.rt,
        "rw": data.rw,
        "street": " ".join(data.address_street.lower().split()),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


# A form's one-time key: what :func:`make_submission_key` makes (URL-safe base64, 32 chars);
# anything else a client sends is ignored rather than stored.
_SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def make_submission_key() -> str:
    """A random one-time key for a form's hidden field ``kunci`` (192 bits)."""
    return secrets.token_urlsafe(24)


def read_submission_key(value: str | None) -> str | None:
    """The submitted key when it has the shape of one, else None (no idempotency then)."""
    text = (value or "").strip()
    return text if _SUBMISSION_KEY.match(text) else None


def request_by_submission_key(session: Session, key: str | None) -> models.ServiceRequest | None:
    """The request a form with this one-time key already created, if any."""
    if not key:
        return None
    return session.scalar(
        select(models.ServiceRequest).where(models.ServiceRequest.submission_key == key)
    )


def new_tracking_code(session: Session) -> str:
    """A tracking code not used by any request yet."""
    for _ in range(20):
        code = make_tracking_code()
        taken = session.scalar(
            select(models.ServiceRequest.id).where(models.ServiceRequest.tracking_code == code)
        )
        if taken is None:
            return code
    msg = "Tidak dapat membuat kode pelacakan baru."  # ~1e-170 odds: a broken random source
    raise IntakeError(msg)


def _apply(request: models.ServiceRequest, data: ValidatedRequest) -> None:
    """Copy validated values onto a request row."""
    request.applicant_name = data.applicant_name
    request.applicant_relation = data.applicant_relation
    request.person_name = data.person_name
    request.nik = data.nik
    request.birth_date = data.birth_date
    request.phone = data.phone
    request.category = data.category
    request.description = data.description
    request.services = list(data.services)
    request.kecamatan_id = data.kecamatan.id if data.kecamatan else None
    request.kelurahan_id = data.kelurahan.id if data.kelurahan else None
    request.rt = data.rt
    request.rw = data.rw
    request.address_street = data.address_street
    request.landmark = data.landmark
    request.lon, request.lat = data.location.lon, data.location.lat
    request.location_source = data.location.source
    request.availability = list(data.availability)
    request.companion_name = data.companion_name
    request.companion_phone = data.companion_phone
    request.accessibility_notes = data.accessibility_notes
    request.required_traits = list(data.traits)
    request.consent = data.consent
    request.persons = data.persons


def create_request(
    session: Session,
    data: ValidatedRequest,
    *,
    office: models.Office,
    channel: str = Channel.FORM.value,
    actor: str = "public",
    now: dt.datetime | None = None,
    letter: models.Letter | None = None,
    submission_key: str | None = None,
) -> tuple[models.ServiceRequest, bool]:
    """Save a validated request, unless the same submission arrived recently.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    data
        From :func:`outreach.intake.validate.validate_request`.
    office
        The office the request is for.
    channel
        A :class:`~outreach.models.Channel` value.
    actor
        For the audit trail: ``"public"`` or ``"user:<id>"``.
    now
        Current time, UTC (default: now).
    letter
        The letter a collective request comes from.
    submission_key
        The form's one-time key (see :func:`read_submission_key`), stored in a unique column:
        of two identical POSTs racing each other only one can commit; the view answers the
        other's :class:`sqlalchemy.exc.IntegrityError` with the first request
        (:func:`request_by_submission_key`).

    Returns
    -------
    tuple of (ServiceRequest, bool)
        The request and whether it was created (False: an identical submission within
        24 hours exists and is returned instead).
    """
    now = now or models.utcnow()
    already = request_by_submission_key(session, submission_key)
    if already is not None:
        return already, False
    digest = submission_hash(data, channel=channel, office_id=office.id)
    existing = session.scalar(
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.submission_hash == digest,
            models.ServiceRequest.created_at >= now - DEDUPE_WINDOW,
        )
        .order_by(models.ServiceRequest.id)
    )
    if existing is not None:
        return existing, False
    request = models.ServiceRequest(
        tracking_code=new_tracking_code(session),
        office_id=office.id,
        channel=channel,
        status=RequestStatus.BARU.value,
        submission_hash=digest,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
        letter_id=letter.id if letter else None,
        notes=data.notes,
    )
    _apply(request, data)
    request.flags = sorted(set(data.flags))
    if find_duplicates(session, request):
        request.flags = sorted({*request.flags, FLAG_DUPLICATE})
    session.add(request)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="request.create",
        entity="service_request",
        entity_id=request.id,
        detail={
            "tracking_code": request.tracking_code,
            "channel": channel,
            "category": request.category,
            "flags": list(request.flags),
        },
    )
    return request, True


def update_request(
    session: Session,
    request: models.ServiceRequest,
    data: ValidatedRequest,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Apply a coordinator's edit. A point the coordinator sets counts as confirmed.

    Raises
    ------
    IntakeError
        When the request is no longer open for editing.
    """
    if request.status not in EDITABLE_STATUSES:
        msg = "Permohonan ini tidak dapat diubah lagi (sudah dijadwalkan atau ditutup)."
        raise IntakeError(msg)
    moved = (request.lon, request.lat) != (data.location.lon, data.location.lat)
    _apply(request, data)
    request.notes = data.notes
    if data.location.source == LocationSource.KELURAHAN.value:
        request.location_confirmed = False
    elif moved or request.location_source in {LocationSource.MAP.value, LocationSource.GPS.value}:
        # A staff member looked at the map and saved the point.
        request.location_confirmed = True
    kept = [f for f in request.flags if f not in _VALIDATION_FLAGS and f != FLAG_DUPLICATE]
    flags = set(kept) | set(data.flags)
    if request.location_confirmed:
        flags.discard(FLAG_LOCATION_UNCONFIRMED)
    if find_duplicates(session, request):
        flags.add(FLAG_DUPLICATE)
    request.flags = sorted(flags)
    request.updated_at = now or models.utcnow()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="request.update",
        entity="service_request",
        entity_id=request.id,
        detail={"tracking_code": request.tracking_code, "moved": moved},
    )
    return request


def verify_request(
    session: Session,
    request: models.ServiceRequest,
    *,
    actor: str,
    accept_kelurahan_point: bool = False,
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Mark a new request as verified, ready for planning.

    Parameters
    ----------
    session
        Database session (not committed).
    request
        A request with status ``baru``.
    actor
        ``"user:<id>"``.
    accept_kelurahan_point
        Verify although the point is only the kelurahan's (e.g. the address was confirmed by
        phone and the team will ask the way); otherwise the point must be fixed first.
    now
        Current time, UTC.

    Raises
    ------
    IntakeError
        When the request is not new, or its location still needs confirming.
    """
    if request.status != RequestStatus.BARU.value:
        msg = "Hanya permohonan baru yang dapat diverifikasi."
        raise IntakeError(msg)
    if request.needs_location_check and not accept_kelurahan_point:
        msg = (
            "Lokasi masih titik kelurahan. Tandai rumah di peta dan simpan, atau centang "
            "'tetap gunakan titik kelurahan'."
        )
        raise IntakeError(msg)
    now = now or models.utcnow()
    request.location_confirmed = True
    # The coordinator has seen the case, its flags and the duplicate candidates listed with it.
    request.flags = [
        f for f in request.flags if f not in {FLAG_LOCATION_UNCONFIRMED, FLAG_DUPLICATE}
    ]
    request.status = RequestStatus.TERVERIFIKASI.value
    request.verified_at = now
    request.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="request.verify",
        entity="service_request",
        entity_id=request.id,
        detail={"tracking_code": request.tracking_code},
    )
    return request


def reject_request(
    session: Session,
    request: models.ServiceRequest,
    *,
    reason: str,
    actor: str,
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Reject an open request with a reason the resident will read on the status page.

    Raises
    ------
    IntakeError
        When there is no reason or the request is already closed.
    """
    text = " ".join(reason.split())
    if len(text) < 5:
        msg = "Tulis alasan penolakan (paling sedikit 5 huruf)."
        raise IntakeError(msg)
    if len(text) > 500:
        msg = "Alasan terlalu panjang (paling banyak 500 huruf)."
        raise IntakeError(msg)
    if request.status not in OPEN_STATUSES:
        msg = "Permohonan ini sudah ditutup."
        raise IntakeError(msg)
    now = now or models.utcnow()
    request.status = RequestStatus.DITOLAK.value
    # Shown to anyone holding the code and phone digits: never a NIK or a phone number.
    request.status_reason = redact(text)
    request.closed_at = now
    request.updated_at = now
    request.flags = [f for f in request.flags if f != FLAG_DUPLICATE]
    session.flush()
    record_event(
        session,
        actor=actor,
        action="request.reject",
        entity="service_request",
        entity_id=request.id,
        detail={"tracking_code": request.tracking_code, "reason": request.status_reason},
    )
    return request
