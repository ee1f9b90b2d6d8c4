"""The audit trail: every change to the office's records, who made it, before and after.

One generic recorder instead of a line in every domain function: mapper events on the audited
models (:data:`AUDITED`) note each insert, update (changed columns only, before and after) and
delete during a flush, and one ``after_flush`` hook writes them as
:class:`~outreach.models.AuditEvent` rows in the same transaction (a rolled-back change leaves no
trace). The hand-written domain events (``plan.approve``, ``request.verify``...) stay: they say
the intent, these rows say what changed.

- Who: :func:`current_actor`, a context value the web layer sets per request (``user:<id>`` or
  ``public``) and the CLI sets to ``cli``; anything else (background jobs) is ``system``.
- Personal data: NIK and KK numbers pass through :func:`~outreach.privacy.mask_nik`, phone
  numbers through :func:`~outreach.privacy.mask_phone`, password hashes are never copied
  (:data:`SECRET`), other text through :func:`~outreach.privacy.redact`.
- Size: geometries, plan inputs/summaries and pasted messages are noted as changed, not copied
  (:data:`SUMMARISED`); ``updated_at`` alone is no change. Rows that come by the hundred (a
  route's stops, a plan's unassigned requests, a letter's residents) are counted on their
  parent's event when the parent changes the same way in the same flush, or summarised as one
  event per parent (``stops.update`` on the route) when more than one changes.
- Office: each event carries the office of the row (``AuditEvent.office_id``), so the audit
  page is scoped like every other query. Events the CLI writes in a one-office installation get
  that office; with several offices an event whose office cannot be told (rare: a CLI
  command's hand-written event about no office row) keeps ``office_id`` empty and is seen by
  no office's admin (only in the database).

Domain code: no flask here. The page's rows are built by :func:`audit_page` and
:func:`audit_csv` (the web view only parses the query string).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from outreach import models
from outreach.db import office_scope
from outreach.errors import OutreachError
from outreach.exports import to_csv
from outreach.planning.reasons import format_date
from outreach.privacy import mask_nik, mask_phone, redact

# --- who ---------------------------------------------------------------------------------------

_ACTOR: ContextVar[str] = ContextVar("outreach_audit_actor", default="system")


def current_actor() -> str:
    """Who changes data now: ``user:<id>``, ``public``, ``cli`` or ``system`` (the default)."""
    return _ACTOR.get()


def set_actor(actor: str) -> Any:
    """Set the actor of the current context; returns a token for :func:`reset_actor`."""
    return _ACTOR.set(actor)


def reset_actor(token: Any) -> None:
    """Undo :func:`set_actor`."""
    _ACTOR.reset(token)


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Record the changes made inside the block as ``actor``'s."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


# --- what is recorded, and how -----------------------------------------------------------------

#: The models whose every change is recorded.
AUDITED: tuple[type[models.Base], ...] = (
    models.ServiceRequest,
    models.Letter,
    models.LetterResident,
    models.Plan,
    models.Route,
    models.Stop,
    models.PlanUnassigned,
    models.VisitOutcome,
    models.Team,
    models.TeamAbsence,
    models.User,
    models.Office,
    models.OfficeDay,
    models.OfficeHours,
)

#: Columns shown masked.
MASKED = {
    "nik": mask_nik,
    "kk_number": mask_nik,
    "phone": mask_phone,
    "companion_phone": mask_phone,
    "contact_phone": mask_phone,
}
#: Columns never copied (a change is noted as such).
SECRET = frozenset({"password_hash"})
#: Big or personal blobs: noted as changed, not copied.
SUMMARISED = frozenset({"leg_geometry", "return_geometry", "inputs", "summary", "source_text"})
#: Columns that change with every write: not a change on their own.
NOISE = frozenset(
    {"updated_at", "session_version", "last_seen_at", "last_login_at", "failed_logins"}
)
# Left out of a new or deleted row's copy: the event has its id, office and time already.
_SKIPPED = NOISE | {"id", "office_id", "created_at"}
#: Marker values stored in place of a secret or summarised column.
CHANGED = "[changed]"
HIDDEN = "[secret]"

#: Child rows that come by the hundred -> (parent entity, parent id column, count key).
GROUPED: dict[str, tuple[str, str, str]] = {
    "stop": ("route", "route_id", "stops"),
    "plan_unassigned": ("plan", "plan_id", "unassigned"),
    "letter_resident": ("letter", "letter_id", "residents"),
}
# Loaded parents through which a row's office is found.
_PARENTS = ("letter", "plan", "route", "team", "stop", "request", "office")

_PENDING = "_audit_pending"
_FALLBACK_OFFICE = "_audit_office"


def _value(key: str, value: Any) -> Any:
    """A column's value as stored in an event (JSON, masked)."""
    if value is None:
        return None
    if key in SECRET:
        return HIDDEN
    if key in SUMMARISED:
        return CHANGED
    if key in MASKED:
        return MASKED[key](str(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | dict):
        # JSON columns: redacted as text (a note inside a list), kept as JSON.
        text = json.dumps(value, ensure_ascii=False, default=str)
        clean = redact(text)
        return value if clean == text else json.loads(clean)
    return value


def _office_of(obj: Any, session: Session, depth: int = 0) -> int | None:
    if isinstance(obj, models.Office):
        return obj.id
    office_id = obj.__dict__.get("office_id")
    if office_id is not None:
        return int(office_id)
    if depth < 4:
        for name in _PARENTS:
            parent = obj.__dict__.get(name)
            if parent is not None:
                found = _office_of(parent, session, depth + 1)
                if found is not None:
                    return found
    scoped = office_scope(session)
    return scoped if scoped is not None else session.info.get(_FALLBACK_OFFICE)


def _note(session: Session | None, obj: Any, action: str, detail: dict[str, Any]) -> None:
    if session is None:
        return
    table = obj.__table__.name
    row: dict[str, Any] = {
        "at": models.utcnow(),
        "actor": current_actor(),
        "action": action,
        "entity": table,
        "entity_id": obj.__dict__.get("id"),
        "detail": detail,
        "office_id": _office_of(obj, session),
    }
    if table in GROUPED:
        row["parent_id"] = obj.__dict__.get(GROUPED[table][1])
    session.info.setdefault(_PENDING, []).append(row)


def _columns(obj: Any) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _after_insert(_mapper: Any, _conn: Any, obj: Any) -> None:
    after = {
        key: _value(key, obj.__dict__[key])
        for key in _columns(obj)
        if key not in _SKIPPED and obj.__dict__.get(key) not in (None, "", [], {})
    }
    _note(inspect(obj).session, obj, "create", {"after": after})


def _after_update(_mapper: Any, _conn: Any, obj: Any) -> None:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        if key in NOISE:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[key] = _value(key, old)
        after[key] = _value(key, new)
        if key in SECRET | SUMMARISED:
            before[key] = after[key] = HIDDEN if key in SECRET else CHANGED
    if after:
        _note(state.session, obj, "update", {"before": before, "after": after})


def _after_delete(_mapper: Any, _conn: Any, obj: Any) -> None:
    before = {
        key: _value(key, obj.__dict__[key])
        for key in _columns(obj)
        if key not in _SKIPPED and obj.__dict__.get(key) not in (None, "", [], {})
    }
    _note(inspect(obj).session, obj, "delete", {"before": before})


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    session.info[_PENDING] = []
    if office_scope(session) is None:
        # The CLI and background jobs: a one-office installation's events are that office's.
        ids = session.execute(select(models.Office.id).limit(2)).scalars().all()
        session.info[_FALLBACK_OFFICE] = ids[0] if len(ids) == 1 else None
    for obj in session.new:
        if isinstance(obj, models.AuditEvent) and obj.office_id is None:
            obj.office_id = _event_office(session, obj)


def _event_office(session: Session, ev: models.AuditEvent) -> int | None:
    """The office of a hand-written event: the session's, else its entity's."""
    scoped = office_scope(session)
    if scoped is not None:
        return scoped
    model = _MODELS.get(ev.entity)
    if model is not None and ev.entity_id is not None:
        row = session.get(model, ev.entity_id)
        if row is not None:
            return _office_of(row, session)
    fallback = session.info.get(_FALLBACK_OFFICE)
    return None if fallback is None else int(fallback)


def _grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold child rows that come by the hundred into their parent's event (see module doc)."""
    parents = {(r["entity"], r["entity_id"], r["action"]): r for r in rows}
    groups: dict[tuple[str, str, Any], list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["entity"] in GROUPED:
            groups.setdefault((row["entity"], row["action"], row.get("parent_id")), []).append(row)
        else:
            out.append(row)
    for (child, action, parent_id), members in groups.items():
        parent_entity, _column, label = GROUPED[child]
        parent = parents.get((parent_entity, parent_id, action))
        if parent is not None:
            parent["detail"][label] = len(members)
        elif len(members) == 1:
            out.append(members[0])
        else:
            fields = sorted(
                {key for m in members for key in m["detail"].get("after", m["detail"])}
                | {key for m in members for key in m["detail"].get("before", {})}
            )
            first = members[0]
            out.append(
                {
                    **first,
                    "action": f"{label}.{action}",
                    "entity": parent_entity,
                    "entity_id": parent_id,
                    "detail": {
                        "count": len(members),
                        "ids": [m["entity_id"] for m in members][:1000],
                        "fields": fields,
                    },
                }
            )
    return out


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    rows = [
        {key: row[key] for key in _EVENT_COLUMNS}
        for row in sorted(_grouped(pending), key=lambda r: r["at"])
    ]
    session.connection().execute(insert(models.AuditEvent), rows)


_EVENT_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "detail", "office_id")
_MODELS: dict[str, type[models.Base]] = {m.__table__.name: m for m in AUDITED}  # type: ignore[attr-defined]

for _model in AUDITED:
    event.listen(_model, "after_insert", _after_insert)
    event.listen(_model, "after_update", _after_update)
    event.listen(_model, "after_delete", _after_delete)
event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)


