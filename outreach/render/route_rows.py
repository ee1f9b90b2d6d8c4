"""The rows of a route, built once for the plan page, the route sheet, its PDF and the field page.

A route is shown as its stops in visiting order with the breaks (lunch, Friday prayer) where
they fall and the drive back to the office at the end. NIK are always masked
(:mod:`outreach.privacy`): no reader of a route needs one whole (the team reads it off the
resident's KK), and the field page's copy stays on a phone that may be lost. Phone numbers are
masked too, except with ``reveal=True`` for the signed-in field page, where the lead calls.

Times are the office's wall-clock times as stored on routes (naive); distances in metres,
durations in seconds unless a name says minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from outreach import models
from outreach.intake.status import arrival_window
from outreach.planning.priority import cards_for
from outreach.privacy import mask_nik, mask_phone

__all__ = [
    "AttendeeRow",
    "BreakRow",
    "PlanDay",
    "RouteTable",
    "StopRow",
    "hhmm",
    "km",
    "minutes",
    "plan_dates",
    "plan_days",
    "route_table",
]


def hhmm(at: dt.datetime | dt.time | None) -> str:
    """``09.30``: a clock time as written in Indonesian (empty for None)."""
    return "" if at is None else f"{at.hour:02d}.{at.minute:02d}"


def minutes(seconds: int | float | None) -> int:
    """Whole minutes of ``seconds`` (rounded)."""
    return round((seconds or 0) / 60)


def km(distance_m: int | float | None) -> str:
    """``1,2 km``: one decimal, with the Indonesian decimal comma."""
    return f"{(distance_m or 0) / 1000:.1f}".replace(".", ",") + " km"


@dataclass(frozen=True)
class AttendeeRow:
    """A resident listed in a collective visit's letter (attendance table)."""

    resident_id: int
    row: int
    name: str
    nik: str  # always masked
    rt: str
    rw: str
    came: bool | None  # None: no outcome recorded yet


@dataclass(frozen=True)
class StopRow:
    """One visit of a route, with what the team needs at the door."""

    stop_id: int
    sequence: int
    arrival: dt.datetime
    window_start: dt.time
    window_end: dt.time
    service_start: dt.datetime
    departure: dt.datetime
    wait_min: int
    service_min: int
    request_id: int
    tracking_code: str
    name: str
    nik: str  # always masked
    category: str
    services: tuple[str, ...]
    street: str
    kelurahan: str
    kecamatan: str
    rt: str
    rw: str
    landmark: str
    contact_name: str
    contact_phone: str  # masked unless revealed; E.164 when revealed
    companion: str
    access_notes: str
    description: str
    persons: int
    cards: int
    distance_m: int
    travel_min: int
    fallback: bool
    lon: float | None
    lat: float | None
    collective: bool
    outcome: str | None  # Outcome value once recorded
    outcome_note: str = ""
    persons_served: int | None = None
    cards_printed: int | None = None
    confirmation_sent: bool = False
    attendees: tuple[AttendeeRow, ...] = ()
    kind: str = "stop"
    part: int = 1  # part ``part`` of ``parts`` of a split collective visit (1 of 1: whole)
    parts: int = 1

    @property
    def address(self) -> str:
        """Street, RT/RW and kelurahan in one line, as written on an envelope."""
        bits = [self.street] if self.street else []
        neighbourhood = " / ".join(
            f"{unit} {value}" for unit, value in (("RT", self.rt), ("RW", self.rw)) if value
        )
        if neighbourhood:
            bits.append(neighbourhood)
        if self.kelurahan:
            bits.append(f"Kel. {self.kelurahan}")
        return ", ".join(bits)

    @property
    def done(self) -> bool:
        """True once an outcome is recorded for this stop."""
        return self.outcome is not None


@dataclass(frozen=True)
class BreakRow:
    """A break (lunch, Friday prayer) between two visits."""

    label: str
    start: str
    end: str
    kind: str = "break"


@dataclass(frozen=True)
class RouteTable:
    """One team's route on one day, ready for a table, a sheet or the field page."""

    route: models.Route
    team_name: str
    team_members: tuple[str, ...]
    rows: list[StopRow | BreakRow]
    return_min: int
    return_m: int
    stops: list[StopRow] = field(default_factory=list)

    @property
    def persons(self) -> int:
        """Persons to serve on the route."""
        return sum(s.persons for s in self.stops)

    @property
    def cards(self) -> int:
        """Cards the route sends to the printers (one per person recording or printing e-KTP)."""
        return sum(s.cards for s in self.stops)

    @property
    def done(self) -> int:
        """Stops with an outcome recorded."""
        return sum(1 for s in self.stops if s.done)

    @property
    def no_signal_areas(self) -> tuple[str, ...]:
        """Kelurahan marked "tanpa sinyal" the route visits (see :func:`no_signal_areas`)."""
        return no_signal_areas(self.route)


def no_signal_areas(route: models.Route) -> tuple[str, ...]:
    """Names of the kelurahan marked "tanpa sinyal" that ``route`` visits, sorted, once each.

    Their team prints the route sheet and opens the field page before leaving (issue 13, §4).
    """
    names = {
        stop.request.kelurahan.name
        for stop in route.stops
        if stop.request is not None
        and stop.request.kelurahan is not None
        and stop.request.kelurahan.no_signal
    }
    return tuple(sorted(names))


@dataclass(frozen=True)
class PlanDay:
    """The routes of one day."""

    day: dt.date
    routes: list[RouteTable]

    @property
    def visits(self) -> int:
        """Visits on this day, all teams."""
        return sum(len(t.route.stops) for t in self.routes)


