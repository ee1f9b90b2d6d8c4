"""Letters from an RW, a kelurahan or a school asking for a collective visit.

A letter lists residents, typed in or uploaded as CSV/XLSX from :func:`template_xlsx` /
:func:`template_csv`. Every row is checked; the coordinator sees a report of row errors and
either fixes the file or imports only the valid rows. A letter becomes one collective request
(category ``kolektif``) for N persons at the meeting place.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.areas import KelurahanOption
from outreach.intake.audit import record_event
from outreach.intake.dedupe import FLAG_DUPLICATE, OPEN_STATUSES
from outreach.intake.fields import (
    Collector,
    FormError,
    check_area,
    check_name,
    check_neighbourhood,
    check_text,
)
from outreach.intake.locate import Location, parse_point, resolve_location
from outreach.intake.message import services_from_text
from outreach.intake.nik import Wilayah, parse_nik
from outreach.intake.phone import normalise_phone
from outreach.intake.services import new_tracking_code
from outreach.intake.validate import IntakeContext
from outreach.models import Category, Channel, RequestStatus, SenderType, Service

MAX_ROWS = 500
# Column key -> header shown in the template.
COLUMNS: dict[str, str] = {
    "nama": "Nama lengkap",
    "nik": "NIK",
    "tanggal_lahir": "Tanggal lahir (DD-MM-YYYY)",
    "no_hp": "No HP/WA",
    "rt": "RT",
    "rw": "RW",
    "layanan": "Layanan",
    "keterangan": "Keterangan",
}
_HEADER_ALIASES: dict[str, str] = {
    "no": "no",
    "nomor": "no",
    "nama": "nama",
    "nama lengkap": "nama",
    "nama warga": "nama",
    "nama siswa": "nama",
    "nik": "nik",
    "no ktp": "nik",
    "nomor nik": "nik",
    "no nik": "nik",
    "tanggal lahir": "tanggal_lahir",
    "tanggal lahir dd mm yyyy": "tanggal_lahir",
    "tgl lahir": "tanggal_lahir",
    "tanggal_lahir": "tanggal_lahir",
    "no hp": "no_hp",
    "no hp wa": "no_hp",
    "no_hp": "no_hp",
    "hp": "no_hp",
    "no wa": "no_hp",
    "telepon": "no_hp",
    "no telp": "no_hp",
    "rt": "rt",
    "rw": "rw",
    "layanan": "layanan",
    "keperluan": "layanan",
    "keterangan": "keterangan",
    "catatan": "keterangan",
    "ket": "keterangan",
}
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%y", "%d/%m/%y")
_SERVICE_CODES = {s.value for s in Service}


@dataclass(frozen=True)
class RawRow:
    """One resident row as read from a file or the form: column key -> text."""

    row: int  # row number as the coordinator sees it (file row, or list position)
    values: dict[str, str]
    numeric_nik: bool = False  # the NIK cell was a number in the spreadsheet


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell of a resident list."""

    row: int
    column: str  # column key (see COLUMNS)
    message: str


@dataclass(frozen=True)
class ResidentData:
    """A checked resident row."""

    row: int
    name: str
    nik: str
    birth_date: dt.date
    phone: str | None
    rt: str
    rw: str
    services: list[str]
    notes: str


@dataclass
class LetterDraft:
    """A letter as typed in the form."""

    number: str = ""
    letter_date: str = ""  # YYYY-MM-DD (from <input type=date>) or DD-MM-YYYY
    sender_type: str = ""
    sender_name: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    meeting_place: str = ""
    kecamatan: str = ""
    kelurahan: str = ""
    rw: str = ""
    lon: str = ""
    lat: str = ""
    services: list[str] = field(default_factory=list)  # default for rows without any
    notes: str = ""


