"""What can be known about a site before solving: the reasons it cannot be planned.

Two levels, both cheap and exact (a single-visit route is timed with
:func:`outreach.planning.timing.schedule_route`, the same code that times solved routes):

- :func:`check_site` -- independent of the day: no location, off the road network, no team
  with the skills, pinned to a team that is not taking part or lacks the skills, pinned to a
  day outside the plan;
- :func:`check_site_on_day` -- on one day: pinned to another day, no skilled team works, the
  resident is not at home, the windows miss every shift, or the visit alone does not fit in a
  shift (travel there, service, travel back to the office, the break).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from outreach.domain import CAR, PlanRules, Site, TeamSpec, TravelMatrix
from outreach.planning.calendar import TeamDay
from outreach.planning.problem import UNREACHABLE_S, PointIndex
from outreach.planning.reasons import Reason, describe
from outreach.planning.timing import schedule_route


@dataclass(frozen=True)
class Finding:
    """A precheck's verdict on a site: the reason and what the message needs."""

    reason: Reason
    missing: frozenset[str] = frozenset()  # skills no team has (no_skill)
    needs: frozenset[str] = frozenset()  # all the site needs (no_skill)
    pinned: dt.date | None = None  # the pinned date (pinned_other_day)
    closest_team: str = ""  # the best-equipped team, when together the teams have it all

    def message(self, expected: dt.date | None = None) -> str:
        """The Indonesian explanation (see :func:`outreach.planning.reasons.describe`)."""
        return describe(
            self.reason,
            expected=expected,
            skills=self.missing,
            needs=self.needs,
            pinned=self.pinned,
            team=self.closest_team,
        )


def check_site(
    site: Site,
    *,
    teams: Sequence[TeamSpec],
    dates: Sequence[dt.date],
    index: PointIndex,
    matrix: TravelMatrix,
    rules: PlanRules,
) -> Finding | None:
    """Day-independent reasons ``site`` cannot be planned (``None``: none found).

    Parameters
    ----------
    site
        The site.
    teams
        Teams taking part.
    dates
        The plan's days.
    index, matrix
        Matrix rows and the matrix.
    rules
        Office rules (``plan_off_network``).

    Returns
    -------
    Finding or None
        The first reason found, in the order of the module docstring.
    """
    row = index.site_row.get(site.id)
    if row is None:
        return Finding(Reason.NO_LOCATION)
    road_matrix = matrix.method != "fallback"
    if road_matrix and bool(matrix.fallback[row]) and not rules.plan_off_network:
        return Finding(Reason.OFF_NETWORK)
    # Reachable by at least one way the teams travel (a car or a motorbike).
    own = [matrix.for_profile(p) for p in sorted({t.profile for t in teams} or {CAR})]
    if all(
        max(int(m.durations_s[index.depot, row]), int(m.durations_s[row, index.depot]))
        >= UNREACHABLE_S
        for m in own
    ):
        return Finding(Reason.UNREACHABLE)
    if teams and not any(site.needs <= t.skills for t in teams):
        have = frozenset().union(*(t.skills for t in teams))
        best = min(teams, key=lambda t: (len(site.needs - t.skills), t.id))
        nobody = site.needs - have
        missing = nobody or (site.needs - best.skills)
        return Finding(
            Reason.NO_SKILL,
            missing=frozenset(missing),
            needs=site.needs,
            closest_team="" if nobody else best.name,
        )
    if site.pinned_team_id is not None:
        pinned = next((t for t in teams if t.id == site.pinned_team_id), None)
        if pinned is None or not site.needs <= pinned.skills:
            return Finding(Reason.PINNED_TEAM_UNAVAILABLE)
    if site.pinned_date is not None and dates and site.pinned_date not in dates:
        return Finding(Reason.PINNED_OTHER_DAY, pinned=site.pinned_date)
    return None


def capable_team_days(site: Site, team_days: Sequence[TeamDay]) -> list[TeamDay]:
    """Team-days with every skill ``site`` needs (and the pinned team, if any)."""
    return [
        td
        for td in team_days
        if site.needs <= td.team.skills
        and (site.pinned_team_id is None or td.team.id == site.pinned_team_id)
    ]


def _fits_alone(
    site: Site, team_days: Sequence[TeamDay], index: PointIndex, matrix: TravelMatrix
) -> bool:
    seen: set[tuple[object, ...]] = set()
    row = index.site_row[site.id]
    for td in team_days:
        start_row = index.team_start[td.team.id]
        key = (start_row, td.start_s, td.return_by_s, td.breaks, td.team.profile)
        if key in seen:
            continue  # same start, hours and breaks as a team already tried
        seen.add(key)
        timed = schedule_route(
            td, [site], rows=[row], start_row=start_row, depot_row=index.depot, matrix=matrix
        )
        if timed is not None:
            return True
    return False


def check_site_on_day(
    site: Site,
    day: dt.date,
    *,
    team_days: Sequence[TeamDay],
    index: PointIndex,
    matrix: TravelMatrix,
) -> Finding | None:
    """Reasons ``site`` cannot be visited on ``day`` by any of ``team_days``.

    Parameters
    ----------
    site
        A site that passed :func:`check_site`.
    day
        The day.
    team_days
        The teams working that day (those with approved, locked routes excluded).
    index, matrix
        Matrix rows and the matrix.

    Returns
    -------
    Finding or None
        ``None`` when a single-visit route on ``day`` exists.
    """
    if site.pinned_date is not None and site.pinned_date != day:
        return Finding(Reason.PINNED_OTHER_DAY, pinned=site.pinned_date)
    capable = capable_team_days(site, team_days)
    if not capable:
        return Finding(Reason.NO_TEAM_ON_DAY)
    windows = site.windows_on(day)
    if windows == ():
        return Finding(Reason.NOT_AVAILABLE)
    if site.start_windows_on(day) == ():
        return Finding(Reason.WINDOW_TOO_SHORT)
    if _fits_alone(site, capable, index, matrix):
        return None
    if windows is not None and _fits_alone(
        dataclasses.replace(site, availability=()), capable, index, matrix
    ):
        return Finding(Reason.WINDOWS_MISS_SHIFTS)
    return Finding(Reason.TOO_LONG)
