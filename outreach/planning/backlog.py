"""Trim a backlog far larger than the plan's days can serve, before any travel time is computed.

The travel-time matrix covers every site of a problem (one shortest-path search per point,
``N x N`` arrays), and the day selection (:mod:`outreach.planning.selection`) only ever hands a
day about 1.3 times what its teams can do. An office with thousands of open requests planning
one day would pay for a matrix of thousands of points to serve a few dozen: measured by
``bench/national.py``, the matrix took 6.2 s of a 14.6 s plan at 2,000 open requests, and more
than 4 minutes and 2.7 GB at 10,000.

So when the backlog holds more than :data:`SITES_PER_TEAM_DAY` sites per team-day of the plan
(at least :data:`MIN_KEPT`), only that many go to the planner: every site that must be tried
(on a kept route, pinned to a day of the plan, deadline within it, priority at least
``PlanRules.must_priority``), then the most urgent of the rest (priority, then waiting: lower
id). The others are left out of this plan with the reason ``day_full`` ("Kapasitas tim
penuh", with a message saying why) and no expected date; the next plan considers them again.
"""

from __future__ import annotations

import dataclasses

from outreach.domain import Site, UnassignedSite
from outreach.planning.calendar import team_day
from outreach.planning.problem import PlanningProblem
from outreach.planning.reasons import Reason
from outreach.planning.selection import is_must

#: Sites kept per working team-day: about four times what a team visits in a day (10-20), so
#: the day selection still has whole areas to choose from.
SITES_PER_TEAM_DAY = 60
#: Never trim below this many sites.
MIN_KEPT = 300
#: Why a site was left out by the trim (reason code ``day_full``).
TRIMMED_MESSAGE = (
    "Kapasitas tim penuh: antrean jauh lebih panjang dari yang dapat dilayani pada hari-hari "
    "rencana ini; permohonan yang lebih mendesak didahulukan. Dipertimbangkan lagi pada "
    "rencana berikutnya."
)


def must_try(site: Site, problem: PlanningProblem, locked: set[int]) -> bool:
    """True for a site the plan has to consider whatever the backlog's size.

    On a kept route, or a must site on some day of the plan (:func:`selection.is_must`:
    pinned to it, deadline by it, or urgent enough).
    """
    return site.id in locked or any(
        is_must(site, day, problem.rules.must_priority) for day in problem.dates
    )


def trim_backlog(problem: PlanningProblem) -> tuple[PlanningProblem, tuple[Site, ...]]:
    """``problem`` with at most its team-days' share of sites, and the sites left out.

    Parameters
    ----------
    problem
        The problem as loaded (every eligible site).

    Returns
    -------
    tuple of PlanningProblem and UnassignedSite tuple
        The same problem when the backlog is small enough (and ``()``); else the problem over
        the kept sites (in their original order) and the sites left out (by id).
    """
    team_days = sum(
        1 for t in problem.teams for d in problem.dates if team_day(t, d, problem.rules)
    )
    limit = max(MIN_KEPT, SITES_PER_TEAM_DAY * team_days)
    if len(problem.sites) <= limit:
        return problem, ()
    locked = {s.site_id for r in problem.locked for s in r.stops}
    must = [s for s in problem.sites if must_try(s, problem, locked)]
    rest = sorted(
        (s for s in problem.sites if not must_try(s, problem, locked)),
        key=lambda s: (-s.priority, s.id),
    )
    room = max(0, limit - len(must))
    kept_ids = {s.id for s in must} | {s.id for s in rest[:room]}
    left = tuple(sorted(rest[room:], key=lambda s: s.id))
    kept = tuple(s for s in problem.sites if s.id in kept_ids)
    return dataclasses.replace(problem, sites=kept), left


def trimmed_unassigned(sites: tuple[Site, ...]) -> tuple[UnassignedSite, ...]:
    """The sites :func:`trim_backlog` left out, as left-out entries (``day_full``)."""
    return tuple(UnassignedSite(s.id, Reason.DAY_FULL.value, TRIMMED_MESSAGE, None) for s in sites)
