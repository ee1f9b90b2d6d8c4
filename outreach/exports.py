"""Exports of an office's requests, plans (routes and stops) and visit outcomes.

Three tables, each as CSV (UTF-8 with a byte-order mark so Excel reads Indonesian text right,
comma-separated, quoted where needed) or as GeoJSON (RFC 7946 FeatureCollection):

``requests`` (:data:`REQUEST_COLUMNS`)
    One row per request of the office; filter: ``status``. GeoJSON: a Point per request at its
    location (``null`` geometry when it has none).
``plans`` (:data:`PLAN_COLUMNS`)
    One row per stop, with its route's columns repeated; filter: a plan id (every route of that
    plan, draft or approved) or a date range (the approved routes of approved plans on those
    days); neither: every approved route. GeoJSON: a LineString per route along the roads (the
    legs stored on its stops and the drive back to the office) and a Point per stop.
``outcomes`` (:data:`OUTCOME_COLUMNS`)
    One row per recorded visit outcome; filter: a date range on the visit date. GeoJSON: a Point
    per outcome at the request's location.

Units and conventions: coordinates are EPSG:4326 degrees (``lon``, ``lat``; GeoJSON positions
are ``[lon, lat]``), distances in metres (``*_m``), durations in seconds (``*_s``) or minutes
(``*_min``). Every date and time is the office's: timestamps are ISO 8601 with the office's UTC
offset (``2026-11-23T08:30:00+07:00``), dates ``YYYY-MM-DD``. Lists (services, flags) are
joined with ``|``. Codes (status, category, outcome) are the stored values; Indonesian labels
sit beside them in ``*_label`` columns.

Personal data (UU PDP): the columns named in :data:`outreach.personal_data.EXPORT_COLUMNS` (NIK,
phone numbers, birth dates) are whole only with ``personal=True`` (a role that may see them);
otherwise :func:`outreach.personal_data.export_value` masks them by kind (NIK and phones with
:func:`outreach.privacy.mask_nik` / :func:`outreach.privacy.mask_phone`, birth dates left
empty). File names never carry personal data.

Domain code: no flask; functions take a session and plain values and never commit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.errors import NotFoundError, OutreachError
from outreach.personal_data import export_value
from outreach.planning.records import route_is_approved
from outreach.render.route_rows import route_table
from outreach.render.style import CATEGORY_LABELS, STATUS_LABELS
from outreach.visits import OUTCOME_LABELS

__all__ = [
    "FORMATS",
    "OSM_ATTRIBUTION",
    "OUTCOME_COLUMNS",
    "PLAN_COLUMNS",
    "REQUEST_COLUMNS",
    "WHATS",
    "Export",
    "ExportError",
    "ExportOptions",
    "ExportPage",
    "PlanChoice",
    "audit_export",
    "build_export",
    "export_page",
    "export_routes",
    "outcome_rows",
    "parse_export_options",
    "plan_rows",
    "request_rows",
    "route_line",
    "to_csv",
]

#: What can be exported, with the Indonesian name used in file names and on the page.
WHATS: dict[str, str] = {
    "requests": "permohonan",
    "plans": "rencana",
    "outcomes": "hasil-kunjungan",
}
#: Formats: name -> (file extension, media type).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "geojson": ("geojson", "application/geo+json"),
}
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Longest date range accepted (a year and a day, so a whole leap year fits).
MAX_RANGE_DAYS = 367
_COORD_DIGITS = 6  # ~0.1 m: enough for a door, not a false precision

#: Columns of the requests table (units: lon/lat degrees; timestamps office time).
REQUEST_COLUMNS: tuple[str, ...] = (
    "request_id",
    "tracking_code",
    "status",
    "status_label",
    "category",
    "category_label",
    "channel",
    "services",  # Service codes joined with "|"
    "person_name",
    "nik",  # masked unless personal
    "birth_date",  # empty unless personal
    "phone",  # E.164; masked unless personal
    "applicant_name",
    "applicant_relation",
    "companion_name",
    "companion_phone",  # masked unless personal
    "persons",  # persons to serve
    "persons_served",  # over all visits, once selesai
    "attempts",  # visits that found nobody home or were put off
    "address_street",
    "rt",
    "rw",
    "landmark",
    "kelurahan_code",
    "kelurahan",
    "kecamatan",
    "lon",
    "lat",
    "location_source",
    "location_confirmed",  # 1 / 0
    "required_traits",
    "flags",
    "deadline",
    "letter_number",
    "created_at",
    "verified_at",
    "scheduled_at",
    "closed_at",
)

#: Columns of the plans table: one row per stop, its route's columns first.
PLAN_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "plan_status",
    "route_id",
    "route_date",
    "team",
    "route_start_at",  # leaving the office (or the team's start point)
    "route_end_at",  # back at the office
    "route_distance_m",
    "route_travel_time_s",
    "route_persons",
    "route_approved",  # 1 / 0
    "stop_id",
    "sequence",  # 1, 2, ... in visiting order
    "request_id",
    "tracking_code",
    "person_name",
    "nik",  # masked unless personal
    "category",
    "services",
    "address",
    "kelurahan",
    "kecamatan",
    "contact_name",
    "contact_phone",  # masked unless personal
    "persons",  # persons served at this stop (a part of a split visit: its share)
    "part",  # part ``part`` of ``parts`` of a split collective visit
    "parts",
    "arrival_at",  # ETA at the door
    "window_start",  # HH:MM, the window told to the resident
    "window_end",
    "service_start_at",
    "departure_at",
    "wait_min",
    "service_min",
    "travel_min",  # from the previous stop (or the start)
    "distance_m",  # from the previous stop (or the start)
    "lon",
    "lat",
    "outcome",  # Outcome code once recorded, else empty
    "outcome_label",
)

#: Columns of the outcomes table.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "outcome_id",
    "visit_date",
    "team",
    "request_id",
    "tracking_code",
    "person_name",
    "nik",  # masked unless personal
    "phone",  # masked unless personal
    "category",
    "services",
    "kelurahan",
    "kecamatan",
    "outcome",
    "outcome_label",
    "persons_served",
    "cards_printed",
    "attendees",  # residents of a collective visit's letter who came (count)
    "reschedule_date",  # jadwal_ulang: when the resident will be home
    "note",
    "source",  # lapangan (phone) | kertas (paper sheet)
    "recorded_at",  # by the team, office clock
    "received_at",  # by the server
    "plan_id",
    "route_id",
    "stop_id",
    "lon",
    "lat",
)

_COLUMNS = {"requests": REQUEST_COLUMNS, "plans": PLAN_COLUMNS, "outcomes": OUTCOME_COLUMNS}
Row = dict[str, Any]


class ExportError(OutreachError):
    """Export options that cannot be used; ``str(exc)`` is an Indonesian message."""


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how: validated by :func:`parse_export_options`."""

    what: str  # a key of WHATS
    fmt: str  # a key of FORMATS
    plan_id: int | None = None  # plans only
    date_from: dt.date | None = None  # plans and outcomes; inclusive
    date_to: dt.date | None = None  # inclusive
    status: str | None = None  # requests only: a RequestStatus value

    @property
    def filename(self) -> str:
        """A file name from the options only (never personal data)."""
        bits = ["jemput-bola", WHATS[self.what]]
        if self.plan_id is not None:
            bits.append(f"rencana-{self.plan_id}")
        if self.date_from is not None and self.date_to is not None:
            bits.append(f"{self.date_from.isoformat()}_{self.date_to.isoformat()}")
        if self.status:
            bits.append(self.status)
        return "-".join(bits) + "." + FORMATS[self.fmt][0]


