"""Write the demo office, teams, staff and requests into the database (never commits).

Demo rows are marked so they can be found again: requests by a ``submission_hash`` starting
with ``demo:`` (a real one is a 64-character hex digest), letters through their requests, the
office by ``settings["demo"]``, which also lists the staff accounts the demo made. A second
run refuses unless asked to reset; a reset removes only those rows (and plans that route them)
and never touches an office, request or account that is not demo data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from faker import Faker
from shapely import wkt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from outreach import models
from outreach.demo.generate import DemoRequest, RequestGenerator
from outreach.demo.people import PeopleFactory
from outreach.demo.places import AreaPolygon, HomeSampler
from outreach.errors import NotFoundError, OutreachError
from outreach.geo.locate import AreaIndex
from outreach.geo.packs import find_pack
from outreach.geo.roads import load_road_graph
from outreach.office import configure_office, save_team

DEMO_MARK = "demo:"
DEMO_PASSWORD = "jemputbola"
# The real office: Kompleks Balai Kota Yogyakarta, Jl. Kenari No. 56, Umbulharjo.
KNOWN_DEPOTS: dict[str, tuple[float, float, str]] = {
    "kota-yogyakarta": (
        110.3917,
        -7.8010,
        "Kompleks Balai Kota, Jl. Kenari No. 56, Muja Muju, Umbulharjo, Yogyakarta",
    ),
}
# A depot farther than this from any road cannot be the start of a route.
DEPOT_MAX_ROAD_M = 150.0
ALL_SERVICES = ("perekaman_ktp", "cetak_ktp", "kia", "kk", "akta")
SHIFT = (dt.time(8, 0), dt.time(15, 0))
FRIDAY_SHIFT = (dt.time(8, 0), dt.time(14, 0))
# name, skills, max_stops: traits on some teams only, so the planner has to match them.
TEAMS: tuple[tuple[str, tuple[str, ...], int | None], ...] = (
    ("Tim 1", (*ALL_SERVICES, "petugas_perempuan"), None),
    ("Tim 2", (*ALL_SERVICES, "bahasa_isyarat"), None),
    ("Tim 3", ("perekaman_ktp", "cetak_ktp", "kk", "motor"), None),
    ("Tim 4", ("perekaman_ktp", "cetak_ktp", "kia", "akta", "petugas_perempuan"), 6),
)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo wrote."""

    office: str
    teams: int
    requests: int
    letters: int
    persons: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    users_created: tuple[str, ...]
    users_kept: tuple[str, ...]
    replaced: int


def seed_demo_data(
    session: Session,
    *,
    region_slug: str,
    cache_dir: str | Path,
    now: dt.datetime,
    n_requests: int = 150,
    seed: int = 42,
    reset: bool = False,
) -> DemoSummary:
    """Create the demo office, four teams, staff accounts and ``n_requests`` requests.

    Parameters
    ----------
    session
        Database session (flushed, not committed).
    region_slug
        An imported region (``outreach region import``).
    cache_dir
        Road graph cache folder.
    now
        Current time, UTC naive: requests are spread over the 30 days before it.
    n_requests
        Number of requests (collective ones count once).
    seed
        Same seed, same demo (given the same region and ``now``).
    reset
        Replace earlier demo data instead of refusing.

    Returns
    -------
    DemoSummary

    Raises
    ------
    NotFoundError
        The region is not imported.
    OutreachError
        Demo data exists and ``reset`` is False, the office is not a demo office, or the
        depot is not near a road.
    """
    region = session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == region_slug)
    )
    if region is None:
        msg = (
            f"Region '{region_slug}' is not imported: run "
            f"`flask --app wsgi outreach region import {region_slug}` first."
        )
        raise NotFoundError(msg)
    replaced = _clear_previous(session, reset=reset)
    rng = random.Random(seed)
    faker = Faker("id_ID")
    faker.seed_instance(seed)
    areas = _areas(session, region_slug)
    sampler = HomeSampler(
        _road_graph(region, cache_dir=cache_dir),
        areas,
        AreaIndex.from_session(session, region_slug),
        rng=rng,
    )
    people = PeopleFactory(rng, faker, now.date())
    office = _office(session, region, sampler, seed=seed, now=now)
    teams = _teams(session, office, people)
    created, kept = _users(session, office, teams)
    drafts = RequestGenerator(areas, sampler, people, rng, now).generate(n_requests)
    _write_requests(session, office, drafts, seed=seed)
    session.flush()
    return _summary(office, teams, drafts, created, kept, replaced)


def is_demo_office(office: models.Office) -> bool:
    """True for an office the demo created."""
    return isinstance(office.settings, dict) and "demo" in office.settings


