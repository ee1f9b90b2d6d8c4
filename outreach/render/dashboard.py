"""The coordinator's dashboard: what waits, for how long, what needs a look, how today goes.

:func:`build_dashboard` reads the office's requests and today's approved routes and returns a
:class:`Dashboard` of plain values: counts by status, category and kecamatan; the age of the
backlog (oldest, median, per category); the requests that need the coordinator's attention,
each with a count, a few examples and the queue filter that lists them; today's routes with
their progress; and two small charts as server-rendered SVG (:func:`bar_chart_svg`,
:func:`histogram_svg`) whose numbers are written on the bars, not told by colour alone.

"Today" is the office's date, passed in by the caller; ages are counted in the office's days.
Nothing here builds a URL: a link is the queue's query string (``{"status": ..., "tanda": ...}``)
for the page to turn into a URL.
"""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.dedupe import FLAG_DUPLICATE, OPEN_STATUSES
from outreach.intake.locate import FLAG_LOCATION_UNCONFIRMED
from outreach.planning.reasons import format_date
from outreach.render.progress import progress_payload, today_routes
from outreach.render.style import CATEGORY_LABELS, MONTHS_ID, STATUS_LABELS
from outreach.visits import FLAG_CONTACT

__all__ = [
    "AGE_BINS",
    "BACKLOG_STATUSES",
    "DEADLINE_DAYS",
    "LONG_WAIT_DAYS",
    "AgeBin",
    "AttentionItem",
    "CategoryAge",
    "Count",
    "Dashboard",
    "RequestRef",
    "TodayRoute",
    "age_in_days",
    "bar_chart_svg",
    "build_dashboard",
    "histogram_svg",
    "local_date",
    "short_date",
]

#: Requests still waiting for a visit (``gagal`` is an older status of a failed visit).
BACKLOG_STATUSES: tuple[str, ...] = (*OPEN_STATUSES, models.RequestStatus.GAGAL.value)
#: The queue's filter value for "every open status".
QUEUE_OPEN = "terbuka"
#: A deadline this many days ahead (or passed) needs attention.
DEADLINE_DAYS = 3
#: Waiting longer than this many days needs attention.
LONG_WAIT_DAYS = 14
#: Age classes of the histogram: (label, first day, last day or None = no end).
AGE_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0-3", 0, 3),
    ("4-7", 4, 7),
    ("8-14", 8, 14),
    ("15-30", 15, 30),
    (">30", 31, None),
)
#: Examples listed under an attention item (the queue lists them all).
EXAMPLES = 5
NO_KECAMATAN = "Tanpa kecamatan"


@dataclass(frozen=True)
class Count:
    """One row of a count table: a code, its label, how many, and the queue filter."""

    key: str
    label: str
    count: int
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestRef:
    """A request named in an attention list (no NIK, no phone)."""

    request_id: int
    tracking_code: str
    person_name: str
    age_days: int
    deadline: dt.date | None

    @property
    def deadline_label(self) -> str:
        """``2 Des 2026``: the deadline as written in Indonesian (empty without one)."""
        return short_date(self.deadline) if self.deadline else ""


@dataclass(frozen=True)
class AttentionItem:
    """Requests that need the coordinator: how many, a few of them, where the queue lists them."""

    key: str
    label: str
    hint: str
    count: int
    examples: tuple[RequestRef, ...]
    query: dict[str, str]


@dataclass(frozen=True)
class CategoryAge:
    """Backlog age of one category, in the office's days."""

    category: str
    label: str
    count: int
    oldest_days: int
    median_days: float


@dataclass(frozen=True)
class AgeBin:
    """One class of the age histogram."""

    label: str
    count: int


