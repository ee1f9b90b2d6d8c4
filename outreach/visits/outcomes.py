"""Visit outcomes and what they do to requests.

A team records one outcome per stop, from the field page (offline-queued on the phone) or from
the ticked paper sheet the coordinator types in. Each outcome carries a client id (a UUID made
by the phone, or by the server for paper): the database's unique constraint on it, not a
check-then-insert, makes a resend or a double tap store nothing new -- the way ODK Central keeps
a submission once per ``instanceID``.

What an outcome does to the request:

================================  ==============================  =============================
outcome                           request status after            planned again?
================================  ==============================  =============================
``selesai``                       ``selesai`` (a split visit:      no
                                  once all its parts are done,
                                  persons summed)
``tidak_di_rumah``,               ``terverifikasi``, attempts + 1  yes, with raised priority and
``jadwal_ulang``                                                   the new availability; after 3
                                                                   attempts flagged
                                                                   ``perlu_dihubungi`` and left
                                                                   out until a coordinator
                                                                   clears the flag
``menolak``, ``meninggal``,       ``batal``, the outcome as        no
``pindah_alamat``                 reason (moved: flagged
                                  ``pindah_alamat`` for the
                                  coordinator to pass on)
================================  ==============================  =============================

Functions here change rows and never commit (DESIGN.md rule 4).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from outreach import models
from outreach.errors import NotFoundError, OutreachError
from outreach.planning.priority import CARD_SERVICES
from outreach.planning.reasons import format_date
from outreach.planning.records import FLAG_CONTACT as FLAG_CONTACT

Outcome = models.Outcome
Status = models.RequestStatus

#: Failed attempts (not home / put off) after which a request waits for a coordinator's call.
MAX_ATTEMPTS = 3
FLAG_MOVED = "pindah_alamat"
MAX_NOTE = 2000
MAX_PERSONS = 1000

OUTCOME_LABELS: dict[str, str] = {
    Outcome.SELESAI.value: "Selesai",
    Outcome.TIDAK_DI_RUMAH.value: "Tidak di rumah",
    Outcome.JADWAL_ULANG.value: "Jadwal ulang",
    Outcome.MENOLAK.value: "Menolak",
    Outcome.PINDAH_ALAMAT.value: "Pindah alamat",
    Outcome.MENINGGAL.value: "Meninggal",
}
RETRY = frozenset({Outcome.TIDAK_DI_RUMAH.value, Outcome.JADWAL_ULANG.value})
CLOSING = frozenset({Outcome.MENOLAK.value, Outcome.MENINGGAL.value, Outcome.PINDAH_ALAMAT.value})
_HHMM = re.compile(r"^([01]\d|2[0-3])[:.]([0-5]\d)$")
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]{1,12}")
# Times a phone may claim; anything else is a broken clock, not a visit.
_EARLIEST = dt.datetime(2000, 1, 1)
_LATEST = dt.datetime(2100, 1, 1)


class OutcomeError(OutreachError):
    """An outcome that cannot be stored as sent; the message is Indonesian (shown to users)."""


class OutcomeConflict(OutcomeError):  # noqa: N818 -- reads as the HTTP 409 it becomes
    """The stop already has an outcome, recorded under another client id."""

    def __init__(self, message: str, stored: models.VisitOutcome) -> None:
        super().__init__(message)
        self.stored = stored


@dataclasses.dataclass(frozen=True)
class OutcomeInput:
    """One outcome as sent by the field page or typed from paper.

    ``recorded_at`` is the office's clock time when the team recorded it (naive; an aware time
    is converted to the office's timezone). ``reschedule`` (``jadwal_ulang``) says when the
    resident will be home: ``{"date": "YYYY-MM-DD", "start": "HH:MM", "end": "HH:MM"}``, each
    key optional.
    """

    client_id: str
    stop_id: int
    outcome: str
    persons_served: int | None = None
    cards_printed: int | None = None
    attendees: tuple[int, ...] = ()
    note: str = ""
    recorded_at: dt.datetime | None = None
    reschedule: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class RecordResult:
    """The stored outcome, and whether this call stored it (False: it was there already)."""

    outcome: models.VisitOutcome
    created: bool


@dataclasses.dataclass(frozen=True)
class HistoryItem:
    """One visit of a request, for its history."""

    visit_date: dt.date | None
    team_name: str
    outcome: str
    label: str
    note: str
    persons_served: int
    recorded_at: dt.datetime
    source: str


@dataclasses.dataclass(frozen=True)
class RouteProgress:
    """How far a route is: stops with an outcome, stops planned, and each stop's outcome."""

    route_id: int
    done: int
    planned: int
    outcomes: dict[int, str]


