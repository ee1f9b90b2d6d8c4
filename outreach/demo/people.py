"""Demo residents: names, birth dates, NIKs and phone numbers that look and check like real ones.

Everything is drawn from one seeded ``random.Random`` and one seeded Faker, so the same seed
gives the same people. NIKs are structurally valid for their kecamatan (``make_nik``) with a
serial unique per kecamatan, birth date and sex (so every NIK is unique); phone numbers are
Indonesian mobile numbers in E.164 form.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faker import Faker

from outreach.intake.nik import make_nik

# Operator prefixes of Indonesian mobile numbers (Telkomsel, Indosat, XL, Tri, Smartfren).
MOBILE_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "852",
    "853",
    "856",
    "857",
    "858",
    "817",
    "818",
    "819",
    "877",
    "878",
    "895",
    "896",
    "897",
    "881",
    "882",
)


@dataclass(frozen=True)
class Person:
    """A demo resident."""

    name: str
    female: bool
    birth_date: dt.date
    nik: str


@dataclass
class PeopleFactory:
    """Makes demo residents; remembers NIK serials so no NIK repeats.

    Parameters
    ----------
    rng
        The demo's random source.
    faker
        A Faker for ``id_ID``, seeded by the caller.
    today
        Reference date for ages.
    """

    rng: random.Random
    faker: Faker
    today: dt.date
    _serials: dict[tuple[str, dt.date, bool], int] = field(default_factory=dict)
    _phones: set[str] = field(default_factory=set)

    def name(self, *, female: bool) -> str:
        """A plain first + last name (Faker's titles such as "Drs." or "S.Kom" left out)."""
        if female:
            return f"{self.faker.first_name_female()} {self.faker.last_name_female()}"
        return f"{self.faker.first_name_male()} {self.faker.last_name_male()}"

    def birth_date(self, min_age: int, max_age: int) -> dt.date:
        """A birth date for an age in ``[min_age, max_age]`` years on ``today``."""
        latest = _years_before(self.today, min_age)
        earliest = _years_before(self.today, max_age + 1) + dt.timedelta(days=1)
        span = (latest - earliest).days
        return earliest + dt.timedelta(days=self.rng.randint(0, max(span, 0)))

    def person(
        self, kecamatan_code: str, *, min_age: int, max_age: int, female: bool | None = None
    ) -> Person:
        """A resident of ``kecamatan_code`` aged ``min_age``-``max_age`` with a valid NIK."""
        is_female = self.rng.random() < 0.5 if female is None else female
        born = self.birth_date(min_age, max_age)
        return Person(
            name=self.name(female=is_female),
            female=is_female,
            birth_date=born,
            nik=make_nik(
                kecamatan_code,
                born,
                female=is_female,
                serial=self._next_serial((kecamatan_code, born, is_female)),
            ),
        )

    def phone(self) -> str:
        """A new Indonesian mobile number, E.164 (``+62812...``), not handed out before."""
        while True:
            number = f"+62{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randint(0, 99_999_999):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _next_serial(self, key: tuple[str, dt.date, bool]) -> int:
        # The serial tells apart people of one kecamatan born on one day (the other NIK digits
        # are the same for them): a counter per (kecamatan, birth date, sex) with small random
        # gaps keeps every NIK unique however many residents the demo has (5,000 and more).
        serial = self._serials.get(key, 0) + self.rng.randint(1, 7)
        if serial > 9999:
            msg = f"too many demo residents born on {key[1]} in kecamatan {key[0]}"
            raise ValueError(msg)
        self._serials[key] = serial
        return serial


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
