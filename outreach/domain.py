"""Plain frozen dataclasses that cross layers (geo -> planning -> render).

No flask and no database here: these are what domain functions take and return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

LonLat = tuple[float, float]

# How a team travels. "car" is the default everywhere; "motor" is a team on motorbikes (its own
# speeds by road type, no toll roads: outreach.geo.roads.MOTORBIKE_SPEEDS_KMH).
CAR = "car"
MOTOR = "motor"
TRAVEL_PROFILES: tuple[str, ...] = (CAR, MOTOR)


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
    profiles
        The same points' matrices for other travel profiles (``{"motor": TravelMatrix}``);
        this matrix itself is the ``"car"`` one. Empty when every team drives a car.
    source
        The road data the times come from (``"OSM 2024-03-29"``, ``"RBI jalan_rbi.shp"``);
        ``""`` for the great-circle fallback.
    """

    durations_s: npt.NDArray[np.int64]
    distances_m: npt.NDArray[np.int64]
    fallback: npt.NDArray[np.bool_]
    method: str
    profiles: Mapping[str, TravelMatrix] = field(default_factory=dict)
    source: str = ""

    def for_profile(self, profile: str) -> TravelMatrix:
        """The matrix of travel profile ``profile`` (``"car"``: this one).

        Raises
        ------
        KeyError
            The matrix was built without that profile (a programming error: build it with
            :func:`outreach.planning.problem.travel_matrix` for the teams planned).
        """
        if profile == CAR:
            return self
        try:
            return self.profiles[profile]
        except KeyError:
            msg = f"no {profile!r} travel times in this matrix (built for {sorted(self.profiles)})"
            raise KeyError(msg) from None

    def take(self, rows: npt.NDArray[np.intp]) -> TravelMatrix:
        """The sub-matrix over ``rows`` (in that order), every profile alike."""
        grid = np.ix_(rows, rows)
        return TravelMatrix(
            durations_s=self.durations_s[grid],
            distances_m=self.distances_m[grid],
            fallback=self.fallback[rows] if self.fallback.ndim == 1 else self.fallback[grid],
            method=self.method,
            profiles={p: m.take(rows) for p, m in self.profiles.items()},
            source=self.source,
        )

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

    def leg_geometry(self, origin: LonLat, destination: LonLat, profile: str = CAR) -> list[LonLat]:
        """Coordinates ``[(lon, lat), ...]`` of the fastest path from origin to destination.

        ``profile`` is how the team travels (``"car"``, ``"motor"``).
        """

    def for_profile(self, profile: str) -> TravelModel:
        """The model of travel profile ``profile`` (``"car"``: this one; see TRAVEL_PROFILES).

        Raises ``ValueError`` for a profile it does not know.
        """


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


# --- planning: what the planner takes (sites, teams, rules) and returns (routes, reasons) ---
# Times of day are whole seconds after local midnight (``*_s``); a plan's days are dates.


