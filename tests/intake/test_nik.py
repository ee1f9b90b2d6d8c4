"""NIK: decoding, rejection of bad ones, and round-trips with make_nik."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.errors import IntakeError
from outreach.intake.nik import load_wilayah, make_nik, parse_nik
from tests.conftest import SHARED_REFERENCE

WILAYAH = load_wilayah(SHARED_REFERENCE / "kode_wilayah.csv")
TODAY = dt.date(2026, 11, 22)


def test_woman_born_1980_in_gondokusuman() -> None:
    info = parse_nik("3471 0545 0780 0003", wilayah=WILAYAH, today=TODAY)
    assert info.kecamatan_code == "34.71.05"
    assert info.birth_date == dt.date(1980, 7, 5) and info.female
    assert info.kabkota_code == "34.71"


def test_two_digit_year_is_never_in_the_future() -> None:
    # 01-01-27 cannot be 2027 (after today): it is read as 1927.
    assert parse_nik("3471010101270003", wilayah=WILAYAH, today=TODAY).birth_date.year == 1927
    assert parse_nik("3471012111260003", wilayah=WILAYAH, today=TODAY).birth_date.year == 2026
    assert parse_nik("3471012311260003", wilayah=WILAYAH, today=TODAY).birth_date.year == 1926


def test_old_code_still_valid() -> None:
    # Merauke was 91.01 before the 2022 Papua split; its old NIKs stay valid.
    info = parse_nik("9101010101900001", wilayah=WILAYAH, today=TODAY)
    assert info.kecamatan_name == "Merauke"


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("347101450780", "16 angka"),
        ("34710145078000AB", "16 angka"),
        ("9999994507800003", "kode kecamatan"),
        ("3471013213800003", "bukan tanggal"),
        ("3471017202800003", "bukan tanggal"),
        ("3471010507800000", "0000"),
    ],
)
def test_bad_niks_say_why(nik: str, fragment: str) -> None:
    with pytest.raises(IntakeError, match=fragment):
        parse_nik(nik, wilayah=WILAYAH, today=TODAY)


@given(
    born=st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY),
    female=st.booleans(),
    serial=st.integers(1, 9999),
    prefix=st.sampled_from(sorted(WILAYAH.kecamatan)),
)
def test_make_then_parse_round_trips(born: dt.date, female: bool, serial: int, prefix: str) -> None:
    info = parse_nik(
        make_nik(prefix, born, female=female, serial=serial), wilayah=WILAYAH, today=TODAY
    )
    assert (info.birth_date, info.female, info.serial) == (born, female, serial)
    assert info.kecamatan_code.replace(".", "") == prefix
