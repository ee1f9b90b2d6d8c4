"""Shared by the public and coordinator intake pages: labels, form <-> draft, the region.

Views stay thin: they call these helpers to read a form into a draft, to build the
validation context for the office, and to give templates the choices they render.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, g, url_for
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from outreach import models
from outreach.errors import IntakeError, NotFoundError
from outreach.intake import locate
from outreach.intake.areas import AreaOptions, load_area_options
from outreach.intake.availability import DAY_NAMES, SlotDraft, describe_availability
from outreach.intake.fields import FormError
from outreach.intake.message import check_kk
from outreach.intake.nik import load_wilayah
from outreach.intake.text import clean_text
from outreach.intake.validate import (
    PUBLIC_CATEGORIES,
    RELATIONS,
    TRAITS,
    IntakeContext,
    RequestDraft,
    ValidatedRequest,
    validate_request,
)
from outreach.models import LocationSource
from outreach.office import get_office

CATEGORY_LABELS: dict[str, Any] = {
    "sakit": _("Sakit, tidak dapat bepergian"),
    "lansia": _("Lanjut usia"),
    "disabilitas": _("Penyandang disabilitas"),
    "darurat": _("Darurat (dokumen diperlukan segera)"),
    "pemula": _("Pemula: KTP-el pertama kali"),
    "kolektif": _("Kolektif (surat RW/kelurahan/sekolah)"),
    "lainnya": _("Lainnya"),
}
CATEGORY_HINTS: dict[str, Any] = {
    "sakit": _("mis. stroke, terbaring di tempat tidur, pasca operasi"),
    "lansia": _("sulit berjalan jauh atau antre lama"),
    "disabilitas": _("fisik, netra, rungu/wicara, mental atau intelektual"),
    "darurat": _("mis. perlu KTP-el untuk berobat atau bansos segera"),
    "pemula": _("usia 16-17 tahun yang belum merekam KTP-el"),
    "lainnya": _("jelaskan pada keterangan"),
}
SERVICE_LABELS: dict[str, Any] = {
    "perekaman_ktp": _("Perekaman KTP-el (foto, sidik jari, iris)"),
    "cetak_ktp": _("Cetak KTP-el (baru, rusak, hilang, perubahan data)"),
    "kia": _("Kartu Identitas Anak (KIA)"),
    "kk": _("Kartu Keluarga (KK)"),
    "akta": _("Akta kelahiran / kematian"),
    "pindah": _("Surat pindah"),
}
SERVICE_SHORT: dict[str, Any] = {
    "perekaman_ktp": _("Perekaman KTP-el"),
    "cetak_ktp": _("Cetak KTP-el"),
    "kia": _("KIA"),
    "kk": _("KK"),
    "akta": _("Akta"),
    "pindah": _("Pindah"),
}
# What a resident should have ready when the team comes (status and confirmation pages).
PREPARE_OFFICE = _(
    "Datang ke kantor Disdukcapil 15 menit sebelum sesi, bawa kode permohonan ini dan dokumen di "
    "bawah"
)
# Items only for a visit at home (left out when the resident comes to an office session).
PREPARE_AT_HOME = frozenset({"Orang yang direkam ada di rumah dan dapat difoto duduk"})
PREPARE: dict[str, tuple[Any, ...]] = {
    "perekaman_ktp": (
        _("Kartu Keluarga (KK) asli"),
        _("Orang yang direkam ada di rumah dan dapat difoto duduk"),
    ),
    "cetak_ktp": (
        _("Kartu Keluarga (KK) asli"),
        _("KTP-el lama (bila rusak) atau surat kehilangan dari kepolisian (bila hilang)"),
    ),
    "kia": (
        _("Kartu Keluarga (KK) asli"),
        _("Akta kelahiran anak"),
        _("Pas foto anak berwarna (untuk anak usia 5 tahun ke atas)"),
    ),
    "kk": (
        _("Kartu Keluarga (KK) lama"),
        _("Dokumen perubahan: buku nikah, akta kelahiran, akta kematian, atau surat pindah"),
    ),
    "akta": (
        _("Surat keterangan lahir dari bidan/rumah sakit, atau surat keterangan kematian"),
        _("Kartu Keluarga (KK) dan KTP-el orang tua atau pelapor"),
        _("KTP-el dua orang saksi"),
    ),
    "pindah": (
        _("Kartu Keluarga (KK) dan KTP-el"),
        _("Alamat lengkap tujuan pindah"),
    ),
}
RELATION_LABELS: dict[str, Any] = {
    "diri_sendiri": _("Diri sendiri"),
    "anak": _("Anak"),
    "orang_tua": _("Orang tua"),
    "suami_istri": _("Suami / istri"),
    "saudara": _("Saudara"),
    "kerabat": _("Kerabat lain (cucu, keponakan)"),
    "pendamping": _("Pendamping / perawat"),
    "pengurus_rt_rw": _("Pengurus RT/RW"),
    "lainnya": _("Lainnya (tetangga, kenalan)"),
}
TRAIT_LABELS: dict[str, Any] = {
    "petugas_perempuan": _("Perlu petugas perempuan"),
    "bahasa_isyarat": _("Perlu juru bahasa isyarat"),
    "motor": _("Motor saja (gang sempit)"),
}
STATUS_LABELS: dict[str, Any] = {
    "baru": _("Diterima, menunggu verifikasi"),
    "terverifikasi": _("Terverifikasi, menunggu jadwal"),
    "terjadwal": _("Terjadwal"),
    "selesai": _("Selesai dilayani"),
    "gagal": _("Kunjungan belum berhasil, akan dijadwalkan ulang"),
    "batal": _("Dibatalkan"),
    "ditolak": _("Ditolak"),
    "digabung": _("Digabung dengan permohonan lain"),
}
FLAG_LABELS: dict[str, Any] = {
    "nik_luar_wilayah": _("NIK dari luar wilayah"),
    "nik_belum_ada": _("NIK belum diisi"),
    "lokasi_perlu_konfirmasi": _("Lokasi perlu dikonfirmasi"),
    "kelurahan_tidak_sesuai_peta": _("Kelurahan tidak sesuai titik peta"),
    "kemungkinan_duplikat": _("Kemungkinan duplikat"),
    "antrean_kantor": _("Dilayani di kantor (nomor antrean)"),
    "usia_tidak_sesuai_layanan": _("Usia tidak sesuai layanan"),
    "perlu_dihubungi": _("Perlu dihubungi (3 kali gagal)"),
    "pindah_alamat": _("Pindah alamat: teruskan ke Dukcapil tujuan"),
    "kode_kecamatan_lama": _("Kode kecamatan lama atau tidak dikenal"),
}
CHANNEL_LABELS: dict[str, Any] = {
    "form": _("Formulir"),
    "letter": _("Surat"),
    "whatsapp": _("WhatsApp"),
    "walk-in": _("Datang/telepon"),
    "sweep": _("Penyisiran cakupan"),
    "programme": _("Program rutin"),
}
SENDER_LABELS: dict[str, Any] = {
    "rw": _("RW"),
    "kelurahan": _("Kelurahan"),
    "sekolah": _("Sekolah"),
}


def office_or_503(session: Session) -> models.Office:
    """The office; the intake pages cannot work before it is set up (503)."""
    try:
        return get_office(session)
    except NotFoundError:
        abort(503)


def area_options(session: Session, office: models.Office) -> AreaOptions:
    """The office's kecamatan/kelurahan, once per request; 503 when none are imported."""
    if "intake_areas" not in g:
        areas = load_area_options(session, office.region_slug)
        if areas.is_empty:
            abort(503)
        g.intake_areas = areas
    result: AreaOptions = g.intake_areas
    return result


