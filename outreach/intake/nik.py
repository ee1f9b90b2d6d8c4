"""NIK (Nomor Induk Kependudukan) checks and construction.

A NIK is 16 digits: 1-6 the kecamatan code where it was first issued (Kemendagri code without
dots), 7-12 the birth date as DDMMYY with 40 added to the day for women, 13-16 a serial number
(0001-9999). Old kecamatan codes stay valid: a NIK keeps the code of where it was issued, so the
check uses every edition of the code list (see ``../shared/reference/README.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from outreach.errors import IntakeError


@dataclass(frozen=True)
class NikInfo:
    """What a valid NIK says about its holder."""

    nik: str
    kecamatan_code: str  # dotted, e.g. 34.71.01
    kecamatan_name: str
    kabkota_code: str  # dotted, e.g. 34.71
    birth_date: dt.date
    female: bool
    serial: int


@dataclass(frozen=True)
class Wilayah:
    """Kecamatan and kab/kota names by NIK prefix (6 and 4 digits)."""

    kecamatan: dict[str, str]
    kabkota: dict[str, str]


@functools.lru_cache(maxsize=4)
def load_wilayah(csv_path: str | Path) -> Wilayah:
    """Read ``kode_wilayah.csv`` (cached per path).

    Raises
    ------
    IntakeError
        When the file is missing or lacks the expected columns.
    """
    path = Path(csv_path)
    kecamatan: dict[str, str] = {}
    kabkota: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["tingkat"] == "kecamatan":
                    kecamatan[row["nik_prefix"]] = row["nama"]
                elif row["tingkat"] == "kabupaten_kota":
                    kabkota[row["nik_prefix"]] = row["nama"]
    except (OSError, KeyError) as exc:
        msg = f"Daftar kode wilayah tidak dapat dibaca: {path} ({exc})"
        raise IntakeError(msg) from exc
    if not kecamatan:
        msg = f"Daftar kode wilayah kosong: {path}"
        raise IntakeError(msg)
    return Wilayah(kecamatan=kecamatan, kabkota=kabkota)


def _dotted(prefix: str) -> str:
    return ".".join(prefix[i : i + 2] for i in range(0, len(prefix), 2))


def birth_date_from_nik(digits: str, *, today: dt.date) -> tuple[dt.date, bool]:
    """Decode digits 7-12 of a NIK into (birth date, female).

    The two-digit year is read so that the date is the most recent one not after ``today``
    (a NIK cannot tell 1926 from 2026, and a birth date cannot lie in the future).
    """
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day > 40
    if female:
        day -= 40
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = dt.date(year, month, day)
    except ValueError as exc:
        msg = "NIK tidak valid: tanggal lahir pada digit 7-12 bukan tanggal yang ada."
        raise IntakeError(msg) from exc
    if born > today:
        # A two-digit year this century but later in the year than today: a century back.
        born = born.replace(year=year - 100)
    return born, female


def parse_nik(value: str, *, wilayah: Wilayah, today: dt.date | None = None) -> NikInfo:
    """Validate a NIK and decode it.

    Parameters
    ----------
    value
        The NIK as typed; spaces, dots and dashes are ignored.
    wilayah
        Code lists from :func:`load_wilayah`.
    today
        Reference date for "not in the future" (default: today).

    Raises
    ------
    IntakeError
        With an Indonesian message saying what is wrong.
    """
    today = today or dt.date.today()
    digits = "".join(ch for ch in value if ch not in " .-")
    if not digits.isdigit() or len(digits) != 16:
        msg = "NIK harus 16 angka."
        raise IntakeError(msg)
    prefix = digits[:6]
    if prefix not in wilayah.kecamatan:
        msg = f"NIK tidak valid: 6 angka pertama ({prefix}) bukan kode kecamatan yang terdaftar."
        raise IntakeError(msg)
    # Never in the future by construction: the two-digit year is read as the latest past one.
    born, female = birth_date_from_nik(digits, today=today)
    serial = int(digits[12:])
    if serial == 0:
        msg = "NIK tidak valid: nomor urut (4 angka terakhir) tidak boleh 0000."
        raise IntakeError(msg)
    return NikInfo(
        nik=digits,
        kecamatan_code=_dotted(prefix),
        kecamatan_name=wilayah.kecamatan[prefix],
        kabkota_code=_dotted(prefix[:4]),
        birth_date=born,
        female=female,
        serial=serial,
    )


def make_nik(kecamatan_code: str, birth_date: dt.date, *, female: bool, serial: int) -> str:
    """Build a structurally valid NIK (for demo data and tests).

    Parameters
    ----------
    kecamatan_code
        Dotted (``34.71.01``) or plain (``347101``) kecamatan code.
    birth_date
        The holder's date of birth.
    female
        Adds 40 to the day, as on real NIKs.
    serial
        1-9999.
    """
    prefix = kecamatan_code.replace(".", "")
    if len(prefix) != 6 or not prefix.isdigit():
        msg = f"bad kecamatan code: {kecamatan_code!r}"
        raise ValueError(msg)
    if not 1 <= serial <= 9999:
        msg = f"serial must be 1-9999, got {serial}"
        raise ValueError(msg)
    day = birth_date.day + (40 if female else 0)
    return f"{prefix}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
