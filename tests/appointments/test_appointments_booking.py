"""Booking office sessions: order, capacity, closed days, the shared card cap, no-shows, moves."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from outreach import appointments, models
from outreach.appointments import AppointmentError
from outreach.db import get_session
from outreach.office import SettingsError
from outreach.planning.calendar import holiday_name
from tests.appointments.appt_helpers import add_request, office
from tests.field_day import DAY, build_field_day, travel_for

MONDAY = dt.date(2026, 12, 7)
CHRISTMAS = dt.date(2026, 12, 25)  # Hari Raya Natal, a Friday


def test_booking_fills_sessions_in_order_never_over_capacity(yapp: Flask) -> None:
    session = get_session()
    booked = [
        appointments.book(session, add_request(session, n), earliest=MONDAY, actor="test")
        for n in range(1, 13)
    ]
    labels = [appointments.queue_label(a) for a in booked]
    assert labels[:10] == [f"A-{n:02d}" for n in range(1, 11)]
    assert labels[10:] == ["B-01", "B-02"]
    assert {a.office_session.day for a in booked} == {MONDAY}
    first = booked[0]
    assert appointments.describe(first) == (
        "Nomor antrean A-01, Senin 7 Desember 2026 pukul 08:00-10:00"
    )
    assert appointments.describe(booked[10]).endswith("pukul 10:00-12:00")
    sessions = appointments.sessions_for_day(session, office(session), MONDAY)
    assert [(s.label, s.capacity) for s in sessions] == [("A", 10), ("B", 10), ("C", 10)]
    # A request for 3 persons takes 3 places: B has 8 left, so it goes there; a request
    # for 9 more cannot fit in B (5 left after) and goes to C.
    family = appointments.book(session, add_request(session, 20, persons=3), earliest=MONDAY)
    big = appointments.book(session, add_request(session, 21, persons=9), earliest=MONDAY)
    assert appointments.queue_label(family) == "B-03"
    assert appointments.queue_label(big) == "C-01"
    for slot in sessions:
        assert appointments.booking.places_taken(session, slot.id) <= slot.capacity
    request = first.request
    assert request.status == "terjadwal"
    assert appointments.FLAG_OFFICE in request.flags
    assert request.scheduled_at == dt.datetime(2026, 12, 7, 8, 0)
    with pytest.raises(AppointmentError, match="sudah mendapat Nomor antrean A-01"):
        appointments.book(session, request, earliest=MONDAY)
    with pytest.raises(AppointmentError, match="melebihi 10 orang per sesi"):
        appointments.book(session, add_request(session, 22, persons=11), earliest=MONDAY)


def test_booking_skips_a_national_holiday_and_started_sessions(yapp: Flask) -> None:
    session = get_session()
    assert holiday_name(CHRISTMAS) is not None
    assert appointments.day_closed_reason(office(session), CHRISTMAS) is not None
    assert appointments.sessions_for_day(session, office(session), CHRISTMAS) == []
    row = appointments.book(session, add_request(session, 1), earliest=CHRISTMAS)
    day = row.office_session.day
    assert day > CHRISTMAS
    assert appointments.day_closed_reason(office(session), day) is None
    assert all(
        appointments.day_closed_reason(office(session), CHRISTMAS + dt.timedelta(days=i))
        for i in range((day - CHRISTMAS).days)
    )
    # From 10:30 on a Monday, the 08:00 and 10:00 sessions have started: the 13:00 one.
    late = appointments.book(
        session, add_request(session, 2), earliest=dt.datetime(2026, 12, 7, 10, 30)
    )
    assert appointments.queue_label(late) == "C-01"


def test_office_bookings_share_the_card_cap_with_a_planned_day(yapp: Flask) -> None:
    session = get_session()
    build_field_day(session, travel_for(yapp))
    org = office(session)
    planned = appointments.route_cards_planned(session, org.id, [DAY])[DAY]
    # Six home visits and a collective visit of four, all e-KTP recording.
    assert planned == 10
    org.daily_card_capacity = planned + 2
    session.flush()
    assert appointments.card_day(session, org, DAY).left == 2
    rows = [appointments.book(session, add_request(session, n), earliest=DAY) for n in range(1, 4)]
    assert [r.office_session.day for r in rows[:2]] == [DAY, DAY]
    assert rows[2].office_session.day == DAY + dt.timedelta(days=1)
    day = appointments.card_day(session, org, DAY)
    assert (day.office, day.routes, day.left) == (2, planned, 0)
    assert appointments.office_cards_booked(session, org.id, [DAY, DAY + dt.timedelta(1)]) == {
        DAY: 2,
        DAY + dt.timedelta(days=1): 1,
    }
    # A KK-only request prints no card: it still fits on the full day.
    kk = appointments.book(session, add_request(session, 9, services=["kk"]), earliest=DAY)
    assert kk.office_session.day == DAY
    # The request on an approved route cannot be moved to the office without changing the plan.
    on_route = session.get(models.ServiceRequest, session.query(models.Stop).first().request_id)
    with pytest.raises(AppointmentError, match="rute yang disetujui"):
        appointments.move_to_office(session, on_route, earliest=DAY)


def test_no_show_rolls_over_once_and_keeps_the_request_open(yapp: Flask) -> None:
    session = get_session()
    org = office(session)
    came = appointments.book(session, add_request(session, 1), earliest=MONDAY)
    missed = appointments.book(session, add_request(session, 2), earliest=MONDAY)
    with pytest.raises(AppointmentError, match="belum berlangsung"):
        appointments.mark(session, missed, "no_show", today=MONDAY - dt.timedelta(days=1))
    appointments.mark(session, came, "came", today=MONDAY)
    appointments.mark(session, missed, "no_show", today=MONDAY)
    assert came.request.status == "selesai"
    assert came.request.persons_served == 1
    assert appointments.FLAG_OFFICE not in came.request.flags
    with pytest.raises(AppointmentError, match="sudah ditandai"):
        appointments.mark(session, came, "no_show")
    with pytest.raises(AppointmentError, match="tidak dikenal"):
        appointments.mark(session, missed, "maybe")
    result = appointments.roll_over_no_shows(session, org, MONDAY, actor="test")
    assert len(result.booked) == 1 and not result.unplaced
    again = result.booked[0]
    assert again.request_id == missed.request_id
    assert again.office_session.day == MONDAY + dt.timedelta(days=1)
    assert appointments.queue_label(again) == "A-01"
    request = missed.request
    assert request.status == "terjadwal" and appointments.FLAG_OFFICE in request.flags
    assert appointments.no_show_count(session, request.id) == 1
    # Rolled over once: running it again books nothing new.
    assert appointments.roll_over_no_shows(session, org, MONDAY).booked == []
    listing = appointments.day_list(session, org, MONDAY)
    assert listing.no_shows == 1 and listing.booked == 0
    nxt = appointments.day_list(session, org, MONDAY + dt.timedelta(days=1))
    assert nxt.sessions[0].rows[0].no_shows == 1


def test_move_between_home_visit_and_office(yapp: Flask) -> None:
    session = get_session()
    request = add_request(session, 1)
    row = appointments.move_to_office(session, request, earliest=MONDAY, actor="test")
    assert request.status == "terjadwal" and appointments.FLAG_OFFICE in request.flags
    appointments.move_to_home(session, request, actor="test")
    assert row.status == "cancelled"
    assert request.status == "terverifikasi"
    assert request.scheduled_at is None
    assert appointments.FLAG_OFFICE not in request.flags
    assert appointments.active_appointment(session, request.id) is None
    with pytest.raises(AppointmentError, match="tidak sedang dilayani di kantor"):
        appointments.move_to_home(session, request)
    # The cancelled number is not given again; the place it held is free again.
    back = appointments.move_to_office(session, request, earliest=MONDAY)
    assert appointments.queue_label(back) == "A-02"
    assert appointments.booking.places_taken(session, back.session_id) == 1
    # The rejection hook: "tidak perlu kunjungan rumah" books the office instead.
    other = add_request(session, 2)
    assert appointments.refuse_home_visit(session, other, reason="Sakit", earliest=MONDAY) is None
    hooked = appointments.refuse_home_visit(
        session, other, reason="Tidak perlu  kunjungan rumah, bisa datang", earliest=MONDAY
    )
    assert hooked is not None and hooked.request_id == other.id
    closed = add_request(session, 3, status="selesai")
    with pytest.raises(AppointmentError, match="sudah ditutup"):
        appointments.move_to_office(session, closed, earliest=MONDAY)
    events = session.query(models.AuditEvent).filter(models.AuditEvent.action.like("appointment.%"))
    assert {e.action for e in events} >= {"appointment.book", "appointment.move_to_home"}
    assert all("nik" not in str(e.detail) for e in events)


def test_settings_are_checked_in_indonesian(yapp: Flask) -> None:
    session = get_session()
    org = office(session)
    saved = appointments.save_settings(
        session, org, sessions_text="13:00-15:00; 08.00-11.00", persons_text="6"
    )
    assert saved.sessions_text == "08:00-11:00, 13:00-15:00"
    assert saved.persons_per_session == 6
    rows = appointments.sessions_for_day(session, org, MONDAY)
    assert [(s.label, s.start_time, s.capacity) for s in rows] == [
        ("A", dt.time(8), 6),
        ("B", dt.time(13), 6),
    ]
    for text, persons, message in (
        ("08:00-10:00, 09:00-11:00", "10", "bertumpang tindih"),
        ("jam delapan", "10", "Bukan rentang jam"),
        ("", "10", "paling sedikit satu sesi"),
        ("08:00-10:00", "0", "1 sampai 200"),
        ("08:00-10:00", "sepuluh", "bilangan bulat"),
    ):
        with pytest.raises(SettingsError, match=message):
            appointments.save_settings(session, org, sessions_text=text, persons_text=persons)


def test_a_request_not_verified_yet_is_not_invited_in(yapp: Flask) -> None:
    session = get_session()
    fresh = add_request(session, 77, status=models.RequestStatus.BARU.value, verified_at=None)
    with pytest.raises(AppointmentError, match="Verifikasi permohonan ini dahulu"):
        appointments.move_to_office(session, fresh, earliest=dt.date(2026, 12, 7))
    assert appointments.active_appointment(session, fresh.id) is None
    assert fresh.status == models.RequestStatus.BARU.value
