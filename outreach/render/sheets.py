"""Route sheets: what a team lead carries for one day, as an HTML print view and a PDF.

:func:`build_route_sheet` gathers what a sheet shows (the route's rows from
:func:`outreach.render.route_rows.route_table`, always masked; office facts; the date in
Indonesian; a static route map; a QR code that opens the route on the field page). One Jinja
template (``templates/sheets/route.html``) renders it for the screen and for paper;
:func:`render_pdf` and :func:`render_pdfs` turn that HTML into a PDF with WeasyPrint, with no
network access at all (everything the sheet needs is inline).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.errors import NotFoundError
from outreach.planning.reasons import format_date
from outreach.planning.records import route_is_approved
from outreach.render.route_image import MapStop, RoadLine, route_map_svg
from outreach.render.route_rows import RouteTable, StopRow, hhmm, km, minutes, route_table
from outreach.render.style import CATEGORY_LABELS, SERVICE_LABELS
from outreach.visits import OUTCOME_LABELS

__all__ = [
    "RouteSheet",
    "SheetTotals",
    "build_route_sheet",
    "css_string",
    "load_road_lines",
    "printable_route",
    "printable_routes",
    "qr_svg",
    "render_pdf",
    "render_pdfs",
]

# Residents listed in the stop's own block; a longer attendance list follows it and may run
# over pages (its rows never split, its header repeats).
ATTENDANCE_IN_BLOCK = 12


@dataclass(frozen=True)
class SheetTotals:
    """The figures at the top of a sheet."""

    stops: int
    persons: int
    cards: int
    distance: str  # "12,3 km"
    driving_min: int
    departure: str  # "08.00"
    planned_return: str  # "14.35"


@dataclass(frozen=True)
class RouteSheet:
    """Everything one team's sheet for one day shows (NIK and phone numbers masked)."""

    route_id: int
    table: RouteTable
    office_name: str
    office_address: str
    day: dt.date
    date_label: str  # "Senin, 23 November 2026"
    team_name: str
    members: tuple[str, ...]
    totals: SheetTotals
    map_svg: str
    qr_svg: str
    field_url: str
    outcomes: tuple[tuple[str, str], ...]  # (Outcome value, label) for the tick boxes
    # Empty for an approved route; else why it must not be used in the field (a draft's
    # route, or one withdrawn when another plan was approved for its day).
    status_note: str = ""

    @property
    def rows(self) -> list[Any]:
        """Stops and breaks in visiting order (:class:`StopRow` / ``BreakRow``)."""
        return self.table.rows

    @property
    def title(self) -> str:
        """``Lembar rute Tim Mawar - Senin, 23 November 2026``."""
        return f"Lembar rute {self.team_name} - {self.date_label}"

    @staticmethod
    def category_label(code: str) -> str:
        """Indonesian label of a request category."""
        return CATEGORY_LABELS.get(code, code)

    @staticmethod
    def services_label(services: Iterable[str]) -> str:
        """``Perekaman KTP-el, KIA``: the services of a stop in Indonesian."""
        return ", ".join(SERVICE_LABELS.get(s, s) for s in services) or "-"

    @staticmethod
    def hhmm(at: dt.datetime | dt.time | None) -> str:
        """``09.30``: a clock time as written in Indonesian."""
        return hhmm(at)

    @staticmethod
    def km(distance_m: int | float | None) -> str:
        """``1,2 km``."""
        return km(distance_m)

    @staticmethod
    def css(text: str) -> str:
        """``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
        return css_string(text)

    @staticmethod
    def attendance_in_block(row: StopRow) -> bool:
        """True when a collective visit's list is short enough to stay inside its stop block."""
        return len(row.attendees) <= ATTENDANCE_IN_BLOCK


def printable_route(
    session: Session, route_id: int, *, office_id: int, team_id: int | None = None
) -> models.Route:
    """The route ``route_id`` of the office, if the reader may print it.

    Parameters
    ----------
    session
        Database session.
    route_id
        The route.
    office_id
        The reader's office: a route of another office is not found.
    team_id
        A team lead's team: only that team's approved routes (of approved plans) are found.
        None (coordinators): any route of the office, drafts included.

    Raises
    ------
    NotFoundError
        No such route for this reader.
    """
    stmt = _routes_query(office_id).where(models.Route.id == route_id)
    if team_id is not None:
        stmt = _approved_only(stmt).where(models.Route.team_id == team_id)
    route = session.scalars(stmt).first()
    if route is None:
        msg = "Lembar rute tidak ditemukan."
        raise NotFoundError(msg)
    return route


