"""Editing a draft plan (outreach.planning.edits): move, pin, remove, re-plan with the edits.

On the field day of tests/field_day.py (approved Monday 2026-11-23) a draft is made for
Tuesday and Wednesday (:func:`make_draft`), on Kota Yogyakarta's real road network. Every
changed plan is checked again with the independent feasibility check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.domain import PlanResult, TravelModel
from outreach.office import save_team
from outreach.planning.edits import (
    EditRefused,
    edit_lines,
    move_stop,
    pin_request,
    remove_stop,
    replan_draft,
)
from outreach.planning.feasibility import check_plan
from outreach.planning.problem import problem_points, travel_matrix
from outreach.planning.reasons import Reason
from outreach.planning.records import planned_route, stop_site_id
from outreach.planning.service import approve_plan, create_plan, load_inputs
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import yogya_app, yogya_template

__all__ = ["yogya_template"]

TUESDAY = dt.date(2026, 11, 24)
WEDNESDAY = dt.date(2026, 11, 25)


@dataclasses.dataclass(frozen=True)
class Draft:
    """The field day plus a draft for Tuesday and Wednesday."""

    day: FieldDay
    plan_id: int
    teams: dict[str, int]  # Tim Mawar, Tim Melati, Tim Kenanga (KIA only, off on Wednesday)


def make_draft(session: Session, travel: TravelModel, *, split: bool = False) -> Draft:
    """Build the field day, a third team, and a draft for Tuesday + Wednesday (committed).

    ``split``: collective visits of more than 2 persons are split (the letter's 4 residents
    become two parts).
    """
    day = build_field_day(session, travel)
    office = session.scalar(select(models.Office))
    assert office is not None
    kenanga = save_team(
        session,
        office,
        name="Tim Kenanga",
        skills=["kia"],
        weekday_shifts={2: None},  # off on Wednesdays
    )
    if split:
        settings = dict(office.settings or {})
        settings["planning"] = {**settings.get("planning", {}), "collective_max_persons": 2}
        office.settings = settings
    session.commit()
    plan = create_plan(session, travel, start_date=TUESDAY, days=2, office=office)
    # Planned with at most 4 stops a team (both teams get a route); no limit for the edits.
    for team in office.teams:
        team.max_stops = None
    session.commit()
    return Draft(day, plan.id, {**day.team_ids, "Tim Kenanga": kenanga.id})


@pytest.fixture
def draft_app(tmp_path: Path, yogya_template: Path) -> Iterator[tuple[Flask, Draft]]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        yield app, make_draft(get_session(), travel_for(app))


def _plan(session: Session, plan_id: int) -> models.Plan:
    plan = session.get(models.Plan, plan_id)
    assert plan is not None
    return plan


def snapshot(session: Session, plan_id: int) -> Any:
    """Every column of the plan, its routes, stops and unassigned rows (for "nothing changed")."""
    session.expire_all()
    plan = _plan(session, plan_id)

    def cols(row: Any) -> dict[str, Any]:
        return {c.key: getattr(row, c.key) for c in row.__table__.columns}

    return (
        cols(plan),
        [(cols(r), [cols(s) for s in r.stops]) for r in plan.routes],
        sorted((u.request_id, u.reason, u.detail) for u in plan.unassigned),
    )


def violations(session: Session, plan: models.Plan) -> list[Any]:
    """The independent check over the whole stored plan (its routes as they are now)."""
    session.expire_all()
    inputs = load_inputs(
        session,
        start_date=TUESDAY,
        days=2,
        teams=[t["id"] for t in plan.inputs["teams"]],
        office=session.get(models.Office, plan.office_id),
    )
    sites = {
        s.id: dataclasses.replace(s, pinned_team_id=None, pinned_date=None)
        for s in inputs.problem.sites
    }
    routes = tuple(planned_route(r, locked=False, sites=sites) for r in plan.routes)
    routed = {s.site_id for r in routes for s in r.stops}
    problem = dataclasses.replace(
        inputs.problem, sites=tuple(s for i, s in sites.items() if i in routed)
    )
    matrix = travel_matrix(travel_for(current_app), problem_points(problem).points, problem.teams)
    return check_plan(problem, matrix, PlanResult(problem.dates, routes, (), "x", 1))


def _route_of(plan: models.Plan, team_id: int, day: dt.date) -> models.Route | None:
    return next((r for r in plan.routes if r.team_id == team_id and r.route_date == day), None)


def _a_stop(plan: models.Plan, team_id: int, day: dt.date) -> models.Stop:
    route = _route_of(plan, team_id, day)
    assert route is not None and route.stops, (team_id, day)
    return route.stops[0]


def _busy(plan: models.Plan) -> models.Route:
    """A route with at least two stops (so it stays after a stop leaves)."""
    return next(r for r in plan.routes if len(r.stops) >= 2)


def _other_team(d: Draft, team_id: int) -> int:
    return next(i for n, i in d.teams.items() if i != team_id and n in ("Tim Mawar", "Tim Melati"))


def test_draft_has_routes_on_both_teams(draft_app: tuple[Flask, Draft]) -> None:
    _, d = draft_app
    plan = _plan(get_session(), d.plan_id)
    assert plan.status == "draft"
    assert sum(len(r.stops) for r in plan.routes) == 7
    assert violations(get_session(), plan) == []


def test_move_between_teams_retimes_both_routes(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    plan = _plan(session, d.plan_id)
    source = _busy(plan)
    stop = source.stops[-1]
    request_id, day, left_count = stop.request_id, source.route_date, len(source.stops) - 1
    target_team = _other_team(d, source.team_id)
    before = _route_of(plan, target_team, day)
    before_count = len(before.stops) if before else 0
    before_end = source.end_at
    moved = move_stop(
        session, travel_for(app), d.plan_id, stop.id, team_id=target_team, day=day, actor="user:1"
    )
    session.commit()
    session.expire_all()
    plan = _plan(session, d.plan_id)
    assert moved.route.team_id == target_team and moved.route.route_date == day
    target = _route_of(plan, target_team, day)
    assert target is not None and len(target.stops) == before_count + 1
    assert request_id in {s.request_id for s in target.stops}
    src = _route_of(plan, source.team_id, day)
    assert src is not None and len(src.stops) == left_count
    assert request_id not in {s.request_id for s in src.stops}
    assert [s.sequence for s in src.stops] == list(range(1, left_count + 1))
    assert src.end_at <= before_end  # one visit fewer: back no later
    # Summary follows the routes.
    assert plan.summary["visits"] == sum(len(r.stops) for r in plan.routes) == 7
    assert plan.summary["persons"] == sum(r.persons for r in plan.routes)
    assert plan.summary["travel_time_s"] == sum(r.travel_time_s for r in plan.routes)
    assert plan.summary["distance_m"] == sum(r.distance_m for r in plan.routes)
    # Logged (as a pin that a re-plan keeps) and audited.
    (edit,) = plan.inputs["edits"]
    assert edit["kind"] == "move" and edit["request_id"] == request_id
    assert edit["team_id"] == target_team and edit["date"] == day.isoformat()
    assert edit["actor"] == "user:1"
    assert edit_lines(plan)[0].startswith("Dipindah: JB-F")
    event = session.scalar(
        select(models.AuditEvent).where(models.AuditEvent.action.like("plan.edit%"))
    )
    assert event is not None and event.entity_id == d.plan_id
    assert violations(session, plan) == []


def test_move_to_another_day(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    plan = _plan(session, d.plan_id)
    source = _busy(plan)
    stop = source.stops[0]
    other_day = WEDNESDAY if source.route_date == TUESDAY else TUESDAY
    moved = move_stop(
        session, travel_for(app), d.plan_id, stop.id, team_id=source.team_id, day=other_day
    )
    session.commit()
    session.expire_all()
    plan = _plan(session, d.plan_id)
    assert moved.route.route_date == other_day and moved.route.team_id == source.team_id
    # A leg into and out of the moved stop has road geometry (new legs fetched).
    assert moved.leg_geometry
    assert violations(session, plan) == []


def test_refusals_change_nothing(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    plan = _plan(session, d.plan_id)
    stop = _busy(plan).stops[0]
    stop_id, team_id, day = stop.id, stop.route.team_id, stop.route.route_date
    before = snapshot(session, d.plan_id)
    cases = [
        (d.teams["Tim Kenanga"], WEDNESDAY, "tidak bertugas"),
        (d.teams["Tim Kenanga"], TUESDAY, "tidak punya keahlian perekaman e-KTP"),
        (team_id, dt.date(2026, 11, 30), "bukan salah satu hari rencana"),
        (team_id, day, "sudah ada di rute"),
        (999_999, day, "tidak ikut dalam rencana"),
    ]
    for target, when, text in cases:
        with pytest.raises(EditRefused, match=text):
            move_stop(session, travel, d.plan_id, stop_id, team_id=target, day=when)
        session.rollback()
        assert snapshot(session, d.plan_id) == before


def test_full_team_and_short_shift_are_refused(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    plan = _plan(session, d.plan_id)
    source = _busy(plan)
    stop = source.stops[0]
    target_team = _other_team(d, source.team_id)
    day = source.route_date
    target = _route_of(plan, target_team, day)
    team = session.get(models.Team, target_team)
    assert team is not None
    if target is not None:
        # The team's shift that day ends when its route is back: no time for one more visit.
        end = target.end_at + dt.timedelta(minutes=1)
        team.shift_by_weekday = {str(day.weekday()): [f"{team.shift_start:%H:%M}", f"{end:%H:%M}"]}
        team.max_stops = None
        session.commit()
        before = snapshot(session, d.plan_id)
        with pytest.raises(EditRefused, match="Waktu tidak cukup"):
            move_stop(session, travel, d.plan_id, stop.id, team_id=target_team, day=day)
        session.rollback()
        assert snapshot(session, d.plan_id) == before
        team.shift_by_weekday = {}
        team.max_stops = len(target.stops)
        session.commit()
        with pytest.raises(EditRefused, match="batas"):
            move_stop(session, travel, d.plan_id, stop.id, team_id=target_team, day=day)
        session.rollback()
        assert snapshot(session, d.plan_id) == before
    # The day's card capacity: full.
    office = session.scalar(select(models.Office))
    assert office is not None
    other_day = WEDNESDAY if day == TUESDAY else TUESDAY
    used = sum(len(r.stops) for r in plan.routes if r.route_date == other_day)
    office.daily_card_capacity = used
    team.max_stops = None
    session.commit()
    before = snapshot(session, d.plan_id)
    with pytest.raises(EditRefused, match="Kapasitas cetak KTP"):
        move_stop(session, travel, d.plan_id, stop.id, team_id=source.team_id, day=other_day)
    session.rollback()
    assert snapshot(session, d.plan_id) == before


def test_remove_puts_request_among_unassigned(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    plan = _plan(session, d.plan_id)
    route = _busy(plan)
    stop = route.stops[0]
    request_id, route_id, count = stop.request_id, route.id, len(route.stops)
    row = remove_stop(session, travel_for(app), d.plan_id, stop.id, actor="user:1")
    session.commit()
    session.expire_all()
    plan = _plan(session, d.plan_id)
    assert row.reason == Reason.REMOVED_BY_COORDINATOR.value
    assert row.detail == "Dikeluarkan dari rencana oleh koordinator."
    assert request_id in {u.request_id for u in plan.unassigned}
    route_after = session.get(models.Route, route_id)
    assert route_after is not None and len(route_after.stops) == count - 1
    assert route_after.stops[0].sequence == 1
    assert plan.summary["visits"] == 6
    assert plan.summary["unassigned"] == len(plan.unassigned)
    assert edit_lines(plan) == [f"Dikeluarkan: {stop.request.tracking_code}"]
    assert violations(session, plan) == []


def test_removing_the_last_stop_deletes_the_route(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    plan = _plan(session, d.plan_id)
    route = plan.routes[0]
    route_id = route.id
    for stop_id in [s.id for s in route.stops]:
        remove_stop(session, travel, d.plan_id, stop_id)
    session.commit()
    session.expire_all()
    assert session.get(models.Route, route_id) is None
    plan = _plan(session, d.plan_id)
    assert plan.summary["routes"] == len(plan.routes)


def test_replan_keeps_moves_and_removals(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    plan = _plan(session, d.plan_id)
    source = _busy(plan)
    mover, goner = source.stops[0], source.stops[1]
    mover_id, goner_id = mover.request_id, goner.request_id
    other_day = WEDNESDAY if source.route_date == TUESDAY else TUESDAY
    target_team = _other_team(d, source.team_id)
    move_stop(session, travel, d.plan_id, mover.id, team_id=target_team, day=other_day)
    remove_stop(session, travel, d.plan_id, goner.id)
    session.commit()
    steps: list[tuple[int, int, str]] = []
    new = replan_draft(
        session, travel, d.plan_id, progress=lambda *a: steps.append(a), actor="user:1"
    )
    session.commit()
    session.expire_all()
    old = _plan(session, d.plan_id)
    assert old.status == "superseded" and old.inputs["replaced_by"] == new.id
    assert new.status == "draft" and new.inputs["replaces"] == d.plan_id
    assert [e["kind"] for e in new.inputs["edits"]] == ["move", "remove"]
    assert steps and all(isinstance(text, str) and text for _, _, text in steps)
    assert old.summary["superseded_by"] == new.id
    where = {s.request_id: (r.team_id, r.route_date) for r in new.routes for s in r.stops}
    assert where[mover_id] == (target_team, other_day)
    assert goner_id not in where
    gone = [u for u in new.unassigned if u.request_id == goner_id]
    assert [u.reason for u in gone] == [Reason.REMOVED_BY_COORDINATOR.value]
    assert new.summary["unassigned"] == len(new.unassigned)
    assert new.inputs["dates"] == old.inputs["dates"]
    assert violations(session, new) == []
    # The old draft cannot be edited any more.
    with pytest.raises(EditRefused, match="Hanya draf"):
        replan_draft(session, travel, d.plan_id)


def test_pin_sets_request_pins_and_replan_honours_them(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    plan = _plan(session, d.plan_id)
    route = _busy(plan)
    stop = route.stops[0]
    request_id = stop.request_id
    other_day = WEDNESDAY if route.route_date == TUESDAY else TUESDAY
    target_team = _other_team(d, route.team_id)
    req = pin_request(session, d.plan_id, request_id, team_id=target_team, day=other_day)
    assert (req.pinned_team_id, req.pinned_date) == (target_team, other_day)
    with pytest.raises(EditRefused, match="tidak bertugas"):
        pin_request(session, d.plan_id, request_id, team_id=d.teams["Tim Kenanga"], day=WEDNESDAY)
    session.commit()
    new = replan_draft(session, travel, d.plan_id)
    session.commit()
    where = {s.request_id: (r.team_id, r.route_date) for r in new.routes for s in r.stops}
    assert where[request_id] == (target_team, other_day)
    # Unpin.
    pin_request(session, new.id, request_id, team_id=None, day=None)
    assert (req.pinned_team_id, req.pinned_date) == (None, None)
    assert edit_lines(new)[-1].startswith("Patok dilepas")


def test_split_part_moves_alone(tmp_path: Path, yogya_template: Path) -> None:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        travel = travel_for(app)
        d = make_draft(session, travel, split=True)
        plan = _plan(session, d.plan_id)
        parts = [s for r in plan.routes for s in r.stops if s.parts > 1]
        assert len(parts) == 2, "the letter's visit is split into two parts"
        part = parts[0]
        other = parts[1]
        other_where = (other.route.team_id, other.route.route_date, other.id)
        key = (part.route.team_id, part.route.route_date)
        options = [
            (t, day)
            for t in (d.teams["Tim Mawar"], d.teams["Tim Melati"])
            for day in (TUESDAY, WEDNESDAY)
            if (t, day) != key and (t, day) != other_where[:2]
        ]
        moved = None
        for team_id, day in options:
            try:
                moved = move_stop(session, travel, d.plan_id, part.id, team_id=team_id, day=day)
                break
            except EditRefused:
                session.rollback()
        assert moved is not None
        session.commit()
        session.expire_all()
        assert moved.parts == 2 and moved.part == parts[0].part
        still = session.get(models.Stop, other_where[2])
        assert (
            still is not None and (still.route.team_id, still.route.route_date) == other_where[:2]
        )
        plan = _plan(session, d.plan_id)
        assert plan.inputs["edits"][0]["parts"] == 2
        assert "bagian" in edit_lines(plan)[0]
        assert stop_site_id(moved) != moved.request_id


def test_approved_plan_is_refused(draft_app: tuple[Flask, Draft]) -> None:
    app, d = draft_app
    session = get_session()
    travel = travel_for(app)
    approved = _plan(session, d.day.plan_id)
    stop = approved.routes[0].stops[0]
    with pytest.raises(EditRefused, match="Hanya draf"):
        move_stop(session, travel, approved.id, stop.id, team_id=stop.route.team_id, day=TUESDAY)
    with pytest.raises(EditRefused, match="Hanya draf"):
        remove_stop(session, travel, approved.id, stop.id)
    with pytest.raises(EditRefused, match="Hanya draf"):
        pin_request(session, approved.id, stop.request_id, team_id=None, day=None)
    approve_plan(session, d.plan_id)
    session.commit()
    plan = _plan(session, d.plan_id)
    with pytest.raises(EditRefused, match="disetujui"):
        remove_stop(session, travel, d.plan_id, plan.routes[0].stops[0].id)
    assert issubclass(EditRefused, Exception)
