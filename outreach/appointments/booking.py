"""Booking office sessions, marking who came, rolling no-shows over, home <-> office moves.

A request booked at the office gets the flag :data:`FLAG_OFFICE` and the status
``terjadwal`` (``scheduled_at`` = its session's start); the planner must leave flagged
requests out of home visits. Places in a session are persons (a request for 3 persons takes
3 of the session's 10); cards printed at the office count against the office's daily card
capacity together with the cards of the day's planned routes. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from string import ascii_uppercase

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.appointments.settings import read_settings
from outreach.errors import NotFoundError, OutreachError
from outreach.intake.audit import record_event
from outreach.models import AppointmentStatus, RequestStatus
from outreach.planning.calendar import closed_reason
from outreach.planning.priority import cards_for
from outreach.planning.reasons import format_date
from outreach.planning.records import office_days, route_is_approved

#: A request served at the office: the planner must not plan a home visit for it.
FLAG_OFFICE = "antrean_kantor"
#: The rejection reason that sends a home-visit request to the office instead.
OFFICE_REASON = "tidak perlu kunjungan rumah"
#: How far ahead a booking looks for a free session (days).
SEARCH_DAYS = 90
#: Appointments that hold their places in a session.
HOLDING = (
    AppointmentStatus.BOOKED.value,
    AppointmentStatus.CAME.value,
    AppointmentStatus.NO_SHOW.value,
)
#: Appointments whose cards go to the printer that day.
PRINTING = (AppointmentStatus.BOOKED.value, AppointmentStatus.CAME.value)
OPEN = frozenset(
    {
        RequestStatus.BARU.value,
        RequestStatus.TERVERIFIKASI.value,
        RequestStatus.TERJADWAL.value,
        RequestStatus.GAGAL.value,
    }
)
MARKS = {
    "came": AppointmentStatus.CAME.value,
    "hadir": AppointmentStatus.CAME.value,
    "no_show": AppointmentStatus.NO_SHOW.value,
    "tidak_hadir": AppointmentStatus.NO_SHOW.value,
}


class AppointmentError(OutreachError):
    """A booking or a mark that cannot be made; ``str(exc)`` is Indonesian, for staff."""


# --- days and sessions ------------------------------------------------------------------------


def day_closed_reason(office: models.Office, day: dt.date) -> str | None:
    """Why the office has no sessions on ``day`` (``None``: it has), from its calendar."""
    return closed_reason(day, office_days(office))


def day_spans(office: models.Office, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The sessions' hours on ``day``: the settings, cut to a special-hours period (Ramadan)."""
    spans = list(read_settings(office).sessions)
    period = next((p for p in office.hours_periods if p.start_date <= day <= p.end_date), None)
    if period is None:
        return spans
    limit = period.work_end
    if day.weekday() == 4 and period.friday_end is not None:
        limit = period.friday_end
    return [(a, min(b, limit)) for a, b in spans if a < limit and a >= period.work_start]


