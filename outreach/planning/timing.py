"""Times along a route: from a visiting order to ETAs, waits, breaks and legs.

The solver only decides the order; this module turns an order into a timed
:class:`~outreach.domain.PlannedRoute`, so every plan's times come from one place whatever the
solver. Rules (the same VROOM uses, so its routes always time out here):

- a team leaves its start point at its shift start (later if it would only wait at the first
  door: the departure is then delayed by that wait);
- a leg takes the matrix's travel time (driving plus the walk from the road to the door);
- a break lies between two stops (or between the last stop and the way back): the team takes
  it on arrival at the next door when it can start there in time -- break, then wait for the
  resident's window -- and otherwise right after the previous visit, before driving off (this
  is VROOM's model: a break may be taken anywhere between two services, so its routes always
  time out here);
- service must start inside one of the site's windows that day early enough to *end* inside
  it (:meth:`~outreach.domain.Site.start_windows_on`);
- a break must start within its bounds unless the team is back at the office before the
  break's latest start (it then takes it there, off the route);
- the team must be back at the office by the team-day's ``return_by_s``;
- the first day of an overnight trip (``end_at_last``) has no way back: the route ends at the
  lodging near its last stop, its end is the last departure (or the end of a break taken
  there) and must still lie within ``return_by_s``; the later day of the trip is timed from
  the lodging's row (``start_row``), leaving at the shift start like any route.

Where a break goes is searched here (every position, keeping the earliest return), so a
route changed by an insertion is re-timed the same way as a solved one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from outreach.domain import PlannedBreak, PlannedRoute, PlannedStop, Site, TimeWindow, TravelMatrix
from outreach.planning.calendar import TeamDay

NO_BREAK = -1


def earliest_service_start(ready_s: int, windows: tuple[TimeWindow, ...] | None) -> int | None:
    """Earliest service start at or after ``ready_s`` inside ``windows`` (``None``: any time).

    Returns ``None`` when every window has closed by ``ready_s``.
    """
    if windows is None:
        return ready_s
    for window in windows:
        if window.end_s >= ready_s:
            return max(ready_s, window.start_s)
    return None


class _Route:
    """Arrays for one team-day and one order, so repeated timings stay cheap."""

    def __init__(
        self,
        team_day: TeamDay,
        sites: Sequence[Site],
        rows: Sequence[int],
        start_row: int,
        depot_row: int,
        matrix: TravelMatrix,
        end_at_last: bool = False,
    ) -> None:
        self.team_day = team_day
        self.end_at_last = end_at_last
        self.sites = sites
        matrix = matrix.for_profile(team_day.team.profile)  # the team's own travel times
        path = [start_row, *rows, depot_row]
        frm = np.asarray(path[:-1], dtype=np.intp)
        to = np.asarray(path[1:], dtype=np.intp)
        self.travel: list[int] = [int(v) for v in matrix.durations_s[frm, to]]
        self.distance: list[int] = [int(v) for v in matrix.distances_m[frm, to]]
        fb: npt.NDArray[np.bool_] = matrix.fallback[frm] | matrix.fallback[to]
        self.fallback: list[bool] = [bool(v) for v in fb]
        if end_at_last:  # the night is spent near the last stop: no way back
            self.travel[-1], self.distance[-1], self.fallback[-1] = 0, 0, False
        # Service starts so that the visit ends inside the resident's window.
        self.windows = [s.start_windows_on(team_day.day) for s in sites]

    def _gap(
        self, k: int, leave_s: int, positions: Sequence[int], breaks: list[PlannedBreak]
    ) -> tuple[int, int, int] | None:
        """Leave at ``leave_s`` towards stop ``k`` (``k == n``: the office), breaks included.

        Returns ``(arrival, ready, on_break_at_door)`` or ``None`` when a break cannot start in
        time. A break is taken on arrival when it can start there in time, else before driving
        off (see the module docstring).
        """
        td = self.team_day
        travel = self.travel[k]
        t = leave_s
        arrival: int | None = None
        at_door = 0
        for rule, position in zip(td.breaks, positions, strict=True):
            if position != k:
                continue
            at_office = k == len(self.sites)  # a break there is off the route: NO_BREAK
            if (
                arrival is None
                and not at_office
                and max(t + travel, rule.earliest_start_s) <= rule.latest_start_s
            ):
                arrival = t + travel
                t = arrival
            begin = max(t, rule.earliest_start_s)
            if begin > rule.latest_start_s:
                return None
            t = begin + rule.duration_s
            if arrival is not None:
                at_door += rule.duration_s
            breaks.append(PlannedBreak(rule.label, begin, t, k + 1))
        if arrival is None:
            arrival = t + travel
            t = arrival
        return arrival, t, at_door

    def time(self, positions: Sequence[int], depart_s: int) -> PlannedRoute | None:
        """Time the route with break ``b`` taken before stop ``positions[b]``.

        Position ``n`` (the number of stops) is the way back to the office; ``NO_BREAK`` leaves
        the break out, which is allowed only if the team is back before it must start.
        """
        td = self.team_day
        t = depart_s
        stops: list[PlannedStop] = []
        breaks: list[PlannedBreak] = []
        for k, site in enumerate(self.sites):
            gap = self._gap(k, t, positions, breaks)
            if gap is None:
                return None
            arrival, ready, at_door = gap
            start = earliest_service_start(ready, self.windows[k])
            if start is None:
                return None
            t = start + site.service_s
            stops.append(
                PlannedStop(
                    site_id=site.id,
                    sequence=k + 1,
                    arrival_s=arrival,
                    service_start_s=start,
                    departure_s=t,
                    wait_s=start - arrival - at_door,
                    service_s=site.service_s,
                    travel_s=self.travel[k],
                    distance_m=self.distance[k],
                    fallback=self.fallback[k],
                )
            )
        gap = self._gap(len(self.sites), t, positions, breaks)
        if gap is None:
            return None
        end = gap[0]
        if end > td.return_by_s:
            return None
        for rule, position in zip(td.breaks, positions, strict=True):
            if position == NO_BREAK and end > rule.latest_start_s:
                return None  # still out when the break had to start
        return PlannedRoute(
            team_id=td.team.id,
            day=td.day,
            start_s=depart_s,
            end_s=end,
            stops=tuple(stops),
            breaks=tuple(breaks),
            return_travel_s=self.travel[-1],
            return_distance_m=self.distance[-1],
            return_fallback=self.fallback[-1],
            persons=sum(s.persons for s in self.sites),
            cards=sum(s.cards for s in self.sites),
            ends_at_lodging=self.end_at_last,
        )


def _break_placements(stop_count: int, break_count: int) -> Iterator[tuple[int, ...]]:
    """Every placement of the breaks: none, or non-decreasing gaps (``stop_count``: way back)."""
    options = [NO_BREAK, *range(stop_count + 1)]
    for combo in itertools.product(options, repeat=break_count):
        placed = [p for p in combo if p != NO_BREAK]
        if placed == sorted(placed):
            yield combo


def schedule_route(
    team_day: TeamDay,
    sites: Sequence[Site],
    *,
    rows: Sequence[int],
    start_row: int,
    depot_row: int,
    matrix: TravelMatrix,
    end_at_last: bool = False,
) -> PlannedRoute | None:
    """Time a visiting order for a team-day, or ``None`` if no timing respects every rule.

    Parameters
    ----------
    team_day
        Who and when (shift, breaks, return deadline).
    sites
        Sites in visiting order.
    rows, start_row, depot_row
        Matrix rows of the sites, of the team's start point and of the office.
    matrix
        Travel times and distances.
    end_at_last
        The first day of an overnight trip: the route ends at the lodging near its last stop
        (no way back to the office; the route's ``ends_at_lodging`` is set).

    Returns
    -------
    PlannedRoute or None
        Stops with ETAs and legs (no geometry yet), or ``None`` when infeasible.
    """
    if not sites:
        return None
    route = _Route(team_day, sites, rows, start_row, depot_row, matrix, end_at_last)
    best: PlannedRoute | None = None
    best_key: tuple[int, int] | None = None
    for positions in _break_placements(len(sites), len(team_day.breaks)):
        timed = route.time(positions, team_day.start_s)
        if timed is None:
            continue
        key = (timed.end_s, timed.wait_s)
        if best_key is None or key < best_key:
            best, best_key = timed, key
    if best is None:
        return None
    first = best.stops[0]
    if first.wait_s > 0 and not any(b.before_sequence == 1 for b in best.breaks):
        # Leave later instead of waiting at the first door; nothing after it moves.
        positions = _positions_of(best, team_day)
        later = route.time(positions, team_day.start_s + first.wait_s)
        if later is not None:
            best = later
    return best


def _positions_of(route: PlannedRoute, team_day: TeamDay) -> tuple[int, ...]:
    taken = {b.label: b.before_sequence - 1 for b in route.breaks}
    return tuple(taken.get(rule.label, NO_BREAK) for rule in team_day.breaks)
