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
from outreach.appointments.daylist import status_line
from outreach.intake.phone import last_digits
from outreach.intake.tracking import normalise_tracking_code
from outreach.models import Outcome, RequestStatus
from outreach.planning.reasons import format_date
from outreach.planning.records import route_is_approved

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
    # The latest visit, in plain Indonesian: what happened and what comes next (nothing else:
    # no team, no note). Empty when there was no visit yet.
    last_visit_date: dt.date | None = None
    visit_message: str = ""
    # An office session instead of a home visit (outreach.appointments): "Nomor antrean A-07,
    # Senin 7 Desember 2026 pukul 10:00-12:00", or when the resident was served there.
    office_appointment: str = ""


def _round_down(moment: dt.datetime, minutes: int = 30) -> dt.datetime:
    return moment - dt.timedelta(
        minutes=moment.minute % minutes, seconds=moment.second, microseconds=moment.microsecond
    )


def arrival_window(
    arrival: dt.datetime, *, not_before: dt.datetime | None = None
) -> tuple[dt.time, dt.time]:
    """The window residents are told: 30 min before to 60 min after ``arrival``, on half hours.

    Callers pass the planned start of the visit (``Stop.service_start_at``): after a lunch
    break or a wait for the resident's own window it is later than the team's arrival. The
    window never opens before ``not_before`` (the team leaves the office then).
    """
    start = _round_down(arrival - WINDOW_BEFORE)
    if not_before is not None and start < not_before <= arrival:
        start = not_before
    return start.time(), _round_down(arrival + WINDOW_AFTER).time()


def _schedule(
    session: Session, request: models.ServiceRequest
) -> tuple[dt.date | None, dt.time | None, dt.time | None]:
    """Date and arrival window from the approved route that visits the request.

    Stop times are the office's wall-clock time (as planning stores them), so they are shown
    as they are. A big collective visit split into parts has several stops: the resident sees
    the first scheduled one (the one at ``scheduled_at``, which approval sets to the earliest
    part), else the earliest of the newest plan. Stops with a recorded outcome are past visits
    and never the schedule.
    """
    stops = session.scalars(
        select(models.Stop)
        .join(models.Route, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .outerjoin(models.VisitOutcome, models.VisitOutcome.stop_id == models.Stop.id)
        .where(
            models.Stop.request_id == request.id,
            route_is_approved(),
            # A visit that already happened is history, not the schedule.
            models.VisitOutcome.id.is_(None),
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
        # Not on an approved route: no date to promise (a pinned day is a wish until planned).
        return None, None, None
    start, end = arrival_window(stop.service_start_at, not_before=stop.route.start_at)
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
    last_date, message = _last_visit(session, carrier)
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
        last_visit_date=last_date,
        visit_message=message,
        office_appointment=status_line(session, carrier),
    )


_RETRY = frozenset({Outcome.TIDAK_DI_RUMAH.value, Outcome.JADWAL_ULANG.value})
_OPEN = frozenset(
    {RequestStatus.TERVERIFIKASI.value, RequestStatus.TERJADWAL.value, RequestStatus.GAGAL.value}
)
_CARD_SERVICES = frozenset({"perekaman_ktp", "cetak_ktp"})


def visit_message(
    outcome: str,
    status: str,
    visit_date: dt.date,
    *,
    services: tuple[str, ...] = (),
    cards_printed: int = 0,
) -> str:
    """What the resident is told about the latest visit ("" when it says nothing useful).

    Parameters
    ----------
    outcome
        The visit's :class:`~outreach.models.Outcome` value.
    status
        The request's status now (an outcome only speaks when the request still agrees).
    visit_date
        The day of the visit.
    services
        The request's services (what comes next after *selesai*).
    cards_printed
        Cards printed on the spot.
    """
    day = format_date(visit_date)
    if outcome == Outcome.SELESAI.value and status == RequestStatus.SELESAI.value:
        if not _CARD_SERVICES.intersection(services):
            return f"Layanan selesai pada {day}. Dokumen akan diserahkan sesuai keterangan petugas."
        first = (
            f"Perekaman selesai pada {day}."
            if "perekaman_ktp" in services
            else f"Layanan selesai pada {day}."
        )
        if cards_printed:
            return f"{first} KTP-el sudah dicetak dan diserahkan saat kunjungan."
        return (
            f"{first} KTP-el akan dicetak; kami akan mengabari bila sudah dapat diambil di "
            "kantor Disdukcapil."
        )
    if outcome in _RETRY and status in _OPEN:
        return (
            f"Tim datang pada {day} tetapi belum berhasil bertemu. Permohonan Anda "
            "dijadwalkan ulang; kami akan mengabari."
        )
    if status == RequestStatus.BATAL.value:
        if outcome == Outcome.PINDAH_ALAMAT.value:
            return (
                f"Permohonan ditutup pada {day} karena alamat sudah pindah. Silakan ajukan "
                "layanan di Disdukcapil tempat tinggal yang baru."
            )
        if outcome == Outcome.MENOLAK.value:
            return (
                f"Permohonan ini sudah ditutup pada {day}. Bila Anda masih memerlukan "
                "layanan, silakan ajukan kembali."
            )
        if outcome == Outcome.MENINGGAL.value:
            return f"Permohonan ini sudah ditutup pada {day}."
    return ""


def _last_visit(session: Session, request: models.ServiceRequest) -> tuple[dt.date | None, str]:
    """``last_visit_date`` and ``visit_message`` from the request's latest outcome."""
    row = session.scalar(
        select(models.VisitOutcome)
        .where(models.VisitOutcome.request_id == request.id)
        .order_by(
            models.VisitOutcome.visit_date.desc(),
            models.VisitOutcome.recorded_at.desc(),
            models.VisitOutcome.id.desc(),
        )
        .limit(1)
    )
    if row is None:
        return None, ""
    day = row.visit_date or row.recorded_at.date()
    message = visit_message(
        row.outcome,
        request.status,
        day,
        services=tuple(str(s) for s in request.services or ()),
        cards_printed=row.cards_printed or 0,
    )
    return day, message
