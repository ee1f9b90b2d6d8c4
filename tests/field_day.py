"""One approved day in Kota Yogyakarta for the field-loop tests (sheets, field page, outcomes).

``build_field_day(session, travel)`` adds two teams (Tim Mawar, Tim Melati) with a team lead
each (``ketua.mawar`` / ``ketua.melati``, password :data:`PASSWORD`), six home visits near the
office and one collective visit from a letter with four residents, plans :data:`DAY` (a
Monday) and approves the plan. Every stop of the day is on an approved route.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import TravelModel
from outreach.office import save_team
from outreach.planning.service import approve_plan, create_plan
from outreach.web.auth import hash_password
from tests.intake.yogya import DEPOT, SEMAKI

DAY = dt.date(2026, 11, 23)  # a Monday
PASSWORD = "rahasia-123"
NIK = "3471135403500001"
PHONE = "+6281234567890"
LETTER_NIKS = ("3471130101900001", "3471130202900002", "3471130303900003", "3471130404900004")


@dataclass(frozen=True)
class FieldDay:
    """Ids of what :func:`build_field_day` made."""

    plan_id: int
    team_ids: dict[str, int]  # team name -> id
    request_ids: list[int]
    letter_request_id: int
    letter_resident_ids: list[int]


def travel_for(app: Flask) -> TravelModel:
    """The real (cached) Kota Yogyakarta road model."""
    from outreach.geo.network import travel_model_for

    return travel_model_for(
        "kota-yogyakarta",
        search_dirs=app.config["REGIONS_DIRS"],
        cache_dir=app.config["CACHE_DIR"],
    )


def build_field_day(session: Session, travel: TravelModel) -> FieldDay:
    """Teams, team leads, requests and an approved plan for :data:`DAY` (committed)."""
    office = session.scalar(select(models.Office))
    assert office is not None
    teams = {
        name: save_team(
            session,
            office,
            name=name,
            skills=["perekaman_ktp", "cetak_ktp", "kia", "kk"],
            members=[f"{name} Satu", f"{name} Dua"],
            max_stops=4,  # so both teams get a route
        )
        for name in ("Tim Mawar", "Tim Melati")
    }
    for username, team in (("ketua.mawar", "Tim Mawar"), ("ketua.melati", "Tim Melati")):
        session.add(
            models.User(
                username=username,
                full_name=f"Ketua {team}",
                password_hash=hash_password(PASSWORD),
                role="team_lead",
                office_id=office.id,
                team_id=teams[team].id,
            )
        )
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert semaki is not None
    offsets = [
        (0.006, 0.004),
        (-0.008, 0.003),
        (0.004, -0.007),
        (-0.005, -0.006),
        (0.010, 0.0),
        (0.002, 0.002),
    ]
    rows: list[models.ServiceRequest] = []
    for i, (dx, dy) in enumerate(offsets, start=1):
        row = models.ServiceRequest(
            tracking_code=f"JB-F{i:03d}",
            office_id=office.id,
            category="lansia" if i % 2 else "sakit",
            services=["perekaman_ktp"],
            person_name=f"Warga Lapangan {i}",
            applicant_name=f"Anak Warga {i}",
            nik=NIK,
            phone=PHONE,
            address_street=f"Jl. Uji No. {i}",
            landmark="dekat masjid",
            accessibility_notes="gang sempit, motor saja" if i == 1 else "",
            companion_name="Ibu Pendamping" if i == 2 else "",
            lon=DEPOT[0] + dx,
            lat=DEPOT[1] + dy,
            kelurahan_id=semaki.id,
            kecamatan_id=semaki.kecamatan_id,
            rt="3",
            rw="7",
            status="terverifikasi",
            location_source="map",
            location_confirmed=True,
        )
        session.add(row)
        rows.append(row)
    letter = models.Letter(
        office_id=office.id,
        number="005/RW07/XI/2026",
        letter_date=DAY - dt.timedelta(days=7),
        sender_type="rw",
        sender_name="RW 07 Semaki",
        contact_name="Pak RW",
        contact_phone="+6281298765432",
        meeting_place="Balai RW 07",
        kelurahan_id=semaki.id,
        rw="7",
    )
    for n, nik in enumerate(LETTER_NIKS, start=1):
        letter.residents.append(
            models.LetterResident(row=n, name=f"Peserta {n}", nik=nik, rt="1", rw="7")
        )
    session.add(letter)
    session.flush()
    collective = models.ServiceRequest(
        tracking_code="JB-F100",
        office_id=office.id,
        channel="letter",
        category="kolektif",
        services=["perekaman_ktp"],
        person_name="RW 07 Semaki",
        phone="+6281298765432",
        persons=len(LETTER_NIKS),
        letter_id=letter.id,
        lon=DEPOT[0] + 0.003,
        lat=DEPOT[1] - 0.003,
        kelurahan_id=semaki.id,
        kecamatan_id=semaki.kecamatan_id,
        rw="7",
        status="terverifikasi",
        location_source="map",
        location_confirmed=True,
    )
    session.add(collective)
    session.commit()
    plan = create_plan(session, travel, start_date=DAY, days=1, office=office)
    session.flush()
    approve_plan(session, plan.id)
    session.commit()
    return FieldDay(
        plan_id=plan.id,
        team_ids={name: t.id for name, t in teams.items()},
        request_ids=[r.id for r in rows],
        letter_request_id=collective.id,
        letter_resident_ids=[r.id for r in letter.residents],
    )
