"""Tracking codes residents read out over the phone: ``JB-7K3M-Q2F``.

The alphabet leaves out 0/O and 1/I/L, which look alike on paper and on small screens. Six
random characters give 31**6 (~8.9e8) codes; the seventh is a check character (weighted sum
modulo the prime 31), which catches any one wrong character and any swap of neighbours, so a
typo gives "kode tidak dikenal" instead of somebody else's request.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "JB"
_BODY = 6
_CLEAN = re.compile(r"[^0-9A-Z]")


def check_character(body: str) -> str:
    """The check character for ``body`` (characters of :data:`ALPHABET`).

    With weights 1..7 on the seven characters, a valid code has a weighted sum of 0 modulo 31.
    As 31 is prime, any single wrong character and any swap of two neighbours changes that
    sum, so neither can produce another valid code.
    """
    n = len(ALPHABET)
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    weight = len(body) + 1
    # Solve total + weight * c = 0 (mod n) for c.
    return ALPHABET[(-total * pow(weight, -1, n)) % n]


def make_tracking_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """Return a new random code such as ``JB-7K3M-Q2F`` (uniqueness is the caller's job).

    Parameters
    ----------
    choice
        Picks one character from a string; ``secrets.choice`` by default (codes must not be
        guessable: together with the phone digits they open the status page).
    """
    body = "".join(choice(ALPHABET) for _ in range(_BODY))
    full = body + check_character(body)
    return f"{PREFIX}-{full[:4]}-{full[4:]}"


def normalise_tracking_code(value: str) -> str | None:
    """Read a code as typed (any case, spaces, missing dashes) and return it formatted.

    Returns ``None`` when the text cannot be a valid code (wrong length, characters outside
    the alphabet, or a check character that does not match).
    """
    text = _CLEAN.sub("", value.upper())
    if text.startswith(PREFIX) and len(text) == len(PREFIX) + _BODY + 1:
        text = text[len(PREFIX) :]
    if len(text) != _BODY + 1:
        return None
    if any(ch not in ALPHABET for ch in text):
        return None
    if check_character(text[:_BODY]) != text[_BODY]:
        return None
    return f"{PREFIX}-{text[:4]}-{text[4:]}"
