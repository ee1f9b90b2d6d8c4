"""The coordinator's triage queue, a page at a time, and verifying several requests at once.

The queue is filtered by status, flag, channel, category, kecamatan, kelurahan, RW and a
search text, sorted by priority (the planner's :func:`~outreach.planning.priority.priority_for`)
or by age, and cut into pages. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Select

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.areas import AreaOptions
from outreach.intake.dedupe import OPEN_STATUSES
from outreach.intake.fields import read_id
from outreach.intake.services import verify_request
from outreach.models import Category, Channel, RequestStatus
from outreach.planning.priority import priority_for, waiting_days

ALL = "semua"
OPEN = "terbuka"
SORT_PRIORITY = "prioritas"
SORT_OLDEST = "terlama"
SORT_NEWEST = "terbaru"
SORTS = (SORT_PRIORITY, SORT_OLDEST, SORT_NEWEST)
PAGE_SIZE = 50
MAX_SEARCH = 100
MAX_BULK = 200
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class QueueFilters:
    """What the coordinator asked to see; every field is already checked (see :meth:`clean`).

    ``kecamatan`` and ``kelurahan`` are area codes, ``rw`` three digits (``"005"``), the
    other fields model values; ``""`` means any.
    """

    status: str = RequestStatus.BARU.value
    flag: str = ""
    channel: str = ""
    category: str = ""
    kecamatan: str = ""
    kelurahan: str = ""
    rw: str = ""
    search: str = ""
    sort: str = SORT_PRIORITY
    # Deadline at most this many days ahead (past deadlines included); None: any.
    due_within_days: int | None = None
    # Waiting at least this many days since it arrived; None: any.
    waiting_days_min: int | None = None

    @classmethod
    def clean(
        cls,
        values: Mapping[str, str],
        *,
        flags: Collection[str],
        areas: AreaOptions | None = None,
        search: str = "",
    ) -> QueueFilters:
        """Filters from raw form or query-string values; an unknown value means "any".

        Parameters
        ----------
        values
            Raw strings keyed by the form's field names: ``status``, ``tanda``, ``kanal``,
            ``kategori``, ``kecamatan``, ``kelurahan``, ``rw``, ``urut``.
        flags
            The flag codes that may be filtered on.
        areas
            The office's kecamatan and kelurahan (``None``: area filters are dropped). A
            kelurahan that is not in the chosen kecamatan is dropped.
        search
            The search text (taken from a POST body only, by the caller).
        """
        status = values.get("status", RequestStatus.BARU.value)
        if status not in {*RequestStatus, OPEN, ALL}:
            status = RequestStatus.BARU.value
        kec = values.get("kecamatan", "")
        kel = values.get("kelurahan", "")
        kec_ok = areas is not None and areas.kecamatan_by_code(kec) is not None
        kel_option = areas.kelurahan_by_code(kel) if areas is not None else None
        if kel_option is not None and kec_ok and kel_option.kecamatan_code != kec:
            kel_option = None
        rw = values.get("rw", "").strip()
        rw = rw.lstrip("0").zfill(3) if rw.isdigit() and 0 < len(rw.lstrip("0")) <= 3 else ""
        sort = values.get("urut", SORT_PRIORITY)
        return cls(
            status=status,
            flag=_known(values.get("tanda", ""), flags),
            channel=_known(values.get("kanal", ""), {c.value for c in Channel}),
            category=_known(values.get("kategori", ""), {c.value for c in Category}),
            kecamatan=kec if kec_ok else "",
            kelurahan=kel_option.code if kel_option is not None else "",
            rw=rw,
            search=" ".join(search.split())[:MAX_SEARCH],
            sort=sort if sort in SORTS else SORT_PRIORITY,
            due_within_days=_days(values.get("tenggat", "")),
            waiting_days_min=_days(values.get("menunggu", "")),
        )

    def query_args(self) -> dict[str, str]:
        """The filters that may travel in a URL: everything but the search, when set."""
        args = {
            "status": self.status,
            "tanda": self.flag,
            "kanal": self.channel,
            "kategori": self.category,
            "kecamatan": self.kecamatan,
            "kelurahan": self.kelurahan,
            "rw": self.rw,
            "urut": self.sort,
            "tenggat": "" if self.due_within_days is None else str(self.due_within_days),
            "menunggu": "" if self.waiting_days_min is None else str(self.waiting_days_min),
        }
        return {key: value for key, value in args.items() if value}


def _known(value: str, allowed: Collection[str]) -> str:
    return value if value in allowed else ""


@dataclass(frozen=True)
class QueueRow:
    """One request on a queue page, with its priority today and days waited."""

    request: models.ServiceRequest
    priority: int
    waiting_days: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue.

    ``page`` is 1-based and already clamped to ``1..pages``; ``first`` and ``last`` are the
    1-based positions of the rows shown ("menampilkan 51-100 dari 734"), both 0 when empty.
    """

    rows: list[QueueRow]
    total: int
    page: int
    page_size: int
    filters: QueueFilters = field(default_factory=QueueFilters)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first(self) -> int:
        """Position of the first row shown (0 when there is none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """Position of the last row shown (0 when there is none)."""
        return self.first + len(self.rows) - 1 if self.rows else 0

    def page_numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers for a pager, ``None`` marking a gap ("...").

        The first and last page and ``around`` pages either side of the current one.
        """
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and out[-1] is not None and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def _days(text: str) -> int | None:
    """A whole number of days 0-3650 from a form value, else None ("any")."""
    text = text.strip()
    return int(text) if re.fullmatch(r"[0-9]{1,4}", text) and int(text) <= 3650 else None


