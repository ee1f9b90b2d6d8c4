"""Plain map data from the database for :mod:`outreach.render.maps` (home and plan pages).

Each helper reads rows and returns the frozen dataclasses of :mod:`outreach.render.mapdata`;
they live in the web layer because they build URLs (``url_for``) for links and assets.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from flask import abort, current_app, url_for
from flask_login import current_user
from shapely import wkt
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.render.mapdata import (
    AreaShape,
    LonLat,
    MapAssets,
    MapView,
    RequestPoint,
    RouteLine,
    RouteStopPoint,
)
from outreach.render.roads import RoadGeoJsonFiles, cached_road_geojson

# Requests still waiting for a visit: the ones a map is about.
ACTIVE_STATUSES = ("baru", "terverifikasi", "terjadwal", "gagal")
# Outlines are drawn at city zoom: 5 m of simplification is invisible and halves the page.
AREA_SIMPLIFY_DEG = 0.00005
DETAIL_ENDPOINT = "coordinator.detail"


def file_sha256(path: Path) -> str:
    """SHA-256 of a road file (keys the cached road layer)."""
    # Imported here (as below): outreach.geo pulls in osmnx, which only these need.
    from outreach.geo.roads import file_sha256

    return file_sha256(path)


def road_graph(pack_dir: str, cache_dir: Path) -> Any:
    """The region's graph as imported (same boundary, so the import's graph cache is hit)."""
    from outreach.geo.packs import find_pack
    from outreach.geo.roads import load_road_graph

    pack = find_pack(pack_dir, search_dirs=[])
    if pack.roads_file is None:
        abort(404)
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def office_region(session: Session, office: models.Office | None) -> models.RegionImport | None:
    """The imported region pack of the office (None without an office or an import)."""
    if office is None:
        return None
    return session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == office.region_slug)
    )


def office_today(office: models.Office) -> dt.date:
    """Today in the office's time zone (the server may run in UTC)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(office.timezone)).date()


def map_assets(region: models.RegionImport) -> MapAssets:
    """Local Leaflet URLs, the road layer URL (when the region has roads) and tiles."""
    tiles = str(current_app.config.get("MAP_TILES") or "none")
    has_roads = bool(region.roads_file) and Path(region.roads_file or "").is_file()
    return MapAssets(
        leaflet_js=url_for("assets.vendor", name="leaflet", filename="leaflet.js"),
        leaflet_css=url_for("assets.vendor", name="leaflet", filename="leaflet.css"),
        roads_url=url_for("main.roads_geojson") if has_roads else None,
        tiles_url=None if tiles.lower() == "none" else tiles,
    )


def map_view(office: models.Office, region: models.RegionImport) -> MapView:
    """Centre on the office, fit the region bounds."""
    west, south, east, north = wkt.loads(region.boundary_wkt).bounds
    return MapView(
        center=(office.depot_lon, office.depot_lat),
        bounds=((west, south), (east, north)),
        depot=(office.depot_lon, office.depot_lat),
        depot_label=office.name,
    )


def open_counts(session: Session, office_id: int) -> dict[int, int]:
    """Open requests per kelurahan id."""
    rows = session.execute(
        select(models.ServiceRequest.kelurahan_id, func.count())
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.status.in_(ACTIVE_STATUSES),
        )
        .group_by(models.ServiceRequest.kelurahan_id)
    )
    return {kel_id: count for kel_id, count in rows if kel_id is not None}


def area_shapes(session: Session, region_slug: str, counts: dict[int, int]) -> list[AreaShape]:
    """Kelurahan outlines (simplified, rounded) with their request counts."""
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


def route_line(route: models.Route, team_index: int, depot: LonLat) -> RouteLine:
    """A stored route as a line along the road geometry of its legs, with numbered stops."""
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
                stop_id=stop.id,
                outcome=stop.outcome.outcome if stop.outcome is not None else None,
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
        team_id=route.team_id,
    )


def road_layer_files(region: models.RegionImport, cache_dir: Path) -> RoadGeoJsonFiles | None:
    """The region's road layer as cached GeoJSON files (built on first use), or None.

    None when the region has no road file (a pack without roads, or a moved file). Shared by
    the home map's offline base layer and the maps on route sheets.
    """
    if not region.roads_file or not Path(region.roads_file).is_file():
        return None
    return cached_road_geojson(
        cache_dir=cache_dir,
        key=f"{region.slug}-{file_sha256(Path(region.roads_file))[:20]}",
        load_graph=lambda: road_graph(region.source_dir, cache_dir),
    )


# --- the coordinator's home map: data fetched by static/staff-map.js ---

# Days of approved routes the home map offers when no day is asked for.
ROUTE_DAYS = 5
# Area outlines per (region slug, import time): the same for every request of a process.
_AREA_CACHE: dict[tuple[str, str], tuple[list[AreaShape], list[tuple[str, dict[str, Any]]]]] = {}


