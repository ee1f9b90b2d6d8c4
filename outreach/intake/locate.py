"""Where a request is: a point tapped on the map, the browser's GPS, or the kelurahan's point.

Geography itself (point in polygon) is :mod:`outreach.geo.locate`; this module only decides
which point a request gets and what a coordinator must check about it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from outreach.domain import AreaRef
from outreach.errors import IntakeError
from outreach.intake.areas import KelurahanOption
from outreach.models import LocationSource

FLAG_LOCATION_UNCONFIRMED = "lokasi_perlu_konfirmasi"
FLAG_KELURAHAN_MISMATCH = "kelurahan_tidak_sesuai_peta"


class AreaLookup(Protocol):
    """What intake needs from :class:`outreach.geo.locate.AreaIndex`."""

    def locate(self, lon: float, lat: float) -> AreaRef:
        """Kelurahan and kecamatan of a point."""

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies in the office's area."""


def area_lookup(session: Session, region_slug: str) -> AreaLookup:
    """The point-in-area index of a region (built by :mod:`outreach.geo`)."""
    from outreach.geo.locate import AreaIndex

    index: AreaLookup = AreaIndex.from_session(session, region_slug)
    return index


@dataclass(frozen=True)
class Location:
    """The point a request gets and how it was obtained."""

    lon: float
    lat: float
    source: str  # a LocationSource value
    area: AreaRef | None = None  # where the point lies (None for the kelurahan's own point)
    flags: tuple[str, ...] = field(default_factory=tuple)


def decimal_point(text: str) -> str:
    """One coordinate as typed with a decimal comma (``110,3905``) written with a point."""
    text = text.strip()
    if text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


def _degrees(text: str, *, decimal_comma: bool) -> float:
    """One coordinate as typed; ``110,3905`` reads as 110.3905 when ``decimal_comma``."""
    text = decimal_point(text) if decimal_comma else text.strip()
    if len(text) > 40:  # no coordinate needs more; keeps float() away from megabyte strings
        raise ValueError(text[:40])
    return float(text)


def parse_point(
    lon_text: str, lat_text: str, *, decimal_comma: bool = False
) -> tuple[float, float] | None:
    """Read a point from two form fields; None when both are empty.

    Parameters
    ----------
    lon_text, lat_text
        Degrees as typed (EPSG:4326).
    decimal_comma
        Accept a decimal comma (``110,3905``), as staff type coordinates copied from an
        Indonesian spreadsheet or phone; the map's own fields always use a point.

    Raises
    ------
    IntakeError
        When only one is given, or they are not finite coordinates in range
        (NaN, ``inf``, a longitude beyond 180 or a latitude beyond 90).
    """
    lon_text, lat_text = lon_text.strip(), lat_text.strip()
    if not lon_text and not lat_text:
        return None
    msg = "Titik lokasi tidak terbaca. Ketuk ulang peta."
    try:
        lon = _degrees(lon_text, decimal_comma=decimal_comma)
        lat = _degrees(lat_text, decimal_comma=decimal_comma)
    except ValueError as exc:
        raise IntakeError(msg) from exc
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise IntakeError(msg)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = "Titik lokasi di luar jangkauan: bujur -180 sampai 180, lintang -90 sampai 90."
        raise IntakeError(msg)
    return lon, lat


def point_or_none(
    lon_text: str, lat_text: str, *, decimal_comma: bool = True
) -> tuple[float, float] | None:
    """:func:`parse_point`, or None for anything unreadable (to centre a map on a re-render)."""
    try:
        return parse_point(lon_text, lat_text, decimal_comma=decimal_comma)
    except IntakeError:
        return None


def resolve_location(
    point: tuple[float, float] | None,
    *,
    source: str,
    kelurahan: KelurahanOption | None,
    lookup: AreaLookup,
) -> Location:
    """Decide a request's point.

    Parameters
    ----------
    point
        ``(lon, lat)`` tapped or from GPS, or None.
    source
        ``"gps"`` when the browser's geolocation gave the point; anything else means a map tap.
    kelurahan
        The kelurahan chosen in the address (its point is the fallback).
    lookup
        Point-in-area index of the office's region.

    Returns
    -------
    Location
        With flag ``lokasi_perlu_konfirmasi`` when the kelurahan's point stands in, and
        ``kelurahan_tidak_sesuai_peta`` when the point lies in another kelurahan than chosen.

    Raises
    ------
    IntakeError
        When the point lies outside the office's area, or there is neither a point nor a
        kelurahan.
    """
    if point is None:
        if kelurahan is None:
            msg = "Pilih kelurahan atau tandai lokasi di peta."
            raise IntakeError(msg)
        return Location(
            lon=kelurahan.rep_lon,
            lat=kelurahan.rep_lat,
            source=LocationSource.KELURAHAN.value,
            flags=(FLAG_LOCATION_UNCONFIRMED,),
        )
    lon, lat = point
    if not lookup.contains(lon, lat):
        msg = "Titik di peta berada di luar wilayah layanan kantor ini. Periksa kembali lokasinya."
        raise IntakeError(msg)
    area = lookup.locate(lon, lat)
    flags: tuple[str, ...] = ()
    if kelurahan is not None and area.kelurahan_code and area.kelurahan_code != kelurahan.code:
        flags = (FLAG_KELURAHAN_MISMATCH,)
    kind = LocationSource.GPS if source == LocationSource.GPS.value else LocationSource.MAP
    return Location(lon=lon, lat=lat, source=kind.value, area=area, flags=flags)