def _lookup(session: Session, office: models.Office) -> locate.AreaLookup:
    """The point-in-area index, built once per process and region import."""
    stamp = session.scalar(
        select(models.RegionImport.imported_at).where(
            models.RegionImport.slug == office.region_slug
        )
    )
    cache: dict[tuple[str, Any], locate.AreaLookup] = current_app.extensions.setdefault(
        "intake_area_lookup", {}
    )
    key = (office.region_slug, stamp)
    if key not in cache:
        cache.clear()
        cache[key] = locate.area_lookup(session, office.region_slug)
    return cache[key]


def intake_context(session: Session, office: models.Office) -> IntakeContext:
    """Everything validation needs about this office and its region."""
    return IntakeContext(
        wilayah=load_wilayah(current_app.config["KODE_WILAYAH_CSV"]),
        areas=area_options(session, office),
        lookup=_lookup(session, office),
        region_code=office.region_code,
        work_start=office.work_start,
        work_end=office.work_end,
    )


def locate_point(session: Session, office: models.Office, lon: float, lat: float) -> dict[str, Any]:
    """Which kelurahan a tapped point is in, for the map's live hint."""
    lookup = _lookup(session, office)
    if not lookup.contains(lon, lat):
        return {"inside": False}
    ref = lookup.locate(lon, lat)
    return {
        "inside": True,
        "kelurahan_code": ref.kelurahan_code,
        "kelurahan_name": ref.kelurahan_name,
        "kecamatan_code": ref.kecamatan_code,
        "kecamatan_name": ref.kecamatan_name,
    }


