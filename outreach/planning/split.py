"""Splitting big collective visits into parts that each fit a team's shift.

A letter from an RW, a kelurahan or a school may list hundreds of residents; at 6 minutes a
person one visit for 120 pemula takes 730 minutes, more than any shift, so as one site it
would be left out forever (``too_long``). Offices send several teams with their own recording
kits, or come back on several days. So a collective request with more persons than
``max_persons`` becomes ``k = ceil(persons / max_persons)`` parts of near-equal persons
(120 with 40 -> 40/40/40; 90 -> 30/30/30; 121 -> 31/30/30/30), each a
:class:`~outreach.domain.Site` at the same point with its own service time and cards and
everything else of the request (needs, availability, priority, pins, deadline). The planner
treats the parts as independent sites: they may go to different teams on one day or to
different days.

Ids
    A part needs an id unique in the problem that is not another request's id, so parts get
    synthetic ids above :data:`PART_ID_BASE` (:func:`part_site_id`); ``Site.request_id`` and
    ``Site.part`` / ``Site.parts`` map a part back to its request, and ``Stop.part`` /
    ``Stop.parts`` / ``Stop.persons`` keep that on the stored stop. A request that is not split
    keeps its own id as the site id, so everything that does not know about parts still works.

Pure functions: no database and no flask here (the rows are read in ``records``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Iterable

from outreach.domain import Site
from outreach.planning.priority import cards_for, service_seconds

__all__ = [
    "DEFAULT_COLLECTIVE_MAX_PERSONS",
    "PART_ID_BASE",
    "part_label",
    "part_persons",
    "part_site_id",
    "parts_needed",
    "split_site",
]

# 40 persons: 10 + 40 x 6 = 250 minutes at the door, which leaves room for travel and lunch
# in a 7-hour shift.
DEFAULT_COLLECTIVE_MAX_PERSONS = 40
# Synthetic part ids live far above any request id, and each request has room for
# _PARTS_PER_REQUEST parts (a letter has at most a few hundred residents).
PART_ID_BASE = 10**12
_PARTS_PER_REQUEST = 10**4


def parts_needed(persons: int, max_persons: int) -> int:
    """How many parts a visit for ``persons`` needs with at most ``max_persons`` each.

    Parameters
    ----------
    persons
        People to serve (at least 1 is assumed).
    max_persons
        Most people one part may serve; values below 1 count as 1.

    Returns
    -------
    int
        ``ceil(persons / max_persons)``, at least 1.
    """
    return max(1, math.ceil(max(1, persons) / max(1, max_persons)))


def part_persons(persons: int, parts: int) -> tuple[int, ...]:
    """Near-equal persons of ``parts`` parts, the larger parts first (they sum to ``persons``).

    Examples
    --------
    >>> part_persons(121, 4)
    (31, 30, 30, 30)
    """
    parts = max(1, min(parts, max(1, persons)))
    base, extra = divmod(max(1, persons), parts)
    return tuple(base + (1 if i < extra else 0) for i in range(parts))


def part_site_id(request_id: int, part: int, parts: int) -> int:
    """The site id of part ``part`` (1-based) of ``parts`` of request ``request_id``.

    A request that is not split (``parts == 1``) keeps its own id.
    """
    if parts <= 1:
        return request_id
    return PART_ID_BASE + request_id * _PARTS_PER_REQUEST + part


def part_label(part: int, parts: int, persons: int) -> str:
    """The Indonesian label of a part, e.g. ``"bagian 2 dari 3, 40 orang"``."""
    return f"bagian {part} dari {parts}, {persons} orang"


def split_site(
    site: Site,
    *,
    parts: int,
    services: Iterable[str],
    setup_s: int,
    per_person_s: int,
    skip: Collection[int] = (),
) -> tuple[Site, ...]:
    """``site`` (a whole request) as ``parts`` parts, leaving out the part numbers in ``skip``.

    Parameters
    ----------
    site
        The request as one site (``site.id`` is the request's id).
    parts
        Number of parts (1: the site as it is, unless skipped).
    services
        The request's services (to count each part's cards).
    setup_s, per_person_s
        Service time of a part: setup plus seconds per person.
    skip
        Part numbers (1-based) not to return, e.g. parts already on approved routes.

    Returns
    -------
    tuple of Site
        The parts in order, each with its own id, persons, service time and cards.
    """
    request_id = site.request_key
    sizes = part_persons(site.persons, parts)
    if len(sizes) == 1:
        whole = dataclasses.replace(site, request_id=request_id, part=1, parts=1)
        return () if 1 in skip else (whole,)
    services = list(services)
    return tuple(
        dataclasses.replace(
            site,
            id=part_site_id(request_id, i, len(sizes)),
            request_id=request_id,
            part=i,
            parts=len(sizes),
            persons=n,
            service_s=service_seconds(n, setup_s=setup_s, per_person_s=per_person_s),
            cards=cards_for(services, n),
        )
        for i, n in enumerate(sizes, start=1)
        if i not in skip
    )
