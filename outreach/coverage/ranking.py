"""Where are most residents still unrecorded: the ranked table of the coverage page.

From the office's latest coverage import (and the one before it, for the change), per
kelurahan and per kecamatan: residents of KTP age not yet recorded as a count and a share,
the change since the previous import, and the persons the outreach recorded (visit outcomes
``selesai`` of requests with e-KTP recording in the area) after the import's date. The
remaining gap (not recorded minus recorded by outreach since) orders the table.

A kecamatan's figures are the sum of its kelurahan rows when the import has any, otherwise
the kecamatan's own row (a kecamatan-level file).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.dedupe import OPEN_STATUSES

KELURAHAN, KECAMATAN = "kelurahan", "kecamatan"
RECORDING = models.Service.PEREKAMAN_KTP.value


@dataclass(frozen=True)
class AreaCoverage:
    """One area's row of the ranked table."""

    level: str  # KELURAHAN | KECAMATAN
    area_id: int
    code: str
    name: str
    kecamatan: str  # the kecamatan's name (its own for a kecamatan row)
    wajib_ktp: int
    recorded: int
    not_recorded: int
    first_time: int | None
    change: int | None  # not_recorded minus the previous import's; None: no previous figure
    recorded_since: int  # persons recorded by the outreach after the import's date
    open_sweep: str | None = None  # tracking code of an open sweep visit (kelurahan only)

    @property
    def share(self) -> float:
        """Not recorded as a share of wajib KTP (0 when the area has none)."""
        return self.not_recorded / self.wajib_ktp if self.wajib_ktp else 0.0

    @property
    def remaining(self) -> int:
        """Still to record: not recorded minus what the outreach recorded since."""
        return max(0, self.not_recorded - self.recorded_since)


@dataclass(frozen=True)
class CoverageReport:
    """The coverage page's figures; empty when nothing has been imported."""

    import_id: int | None
    as_of: dt.date | None
    file_name: str
    previous_as_of: dt.date | None
    kelurahan: tuple[AreaCoverage, ...]
    kecamatan: tuple[AreaCoverage, ...]
    # Kelurahan (or kecamatan) the latest file itself covers; the others keep the figures of an
    # earlier import (a file with a few areas updates them and leaves the rest as they were).
    areas_in_latest: int = 0
    areas_from_earlier: int = 0

    @property
    def wajib_ktp(self) -> int:
        """Residents of KTP age over the office's area."""
        return sum(a.wajib_ktp for a in self.kecamatan)

    @property
    def not_recorded(self) -> int:
        """Not recorded over the office's area (as of the import)."""
        return sum(a.not_recorded for a in self.kecamatan)

    @property
    def recorded_since(self) -> int:
        """Recorded by the outreach since the import's date."""
        return sum(a.recorded_since for a in self.kecamatan)

    @property
    def remaining(self) -> int:
        """Still to record."""
        return sum(a.remaining for a in self.kecamatan)

    @property
    def share(self) -> float:
        """Not recorded as a share of wajib KTP over the office's area."""
        return self.not_recorded / self.wajib_ktp if self.wajib_ktp else 0.0


def imports_until(
    session: Session, office_id: int, *, until: dt.date | None = None
) -> list[models.CoverageImport]:
    """The office's coverage imports, oldest first (by date, then import), up to ``until``."""
    query = select(models.CoverageImport).where(models.CoverageImport.office_id == office_id)
    if until is not None:
        query = query.where(models.CoverageImport.as_of <= until)
    return list(
        session.scalars(query.order_by(models.CoverageImport.as_of, models.CoverageImport.id)).all()
    )


@dataclass(frozen=True)
class _Counts:
    wajib_ktp: int
    recorded: int
    not_recorded: int
    first_time: int | None


def _add(a: _Counts | None, b: _Counts) -> _Counts:
    if a is None:
        return b
    first = (
        None
        if a.first_time is None and b.first_time is None
        else ((a.first_time or 0) + (b.first_time or 0))
    )
    return _Counts(
        a.wajib_ktp + b.wajib_ktp, a.recorded + b.recorded, a.not_recorded + b.not_recorded, first
    )


