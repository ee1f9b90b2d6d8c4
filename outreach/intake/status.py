"""What a resident may see about their request: status and schedule, nothing personal.

The page asks for the tracking code and the last four digits of the phone number; a wrong
pair gets the same answer whether the code exists or not, so the page cannot be used to find
out which codes exist.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.phone import last_digits
from outreach.intake.tracking import normalise_tracking_code
from outreach.models import PlanStatus, RequestStatus

# A team's arrival is an estimate: residents are told a window around it.
WINDOW_BEFORE = dt.timedelta(minutes=30)
WINDOW_AFTER = dt.timedelta(minutes=60)
_DUMMY_DIGITS = "\x00\x00\x00\x00"


@dataclass(frozen=True)
class StatusView:
    """The only facts the public status page shows."""

    tracking_code: str
    status: str  # RequestStatus value of the request that carries the case
    merged: bool  # the code was merged into another request of the same case
    services: tuple[str, ...]
    scheduled_date: dt.date | None
    window_start: dt.time | None
    window_end: dt.time | None
    reason: str  # why it was rejected, written for the resident


def _round_down(moment: dt.datetime, minutes: int = 30) -> dt.datetime:
    return moment - dt.timedelta(
        minutes=moment.minute % minutes, seconds=moment.second, microseconds=moment.microsecond
    )


def arrival_window(arrival: dt.datetime) -> tuple[dt.time, dt.time]:
    """The window residents are told: 30 min before to 60 min after the ETA, on half hours."""
    return (
        _round_down(arrival - WINDOW_BEFORE).time(),
        _round_down(arrival + WINDOW_AFTER).time(),
    )


def _schedule(
    session: Session, request: models.ServiceRequest
) -> tuple[dt.date | None, dt.time | None, dt.time | None]:
    """Date and arrival window from the approved route that visits the request.

    Stop times are the office's wall-clock time (as planning stores them), so they are shown
    as they are. A big collective visit split into parts has several stops: the resident sees
    the first scheduled one (the one at ``scheduled_at``, which approval sets to the earliest
    part), else the earliest of the newest plan.
    """
    stops = session.scalars(
        select(models.Stop)
        .join(models.Route, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(
            models.Stop.request_id == request.id,
            models.Plan.status == PlanStatus.APPROVED.value,
            models.Route.approved.is_(True),
        )
        .order_by(
            models.Plan.created_at.desc(), models.Plan.id.desc(), models.Stop.service_start_at
        )
    ).all()
    stop = next(
        (s for s in stops if s.service_start_at == request.scheduled_at),
        stops[0] if stops else None,
    )
    if stop is None:
        return request.pinned_date, None, None
    start, end = arrival_window(stop.arrival_at)
    return stop.arrival_at.date(), start, end


def lookup_status(session: Session, code: str, phone_last4: str) -> StatusView | None:
    """Find a request by tracking code and the last 4 digits of its phone number.

    Parameters
    ----------
    session
        Database session.
    code
        The tracking code as typed (case, spaces and dashes do not matter).
    phone_last4
        The last four digits of the phone number given with the request (for a letter: the
        contact person's number).

    Returns
    -------
    StatusView or None
        None when the code is unknown, the digits do not match, or the request has no phone.
    """
    wanted = "".join(ch for ch in phone_last4 if ch.isdigit())
    normalised = normalise_tracking_code(code)
    request = None
    if normalised is not None:
        request = session.scalar(
            select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == normalised)
        )
    stored = last_digits(request.phone) if request is not None else ""
    # Compare in constant time and always compare, so a wrong code and a wrong phone take
    # the same path.
    match = hmac.compare_digest(
        (stored or _DUMMY_DIGITS).encode(), (wanted if len(wanted) == 4 else "").encode()
    )
    if request is None or not match:
        return None
    carrier = request
    for _ in range(10):  # follow merges to the request that now carries the case
        if carrier.merged_into_id is None:
            break
        nxt = session.get(models.ServiceRequest, carrier.merged_into_id)
        if nxt is None:
            break
        carrier = nxt
    date, start, end = (None, None, None)
    if carrier.status in {RequestStatus.TERJADWAL.value, RequestStatus.TERVERIFIKASI.value}:
        date, start, end = _schedule(session, carrier)
    return StatusView(
        tracking_code=request.tracking_code,
        status=carrier.status,
        merged=carrier.id != request.id,
        services=tuple(carrier.services),
        scheduled_date=date,
        window_start=start,
        window_end=end,
        reason=carrier.status_reason if carrier.status == RequestStatus.DITOLAK.value else "",
    )
