"""Create, change and list programmes (shared by the CLI and the pages; Indonesian errors).

Nothing commits; every change is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError, NotFoundError
from outreach.programmes.generate import (
    GESER,
    LEWATI,
    ON_HOLIDAY_LABELS,
    STATUS_LABELS,
    programme_places,
)
from outreach.programmes.places import KIND_LABELS, PLACE_KINDS

WEEKDAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MAX_PERIOD_DAYS = 366
_T = TypeVar("_T")
SERVICE_CODES = tuple(s.value for s in models.Service)


class ProgrammeError(IntakeError):
    """A programme's input is not valid (the message is Indonesian, for the form).

    ``messages`` lists every problem found (the message joins them).
    """

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages: tuple[str, ...] = tuple(messages) or (message,)


@dataclass(frozen=True)
class ProgrammeInput:
    """A programme as typed (form fields or CLI options), before checking."""

    name: str = ""
    place_kind: str = "sekolah"
    weekdays: Sequence[str] = ()
    start_date: str = ""
    end_date: str = ""
    team_ids: Sequence[str] = ()
    hours_start: str = ""
    hours_end: str = ""
    max_persons: str = ""
    on_holiday: str = GESER
    closed_ranges: str = ""  # one per line: "2026-12-21 2027-01-03 Libur semester"
    services: Sequence[str] = ()
    active: bool = True


@dataclass
class CheckedProgramme:
    """Checked values, ready to store."""

    name: str
    place_kind: str
    weekdays: list[int]
    start_date: dt.date
    end_date: dt.date
    team_ids: list[int]
    hours_start: dt.time | None
    hours_end: dt.time | None
    max_persons: int | None
    on_holiday: str
    closed_ranges: list[dict[str, str]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    active: bool = True


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        msg = f"{what} tidak terbaca: tulis sebagai TTTT-BB-HH, mis. 2026-07-13."
        raise ProgrammeError(msg) from exc


def _time(text: str, what: str) -> dt.time | None:
    text = text.strip().replace(".", ":")
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        msg = f"{what} tidak terbaca: tulis sebagai JJ:MM, mis. 08:00."
        raise ProgrammeError(msg)
    return dt.time(int(match.group(1)), int(match.group(2)))


def _weekday(text: str) -> int:
    key = text.strip().lower()
    if key.isdecimal() and int(key) <= 6:
        return int(key)
    for i, name in enumerate(WEEKDAY_NAMES):
        if len(key) >= 3 and name.lower().startswith(key):  # "Rabu", "rab", "Sab"
            return i
    msg = f"Hari {text[:20]!r} tidak dikenal (Senin sampai Minggu)."
    raise ProgrammeError(msg)


def _closed_ranges(text: str) -> list[dict[str, str]]:
    ranges: list[dict[str, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        start = _date(parts[0], f"Libur sekolah baris {n}")
        end = _date(parts[1], f"Libur sekolah baris {n}") if len(parts) > 1 else start
        if end < start:
            msg = f"Libur sekolah baris {n}: tanggal akhir sebelum tanggal awal."
            raise ProgrammeError(msg)
        label = parts[2].strip()[:100] if len(parts) > 2 else "Libur sekolah"
        ranges.append({"start": start.isoformat(), "end": end.isoformat(), "label": label})
    return ranges


def closed_ranges_text(programme: models.Programme) -> str:
    """The programme's school holidays as the form's text (one range per line)."""
    return "\n".join(
        f"{r.get('start')} {r.get('end')} {r.get('label', '')}".strip()
        for r in programme.closed_ranges or ()
    )


def check_programme(data: ProgrammeInput, office: models.Office) -> CheckedProgramme:
    """Check a programme's input; raises :class:`ProgrammeError` listing every problem."""
    errors: list[str] = []

    def attempt(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except ProgrammeError as exc:
            errors.append(str(exc))
            return fallback

    name = " ".join(data.name.split())
    if not name:
        errors.append("Nama program wajib diisi.")
    elif len(name) > 200:
        errors.append("Nama program terlalu panjang (paling banyak 200 huruf).")
    if data.place_kind not in PLACE_KINDS:
        errors.append("Pilih jenis tempat: sekolah, kelurahan atau lainnya.")
    weekdays: list[int] = []
    for raw_day in data.weekdays:
        if str(raw_day).strip():
            day: int | None = attempt(partial(_weekday, str(raw_day)), None)
            if day is not None and day not in weekdays:
                weekdays.append(day)
    weekdays.sort()
    if not any(str(w).strip() for w in data.weekdays):
        errors.append("Pilih paling sedikit satu hari program.")
    start = attempt(lambda: _date(data.start_date, "Tanggal mulai"), None)
    end = attempt(lambda: _date(data.end_date, "Tanggal selesai"), None)
    if start is not None and end is not None:
        if end < start:
            errors.append("Tanggal selesai harus sesudah tanggal mulai.")
        elif (end - start).days > MAX_PERIOD_DAYS:
            errors.append("Periode program paling lama satu tahun.")
    known = {t.id: t for t in office.teams if t.active}
    team_ids: list[int] = []
    for raw in data.team_ids:
        text = str(raw).strip()
        if not text:
            continue
        wanted = text.casefold()
        match = next(
            (t for t in known.values() if str(t.id) == text or t.name.casefold() == wanted), None
        )
        if match is None:
            errors.append(f"Tim {text[:40]!r} tidak ada atau tidak aktif.")
        elif match.id not in team_ids:
            team_ids.append(match.id)
    hours_start = attempt(lambda: _time(data.hours_start, "Jam mulai"), None)
    hours_end = attempt(lambda: _time(data.hours_end, "Jam selesai"), None)
    if (hours_start is None) != (hours_end is None) and not (
        data.hours_start.strip() and data.hours_end.strip()
    ):
        errors.append("Isi jam mulai dan jam selesai, atau kosongkan keduanya.")
    if hours_start is not None and hours_end is not None and hours_end <= hours_start:
        errors.append("Jam selesai harus sesudah jam mulai.")
    max_persons: int | None = None
    if data.max_persons.strip():
        if not data.max_persons.strip().isdecimal() or not 1 <= int(data.max_persons) <= 1000:
            errors.append("Batas peserta per kunjungan harus angka 1 sampai 1000.")
        else:
            max_persons = int(data.max_persons)
    if data.on_holiday not in (GESER, LEWATI):
        errors.append("Pilih apa yang terjadi pada hari libur: geser atau lewati.")
    services = [s for s in data.services if s]
    unknown = [s for s in services if s not in SERVICE_CODES]
    if unknown:
        errors.append(f"Layanan tidak dikenal: {', '.join(unknown)[:60]}.")
    no_ranges: list[dict[str, str]] = []
    closed = attempt(partial(_closed_ranges, data.closed_ranges), no_ranges)
    if errors or start is None or end is None:
        raise ProgrammeError(" ".join(errors), errors)
    return CheckedProgramme(
        name=name,
        place_kind=data.place_kind,
        weekdays=weekdays,
        start_date=start,
        end_date=end,
        team_ids=team_ids,
        hours_start=hours_start,
        hours_end=hours_end,
        max_persons=max_persons,
        on_holiday=data.on_holiday,
        closed_ranges=closed,
        services=services or ["perekaman_ktp", "cetak_ktp"],
        active=data.active,
    )


def save_programme(
    session: Session,
    office: models.Office,
    data: ProgrammeInput,
    *,
    programme: models.Programme | None = None,
    actor: str = "system",
) -> models.Programme:
    """Create a programme (or change ``programme``) from checked input (flushed).

    Visits generated before keep their dates; generate again for new dates.
    """
    checked = check_programme(data, office)
    created = programme is None
    if programme is None:
        programme = models.Programme(office_id=office.id)
        session.add(programme)
    for key, value in vars(checked).items():
        setattr(programme, key, value)
    session.flush()
    session.add(
        models.AuditEvent(
            actor=actor,
            action="programme.create" if created else "programme.update",
            entity="programme",
            entity_id=programme.id,
            office_id=office.id,
            detail={"name": programme.name, "weekdays": programme.weekdays},
        )
    )
    session.flush()
    return programme


def get_programme(session: Session, office: models.Office, programme_id: int) -> models.Programme:
    """The office's programme ``programme_id`` (:class:`NotFoundError` if none)."""
    row = session.get(models.Programme, programme_id)
    if row is None or row.office_id != office.id:
        raise NotFoundError(f"No programme {programme_id}.")
    return row


@dataclass(frozen=True)
class ProgrammeRow:
    """One programme as the list shows it."""

    id: int
    name: str
    kind: str
    days: str
    period: str
    teams: str
    hours: str
    places: int
    visits: int
    on_holiday: str
    active: bool


def describe_days(weekdays: Sequence[int]) -> str:
    """``[2]`` -> "Rabu"; ``[5, 6]`` -> "Sabtu dan Minggu"."""
    names = [WEEKDAY_NAMES[int(d)] for d in sorted(weekdays) if 0 <= int(d) <= 6]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " dan " + names[-1]


def programme_rows(session: Session, office: models.Office) -> list[ProgrammeRow]:
    """The office's programmes with their places and visits counted."""
    teams = {t.id: t.name for t in office.teams}
    visits = dict(
        session.execute(
            select(models.ServiceRequest.programme_id, func.count())
            .where(models.ServiceRequest.programme_id.is_not(None))
            .group_by(models.ServiceRequest.programme_id)
        ).all()
    )
    rows: list[ProgrammeRow] = []
    for p in session.scalars(
        select(models.Programme)
        .where(models.Programme.office_id == office.id)
        .order_by(models.Programme.start_date, models.Programme.id)
    ):
        rows.append(
            ProgrammeRow(
                id=p.id,
                name=p.name,
                kind=KIND_LABELS.get(p.place_kind, p.place_kind),
                days=describe_days(p.weekdays or ()),
                period=f"{p.start_date:%d-%m-%Y} s.d. {p.end_date:%d-%m-%Y}",
                teams=", ".join(teams.get(int(t), f"#{t}") for t in p.team_ids or ())
                or "Semua tim",
                hours=(
                    f"{p.hours_start:%H:%M}-{p.hours_end:%H:%M}"
                    if p.hours_start and p.hours_end
                    else "Jam tim"
                ),
                places=len(programme_places(session, p)),
                visits=int(visits.get(p.id, 0)),
                on_holiday=ON_HOLIDAY_LABELS.get(p.on_holiday, p.on_holiday),
                active=p.active,
            )
        )
    return rows


@dataclass(frozen=True)
class VisitRow:
    """One generated slot of a programme, for the visits list."""

    slot_date: dt.date
    visit_date: dt.date | None
    place: str
    persons: int
    status: str
    note: str
    tracking_code: str
    request_status: str


def visit_rows(programme: models.Programme) -> list[VisitRow]:
    """The programme's generated slots in date order."""
    return [
        VisitRow(
            slot_date=v.slot_date,
            visit_date=v.visit_date,
            place=v.place.name if v.place is not None else "",
            persons=v.request.persons if v.request is not None else 0,
            status=STATUS_LABELS.get(v.status, v.status),
            note=v.note,
            tracking_code=v.request.tracking_code if v.request is not None else "",
            request_status=v.request.status if v.request is not None else "",
        )
        for v in programme.visits
    ]


def input_of(programme: models.Programme) -> Mapping[str, object]:
    """A stored programme as the form's values."""
    return {
        "name": programme.name,
        "place_kind": programme.place_kind,
        "weekdays": [str(d) for d in programme.weekdays or ()],
        "start_date": programme.start_date.isoformat(),
        "end_date": programme.end_date.isoformat(),
        "team_ids": [str(t) for t in programme.team_ids or ()],
        "hours_start": f"{programme.hours_start:%H:%M}" if programme.hours_start else "",
        "hours_end": f"{programme.hours_end:%H:%M}" if programme.hours_end else "",
        "max_persons": str(programme.max_persons or ""),
        "on_holiday": programme.on_holiday,
        "closed_ranges": closed_ranges_text(programme),
        "services": list(programme.services or ()),
        "active": programme.active,
    }
