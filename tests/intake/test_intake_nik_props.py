"""NIK properties: any input either parses to a consistent NikInfo or says why in Indonesian."""

from __future__ import annotations

import contextlib
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from outreach.errors import IntakeError
from outreach.intake.nik import load_wilayah, make_nik, parse_nik
from tests.conftest import SHARED_REFERENCE

WILAYAH = load_wilayah(SHARED_REFERENCE / "kode_wilayah.csv")
TODAY = dt.date(2026, 11, 22)


@given(st.from_regex(r"[0-9]{16}", fullmatch=True))
def test_any_sixteen_digits_parse_or_say_why(digits: str) -> None:
    try:
        info = parse_nik(digits, wilayah=WILAYAH, today=TODAY)
    except IntakeError as exc:
        assert str(exc).startswith("NIK")  # an Indonesian message, never a crash
        return
    assert info.birth_date <= TODAY  # never in the future
    day = int(digits[6:8])
    assert info.female == (day > 40)
    assert info.birth_date.day == (day - 40 if info.female else day)
    assert info.kecamatan_code.replace(".", "") == digits[:6]


@given(
    st.dates(min_value=dt.date(1930, 1, 1), max_value=TODAY),
    st.booleans(),
    st.sampled_from(["3471 13", "3471-13", "347113"]),
    st.sampled_from(["", " ", "-", "."]),
)
def test_typed_with_separators(born: dt.date, female: bool, prefix: str, sep: str) -> None:
    nik = make_nik(prefix.replace(" ", "").replace("-", ""), born, female=female, serial=42)
    typed = sep.join(nik[i : i + 4] for i in range(0, 16, 4))
    info = parse_nik(typed, wilayah=WILAYAH, today=TODAY)
    assert info.nik == nik and info.birth_date == born and info.female == female


@given(st.text(max_size=20))
def test_garbage_never_crashes(text: str) -> None:
    with contextlib.suppress(IntakeError):
        parse_nik(text, wilayah=WILAYAH, today=TODAY)


@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    female=st.booleans(),
    prefix=st.sampled_from(["347113", "347101", "320722"]),
)
def test_a_full_birth_date_always_settles_the_century(
    born: dt.date, female: bool, prefix: str
) -> None:
    nik = make_nik(prefix, born, female=female, serial=7)
    info = parse_nik(nik, wilayah=WILAYAH, today=TODAY, birth_date=born)
    assert info.birth_date == born and info.century_certain and info.female == female
