"""Demo mix and people: exact category shares, valid NIKs and phone numbers (no database)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from faker import Faker

from outreach.demo.generate import category_counts
from outreach.demo.people import PeopleFactory
from outreach.intake.nik import load_wilayah, parse_nik
from outreach.intake.phone import normalise_phone

KODE_WILAYAH = Path(__file__).resolve().parents[3] / "shared" / "reference" / "kode_wilayah.csv"


def test_category_counts_are_exact_shares() -> None:
    counts = category_counts(150)
    assert sum(counts.values()) == 150
    assert counts["lansia"] == 45 and counts["sakit"] == 30 and counts["darurat"] in (4, 5)
    assert counts["kolektif"] in (7, 8)
    small = category_counts(7)
    assert sum(small.values()) == 7 and small["lansia"] >= 2


def test_people_have_valid_nik_and_phone() -> None:
    today = dt.date(2026, 11, 22)
    people = PeopleFactory(random.Random(1), Faker("id_ID"), today)
    wilayah = load_wilayah(KODE_WILAYAH)
    niks = set()
    for _ in range(200):
        person = people.person("34.71.13", min_age=60, max_age=95)
        info = parse_nik(person.nik, wilayah=wilayah, today=today)
        assert info.kecamatan_code == "34.71.13" and info.birth_date == person.birth_date
        assert info.female == person.female
        age = (
            today.year
            - person.birth_date.year
            - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))
        )
        assert 60 <= age <= 95
        niks.add(person.nik)
    assert len(niks) == 200
    phone = people.phone()
    assert normalise_phone(phone) == phone


def test_five_thousand_residents_of_one_kecamatan_have_distinct_niks() -> None:
    """``seed-demo --requests 5000`` puts thousands of people in one kecamatan."""
    today = dt.date(2026, 11, 22)
    people = PeopleFactory(random.Random(2), Faker("id_ID"), today)
    niks = [people.person("34.71.13", min_age=60, max_age=70).nik for _ in range(5000)]
    assert len(set(niks)) == 5000
    assert all(len(n) == 16 and n.startswith("347113") for n in niks)
