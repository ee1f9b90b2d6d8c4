"""Plain frozen dataclasses that cross layers (geo -> planning -> render).

No flask and no database here: these are what domain functions take and return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

LonLat = tuple[float, float]


@dataclass(frozen=True)
class TravelMatrix:
    """Travel times and distances between N points, in the order given.

    Attributes
    ----------
    durations_s
        ``(N, N)`` int64 array of driving seconds (plus the walk from road to door).
    distances_m
        ``(N, N)`` int64 array of metres.
    fallback
        ``(N,)`` bool array: True where the point could not be placed on the road network and
        its times are great-circle distance x circuity at a set speed.
    method
        ``"road"`` when a road graph was used for at least some points, else ``"fallback"``.
    """

    durations_s: npt.NDArray[np.int64]
    distances_m: npt.NDArray[np.int64]
    fallback: npt.NDArray[np.bool_]
    method: str

    @property
    def size(self) -> int:
        """Number of points."""
        return int(self.durations_s.shape[0])


@dataclass(frozen=True)
class SnappedPoint:
    """A point placed on the road network."""

    lon: float
    lat: float
    node: int | None  # graph node the point is routed from; None when off the network
    walk_m: float  # straight-line distance from the point to the road
    walk_s: float  # that distance at walking speed
    fallback: bool  # True when the road network does not cover the point
    # Where the point meets the road: the directed edge (u, v, key) and the distance along it
    # from u, in metres (None / 0.0 when off the network).
    edge: tuple[int, int, int] | None = None
    edge_offset_m: float = 0.0


class TravelModel(Protocol):
    """What planning needs from geography: a matrix and the shape of each leg."""

    @property
    def has_roads(self) -> bool:
        """True when a road graph backs this model (False: great-circle fallback only)."""

    def matrix(self, points: Sequence[LonLat]) -> TravelMatrix:
        """Travel-time and distance matrix between ``points``."""

    def leg_geometry(self, origin: LonLat, destination: LonLat) -> list[LonLat]:
        """Coordinates ``[(lon, lat), ...]`` of the fastest path from origin to destination."""


@dataclass(frozen=True)
class AreaRef:
    """Where a point lies in the administrative hierarchy."""

    kelurahan_code: str | None
    kelurahan_name: str | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    # "inside" (one polygon), "overlap" (several: the one the point is deepest inside wins,
    # ties by lowest code; all listed in candidates), "nearest" (in a gap, nearest polygon
    # within tolerance), "outside" (not in the region)
    match: str = "inside"
    distance_m: float = 0.0
    candidates: tuple[str, ...] = field(default_factory=tuple)