@dataclass(frozen=True)
class TimeWindow:
    """A span of one day, in seconds after local midnight (``start_s <= end_s``)."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class Availability:
    """When a resident can be visited: ``window`` on the given weekdays (0 = Monday)."""

    weekdays: frozenset[int]
    window: TimeWindow


@dataclass(frozen=True)
class Site:
    """One request to visit, as the planner sees it (no names, NIK or phone numbers).

    Attributes
    ----------
    id
        Unique in a problem: the request's id, or for one part of a big collective visit a
        synthetic id (``outreach.planning.split.part_site_id``).
    lon, lat
        Where to go; ``None`` when the request has no location yet (it is then left out).
    service_s
        Time at the door: setup plus minutes per person (see ``outreach.planning.priority``).
    persons
        People served at this visit (1 at home, 10-40 at a collective visit).
    cards
        e-KTP cards this visit sends to the printer (counted against the office's daily
        card capacity).
    needs
        Services and traits the visiting team must all have (a union over the persons).
    availability
        When someone is at home; empty means any time within the shift.
    priority
        0-100, higher is more urgent (category, waiting time and deadline folded in).
    request_id
        The request this site serves (``None``: ``id`` is the request's id).
    part, parts
        This site is part ``part`` of ``parts`` of its request (``1`` of ``1``: not split).
        A collective visit too big for one visit is split into parts at the same point,
        each with its own persons, service time and cards (``outreach.planning.split``).
    """

    id: int
    lon: float | None
    lat: float | None
    service_s: int
    persons: int = 1
    cards: int = 0
    needs: frozenset[str] = frozenset()
    availability: tuple[Availability, ...] = ()
    category: str = "lainnya"
    priority: int = 0
    deadline: dt.date | None = None
    pinned_team_id: int | None = None
    pinned_date: dt.date | None = None
    area: str = ""  # kelurahan name or code, for summaries and the by-hand baseline
    label: str = ""  # tracking code, for printed summaries
    request_id: int | None = None
    part: int = 1
    parts: int = 1

    @property
    def request_key(self) -> int:
        """The id of the request this site serves (its parts share it)."""
        return self.id if self.request_id is None else self.request_id

    @property
    def located(self) -> bool:
        """True when the site has coordinates."""
        return self.lon is not None and self.lat is not None

    def windows_on(self, day: dt.date) -> tuple[TimeWindow, ...] | None:
        """Windows on ``day``, sorted and merged where they overlap or touch.

        ``None`` means any time; ``()`` means nobody is at home that day.
        """
        if not self.availability:
            return None
        weekday = day.weekday()
        found = sorted(
            (a.window for a in self.availability if weekday in a.weekdays),
            key=lambda w: (w.start_s, w.end_s),
        )
        merged: list[TimeWindow] = []
        for window in found:
            if merged and window.start_s <= merged[-1].end_s:
                last = merged.pop()
                window = TimeWindow(last.start_s, max(last.end_s, window.end_s))
            merged.append(window)
        return tuple(merged)

    def start_windows_on(self, day: dt.date) -> tuple[TimeWindow, ...] | None:
        """When service may *start* on ``day`` so the whole visit ends inside a window.

        Each of :meth:`windows_on` becomes ``[start, end - service_s]`` (a resident home
        10:00-10:40 with a 34-minute visit: start by 10:06); a window shorter than the service
        is dropped. ``None`` means any time; ``()`` means no start works that day (nobody home,
        or every window too short for the visit).
        """
        windows = self.windows_on(day)
        if windows is None:
            return None
        return tuple(
            TimeWindow(w.start_s, w.end_s - self.service_s)
            for w in windows
            if w.end_s - self.service_s >= w.start_s
        )


@dataclass(frozen=True)
class TeamSpec:
    """A team as the planner sees it.

    ``shift_by_weekday`` overrides ``shift`` per weekday (0 = Monday); an override of ``None``
    means the team does not work that weekday. ``start`` is the team's own start point
    (``None``: the office). Every team ends its day at the office to sync recordings.
    """

    id: int
    name: str
    skills: frozenset[str]
    shift: TimeWindow
    shift_by_weekday: tuple[tuple[int, TimeWindow | None], ...] = ()
    start: LonLat | None = None
    max_stops: int | None = None
    # Dates the team is away (sick, training, leave) although it stays active.
    away: frozenset[dt.date] = frozenset()
    # How the team travels: "car" or "motor" (a team with the "motor" trait rides motorbikes).
    profile: str = CAR

    def shift_on(self, day: dt.date) -> TimeWindow | None:
        """The shift on ``day`` (``None``: the team does not work that day or is away)."""
        if day in self.away:
            return None
        for weekday, window in self.shift_by_weekday:
            if weekday == day.weekday():
                return window if window is None or window.end_s > window.start_s else None
        return self.shift if self.shift.end_s > self.shift.start_s else None


@dataclass(frozen=True)
class BreakRule:
    """A break every team takes on a day: ``duration_s`` starting within the given bounds."""

    label: str  # "istirahat" (lunch) or "salat_jumat" (Friday prayer)
    earliest_start_s: int
    latest_start_s: int
    duration_s: int


@dataclass(frozen=True)
class OfficeDays:
    """Which dates an office makes home visits on.

    A date is a working day when it is one of ``weekdays`` (0 = Monday; never Sunday), not a
    national holiday or cuti bersama, and not in ``closed``; a date in ``opened`` is a working
    day whatever its weekday or holiday (an office that keeps services running on cuti
    bersama, or opens a Saturday).
    """

    weekdays: frozenset[int] = frozenset(range(6))
    closed: tuple[tuple[dt.date, str], ...] = ()  # (date, why): regional holiday, office event
    opened: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class HoursPeriod:
    """Dates with the office's own working hours, e.g. Ramadan (MenPANRB circulars).

    Every team's shift is cut to ``hours`` (on Fridays to end by ``friday_end_s`` when set);
    the lunch break and the Friday-prayer break last ``break_s`` (0: none) and teams are back
    by ``sync_deadline_s`` (``None``: the office's usual deadline). Both dates included.
    """

    name: str
    start: dt.date
    end: dt.date
    hours: TimeWindow
    friday_end_s: int | None = None
    break_s: int = 1800
    sync_deadline_s: int | None = None

    def covers(self, day: dt.date) -> bool:
        """True when ``day`` lies in the period."""
        return self.start <= day <= self.end


@dataclass(frozen=True)
class PlanRules:
    """Office-wide rules and tuning of the planner (see ``outreach.planning`` for defaults)."""

    sync_deadline_s: int | None = 15 * 3600 + 1800  # back at the office by then
    # Weekdays with home visits (0 = Monday); Sundays and public holidays never are. The
    # office's setting (outreach.planning.records.rules_for) is Monday to Friday by default.
    working_weekdays: frozenset[int] = frozenset(range(6))
    # The office calendar beyond its weekdays: closures, dates kept open, special hours.
    closed_days: tuple[tuple[dt.date, str], ...] = ()
    open_days: frozenset[dt.date] = frozenset()
    periods: tuple[HoursPeriod, ...] = ()
    daily_card_capacity: int | None = 250  # cards printed per day, all teams together
    lunch: BreakRule | None = BreakRule("istirahat", 12 * 3600, 13 * 3600, 3600)
    friday_break: BreakRule | None = BreakRule("salat_jumat", 41400, 41400, 5400)
    # Candidate selection: hand the solver at most this multiple of a day's estimated capacity
    # (VROOM slows sharply on heavily oversubscribed days; see bench/README).
    candidate_factor: float = 1.3
    # The same on a day with more days of the horizon after it: what is left moves on anyway,
    # and a tight list keeps teams inside their areas (bench/day_plan.py, week case).
    candidate_factor_early: float = 1.1
    # Share of a team-day's working time an area group (cluster) is sized to.
    cluster_fill: float = 0.8
    # Sites at least this urgent are always handed to the solver on a day they can be served.
    must_priority: int = 90
    # Share of the plan's team-days that may be devoted to a big collective visit (a sweep, a
    # letter to an RW hall or school, kolektif, at least COLLECTIVE_DAY_PERSONS persons) the
    # day solver left waiting: the team records there and visits homes near it with the time
    # left (outreach.planning.engine). 0: never.
    collective_share: float = 0.25
    # Plan points the road network does not reach with the straight-line estimate (True), or
    # leave them out for a coordinator to check the location (False). Ignored when the whole
    # matrix is an estimate (no road graph loaded).
    plan_off_network: bool = False
    exploration_level: int | None = None  # None: chosen from the problem size
    threads: int = 2
    # Seconds of solving a coordinator will wait per day planned: VROOM explores more and PyVRP
    # joins where it can state the day (outreach.planning.portfolio). 0: VROOM alone, as fast
    # as it goes (the default; offices set it, settings["planning"]["solver_budget_s"]).
    solver_budget_s: float = 0.0
    # Days the office keeps closed for home visits on which a recurring programme goes out
    # (a Saturday school programme): only its teams work, in its hours, and only its visits
    # are planned (outreach.planning.calendar.team_day; outreach.programmes).
    programme_days: tuple[ProgrammeDay, ...] = ()

    @property
    def office_days(self) -> OfficeDays:
        """The office's calendar of working days (weekdays, closures, dates kept open)."""
        return OfficeDays(self.working_weekdays, self.closed_days, self.open_days)

    def period_on(self, day: dt.date) -> HoursPeriod | None:
        """The special-hours period covering ``day`` (the first one listed), if any."""
        return next((p for p in self.periods if p.covers(day)), None)


@dataclass(frozen=True)
class ProgrammeDay:
    """A programme's day on a date closed for home visits: its teams and their hours.

    ``team_ids`` empty: every team; ``hours`` ``None``: each team's own shift.
    """

    day: dt.date
    team_ids: frozenset[int] = frozenset()
    hours: TimeWindow | None = None


@dataclass(frozen=True)
class PlannedStop:
    """A visit on a route: when the team arrives, starts, leaves, and how it got there."""

    site_id: int
    sequence: int  # 1-based
    arrival_s: int
    service_start_s: int
    departure_s: int
    wait_s: int  # idle time at the door (arrival to service start, breaks excluded)
    service_s: int
    travel_s: int  # from the previous stop (or the start point)
    distance_m: int
    fallback: bool = False  # the leg's figures are an estimate (off the road network)
    geometry: tuple[LonLat, ...] = ()


@dataclass(frozen=True)
class PlannedBreak:
    """A break on a route, before serving stop ``before_sequence``.

    It lies between leaving stop ``before_sequence - 1`` and serving stop ``before_sequence``
    (``len(stops) + 1``: before the way back to the office). It is taken at the next door
    when it starts at or after the arrival there, else before driving off.
    """

    label: str
    start_s: int
    end_s: int
    before_sequence: int


@dataclass(frozen=True)
class PlannedRoute:
    """One team's route on one day, from its start point back to the office."""

    team_id: int
    day: dt.date
    start_s: int  # departure from the start point
    end_s: int  # arrival back at the office
    stops: tuple[PlannedStop, ...]
    breaks: tuple[PlannedBreak, ...] = ()
    return_travel_s: int = 0
    return_distance_m: int = 0
    return_fallback: bool = False
    return_geometry: tuple[LonLat, ...] = ()
    persons: int = 0
    cards: int = 0
    locked: bool = False  # an approved route kept as it was
    # Overnight trips (outreach.planning.trips): day 1 ends at the lodging near its last stop
    # (no way back: ``return_*`` are 0 and ``end_s`` is the last departure, or the end of a
    # break taken there); day 2 leaves from the lodging near site ``lodging_site_id`` (day 1's
    # last stop) at the shift start instead of the team's start point.
    ends_at_lodging: bool = False
    lodging_site_id: int | None = None

    @property
    def starts_from_lodging(self) -> bool:
        """True for the later day of an overnight trip (it leaves from the lodging)."""
        return self.lodging_site_id is not None

    @property
    def travel_s(self) -> int:
        """Driving (and walking) time of the whole route, return included."""
        return sum(s.travel_s for s in self.stops) + self.return_travel_s

    @property
    def distance_m(self) -> int:
        """Distance of the whole route, return included."""
        return sum(s.distance_m for s in self.stops) + self.return_distance_m

    @property
    def service_s(self) -> int:
        """Time spent serving residents."""
        return sum(s.service_s for s in self.stops)

    @property
    def wait_s(self) -> int:
        """Idle time waiting for residents' windows."""
        return sum(s.wait_s for s in self.stops)


@dataclass(frozen=True)
class UnassignedSite:
    """A site a plan left out, with a reason code and its Indonesian explanation."""

    site_id: int
    reason: str  # a code from outreach.planning.reasons
    message: str  # the coordinator-facing text, in Indonesian
    expected_date: dt.date | None = None  # when the site is likely to be planned


@dataclass(frozen=True)
class PlanResult:
    """What the planner returns: routes per team and day, and every site left out."""

    dates: tuple[dt.date, ...]
    routes: tuple[PlannedRoute, ...]
    unassigned: tuple[UnassignedSite, ...]
    solver: str
    seed: int
    notes: tuple[str, ...] = ()  # plan-wide remarks in Indonesian (e.g. no teams)
    timings_s: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
