"""Letters from an RW, a kelurahan or a school asking for a collective visit.

A letter lists residents, typed in or uploaded as CSV/XLSX from :func:`template_xlsx` /
:func:`template_csv`. Every row is checked; the coordinator sees a report of row errors and
either fixes the file or imports only the valid rows. A letter becomes one collective request
(category ``kolektif``) for N persons at the meeting place.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import charset_normalizer
import dateparser
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
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
from outreach.intake.nik import NikInfo, Wilayah, parse_nik
from outreach.intake.phone import normalise_phone
from outreach.intake.services import new_tracking_code
from outreach.intake.text import clean_text, clean_values
from outreach.intake.validate import IntakeContext
from outreach.models import Category, Channel, RequestStatus, SenderType, Service
from outreach.privacy import redact

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
    "nama peserta": "nama",
    "nama penduduk": "nama",
    "nama pemohon": "nama",
    "nama lengkap sesuai kk": "nama",
    "nik": "nik",
    "n i k": "nik",
    "no ktp": "nik",
    "nomor ktp": "nik",
    "nomor nik": "nik",
    "no nik": "nik",
    "nik ktp": "nik",
    "nomor induk kependudukan": "nik",
    "tanggal lahir": "tanggal_lahir",
    "tanggal lahir dd mm yyyy": "tanggal_lahir",
    "tgl lahir": "tanggal_lahir",
    "tgl lhr": "tanggal_lahir",
    "tanggal_lahir": "tanggal_lahir",
    "no hp": "no_hp",
    "no hp wa": "no_hp",
    "no wa hp": "no_hp",
    "no_hp": "no_hp",
    "hp": "no_hp",
    "hp wa": "no_hp",
    "wa": "no_hp",
    "whatsapp": "no_hp",
    "no wa": "no_hp",
    "no whatsapp": "no_hp",
    "nomor hp": "no_hp",
    "nomor wa": "no_hp",
    "no handphone": "no_hp",
    "telepon": "no_hp",
    "telp": "no_hp",
    "no telp": "no_hp",
    "no telepon": "no_hp",
    "rt": "rt",
    "rw": "rw",
    "rt rw": "rt_rw",
    "layanan": "layanan",
    "keperluan": "layanan",
    "keterangan": "keterangan",
    "catatan": "keterangan",
    "ket": "keterangan",
}
# Header text starting with these (after lower-casing, punctuation as spaces) -> column key.
_HEADER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("nama lengkap", "nama"),
    ("nik ", "nik"),
    ("tanggal lahir", "tanggal_lahir"),
    ("tgl lahir", "tanggal_lahir"),
    ("no hp", "no_hp"),
    ("nomor hp", "no_hp"),
    ("no wa", "no_hp"),
)
_SERVICE_CODES = {s.value for s in Service}


@dataclass(frozen=True)
class RawRow:
    """One resident row as read from a file or the form: column key -> text."""

    row: int  # row number as the coordinator sees it (file row, or list position)
    values: dict[str, str]
    numeric_nik: bool = False  # the NIK cell was a number in the spreadsheet
    nik_checked: bool = False  # the coordinator checked such a NIK against the KK/KTP


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
    flags: tuple[str, ...] = ()  # from the NIK (FLAG_OLD_KECAMATAN)


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

HEADER_SCAN_ROWS = 30  # title, blank and numbered-column rows above the header
NUMBER_CELL_NIK = (
    "NIK disimpan sebagai angka oleh Excel; digit terakhir mungkin hilang. Ubah format kolom "
    "NIK menjadi Teks, lalu ketik ulang NIK dari KK/KTP (atau centang 'NIK sudah dicek')."
)
SCIENTIFIC_NIK = (
    "NIK tertulis dalam notasi ilmiah oleh Excel (mis. 3,47114E+15): digit NIK hilang. Ubah "
    "format kolom NIK menjadi Teks, lalu ketik ulang NIK dari KK/KTP."
)
SCIENTIFIC_PHONE = (
    "No HP tertulis dalam notasi ilmiah oleh Excel (mis. 6,28123E+12): digit nomor hilang. Ubah "
    "format kolom No HP menjadi Teks, lalu ketik ulang nomornya."
)
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_DECIMAL_ZERO = re.compile(r"(\+?\d+)[.,]0+")  # 6281234567890.0: a number cell saved as text


def _header_key(text: str) -> str | None:
    key = " ".join(re.sub(r"[^a-z0-9_]", " ", text.lower()).split())
    found = _HEADER_ALIASES.get(key) or _HEADER_ALIASES.get(key.replace("_", " "))
    if found is not None:
        return found
    # Common longer variants: "Tanggal lahir (dd/mm/yyyy)", "No. HP / WA aktif", "NIK (16 digit)".
    for prefix, column in _HEADER_PREFIXES:
        if key.startswith(prefix):
            return column
    return None


def cell_text(value: Any) -> str:
    """A spreadsheet cell as trimmed text (``None``: ``""``; ``12.0``: ``"12"``; dates as d-m-y)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().strftime("%d-%m-%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return clean_text(str(value)).strip()


def is_column_numbers(texts: Sequence[str]) -> bool:
    """A row numbering the columns: ``1 2 3 4 ...`` or ``(1) (2) (3) ...``."""
    filled = [t.strip("() .") for t in texts if t.strip()]
    if len(filled) < 3 or not all(t.isdigit() and len(t) <= 3 for t in filled):
        return False
    numbers = [int(t) for t in filled]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _find_header(texts: Sequence[str]) -> dict[int, str] | None:
    mapped: dict[int, str] = {}
    for i, text in enumerate(texts):
        key = _header_key(text)
        if key is not None and key not in mapped.values():
            mapped[i] = key
    names = set(mapped.values())
    return mapped if {"nama", "nik"} <= names else None


def _split_rt_rw(values: dict[str, str]) -> None:
    """Fill RT and RW from a combined ``RT/RW`` column (``003/007``)."""
    combined = values.pop("rt_rw", "")
    match = re.fullmatch(r"\s*(\d{1,3})\s*[/\-. ]\s*(\d{1,3})\s*", combined)
    if match:
        values.setdefault("rt", match.group(1))
        values.setdefault("rw", match.group(2))
    elif combined.strip():
        values.setdefault("rt", combined)


def _rows_from_table(table: Iterable[Sequence[Any]], *, max_rows: int) -> list[RawRow]:
    """Find the header row by its names, map its columns, and read the rows below it.

    Title rows, blank rows and a row numbering the columns may stand above the header (and a
    numbering row just below it); they are skipped.
    """
    header: dict[int, str] | None = None
    rows: list[RawRow] = []
    blank = True
    for number, cells in enumerate(table, start=1):
        texts = [cell_text(c) for c in cells]
        if header is None:
            blank = blank and not any(texts)
            header = _find_header(texts)
            if header is None and number >= HEADER_SCAN_ROWS:
                break
            continue
        if is_column_numbers(texts):
            continue
        values = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
        values.pop("no", None)
        if "rt_rw" in values:
            _split_rt_rw(values)
        if not any(values.values()):
            continue  # empty rows (often the rest of a template)
        if len(rows) >= max_rows:
            msg = f"Terlalu banyak baris: paling banyak {max_rows} warga per surat."
            raise IntakeError(msg)
        nik_col = next((i for i, k in header.items() if k == "nik"), None)
        numeric = (
            nik_col is not None
            and nik_col < len(cells)
            and isinstance(cells[nik_col], int | float)
            and not isinstance(cells[nik_col], bool)
        )
        rows.append(RawRow(row=number, values=values, numeric_nik=numeric))
    if header is None and blank:
        msg = "Berkas kosong."
        raise IntakeError(msg)
    if header is None:
        msg = (
            "Baris judul tidak ditemukan: harus ada kolom 'Nama' dan 'NIK' (di salah satu dari "
            f"{HEADER_SCAN_ROWS} baris pertama). Gunakan templat yang dapat diunduh."
        )
        raise IntakeError(msg)
    return rows


def decode_text(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.

    Excel on Indonesian Windows saves "CSV" in Windows-1252 and "CSV UTF-8" with a BOM;
    charset-normalizer checks that bytes that are not UTF-8 read as plausible Windows-1252
    text (and not as a binary file renamed .csv).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        best = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
        if best is not None:
            return str(best)
        # charset-normalizer gives up on some short or repetitive files (one accented name
        # after many plain ones): plain Windows-1252 text without control characters is
        # still a spreadsheet's CSV, a binary file is not.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = ""
        if text and not any(ord(c) < 32 and c not in "\t\r\n" for c in text):
            return text
    msg = "Berkas CSV tidak dapat dibaca. Simpan ulang dari Excel sebagai 'CSV UTF-8'."
    raise IntakeError(msg)


def csv_rows(text: str, delimiter: str) -> list[list[str]]:
    """Rows of CSV ``text`` split on ``delimiter`` (IntakeError when unreadable)."""
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        msg = "Berkas CSV rusak dan tidak dapat dibaca. Simpan ulang dari Excel."
        raise IntakeError(msg) from exc


def _read_csv(data: bytes, *, max_rows: int) -> list[RawRow]:
    """Try the delimiter csv.Sniffer finds, then ``;``, ``,`` and tab: the header decides."""
    text = decode_text(data).replace("\x00", "")
    candidates = [";", ",", "\t"]
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=";,\t").delimiter
        candidates.remove(sniffed)
        candidates.insert(0, sniffed)
    except csv.Error:
        pass  # one column, or too irregular to sniff: try each
    error: IntakeError | None = None
    for delimiter in candidates:
        try:
            return _rows_from_table(csv_rows(text, delimiter), max_rows=max_rows)
        except IntakeError as exc:
            if "Terlalu banyak" in str(exc):
                raise
            error = error or exc
    assert error is not None
    raise error


def _read_xlsx(data: bytes, *, max_rows: int) -> list[RawRow]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        msg = "Berkas XLSX tidak dapat dibaca. Simpan ulang dari Excel sebagai .xlsx."
        raise IntakeError(msg) from exc
    try:
        sheet = wb["Daftar warga"] if "Daftar warga" in wb.sheetnames else wb.worksheets[0]
        return _rows_from_table(sheet.iter_rows(values_only=True), max_rows=max_rows)
    except IntakeError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read
        msg = "Berkas XLSX tidak dapat dibaca. Simpan ulang dari Excel sebagai .xlsx."
        raise IntakeError(msg) from exc
    finally:
        wb.close()


def read_resident_file(filename: str, data: bytes, *, max_rows: int = MAX_ROWS) -> list[RawRow]:
    """Read the resident rows of an uploaded CSV or XLSX file.

    The header row is found by its names (title, blank and numbered-column rows above it are
    skipped); CSV files may use ``;`` or ``,`` (or tab), UTF-8 with or without BOM, or
    Windows-1252. Values are returned as written: damaged numbers are reported by
    :func:`check_resident_rows`.

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
        has too many rows (the module's only exception, whatever the bytes).
    """
    name = filename.lower()
    if name.endswith(".csv"):
        return _read_csv(data, max_rows=max_rows)
    if name.endswith(".xlsx"):
        return _read_xlsx(data, max_rows=max_rows)
    msg = "Format berkas tidak didukung: unggah .csv atau .xlsx."
    raise IntakeError(msg)


# --- dates -----------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug kept)
_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,4})")
_NAMED_DATE = re.compile(r"(\d{1,2})[\s\-/.,]*([^\W\d_]{3,})\.?[\s\-/.,]*(\d{4}|\d{2})")


@dataclass(frozen=True)
class DateText:
    """A date as written: the year has 4 digits, or 2 (``century_known`` False)."""

    day: int
    month: int
    year: int  # full year, or 0-99 when the century was not written
    century_known: bool

    def full(self, century: int) -> dt.date | None:
        """The date in ``century`` (19 or 20) for a two-digit year; None when it does not exist."""
        year = self.year if self.century_known else century * 100 + self.year
        try:
            return dt.date(year, self.month, self.day)
        except ValueError:
            return None


@functools.lru_cache(maxsize=256)
def _month_number(word: str) -> int | None:
    """Month of an Indonesian or English month name or abbreviation (dateparser knows them)."""
    found = dateparser.parse(
        f"1 {word} 2000",
        languages=["id", "en"],
        settings={"STRICT_PARSING": True, "PREFER_DAY_OF_MONTH": "first"},
    )
    return found.month if found is not None and found.year == 2000 else None


def read_date(text: str) -> DateText:
    """Read a date as people and spreadsheets write it.

    ``15-03-1950``, ``15/03/1950``, ``15.03.1950``, ``15/03/50`` (century open: see
    :attr:`DateText.century_known`), ``1950-03-15``, ``15 Maret 1950``, ``15 Mar 50``,
    ``15031950`` and Excel serial numbers (``18337``).

    Raises
    ------
    IntakeError
        "tidak ada" for a date that does not exist (``31-02-1950``), "tidak dikenali" for text
        that is not a date.
    """
    value = " ".join(text.split())
    parts: tuple[int, int, int, bool] | None = None
    if (match := _NUMERIC_DATE.fullmatch(value)) is not None:
        a, b, c = match.groups()
        if len(a) == 4:
            parts = (int(c), int(b), int(a), True)
        elif len(a) <= 2 and len(c) in (2, 4):
            parts = (int(a), int(b), int(c), len(c) == 4)
    elif (match := _NAMED_DATE.fullmatch(value)) is not None:
        month = _month_number(match.group(2))
        if month is not None:
            year = match.group(3)
            parts = (int(match.group(1)), month, int(year), len(year) == 4)
    elif value.isdigit() and len(value) == 8:
        parts = (int(value[:2]), int(value[2:4]), int(value[4:]), True)
    elif value.isdigit() and len(value) == 6:
        parts = (int(value[:2]), int(value[2:4]), int(value[4:]), False)
    elif value.isdigit() and 1 <= len(value) <= 5 and int(value) > 0:
        # An Excel serial date (the cell lost its date format): 18337 = 15-03-1950.
        serial = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return DateText(serial.day, serial.month, serial.year, True)
    if parts is None:
        msg = f"Tanggal '{text.strip()}' tidak dikenali. Tulis seperti 31-12-2008."
        raise IntakeError(msg)
    date = DateText(*parts)
    if date.full(19) is None and date.full(20) is None:
        hint = " (tulis hari-bulan-tahun)" if 12 < date.month <= 31 else ""
        msg = f"Tanggal {text.strip()} tidak ada{hint}."
        raise IntakeError(msg)
    return date


def parse_date(text: str) -> dt.date:
    """Read a date with a known century (a two-digit year is read as 20yy).

    Used for letter dates; birth dates go through :func:`read_date` and the NIK.

    Raises
    ------
    IntakeError
        When the text is not a date, or the date does not exist.
    """
    date = read_date(text)
    full = date.full(20)
    if full is None:  # only possible for 29 February of a two-digit year
        msg = f"Tanggal {text.strip()} tidak ada."
        raise IntakeError(msg)
    return full


# --- checking rows ---------------------------------------------------------------------------


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


def _spreadsheet_number(text: str, *, what: str) -> str:
    """Undo a number cell's damage that loses nothing; refuse what lost digits.

    ``6281234567890.0`` (a whole number saved with a decimal) -> ``6281234567890``: a
    spreadsheet keeps 15 digits exactly, so nothing is lost. Scientific notation
    (``6,28123E+12``) lost digits: refused with a message saying how to fix the file.
    """
    value = text.strip()
    if _SCIENTIFIC.fullmatch(value):
        raise IntakeError(SCIENTIFIC_PHONE if what == "no_hp" else SCIENTIFIC_NIK)
    if (match := _DECIMAL_ZERO.fullmatch(value)) is not None:
        if what == "nik":
            raise IntakeError(NUMBER_CELL_NIK)
        return match.group(1)
    return value


