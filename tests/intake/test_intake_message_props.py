"""Properties of the message parser: any layout of known fields reads back; nothing raises."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from outreach.intake.areas import AreaOptions, load_area_options
from outreach.intake.message import message_to_draft, parse_message

NAMES = st.from_regex(r"[A-Z][a-z]{2,9}( [A-Z][a-z]{2,9}){0,2}", fullmatch=True)
# Woman's NIK (day + 40): unambiguous, and a KK number that can never be one.
NIKS = st.from_regex(
    r"3471[0-9]{2}(4[1-9]|5[0-9]|6[0-9])(0[1-9]|1[0-2])[0-9]{2}[0-9]{3}[1-9]", fullmatch=True
)
KKS = st.from_regex(
    r"3471[0-9]{2}(0[1-9]|1[0-9]|2[0-8])(0[1-9]|1[0-2])[0-9]{2}[0-9]{3}[1-9]", fullmatch=True
)
PHONES = st.from_regex(r"08[1-9][0-9]{8,9}", fullmatch=True)
FIELDS = {
    "person_name": (("Nama", "Nama lengkap"), NAMES),
    "nik": (("NIK", "No KTP", "Nomor NIK"), NIKS),
    "kk_number": (("No KK", "Nomor KK"), KKS),
    "phone": (("No HP", "HP", "No WA", "WhatsApp"), PHONES),
}
PREFIXES = ["", "20/11/26 10.15 - Budi: ", "[20/11/26 10.15.23] Budi: ", "20/11/26, 10:15 - Ani: "]


def group(value: str, sep: str) -> str:
    return sep.join(value[i : i + 4] for i in range(0, len(value), 4))


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, unique=True))
    expected: dict[str, str] = {}
    lines: list[str] = []
    prefix = draw(st.sampled_from(PREFIXES))
    for name in draw(st.permutations(names)):
        labels, values = FIELDS[name]
        label = draw(st.sampled_from(labels))
        value = draw(values)
        expected[name] = value
        shown = value
        if name != "person_name":
            shown = draw(
                st.sampled_from([value, group(value, " "), group(value, "."), group(value, "-")])
            )
        marker = draw(st.sampled_from(["", "*", "_"]))
        label = f"{marker}{label}{marker}"
        layout = draw(st.sampled_from(["colon", "equals", "own line", "no colon"]))
        if layout == "colon":
            lines.append(f"{label}: {shown}")
        elif layout == "equals":
            lines.append(f"{label} = {shown}")
        elif layout == "own line":
            lines += [label, shown]
        else:
            lines.append(f"{label} {shown}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["🙏", "Diteruskan", "terima kasih 😊"])))
    text = "\n".join(prefix + line for line in lines)
    return text, expected


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@settings(max_examples=200, deadline=None)
@given(messages())
@example(("Nama\nIafo", {"person_name": "Iafo"}))  # found by this test: a name like "info"
def test_any_layout_reads_back(case: tuple[str, dict[str, str]]) -> None:
    text, expected = case
    fields = parse_message(text).fields
    got = {
        k: (fields.get(k, "") if k == "person_name" else digits(fields.get(k, "")))
        for k in expected
    }
    assert got == expected, text
    if "kk_number" in expected:
        assert digits(fields.get("nik", "")) != expected["kk_number"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_no_input_raises(text: str) -> None:
    parse_message(text)


ALPHABET = st.sampled_from(
    [*"0123456789 .-/:#;*_~\n", "RT", "RW", "NIK", "KK", "Nama", "jam", "siang", "kel ", "\u2066"]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_no_structured_noise_raises(areas_fixture: AreaOptions, text: str) -> None:
    result = message_to_draft(text, areas_fixture)
    assert "\x00" not in result.source_text


@pytest.fixture
def areas_fixture(yapp: object, session: Session) -> AreaOptions:
    return load_area_options(session, "kota-yogyakarta")
