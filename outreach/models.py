"""Database models (SQLAlchemy 2.0, typed).

Only portable column types are used (no SQLite- or PostgreSQL-only types) so the same models run
on the embedded SQLite default and on PostgreSQL. Geometries are stored as WKT text in EPSG:4326;
points as ``lon``/``lat`` floats. Enumerations are stored as short strings whose allowed values
are the ``StrEnum`` classes below (validated in the domain, not by database enums, so adding a
value needs no migration).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations are the same on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC, naive (stored as UTC everywhere)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Channel(enum.StrEnum):
    """How a request reached the office."""

    FORM = "form"
    LETTER = "letter"
    WHATSAPP = "whatsapp"
    WALK_IN = "walk-in"


class Category(enum.StrEnum):
    """Why the resident cannot come in; drives priority (first = most urgent)."""

    DARURAT = "darurat"
    SAKIT = "sakit"
    DISABILITAS = "disabilitas"
    LANSIA = "lansia"
    KOLEKTIF = "kolektif"
    PEMULA = "pemula"
    LAINNYA = "lainnya"


class Service(enum.StrEnum):
    """Services a visit can deliver (a team needs the skill for each)."""

    PEREKAMAN_KTP = "perekaman_ktp"
    CETAK_KTP = "cetak_ktp"
    KIA = "kia"
    KK = "kk"
    AKTA = "akta"
    PINDAH = "pindah"


class Trait(enum.StrEnum):
    """Team traits a visit may need (a request lists them in ``required_traits``)."""

    PETUGAS_PEREMPUAN = "petugas_perempuan"  # a female officer
    BAHASA_ISYARAT = "bahasa_isyarat"  # an officer who signs
    # A team on motorbikes; a request in a narrow alley (gang) needs one ("motor saja").
    MOTOR = "motor"


class RequestStatus(enum.StrEnum):
    """Lifecycle of a request (see DESIGN.md)."""

    BARU = "baru"
    TERVERIFIKASI = "terverifikasi"
    TERJADWAL = "terjadwal"
    SELESAI = "selesai"
    GAGAL = "gagal"
    BATAL = "batal"
    DITOLAK = "ditolak"
    DIGABUNG = "digabung"


class LocationSource(enum.StrEnum):
    """How a request's point was obtained; decides whether it needs confirming."""

    MAP = "map"  # tapped on a map by the resident or a coordinator
    GPS = "gps"  # the browser's geolocation
    KELURAHAN = "kelurahan"  # the kelurahan's representative point: needs confirming
    DEMO = "demo"  # generated demo data
    IMPORTED = "imported"
    NONE = "none"


class SenderType(enum.StrEnum):
    """Who sent a letter asking for a collective visit."""

    RW = "rw"
    KELURAHAN = "kelurahan"
    SEKOLAH = "sekolah"


class PlanStatus(enum.StrEnum):
    """A plan is a draft until a coordinator approves it."""

    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class Outcome(enum.StrEnum):
    """What happened at a visit (what each does to the request: :mod:`outreach.visits`)."""

    SELESAI = "selesai"  # served: persons recorded, cards printed
    TIDAK_DI_RUMAH = "tidak_di_rumah"  # nobody at home: planned again
    JADWAL_ULANG = "jadwal_ulang"  # the resident asked for another time: planned again
    MENOLAK = "menolak"  # refused: closed
    PINDAH_ALAMAT = "pindah_alamat"  # moved away: closed, the coordinator passes it on
    MENINGGAL = "meninggal"  # died: closed


class Role(enum.StrEnum):
    """Staff roles."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TEAM_LEAD = "team_lead"
    # Head of office (Pimpinan): dashboard, maps, plans and reports; read-only, no NIK/phone.
    HEAD = "head"
    # Province (Provinsi): every office's dashboard figures side by side; belongs to no office
    # (office_id NULL), read-only, aggregates only.
    PROVINCE = "province"


class Office(Base):
    """A Disdukcapil (kab/kota civil-registration office) and its depot."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_slug: Mapped[str] = mapped_column(String(100), index=True)
    region_code: Mapped[str] = mapped_column(String(20))  # Kemendagri kab/kota code, e.g. 34.71
    address: Mapped[str] = mapped_column(String(300), default="")
    depot_lon: Mapped[float] = mapped_column(Float)
    depot_lat: Mapped[float] = mapped_column(Float)
    work_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    work_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(15, 0))
    # Teams must be back at the office by then to sync recordings.
    sync_deadline: Mapped[dt.time] = mapped_column(Time, default=dt.time(15, 30))
    daily_card_capacity: Mapped[int] = mapped_column(Integer, default=250)
    printers: Mapped[int] = mapped_column(Integer, default=2)
    timezone: Mapped[str] = mapped_column(String(50), default="Asia/Jakarta")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="office", order_by="Team.id")
    # The office calendar: dates set closed or open, and special-hours periods (Ramadan).
    calendar_days: Mapped[list[OfficeDay]] = relationship(
        cascade="all, delete-orphan", order_by="OfficeDay.day"
    )
    hours_periods: Mapped[list[OfficeHours]] = relationship(
        cascade="all, delete-orphan", order_by="OfficeHours.start_date"
    )