@dataclass(frozen=True)
class Export:
    """A finished export: the file's bytes, name and media type, and its row count."""

    body: bytes
    filename: str
    media_type: str
    rows: int


def parse_export_options(
    what: str | None,
    fmt: str | None,
    *,
    plan: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    status: str | None = None,
) -> ExportOptions:
    """Read export options from text (a web form or the command line).

    Empty strings count as not given. A date range needs both ends (``YYYY-MM-DD``, the end not
    before the start, at most :data:`MAX_RANGE_DAYS` days); a plan id and a date range are
    alternatives; ``status`` applies to requests only, plan and dates not to requests.

    Raises
    ------
    ExportError
        With an Indonesian message naming the bad value.
    """
    what = (what or "").strip()
    fmt = (fmt or "").strip().lower()
    if what not in WHATS:
        msg = "Pilih data yang diekspor: permohonan, rencana atau hasil kunjungan."
        raise ExportError(msg)
    if fmt not in FORMATS:
        msg = "Pilih format CSV atau GeoJSON."
        raise ExportError(msg)
    plan_id = _parse_plan_id(plan)
    start, end = _parse_range(date_from, date_to)
    status = (status or "").strip() or None
    if status is not None and status not in STATUS_LABELS:
        msg = f"Status {status!r} tidak dikenal; pilih salah satu: " + ", ".join(STATUS_LABELS)
        raise ExportError(msg)
    if what == "requests" and (plan_id is not None or start is not None):
        msg = "Ekspor permohonan hanya dapat disaring menurut status."
        raise ExportError(msg)
    if what != "requests" and status is not None:
        msg = "Saringan status hanya untuk ekspor permohonan."
        raise ExportError(msg)
    if what == "outcomes" and plan_id is not None:
        msg = "Ekspor hasil kunjungan disaring menurut tanggal kunjungan, bukan nomor rencana."
        raise ExportError(msg)
    if plan_id is not None and start is not None:
        msg = "Pilih salah satu: nomor rencana atau rentang tanggal, tidak keduanya."
        raise ExportError(msg)
    return ExportOptions(what, fmt, plan_id, start, end, status)