# --- reading what was sent -------------------------------------------------------------------


def _int(value: Any, name: str, *, allow_none: bool = True) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        msg = f"{name} wajib diisi."
        raise OutcomeError(msg)
    if isinstance(value, bool):
        msg = f"{name} harus berupa angka."
        raise OutcomeError(msg)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        msg = f"{name} harus berupa angka."
        raise OutcomeError(msg)
    if value < 0 or value > MAX_PERSONS:
        msg = f"{name} harus antara 0 dan {MAX_PERSONS}."
        raise OutcomeError(msg)
    return value


def _client_id(value: Any) -> str:
    if not isinstance(value, str):
        msg = "client_id wajib diisi (UUID dari aplikasi)."
        raise OutcomeError(msg)
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        msg = "client_id harus berupa UUID."
        raise OutcomeError(msg) from None


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        msg = "recorded_at harus berupa waktu ISO 8601, mis. 2026-11-23T10:15:00+07:00."
        raise OutcomeError(msg)
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        msg = "recorded_at harus berupa waktu ISO 8601, mis. 2026-11-23T10:15:00+07:00."
        raise OutcomeError(msg) from None
    if not _EARLIEST <= at.replace(tzinfo=None) <= _LATEST:
        msg = "recorded_at di luar rentang yang masuk akal; periksa jam di HP."
        raise OutcomeError(msg)
    return at


def _reschedule(value: Any) -> dict[str, str] | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        msg = "reschedule harus berupa objek {date, start, end}."
        raise OutcomeError(msg)
    out: dict[str, str] = {}
    day = value.get("date")
    if day:
        try:
            out["date"] = dt.date.fromisoformat(str(day).strip()).isoformat()
        except ValueError:
            msg = "Tanggal jadwal ulang tidak valid (tahun-bulan-tanggal)."
            raise OutcomeError(msg) from None
    for key in ("start", "end"):
        text = str(value.get(key) or "").strip()
        if not text:
            continue
        match = _HHMM.match(text)
        if match is None:
            msg = "Jam jadwal ulang tidak valid (JJ:MM)."
            raise OutcomeError(msg)
        out[key] = f"{match.group(1)}:{match.group(2)}"
    if "start" in out and "end" in out and out["start"] >= out["end"]:
        msg = "Jam selesai jadwal ulang harus setelah jam mulai."
        raise OutcomeError(msg)
    return out or None


def parse_outcome_payload(data: Any) -> OutcomeInput:
    """Read the outcome API's JSON body.

    Parameters
    ----------
    data
        The decoded JSON: ``{"client_id", "stop_id", "outcome", "persons_served",
        "cards_printed", "attendees", "note", "recorded_at", "reschedule"}``.

    Returns
    -------
    OutcomeInput

    Raises
    ------
    OutcomeError
        The body is not an object or a value is missing or malformed (Indonesian message).
    """
    if not isinstance(data, dict):
        msg = "Isi permintaan harus berupa objek JSON."
        raise OutcomeError(msg)
    outcome = data.get("outcome")
    if not isinstance(outcome, str) or outcome not in OUTCOME_LABELS:
        msg = "Hasil kunjungan tidak dikenal; pilih salah satu: " + ", ".join(OUTCOME_LABELS)
        raise OutcomeError(msg)
    attendees = data.get("attendees") or []
    if not isinstance(attendees, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in attendees
    ):
        msg = "attendees harus berupa daftar nomor warga."
        raise OutcomeError(msg)
    note = data.get("note") or ""
    if not isinstance(note, str):
        msg = "Catatan harus berupa teks."
        raise OutcomeError(msg)
    if len(note) > MAX_NOTE:
        msg = f"Catatan terlalu panjang (paling banyak {MAX_NOTE} karakter)."
        raise OutcomeError(msg)
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database can store it
        msg = "Catatan berisi karakter yang tidak valid."
        raise OutcomeError(msg) from None
    stop_id = data.get("stop_id")
    if isinstance(stop_id, str) and _DIGITS.fullmatch(stop_id.strip()):
        stop_id = int(stop_id.strip())
    if not isinstance(stop_id, int) or isinstance(stop_id, bool) or not 0 < stop_id < 2**31:
        msg = "stop_id wajib diisi (nomor kunjungan)."
        raise OutcomeError(msg)
    return OutcomeInput(
        client_id=_client_id(data.get("client_id")),
        stop_id=stop_id,
        outcome=str(outcome),
        persons_served=_int(data.get("persons_served"), "Jumlah orang dilayani"),
        cards_printed=_int(data.get("cards_printed"), "Jumlah kartu dicetak"),
        attendees=tuple(sorted(set(attendees))),
        note=note.strip(),
        recorded_at=_datetime(data.get("recorded_at")),
        reschedule=_reschedule(data.get("reschedule")),
    )


