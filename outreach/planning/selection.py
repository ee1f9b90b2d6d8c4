"""Which sites a day's solve is handed: urgent ones first, then whole areas, within capacity.

VROOM slows sharply when a day is heavily oversubscribed (bench/README: 150 requests for six
teams take 2.5-12.6 s), so each day gets a candidate list of about ``candidate_factor`` (1.3)
times what its teams can do, chosen in this order:

1. *must* sites: pinned to the day, deadline on or before it, or priority at least
   ``must_priority`` (darurat) -- most urgent first;
2. then area groups (see :mod:`outreach.planning.clustering`) by urgency: the group's most
   urgent site, then its summed priority; inside a group, most urgent first.

A site is deferred when the day's card-printing capacity would overflow (``card_capacity_full``;
later sites without cards can still go), and the list ends at the first site that would push the
estimated work past the budget (``day_full``): stopping there, instead of skipping ahead to
small sites of far-away groups, keeps each team in one area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from outreach.domain import Site
from outreach.planning.reasons import Reason


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


def select_candidates(
    sites: Sequence[Site],
    day: dt.date,
    *,
    group: Mapping[int, int],
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
        Site id -> area group.
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

    def urgency(label: int) -> tuple[int, int, int]:
        members = groups[label]
        return (-max(s.priority for s in members), -sum(s.priority for s in members), label)

    def by_priority(site: Site) -> tuple[int, int]:
        return (-site.priority, site.id)

    must_ids = {s.id for s in must}
    ordered = sorted(must, key=by_priority)
    for label in sorted(groups, key=urgency):
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