def sessions_for_day(
    session: Session, office: models.Office, day: dt.date, *, create: bool = True
) -> list[models.OfficeSession]:
    """The office's sessions on ``day``, made from the settings when there are none yet.

    A day the office is closed (holiday, cuti bersama, closure, weekday off) gets none.
    """
    rows = list(
        session.scalars(
            select(models.OfficeSession)
            .where(models.OfficeSession.office_id == office.id, models.OfficeSession.day == day)
            .order_by(models.OfficeSession.start_time)
        )
    )
    if rows or not create or day_closed_reason(office, day) is not None:
        return rows
    persons = read_settings(office).persons_per_session
    for index, (start, end) in enumerate(day_spans(office, day)):
        row = models.OfficeSession(
            office_id=office.id,
            day=day,
            start_time=start,
            end_time=end,
            capacity=persons,
            label=ascii_uppercase[index % 26],
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def places_taken(session: Session, session_id: int) -> int:
    """Persons holding a place in the session (booked, came or no-show)."""
    taken = session.scalar(
        select(func.coalesce(func.sum(models.ServiceRequest.persons), 0))
        .select_from(models.Appointment)
        .join(models.ServiceRequest, models.Appointment.request_id == models.ServiceRequest.id)
        .where(
            models.Appointment.session_id == session_id,
            models.Appointment.status.in_(HOLDING),
        )
    )
    return int(taken or 0)


def _next_number(session: Session, session_id: int) -> int:
    top = session.scalar(
        select(func.max(models.Appointment.queue_number)).where(
            models.Appointment.session_id == session_id
        )
    )
    return int(top or 0) + 1


# --- cards ------------------------------------------------------------------------------------


def request_cards(request: models.ServiceRequest) -> int:
    """Cards the request sends to the printer (the planner's rule: e-KTP services)."""
    return cards_for([str(s) for s in request.services or ()], int(request.persons or 1))


def office_cards_booked(
    session: Session, office_id: int, dates: Iterable[dt.date]
) -> dict[dt.date, int]:
    """Cards of the office's appointments (booked or came) on each of ``dates``.

    The planner adds these to a day's cards already taken (``problem.cards_printed``) so
    office sessions and outreach share the daily card capacity. Days without any: absent.
    """
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    rows = session.execute(
        select(
            models.OfficeSession.day, models.ServiceRequest.services, models.ServiceRequest.persons
        )
        .join(models.Appointment, models.Appointment.session_id == models.OfficeSession.id)
        .join(models.ServiceRequest, models.Appointment.request_id == models.ServiceRequest.id)
        .where(
            models.OfficeSession.office_id == office_id,
            models.OfficeSession.day.in_(wanted),
            models.Appointment.status.in_(PRINTING),
        )
    )
    out: dict[dt.date, int] = {}
    for day, services, persons in rows:
        cards = cards_for([str(s) for s in services or ()], int(persons or 1))
        if cards:
            out[day] = out.get(day, 0) + cards
    return out


def route_cards_planned(
    session: Session, office_id: int, dates: Iterable[dt.date]
) -> dict[dt.date, int]:
    """Cards of the home and collective visits planned on each of ``dates``.

    Per day the larger of the approved routes' cards and the newest draft plan's (a draft
    made for the day may replace the approved routes when approved): the office keeps room
    for whichever runs.
    """
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    rows = session.execute(
        select(
            models.Route.route_date,
            models.Plan.id,
            models.Plan.status,
            models.Route.approved,
            models.Stop.persons,
            models.ServiceRequest.services,
            models.ServiceRequest.persons,
        )
        .join(models.Route, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .join(models.ServiceRequest, models.Stop.request_id == models.ServiceRequest.id)
        .where(
            models.Plan.office_id == office_id,
            models.Route.route_date.in_(wanted),
            models.Plan.status.in_(
                [models.PlanStatus.APPROVED.value, models.PlanStatus.DRAFT.value]
            ),
        )
    )
    approved: dict[dt.date, int] = {}
    drafts: dict[dt.date, dict[int, int]] = {}
    for day, plan_id, status, route_ok, stop_persons, services, persons in rows:
        cards = cards_for([str(s) for s in services or ()], int(stop_persons or persons or 1))
        if status == models.PlanStatus.APPROVED.value and route_ok:
            approved[day] = approved.get(day, 0) + cards
        elif status == models.PlanStatus.DRAFT.value:
            per_plan = drafts.setdefault(day, {})
            per_plan[plan_id] = per_plan.get(plan_id, 0) + cards
    out: dict[dt.date, int] = {}
    for day in wanted:
        newest = drafts.get(day, {})
        draft = newest[max(newest)] if newest else 0
        total = max(approved.get(day, 0), draft)
        if total:
            out[day] = total
    return out


@dataclass(frozen=True)
class CardDay:
    """A day's card capacity, shared by the office desk and the teams."""

    day: dt.date
    capacity: int
    office: int
    routes: int

    @property
    def left(self) -> int:
        """Cards still free that day (never below 0)."""
        return max(0, self.capacity - self.office - self.routes)


def card_day(session: Session, office: models.Office, day: dt.date) -> CardDay:
    """The office's card capacity on ``day`` and what takes it."""
    return CardDay(
        day=day,
        capacity=int(office.daily_card_capacity or 0),
        office=office_cards_booked(session, office.id, [day]).get(day, 0),
        routes=route_cards_planned(session, office.id, [day]).get(day, 0),
    )


# --- booking ----------------------------------------------------------------------------------


def queue_label(appointment: models.Appointment) -> str:
    """``A-07``: the session's letter and the queue number."""
    return f"{appointment.office_session.label}-{appointment.queue_number:02d}"


def describe(appointment: models.Appointment) -> str:
    """``Nomor antrean A-07, Senin 7 Desember 2026 pukul 10:00-12:00``."""
    slot = appointment.office_session
    day = format_date(slot.day).replace(",", "", 1)
    return (
        f"Nomor antrean {queue_label(appointment)}, {day} pukul "
        f"{slot.start_time:%H:%M}-{slot.end_time:%H:%M}"
    )


def active_appointment(session: Session, request_id: int) -> models.Appointment | None:
    """The request's booked appointment still to be marked (the newest), if any."""
    return session.scalar(
        select(models.Appointment)
        .where(
            models.Appointment.request_id == request_id,
            models.Appointment.status == AppointmentStatus.BOOKED.value,
        )
        .order_by(models.Appointment.id.desc())
        .limit(1)
    )


def no_show_count(session: Session, request_id: int) -> int:
    """How many sessions the request's resident did not come to."""
    return int(
        session.scalar(
            select(func.count(models.Appointment.id)).where(
                models.Appointment.request_id == request_id,
                models.Appointment.status == AppointmentStatus.NO_SHOW.value,
            )
        )
        or 0
    )


def book(
    session: Session,
    request: models.ServiceRequest,
    *,
    earliest: dt.date | dt.datetime,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.Appointment:
    """Give ``request`` the first session with room from ``earliest`` on, and a queue number.

    Days the office is closed have no sessions; a day whose card capacity (office bookings
    plus planned routes) has no room for the request's cards is skipped. ``earliest`` as a
    datetime (office clock) also skips that day's sessions that have already started.

    Raises
    ------
    AppointmentError
        The request is closed or already has a queue number, it needs more places than a
        session has, or no session has room within :data:`SEARCH_DAYS` days.
    """
    if request.status not in OPEN:
        raise AppointmentError("Permohonan ini sudah ditutup; tidak dapat diberi nomor antrean.")
    current = active_appointment(session, request.id)
    if current is not None:
        msg = f"Permohonan ini sudah mendapat {describe(current)}."
        raise AppointmentError(msg)
    office = session.get(models.Office, request.office_id)
    if office is None:
        raise NotFoundError("Kantor permohonan ini tidak ditemukan.")
    persons = max(1, int(request.persons or 1))
    biggest = read_settings(office).persons_per_session
    if persons > biggest:
        msg = (
            f"Permohonan untuk {persons} orang melebihi {biggest} orang per sesi; "
            "layani sebagai kunjungan kolektif."
        )
        raise AppointmentError(msg)
    start_day = earliest.date() if isinstance(earliest, dt.datetime) else earliest
    not_before = earliest.time() if isinstance(earliest, dt.datetime) else None
    cards = request_cards(request)
    for offset in range(SEARCH_DAYS):
        day = start_day + dt.timedelta(days=offset)
        if day_closed_reason(office, day) is not None:
            continue
        if cards and card_day(session, office, day).left < cards:
            continue
        for slot in sessions_for_day(session, office, day):
            if offset == 0 and not_before is not None and slot.start_time < not_before:
                continue
            if places_taken(session, slot.id) + persons > slot.capacity:
                continue
            return _take(session, request, slot, actor=actor, now=now)
    msg = f"Tidak ada sesi kantor yang masih kosong dalam {SEARCH_DAYS} hari sejak " + (
        f"{format_date(start_day)}."
    )
    raise AppointmentError(msg)


def _take(
    session: Session,
    request: models.ServiceRequest,
    slot: models.OfficeSession,
    *,
    actor: str,
    now: dt.datetime | None,
) -> models.Appointment:
    now = now or models.utcnow()
    row = models.Appointment(
        session_id=slot.id,
        request_id=request.id,
        queue_number=_next_number(session, slot.id),
        status=AppointmentStatus.BOOKED.value,
        created_at=now,
    )
    row.office_session = slot
    session.add(row)
    request.status = RequestStatus.TERJADWAL.value
    request.scheduled_at = dt.datetime.combine(slot.day, slot.start_time)
    request.verified_at = request.verified_at or now
    request.flags = [*(f for f in request.flags or () if f != FLAG_OFFICE), FLAG_OFFICE]
    request.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="appointment.book",
        entity="service_request",
        entity_id=request.id,
        detail={
            "tracking_code": request.tracking_code,
            "day": slot.day.isoformat(),
            "queue": queue_label(row),
        },
    )
    return row


def get_appointment(session: Session, office_id: int, appointment_id: int) -> models.Appointment:
    """The office's appointment ``appointment_id``.

    Raises
    ------
    NotFoundError
        No such appointment in the office.
    """
    row = session.get(models.Appointment, appointment_id)
    if row is None or row.office_session.office_id != office_id:
        raise NotFoundError("Nomor antrean tidak ditemukan.")
    return row


def mark(
    session: Session,
    appointment: models.Appointment,
    outcome: str,
    *,
    actor: str = "system",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> models.Appointment:
    """Mark a booked appointment ``came`` (the request is served and closed) or ``no_show``.

    A no-show keeps the request open and flagged for the office; :func:`roll_over_no_shows`
    gives it the next free session.

    Raises
    ------
    AppointmentError
        An unknown mark, an appointment already marked or cancelled, or a session after
        ``today``.
    """
    status = MARKS.get(outcome)
    if status is None:
        raise AppointmentError("Tanda kehadiran tidak dikenal (hadir / tidak hadir).")
    if appointment.status != AppointmentStatus.BOOKED.value:
        raise AppointmentError(f"Nomor antrean {queue_label(appointment)} sudah ditandai.")
    if today is not None and appointment.office_session.day > today:
        raise AppointmentError("Sesi ini belum berlangsung; kehadiran belum dapat ditandai.")
    now = now or models.utcnow()
    appointment.status = status
    appointment.marked_at = now
    request = appointment.request
    if status == AppointmentStatus.CAME.value:
        request.status = RequestStatus.SELESAI.value
        request.persons_served = int(request.persons or 1)
        request.closed_at = now
        request.flags = [f for f in request.flags or () if f != FLAG_OFFICE]
    request.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"appointment.{status}",
        entity="service_request",
        entity_id=request.id,
        detail={"tracking_code": request.tracking_code, "queue": queue_label(appointment)},
    )
    return appointment


@dataclass(frozen=True)
class RollOver:
    """What :func:`roll_over_no_shows` did."""

    booked: list[models.Appointment] = field(default_factory=list)
    unplaced: list[models.ServiceRequest] = field(default_factory=list)  # no session had room


def roll_over_no_shows(
    session: Session,
    office: models.Office,
    day: dt.date,
    *,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> RollOver:
    """Give every no-show of ``day`` the next free session after it; the request stays open.

    Once only: a request that already has a new queue number is left alone.
    """
    rows = session.scalars(
        select(models.Appointment)
        .join(models.OfficeSession, models.Appointment.session_id == models.OfficeSession.id)
        .where(
            models.OfficeSession.office_id == office.id,
            models.OfficeSession.day == day,
            models.Appointment.status == AppointmentStatus.NO_SHOW.value,
        )
        .order_by(models.OfficeSession.start_time, models.Appointment.queue_number)
    ).all()
    result = RollOver()
    for row in rows:
        request = row.request
        if request.status not in OPEN or active_appointment(session, request.id) is not None:
            continue
        try:
            result.booked.append(
                book(session, request, earliest=day + dt.timedelta(days=1), actor=actor, now=now)
            )
        except AppointmentError:
            result.unplaced.append(request)
    return result


# --- home visit <-> office --------------------------------------------------------------------


def _on_approved_route(
    session: Session, request_id: int, from_date: dt.date
) -> models.Route | None:
    return session.scalar(
        select(models.Route)
        .join(models.Stop, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .outerjoin(models.VisitOutcome, models.VisitOutcome.stop_id == models.Stop.id)
        .where(
            models.Stop.request_id == request_id,
            route_is_approved(),
            models.Route.route_date >= from_date,
            models.VisitOutcome.id.is_(None),
        )
        .limit(1)
    )


def move_to_office(
    session: Session,
    request: models.ServiceRequest,
    *,
    earliest: dt.date | dt.datetime,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.Appointment:
    """Invite the resident to the office: book a session instead of a home visit.

    Raises
    ------
    AppointmentError
        The request is not verified yet, is on an approved route still to come (change the
        plan first), or :func:`book` cannot book it.
    """
    if request.status == RequestStatus.BARU.value:
        # Checked first (NIK, address, services), as for a home visit: a booked request is
        # scheduled and its data can no longer be edited.
        msg = "Verifikasi permohonan ini dahulu, lalu undang ke kantor."
        raise AppointmentError(msg)
    start = earliest.date() if isinstance(earliest, dt.datetime) else earliest
    route = _on_approved_route(session, request.id, start)
    if route is not None:
        msg = (
            "Permohonan ini sudah ada di rute yang disetujui pada "
            f"{format_date(route.route_date)}; keluarkan dari rencana dahulu."
        )
        raise AppointmentError(msg)
    return book(session, request, earliest=earliest, actor=actor, now=now)


def move_to_home(
    session: Session,
    request: models.ServiceRequest,
    *,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.ServiceRequest:
    """Send a request back to home visits: its queue number is cancelled, planning takes it.

    Raises
    ------
    AppointmentError
        The request is closed or not served at the office.
    """
    if request.status not in OPEN:
        raise AppointmentError("Permohonan ini sudah ditutup.")
    current = active_appointment(session, request.id)
    if current is None and FLAG_OFFICE not in (request.flags or ()):
        raise AppointmentError("Permohonan ini tidak sedang dilayani di kantor.")
    now = now or models.utcnow()
    if current is not None:
        current.status = AppointmentStatus.CANCELLED.value
        current.marked_at = now
    request.flags = [f for f in request.flags or () if f != FLAG_OFFICE]
    request.status = RequestStatus.TERVERIFIKASI.value
    request.scheduled_at = None
    request.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="appointment.move_to_home",
        entity="service_request",
        entity_id=request.id,
        detail={"tracking_code": request.tracking_code},
    )
    return request


def is_office_reason(reason: str) -> bool:
    """True when a rejection reason says the home visit is not needed (serve at the office)."""
    return OFFICE_REASON in " ".join(reason.casefold().split())


def refuse_home_visit(
    session: Session,
    request: models.ServiceRequest,
    *,
    reason: str,
    earliest: dt.date | dt.datetime,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> models.Appointment | None:
    """The rejection hook: "tidak perlu kunjungan rumah" books an office session instead.

    Returns the appointment; any other reason returns None (reject as usual).
    """
    if not is_office_reason(reason):
        return None
    return move_to_office(session, request, earliest=earliest, actor=actor, now=now)
