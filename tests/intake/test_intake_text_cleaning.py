"""Issue 9, section 3: invisible/format characters and full-width digits, NUL bytes, and the
log filter for numbers written in groups."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.intake.phone import normalise_phone
from outreach.intake.text import clean_text, clean_values
from outreach.intake.validate import RequestDraft
from outreach.privacy import RedactingFilter, redact
from tests.intake.yogya import form_data, nik_for

INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


@pytest.mark.parametrize(
    "typed",
    [
        "\u2066+62 812-3456-7890\u2069",
        "\u202a+62 812-3456-7890\u202c",
        "\ufeff0812\u00a03456\u00a07890",
        "０８１２-３４５６-７８９０",
        "\u200e＋６２ 812 3456 7890\u200f",
    ],
)
def test_phone_with_invisible_marks(typed: str) -> None:
    assert normalise_phone(typed) == "+6281234567890"


def test_clean_text() -> None:
    assert (
        clean_text(f"{INVISIBLE}34\u200b71\x00 Siti\u00a0Aminah\u3000３４") == "3471 Siti Aminah 34"
    )
    assert clean_text("baris 1\nbaris\t2\r\n") == "baris 1\nbaris\t2\r\n"  # layout kept


@given(st.text())
def test_clean_text_is_idempotent_and_removes_marks(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert not set(once) & set(INVISIBLE + "\x00\u00a0")


def test_clean_values_reaches_nested_slots() -> None:
    from outreach.intake.availability import SlotDraft

    draft = clean_values(
        RequestDraft(nik="\u2066" + nik_for() + "\u2069", availability=[SlotDraft(start="０９:00")])
    )
    assert draft.nik == nik_for() and draft.availability[0].start == "09:00"


def test_public_form_with_invisible_marks_and_nul(yclient: FlaskClient) -> None:
    data = form_data(
        nik="\u2066" + "".join(chr(0xFF10 + int(c)) for c in nik_for()) + "\u2069",
        phone="\u202a+62 812-3456-7890\u202c",
        person_name="Siti\u00a0Aminah\u200b",
        address_street="Jl. Kenari\x00 No. 12",
    )
    res = yclient.post("/layanan/", data=data)
    assert res.status_code in {200, 303}, res.get_data(as_text=True)[:2000]
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None
    assert (req.nik, req.phone, req.person_name) == (nik_for(), "+6281234567890", "Siti Aminah")
    assert "\x00" not in req.address_street


def test_paste_page_cleans_the_message(staff_client: FlaskClient) -> None:
    text = (
        f"Nama: Siti Aminah\u200b\nNIK: \u2066{nik_for()}\u2069\x00\n"
        "HP: \u2066+62 812-3456-7890\u2069"
    )
    page = staff_client.post("/koordinator/whatsapp", data={"pesan": text}).get_data(as_text=True)
    assert f'value="{nik_for()}"' in page and "\u2066" not in page and "\x00" not in page


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("warga NIK 3471 1349 0709 0476 datang", "0476"),
        ("nik=3471.1349.0709.0476", "0476"),
        ("hp 0812.3456.7890 ok", "7890"),
        ("hp +62 812-3456-7890", "7890"),
        ("hp (0812) 3456 7890", "7890"),
        ("nik ３４７１１３４９０７０９０４７６", "０４７６"),
        ("nik 3471\u200b1349\u200b0709\u200b0476", "0476"),
    ],
)
def test_log_filter_catches_grouped_numbers(line: str, secret: str) -> None:
    assert secret not in redact(line)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (line,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage()


@pytest.mark.parametrize("line", ["2026-11-23 10:15:00 rute 3", "ip 10.0.0.1 port 8000", "12.5 km"])
def test_log_filter_leaves_dates_and_numbers(line: str) -> None:
    assert redact(line) == line