class Kecamatan(Base):
    """A kecamatan (district) from a region pack."""

    __tablename__ = "kecamatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. 34.71.01
    name: Mapped[str] = mapped_column(String(120))
    region_slug: Mapped[str] = mapped_column(String(100), index=True)
    geometry_wkt: Mapped[str] = mapped_column(Text)

    kelurahan: Mapped[list[Kelurahan]] = relationship(
        back_populates="kecamatan", order_by="Kelurahan.name"
    )


class Kelurahan(Base):
    """A desa or kelurahan (village / urban ward) from a region pack."""

    __tablename__ = "kelurahan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. 34.71.01.1001
    name: Mapped[str] = mapped_column(String(120))
    jenis: Mapped[str] = mapped_column(String(20), default="kelurahan")  # kelurahan | desa
    region_slug: Mapped[str] = mapped_column(String(100), index=True)
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    geometry_wkt: Mapped[str] = mapped_column(Text)
    # A point guaranteed inside the polygon: used when a request has no location of its own.
    rep_lon: Mapped[float] = mapped_column(Float)
    rep_lat: Mapped[float] = mapped_column(Float)

    kecamatan: Mapped[Kecamatan] = relationship(back_populates="kelurahan")


class Team(Base):
    """A mobile recording team."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)  # names of the officers
    # Services (Service values) and traits (e.g. "petugas_perempuan", "bahasa_isyarat").
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    shift_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    shift_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(15, 0))
    # Per-weekday overrides: {"4": ["08:00", "14:00"]} (0 = Monday); null/absent = default shift;
    # an empty list = the team does not work that day.
    shift_by_weekday: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Own start point, when the team does not start at the office.
    start_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_stops: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    office: Mapped[Office] = relationship(back_populates="teams")
    absences: Mapped[list[TeamAbsence]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamAbsence.start_date"
    )


class OfficeDay(Base):
    """A date of the office calendar set by the office, over its defaults.

    ``is_open`` False: closed for home visits (a regional holiday, an office event);
    True: open although a national holiday or cuti bersama (many offices keep services
    running on cuti bersama) or a weekday off.
    """

    __tablename__ = "office_day"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OfficeHours(Base):
    """A period with the office's own working hours (e.g. Ramadan), both dates included.

    Team shifts are cut to ``work_start``-``work_end`` (``friday_end`` on Fridays when set);
    breaks last ``break_minutes`` (0: none); ``sync_deadline`` replaces the office's.
    """

    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    work_start: Mapped[dt.time] = mapped_column(Time)
    work_end: Mapped[dt.time] = mapped_column(Time)
    friday_end: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    break_minutes: Mapped[int] = mapped_column(Integer, default=30)
    sync_deadline: Mapped[dt.time | None] = mapped_column(Time, nullable=True)


class TeamAbsence(Base):
    """Dates a team does not go out (sick, training, leave) while it stays active."""

    __tablename__ = "team_absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    team: Mapped[Team] = relationship(back_populates="absences")


class ServiceRequest(Base):
    """One request for a visit: a home visit for one resident or a collective visit."""

    __tablename__ = "service_request"
    __table_args__ = (
        Index("ix_service_request_status_office", "status", "office_id"),
        Index("ix_service_request_nik", "nik"),
        Index("ix_service_request_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    channel: Mapped[str] = mapped_column(String(20), default=Channel.FORM.value)
    category: Mapped[str] = mapped_column(String(20), default=Category.LAINNYA.value)
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Service values
    description: Mapped[str] = mapped_column(Text, default="")  # the condition, in own words

    applicant_name: Mapped[str] = mapped_column(String(200), default="")
    applicant_relation: Mapped[str] = mapped_column(String(50), default="")  # e.g. anak
    person_name: Mapped[str] = mapped_column(String(200))  # the person to be served
    nik: Mapped[str | None] = mapped_column(String(16), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164, +62...
    # Family card number (No KK), which the team checks on arrival; never used as the NIK.
    kk_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The message a request was read from (WhatsApp paste), for staff only; never logged.
    source_text: Mapped[str] = mapped_column(Text, default="")

    address_street: Mapped[str] = mapped_column(String(300), default="")
    rt: Mapped[str] = mapped_column(String(3), default="")
    rw: Mapped[str] = mapped_column(String(3), default="")
    landmark: Mapped[str] = mapped_column(String(300), default="")
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id"), nullable=True)
    kelurahan_id: Mapped[int | None] = mapped_column(ForeignKey("kelurahan.id"), nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    location_source: Mapped[str] = mapped_column(String(20), default=LocationSource.NONE.value)
    location_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)

    persons: Mapped[int] = mapped_column(Integer, default=1)
    # When someone is at home: [{"days": [0, 1, 2], "start": "08:00", "end": "12:00"}, ...];
    # empty = any time within working hours.
    availability: Mapped[list[Any]] = mapped_column(JSON, default=list)
    companion_name: Mapped[str] = mapped_column(String(200), default="")
    companion_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    # Traits the visiting team must have, e.g. "petugas_perempuan", "bahasa_isyarat".
    required_traits: Mapped[list[Any]] = mapped_column(JSON, default=list)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")  # staff notes
    # Things a coordinator should look at, as codes: "nik_luar_wilayah", "lokasi_perlu_konfirmasi",
    # "kemungkinan_duplikat", ...
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Visits that found nobody home or were put off (outreach.visits); raises the priority.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Persons served over all visits (a split collective visit sums its parts), once selesai.
    persons_served: Mapped[int | None] = mapped_column(Integer, nullable=True)

    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.BARU.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pinned_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    pinned_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_request.id"), nullable=True
    )
    # Hash of a normalised public submission: the same form sent twice makes one request.
    submission_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The form's one-time key (hidden field "kunci"): a double tap or a retried POST carries
    # the same key, and the unique constraint lets only one of them create a request.
    submission_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    kelurahan: Mapped[Kelurahan | None] = relationship(foreign_keys=[kelurahan_id])
    kecamatan: Mapped[Kecamatan | None] = relationship(foreign_keys=[kecamatan_id])
    letter: Mapped[Letter | None] = relationship(
        back_populates="requests", foreign_keys=[letter_id]
    )

    @property
    def needs_location_check(self) -> bool:
        """True when the point is only the kelurahan's point ("lokasi perlu dikonfirmasi")."""
        return not self.location_confirmed and self.location_source in {
            LocationSource.KELURAHAN.value,
            LocationSource.NONE.value,
        }


