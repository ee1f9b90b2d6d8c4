"""Phone numbers: every way Indonesians write a number becomes the same +62 form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.errors import IntakeError
from outreach.intake.phone import format_local, last_digits, normalise_phone

# Telkomsel, Indosat, XL, Smartfren, Tri prefixes (mobile, 10-13 digits with the leading 0).
MOBILE_PREFIXES = [
    "811",
    "812",
    "813",
    "821",
    "822",
    "852",
    "853",
    "855",
    "856",
    "857",
    "858",
    "817",
    "818",
    "819",
    "859",
    "877",
    "878",
    "881",
    "882",
    "895",
    "896",
]


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812-3456-7890",
        "+6281234567890",
        "6281234567890",
        "0062 812 3456 7890",
        "+62 (0812) 3456.7890",
        " 0812/3456/7890 ",
    ],
)
def test_spellings_of_one_number(typed: str) -> None:
    assert normalise_phone(typed) == "+6281234567890"


def test_landline_with_area_code() -> None:
    assert normalise_phone("(0274) 512345") == "+62274512345"


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "wajib"),
        ("0812 3456 78x0", "angka"),
        ("08123", "tidak valid"),
        ("+65 9123 4567", "Indonesia"),
        ("+1 202 555 0143", "Indonesia"),
    ],
)
def test_bad_numbers_say_why(typed: str, fragment: str) -> None:
    with pytest.raises(IntakeError, match=fragment):
        normalise_phone(typed)


def test_last_digits_and_local_form() -> None:
    assert last_digits("+6281234567890") == "7890"
    assert last_digits(None) == ""
    assert format_local("+6281234567890") == "0812-3456-7890"


@st.composite
def typed_mobile(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mobile number and one of the many ways it gets typed."""
    prefix = draw(st.sampled_from(MOBILE_PREFIXES))
    rest = draw(st.text("0123456789", min_size=7, max_size=8))
    national = prefix + rest
    head = draw(st.sampled_from(["0", "+62", "62", "+62 ", "0062", "+62 0"]))
    sep = draw(st.sampled_from(["", " ", "-", ".", " - "]))
    # Group the digits the way people do (4-4-4, 3-4-4...), with the chosen separator.
    cut = draw(st.integers(2, 4))
    grouped = sep.join([national[:cut], national[cut : cut + 4], national[cut + 4 :]])
    return f"{head}{grouped}", f"+62{national}"


@given(typed_mobile())
def test_any_spelling_normalises_to_e164(case: tuple[str, str]) -> None:
    typed, expected = case
    try:
        got = normalise_phone(typed)
    except IntakeError:
        # phonenumbers may reject a length for that prefix; never a different number.
        return
    assert got == expected
    assert normalise_phone(got) == got  # idempotent
    assert normalise_phone(format_local(got)) == got


@given(st.text(max_size=30))
def test_never_crashes_on_garbage(text: str) -> None:
    try:
        result = normalise_phone(text)
    except IntakeError:
        return
    assert result.startswith("+62") and result[1:].isdigit()
