"""Places a programme visits (schools, kelurahan halls), imported from CSV or XLSX.

The file is read as tolerantly as a letter's resident list (:mod:`outreach.intake.letters`:
the header row is found by its names below title rows, ``;`` or ``,`` CSV in UTF-8 or
Windows-1252, XLSX); columns: name (``Nama sekolah`` / ``Nama tempat``), kind (``Jenis``:
sekolah, kelurahan, lainnya), address, kelurahan, latitude and longitude (optional: the
kelurahan's point stands in), persons expected (``Siswa 17 tahun``, ``Perkiraan peserta``),
contact name and phone. Every bad row gets one Indonesian error and is left out; good rows
are stored (a place of the same name in the same list is updated, so importing a corrected
file again adds nothing twice). Nothing commits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.areas import AreaOptions, load_area_options, match_kelurahan
from outreach.intake.letters import cell_text, csv_rows, decode_text, is_column_numbers
from outreach.intake.locate import AreaLookup, area_lookup, parse_point
from outreach.intake.phone import normalise_phone

MAX_PLACES = 2000
MAX_PERSONS = 5000
HEADER_SCAN_ROWS = 30
PLACE_KINDS = ("sekolah", "kelurahan", "lainnya")
KIND_LABELS = {"sekolah": "Sekolah", "kelurahan": "Kantor/balai kelurahan", "lainnya": "Lainnya"}

_HEADERS: dict[str, str] = {
    "nama": "nama",
    "nama sekolah": "nama",
    "nama tempat": "nama",
    "nama lokasi": "nama",
    "sekolah": "nama",
    "tempat": "nama",
    "jenis": "jenis",
    "jenis tempat": "jenis",
    "alamat": "alamat",
    "alamat sekolah": "alamat",
    "kelurahan": "kelurahan",
    "kelurahan desa": "kelurahan",
    "desa kelurahan": "kelurahan",
    "kel": "kelurahan",
    "lintang": "lat",
    "lat": "lat",
    "latitude": "lat",
    "bujur": "lon",
    "lon": "lon",
    "lng": "lon",
    "long": "lon",
    "longitude": "lon",
    "siswa 17 tahun": "peserta",
    "jumlah siswa 17 tahun": "peserta",
    "siswa pemula": "peserta",
    "pemula": "peserta",
    "peserta": "peserta",
    "perkiraan peserta": "peserta",
    "jumlah peserta": "peserta",
    "jumlah": "peserta",
    "kontak": "kontak",
    "nama kontak": "kontak",
    "narahubung": "kontak",
    "penanggung jawab": "kontak",
    "no hp": "no_hp",
    "no hp kontak": "no_hp",
    "no wa": "no_hp",
    "telepon": "no_hp",
    "hp": "no_hp",
}
_PREFIXES = (("siswa", "peserta"), ("jumlah siswa", "peserta"), ("no hp", "no_hp"))


@dataclass(frozen=True)
class PlaceRowError:
    """A row left out, with why (Indonesian)."""

    row: int
    message: str


@dataclass
class PlacesImport:
    """What an import stored and what it left out."""

    created: list[models.ProgrammePlace] = field(default_factory=list)
    updated: list[models.ProgrammePlace] = field(default_factory=list)
    errors: list[PlaceRowError] = field(default_factory=list)


def _header_key(text: str) -> str | None:
    key = " ".join(re.sub(r"[^a-z0-9]", " ", text.lower()).split())
    if key in _HEADERS:
        return _HEADERS[key]
    for prefix, column in _PREFIXES:
        if key.startswith(prefix + " "):
            return column
    return None


def _rows(table: Iterable[Sequence[Any]]) -> list[tuple[int, dict[str, str]]]:
    header: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    blank = True
    for number, cells in enumerate(table, start=1):
        texts = [cell_text(c) for c in cells]
        if header is None:
            blank = blank and not any(texts)
            mapped: dict[int, str] = {}
            for i, text in enumerate(texts):
                key = _header_key(text)
                if key is not None and key not in mapped.values():
                    mapped[i] = key
            if "nama" in mapped.values():
                header = mapped
            elif number >= HEADER_SCAN_ROWS:
                break
            continue
        if is_column_numbers(texts):
            continue
        values = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_PLACES:
            msg = f"Terlalu banyak baris: paling banyak {MAX_PLACES} tempat per berkas."
            raise IntakeError(msg)
        rows.append((number, values))
    if header is None:
        msg = (
            "Berkas kosong."
            if blank
            else "Baris judul tidak ditemukan: harus ada kolom 'Nama sekolah' atau 'Nama tempat'."
        )
        raise IntakeError(msg)
    return rows


def read_place_file(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV or XLSX place list: ``(row number, column key -> text)``.

    Raises
    ------
    IntakeError
        Not CSV/XLSX, unreadable, no name column, or too many rows (Indonesian message).
    """
    name = filename.lower()
    if name.endswith(".csv"):
        text = decode_text(data).replace("\x00", "")
        error: IntakeError | None = None
        for delimiter in (";", ",", "\t"):
            try:
                return _rows(csv_rows(text, delimiter))
            except IntakeError as exc:
                if "Terlalu banyak" in str(exc):
                    raise
                error = error or exc
        assert error is not None
        raise error
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            msg = "Berkas XLSX tidak dapat dibaca. Simpan ulang dari Excel sebagai .xlsx."
            raise IntakeError(msg) from exc
        try:
            return _rows(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
    msg = "Format berkas tidak didukung: unggah .csv atau .xlsx."
    raise IntakeError(msg)


def _persons(text: str) -> int:
    match = re.fullmatch(r"\s*(\d{1,6})(?:[.,]0+)?\s*(?:orang|siswa|peserta)?\s*", text)
    if not text.strip():
        return 0
    if match is None:
        msg = f"Jumlah peserta harus angka, mis. 120 (tertulis {text[:30]!r})."
        raise IntakeError(msg)
    value = int(match.group(1))
    if value > MAX_PERSONS:
        msg = f"Jumlah peserta {value} terlalu besar (paling banyak {MAX_PERSONS})."
        raise IntakeError(msg)
    return value


def _kind(text: str, default: str) -> str:
    key = text.strip().lower()
    if not key:
        return default
    for kind in PLACE_KINDS:
        if key.startswith(kind[:4]):
            return kind
    if key.startswith(("sma", "smk", "ma ", "slb", "smp")):
        return "sekolah"
    msg = f"Jenis tempat tidak dikenal: {text[:30]!r} (sekolah, kelurahan atau lainnya)."
    raise IntakeError(msg)


def _point(lon_text: str, lat_text: str, lookup: AreaLookup) -> tuple[float, float] | None:
    """The row's point; latitude and longitude written in each other's column are swapped."""
    problem: str | None = None
    for lon, lat in ((lon_text, lat_text), (lat_text, lon_text)):
        try:
            point = parse_point(lon, lat, decimal_comma=True)
        except IntakeError as exc:
            problem = problem or str(exc)
            continue
        if point is None or lookup.contains(*point):
            return point
        problem = (
            problem or "Titik lokasi berada di luar wilayah kantor ini: periksa lintang dan bujur."
        )
    raise IntakeError(problem or "Titik lokasi tidak terbaca.")


@dataclass(frozen=True)
class PlaceData:
    """One checked place row."""

    name: str
    kind: str
    address: str
    kelurahan_id: int | None
    lon: float
    lat: float
    location_source: str
    expected_persons: int
    contact_name: str
    contact_phone: str | None


def check_place_row(
    values: dict[str, str], *, options: AreaOptions, lookup: AreaLookup, default_kind: str
) -> PlaceData:
    """Check one row; raises :class:`IntakeError` with the row's first problem (Indonesian)."""
    name = values.get("nama", "").strip()
    if not name:
        msg = "Nama tempat wajib diisi."
        raise IntakeError(msg)
    if len(name) > 200:
        msg = "Nama tempat terlalu panjang (paling banyak 200 huruf)."
        raise IntakeError(msg)
    kind = _kind(values.get("jenis", ""), default_kind)
    kel_text = values.get("kelurahan", "").strip()
    kelurahan = match_kelurahan(kel_text, options) if kel_text else None
    if kel_text and kelurahan is None:
        msg = f"Kelurahan {kel_text[:60]!r} tidak dikenal di wilayah kantor ini."
        raise IntakeError(msg)
    lat_text, lon_text = values.get("lat", ""), values.get("lon", "")
    point = _point(lon_text, lat_text, lookup)
    if point is None and kelurahan is None:
        msg = "Isi kelurahan atau titik lokasi (lintang dan bujur)."
        raise IntakeError(msg)
    if point is not None:
        lon, lat, source = point[0], point[1], models.LocationSource.IMPORTED.value
        if kelurahan is None:
            area = lookup.locate(lon, lat)
            kelurahan = options.kelurahan_by_code(area.kelurahan_code or "")
    else:
        assert kelurahan is not None
        lon, lat, source = kelurahan.rep_lon, kelurahan.rep_lat, models.LocationSource.KELURAHAN
    phone_text = values.get("no_hp", "").strip()
    phone = normalise_phone(phone_text) if phone_text else None
    return PlaceData(
        name=name,
        kind=kind,
        address=values.get("alamat", "").strip()[:300],
        kelurahan_id=kelurahan.id if kelurahan is not None else None,
        lon=lon,
        lat=lat,
        location_source=str(source),
        expected_persons=_persons(values.get("peserta", "")),
        contact_name=values.get("kontak", "").strip()[:200],
        contact_phone=phone,
    )


def import_places(
    session: Session,
    office: models.Office,
    filename: str,
    data: bytes,
    *,
    programme: models.Programme | None = None,
    default_kind: str = "sekolah",
    actor: str = "system",
) -> PlacesImport:
    """Store the good rows of a place list as the office's (or ``programme``'s) places.

    A place with the same name (ignoring case) in the same list is updated. Flushed, not
    committed; an audit event ``programme.places_import`` counts what happened (no names).

    Raises
    ------
    IntakeError
        The file itself cannot be read (each bad row is in :attr:`PlacesImport.errors`).
    """
    rows = read_place_file(filename, data)
    options = load_area_options(session, office.region_slug)
    lookup = area_lookup(session, office.region_slug)
    programme_id = programme.id if programme is not None else None
    existing = {
        p.name.casefold(): p
        for p in session.scalars(
            select(models.ProgrammePlace).where(
                models.ProgrammePlace.office_id == office.id,
                models.ProgrammePlace.programme_id.is_(None)
                if programme_id is None
                else models.ProgrammePlace.programme_id == programme_id,
            )
        )
    }
    result = PlacesImport()
    for number, values in rows:
        try:
            data_row = check_place_row(
                values, options=options, lookup=lookup, default_kind=default_kind
            )
        except IntakeError as exc:
            result.errors.append(PlaceRowError(number, f"Baris {number}: {exc}"))
            continue
        place = existing.get(data_row.name.casefold())
        if place is None:
            place = models.ProgrammePlace(office_id=office.id, programme_id=programme_id)
            session.add(place)
            existing[data_row.name.casefold()] = place
            result.created.append(place)
        elif place not in result.created and place not in result.updated:
            result.updated.append(place)
        for key, value in vars(data_row).items():
            setattr(place, key, value)
        place.active = True
    session.add(
        models.AuditEvent(
            actor=actor,
            action="programme.places_import",
            entity="programme",
            entity_id=programme_id,
            office_id=office.id,
            detail={
                "created": len(result.created),
                "updated": len(result.updated),
                "errors": len(result.errors),
            },
        )
    )
    session.flush()
    return result