def _filtered(
    query: _Q, office_id: int, filters: QueueFilters, *, today: dt.date | None = None
) -> _Q:
    """``query`` narrowed to the office and the filters (``today``: the office's date)."""
    request = models.ServiceRequest
    query = query.where(request.office_id == office_id)
    if today is not None and filters.due_within_days is not None:
        due_by = today + dt.timedelta(days=filters.due_within_days)
        query = query.where(request.deadline.is_not(None), request.deadline <= due_by)
    if today is not None and filters.waiting_days_min is not None:
        # Stored UTC; a day's slack either way is not worth a timezone here.
        since = dt.datetime.combine(today, dt.time()) - dt.timedelta(days=filters.waiting_days_min)
        query = query.where(request.created_at < since)
    # A search (a NIK, a phone, a name, a code) looks through every status: the coordinator
    # looking for one resident should not first have to guess where the request is now.
    if filters.search:
        pass
    elif filters.status == OPEN:
        query = query.where(request.status.in_(OPEN_STATUSES))
    elif filters.status != ALL:
        query = query.where(request.status == filters.status)
    if filters.channel:
        query = query.where(request.channel == filters.channel)
    if filters.category:
        query = query.where(request.category == filters.category)
    if filters.flag:
        # Flags are a JSON list of codes; matching the quoted code in its text is portable
        # (SQLite and PostgreSQL alike).
        query = query.where(cast(request.flags, String).like(f'%"{filters.flag}"%'))
    if filters.kecamatan:
        query = query.where(
            request.kecamatan_id.in_(
                select(models.Kecamatan.id).where(models.Kecamatan.code == filters.kecamatan)
            )
        )
    if filters.kelurahan:
        query = query.where(
            request.kelurahan_id.in_(
                select(models.Kelurahan.id).where(models.Kelurahan.code == filters.kelurahan)
            )
        )
    if filters.rw:
        query = query.where(request.rw == filters.rw)
    if filters.search:
        # %, _ and \\ are text here, not LIKE wildcards.
        text = re.sub(r"([\\%_])", r"\\\1", filters.search)
        like = f"%{text}%"
        found = [
            request.tracking_code.ilike(like, escape="\\"),
            request.person_name.ilike(like, escape="\\"),
            request.applicant_name.ilike(like, escape="\\"),
            request.nik == filters.search,
        ]
        digits = re.sub(r"\D", "", filters.search)
        if len(digits) == 16:  # a NIK written in groups: 3471 1349 0709 0476
            found.append(request.nik == digits)
        if len(digits) >= 8:
            # A phone in any common form (+62..., 62..., 08...): stored as E.164, +62...
            national = digits[2:] if digits.startswith("62") else digits.lstrip("0")
            tail = f"%{national}"
            found += [request.phone.like(tail), request.companion_phone.like(tail)]
        query = query.where(or_(*found))
    return query


