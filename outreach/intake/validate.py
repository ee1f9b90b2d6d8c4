"""Check a request as typed (form, pasted message, coordinator edit) and normalise it.

:func:`validate_request` takes a :class:`RequestDraft` of strings exactly as typed and returns a
:class:`ValidatedRequest`, or raises :class:`FormError` with one Indonesian message per field
so the form can be shown again with everything the resident typed still in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from outreach.errors import IntakeError
from outreach.intake.areas import AreaOptions, KecamatanOption, KelurahanOption
from outreach.intake.availability import SlotDraft, parse_availability
from outreach.intake.fields import (
    MAX_NAME,
    Collector,
    FormError,
    check_area,
    check_name,
    check_neighbourhood,
    check_text,
    clean_line,
)
from outreach.intake.locate import AreaLookup, Location, parse_point, resolve_location
from outreach.intake.nik import NikInfo, Wilayah, parse_nik
from outreach.intake.phone import normalise_phone
from outreach.intake.text import clean_values
from outreach.models import Category, Service, Trait

FLAG_NIK_OUTSIDE = "nik_luar_wilayah"
FLAG_AGE = "usia_tidak_sesuai_layanan"
FLAG_NO_NIK = "nik_belum_ada"

# Categories a resident can choose; "kolektif" is for letters only.
PUBLIC_CATEGORIES = ("sakit", "lansia", "disabilitas", "darurat", "pemula", "lainnya")
# The condition must be described for these (a team has to know what to expect).
DESCRIBE_CATEGORIES = {"sakit", "disabilitas", "darurat", "lainnya"}
RELATIONS = (
    "diri_sendiri",
    "anak",
    "orang_tua",
    "suami_istri",
    "saudara",
    "kerabat",
    "pendamping",
    "pengurus_rt_rw",
    "lainnya",
)
TRAITS = tuple(t.value for t in Trait)
# Limits agree with the columns they fill (models.ServiceRequest): names String(200),
# address and landmark String(300), the relation String(50); the texts are Text columns.
MAX_TEXT = 1000
MAX_LINE = 300
MAX_RELATION = 50


@dataclass
class RequestDraft:
    """A request as typed: every value a string (or list of strings) from a form."""

    applicant_name: str = ""
    applicant_relation: str = ""
    person_name: str = ""
    nik: str = ""
    phone: str = ""
    category: str = ""
    description: str = ""
    services: list[str] = field(default_factory=list)
    kecamatan: str = ""  # code, e.g. 34.71.05
    kelurahan: str = ""  # code, e.g. 34.71.05.1002
    rt: str = ""
    rw: str = ""
    address_street: str = ""
    landmark: str = ""
    lon: str = ""
    lat: str = ""
    location_source: str = ""  # "map" or "gps" (set by the page's script)
    availability: list[SlotDraft] = field(default_factory=list)
    companion_name: str = ""
    companion_phone: str = ""
    accessibility_notes: str = ""
    traits: list[str] = field(default_factory=list)
    consent: bool = False
    persons: str = "1"
    notes: str = ""  # staff only


@dataclass(frozen=True)
class IntakeContext:
    """What validation needs to know about the office and its region."""

    wilayah: Wilayah
    areas: AreaOptions
    lookup: AreaLookup
    region_code: str  # the office's kab/kota code, e.g. 34.71
    work_start: dt.time = dt.time(8, 0)
    work_end: dt.time = dt.time(15, 0)
    today: dt.date | None = None


@dataclass(frozen=True)
class ValidatedRequest:
    """A request that passed every check, normalised for storage."""

    applicant_name: str
    applicant_relation: str
    person_name: str
    nik: str | None
    birth_date: dt.date | None
    phone: str | None
    category: str
    description: str
    services: list[str]
    kecamatan: KecamatanOption | None
    kelurahan: KelurahanOption | None
    rt: str
    rw: str
    address_street: str
    landmark: str
    location: Location
    availability: list[dict[str, Any]]
    companion_name: str
    companion_phone: str | None
    accessibility_notes: str
    traits: list[str]
    consent: bool
    persons: int
    notes: str
    flags: list[str]


def _required_line(value: str, *, what: str, limit: int = MAX_LINE) -> str:
    text = clean_line(value)
    if not text:
        msg = f"{what} wajib diisi."
        raise IntakeError(msg)
    return check_text(text, limit=limit, what=what)


def _check_nik(value: str, *, required: bool, ctx: IntakeContext, today: dt.date) -> NikInfo | None:
    if not value.strip():
        if required:
            msg = "NIK wajib diisi (16 angka, lihat Kartu Keluarga)."
            raise IntakeError(msg)
        return None
    return parse_nik(value, wilayah=ctx.wilayah, today=today)


def _check_phone(value: str, *, required: bool) -> str | None:
    if not value.strip() and not required:
        return None
    return normalise_phone(value)


def _check_category(value: str, *, staff: bool) -> str:
    allowed = {c.value for c in Category} if staff else set(PUBLIC_CATEGORIES)
    if value not in allowed:
        msg = "Pilih alasan permohonan."
        raise IntakeError(msg)
    return value


def _check_services(values: list[str]) -> list[str]:
    allowed = [s.value for s in Service]
    chosen = [s for s in allowed if s in set(values)]
    if len(chosen) != len(set(values)):
        msg = "Layanan tidak dikenal."
        raise IntakeError(msg)
    if not chosen:
        msg = "Pilih paling sedikit satu layanan."
        raise IntakeError(msg)
    return chosen


def _check_persons(value: str, *, staff: bool) -> int:
    if not staff:
        return 1
    text = value.strip() or "1"
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        msg = "Jumlah orang diisi angka 1 sampai 1000."
        raise IntakeError(msg)
    return int(text)


def _age_flag(info: NikInfo | None, services: list[str] | None, today: dt.date) -> list[str]:
    """Flag an age that does not fit a service (a coordinator checks; not a rejection)."""
    if info is None or not services:
        return []
    born = info.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    # KTP-el recording starts at 16 (cards are issued at 17); KIA is for children under 17.
    if (Service.PEREKAMAN_KTP.value in services and age < 16) or (
        Service.KIA.value in services and age >= 17
    ):
        return [FLAG_AGE]
    return []


def validate_request(
    draft: RequestDraft, ctx: IntakeContext, *, staff: bool = False
) -> ValidatedRequest:
    """Check every field of a request and normalise it.

    Parameters
    ----------
    draft
        The request as typed.
    ctx
        The office's region, code lists and working hours.
    staff
        True for coordinators: NIK and phone may be missing (a letter or a call may lack
        them), every category incl. ``kolektif`` is allowed, and ``persons`` is read.

    Returns
    -------
    ValidatedRequest
        Normalised values, the decided location and flags for the coordinator
        (``nik_luar_wilayah``, ``lokasi_perlu_konfirmasi``, ...).

    Raises
    ------
    FormError
        With one Indonesian message per wrong field.
    """
    today = ctx.today or dt.date.today()
    # Invisible marks, NUL bytes and full-width digits go before any check (issue 9, 3).
    draft = clean_values(draft)
    c = Collector()
    if staff and draft.category == Category.KOLEKTIF.value:
        # A collective request is named after its sender: "RW 07 Semaki", "SMA Negeri 3".
        person = c.check(
            "person_name", _required_line, draft.person_name, what="Nama", limit=MAX_NAME
        )
    else:
        person = c.check("person_name", check_name, draft.person_name, required=True, what="Nama")
    applicant = c.check(
        "applicant_name", check_name, draft.applicant_name, required=False, what="Nama pemohon"
    )
    relation = draft.applicant_relation
    # Letters record their sender ("pengirim_rw"); staff edits keep it.
    # (a sender code fits models.ServiceRequest.applicant_relation, String(50)).
    sender = relation.startswith("pengirim_") and len(relation) <= MAX_RELATION
    if relation not in RELATIONS and not (staff and sender):
        relation = ""
    if not staff and not relation:
        c.errors["applicant_relation"] = "Pilih hubungan pemohon dengan orang yang dilayani."
    if not staff and relation not in {"", "diri_sendiri"} and not applicant:
        # Someone asks for another person: the team must know whom it talks to.
        c.errors.setdefault("applicant_name", "Isi nama pemohon (yang mengisi formulir ini).")
    if relation == "diri_sendiri":
        applicant = person
    # NIK is optional everywhere: a resident who does not have it at hand still gets a visit;
    # the request is flagged nik_belum_ada and the team checks the KK on arrival.
    info = c.check("nik", _check_nik, draft.nik, required=False, ctx=ctx, today=today)
    phone = c.check("phone", _check_phone, draft.phone, required=not staff)
    category = c.check("category", _check_category, draft.category, staff=staff)
    description = c.check(
        "description", check_text, draft.description, limit=MAX_TEXT, what="Keterangan"
    )
    if category in DESCRIBE_CATEGORIES and not (description or "").strip() and not staff:
        c.errors.setdefault("description", "Ceritakan singkat kondisinya agar petugas siap.")
    services = c.check("services", _check_services, draft.services)
    area = c.check("kelurahan", check_area, draft.kecamatan, draft.kelurahan, ctx.areas)
    area = area or (
        None,
        None,
    )
    kec, kel = area
    rt = c.check("rt", check_neighbourhood, draft.rt, "RT")
    rw = c.check("rw", check_neighbourhood, draft.rw, "RW")
    if not staff:
        if not draft.rt.strip():
            c.errors.setdefault("rt", "RT wajib diisi.")
        if not draft.rw.strip():
            c.errors.setdefault("rw", "RW wajib diisi.")
    street = c.check(
        "address_street", check_text, draft.address_street, limit=MAX_LINE, what="Alamat"
    )
    if not (street or "").strip() and not staff:
        c.errors.setdefault(
            "address_street", "Alamat (nama jalan/gang dan nomor rumah) wajib diisi."
        )
    landmark = c.check("landmark", check_text, draft.landmark, limit=MAX_LINE, what="Patokan")
    point = c.check("location", parse_point, draft.lon, draft.lat, decimal_comma=staff)
    location: Location | None = None
    if "location" not in c.errors and "kelurahan" not in c.errors:
        if point is None and kel is None and not draft.kelurahan:
            c.errors["kelurahan"] = "Pilih kelurahan."
        else:
            location = c.check(
                "location",
                resolve_location,
                point,
                source=draft.location_source,
                kelurahan=kel,
                lookup=ctx.lookup,
            )
    if location is not None and kel is None and location.area and location.area.kelurahan_code:
        # No kelurahan chosen but a point given: the point says which kelurahan it is.
        kel = ctx.areas.kelurahan_by_code(location.area.kelurahan_code)
        kec = ctx.areas.kecamatan_by_code(kel.kecamatan_code) if kel else None
    availability = c.check(
        "availability",
        parse_availability,
        draft.availability,
        work_start=ctx.work_start,
        work_end=ctx.work_end,
    )
    companion = c.check(
        "companion_name",
        check_name,
        draft.companion_name,
        required=False,
        what="Nama pendamping",
    )
    companion_phone = c.check(
        "companion_phone", _check_phone, draft.companion_phone, required=False
    )
    notes_access = c.check(
        "accessibility_notes", check_text, draft.accessibility_notes, limit=MAX_TEXT, what="Catatan"
    )
    traits = [t for t in TRAITS if t in set(draft.traits)]
    persons = c.check("persons", _check_persons, draft.persons, staff=staff)
    notes = c.check("notes", check_text, draft.notes, limit=MAX_TEXT * 4, what="Catatan petugas")
    if not draft.consent:
        c.errors["consent"] = (
            "Persetujuan penggunaan data diperlukan agar permohonan dapat diproses."
        )
    if c.errors or location is None:
        raise FormError(c.errors or {"location": "Lokasi belum ditentukan."})

    flags = list(location.flags)
    if info is not None and info.kabkota_code != ctx.region_code:
        flags.append(FLAG_NIK_OUTSIDE)
    if info is None and not (staff and draft.category == Category.KOLEKTIF.value):
        # A collective visit (a letter, a sweep) has no NIK of its own: its residents' are
        # on its list or recorded on the day.
        flags.append(FLAG_NO_NIK)
    flags += _age_flag(info, services, today)
    if info is not None:
        flags += [f for f in info.flags if f not in flags]  # e.g. an old kecamatan code
    return ValidatedRequest(
        applicant_name=applicant or person,
        applicant_relation=relation or ("diri_sendiri" if not applicant else "lainnya"),
        person_name=person,
        nik=info.nik if info else None,
        birth_date=info.birth_date if info else None,
        phone=phone,
        category=category,
        description=description,
        services=services,
        kecamatan=kec,
        kelurahan=kel,
        rt=rt,
        rw=rw,
        address_street=clean_line(street),
        landmark=clean_line(landmark),
        location=location,
        availability=availability,
        companion_name=companion or "",
        companion_phone=companion_phone,
        accessibility_notes=notes_access,
        traits=traits,
        consent=True,
        persons=persons,
        notes=notes,
        flags=flags,
    )