def _by_area(
    imports: list[models.CoverageImport], kel_to_kec: dict[int, int]
) -> tuple[dict[int, _Counts], dict[int, _Counts], dict[int, dt.date]]:
    """Per kelurahan id and per kecamatan id counts of ``imports`` merged, newest last wins.

    Also returns each kelurahan's figures date. A kecamatan's counts are the sum of its
    kelurahan when any has figures, else the kecamatan's own line of a per-kecamatan file.
    """
    kel: dict[int, _Counts] = {}
    kec_own: dict[int, _Counts] = {}
    dated: dict[int, dt.date] = {}
    for imp in imports:
        for c in imp.counts:
            counts = _Counts(c.wajib_ktp, c.recorded, c.not_recorded, c.first_time)
            if c.kelurahan_id is not None:
                kel[c.kelurahan_id] = counts
                dated[c.kelurahan_id] = imp.as_of
            elif c.kecamatan_id is not None:
                kec_own[c.kecamatan_id] = counts
    kec_sum: dict[int, _Counts] = {}
    for kel_id, counts in kel.items():
        kec_id = kel_to_kec[kel_id]
        kec_sum[kec_id] = _add(kec_sum.get(kec_id), counts)
    return kel, {**kec_own, **kec_sum}, dated


def recorded_by_outreach(
    session: Session, office_id: int, since: dt.date
) -> tuple[dict[int, int], dict[int, int]]:
    """Persons recorded (e-KTP) by visits after ``since``: per kelurahan id, per kecamatan id."""
    rows = session.execute(
        select(
            models.VisitOutcome.persons_served,
            models.VisitOutcome.visit_date,
            models.VisitOutcome.recorded_at,
            models.ServiceRequest.services,
            models.ServiceRequest.kelurahan_id,
            models.ServiceRequest.kecamatan_id,
        )
        .join(models.ServiceRequest, models.VisitOutcome.request_id == models.ServiceRequest.id)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.VisitOutcome.outcome == models.Outcome.SELESAI.value,
        )
    ).all()
    kel: dict[int, int] = defaultdict(int)
    kec: dict[int, int] = defaultdict(int)
    kel_kec = dict(
        session.execute(select(models.Kelurahan.id, models.Kelurahan.kecamatan_id)).all()
    )
    for persons, visit_date, recorded_at, services, kel_id, kec_id in rows:
        day = visit_date or recorded_at.date()
        if day <= since or RECORDING not in (services or ()):
            continue
        if kel_id is not None:
            kel[kel_id] += int(persons or 0)
            kec_id = kel_kec.get(kel_id, kec_id)
        if kec_id is not None:
            kec[kec_id] += int(persons or 0)
    return dict(kel), dict(kec)


def open_sweeps(session: Session, office_id: int) -> dict[int, str]:
    """Kelurahan id -> tracking code of an open sweep visit there."""
    rows = session.execute(
        select(models.ServiceRequest.kelurahan_id, models.ServiceRequest.tracking_code)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.channel == models.Channel.SWEEP.value,
            models.ServiceRequest.status.in_(OPEN_STATUSES),
            models.ServiceRequest.kelurahan_id.is_not(None),
        )
        .order_by(models.ServiceRequest.id)
    )
    out: dict[int, str] = {}
    for kel_id, code in rows:
        if kel_id is not None:
            out.setdefault(int(kel_id), code)
    return out


def _ranked(rows: list[AreaCoverage]) -> tuple[AreaCoverage, ...]:
    return tuple(sorted(rows, key=lambda a: (-a.remaining, -a.share, a.name)))