# --- recording -------------------------------------------------------------------------------


def _office_clock(at: dt.datetime, office: models.Office | None) -> dt.datetime:
    """A time as the office's naive wall-clock time."""
    if at.tzinfo is None:
        return at
    zone = zoneinfo.ZoneInfo(office.timezone if office else "Asia/Jakarta")
    return at.astimezone(zone).replace(tzinfo=None)


def _load_stop(session: Session, stop_id: int, team_id: int | None) -> models.Stop:
    stop = session.get(models.Stop, stop_id)
    route = stop.route if stop is not None else None
    plan = route.plan if route is not None else None
    # A scoped session hides other offices' requests and plans: a stop of another office is
    # "not found" as well.
    office_id = session.info.get("office_id")
    visible = (
        stop is not None
        and route is not None
        and plan is not None
        and route.approved
        and plan.status == models.PlanStatus.APPROVED.value
        and (office_id is None or plan.office_id == office_id)
        and (team_id is None or route.team_id == team_id)
    )
    if not visible or stop is None:
        msg = f"No stop {stop_id} on an approved route of this team."
        raise NotFoundError(msg)
    return stop


def _validated(
    stop: models.Stop, data: OutcomeInput, *, today: dt.date | None
) -> tuple[int, int, list[int]]:
    """Persons served, cards printed and attendees, with defaults and checks."""
    visit_day = stop.route.route_date
    if today is not None and visit_day > today:
        msg = (
            f"Kunjungan ini dijadwalkan pada {format_date(visit_day)}; hasilnya baru dapat "
            "dicatat pada hari kunjungan."
        )
        raise OutcomeError(msg)
    new_day = (data.reschedule or {}).get("date")
    if new_day and dt.date.fromisoformat(new_day) <= visit_day:
        msg = "Tanggal jadwal ulang harus sesudah hari kunjungan."
        raise OutcomeError(msg)
    req = stop.request
    residents = {r.id for r in req.letter.residents} if req.letter is not None else set()
    unknown = [a for a in data.attendees if a not in residents]
    if unknown:
        msg = "Sebagian peserta yang dicentang tidak ada dalam daftar surat kunjungan ini."
        raise OutcomeError(msg)
    if data.outcome != Outcome.SELESAI.value:
        return 0, 0, list(data.attendees)
    planned = req.persons if stop.persons is None else stop.persons
    persons = data.persons_served
    if persons is None:
        persons = len(data.attendees) if data.attendees else max(1, planned)
    if persons < 1:
        msg = "Hasil selesai perlu paling sedikit 1 orang dilayani."
        raise OutcomeError(msg)
    records_cards = bool(CARD_SERVICES.intersection(str(s) for s in req.services or ()))
    cards = data.cards_printed
    if cards is None:
        cards = persons if records_cards else 0
    if cards > persons:
        msg = "Jumlah kartu dicetak tidak boleh lebih dari jumlah orang dilayani."
        raise OutcomeError(msg)
    return persons, cards, list(data.attendees)


