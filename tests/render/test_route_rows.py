"""Route rows (built once for the plan page, sheet, PDF and field page), from unsaved rows."""

from __future__ import annotations

import datetime as dt

from outreach import models
from outreach.render.route_rows import hhmm, km, route_table

DAY = dt.date(2026, 11, 27)  # a Friday


def _route() -> models.Route:
    team = models.Team(name="Tim Mawar", members=["Sari", "Budi"])
    letter = models.Letter(
        number="1/RW",
        letter_date=DAY,
        sender_type="rw",
        sender_name="RW 07",
        contact_name="Pak RW",
        contact_phone="+6281298765432",
        meeting_place="Balai RW 07",
        residents=[models.LetterResident(id=11, row=1, name="Peserta", nik="3471130101900001")],
    )
    home = models.ServiceRequest(
        id=1,
        tracking_code="JB-A",
        person_name="Mbah Sastro",
        applicant_name="Anak",
        nik="3471135403500001",
        phone="+6281234567890",
        services=["perekaman_ktp"],
        category="lansia",
        address_street="Jl. Kenari 5",
        rt="3",
        rw="7",
        persons=1,
        accessibility_notes="gang sempit, motor saja",
    )
    hall = models.ServiceRequest(
        id=2,
        tracking_code="JB-B",
        person_name="RW 07",
        services=["kia"],
        category="kolektif",
        rw="7",
        persons=30,
        letter=letter,
        letter_id=1,
    )

    def at(h: int, m: int) -> dt.datetime:
        return dt.datetime.combine(DAY, dt.time(h, m))

    stops = [
        models.Stop(
            id=5,
            sequence=1,
            request=home,
            arrival_at=at(8, 10),
            service_start_at=at(8, 10),
            departure_at=at(8, 32),
            travel_time_s=600,
            distance_m=2100,
            service_s=1320,
            wait_s=0,
        ),
        # After the Friday prayer: the team waits, the visit starts at 13.00.
        models.Stop(
            id=6,
            sequence=2,
            request=hall,
            arrival_at=at(11, 20),
            service_start_at=at(13, 0),
            departure_at=at(14, 0),
            travel_time_s=300,
            distance_m=900,
            service_s=3600,
            wait_s=0,
            part=2,
            parts=3,
            persons=10,
        ),
    ]
    return models.Route(
        team=team,
        route_date=DAY,
        start_at=at(8, 0),
        end_at=at(14, 20),
        travel_time_s=1500,
        distance_m=4000,
        breaks=[{"label": "salat Jumat", "start": "11:30", "end": "13:00", "before_sequence": 2}],
        stops=stops,
    )


def test_paper_rows_mask_and_the_phone_rows_reveal() -> None:
    paper = route_table(_route())
    first = paper.stops[0]
    assert first.nik == "347113********01" and "*" in first.contact_phone
    assert first.contact_name == "Anak" and first.access_notes == "gang sempit, motor saja"
    assert first.address == "Jl. Kenari 5, RT 3 / RW 7"
    assert paper.stops[1].attendees[0].nik == "347113********01"
    phone = route_table(_route(), reveal=True)
    assert phone.stops[0].contact_phone == "+6281234567890"
    # A NIK is never whole on a route, not even on the lead's phone.
    assert phone.stops[0].nik == "347113********01"


def test_rows_in_order_with_the_break_and_totals() -> None:
    table = route_table(_route())
    kinds = [r.kind for r in table.rows]
    assert kinds == ["stop", "break", "stop"]
    assert table.rows[1].label == "Salat Jumat"  # type: ignore[union-attr]
    hall = table.stops[1]
    # A letter: the meeting place, the contact person, no empty RT.
    assert hall.address == "Balai RW 07, RW 7"
    assert hall.contact_name == "Pak RW" and hall.collective
    assert (hall.part, hall.parts, hall.persons, hall.cards) == (2, 3, 10, 0)
    # The window residents are told is around the start of the visit, not the early arrival.
    assert (hall.window_start, hall.window_end) == (dt.time(12, 30), dt.time(14, 0))
    # The first visit's window opens when the team leaves the office, not before.
    assert (table.stops[0].window_start, table.stops[0].window_end) == (
        dt.time(8, 0),
        dt.time(9, 0),
    )
    assert table.persons == 11 and table.cards == 1
    assert table.return_min == 10 and table.return_m == 1000
    assert table.team_members == ("Sari", "Budi")


def test_formatting() -> None:
    assert hhmm(dt.time(9, 5)) == "09.05" and hhmm(None) == ""
    assert km(1260) == "1,3 km" and km(None) == "0,0 km"