def _clear_previous(session: Session, *, reset: bool) -> int:
    """Refuse, or delete earlier demo requests; returns how many were deleted."""
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    if office is None:
        return 0
    if not is_demo_office(office):
        msg = (
            f"The office '{office.name}' is not demo data; seed-demo will not change it "
            "(use an empty database for the demo)."
        )
        raise OutreachError(msg)
    demo_ids = list(
        session.scalars(
            select(models.ServiceRequest.id).where(
                models.ServiceRequest.submission_hash.like(f"{DEMO_MARK}%")
            )
        )
    )
    if demo_ids and not reset:
        msg = (
            f"Demo data already present ({len(demo_ids)} requests); "
            "run `outreach seed-demo --reset` to replace it."
        )
        raise OutreachError(msg)
    merged = session.scalar(
        select(models.ServiceRequest.tracking_code).where(
            models.ServiceRequest.merged_into_id.in_(demo_ids),
            ~models.ServiceRequest.submission_hash.like(f"{DEMO_MARK}%")
            | models.ServiceRequest.submission_hash.is_(None),
        )
    )
    if merged is not None:
        msg = f"Request {merged} (not demo data) was merged into a demo request; not resetting."
        raise OutreachError(msg)
    _delete_requests(session, demo_ids)
    return len(demo_ids)