def _slots(form: MultiDict[str, str], count: int = 2) -> list[SlotDraft]:
    return [
        SlotDraft(
            days=[clean_text(d) for d in form.getlist(f"avail-{i}-days")],
            start=clean_text(form.get(f"avail-{i}-start", "")),
            end=clean_text(form.get(f"avail-{i}-end", "")),
        )
        for i in range(count)
    ]


def draft_from_form(form: MultiDict[str, str]) -> RequestDraft:
    """Read a submitted request form into a draft (strings as typed, invisible marks removed).

    Every text is passed through :func:`~outreach.intake.text.clean_text` first: direction
    marks, zero-width characters, BOM and NUL bytes go; full-width digits become ASCII.
    """
    text = {
        name: clean_text(form.get(name, ""))
        for name in (
            "applicant_name",
            "applicant_relation",
            "person_name",
            "nik",
            "phone",
            "category",
            "description",
            "kecamatan",
            "kelurahan",
            "rt",
            "rw",
            "address_street",
            "landmark",
            "lon",
            "lat",
            "location_source",
            "companion_name",
            "companion_phone",
            "accessibility_notes",
            "persons",
            "notes",
        )
    }
    return RequestDraft(
        **text,
        services=[clean_text(v) for v in form.getlist("services")],
        availability=_slots(form),
        traits=[clean_text(v) for v in form.getlist("traits")],
        consent=form.get("consent") == "ya",
    )


def draft_from_request(req: models.ServiceRequest) -> RequestDraft:
    """A saved request as a draft, to fill the coordinator's edit form."""
    has_point = req.lon is not None and req.location_source not in {
        LocationSource.KELURAHAN.value,
        LocationSource.NONE.value,
    }
    slots = [
        SlotDraft(days=[str(d) for d in s.get("days", [])], start=s["start"], end=s["end"])
        for s in req.availability
    ]
    return RequestDraft(
        applicant_name=req.applicant_name,
        applicant_relation=req.applicant_relation,
        person_name=req.person_name,
        nik=req.nik or "",
        phone=req.phone or "",
        category=req.category,
        description=req.description,
        services=list(req.services),
        kecamatan=req.kecamatan.code if req.kecamatan else "",
        kelurahan=req.kelurahan.code if req.kelurahan else "",
        rt=req.rt,
        rw=req.rw,
        address_street=req.address_street,
        landmark=req.landmark,
        lon=f"{req.lon:.6f}" if has_point and req.lon is not None else "",
        lat=f"{req.lat:.6f}" if has_point and req.lat is not None else "",
        location_source=req.location_source if has_point else "",
        availability=slots,
        companion_name=req.companion_name,
        companion_phone=req.companion_phone or "",
        accessibility_notes=req.accessibility_notes,
        traits=list(req.required_traits),
        consent=req.consent,
        persons=str(req.persons),
        notes=req.notes,
    )


def map_config(
    session: Session,
    office: models.Office,
    *,
    point: tuple[float, float] | None = None,
    fallback: tuple[float, float] | None = None,
) -> str:
    """JSON for ``data-config`` of a location-picking map (read by intake-map.js).

    ``point`` centres the map; ``fallback`` is drawn as the unconfirmed kelurahan point.
    """
    tiles = str(current_app.config.get("MAP_TILES") or "none")
    region = session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == office.region_slug)
    )
    bounds = None
    if region is not None:
        from shapely import wkt

        west, south, east, north = wkt.loads(region.boundary_wkt).bounds
        bounds = [[south, west], [north, east]]
    return json.dumps(
        {
            "tiles": None if tiles.lower() == "none" else tiles,
            "attribution": "&copy; OpenStreetMap contributors",
            "boundaries": url_for("public.boundaries"),
            "locate": url_for("public.locate"),
            "center": [office.depot_lat, office.depot_lon],
            "bounds": bounds,
            "point": [point[1], point[0]] if point else None,
            "fallback": [fallback[1], fallback[0]] if fallback else None,
            # The office's own road layer, drawn when tiles cannot load (map-fallback.js).
            "roads": url_for("main.roads_geojson", wilayah=office.region_slug),
        }
    )


