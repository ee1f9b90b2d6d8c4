"""What the team lead's field page shows: a team's route of the day, the next days, links.

The page is built here, outside ``web/``, so tests can call it: :func:`field_page` picks the
route (today's approved route of the team, or the one a printed sheet's QR code names) and
returns its rows (:func:`outreach.render.route_rows.route_table` with ``reveal=True``: the
signed-in lead sees phone numbers whole), the team's next approved routes and, per stop, the
links that leave the app (navigation, call, WhatsApp) built by :func:`stop_links`.

"Today" is the office's local date, passed in by the caller (the server may run in UTC).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError
from outreach.planning.reasons import format_date
from outreach.planning.records import route_is_approved
from outreach.render.route_rows import RouteTable, StopRow, hhmm, route_table

__all__ = [
    "FieldPage",
    "StopLinks",
    "TeamChoice",
    "UpcomingRoute",
    "field_page",
    "phone_label",
    "stop_links",
    "whatsapp_text",
]

#: How many of the team's next approved routes the page lists.
UPCOMING_ROUTES = 5


@dataclass(frozen=True)
class StopLinks:
    """Links that leave the app for one stop (each ``None`` when the stop lacks the data)."""

    phone: str  # the contact number as written in Indonesia (0812-3456-7890), or ""
    geo: str | None  # geo:lat,lon (Android opens the phone's maps app)
    osm: str | None  # the point on openstreetmap.org
    tel: str | None  # tel:+62...
    whatsapp: str | None  # https://wa.me/62...?text=... (click-to-chat, prefilled)


@dataclass(frozen=True)
class UpcomingRoute:
    """One of the team's next approved routes (a line in the short list)."""

    route_id: int
    day: dt.date
    date_label: str
    stops: int
    persons: int
    start: str  # hh.mm, leaving the office


@dataclass(frozen=True)
class TeamChoice:
    """A team an admin may open the page for."""

    team_id: int
    name: str


@dataclass(frozen=True)
class FieldPage:
    """The field page of one team (``table`` is None when there is no route to show)."""

    office_name: str
    today: dt.date
    team_id: int | None
    team_name: str
    table: RouteTable | None
    day: dt.date | None  # the shown route's date
    date_label: str
    is_today: bool
    links: dict[int, StopLinks] = field(default_factory=dict)  # stop id -> links
    upcoming: list[UpcomingRoute] = field(default_factory=list)
    teams: list[TeamChoice] = field(default_factory=list)  # admins without ?tim: pick one

    @property
    def stops(self) -> list[StopRow]:
        """The shown route's stops in order (empty without a route)."""
        return self.table.stops if self.table is not None else []

    @property
    def done(self) -> int:
        """Stops of the shown route with an outcome."""
        return self.table.done if self.table is not None else 0

    @property
    def earliest_new_date(self) -> dt.date:
        """The first day a *jadwal ulang* may name: the day after the shown route's day."""
        return (self.day or self.today) + dt.timedelta(days=1)

    @property
    def recordable(self) -> bool:
        """Outcomes can be recorded: the shown route's day has come (not a later route)."""
        return self.day is None or self.day <= self.today


def _office_place(office_name: str) -> str:
    """``Kota Yogyakarta`` from ``Disdukcapil Kota Yogyakarta`` (the message says Disdukcapil)."""
    name = office_name.strip()
    prefix = "disdukcapil"
    if name.lower().startswith(prefix):
        name = name[len(prefix) :].strip(" -,")
    return name


def whatsapp_text(office_name: str, arrival: dt.datetime, *, today: dt.date) -> str:
    """The prefilled WhatsApp message: who is coming and about when.

    ``Kami tim jemput bola Disdukcapil Kota Yogyakarta, perkiraan tiba pukul 09.20.``; a visit
    on another day than ``today`` names the day.
    """
    place = _office_place(office_name)
    who = f"Disdukcapil {place}" if place else "Disdukcapil"
    when = f"pukul {hhmm(arrival)}"
    if arrival.date() != today:
        when = f"{format_date(arrival.date())} {when}"
    return f"Kami tim jemput bola {who}, perkiraan tiba {when}."