def _delete_requests(session: Session, ids: Sequence[int]) -> None:
    """Delete demo requests with their letters, outcomes, and the plans that route them."""
    if not ids:
        return
    plan_ids = set(
        session.scalars(
            select(models.Route.plan_id)
            .join(models.Stop, models.Stop.route_id == models.Route.id)
            .where(models.Stop.request_id.in_(ids))
        )
    ) | set(
        session.scalars(
            select(models.PlanUnassigned.plan_id).where(models.PlanUnassigned.request_id.in_(ids))
        )
    )
    # ORM deletes, so the plan -> route -> stop cascades run.
    for plan in session.scalars(select(models.Plan).where(models.Plan.id.in_(plan_ids))):
        session.delete(plan)
    session.flush()
    letter_ids = set(
        session.scalars(
            select(models.ServiceRequest.letter_id).where(
                models.ServiceRequest.id.in_(ids), models.ServiceRequest.letter_id.is_not(None)
            )
        )
    )
    session.execute(delete(models.VisitOutcome).where(models.VisitOutcome.request_id.in_(ids)))
    session.execute(
        delete(models.ServiceRequest)
        .where(models.ServiceRequest.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    for letter in session.scalars(select(models.Letter).where(models.Letter.id.in_(letter_ids))):
        if not letter.requests:  # a letter a real request also points to stays
            session.delete(letter)
    session.flush()
    session.expire_all()


def _areas(session: Session, region_slug: str) -> list[AreaPolygon]:
    rows = session.execute(
        select(models.Kelurahan, models.Kecamatan.code)
        .join(models.Kecamatan, models.Kelurahan.kecamatan_id == models.Kecamatan.id)
        .where(models.Kelurahan.region_slug == region_slug)
        .order_by(models.Kelurahan.code)
    ).all()
    return [
        AreaPolygon(
            code=kel.code,
            name=kel.name,
            kecamatan_code=kec_code,
            geometry=wkt.loads(kel.geometry_wkt),
            rep=(kel.rep_lon, kel.rep_lat),
        )
        for kel, kec_code in rows
    ]


def _road_graph(region: models.RegionImport, *, cache_dir: str | Path) -> nx.MultiDiGraph | None:
    """The region's road graph, loaded exactly as the import built (and cached) it."""
    if not region.roads_file:
        return None
    pack = find_pack(region.source_dir, search_dirs=[])
    if pack.roads_file is None:
        return None
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def _office(
    session: Session,
    region: models.RegionImport,
    sampler: HomeSampler,
    *,
    seed: int,
    now: dt.datetime,
) -> models.Office:
    known = KNOWN_DEPOTS.get(region.slug)
    if known is not None:
        lon, lat, address = known
    else:
        # Unknown office location: the road nearest the middle of the region stands in.
        centre = wkt.loads(region.boundary_wkt).representative_point()
        lon, lat = sampler.nearest_road_point(centre.x, centre.y) or (centre.x, centre.y)
        address = f"Kantor Disdukcapil {region.name}"
    gap = sampler.distance_to_road_m(lon, lat)
    if gap > DEPOT_MAX_ROAD_M and gap != float("inf"):
        msg = f"The demo depot {lon:.5f},{lat:.5f} is {gap:.0f} m from the nearest road."
        raise OutreachError(msg)
    office = configure_office(
        session,
        name=f"Disdukcapil {region.name}",
        region_slug=region.slug,
        depot=(lon, lat),
        address=address,
        work_hours=SHIFT,
        sync_deadline=dt.time(15, 30),
    )
    # A new dict (not an in-place change) so SQLAlchemy sees the JSON column change.
    office.settings = {
        **(office.settings or {}),
        "demo": {"seed": seed, "created_at": now.isoformat(timespec="seconds")},
    }
    return office


def _teams(session: Session, office: models.Office, people: PeopleFactory) -> list[models.Team]:
    teams = []
    for name, skills, max_stops in TEAMS:
        # Three officers a team: the kit operator, a helper, and the driver.
        members = [people.name(female=people.rng.random() < 0.5) for _ in range(3)]
        teams.append(
            save_team(
                session,
                office,
                name=name,
                skills=skills,
                members=members,
                shift=SHIFT,
                # Friday ends early (Jumat prayers); no outreach at weekends.
                weekday_shifts={4: FRIDAY_SHIFT, 5: None, 6: None},
                max_stops=max_stops,
            )
        )
    return teams


def _users(
    session: Session, office: models.Office, teams: list[models.Team]
) -> tuple[list[str], list[str]]:
    """The office admin, the coordinator, the head of office and two team leads.

    An existing account with the name is left alone.
    """
    wanted = [
        ("admin", "Admin Disdukcapil", models.Role.ADMIN.value, None),
        ("koordinator", "Koordinator Jemput Bola", models.Role.COORDINATOR.value, None),
        ("kepala", "Kepala Dinas", models.Role.HEAD.value, None),
        ("ketua.tim1", f"Ketua {teams[0].name}: {teams[0].members[0]}", "team_lead", teams[0]),
        ("ketua.tim2", f"Ketua {teams[1].name}: {teams[1].members[0]}", "team_lead", teams[1]),
    ]
    created, kept = [], []
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for username, full_name, role, team in wanted:
        if session.scalar(select(models.User).where(models.User.username == username)):
            kept.append(username)
            continue
        session.add(
            models.User(
                username=username,
                full_name=full_name,
                password_hash=password_hash,
                role=role,
                office_id=office.id,
                team_id=team.id if team is not None else None,
            )
        )
        created.append(username)
    return created, kept


def _write_requests(
    session: Session, office: models.Office, drafts: list[DemoRequest], *, seed: int
) -> None:
    kel_ids = {k.code: (k.id, k.kecamatan_id) for k in session.scalars(select(models.Kelurahan))}
    for i, draft in enumerate(drafts):
        kel_id, kec_id = kel_ids[draft.kelurahan_code]
        letter = _letter(session, office, draft, kel_id) if draft.letter else None
        session.add(
            models.ServiceRequest(
                **_columns(draft),
                office_id=office.id,
                kelurahan_id=kel_id,
                kecamatan_id=kec_id,
                letter_id=letter.id if letter else None,
                consent=True,
                submission_hash=f"{DEMO_MARK}{seed}:{i:05d}",
                updated_at=draft.closed_at or draft.verified_at or draft.created_at,
            )
        )
    session.flush()


def _columns(draft: DemoRequest) -> dict[str, Any]:
    skip = {"kelurahan_code", "kecamatan_code", "letter"}
    return {k: v for k, v in vars(draft).items() if k not in skip}


def _letter(
    session: Session, office: models.Office, draft: DemoRequest, kelurahan_id: int
) -> models.Letter:
    spec = draft.letter
    if spec is None:  # pragma: no cover - guarded by the caller
        msg = "not a collective request"
        raise ValueError(msg)
    letter = models.Letter(
        office_id=office.id,
        number=spec.number,
        letter_date=spec.letter_date,
        sender_type=spec.sender_type,
        sender_name=spec.sender_name,
        contact_name=spec.contact_name,
        contact_phone=spec.contact_phone,
        meeting_place=spec.meeting_place,
        lon=draft.lon,
        lat=draft.lat,
        kelurahan_id=kelurahan_id,
        rw=draft.rw,
        created_at=draft.created_at,
        residents=[
            models.LetterResident(
                row=r.row,
                name=r.person.name,
                nik=r.person.nik,
                birth_date=r.person.birth_date,
                phone=r.phone,
                rt=r.rt,
                rw=r.rw,
                services=list(r.services),
            )
            for r in spec.residents
        ],
    )
    session.add(letter)
    session.flush()
    return letter


def _summary(
    office: models.Office,
    teams: list[models.Team],
    drafts: list[DemoRequest],
    created: list[str],
    kept: list[str],
    replaced: int,
) -> DemoSummary:
    by_category: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for d in drafts:
        by_category[d.category] = by_category.get(d.category, 0) + 1
        by_status[d.status] = by_status.get(d.status, 0) + 1
    return DemoSummary(
        office=office.name,
        teams=len(teams),
        requests=len(drafts),
        letters=sum(1 for d in drafts if d.letter),
        persons=sum(d.persons for d in drafts),
        by_category=by_category,
        by_status=by_status,
        users_created=tuple(created),
        users_kept=tuple(kept),
        replaced=replaced,
    )
