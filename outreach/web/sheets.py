"""Route sheets (/lembar): one team's day as an HTML print view or a PDF, and a whole day's PDF.

What a sheet shows is built by :mod:`outreach.render.sheets`; these views pick the routes the
signed-in user may print (a team lead: their own team's approved routes only), render the one
template and, for a PDF, hand its HTML to WeasyPrint. Sheets carry names: never cached.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from outreach import jobs, models
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.planning.reasons import format_date
from outreach.render.route_image import RoadLine
from outreach.render.sheets import (
    RouteSheet,
    build_route_sheet,
    load_road_lines,
    printable_route,
    printable_routes,
    render_pdfs,
)
from outreach.web import mapping_data
from outreach.web.permissions import TEAM_LEAD, has_permission, permission_required

bp = Blueprint("sheets", __name__, url_prefix="/lembar")
NO_STORE = {"Cache-Control": "private, no-store"}
CLI_BASE_URL = "http://127.0.0.1:5000"


@bp.route("/rute/<int:route_id>")
@permission_required("sheets.print")
def route_html(route_id: int) -> ResponseReturnValue:
    """One team's sheet as a page to print (a "Cetak" button, a link to the PDF)."""
    session = get_session()
    office = _office(session)
    route = printable_route(session, route_id, office_id=office.id, team_id=_team_scope())
    page = sheets_html(
        build_sheets(session, office, [route]),
        for_pdf=False,
        pdf_url=url_for("sheets.route_pdf", route_id=route.id),
        **_back_link(route),
    )
    return page, 200, NO_STORE


@bp.route("/rute/<int:route_id>.pdf")
@permission_required("sheets.print")
def route_pdf(route_id: int) -> ResponseReturnValue:
    """One team's sheet as a PDF."""
    session = get_session()
    office = _office(session)
    route = printable_route(session, route_id, office_id=office.id, team_id=_team_scope())
    sheets = build_sheets(session, office, [route])
    return _pdf_response(sheets_pdf(sheets), pdf_filename(route.route_date, route.team.name))


@bp.route("/hari/<day>.pdf")
@permission_required("sheets.print")
def day_pdf(day: str) -> ResponseReturnValue:
    """Every team's approved route of ``day`` in one PDF ("Cetak semua"); ``?plan=`` a draft's."""
    when = _parse_day(day)
    plan_raw = request.args.get("plan", "").strip()
    if when is None or (plan_raw and not plan_raw.isdigit()):
        return _bad_request(_("Tanggal (TTTT-BB-HH) atau nomor rencana tidak valid."))
    session = get_session()
    office = _office(session)
    routes = printable_routes(
        session,
        when,
        office_id=office.id,
        plan_id=int(plan_raw) if plan_raw else None,
        team_id=_team_scope(),
    )
    pdf = sheets_pdf(build_sheets(session, office, routes))
    return _pdf_response(pdf, pdf_filename(when, None))


@bp.route("/hari/<day>/tugas", methods=["POST"])
@permission_required("sheets.print")
def day_pdf_job(day: str) -> ResponseReturnValue:
    """The day's PDF made in the background (a job; its page offers the file when done).

    For big days (many teams: a PDF takes a while). A team lead prints one route: their PDF
    comes at once from :func:`day_pdf`. ``?plan=`` a draft's routes, as there.
    """
    when = _parse_day(day)
    plan_raw = request.args.get("plan", "").strip()
    if when is None or (plan_raw and not plan_raw.isdigit()):
        return _bad_request(_("Tanggal (TTTT-BB-HH) atau nomor rencana tidak valid."))
    if _team_scope() is not None or not has_permission(current_user, "plans.manage"):
        return redirect(url_for("sheets.day_pdf", day=day, plan=plan_raw or None), code=303)
    office = _office(get_session())
    params: dict[str, object] = {"office_id": office.id, "day": when.isoformat()}
    if plan_raw:
        params["plan_id"] = int(plan_raw)
    params["base_url"] = public_base_url()
    title = _("Lembar rute semua tim, %(day)s", day=format_date(when))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job_id = jobs.enqueue(app, kind="day_pdf", office_id=office.id, title=title, params=params)
    return redirect(url_for("plans.job", job_id=job_id), code=303)


