"""Generate a programme's collective visits from its calendar.

For each active programme and each matching date (slot) of its period inside the asked
window, one collective visit request: category ``kolektif``, channel ``programme``, pinned to
the date (and to the team when the programme names exactly one), persons = the place's
expected persons (capped by the programme's ``max_persons``), status ``terverifikasi``. Places
take turns: slot *i* of the period visits place *i* modulo the number of places, so the
same slot always goes to the same place whatever window is generated.

A slot closed by a school holiday of the programme, an office closure, or a national holiday
or cuti bersama (unless the office keeps that date open) moves to the programme's next
matching date in its period that is not closed (``on_holiday = "geser"``), or is skipped
(``"lewati"``, or no such date left). Weekdays the office keeps closed for home visits
(Saturday, Sunday) do not close a programme date. One :class:`~outreach.models.ProgrammeVisit`
row per slot records what happened, so generating again creates nothing new. Nothing commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import OfficeDays
from outreach.intake.services import new_tracking_code
from outreach.planning.calendar import holiday_name
from outreach.planning.reasons import format_date
from outreach.planning.records import office_days

GESER = "geser"
LEWATI = "lewati"
ON_HOLIDAY_LABELS = {GESER: "Geser ke jadwal berikutnya", LEWATI: "Lewati"}
CREATED = "dibuat"
MOVED = "digeser"
SKIPPED = "dilewati"
STATUS_LABELS = {CREATED: "Dibuat", MOVED: "Digeser", SKIPPED: "Dilewati"}
DEFAULT_SERVICES = ("perekaman_ktp", "cetak_ktp")


@dataclass
class GenerateResult:
    """New slot rows (with their requests), slots already generated, and notes (Indonesian)."""

    visits: list[models.ProgrammeVisit] = field(default_factory=list)
    existing: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Requests created (visits on their date or moved)."""
        return sum(1 for v in self.visits if v.request is not None)

    @property
    def moved(self) -> int:
        """Slots moved to a later date."""
        return sum(1 for v in self.visits if v.status == MOVED)

    @property
    def skipped(self) -> int:
        """Slots skipped."""
        return sum(1 for v in self.visits if v.status == SKIPPED)


def matching_dates(programme: models.Programme, start: dt.date, end: dt.date) -> list[dt.date]:
    """The programme's weekdays between ``start`` and ``end`` inside its period (included)."""
    weekdays = {int(d) for d in programme.weekdays or ()}
    day = max(start, programme.start_date)
    last = min(end, programme.end_date)
    found: list[dt.date] = []
    while day <= last:
        if day.weekday() in weekdays:
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def school_holiday(programme: models.Programme, day: dt.date) -> str | None:
    """The programme's closed range (school holiday) covering ``day``, by its label."""
    for item in programme.closed_ranges or ():
        try:
            start = dt.date.fromisoformat(str(item.get("start")))
            end = dt.date.fromisoformat(str(item.get("end") or item.get("start")))
        except (TypeError, ValueError, AttributeError):
            continue
        if start <= day <= end:
            return str(item.get("label") or "Libur sekolah")
    return None


def closed_reason(programme: models.Programme, day: dt.date, days: OfficeDays) -> str | None:
    """Why the programme does not go out on ``day`` (Indonesian), ``None`` when it does.

    A school holiday of the programme; else a date the office keeps open is open; else an
    office closure, a national holiday or cuti bersama. Weekdays off for home visits are not
    a reason (a weekend programme).
    """
    school = school_holiday(programme, day)
    if school is not None:
        return school
    if day in days.opened:
        return None
    closed = dict(days.closed)
    if day in closed:
        return closed[day] or "Kantor tutup"
    return holiday_name(day)


def programme_places(session: Session, programme: models.Programme) -> list[models.ProgrammePlace]:
    """The programme's active places; without any, the office's places of its kind."""
    own = [p for p in programme.places if p.active]
    if own:
        return own
    stmt = (
        select(models.ProgrammePlace)
        .where(
            models.ProgrammePlace.office_id == programme.office_id,
            models.ProgrammePlace.programme_id.is_(None),
            models.ProgrammePlace.kind == programme.place_kind,
            models.ProgrammePlace.active.is_(True),
        )
        .order_by(models.ProgrammePlace.id)
    )
    return list(session.scalars(stmt))


