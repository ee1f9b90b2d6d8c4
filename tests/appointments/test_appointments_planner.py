"""What the planner must do with office bookings (needs the lead's two-line wiring in
outreach/planning/service.py load_inputs; strict xfail until then: remove the markers once
wired, so these then guard it)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from outreach import appointments
from outreach.db import get_session
from outreach.planning.service import load_inputs
from tests.appointments.appt_helpers import add_request, office

MONDAY = dt.date(2026, 12, 7)
WIRING = "planner filter / card wiring of outreach.appointments not yet in load_inputs"


def test_a_request_booked_at_the_office_is_not_planned_for_a_home_visit(yapp: Flask) -> None:
    session = get_session()
    home, desk = add_request(session, 1), add_request(session, 2)
    appointments.book(session, desk, earliest=MONDAY)
    ids = {s.id for s in load_inputs(session, start_date=MONDAY).problem.sites}
    assert home.id in ids
    assert desk.id not in ids


def test_office_cards_count_against_the_planners_card_capacity(yapp: Flask) -> None:
    session = get_session()
    for n in range(1, 4):
        appointments.book(session, add_request(session, n), earliest=MONDAY)
    assert appointments.office_cards_booked(session, office(session).id, [MONDAY]) == {MONDAY: 3}
    problem = load_inputs(session, start_date=MONDAY).problem
    assert problem.cards_printed.get(MONDAY, 0) == 3
