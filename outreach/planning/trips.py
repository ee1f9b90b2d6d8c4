"""Trips to far desa clusters: a team-day devoted to one far cluster (issue 13, section 4).

In a kabupaten a team may drive two hours each way to a far cluster of desa. Left to the day
solver, such sites lose to near ones on cost and wait, or get mixed into near routes. With
:class:`FarTrips` handed to :func:`outreach.planning.engine.plan_routes`:

- a site is *far* when the drive from the office to it takes more than ``far_s`` (the office
  setting ``far_trip_minutes``, default 60) on the car matrix;
- far sites are grouped once into clusters (:func:`outreach.planning.clustering.cluster_sites`
  on their travel times), each sized to the time a team has at the far end (a team-day's
  working time less the median drive there and back);
- day by day, before the near sites are selected, each cluster (most urgent first) gets a
  team-day of its own when

  1. its work (service plus the travel between its sites) fills at least ``fill`` (one half)
     of the time the team has left after the drive out and back, or
  2. its most overdue request has at least ``long_wait_points`` (10) urgency points above its
     category's base (:data:`outreach.planning.priority.CATEGORY_BASE`: waiting one point per
     three days, so 30 days, or a near deadline, or failed attempts), or
  3. the near work of the day fits in the other teams (no near work waits for that team);

  the team is the one whose skills (and pins) cover the most of the cluster's sites, then the
  one with the most time at the far end; at least one team stays for near work while near
  work is available;
- the trip's route serves only that cluster (one solver run with that team alone); the long
  drive is counted by the route timer (:mod:`outreach.planning.timing`) like any leg and the
  team is back at the office by the team-day's return deadline (the sync deadline), so the
  feasibility checker needs nothing new;
- a far site no trip takes that day waits (``day_full``, with its expected date) instead of
  being mixed into near routes, unless it must be tried that day (pinned, deadline, darurat:
  :func:`outreach.planning.selection.is_must`); then the day solver tries it as before.

Overnight trips (office setting ``overnight_trips``, :attr:`FarTrips.overnight`): a far
cluster that a day trip cannot serve -- its work is more than the time a team-day leaves at
the far end after the drive out and back (e.g. three hours each way), which includes work of
more than a team-day -- is served by a trip of two consecutive days of one team:

- clusters are then sized to the time two team-days leave at the far end (two working days
  less one drive out and one back);
- the trip is planned only when the next *calendar* day is a day of the plan on which the
  same team works and has no kept route (a Saturday-to-Monday trip, or one over a holiday or
  the team's day off, would be two nights away: the cluster gets a day trip or waits, as
  without the setting); the cluster needs at least two sites;
- day 1: office -> far sites, ending at the lodging (no way back; the route's end is its last
  service end, within the team-day's return deadline). The lodging is *the location of the
  day's last visit*: the team stays nearby, so no new place is needed in the matrix and the
  day-2 start is a matrix row like any other (a village guesthouse or the kepala desa's house
  near it is for the team to arrange; the sheet names the kelurahan / desa);
- day 2: leaves from the lodging at the shift start, serves what is left of the cluster (that
  still fits, by priority) and is back at the office by the return / sync deadline;
- when day 1 served the whole cluster, its last visit moves to day 2 (the team still needs
  the morning to drive back); when no day-2 route can be timed the trip falls back to a day
  trip;
- the team has no other work on both days (day 2 is taken out of that day's near work); each
  day's cards count against that day's printing capacity.

The day solver is asked for day 1 with a *cost-free end*: the routing problem gets an extra
point whose column of travel times (and distances) is all zeros, and the vehicle ends there,
so the solver ends the route wherever its last visit is (``SolverVehicle.end_index`` cannot be
left out in :mod:`outreach.planning.solver`). Routes are then timed by
:func:`outreach.planning.timing.schedule_route` (``end_at_last`` for day 1, the lodging's row
as the start of day 2) and checked by :mod:`outreach.planning.feasibility` like any other.
Only two-day trips are planned (no middle days).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from outreach.domain import PlannedRoute, Site, TravelMatrix
from outreach.planning.calendar import TeamDay
from outreach.planning.clustering import cluster_sites, symmetric_times, travel_share
from outreach.planning.priority import CATEGORY_BASE
from outreach.planning.problem import PointIndex
from outreach.planning.reasons import Reason
from outreach.planning.selection import is_must

DEFAULT_FAR_TRIP_MINUTES = 60
MIN_FAR_TRIP_MINUTES = 15
MAX_FAR_TRIP_MINUTES = 300
_MIN_GROUP_S = 3600  # a far cluster is sized to at least one hour of work

#: ``solve(team_day, sites)``: the day solver for one team and the given sites.
SolveFn = Callable[[TeamDay, Sequence[Site]], list[PlannedRoute]]

#: ``leg(team_day, sites, lodging_site_id, to_lodging)``: one team-day over ``sites``, leaving
#: from the lodging near site ``lodging_site_id`` (``None``: the team's start point) and ending
#: at the lodging near its last stop (``to_lodging``) or at the office; ``None``: no route.
LegFn = Callable[[TeamDay, Sequence[Site], int | None, bool], PlannedRoute | None]


@dataclasses.dataclass(frozen=True)
class FarTrips:
    """When a site is far, and when a far cluster is worth a team-day."""

    far_s: int = DEFAULT_FAR_TRIP_MINUTES * 60
    fill: float = 0.5
    long_wait_points: int = 10
    overnight: bool = False  # two-day trips with a night near the far cluster


def far_trip_settings(settings: Mapping[str, Any] | None) -> tuple[int, bool]:
    """``(far_trip_minutes, overnight_trips)`` from ``Office.settings["planning"]``.

    Values were checked when saved (:func:`outreach.office.configure_office`); anything else
    reads as the default.
    """
    planning = (settings or {}).get("planning") or {}
    minutes = planning.get("far_trip_minutes", DEFAULT_FAR_TRIP_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        minutes = DEFAULT_FAR_TRIP_MINUTES
    return minutes, planning.get("overnight_trips") is True


def far_trips_for(settings: Mapping[str, Any] | None) -> FarTrips:
    """The office's far-trip rules (``Office.settings``)."""
    minutes, overnight = far_trip_settings(settings)
    return FarTrips(far_s=minutes * 60, overnight=overnight)