# --- the page ----------------------------------------------------------------------------------

PAGE_SIZE = 50
_TZ_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA"}
_TZ_NAMES["Asia/Jayapura"] = "WIT"
#: Actors that are not a staff account.
ACTOR_LABELS = {
    "cli": "baris perintah (CLI)",
    "system": "sistem",
    "public": "warga (formulir publik)",
}


class AuditFilterError(OutreachError):
    """A filter of the audit page could not be read (an Indonesian message)."""


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page shows: all fields optional."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    actor: str = ""
    entity: str = ""
    action: str = ""
    entity_id: int | None = None
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query-string values (for paging and export links)."""
        values = {
            "dari": self.date_from.isoformat() if self.date_from else "",
            "sampai": self.date_to.isoformat() if self.date_to else "",
            "pelaku": self.actor,
            "data": self.entity,
            "aksi": self.action,
            "id": "" if self.entity_id is None else str(self.entity_id),
            "hal": str(self.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "hal" and v == "1")}


def _date(text: str, which: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        msg = f"Tanggal {which} tidak sah: tulis TTTT-BB-HH, misalnya 2026-11-23."
        raise AuditFilterError(msg) from exc


def parse_filters(args: dict[str, str]) -> AuditFilters:
    """Read the audit page's query string.

    ``dari``/``sampai`` (dates), ``pelaku`` (actor), ``data`` (entity), ``aksi`` (action),
    ``id`` (entity id), ``hal`` (page).

    Raises
    ------
    AuditFilterError
        A date, id or page number that cannot be read, or a range that ends before it starts.
    """
    date_from = _date(args.get("dari", ""), "awal")
    date_to = _date(args.get("sampai", ""), "akhir")
    if date_from and date_to and date_to < date_from:
        msg = "Tanggal akhir sebelum tanggal awal."
        raise AuditFilterError(msg)
    entity_id: int | None = None
    raw_id = args.get("id", "").strip().lstrip("#")
    if raw_id:
        if not raw_id.isdigit() or len(raw_id) > 9:
            msg = "Nomor data harus berupa angka, misalnya 12."
            raise AuditFilterError(msg)
        entity_id = int(raw_id)
    raw_page = args.get("hal", "").strip() or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
        msg = "Nomor halaman tidak sah."
        raise AuditFilterError(msg)
    return AuditFilters(
        date_from=date_from,
        date_to=date_to,
        actor=args.get("pelaku", "").strip()[:100],
        entity=args.get("data", "").strip()[:60],
        action=args.get("aksi", "").strip()[:60],
        entity_id=entity_id,
        page=int(raw_page),
    )


@dataclass(frozen=True)
class Change:
    """One field of an event: its value before and after (display text, masked)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    """One event as the page and the CSV show it."""

    id: int
    at: str  # office time, Indonesian: "Senin, 23 November 2026 14:05 WIB"
    at_iso: str  # office time, ISO 8601 with offset
    actor: str  # the raw actor ("user:3")
    who: str  # username or an actor label
    action: str
    entity: str
    entity_id: int | None
    changes: list[Change]


