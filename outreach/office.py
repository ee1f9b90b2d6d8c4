"""Setting up an office: its depot, working hours and capacity, and its teams.

Services here take a session and plain values, change rows and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shapely import wkt
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError, OutreachError

WEEKDAYS = {"senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5, "minggu": 6}


def parse_time(value: str) -> dt.time:
    """Read ``HH:MM`` (also ``H.MM``, as often written in Indonesia).

    Raises
    ------
    OutreachError
        When the text is not a time of day.
    """
    text = value.strip().replace(".", ":")
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError as exc:
        msg = f"Not a time of day (HH:MM): {value!r}"
        raise OutreachError(msg) from exc


def parse_time_range(value: str) -> tuple[dt.time, dt.time]:
    """Read ``HH:MM-HH:MM``; the end must be after the start."""
    parts = value.split("-")
    if len(parts) != 2:
        msg = f"Not a time range (HH:MM-HH:MM): {value!r}"
        raise OutreachError(msg)
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if end <= start:
        msg = f"Time range ends before it starts: {value!r}"
        raise OutreachError(msg)
    return start, end


def parse_lonlat(value: str) -> tuple[float, float]:
    """Read ``LON,LAT`` in degrees (EPSG:4326)."""
    try:
        lon_s, lat_s = value.split(",")
        lon, lat = float(lon_s), float(lat_s)
    except ValueError as exc:
        msg = f"Not a LON,LAT pair: {value!r}"
        raise OutreachError(msg) from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"LON,LAT out of range: {value!r}"
        raise OutreachError(msg)
    return lon, lat


def get_office(session: Session) -> models.Office:
    """Return the office (one office per deployment).

    Raises
    ------
    NotFoundError
        When no office is set up yet.
    """
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    if office is None:
        msg = "No office is set up yet: run `outreach office set` (or `outreach seed-demo`)."
        raise NotFoundError(msg)
    return office


def configure_office(
    session: Session,
    *,
    name: str,
    region_slug: str,
    depot: tuple[float, float],
    address: str = "",
    work_hours: tuple[dt.time, dt.time] | None = None,
    sync_deadline: dt.time | None = None,
    daily_card_capacity: int | None = None,
    printers: int | None = None,
) -> models.Office:
    """Create the office or update it.

    Parameters
    ----------
    session
        Database session (not committed here).
    name
        E.g. "Disdukcapil Kota Yogyakarta".
    region_slug
        A region pack already imported (``outreach region import``).
    depot
        ``(lon, lat)`` of the office, where teams start, end and sync; must lie in the region.
    address, work_hours, sync_deadline, daily_card_capacity, printers
        Left unchanged when None.

    Raises
    ------
    NotFoundError
        When the region has not been imported.
    OutreachError
        When the depot lies outside the region or a value is out of range.
    """
    region = session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == region_slug)
    )
    if region is None:
        msg = f"Region {region_slug!r} is not imported: run `outreach region import {region_slug}`."
        raise NotFoundError(msg)
    # 2 km of slack: an office may sit just across the kota line.
    boundary = wkt.loads(region.boundary_wkt)
    if boundary.distance(Point(depot)) > 0.02:
        msg = f"Depot {depot[0]:.5f},{depot[1]:.5f} lies outside {region.name}."
        raise OutreachError(msg)
    if daily_card_capacity is not None and daily_card_capacity < 1:
        msg = "Daily card capacity must be at least 1."
        raise OutreachError(msg)
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    if office is None:
        office = models.Office(name=name, region_slug=region_slug, region_code=region.code)
        session.add(office)
    office.name = name
    office.region_slug = region_slug
    office.region_code = region.code
    office.depot_lon, office.depot_lat = depot
    if address:
        office.address = address
    if work_hours is not None:
        office.work_start, office.work_end = work_hours
    if sync_deadline is not None:
        office.sync_deadline = sync_deadline
    if daily_card_capacity is not None:
        office.daily_card_capacity = daily_card_capacity
    if printers is not None:
        office.printers = printers
    session.flush()
    return office


def _span(span: tuple[dt.time, dt.time] | None) -> list[str]:
    """A shift as stored in Team.shift_by_weekday; [] means a day off."""
    return [span[0].strftime("%H:%M"), span[1].strftime("%H:%M")] if span else []


def save_team(
    session: Session,
    office: models.Office,
    *,
    name: str,
    skills: Sequence[str],
    members: Sequence[str] = (),
    shift: tuple[dt.time, dt.time] | None = None,
    weekday_shifts: dict[int, tuple[dt.time, dt.time] | None] | None = None,
    max_stops: int | None = None,
    start: tuple[float, float] | None = None,
) -> models.Team:
    """Create a team or update the one with the same name.

    Parameters
    ----------
    session
        Database session (not committed here).
    office
        The team's office.
    name
        Unique within the office; saving an existing name updates that team.
    skills
        Service values (``perekaman_ktp``, ``kia``...) and traits (``petugas_perempuan``...).
    members
        Names of the officers.
    shift
        Default shift; the office's working hours when None.
    weekday_shifts
        Per weekday (0 = Monday) a shift, or None for a day off.
    max_stops
        Most visits a day, or None for no limit.
    start
        Own start point ``(lon, lat)``; None starts at the office.

    Raises
    ------
    OutreachError
        On an unknown skill or an empty name.
    """
    if not name.strip():
        msg = "A team needs a name."
        raise OutreachError(msg)
    allowed = {s.value for s in models.Service} | {t.value for t in models.Trait}
    unknown = sorted(set(skills) - allowed)
    if unknown:
        msg = f"Unknown skill(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}."
        raise OutreachError(msg)
    team = session.scalar(
        select(models.Team).where(models.Team.office_id == office.id, models.Team.name == name)
    )
    if team is None:
        team = models.Team(office_id=office.id, name=name)
        session.add(team)
    team.skills = sorted(set(skills))
    team.members = list(members)
    team.shift_start, team.shift_end = shift or (office.work_start, office.work_end)
    if weekday_shifts is not None:
        team.shift_by_weekday = {str(day): _span(span) for day, span in weekday_shifts.items()}
    team.max_stops = max_stops
    team.start_lon, team.start_lat = start if start else (None, None)
    session.flush()
    return team