def extra_urgency(site: Site) -> int:
    """Priority points above the site's category base (waiting, deadline, failed attempts)."""
    return site.priority - CATEGORY_BASE.get(site.category, CATEGORY_BASE["lainnya"])


@dataclasses.dataclass(frozen=True)
class DayTrips:
    """What the far trips of a day took, and what is left for the day solver."""

    routes: tuple[PlannedRoute, ...]
    team_days: tuple[TeamDay, ...]  # left for the near work
    sites: tuple[Site, ...]  # left for the near selection (near sites, far must-visits)
    deferred: dict[int, Reason]  # far sites waiting for a trip
    cards: int  # cards printed on the trips
    next_routes: tuple[PlannedRoute, ...] = ()  # second days of overnight trips (next day)
    next_cards: int = 0  # cards printed on those second days


@dataclasses.dataclass(frozen=True)
class NextDay:
    """The next calendar day, when it is a day of the plan (for overnight trips)."""

    team_days: Mapping[int, TeamDay]  # team id -> its team-day (teams without a kept route)
    cards_left: int | None  # cards the printer can still take that day (None: no limit)
    # Far sites pinned to that day (a stable re-plan pins each visit to its previous day):
    # a second day may take them.
    sites: tuple[Site, ...] = ()


def fit_cards(sites: Sequence[Site], room: int | None) -> list[Site]:
    """``sites`` (most urgent first) as far as their cards fit ``room`` (``None``: all)."""
    ordered = sorted(sites, key=lambda s: (-s.priority, s.id))
    if room is None:
        return ordered
    kept: list[Site] = []
    for s in ordered:
        if s.cards <= room:
            kept.append(s)
            room -= s.cards
    return kept