def home_request_points(session: Session, office_id: int) -> list[RequestPoint]:
    """Open requests with a point, read column by column (thousands, no ORM objects)."""
    rows = session.execute(
        select(
            models.ServiceRequest.id,
            models.ServiceRequest.tracking_code,
            models.ServiceRequest.category,
            models.ServiceRequest.status,
            models.ServiceRequest.lon,
            models.ServiceRequest.lat,
            models.ServiceRequest.rw,
            models.ServiceRequest.persons,
            models.ServiceRequest.person_name,
            models.ServiceRequest.location_source,
            models.ServiceRequest.location_confirmed,
            models.Kelurahan.name,
            models.Kecamatan.name,
        )
        .outerjoin(models.Kelurahan, models.Kelurahan.id == models.ServiceRequest.kelurahan_id)
        .outerjoin(models.Kecamatan, models.Kecamatan.id == models.Kelurahan.kecamatan_id)
        .where(
            models.ServiceRequest.office_id == office_id,
            models.ServiceRequest.status.in_(ACTIVE_STATUSES),
            models.ServiceRequest.lon.is_not(None),
            models.ServiceRequest.lat.is_not(None),
        )
        .order_by(models.ServiceRequest.id)
    )
    return [
        RequestPoint(
            request_id=rid,
            tracking_code=code,
            category=category,
            status=status,
            lon=float(lon or 0.0),
            lat=float(lat or 0.0),
            rw=rw or "",
            persons=persons,
            person_name=name or "",
            needs_location_check=_needs_check(source, confirmed),
            kelurahan=kel or "",
            kecamatan=kec or "",
        )
        for (
            rid,
            code,
            category,
            status,
            lon,
            lat,
            rw,
            persons,
            name,
            source,
            confirmed,
            kel,
            kec,
        ) in rows
    ]


def _needs_check(source: str | None, confirmed: bool | None) -> bool:
    """As ``ServiceRequest.needs_location_check``, from the two columns."""
    return not confirmed and source in {
        models.LocationSource.KELURAHAN.value,
        models.LocationSource.NONE.value,
    }


def approved_route_lines(
    session: Session, office: models.Office, *, today: dt.date, day: dt.date | None = None
) -> list[RouteLine]:
    """Approved routes of ``day``, or of the first :data:`ROUTE_DAYS` route days from today."""
    from outreach.planning.records import route_is_approved

    stmt = (
        select(models.Route)
        .join(models.Plan)
        .where(models.Plan.office_id == office.id, route_is_approved())
        .options(
            selectinload(models.Route.stops).selectinload(models.Stop.request),
            selectinload(models.Route.stops).selectinload(models.Stop.outcome),
            selectinload(models.Route.team),
        )
        .order_by(models.Route.route_date, models.Route.id)
    )
    if day is not None:
        stmt = stmt.where(models.Route.route_date == day)
    else:
        days = session.scalars(
            select(models.Route.route_date)
            .join(models.Plan)
            .where(
                models.Plan.office_id == office.id,
                route_is_approved(),
                models.Route.route_date >= today,
            )
            .distinct()
            .order_by(models.Route.route_date)
            .limit(ROUTE_DAYS)
        ).all()
        stmt = stmt.where(models.Route.route_date.in_(days))
    team_order = {team.id: i for i, team in enumerate(office.teams)}
    depot = (office.depot_lon, office.depot_lat)
    return [
        route_line(route, team_order.get(route.team_id, 0), depot)
        for route in session.scalars(stmt)
    ]


def home_areas(
    session: Session, region: models.RegionImport, counts: dict[int, int]
) -> tuple[list[AreaShape], list[tuple[str, dict[str, Any]]]]:
    """Kelurahan outlines with open counts, and kecamatan outlines (outlines cached)."""
    key = (region.slug, region.imported_at.isoformat())
    if key not in _AREA_CACHE:
        kel_rows = session.scalars(
            select(models.Kelurahan)
            .where(models.Kelurahan.region_slug == region.slug)
            .options(selectinload(models.Kelurahan.kecamatan))
            .order_by(models.Kelurahan.code)
        )
        kelurahan = [
            AreaShape(
                code=str(row.id),  # the id: counts are per kelurahan id
                name=row.name,
                kecamatan=row.kecamatan.name,
                geometry=_rounded(mapping(wkt.loads(row.geometry_wkt).simplify(AREA_SIMPLIFY_DEG))),
            )
            for row in kel_rows
        ]
        kecamatan = [
            (row.name, _rounded(mapping(wkt.loads(row.geometry_wkt).simplify(AREA_SIMPLIFY_DEG))))
            for row in session.scalars(
                select(models.Kecamatan)
                .where(models.Kecamatan.region_slug == region.slug)
                .order_by(models.Kecamatan.code)
            )
        ]
        _AREA_CACHE[key] = (kelurahan, kecamatan)
    kelurahan, kecamatan = _AREA_CACHE[key]
    return [
        AreaShape(
            code=a.code,
            name=a.name,
            kecamatan=a.kecamatan,
            geometry=a.geometry,
            count=counts.get(int(a.code), 0),
        )
        for a in kelurahan
    ], kecamatan


def home_map_urls() -> dict[str, str]:
    """URLs the home map script fetches and links to."""
    from outreach.web.permissions import may_open

    # Popups link to the request page only for those who may open it (not the head of office).
    detail = (
        url_for(DETAIL_ENDPOINT, request_id=0)[:-1] + "{id}"
        if DETAIL_ENDPOINT in current_app.view_functions and may_open(current_user, DETAIL_ENDPOINT)
        else ""
    )
    return {
        "requestsUrl": url_for("main.requests_geojson"),
        "routesUrl": url_for("main.routes_geojson"),
        "areasUrl": url_for("main.areas_geojson"),
        "detailUrl": detail,
    }
