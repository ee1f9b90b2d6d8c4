"""Sweeps and other collective visits get priority for the persons they serve (issue 13).

A 40-person sweep counted as one kolektif visit (30) waited behind every elderly home visit;
with persons points it ranks before a lansia visit of the same wait but never before a sakit,
disabilitas or darurat one. Planned on Kota Yogyakarta's real roads with the planner's core.
Beside a week of nothing but lansia visits a fresh sweep still waits (the solver sums priority
per visit); once it has waited a month the planner sets a team-day aside for it.
Last: a sweep's stop reads its kelurahan once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.coverage import create_sweeps, import_coverage
from outreach.db import get_session
from outreach.domain import PlanResult, PlanRules, Site, TeamSpec, TimeWindow, TravelModel
from outreach.office import save_team
from outreach.planning.calendar import working_days
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.priority import (
    CATEGORY_BASE,
    COLLECTIVE_PER_PERSON_S,
    PERSONS_CAP,
    cards_for,
    persons_points,
    priority_for,
    service_seconds,
)
from outreach.planning.problem import PlanningProblem, problem_points
from outreach.planning.service import create_plan
from outreach.render.route_rows import route_table
from tests.coverage.conftest import staff_client, yapp
from tests.coverage.cov_files import csv_bytes
from tests.field_day import travel_for
from tests.intake.yogya import DEPOT

__all__ = ["staff_client", "yapp"]

MONDAY = dt.date(2026, 12, 7)
WEEK = working_days(MONDAY, 5, frozenset(range(5)))  # Monday 7 to Friday 11 December
SKILLS = frozenset({"perekaman_ktp", "cetak_ktp", "kia", "kk"})
H = 3600


def test_persons_points_rank_a_big_collective_visit_between_lansia_and_disabilitas() -> None:
    assert persons_points(1) == persons_points(3) == 0
    assert persons_points(4) == 1
    assert persons_points(40) == 13
    assert persons_points(10_000) == PERSONS_CAP
    sweep = priority_for("kolektif", persons=40, collective=True)
    assert sweep == 43
    assert sweep > priority_for("lansia")
    # Never before the residents who cannot come to a hall, whatever the size.
    biggest = priority_for("kolektif", persons=500, collective=True)
    for category in ("disabilitas", "sakit", "darurat"):
        assert biggest < priority_for(category)
        assert priority_for("kolektif", waiting_days=9, persons=500, collective=True) < (
            priority_for(category, waiting_days=9)
        )
    # Waiting still counts: a lansia request twelve days old goes before a fresh big sweep.
    assert priority_for("lansia", waiting_days=12) > sweep
    # A home visit for a family gets no persons points; a small letter hardly any.
    assert priority_for("lansia", persons=5) == CATEGORY_BASE["lansia"]
    assert priority_for("kolektif", persons=4, collective=True) == 31
    assert priority_for("pemula", persons=40, collective=True) == 43


def _teams(count: int) -> tuple[TeamSpec, ...]:
    return tuple(
        TeamSpec(id=i, name=f"Tim {i}", skills=SKILLS, shift=TimeWindow(8 * H, 15 * H))
        for i in range(1, count + 1)
    )


def _on_road(travel: TravelModel, rng: random.Random) -> tuple[float, float]:
    """A random point of the city within about 2 km of the office, on a road."""
    while True:
        snapped = travel.snap(
            DEPOT[0] + rng.uniform(-0.02, 0.02), DEPOT[1] + rng.uniform(-0.02, 0.02)
        )
        if not snapped.fallback:
            return snapped.lon, snapped.lat


def _home(site_id: int, point: tuple[float, float], category: str) -> Site:
    return Site(
        id=site_id,
        lon=point[0],
        lat=point[1],
        service_s=service_seconds(1),
        persons=1,
        cards=1,
        needs=frozenset({"perekaman_ktp"}),
        category=category,
        priority=priority_for(category),
    )


def _sweep(site_id: int, point: tuple[float, float], persons: int = 40) -> Site:
    services = ("perekaman_ktp",)
    return Site(
        id=site_id,
        lon=point[0],
        lat=point[1],
        service_s=service_seconds(persons, per_person_s=COLLECTIVE_PER_PERSON_S),
        persons=persons,
        cards=cards_for(services, persons),
        needs=frozenset(services),
        category="kolektif",
        priority=priority_for("kolektif", persons=persons, collective=True),
    )


def _plan(travel: TravelModel, sites: list[Site], teams: int) -> PlanResult:
    problem = PlanningProblem(
        depot=DEPOT,
        dates=WEEK,
        teams=_teams(teams),
        sites=tuple(sites),
        rules=PlanRules(working_weekdays=frozenset(range(5))),
        seed=1,
    )
    matrix = travel.matrix(problem_points(problem).points)
    result = plan_routes(problem, matrix)
    assert check_plan(problem, matrix, result) == []
    return result


def _days(result: PlanResult) -> dict[int, dt.date]:
    return {s.site_id: r.day for r in result.routes for s in r.stops}


@pytest.mark.slow
def test_a_sweep_that_has_waited_a_month_gets_a_date_beside_a_full_week_of_elderly_visits(
    yapp: Flask,
) -> None:
    travel, rng = travel_for(yapp), random.Random(13)
    # More elderly home visits than two teams make in a week.
    homes = [_home(i, _on_road(travel, rng), "lansia") for i in range(1, 171)]
    point = _on_road(travel, rng)
    fresh = _sweep(1000, point)
    # Fresh, the sweep loses to the six or seven elderly visits it would displace.
    days = _days(_plan(travel, [*homes, fresh], teams=2))
    assert fresh.id not in days
    # After a month of waiting a team-day is set aside for it, home visits near it around it.
    waited = dataclasses.replace(
        fresh,
        priority=priority_for("kolektif", waiting_days=30, persons=40, collective=True),
    )
    result = _plan(travel, [*homes, waited], teams=2)
    days = _days(result)
    assert days.get(waited.id) in WEEK, {
        u.site_id: u.reason for u in result.unassigned if u.site_id > 999
    }
    route = next(r for r in result.routes if any(s.site_id == waited.id for s in r.stops))
    assert len(route.stops) > 1  # not a day for the sweep alone
    # The week was really full: elderly visits are left for later.
    assert sum(1 for h in homes if h.id not in days) >= 10


@pytest.mark.slow
def test_sweeps_do_not_push_sick_disabled_or_emergency_home_visits_out_of_a_normal_week(
    yapp: Flask,
) -> None:
    travel, rng = travel_for(yapp), random.Random(5)
    categories = ["sakit"] * 12 + ["disabilitas"] * 10 + ["darurat"] * 3 + ["lansia"] * 30
    homes = [_home(i, _on_road(travel, rng), c) for i, c in enumerate(categories, start=1)]
    urgent = {h.id for h in homes if h.category != "lansia"}
    # Five 40-person sweeps: more recording than the week leaves after the home visits.
    sweeps = [_sweep(1000 + k, _on_road(travel, rng)) for k in range(5)]
    alone = _days(_plan(travel, homes, teams=2))
    assert urgent <= alone.keys()
    mixed = _plan(travel, [*homes, *sweeps], teams=2)
    days = _days(mixed)
    assert urgent <= days.keys(), sorted(urgent - days.keys())
    assert any(s.id in days for s in sweeps)  # the sweeps did take part of the week


def test_a_sweep_stop_names_its_kelurahan_once(yapp: Flask, staff_client: FlaskClient) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    save_team(session, office, name="Tim Mawar", skills=["perekaman_ktp", "cetak_ktp"])
    rows = [["Kelurahan", "Wajib KTP", "Belum rekam"], ["Kricak", 9000, 120]]
    import_coverage(
        session,
        office,
        filename="cakupan.csv",
        data=csv_bytes(rows),
        as_of=dt.date(2026, 11, 20),
        actor="test",
        today=dt.date(2026, 11, 30),
    )
    travel = travel_for(yapp)
    [made] = create_sweeps(session, office, top=1, actor="test", travel=travel)  # type: ignore[arg-type]
    assert made.kelurahan == "Kricak"
    plan = create_plan(session, travel, start_date=MONDAY, days=1, office=office)
    session.commit()
    [route] = plan.routes
    [row] = [
        r for r in route_table(route).rows if getattr(r, "tracking_code", "") == made.tracking_code
    ]
    assert row.address == "Tempat belum ditentukan (titik tengah kelurahan), Kel. Kricak"
    assert row.kecamatan == "Tegalrejo"
    # The printed route sheet: the kelurahan once, then the kecamatan.
    page = staff_client.get(f"/lembar/rute/{route.id}").get_data(as_text=True)
    line = "Tempat belum ditentukan (titik tengah kelurahan), Kel. Kricak, Kec. Tegalrejo"
    assert line in page
    assert page.count("Kricak, Kricak") == page.count("Kel. Kricak, Kel.") == 0
    # The request page: street, kelurahan, kecamatan, each once.
    request_id = row.request_id
    text = staff_client.get(f"/koordinator/permohonan/{request_id}").get_data(as_text=True)
    assert "Tempat belum ditentukan (titik tengah kelurahan), Kricak, Tegalrejo" in text


@pytest.mark.slow
def test_a_team_with_a_pinned_visit_keeps_it_when_a_sweep_gets_a_day(yapp: Flask) -> None:
    # As in the demo's week: a visit pinned to Tim 1 on Tuesday, and a sweep that has
    # waited a month left out by the day's solve. Tim 1 keeps its visit; another team (or
    # none) takes the sweep's day; the plan is made and checked (it crashed before).
    travel, rng = travel_for(yapp), random.Random(21)
    homes = [_home(i, _on_road(travel, rng), "lansia") for i in range(1, 171)]
    sweep = dataclasses.replace(
        _sweep(1000, _on_road(travel, rng)),
        priority=priority_for("kolektif", waiting_days=30, persons=40, collective=True),
    )
    pinned = dataclasses.replace(
        _home(2000, _on_road(travel, rng), "sakit"), pinned_team_id=1, pinned_date=WEEK[1]
    )
    result = _plan(travel, [*homes, sweep, pinned], teams=2)
    served = {s.site_id: (r.team_id, r.day) for r in result.routes for s in r.stops}
    assert served.get(pinned.id) == (1, WEEK[1]), [
        (u.site_id, u.reason) for u in result.unassigned if u.site_id >= 1000
    ]
    assert served.get(sweep.id, (0, None))[0] != 1 or served[sweep.id][1] != WEEK[1]