@dataclass
class AuditPage:
    """One page of the audit trail and the choices of its filters."""

    filters: AuditFilters
    rows: list[AuditRow]
    total: int
    pages: int
    actors: dict[str, str] = field(default_factory=dict)  # raw actor -> label
    entities: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    """A stored value as display text (markers become Indonesian words)."""
    if value is None or value == "":
        return "–"
    if value == CHANGED:
        return "(diubah)"
    if value == HIDDEN:
        return "(rahasia)"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    text = redact(text)
    return text if len(text) <= 300 else text[:299] + "…"


def changes_of(detail: dict[str, Any]) -> list[Change]:
    """The fields of an event's ``detail``: before -> after, or the event's own facts."""
    before = detail.get("before")
    after = detail.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        # A new row has no "before", a deleted one no "after": left empty, not "–".
        old = before if isinstance(before, dict) else None
        new = after if isinstance(after, dict) else None
        keys = list(dict.fromkeys([*(old or {}), *(new or {})]))
        out = [
            Change(
                k,
                "" if old is None else _text(old.get(k)),
                "" if new is None else _text(new.get(k)),
            )
            for k in keys
        ]
        extra = {k: v for k, v in detail.items() if k not in {"before", "after"}}
        return out + [Change(k, "", _text(v)) for k, v in extra.items()]
    return [Change(k, "", _text(v)) for k, v in detail.items()]


