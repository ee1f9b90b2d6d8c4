"""Draw the demo's requests and letters as plain data (no database here).

Category counts are exact shares of the total (largest remainder), so every category is
present even in a small demo; everything else is drawn from the seeded random source.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from outreach.demo.people import PeopleFactory, Person
from outreach.demo.places import AreaPolygon, HomePoint, HomeSampler
from outreach.demo.profiles import (
    CATEGORY_SHARES,
    CHANNEL_WEIGHTS,
    COLLECTIVE_SENDERS,
    FRIDAY,
    PROFILES,
    SCHOOLS,
    WINDOWS,
)
from outreach.intake.tracking import make_tracking_code

FLAG_LOCATION = "lokasi_perlu_konfirmasi"
TRAIT_FEMALE = "petugas_perempuan"
TRAIT_SIGN = "bahasa_isyarat"
TRAIT_MOTOR = "motor"
WORKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class DemoResident:
    """One row of a collective letter's list."""

    row: int
    person: Person
    phone: str | None
    rt: str
    rw: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class DemoLetter:
    """A letter asking for a collective visit."""

    number: str
    letter_date: dt.date
    sender_type: str
    sender_name: str
    contact_name: str
    contact_phone: str
    meeting_place: str
    residents: tuple[DemoResident, ...]


@dataclass
class DemoRequest:
    """One demo request, with the columns of ``ServiceRequest`` it fills."""

    tracking_code: str
    category: str
    channel: str
    status: str
    kelurahan_code: str
    kecamatan_code: str
    person_name: str
    persons: int
    services: list[str]
    description: str
    applicant_name: str
    applicant_relation: str
    nik: str | None
    birth_date: dt.date | None
    phone: str | None
    address_street: str
    rt: str
    rw: str
    landmark: str
    lon: float
    lat: float
    location_source: str
    location_confirmed: bool
    created_at: dt.datetime
    verified_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    deadline: dt.date | None = None
    availability: list[dict[str, Any]] = field(default_factory=list)
    companion_name: str = ""
    companion_phone: str | None = None
    accessibility_notes: str = ""
    required_traits: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    letter: DemoLetter | None = None


