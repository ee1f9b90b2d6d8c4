"""Paper entry: the coordinator types a whole route's outcomes from the ticked route sheet.

Teams without a smartphone bring the paper back. One page lists the route's stops in order;
every stop without an outcome defaults to *selesai* with the stop's persons and cards, so a
good day is one keystroke. A stop already recorded (from the field page, or earlier from
paper) is shown read-only. One submit records every open stop through
:func:`outreach.visits.record_outcome` (``source="kertas"``, no team, a server-made client id
carried in the form so a double submit stores nothing twice) -- all or nothing: the view
commits only when no row has an error.

Form fields are named ``<field>-<stop id>``: ``hasil``, ``orang``, ``kartu``, ``catatan``,
``ulang_tanggal``, ``ulang_mulai``, ``ulang_sampai``, ``hadir`` (repeated: the letter
residents who came) and ``cid`` (the client id). Messages are Indonesian (shown as they are).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError
from outreach.render.route_rows import RouteTable, StopRow, route_table
from outreach.visits import OUTCOME_LABELS, OutcomeError, OutcomeInput, record_outcome

__all__ = [
    "FormData",
    "PaperEntry",
    "PaperResult",
    "PaperRow",
    "paper_entry",
    "parse_paper_row",
    "record_paper_outcomes",
]

#: The form as the web layer hands it over: field name -> the values sent.
FormData = Mapping[str, Sequence[str]]

SELESAI = models.Outcome.SELESAI.value
JADWAL_ULANG = models.Outcome.JADWAL_ULANG.value
SOURCE = "kertas"
MAX_PERSONS = 1000
MAX_NOTE = 2000
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class PaperRow:
    """One stop on the paper-entry page: its facts, what is typed (or the default), errors."""

    stop: StopRow
    editable: bool  # no outcome yet
    client_id: str
    outcome: str
    persons: str
    cards: str
    note: str
    reschedule_date: str
    reschedule_start: str
    reschedule_end: str
    attendees: frozenset[int]  # letter residents ticked as present
    errors: dict[str, str] = field(default_factory=dict)

    def name(self, key: str) -> str:
        """The form field ``key`` of this stop, e.g. ``hasil-12``."""
        return f"{key}-{self.stop.stop_id}"

    @property
    def label(self) -> str:
        """The recorded (or chosen) outcome in Indonesian."""
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


@dataclass(frozen=True)
class PaperEntry:
    """What the paper-entry page of a route shows."""

    table: RouteTable
    rows: list[PaperRow]
    approved: bool  # outcomes can only be recorded on an approved route

    @property
    def open_rows(self) -> int:
        """Stops still without an outcome."""
        return sum(1 for r in self.rows if r.editable)

    @property
    def error_rows(self) -> list[PaperRow]:
        """Rows with an error, in visiting order."""
        return [r for r in self.rows if r.errors]

    @property
    def focus(self) -> str:
        """The field the cursor starts in: the first with an error, else the first outcome."""
        for row in self.error_rows:
            return row.name(next(iter(row.errors)))
        return next((r.name("hasil") for r in self.rows if r.editable), "")


@dataclass(frozen=True)
class PaperResult:
    """What a submit did: outcomes stored, or the errors per stop id (then nothing is kept)."""

    recorded: int
    errors: dict[int, dict[str, str]]


def _first(form: FormData | None, key: str, default: str = "") -> str:
    if form is None:
        return default
    values = form.get(key) or ()
    return str(values[0]).strip() if values else default


def _client_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid4())


def paper_entry(
    route: models.Route,
    form: FormData | None = None,
    errors: Mapping[int, dict[str, str]] | None = None,
) -> PaperEntry:
    """The rows of the paper-entry page: defaults on first open, or what was typed.

    Parameters
    ----------
    route
        A stored route.
    form
        The submitted form, to show it again with its errors; None: the defaults (every open
        stop *selesai* with its planned persons and cards, every listed resident present).
    errors
        Stop id -> field -> message, from :func:`record_paper_outcomes`.
    """
    table = route_table(route)
    rows: list[PaperRow] = []
    for stop in table.stops:
        all_residents = frozenset(a.resident_id for a in stop.attendees)
        if stop.outcome is not None:
            rows.append(
                PaperRow(
                    stop=stop,
                    editable=False,
                    client_id="",
                    outcome=stop.outcome,
                    persons=str(stop.persons_served or 0),
                    cards=str(stop.cards_printed or 0),
                    note=stop.outcome_note,
                    reschedule_date="",
                    reschedule_start="",
                    reschedule_end="",
                    attendees=frozenset(a.resident_id for a in stop.attendees if a.came),
                    errors=dict((errors or {}).get(stop.stop_id, {})),
                )
            )
            continue
        sid = stop.stop_id
        ticked = all_residents
        if form is not None:
            ticked = frozenset(
                int(v) for v in form.get(f"hadir-{sid}") or () if _DIGITS.fullmatch(str(v).strip())
            )
        rows.append(
            PaperRow(
                stop=stop,
                editable=True,
                client_id=_client_id(_first(form, f"cid-{sid}")),
                outcome=_first(form, f"hasil-{sid}", SELESAI),
                persons=_first(form, f"orang-{sid}", str(stop.persons)),
                cards=_first(form, f"kartu-{sid}", str(stop.cards)),
                note=_first(form, f"catatan-{sid}"),
                reschedule_date=_first(form, f"ulang_tanggal-{sid}"),
                reschedule_start=_first(form, f"ulang_mulai-{sid}"),
                reschedule_end=_first(form, f"ulang_sampai-{sid}"),
                attendees=ticked,
                errors=dict((errors or {}).get(sid, {})),
            )
        )
    approved = route.approved and route.plan.status == models.PlanStatus.APPROVED.value
    return PaperEntry(table=table, rows=rows, approved=approved)


def _count(text: str, *, low: int, high: int) -> int | None:
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _hhmm(text: str) -> str | None:
    match = _HHMM.match(text)
    return None if match is None else f"{int(match.group(1)):02d}:{match.group(2)}"


def _reschedule(row: PaperRow, day: dt.date, errors: dict[str, str]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    if row.reschedule_date:
        try:
            when = dt.date.fromisoformat(row.reschedule_date)
        except ValueError:
            errors["ulang_tanggal"] = "Tanggal jadwal ulang tidak valid (hari/bulan/tahun)."
        else:
            if when <= day:
                errors["ulang_tanggal"] = "Tanggal jadwal ulang harus setelah hari kunjungan."
            else:
                out["date"] = when.isoformat()
    for key, text in (("start", row.reschedule_start), ("end", row.reschedule_end)):
        if not text:
            continue
        hhmm = _hhmm(text)
        if hhmm is None:
            errors["ulang_mulai" if key == "start" else "ulang_sampai"] = (
                "Jam tidak valid (jam:menit, mis. 09:30)."
            )
        else:
            out[key] = hhmm
    if "start" in out and "end" in out and out["start"] >= out["end"]:
        errors["ulang_sampai"] = "Jam selesai harus setelah jam mulai."
    return out or None


def parse_paper_row(row: PaperRow, day: dt.date) -> tuple[OutcomeInput | None, dict[str, str]]:
    """One open row as an outcome to record, or its errors by field (``hasil``, ``orang``...).

    Parameters
    ----------
    row
        An editable row of :func:`paper_entry` built from the submitted form.
    day
        The route's date (a new date for *jadwal ulang* must come after it).
    """
    errors: dict[str, str] = {}
    if row.outcome not in OUTCOME_LABELS:
        errors["hasil"] = "Pilih hasil kunjungan."
    if len(row.note) > MAX_NOTE:
        errors["catatan"] = f"Catatan terlalu panjang (paling banyak {MAX_NOTE} huruf)."
    persons = cards = None
    attendees: tuple[int, ...] = ()
    if row.outcome == SELESAI:
        persons = _count(row.persons, low=1, high=MAX_PERSONS)
        if persons is None:
            errors["orang"] = f"Isi jumlah orang dilayani: angka 1 sampai {MAX_PERSONS}."
        cards = _count(row.cards, low=0, high=MAX_PERSONS)
        if cards is None:
            errors["kartu"] = "Isi jumlah kartu dicetak: angka 0 atau lebih."
        elif persons is not None and cards > persons:
            errors["kartu"] = "Jumlah kartu dicetak tidak boleh lebih dari orang dilayani."
        listed = {a.resident_id for a in row.stop.attendees}
        attendees = tuple(sorted(row.attendees & listed))
        if persons is not None and len(attendees) > persons:
            errors["orang"] = (
                f"Jumlah orang dilayani ({persons}) lebih sedikit dari peserta yang "
                f"dicentang hadir ({len(attendees)})."
            )
    reschedule = _reschedule(row, day, errors) if row.outcome == JADWAL_ULANG else None
    if errors:
        return None, errors
    return (
        OutcomeInput(
            client_id=row.client_id,
            stop_id=row.stop.stop_id,
            outcome=row.outcome,
            persons_served=persons,
            cards_printed=cards,
            attendees=attendees,
            note=row.note,
            reschedule=reschedule,
        ),
        {},
    )


def record_paper_outcomes(
    session: Session,
    route: models.Route,
    form: FormData,
    *,
    user_id: int | None,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> PaperResult:
    """Record the outcomes typed for every open stop of ``route``; never commits.

    Every row is checked first; when any has an error nothing is recorded. A row the outcome
    domain refuses (e.g. the stop got an outcome from the field meanwhile) is reported on its
    row too: the caller then rolls back, so it is all or nothing.

    Returns
    -------
    PaperResult
        How many outcomes were stored, or the errors per stop id (the caller rolls back).
    """
    entry = paper_entry(route, form)
    if not entry.approved:
        msg = f"Route {route.id} is not approved."
        raise NotFoundError(msg)
    parsed: list[OutcomeInput] = []
    errors: dict[int, dict[str, str]] = {}
    stored = {s.id: s.outcome.client_id for s in route.stops if s.outcome is not None}
    for row in entry.rows:
        if not row.editable:
            sent_id = _first(form, row.name("cid"))
            if form.get(row.name("hasil")) and sent_id != stored.get(row.stop.stop_id):
                # Open when the page was loaded, recorded from the field since (another
                # client id; the same one is this form sent twice): the paper's value is not
                # silently dropped.
                errors[row.stop.stop_id] = {
                    "hasil": (
                        f"Sementara halaman ini terbuka, hasil kunjungan ini sudah dicatat "
                        f"dari lapangan ({row.label}). Periksa dengan lembar kertas, lalu "
                        "simpan lagi."
                    )
                }
            continue
        data, row_errors = parse_paper_row(row, route.route_date)
        if row_errors:
            errors[row.stop.stop_id] = row_errors
        elif data is not None:
            parsed.append(data)
    if errors:
        return PaperResult(0, errors)
    recorded = 0
    for data in parsed:
        try:
            result = record_outcome(
                session,
                data,
                team_id=None,
                user_id=user_id,
                source=SOURCE,
                now=now,
                today=today,
            )
        except OutcomeError as exc:
            errors[data.stop_id] = {"hasil": str(exc)}
            continue
        except NotFoundError:
            errors[data.stop_id] = {"hasil": "Kunjungan ini tidak lagi ada pada rute disetujui."}
            continue
        recorded += int(result.created)
    return PaperResult(0 if errors else recorded, errors)