@dataclass(frozen=True)
class TodayRoute:
    """One team's approved route today and how far it is."""

    route_id: int
    plan_id: int
    team_name: str
    done: int
    planned: int
    persons: int

    @property
    def percent(self) -> int:
        """Stops with an outcome, in percent of the stops planned (0 without stops)."""
        return round(100 * self.done / self.planned) if self.planned else 0


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows."""

    today: dt.date
    total_backlog: int
    by_status: tuple[Count, ...]
    by_category: tuple[Count, ...]
    by_kecamatan: tuple[Count, ...]
    oldest_days: int | None
    oldest: RequestRef | None
    median_days: float | None
    ages_by_category: tuple[CategoryAge, ...]
    age_bins: tuple[AgeBin, ...]
    attention: tuple[AttentionItem, ...]
    routes: tuple[TodayRoute, ...]
    kecamatan_svg: str
    age_svg: str

    @property
    def today_label(self) -> str:
        """``Senin, 30 November 2026``."""
        return format_date(self.today)

    @property
    def routes_done(self) -> int:
        """Stops with an outcome today, over all teams."""
        return sum(r.done for r in self.routes)

    @property
    def routes_planned(self) -> int:
        """Stops planned today, over all teams."""
        return sum(r.planned for r in self.routes)


def short_date(day: dt.date) -> str:
    """``2 Des 2026``."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def local_date(at: dt.datetime, timezone: str) -> dt.date:
    """The office's date of a stored UTC time (naive, as the database keeps it)."""
    return at.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(timezone)).date()


def age_in_days(created_at: dt.datetime, today: dt.date, timezone: str) -> int:
    """Whole office days from the day a request came in to ``today`` (0 on the same day)."""
    return max(0, (today - local_date(created_at, timezone)).days)


def build_dashboard(session: Session, office: models.Office, *, today: dt.date) -> Dashboard:
    """Counts, backlog age, attention items and today's routes of ``office``.

    Parameters
    ----------
    session
        Database session.
    office
        The office; every query is limited to it.
    today
        The office's date (the server may run in UTC).

    Returns
    -------
    Dashboard
    """
    status_counts = dict(
        session.execute(
            select(models.ServiceRequest.status, func.count())
            .where(models.ServiceRequest.office_id == office.id)
            .group_by(models.ServiceRequest.status)
        ).all()
    )
    by_status = tuple(
        Count(code, label, int(status_counts.get(code, 0)), {"status": code})
        for code, label in STATUS_LABELS.items()
    )
    rows = session.execute(
        select(
            models.ServiceRequest.id,
            models.ServiceRequest.tracking_code,
            models.ServiceRequest.person_name,
            models.ServiceRequest.category,
            models.ServiceRequest.status,
            models.ServiceRequest.created_at,
            models.ServiceRequest.deadline,
            models.ServiceRequest.flags,
            models.ServiceRequest.location_source,
            models.ServiceRequest.location_confirmed,
            models.Kecamatan.code,
            models.Kecamatan.name,
        )
        .outerjoin(models.Kecamatan, models.ServiceRequest.kecamatan_id == models.Kecamatan.id)
        .where(
            models.ServiceRequest.office_id == office.id,
            models.ServiceRequest.status.in_(BACKLOG_STATUSES),
        )
        .order_by(models.ServiceRequest.created_at, models.ServiceRequest.id)
    ).all()
    backlog = [
        _Open(
            ref=RequestRef(
                request_id=r[0],
                tracking_code=r[1],
                person_name=r[2],
                age_days=age_in_days(r[5], today, office.timezone),
                deadline=r[6],
            ),
            category=r[3],
            status=r[4],
            flags=tuple(r[7] or ()),
            needs_location=not r[9]
            and r[8] in {models.LocationSource.KELURAHAN.value, models.LocationSource.NONE.value},
            kecamatan_code=r[10] or "",
            kecamatan_name=r[11] or NO_KECAMATAN,
        )
        for r in rows
    ]
    ages = [o.ref.age_days for o in backlog]
    oldest = max(backlog, key=lambda o: (o.ref.age_days, -o.ref.request_id), default=None)
    bins = _age_bins(ages)
    by_kecamatan = _by_kecamatan(backlog)
    return Dashboard(
        today=today,
        total_backlog=len(backlog),
        by_status=by_status,
        by_category=_by_category(backlog),
        by_kecamatan=by_kecamatan,
        oldest_days=oldest.ref.age_days if oldest else None,
        oldest=oldest.ref if oldest else None,
        median_days=float(statistics.median(ages)) if ages else None,
        ages_by_category=_ages_by_category(backlog),
        age_bins=bins,
        attention=_attention(backlog, today),
        routes=_today(session, office.id, today),
        kecamatan_svg=bar_chart_svg(
            [(c.label, c.count) for c in by_kecamatan],
            title="Antrean per kecamatan",
            description="Permohonan yang menunggu kunjungan, per kecamatan.",
        ),
        age_svg=histogram_svg(
            [(b.label, b.count) for b in bins],
            title="Lama menunggu (hari)",
            description="Permohonan yang menunggu kunjungan, menurut lama menunggu dalam hari.",
        ),
    )