class Letter(Base):
    """A letter from an RW, kelurahan or school asking for a collective visit."""

    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    number: Mapped[str] = mapped_column(String(100))  # nomor surat
    letter_date: Mapped[dt.date] = mapped_column(Date)
    sender_type: Mapped[str] = mapped_column(String(20))
    sender_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    meeting_place: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    kelurahan_id: Mapped[int | None] = mapped_column(ForeignKey("kelurahan.id"), nullable=True)
    rw: Mapped[str] = mapped_column(String(3), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    residents: Mapped[list[LetterResident]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterResident.row"
    )
    requests: Mapped[list[ServiceRequest]] = relationship(
        back_populates="letter", foreign_keys="ServiceRequest.letter_id"
    )


class LetterResident(Base):
    """One resident listed in a letter."""

    __tablename__ = "letter_resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # row number in the list or file
    name: Mapped[str] = mapped_column(String(200))
    nik: Mapped[str | None] = mapped_column(String(16), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rt: Mapped[str] = mapped_column(String(3), default="")
    rw: Mapped[str] = mapped_column(String(3), default="")
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")

    letter: Mapped[Letter] = relationship(back_populates="residents")


class Plan(Base):
    """A plan for one day or a horizon of days, with the inputs it was made from."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date, index=True)
    days: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT.value)
    seed: Mapped[int] = mapped_column(Integer, default=1)
    solver: Mapped[str] = mapped_column(String(50), default="")
    # Snapshot of what the plan was made from (requests, teams, settings) and its totals,
    # so a plan can be explained later even after the requests change.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Route.id"
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )


class Route(Base):
    """One team's route on one day.

    Route and stop times are the office's local clock time (naive), as printed on route sheets;
    record timestamps (``created_at``...) are UTC.
    """

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    route_date: Mapped[dt.date] = mapped_column(Date, index=True)
    start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    end_at: Mapped[dt.datetime] = mapped_column(DateTime)
    travel_time_s: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    service_s: Mapped[int] = mapped_column(Integer, default=0)
    wait_s: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last leg (back to the office) as [[lon, lat], ...]; other legs sit on their stops.
    return_geometry: Mapped[list[Any]] = mapped_column(JSON, default=list)
    breaks: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"start","end","label"}]

    plan: Mapped[Plan] = relationship(back_populates="routes")
    team: Mapped[Team] = relationship()
    stops: Mapped[list[Stop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="Stop.sequence"
    )


class Stop(Base):
    """A visit on a route, in order."""

    __tablename__ = "stop"
    __table_args__ = (UniqueConstraint("route_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    arrival_at: Mapped[dt.datetime] = mapped_column(DateTime)  # ETA at the door
    service_start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    departure_at: Mapped[dt.datetime] = mapped_column(DateTime)
    wait_s: Mapped[int] = mapped_column(Integer, default=0)
    service_s: Mapped[int] = mapped_column(Integer, default=0)
    travel_time_s: Mapped[int] = mapped_column(Integer, default=0)  # from the previous stop
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    leg_geometry: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[lon, lat], ...]
    fallback_distance: Mapped[bool] = mapped_column(Boolean, default=False)
    # A big collective visit is split into parts (outreach.planning.split): this stop serves
    # part ``part`` of ``parts`` with ``persons`` people (None: the request's own persons).
    part: Mapped[int] = mapped_column(Integer, default=1)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    persons: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # When the coordinator sent the WhatsApp confirmation of this visit (after approval).
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    route: Mapped[Route] = relationship(back_populates="stops")
    request: Mapped[ServiceRequest] = relationship()
    outcome: Mapped[VisitOutcome | None] = relationship(
        back_populates="stop", uselist=False, foreign_keys="VisitOutcome.stop_id"
    )


class PlanUnassigned(Base):
    """A request a plan left out, with the reason."""

    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"))
    reason: Mapped[str] = mapped_column(String(40))  # a code, see outreach.planning.reasons
    detail: Mapped[str] = mapped_column(Text, default="")
    expected_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="unassigned")


class VisitOutcome(Base):
    """What happened when a team visited (or tried to): one per stop, stored once per client id.

    ``client_id`` is made by the phone (a UUID) or the server (paper entry); the unique
    constraint, not a check, makes a resend store nothing new (as ODK Central's instanceID).
    """

    __tablename__ = "visit_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    stop_id: Mapped[int | None] = mapped_column(ForeignKey("stop.id"), nullable=True, unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    visit_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    persons_served: Mapped[int] = mapped_column(Integer, default=0)
    cards_printed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # LetterResident ids of the residents who came (a collective visit).
    attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # jadwal_ulang: when the resident will be home, {"date": "YYYY-MM-DD"|null, "start", "end"}.
    reschedule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="lapangan")  # lapangan | kertas
    # When the team recorded it (office clock, from the phone) and when the server got it (UTC).
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    stop: Mapped[Stop | None] = relationship(back_populates="outcome", foreign_keys=[stop_id])
    request: Mapped[ServiceRequest] = relationship()


class User(Base):
    """A member of staff who signs in (coordinator, team lead, admin)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default=Role.COORDINATOR.value)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), nullable=True)
    # The team a team lead (ketua tim) leads; None for other roles.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the signed-in session's id: sign-out and a new password bump it, so a session
    # cookie made before no longer signs anyone in.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what, when. ``detail`` never holds a NIK or a phone number."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "user:3", "public", "system", "cli"
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The office whose record changed (the audit page is scoped by it); None: not known.
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class RegionImport(Base):
    """Which region packs are loaded, from where, and with which road source."""

    __tablename__ = "region_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
    source_dir: Mapped[str] = mapped_column(String(500))
    roads_file: Mapped[str | None] = mapped_column(String(500), nullable=True)
    boundary_wkt: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class JobStatus(enum.StrEnum):
    """Where a background job is (:mod:`outreach.jobs`)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """A piece of background work (e.g. making a plan) and its progress, readable by any worker.

    ``error`` is the Indonesian text shown to users (the traceback goes to the log only);
    ``params`` are the inputs the job was submitted with, so a failed job can be run again.
    Neither holds personal data.
    """

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    kind: Mapped[str] = mapped_column(String(40))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(300), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Last sign of life (start, progress, end): a running job silent for long has died.
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