@dataclass
class RequestGenerator:
    """Draws demo requests for a region.

    Parameters
    ----------
    areas
        The region's kelurahan.
    sampler
        House locations per kelurahan.
    people
        Residents with valid NIKs.
    rng
        The demo's random source.
    now
        Current time (UTC, naive): requests are spread over the 30 days before it.
    """

    areas: Sequence[AreaPolygon]
    sampler: HomeSampler
    people: PeopleFactory
    rng: random.Random
    now: dt.datetime
    _codes: set[str] = field(default_factory=set)
    _collectives: int = 0

    def generate(self, count: int) -> list[DemoRequest]:
        """Draw ``count`` requests (category mix of :data:`CATEGORY_SHARES`), oldest first.

        Parameters
        ----------
        count
            Number of requests.

        Returns
        -------
        list of DemoRequest
        """
        categories = category_counts(count)
        order = [cat for cat, n in categories.items() for _ in range(n)]
        self.rng.shuffle(order)
        weights = [max(self.sampler.road_length_m(a.code), 1.0) for a in self.areas]
        out: list[DemoRequest] = []
        for category in order:
            area = self.rng.choices(list(self.areas), weights=weights)[0]
            home = self.sampler.sample(area.code)
            if home is None:  # a kelurahan with no usable street: use another one
                area, home = self._any_home()
            if category == "kolektif":
                out.append(self._collective(area, home))
            else:
                out.append(self._individual(category, area, home))
        self._set_statuses(out)
        return sorted(out, key=lambda r: r.created_at)

    def _any_home(self) -> tuple[AreaPolygon, HomePoint]:
        for area in self.rng.sample(list(self.areas), len(self.areas)):
            home = self.sampler.sample(area.code)
            if home is not None:
                return area, home
        msg = "no kelurahan of the region has a point that can be placed"
        raise ValueError(msg)

    def _individual(self, category: str, area: AreaPolygon, home: HomePoint) -> DemoRequest:
        profile = PROFILES[category]
        services = list(_weighted(self.rng, profile.services))
        min_age, max_age = profile.ages
        if "kk" in services and category == "lainnya":
            min_age, max_age = 25, 60  # a parent changing the family card
        elif "akta" in services:
            min_age, max_age = 0, 0  # a birth certificate and KIA for a newborn
        person = self.people.person(area.kecamatan_code, min_age=min_age, max_age=max_age)
        relation = _weighted(self.rng, profile.relations)
        minor = person.birth_date > _years_ago(self.now.date(), 17)
        if minor and relation == "":
            relation = "orang tua"  # a child never applies alone
        elif not minor and relation == "orang tua" and category == "lainnya":
            relation = ""  # an adult changing the family card applies for themselves
        applicant = person.name if relation == "" else self._relative(relation)
        description = self.rng.choice(profile.descriptions)
        traits: list[str] = []
        notes = ""
        if category == "disabilitas" and self.rng.random() < 0.3:
            description = "Tuna rungu, berkomunikasi dengan bahasa isyarat."
            traits.append(TRAIT_SIGN)
        female_care = person.female and category in {"lansia", "sakit", "disabilitas"}
        if female_care and self.rng.random() < 0.15:
            traits.append(TRAIT_FEMALE)
            notes = "Mohon petugas perempuan."
        located = self.rng.random() >= 0.08
        phone = self.people.phone()
        created = self._created_at()
        request = DemoRequest(
            tracking_code=self._tracking_code(),
            category=category,
            channel=_weighted(self.rng, tuple(CHANNEL_WEIGHTS.items())),
            status="terverifikasi",
            kelurahan_code=area.code,
            kecamatan_code=area.kecamatan_code,
            person_name=person.name,
            persons=1,
            services=services,
            description=description,
            applicant_name=applicant,
            applicant_relation=relation,
            nik=person.nik,
            birth_date=person.birth_date,
            phone=phone,
            address_street=self._address(home, area),
            rt=f"{self.rng.randint(1, 12):03d}",
            rw=f"{self.rng.randint(1, 15):03d}",
            landmark=self._landmark(),
            lon=home.lon if located else area.rep[0],
            lat=home.lat if located else area.rep[1],
            location_source="demo" if located else "kelurahan",
            location_confirmed=located,
            created_at=created,
            availability=self._availability(),
            accessibility_notes=notes,
            required_traits=traits,
            flags=[] if located else [FLAG_LOCATION],
        )
        if request.rt == "012" and request.services == ["perekaman_ktp"] and not traits:
            # Some homes are down a gang too narrow for a car (no extra random draw: the same
            # seed still gives the same demo otherwise).
            request.required_traits = [TRAIT_MOTOR]
            request.accessibility_notes = "Rumah di gang sempit: motor saja."
        if relation:
            request.companion_name, request.companion_phone = applicant, phone
        if category == "darurat":
            request.deadline = created.date() + dt.timedelta(days=self.rng.randint(2, 5))
        return request

    def _collective(self, area: AreaPolygon, home: HomePoint) -> DemoRequest:
        # In turn, so even a small demo has letters from an RW, a kelurahan and a school.
        kinds = sorted(COLLECTIVE_SENDERS)
        sender_type = kinds[self._collectives % len(kinds)]
        self._collectives += 1
        pattern, role, (min_age, max_age) = COLLECTIVE_SENDERS[sender_type]
        rw = f"{self.rng.randint(1, 15):03d}"
        school = self.rng.choice(SCHOOLS).format(n=self.rng.randint(1, 11))
        place = pattern.format(rw=rw[1:], kelurahan=area.name, school=school)
        contact = self.people.name(female=self.rng.random() < 0.4)
        contact_phone = self.people.phone()
        created = self._created_at()
        residents = self._residents(area, rw, self.rng.randint(10, 40), min_age, max_age)
        services = sorted({s for r in residents for s in r.services})
        letter = DemoLetter(
            number=self._letter_number(sender_type, area, rw, created.date()),
            letter_date=created.date() - dt.timedelta(days=self.rng.randint(1, 4)),
            sender_type=sender_type,
            sender_name=school if sender_type == "sekolah" else place.split(" ", 1)[1],
            contact_name=contact,
            contact_phone=contact_phone,
            meeting_place=place,
            residents=tuple(residents),
        )
        return DemoRequest(
            tracking_code=self._tracking_code(),
            category="kolektif",
            channel="letter",
            status="terverifikasi",
            kelurahan_code=area.code,
            kecamatan_code=area.kecamatan_code,
            person_name=f"{place} ({len(residents)} orang)",
            persons=len(residents),
            services=services,
            description=f"Permohonan perekaman/layanan kolektif di {place}.",
            applicant_name=contact,
            applicant_relation=role.lower(),
            nik=None,
            birth_date=None,
            phone=contact_phone,
            address_street=self._address(home, area),
            rt="",
            rw=rw if sender_type == "rw" else "",
            landmark=place,
            lon=home.lon,
            lat=home.lat,
            location_source="demo",
            location_confirmed=True,
            created_at=created,
            availability=self._availability(),
            letter=letter,
        )

    def _residents(
        self, area: AreaPolygon, rw: str, count: int, min_age: int, max_age: int
    ) -> list[DemoResident]:
        rows = []
        for row in range(1, count + 1):
            person = self.people.person(area.kecamatan_code, min_age=min_age, max_age=max_age)
            age = _age(person.birth_date, self.now.date())
            services: tuple[str, ...] = ("perekaman_ktp",) if age >= 16 else ("kia",)
            if age >= 17 and self.rng.random() < 0.25:
                services = ("cetak_ktp",)
            rows.append(
                DemoResident(
                    row=row,
                    person=person,
                    phone=self.people.phone() if self.rng.random() < 0.6 else None,
                    rt=f"{self.rng.randint(1, 12):03d}",
                    rw=rw,
                    services=services,
                )
            )
        return rows

    def _relative(self, relation: str) -> str:
        female = {"istri": True, "suami": False}.get(relation, self.rng.random() < 0.55)
        return self.people.name(female=female)

    def _address(self, home: HomePoint, area: AreaPolygon) -> str:
        street = home.street or self.rng.choice(
            self.sampler.street_names(area.code) or [f"Kampung {area.name}"]
        )
        return f"{street} No. {self.rng.randint(1, 180)}"

    def _landmark(self) -> str:
        if self.rng.random() < 0.6:
            return ""
        return self.rng.choice(
            (
                "Dekat masjid",
                "Sebelah warung kelontong",
                "Gang sebelah pos ronda",
                "Depan sekolah dasar",
                "Rumah pagar hijau",
                "Belakang balai RW",
            )
        )

    def _availability(self) -> list[dict[str, Any]]:
        """30 % give a 2-hour window on some weekdays, a few of them a second one."""
        if self.rng.random() >= 0.30:
            return []
        slots = [self._window()]
        if self.rng.random() < 0.2:
            slots.append(self._window())
        return slots

    def _window(self) -> dict[str, Any]:
        start, end = self.rng.choice(WINDOWS)
        days = sorted(self.rng.sample(WORKDAYS, self.rng.randint(2, 5)))
        if end > "14:00":  # Friday shifts end at 14:00: no Friday in an afternoon window
            days = [d for d in days if d != FRIDAY] or [0]
        return {"days": days, "start": start, "end": end}

    def _created_at(self) -> dt.datetime:
        minutes = self.rng.randint(0, 30 * 24 * 60)
        return (self.now - dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)

    def _set_statuses(self, requests: list[DemoRequest]) -> None:
        """The newest ~15 % wait in the triage queue, ~5 % of the oldest were served."""
        ordered = sorted(requests, key=lambda r: r.created_at)
        served = max(1, round(len(ordered) * 0.05)) if len(ordered) >= 10 else 0
        fresh = max(1, round(len(ordered) * 0.15)) if len(ordered) >= 4 else 0
        for i, request in enumerate(ordered):
            if i >= len(ordered) - fresh:
                request.status = "baru"
                continue
            delay = dt.timedelta(minutes=self.rng.randint(60, 3 * 24 * 60))
            request.verified_at = min(request.created_at + delay, self.now)
            if i < served and request.category != "kolektif":
                request.status = "selesai"
                request.closed_at = min(request.verified_at + dt.timedelta(days=3), self.now)

    def _tracking_code(self) -> str:
        while True:
            code = make_tracking_code(choice=self.rng.choice)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def _letter_number(self, sender_type: str, area: AreaPolygon, rw: str, day: dt.date) -> str:
        seq = self.rng.randint(1, 250)
        roman = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
        month = roman[day.month - 1]
        short = area.name.replace(" ", "")[:3].upper()
        if sender_type == "rw":
            return f"{seq:03d}/RW{rw[1:]}/{short}/{month}/{day.year}"
        if sender_type == "kelurahan":
            return f"470/{seq:03d}/Kel.{area.name.replace(' ', '')}/{month}/{day.year}"
        return f"421.3/{seq:03d}/SKL/{month}/{day.year}"


def category_counts(total: int) -> dict[str, int]:
    """Split ``total`` over the categories by :data:`CATEGORY_SHARES` (largest remainder).

    Parameters
    ----------
    total
        Number of requests.

    Returns
    -------
    dict
        Count per category, summing to ``total``.
    """
    exact = {cat: share * total for cat, share in CATEGORY_SHARES.items()}
    counts = {cat: int(value) for cat, value in exact.items()}
    rest = total - sum(counts.values())
    by_remainder = sorted(exact, key=lambda c: (exact[c] - counts[c], c), reverse=True)
    for cat in by_remainder[:rest]:
        counts[cat] += 1
    return counts


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights)[0]


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _years_ago(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