@dataclass(frozen=True)
class _Open:
    ref: RequestRef
    category: str
    status: str
    flags: tuple[str, ...]
    needs_location: bool
    kecamatan_code: str
    kecamatan_name: str


def _by_category(backlog: Sequence[_Open]) -> tuple[Count, ...]:
    counts = Counter(o.category for o in backlog)
    return tuple(
        Count(code, label, counts.get(code, 0), {"status": QUEUE_OPEN, "kategori": code})
        for code, label in CATEGORY_LABELS.items()
        if counts.get(code, 0)
    )


def _by_kecamatan(backlog: Sequence[_Open]) -> tuple[Count, ...]:
    counts: Counter[tuple[str, str]] = Counter(
        (o.kecamatan_code, o.kecamatan_name) for o in backlog
    )
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1]))
    return tuple(
        Count(
            code,
            name,
            n,
            {"status": QUEUE_OPEN, "kecamatan": code} if code else {"status": QUEUE_OPEN},
        )
        for (code, name), n in ordered
    )


def _ages_by_category(backlog: Sequence[_Open]) -> tuple[CategoryAge, ...]:
    ages: dict[str, list[int]] = defaultdict(list)
    for o in backlog:
        ages[o.category].append(o.ref.age_days)
    return tuple(
        CategoryAge(
            category=code,
            label=label,
            count=len(ages[code]),
            oldest_days=max(ages[code]),
            median_days=float(statistics.median(ages[code])),
        )
        for code, label in CATEGORY_LABELS.items()
        if ages.get(code)
    )


def _age_bins(ages: Iterable[int]) -> tuple[AgeBin, ...]:
    counts = [0] * len(AGE_BINS)
    for age in ages:
        for i, (_label, low, high) in enumerate(AGE_BINS):
            if age >= low and (high is None or age <= high):
                counts[i] += 1
                break
    return tuple(AgeBin(label, n) for (label, _low, _high), n in zip(AGE_BINS, counts, strict=True))


def _attention(backlog: Sequence[_Open], today: dt.date) -> tuple[AttentionItem, ...]:
    """The five lists of requests that need the coordinator, most pressing first."""
    soon = today + dt.timedelta(days=DEADLINE_DAYS)
    deadline = sorted(
        (o for o in backlog if o.ref.deadline is not None and o.ref.deadline <= soon),
        key=lambda o: (o.ref.deadline or today, o.ref.request_id),
    )
    contact = [o for o in backlog if FLAG_CONTACT in o.flags]
    location = [o for o in backlog if o.needs_location]
    duplicates = [o for o in backlog if FLAG_DUPLICATE in o.flags]
    waiting = sorted(
        (o for o in backlog if o.ref.age_days > LONG_WAIT_DAYS),
        key=lambda o: (-o.ref.age_days, o.ref.request_id),
    )
    specs: tuple[tuple[str, str, str, list[_Open], dict[str, str]], ...] = (
        (
            "tenggat",
            f"Tenggat dalam {DEADLINE_DAYS} hari",
            "Tenggat sudah lewat atau jatuh dalam tiga hari ke depan.",
            deadline,
            {"status": QUEUE_OPEN, "tenggat": str(DEADLINE_DAYS), "urut": "terlama"},
        ),
        (
            FLAG_CONTACT,
            "Gagal dikunjungi, perlu ditelepon",
            "Tiga kali tidak bertemu warga: telepon dulu sebelum dijadwalkan lagi.",
            contact,
            {"status": QUEUE_OPEN, "tanda": FLAG_CONTACT},
        ),
        (
            FLAG_LOCATION_UNCONFIRMED,
            "Lokasi perlu dikonfirmasi",
            "Titik hanya titik kelurahan: pastikan rumahnya di peta.",
            location,
            {"status": QUEUE_OPEN, "tanda": FLAG_LOCATION_UNCONFIRMED},
        ),
        (
            FLAG_DUPLICATE,
            "Kemungkinan duplikat",
            "Periksa dan gabungkan bila orangnya sama.",
            duplicates,
            {"status": QUEUE_OPEN, "tanda": FLAG_DUPLICATE},
        ),
        (
            "lama_menunggu",
            f"Menunggu lebih dari {LONG_WAIT_DAYS} hari",
            "Terlama lebih dulu.",
            waiting,
            {"status": QUEUE_OPEN, "menunggu": str(LONG_WAIT_DAYS + 1), "urut": "terlama"},
        ),
    )
    return tuple(
        AttentionItem(
            key=key,
            label=label,
            hint=hint,
            count=len(items),
            examples=tuple(o.ref for o in items[:EXAMPLES]),
            query=query,
        )
        for key, label, hint, items, query in specs
    )