def _clock(office: models.Office | None) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo((office.timezone if office else None) or "Asia/Jakarta")


def format_when(at: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """A stored UTC time as ``Senin, 23 November 2026 14:05 WIB`` (office time)."""
    local = at.replace(tzinfo=dt.UTC).astimezone(tz)
    zone = _TZ_NAMES.get(str(tz), local.strftime("%Z"))
    return f"{format_date(local.date())} {local:%H:%M} {zone}"


def _where(filters: AuditFilters, tz: zoneinfo.ZoneInfo) -> list[Any]:
    ev = models.AuditEvent
    conds: list[Any] = []

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    if filters.date_from:
        conds.append(ev.at >= utc(filters.date_from))
    if filters.date_to:
        conds.append(ev.at < utc(filters.date_to + dt.timedelta(days=1)))
    if filters.actor:
        conds.append(ev.actor == filters.actor)
    if filters.entity:
        conds.append(ev.entity == filters.entity)
    if filters.action:
        conds.append(ev.action == filters.action)
    if filters.entity_id is not None:
        conds.append(ev.entity_id == filters.entity_id)
    return conds


def _actor_labels(session: Session, actors: list[str]) -> dict[str, str]:
    ids = [int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()]
    names: dict[int, str] = {
        user_id: username
        for user_id, username in session.execute(
            select(models.User.id, models.User.username).where(models.User.id.in_(ids))
        )
    }
    labels: dict[str, str] = {}
    for actor in actors:
        if actor.startswith("user:") and actor[5:].isdigit():
            labels[actor] = names.get(int(actor[5:]), f"akun #{actor[5:]}")
        else:
            labels[actor] = ACTOR_LABELS.get(actor, actor)
    return labels


def _rows(
    session: Session, events: list[models.AuditEvent], tz: zoneinfo.ZoneInfo
) -> list[AuditRow]:
    labels = _actor_labels(session, sorted({e.actor for e in events}))
    return [
        AuditRow(
            id=e.id,
            at=format_when(e.at, tz),
            at_iso=e.at.replace(tzinfo=dt.UTC).astimezone(tz).isoformat(timespec="seconds"),
            actor=e.actor,
            who=labels[e.actor],
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            changes=changes_of(e.detail or {}),
        )
        for e in events
    ]


def audit_page(session: Session, office: models.Office | None, filters: AuditFilters) -> AuditPage:
    """One page (:data:`PAGE_SIZE` rows, newest first) of the events ``filters`` select.

    The session's office scope limits the events to the signed-in user's office.
    """
    tz = _clock(office)
    ev = models.AuditEvent
    conds = _where(filters, tz)
    total = session.scalar(select(func.count()).select_from(ev).where(*conds)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    events = list(
        session.scalars(
            select(ev)
            .where(*conds)
            .order_by(ev.at.desc(), ev.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    actors = [a for a in session.scalars(select(ev.actor).distinct()) if a]
    return AuditPage(
        filters=AuditFilters(**{**filters.__dict__, "page": page}),
        rows=_rows(session, events, tz),
        total=total,
        pages=pages,
        actors=dict(sorted(_actor_labels(session, actors).items(), key=lambda kv: kv[1])),
        entities=sorted(session.scalars(select(ev.entity).distinct())),
        actions=sorted(session.scalars(select(ev.action).distinct())),
    )


CSV_COLUMNS = ("waktu", "pelaku", "aksi", "data", "id_data", "kolom", "sebelum", "sesudah")
CSV_LIMIT = 100_000


def audit_csv(session: Session, office: models.Office | None, filters: AuditFilters) -> bytes:
    """Every event ``filters`` select (all pages, oldest first) as CSV.

    One line per changed field, at most :data:`CSV_LIMIT` events; UTF-8 with BOM and
    formula-safe (:func:`outreach.exports.to_csv`).
    """
    tz = _clock(office)
    ev = models.AuditEvent
    events = list(
        session.scalars(
            select(ev).where(*_where(filters, tz)).order_by(ev.at, ev.id).limit(CSV_LIMIT)
        )
    )
    lines: list[dict[str, Any]] = []
    for row in _rows(session, events, tz):
        base = {
            "waktu": row.at_iso,
            "pelaku": row.who,
            "aksi": row.action,
            "data": row.entity,
            "id_data": row.entity_id,
        }
        for change in row.changes or [Change("", "", "")]:
            lines.append(
                {**base, "kolom": change.field, "sebelum": change.before, "sesudah": change.after}
            )
    return to_csv(CSV_COLUMNS, lines)


def csv_filename(office: models.Office | None, now: dt.datetime) -> str:
    """``audit-<office id>-<YYYYMMDD-HHMM>.csv`` (office time)."""
    local = now.replace(tzinfo=dt.UTC).astimezone(_clock(office))
    return f"audit-{office.id if office else 0}-{local:%Y%m%d-%H%M}.csv"


__all__ = [
    "ACTOR_LABELS",
    "AUDITED",
    "AuditFilterError",
    "AuditFilters",
    "AuditPage",
    "AuditRow",
    "Change",
    "acting_as",
    "audit_csv",
    "audit_page",
    "changes_of",
    "current_actor",
    "parse_filters",
    "reset_actor",
    "set_actor",
]
