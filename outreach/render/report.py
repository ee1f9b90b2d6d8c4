"""The monthly report for the head of office: what the outreach did in one month.

:func:`build_month_report` counts, for one calendar month of the office: the persons recorded
(``selesai`` outcomes' ``persons_served``) per kecamatan, category and service; the visits made
per outcome (served, failed -- nobody home or put off --, and the closing ones: refused, moved,
died) and per team; the requests received; and the backlog at the month's end (requests that
had come in and were not closed by then). :func:`report_xlsx` writes it as a workbook
(openpyxl); the web layer renders the same :class:`MonthReport` as a page and a PDF.

Visits count by their route date (``VisitOutcome.visit_date``); requests by when they came in
and were closed, in the office's time zone.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import OutreachError
from outreach.planning.reasons import MONTHS
from outreach.render.dashboard import BACKLOG_STATUSES, NO_KECAMATAN, age_in_days
from outreach.render.style import CATEGORY_LABELS, SERVICE_LABELS
from outreach.visits import CLOSING, OUTCOME_LABELS, RETRY

__all__ = [
    "MONTHS_ID",
    "MonthReport",
    "ReportError",
    "ReportRow",
    "build_month_report",
    "month_label",
    "parse_month",
    "report_filename",
    "report_xlsx",
    "summary_rows",
]

MONTHS_ID = MONTHS  # full month names, as on the plan pages
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# Outcome values in the order the report lists them: served, failed, closing.
OUTCOME_ORDER = (
    models.Outcome.SELESAI.value,
    models.Outcome.TIDAK_DI_RUMAH.value,
    models.Outcome.JADWAL_ULANG.value,
    models.Outcome.MENOLAK.value,
    models.Outcome.PINDAH_ALAMAT.value,
    models.Outcome.MENINGGAL.value,
)
NO_TEAM = "Tanpa tim"


class ReportError(OutreachError):
    """A month the report cannot be made for; the message is Indonesian (shown to users)."""


@dataclass(frozen=True)
class ReportRow:
    """One line of a report table: a label, visits served, persons recorded."""

    label: str
    visits: int
    persons: int


@dataclass(frozen=True)
class TeamRow:
    """One team's visits in the month."""

    team_name: str
    visits: int
    served: int
    failed: int
    closed: int
    persons: int


@dataclass(frozen=True)
class BacklogRow:
    """Requests waiting at the month's end in one kecamatan (or one category)."""

    label: str
    count: int
    oldest_days: int


@dataclass(frozen=True)
class MonthReport:
    """Everything the monthly report shows."""

    office_name: str
    month: dt.date  # the first day of the month
    label: str  # "November 2026"
    partial: bool  # the month is still running: figures up to today
    received: int
    visits: int
    served: int
    failed: int
    closed: int
    persons: int
    cards: int
    by_outcome: tuple[tuple[str, str, int], ...]  # (outcome, label, visits)
    by_kecamatan: tuple[ReportRow, ...]
    by_category: tuple[ReportRow, ...]
    by_service: tuple[ReportRow, ...]
    by_team: tuple[TeamRow, ...]
    backlog: int
    backlog_median_days: float | None
    backlog_by_kecamatan: tuple[BacklogRow, ...]
    backlog_by_category: tuple[BacklogRow, ...]


def parse_month(text: str, *, today: dt.date) -> dt.date:
    """``2026-11`` -> 1 November 2026; an empty text is the current month.

    Raises
    ------
    ReportError
        Not ``YYYY-MM``, not a month, or a month still to come.
    """
    text = (text or "").strip()
    if not text:
        return today.replace(day=1)
    found = _MONTH.fullmatch(text)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        msg = "Bulan tidak valid: tulis sebagai TTTT-BB, misalnya 2026-11."
        raise ReportError(msg)
    month = dt.date(int(found.group(1)), int(found.group(2)), 1)
    if month > today.replace(day=1):
        msg = f"Bulan {month_label(month)} belum berjalan."
        raise ReportError(msg)
    return month


def month_label(month: dt.date) -> str:
    """``November 2026``."""
    return f"{MONTHS_ID[month.month - 1]} {month.year}"


