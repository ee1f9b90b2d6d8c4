"""The office calendar: which dates the office makes home visits on, and with which hours.

Defaults come from the national calendar (the ``holidays`` package, Indonesia: public holidays
and cuti bersama, the collective leave days of the SKB 3 Menteri); the office sets dates closed
(a regional holiday, an office event) or open (services kept running on cuti bersama, an
open Saturday), periods with their own hours (Ramadan, per the MenPANRB circular of the year),
and dates a team is away. The planner reads all of it through
:func:`outreach.planning.records.rules_for` and ``team_spec``.

Every change is validated here (the web pages and the CLI share it; messages in Indonesian)
and written to the audit trail; nothing commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import holidays
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError
from outreach.office import SettingsError

#: Longest range one change may cover (a year: no typo closes a decade).
MAX_RANGE_DAYS = 366
MAX_LABEL = 200

# Kinds of a calendar entry (how the date got its state).
NATIONAL = "libur_nasional"
CUTI_BERSAMA = "cuti_bersama"
OFFICE = "kantor"

KIND_LABELS = {
    NATIONAL: "Libur nasional",
    CUTI_BERSAMA: "Cuti bersama",
    OFFICE: "Ditetapkan kantor",
}


@dataclasses.dataclass(frozen=True)
class CalendarEntry:
    """One date of the office calendar that differs from an ordinary working day.

    ``kind`` is where the date comes from (national holiday, cuti bersama, or the office
    alone); ``is_open`` whether the office makes home visits that day after its own setting;
    ``override`` whether the office set it (so it can be reset to the default).
    """

    day: dt.date
    name: str
    kind: str
    is_open: bool
    override: bool


@lru_cache(maxsize=32)
def _national(year: int, category: str) -> dict[dt.date, str]:
    days = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
    return dict(days.items())


def year_calendar(office: models.Office, year: int) -> list[CalendarEntry]:
    """The dates of ``year`` that are not ordinary days for ``office``, in date order.

    National holidays and cuti bersama (closed unless the office opened them) and every date
    the office set itself (a closure, or an opening of a weekday off).
    """
    own = {d.day: d for d in office.calendar_days if d.day.year == year}
    entries: list[CalendarEntry] = []
    national = [(d, n, NATIONAL) for d, n in _national(year, "public").items()]
    national += [(d, n, CUTI_BERSAMA) for d, n in _national(year, "government").items()]
    seen: set[dt.date] = set()
    for day, name, kind in sorted(national):
        if day in seen:
            continue
        seen.add(day)
        row = own.get(day)
        is_open = row.is_open if row is not None else False
        entries.append(CalendarEntry(day, name, kind, is_open, row is not None))
    for day, row in sorted(own.items()):
        if day not in seen:
            name = row.label or ("Dibuka" if row.is_open else "Kantor tutup")
            entries.append(CalendarEntry(day, name, OFFICE, row.is_open, True))
    return sorted(entries, key=lambda e: e.day)


def _dates(start: dt.date, end: dt.date | None) -> list[dt.date]:
    end = end or start
    if end < start:
        raise SettingsError("Tanggal akhir tidak boleh sebelum tanggal awal.", field="sampai")
    if (end - start).days >= MAX_RANGE_DAYS:
        msg = f"Rentang tanggal paling panjang {MAX_RANGE_DAYS} hari."
        raise SettingsError(msg, field="sampai")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _label(text: str) -> str:
    label = " ".join(text.split())
    if len(label) > MAX_LABEL:
        raise SettingsError(f"Keterangan paling panjang {MAX_LABEL} karakter.", field="keterangan")
    return label


def set_days(
    session: Session,
    office: models.Office,
    start: dt.date,
    end: dt.date | None = None,
    *,
    is_open: bool,
    label: str = "",
    actor: str = "system",
) -> list[models.OfficeDay]:
    """Set every date from ``start`` to ``end`` (included) closed or open for home visits.

    A date already set is changed. A closure needs a label (why: "Hari jadi kota", "Rapat
    kerja"); an opening may have one.

    Raises
    ------
    SettingsError
        ``end`` before ``start``, a range longer than a year, a closure without a label, a
        label too long.
    """
    label = _label(label)
    if not is_open and not label:
        raise SettingsError("Isi alasan kantor tutup (mis. hari jadi kota).", field="keterangan")
    days = _dates(start, end)
    own = {d.day: d for d in office.calendar_days}
    rows = []
    for day in days:
        row = own.get(day)
        if row is None:
            row = models.OfficeDay(office_id=office.id, day=day)
            office.calendar_days.append(row)
        row.is_open = is_open
        row.label = label
        rows.append(row)
    _audit(
        session,
        actor,
        "calendar.open" if is_open else "calendar.close",
        office.id,
        {"from": days[0].isoformat(), "to": days[-1].isoformat(), "label": label},
    )
    session.flush()
    return rows


def reset_days(
    session: Session,
    office: models.Office,
    start: dt.date,
    end: dt.date | None = None,
    *,
    actor: str = "system",
) -> int:
    """Drop the office's own setting of the dates ``start``-``end``: back to the defaults.

    Returns how many dates had a setting.

    Raises
    ------
    SettingsError
        ``end`` before ``start`` or a range longer than a year.
    """
    days = set(_dates(start, end))
    dropped = [d for d in office.calendar_days if d.day in days]
    for row in dropped:
        office.calendar_days.remove(row)
    _audit(
        session,
        actor,
        "calendar.reset",
        office.id,
        {"from": min(days).isoformat(), "to": max(days).isoformat(), "dates": len(dropped)},
    )
    session.flush()
    return len(dropped)


@dataclasses.dataclass(frozen=True)
class HoursInput:
    """A special-hours period as typed (times as ``datetime.time``; ``None``: not set)."""

    name: str
    start: dt.date
    end: dt.date
    work_start: dt.time
    work_end: dt.time
    friday_end: dt.time | None = None
    break_minutes: int = 30
    sync_deadline: dt.time | None = None


def add_hours_period(
    session: Session, office: models.Office, data: HoursInput, *, actor: str = "system"
) -> models.OfficeHours:
    """Add a period with its own working hours (e.g. Ramadan 08:00-14:00, Friday to 14:30).

    Raises
    ------
    SettingsError
        No name, ``end`` before ``start`` or longer than a year, hours that end before they
        start, a Friday end outside the hours' start, a break not 0-120 minutes, a sync
        deadline before the hours start, or dates overlapping another period.
    """
    name = _label(data.name)
    if not name:
        raise SettingsError("Isi nama periode (mis. Ramadan 1448 H).", field="nama")
    _dates(data.start, data.end)
    if data.work_end <= data.work_start:
        raise SettingsError("Jam selesai harus setelah jam mulai.", field="jam")
    if data.friday_end is not None and data.friday_end <= data.work_start:
        raise SettingsError("Jam selesai hari Jumat harus setelah jam mulai.", field="jumat")
    if not 0 <= data.break_minutes <= 120:
        raise SettingsError("Lama istirahat 0 sampai 120 menit.", field="istirahat")
    if data.sync_deadline is not None and data.sync_deadline <= data.work_start:
        raise SettingsError("Batas sinkronisasi harus setelah jam mulai.", field="sinkron")
    for other in office.hours_periods:
        if other.start_date <= data.end and data.start <= other.end_date:
            msg = (
                f"Tanggalnya bertumpang tindih dengan periode {other.name} "
                f"({other.start_date:%d-%m-%Y} s/d {other.end_date:%d-%m-%Y})."
            )
            raise SettingsError(msg, field="mulai")
    row = models.OfficeHours(
        office_id=office.id,
        name=name,
        start_date=data.start,
        end_date=data.end,
        work_start=data.work_start,
        work_end=data.work_end,
        friday_end=data.friday_end,
        break_minutes=data.break_minutes,
        sync_deadline=data.sync_deadline,
    )
    office.hours_periods.append(row)
    session.flush()
    _audit(session, actor, "calendar.hours_add", office.id, {"id": row.id, "name": name})
    return row


def remove_hours_period(
    session: Session, office: models.Office, period_id: int, *, actor: str = "system"
) -> None:
    """Remove a special-hours period of ``office``.

    Raises
    ------
    NotFoundError
        The office has no such period.
    """
    row = next((p for p in office.hours_periods if p.id == period_id), None)
    if row is None:
        raise NotFoundError(f"No hours period {period_id}.")
    office.hours_periods.remove(row)
    _audit(session, actor, "calendar.hours_remove", office.id, {"id": period_id})
    session.flush()


def add_absence(
    session: Session,
    team: models.Team,
    start: dt.date,
    end: dt.date | None = None,
    *,
    reason: str = "",
    actor: str = "system",
) -> models.TeamAbsence:
    """Mark ``team`` away from ``start`` to ``end`` (included): it is not planned then.

    Raises
    ------
    SettingsError
        ``end`` before ``start``, longer than a year, or a reason too long.
    """
    days = _dates(start, end)
    row = models.TeamAbsence(
        team_id=team.id, start_date=days[0], end_date=days[-1], reason=_label(reason)
    )
    team.absences.append(row)
    session.flush()
    _audit(
        session,
        actor,
        "team.away",
        team.office_id,
        {"team_id": team.id, "from": days[0].isoformat(), "to": days[-1].isoformat()},
    )
    return row


def remove_absence(
    session: Session, team: models.Team, absence_id: int, *, actor: str = "system"
) -> None:
    """Remove one absence of ``team``.

    Raises
    ------
    NotFoundError
        The team has no such absence.
    """
    row = next((a for a in team.absences if a.id == absence_id), None)
    if row is None:
        raise NotFoundError(f"No absence {absence_id} of team {team.id}.")
    team.absences.remove(row)
    _audit(session, actor, "team.away_remove", team.office_id, {"team_id": team.id})
    session.flush()


def upcoming_absences(teams: Sequence[models.Team], today: dt.date) -> list[models.TeamAbsence]:
    """Absences of ``teams`` that end today or later, by start date."""
    found = [a for t in teams for a in t.absences if a.end_date >= today]
    return sorted(found, key=lambda a: (a.start_date, a.team_id))


def _audit(
    session: Session, actor: str, action: str, office_id: int, detail: dict[str, object]
) -> None:
    session.add(
        models.AuditEvent(
            actor=actor, action=action, entity="office", entity_id=office_id, detail=detail
        )
    )
