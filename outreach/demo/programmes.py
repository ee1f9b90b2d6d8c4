"""A made-up school list and the programme "Sekolah setiap Rabu" for the demo.

Data karangan (made-up data): the schools' names, places and numbers of students turning 17
are invented (seeded) so the programme pages and the planner have something to show; they
are not real schools. Each school stands at the representative point of a kelurahan of the
region. The list is written the way an office's spreadsheet looks (a title row saying so,
``;`` as delimiter, decimal commas) and imported through the ordinary importer; the programme
runs over the current school term with one team, and its visits are generated to the term's
end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.programmes.generate import GenerateResult, generate_visits
from outreach.programmes.manage import ProgrammeInput, save_programme
from outreach.programmes.places import PlacesImport, import_places

DEMO_FILE_NAME = "sekolah-demo-data-karangan.csv"
DEMO_PROGRAMME = "Sekolah setiap Rabu"
SCHOOL_COUNT = 12
_KINDS = ("SMA", "SMK", "MA")
_NAMES = (
    "Tunas Bangsa", "Harapan Nusantara", "Bina Cendekia", "Pelita Ilmu", "Cahaya Bangsa",
    "Mitra Karya", "Taman Ilmu", "Widya Utama", "Sinar Harapan", "Bakti Mulia",
    "Dharma Putra", "Citra Mandiri", "Karya Luhur", "Insan Cita",
)  # fmt: skip


def current_term(today: dt.date) -> tuple[dt.date, dt.date]:
    """The school term around ``today``: July to December, or January to June."""
    if today.month >= 7:
        return dt.date(today.year, 7, 13), dt.date(today.year, 12, 18)
    return dt.date(today.year, 1, 5), dt.date(today.year, 6, 19)


def _decimal_comma(value: float) -> str:
    return f"{value:.5f}".replace(".", ",")


def demo_school_csv(session: Session, region_slug: str, *, seed: int = 7) -> bytes:
    """The demo school list (CSV, ``;``): :data:`SCHOOL_COUNT` invented schools."""
    rng = random.Random(seed)
    kelurahan = session.scalars(
        select(models.Kelurahan)
        .where(models.Kelurahan.region_slug == region_slug)
        .order_by(models.Kelurahan.code)
    ).all()
    chosen = rng.sample(list(kelurahan), min(SCHOOL_COUNT, len(kelurahan)))
    names = rng.sample(_NAMES, len(chosen))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["DAFTAR SEKOLAH -- DATA KARANGAN UNTUK DEMO (bukan sekolah sebenarnya)"])
    writer.writerow([])
    writer.writerow(
        ["No", "Nama Sekolah", "Alamat", "Kelurahan", "Lintang", "Bujur", "Siswa 17 tahun",
         "Nama kontak"]
    )  # fmt: skip
    pairs = sorted(zip(chosen, names, strict=True), key=lambda p: p[0].code)
    for i, (kel, name) in enumerate(pairs, start=1):
        kind = rng.choice(_KINDS)
        writer.writerow(
            [
                i,
                f"{kind} {name} {kel.name}",
                f"Jl. Contoh No. {rng.randint(1, 120)}",
                kel.name,
                _decimal_comma(kel.rep_lat),
                _decimal_comma(kel.rep_lon),
                rng.randint(40, 180),
                f"Wakasek Kesiswaan {kind} {name}",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class DemoProgramme:
    """What :func:`seed_demo_programme` made."""

    programme: models.Programme
    places: PlacesImport
    visits: GenerateResult


def seed_demo_programme(
    session: Session, office: models.Office, *, today: dt.date, seed: int = 7
) -> DemoProgramme:
    """Import the demo schools and create "Sekolah setiap Rabu" with its visits (flushed).

    Running it again updates the same schools and programme and generates nothing twice.
    """
    places = import_places(
        session,
        office,
        DEMO_FILE_NAME,
        demo_school_csv(session, office.region_slug, seed=seed),
        actor="cli",
    )
    start, end = current_term(today)
    team = next((t for t in office.teams if t.active), None)
    existing = session.scalar(
        select(models.Programme).where(
            models.Programme.office_id == office.id, models.Programme.name == DEMO_PROGRAMME
        )
    )
    programme = save_programme(
        session,
        office,
        ProgrammeInput(
            name=DEMO_PROGRAMME,
            place_kind="sekolah",
            weekdays=("2",),
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            team_ids=(str(team.id),) if team is not None else (),
            max_persons="60",
            on_holiday="geser",
        ),
        programme=existing,
        actor="cli",
    )
    visits = generate_visits(session, office, max(today, start), end, actor="cli")
    return DemoProgramme(programme=programme, places=places, visits=visits)
