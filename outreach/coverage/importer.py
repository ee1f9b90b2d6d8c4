"""Read per-area e-KTP recording counts from an office's CSV or XLSX file and store them.

Offices get the counts from their population database (SIAK) as spreadsheets: one row per
kelurahan (or per kecamatan) with the residents of KTP age (wajib KTP), how many have recorded
their e-KTP and how many have not, sometimes the first-time applicants (turning 17 soon).
The reader copes with the same spreadsheet habits as letters (:mod:`outreach.intake.letters`):
title rows above the header, a numbered-column row, a two-row header ("Perekaman" over
"Sudah" / "Belum"), merged kecamatan cells, blank and total rows, thousands separators
(``1.234``), a BOM, ``;`` delimiters, names written differently (``Kel. Baciro`` / ``BACIRO``)
and Kemendagri codes with or without dots (``34.71.01.1001`` / ``3471011001``).

Each bad row gets one Indonesian error (its row number and what is wrong); good rows are
imported. A file that cannot be used at all (no header, no good row) raises
:class:`CoverageFileError` and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError, OutreachError
from outreach.intake.areas import (
    AreaOptions,
    KecamatanOption,
    load_area_options,
    match_kecamatan,
    match_kelurahan,
)
from outreach.intake.audit import record_event

# The letter reader's spreadsheet helpers (decoding, CSV rows, cell text, numbered-column rows).
from outreach.intake.letters import (
    HEADER_SCAN_ROWS,
    cell_text,
    csv_rows,
    decode_text,
    is_column_numbers,
)

MAX_ROWS = 3000  # a kabupaten has a few hundred desa; a bigger file is not a coverage file
MAX_ERRORS_SHOWN = 50

# Column keys: area (kode, kecamatan, kelurahan) and counts.
KODE, KEC, KEL = "kode", "kecamatan", "kelurahan"
WAJIB, RECORDED, NOT_RECORDED, FIRST = "wajib_ktp", "recorded", "not_recorded", "first_time"
COUNT_COLUMNS = (WAJIB, RECORDED, NOT_RECORDED, FIRST)
COLUMN_LABELS = {
    KODE: "Kode wilayah",
    KEC: "Kecamatan",
    KEL: "Kelurahan/Desa",
    WAJIB: "Wajib KTP",
    RECORDED: "Sudah rekam",
    NOT_RECORDED: "Belum rekam",
    FIRST: "Pemula",
}
# Rows that sum others up: skipped, not reported.
_TOTAL_ROW = re.compile(r"^(jumlah|total|sub ?total|grand ?total)\b")


class CoverageFileError(IntakeError):
    """The whole file cannot be used; ``errors`` lists the rows' problems when there are any."""

    def __init__(self, message: str, errors: Sequence[RowError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class RowError:
    """One bad row: its number as the spreadsheet shows it, and what is wrong (Indonesian)."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"Baris {self.row}: {self.message}"


@dataclass(frozen=True)
class CoverageRow:
    """One good row: an area and its counts."""

    row: int
    kelurahan_id: int | None
    kecamatan_id: int
    name: str
    wajib_ktp: int
    recorded: int
    not_recorded: int
    first_time: int | None


@dataclass
class ReadResult:
    """Good rows and row errors of one file."""

    rows: list[CoverageRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    as_of: dt.date | None = None  # a date found in the title rows ("Keadaan per 30-11-2026")


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_coverage` stored."""

    import_id: int
    as_of: dt.date
    kelurahan: int
    kecamatan: int
    errors: tuple[RowError, ...]

    @property
    def imported(self) -> int:
        """Rows stored."""
        return self.kelurahan + self.kecamatan


# --- header ----------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]", " ", text.lower()).split())


def header_key(text: str) -> str | None:
    """The column a header cell names (``"Jml Belum Rekam KTP-el"`` -> ``not_recorded``)."""
    key = _norm(text)
    if not key or "%" in text or "persen" in key:
        return None  # a share column ("% belum rekam"): the counts are what is imported
    words = set(key.split())
    if key in {"no", "nomor", "no urut"}:
        return "no"
    if "kode" in words or key.startswith("kode"):
        return KODE
    if "belum" in words and ("rekam" in key or "perekaman" in key or "ktp" in key):
        return NOT_RECORDED
    if ("sudah" in words or "telah" in words) and ("rekam" in key or "ktp" in key):
        return RECORDED
    if "wajib" in words or key == "wktp":
        return WAJIB
    if "pemula" in words or "17" in words:
        return FIRST
    if "kelurahan" in words or "desa" in words or "kalurahan" in words:
        return KEL
    if "kecamatan" in words or "kemantren" in words or "distrik" in words:
        return KEC
    return None


def _map_header(texts: Sequence[str]) -> dict[int, str]:
    mapped: dict[int, str] = {}
    for i, text in enumerate(texts):
        key = header_key(text)
        if key is not None and key not in mapped.values():
            mapped[i] = key
    return mapped


def _is_header(mapped: dict[int, str]) -> bool:
    names = set(mapped.values())
    return bool(names & {KODE, KEC, KEL}) and len(names & {WAJIB, RECORDED, NOT_RECORDED}) >= 1


def _two_row_header(top: Sequence[str], below: Sequence[str]) -> dict[int, str]:
    """A header whose counts are split under a merged cell: ``Perekaman`` over ``Sudah|Belum``."""
    texts: list[str] = []
    parent = ""
    for i in range(max(len(top), len(below))):
        upper = top[i] if i < len(top) else ""
        lower = below[i] if i < len(below) else ""
        parent = upper or (parent if lower else "")
        texts.append(f"{parent} {lower}".strip() if lower else upper)
    return _map_header(texts)


def _counts_known(mapped: dict[int, str]) -> bool:
    return len(set(mapped.values()) & {WAJIB, RECORDED, NOT_RECORDED}) >= 2


# --- numbers ---------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"-?\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*")


def parse_count(text: str, what: str) -> int | None:
    """A whole count as written in a spreadsheet: ``1.234``, ``1,234``, ``1 234``, ``-`` (0).

    Returns None for an empty cell; raises ValueError with an Indonesian message otherwise.
    """
    value = text.strip().replace("\u00a0", " ")
    if not value:
        return None
    if value in {"-", "–", "—"}:
        return 0
    compact = value.replace(" ", "") if re.fullmatch(r"-?[\d ]+", value) else value
    if re.fullmatch(r"-?\d+", compact):
        number = int(compact)
    elif _THOUSANDS.fullmatch(value):
        number = int(re.sub(r"[.,\s]", "", value))
    elif re.fullmatch(r"-?\d+[.,]0+", value):
        number = int(re.split(r"[.,]", value)[0])
    else:
        msg = f"{what} bukan bilangan bulat: '{value[:20]}'."
        raise ValueError(msg)
    if number < 0:
        msg = f"{what} tidak boleh negatif ({number})."
        raise ValueError(msg)
    return number


# --- reading tables --------------------------------------------------------------------------

_AS_OF = re.compile(
    r"\b(?:per|keadaan|tanggal|tgl|posisi)\b[^0-9]{0,20}(\d{1,2}[-/. ]\S+[-/. ]\d{4})"
)


def _date_in(texts: Iterable[str]) -> dt.date | None:
    from outreach.intake.letters import parse_date

    for text in texts:
        match = _AS_OF.search(text.lower())
        if match:
            try:
                return parse_date(match.group(1))
            except OutreachError:
                continue
    return None


@dataclass(frozen=True)
class _Raw:
    row: int
    values: dict[str, str]


def _rows_from_table(table: Iterable[Sequence[Any]]) -> tuple[list[_Raw], dt.date | None]:
    """Find the header (one or two rows), then read the rows below it."""
    header: dict[int, str] | None = None
    pending: tuple[list[str], dict[int, str]] | None = None  # a header waiting for its counts
    titles: list[str] = []
    rows: list[_Raw] = []
    for number, cells in enumerate(table, start=1):
        texts = [cell_text(c) for c in cells]
        if header is None:
            if pending is not None:
                below = _two_row_header(pending[0], texts)
                if _counts_known(below):
                    header = below
                    continue
                header = pending[1]  # a one-row header after all: this row is data
            else:
                mapped = _map_header(texts)
                if _is_header(mapped) and not _counts_known(mapped):
                    pending = (texts, mapped)
                    continue
                if _is_header(mapped):
                    header = mapped
                    continue
                titles.extend(t for t in texts if t)
                if number >= HEADER_SCAN_ROWS:
                    break
                continue
        if is_column_numbers(texts):
            continue
        values = {key: texts[i] if i < len(texts) else "" for i, key in header.items()}
        values.pop("no", None)
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            msg = f"Terlalu banyak baris: paling banyak {MAX_ROWS} wilayah per berkas."
            raise CoverageFileError(msg)
        rows.append(_Raw(row=number, values=values))
    if header is None and pending is not None:
        header = pending[1]
    if header is None:
        if not titles:
            raise CoverageFileError("Berkas kosong.")
        msg = (
            "Baris judul tidak ditemukan: harus ada kolom wilayah (Kode wilayah, Kecamatan atau "
            "Kelurahan/Desa) dan kolom Wajib KTP, Sudah rekam atau Belum rekam (di salah satu "
            f"dari {HEADER_SCAN_ROWS} baris pertama)."
        )
        raise CoverageFileError(msg)
    names = set(header.values())
    if not _counts_known(header):
        have = ", ".join(COLUMN_LABELS[k] for k in (WAJIB, RECORDED, NOT_RECORDED) if k in names)
        msg = (
            f"Kolom jumlah kurang: ada {have}; perlu dua dari Wajib KTP, Sudah rekam dan "
            "Belum rekam."
        )
        raise CoverageFileError(msg)
    return rows, _date_in(titles)


def _read_csv(data: bytes) -> tuple[list[_Raw], dt.date | None]:
    try:
        text = decode_text(data).replace("\x00", "")
    except IntakeError as exc:
        raise CoverageFileError(str(exc)) from exc
    first: CoverageFileError | None = None
    for delimiter in (";", ",", "\t"):
        try:
            return _rows_from_table(csv_rows(text, delimiter))
        except IntakeError as exc:
            error = exc if isinstance(exc, CoverageFileError) else CoverageFileError(str(exc))
            if "Terlalu banyak" in str(exc):
                raise error from exc
            # Prefer the error of a delimiter that found a header (missing columns).
            if first is None or "Baris judul" in str(first):
                first = error
    assert first is not None
    raise first


def _read_xlsx(data: bytes) -> tuple[list[_Raw], dt.date | None]:
    unreadable = "Berkas XLSX tidak dapat dibaca. Simpan ulang dari Excel sebagai .xlsx."
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise CoverageFileError(unreadable) from exc
    try:
        first: CoverageFileError | None = None
        for sheet in wb.worksheets:  # the first sheet with a header
            try:
                return _rows_from_table(sheet.iter_rows(values_only=True))
            except CoverageFileError as exc:
                if "Terlalu banyak" in str(exc):
                    raise
                first = first or exc
        raise first or CoverageFileError("Berkas kosong.")
    except CoverageFileError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read
        raise CoverageFileError(unreadable) from exc
    finally:
        wb.close()


# --- checking rows ---------------------------------------------------------------------------


def _code_digits(text: str) -> str:
    return re.sub(r"[.\s\-/]", "", text.strip())


def _format_code(digits: str) -> str | None:
    """``3471011001`` -> ``34.71.01.1001``; ``347101`` -> ``34.71.01``; otherwise None."""
    if not digits.isdigit():
        return None
    if len(digits) == 10:
        return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
    if len(digits) == 6:
        return f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"
    return None


@dataclass(frozen=True)
class _Area:
    kelurahan_id: int | None
    kecamatan_id: int
    name: str


def _area(values: dict[str, str], options: AreaOptions, kecamatan: KecamatanOption | None) -> _Area:
    """The row's area, or ValueError with an Indonesian message."""
    kec_by_code = {k.code: k for k in options.kecamatan}
    code_text = values.get(KODE, "").strip()
    if code_text:
        code = _format_code(_code_digits(code_text))
        if code is None:
            msg = (
                f"Kode wilayah '{code_text[:20]}' tidak dikenal: tulis kode Kemendagri kelurahan "
                "(mis. 34.71.01.1001) atau kecamatan (mis. 34.71.01)."
            )
            raise ValueError(msg)
        kel = options.kelurahan_by_code(code)
        if kel is not None:
            return _Area(kel.id, kec_by_code[kel.kecamatan_code].id, kel.name)
        kec = options.kecamatan_by_code(code)
        if kec is not None:
            return _Area(None, kec.id, kec.name)
        msg = f"Kode wilayah {code} tidak ada di wilayah kantor ini."
        raise ValueError(msg)
    kel_name = values.get(KEL, "").strip()
    if kel_name:
        kel = match_kelurahan(
            kel_name, options, kecamatan_code=kecamatan.code if kecamatan else None
        )
        if kel is None:
            where = f" di Kec. {kecamatan.name}" if kecamatan else ""
            msg = f"Kelurahan/desa '{kel_name[:60]}' tidak dikenal{where}."
            raise ValueError(msg)
        return _Area(kel.id, kec_by_code[kel.kecamatan_code].id, kel.name)
    if kecamatan is not None:
        return _Area(None, kecamatan.id, kecamatan.name)
    if values.get(KEC, "").strip():
        msg = f"Kecamatan '{values[KEC].strip()[:60]}' tidak dikenal."
        raise ValueError(msg)
    msg = "Wilayah kosong: isi kode wilayah atau nama kelurahan/kecamatan."
    raise ValueError(msg)


def _counts(values: dict[str, str]) -> tuple[int, int, int, int | None]:
    """``(wajib_ktp, recorded, not_recorded, first_time)``, or ValueError."""
    numbers = {key: parse_count(values.get(key, ""), COLUMN_LABELS[key]) for key in COUNT_COLUMNS}
    wajib, recorded, missing = numbers[WAJIB], numbers[RECORDED], numbers[NOT_RECORDED]
    known = [k for k in (WAJIB, RECORDED, NOT_RECORDED) if numbers[k] is not None]
    if len(known) < 2:
        empty = [COLUMN_LABELS[k] for k in (WAJIB, RECORDED, NOT_RECORDED) if numbers[k] is None]
        msg = f"Jumlah kosong: {', '.join(empty)}."
        raise ValueError(msg)
    if wajib is None:
        assert recorded is not None and missing is not None
        wajib = recorded + missing
    if recorded is None:
        assert missing is not None
        recorded = wajib - missing
        if recorded < 0:
            msg = f"Belum rekam ({missing}) lebih besar dari wajib KTP ({wajib})."
            raise ValueError(msg)
    if recorded > wajib:
        msg = f"Sudah rekam ({recorded}) lebih besar dari wajib KTP ({wajib})."
        raise ValueError(msg)
    if missing is None:
        missing = wajib - recorded
    elif recorded + missing != wajib:
        msg = (
            f"Sudah rekam ({recorded}) + belum rekam ({missing}) = {recorded + missing}, "
            f"tidak sama dengan wajib KTP ({wajib})."
        )
        raise ValueError(msg)
    return wajib, recorded, missing, numbers[FIRST]


def check_rows(raw: Sequence[_Raw], options: AreaOptions) -> ReadResult:
    """Each raw row as a :class:`CoverageRow` or one :class:`RowError`."""
    result = ReadResult()
    seen: dict[tuple[int | None, int], int] = {}
    kecamatan: KecamatanOption | None = None
    for item in raw:
        values = item.values
        kec_text = values.get(KEC, "").strip()
        label = _norm(values.get(KEL, "") or kec_text or values.get(KODE, ""))
        if _TOTAL_ROW.match(label) or _TOTAL_ROW.match(_norm(kec_text)):
            continue  # "Jumlah", "Total Kec. ..." rows
        if kec_text:
            # Merged kecamatan cells: the name stands on the group's first row only.
            kecamatan = match_kecamatan(kec_text, options)
            if kecamatan is None and not values.get(KODE, "").strip():
                result.errors.append(
                    RowError(item.row, f"Kecamatan '{kec_text[:60]}' tidak dikenal.")
                )
                continue
        try:
            area = _area(values, options, kecamatan)
            wajib, recorded, missing, first = _counts(values)
        except ValueError as exc:
            result.errors.append(RowError(item.row, str(exc)))
            continue
        key = (area.kelurahan_id, area.kecamatan_id)
        if key in seen:
            result.errors.append(
                RowError(item.row, f"{area.name} sudah ada di baris {seen[key]}; baris dilewati.")
            )
            continue
        seen[key] = item.row
        result.rows.append(
            CoverageRow(
                row=item.row,
                kelurahan_id=area.kelurahan_id,
                kecamatan_id=area.kecamatan_id,
                name=area.name,
                wajib_ktp=wajib,
                recorded=recorded,
                not_recorded=missing,
                first_time=first,
            )
        )
    return result


def read_coverage_file(filename: str, data: bytes, options: AreaOptions) -> ReadResult:
    """Read and check a coverage file (CSV or XLSX) against the office's areas.

    Raises
    ------
    CoverageFileError
        Not CSV/XLSX, unreadable, no header, too many rows.
    """
    name = filename.lower()
    if name.endswith(".csv"):
        raw, as_of = _read_csv(data)
    elif name.endswith(".xlsx"):
        raw, as_of = _read_xlsx(data)
    else:
        raise CoverageFileError("Format berkas tidak didukung: unggah .csv atau .xlsx.")
    result = check_rows(raw, options)
    result.as_of = as_of
    return result


def import_coverage(
    session: Session,
    office: models.Office,
    *,
    filename: str,
    data: bytes,
    as_of: dt.date | None,
    actor: str,
    today: dt.date,
) -> ImportResult:
    """Read ``data`` and store its good rows as one :class:`~outreach.models.CoverageImport`.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    office
        The office whose region the areas must belong to.
    filename, data
        The file's name (its extension decides the format) and bytes.
    as_of
        The counts' date; None: the date in the file's title rows ("Keadaan per ..."),
        else ``today``.
    actor
        Who imports (``"user:3"``, ``"cli"``).
    today
        The office's today.

    Raises
    ------
    CoverageFileError
        The file cannot be used at all, or none of its rows is good (``errors`` lists them):
        nothing is written.
    """
    options = load_area_options(session, office.region_slug)
    if options.is_empty:
        msg = "Batas wilayah kantor belum diimpor: impor paket wilayah terlebih dahulu."
        raise CoverageFileError(msg)
    result = read_coverage_file(filename, data, options)
    if not result.rows:
        if result.errors:
            msg = f"Tidak ada baris yang dapat diimpor ({len(result.errors)} baris salah)."
        else:
            msg = "Tidak ada baris wilayah di bawah baris judul."
        raise CoverageFileError(msg, result.errors)
    when = as_of or result.as_of or today
    if when > today:
        raise CoverageFileError(f"Tanggal data ({when:%d-%m-%Y}) belum lewat.")
    row = models.CoverageImport(
        office_id=office.id,
        as_of=when,
        file_name=filename[-200:],
        imported_at=models.utcnow(),
        actor=actor,
    )
    row.counts = [
        models.CoverageCount(
            kelurahan_id=r.kelurahan_id,
            kecamatan_id=r.kecamatan_id,
            wajib_ktp=r.wajib_ktp,
            recorded=r.recorded,
            not_recorded=r.not_recorded,
            first_time=r.first_time,
        )
        for r in result.rows
    ]
    session.add(row)
    session.flush()
    kel = sum(1 for r in result.rows if r.kelurahan_id is not None)
    record_event(
        session,
        actor=actor,
        action="coverage.import",
        entity="coverage_import",
        entity_id=row.id,
        detail={
            "as_of": when.isoformat(),
            "rows": len(result.rows),
            "rows_with_errors": len(result.errors),
        },
    )
    return ImportResult(
        import_id=row.id,
        as_of=when,
        kelurahan=kel,
        kecamatan=len(result.rows) - kel,
        errors=tuple(result.errors),
    )
