"""Checks of single form fields shared by requests and letters, and the error collector.

Each check takes the text as typed and returns the normalised value or raises
:class:`~outreach.errors.IntakeError` with an Indonesian message for the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from outreach.errors import IntakeError
from outreach.intake.areas import AreaOptions, KecamatanOption, KelurahanOption
from outreach.intake.text import clean_text

MAX_NAME = 200
# The largest id every database holds: the primary keys are INTEGER, 32 bits on PostgreSQL
# (SQLite's INTEGER would hold 2**63 - 1; a larger id sent to PostgreSQL is a DataError).
MAX_ID = 2**31 - 1
# Letters of any script, separated by spaces and the punctuation names carry
# ("Moh. Ali", "Siti 'Aisyah", "Anak Agung Gde").
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ .,'’`-]+[^\W\d_]+)*\.?$")


class FormError(IntakeError):
    """Several fields are wrong; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class Collector:
    """Run each field check and keep the first message per field."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Return ``func(*args, **kwargs)``, or None after noting its error under ``name``."""
        try:
            return func(*args, **kwargs)
        except IntakeError as exc:
            self.errors.setdefault(name, str(exc))
            return None


def read_id(text: object) -> int | None:
    """An id sent by a form (a select's or checkbox's value): 1 to ``MAX_ID``, else None.

    ``str.isdigit`` alone lets superscripts and other scripts' digits through (``int`` then
    fails) and a number too big for the database's integer column.
    """
    value = str(text or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def clean_line(text: str) -> str:
    """Collapse runs of whitespace inside one-line fields (invisible marks removed first)."""
    return " ".join(clean_text(text).split())


def check_neighbourhood(value: str, label: str) -> str:
    """RT/RW as three digits (``3`` -> ``003``), the way they are written on a KK.

    Raises
    ------
    IntakeError
        When the value is not 1-3 digits or is zero.
    """
    text = value.strip()
    if not text:
        return ""
    if not text.isdigit() or len(text.lstrip("0")) > 3 or not text.lstrip("0"):
        msg = f"{label} diisi angka, contoh: 003."
        raise IntakeError(msg)
    return text.lstrip("0").zfill(3)


def check_name(value: str, *, required: bool, what: str) -> str:
    """A person's name: letters and name punctuation, no digits.

    Raises
    ------
    IntakeError
        When empty (and required), too long, or containing digits or symbols.
    """
    text = clean_line(value)
    if not text:
        if required:
            msg = f"{what} wajib diisi."
            raise IntakeError(msg)
        return ""
    if len(text) > MAX_NAME:
        msg = f"{what} terlalu panjang (paling banyak {MAX_NAME} huruf)."
        raise IntakeError(msg)
    if any(ch.isdigit() for ch in text):
        msg = f"{what} tidak boleh berisi angka. NIK dan nomor HP diisi di kolomnya sendiri."
        raise IntakeError(msg)
    if not _NAME_OK.match(text):
        msg = f"{what} hanya boleh berisi huruf, spasi, titik, koma atau tanda petik."
        raise IntakeError(msg)
    return text


def check_text(value: str, *, limit: int, what: str) -> str:
    """Free text up to ``limit`` characters.

    Raises
    ------
    IntakeError
        When longer than ``limit``.
    """
    text = clean_text(value).strip()
    if len(text) > limit:
        msg = f"{what} terlalu panjang (paling banyak {limit} huruf)."
        raise IntakeError(msg)
    return text


def check_area(
    kecamatan_code: str, kelurahan_code: str, areas: AreaOptions
) -> tuple[KecamatanOption | None, KelurahanOption | None]:
    """The chosen kecamatan and kelurahan; the kelurahan decides the kecamatan.

    Raises
    ------
    IntakeError
        When a code is not of this region or the kelurahan lies in another kecamatan.
    """
    kel = areas.kelurahan_by_code(kelurahan_code) if kelurahan_code else None
    if kelurahan_code and kel is None:
        msg = "Kelurahan tidak dikenal di wilayah ini."
        raise IntakeError(msg)
    kec = areas.kecamatan_by_code(kecamatan_code) if kecamatan_code else None
    if kecamatan_code and kec is None:
        msg = "Kecamatan tidak dikenal di wilayah ini."
        raise IntakeError(msg)
    if kel is not None:
        if kec is not None and kel.kecamatan_code != kec.code:
            msg = f"Kelurahan {kel.name} tidak berada di Kecamatan {kec.name}."
            raise IntakeError(msg)
        kec = areas.kecamatan_by_code(kel.kecamatan_code)
    return kec, kel
