"""Tracking codes: readable, checkable, and a typo never lands on another code."""

from __future__ import annotations

import random
import re

from hypothesis import given
from hypothesis import strategies as st

from outreach.intake.tracking import ALPHABET, make_tracking_code, normalise_tracking_code

CODE_RE = re.compile(rf"^JB-[{ALPHABET}]{{4}}-[{ALPHABET}]{{3}}$")


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(ALPHABET)


def test_shape_and_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(200):
        code = make_tracking_code(rng.choice)
        assert CODE_RE.match(code)
        assert normalise_tracking_code(code) == code


def test_typed_loosely() -> None:
    code = make_tracking_code(random.Random(1).choice)
    body = code.replace("-", "")
    assert normalise_tracking_code(body.lower()) == code
    assert normalise_tracking_code(" ".join(body[2:])) == code
    assert normalise_tracking_code("") is None
    assert normalise_tracking_code("JB-0000-000") is None


@given(st.randoms(use_true_random=False), st.integers(0, 6), st.sampled_from(ALPHABET))
def test_one_wrong_character_is_caught(rng: random.Random, pos: int, wrong: str) -> None:
    code = make_tracking_code(rng.choice)
    chars = list(code.replace("-", "")[2:])
    if chars[pos] == wrong:
        return
    chars[pos] = wrong
    assert normalise_tracking_code("JB" + "".join(chars)) is None


@given(st.randoms(use_true_random=False), st.integers(0, 5))
def test_swapped_neighbours_are_caught(rng: random.Random, pos: int) -> None:
    code = make_tracking_code(rng.choice)
    chars = list(code.replace("-", "")[2:])
    if chars[pos] == chars[pos + 1]:
        return
    chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    assert normalise_tracking_code("JB" + "".join(chars)) is None
