"""A static route map as inline SVG, for the printed route sheet.

Drawn from stored geometry only (no tiles, no network): the area's roads in light grey, the
route as a dark line (the drive back to the office dashed), numbered stop circles and the office
as a black square with a "K". Everything reads in black and white: nothing is told by colour.

The projection is equirectangular with longitudes scaled by ``cos(lat)``: at city scale the
error is far below what a printed map shows. Input is plain data, ``[lon, lat]`` pairs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

import shapely
from shapely.geometry import LineString, MultiLineString

from outreach.render.elements import OSM_CREDIT

__all__ = [
    "ROAD_STYLE",
    "Bounds",
    "MapStop",
    "RoadLine",
    "route_bounds",
    "route_map_svg",
]

LonLat = tuple[float, float]
Bounds = tuple[float, float, float, float]  # west, south, east, north

M_PER_DEG = 111_320.0
# Road classes of outreach.render.roads, drawn bottom to top: (grey, width in map units).
ROAD_STYLE: dict[str, tuple[str, float]] = {
    "layanan": ("#e2e2e2", 1.0),
    "lokal": ("#cfcfcf", 1.6),
    "sekunder": ("#bdbdbd", 3.2),
    "utama": ("#a8a8a8", 4.6),
}
WIDTH = 1000  # map units across; the page scales the SVG to its column width
MIN_SPAN_M = 800.0  # a route around the corner still shows its streets, not one house
MARGIN = 0.08  # of the span, on each side
ASPECT = (0.5, 0.8)  # height / width, clamped


@dataclass(frozen=True)
class RoadLine:
    """One road line of class ``kind`` (see :data:`ROAD_STYLE`), coordinates as ``(lon, lat)``."""

    kind: str
    coords: tuple[LonLat, ...]
    bounds: Bounds = field(init=False)

    def __post_init__(self) -> None:
        xs = [c[0] for c in self.coords] or [0.0]
        ys = [c[1] for c in self.coords] or [0.0]
        object.__setattr__(self, "bounds", (min(xs), min(ys), max(xs), max(ys)))


@dataclass(frozen=True)
class MapStop:
    """A numbered stop (``label`` is its sequence number)."""

    label: str
    lon: float
    lat: float


@dataclass(frozen=True)
class _Frame:
    """Projection from lon/lat to SVG units for one map."""

    west: float
    north: float
    kx: float  # units per degree of longitude
    ky: float  # units per degree of latitude
    width: float
    height: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.kx, (self.north - lat) * self.ky


def route_bounds(
    points: Iterable[Sequence[float]], *, min_span_m: float = MIN_SPAN_M, margin: float = MARGIN
) -> Bounds:
    """The area a route map shows: the points' box, at least ``min_span_m`` wide, plus a margin.

    Parameters
    ----------
    points
        ``[lon, lat]`` pairs (office, stops, every leg vertex).
    min_span_m
        Smallest width and height shown, in metres.
    margin
        Added on each side, as a fraction of the span.

    Returns
    -------
    Bounds
        ``(west, south, east, north)`` in degrees.
    """
    pts = [(float(p[0]), float(p[1])) for p in points]
    if not pts:
        msg = "a route map needs at least one point"
        raise ValueError(msg)
    west, east = min(p[0] for p in pts), max(p[0] for p in pts)
    south, north = min(p[1] for p in pts), max(p[1] for p in pts)
    coslat = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * coslat * M_PER_DEG, min_span_m)
    span_y = max((north - south) * M_PER_DEG, min_span_m)
    cx, cy = (west + east) / 2, (south + north) / 2
    half_x = span_x * (0.5 + margin) / (coslat * M_PER_DEG)
    half_y = span_y * (0.5 + margin) / M_PER_DEG
    return cx - half_x, cy - half_y, cx + half_x, cy + half_y


def route_map_svg(
    *,
    office: LonLat,
    stops: Sequence[MapStop],
    legs: Sequence[Sequence[Sequence[float]]],
    return_leg: Sequence[Sequence[float]] = (),
    roads: Iterable[RoadLine] = (),
    title: str = "Peta rute",
    returns: bool = True,
) -> str:
    """Draw a route as a standalone inline ``<svg>`` element.

    Parameters
    ----------
    office
        ``(lon, lat)`` of the office (start and end).
    stops
        The stops in visiting order. Stops at the same place share one circle ("3,4").
    legs
        Road geometry of the drive to each stop, ``[[lon, lat], ...]`` (``Stop.leg_geometry``);
        an empty leg (a straight-line estimate) is drawn straight from the previous point.
    return_leg
        The drive back to the office (``Route.return_geometry``), drawn dashed.
    roads
        The area's roads; only what falls inside the map is drawn.
    title
        Accessible title of the image.
    returns
        ``False`` for the first day of an overnight trip: the route ends at its last stop (no
        way back is drawn).

    Returns
    -------
    str
        An ``<svg>`` element with a ``viewBox`` (no XML declaration), scaled by its container.
    """
    drawn_legs = _legs(office, stops, legs, return_leg)
    if not returns:
        drawn_legs[-1] = []
    every = [office, *((s.lon, s.lat) for s in stops)]
    every += [(p[0], p[1]) for leg in drawn_legs for p in leg]
    frame = _frame(route_bounds(every))
    unit = frame.width / WIDTH
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width:.0f} '
        f'{frame.height:.0f}" class="route-map" role="img" aria-label="{escape(title)}" '
        f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{frame.width:.0f}" height="{frame.height:.0f}" fill="#fff"/>',
    ]
    out += _roads_svg(frame, roads)
    out += _route_svg(frame, drawn_legs, unit)
    out += _office_svg(frame, office, unit)
    out += _stops_svg(frame, stops, unit)
    out += _furniture_svg(frame, unit)
    out.append("</svg>")
    return "".join(out)


# --- pieces ----------------------------------------------------------------------------------


def _frame(bounds: Bounds) -> _Frame:
    west, south, east, north = bounds
    coslat = math.cos(math.radians((south + north) / 2))
    span_x = (east - west) * coslat
    span_y = north - south
    # Clamp the aspect ratio by widening the short side around the centre.
    lo, hi = ASPECT
    if span_y / span_x > hi:
        grow = (span_y / hi - span_x) / coslat / 2
        west, east = west - grow, east + grow
        span_x = span_y / hi
    elif span_y / span_x < lo:
        grow = (span_x * lo - span_y) / 2
        south, north = south - grow, north + grow
        span_y = span_x * lo
    k = WIDTH / span_x
    return _Frame(
        west=west, north=north, kx=k * coslat, ky=k, width=WIDTH, height=round(span_y * k)
    )


def _legs(
    office: LonLat,
    stops: Sequence[MapStop],
    legs: Sequence[Sequence[Sequence[float]]],
    return_leg: Sequence[Sequence[float]],
) -> list[list[LonLat]]:
    """Every drive as a list of points; the last one is the way back (may be empty)."""
    out: list[list[LonLat]] = []
    here = office
    for i, stop in enumerate(stops):
        leg = [(float(p[0]), float(p[1])) for p in (legs[i] if i < len(legs) else ())]
        out.append(leg if len(leg) >= 2 else [here, (stop.lon, stop.lat)])
        here = (stop.lon, stop.lat)
    back = [(float(p[0]), float(p[1])) for p in return_leg]
    if len(back) < 2 and stops:
        back = [here, office]
    out.append(back)
    return out


def _path(
    frame: _Frame, coords: Sequence[LonLat] | Sequence[tuple[float, ...]], *, decimals: int = 1
) -> str:
    """SVG path data of a line (repeated points dropped)."""
    bits: list[str] = []
    last = ""
    for i, c in enumerate(coords):
        x, y = frame.xy(c[0], c[1])
        p = f"{x:.{decimals}f} {y:.{decimals}f}"
        if p == last:
            continue
        bits.append(("M" if i == 0 else "L") + p)
        last = p
    return "".join(bits)


def _roads_svg(frame: _Frame, roads: Iterable[RoadLine]) -> list[str]:
    west = frame.west
    north = frame.north
    east = west + frame.width / frame.kx
    south = north - frame.height / frame.ky
    by_kind: dict[str, list[LineString]] = {}
    for road in roads:
        w, s, e, n = road.bounds
        if e < west or w > east or n < south or s > north or len(road.coords) < 2:
            continue
        by_kind.setdefault(road.kind, []).append(LineString(road.coords))
    # A map unit is about 0.2 mm on paper: finer detail than that is dropped, and roads are
    # drawn in whole units (small paths keep the PDF small and quick to render).
    tolerance = 1.0 / frame.ky
    shortest = 4.0 / frame.ky
    out: list[str] = []
    order = list(ROAD_STYLE) + sorted(set(by_kind) - set(ROAD_STYLE))
    for kind in order:
        if kind not in by_kind:
            continue
        grey, width = ROAD_STYLE.get(kind, ROAD_STYLE["layanan"])
        clipped = shapely.clip_by_rect(MultiLineString(by_kind[kind]), west, south, east, north)
        simple = shapely.simplify(clipped, tolerance, preserve_topology=False)
        parts = [g for g in getattr(simple, "geoms", [simple]) if isinstance(g, LineString)]
        d = "".join(
            _path(frame, list(g.coords), decimals=0)
            for g in parts
            if len(g.coords) >= 2 and g.length >= shortest
        )
        if d:
            out.append(
                f'<path d="{d}" fill="none" stroke="{grey}" stroke-width="{width:.1f}" '
                'stroke-linecap="round" stroke-linejoin="round"/>'
            )
    return out


def _route_svg(frame: _Frame, legs: list[list[LonLat]], unit: float) -> list[str]:
    out: list[str] = []
    outward = "".join(_path(frame, leg) for leg in legs[:-1] if len(leg) >= 2)
    back = _path(frame, legs[-1]) if len(legs[-1]) >= 2 else ""
    casing = f'fill="none" stroke="#fff" stroke-width="{8 * unit:.1f}" stroke-linejoin="round"'
    line = (
        f'fill="none" stroke="#111" stroke-width="{3.6 * unit:.1f}" '
        'stroke-linecap="round" stroke-linejoin="round"'
    )
    for d in (back, outward):
        if d:
            out.append(f'<path d="{d}" {casing}/>')
    if back:
        dash = f"{10 * unit:.0f} {7 * unit:.0f}"
        out.append(f'<path d="{back}" {line} stroke-dasharray="{dash}"/>')
    if outward:
        out.append(f'<path d="{outward}" {line}/>')
    # One arrowhead halfway along each drive: the direction without colour.
    for leg in legs:
        arrow = _arrow(frame, leg, unit)
        if arrow:
            out.append(arrow)
    return out


def _arrow(frame: _Frame, leg: Sequence[LonLat], unit: float) -> str:
    pts = [frame.xy(*p) for p in leg]
    seg = [math.dist(a, b) for a, b in itertools.pairwise(pts)]
    total = sum(seg)
    if total < 60 * unit:
        return ""
    half = total / 2
    for (a, b), length in zip(itertools.pairwise(pts), seg, strict=True):
        if half <= length and length > 0:
            t = half / length
            x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
            angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
            s = 7 * unit
            return (
                f'<path d="M{-s:.1f} {-s:.1f}L{s:.1f} 0L{-s:.1f} {s:.1f}z" fill="#111" '
                f'stroke="#fff" stroke-width="{1.2 * unit:.1f}" '
                f'transform="translate({x:.1f} {y:.1f}) rotate({angle:.0f})"/>'
            )
        half -= length
    return ""


def _office_svg(frame: _Frame, office: LonLat, unit: float) -> list[str]:
    x, y = frame.xy(*office)
    s = 13 * unit
    return [
        f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" '
        f'fill="#000" stroke="#fff" stroke-width="{2 * unit:.1f}"/>',
        f'<text x="{x:.1f}" y="{y + 6 * unit:.1f}" text-anchor="middle" font-size="'
        f'{17 * unit:.1f}" font-weight="bold" fill="#fff">K</text>',
    ]


def _stops_svg(frame: _Frame, stops: Sequence[MapStop], unit: float) -> list[str]:
    # Stops closer than a circle's width share one circle: "3,4".
    groups: list[tuple[float, float, list[str]]] = []
    for stop in stops:
        x, y = frame.xy(stop.lon, stop.lat)
        for gx, gy, labels in groups:
            if math.dist((x, y), (gx, gy)) < 10 * unit:
                labels.append(stop.label)
                break
        else:
            groups.append((x, y, [stop.label]))
    out: list[str] = []
    for x, y, labels in groups:
        text = ",".join(labels)
        size = 16 * unit
        half_w = max(14 * unit, len(text) * size * 0.32 + 7 * unit)
        r = 14 * unit
        if len(text) <= 2:
            shape = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#fff" stroke="#000" '
                f'stroke-width="{2.6 * unit:.1f}"/>'
            )
        else:
            shape = (
                f'<rect x="{x - half_w:.1f}" y="{y - r:.1f}" width="{2 * half_w:.1f}" '
                f'height="{2 * r:.1f}" rx="{r:.1f}" fill="#fff" stroke="#000" '
                f'stroke-width="{2.6 * unit:.1f}"/>'
            )
        out.append(
            f'<g class="stop">{shape}<text x="{x:.1f}" y="{y + size * 0.36:.1f}" '
            f'text-anchor="middle" font-size="{size:.1f}" font-weight="bold" fill="#000">'
            f"{escape(text)}</text></g>"
        )
    return out


def _furniture_svg(frame: _Frame, unit: float) -> list[str]:
    """Scale bar (bottom left), north arrow (top right), OpenStreetMap credit (bottom right).

    Each sits on a white plate so it reads over the roads (no stroke halos: not every SVG
    renderer knows ``paint-order``).
    """
    m_per_unit = M_PER_DEG / frame.ky
    target = 160 * unit * m_per_unit
    nice = max(
        (n for n in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000) if n <= target), default=50
    )
    bar = nice / m_per_unit
    x0, y0 = 16 * unit, frame.height - 14 * unit
    label = f"{nice // 1000} km" if nice >= 1000 and nice % 1000 == 0 else f"{nice} m"
    font = f'font-size="{14 * unit:.1f}" fill="#000"'
    nx, ny = frame.width - 26 * unit, 12 * unit
    credit_size = 11 * unit
    credit_w = len(OSM_CREDIT) * credit_size * 0.55
    return [
        f'<rect x="{x0 - 8 * unit:.1f}" y="{y0 - 26 * unit:.1f}" width="{bar + 16 * unit:.1f}" '
        f'height="{34 * unit:.1f}" fill="#fff" stroke="#000" stroke-width="{0.8 * unit:.1f}"/>',
        f'<path d="M{x0:.1f} {y0 - 7 * unit:.1f}V{y0:.1f}H{x0 + bar:.1f}V{y0 - 7 * unit:.1f}" '
        f'fill="none" stroke="#000" stroke-width="{2 * unit:.1f}"/>',
        f'<text x="{x0 + bar / 2:.1f}" y="{y0 - 10 * unit:.1f}" text-anchor="middle" {font}>'
        f"{label}</text>",
        f'<rect x="{nx - 16 * unit:.1f}" y="{ny - 6 * unit:.1f}" width="{32 * unit:.1f}" '
        f'height="{52 * unit:.1f}" fill="#fff" stroke="#000" stroke-width="{0.8 * unit:.1f}"/>',
        f'<path d="M{nx:.1f} {ny:.1f}l{8 * unit:.1f} {22 * unit:.1f}l{-8 * unit:.1f} '
        f'{-6 * unit:.1f}l{-8 * unit:.1f} {6 * unit:.1f}z" fill="#000"/>',
        f'<text x="{nx:.1f}" y="{ny + 40 * unit:.1f}" text-anchor="middle" {font} '
        f'font-weight="bold">U</text>',
        f'<rect x="{frame.width - credit_w - 10 * unit:.1f}" '
        f'y="{frame.height - credit_size - 8 * unit:.1f}" width="{credit_w + 10 * unit:.1f}" '
        f'height="{credit_size + 8 * unit:.1f}" fill="#fff"/>',
        f'<text x="{frame.width - 5 * unit:.1f}" y="{frame.height - 5 * unit:.1f}" '
        f'text-anchor="end" font-size="{credit_size:.1f}" fill="#000">'
        f"{escape(OSM_CREDIT)}</text>",
    ]
