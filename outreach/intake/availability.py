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
    r"(?<![\d/])(\d{1,2}(?:[:.]\d{2})?)\s*(?:wib\s*)?"
    r"(?:-|–|s\.?\s?/?\s?d\.?|sampai|hingga|sampe)\s*(?:(?:jam|pukul|pk\.?)\s*)?"
    r"(\d{1,2}(?:[:.]\d{2})?)(?![\d/])"
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


@dataclass
class AvailabilityReading:
    """What a free-text time said: slots to pre-fill and, when unsure, a note for the coordinator.

    ``note`` is empty when everything was read; otherwise it says what was not understood or
    how an ambiguous time was read, so that the coordinator checks it (never a silent guess).
    """

    slots: list[SlotDraft]
    note: str = ""


def _hhmm(value: str) -> tuple[int, int] | None:
    match = _TIME.match(value.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 24 or minute > 59:
        return None
    return hour, minute


def _afternoon(hour: int, part: str) -> int:
    """Shift a 12-hour clock hour by a part-of-day word: ``1 siang`` -> 13, ``4 sore`` -> 16."""
    if part == "siang" and 1 <= hour <= 6:
        return hour + 12
    if part in {"sore", "malam"} and 1 <= hour <= 11:
        return hour + 12
    return hour


def _part_near(low: str, start: int, end: int) -> str:
    """The part-of-day word right after (or just before) a time range, or ``""``."""
    after = re.match(r"\s*(?:wib\s*)?(pagi|siang|sore|malam)\b", low[end:])
    if after:
        return after.group(1)
    before = re.search(r"\b(pagi|siang|sore|malam)\s*(?:jam|pukul|pk\.?)?\s*$", low[:start])
    return before.group(1) if before else ""


def read_availability(text: str) -> AvailabilityReading:
    """Read free text such as ``Senin-Rabu jam 1-3 siang`` or ``sabtu pagi`` into slots.

    Understood: day names, day ranges (``Senin-Rabu``, ``senin s/d jumat``, ``sampai``),
    ``setiap hari``, time ranges (``9-11``, ``09.00-11.00``, ``jam 9 sampai jam 11``,
    ``13.00 s.d. 15.00``) with a part of day that turns a 12-hour time into a 24-hour one
    (``jam 1-3 siang`` = 13:00-15:00), and parts of day alone (pagi 08-11, siang 11-14,
    sore 14-17). Times are returned as ``HH:MM``.

    A time that is not understood is never replaced by the whole working day: the slot keeps
    the days it read with no times, and ``note`` repeats the text for the coordinator.
    """
    low = " ".join(text.lower().split())
    days: set[int] = set()
    if "setiap hari" in low or "tiap hari" in low or "kapan saja" in low:
        days = set(range(7))
    for first, last in _DAY_RANGE.findall(low):
        a, b = _DAY_WORDS[first], _DAY_WORDS[last]
        # "jumat - senin" wraps over the weekend.
        days.update(range(a, b + 1) if b >= a else [*range(a, 7), *range(b + 1)])
    days.update(_DAY_WORDS[w] for w in re.findall(r"[a-z']+", low) if w in _DAY_WORDS)
    start = end = ""
    note = ""
    match = _TIME_RANGE.search(low)
    timeish = bool(re.search(r"\d|\bjam\b|\bpukul\b|\bpk\b", low))
    if match:
        first_t, last_t = _hhmm(match.group(1)), _hhmm(match.group(2))
        part = _part_near(low, match.start(), match.end())
        if first_t is None or last_t is None:
            note = f"Jam tidak dimengerti: '{text.strip()}'. Isi jamnya."
        else:
            (h1, m1), (h2, m2) = first_t, last_t
            if part:
                h1, h2 = _afternoon(h1, part), _afternoon(h2, part)
                if h2 < h1 and part == "siang":  # "11-1 siang": 11:00-13:00
                    h2 = _afternoon(h2, "sore")
            elif h1 < 7 and h2 <= 7 and h2 > h1:
                # "jam 1-3" without a part of day: nobody is visited at 1 am.
                h1, h2 = h1 + 12, h2 + 12
                note = (
                    f"'{match.group(0).strip()}' dibaca {h1:02d}.{m1:02d}-{h2:02d}.{m2:02d} "
                    "(siang); periksa."
                )
            if h1 > 23 or h2 > 23 or (h2, m2) <= (h1, m1):
                note = f"Jam tidak dimengerti: '{text.strip()}'. Isi jamnya."
            else:
                start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
    else:
        parts = [p for p in _PARTS_OF_DAY if re.search(rf"\b{p}\b", low)]
        if parts:
            start, end = _PARTS_OF_DAY[parts[0]][0], _PARTS_OF_DAY[parts[-1]][1]
        if timeish and re.search(r"\d", re.sub(r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b", "", low)):
            # A single hour ("jam 9", "setelah jam 10") or something else with numbers.
            note = f"Jam tidak dimengerti: '{text.strip()}'. Isi jamnya."
            start = end = ""
    if not days and not start:
        if low.strip() and not note:
            note = f"Waktu tidak dimengerti: '{text.strip()}'."
        return AvailabilityReading(slots=[], note=note)
    return AvailabilityReading(
        slots=[SlotDraft(days=[str(d) for d in sorted(days)], start=start, end=end)], note=note
    )


def parse_availability_text(text: str) -> list[SlotDraft]:
    """Best-effort reading of free text (see :func:`read_availability`); ``[]`` when unread."""
    return read_availability(text).slots


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
