"""Input a fresh tester broke the outcome API and paper entry with: never a 500, always a clear
answer; and no outcome for a visit that has not happened yet."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.visits import OutcomeInput, record_outcome
from tests.field_day import FieldDay
from tests.intake.yogya import COORDINATOR, yapp, yogya_template
from tests.web.test_field import day, mawar, outcome_count, payload, shift_plan_to, team_route

__all__ = ["day", "mawar", "yapp", "yogya_template"]


def _post(client: FlaskClient, body: object, **kw: object) -> object:
    return client.post(
        "/lapangan/hasil",
        data=body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "change",
    [
        {"stop_id": "²"},
        {"persons_served": "²"},
        {"note": "\ud800"},
        {"recorded_at": "9999-12-31T23:59:59-14:00"},
        {"recorded_at": "0001-01-01T00:00:00+14:00"},
    ],
)
def test_odd_values_are_a_400_not_a_500(mawar: FlaskClient, day: FieldDay, change: dict) -> None:
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    res = _post(mawar, {**payload(stop.id), **change})
    assert res.status_code == 400 and res.is_json and res.get_json()["error"]  # type: ignore[attr-defined]
    assert outcome_count() == 0


def test_deeply_nested_and_oversized_bodies_get_json_answers(
    mawar: FlaskClient, yapp: Flask, day: FieldDay
) -> None:
    res = _post(mawar, "[" * 100_000 + "]" * 100_000)
    assert res.status_code == 400 and res.is_json  # type: ignore[attr-defined]
    yapp.config["MAX_CONTENT_LENGTH"] = 1024
    res = _post(mawar, json.dumps({"note": "x" * 5000}))
    assert res.status_code == 413 and res.is_json  # type: ignore[attr-defined]


def test_a_visit_of_a_later_day_takes_no_outcome(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    plan = session.get(models.Plan, day.plan_id)
    assert plan is not None
    tomorrow = plan.routes[0].route_date + dt.timedelta(days=1)
    shift_plan_to(session, day.plan_id, tomorrow)
    stop = team_route(session, day.team_ids["Tim Mawar"]).stops[0]
    client = yapp.test_client()
    from tests.web.test_field import sign_in

    assert sign_in(client, "ketua.mawar").status_code == 302
    res = _post(client, payload(stop.id))
    assert res.status_code == 400  # type: ignore[attr-defined]
    assert "hari kunjungan" in res.get_json()["error"]  # type: ignore[attr-defined]
    # The page shows tomorrow's route without the form.
    html = client.get(f"/lapangan/?route={stop.route_id}").get_data(as_text=True)
    assert "Hasil dapat dicatat pada hari kunjungan." in html and "data-outcome-form" not in html


def test_a_new_date_must_come_after_the_visit(mawar: FlaskClient, day: FieldDay) -> None:
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    same_day = stop.route.route_date.isoformat()
    res = _post(mawar, payload(stop.id, "jadwal_ulang", reschedule={"date": same_day}))
    assert res.status_code == 400 and "sesudah" in res.get_json()["error"]  # type: ignore[attr-defined]


def _coordinator(yapp: Flask) -> FlaskClient:
    client = yapp.test_client()
    res = client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    assert res.status_code == 302
    return client


def test_paper_entry_odd_digits_are_row_errors(yapp: Flask, day: FieldDay) -> None:
    g.pop("_login_user", None)
    route = team_route(get_session(), day.team_ids["Tim Mawar"])
    client = _coordinator(yapp)
    url = f"/rencana/rute/{route.id}/hasil"
    page = client.get(url).get_data(as_text=True)
    assert 'name="hasil-' in page
    form = {f"hasil-{s.id}": "selesai" for s in route.stops}
    form.update({f"cid-{s.id}": str(uuid.uuid4()) for s in route.stops})
    form.update({f"orang-{s.id}": "²" for s in route.stops})
    res = client.post(url, data=form)
    assert res.status_code == 400
    assert outcome_count() == 0


def test_paper_entry_reports_a_stop_recorded_from_the_field_meanwhile(
    yapp: Flask, day: FieldDay
) -> None:
    g.pop("_login_user", None)
    session = get_session()
    route = team_route(session, day.team_ids["Tim Mawar"])
    client = _coordinator(yapp)
    url = f"/rencana/rute/{route.id}/hasil"
    form = {f"hasil-{s.id}": "selesai" for s in route.stops}
    form.update({f"cid-{s.id}": str(uuid.uuid4()) for s in route.stops})
    form.update({f"orang-{s.id}": "1" for s in route.stops})
    form.update({f"kartu-{s.id}": "1" for s in route.stops})
    # The team lead records the first stop from the phone while the page is open.
    first = route.stops[0]
    record_outcome(
        session,
        OutcomeInput(client_id=str(uuid.uuid4()), stop_id=first.id, outcome="tidak_di_rumah"),
        team_id=route.team_id,
        user_id=None,
    )
    session.commit()
    res = client.post(url, data=form)
    assert res.status_code == 400
    assert "sudah dicatat dari lapangan" in res.get_data(as_text=True)
    # All or nothing: only the field's outcome is stored.
    assert outcome_count() == 1
    stored = session.scalars(select(models.VisitOutcome)).one()
    assert stored.stop_id == first.id and stored.outcome == "tidak_di_rumah"


def test_the_field_page_never_holds_a_whole_nik(mawar: FlaskClient, day: FieldDay) -> None:
    import re

    html = mawar.get("/lapangan/").get_data(as_text=True)
    assert "347113********01" in html  # masked: the page is kept on a phone that may be lost
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", html)