def _request(
    session: Session,
    programme: models.Programme,
    place: models.ProgrammePlace,
    day: dt.date,
    now: dt.datetime,
) -> models.ServiceRequest:
    persons = max(1, place.expected_persons or programme.max_persons or 1)
    if programme.max_persons:
        persons = min(persons, programme.max_persons)
    kelurahan = place.kelurahan
    teams = [int(t) for t in programme.team_ids or ()]
    return models.ServiceRequest(
        tracking_code=new_tracking_code(session),
        office_id=programme.office_id,
        channel=models.Channel.PROGRAMME.value,
        category=models.Category.KOLEKTIF.value,
        services=list(programme.services or DEFAULT_SERVICES),
        description=f"{programme.name}: {place.name}",
        applicant_name=place.contact_name,
        person_name=place.name,
        phone=place.contact_phone,
        address_street=place.address,
        kelurahan_id=place.kelurahan_id,
        kecamatan_id=kelurahan.kecamatan_id if kelurahan is not None else None,
        lon=place.lon,
        lat=place.lat,
        location_source=place.location_source,
        location_confirmed=place.location_source != models.LocationSource.KELURAHAN.value,
        persons=persons,
        consent=True,
        status=models.RequestStatus.TERVERIFIKASI.value,
        verified_at=now,
        pinned_date=day,
        pinned_team_id=teams[0] if len(teams) == 1 else None,
        programme_id=programme.id,
    )


def generate_visits(
    session: Session,
    office: models.Office,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> GenerateResult:
    """Create the collective visits of the office's active programmes for ``start``-``end``.

    Returns
    -------
    GenerateResult
        The new slot rows; slots generated before are counted in ``existing`` and left alone.
    """
    now = now or models.utcnow()
    days = office_days(office)
    result = GenerateResult()
    programmes = session.scalars(
        select(models.Programme)
        .where(models.Programme.office_id == office.id, models.Programme.active.is_(True))
        .order_by(models.Programme.id)
    )
    for programme in programmes:
        slots = matching_dates(programme, programme.start_date, programme.end_date)
        wanted = [(i, d) for i, d in enumerate(slots) if start <= d <= end]
        if not wanted:
            continue
        places = programme_places(session, programme)
        if not places:
            result.notes.append(f"Program {programme.name} belum punya daftar tempat.")
            continue
        done = {v.slot_date for v in programme.visits}
        for i, slot in wanted:
            if slot in done:
                result.existing += 1
                continue
            place = places[i % len(places)]
            visit = models.ProgrammeVisit(programme_id=programme.id, slot_date=slot, place=place)
            reason = closed_reason(programme, slot, days)
            if reason is None:
                visit.visit_date, visit.status = slot, CREATED
            else:
                later = None
                if programme.on_holiday == GESER:
                    later = next(
                        (d for d in slots[i + 1 :] if closed_reason(programme, d, days) is None),
                        None,
                    )
                if later is None:
                    visit.status = SKIPPED
                    visit.note = f"Dilewati: {reason}"[:300]
                else:
                    visit.visit_date, visit.status = later, MOVED
                    visit.note = f"Digeser ke {format_date(later)}: {reason}"[:300]
            if visit.visit_date is not None:
                visit.request = _request(session, programme, place, visit.visit_date, now)
                session.add(visit.request)
            programme.visits.append(visit)
            result.visits.append(visit)
    session.add(
        models.AuditEvent(
            actor=actor,
            action="programme.generate",
            entity="office",
            entity_id=office.id,
            office_id=office.id,
            detail={
                "from": start.isoformat(),
                "to": end.isoformat(),
                "created": result.created,
                "moved": result.moved,
                "skipped": result.skipped,
                "existing": result.existing,
            },
        )
    )
    session.flush()
    return result