def plan_dates(plan: models.Plan) -> list[dt.date]:
    """The days a plan covers: its planned dates and any date it has a route on."""
    dates = {dt.date.fromisoformat(d) for d in (plan.inputs or {}).get("dates", [])}
    return sorted(dates | {r.route_date for r in plan.routes})


def plan_days(plan: models.Plan, *, reveal: bool = False) -> list[PlanDay]:
    """The plan's routes by day, then team name; days without routes are listed empty."""
    by_day: dict[dt.date, list[RouteTable]] = {d: [] for d in plan_dates(plan)}
    for route in plan.routes:
        by_day.setdefault(route.route_date, []).append(route_table(route, reveal=reveal))
    return [
        PlanDay(day, sorted(tables, key=lambda t: t.team_name))
        for day, tables in sorted(by_day.items())
    ]


def route_table(route: models.Route, *, reveal: bool = False) -> RouteTable:
    """The rows of a route: its stops in order with its breaks where they fall.

    Parameters
    ----------
    route
        A stored route (its stops, requests, letters and outcomes are loaded as needed).
    reveal
        Show phone numbers whole (the signed-in field page); masked otherwise. NIK are masked
        always.
    """
    breaks = sorted(route.breaks or (), key=lambda b: b.get("start_s", 0))
    rows: list[StopRow | BreakRow] = []
    stops: list[StopRow] = []
    for stop in route.stops:
        rows.extend(_break_row(b) for b in breaks if b.get("before_sequence") == stop.sequence)
        row = _stop_row(stop, reveal=reveal)
        rows.append(row)
        stops.append(row)
    seqs = {s.sequence for s in route.stops}
    rows.extend(_break_row(b) for b in breaks if b.get("before_sequence") not in seqs)
    return RouteTable(
        route=route,
        team_name=route.team.name,
        team_members=tuple(str(m) for m in route.team.members or ()),
        rows=rows,
        return_min=minutes(route.travel_time_s - sum(s.travel_time_s for s in route.stops)),
        return_m=max(0, route.distance_m - sum(s.distance_m for s in route.stops)),
        stops=stops,
    )


#: Breaks as people call them (the planner's rule names: outreach.domain.PlanRules).
BREAK_LABELS = {"istirahat": "Istirahat makan siang", "salat_jumat": "Salat Jumat"}


def _break_row(b: dict[str, Any]) -> BreakRow:
    code = str(b.get("label", ""))
    label = BREAK_LABELS.get(code, code.replace("_", " "))
    return BreakRow(
        label=label[:1].upper() + label[1:],
        start=str(b.get("start", "")).replace(":", "."),
        end=str(b.get("end", "")).replace(":", "."),
    )


def _contact(req: models.ServiceRequest) -> tuple[str, str | None]:
    """Who to call about the visit, and the number (a letter's contact person for a letter)."""
    letter = req.letter
    if letter is not None and (letter.contact_name or letter.contact_phone):
        return letter.contact_name, letter.contact_phone or req.phone
    name = req.applicant_name or req.person_name
    return name, req.phone or req.companion_phone


def _attendees(
    req: models.ServiceRequest, outcome: models.VisitOutcome | None
) -> tuple[AttendeeRow, ...]:
    if req.letter is None:
        return ()
    came = {int(x) for x in outcome.attendees or ()} if outcome is not None else None
    return tuple(
        AttendeeRow(
            resident_id=r.id,
            row=r.row,
            name=r.name,
            nik=mask_nik(r.nik),
            rt=r.rt,
            rw=r.rw,
            came=None if came is None else r.id in came,
        )
        for r in req.letter.residents
    )


def _stop_row(stop: models.Stop, *, reveal: bool) -> StopRow:
    req = stop.request
    outcome = stop.outcome
    contact_name, contact_phone = _contact(req)
    # A part of a split visit serves its own share of the request's persons.
    persons = req.persons if stop.persons is None else stop.persons
    services = tuple(str(s) for s in req.services or ())
    start, end = arrival_window(stop.service_start_at, not_before=stop.route.start_at)
    street = req.address_street
    if req.letter is not None and req.letter.meeting_place:
        street = req.letter.meeting_place + (f" ({street})" if street else "")
    return StopRow(
        stop_id=stop.id,
        sequence=stop.sequence,
        arrival=stop.arrival_at,
        window_start=start,
        window_end=end,
        service_start=stop.service_start_at,
        departure=stop.departure_at,
        wait_min=minutes(stop.wait_s),
        service_min=minutes(stop.service_s),
        request_id=req.id,
        tracking_code=req.tracking_code,
        name=req.person_name,
        nik=mask_nik(req.nik),
        category=req.category,
        services=services,
        street=street,
        kelurahan=req.kelurahan.name if req.kelurahan else "",
        kecamatan=req.kecamatan.name if req.kecamatan else "",
        rt=req.rt,
        rw=req.rw,
        landmark=req.landmark,
        contact_name=contact_name,
        contact_phone=(contact_phone or "") if reveal else mask_phone(contact_phone),
        companion=req.companion_name,
        access_notes=req.accessibility_notes,
        description=req.description,
        persons=persons,
        cards=cards_for(services, persons),
        distance_m=stop.distance_m,
        travel_min=minutes(stop.travel_time_s),
        fallback=stop.fallback_distance,
        lon=req.lon,
        lat=req.lat,
        collective=req.letter_id is not None or req.category == "kolektif",
        outcome=outcome.outcome if outcome is not None else None,
        outcome_note=outcome.notes if outcome is not None else "",
        persons_served=outcome.persons_served if outcome is not None else None,
        cards_printed=outcome.cards_printed if outcome is not None else None,
        confirmation_sent=stop.confirmation_sent_at is not None,
        attendees=_attendees(req, outcome),
        part=stop.part or 1,
        parts=stop.parts or 1,
    )
