"""WhatsApp messages: labelled fields in any order, misspelt labels, bare numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from outreach.intake.areas import load_area_options
from outreach.intake.message import (
    category_from_text,
    label_field,
    message_to_draft,
    parse_message,
    services_from_text,
)

TEMPLATE_MESSAGE = """Assalamualaikum, mohon bantuan jemput bola untuk ibu saya
*Nama* : Siti Aminah
NIK= 3471 0545 0780 0003
Almat - Jl. Kenari Gg. Mawar No. 12 RT 03 RW 07 Kel. Semaki Kec. Umbulharjo
No Hp: 0812-3456-7890
Keperluan: rekam KTP
Keterangan: stroke, tidak bisa jalan
Waktu : senin-jumat 09.00-12.00
terima kasih"""


def test_template_message() -> None:
    parsed = parse_message(TEMPLATE_MESSAGE)
    assert parsed.fields["person_name"] == "Siti Aminah"
    assert parsed.fields["nik"] == "3471 0545 0780 0003"
    assert parsed.fields["phone"] == "0812-3456-7890"
    assert parsed.fields["address_street"].startswith("Jl. Kenari Gg. Mawar No. 12")
    assert parsed.unread[0].startswith("Assalamualaikum")
    assert parsed.unread[-1] == "terima kasih"


def test_one_line_with_commas() -> None:
    parsed = parse_message("Nama: Budi, NIK: 3471010101900001, Hp: 081234567890, RT/RW: 2/5")
    assert parsed.fields == {
        "person_name": "Budi",
        "nik": "3471010101900001",
        "phone": "081234567890",
        "rt_rw": "2/5",
    }


def test_bare_numbers_and_second_phone() -> None:
    parsed = parse_message("Budi Santoso\n3471010101900001\n081298765432\nHP: 0812 1111 2222")
    assert parsed.fields["nik"] == "3471010101900001"
    assert parsed.fields["phone"] == "081298765432"
    assert parsed.fields["companion_phone"] == "0812 1111 2222"
    assert parsed.unread == ["Budi Santoso"]


def test_multiline_address_continues() -> None:
    parsed = parse_message("Alamat: Jl. Kenari\nGg. Mawar no 5\nNIK: 3471010101900001")
    assert parsed.fields["address_street"] == "Jl. Kenari Gg. Mawar no 5"


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Nama lengkap", "person_name"),
        ("Nma lengkap", "person_name"),
        ("No. KTP", "nik"),
        ("No WA", "phone"),
        ("Telpon", "phone"),
        ("Kelurhan", "kelurahan"),
        ("Kec", "kecamatan"),
        ("Keprluan", "services"),
        ("Ketrangan", "description"),
        ("RT/RW", "rt_rw"),
        ("Salam", None),
        ("xy", None),
    ],
)
def test_labels_tolerate_typos(label: str, field: str | None) -> None:
    assert label_field(label) == field


def test_services_and_category_from_words() -> None:
    assert services_from_text("rekam KTP dan buat KIA anak") == ["perekaman_ktp", "kia"]
    assert services_from_text("cetak ulang KTP yang hilang") == ["cetak_ktp"]
    assert services_from_text("Kartu Keluarga, akte lahir") == ["kk", "akta"]
    assert category_from_text("bapak stroke, terbaring") == "sakit"
    assert category_from_text("lansia 80 th") == "lansia"


def test_message_to_draft_matches_areas(yapp: object, session: Session) -> None:
    areas = load_area_options(session, "kota-yogyakarta")
    result = message_to_draft(TEMPLATE_MESSAGE, areas)
    d = result.draft
    assert (d.person_name, d.nik, d.phone) == ("Siti Aminah", "3471054507800003", "0812-3456-7890")
    assert (d.rt, d.rw) == ("003", "007")
    assert d.kelurahan == "34.71.13.1001" and d.kecamatan == "34.71.13"
    assert d.address_street == "Jl. Kenari Gg. Mawar No. 12"
    assert d.services == ["perekaman_ktp"] and d.category == "sakit"
    assert d.availability[0].days == ["0", "1", "2", "3", "4"]
    assert not d.consent  # the coordinator confirms consent


def test_unknown_kelurahan_is_reported(yapp: object, session: Session) -> None:
    areas = load_area_options(session, "kota-yogyakarta")
    result = message_to_draft("Nama: Budi\nKel: Atlantis\nHP 081234567890", areas)
    assert result.draft.kelurahan == ""
    assert any("Atlantis" in line for line in result.unread)
    assert result.draft.phone == "081234567890"


def test_misspelt_kelurahan_name(yapp: object, session: Session) -> None:
    areas = load_area_options(session, "kota-yogyakarta")
    result = message_to_draft("Nama: Budi\nKelurahan: Semakki\nKecamatan: Umbulharjo", areas)
    assert result.draft.kelurahan == "34.71.13.1001"


# --- property: generated messages parse back to the values that went in --------------------

NAMES = st.from_regex(r"[A-Z][a-z]{2,9}( [A-Z][a-z]{2,9}){0,2}", fullmatch=True)
FIELDS = {
    "person_name": (("Nama", "Nama lengkap", "Nama warga"), NAMES),
    "nik": (("NIK", "No KTP", "Nomor NIK"), st.from_regex(r"[1-9][0-9]{15}", fullmatch=True)),
    "phone": (
        ("No HP", "HP", "No WA", "Telp", "WhatsApp"),
        st.from_regex(r"08[1-9][0-9]{7,10}", fullmatch=True),
    ),
    "address_street": (
        ("Alamat", "Alamat lengkap"),
        st.from_regex(r"Jl\. [A-Z][a-z]{3,9} No\. [1-9][0-9]?", fullmatch=True),
    ),
    "rt": (("RT",), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    "rw": (("RW",), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    "kelurahan": (("Kel", "Kelurahan", "Desa"), st.sampled_from(["Semaki", "Kricak", "Bener"])),
    "kecamatan": (("Kec", "Kecamatan"), st.sampled_from(["Umbulharjo", "Tegalrejo"])),
    "description": (("Keterangan", "Kondisi"), NAMES),
}
SEPARATORS = [":", " : ", "=", " = ", " - ", ": "]


@st.composite
def typo(draw: st.DrawFn, label: str) -> str:
    """One everyday typo (a letter dropped, doubled or swapped) in a long enough label."""
    if len(label) < 6:
        return label
    i = draw(st.integers(1, len(label) - 2))
    kind = draw(st.sampled_from(["keep", "drop", "double", "swap"]))
    if kind == "drop":
        return label[:i] + label[i + 1 :]
    if kind == "double":
        return label[:i] + label[i] + label[i:]
    if kind == "swap":
        return label[:i] + label[i + 1] + label[i] + label[i + 2 :]
    return label


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=2, unique=True))
    expected: dict[str, str] = {}
    lines = []
    for name in draw(st.permutations(names)):
        labels, values = FIELDS[name]
        label = draw(typo(draw(st.sampled_from(labels))))
        if draw(st.booleans()):
            label = draw(st.sampled_from([label.lower(), label.upper(), f"*{label}*"]))
        bullet = draw(st.sampled_from(["", "- ", "• ", "1. "]))
        value = draw(values)
        expected[name] = value
        lines.append(f"{bullet}{label}{draw(st.sampled_from(SEPARATORS))}{value}")
    if draw(st.booleans()):
        lines.insert(0, "Selamat pagi, mohon dibantu")
    return "\n".join(lines), expected


@settings(max_examples=150)
@given(messages())
def test_generated_messages_parse_back(case: tuple[str, dict[str, str]]) -> None:
    text, expected = case
    parsed = parse_message(text)
    assert {k: parsed.fields.get(k) for k in expected} == expected, text
