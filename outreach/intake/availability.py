"""When someone is at home: days of the week and time ranges.

Stored on :attr:`outreach.models.ServiceRequest.availability` as
``[{"days": [0, 1, 2], "start": "08:00", "end": "12:00"}, ...]`` (0 = Monday); an empty list
means any time within the office's working hours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from outreach.errors import IntakeError

DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
# Spellings seen in messages: "jum'at", "ahad", abbreviations.
_DAY_WORDS = {
    "senin": 0,
    "sen": 0,
    "selasa": 1,
    "sel": 1,
    "rabu": 2,
    "rab": 2,
    "kamis": 3,
    "kam": 3,
    "jumat": 4,
    "jum'at": 4,
    "jumaat": 4,
    "jum": 4,
    "sabtu": 5,
    "sab": 5,
    "minggu": 6,
    "ahad": 6,
    "min": 6,
}
_PARTS_OF_DAY = {
    "pagi": ("08:00", "11:00"),
    "siang": ("11:00", "14:00"),
    "sore": ("14:00", "17:00"),
}
_DAY_WORD = "|".join(sorted(map(re.escape, _DAY_WORDS), key=len, reverse=True))
_DAY_RANGE = re.compile(
    rf"\b({_DAY_WORD})\b\s*(?:-|–|s\.?/?d\.?|sampai|hingga)\s*\b({_DAY_WORD})\b"
)
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_TIME_RANGE = re.compile(
    r"(\d{1,2}(?:[:.]\d{2})?)\s*(?:-|–|s\.?/?d\.?|sampai|hingga)\s*(\d{1,2}(?:[:.]\d{2})?)"
)


@dataclass
class SlotDraft:
    """One availability slot as typed: day numbers as strings, times as ``HH:MM``."""

    days: list[str] = field(default_factory=list)
    start: str = ""
    end: str = ""

    @property
    def is_empty(self) -> bool:
        """True when nothing was entered for this slot."""
        return not self.days and not self.start.strip() and not self.end.strip()


def parse_time(value: str) -> dt.time:
    """Read ``8``, ``08.30`` or ``08:30`` as a time.

    Raises
    ------
    IntakeError
        When the text is not a time of day.
    """
    match = _TIME.match(value.strip())
    if not match:
        msg = f"Jam '{value}' tidak dikenali. Tulis seperti 08.00."
        raise IntakeError(msg)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        msg = f"Jam '{value}' tidak ada."
        raise IntakeError(msg)
    return dt.time(hour, minute)


def parse_availability(
    slots: Sequence[SlotDraft],
    *,
    work_start: dt.time = dt.time(8, 0),
    work_end: dt.time = dt.time(15, 0),
) -> list[dict[str, Any]]:
    """Turn typed slots into the stored availability list.

    Parameters
    ----------
    slots
        Slots as typed. Empty slots are skipped. Days but no times means the whole working
        day; times but no days means every day.
    work_start, work_end
        The office's working hours: a slot that does not overlap them cannot be visited.

    Returns
    -------
    list of dict
        ``[{"days": [...], "start": "HH:MM", "end": "HH:MM"}]``; ``[]`` for "any time".

    Raises
    ------
    IntakeError
        With an Indonesian message for unknown days, unreadable times, an end before its start
        or a slot outside working hours.
    """
    out: list[dict[str, Any]] = []
    for slot in slots:
        if slot.is_empty:
            continue
        try:
            days = sorted({int(d) for d in slot.days})
        except ValueError as exc:
            msg = "Hari tidak dikenali."
            raise IntakeError(msg) from exc
        if any(not 0 <= d <= 6 for d in days):
            msg = "Hari tidak dikenali."
            raise IntakeError(msg)
        start = parse_time(slot.start) if slot.start.strip() else work_start
        end = parse_time(slot.end) if slot.end.strip() else work_end
        if end <= start:
            msg = "Jam selesai harus setelah jam mulai."
            raise IntakeError(msg)
        if end <= work_start or start >= work_end:
            msg = (
                f"Petugas berkunjung pukul {work_start:%H.%M}–{work_end:%H.%M}; "
                "pilih waktu yang beririsan dengan jam itu."
            )
            raise IntakeError(msg)
        out.append(
            {"days": days or list(range(7)), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
        )
    return out


def parse_availability_text(text: str) -> list[SlotDraft]:
    """Best-effort reading of free text such as ``Senin-Jumat 08.00-12.00`` or ``sabtu pagi``.

    Returns an empty list when nothing can be read (the coordinator then fills the form).
    """
    low = text.lower()
    days: set[int] = set()
    if "setiap hari" in low or "tiap hari" in low or "kapan saja" in low:
        days = set(range(7))
    for first, last in _DAY_RANGE.findall(low):
        a, b = _DAY_WORDS[first], _DAY_WORDS[last]
        # "jumat - senin" wraps over the weekend.
        days.update(range(a, b + 1) if b >= a else [*range(a, 7), *range(b + 1)])
    days.update(_DAY_WORDS[w] for w in re.findall(r"[a-z']+", low) if w in _DAY_WORDS)
    match = _TIME_RANGE.search(low)
    start = end = ""
    if match:
        start, end = match.group(1).replace(".", ":"), match.group(2).replace(".", ":")
    else:
        parts = [p for p in _PARTS_OF_DAY if re.search(rf"\b{p}\b", low)]
        if parts:
            start, end = _PARTS_OF_DAY[parts[0]][0], _PARTS_OF_DAY[parts[-1]][1]
    if not days and not start:
        return []
    return [SlotDraft(days=[str(d) for d in sorted(days)], start=start, end=end)]


def describe_availability(slots: Sequence[dict[str, Any]]) -> str:
    """Human-readable Indonesian summary, e.g. ``Senin–Jumat 08.00–12.00``."""
    if not slots:
        return "Kapan saja pada jam kerja"
    parts = []
    for slot in slots:
        days = list(slot.get("days", []))
        if days == list(range(7)):
            day_text = "Setiap hari"
        elif len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            day_text = f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
        else:
            day_text = ", ".join(DAY_NAMES[d] for d in days)
        start = str(slot.get("start", "")).replace(":", ".")
        end = str(slot.get("end", "")).replace(":", ".")
        parts.append(f"{day_text} {start}–{end}")
    return "; ".join(parts)
