"""Big collective visits are split into parts that each fit a shift, end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from plan_helpers import MONDAY, StraightLineModel, at, make_office, matrix_for, problem, site, team
from sqlalchemy.orm import Session

from outreach import models
from outreach.domain import Site
from outreach.intake.status import lookup_status
from outreach.intake.tracking import make_tracking_code
from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import check_plan
from outreach.planning.service import (
    approve_plan,
    compute_plan,
    create_plan,
    insert_urgent,
    load_inputs,
    save_plan,
)
from outreach.planning.split import PART_ID_BASE, part_persons, parts_needed

NIK = "3471014107800001"
PHONE = "+6281234567890"
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def _office(session: Session, teams: int = 3, **settings: object) -> models.Office:
    return make_office(session, teams, **settings)


def _letter(
    session: Session, office: models.Office, n: int, persons: int, x: float = 1500.0
) -> models.ServiceRequest:
    """A school's letter for ``persons`` first-time applicants (pemula), as one request."""
    lon, lat = at(x, 0)
    letter = models.Letter(
        office_id=office.id,
        number=f"421/{n}/SMA",
        letter_date=dt.date(2025, 2, 17),
        sender_type="sekolah",
        sender_name=f"SMA Negeri {n}",
        lon=lon,
        lat=lat,
    )
    session.add(letter)
    session.flush()
    row = models.ServiceRequest(
        tracking_code=f"JB-{n:04d}",
        office_id=office.id,
        category="pemula",
        letter_id=letter.id,
        services=["perekaman_ktp", "cetak_ktp"],
        person_name=f"SMA Negeri {n}",
        applicant_name="Kepala sekolah",
        nik=NIK,
        phone=PHONE,
        lon=lon,
        lat=lat,
        persons=persons,
        status=models.RequestStatus.TERVERIFIKASI.value,
        verified_at=dt.datetime(2025, 2, 20, 9, 0),
    )
    session.add(row)
    session.flush()
    return row


def _stops(plan: models.Plan) -> list[models.Stop]:
    return sorted((s for r in plan.routes for s in r.stops), key=lambda s: s.part)


def test_parts_are_near_equal() -> None:
    assert parts_needed(120, 40) == 3 and part_persons(120, 3) == (40, 40, 40)
    assert parts_needed(90, 40) == 3 and part_persons(90, 3) == (30, 30, 30)
    assert parts_needed(121, 40) == 4 and part_persons(121, 4) == (31, 30, 30, 30)
    assert parts_needed(40, 40) == 1 and parts_needed(500, 0) == 500  # a bad setting counts as 1


def test_a_120_person_school_letter_goes_out_as_three_parallel_parts(session: Session) -> None:
    office = _office(session, teams=3)
    school = _letter(session, office, 1, 120)
    inputs = load_inputs(session, start_date=MONDAY, office=office)
    sites = inputs.problem.sites
    assert [(s.request_key, s.part, s.parts, s.persons) for s in sites] == [
        (school.id, i, 3, 40) for i in (1, 2, 3)
    ]
    assert len({s.id for s in sites}) == 3 and all(s.id > PART_ID_BASE for s in sites)
    assert all(s.service_s == (10 + 40 * 6) * 60 and s.cards == 40 for s in sites)

    result, matrix = compute_plan(inputs, StraightLineModel())
    assert check_plan(inputs.problem, matrix, result) == []
    assert result.unassigned == ()
    plan = save_plan(session, inputs, result, matrix)
    stops = _stops(plan)
    # One day, three teams in parallel: every part is its own stop, all for the request.
    assert len(plan.routes) == 3 and {r.route_date for r in plan.routes} == {MONDAY}
    assert [(s.request_id, s.part, s.parts, s.persons) for s in stops] == [
        (school.id, i, 3, 40) for i in (1, 2, 3)
    ]
    assert all(s.service_s == 250 * 60 for s in stops)
    assert sorted(r.persons for r in plan.routes) == [40, 40, 40]
    summary = plan.summary
    assert (summary["visits"], summary["persons"], summary["violations"]) == (3, 120, 0)
    assert (summary["split_requests"], summary["split_parts_planned"]) == (1, 3)
    snap = plan.inputs
    assert snap["collective_max_persons"] == 40
    assert snap["split"] == {str(school.id): {"parts": 3, "planned": {"1": 40, "2": 40, "3": 40}}}
    assert [(r["id"], r["part"]) for r in snap["requests"]] == [(school.id, i) for i in (1, 2, 3)]

    approve_plan(session, plan.id, now=dt.datetime(2025, 3, 1, 10, 0))
    assert school.status == "terjadwal"
    assert school.scheduled_at == min(s.service_start_at for s in stops)


def test_one_team_serves_the_parts_across_the_days_of_a_horizon(session: Session) -> None:
    office = _office(session, teams=1)
    school = _letter(session, office, 1, 120)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, days=3, office=office)
    stops = _stops(plan)
    assert [s.part for s in stops] == [1, 2, 3] and all(s.request_id == school.id for s in stops)
    assert len({s.route.route_date for s in stops}) == 3
    assert plan.unassigned == [] and plan.summary["violations"] == 0


def test_ninety_persons_make_three_parts_of_thirty(session: Session) -> None:
    office = _office(session, teams=3)
    _letter(session, office, 1, 90)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    stops = _stops(plan)
    assert [(s.part, s.parts, s.persons) for s in stops] == [(i, 3, 30) for i in (1, 2, 3)]
    assert all(s.service_s == (10 + 30 * 6) * 60 for s in stops)


def test_the_office_sets_the_largest_visit(session: Session) -> None:
    office = _office(session, teams=3, collective_max_persons=25)
    school = _letter(session, office, 1, 120)
    inputs = load_inputs(session, start_date=MONDAY, office=office)
    assert inputs.collective_max_persons == 25
    assert [s.persons for s in inputs.problem.sites] == [24] * 5
    assert {s.request_key for s in inputs.problem.sites} == {school.id}


def test_a_35_person_letter_is_one_visit(session: Session) -> None:
    office = _office(session, teams=1)
    school = _letter(session, office, 1, 35)
    inputs = load_inputs(session, start_date=MONDAY, office=office)
    (site,) = inputs.problem.sites
    assert (site.id, site.part, site.parts, site.persons) == (school.id, 1, 1, 35)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    ((stop,),) = [r.stops for r in plan.routes]
    assert (stop.request_id, stop.part, stop.parts, stop.persons) == (school.id, 1, 1, 35)
    assert stop.service_s == (10 + 35 * 6) * 60 and "split" not in str(plan.inputs["requests"])


def test_a_home_visit_for_many_persons_is_never_split(session: Session) -> None:
    office = _office(session, teams=1)
    school = _letter(session, office, 1, 60)
    school.letter_id = None
    school.category = "lansia"  # a household at the home rate: one visit, whatever its size
    (site,) = load_inputs(session, start_date=MONDAY, office=office).problem.sites
    assert (site.id, site.parts, site.service_s) == (school.id, 1, (10 + 60 * 12) * 60)


def test_a_part_that_cannot_fit_says_which_part_and_why(session: Session) -> None:
    office = _office(session, teams=1)
    office.teams[0].shift_end = dt.time(11, 0)  # a 3-hour shift: not even 40 persons fit
    school = _letter(session, office, 1, 120)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert plan.routes == []
    rows = sorted(plan.unassigned, key=lambda u: u.detail)
    assert [(u.request_id, u.reason) for u in rows] == [(school.id, "too_long")] * 3
    assert rows[1].detail.startswith("Bagian 2 dari 3, 40 orang: ")
    assert "melebihi satu shift" in rows[1].detail


def test_a_small_shift_still_takes_smaller_parts(session: Session) -> None:
    office = _office(session, teams=1, collective_max_persons=15)
    office.teams[0].shift_end = dt.time(11, 0)  # 10 + 15 x 6 = 100 minutes fit in 3 hours
    _letter(session, office, 1, 30)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, days=2, office=office)
    assert [(s.part, s.persons) for s in _stops(plan)] == [(1, 15), (2, 15)]
    assert plan.unassigned == []


def test_the_rest_of_a_split_visit_is_planned_after_approval(session: Session) -> None:
    """One team and one day take one part; the others stay in the backlog for the next plan.

    The first plan is for Wednesday; the next one, for Monday and Tuesday, leaves Wednesday's
    approved part alone and takes the other two.
    """
    office = _office(session, teams=1)
    school = _letter(session, office, 1, 120)
    wednesday = create_plan(session, StraightLineModel(), start_date=WEDNESDAY, office=office)
    (first,) = _stops(wednesday)
    left = sorted(wednesday.unassigned, key=lambda u: u.detail)
    assert [u.reason for u in left] == ["day_full", "day_full"]
    assert all("dari 3, 40 orang" in u.detail for u in left)
    approve_plan(session, wednesday.id, now=dt.datetime(2025, 3, 1, 10, 0))
    assert school.status == "terjadwal" and school.scheduled_at == first.service_start_at

    inputs = load_inputs(session, start_date=MONDAY, days=2, office=office)
    remaining = sorted(s.part for s in inputs.problem.sites)
    assert remaining == sorted({1, 2, 3} - {first.part})
    later = create_plan(session, StraightLineModel(), start_date=MONDAY, days=2, office=office)
    stops = _stops(later)
    assert sorted(s.part for s in stops) == remaining and later.unassigned == []
    approve_plan(session, later.id, now=dt.datetime(2025, 3, 1, 11, 0))
    # Scheduled at its first part now (Monday); the Wednesday part stays approved.
    assert school.status == "terjadwal"
    assert school.scheduled_at == min(s.service_start_at for s in stops)
    assert school.scheduled_at.date() == MONDAY and first.route.approved
    # Every part is on an approved route: re-planning the days only keeps them (locked).
    again = load_inputs(session, start_date=MONDAY, days=3, office=office).problem
    assert {s.id for s in again.sites} == {p.site_id for r in again.locked for p in r.stops}
    assert len(again.sites) == 3

    school.tracking_code = make_tracking_code(lambda alphabet: alphabet[3])  # a valid code
    view = lookup_status(session, school.tracking_code, PHONE[-4:])
    assert view is not None and view.scheduled_date == MONDAY


def test_kept_approved_parts_are_locked_and_the_rest_planned(session: Session) -> None:
    office = _office(session, teams=1)
    school = _letter(session, office, 1, 120)
    monday = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    approve_plan(session, monday.id, now=dt.datetime(2025, 3, 1, 10, 0))
    (first,) = _stops(monday)
    # Re-plan three days: Monday's approved part is kept, the rest go to the other days.
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, days=3, office=office)
    stops = _stops(plan)
    assert [s.part for s in stops] == [1, 2, 3] and plan.summary["violations"] == 0
    kept = next(s for s in stops if s.part == first.part)
    assert kept.route.route_date == MONDAY and kept.service_start_at == first.service_start_at
    assert sorted(s.route.route_date for s in stops if s is not kept) == [TUESDAY, WEDNESDAY]
    assert plan.unassigned == []
    approve_plan(session, plan.id, now=dt.datetime(2025, 3, 1, 11, 0))
    assert school.status == "terjadwal" and school.scheduled_at == first.service_start_at


def test_same_seed_same_split_plan(session: Session) -> None:
    office = _office(session, teams=2)
    _letter(session, office, 1, 120)
    _letter(session, office, 2, 90, x=-1800)

    def run() -> tuple[object, ...]:
        inputs = load_inputs(session, start_date=MONDAY, days=2, seed=7, office=office)
        result, _ = compute_plan(inputs, StraightLineModel())
        return (result.routes, result.unassigned)

    assert run() == run()


def test_urgent_insertion_refuses_a_split_request_and_keeps_split_stops(
    session: Session,
) -> None:
    office = _office(session, teams=3)
    school = _letter(session, office, 1, 120)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    approve_plan(session, plan.id, now=dt.datetime(2025, 3, 1, 10, 0))
    other = _letter(session, office, 2, 90, x=-1500)
    answer = insert_urgent(session, StraightLineModel(), request_id=other.id, day=MONDAY)
    assert answer.stop is None and answer.unassigned is not None
    assert answer.unassigned.reason == "split_visit" and answer.unassigned.site_id == other.id
    assert "3 bagian" in answer.unassigned.message and other.status == "terverifikasi"
    # A small urgent request goes in next to the parts, which keep their part numbers.
    sick = _letter(session, office, 3, 1, x=200)
    sick.letter_id, sick.category = None, "sakit"
    answer = insert_urgent(session, StraightLineModel(), request_id=sick.id, day=MONDAY)
    assert answer.stop is not None and answer.stop.request_id == sick.id
    session.expire_all()
    parts = sorted((s.part, s.persons) for r in plan.routes for s in r.stops if s.parts > 1)
    assert parts == [(1, 40), (2, 40), (3, 40)]
    assert all(s.request_id == school.id for r in plan.routes for s in r.stops if s.parts > 1)


def test_plan_page_shows_each_part(app: Flask, session: Session) -> None:
    office = _office(session, teams=3)
    _letter(session, office, 1, 120)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    session.commit()
    res = app.test_cli_runner().invoke(
        args=["outreach", "create-user", "k", "--password", "rahasia123"]
    )
    assert res.exit_code == 0, res.output
    client = app.test_client()
    client.post("/auth/masuk", data={"username": "k", "password": "rahasia123"})
    html = client.get(f"/rencana/{plan.id}").get_data(as_text=True)
    assert html.count("JB-0001") >= 3
    for i in (1, 2, 3):
        assert f"bagian {i}/3" in html


@pytest.mark.parametrize("persons", [40, 41])
def test_the_boundary_is_inclusive(session: Session, persons: int) -> None:
    office = _office(session, teams=1)
    _letter(session, office, 1, persons)
    sites = load_inputs(session, start_date=MONDAY, office=office).problem.sites
    assert [s.persons for s in sites] == ([40] if persons == 40 else [21, 20])


def test_sites_built_by_hand_map_to_themselves() -> None:
    site = Site(id=7, lon=None, lat=None, service_s=60)
    assert (site.request_key, site.part, site.parts) == (7, 1, 1)


def test_the_checker_refuses_the_same_part_twice() -> None:
    parts = [site(PART_ID_BASE + 10 * i, 500, 0, request_id=5, part=1, parts=2) for i in (1, 2)]
    prob = problem(parts, [team(1)])
    matrix = matrix_for(prob)
    codes = {v.code for v in check_plan(prob, matrix, plan_routes(prob, matrix))}
    assert "part_twice" in codes
