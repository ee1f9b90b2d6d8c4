"""Plain data the map functions take: built by the caller from database rows.

Personal data enters only as the whole values the caller already holds; the map functions mask
NIK and phone numbers themselves (``outreach.privacy``), so no map can show them whole
whatever the caller passes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

LonLat = tuple[float, float]


@dataclass(frozen=True)
class MapAssets:
    """Where the browser fetches what a map needs; all local to the app except the tiles.

    Attributes
    ----------
    leaflet_js, leaflet_css
        URLs of Leaflet served by the app (XStatic package), never a CDN.
    roads_url
        URL of the road network as GeoJSON (the offline base layer); None: no road layer.
    tiles_url
        Tile URL template (``https://.../{z}/{x}/{y}.png``); None: no tile server, the road
        layer is the base layer from the start.
    """

    leaflet_js: str
    leaflet_css: str
    roads_url: str | None = None
    tiles_url: str | None = None


@dataclass(frozen=True)
class AreaShape:
    """A kelurahan (or desa) outline with the number of requests in it.

    ``geometry`` is a GeoJSON geometry mapping in EPSG:4326 (lon, lat).
    """

    code: str
    name: str
    kecamatan: str
    geometry: dict[str, Any]
    count: int = 0


@dataclass(frozen=True)
class RequestPoint:
    """One request as a marker. ``nik`` and ``phone`` are masked by the map, never shown whole."""

    tracking_code: str
    category: str
    status: str
    lon: float
    lat: float
    kelurahan: str = ""
    rt: str = ""
    rw: str = ""
    persons: int = 1
    person_name: str = ""
    nik: str | None = None
    phone: str | None = None
    services: tuple[str, ...] = ()
    needs_location_check: bool = False
    detail_url: str = ""  # the request's page for staff ("" for none)
    request_id: int | None = None
    kecamatan: str = ""


@dataclass(frozen=True)
class RouteStopPoint:
    """A stop on a route, in visiting order."""

    sequence: int
    lon: float
    lat: float
    arrival: dt.datetime
    tracking_code: str
    stop_id: int | None = None
    outcome: str | None = None  # an Outcome value once the visit is recorded


@dataclass(frozen=True)
class RouteLine:
    """One team's route on one day: the road path and its stops.

    ``path`` runs from the office through every stop and back, as ``(lon, lat)`` pairs.
    ``team_index`` picks the team's colour, so a team keeps its colour on every day.
    """

    team_name: str
    team_index: int
    route_date: dt.date
    path: tuple[LonLat, ...]
    stops: tuple[RouteStopPoint, ...] = ()
    travel_time_s: int = 0
    distance_m: int = 0
    team_id: int | None = None


@dataclass(frozen=True)
class MapView:
    """Where the map opens: the depot (or region centre) and the bounds to fit."""

    center: LonLat
    bounds: tuple[LonLat, LonLat] | None = None  # (south-west, north-east) as (lon, lat)
    depot: LonLat | None = None
    depot_label: str = "Kantor Disdukcapil"
