"""Sweep visits ("penyisiran"): collective visits where most residents are still unrecorded.

:func:`create_sweeps` turns the N kelurahan with the largest remaining gap (see
:mod:`outreach.coverage.ranking`) into one collective request each, which the planner plans
with the home visits (a big one is split into parts, :mod:`outreach.planning.split`).

Expected persons (the documented rule)
    ``ceil(SWEEP_TURNOUT x remaining gap)``: a quarter of the residents still unrecorded come
    when the kelurahan announces the day through its RT/RW, capped by the office's daily card
    capacity (``Office.daily_card_capacity``: the printers cannot do more in a day). At least 1.

Where
    When the region pack carries OSM amenities (``places.geojson``,
    :mod:`outreach.coverage.public_places`), a sweep is placed at the kelurahan's best public
    place: its office, else a community hall, a mosque or a school inside the kelurahan; the
    street line is that place's name, the location source ``imported`` and the point still to
    be confirmed by the coordinator. Otherwise (the shared packs carry none) it is placed at the
    kelurahan's representative point snapped to the nearest road when a road model is given;
    its location source is ``kelurahan`` (the request page asks the coordinator to confirm it,
    and the point can be moved there to the hall actually used). Its street then reads "Tempat
    belum ditentukan (titik tengah kelurahan)" (:func:`sweep_street`).

A kelurahan that already has an open sweep (baru, terverifikasi, terjadwal) is skipped, so
running the command twice creates nothing new.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.coverage.public_places import KINDS as PLACE_WORDS
from outreach.coverage.public_places import PublicPlace, best_place, street_of
from outreach.coverage.ranking import AreaCoverage, coverage_report
from outreach.domain import SnappedPoint
from outreach.errors import OutreachError
from outreach.intake.audit import record_event
from outreach.intake.dedupe import OPEN_STATUSES
from outreach.intake.services import new_tracking_code
from outreach.planning.reasons import title
from outreach.render.style import MONTHS_ID, WEEKDAYS_ID

SWEEP_TURNOUT = 0.25
SWEEP_SERVICES = (models.Service.PEREKAMAN_KTP.value,)
MAX_TOP = 100


@runtime_checkable
class Snapper(Protocol):
    """A road model that places a point on the nearest road (``RoadNetwork``)."""

    def snap(self, lon: float, lat: float) -> SnappedPoint:
        """The point on the nearest road (``fallback`` True: no road near)."""


class CoverageError(OutreachError):
    """Sweeps cannot be made (no coverage import, a bad number)."""


@dataclass(frozen=True)
class SweepResult:
    """One area of the top N: the sweep made, or why not."""

    kelurahan: str
    remaining: int
    persons: int
    tracking_code: str
    created: bool  # False: an open sweep was there already (tracking_code is that one's)


def sweep_persons(remaining: int, capacity: int) -> int:
    """Expected turnout of a sweep for a gap of ``remaining`` (0 when there is no gap)."""
    if remaining <= 0:
        return 0
    return max(1, min(math.ceil(SWEEP_TURNOUT * remaining), max(1, capacity)))


def _place_name(kel: models.Kelurahan) -> str:
    return f"{'Desa' if kel.jenis == 'desa' else 'Kel.'} {kel.name}"


def sweep_street(kel: models.Kelurahan) -> str:
    """The street line of a sweep with no place yet: it says so, and where the point is.

    It does not name a building (the point is the kelurahan's centre on the nearest road, not
    its office, so a team must not drive there believing it is) nor repeat the kelurahan's
    name: every address line adds it (``Kel. Kricak``) and the route sheet the kecamatan, so a
    stop reads "Tempat belum ditentukan (titik tengah kelurahan), Kel. Kricak, Kec. Tegalrejo".
    The coordinator replaces it with the hall actually used when moving the point.
    """
    area = "desa" if kel.jenis == "desa" else "kelurahan"
    return f"Tempat belum ditentukan (titik tengah {area})"


def create_sweeps(
    session: Session,
    office: models.Office,
    *,
    top: int,
    actor: str,
    travel: Snapper | None = None,
    until: dt.date | None = None,
    places: Sequence[PublicPlace] = (),
) -> list[SweepResult]:
    """Make a sweep visit for each of the ``top`` kelurahan with the largest remaining gap.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    office
        The office; its latest coverage import ranks the areas.
    top
        How many areas (1 to :data:`MAX_TOP`).
    actor
        Who asks (audit trail).
    travel
        The office's road model: the kelurahan's point is snapped to the nearest road.
    until
        Rank by the latest import as of that date or before (default: the latest import).
    places
        The region's public places (:func:`~outreach.coverage.public_places.region_places`);
        empty: every sweep at its kelurahan's point.

    Raises
    ------
    CoverageError
        No coverage import yet, or ``top`` out of range.
    """
    if not 1 <= top <= MAX_TOP:
        raise CoverageError(f"Jumlah kelurahan harus 1 sampai {MAX_TOP}.")
    report = coverage_report(session, office, until=until)
    if report.as_of is None:
        raise CoverageError("Belum ada data cakupan: impor berkas cakupan terlebih dahulu.")
    areas = [a for a in report.kelurahan if a.remaining > 0][:top]
    results: list[SweepResult] = []
    now = models.utcnow()
    for area in areas:
        persons = sweep_persons(area.remaining, office.daily_card_capacity)
        if area.open_sweep is not None:
            results.append(
                SweepResult(area.name, area.remaining, persons, area.open_sweep, created=False)
            )
            continue
        request = _sweep_request(session, office, area, persons, report.as_of, report.file_name)
        request.created_at = request.updated_at = request.verified_at = now
        request.tracking_code = new_tracking_code(session)
        place = _place_for(session, area, places)
        if place is not None:
            request.lon, request.lat = place.lon, place.lat
            request.address_street = street_of(place)[:200]
            request.landmark = (
                f"Tempat dari peta OSM ({dict(PLACE_WORDS)[place.kind].lower()}): "
                "pastikan dengan kelurahan, geser bila kegiatan di tempat lain"
            )
            request.location_source = models.LocationSource.IMPORTED.value
        elif travel is not None and request.lon is not None and request.lat is not None:
            snapped = travel.snap(request.lon, request.lat)
            if not snapped.fallback:
                request.lon, request.lat = snapped.lon, snapped.lat
        session.add(request)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="coverage.sweep",
            entity="service_request",
            entity_id=request.id,
            detail={
                "tracking_code": request.tracking_code,
                "kelurahan": area.code,
                "persons": persons,
                "coverage_import": report.import_id,
            },
        )
        results.append(SweepResult(area.name, area.remaining, persons, request.tracking_code, True))
    return results


def _place_for(
    session: Session, area: AreaCoverage, places: Sequence[PublicPlace]
) -> PublicPlace | None:
    if not places:
        return None
    kel = session.get(models.Kelurahan, area.area_id)
    if kel is None:
        return None
    return best_place(
        places,
        boundary_wkt=kel.geometry_wkt,
        rep_point=(kel.rep_lon, kel.rep_lat),
        area_name=kel.name,
    )


def _sweep_request(
    session: Session,
    office: models.Office,
    area: AreaCoverage,
    persons: int,
    as_of: dt.date,
    file_name: str,
) -> models.ServiceRequest:
    kel = session.get(models.Kelurahan, area.area_id)
    assert kel is not None
    place = _place_name(kel)
    day = f"{as_of:%d-%m-%Y}"
    return models.ServiceRequest(
        office_id=office.id,
        channel=models.Channel.SWEEP.value,
        category=models.Category.KOLEKTIF.value,
        services=list(SWEEP_SERVICES),
        description=(
            f"Penyisiran perekaman e-KTP di {place}: {area.not_recorded} dari {area.wajib_ktp} "
            f"wajib KTP belum rekam (data cakupan per {day}, berkas {file_name or '-'}); "
            f"direkam jemput bola sejak itu: {area.recorded_since}. Perkiraan hadir {persons} "
            f"orang ({round(SWEEP_TURNOUT * 100)}% dari sisa {area.remaining}, paling banyak "
            f"{office.daily_card_capacity} sehari)."
        ),
        applicant_name=office.name,
        applicant_relation="penyisiran",
        person_name=f"Jemput bola {place}",
        address_street=sweep_street(kel),
        landmark="Tempat kegiatan belum dipastikan: tanyakan koordinator sebelum berangkat",
        kecamatan_id=kel.kecamatan_id,
        kelurahan_id=kel.id,
        lon=kel.rep_lon,
        lat=kel.rep_lat,
        location_source=models.LocationSource.KELURAHAN.value,
        location_confirmed=False,
        persons=persons,
        consent=True,
        status=models.RequestStatus.TERVERIFIKASI.value,
    )


# --- the plan's summary ----------------------------------------------------------------------


def _day(day: dt.date) -> str:
    return f"{WEEKDAYS_ID[day.weekday()]} {day.day} {MONTHS_ID[day.month - 1]}"


def _area_name(req: models.ServiceRequest) -> str:
    return req.kelurahan.name if req.kelurahan else req.person_name


def sweep_lines(session: Session, plan: models.Plan) -> list[str]:
    """What the plan does with sweep visits, one line each (for the ``plan`` command).

    ``Penyisiran: Baciro (Senin 7 Des, 32 orang)``; a sweep split over days lists each day
    (parts on the same day are added up); a sweep left out (or a part of it) is named with
    the reason.
    """
    by_request: dict[int, dict[dt.date, int]] = {}
    names: dict[int, str] = {}
    for route in plan.routes:
        for stop in route.stops:
            req = stop.request
            if req.channel != models.Channel.SWEEP.value:
                continue
            names[req.id] = _area_name(req)
            persons = stop.persons if stop.persons is not None else req.persons
            days = by_request.setdefault(req.id, {})
            days[route.route_date] = days.get(route.route_date, 0) + int(persons or 0)
    left: dict[int, str] = {}  # request id -> reason of its first part left out
    for u in plan.unassigned:
        left.setdefault(u.request_id, u.reason)
    left_sweeps = (
        session.scalars(
            select(models.ServiceRequest).where(
                models.ServiceRequest.id.in_(sorted(left)),
                models.ServiceRequest.channel == models.Channel.SWEEP.value,
            )
        ).all()
        if left
        else []
    )
    lines = []
    for req_id, days in sorted(by_request.items(), key=lambda kv: (min(kv[1]), kv[0])):
        when = "; ".join(f"{_day(d)}, {n} orang" for d, n in sorted(days.items()))
        rest = f"; sisanya belum terjadwal: {title(left[req_id])}" if req_id in left else ""
        lines.append(f"Penyisiran: {names[req_id]} ({when}{rest})")
    lines.extend(
        f"Penyisiran belum terjadwal: {_area_name(r)} ({title(left[r.id])})"
        for r in sorted(left_sweeps, key=_area_name)
        if r.id not in by_request
    )
    return lines


def open_sweep_requests(session: Session, office_id: int) -> Sequence[models.ServiceRequest]:
    """The office's open sweep visits, newest first."""
    return session.scalars(
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.channel == models.Channel.SWEEP.value,
            models.ServiceRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(models.ServiceRequest.id.desc())
    ).all()