def _today(session: Session, office_id: int, today: dt.date) -> tuple[TodayRoute, ...]:
    routes = today_routes(session, office_id, today)
    payload = progress_payload(session, routes)
    progress = {p["route_id"]: p for p in payload["routes"]}
    return tuple(
        TodayRoute(
            route_id=route.id,
            plan_id=route.plan_id,
            team_name=route.team.name,
            done=int(progress[route.id]["done"]),
            planned=int(progress[route.id]["planned"]),
            persons=route.persons,
        )
        for route in routes
    )


# --- charts ----------------------------------------------------------------------------------

_FONT = 'font-family="system-ui, sans-serif" font-size="13"'
_BAR = "#2f6f8f"
_TEXT = "#1d2733"


def bar_chart_svg(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
    width: int = 420,
    bar_height: int = 22,
    label_width: int = 130,
) -> str:
    """Horizontal bars, one per row, each with its label on the left and its number on the right.

    The SVG carries a ``<title>`` and ``<desc>`` (read by screen readers, ``role="img"``) and
    every number is written as text beside its bar, so nothing is told by colour alone.
    """
    gap = 6
    top = 4
    height = top + max(1, len(rows)) * (bar_height + gap)
    largest = max((n for _label, n in rows), default=0)
    room = width - label_width - 60
    parts = [_svg_open(width, height, title, description)]
    if not rows:
        parts.append(
            f'<text x="0" y="{top + bar_height - 6}" {_FONT} fill="{_TEXT}">Tidak ada data</text>'
        )
    for i, (label, n) in enumerate(rows):
        y = top + i * (bar_height + gap)
        length = round(room * n / largest) if largest else 0
        text_y = y + bar_height - 6
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<g><text x="{label_width - 8}" y="{text_y}" text-anchor="end" {_FONT} '
            f'fill="{_TEXT}">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(length, 1)}" height="{bar_height}" '
            f'fill="{_BAR}"><title>{escape(label)}: {n}</title></rect>'
            f'<text x="{label_width + max(length, 1) + 6}" y="{text_y}" {_FONT} '
            f'font-weight="600" fill="{_TEXT}">{n}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    bins: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
    width: int = 420,
    height: int = 200,
) -> str:
    """Vertical columns side by side, each with its number above it and its class below it."""
    bottom = height - 26
    top = 22
    slot = width / max(1, len(bins))
    largest = max((n for _label, n in bins), default=0)
    parts = [_svg_open(width, height, title, description)]
    parts.append(
        f'<line x1="0" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#9aa5b1" stroke-width="1"/>'
    )
    for i, (label, n) in enumerate(bins):
        x = i * slot + slot * 0.15
        w = slot * 0.7
        h = round((bottom - top) * n / largest) if largest else 0
        centre = i * slot + slot / 2
        parts.append(
            f'<g><rect x="{x:.1f}" y="{bottom - h}" width="{w:.1f}" height="{h}" fill="{_BAR}">'
            f"<title>{escape(label)} hari: {n}</title></rect>"
            f'<text x="{centre:.1f}" y="{bottom - h - 5}" text-anchor="middle" {_FONT} '
            f'font-weight="600" fill="{_TEXT}">{n}</text>'
            f'<text x="{centre:.1f}" y="{height - 8}" text-anchor="middle" {_FONT} '
            f'fill="{_TEXT}">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )
