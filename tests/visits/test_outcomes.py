"""Visit outcomes and what they do to requests (outreach.visits), on a real approved day."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session, scope_to_office
from outreach.errors import NotFoundError
from outreach.planning.calendar import nth_working_day_after
from outreach.planning.records import site_for
from outreach.planning.service import approve_plan, create_plan, insert_urgent, load_inputs
from outreach.visits import (
    OutcomeConflict,
    OutcomeError,
    OutcomeInput,
    clear_contact_flag,
    outcome_json,
    parse_outcome_payload,
    record_outcome,
    route_progress,
    visit_history,
)
from tests.field_day import DAY, FieldDay, build_field_day, travel_for
from tests.intake.yogya import DEPOT, yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

NEXT_DAY = nth_working_day_after(DAY, 1)


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def _stop_of(session: Session, request_id: int, part: int = 1) -> models.Stop:
    stop = session.scalar(
        select(models.Stop)
        .join(models.Route)
        .where(models.Stop.request_id == request_id, models.Stop.part == part)
        .where(models.Route.approved.is_(True))
    )
    assert stop is not None
    return stop


def _record(
    session: Session, stop: models.Stop, outcome: str, *, team: bool = True, **kw: Any
) -> models.VisitOutcome:
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome=outcome, **kw)
    result = record_outcome(
        session, data, team_id=stop.route.team_id if team else None, user_id=None
    )
    session.commit()
    assert result.created
    return result.outcome


def _request(session: Session, request_id: int) -> models.ServiceRequest:
    row = session.get(models.ServiceRequest, request_id)
    assert row is not None
    session.refresh(row)
    return row


def _outcome_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(models.VisitOutcome)) or 0)


def test_selesai_closes_a_home_visit(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    row = _record(session, stop, "selesai")
    req = _request(session, day.request_ids[0])
    assert req.status == "selesai" and req.persons_served == 1 and req.closed_at is not None
    # e-KTP recording: one card a person by default.
    assert row.persons_served == 1 and row.cards_printed == 1
    assert row.visit_date == DAY and row.team_id == stop.route.team_id
    assert outcome_json(row)["label"] == "Selesai"


def test_same_client_id_is_stored_once(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[1])
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome="tidak_di_rumah")
    first = record_outcome(session, data, team_id=stop.route.team_id, user_id=None)
    session.commit()
    again = record_outcome(session, data, team_id=stop.route.team_id, user_id=None)
    session.commit()
    assert first.created and not again.created and again.outcome.id == first.outcome.id
    assert _outcome_count(session) == 1
    # The effect ran once: one attempt, not two.
    assert _request(session, day.request_ids[1]).attempts == 1


def test_a_second_outcome_for_a_stop_is_a_conflict(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    _record(session, stop, "selesai")
    other = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome="menolak")
    with pytest.raises(OutcomeConflict) as caught:
        record_outcome(session, other, team_id=None, user_id=None)
    session.rollback()
    assert caught.value.stored.outcome == "selesai"
    assert _request(session, day.request_ids[0]).status == "selesai"


def test_another_teams_stop_and_draft_stops_are_not_found(day: FieldDay, yapp: Flask) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    other_team = next(t for t in day.team_ids.values() if t != stop.route.team_id)
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome="selesai")
    with pytest.raises(NotFoundError):
        record_outcome(session, data, team_id=other_team, user_id=None)
    with pytest.raises(NotFoundError):
        record_outcome(
            session, dataclass_replace(data, stop_id=999_999), team_id=None, user_id=None
        )
    # A draft plan's stop cannot take an outcome: nobody was sent there.
    draft = create_plan(session, travel_for(yapp), start_date=NEXT_DAY, days=1)
    session.commit()
    draft_stop = next(s for r in draft.routes for s in r.stops)
    with pytest.raises(NotFoundError):
        record_outcome(
            session, dataclass_replace(data, stop_id=draft_stop.id), team_id=None, user_id=None
        )
    # A session scoped to another office does not see the stop either.
    scope_to_office(session, 999)
    with pytest.raises(NotFoundError):
        record_outcome(session, data, team_id=None, user_id=None)
    scope_to_office(session, None)
    assert _outcome_count(session) == 0


def dataclass_replace(data: OutcomeInput, **changes: Any) -> OutcomeInput:
    import dataclasses

    return dataclasses.replace(data, **changes)


def test_not_home_goes_back_with_raised_priority(day: FieldDay, yapp: Flask) -> None:
    session = get_session()
    rid = day.request_ids[2]
    before = site_for(_request(session, rid), on=NEXT_DAY).priority
    _record(session, _stop_of(session, rid), "tidak_di_rumah", note="rumah kosong")
    req = _request(session, rid)
    assert req.status == "terverifikasi" and req.attempts == 1 and req.scheduled_at is None
    assert site_for(req, on=NEXT_DAY).priority == before + 10
    inputs = load_inputs(session, start_date=NEXT_DAY, days=1)
    assert rid in {s.request_id for s in inputs.problem.sites}
    history = visit_history(session, rid)
    assert [(h.visit_date, h.outcome, h.note) for h in history] == [
        (DAY, "tidak_di_rumah", "rumah kosong")
    ]
    assert history[0].team_name in {"Tim Mawar", "Tim Melati"}


def test_jadwal_ulang_sets_the_new_time_and_the_next_plan_keeps_it(
    day: FieldDay, yapp: Flask
) -> None:
    session = get_session()
    rid = day.request_ids[3]
    wednesday = DAY + dt.timedelta(days=2)
    _record(
        session,
        _stop_of(session, rid),
        "jadwal_ulang",
        reschedule={"date": wednesday.isoformat(), "start": "13:00", "end": "14:30"},
    )
    req = _request(session, rid)
    assert req.status == "terverifikasi" and req.attempts == 1
    assert req.pinned_date == wednesday
    assert req.availability == [{"days": [0, 1, 2, 3, 4, 5], "start": "13:00", "end": "14:30"}]
    plan = create_plan(session, travel_for(yapp), start_date=NEXT_DAY, days=3)
    session.commit()
    stops = [s for r in plan.routes for s in r.stops if s.request_id == rid]
    assert len(stops) == 1
    assert stops[0].route.route_date == wednesday
    assert dt.time(13, 0) <= stops[0].service_start_at.time() <= dt.time(14, 30)


def test_three_failed_attempts_wait_for_the_coordinator(day: FieldDay, yapp: Flask) -> None:
    session = get_session()
    rid = day.request_ids[4]
    _record(session, _stop_of(session, rid), "tidak_di_rumah")
    travel = travel_for(yapp)
    day_n = DAY
    for attempt in (2, 3):
        day_n = nth_working_day_after(day_n, 1)
        plan = create_plan(session, travel, start_date=day_n, days=1)
        session.flush()
        approve_plan(session, plan.id)
        session.commit()
        stop = next(s for r in plan.routes for s in r.stops if s.request_id == rid)
        _record(session, stop, "tidak_di_rumah")
        assert _request(session, rid).attempts == attempt
    req = _request(session, rid)
    assert "perlu_dihubungi" in req.flags and req.status == "terverifikasi"
    later = nth_working_day_after(day_n, 1)
    inputs = load_inputs(session, start_date=later, days=1)
    assert rid not in {s.request_id for s in inputs.problem.sites}
    # The plan says why it is left out, so the coordinator knows to call.
    waiting = create_plan(session, travel, start_date=later, days=1)
    session.commit()
    assert [(u.request_id, u.reason) for u in waiting.unassigned if u.request_id == rid] == [
        (rid, "needs_contact")
    ]
    clear_contact_flag(session, rid, actor="user:1")
    session.commit()
    assert "perlu_dihubungi" not in _request(session, rid).flags
    inputs = load_inputs(session, start_date=later, days=1)
    assert rid in {s.request_id for s in inputs.problem.sites}


@pytest.mark.parametrize("outcome", ["menolak", "meninggal", "pindah_alamat"])
def test_closing_outcomes_cancel_with_the_reason(day: FieldDay, outcome: str) -> None:
    session = get_session()
    rid = day.request_ids[5]
    _record(session, _stop_of(session, rid), outcome, note="kata tetangga")
    req = _request(session, rid)
    assert req.status == "batal" and req.closed_at is not None
    assert req.status_reason.startswith(
        {"menolak": "Menolak", "meninggal": "Meninggal", "pindah_alamat": "Pindah alamat"}[outcome]
    )
    assert ("pindah_alamat" in req.flags) is (outcome == "pindah_alamat")
    inputs = load_inputs(session, start_date=NEXT_DAY, days=1)
    assert rid not in {s.request_id for s in inputs.problem.sites}


def test_collective_visit_attendees(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.letter_request_id)
    bad = OutcomeInput(
        client_id=str(uuid.uuid4()), stop_id=stop.id, outcome="selesai", attendees=(123456,)
    )
    with pytest.raises(OutcomeError, match="daftar surat"):
        record_outcome(session, bad, team_id=None, user_id=None)
    session.rollback()
    came = tuple(day.letter_resident_ids[:3])
    row = _record(session, stop, "selesai", attendees=came)
    assert row.persons_served == 3 and row.attendees == list(came)
    assert _request(session, day.letter_request_id).persons_served == 3


def test_cards_cannot_exceed_persons(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    data = OutcomeInput(
        client_id=str(uuid.uuid4()),
        stop_id=stop.id,
        outcome="selesai",
        persons_served=1,
        cards_printed=2,
    )
    with pytest.raises(OutcomeError, match="kartu"):
        record_outcome(session, data, team_id=None, user_id=None)


def test_split_collective_visit_closes_when_every_part_is_done(yapp: Flask) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    office.settings = {"planning": {"collective_max_persons": 2}}
    session.commit()
    day = build_field_day(session, travel_for(yapp))
    rid = day.letter_request_id
    part1, part2 = _stop_of(session, rid, 1), _stop_of(session, rid, 2)
    assert (part1.parts, part2.parts) == (2, 2)
    _record(session, part1, "selesai", team=False)
    assert _request(session, rid).status == "terjadwal"
    # Part 2 found the hall closed: only part 2 is planned again.
    _record(session, part2, "tidak_di_rumah", team=False)
    req = _request(session, rid)
    assert req.status == "terverifikasi"
    inputs = load_inputs(session, start_date=NEXT_DAY, days=1)
    assert [s.id for s in inputs.problem.sites if s.request_id == rid] != []
    parts = [s for s in inputs.problem.sites if s.request_id == rid]
    assert len(parts) == 1 and parts[0].persons == 2
    plan = create_plan(session, travel_for(yapp), start_date=NEXT_DAY, days=1)
    session.flush()
    approve_plan(session, plan.id)
    session.commit()
    again = next(s for r in plan.routes for s in r.stops if s.request_id == rid)
    assert again.part == 2
    _record(session, again, "selesai", team=False, persons_served=3)
    req = _request(session, rid)
    assert req.status == "selesai" and req.persons_served == 2 + 3


def test_route_progress_counts_done_stops(day: FieldDay) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    route_id = stop.route_id
    before = route_progress(session, [route_id])[route_id]
    assert before.done == 0 and before.planned == len(stop.route.stops)
    _record(session, stop, "selesai")
    after = route_progress(session, [route_id])[route_id]
    assert after.done == 1 and after.outcomes == {stop.id: "selesai"}


def test_urgent_insertion_goes_after_the_visits_done(day: FieldDay, yapp: Flask) -> None:
    session = get_session()
    routes = session.scalars(select(models.Route).where(models.Route.approved.is_(True))).all()
    # Every route's visits but the last are done.
    for route in routes:
        for stop in route.stops[:-1]:
            _record(session, stop, "selesai")
    office = session.scalar(select(models.Office))
    assert office is not None
    first = routes[0].stops[0].request
    urgent = models.ServiceRequest(
        tracking_code="JB-URG1",
        office_id=office.id,
        category="darurat",
        services=["perekaman_ktp"],
        person_name="Warga Mendesak",
        # Right next to a visit done this morning: without outcomes it would go there.
        lon=(first.lon or DEPOT[0]) + 0.0003,
        lat=(first.lat or DEPOT[1]) + 0.0003,
        kelurahan_id=first.kelurahan_id,
        status="terverifikasi",
        location_source="map",
        location_confirmed=True,
    )
    session.add(urgent)
    session.commit()
    result = insert_urgent(session, travel_for(yapp), request_id=urgent.id, day=DAY)
    session.commit()
    assert result.stop is not None
    route = result.stop.route
    done = sum(1 for s in route.stops if s.outcome is not None)
    assert result.stop.sequence > done


def test_payload_errors_are_indonesian() -> None:
    good = {"client_id": str(uuid.uuid4()), "stop_id": 3, "outcome": "selesai"}
    assert parse_outcome_payload(good).stop_id == 3
    # Stop ids grow without bound: a busy office passes 1000 stops in two weeks.
    assert parse_outcome_payload({**good, "stop_id": 123_456}).stop_id == 123_456
    for bad, needle in [
        ([], "objek JSON"),
        ({**good, "client_id": "x"}, "UUID"),
        ({**good, "outcome": "hilang"}, "tidak dikenal"),
        ({**good, "stop_id": None}, "wajib"),
        ({**good, "persons_served": -1}, "antara"),
        ({**good, "attendees": "1,2"}, "daftar"),
        ({**good, "recorded_at": "kemarin"}, "ISO"),
        ({**good, "reschedule": {"start": "25:00"}}, "Jam"),
        ({**good, "reschedule": {"start": "14:00", "end": "13:00"}}, "setelah"),
        ({**good, "note": "x" * 3000}, "terlalu panjang"),
    ]:
        with pytest.raises(OutcomeError, match=needle):
            parse_outcome_payload(bad)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["client_id", "stop_id", "outcome", "persons_served", "attendees", "reschedule"]
        ),
        st.one_of(
            st.none(), st.integers(), st.text(max_size=40), st.lists(st.integers(), max_size=3)
        ),
    )
)
def test_any_body_parses_or_says_why(body: dict[str, Any]) -> None:
    try:
        parse_outcome_payload(body)
    except OutcomeError as exc:
        assert str(exc)


def test_cards_printed_count_against_the_day_when_it_is_planned_again(
    day: FieldDay, yapp: Flask
) -> None:
    session = get_session()
    stop = _stop_of(session, day.request_ids[0])
    _record(session, stop, "selesai", persons_served=1, cards_printed=1)
    office = session.scalar(select(models.Office))
    assert office is not None
    # Left to plan: 5 home visits (1 card each) and the letter (4 cards) = 9 cards; 1 printed.
    office.daily_card_capacity = 9
    session.commit()
    plan = create_plan(session, travel_for(yapp), start_date=DAY, days=1, keep_approved=False)
    session.commit()
    cards = sum(r.persons for r in plan.routes)  # every visit here records e-KTP
    assert cards <= 9 - 1
    assert any(u.reason == "card_capacity_full" for u in plan.unassigned)


def test_a_served_part_on_a_kept_route_stays_its_site(
    yapp: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    office.settings = {"planning": {"collective_max_persons": 2}}
    session.commit()
    day = build_field_day(session, travel_for(yapp))
    rid = day.letter_request_id
    _record(session, _stop_of(session, rid, 1), "selesai", team=False)
    # Planning the same day again keeps its approved routes: part 1 is still their visit.
    inputs = load_inputs(session, start_date=DAY, days=1)
    ids = {s.id for s in inputs.problem.sites}
    assert all(stop.site_id in ids for r in inputs.problem.locked for stop in r.stops)
    with caplog.at_level("WARNING"):
        again = create_plan(session, travel_for(yapp), start_date=DAY, days=1)
    assert not [r for r in caplog.records if "violation" in r.getMessage()]
    # Every team-day is kept as approved: the note says so (not "no team works").
    assert any("sudah memiliki rute yang disetujui" in n for n in again.summary["notes"])


def test_a_pinned_day_gone_by_no_longer_holds_the_request(day: FieldDay, yapp: Flask) -> None:
    from outreach.intake.status import lookup_status
    from outreach.intake.tracking import make_tracking_code

    session = get_session()
    rid = day.request_ids[3]
    _request(session, rid).tracking_code = make_tracking_code()
    session.commit()
    wednesday = DAY + dt.timedelta(days=2)
    _record(
        session, _stop_of(session, rid), "jadwal_ulang", reschedule={"date": wednesday.isoformat()}
    )
    req = _request(session, rid)
    # Not on a route yet: the resident is promised no date.
    view = lookup_status(session, req.tracking_code, "7890")
    assert view is not None and view.scheduled_date is None
    # Wednesday was planned without it (its routes were approved before): Thursday takes it.
    thursday = wednesday + dt.timedelta(days=1)
    plan = create_plan(session, travel_for(yapp), start_date=thursday, days=1)
    session.commit()
    assert rid in {s.request_id for r in plan.routes for s in r.stops}


def test_a_draft_over_an_approved_day_counts_the_kept_routes_persons(
    day: FieldDay, yapp: Flask
) -> None:
    session = get_session()
    approved = {
        r.team_id: r.persons
        for r in session.scalars(select(models.Route).where(models.Route.approved.is_(True)))
    }
    # Visits done and closed: their requests are no longer in the backlog, still on the route.
    for rid in day.request_ids[:3]:
        _record(session, _stop_of(session, rid), "selesai")
    draft = create_plan(session, travel_for(yapp), start_date=DAY, days=1)
    session.commit()
    assert {r.team_id: r.persons for r in draft.routes} == approved
    assert draft.summary["persons"] == sum(approved.values())
