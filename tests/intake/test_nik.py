"""NIK: decoding, rejection of bad ones, and round-trips with make_nik."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.errors import IntakeError
from outreach.intake.nik import FLAG_OLD_KECAMATAN, load_wilayah, make_nik, parse_nik
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


def test_resident_born_1917_the_full_birth_date_settles_the_century() -> None:
    nik = "3471135403170001"  # a woman, 14-03-(19)17
    alone = parse_nik(nik, wilayah=WILAYAH, today=TODAY)
    assert alone.birth_date == dt.date(2017, 3, 14) and not alone.century_certain
    info = parse_nik(nik, wilayah=WILAYAH, today=TODAY, birth_date=dt.date(1917, 3, 14))
    assert info.birth_date == dt.date(1917, 3, 14) and info.century_certain
    # A birth date that does not agree with the NIK does not change its reading.
    other = parse_nik(nik, wilayah=WILAYAH, today=TODAY, birth_date=dt.date(1917, 3, 15))
    assert other.birth_date == dt.date(2017, 3, 14)


def test_century_is_certain_when_the_earlier_one_would_be_too_old() -> None:
    assert parse_nik("3471135503500001", wilayah=WILAYAH, today=TODAY).century_certain  # 1950
    assert parse_nik("3471130101050001", wilayah=WILAYAH, today=TODAY).century_certain  # 2005
    assert not parse_nik("3471130101150001", wilayah=WILAYAH, today=TODAY).century_certain


def test_old_kecamatan_code_is_accepted_and_flagged() -> None:
    # 32.07.22 moved from Ciamis to Pangandaran (2012): in no edition of the list under 32.07.
    assert "320722" not in WILAYAH.kecamatan and "3207" in WILAYAH.kabkota
    info = parse_nik("3207225503500001", wilayah=WILAYAH, today=TODAY)
    assert info.flags == (FLAG_OLD_KECAMATAN,)
    assert info.birth_date == dt.date(1950, 3, 15) and info.female
    assert "Kode kecamatan lama atau tidak dikenal" in info.warnings[0]
    assert parse_nik("3471135503500001", wilayah=WILAYAH, today=TODAY).flags == ()


def test_full_width_digits_and_invisible_marks_are_cleaned() -> None:
    typed = "\u2066３４７１１３５５０３５００００１\u2069\u200b"
    assert parse_nik(typed, wilayah=WILAYAH, today=TODAY).nik == "3471135503500001"