def record_outcome(
    session: Session,
    data: OutcomeInput,
    *,
    team_id: int | None,
    user_id: int | None,
    source: str = "lapangan",
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> RecordResult:
    """Store an outcome once per ``client_id`` and apply its effect on the request.

    Parameters
    ----------
    session
        Database session (possibly scoped to an office); nothing is committed.
    data
        The outcome (:func:`parse_outcome_payload`).
    team_id
        The recording team lead's team: a stop of another team's route is not found. ``None``
        (coordinator, admin, CLI): any team.
    user_id
        Who recorded it (``None``: the system).
    source
        ``lapangan`` (field page) or ``kertas`` (typed from the paper sheet).
    now
        Current UTC time (naive), for tests.
    today
        The office's date: a visit of a later day has not happened and takes no outcome.
        ``None``: not checked.

    Returns
    -------
    RecordResult
        ``created=False`` with the stored row when ``client_id`` was stored before: nothing
        changes then.

    Raises
    ------
    NotFoundError
        The stop does not exist, is not on an approved route of an approved plan, or is on
        another team's route (or another office's).
    OutcomeError
        A value does not fit the stop (attendees not on its letter, cards above persons, a
        visit of a day still to come, a new date not after the visit...).
    OutcomeConflict
        The stop already has an outcome under another client id (``exc.stored``).
    """
    now = now or models.utcnow()
    stop = _load_stop(session, data.stop_id, team_id)
    persons, cards, attendees = _validated(stop, data, today=today)
    office = session.get(models.Office, stop.route.plan.office_id)
    row = models.VisitOutcome(
        client_id=data.client_id,
        request_id=stop.request_id,
        stop_id=stop.id,
        team_id=stop.route.team_id,
        visit_date=stop.route.route_date,
        outcome=data.outcome,
        persons_served=persons,
        cards_printed=cards,
        attendees=attendees,
        reschedule=dict(data.reschedule or {}),
        notes=data.note,
        source=source,
        # Office clock, like route times; the phone's time when it sent one.
        recorded_at=_office_clock(data.recorded_at or now.replace(tzinfo=dt.UTC), office),
        received_at=now,
        recorded_by=user_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The constraint decides: the same client id is a resend; the same stop is a conflict.
        stored = session.scalar(
            select(models.VisitOutcome).where(models.VisitOutcome.client_id == data.client_id)
        )
        if stored is not None:
            return RecordResult(stored, created=False)
        stored = session.scalar(
            select(models.VisitOutcome).where(models.VisitOutcome.stop_id == stop.id)
        )
        if stored is None:  # pragma: no cover - another constraint: a real error
            raise
        msg = (
            f"Hasil kunjungan ini sudah dicatat ({OUTCOME_LABELS.get(stored.outcome, '')}); "
            "hubungi koordinator untuk mengubahnya."
        )
        raise OutcomeConflict(msg, stored) from None
    set_committed_value(stop, "outcome", row)  # the stop as loaded now knows its outcome
    _apply(session, stop, row, office, now=now)
    session.add(
        models.AuditEvent(
            actor=f"user:{user_id}" if user_id is not None else "system",
            action="visit.outcome",
            entity="service_request",
            entity_id=stop.request_id,
            detail={"stop_id": stop.id, "outcome": data.outcome, "source": source},
        )
    )
    session.flush()
    return RecordResult(row, created=True)


def _apply(
    session: Session,
    stop: models.Stop,
    row: models.VisitOutcome,
    office: models.Office | None,
    *,
    now: dt.datetime,
) -> None:
    """What the outcome does to its request (the table in the module docstring)."""
    req = stop.request
    if req.status in {Status.SELESAI.value, Status.BATAL.value}:
        return  # closed by an earlier part of the same visit: the outcome is history only
    if row.outcome == Outcome.SELESAI.value:
        done = _done_parts(session, req.id)
        if set(range(1, (stop.parts or 1) + 1)) <= set(done):
            req.status = Status.SELESAI.value
            req.persons_served = sum(done.values())
            req.closed_at = now
            req.scheduled_at = None
        return
    if row.outcome in RETRY:
        req.status = Status.TERVERIFIKASI.value
        req.scheduled_at = None
        req.attempts = (req.attempts or 0) + 1
        if row.reschedule:
            _reschedule_request(req, row.reschedule, office)
        if req.attempts >= MAX_ATTEMPTS:
            _add_flag(req, FLAG_CONTACT)
        return
    req.status = Status.BATAL.value
    req.status_reason = OUTCOME_LABELS[row.outcome] + (f": {row.notes}" if row.notes else "")
    req.closed_at = now
    req.scheduled_at = None
    if row.outcome == Outcome.PINDAH_ALAMAT.value:
        _add_flag(req, FLAG_MOVED)


def _done_parts(session: Session, request_id: int) -> dict[int, int]:
    """Part number -> persons served, over the request's ``selesai`` outcomes."""
    rows = session.execute(
        select(models.Stop.part, models.VisitOutcome.persons_served)
        .join(models.Stop, models.VisitOutcome.stop_id == models.Stop.id)
        .where(
            models.VisitOutcome.request_id == request_id,
            models.VisitOutcome.outcome == Outcome.SELESAI.value,
        )
    )
    return {int(part or 1): int(persons or 0) for part, persons in rows}


def _add_flag(req: models.ServiceRequest, flag: str) -> None:
    flags = list(req.flags or [])
    if flag not in flags:
        req.flags = [*flags, flag]


def _reschedule_request(
    req: models.ServiceRequest,
    when: Mapping[str, str],
    office: models.Office | None,
) -> None:
    """The resident's new time: the hours they are home, and the day pinned when one is given.

    The hours hold on every working day (Monday to Saturday; a team's own shifts decide which
    it works): should the pinned day go by without a visit (its routes were already approved),
    the next plan takes the request on another day within those hours.
    """
    if when.get("date"):
        req.pinned_date = dt.date.fromisoformat(when["date"])
    if when.get("start") or when.get("end"):
        start = when.get("start") or (office.work_start.strftime("%H:%M") if office else "08:00")
        end = when.get("end") or (office.work_end.strftime("%H:%M") if office else "15:00")
        req.availability = [{"days": [0, 1, 2, 3, 4, 5], "start": start, "end": end}]


# --- reading ---------------------------------------------------------------------------------


def outcome_json(row: models.VisitOutcome) -> dict[str, Any]:
    """The API's JSON of a stored outcome (no names, NIK or phone numbers)."""
    return {
        "id": row.id,
        "client_id": row.client_id,
        "stop_id": row.stop_id,
        "request_id": row.request_id,
        "outcome": row.outcome,
        "label": OUTCOME_LABELS.get(row.outcome, row.outcome),
        "persons_served": row.persons_served,
        "cards_printed": row.cards_printed,
        "attendees": list(row.attendees or []),
        "note": row.notes,
        "reschedule": dict(row.reschedule or {}),
        "recorded_at": row.recorded_at.isoformat(timespec="seconds"),
        "source": row.source,
    }


def visit_history(session: Session, request_id: int) -> list[HistoryItem]:
    """The visits of a request, oldest first: date, team, outcome, note."""
    rows = session.scalars(
        select(models.VisitOutcome)
        .where(models.VisitOutcome.request_id == request_id)
        .order_by(models.VisitOutcome.visit_date, models.VisitOutcome.id)
    ).all()
    teams = {
        t.id: t.name
        for t in session.scalars(
            select(models.Team).where(models.Team.id.in_({r.team_id for r in rows if r.team_id}))
        )
    }
    return [
        HistoryItem(
            visit_date=r.visit_date,
            team_name=teams.get(r.team_id or 0, ""),
            outcome=r.outcome,
            label=OUTCOME_LABELS.get(r.outcome, r.outcome),
            note=r.notes,
            persons_served=r.persons_served,
            recorded_at=r.recorded_at,
            source=r.source,
        )
        for r in rows
    ]


def route_progress(session: Session, route_ids: Iterable[int]) -> dict[int, RouteProgress]:
    """Route id -> stops done / planned and each stop's outcome (stop id -> outcome)."""
    ids = sorted(set(route_ids))
    if not ids:
        return {}
    routes = session.scalars(
        select(models.Route)
        .where(models.Route.id.in_(ids))
        .options(selectinload(models.Route.stops).selectinload(models.Stop.outcome))
    ).all()
    out: dict[int, RouteProgress] = {}
    for route in routes:
        outcomes = {s.id: s.outcome.outcome for s in route.stops if s.outcome is not None}
        out[route.id] = RouteProgress(route.id, len(outcomes), len(route.stops), outcomes)
    return out


def clear_contact_flag(session: Session, request_id: int, *, actor: str) -> None:
    """The coordinator called the resident: plan the request again.

    The attempts stay counted (they keep its priority raised); one more failed visit flags it
    again.

    Raises
    ------
    NotFoundError
        No such request.
    """
    req = session.get(models.ServiceRequest, request_id)
    if req is None:
        msg = f"No request {request_id}."
        raise NotFoundError(msg)
    req.flags = [f for f in req.flags or [] if f != FLAG_CONTACT]
    session.add(
        models.AuditEvent(
            actor=actor, action="request.contacted", entity="service_request", entity_id=req.id
        )
    )
    session.flush()
