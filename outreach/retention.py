"""Retention (UU PDP 27/2022): remove the personal data of requests closed long ago.

A request that is closed (:data:`CLOSED_STATUSES`) has served its purpose; after the retention
period (``OUTREACH_RETENTION_DAYS``, :data:`DEFAULT_RETENTION_DAYS` after it was closed) its
personal fields, as listed in :mod:`outreach.personal_data`, are purged: names become
:data:`~outreach.personal_data.PURGED_NAME`, NIK, KK and phone numbers NULL, free text empty, the
home's point the kelurahan's representative point. What the statistics need stays: category,
services, kelurahan and kecamatan, RT/RW, dates, persons, attempts, outcomes.

With the request go: the notes of its visit outcomes, the road lines that end or start at its
home, the before/after values of its audit events, and, once every request of a collective
letter is purged, the letter's residents and contact person.

The updates are bulk statements (not ORM flushes), so the audit trail does not copy the values
being removed into new events; one ``retention.purge`` event records the counts.

Domain code: no flask; :func:`purge_closed` never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.audit import record_event
from outreach.personal_data import (
    POINT,
    PURGE_BLANK,
    PURGE_EMPTY_LIST,
    PURGE_NAME,
    PURGE_NULL,
    PURGED_NAME,
    fields_of,
    purged_value,
)

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_JOB_FILE_DAYS",
    "DEFAULT_RETENTION_DAYS",
    "PurgeResult",
    "purge_closed",
    "purge_job_files",
    "retention_cutoff",
]

#: Two years after closing: long enough for the resident to ask about a service (a card that
#: did not arrive, a second copy) and for the office's yearly reporting and audits of the year
#: before; then the purpose is over and UU PDP asks for deletion.
DEFAULT_RETENTION_DAYS = 730

#: Files that background jobs made (route-sheet PDFs, exports with whole NIK and phone numbers,
#: in ``DATA_DIR/jobs``) are for downloading right away: a week later they go.
DEFAULT_JOB_FILE_DAYS = 7

#: Statuses of a request whose purpose is over.
CLOSED_STATUSES: tuple[str, ...] = (
    models.RequestStatus.SELESAI.value,
    models.RequestStatus.GAGAL.value,
    models.RequestStatus.BATAL.value,
    models.RequestStatus.DITOLAK.value,
    models.RequestStatus.DIGABUNG.value,
)

# Audit detail keys whose values are codes, never personal: kept when an event is blanked.
_AUDIT_KEEP = frozenset(
    {
        "status",
        "tracking_code",
        "category",
        "channel",
        "services",
        "outcome",
        "source",
        "location_source",
        "required_traits",
        "flags",
        "reason",
    }
)
_AUDIT_BLANK_NUMBERS = frozenset({"lon", "lat", "nik", "kk_number", "phone", "companion_phone"})
_V = TypeVar("_V")
_CHUNK = 500
_SIMPLE_PURGES = (PURGE_NAME, PURGE_NULL, PURGE_BLANK, PURGE_EMPTY_LIST)


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or would remove, with ``dry_run``)."""

    before: dt.datetime
    dry_run: bool
    requests: int
    outcomes: int
    letters: int
    residents: int
    stops: int
    audit_events: int

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain values (for the audit event and the CLI)."""
        out = asdict(self)
        out["before"] = self.before.isoformat()
        return out


def retention_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """Requests closed before this moment are past a retention period of ``days``."""
    if days < 1:
        raise ValueError("the retention period is at least one day")
    return now - dt.timedelta(days=days)


def _chunks(ids: Sequence[_V]) -> Iterator[Sequence[_V]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _values(model: type[models.Base]) -> dict[str, Any]:
    """The purge's values for ``model``'s registered fields (points are done apart)."""
    return {
        f.column: purged_value(f)
        for f in fields_of(model)
        if f.kind != POINT and f.purge in _SIMPLE_PURGES
    }


def _update(session: Session, model: Any, ids: Sequence[int], values: dict[str, Any]) -> None:
    for chunk in _chunks(ids):
        session.execute(
            update(model).where(model.id.in_(chunk)).values(**values),
            execution_options={"synchronize_session": False},
        )


def _ids(session: Session, stmt: Any) -> list[int]:
    return [int(x) for x in session.scalars(stmt)]


def purge_closed(
    session: Session,
    before: dt.datetime,
    *,
    office_id: int | None = None,
    dry_run: bool = False,
    actor: str = "system",
) -> PurgeResult:
    """Purge the personal fields of requests closed before ``before`` (naive UTC).

    A request counts as closed at ``closed_at`` (``updated_at`` when an old row has none).
    Requests already purged are skipped, so running it again changes nothing. ``office_id``
    limits it to one office (default: every office). With ``dry_run`` nothing is written and
    the counts say what would be. Never commits.
    """
    req = models.ServiceRequest
    when = req.closed_at.is_(None) & (req.updated_at < before) | (req.closed_at < before)
    stmt = select(req.id).where(
        req.status.in_(CLOSED_STATUSES), when, req.person_name != PURGED_NAME
    )
    if office_id is not None:
        stmt = stmt.where(req.office_id == office_id)
    request_ids = _ids(session, stmt.order_by(req.id))
    outcome_ids: list[int] = []
    stop_rows: list[tuple[int, int, int, int]] = []
    letter_ids: set[int] = set()
    for chunk in _chunks(request_ids):
        outcome_ids += _ids(
            session, select(models.VisitOutcome.id).where(models.VisitOutcome.request_id.in_(chunk))
        )
        letter_ids |= set(
            _ids(
                session, select(req.letter_id).where(req.id.in_(chunk), req.letter_id.is_not(None))
            )
        )
        route_ids = select(models.Stop.route_id).where(models.Stop.request_id.in_(chunk))
        stop_rows += [
            (int(r.id), int(r.route_id), int(r.sequence), int(r.request_id))
            for r in session.execute(
                select(
                    models.Stop.id,
                    models.Stop.route_id,
                    models.Stop.sequence,
                    models.Stop.request_id,
                ).where(models.Stop.route_id.in_(route_ids))
            )
        ]
    # A letter's residents go once no request of the letter keeps its personal data.
    purged = set(request_ids)
    letters_done = sorted(
        lid
        for lid in letter_ids
        if not any(
            rid not in purged
            for rid in session.scalars(
                select(req.id).where(req.letter_id == lid, req.person_name != PURGED_NAME)
            )
        )
    )
    resident_ids: list[int] = []
    for chunk in _chunks(letters_done):
        resident_ids += _ids(
            session,
            select(models.LetterResident.id).where(models.LetterResident.letter_id.in_(chunk)),
        )
    legs, returns = _road_lines(stop_rows, purged)
    audit_ids = _audit_ids(
        session,
        (
            ("service_request", request_ids),
            ("visit_outcome", outcome_ids),
            ("letter", letters_done),
            ("letter_resident", resident_ids),
        ),
    )
    result = PurgeResult(
        before=before,
        dry_run=dry_run,
        requests=len(request_ids),
        outcomes=len(outcome_ids),
        letters=len(letters_done),
        residents=len(resident_ids),
        stops=len(legs),
        audit_events=len(audit_ids),
    )
    if dry_run or not request_ids:
        return result
    session.flush()
    _update(session, req, request_ids, _values(req))
    kel = models.Kelurahan
    for chunk in _chunks(request_ids):
        session.execute(
            update(req)
            .where(req.id.in_(chunk))
            .values(
                lon=select(kel.rep_lon).where(kel.id == req.kelurahan_id).scalar_subquery(),
                lat=select(kel.rep_lat).where(kel.id == req.kelurahan_id).scalar_subquery(),
            ),
            execution_options={"synchronize_session": False},
        )
    _update(session, models.VisitOutcome, outcome_ids, _values(models.VisitOutcome))
    _update(session, models.Letter, letters_done, _values(models.Letter))
    _update(session, models.LetterResident, resident_ids, _values(models.LetterResident))
    _update(session, models.Stop, sorted(legs), _values(models.Stop))
    _update(session, models.Route, sorted(returns), _values(models.Route))
    for event in session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.id.in_(audit_ids))
    ):
        session.execute(
            update(models.AuditEvent)
            .where(models.AuditEvent.id == event.id)
            .values(detail=blank_audit_detail(event.detail or {})),
            execution_options={"synchronize_session": False},
        )
    session.expire_all()
    record_event(
        session,
        actor=actor,
        action="retention.purge",
        entity="service_request",
        entity_id=None,
        detail={k: v for k, v in result.as_dict().items() if k != "dry_run"},
    )
    return result


def _road_lines(
    stop_rows: Iterable[tuple[int, int, int, int]], purged: set[int]
) -> tuple[set[int], set[int]]:
    """Stops whose leg ends or starts at a purged home; routes whose way back starts at one."""
    by_route: dict[int, list[tuple[int, int, int]]] = {}
    for stop_id, route_id, sequence, request_id in set(stop_rows):
        by_route.setdefault(route_id, []).append((sequence, stop_id, request_id))
    legs: set[int] = set()
    returns: set[int] = set()
    for route_id, items in by_route.items():
        previous_purged = False
        for _sequence, stop_id, request_id in sorted(items):
            here = request_id in purged
            if here or previous_purged:
                legs.add(stop_id)
            previous_purged = here
        if previous_purged:
            returns.add(route_id)
    return legs, returns


def _audit_ids(session: Session, targets: Iterable[tuple[str, Sequence[int]]]) -> list[int]:
    ev = models.AuditEvent
    out: list[int] = []
    for entity, ids in targets:
        for chunk in _chunks(list(ids)):
            out += _ids(session, select(ev.id).where(ev.entity == entity, ev.entity_id.in_(chunk)))
    return sorted(set(out))


def blank_audit_detail(detail: Any, key: str = "") -> Any:
    """``detail`` with every value that could be personal blanked; codes and counts kept."""
    if key in _AUDIT_KEEP:
        return detail
    if isinstance(detail, dict):
        return {k: blank_audit_detail(v, str(k)) for k, v in detail.items()}
    if isinstance(detail, list):
        return [blank_audit_detail(v, key) for v in detail]
    if isinstance(detail, str):
        return ""
    if isinstance(detail, float) or key in _AUDIT_BLANK_NUMBERS:
        return None
    return detail


def purge_job_files(
    session: Session, jobs_dir: Path, before: dt.datetime, *, dry_run: bool = False
) -> list[Path]:
    """Delete the files background jobs made that are older than ``before`` (naive UTC).

    A file ``jobs_dir/<job id><suffix>`` goes when its job finished before ``before``; a file
    whose job is unknown (a deleted database row, a crash) goes when it was last written
    before ``before``. Its job's ``result`` then says ``file_removed`` (the download answers
    404). With ``dry_run`` nothing is deleted. Returns the files (to be) deleted. Never commits.
    """
    if not jobs_dir.is_dir():
        return []
    files = sorted(p for p in jobs_dir.iterdir() if p.is_file())
    found = {
        job.id: job
        for chunk in _chunks(sorted({p.name[:32] for p in files}))
        for job in session.scalars(select(models.Job).where(models.Job.id.in_(chunk)))
    }
    gone: list[Path] = []
    for path in files:
        job = found.get(path.name[:32])
        if job is not None:
            if job.finished_at is None or job.finished_at >= before:
                continue
        else:
            written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
            if written >= before:
                continue
        gone.append(path)
        if dry_run:
            continue
        path.unlink(missing_ok=True)
        if job is not None:
            job.result = {**(job.result or {}), "file_removed": True}
    return gone