def printable_routes(
    session: Session,
    day: dt.date,
    *,
    office_id: int,
    plan_id: int | None = None,
    team_id: int | None = None,
    team_name: str | None = None,
) -> list[models.Route]:
    """The routes of ``day`` to print together ("Cetak semua"), by team name.

    Parameters
    ----------
    session
        Database session.
    day
        The day.
    office_id
        The office.
    plan_id
        A plan (a draft too) whose routes of ``day`` are wanted; None: the approved routes.
    team_id
        A team lead's team: only that team's approved routes.
    team_name
        Only the team of this name (case-insensitive), e.g. from the CLI's ``--team``.

    Raises
    ------
    NotFoundError
        No route to print; the message names the day in Indonesian.
    """
    stmt = _routes_query(office_id).where(models.Route.route_date == day)
    if plan_id is not None:
        stmt = stmt.where(models.Route.plan_id == plan_id)
    if plan_id is None or team_id is not None:
        stmt = _approved_only(stmt)
    if team_id is not None:
        stmt = stmt.where(models.Route.team_id == team_id)
    routes = list(session.scalars(stmt))
    if team_name is not None:
        wanted = team_name.strip().casefold()
        routes = [r for r in routes if r.team.name.casefold() == wanted]
    routes.sort(key=lambda r: (r.team.name.casefold(), r.id))
    if not routes:
        what = "rute" if plan_id is not None else "rute yang disetujui"
        team = f" untuk {team_name.strip()}" if team_name else ""
        msg = f"Tidak ada {what}{team} pada {format_date(day)}."
        raise NotFoundError(msg)
    return routes


def _routes_query(office_id: int) -> Select[models.Route]:
    return (
        select(models.Route)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(models.Plan.office_id == office_id)
        .options(
            selectinload(models.Route.team),
            selectinload(models.Route.stops).options(
                selectinload(models.Stop.outcome),
                selectinload(models.Stop.request).options(
                    selectinload(models.ServiceRequest.kelurahan),
                    selectinload(models.ServiceRequest.kecamatan),
                    selectinload(models.ServiceRequest.letter).selectinload(
                        models.Letter.residents
                    ),
                ),
            ),
        )
    )


def _approved_only(stmt: Select[models.Route]) -> Select[models.Route]:
    return stmt.where(
        route_is_approved(),
    )


def css_string(text: str) -> str:
    """Quote ``text`` as a CSS string; quotes, backslashes, ``<`` and line ends are escaped."""
    out = []
    for ch in text:
        if ch in '"\\<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def build_route_sheet(
    route: models.Route,
    *,
    office: models.Office,
    field_url: str,
    roads: Iterable[RoadLine] = (),
) -> RouteSheet:
    """Gather what the route sheet of ``route`` shows.

    Parameters
    ----------
    route
        A stored route (its stops, requests, letters and outcomes are loaded as needed).
    office
        The office the route starts from (name, address, depot).
    field_url
        Absolute URL of this route on the field page; the QR code opens it.
    roads
        The area's roads for the map (e.g. :func:`load_road_lines`); none draws the route only.

    Returns
    -------
    RouteSheet
    """
    table = route_table(route, reveal=False)
    depot = (office.depot_lon, office.depot_lat)
    located = [s for s in route.stops if s.request.lon is not None and s.request.lat is not None]
    map_svg = route_map_svg(
        office=depot,
        stops=[
            MapStop(str(s.sequence), float(s.request.lon or 0), float(s.request.lat or 0))
            for s in located
        ],
        legs=[s.leg_geometry or [] for s in located],
        return_leg=route.return_geometry or [],
        roads=roads,
        returns=not route.ends_at_lodging,
        title=f"Peta rute {table.team_name}",
    )
    totals = SheetTotals(
        stops=len(table.stops),
        persons=table.persons,
        cards=table.cards,
        distance=km(route.distance_m),
        driving_min=minutes(route.travel_time_s),
        departure=hhmm(route.start_at),
        planned_return=hhmm(route.end_at),
    )
    return RouteSheet(
        route_id=route.id,
        table=table,
        office_name=office.name,
        office_address=office.address,
        day=route.route_date,
        date_label=format_date(route.route_date),
        team_name=table.team_name,
        members=table.team_members,
        totals=totals,
        map_svg=map_svg,
        qr_svg=qr_svg(field_url),
        field_url=field_url,
        outcomes=tuple((o.value, OUTCOME_LABELS.get(o.value, o.value)) for o in models.Outcome),
        status_note=route_status_note(route),
    )


def route_status_note(route: models.Route) -> str:
    """Why a route must not be used in the field, in Indonesian ("" for an approved route)."""
    if route.approved:
        return ""
    plan = route.plan
    if plan is not None and plan.status == models.PlanStatus.DRAFT.value:
        return "DRAF: rute ini belum disetujui; jangan dipakai di lapangan."
    return "DIGANTI: rute ini sudah diganti rencana lain untuk hari ini; jangan dipakai."