def _priority(
    category: str,
    since: dt.datetime,
    deadline: dt.date | None,
    attempts: int | None,
    today: dt.date,
    tz: dt.tzinfo,
    *,
    persons: int | None = 1,
    letter_id: int | None = None,
) -> tuple[int, int]:
    """(priority, waiting days) the way the planner scores a request on ``today``.

    ``since`` is a stored UTC time; the days are counted on the office's calendar (``tz``).
    A collective visit (category kolektif, or from a letter) gets its persons points, as in
    :func:`outreach.planning.records.site_for`.
    """
    waited = waiting_days(since.replace(tzinfo=dt.UTC).astimezone(tz), today)
    value = priority_for(
        category,
        waiting_days=waited,
        days_to_deadline=None if deadline is None else (deadline - today).days,
        attempts=int(attempts or 0),
        persons=max(1, int(persons or 1)),
        collective=category == "kolektif" or letter_id is not None,
    )
    return value, waited


def _priority_of(row: Any, today: dt.date, tz: dt.tzinfo) -> tuple[int, int]:
    """:func:`_priority` of a request row (a model, or a row of the same columns)."""
    return _priority(
        row.category,
        row.verified_at or row.created_at,
        row.deadline,
        row.attempts,
        today,
        tz,
        persons=row.persons,
        letter_id=row.letter_id,
    )


