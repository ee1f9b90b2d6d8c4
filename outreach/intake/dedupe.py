"""Duplicate requests: the same person asking twice, by form and by WhatsApp, or via a relative.

A duplicate is an open request of the same office with the same NIK, or with the same phone
number and a similar name (a family shares one phone, so a phone alone is not enough).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.audit import record_event
from outreach.intake.locate import FLAG_LOCATION_UNCONFIRMED
from outreach.models import RequestStatus

FLAG_DUPLICATE = "kemungkinan_duplikat"
OPEN_STATUSES = (
    RequestStatus.BARU.value,
    RequestStatus.TERVERIFIKASI.value,
    RequestStatus.TERJADWAL.value,
)
NAME_SIMILARITY = 0.8
# Honorifics and kinship words that do not belong to the name itself.
_TITLES = re.compile(
    r"\b(bapak|bpk|pak|ibu|bu|bunda|mbah|eyang|kakek|nenek|sdr|sdri|saudara|saudari|"
    r"almarhum|alm|hj|hajjah|haji|h|dr|ir|drs|dra)\b\.?",
    re.I,
)


@dataclass(frozen=True)
class Duplicate:
    """An open request that looks like the same case, and why."""

    request: models.ServiceRequest
    reason: str  # "nik" or "telepon_nama"
    similarity: float


def name_key(name: str) -> str:
    """A name without titles, punctuation and case, for comparing."""
    text = _TITLES.sub(" ", name.lower())
    return " ".join(re.sub(r"[^a-z\s]", " ", text).split())


def name_similarity(a: str, b: str) -> float:
    """Similarity 0-1 of two names (difflib ratio on :func:`name_key`)."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    return difflib.SequenceMatcher(None, ka, kb).ratio()


def find_duplicates(session: Session, request: models.ServiceRequest) -> list[Duplicate]:
    """Open requests of the same office that look like ``request`` (itself excluded).

    Parameters
    ----------
    session
        Database session.
    request
        The request to compare (may be new and unsaved).

    Returns
    -------
    list of Duplicate
        Oldest first.
    """
    conditions = []
    if request.nik:
        conditions.append(models.ServiceRequest.nik == request.nik)
    if request.phone:
        conditions.append(models.ServiceRequest.phone == request.phone)
    if not conditions:
        return []
    query = (
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == request.office_id,
            models.ServiceRequest.status.in_(OPEN_STATUSES),
            or_(*conditions),
        )
        .order_by(models.ServiceRequest.created_at, models.ServiceRequest.id)
    )
    if request.id is not None:
        query = query.where(models.ServiceRequest.id != request.id)
    found: list[Duplicate] = []
    for other in session.scalars(query):
        if request.nik and other.nik == request.nik:
            found.append(Duplicate(other, "nik", 1.0))
            continue
        score = name_similarity(request.person_name, other.person_name)
        if score >= NAME_SIMILARITY:
            found.append(Duplicate(other, "telepon_nama", score))
    return found


def _append(text: str, addition: str, source: str) -> str:
    """Join two free texts, saying where the added part came from."""
    addition = addition.strip()
    if not addition or addition in text:
        return text
    return f"{text}\n[{source}] {addition}".strip()


def _refresh_duplicate_flag(session: Session, request: models.ServiceRequest) -> None:
    flags = [f for f in request.flags if f != FLAG_DUPLICATE]
    if find_duplicates(session, request):
        flags.append(FLAG_DUPLICATE)
    request.flags = flags


def merge_requests(
    session: Session,
    first: models.ServiceRequest,
    second: models.ServiceRequest,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Merge two open requests of one case into the older one.

    The older request (by creation time) is kept: empty fields are filled from the newer one,
    services, traits and flags are joined, texts are appended with the newer one's tracking
    code, and a confirmed point replaces an unconfirmed kelurahan point. The newer request gets
    status ``digabung`` and ``merged_into_id``; its tracking code keeps working on the status
    page.

    Parameters
    ----------
    session
        Database session (not committed).
    first, second
        The two requests, in any order.
    actor
        Who merges (``"user:<id>"``).
    now
        Time of the merge (default: now, UTC).

    Returns
    -------
    ServiceRequest
        The kept request.

    Raises
    ------
    IntakeError
        When the two are the same request, of different offices, or not both open.
    """
    if first.id == second.id:
        msg = "Permohonan tidak dapat digabung dengan dirinya sendiri."
        raise IntakeError(msg)
    if first.office_id != second.office_id:
        msg = "Permohonan dari kantor yang berbeda tidak dapat digabung."
        raise IntakeError(msg)
    if first.status not in OPEN_STATUSES or second.status not in OPEN_STATUSES:
        msg = "Hanya permohonan yang masih terbuka yang dapat digabung."
        raise IntakeError(msg)
    keep, gone = sorted((first, second), key=lambda r: (r.created_at, r.id))
    now = now or models.utcnow()
    for name in (
        "nik",
        "birth_date",
        "phone",
        "applicant_name",
        "address_street",
        "rt",
        "rw",
        "landmark",
        "kecamatan_id",
        "kelurahan_id",
        "companion_name",
        "companion_phone",
        "letter_id",
    ):
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
    if not keep.availability and gone.availability:
        keep.availability = list(gone.availability)
    keep.services = sorted(set(keep.services) | set(gone.services))
    keep.required_traits = sorted(set(keep.required_traits) | set(gone.required_traits))
    keep.persons = max(keep.persons, gone.persons)
    source = gone.tracking_code
    keep.description = _append(keep.description, gone.description, source)
    keep.accessibility_notes = _append(keep.accessibility_notes, gone.accessibility_notes, source)
    keep.notes = _append(keep.notes, gone.notes, source)
    if keep.needs_location_check and not gone.needs_location_check and gone.lon is not None:
        keep.lon, keep.lat = gone.lon, gone.lat
        keep.location_source = gone.location_source
        keep.location_confirmed = gone.location_confirmed
    flags = set(keep.flags) | set(gone.flags)
    if not keep.needs_location_check:
        flags.discard(FLAG_LOCATION_UNCONFIRMED)
    keep.flags = sorted(flags)

    gone.status = RequestStatus.DIGABUNG.value
    gone.merged_into_id = keep.id
    gone.status_reason = f"Digabung dengan permohonan {keep.tracking_code}."
    gone.closed_at = now
    gone.flags = [f for f in gone.flags if f != FLAG_DUPLICATE]
    # Requests merged earlier into the one that goes now follow it to the kept one.
    for earlier in session.scalars(
        select(models.ServiceRequest).where(models.ServiceRequest.merged_into_id == gone.id)
    ):
        earlier.merged_into_id = keep.id
    session.flush()
    _refresh_duplicate_flag(session, keep)
    record_event(
        session,
        actor=actor,
        action="request.merge",
        entity="service_request",
        entity_id=keep.id,
        detail={"kept": keep.tracking_code, "merged": gone.tracking_code},
    )
    session.flush()
    return keep
