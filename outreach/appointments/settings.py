"""Office session settings: which sessions a day has and how many persons each takes.

Stored in ``Office.settings["appointments"]`` as ``{"sessions": ["08:00-10:00", ...],
"persons_per_session": 10}``; unset or unreadable values fall back to the defaults.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import OutreachError
from outreach.office import SettingsError, parse_time_range

#: Sessions of a day unless the office sets its own (start, end).
DEFAULT_SESSIONS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 0), dt.time(10, 0)),
    (dt.time(10, 0), dt.time(12, 0)),
    (dt.time(13, 0), dt.time(14, 30)),
)
DEFAULT_PERSONS = 10
MAX_SESSIONS = 8
MAX_PERSONS = 200
KEY = "appointments"


@dataclass(frozen=True)
class SessionSettings:
    """The office's session template: spans of a day, persons per session."""

    sessions: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_SESSIONS
    persons_per_session: int = DEFAULT_PERSONS

    @property
    def sessions_text(self) -> str:
        """``08:00-10:00, 10:00-12:00`` as typed in the form."""
        return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.sessions)


def read_settings(office: models.Office) -> SessionSettings:
    """The office's session settings (defaults where unset or not readable)."""
    raw: Any = (office.settings or {}).get(KEY) or {}
    if not isinstance(raw, dict):
        return SessionSettings()
    try:
        sessions = parse_sessions(", ".join(str(s) for s in raw.get("sessions") or ()))
    except SettingsError:
        sessions = DEFAULT_SESSIONS
    value = raw.get("persons_per_session")
    persons = value if isinstance(value, int) and not isinstance(value, bool) else 0
    return SessionSettings(
        sessions=sessions or DEFAULT_SESSIONS,
        persons_per_session=persons if 1 <= persons <= MAX_PERSONS else DEFAULT_PERSONS,
    )


def parse_sessions(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """Read ``08:00-10:00, 10:00-12:00`` (commas, semicolons or new lines between spans).

    Raises
    ------
    SettingsError
        A span that is not ``JJ:MM-JJ:MM``, spans that overlap, or too many.
    """
    parts = [p.strip() for p in text.replace(";", ",").replace("\n", ",").split(",")]
    spans: list[tuple[dt.time, dt.time]] = []
    for part in (p for p in parts if p):
        try:
            spans.append(parse_time_range(part))
        except OutreachError as exc:
            raise SettingsError(str(exc), field="sessions") from exc
    spans.sort()
    if len(spans) > MAX_SESSIONS:
        msg = f"Paling banyak {MAX_SESSIONS} sesi per hari."
        raise SettingsError(msg, field="sessions")
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            msg = "Jam sesi tidak boleh bertumpang tindih."
            raise SettingsError(msg, field="sessions")
    return tuple(spans)


def save_settings(
    session: Session, office: models.Office, *, sessions_text: str, persons_text: str
) -> SessionSettings:
    """Check and store the session settings (sessions already made keep their hours).

    Raises
    ------
    SettingsError
        No session, a bad span, or persons not a whole number 1-200.
    """
    spans = parse_sessions(sessions_text)
    if not spans:
        raise SettingsError("Isi paling sedikit satu sesi (JJ:MM-JJ:MM).", field="sessions")
    text = persons_text.strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_PERSONS:
        msg = f"Orang per sesi harus bilangan bulat 1 sampai {MAX_PERSONS}."
        raise SettingsError(msg, field="persons")
    settings = dict(office.settings or {})  # a new dict, so the JSON column change is seen
    settings[KEY] = {
        "sessions": [f"{a:%H:%M}-{b:%H:%M}" for a, b in spans],
        "persons_per_session": int(text),
    }
    office.settings = settings
    session.flush()
    return read_settings(office)