def list_queue(
    session: Session,
    office_id: int,
    filters: QueueFilters | None = None,
    *,
    today: dt.date,
    tz: dt.tzinfo = dt.UTC,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of requests for triage.

    Sorted by priority (highest first; ties: first come, first served) or by the time the
    request came in (``terlama`` oldest first, ``terbaru`` newest first).

    Priority is computed in Python with the planner's
    :func:`~outreach.planning.priority.priority_for` (category, days waited since
    verification or arrival, days to the deadline, failed attempts), because it depends on
    today's date. For the priority sort only the few columns it needs are read for every
    matching request, then the page's rows are loaded whole: fine for a few thousand open
    requests; a backlog far larger would want the priority stored and indexed.

    Parameters
    ----------
    session
        Database session.
    office_id
        The office.
    filters
        What to show (default: new requests, by priority).
    today
        The office's date, for waiting days and deadlines.
    tz
        The office's time zone: stored UTC times are counted in its days.
    page
        1-based page number; out-of-range numbers are clamped to the first or last page.
    page_size
        Rows per page.
    """
    filters = filters or QueueFilters()
    request = models.ServiceRequest
    total = (
        session.scalar(_filtered(select(func.count(request.id)), office_id, filters, today=today))
        or 0
    )
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    offset = (page - 1) * page_size
    if filters.sort == SORT_PRIORITY:
        light = session.execute(
            _filtered(
                select(
                    request.id,
                    request.category,
                    request.verified_at,
                    request.created_at,
                    request.deadline,
                    request.attempts,
                    request.persons,
                    request.letter_id,
                ),
                office_id,
                filters,
                today=today,
            )
        ).all()
        scored = sorted(
            ((*_priority_of(row, today, tz), row.created_at, row.id) for row in light),
            key=lambda item: (-item[0], item[2], item[3]),
        )
        ids = [item[3] for item in scored[offset : offset + page_size]]
    else:
        order = (
            (request.created_at, request.id)
            if filters.sort == SORT_OLDEST
            else (request.created_at.desc(), request.id.desc())
        )
        ids = list(
            session.scalars(
                _filtered(select(request.id), office_id, filters, today=today)
                .order_by(*order)
                .offset(offset)
                .limit(page_size)
            )
        )
    loaded = {
        row.id: row
        for row in session.scalars(
            select(request).where(request.id.in_(ids)).options(selectinload(request.kelurahan))
        )
    }
    rows = []
    for request_id in ids:
        row = loaded[request_id]
        value, waited = _priority_of(row, today, tz)
        rows.append(QueueRow(request=row, priority=value, waiting_days=waited))
    return QueuePage(rows=rows, total=total, page=page, page_size=page_size, filters=filters)


@dataclass(frozen=True)
class Refusal:
    """A request left as it was by a bulk verify, and why (Indonesian)."""

    request: models.ServiceRequest
    reason: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkVerifyResult:
    """What a bulk verify did: the verified requests, the refused ones, and ids not found."""

    verified: list[models.ServiceRequest]
    refused: list[Refusal]
    missing: int = 0


def parse_ids(values: Iterable[str], *, limit: int = MAX_BULK) -> list[int]:
    """Request ids ticked in a form: positive integers, duplicates and junk dropped.

    Raises
    ------
    IntakeError
        When nothing is ticked, or more than ``limit`` requests are.
    """
    ids: list[int] = []
    for value in values:
        number = read_id(value)
        if number is not None and number not in ids:
            ids.append(number)
    if not ids:
        msg = "Centang paling sedikit satu permohonan untuk diverifikasi."
        raise IntakeError(msg)
    if len(ids) > limit:
        msg = f"Paling banyak {limit} permohonan sekaligus."
        raise IntakeError(msg)
    return ids


def refusal_reason(request: models.ServiceRequest) -> Refusal | None:
    """Why a bulk verify must leave ``request`` alone, or ``None`` when it may verify it.

    Only a new request with a confirmed location (a point set on the map, by GPS or checked
    by staff) and no flags at all is verified in bulk; anything else needs the coordinator
    to open the request.
    """
    if request.status != RequestStatus.BARU.value:
        return Refusal(request, "Bukan permohonan baru (sudah diverifikasi atau ditutup).")
    if request.lon is None or request.lat is None or request.needs_location_check:
        return Refusal(request, "Lokasi belum dikonfirmasi: tandai rumah di peta dahulu.")
    if request.flags:
        return Refusal(
            request, "Ada tanda yang perlu diperiksa satu per satu:", tuple(request.flags)
        )
    return None


def verify_selected(
    session: Session,
    office_id: int,
    request_ids: Iterable[int],
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> BulkVerifyResult:
    """Verify several requests at once; the ones that need a closer look stay as they were.

    Each verified request gets its own ``request.verify`` audit event (through
    :func:`~outreach.intake.services.verify_request`). Ids of other offices' requests count as
    missing. Flushes, never commits.

    Parameters
    ----------
    session
        Database session.
    office_id
        The signed-in user's office.
    request_ids
        The ticked requests, in the order shown.
    actor
        ``"user:<id>"``.
    now
        Current time, UTC.
    """
    wanted = list(dict.fromkeys(request_ids))
    found = {
        row.id: row
        for row in session.scalars(
            select(models.ServiceRequest).where(
                models.ServiceRequest.id.in_(wanted),
                models.ServiceRequest.office_id == office_id,
            )
        )
    }
    verified: list[models.ServiceRequest] = []
    refused: list[Refusal] = []
    for request_id in wanted:
        row = found.get(request_id)
        if row is None:
            continue
        refusal = refusal_reason(row)
        if refusal is not None:
            refused.append(refusal)
            continue
        verified.append(verify_request(session, row, actor=actor, now=now))
    return BulkVerifyResult(verified=verified, refused=refused, missing=len(wanted) - len(found))