def _check_phone_cell(text: str) -> str:
    return normalise_phone(_spreadsheet_number(text, what="no_hp"))


def _check_neighbourhood_cell(text: str, what: str) -> str:
    value = text.strip()
    if (match := _DECIMAL_ZERO.fullmatch(value)) is not None:
        value = match.group(1)  # RT 3.0 from a number cell
    return check_neighbourhood(value, what)


def _check_nik_cell(
    raw: RawRow, birth: DateText | None, wilayah: Wilayah, today: dt.date
) -> NikInfo:
    text = raw.values.get("nik", "")
    if not text.strip():
        msg = "NIK wajib diisi."
        raise IntakeError(msg)
    if raw.numeric_nik and not raw.nik_checked:
        raise IntakeError(NUMBER_CELL_NIK)
    value = _spreadsheet_number(text, what="nik")
    full = birth.full(19) if birth is not None and birth.century_known else None
    return parse_nik(value, wilayah=wilayah, today=today, birth_date=full)


def _birth_date(date: DateText, info: NikInfo) -> dt.date:
    """The birth date written in the row, checked against the NIK (which settles a century)."""
    nik_date = info.birth_date
    if date.century_known:
        written = date.full(19)
        if written != nik_date:
            msg = f"Tanggal lahir tidak sama dengan NIK ({nik_date:%d-%m-%Y})."
            raise IntakeError(msg)
        return nik_date
    if (date.day, date.month, date.year) != (nik_date.day, nik_date.month, nik_date.year % 100):
        msg = f"Tanggal lahir tidak sama dengan NIK ({nik_date:%d-%m-%Y})."
        raise IntakeError(msg)
    if not info.century_certain:
        msg = (
            f"Tahun lahir ditulis 2 angka: bisa {nik_date.year - 100} atau {nik_date.year}. "
            f"Tulis tahun lengkap, mis. {nik_date:%d-%m}-{nik_date.year - 100}."
        )
        raise IntakeError(msg)
    return nik_date


