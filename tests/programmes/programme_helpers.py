"""Small builders for programme tests (teams, places, programmes) on the Yogyakarta office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.office import save_team
from outreach.programmes.manage import ProgrammeInput, save_programme
from tests.intake.yogya import DEPOT, SEMAKI

SKILLS = ["perekaman_ktp", "cetak_ktp", "kia", "kk"]


def office_of(session: Session) -> models.Office:
    office = session.scalar(select(models.Office))
    assert office is not None
    return office


def semaki(session: Session) -> models.Kelurahan:
    row = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert row is not None
    return row


def teams(session: Session, *names: str, max_stops: int | None = None) -> list[models.Team]:
    office = office_of(session)
    return [
        save_team(
            session, office, name=n, skills=SKILLS, members=[f"{n} Satu"], max_stops=max_stops
        )
        for n in names
    ]


def place(
    session: Session, name: str, *, dx: float = 0.004, dy: float = 0.004, persons: int = 30
) -> models.ProgrammePlace:
    office = office_of(session)
    kel = semaki(session)
    row = models.ProgrammePlace(
        office_id=office.id,
        name=name,
        kind="sekolah",
        kelurahan_id=kel.id,
        lon=DEPOT[0] + dx,
        lat=DEPOT[1] + dy,
        location_source="imported",
        expected_persons=persons,
    )
    session.add(row)
    session.flush()
    return row


def programme(
    session: Session,
    *,
    name: str = "Sekolah setiap Rabu",
    days: tuple[str, ...] = ("Rabu",),
    start: dt.date,
    end: dt.date,
    team_ids: tuple[int, ...] = (),
    hours: tuple[str, str] = ("", ""),
    on_holiday: str = "geser",
    closed: str = "",
    max_persons: str = "",
) -> models.Programme:
    return save_programme(
        session,
        office_of(session),
        ProgrammeInput(
            name=name,
            weekdays=days,
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            team_ids=[str(t) for t in team_ids],
            hours_start=hours[0],
            hours_end=hours[1],
            on_holiday=on_holiday,
            closed_ranges=closed,
            max_persons=max_persons,
        ),
    )


def home_visits(
    session: Session, count: int, *, prefix: str = "JB-H"
) -> list[models.ServiceRequest]:
    """``count`` verified home visits scattered around the office (1 person each)."""
    office = office_of(session)
    kel = semaki(session)
    offsets = [(-0.009 + 0.0037 * (i % 6), -0.007 + 0.0041 * (i // 6)) for i in range(count)]
    rows = []
    for i, (dx, dy) in enumerate(offsets, start=1):
        row = models.ServiceRequest(
            tracking_code=f"{prefix}{i:03d}",
            office_id=office.id,
            category="lansia",
            services=["perekaman_ktp"],
            person_name=f"Warga {i}",
            lon=DEPOT[0] + dx,
            lat=DEPOT[1] + dy,
            kelurahan_id=kel.id,
            kecamatan_id=kel.kecamatan_id,
            status="terverifikasi",
            location_source="map",
            location_confirmed=True,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows
