"""Home page: the map of requests (staff) or the public landing with an aggregated map.

The views only gather plain data from the database (helpers below) and hand it to
:mod:`outreach.render.maps`; the road base layer is served from a file cache.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from shapely import wkt
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.db import get_session
from outreach.render import maps
from outreach.render.mapdata import (
    AreaShape,
    LonLat,
    MapAssets,
    MapView,
    RequestPoint,
    RouteLine,
    RouteStopPoint,
)
from outreach.render.roads import cached_road_geojson
from outreach.web.auth import is_staff

bp = Blueprint("main", __name__)

# Requests still waiting for a visit: the ones a map is about.
ACTIVE_STATUSES = ("baru", "terverifikasi", "terjadwal", "gagal")
# Outlines are drawn at city zoom: 5 m of simplification is invisible and halves the page.
AREA_SIMPLIFY_DEG = 0.00005
# Public links shown when the intake pages exist (endpoint, label).
PUBLIC_LINKS = (
    ("public.form", "Ajukan permohonan jemput bola"),
    ("public.status", "Cek status permohonan"),
)
STAFF_LINKS = (
    ("coordinator.queue", "Antrean verifikasi"),
    ("coordinator.new_request", "Catat permohonan"),
)
DETAIL_ENDPOINT = "coordinator.detail"


@bp.route("/")
def index() -> ResponseReturnValue:
    """Home: staff see every request on the map; visitors a landing and per-kelurahan counts."""
    session = get_session()
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    region = _region(session, office)
    staff = is_staff()
    parts: maps.MapParts | None = None
    summary: dict[str, int] = {}
    if office is not None and region is not None:
        parts, summary = _home_map(session, office, region, staff=staff)
    page = render_template(
        "main/index.html",
        office=office,
        map=parts,
        staff=staff,
        summary=summary,
        links=_links(STAFF_LINKS if staff else PUBLIC_LINKS),
    )
    # Staff pages carry names: no shared cache or back-button copy may keep them.
    return page, 200, {"Cache-Control": "private, no-store"} if staff else {}


@bp.route("/peta/jalan.geojson")
def roads_geojson() -> ResponseReturnValue:
    """The road network of the office's region as GeoJSON: the offline base layer."""
    session = get_session()
    region = _region(session, session.scalar(select(models.Office).order_by(models.Office.id)))
    if region is None or not region.roads_file or not Path(region.roads_file).is_file():
        abort(404)
    roads_file = Path(region.roads_file)
    cache_dir = Path(current_app.config["CACHE_DIR"])
    files = cached_road_geojson(
        cache_dir=cache_dir,
        key=f"{region.slug}-{_file_sha256(roads_file)[:20]}",
        load_graph=lambda: _road_graph(region.source_dir, cache_dir),
    )
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


def _file_sha256(path: Path) -> str:
    # Imported here (as below): outreach.geo pulls in osmnx, which only these need.
    from outreach.geo.roads import file_sha256

    return file_sha256(path)


def _road_graph(pack_dir: str, cache_dir: Path) -> Any:
    """The region's graph as imported (same boundary, so the import's graph cache is hit)."""
    from outreach.geo.packs import find_pack
    from outreach.geo.roads import load_road_graph

    pack = find_pack(pack_dir, search_dirs=[])
    if pack.roads_file is None:
        abort(404)
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def _home_map(
    session: Session, office: models.Office, region: models.RegionImport, *, staff: bool
) -> tuple[maps.MapParts, dict[str, int]]:
    """Build the staff map (every request, routes) or the public one (counts only)."""
    assets = _assets(region)
    view = _view(office, region)
    areas = _areas(session, office.region_slug, _counts(session, office.id))
    if not staff:
        # Visitors never get individual requests: not even masked, not even their points.
        m = maps.make_public_map(view=view, assets=assets, areas=areas)
        return maps.map_parts(m), {"requests": sum(a.count for a in areas)}
    points = _request_points(session, office.id)
    routes = _routes(session, office, _today(office))
    m = maps.make_staff_map(view=view, assets=assets, areas=areas, requests=points, routes=routes)
    return maps.map_parts(m), {
        "requests": len(points),
        "new": sum(1 for p in points if p.status == "baru"),
        "routes": len(routes),
        "days": len({r.route_date for r in routes}),
    }


def _region(session: Session, office: models.Office | None) -> models.RegionImport | None:
    if office is None:
        return None
    return session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == office.region_slug)
    )


def _today(office: models.Office) -> dt.date:
    """Today in the office's time zone (the server may run in UTC)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(office.timezone)).date()


def _links(candidates: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Links to pages that exist in this build (other blueprints may not have them yet)."""
    return [
        (url_for(endpoint), label)
        for endpoint, label in candidates
        if endpoint in current_app.view_functions
    ]


def _assets(region: models.RegionImport) -> MapAssets:
    tiles = str(current_app.config.get("MAP_TILES") or "none")
    has_roads = bool(region.roads_file) and Path(region.roads_file or "").is_file()
    return MapAssets(
        leaflet_js=url_for("assets.vendor", name="leaflet", filename="leaflet.js"),
        leaflet_css=url_for("assets.vendor", name="leaflet", filename="leaflet.css"),
        roads_url=url_for("main.roads_geojson") if has_roads else None,
        tiles_url=None if tiles.lower() == "none" else tiles,
    )


def _view(office: models.Office, region: models.RegionImport) -> MapView:
    west, south, east, north = wkt.loads(region.boundary_wkt).bounds
    return MapView(
        center=(office.depot_lon, office.depot_lat),
        bounds=((west, south), (east, north)),
        depot=(office.depot_lon, office.depot_lat),
        depot_label=office.name,
    )


def _counts(session: Session, office_id: int) -> dict[int, int]:
    rows = session.execute(
        select(models.ServiceRequest.kelurahan_id, func.count())
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.status.in_(ACTIVE_STATUSES),
        )
        .group_by(models.ServiceRequest.kelurahan_id)
    )
    return {kel_id: count for kel_id, count in rows if kel_id is not None}


def _areas(session: Session, region_slug: str, counts: dict[int, int]) -> list[AreaShape]:
    rows = session.scalars(
        select(models.Kelurahan)
        .where(models.Kelurahan.region_slug == region_slug)
        .options(selectinload(models.Kelurahan.kecamatan))
        .order_by(models.Kelurahan.code)
    )
    return [
        AreaShape(
            code=row.code,
            name=row.name,
            kecamatan=row.kecamatan.name,
            geometry=_rounded(mapping(wkt.loads(row.geometry_wkt).simplify(AREA_SIMPLIFY_DEG))),
            count=counts.get(row.id, 0),
        )
        for row in rows
    ]


def _rounded(value: Any) -> Any:
    """Coordinates to 5 decimals (about 1 m): smaller pages, nothing visible lost."""
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _request_points(session: Session, office_id: int) -> list[RequestPoint]:
    rows = session.scalars(
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.status.in_(ACTIVE_STATUSES),
            models.ServiceRequest.lon.is_not(None),
            models.ServiceRequest.lat.is_not(None),
        )
        .options(selectinload(models.ServiceRequest.kelurahan))
        .order_by(models.ServiceRequest.id)
    )
    has_detail = DETAIL_ENDPOINT in current_app.view_functions
    return [
        RequestPoint(
            tracking_code=r.tracking_code,
            category=r.category,
            status=r.status,
            lon=float(r.lon or 0.0),
            lat=float(r.lat or 0.0),
            kelurahan=r.kelurahan.name if r.kelurahan else "",
            rt=r.rt,
            rw=r.rw,
            persons=r.persons,
            person_name=r.person_name,
            nik=r.nik,
            phone=r.phone,
            services=tuple(str(s) for s in r.services),
            needs_location_check=r.needs_location_check,
            detail_url=url_for(DETAIL_ENDPOINT, request_id=r.id) if has_detail else "",
        )
        for r in rows
    ]


def _routes(session: Session, office: models.Office, today: dt.date) -> list[RouteLine]:
    """Routes from today on, from the newest plan that is not superseded for each day."""
    rows = session.scalars(
        select(models.Route)
        .join(models.Plan)
        .where(
            models.Plan.office_id == office.id,
            models.Plan.status != models.PlanStatus.SUPERSEDED.value,
            models.Route.route_date >= today,
        )
        .options(
            selectinload(models.Route.stops).selectinload(models.Stop.request),
            selectinload(models.Route.team),
            selectinload(models.Route.plan),
        )
        .order_by(models.Route.route_date, models.Plan.created_at.desc(), models.Route.id)
    ).all()
    newest_plan: dict[dt.date, int] = {}
    for route in rows:
        newest_plan.setdefault(route.route_date, route.plan_id)
    team_order = {team.id: i for i, team in enumerate(office.teams)}
    depot = (office.depot_lon, office.depot_lat)
    return [
        _route_line(route, team_order.get(route.team_id, 0), depot)
        for route in rows
        if newest_plan[route.route_date] == route.plan_id
    ]


def _route_line(route: models.Route, team_index: int, depot: LonLat) -> RouteLine:
    path: list[LonLat] = [depot]
    stops: list[RouteStopPoint] = []
    for stop in route.stops:
        target = (float(stop.request.lon or depot[0]), float(stop.request.lat or depot[1]))
        leg = [(float(x), float(y)) for x, y in stop.leg_geometry] or [path[-1], target]
        path.extend(leg)
        stops.append(
            RouteStopPoint(
                sequence=stop.sequence,
                lon=target[0],
                lat=target[1],
                arrival=stop.arrival_at,
                tracking_code=stop.request.tracking_code,
            )
        )
    back = [(float(x), float(y)) for x, y in route.return_geometry] or [path[-1], depot]
    path.extend(back)
    return RouteLine(
        team_name=route.team.name,
        team_index=team_index,
        route_date=route.route_date,
        path=tuple(path),
        stops=tuple(stops),
        travel_time_s=route.travel_time_s,
        distance_m=route.distance_m,
    )
