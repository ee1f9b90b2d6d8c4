"""What the office desk's day list shows (page, print view, PDF, CLI): built once here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.appointments.booking import (
    CardDay,
    active_appointment,
    card_day,
    day_closed_reason,
    day_spans,
    describe,
    no_show_count,
    places_taken,
    queue_label,
    sessions_for_day,
)
from outreach.appointments.settings import read_settings
from outreach.models import AppointmentStatus, RequestStatus
from outreach.planning.reasons import format_date, skill_label
from outreach.privacy import mask_nik

STATUS_LABELS = {
    AppointmentStatus.BOOKED.value: "Menunggu",
    AppointmentStatus.CAME.value: "Hadir",
    AppointmentStatus.NO_SHOW.value: "Tidak hadir",
    AppointmentStatus.CANCELLED.value: "Dibatalkan",
}


@dataclass(frozen=True)
class DayRow:
    """One queue number of a session."""

    appointment_id: int
    request_id: int
    queue: str
    name: str
    nik: str  # masked unless the viewer may see it whole
    tracking_code: str
    services: str
    persons: int
    status: str
    status_label: str
    no_shows: int  # sessions missed before (and this one, once marked)


@dataclass(frozen=True)
class SessionBlock:
    """A session of the day with its queue."""

    label: str
    start: dt.time
    end: dt.time
    capacity: int
    taken: int
    rows: tuple[DayRow, ...]

    @property
    def hours(self) -> str:
        """``08:00-10:00``."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class DayList:
    """The office desk's list of one day."""

    day: dt.date
    date_text: str
    closed_reason: str | None
    sessions: tuple[SessionBlock, ...]
    cards: CardDay

    @property
    def booked(self) -> int:
        """Queue numbers still waiting."""
        return sum(1 for s in self.sessions for r in s.rows if r.status == "booked")

    @property
    def no_shows(self) -> int:
        """Queue numbers marked not come."""
        return sum(1 for s in self.sessions for r in s.rows if r.status == "no_show")


def day_list(
    session: Session, office: models.Office, day: dt.date, *, reveal: bool = False
) -> DayList:
    """The sessions of ``day`` with their queues (cancelled numbers left out).

    Sessions not made yet are shown from the settings, empty; nothing is written.
    ``reveal``: NIK whole (``personal.view``), else masked.
    """
    closed = day_closed_reason(office, day)
    blocks: list[SessionBlock] = []
    slots = sessions_for_day(session, office, day, create=False)
    for slot in slots:
        rows = [
            _row(session, a, reveal=reveal)
            for a in session.scalars(
                select(models.Appointment)
                .where(
                    models.Appointment.session_id == slot.id,
                    models.Appointment.status != AppointmentStatus.CANCELLED.value,
                )
                .order_by(models.Appointment.queue_number)
            )
        ]
        blocks.append(
            SessionBlock(
                label=slot.label,
                start=slot.start_time,
                end=slot.end_time,
                capacity=slot.capacity,
                taken=places_taken(session, slot.id),
                rows=tuple(rows),
            )
        )
    if not slots and closed is None:
        persons = read_settings(office).persons_per_session
        blocks = [
            SessionBlock(chr(65 + i), a, b, persons, 0, ())
            for i, (a, b) in enumerate(day_spans(office, day))
        ]
    return DayList(
        day=day,
        date_text=format_date(day),
        closed_reason=closed,
        sessions=tuple(blocks),
        cards=card_day(session, office, day),
    )


def _row(session: Session, appointment: models.Appointment, *, reveal: bool) -> DayRow:
    request = appointment.request
    nik = request.nik or ""
    return DayRow(
        appointment_id=appointment.id,
        request_id=request.id,
        queue=queue_label(appointment),
        name=request.person_name,
        nik=nik if reveal else mask_nik(nik),
        tracking_code=request.tracking_code,
        services=", ".join(skill_label(str(s)) for s in request.services or ()),
        persons=int(request.persons or 1),
        status=appointment.status,
        status_label=STATUS_LABELS.get(appointment.status, appointment.status),
        no_shows=no_show_count(session, request.id),
    )


def status_line(session: Session, request: models.ServiceRequest) -> str:
    """What the resident's status page says about the office session ("" when none).

    A booked one: ``Nomor antrean A-07, Senin 7 Desember 2026 pukul 10:00-12:00``; one the
    resident came to: when they were served.
    """
    current = active_appointment(session, request.id)
    if current is not None:
        return describe(current)
    if request.status == RequestStatus.SELESAI.value:
        came = session.scalar(
            select(models.Appointment)
            .where(
                models.Appointment.request_id == request.id,
                models.Appointment.status == AppointmentStatus.CAME.value,
            )
            .limit(1)
        )
        if came is not None:
            return f"Dilayani di kantor pada {format_date(came.office_session.day)}."
    return ""
