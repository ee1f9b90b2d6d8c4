"""Which sites a day's solve is handed: urgent ones first, then whole areas, within capacity.

VROOM slows sharply when a day is heavily oversubscribed (bench/README: 150 requests for six
teams take 2.5-12.6 s), so each day gets a candidate list of about ``candidate_factor`` (1.3)
times what its teams can do -- ``candidate_factor_early`` (1.1) on a day with more days of
the horizon after it, where leftovers simply move on and a tight list keeps each team in its
area -- chosen in this order:

1. *must* sites: pinned to the day, deadline on or before it, or priority at least
   ``must_priority`` (darurat) -- most urgent first;
2. then whole area groups (see :mod:`outreach.planning.clustering`): first the group with the
   most urgent site (ties: the larger summed priority), then again and again the group of the
   highest urgency tier (its most urgent site's priority in steps of 10) that is nearest, in
   mean travel time, to the groups already chosen -- so a day grows around its most urgent
   area instead of jumping across town between groups of equal urgency; inside a group, most
   urgent first.

A site is deferred when the day's card-printing capacity would overflow (``card_capacity_full``;
later sites without cards can still go), and the list ends at the first site that would push the
estimated work past the budget (``day_full``): stopping there, instead of skipping ahead to
small sites of far-away groups, keeps each team in one area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from outreach.domain import Site
from outreach.planning.reasons import Reason

TIER = 10  # priority points per urgency tier when growing a day's area


@dataclass(frozen=True)
class Selection:
    """The day's candidates (in selection order) and the sites deferred, with why."""

    candidates: tuple[Site, ...]
    deferred: dict[int, Reason]


def is_must(site: Site, day: dt.date, must_priority: int) -> bool:
    """True for a site that has to be tried on ``day`` whatever the area."""
    return (
        site.pinned_date == day
        or (site.deadline is not None and site.deadline <= day)
        or site.priority >= must_priority
    )


def _order_groups(groups: Mapping[int, Sequence[Site]], gap: npt.NDArray[np.float64]) -> list[int]:
    top = {g: max(s.priority for s in members) for g, members in groups.items()}
    total = {g: sum(s.priority for s in members) for g, members in groups.items()}
    remaining = sorted(groups)
    order: list[int] = []

    def distance(label: int) -> float:
        if label < 0 or label >= gap.shape[0]:
            return float("inf")
        known = [o for o in order if 0 <= o < gap.shape[0]]
        return min((float(gap[label, o]) for o in known), default=float("inf"))

    while remaining:
        if order:
            best = min(remaining, key=lambda g: (-(top[g] // TIER), distance(g), g))
        else:
            best = min(remaining, key=lambda g: (-top[g], -total[g], g))
        order.append(best)
        remaining.remove(best)
    return order


def select_candidates(
    sites: Sequence[Site],
    day: dt.date,
    *,
    group: Mapping[int, int],
    group_gap: npt.NDArray[np.float64],
    work_s: Mapping[int, float],
    capacity_s: float,
    cards_left: int | None,
    candidate_factor: float,
    must_priority: int,
) -> Selection:
    """Choose the sites to hand the solver for ``day``.

    Parameters
    ----------
    sites
        Sites that can be visited on ``day`` (prechecks passed).
    day
        The day.
    group
        Site id -> area group (``0 .. k-1``).
    group_gap
        ``(k, k)`` mean travel time between groups.
    work_s
        Site id -> estimated work in seconds (service + travel share).
    capacity_s
        The day's working time summed over its teams.
    cards_left
        Cards the printer can still take that day (``None``: no limit).
    candidate_factor
        Budget as a multiple of ``capacity_s``.
    must_priority
        Priority from which a site is always a candidate.

    Returns
    -------
    Selection
        Candidates and deferred sites.
    """
    groups: dict[int, list[Site]] = {}
    must: list[Site] = []
    for site in sites:
        if is_must(site, day, must_priority):
            must.append(site)
        else:
            groups.setdefault(group.get(site.id, -1), []).append(site)

    def by_priority(site: Site) -> tuple[int, int]:
        return (-site.priority, site.id)

    must_ids = {s.id for s in must}
    ordered = sorted(must, key=by_priority)
    for label in _order_groups(groups, group_gap):
        ordered.extend(sorted(groups[label], key=by_priority))

    budget = candidate_factor * capacity_s
    chosen: list[Site] = []
    deferred: dict[int, Reason] = {}
    used_s = 0.0
    cards = 0
    full = False
    for site in ordered:
        urgent = site.id in must_ids
        if full and not urgent:
            deferred[site.id] = Reason.DAY_FULL
            continue
        if cards_left is not None and cards + site.cards > cards_left:
            deferred[site.id] = Reason.CARD_CAPACITY_FULL
            continue
        cost = work_s.get(site.id, float(site.service_s))
        if used_s + cost > budget and not urgent and chosen:
            full = True
            deferred[site.id] = Reason.DAY_FULL
            continue
        chosen.append(site)
        used_s += cost
        cards += site.cards
    return Selection(tuple(chosen), deferred)