def form_choices(session: Session, office: models.Office, *, staff: bool = False) -> dict[str, Any]:
    """What a request form template needs to render its selects and checkboxes."""
    areas = area_options(session, office)
    categories = list(CATEGORY_LABELS) if staff else list(PUBLIC_CATEGORIES)
    return {
        "areas": areas,
        "kelurahan_groups": [(k, areas.kelurahan_of(k.code)) for k in areas.kecamatan],
        "categories": [(c, CATEGORY_LABELS[c], CATEGORY_HINTS.get(c, "")) for c in categories],
        "services": list(SERVICE_LABELS.items()),
        "relations": [(r, RELATION_LABELS[r]) for r in RELATIONS],
        "traits": [(t, TRAIT_LABELS[t]) for t in TRAITS],
        "days": list(enumerate(DAY_NAMES)),
        "hours": [f"{h:02d}:{m:02d}" for h in range(7, 18) for m in (0, 30)],
        "office": office,
    }


# How a request's point was found (LocationSource values), as a coordinator reads it.
LOCATION_LABELS: dict[str, Any] = {
    "map": _("ditandai di peta"),
    "gps": _("lokasi HP warga"),
    "kelurahan": _("titik kelurahan"),
    "demo": _("data demo"),
    "imported": _("diimpor"),
    "none": _("belum ada"),
}


def template_globals() -> dict[str, Any]:
    """Labels every intake template may use."""
    return {
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "SERVICE_LABELS": SERVICE_LABELS,
        "SERVICE_SHORT": SERVICE_SHORT,
        "STATUS_LABELS": STATUS_LABELS,
        "FLAG_LABELS": FLAG_LABELS,
        "LOCATION_LABELS": LOCATION_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "RELATION_LABELS": RELATION_LABELS,
        "TRAIT_LABELS": TRAIT_LABELS,
        "SENDER_LABELS": SENDER_LABELS,
        "PREPARE": PREPARE,
        "describe_availability": describe_availability,
    }


# Draft fields a pasted message may leave a note on, as the coordinator reads them.
MESSAGE_FIELD_LABELS: dict[str, Any] = {
    "person_name": _("Nama"),
    "nik": _("NIK"),
    "kk_number": _("No KK"),
    "phone": _("No HP"),
    "rt": _("RT/RW"),
    "rw": _("RT/RW"),
    "kelurahan": _("Kelurahan"),
    "kecamatan": _("Kecamatan"),
    "services": _("Layanan"),
    "category": _("Alasan permohonan"),
    "availability": _("Waktu di rumah"),
}


def message_view(notes: dict[str, str], kk_number: str, source_text: str) -> dict[str, Any]:
    """What the draft page of a pasted message shows besides the form.

    ``checks`` lists ``(field id, label, note)`` for each value read with low confidence;
    ``kk_number`` and ``source_text`` travel in the form to be stored with the request.
    """
    return {
        "checks": [
            (name, MESSAGE_FIELD_LABELS.get(name, name), note) for name, note in notes.items()
        ],
        "kk_number": clean_text(kk_number),
        "source_text": clean_text(source_text),
    }


def validate_message_request(
    session: Session, office: models.Office, draft: RequestDraft, kk_number: str
) -> tuple[ValidatedRequest, str | None]:
    """Validate a confirmed message draft (staff rules) and its No KK together.

    Raises
    ------
    FormError
        With one message per wrong field, the No KK included.
    """
    errors: dict[str, str] = {}
    kk: str | None = None
    try:
        kk = check_kk(kk_number)
    except IntakeError as exc:
        errors["kk_number"] = str(exc)
    try:
        data = validate_request(draft, intake_context(session, office), staff=True)
    except FormError as exc:
        raise FormError({**exc.errors, **errors}) from exc
    if errors:
        raise FormError(errors)
    return data, kk
