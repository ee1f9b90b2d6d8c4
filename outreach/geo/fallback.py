"""Great-circle travel estimates: the model for regions without roads, and for off-road points.

Travel distance is the great-circle distance times a circuity factor (roads are not straight:
1.2-1.4 in cities, per Ballou et al. 2002 and Boeing 2019), and travel time is that distance at
a set average speed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from outreach.domain import CAR, MOTOR, LonLat, SnappedPoint, TravelMatrix

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
# Average door-to-door speed of a car in an Indonesian kota, stops and traffic included.
FALLBACK_SPEED_KMH = 25.0
# The same for a motorbike (travel profile "motor"): quicker through city traffic.
MOTORBIKE_FALLBACK_SPEED_KMH = 30.0
CIRCUITY = 1.35

FloatArray = npt.NDArray[np.float64]


def great_circle_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Haversine distance in metres, broadcast over array arguments (degrees in)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


def as_lonlat_array(points: Sequence[LonLat]) -> FloatArray:
    """Return ``points`` as an ``(N, 2)`` float array, checking they are lon/lat degrees.

    Raises
    ------
    ValueError
        A coordinate is not finite or out of range (a caller bug: intake validates points).
    """
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    lon, lat = arr[:, 0], arr[:, 1]
    if not (np.isfinite(arr).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        msg = "points must be finite (lon, lat) pairs in degrees"
        raise ValueError(msg)
    return arr


class FallbackNetwork:
    """Travel model without roads: great-circle distance x circuity at a set speed.

    Parameters
    ----------
    speed_kmh
        Average door-to-door speed (default 25 km/h: urban traffic in a kota).
    circuity
        Road distance over straight-line distance (default 1.35).
    """

    method = "fallback"

    def __init__(self, *, speed_kmh: float = FALLBACK_SPEED_KMH, circuity: float = CIRCUITY):
        if speed_kmh <= 0 or circuity < 1:
            msg = "speed_kmh must be > 0 and circuity >= 1"
            raise ValueError(msg)
        self.speed_kmh = float(speed_kmh)
        self.circuity = float(circuity)

    def __repr__(self) -> str:
        return f"FallbackNetwork(speed_kmh={self.speed_kmh:g}, circuity={self.circuity:g})"

    @property
    def has_roads(self) -> bool:
        """Always False: no road graph backs this model."""
        return False

    def snap(self, lon: float, lat: float) -> SnappedPoint:
        """Return the point itself, marked as off the network."""
        return SnappedPoint(lon=lon, lat=lat, node=None, walk_m=0.0, walk_s=0.0, fallback=True)

    def pair_estimates(
        self, origins: FloatArray, destinations: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Return ``(travel_time_s, distance_m)`` for every origin x destination.

        Parameters
        ----------
        origins, destinations
            ``(N, 2)`` and ``(M, 2)`` lon/lat arrays.

        Returns
        -------
        tuple of ndarray
            Two ``(N, M)`` float arrays.
        """
        distance_m = self.circuity * great_circle_m(
            origins[:, None, 0],
            origins[:, None, 1],
            destinations[None, :, 0],
            destinations[None, :, 1],
        )
        return distance_m / (self.speed_kmh / 3.6), distance_m

    def matrix(self, points: Sequence[LonLat]) -> TravelMatrix:
        """Great-circle travel-time and distance matrix between ``points`` (all fallback)."""
        arr = as_lonlat_array(points)
        travel_time_s, distance_m = self.pair_estimates(arr, arr)
        return TravelMatrix(
            durations_s=np.rint(travel_time_s).astype(np.int64),
            distances_m=np.rint(distance_m).astype(np.int64),
            fallback=np.ones(len(arr), dtype=bool),
            method="fallback",
        )

    def for_profile(self, profile: str) -> FallbackNetwork:
        """The model for ``"car"`` (itself); for ``"motor"`` the same at motorbike speed.

        The motorbike speed is this model's speed scaled by
        ``MOTORBIKE_FALLBACK_SPEED_KMH / FALLBACK_SPEED_KMH``. Raises ``ValueError`` for an
        unknown profile.
        """
        if profile == CAR:
            return self
        if profile == MOTOR:
            ratio = MOTORBIKE_FALLBACK_SPEED_KMH / FALLBACK_SPEED_KMH
            return FallbackNetwork(speed_kmh=self.speed_kmh * ratio, circuity=self.circuity)
        msg = f"unknown travel profile {profile!r}"
        raise ValueError(msg)

    def leg_geometry(self, origin: LonLat, destination: LonLat, profile: str = CAR) -> list[LonLat]:
        """A straight line from origin to destination (whatever the ``profile``)."""
        return [
            (float(origin[0]), float(origin[1])),
            (float(destination[0]), float(destination[1])),
        ]