def check_resident_rows(
    rows: Sequence[RawRow],
    *,
    wilayah: Wilayah,
    default_services: Sequence[str] = (),
    today: dt.date | None = None,
) -> tuple[list[ResidentData], list[RowError]]:
    """Check every resident row.

    A birth date settles the century of the NIK's two-digit year (1917 or 2017) and a NIK
    settles the century of a two-digit birth year (``15/03/50``); numbers damaged by a
    spreadsheet are refused with a message saying how to fix the file (``.0`` endings that lost
    nothing are undone).

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
    for given in rows:
        raw = replace(given, values={k: clean_text(t) for k, t in given.values.items()})
        v = raw.values
        c = Collector()
        name = c.check("nama", check_name, v.get("nama", ""), required=True, what="Nama")
        written = None
        if v.get("tanggal_lahir", "").strip():
            written = c.check("tanggal_lahir", read_date, v["tanggal_lahir"])
        info = c.check("nik", _check_nik_cell, raw, written, wilayah, today)
        if info is not None and info.nik in seen:
            c.errors["nik"] = f"NIK sama dengan baris {seen[info.nik]}."
        born = info.birth_date if info is not None else None
        if written is not None and info is not None:
            born = c.check("tanggal_lahir", _birth_date, written, info)
        phone = None
        if v.get("no_hp", "").strip():
            phone = c.check("no_hp", _check_phone_cell, v["no_hp"])
        rt = c.check("rt", _check_neighbourhood_cell, v.get("rt", ""), "RT")
        rw = c.check("rw", _check_neighbourhood_cell, v.get("rw", ""), "RW")
        services = c.check("layanan", _row_services, v.get("layanan", ""), default_services)
        notes = c.check("keterangan", check_text, v.get("keterangan", ""), limit=500, what="Ket.")
        if c.errors or info is None or born is None:
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
                birth_date=born,
                phone=phone,
                rt=rt,
                rw=rw,
                services=services,
                notes=notes,
                flags=info.flags,
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


def check_contact_name(value: str) -> str:
    """A contact's name with titles: ``Pak Budi (Ketua RW 07)``, ``H. Ahmad Fauzi, S.Pd.``.

    The name outside brackets follows :func:`check_name` (letters, dots, commas); a role in
    brackets may hold digits (an RW number).

    Raises
    ------
    IntakeError
        When the name is empty, too long, or not a name.
    """
    text = " ".join(value.split())
    roles = re.findall(r"\(([^()]*)\)", text)
    bare = " ".join(re.sub(r"\([^()]*\)", " ", text).split())
    if roles and not bare:
        msg = "Nama kontak: tulis nama orangnya, jabatan boleh dalam kurung."
        raise IntakeError(msg)
    check_name(bare, required=True, what="Nama kontak")
    if any(not re.fullmatch(r"[^\W_]+(?:[\s.,'/-]+[^\W_]*)*", r.strip()) for r in roles):
        msg = "Nama kontak: jabatan dalam kurung hanya boleh berisi huruf dan angka."
        raise IntakeError(msg)
    return check_text(text, limit=200, what="Nama kontak")


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
    draft = clean_values(draft)
    c = Collector()
    number = c.check("number", _required, draft.number, "Nomor surat", 100)
    letter_date = c.check("letter_date", _letter_date, draft.letter_date, today)
    sender_type = c.check("sender_type", _sender_type, draft.sender_type)
    sender = c.check("sender_name", _required, draft.sender_name, "Pengirim")
    contact = c.check("contact_name", check_contact_name, draft.contact_name)
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
    point = c.check("location", parse_point, draft.lon, draft.lat, decimal_comma=True)
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
    names: dict[int, str] | None = None,
    submission_key: str | None = None,
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
        The errors of the other rows: with ``valid_only`` they are kept with the letter
        (see :func:`skipped_rows`).
    valid_only
        Import the valid rows although others have errors; otherwise any error stops the
        import (all-or-nothing).
    now
        Current time, UTC.
    names
        Row number -> name as written, to list skipped rows by name.
    submission_key
        The form's one-time key, stored on the collective request (a unique column): the same
        form sent twice at once makes one letter (the view answers the loser's IntegrityError).

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
    flags += [flag for r in residents for flag in r.flags]  # FLAG_OLD_KECAMATAN
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
        submission_key=submission_key,
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
            "skipped": _skipped_detail(row_errors, names),
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
    submission_key: str | None = None,
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
    submission_key
        The form's one-time key (see :func:`register_letter`).

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
        names={r.row: r.values.get("nama", "") for r in rows},
        submission_key=submission_key,
    )
    return letter_row, request, row_errors


# --- skipped rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedRow:
    """A row left out by "impor baris yang valid saja", listed on the letter afterwards."""

    row: int
    name: str
    errors: list[tuple[str, str]]  # (column label, message)


def _skipped_detail(row_errors: Sequence[RowError], names: dict[int, str] | None) -> list[Any]:
    """Skipped rows for the audit event's detail: row, name, errors; never a NIK or phone."""
    by_row: dict[int, list[list[str]]] = {}
    for err in row_errors:
        by_row.setdefault(err.row, []).append([err.column, redact(err.message)])
    return [
        {"row": row, "name": redact((names or {}).get(row, ""))[:200], "errors": errs}
        for row, errs in sorted(by_row.items())
    ]


def skipped_rows(session: Session, letter_id: int) -> list[SkippedRow]:
    """The rows skipped when the letter was saved (from its ``letter.register`` event).

    Stored in the audit event's detail: the Letter table has no column for them.
    """
    detail = session.scalar(
        select(models.AuditEvent.detail)
        .where(
            models.AuditEvent.action == "letter.register",
            models.AuditEvent.entity == "letter",
            models.AuditEvent.entity_id == letter_id,
        )
        .order_by(models.AuditEvent.id.desc())
        .limit(1)
    )
    items = (detail or {}).get("skipped", [])
    return [
        SkippedRow(
            row=int(item["row"]),
            name=str(item.get("name", "")),
            errors=[(COLUMNS.get(col, col), str(message)) for col, message in item["errors"]],
        )
        for item in items
    ]
