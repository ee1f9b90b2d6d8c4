"""Clean what people paste before anything reads it.

Text copied from WhatsApp Web, Word or a PDF carries characters nobody sees: direction marks
around a phone number (U+2066 ... U+2069, U+202A ... U+202E), zero-width spaces and joiners
(U+200B ... U+200F), a byte-order mark, non-breaking spaces, full-width digits typed on a
Japanese/Chinese keyboard layout, and now and then a NUL byte (which PostgreSQL refuses).
:func:`clean_text` removes or replaces them so that ``+62 812-3456-7890`` wrapped in
direction marks reads like the number it shows.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar, cast

# Zero-width and direction marks, embedding/override controls, isolates, BOM, word joiner,
# soft hyphen, and the C0/C1 control characters except tab, newline and carriage return.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
# No-break and other fixed-width spaces read as a plain space.
_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Full-width digits and the full-width plus sign (a phone's "+62").
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "\uff0b": "+"},
)


def clean_text(value: str) -> str:
    """Remove invisible/format characters, NUL and control bytes; normalise spaces and digits.

    Parameters
    ----------
    value
        Text exactly as received (a form field, a pasted message).

    Returns
    -------
    str
        The same text without U+200B-U+200F, U+202A-U+202E, U+2060-U+2069, BOM, soft hyphen and
        control characters (tab, newline and carriage return are kept); non-breaking and other
        fixed-width spaces become a plain space and full-width digits ASCII digits.
        Idempotent: ``clean_text(clean_text(x)) == clean_text(x)``.
    """
    if not value:
        return value
    text = _INVISIBLE.sub("", value)
    text = _SPACES.sub(" ", text)
    return text.translate(_FULL_WIDTH)


_T = TypeVar("_T")


def clean_values(value: _T) -> _T:
    """:func:`clean_text` applied to every string of a value: a dataclass, list or string.

    Dataclass instances (a request draft and its availability slots) are copied with
    :func:`dataclasses.replace`; other values are returned unchanged.
    """
    if isinstance(value, str):
        return cast(_T, clean_text(value))
    if isinstance(value, list):
        return cast(_T, [clean_values(v) for v in value])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: clean_values(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return cast(_T, dataclasses.replace(value, **changes))
    return value
