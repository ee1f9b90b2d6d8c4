"""Home page: the map of requests (staff) or the public landing with an aggregated map.

The views gather plain data from the database (:mod:`outreach.web.mapping_data`) and hand it to
:mod:`outreach.render.maps`; the road base layer is served from a file cache.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.office import list_offices, office_for_region
from outreach.render import maps
from outreach.render.progress import done_text, today_tables
from outreach.render.route_rows import RouteTable, hhmm
from outreach.render.style import team_color
from outreach.visits import OUTCOME_LABELS
from outreach.web import mapping_data
from outreach.web.auth import is_staff
from outreach.web.permissions import has_permission, home_url, may_open, permission_required

bp = Blueprint("main", __name__)

# Public links shown when the intake pages exist (endpoint, label).
PUBLIC_LINKS = (
    ("public.form", "Ajukan permohonan jemput bola"),
    ("public.status", "Cek status permohonan"),
)
# Staff links: (endpoint, label, permission needed).
STAFF_LINKS = (
    ("field.index", "Rute tim saya hari ini", "field.use"),
    ("coordinator.queue", "Antrean verifikasi", "requests.manage"),
    ("coordinator.new_request", "Catat permohonan", "requests.manage"),
    ("plans.index", "Rencana kunjungan", "plans.view"),
)


@bp.route("/")
def index() -> ResponseReturnValue:
    """Home: staff see every request on the map; visitors a landing and per-kelurahan counts.

    With several offices in the installation, visitors first pick their kab/kota: each
    office's public pages live under its own path (:mod:`outreach.web.public`).
    """
    if is_staff() and current_user.role == models.Role.PROVINCE.value:
        # A province account has no office map: its page shows every office's figures.
        province_url = _url("province.index")
        if province_url is None:
            abort(403)
        return redirect(province_url)
    if is_staff() and not has_permission(current_user, "map.staff"):
        return redirect(home_url())  # a team lead: their own route, not the office's map
    session = get_session()
    if not is_staff():
        offices = list_offices(session)
        if len(offices) > 1:
            return render_template("main/offices.html", offices=offices)
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    region = mapping_data.office_region(session, office)
    staff = is_staff()
    parts: maps.MapParts | None = None
    summary: dict[str, int] = {}
    if office is not None and region is not None:
        parts, summary = _home_map(session, office, region, staff=staff)
    progress: list[RouteTable] | None = None
    # Today's route progress beside the map: for those who follow plans (coordinators).
    if staff and office is not None and has_permission(current_user, "plans.view"):
        progress = today_tables(session, office.id, mapping_data.office_today(office))
    page = render_template(
        "main/index.html",
        office=office,
        map=parts,
        staff=staff,
        summary=summary,
        progress=progress,
        progress_url=_url("plans.today_progress"),
        done_text=done_text,
        hhmm=hhmm,
        OUTCOME_LABELS=OUTCOME_LABELS,
        # The same colour per team as the route lines on the map.
        team_colors={t.id: team_color(i) for i, t in enumerate(office.teams)} if office else {},
        links=_links(
            [(e, label) for e, label, _perm in STAFF_LINKS if may_open(current_user, e)]
            if staff
            else PUBLIC_LINKS
        ),
    )
    # Staff pages carry names: no shared cache or back-button copy may keep them.
    return page, 200, {"Cache-Control": "private, no-store"} if staff else {}


@bp.route("/peta/jalan.geojson")
def roads_geojson() -> ResponseReturnValue:
    """The road network of the office's region as GeoJSON: the offline base layer.

    ``?wilayah=<region_slug>``: the region of another office of the installation (the public
    pages of each office); otherwise the signed-in user's office (or the first office).
    """
    session = get_session()
    wanted = request.args.get("wilayah", "").strip()[:100]
    office = (
        office_for_region(session, wanted)
        if wanted
        else session.scalar(select(models.Office).order_by(models.Office.id))
    )
    if wanted and office is None:
        abort(404)
    region = mapping_data.office_region(session, office)
    files = (
        None
        if region is None
        else mapping_data.road_layer_files(region, Path(current_app.config["CACHE_DIR"]))
    )
    if files is None:
        abort(404)
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = send_file(
        files.gzipped if gzipped else files.plain,
        mimetype="application/geo+json",
        max_age=86400,
        etag=files.key + ("-gz" if gzipped else ""),
        conditional=True,
    )
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    return response


def _home_map(
    session: Session, office: models.Office, region: models.RegionImport, *, staff: bool
) -> tuple[maps.MapParts, dict[str, int]]:
    """The staff map's base (its data is fetched by the page) or the public one (counts only)."""
    assets = mapping_data.map_assets(region)
    view = mapping_data.map_view(office, region)
    counts = mapping_data.open_counts(session, office.id)
    if not staff:
        # Visitors never get individual requests: not even masked, not even their points.
        areas = mapping_data.area_shapes(session, office.region_slug, counts)
        m = maps.make_public_map(view=view, assets=assets, areas=areas)
        return maps.map_parts(m), {"requests": sum(a.count for a in areas)}
    config = {
        **mapping_data.home_map_urls(),
        "today": mapping_data.office_today(office).isoformat(),
    }
    m = maps.make_staff_home_map(view=view, assets=assets, config=config)
    return maps.map_parts(m), {"requests": sum(counts.values())}


@bp.route("/peta/permohonan.geojson")
@permission_required("map.staff")
def requests_geojson() -> ResponseReturnValue:
    """Open requests of the office as GeoJSON for the home map (names as initials only)."""
    session = get_session()
    office = _office(session)
    points = mapping_data.home_request_points(session, office.id)
    return _geojson(maps.requests_geojson(points))


@bp.route("/peta/rute.geojson")
@permission_required("map.staff")
def routes_geojson() -> ResponseReturnValue:
    """Approved routes of ``tanggal`` (YYYY-MM-DD), or of the next route days."""
    session = get_session()
    office = _office(session)
    raw = request.args.get("tanggal", "").strip()
    day: dt.date | None = None
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            msg = _("Tanggal tidak valid: gunakan format TTTT-BB-HH, misalnya 2026-11-23.")
            return jsonify(error=msg), 400
    routes = mapping_data.approved_route_lines(
        session, office, today=mapping_data.office_today(office), day=day
    )
    return _geojson(maps.routes_geojson(routes))


@bp.route("/peta/wilayah.geojson")
@permission_required("map.staff")
def areas_geojson() -> ResponseReturnValue:
    """Kecamatan and kelurahan outlines with open requests per kelurahan (the choropleth)."""
    session = get_session()
    office = _office(session)
    region = mapping_data.office_region(session, office)
    if region is None:
        abort(404)
    kelurahan, kecamatan = mapping_data.home_areas(
        session, region, mapping_data.open_counts(session, office.id)
    )
    return _geojson(maps.areas_geojson(kelurahan, kecamatan))


def _office(session: Session) -> models.Office:
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    if office is None:
        abort(404)
    return office


def _geojson(data: dict[str, Any]) -> ResponseReturnValue:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Personal data (initials, codes): private to the signed-in user, never stored by a proxy.
    return (
        body,
        200,
        {
            "Content-Type": "application/geo+json; charset=utf-8",
            "Cache-Control": "private, no-store",
        },
    )


def _url(endpoint: str) -> str | None:
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def _links(candidates: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Links to pages that exist in this build (other blueprints may not have them yet)."""
    return [
        (url_for(endpoint), label)
        for endpoint, label in candidates
        if endpoint in current_app.view_functions
    ]