def _wa_number(phone: str) -> str | None:
    """Digits for wa.me (country code 62, no plus or leading zero); None when not a number."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62") or len(digits) < 9:
        return None
    return digits


def stop_links(row: StopRow, *, office_name: str, today: dt.date) -> StopLinks:
    """Navigation, call and WhatsApp links of a stop (``row`` revealed: a whole phone number).

    Parameters
    ----------
    row
        A stop row built with ``reveal=True`` (a masked number gives no call/WhatsApp link).
    office_name
        Named in the WhatsApp message.
    today
        The office's date (the message names the day when the visit is on another one).
    """
    geo = osm = tel = wa = None
    if row.lat is not None and row.lon is not None:
        lat, lon = f"{row.lat:.6f}", f"{row.lon:.6f}"
        geo = f"geo:{lat},{lon}?q={lat},{lon}"
        osm = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
    number = _wa_number(row.contact_phone) if "*" not in row.contact_phone else None
    if number is not None:
        tel = f"tel:+{number}"
        text = whatsapp_text(office_name, row.arrival, today=today)
        wa = f"https://wa.me/{number}?" + urlencode({"text": text}, quote_via=quote)
    return StopLinks(phone=phone_label(number), geo=geo, osm=osm, tel=tel, whatsapp=wa)


def phone_label(number: str | None) -> str:
    """``0812-3456-7890`` from wa.me digits ``6281234567890`` (empty for None)."""
    if not number:
        return ""
    local = "0" + number[2:]
    groups = [local[:4], local[4:8], local[8:]]
    return "-".join(g for g in groups if g)


def _approved_routes(team_id: int) -> Select[models.Route]:
    return (
        select(models.Route)
        .join(models.Plan)
        .where(
            models.Route.team_id == team_id,
            route_is_approved(),
        )
        .order_by(models.Route.route_date, models.Route.id)
    )


def _route_by_id(
    session: Session, office: models.Office, route_id: int, team_id: int | None
) -> models.Route:
    route = session.get(models.Route, route_id)
    plan = route.plan if route is not None else None
    if (
        route is None
        or plan is None
        or plan.office_id != office.id
        or not route.approved
        or plan.status != models.PlanStatus.APPROVED.value
        or (team_id is not None and route.team_id != team_id)
    ):
        msg = "Rute itu tidak ada, belum disetujui, sudah diganti, atau bukan rute tim Anda."
        raise NotFoundError(msg)
    return route


def _upcoming(session: Session, team_id: int, today: dt.date) -> list[UpcomingRoute]:
    stmt = _approved_routes(team_id).where(models.Route.route_date > today)
    routes = list(session.scalars(stmt.limit(UPCOMING_ROUTES)))
    return [
        UpcomingRoute(
            route_id=r.id,
            day=r.route_date,
            date_label=format_date(r.route_date),
            stops=len(r.stops),
            persons=sum(
                (s.persons if s.persons is not None else s.request.persons) for s in r.stops
            ),
            start=hhmm(r.start_at),
        )
        for r in routes
    ]


def field_page(
    session: Session,
    *,
    office: models.Office,
    today: dt.date,
    team_id: int | None,
    route_id: int | None = None,
    any_team: bool = False,
) -> FieldPage:
    """The field page of a team: a route's rows and links, and the team's next routes.

    Parameters
    ----------
    session
        Database session (scoped to the office of the signed-in user).
    office
        The office (its name goes into the WhatsApp message).
    today
        The office's local date: without ``route_id`` the page shows the team's approved
        route of that day.
    team_id
        The team (a team lead's own team; an admin's ``?tim=``). ``None`` with ``any_team``:
        an admin who has not picked a team gets the list of teams; without ``any_team``: a
        team lead with no team gets an empty page.
    route_id
        Show this approved route (the QR code of a printed sheet) instead of today's.
    any_team
        The user may open any team's routes (admins).

    Raises
    ------
    NotFoundError
        ``route_id`` is not an approved route of an approved plan of the office, or (a team
        given, or the user restricted to their team) of another team; ``team_id`` is not a
        team of the office.
    """
    team: models.Team | None = None
    if team_id is not None:
        team = session.get(models.Team, team_id)
        if team is None or team.office_id != office.id:
            msg = f"No team {team_id} in this office."
            raise NotFoundError(msg)
    route: models.Route | None = None
    if route_id is not None:
        if team is None and not any_team:
            msg = "This user has no team."
            raise NotFoundError(msg)
        route = _route_by_id(session, office, route_id, team.id if team is not None else None)
        team = route.team
    elif team is not None:
        stmt = _approved_routes(team.id).where(models.Route.route_date == today)
        route = session.scalars(stmt.limit(1)).first()
    teams: list[TeamChoice] = []
    if team is None and any_team:
        rows = session.scalars(
            select(models.Team)
            .where(models.Team.office_id == office.id, models.Team.active.is_(True))
            .order_by(models.Team.name)
        )
        teams = [TeamChoice(t.id, t.name) for t in rows]
    table = route_table(route, reveal=True) if route is not None else None
    day = route.route_date if route is not None else None
    return FieldPage(
        office_name=office.name,
        today=today,
        team_id=team.id if team is not None else None,
        team_name=team.name if team is not None else "",
        table=table,
        day=day,
        date_label=format_date(day or today),
        is_today=day is None or day == today,
        links={
            row.stop_id: stop_links(row, office_name=office.name, today=today)
            for row in (table.stops if table is not None else [])
        },
        upcoming=_upcoming(session, team.id, today) if team is not None else [],
        teams=teams,
    )
