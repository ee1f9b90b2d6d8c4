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

Overnight trips (day 1 out without returning, day 2 back) are not planned: the route timer,
the checker and the stored routes all assume every route ends at the office, and the office
setting ``overnight_trips`` refuses to be turned on (``outreach.office``).
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


@dataclasses.dataclass(frozen=True)
class FarTrips:
    """When a site is far, and when a far cluster is worth a team-day."""

    far_s: int = DEFAULT_FAR_TRIP_MINUTES * 60
    fill: float = 0.5
    long_wait_points: int = 10


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
    minutes, _ = far_trip_settings(settings)
    return FarTrips(far_s=minutes * 60)


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
        labels = cluster_sites(
            sym,
            np.asarray([self.work[s.id] for s in far], dtype=np.float64),
            group_work=max(float(_MIN_GROUP_S), team_day_s - drive),
            seed=seed,
        )
        self.cluster = {s.id: int(labels[i]) for i, s in enumerate(far)}

    @property
    def far_ids(self) -> frozenset[int]:
        """Every far site of the plan."""
        return frozenset(self.cluster)

    def _time_left(self, td: TeamDay, sites: Sequence[Site]) -> float:
        """The team-day's working time less the shortest drive out to and back from ``sites``."""
        own = self.matrix.for_profile(td.team.profile).durations_s
        start = self.index.team_start[td.team.id]
        rows = [self.index.site_row[s.id] for s in sites]
        out = min(int(own[start, r]) for r in rows)
        back = min(int(own[r, self.index.depot]) for r in rows)
        return float(td.working_s - out - back)

    def _best_team(
        self, tds: Sequence[TeamDay], sites: Sequence[Site]
    ) -> tuple[TeamDay, list[Site]] | None:
        best: tuple[tuple[int, float, int], TeamDay, list[Site]] | None = None
        for td in tds:
            covered = [
                s
                for s in sites
                if s.needs <= td.team.skills and s.pinned_team_id in (None, td.team.id)
            ]
            if not covered:
                continue
            left = self._time_left(td, covered)
            if left <= 0:
                continue
            key = (-len(covered), -left, td.team.id)
            if best is None or key < best[0]:
                best = (key, td, covered)
        return None if best is None else (best[1], best[2])

    def _worth_it(self, td: TeamDay, sites: Sequence[Site], near_fits: bool) -> bool:
        work = sum(self.work[s.id] for s in sites)
        return (
            work >= self.rules.fill * self._time_left(td, sites)
            or max(extra_urgency(s) for s in sites) >= self.rules.long_wait_points
            or near_fits
        )

    def plan_day(
        self,
        day: dt.date,
        team_days: Sequence[TeamDay],
        available: Sequence[Site],
        *,
        cards_left: int | None,
        solve: SolveFn,
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
        served: set[int] = set()
        cards = 0
        near_work = sum(self.work[s.id] for s in near)
        for label in order:
            if not tds or (near and len(tds) == 1):
                break
            choice = self._best_team(tds, groups[label])
            if choice is None:
                continue
            td, sites = choice
            others_s = sum(t.working_s for t in tds if t is not td)
            near_fits = near_work <= self.cluster_fill * others_s
            if not self._worth_it(td, sites, near_fits):
                continue
            sites = sorted(sites, key=lambda s: (-s.priority, s.id))
            if cards_left is not None:
                room = cards_left - cards
                kept: list[Site] = []
                for s in sites:
                    if s.cards <= room:
                        kept.append(s)
                        room -= s.cards
                sites = kept
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
        return DayTrips(tuple(routes), tuple(tds), (*near, *must), deferred, cards)