def _parse_plan_id(text: str | None) -> int | None:
    text = (text or "").strip().lstrip("#")
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        msg = f"Nomor rencana {text!r} tidak sah: tulis angka, misalnya 12."
        raise ExportError(msg)
    return int(text)


def _parse_range(
    date_from: str | None, date_to: str | None
) -> tuple[dt.date | None, dt.date | None]:
    start, end = _parse_date(date_from, "awal"), _parse_date(date_to, "akhir")
    if (start is None) != (end is None):
        msg = "Rentang tanggal perlu tanggal awal dan tanggal akhir."
        raise ExportError(msg)
    if start is not None and end is not None:
        if end < start:
            msg = "Tanggal akhir tidak boleh sebelum tanggal awal."
            raise ExportError(msg)
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            msg = f"Rentang tanggal paling lama {MAX_RANGE_DAYS} hari."
            raise ExportError(msg)
    return start, end


def _parse_date(text: str | None, which: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        msg = f"Tanggal {which} {text!r} tidak sah: tulis TTTT-BB-HH, misalnya 2026-11-23."
        raise ExportError(msg) from exc


# --- rows ---


def _clock(office: models.Office) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(office.timezone or "Asia/Jakarta")


def _utc_local(at: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    """A stored UTC timestamp (naive) as office time with its offset."""
    if at is None:
        return ""
    return at.replace(tzinfo=dt.UTC).astimezone(tz).isoformat(timespec="seconds")


def _wall(at: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    """A stored office wall-clock time (naive: routes, stops, recorded_at) with its offset."""
    if at is None:
        return ""
    return at.replace(tzinfo=tz).isoformat(timespec="seconds")


def _day(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def _joined(values: Iterable[Any] | None) -> str:
    return "|".join(str(v) for v in values or ())


def _coord(value: float | None) -> float | None:
    return None if value is None else round(value, _COORD_DIGITS)


def _office(session: Session, office_id: int) -> models.Office:
    office = session.get(models.Office, office_id)
    if office is None:
        msg = f"Kantor #{office_id} tidak ada."
        raise NotFoundError(msg)
    return office


def request_rows(
    session: Session, office_id: int, *, status: str | None = None, personal: bool
) -> list[Row]:
    """The office's requests as rows of :data:`REQUEST_COLUMNS`, oldest first.

    Parameters
    ----------
    session, office_id
        The database session and the office whose data is exported.
    status
        Only requests with this :class:`outreach.models.RequestStatus` value (all when None).
    personal
        NIK, phone numbers and birth dates whole (a role that may see them); masked otherwise.
    """
    tz = _clock(_office(session, office_id))
    stmt = (
        select(models.ServiceRequest)
        .where(models.ServiceRequest.office_id == office_id)
        .options(
            selectinload(models.ServiceRequest.kelurahan),
            selectinload(models.ServiceRequest.kecamatan),
            selectinload(models.ServiceRequest.letter),
        )
        .order_by(models.ServiceRequest.created_at, models.ServiceRequest.id)
    )
    if status is not None:
        stmt = stmt.where(models.ServiceRequest.status == status)
    rows: list[Row] = []
    for req in session.scalars(stmt):
        rows.append(
            {
                "request_id": req.id,
                "tracking_code": req.tracking_code,
                "status": req.status,
                "status_label": STATUS_LABELS.get(req.status, req.status),
                "category": req.category,
                "category_label": CATEGORY_LABELS.get(req.category, req.category),
                "channel": req.channel,
                "services": _joined(req.services),
                "person_name": req.person_name,
                "nik": _nik(req.nik, personal),
                "birth_date": export_value("birth_date", req.birth_date, personal=personal),
                "phone": _phone(req.phone, personal),
                "applicant_name": req.applicant_name,
                "applicant_relation": req.applicant_relation,
                "companion_name": req.companion_name,
                "companion_phone": _phone(req.companion_phone, personal),
                "persons": req.persons,
                "persons_served": req.persons_served,
                "attempts": req.attempts,
                "address_street": req.address_street,
                "rt": req.rt,
                "rw": req.rw,
                "landmark": req.landmark,
                "kelurahan_code": req.kelurahan.code if req.kelurahan else "",
                "kelurahan": req.kelurahan.name if req.kelurahan else "",
                "kecamatan": req.kecamatan.name if req.kecamatan else "",
                "lon": _coord(req.lon),
                "lat": _coord(req.lat),
                "location_source": req.location_source,
                "location_confirmed": int(bool(req.location_confirmed)),
                "required_traits": _joined(req.required_traits),
                "flags": _joined(req.flags),
                "deadline": _day(req.deadline),
                "letter_number": req.letter.number if req.letter else "",
                "created_at": _utc_local(req.created_at, tz),
                "verified_at": _utc_local(req.verified_at, tz),
                "scheduled_at": _utc_local(req.scheduled_at, tz),
                "closed_at": _utc_local(req.closed_at, tz),
            }
        )
    return rows


def _nik(nik: str | None, personal: bool) -> str:
    return export_value("nik", nik, personal=personal)


def _phone(phone: str | None, personal: bool) -> str:
    return export_value("phone", phone, personal=personal)


def export_routes(
    session: Session,
    office_id: int,
    *,
    plan_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[models.Route]:
    """The routes a plans export covers, by day, team and id.

    ``plan_id``: every route of that plan of the office (draft or approved). A date range
    (inclusive): the approved routes of approved plans on those days. Neither: every approved
    route of an approved plan.

    Raises
    ------
    NotFoundError
        ``plan_id`` is not a plan of the office (Indonesian message).
    """
    stmt = (
        select(models.Route)
        .join(models.Plan)
        .where(models.Plan.office_id == office_id)
        .options(selectinload(models.Route.stops), selectinload(models.Route.team))
        .order_by(models.Route.route_date, models.Route.team_id, models.Route.id)
    )
    if plan_id is not None:
        plan = session.get(models.Plan, plan_id)
        if plan is None or plan.office_id != office_id:
            msg = f"Rencana #{plan_id} tidak ada."
            raise NotFoundError(msg)
        stmt = stmt.where(models.Route.plan_id == plan_id)
    else:
        stmt = stmt.where(
            route_is_approved(),
        )
        if date_from is not None:
            stmt = stmt.where(models.Route.route_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(models.Route.route_date <= date_to)
    return list(session.scalars(stmt))


def plan_rows(
    session: Session,
    office_id: int,
    *,
    plan_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    personal: bool,
) -> list[Row]:
    """Stops of the routes :func:`export_routes` picks, as rows of :data:`PLAN_COLUMNS`.

    The rows come from :func:`outreach.render.route_rows.route_table` (the same rows as the
    plan page and the route sheet); with ``personal`` the NIK is the request's whole NIK and
    the contact phone whole, masked otherwise.
    """
    office = _office(session, office_id)
    routes = export_routes(
        session, office_id, plan_id=plan_id, date_from=date_from, date_to=date_to
    )
    return [row for _, row in _plan_rows(routes, _clock(office), personal=personal)]


def _plan_rows(
    routes: Sequence[models.Route], tz: zoneinfo.ZoneInfo, *, personal: bool
) -> list[tuple[models.Stop, Row]]:
    out: list[tuple[models.Stop, Row]] = []
    for route in routes:
        table = route_table(route, reveal=personal)
        stops = {s.id: s for s in route.stops}
        plan = route.plan
        for row in table.stops:
            stop = stops[row.stop_id]
            out.append(
                (
                    stop,
                    {
                        "plan_id": plan.id,
                        "plan_status": plan.status,
                        "route_id": route.id,
                        "route_date": _day(route.route_date),
                        "team": table.team_name,
                        "route_start_at": _wall(route.start_at, tz),
                        "route_end_at": _wall(route.end_at, tz),
                        "route_distance_m": route.distance_m,
                        "route_travel_time_s": route.travel_time_s,
                        "route_persons": table.persons,
                        "route_approved": int(bool(route.approved)),
                        "stop_id": row.stop_id,
                        "sequence": row.sequence,
                        "request_id": row.request_id,
                        "tracking_code": row.tracking_code,
                        "person_name": row.name,
                        "nik": (stop.request.nik or "") if personal else row.nik,
                        "category": row.category,
                        "services": _joined(row.services),
                        "address": row.address,
                        "kelurahan": row.kelurahan,
                        "kecamatan": row.kecamatan,
                        "contact_name": row.contact_name,
                        "contact_phone": row.contact_phone,
                        "persons": row.persons,
                        "part": row.part,
                        "parts": row.parts,
                        "arrival_at": _wall(row.arrival, tz),
                        "window_start": row.window_start.strftime("%H:%M"),
                        "window_end": row.window_end.strftime("%H:%M"),
                        "service_start_at": _wall(row.service_start, tz),
                        "departure_at": _wall(row.departure, tz),
                        "wait_min": row.wait_min,
                        "service_min": row.service_min,
                        "travel_min": row.travel_min,
                        "distance_m": row.distance_m,
                        "lon": _coord(row.lon),
                        "lat": _coord(row.lat),
                        "outcome": row.outcome or "",
                        "outcome_label": OUTCOME_LABELS.get(row.outcome or "", ""),
                    },
                )
            )
    return out


def _outcomes(
    session: Session,
    office_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> list[models.VisitOutcome]:
    """The office's outcomes, by visit date (or the day recorded when it has none)."""
    vo = models.VisitOutcome
    stmt = (
        select(vo)
        .join(models.ServiceRequest, vo.request_id == models.ServiceRequest.id)
        .where(models.ServiceRequest.office_id == office_id)
        .options(
            selectinload(vo.request).selectinload(models.ServiceRequest.kelurahan),
            selectinload(vo.request).selectinload(models.ServiceRequest.kecamatan),
            selectinload(vo.stop).selectinload(models.Stop.route),
        )
        .order_by(vo.visit_date, vo.recorded_at, vo.id)
    )
    if date_from is not None and date_to is not None:
        first = dt.datetime.combine(date_from, dt.time())
        after = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
        stmt = stmt.where(
            or_(
                and_(vo.visit_date >= date_from, vo.visit_date <= date_to),
                and_(vo.visit_date.is_(None), vo.recorded_at >= first, vo.recorded_at < after),
            )
        )
    return list(session.scalars(stmt))


def outcome_rows(
    session: Session,
    office_id: int,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    personal: bool,
) -> list[Row]:
    """The office's visit outcomes as rows of :data:`OUTCOME_COLUMNS`, by visit date.

    Parameters
    ----------
    session, office_id
        The database session and the office whose data is exported.
    date_from, date_to
        Inclusive range of visit dates (an outcome without one: the day it was recorded);
        both or neither (all outcomes).
    personal
        NIK and phone whole; masked otherwise.
    """
    office = _office(session, office_id)
    return [row for _, row in _outcome_rows(session, office, date_from, date_to, personal=personal)]


def _outcome_rows(
    session: Session,
    office: models.Office,
    date_from: dt.date | None,
    date_to: dt.date | None,
    *,
    personal: bool,
) -> list[tuple[models.VisitOutcome, Row]]:
    tz = _clock(office)
    teams = {t.id: t.name for t in office.teams}
    out: list[tuple[models.VisitOutcome, Row]] = []
    for item in _outcomes(session, office.id, date_from, date_to):
        req = item.request
        route = item.stop.route if item.stop is not None else None
        out.append(
            (
                item,
                {
                    "outcome_id": item.id,
                    "visit_date": _day(item.visit_date),
                    "team": teams.get(item.team_id or 0, ""),
                    "request_id": req.id,
                    "tracking_code": req.tracking_code,
                    "person_name": req.person_name,
                    "nik": _nik(req.nik, personal),
                    "phone": _phone(req.phone, personal),
                    "category": req.category,
                    "services": _joined(req.services),
                    "kelurahan": req.kelurahan.name if req.kelurahan else "",
                    "kecamatan": req.kecamatan.name if req.kecamatan else "",
                    "outcome": item.outcome,
                    "outcome_label": OUTCOME_LABELS.get(item.outcome, item.outcome),
                    "persons_served": item.persons_served,
                    "cards_printed": item.cards_printed,
                    "attendees": len(item.attendees or ()),
                    "reschedule_date": str((item.reschedule or {}).get("date") or ""),
                    "note": item.notes,
                    "source": item.source,
                    "recorded_at": _wall(item.recorded_at, tz),
                    "received_at": _utc_local(item.received_at, tz),
                    "plan_id": route.plan_id if route is not None else None,
                    "route_id": route.id if route is not None else None,
                    "stop_id": item.stop_id,
                    "lon": _coord(req.lon),
                    "lat": _coord(req.lat),
                },
            )
        )
    return out


# --- formats ---

# A cell Excel or LibreOffice would read as a formula (CSV injection), unless it is a number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Row]) -> bytes:
    """Rows as CSV: a header of ``columns``, comma-separated, minimal quoting, CRLF lines.

    UTF-8 with a byte-order mark (Excel then reads names with non-ASCII letters right). Empty
    for None. A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``
    first, not a plain number such as ``+6281...``) gets a leading ``'``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [_coord(lon), _coord(lat)]}


def _feature(geometry: dict[str, Any] | None, properties: Row) -> dict[str, Any]:
    props = {k: v for k, v in properties.items() if k not in ("lon", "lat")}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def route_line(route: models.Route) -> list[list[float]]:
    """The road geometry of a route, ``[[lon, lat], ...]``: each stop's leg, then the way back.

    Repeated positions where legs meet are dropped. Fewer than two positions: no geometry
    stored (a route planned without roads).
    """
    line: list[list[float]] = []
    legs = [s.leg_geometry or [] for s in route.stops] + [route.return_geometry or []]
    for leg in legs:
        for position in leg:
            lon, lat = float(position[0]), float(position[1])
            point = [round(lon, _COORD_DIGITS), round(lat, _COORD_DIGITS)]
            if not line or line[-1] != point:
                line.append(point)
    return line if len(line) >= 2 else []


def _collection(features: list[dict[str, Any]], metadata: dict[str, Any]) -> dict[str, Any]:
    # "metadata" is a foreign member (RFC 7946 section 6.1): readers that do not know it skip it.
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def _metadata(office: models.Office, options: ExportOptions, now: dt.datetime) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": f"Jemput Bola: {WHATS[options.what]}",
        "office": office.name,
        "generated_at": _utc_local(now, _clock(office)),
        "crs": "EPSG:4326 (lon, lat)",
        "filters": {
            "plan_id": options.plan_id,
            "date_from": _day(options.date_from) or None,
            "date_to": _day(options.date_to) or None,
            "status": options.status,
        },
    }
    return meta


def build_export(
    session: Session,
    office_id: int,
    options: ExportOptions,
    *,
    personal: bool,
    now: dt.datetime | None = None,
) -> Export:
    """Build the file ``options`` ask for, for the office ``office_id``.

    Parameters
    ----------
    session, office_id
        The database session and the office whose data is exported.
    options
        From :func:`parse_export_options`.
    personal
        NIK, phone numbers and birth dates whole (a role that may see them); masked otherwise.
    now
        UTC time written into GeoJSON metadata (default: now).

    Raises
    ------
    NotFoundError
        The plan asked for is not a plan of the office.
    """
    office = _office(session, office_id)
    tz = _clock(office)
    media_type = FORMATS[options.fmt][1]
    columns = _COLUMNS[options.what]
    if options.what == "requests":
        rows = request_rows(session, office_id, status=options.status, personal=personal)
        if options.fmt == "csv":
            return Export(to_csv(columns, rows), options.filename, media_type, len(rows))
        features = [_feature(_point(r["lon"], r["lat"]), r) for r in rows]
        meta = _metadata(office, options, now or models.utcnow())
    elif options.what == "plans":
        routes = export_routes(
            session,
            office_id,
            plan_id=options.plan_id,
            date_from=options.date_from,
            date_to=options.date_to,
        )
        pairs = _plan_rows(routes, tz, personal=personal)
        rows = [row for _, row in pairs]
        if options.fmt == "csv":
            return Export(to_csv(columns, rows), options.filename, media_type, len(rows))
        features, roads = _route_features(routes, pairs)
        meta = _metadata(office, options, now or models.utcnow())
        if roads:
            meta["attribution"] = OSM_ATTRIBUTION
    else:
        pairs_o = _outcome_rows(
            session, office, options.date_from, options.date_to, personal=personal
        )
        rows = [row for _, row in pairs_o]
        if options.fmt == "csv":
            return Export(to_csv(columns, rows), options.filename, media_type, len(rows))
        features = [_feature(_point(r["lon"], r["lat"]), r) for r in rows]
        meta = _metadata(office, options, now or models.utcnow())
    body = json.dumps(_collection(features, meta), ensure_ascii=False, indent=None)
    return Export(body.encode("utf-8"), options.filename, media_type, len(rows))


_ROUTE_PROPERTIES = (
    "plan_id",
    "plan_status",
    "route_id",
    "route_date",
    "team",
    "route_start_at",
    "route_end_at",
    "route_distance_m",
    "route_travel_time_s",
    "route_persons",
    "route_approved",
)


def _route_features(
    routes: Sequence[models.Route], pairs: list[tuple[models.Stop, Row]]
) -> tuple[list[dict[str, Any]], bool]:
    """A LineString feature per route (``kind: route``), then a Point per stop (``kind: stop``).

    Returns the features and whether any road geometry is included.
    """
    features: list[dict[str, Any]] = []
    roads = False
    by_route: dict[int, list[Row]] = {}
    for stop, row in pairs:
        by_route.setdefault(stop.route_id, []).append(row)
    for route in routes:
        line = route_line(route)
        roads = roads or bool(line)
        rows = by_route.get(route.id, [])
        props: Row = {"kind": "route", "stops": len(rows)}
        if rows:
            props.update({k: rows[0][k] for k in _ROUTE_PROPERTIES})
        else:
            props.update({"plan_id": route.plan_id, "route_id": route.id})
        geometry = {"type": "LineString", "coordinates": line} if line else None
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    for _, row in pairs:
        features.append(_feature(_point(row["lon"], row["lat"]), {"kind": "stop", **row}))
    return features, roads


# --- the export page and the audit trail ---


@dataclass(frozen=True)
class PlanChoice:
    """A plan offered in the export form."""

    plan_id: int
    label: str  # "#12 · 23-11-2026, 1 hari · Disetujui"


@dataclass(frozen=True)
class ExportPage:
    """What the export page shows: the office's plans (newest first) and the columns."""

    plans: list[PlanChoice]
    statuses: dict[str, str]  # RequestStatus value -> Indonesian label
    columns: dict[str, tuple[str, ...]]  # what -> columns


_PLAN_STATUS = {"draft": "Draf", "approved": "Disetujui", "superseded": "Diganti"}


def export_page(session: Session, office_id: int, *, plans_shown: int = 50) -> ExportPage:
    """The choices of the export form for the office (its ``plans_shown`` newest plans)."""
    stmt = (
        select(models.Plan)
        .where(models.Plan.office_id == office_id)
        .order_by(models.Plan.start_date.desc(), models.Plan.id.desc())
        .limit(plans_shown)
    )
    plans = [
        PlanChoice(
            p.id,
            f"#{p.id} · {p.start_date:%d-%m-%Y}, {p.days} hari · "
            + _PLAN_STATUS.get(p.status, p.status),
        )
        for p in session.scalars(stmt)
    ]
    return ExportPage(plans=plans, statuses=dict(STATUS_LABELS), columns=dict(_COLUMNS))


def audit_export(
    session: Session, options: ExportOptions, export: Export, *, actor: str, personal: bool
) -> None:
    """Note who exported what (filters, rows, whether personal data was whole); never commits.

    The event carries no personal data: the options and counts only.
    """
    session.add(
        models.AuditEvent(
            actor=actor,
            action="export",
            entity=options.what,
            entity_id=options.plan_id,
            detail={
                "format": options.fmt,
                "rows": export.rows,
                "personal": personal,
                "date_from": _day(options.date_from) or None,
                "date_to": _day(options.date_to) or None,
                "status": options.status,
            },
        )
    )
