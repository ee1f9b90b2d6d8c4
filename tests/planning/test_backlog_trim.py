"""A backlog far larger than the plan's days is trimmed before any travel time is computed."""

from __future__ import annotations

import datetime as dt

from plan_helpers import MONDAY, StraightLineModel, at, make_office, problem, site, team
from sqlalchemy.orm import Session

from outreach import models
from outreach.planning.backlog import MIN_KEPT, TRIMMED_MESSAGE, trim_backlog
from outreach.planning.service import create_plan


def test_a_small_backlog_is_left_alone() -> None:
    prob = problem([site(i, 100.0 * i, 0) for i in range(1, 50)], [team(1)])
    same, left = trim_backlog(prob)
    assert same is prob and left == ()


def test_the_most_urgent_and_every_must_site_are_kept() -> None:
    low = [site(i, 50.0 * i, 0, priority=20) for i in range(1, MIN_KEPT + 41)]
    pinned = site(900, 10, 10, priority=5, pinned_date=MONDAY)
    due = site(901, 20, 10, priority=5, deadline=MONDAY)
    urgent = [site(950 + i, 30, 10 * i, priority=70) for i in range(5)]
    prob = problem([*low, pinned, due, *urgent], [team(1)])
    kept, left = trim_backlog(prob)
    ids = {s.id for s in kept.sites}
    assert len(kept.sites) == MIN_KEPT  # 1 team-day: the floor applies
    assert {900, 901} | {s.id for s in urgent} <= ids
    assert len(left) == len(prob.sites) - MIN_KEPT
    # Among equals the older requests (lower ids) stay; the newest wait for the next plan.
    assert max(s.id for s in low if s.id in ids) < min(s.id for s in left)
    assert [s.id for s in kept.sites] == [s.id for s in prob.sites if s.id in ids]


def test_the_plan_lists_the_trimmed_requests_as_left_out(session: Session) -> None:
    office = make_office(session, 1)
    for n in range(MIN_KEPT + 25):
        lon, lat = at(40.0 * (n % 40), 40.0 * (n // 40))
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-T{n:04d}",
                office_id=office.id,
                category="lansia",
                services=["kk"],
                person_name=f"Warga {n}",
                lon=lon,
                lat=lat,
                status=models.RequestStatus.TERVERIFIKASI.value,
                verified_at=dt.datetime(2025, 2, 20, 9, 0),
            )
        )
    session.flush()
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert plan.inputs["matrix"]["points"] <= MIN_KEPT + 2  # office, sites kept
    trimmed = [u for u in plan.unassigned if u.detail == TRIMMED_MESSAGE]
    assert len(trimmed) == 25 and all(u.reason == "day_full" for u in trimmed)
    assert plan.summary["backlog_trimmed"] == 25
    assert plan.summary["unassigned"] == len(plan.unassigned)
    assert plan.summary["violations"] == 0
    planned = sum(len(r.stops) for r in plan.routes)
    assert planned + len(plan.unassigned) == MIN_KEPT + 25
