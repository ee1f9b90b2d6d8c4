"""NIK (Nomor Induk Kependudukan) checks and construction.

A NIK is 16 digits: 1-6 the kecamatan code where it was first issued (Kemendagri code without
dots), 7-12 the birth date as DDMMYY with 40 added to the day for women, 13-16 a serial number
(0001-9999). Old kecamatan codes stay valid: a NIK keeps the code of where it was issued, so the
check uses every edition of the code list (see ``../shared/reference/README.md``). A kecamatan
code missing from every edition, under a real province and kab/kota, is still accepted (residents
keep their NIK for life while kecamatan move between kabupaten) and flagged
(:data:`FLAG_OLD_KECAMATAN`) for the coordinator to check.

The century of the two-digit birth year is never guessed silently: a full birth date given with
the NIK settles it; without one, the latest past reading is taken and
:attr:`NikInfo.century_certain` says whether the century before is as plausible (a resident over
100 is possible).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from outreach.errors import IntakeError
from outreach.intake.text import clean_text

# ServiceRequest.flags value: the NIK's kecamatan code is in no edition of the code list.
FLAG_OLD_KECAMATAN = "kode_kecamatan_lama"
FLAG_OLD_KECAMATAN_LABEL = "Kode kecamatan lama atau tidak dikenal"  # Indonesian label
# Oldest plausible age of a living resident, for "could the NIK's year be a century earlier?".
MAX_AGE = 115


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
    # False when the century before (birth_date - 100 years) is as plausible: no full birth
    # date settled it and the holder would be at most MAX_AGE.
    century_certain: bool = True
    flags: tuple[str, ...] = ()  # FLAG_OLD_KECAMATAN

    @property
    def warnings(self) -> list[str]:
        """Indonesian notes for the coordinator (the NIK is accepted)."""
        notes = []
        if FLAG_OLD_KECAMATAN in self.flags:
            notes.append(
                f"Kode kecamatan lama atau tidak dikenal ({self.kecamatan_code}): periksa KTP/KK."
            )
        return notes


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


def birth_date_from_nik(
    digits: str, *, today: dt.date, birth_date: dt.date | None = None
) -> tuple[dt.date, bool]:
    """Decode digits 7-12 of a NIK into (birth date, female).

    Parameters
    ----------
    digits
        The 16 digits.
    today
        Reference date: a birth date cannot lie in the future.
    birth_date
        A full birth date given with the NIK (form, resident list). When its day, month and
        two-digit year are those of the NIK, its century is used: it settles 1917 against 2017.

    Without ``birth_date`` the two-digit year is read so that the date is the most recent one
    not after ``today`` (see :func:`century_certain` for whether the century before is as
    plausible).

    Raises
    ------
    IntakeError
        When digits 7-12 are not a date.
    """
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day > 40
    if female:
        day -= 40
    if (
        birth_date is not None
        and (birth_date.day, birth_date.month, birth_date.year % 100) == (day, month, yy)
        and birth_date <= today
    ):
        return birth_date, female
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = dt.date(year, month, day)
    except ValueError:
        try:  # 29 February: only the other century may be a leap year (1900 is not, 2000 is)
            born = dt.date(year - 100, month, day)
        except ValueError as exc:
            msg = "NIK tidak valid: tanggal lahir pada digit 7-12 bukan tanggal yang ada."
            raise IntakeError(msg) from exc
    if born > today:
        # A two-digit year this century but later in the year than today: a century back.
        born = born.replace(year=born.year - 100)
    return born, female


def century_certain(born: dt.date, *, today: dt.date) -> bool:
    """Whether the century before ``born`` is implausible (holder older than :data:`MAX_AGE`)."""
    try:
        earlier = born.replace(year=born.year - 100)
    except ValueError:  # 29 February in a year whose century before is not a leap year
        return True
    age = today.year - earlier.year - ((today.month, today.day) < (earlier.month, earlier.day))
    return age > MAX_AGE


def parse_nik(
    value: str,
    *,
    wilayah: Wilayah,
    today: dt.date | None = None,
    birth_date: dt.date | None = None,
) -> NikInfo:
    """Validate a NIK and decode it.

    Parameters
    ----------
    value
        The NIK as typed; spaces, dots and dashes are ignored, invisible characters removed
        and full-width digits read as digits (:func:`outreach.intake.text.clean_text`).
    wilayah
        Code lists from :func:`load_wilayah`.
    today
        Reference date for "not in the future" (default: today).
    birth_date
        A full birth date given with the NIK: settles the century of its two-digit year when
        day, month and year agree (a mismatch is the caller's to report: compare with
        :attr:`NikInfo.birth_date`).

    Raises
    ------
    IntakeError
        With an Indonesian message saying what is wrong.
    """
    today = today or dt.date.today()
    digits = "".join(ch for ch in clean_text(value) if ch not in " .-")
    if not digits.isdigit() or len(digits) != 16 or not digits.isascii():
        msg = "NIK harus 16 angka."
        raise IntakeError(msg)
    prefix = digits[:6]
    flags: tuple[str, ...] = ()
    if prefix in wilayah.kecamatan:
        kecamatan_name = wilayah.kecamatan[prefix]
    elif prefix[:4] in wilayah.kabkota:
        # Kecamatan move between kabupaten (pemekaran); residents keep their NIK for life.
        kecamatan_name = ""
        flags = (FLAG_OLD_KECAMATAN,)
    else:
        msg = (
            f"NIK tidak valid: 6 angka pertama ({prefix}) bukan kode kecamatan yang terdaftar "
            f"dan kode kabupaten/kota {prefix[:4]} tidak ada."
        )
        raise IntakeError(msg)
    # Never in the future by construction: the two-digit year is read as the latest past one.
    born, female = birth_date_from_nik(digits, today=today, birth_date=birth_date)
    serial = int(digits[12:])
    if serial == 0:
        msg = "NIK tidak valid: nomor urut (4 angka terakhir) tidak boleh 0000."
        raise IntakeError(msg)
    settled = birth_date is not None and born == birth_date
    return NikInfo(
        nik=digits,
        kecamatan_code=_dotted(prefix),
        kecamatan_name=kecamatan_name,
        kabkota_code=_dotted(prefix[:4]),
        birth_date=born,
        female=female,
        serial=serial,
        century_certain=settled or century_certain(born, today=today),
        flags=flags,
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