def coverage_report(
    session: Session, office: models.Office, *, until: dt.date | None = None
) -> CoverageReport:
    """The ranked coverage table of ``office`` from its latest import (empty without one).

    ``until``: use the latest import with figures as of that date or before.
    """
    imports = imports_until(session, office.id, until=until)
    if not imports:
        return CoverageReport(None, None, "", None, (), ())
    latest = imports[-1]
    previous = imports[-2] if len(imports) > 1 else None
    kels = session.scalars(
        select(models.Kelurahan).where(models.Kelurahan.region_slug == office.region_slug)
    ).all()
    kecs = {
        k.id: k
        for k in session.scalars(
            select(models.Kecamatan).where(models.Kecamatan.region_slug == office.region_slug)
        )
    }
    kel_rows = {k.id: k for k in kels}
    kel_to_kec = {k.id: k.kecamatan_id for k in kels}
    # The picture: every area's newest figures (a file with a few areas updates only those);
    # the change: against the picture before the latest file, for the areas it covers.
    now_kel, now_kec, dated = _by_area(imports, kel_to_kec)
    before_kel, before_kec, _ = _by_area(imports[:-1], kel_to_kec)
    in_latest_kel = {c.kelurahan_id for c in latest.counts if c.kelurahan_id is not None}
    in_latest_kec = {c.kecamatan_id for c in latest.counts if c.kecamatan_id is not None}
    in_latest_kec |= {kel_to_kec[k] for k in in_latest_kel if k in kel_to_kec}
    # Persons recorded by outreach since each area's own figures date.
    since_by_date = {
        day: recorded_by_outreach(session, office.id, day)
        for day in {latest.as_of, *dated.values()}
    }
    since_kel = {k: since_by_date[dated[k]][0].get(k, 0) for k in now_kel}
    since_kec: dict[int, int] = {}
    for kec_id in now_kec:
        members = [k for k in now_kel if kel_to_kec.get(k) == kec_id]
        since_kec[kec_id] = (
            sum(since_kel[k] for k in members)
            if members
            else since_by_date[latest.as_of][1].get(kec_id, 0)
        )
    sweeps = open_sweeps(session, office.id)

    def same(kec_id: int) -> bool:
        def members(counts: dict[int, _Counts]) -> set[int]:
            return {k for k in counts if kel_to_kec[k] == kec_id}

        return members(now_kel) == members(before_kel)

    def change(now: _Counts, before: _Counts | None) -> int | None:
        return None if before is None else now.not_recorded - before.not_recorded

    kelurahan = [
        AreaCoverage(
            level=KELURAHAN,
            area_id=kel_id,
            code=kel_rows[kel_id].code,
            name=kel_rows[kel_id].name,
            kecamatan=kecs[kel_to_kec[kel_id]].name,
            wajib_ktp=c.wajib_ktp,
            recorded=c.recorded,
            not_recorded=c.not_recorded,
            first_time=c.first_time,
            change=change(c, before_kel.get(kel_id)) if kel_id in in_latest_kel else None,
            recorded_since=since_kel.get(kel_id, 0),
            open_sweep=sweeps.get(kel_id),
        )
        for kel_id, c in now_kel.items()
        if kel_id in kel_rows
    ]
    kecamatan = [
        AreaCoverage(
            level=KECAMATAN,
            area_id=kec_id,
            code=kecs[kec_id].code,
            name=kecs[kec_id].name,
            kecamatan=kecs[kec_id].name,
            wajib_ktp=c.wajib_ktp,
            recorded=c.recorded,
            not_recorded=c.not_recorded,
            first_time=c.first_time,
            # Compared only when both imports cover the same kelurahan of the kecamatan.
            change=(
                change(c, before_kec.get(kec_id))
                if same(kec_id) and kec_id in in_latest_kec
                else None
            ),
            recorded_since=since_kec.get(kec_id, 0),
        )
        for kec_id, c in now_kec.items()
        if kec_id in kecs
    ]
    return CoverageReport(
        import_id=latest.id,
        as_of=latest.as_of,
        file_name=latest.file_name,
        previous_as_of=previous.as_of if previous else None,
        kelurahan=_ranked(kelurahan),
        kecamatan=_ranked(kecamatan),
        areas_in_latest=len(in_latest_kel) or len(in_latest_kec),
        areas_from_earlier=(
            len(set(now_kel) - in_latest_kel)
            if in_latest_kel
            else len(set(now_kec) - in_latest_kec)
        ),
    )