def qr_svg(url: str, *, title: str = "Kode QR rute di halaman lapangan") -> str:
    """A QR code of ``url`` as an inline ``<svg>`` element (black on white, scalable).

    Error correction M survives a folded or smudged sheet; the quiet zone is kept.
    """
    qr = segno.make(url, error="m", micro=False)
    return str(
        qr.svg_inline(
            scale=4,
            border=4,
            dark="#000",
            light="#fff",
            title=title,
            svgclass="qr",
            omitsize=True,  # a viewBox only: the page decides the printed size
        )
    )


def render_pdf(html: str, base_url: str, *, stylesheet: str | None = None) -> bytes:
    """Render one HTML document to PDF bytes with WeasyPrint (print media, no network).

    Parameters
    ----------
    html
        The sheet's HTML; styles, images and QR codes inline.
    base_url
        Base for relative URLs in the document (links keep it; nothing is fetched).
    stylesheet
        CSS applied on top of the document's own styles (see :func:`render_pdfs`).
    """
    return render_pdfs([html], base_url, stylesheet=stylesheet)


def render_pdfs(
    htmls: Sequence[str],
    base_url: str,
    *,
    stylesheet: str | None = None,
    workers: int = 1,
) -> bytes:
    """Render several HTML documents (one per team) into one PDF, in order.

    Each document keeps its own page numbering ("Hal. 1/2" per team), so every team's pages
    can be handed out as they are.

    Parameters
    ----------
    htmls
        The documents.
    base_url
        Base for relative URLs (nothing is fetched: only ``data:`` URLs may be read).
    stylesheet
        CSS shared by every document, parsed once (cheaper than a ``<style>`` in each).
    workers
        Processes to render with. WeasyPrint is pure Python and holds the GIL, so with more
        than one document the documents are shared out, by size, over a pool of processes
        kept for the life of this process, and the parts joined with pypdf: on 2 cores a day
        of 6 teams x 14 stops takes about half the time (bench/sheets.py). 1: render here.

    Raises
    ------
    ValueError
        ``htmls`` is empty.
    """
    if not htmls:
        msg = "no sheet to render"
        raise ValueError(msg)
    groups = _share_out(htmls, min(workers, len(htmls)))
    if len(groups) <= 1:
        return _render_group(list(htmls), base_url, stylesheet)
    pool = _pool(len(groups))
    parts = list(
        pool.map(_render_group, groups, [base_url] * len(groups), [stylesheet] * len(groups))
    )
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _share_out(htmls: Sequence[str], groups: int) -> list[list[str]]:
    """Split ``htmls`` into at most ``groups`` runs in order, of about equal total size."""
    if groups <= 1:
        return [list(htmls)]
    total = sum(len(h) for h in htmls)
    out: list[list[str]] = [[]]
    size = 0
    for h in htmls:
        if out[-1] and size >= total * len(out) / groups and len(out) < groups:
            out.append([])
        out[-1].append(h)
        size += len(h)
    return out


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, started on first use and kept.

    Spawned, not forked: the web server's threads and database connections stay behind.
    """
    pool = _POOLS.get(workers)
    if pool is None:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
        )
        _POOLS[workers] = pool
    return pool


def _warm() -> None:
    """Import WeasyPrint once per worker process, before its first document."""
    import weasyprint  # noqa: F401


def _render_group(htmls: list[str], base_url: str, stylesheet: str | None) -> bytes:
    """Render ``htmls`` into one PDF in this process (each keeps its own page numbers)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    # Only data: URLs may be read: a sheet never makes the server fetch anything.
    fetcher = URLFetcher(allowed_protocols={"data"})
    fonts = FontConfiguration()
    shared = [CSS(string=stylesheet, url_fetcher=fetcher, font_config=fonts)] if stylesheet else []
    documents = [
        HTML(string=h, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=shared, font_config=fonts
        )
        for h in htmls
    ]
    first = documents[0]
    for other in documents[1:]:
        first.fonts.update(other.fonts)
    pages = [page for document in documents for page in document.pages]
    pdf = first.copy(pages).write_pdf()
    assert pdf is not None  # no target: the bytes are returned
    return bytes(pdf)


@functools.cache
def _road_lines(path: str, mtime_ns: int) -> tuple[RoadLine, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[RoadLine] = []
    for feature in data.get("features", []):
        kind = str((feature.get("properties") or {}).get("kelas", "layanan"))
        geometry = feature.get("geometry") or {}
        parts = geometry.get("coordinates") or []
        if geometry.get("type") == "LineString":
            parts = [parts]
        for part in parts:
            coords = tuple((float(p[0]), float(p[1])) for p in part)
            if len(coords) >= 2:
                out.append(RoadLine(kind, coords))
    return tuple(out)


def load_road_lines(path: Path | None) -> tuple[RoadLine, ...]:
    """The road lines of a cached road layer (:func:`outreach.render.roads.cached_road_geojson`).

    Read once per process and file version; a missing file gives no roads (the map then shows
    the route alone).
    """
    if path is None or not path.is_file():
        return ()
    return _road_lines(str(path), path.stat().st_mtime_ns)