@dataclass(frozen=True)
class ValidatedLetter:
    """A letter that passed every check."""

    number: str
    letter_date: dt.date
    sender_type: str
    sender_name: str
    contact_name: str
    contact_phone: str
    meeting_place: str
    kelurahan: KelurahanOption
    kecamatan_id: int | None
    rw: str
    location: Location
    services: list[str]
    notes: str


class LetterRowsError(IntakeError):
    """Some resident rows are wrong and the import is all-or-nothing."""

    def __init__(self, errors: Sequence[RowError], valid: int) -> None:
        self.errors = list(errors)
        self.valid = valid
        rows = len({e.row for e in self.errors})
        super().__init__(f"{rows} baris berisi kesalahan; tidak ada yang disimpan.")


class LetterFormError(FormError):
    """The letter's own fields are wrong; the rows were checked too (``row_errors``)."""

    def __init__(self, errors: dict[str, str], row_errors: Sequence[RowError]) -> None:
        super().__init__(errors)
        self.row_errors = list(row_errors)


# --- templates -------------------------------------------------------------------------------


def template_csv() -> bytes:
    """An empty CSV template (UTF-8 with BOM, so Excel shows the headers correctly)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["No", *COLUMNS.values()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """An XLSX template with a "Daftar warga" sheet and a "Petunjuk" (instructions) sheet.

    The NIK, HP, RT and RW columns are formatted as text, so Excel keeps all 16 digits of a
    NIK and the leading zeros of RT/RW and phone numbers.
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "Daftar warga"
    headers = ["No", *COLUMNS.values()]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEFE8")
    widths = {"A": 5, "B": 30, "C": 20, "D": 16, "E": 16, "F": 6, "G": 6, "H": 24, "I": 30}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    text_cols = [headers.index(COLUMNS[k]) + 1 for k in ("nik", "no_hp", "rt", "rw")]
    for row in range(2, MAX_ROWS + 2):
        ws.cell(row=row, column=1, value=None)
        for col in text_cols:
            ws.cell(row=row, column=col).number_format = "@"
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("Petunjuk")
    for line in (
        "Isi satu baris untuk setiap warga pada lembar 'Daftar warga'.",
        "Nama lengkap dan NIK (16 angka) wajib diisi.",
        "Tanggal lahir boleh kosong; bila diisi harus sama dengan NIK (format 31-12-2008).",
        "Layanan: perekaman_ktp, cetak_ktp, kia, kk, akta, pindah (pisahkan dengan koma).",
        "Layanan kosong = layanan yang dipilih pada surat.",
        f"Paling banyak {MAX_ROWS} baris per surat.",
    ):
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading files ---------------------------------------------------------------------------


