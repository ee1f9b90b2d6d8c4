"""Setting up an office: its depot, working hours and capacity, and its teams.

Services here take a session and plain values, change rows and never commit. The CLI
(``outreach office set``, ``outreach team add``) and the settings pages on the web
(:mod:`outreach.web.admin`) call the same functions, so both apply the same rules. Error
messages are Indonesian: they are shown to staff as they are. A :class:`SettingsError` names
the form field it is about; the ``read_*_form`` / ``save_*_form`` pairs turn a submitted form
into values, collecting every field's error at once (:class:`FormError`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from shapely import wkt
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError, OutreachError

WEEKDAYS = {"senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5, "minggu": 6}
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
#: Weekdays with home visits unless the office says otherwise: Monday to Friday.
#: An office's depot (or a team's start) may sit this far (degrees, ~2 km) outside its region.
REGION_SLACK_DEG = 0.02
MAX_TEAM_STOPS = 100
MAX_COLLECTIVE_PERSONS = 1000
#: Longest lunch or Friday-prayer break an office may set (minutes; 0 = no such break).
MAX_BREAK_MINUTES = 240
#: Break lengths the planner uses when the office has not set them (planning.records.rules_for).
DEFAULT_LUNCH_MINUTES = 60
DEFAULT_FRIDAY_BREAK_MINUTES = 90


class SettingsError(OutreachError):
    """A setting of the office or a team is not acceptable; ``field`` names the form field."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class FormError(OutreachError):
    """A submitted form has errors: ``errors`` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


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
        msg = f"Bukan jam yang sah (JJ:MM): {value!r}."
        raise OutreachError(msg) from exc


def parse_time_range(value: str) -> tuple[dt.time, dt.time]:
    """Read ``HH:MM-HH:MM``; the end must be after the start."""
    parts = value.split("-")
    if len(parts) != 2:
        msg = f"Bukan rentang jam (JJ:MM-JJ:MM): {value!r}."
        raise OutreachError(msg)
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if end <= start:
        msg = f"Jam selesai harus sesudah jam mulai: {value!r}."
        raise OutreachError(msg)
    return start, end


def parse_lonlat(value: str) -> tuple[float, float]:
    """Read ``LON,LAT`` in degrees (EPSG:4326)."""
    try:
        lon_s, lat_s = value.split(",")
        lon, lat = float(lon_s), float(lat_s)
    except ValueError as exc:
        msg = f"Bukan pasangan bujur,lintang (LON,LAT): {value!r}."
        raise OutreachError(msg) from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"Bujur/lintang (LON,LAT) di luar jangkauan: {value!r}."
        raise OutreachError(msg)
    return lon, lat


def get_office(session: Session) -> models.Office:
    """Return the office ``session`` works for.

    A session scoped to an office (a signed-in user, a CLI command given ``--office``, a
    public page under its office's path: :func:`outreach.db.scope_to_office`) sees that
    office only. An unscoped session gets the first office: callers that may run with
    several offices use :func:`select_office` instead.

    Raises
    ------
    NotFoundError
        When no office is set up yet.
    """
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    if office is None:
        msg = "Kantor belum diatur: jalankan `outreach office set` (atau `outreach seed-demo`)."
        raise NotFoundError(msg)
    return office


def list_offices(session: Session) -> list[models.Office]:
    """Every office the session may see, in id order."""
    return list(session.scalars(select(models.Office).order_by(models.Office.id)))


def select_office(session: Session, office_id: int | None) -> models.Office:
    """The office ``office_id``, or the only office when it is None.

    Raises
    ------
    NotFoundError
        When ``office_id`` is not an office, or no office is set up yet.
    OutreachError
        When ``office_id`` is None and there is more than one office (the command must say
        which: ``--office ID``).
    """
    if office_id is not None:
        office = session.get(models.Office, office_id)
        if office is None:
            msg = f"Kantor #{office_id} tidak ada (lihat `outreach office list`)."
            raise NotFoundError(msg)
        return office
    offices = list_offices(session)
    if len(offices) > 1:
        ids = ", ".join(f"{o.id} ({o.name})" for o in offices)
        msg = f"Ada {len(offices)} kantor: pilih satu dengan --office ID: {ids}."
        raise OutreachError(msg)
    return get_office(session)


def office_for_region(session: Session, region_slug: str) -> models.Office | None:
    """The office serving the region ``region_slug`` (its public pages' path), if any."""
    return session.scalar(
        select(models.Office)
        .where(models.Office.region_slug == region_slug)
        .order_by(models.Office.id)
    )


def working_weekdays(office: models.Office) -> list[int]:
    """Weekdays (0 = Monday) with home visits, as the planner reads them (Mon-Fri if unset).

    See :func:`outreach.planning.records.office_weekdays` (never Sunday).
    """
    from outreach.planning.records import office_weekdays

    return sorted(office_weekdays(office))


def collective_max_persons(office: models.Office) -> int:
    """The largest collective visit part (``settings["planning"]["collective_max_persons"]``)."""
    from outreach.planning.records import service_params

    return service_params(office).collective_max_persons


def _region(session: Session, slug: str) -> models.RegionImport | None:
    return session.scalar(select(models.RegionImport).where(models.RegionImport.slug == slug))


def _check_in_region(
    region: models.RegionImport, point: tuple[float, float], *, field: str, what: str
) -> None:
    # Some slack: an office may sit just across the kota line.
    if wkt.loads(region.boundary_wkt).distance(Point(point)) > REGION_SLACK_DEG:
        msg = f"{what} {point[0]:.5f},{point[1]:.5f} berada di luar wilayah {region.name}."
        raise SettingsError(msg, field=field)


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
    working_weekdays: Sequence[int] | None = None,
    collective_max_persons: int | None = None,
    lunch_minutes: int | None = None,
    friday_break_minutes: int | None = None,
    office: models.Office | None = None,
    new: bool = False,
) -> models.Office:
    """Create the office or update it.

    Which office: ``office`` when given; a new one when ``new`` (``outreach office add``:
    it never renames another, refuses a name or a region another office already has);
    otherwise the only office, created when there is none (:func:`select_office` refuses
    to guess among several).

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
        Left unchanged when None (or an empty address).
    working_weekdays
        Weekdays (0 = Monday) with home visits, stored as ``settings["working_weekdays"]``;
        unchanged when None (default Monday to Friday, see :func:`working_weekdays`).
    collective_max_persons
        The largest part of a collective visit, ``settings["planning"]["collective_max_persons"]``;
        unchanged when None.
    lunch_minutes, friday_break_minutes
        Length of the lunch break and of the Friday-prayer break in minutes (0: none), stored
        as ``settings["lunch_minutes"]`` / ``settings["friday_break_minutes"]``; unchanged
        when None.
    office
        The office to update; None: the only office (created when there is none).
    new
        Create a new office (``outreach office add``) whatever others there are.

    Raises
    ------
    NotFoundError
        When the region has not been imported.
    SettingsError
        When the depot lies outside the region or a value is out of range.
    """
    region = _region(session, region_slug)
    if region is None:
        msg = (
            f"Wilayah {region_slug!r} belum diimpor: "
            f"jalankan `outreach region import {region_slug}`."
        )
        raise NotFoundError(msg)
    if not name.strip():
        raise SettingsError("Nama kantor wajib diisi.", field="name")
    if len(name) > 200 or len(address) > 300:
        field = "name" if len(name) > 200 else "address"
        raise SettingsError("Isian terlalu panjang.", field=field)
    _check_in_region(region, depot, field="depot", what="Titik kantor")
    if daily_card_capacity is not None and daily_card_capacity < 1:
        msg = "Kapasitas cetak kartu per hari paling sedikit 1."
        raise SettingsError(msg, field="daily_card_capacity")
    if printers is not None and printers < 0:
        raise SettingsError("Jumlah printer tidak boleh negatif.", field="printers")
    if new:
        _check_new_office(session, name, region_slug)
    elif office is None and list_offices(session):
        office = select_office(session, None)
    start = work_hours[0] if work_hours else (office.work_start if office else dt.time(8))
    if sync_deadline is not None and sync_deadline <= start:
        msg = "Batas waktu sinkronisasi harus sesudah jam kerja mulai."
        raise SettingsError(msg, field="sync_deadline")
    days = None if working_weekdays is None else sorted(set(working_weekdays))
    if days is not None and (not days or not all(0 <= d <= 5 for d in days)):
        # Sunday is never a home-visit day (outreach.planning.calendar).
        msg = "Pilih sekurang-kurangnya satu hari kerja untuk kunjungan (Senin sampai Sabtu)."
        raise SettingsError(msg, field="working_weekdays")
    if collective_max_persons is not None and not (
        1 <= collective_max_persons <= MAX_COLLECTIVE_PERSONS
    ):
        msg = f"Bagian kunjungan kolektif terbesar harus 1 sampai {MAX_COLLECTIVE_PERSONS} orang."
        raise SettingsError(msg, field="collective_max_persons")
    for field, minutes in (
        ("lunch_minutes", lunch_minutes),
        ("friday_break_minutes", friday_break_minutes),
    ):
        if minutes is not None and not 0 <= minutes <= MAX_BREAK_MINUTES:
            msg = f"Lama istirahat harus 0 sampai {MAX_BREAK_MINUTES} menit."
            raise SettingsError(msg, field=field)
    if office is None:
        office = models.Office(name=name, region_slug=region_slug, region_code=region.code)
        session.add(office)
    office.name = name.strip()
    office.region_slug = region_slug
    office.region_code = region.code
    office.depot_lon, office.depot_lat = depot
    if address:
        office.address = address.strip()
    if work_hours is not None:
        office.work_start, office.work_end = work_hours
    if sync_deadline is not None:
        office.sync_deadline = sync_deadline
    if daily_card_capacity is not None:
        office.daily_card_capacity = daily_card_capacity
    if printers is not None:
        office.printers = printers
    breaks = {"lunch_minutes": lunch_minutes, "friday_break_minutes": friday_break_minutes}
    if any(v is not None for v in (days, collective_max_persons, *breaks.values())):
        # New dicts (not in-place changes) so SQLAlchemy sees the JSON column change.
        settings: dict[str, Any] = dict(office.settings or {})
        settings.update({key: value for key, value in breaks.items() if value is not None})
        if days is not None:
            settings["working_weekdays"] = days
        if collective_max_persons is not None:
            planning = dict(settings.get("planning") or {})
            planning["collective_max_persons"] = collective_max_persons
            settings["planning"] = planning
        office.settings = settings
    session.flush()
    return office


def set_far_trips(
    office: models.Office,
    *,
    far_trip_minutes: int | None = None,
    overnight_trips: bool | None = None,
) -> tuple[int, bool]:
    """Set the office's far-trip settings (``settings["planning"]``); None leaves one unchanged.

    ``far_trip_minutes``: one-way drive from the office above which a site is planned as a far
    trip (:mod:`outreach.planning.trips`). ``overnight_trips``: a far cluster a day trip cannot
    serve is planned as two consecutive days of one team with a night near the cluster.
    Returns the settings now in force.

    Raises
    ------
    SettingsError
        For minutes out of range.
    """
    from outreach.planning.trips import (
        MAX_FAR_TRIP_MINUTES,
        MIN_FAR_TRIP_MINUTES,
        far_trip_settings,
    )

    if far_trip_minutes is not None and not (
        MIN_FAR_TRIP_MINUTES <= far_trip_minutes <= MAX_FAR_TRIP_MINUTES
    ):
        msg = (
            f"Batas perjalanan jauh harus {MIN_FAR_TRIP_MINUTES} sampai "
            f"{MAX_FAR_TRIP_MINUTES} menit sekali jalan."
        )
        raise SettingsError(msg, field="far_trip_minutes")
    settings: dict[str, Any] = dict(office.settings or {})
    planning = dict(settings.get("planning") or {})
    if far_trip_minutes is not None:
        planning["far_trip_minutes"] = far_trip_minutes
    if overnight_trips is not None:
        planning["overnight_trips"] = bool(overnight_trips)
    settings["planning"] = planning
    office.settings = settings  # a new dict, so SQLAlchemy sees the JSON column change
    return far_trip_settings(settings)


def region_kelurahan(session: Session, region_slug: str) -> list[models.Kelurahan]:
    """The kelurahan / desa of a region, by name (for the "tanpa sinyal" form)."""
    query = select(models.Kelurahan).where(models.Kelurahan.region_slug == region_slug)
    return list(session.scalars(query.order_by(models.Kelurahan.name, models.Kelurahan.code)))


def set_no_signal(
    session: Session, code: str, on: bool, *, region_slug: str | None = None
) -> models.Kelurahan:
    """Mark a kelurahan (Kemendagri code) as without mobile signal ("tanpa sinyal") or not.

    Routes visiting it say so on the plan page and the route sheet. ``region_slug`` limits
    the search to one region (the web form: the office's own).

    Raises
    ------
    NotFoundError
        When no kelurahan has that code (in that region).
    """
    query = select(models.Kelurahan).where(models.Kelurahan.code == code.strip())
    if region_slug is not None:
        query = query.where(models.Kelurahan.region_slug == region_slug)
    kel = session.scalar(query)
    if kel is None:
        raise NotFoundError(f"Kelurahan/desa dengan kode {code.strip()!r} tidak ditemukan.")
    kel.no_signal = on
    session.flush()
    return kel


def _check_new_office(session: Session, name: str, region_slug: str) -> None:
    """A new office needs its own name and its own region (its public pages' path)."""
    for other in list_offices(session):
        if other.name.strip().casefold() == name.strip().casefold():
            msg = f"Sudah ada kantor bernama {other.name!r} (#{other.id}); pilih nama lain."
            raise SettingsError(msg, field="name")
        if other.region_slug == region_slug:
            msg = (
                f"Wilayah {region_slug!r} sudah dilayani kantor {other.name!r} (#{other.id}); "
                "ubah kantor itu dengan `outreach office set --office ID`."
            )
            raise SettingsError(msg, field="region")


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
    active: bool | None = None,
    team_id: int | None = None,
) -> models.Team:
    """Create a team or update one.

    Parameters
    ----------
    session
        Database session (not committed here).
    office
        The team's office.
    name
        Unique within the office; without ``team_id``, saving an existing name updates that
        team.
    skills
        Service values (``perekaman_ktp``, ``kia``...) and traits (``petugas_perempuan``...);
        at least one service.
    members
        Names of the officers.
    shift
        Default shift; the office's working hours when None.
    weekday_shifts
        Per weekday (0 = Monday) a shift, or None for a day off.
    max_stops
        Most visits a day (1 to 100), or None for no limit.
    start
        Own start point ``(lon, lat)`` inside the office's region; None starts at the office.
    active
        Whether the team is planned; unchanged when None (new teams are active).
    team_id
        The team to update (it may be renamed); None creates or updates by name.

    Raises
    ------
    NotFoundError
        When ``team_id`` is not a team of the office.
    SettingsError
        On an empty or taken name, an unknown skill, a shift ending before it starts, a
        start point outside the region or a maximum of stops out of range.
    """
    name = name.strip()
    if not name:
        raise SettingsError("Nama tim wajib diisi.", field="name")
    if len(name) > 100:
        raise SettingsError("Nama tim paling panjang 100 huruf.", field="name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise SettingsError("Nama tim berisi karakter yang tidak valid.", field="name")
    services = {s.value for s in models.Service}
    allowed = services | {t.value for t in models.Trait}
    unknown = sorted(set(skills) - allowed)
    if unknown:
        msg = (
            f"Keahlian tidak dikenal: {', '.join(unknown)}; "
            f"yang dikenal: {', '.join(sorted(allowed))}."
        )
        raise SettingsError(msg, field="skills")
    if not set(skills) & services:
        raise SettingsError("Pilih sekurang-kurangnya satu layanan tim.", field="skills")
    for day, span in sorted((weekday_shifts or {}).items()):
        if span is not None and span[1] <= span[0]:
            msg = f"{DAY_NAMES[day]}: jam selesai harus sesudah jam mulai."
            raise SettingsError(msg, field=f"shift-{day}")
    if shift is not None and shift[1] <= shift[0]:
        raise SettingsError("Jam selesai harus sesudah jam mulai.", field="shift")
    if max_stops is not None and not (1 <= max_stops <= MAX_TEAM_STOPS):
        msg = f"Kunjungan paling banyak per hari harus 1 sampai {MAX_TEAM_STOPS}."
        raise SettingsError(msg, field="max_stops")
    region = _region(session, office.region_slug)
    if start is not None and region is not None:
        _check_in_region(region, start, field="start", what="Titik berangkat")
    same_name = session.scalar(
        select(models.Team).where(models.Team.office_id == office.id, models.Team.name == name)
    )
    if team_id is None:
        team = same_name
    else:
        team = session.get(models.Team, team_id)
        if team is None or team.office_id != office.id:
            msg = f"Tim #{team_id} tidak ditemukan."
            raise NotFoundError(msg)
        if same_name is not None and same_name.id != team.id:
            raise SettingsError(f"Nama tim {name!r} sudah dipakai tim lain.", field="name")
    if team is None:
        team = models.Team(office_id=office.id, name=name, active=True)
        session.add(team)
    team.name = name
    team.skills = sorted(set(skills))
    team.members = [m.strip() for m in members if m.strip()]
    team.shift_start, team.shift_end = shift or (office.work_start, office.work_end)
    if weekday_shifts is not None:
        team.shift_by_weekday = {str(day): _span(span) for day, span in weekday_shifts.items()}
    team.max_stops = max_stops
    team.start_lon, team.start_lat = start if start else (None, None)
    if active is not None:
        team.active = active
    session.flush()
    return team


# --- forms: what a settings page shows and sends back ----------------------------------------

FormData = Mapping[str, Sequence[str]]


def _first(data: FormData, name: str) -> str:
    values = data.get(name) or [""]
    return str(values[0]).strip()


def _hhmm(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _read_int(
    text: str, *, field: str, label: str, errors: dict[str, str], low: int, high: int
) -> int | None:
    """An integer typed into ``field``; a message in ``errors`` when it is not one in range."""
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors[field] = f"{label} harus berupa bilangan bulat."
        return None
    if not low <= value <= high:
        errors[field] = f"{label} harus {low} sampai {high}."
        return None
    return value


def _read_time(text: str, *, field: str, label: str, errors: dict[str, str]) -> dt.time | None:
    if not text:
        errors.setdefault(field, f"{label} wajib diisi.")
        return None
    try:
        return parse_time(text)
    except OutreachError:
        errors.setdefault(field, f"{label}: bukan jam yang sah (JJ:MM), mis. 08:00.")
        return None


def _read_point(
    lon_text: str, lat_text: str, *, field: str, errors: dict[str, str]
) -> tuple[float, float] | None:
    if not lon_text and not lat_text:
        return None
    try:
        return parse_lonlat(f"{lon_text},{lat_text}")
    except OutreachError:
        errors[field] = "Titik di peta tidak sah: ketuk peta sekali lagi."
        return None


@dataclasses.dataclass
class ShiftDraft:
    """One weekday's shift as typed: on duty or not, from, until."""

    on: bool
    start: str
    end: str


@dataclasses.dataclass
class TeamForm:
    """A team's settings as shown in and sent back from its form (text as typed)."""

    name: str = ""
    members: str = ""  # one name per line
    skills: list[str] = dataclasses.field(default_factory=list)
    shifts: list[ShiftDraft] = dataclasses.field(default_factory=list)  # Monday first, 7 days
    max_stops: str = ""
    start_lon: str = ""
    start_lat: str = ""
    active: bool = True


def team_form(office: models.Office, team: models.Team | None = None) -> TeamForm:
    """The form of ``team`` (or of a new team: the office's hours on its working weekdays)."""
    if team is None:
        work = working_weekdays(office)
        start, end = _hhmm(office.work_start), _hhmm(office.work_end)
        return TeamForm(shifts=[ShiftDraft(day in work, start, end) for day in range(7)])
    shifts = []
    default = (_hhmm(team.shift_start), _hhmm(team.shift_end))
    for day in range(7):
        span = (team.shift_by_weekday or {}).get(str(day))
        if span is None:
            shifts.append(ShiftDraft(True, *default))
        elif not span:
            shifts.append(ShiftDraft(False, *default))
        else:
            shifts.append(ShiftDraft(True, str(span[0]), str(span[-1])))
    return TeamForm(
        name=team.name,
        members="\n".join(str(m) for m in team.members or ()),
        skills=[str(s) for s in team.skills or ()],
        shifts=shifts,
        max_stops="" if team.max_stops is None else str(team.max_stops),
        start_lon="" if team.start_lon is None else f"{team.start_lon:.6f}",
        start_lat="" if team.start_lat is None else f"{team.start_lat:.6f}",
        active=team.active,
    )


def read_team_form(data: FormData) -> TeamForm:
    """A submitted team form (``request.form.to_dict(flat=False)``), as typed."""
    return TeamForm(
        name=_first(data, "name"),
        members=_first(data, "members"),
        skills=[str(s) for s in data.get("skills") or ()],
        shifts=[
            ShiftDraft(
                bool(_first(data, f"shift-{day}-on")),
                _first(data, f"shift-{day}-start"),
                _first(data, f"shift-{day}-end"),
            )
            for day in range(7)
        ],
        max_stops=_first(data, "max_stops"),
        start_lon=_first(data, "start_lon"),
        start_lat=_first(data, "start_lat"),
        active=bool(_first(data, "active")),
    )


def save_team_form(
    session: Session, office: models.Office, form: TeamForm, *, team_id: int | None = None
) -> models.Team:
    """Check ``form`` and save it with :func:`save_team` (a new team when ``team_id`` is None).

    Raises
    ------
    FormError
        With a message for every field that is wrong; nothing is changed then.
    NotFoundError
        When ``team_id`` is not a team of the office.
    """
    errors: dict[str, str] = {}
    weekday_shifts: dict[int, tuple[dt.time, dt.time] | None] = {}
    for day, draft in enumerate(form.shifts[:7]):
        if not draft.on:
            weekday_shifts[day] = None
            continue
        field, label = f"shift-{day}", DAY_NAMES[day]
        start = _read_time(draft.start, field=field, label=f"{label}: jam mulai", errors=errors)
        end = _read_time(draft.end, field=field, label=f"{label}: jam selesai", errors=errors)
        if start is not None and end is not None:
            if end <= start:
                errors[field] = f"{label}: jam selesai harus sesudah jam mulai."
            weekday_shifts[day] = (start, end)
    on_duty = [span for span in weekday_shifts.values() if span is not None]
    if len(form.shifts) == 7 and not any(d.on for d in form.shifts):
        errors["shift-0"] = "Tim harus bertugas sekurang-kurangnya satu hari dalam seminggu."
    label = "Kunjungan paling banyak per hari"
    max_stops = _read_int(
        form.max_stops, field="max_stops", label=label, errors=errors, low=1, high=MAX_TEAM_STOPS
    )
    start_point = _read_point(form.start_lon, form.start_lat, field="start", errors=errors)
    if team_id is None and any(
        t.name.strip().casefold() == form.name.strip().casefold() for t in office.teams
    ):
        # A new team never overwrites one of the same name (the CLI's "team add" updates).
        errors["name"] = "Nama tim itu sudah dipakai; pilih nama lain atau ubah tim tersebut."
    members = form.members.splitlines()
    if len(form.members) > 2000 or any(len(m) > 100 for m in members):
        errors["members"] = "Anggota: satu nama per baris, paling panjang 100 huruf per nama."
    if not errors:
        # The usual shift (the first day on duty) also stands for days without an override.
        try:
            return save_team(
                session,
                office,
                name=form.name,
                skills=form.skills,
                members=members,
                shift=on_duty[0] if on_duty else None,
                weekday_shifts=weekday_shifts,
                max_stops=max_stops,
                start=start_point,
                active=form.active,
                team_id=team_id,
            )
        except SettingsError as exc:
            errors[exc.field or "form"] = str(exc)
    if not form.name.strip():
        errors.setdefault("name", "Nama tim wajib diisi.")
    raise FormError(errors)


@dataclasses.dataclass
class OfficeForm:
    """The office's settings as shown in and sent back from its form (text as typed)."""

    name: str = ""
    address: str = ""
    depot_lon: str = ""
    depot_lat: str = ""
    work_start: str = ""
    work_end: str = ""
    sync_deadline: str = ""
    daily_card_capacity: str = ""
    printers: str = ""
    working_weekdays: list[int] = dataclasses.field(default_factory=list)
    collective_max_persons: str = ""
    lunch_minutes: str = ""
    friday_break_minutes: str = ""
    solver_budget_s: str = ""


def office_form(office: models.Office) -> OfficeForm:
    """The form of the office as it is stored."""
    return OfficeForm(
        name=office.name,
        address=office.address or "",
        depot_lon=f"{office.depot_lon:.6f}",
        depot_lat=f"{office.depot_lat:.6f}",
        work_start=_hhmm(office.work_start),
        work_end=_hhmm(office.work_end),
        sync_deadline=_hhmm(office.sync_deadline),
        daily_card_capacity=str(office.daily_card_capacity),
        printers=str(office.printers),
        working_weekdays=working_weekdays(office),
        collective_max_persons=str(collective_max_persons(office)),
        lunch_minutes=str(_break_minutes(office, "lunch_minutes", DEFAULT_LUNCH_MINUTES)),
        friday_break_minutes=str(
            _break_minutes(office, "friday_break_minutes", DEFAULT_FRIDAY_BREAK_MINUTES)
        ),
        solver_budget_s=str(solver_budget(office)),
    )


#: The most seconds of solving per planned day an office may ask for.
MAX_SOLVER_BUDGET_S = 30


def solver_budget(office: models.Office) -> int:
    """Seconds of solving per day planned (``settings["planning"]["solver_budget_s"]``, 0-30).

    0 (the default): VROOM alone; more: the budgeted portfolio
    (:mod:`outreach.planning.portfolio`).
    """
    planning = (office.settings or {}).get("planning") or {}
    value = planning.get("solver_budget_s") if isinstance(planning, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(min(MAX_SOLVER_BUDGET_S, max(0, value)))


def set_solver_budget(office: models.Office, seconds: int) -> None:
    """Store the seconds of solving per day planned (0-30; ValueError outside)."""
    if not 0 <= seconds <= MAX_SOLVER_BUDGET_S:
        msg = f"solver budget must be 0-{MAX_SOLVER_BUDGET_S} s, not {seconds}"
        raise ValueError(msg)
    settings: dict[str, Any] = dict(office.settings or {})
    settings["planning"] = {**dict(settings.get("planning") or {}), "solver_budget_s": seconds}
    office.settings = settings


def _break_minutes(office: models.Office, key: str, default: int) -> int:
    """A break length as stored in the office's settings (``default`` when unset)."""
    value = (office.settings or {}).get(key)
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal():
        return default
    return int(text)


def read_office_form(data: FormData) -> OfficeForm:
    """A submitted office form (``request.form.to_dict(flat=False)``), as typed."""
    days = sorted({int(d) for d in data.get("working_weekdays") or () if str(d) in set("012345")})
    return OfficeForm(
        **{
            f.name: _first(data, f.name)
            for f in dataclasses.fields(OfficeForm)
            if f.name != "working_weekdays"
        },
        working_weekdays=days,
    )


def save_office_form(session: Session, office: models.Office, form: OfficeForm) -> models.Office:
    """Check ``form`` and save it with :func:`configure_office` (same region).

    Raises
    ------
    FormError
        With a message for every field that is wrong; nothing is changed then.
    """
    errors: dict[str, str] = {}
    start = _read_time(form.work_start, field="work_hours", label="Jam kerja mulai", errors=errors)
    end = _read_time(form.work_end, field="work_hours", label="Jam kerja selesai", errors=errors)
    if start is not None and end is not None and end <= start:
        errors["work_hours"] = "Jam kerja selesai harus sesudah jam mulai."
    label = "Batas waktu sinkronisasi"
    sync = _read_time(form.sync_deadline, field="sync_deadline", label=label, errors=errors)
    if sync is not None and end is not None and sync < end and "sync_deadline" not in errors:
        errors["sync_deadline"] = "Batas waktu sinkronisasi tidak boleh sebelum jam kerja selesai."
    capacity = _read_int(
        form.daily_card_capacity,
        field="daily_card_capacity",
        label="Kapasitas cetak kartu per hari",
        errors=errors,
        low=1,
        high=100_000,
    )
    printers = _read_int(
        form.printers, field="printers", label="Jumlah printer", errors=errors, low=0, high=100
    )
    biggest = _read_int(
        form.collective_max_persons,
        field="collective_max_persons",
        label="Bagian kunjungan kolektif terbesar",
        errors=errors,
        low=1,
        high=MAX_COLLECTIVE_PERSONS,
    )
    breaks: dict[str, int | None] = {}
    for field, text, label in (
        ("lunch_minutes", form.lunch_minutes, "Lama istirahat siang"),
        ("friday_break_minutes", form.friday_break_minutes, "Lama istirahat salat Jumat"),
    ):
        breaks[field] = _read_int(
            text, field=field, label=label, errors=errors, low=0, high=MAX_BREAK_MINUTES
        )
    budget = _read_int(
        form.solver_budget_s or "0",
        field="solver_budget_s",
        label="Waktu penyusunan rute per hari",
        errors=errors,
        low=0,
        high=MAX_SOLVER_BUDGET_S,
    )
    for field, text in (
        ("daily_card_capacity", form.daily_card_capacity),
        ("printers", form.printers),
        ("collective_max_persons", form.collective_max_persons),
    ):
        if not text:
            errors.setdefault(field, "Wajib diisi.")
    depot = _read_point(form.depot_lon, form.depot_lat, field="depot", errors=errors)
    if depot is None:
        errors.setdefault("depot", "Tandai titik kantor di peta.")
    if not form.working_weekdays:
        errors["working_weekdays"] = "Pilih sekurang-kurangnya satu hari kerja untuk kunjungan."
    if not form.name.strip():
        errors["name"] = "Nama kantor wajib diisi."
    if not errors and depot is not None and start is not None and end is not None:
        try:
            saved = configure_office(
                session,
                office=office,
                name=form.name,
                region_slug=office.region_slug,
                depot=depot,
                address=form.address,
                work_hours=(start, end),
                sync_deadline=sync,
                daily_card_capacity=capacity,
                printers=printers,
                working_weekdays=form.working_weekdays,
                collective_max_persons=biggest,
                lunch_minutes=breaks["lunch_minutes"],
                friday_break_minutes=breaks["friday_break_minutes"],
            )
            if budget is not None:
                set_solver_budget(saved, budget)
            return saved
        except SettingsError as exc:
            errors[exc.field or "form"] = str(exc)
    raise FormError(errors)


def describe_week(team: models.Team) -> str:
    """A team's week in short Indonesian, e.g. ``Sen–Kam 08.00–15.00 · Jum 08.00–11.00``.

    Days off are left out; consecutive days with the same hours are joined.
    """
    short = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
    default = (team.shift_start.strftime("%H.%M"), team.shift_end.strftime("%H.%M"))
    spans: list[tuple[str, str] | None] = []
    for day in range(7):
        span = (team.shift_by_weekday or {}).get(str(day))
        if span is None:
            spans.append(default)
        elif not span:
            spans.append(None)
        else:
            spans.append((str(span[0]).replace(":", "."), str(span[-1]).replace(":", ".")))
    parts: list[str] = []
    day = 0
    while day < 7:
        span = spans[day]
        last = day
        while last + 1 < 7 and spans[last + 1] == span:
            last += 1
        if span is not None:
            days = short[day] if last == day else f"{short[day]}–{short[last]}"
            parts.append(f"{days} {span[0]}–{span[1]}")
        day = last + 1
    return " · ".join(parts) or "tidak bertugas"


# --- the province: every office's figures side by side (aggregates only) -------------------


@dataclasses.dataclass(frozen=True)
class OfficeFigures:
    """One office's dashboard figures for the province: counts only, no person, no record."""

    office_id: int
    name: str
    region_slug: str
    today: dt.date
    backlog: int
    by_status: tuple[tuple[str, int], ...]  # (Indonesian label, count)
    oldest_days: int | None
    median_days: float | None
    age_bins: tuple[tuple[str, int], ...]  # (age class in days, count)
    attention: tuple[tuple[str, int], ...]  # (what needs a look, how many)
    routes_today: int
    stops_done_today: int
    stops_planned_today: int
    visits_done_30d: int  # outcomes "selesai" of the last 30 office days
    persons_served_30d: int
    age_svg: str  # the backlog age histogram (numbers on the bars; no names)


def province_overview(session: Session, *, now: dt.datetime | None = None) -> list[OfficeFigures]:
    """The dashboard figures of every office the session sees, in office id order.

    Each office's figures come from :func:`outreach.render.dashboard.build_dashboard` (the
    office's own date); only aggregates are kept: no request, name, NIK or phone reaches the
    result. The session must be unscoped (a province account has no office) to see them all.
    """
    from zoneinfo import ZoneInfo

    from sqlalchemy import func

    from outreach.render.dashboard import build_dashboard

    moment = now or dt.datetime.now(dt.UTC)
    result: list[OfficeFigures] = []
    for office in list_offices(session):
        today = moment.astimezone(ZoneInfo(office.timezone)).date()
        board = build_dashboard(session, office, today=today)
        since = today - dt.timedelta(days=30)
        done = session.execute(
            select(func.count(models.VisitOutcome.id), func.sum(models.VisitOutcome.persons_served))
            .join(models.ServiceRequest, models.VisitOutcome.request_id == models.ServiceRequest.id)
            .where(
                models.ServiceRequest.office_id == office.id,
                models.VisitOutcome.outcome == models.Outcome.SELESAI.value,
                models.VisitOutcome.visit_date > since,
                models.VisitOutcome.visit_date <= today,
            )
        ).one()
        result.append(
            OfficeFigures(
                office_id=office.id,
                name=office.name,
                region_slug=office.region_slug,
                today=today,
                backlog=board.total_backlog,
                by_status=tuple((c.label, c.count) for c in board.by_status),
                oldest_days=board.oldest_days,
                median_days=board.median_days,
                age_bins=tuple((b.label, b.count) for b in board.age_bins),
                attention=tuple((a.label, a.count) for a in board.attention),
                routes_today=len(board.routes),
                stops_done_today=board.routes_done,
                stops_planned_today=board.routes_planned,
                visits_done_30d=int(done[0] or 0),
                persons_served_30d=int(done[1] or 0),
                age_svg=board.age_svg,
            )
        )
    return result