class FarTripPlanner:
    """Far sites and their clusters, fixed for the plan; :meth:`plan_day` for each day."""

    def __init__(
        self,
        rules: FarTrips,
        pool: Sequence[Site],
        *,
        work: Mapping[int, float],
        index: PointIndex,
        matrix: TravelMatrix,
        team_day_s: float,
        seed: int,
        must_priority: int,
        cluster_fill: float,
    ) -> None:
        self.rules = rules
        self.work = dict(work)
        self.index = index
        self.matrix = matrix
        self.must_priority = must_priority
        self.cluster_fill = cluster_fill
        dur = matrix.durations_s
        far = [s for s in pool if int(dur[index.depot, index.site_row[s.id]]) > rules.far_s]
        self.cluster: dict[int, int] = {}
        if not far:
            return
        rows = [index.site_row[s.id] for s in far]
        sym = symmetric_times(dur[np.ix_(rows, rows)])
        # Work at the far end: service plus the travel between far sites (the engine's
        # estimate counts the drive from the office for a site with one far neighbour).
        share = travel_share(sym)
        self.work.update({s.id: float(s.service_s) + float(share[i]) for i, s in enumerate(far)})
        drive = float(np.median([dur[index.depot, r] + dur[r, index.depot] for r in rows]))
        # The time at the far end: one team-day less the drive, or two with a night there.
        far_end_s = (2 * team_day_s if rules.overnight else team_day_s) - drive
        labels = cluster_sites(
            sym,
            np.asarray([self.work[s.id] for s in far], dtype=np.float64),
            group_work=max(float(_MIN_GROUP_S), far_end_s),
            seed=seed,
        )
        self.cluster = {s.id: int(labels[i]) for i, s in enumerate(far)}

    @property
    def far_ids(self) -> frozenset[int]:
        """Every far site of the plan."""
        return frozenset(self.cluster)

    def _drives(self, td: TeamDay, sites: Sequence[Site]) -> tuple[int, int]:
        """The shortest drive out to ``sites`` from the team's start, and back to the office."""
        own = self.matrix.for_profile(td.team.profile).durations_s
        start = self.index.team_start[td.team.id]
        rows = [self.index.site_row[s.id] for s in sites]
        out = min(int(own[start, r]) for r in rows)
        back = min(int(own[r, self.index.depot]) for r in rows)
        return out, back

    def _best_team(
        self, tds: Sequence[TeamDay], sites: Sequence[Site], next_day: NextDay | None
    ) -> tuple[TeamDay, list[Site], TeamDay | None, float] | None:
        """The team for a cluster, its sites, its second day (overnight) and its far-end time."""
        best: tuple[tuple[int, float, int], TeamDay, list[Site], TeamDay | None, float] | None
        best = None
        for td in tds:
            covered = [
                s
                for s in sites
                if s.needs <= td.team.skills and s.pinned_team_id in (None, td.team.id)
            ]
            if not covered:
                continue
            out, back = self._drives(td, covered)
            left = float(td.working_s - out - back)
            second = None
            if self.rules.overnight and next_day is not None and len(covered) >= 2:
                second = next_day.team_days.get(td.team.id)
            work = sum(self.work[s.id] for s in covered)
            if second is not None and work > left and td.working_s > out:
                left = float(td.working_s - out + second.working_s - back)
            else:
                second = None  # a day trip does it (or no night away is possible)
            if left <= 0:
                continue
            key = (-len(covered), -left, td.team.id)
            if best is None or key < best[0]:
                best = (key, td, covered, second, left)
        return None if best is None else best[1:]

    def _worth_it(self, sites: Sequence[Site], left: float, near_fits: bool) -> bool:
        work = sum(self.work[s.id] for s in sites)
        return (
            work >= self.rules.fill * left
            or max(extra_urgency(s) for s in sites) >= self.rules.long_wait_points
            or near_fits
        )

    def _overnight(
        self,
        first_day: TeamDay,
        second_day: TeamDay,
        sites: Sequence[Site],
        rooms: tuple[int | None, int | None],
        leg: LegFn,
        later: Sequence[Site] = (),
    ) -> tuple[PlannedRoute, PlannedRoute] | None:
        """Day 1 to the lodging, day 2 from it back to the office (module docstring).

        ``later``: sites of the cluster pinned to day 2's date (day 2 only).
        """
        first = leg(first_day, fit_cards(sites, rooms[0]), None, True)
        if first is None or not first.stops:
            return None
        by_id = {s.id: s for s in sites}
        for moved in (0, 1):
            if moved:  # day 1 took everything (or day 2 could not be timed): move its last visit
                if len(first.stops) < 2:
                    return None
                last = by_id[first.stops[-1].site_id]
                kept = [by_id[s.site_id] for s in first.stops[:-1]]
                trial = leg(first_day, kept, None, True)
                if trial is None or last.pinned_date is not None:
                    return None
                first = trial
            done = {s.site_id for s in first.stops}
            # A visit pinned to day 1's date cannot move to day 2.
            rest = [s for s in sites if s.id not in done and s.pinned_date is None]
            rest = fit_cards([*rest, *later], rooms[1])
            second = leg(second_day, rest, first.stops[-1].site_id, False) if rest else None
            if second is not None and second.stops:
                return first, second
        return None

    def plan_day(
        self,
        day: dt.date,
        team_days: Sequence[TeamDay],
        available: Sequence[Site],
        *,
        cards_left: int | None,
        solve: SolveFn,
        next_day: NextDay | None = None,
        leg: LegFn | None = None,
    ) -> DayTrips:
        """Send teams to far clusters on ``day`` (see the module docstring for the rules).

        Parameters
        ----------
        day
            The date.
        team_days
            The teams working that day (approved routes already taken out).
        available
            Sites that passed the day's prechecks.
        cards_left
            Cards the printer can still take that day (``None``: no limit).
        solve
            The day solver for one team and a list of sites.
        next_day
            The next calendar day when it is a day of the plan (overnight trips only).
        leg
            One team-day to or from a lodging (overnight trips only).

        Returns
        -------
        DayTrips
            The trips' routes, and the team-days and sites left for the near work.
        """
        far = [s for s in available if s.id in self.cluster]
        near = [s for s in available if s.id not in self.cluster]
        groups: dict[int, list[Site]] = {}
        for s in far:
            groups.setdefault(self.cluster[s.id], []).append(s)
        order = sorted(
            groups,
            key=lambda g: (
                -max(s.priority for s in groups[g]),
                -sum(self.work[s.id] for s in groups[g]),
                g,
            ),
        )
        tds = list(team_days)
        routes: list[PlannedRoute] = []
        second_days: list[PlannedRoute] = []
        served: set[int] = set()
        cards = next_cards = 0
        near_work = sum(self.work[s.id] for s in near)
        if leg is None:
            next_day = None
        for label in order:
            if not tds or (near and len(tds) == 1):
                break
            choice = self._best_team(tds, groups[label], next_day)
            if choice is None:
                continue
            td, sites, second_day, left = choice
            others_s = sum(t.working_s for t in tds if t is not td)
            near_fits = near_work <= self.cluster_fill * others_s
            if not self._worth_it(sites, left, near_fits):
                continue
            room = None if cards_left is None else cards_left - cards
            trip: list[PlannedRoute] = []
            if second_day is not None and leg is not None and next_day is not None:
                room2 = None if next_day.cards_left is None else next_day.cards_left - next_cards
                later = [
                    s
                    for s in next_day.sites
                    if self.cluster.get(s.id) == label
                    and s.needs <= td.team.skills
                    and s.pinned_team_id in (None, td.team.id)
                ]
                pair = self._overnight(td, second_day, sites, (room, room2), leg, later)
                if pair is not None:
                    trip = [pair[0]]
                    second_days.append(pair[1])
                    served.update(stop.site_id for stop in pair[1].stops)
                    next_cards += pair[1].cards
            if not trip:
                sites = fit_cards(sites, room)
                trip = [r for r in solve(td, sites) if r.stops] if sites else []
            if not trip:
                continue
            routes.extend(trip)
            served.update(stop.site_id for r in trip for stop in r.stops)
            cards += sum(r.cards for r in trip)
            tds.remove(td)
        waiting = [s for s in far if s.id not in served]
        must = [s for s in waiting if is_must(s, day, self.must_priority)]
        deferred = {s.id: Reason.DAY_FULL for s in waiting if s not in must}
        return DayTrips(
            tuple(routes),
            tuple(tds),
            (*near, *must),
            deferred,
            cards,
            tuple(second_days),
            next_cards,
        )