def _header_key(text: str) -> str | None:
    key = " ".join(re.sub(r"[^a-z0-9_]", " ", text.lower()).split())
    return _HEADER_ALIASES.get(key) or _HEADER_ALIASES.get(key.replace("_", " "))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().strftime("%d-%m-%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_table(table: Iterable[Sequence[Any]], *, max_rows: int) -> list[RawRow]:
    """Find the header row, map its columns, and read the rows below it."""
    header: dict[int, str] | None = None
    rows: list[RawRow] = []
    for number, cells in enumerate(table, start=1):
        texts = [_cell_text(c) for c in cells]
        if header is None:
            if not any(texts):
                continue
            mapped = {i: k for i, t in enumerate(texts) if (k := _header_key(t)) is not None}
            if "nama" not in mapped.values() or "nik" not in mapped.values():
                msg = (
                    "Baris judul tidak dikenali: kolom 'Nama lengkap' dan 'NIK' harus ada. "
                    "Gunakan templat yang dapat diunduh."
                )
                raise IntakeError(msg)
            header = mapped
            continue
        values = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
        values.pop("no", None)
        if not any(values.values()):
            continue  # empty rows (often the rest of a template)
        if len(rows) >= max_rows:
            msg = f"Terlalu banyak baris: paling banyak {max_rows} warga per surat."
            raise IntakeError(msg)
        nik_col = next((i for i, k in header.items() if k == "nik"), None)
        numeric = (
            nik_col is not None and nik_col < len(cells) and isinstance(cells[nik_col], int | float)
        )
        rows.append(RawRow(row=number, values=values, numeric_nik=numeric))
    if header is None:
        msg = "Berkas kosong."
        raise IntakeError(msg)
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    msg = "Berkas CSV tidak dapat dibaca (gunakan UTF-8)."
    raise IntakeError(msg)


def read_resident_file(filename: str, data: bytes, *, max_rows: int = MAX_ROWS) -> list[RawRow]:
    """Read the resident rows of an uploaded CSV or XLSX file.

    Parameters
    ----------
    filename
        The uploaded file's name (its extension decides the format).
    data
        The file's bytes.
    max_rows
        Most residents accepted.

    Raises
    ------
    IntakeError
        When the file is not CSV/XLSX, cannot be read, lacks the name and NIK columns, or
        has too many rows.
    """
    name = filename.lower()
    if name.endswith(".csv"):
        text = _decode(data)
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
        return _rows_from_table(
            csv.reader(io.StringIO(text), delimiter=delimiter), max_rows=max_rows
        )
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            msg = "Berkas XLSX tidak dapat dibaca. Simpan ulang dari Excel sebagai .xlsx."
            raise IntakeError(msg) from exc
        try:
            sheet = wb["Daftar warga"] if "Daftar warga" in wb.sheetnames else wb.worksheets[0]
            return _rows_from_table(sheet.iter_rows(values_only=True), max_rows=max_rows)
        finally:
            wb.close()
    msg = "Format berkas tidak didukung: unggah .csv atau .xlsx."
    raise IntakeError(msg)


# --- checking rows ---------------------------------------------------------------------------


def parse_date(text: str) -> dt.date:
    """Read ``31-12-2008``, ``31/12/2008``, ``2008-12-31`` and the like.

    Raises
    ------
    IntakeError
        When the text is not a date in one of those forms.
    """
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    msg = f"Tanggal '{text}' tidak dikenali. Tulis seperti 31-12-2008."
    raise IntakeError(msg)


def _row_services(text: str, default: Sequence[str]) -> list[str]:
    if not text.strip():
        if not default:
            msg = "Layanan kosong dan surat tidak menyebut layanan."
            raise IntakeError(msg)
        return list(default)
    parts = [p.strip().lower().replace(" ", "_") for p in re.split(r"[,;/+]", text) if p.strip()]
    codes = [p for p in parts if p in _SERVICE_CODES]
    if len(codes) == len(parts):
        return sorted(set(codes))
    words = services_from_text(text)
    if not words:
        msg = f"Layanan '{text}' tidak dikenal."
        raise IntakeError(msg)
    return sorted(set(words) | set(codes))


def check_resident_rows(
    rows: Sequence[RawRow],
    *,
    wilayah: Wilayah,
    default_services: Sequence[str] = (),
    today: dt.date | None = None,
) -> tuple[list[ResidentData], list[RowError]]:
    """Check every resident row.

    Parameters
    ----------
    rows
        From :func:`read_resident_file` or the form.
    wilayah
        Code lists for NIK checks.
    default_services
        Services for rows that name none (chosen on the letter).
    today
        Reference date for NIK birth dates.

    Returns
    -------
    tuple of (list of ResidentData, list of RowError)
        The valid rows and the errors of the others (a row with an error is never valid).
    """
    today = today or dt.date.today()
    valid: list[ResidentData] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for raw in rows:
        v = raw.values
        c = Collector()
        name = c.check("nama", check_name, v.get("nama", ""), required=True, what="Nama")
        info = None
        if not v.get("nik", "").strip():
            c.errors["nik"] = "NIK wajib diisi."
        else:
            info = c.check("nik", parse_nik, v["nik"], wilayah=wilayah, today=today)
            if info is None and raw.numeric_nik:
                c.errors["nik"] += (
                    " (Kolom NIK tersimpan sebagai angka sehingga digit terakhir bisa hilang:"
                    " ubah format kolom menjadi Teks.)"
                )
        if info is not None and info.nik in seen:
            c.errors["nik"] = f"NIK sama dengan baris {seen[info.nik]}."
        if v.get("tanggal_lahir", "").strip():
            born = c.check("tanggal_lahir", parse_date, v["tanggal_lahir"])
            if born is not None and info is not None and born != info.birth_date:
                c.errors["tanggal_lahir"] = (
                    f"Tanggal lahir tidak sama dengan NIK ({info.birth_date:%d-%m-%Y})."
                )
        phone = None
        if v.get("no_hp", "").strip():
            phone = c.check("no_hp", normalise_phone, v["no_hp"])
        rt = c.check("rt", check_neighbourhood, v.get("rt", ""), "RT")
        rw = c.check("rw", check_neighbourhood, v.get("rw", ""), "RW")
        services = c.check("layanan", _row_services, v.get("layanan", ""), default_services)
        notes = c.check("keterangan", check_text, v.get("keterangan", ""), limit=500, what="Ket.")
        if c.errors or info is None:
            order = list(COLUMNS)
            for column in sorted(c.errors, key=order.index):
                errors.append(RowError(raw.row, column, c.errors[column]))
            continue
        seen[info.nik] = raw.row
        valid.append(
            ResidentData(
                row=raw.row,
                name=name,
                nik=info.nik,
                birth_date=info.birth_date,
                phone=phone,
                rt=rt,
                rw=rw,
                services=services,
                notes=notes,
            )
        )
    return valid, errors


# --- the letter itself -----------------------------------------------------------------------


def _letter_date(text: str, today: dt.date) -> dt.date:
    if not text.strip():
        msg = "Tanggal surat wajib diisi."
        raise IntakeError(msg)
    value = parse_date(text)
    if value > today:
        msg = "Tanggal surat tidak boleh setelah hari ini."
        raise IntakeError(msg)
    if value < today - dt.timedelta(days=366):
        msg = "Tanggal surat lebih dari setahun yang lalu: periksa kembali."
        raise IntakeError(msg)
    return value


def _required(value: str, what: str, limit: int = 200) -> str:
    text = " ".join(value.split())
    if not text:
        msg = f"{what} wajib diisi."
        raise IntakeError(msg)
    if len(text) > limit:
        msg = f"{what} terlalu panjang (paling banyak {limit} huruf)."
        raise IntakeError(msg)
    return text


def _sender_type(value: str) -> str:
    if value not in {s.value for s in SenderType}:
        msg = "Pilih pengirim surat: RW, kelurahan atau sekolah."
        raise IntakeError(msg)
    return value


def _default_services(values: Sequence[str]) -> list[str]:
    unknown = set(values) - _SERVICE_CODES
    if unknown:
        msg = "Layanan tidak dikenal."
        raise IntakeError(msg)
    return [s.value for s in Service if s.value in set(values)]


def validate_letter(draft: LetterDraft, ctx: IntakeContext) -> ValidatedLetter:
    """Check the letter's own fields (not its residents).

    Raises
    ------
    FormError
        With one Indonesian message per wrong field.
    """
    today = ctx.today or dt.date.today()
    c = Collector()
    number = c.check("number", _required, draft.number, "Nomor surat", 100)
    letter_date = c.check("letter_date", _letter_date, draft.letter_date, today)
    sender_type = c.check("sender_type", _sender_type, draft.sender_type)
    sender = c.check("sender_name", _required, draft.sender_name, "Pengirim")
    contact = c.check(
        "contact_name", check_name, draft.contact_name, required=True, what="Nama kontak"
    )
    phone = c.check("contact_phone", normalise_phone, draft.contact_phone)
    place = c.check("meeting_place", _required, draft.meeting_place, "Tempat pelayanan", 300)
    area = c.check("kelurahan", check_area, draft.kecamatan, draft.kelurahan, ctx.areas) or (
        None,
        None,
    )
    kec, kel = area
    if kel is None and "kelurahan" not in c.errors:
        c.errors["kelurahan"] = "Pilih kelurahan tempat pelayanan."
    rw = c.check("rw", check_neighbourhood, draft.rw, "RW")
    if sender_type == SenderType.RW.value and not draft.rw.strip():
        c.errors.setdefault("rw", "Surat dari RW: isi nomor RW.")
    services = c.check("services", _default_services, draft.services)
    notes = c.check("notes", check_text, draft.notes, limit=2000, what="Catatan")
    point = c.check("location", parse_point, draft.lon, draft.lat)
    location = None
    if kel is not None and "location" not in c.errors:
        location = c.check(
            "location", resolve_location, point, source="map", kelurahan=kel, lookup=ctx.lookup
        )
    if c.errors or location is None or kel is None:
        raise FormError(c.errors or {"location": "Lokasi belum ditentukan."})
    return ValidatedLetter(
        number=number,
        letter_date=letter_date,
        sender_type=sender_type,
        sender_name=sender,
        contact_name=contact,
        contact_phone=phone,
        meeting_place=place,
        kelurahan=kel,
        kecamatan_id=kec.id if kec else None,
        rw=rw,
        location=location,
        services=services,
        notes=notes,
    )


def find_letter(
    session: Session, *, office_id: int, number: str, sender_name: str
) -> models.Letter | None:
    """A letter already registered with the same number from the same sender."""
    return session.scalar(
        select(models.Letter).where(
            models.Letter.office_id == office_id,
            models.Letter.number == number,
            models.Letter.sender_name == sender_name,
        )
    )


def register_letter(
    session: Session,
    letter: ValidatedLetter,
    residents: Sequence[ResidentData],
    *,
    office: models.Office,
    actor: str,
    row_errors: Sequence[RowError] = (),
    valid_only: bool = False,
    now: dt.datetime | None = None,
) -> tuple[models.Letter, models.ServiceRequest]:
    """Save a letter, its residents and its one collective request.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    letter
        From :func:`validate_letter`.
    residents
        The valid rows from :func:`check_resident_rows`.
    office
        The office.
    actor
        ``"user:<id>"``.
    row_errors
        The errors of the other rows.
    valid_only
        Import the valid rows although others have errors; otherwise any error stops the
        import (all-or-nothing).
    now
        Current time, UTC.

    Raises
    ------
    LetterRowsError
        When rows have errors and ``valid_only`` is False.
    IntakeError
        When no resident is left to import, or the letter is already registered.
    """
    if row_errors and not valid_only:
        raise LetterRowsError(row_errors, valid=len(residents))
    if not residents:
        msg = "Tidak ada warga yang dapat diimpor: isi daftar warga."
        raise IntakeError(msg)
    existing = find_letter(
        session, office_id=office.id, number=letter.number, sender_name=letter.sender_name
    )
    if existing is not None:
        msg = f"Surat nomor {letter.number} dari {letter.sender_name} sudah terdaftar."
        raise IntakeError(msg)
    now = now or models.utcnow()
    row = models.Letter(
        office_id=office.id,
        number=letter.number,
        letter_date=letter.letter_date,
        sender_type=letter.sender_type,
        sender_name=letter.sender_name,
        contact_name=letter.contact_name,
        contact_phone=letter.contact_phone,
        meeting_place=letter.meeting_place,
        lon=letter.location.lon,
        lat=letter.location.lat,
        kelurahan_id=letter.kelurahan.id,
        rw=letter.rw,
        created_at=now,
    )
    row.residents = [
        models.LetterResident(
            row=r.row,
            name=r.name,
            nik=r.nik,
            birth_date=r.birth_date,
            phone=r.phone,
            rt=r.rt,
            rw=r.rw,
            services=list(r.services),
            notes=r.notes,
        )
        for r in residents
    ]
    session.add(row)
    session.flush()
    services = sorted({s for r in residents for s in r.services})
    flags = list(letter.location.flags)
    niks = [r.nik for r in residents]
    if session.scalar(
        select(models.ServiceRequest.id).where(
            models.ServiceRequest.office_id == office.id,
            models.ServiceRequest.nik.in_(niks),
            models.ServiceRequest.status.in_(OPEN_STATUSES),
        )
    ):
        flags.append(FLAG_DUPLICATE)  # a listed resident already asked for a home visit
    request = models.ServiceRequest(
        tracking_code=new_tracking_code(session),
        office_id=office.id,
        channel=Channel.LETTER.value,
        category=Category.KOLEKTIF.value,
        services=services,
        description=(
            f"Surat {letter.number} ({letter.letter_date:%d-%m-%Y}): {len(residents)} warga."
        ),
        applicant_name=letter.contact_name,
        applicant_relation=f"pengirim_{letter.sender_type}",
        person_name=letter.sender_name,
        phone=letter.contact_phone,
        address_street=letter.meeting_place,
        rw=letter.rw,
        kecamatan_id=letter.kecamatan_id,
        kelurahan_id=letter.kelurahan.id,
        lon=letter.location.lon,
        lat=letter.location.lat,
        location_source=letter.location.source,
        location_confirmed=letter.location.source != "kelurahan",
        persons=len(residents),
        consent=True,
        notes=letter.notes,
        flags=sorted(set(flags)),
        status=RequestStatus.BARU.value,
        letter_id=row.id,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="letter.register",
        entity="letter",
        entity_id=row.id,
        detail={
            "tracking_code": request.tracking_code,
            "residents": len(residents),
            "rows_with_errors": len({e.row for e in row_errors}),
        },
    )
    return row, request


def import_letter(
    session: Session,
    draft: LetterDraft,
    rows: Sequence[RawRow],
    *,
    ctx: IntakeContext,
    office: models.Office,
    actor: str,
    valid_only: bool = False,
    max_rows: int = MAX_ROWS,
) -> tuple[models.Letter, models.ServiceRequest, list[RowError]]:
    """Check a letter and its resident rows and save them (see :func:`register_letter`).

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    draft
        The letter as typed.
    rows
        Resident rows typed in or read from a file.
    ctx
        The office's region and code lists.
    office
        The office.
    actor
        ``"user:<id>"``.
    valid_only
        Import the valid rows and skip the others (otherwise all-or-nothing).
    max_rows
        Most residents in one letter.

    Returns
    -------
    tuple
        The letter, its collective request, and the errors of skipped rows.

    Raises
    ------
    LetterFormError
        When the letter's own fields are wrong (its ``row_errors`` holds the rows' errors).
    LetterRowsError
        When rows have errors and ``valid_only`` is False.
    IntakeError
        When there are too many rows, nothing is left to import, or the letter is already
        registered.
    """
    if len(rows) > max_rows:
        msg = f"Terlalu banyak baris: paling banyak {max_rows} warga per surat."
        raise IntakeError(msg)
    field_errors: dict[str, str] = {}
    try:
        letter = validate_letter(draft, ctx)
    except FormError as exc:
        field_errors = exc.errors
    residents, row_errors = check_resident_rows(
        rows, wilayah=ctx.wilayah, default_services=draft.services, today=ctx.today
    )
    if field_errors:
        raise LetterFormError(field_errors, row_errors)
    letter_row, request = register_letter(
        session,
        letter,
        residents,
        office=office,
        actor=actor,
        row_errors=row_errors,
        valid_only=valid_only,
    )
    return letter_row, request, row_errors