@bp.route("/tugas/<job_id>.pdf")
@permission_required("sheets.print")
def job_pdf(job_id: str) -> ResponseReturnValue:
    """The PDF a finished day-PDF job made (this office's only)."""
    session = get_session()
    job = jobs.get_job(session, job_id, config=current_app.config)
    if (
        job is None
        or job.kind != "day_pdf"
        or job.office_id != current_user.office_id
        or job.status != models.JobStatus.DONE.value
        or job.params.get("team_id") != _team_scope()
    ):
        abort(404)
    path = jobs.job_file(current_app.config, job.id, ".pdf")
    if not path.is_file():
        abort(404)
    filename = str(job.result.get("filename") or "lembar-rute.pdf")
    response = send_file(path, mimetype="application/pdf", download_name=filename)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers.update(NO_STORE)
    return response


# --- helpers (the CLI uses them too) ----------------------------------------------------------


def build_sheets(
    session: Session, office: models.Office, routes: Sequence[models.Route]
) -> list[RouteSheet]:
    """The sheets of ``routes``, each with its map and a QR code to the field page.

    Needs a request context (a real one, or ``app.test_request_context`` in the CLI) for URLs.
    """
    roads = office_roads(session, office)
    base = public_base_url()
    return [
        build_route_sheet(
            route,
            office=office,
            field_url=base + url_for("field.index", route=route.id),
            roads=roads,
        )
        for route in routes
    ]


def sheets_html(
    sheets: Sequence[RouteSheet],
    *,
    for_pdf: bool,
    pdf_url: str | None = None,
    back_url: str | None = None,
    back_label: str = "",
) -> str:
    """The sheets in the one template (print view, or the HTML a PDF is made from)."""
    return render_template(
        "sheets/route.html",
        sheets=list(sheets),
        for_pdf=for_pdf,
        pdf_url=pdf_url,
        back_url=back_url,
        back_label=back_label,
    )


def sheets_pdf(sheets: Sequence[RouteSheet]) -> bytes:
    """One PDF, one team after the other; each team's pages are numbered on their own."""
    htmls = [sheets_html([sheet], for_pdf=True) for sheet in sheets]
    css = render_template("sheets/_sheet.css")
    return render_pdfs(
        htmls,
        base_url=public_base_url() + "/",
        stylesheet=css,
        workers=pdf_workers(current_app.config.get("SHEET_PDF_WORKERS", 0)),
    )


def pdf_workers(setting: object) -> int:
    """Processes for a day PDF: ``SHEET_PDF_WORKERS``, or 0 = the machine's cores, at most 4."""
    wanted = int(setting) if isinstance(setting, int | str) and str(setting).isdigit() else 0
    return wanted if wanted > 0 else min(4, os.cpu_count() or 1)


def public_base_url() -> str:
    """Where the app is reached from outside, without a trailing slash (``PUBLIC_URL``).

    Empty ``PUBLIC_URL``: the address of the current request (the CLI: 127.0.0.1:5000).
    """
    configured = str(current_app.config.get("PUBLIC_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return CLI_BASE_URL


def office_roads(session: Session, office: models.Office) -> tuple[RoadLine, ...]:
    """The office region's roads for the sheet maps (the cached road layer of the home map)."""
    region = mapping_data.office_region(session, office)
    files = (
        None
        if region is None
        else mapping_data.road_layer_files(region, Path(current_app.config["CACHE_DIR"]))
    )
    return () if files is None else load_road_lines(files.plain)


def pdf_filename(day: dt.date, team_name: str | None) -> str:
    """``lembar-rute-2026-11-23-tim-mawar.pdf`` (ASCII, no spaces)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (team_name or "semua-tim").casefold()).strip("-")
    return f"lembar-rute-{day.isoformat()}-{slug or 'tim'}.pdf"


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', **NO_STORE},
    )


def _office(session: Session) -> models.Office:
    office = session.get(models.Office, current_user.office_id) if current_user.office_id else None
    if office is None:
        raise NotFoundError(_("Kantor belum diatur."))
    return office


def _team_scope() -> int | None:
    """A team lead's team (0 when they lead none: nothing is found); None for coordinators."""
    if current_user.role == TEAM_LEAD:
        return int(current_user.team_id or 0)
    return None


def _back_link(route: models.Route) -> dict[str, str]:
    if has_permission(current_user, "plans.view"):
        return {
            "back_url": url_for("plans.detail", plan_id=route.plan_id),
            "back_label": _("Kembali ke rencana"),
        }
    if has_permission(current_user, "field.use") and "field.index" in current_app.view_functions:
        return {"back_url": url_for("field.index"), "back_label": _("Halaman lapangan")}
    return {}


def _parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _bad_request(detail: str) -> ResponseReturnValue:
    page = render_template(
        "errors/error.html",
        code=400,
        message=_("Permintaan tidak dapat diproses."),
        detail=detail,
    )
    return page, 400, NO_STORE
