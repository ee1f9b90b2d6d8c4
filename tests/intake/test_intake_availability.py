"""Availability: days and hours typed in the form or written in a message."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.errors import IntakeError
from outreach.intake.availability import (
    SlotDraft,
    describe_availability,
    parse_availability,
    parse_availability_text,
)


def test_form_slots() -> None:
    got = parse_availability(
        [SlotDraft(days=["0", "2"], start="09:00", end="12:00"), SlotDraft(), SlotDraft(days=["5"])]
    )
    assert got == [
        {"days": [0, 2], "start": "09:00", "end": "12:00"},
        {"days": [5], "start": "08:00", "end": "15:00"},
    ]
    assert describe_availability(got) == "Senin, Rabu 09.00–12.00; Sabtu 08.00–15.00"
    assert parse_availability([SlotDraft()]) == []
    assert describe_availability([]) == "Kapan saja pada jam kerja"


def test_times_only_means_every_day() -> None:
    assert parse_availability([SlotDraft(start="13.00", end="14.30")]) == [
        {"days": list(range(7)), "start": "13:00", "end": "14:30"}
    ]


@pytest.mark.parametrize(
    ("slot", "fragment"),
    [
        (SlotDraft(days=["0"], start="12:00", end="09:00"), "setelah"),
        (SlotDraft(days=["0"], start="16:00", end="18:00"), "beririsan"),
        (SlotDraft(days=["9"]), "Hari"),
        (SlotDraft(days=["0"], start="25:00", end="26:00"), "tidak ada"),
        (SlotDraft(days=["0"], start="pagi"), "tidak dikenali"),
    ],
)
def test_bad_slots(slot: SlotDraft, fragment: str) -> None:
    with pytest.raises(IntakeError, match=fragment):
        parse_availability([slot], work_start=dt.time(8), work_end=dt.time(15))


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("Senin-Jumat 08.00-12.00", ["0", "1", "2", "3", "4"], "08:00", "12:00"),
        ("sabtu pagi", ["5"], "08:00", "11:00"),
        ("setiap hari jam 9-14", [str(d) for d in range(7)], "09:00", "14:00"),
        ("kamis dan sabtu sore", ["3", "5"], "14:00", "17:00"),
        ("jumat s/d senin", ["0", "4", "5", "6"], "", ""),
        ("Senin sampai Rabu pukul 13.00 s.d. 15.00", ["0", "1", "2"], "13:00", "15:00"),
    ],
)
def test_text(text: str, days: list[str], start: str, end: str) -> None:
    assert parse_availability_text(text) == [SlotDraft(days=days, start=start, end=end)]


def test_text_without_days_or_times() -> None:
    assert parse_availability_text("kapan-kapan") == []