def report_filename(month: dt.date, ext: str) -> str:
    """``laporan-2026-11.pdf``."""
    return f"laporan-{month:%Y-%m}.{ext}"


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _utc_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The office's midnight at the start of ``day``, as stored (UTC, naive)."""
    local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zoneinfo.ZoneInfo(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def build_month_report(
    session: Session, office: models.Office, month: dt.date, *, today: dt.date
) -> MonthReport:
    """The figures of ``month`` (its first day) for ``office``.

    Parameters
    ----------
    session
        Database session.
    office
        The office; every query is limited to it.
    month
        The first day of the month (:func:`parse_month`).
    today
        The office's date: a running month is counted up to today, its backlog as of now.
    """
    month = month.replace(day=1)
    end = _next_month(month)
    partial = month <= today < end
    start_utc = _utc_midnight(month, office.timezone)
    end_utc = _utc_midnight(end, office.timezone)
    sr = models.ServiceRequest
    outcomes = session.execute(
        select(
            models.VisitOutcome.outcome,
            models.VisitOutcome.persons_served,
            models.VisitOutcome.cards_printed,
            models.Team.name,
            sr.category,
            sr.services,
            models.Kecamatan.name,
        )
        .join(sr, models.VisitOutcome.request_id == sr.id)
        .outerjoin(models.Team, models.VisitOutcome.team_id == models.Team.id)
        .outerjoin(models.Kecamatan, sr.kecamatan_id == models.Kecamatan.id)
        .where(
            sr.office_id == office.id,
            models.VisitOutcome.visit_date >= month,
            models.VisitOutcome.visit_date < end,
        )
    ).all()
    served = [o for o in outcomes if o[0] == models.Outcome.SELESAI.value]
    by_outcome = Counter(o[0] for o in outcomes)
    received = len(
        session.scalars(
            select(sr.id).where(
                sr.office_id == office.id, sr.created_at >= start_utc, sr.created_at < end_utc
            )
        ).all()
    )
    backlog = session.execute(
        select(sr.category, sr.created_at, models.Kecamatan.name)
        .outerjoin(models.Kecamatan, sr.kecamatan_id == models.Kecamatan.id)
        .where(
            sr.office_id == office.id,
            sr.created_at < end_utc,
            or_(
                sr.closed_at >= end_utc,
                (sr.closed_at.is_(None) & sr.status.in_(BACKLOG_STATUSES)),
            ),
        )
    ).all()
    backlog_day = today if partial else end - dt.timedelta(days=1)
    aged = [
        (category, kec or NO_KECAMATAN, age_in_days(created, backlog_day, office.timezone))
        for category, created, kec in backlog
    ]
    services: list[tuple[str, int]] = [
        (str(s), int(o[1] or 0)) for o in served for s in (o[5] or ())
    ]
    return MonthReport(
        office_name=office.name,
        month=month,
        label=month_label(month),
        partial=partial,
        received=received,
        visits=len(outcomes),
        served=len(served),
        failed=sum(by_outcome[o] for o in RETRY),
        closed=sum(by_outcome[o] for o in CLOSING),
        persons=sum(int(o[1] or 0) for o in served),
        cards=sum(int(o[2] or 0) for o in served),
        by_outcome=tuple(
            (code, OUTCOME_LABELS.get(code, code), by_outcome.get(code, 0))
            for code in OUTCOME_ORDER
        ),
        by_kecamatan=_rows(((o[6] or NO_KECAMATAN, int(o[1] or 0)) for o in served), None),
        by_category=_rows(
            ((CATEGORY_LABELS.get(o[4], str(o[4])), int(o[1] or 0)) for o in served),
            [CATEGORY_LABELS[c] for c in CATEGORY_LABELS],
        ),
        by_service=_rows(
            ((SERVICE_LABELS.get(s, s), n) for s, n in services),
            [SERVICE_LABELS[s] for s in SERVICE_LABELS],
        ),
        by_team=_teams(outcomes),
        backlog=len(aged),
        backlog_median_days=float(statistics.median(a for _c, _k, a in aged)) if aged else None,
        backlog_by_kecamatan=_backlog_rows((k, a) for _c, k, a in aged),
        backlog_by_category=_backlog_rows((CATEGORY_LABELS.get(c, c), a) for c, _k, a in aged),
    )


def _rows(items: Iterable[tuple[str, int]], order: Sequence[str] | None) -> tuple[ReportRow, ...]:
    """Visits and persons per label; ``order`` fixes the order (else most persons first)."""
    visits: Counter[str] = Counter()
    persons: Counter[str] = Counter()
    for label, n in items:
        visits[label] += 1
        persons[label] += n
    labels = (
        [x for x in order if x in visits] + sorted(set(visits) - set(order))
        if order is not None
        else sorted(visits, key=lambda x: (-persons[x], x))
    )
    return tuple(ReportRow(label, visits[label], persons[label]) for label in labels)


def _teams(outcomes: Sequence[Sequence[object]]) -> tuple[TeamRow, ...]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    persons: Counter[str] = Counter()
    for o in outcomes:
        name = str(o[3] or NO_TEAM)
        counts[name][str(o[0])] += 1
        if o[0] == models.Outcome.SELESAI.value:
            persons[name] += int(str(o[1] or 0))
    return tuple(
        TeamRow(
            team_name=name,
            visits=sum(c.values()),
            served=c[models.Outcome.SELESAI.value],
            failed=sum(c[x] for x in RETRY),
            closed=sum(c[x] for x in CLOSING),
            persons=persons[name],
        )
        for name, c in sorted(counts.items())
    )


def _backlog_rows(items: Iterable[tuple[str, int]]) -> tuple[BacklogRow, ...]:
    ages: dict[str, list[int]] = defaultdict(list)
    for label, age in items:
        ages[label].append(age)
    return tuple(
        BacklogRow(label, len(a), max(a))
        for label, a in sorted(ages.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )


def report_xlsx(report: MonthReport) -> bytes:
    """The report as an Excel workbook: a summary sheet and one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    summary = book.active
    assert summary is not None
    summary.title = "Ringkasan"
    title = f"Laporan jemput bola {report.label}"
    summary.append([title])
    summary.append([report.office_name])
    if report.partial:
        summary.append(["Bulan masih berjalan: angka sampai hari ini."])
    summary.append([])
    for label, value in summary_rows(report):
        summary.append([label, value])
    summary["A1"].font = Font(bold=True, size=14)
    summary.column_dimensions["A"].width = 42
    tables: list[tuple[str, list[str], list[list[object]]]] = [
        (
            "Per kecamatan",
            ["Kecamatan", "Kunjungan selesai", "Orang dilayani"],
            [[r.label, r.visits, r.persons] for r in report.by_kecamatan],
        ),
        (
            "Per kategori",
            ["Kategori", "Kunjungan selesai", "Orang dilayani"],
            [[r.label, r.visits, r.persons] for r in report.by_category],
        ),
        (
            "Per layanan",
            ["Layanan", "Kunjungan selesai", "Orang dilayani"],
            [[r.label, r.visits, r.persons] for r in report.by_service],
        ),
        (
            "Hasil kunjungan",
            ["Hasil", "Kunjungan"],
            [[label, n] for _code, label, n in report.by_outcome],
        ),
        (
            "Per tim",
            ["Tim", "Kunjungan", "Selesai", "Gagal", "Ditutup", "Orang dilayani"],
            [
                [t.team_name, t.visits, t.served, t.failed, t.closed, t.persons]
                for t in report.by_team
            ],
        ),
        (
            "Antrean akhir bulan",
            ["Kecamatan", "Menunggu", "Terlama (hari)"],
            [[r.label, r.count, r.oldest_days] for r in report.backlog_by_kecamatan],
        ),
    ]
    for name, header, rows in tables:
        sheet = book.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 30
        sheet.freeze_panes = "A2"
    # Names people typed ("=1+2", "=HYPERLINK(...)") stay text, never formulas.
    for sheet in book.worksheets:
        for sheet_row in sheet.iter_rows():
            for cell in sheet_row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_rows(report: MonthReport) -> list[tuple[str, int | float | str]]:
    """The summary figures, in the order the page, the PDF and the workbook list them."""
    return [
        ("Permohonan masuk", report.received),
        ("Kunjungan dilakukan", report.visits),
        ("Kunjungan selesai", report.served),
        ("Kunjungan gagal (tidak di rumah / jadwal ulang)", report.failed),
        ("Ditutup (menolak / pindah alamat / meninggal)", report.closed),
        ("Orang dilayani (direkam)", report.persons),
        ("KTP-el dicetak", report.cards),
        ("Antrean di akhir bulan", report.backlog),
        (
            "Median lama menunggu di akhir bulan (hari)",
            report.backlog_median_days if report.backlog_median_days is not None else "-",
        ),
    ]
