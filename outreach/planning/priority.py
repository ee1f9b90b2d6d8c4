"""Priority, service time and card counts of a request.

Priority (0-100, higher first; it is VROOM's job priority too) is a category base raised by
waiting time and a near deadline:

==============  ====
category        base
==============  ====
darurat          90
sakit            60
disabilitas      50
lansia           40
kolektif         30
pemula           30
lainnya          15
==============  ====

plus one point per three days of waiting (at most 25, so a request waiting two months climbs
about two categories and is not starved), plus 40 / 25 / 10 points when its deadline is today
or past / within 3 days / within 7 days, plus 10 points for each visit that found nobody home
or was put off (``ServiceRequest.attempts``, at most 3 count: after the third the request
waits for a coordinator's call, see :mod:`outreach.visits`), plus the persons points of a
collective visit (below); capped at 100. VROOM maximises the summed priority of the visits it
makes before it minimises travel, and the planner hands every site at
``PlanRules.must_priority`` (default 90) to the solver on any day it can be served.

Persons points (collective visits only: a letter to an RW hall or a school, a sweep): one
point per three persons beyond the first, at most 19 (:func:`persons_points`):

=======================  ======  ========
collective visit for     points  priority
=======================  ======  ========
1-3 persons                 0      30
10 persons                  3      33
31 persons                 10      40  (= a fresh lansia home visit)
40 persons                 13      43
58 persons or more         19      49  (< disabilitas 50)
=======================  ======  ========

Why: counted as one kolektif visit (30), a 40-person sweep or school visit came after every
lansia, sakit and disabilitas request in the queue, in the day's candidate selection and in the
solver's insertion order, and big sweeps waited (bench/coverage_week.py). With persons points
it comes before a lansia home visit of the same wait, but never before a sakit, disabilitas or
darurat one (at most 49): those residents cannot come to a hall. Waiting still counts for both,
so neither starves: a lansia request that has waited twelve days (4 points) goes before a fresh
40-person sweep, and a sweep reaches the waiting cap like anyone else. Home visits get no
persons points (a family of three at home is one visit, planned by its category).

Priority alone cannot give a big visit its day when every competitor is a lansia visit or more
urgent: the solver sums priority per visit, and a 250-minute sweep loses to the six or seven
home visits it would displace at any priority up to 100 (measured in
tests/coverage/test_sweep_weight.py). That needs team time reserved for it by the planner.

Service time at the door is a setup plus minutes per person (defaults 10 + 12 min); the walk
from the road to the door is already inside the travel-time matrix (see ``outreach.geo``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

CATEGORY_BASE: dict[str, int] = {
    "darurat": 90,
    "sakit": 60,
    "disabilitas": 50,
    "lansia": 40,
    "kolektif": 30,
    "pemula": 30,
    "lainnya": 15,
}
WAITING_DAYS_PER_POINT = 3
WAITING_CAP = 25
ATTEMPT_POINTS = 10
ATTEMPTS_COUNTED = 3
PERSONS_PER_POINT = 3
PERSONS_CAP = 19  # kolektif 30 + 19 = 49: below disabilitas (50) of the same wait
CARD_SERVICES = frozenset({"perekaman_ktp", "cetak_ktp"})
SETUP_S = 10 * 60
PER_PERSON_S = 12 * 60
# At an RW hall or a school the kit records a queue of people without moving or settling in at
# each home: about 6 minutes a person (photo, ten fingerprints, iris, signature). At the home
# rate a 40-person letter would not fit in any shift.
COLLECTIVE_PER_PERSON_S = 6 * 60


def priority_for(
    category: str,
    *,
    waiting_days: int = 0,
    days_to_deadline: int | None = None,
    attempts: int = 0,
    persons: int = 1,
    collective: bool = False,
) -> int:
    """Priority 0-100 of a request.

    Parameters
    ----------
    category
        A ``Category`` value; unknown values count as ``lainnya``.
    waiting_days
        Days since the request was verified (or created).
    days_to_deadline
        Days from the planned day to the deadline (0 = today, negative = past), or ``None``.
    attempts
        Earlier visits that did not serve the resident (not home, put off).
    persons
        Persons the visit serves (the whole request, also when it is planned in parts).
    collective
        A visit that serves a group in one place (a letter, category kolektif, a sweep):
        it gets :func:`persons_points`; a home visit gets none.

    Returns
    -------
    int
        Between 0 and 100.
    """
    value = CATEGORY_BASE.get(category, CATEGORY_BASE["lainnya"])
    value += min(WAITING_CAP, max(0, waiting_days) // WAITING_DAYS_PER_POINT)
    value += ATTEMPT_POINTS * min(ATTEMPTS_COUNTED, max(0, attempts))
    if collective:
        value += persons_points(persons)
    if days_to_deadline is not None:
        if days_to_deadline <= 0:
            value += 40
        elif days_to_deadline <= 3:
            value += 25
        elif days_to_deadline <= 7:
            value += 10
    return max(0, min(100, value))


def persons_points(persons: int) -> int:
    """Priority points of a collective visit for ``persons``: one per three beyond the first.

    At most :data:`PERSONS_CAP` (19), so a collective visit never passes a sakit, disabilitas
    or darurat home visit of the same wait.

    Examples
    --------
    >>> [persons_points(n) for n in (1, 4, 31, 40, 200)]
    [0, 1, 10, 13, 19]
    """
    return min(PERSONS_CAP, max(0, persons - 1) // PERSONS_PER_POINT)


def waiting_days(since: dt.datetime | dt.date | None, today: dt.date) -> int:
    """Whole days between ``since`` and ``today`` (0 when unknown or in the future)."""
    if since is None:
        return 0
    start = since.date() if isinstance(since, dt.datetime) else since
    return max(0, (today - start).days)


def service_seconds(
    persons: int, *, setup_s: int = SETUP_S, per_person_s: int = PER_PERSON_S
) -> int:
    """Time at the door: ``setup_s + per_person_s * persons`` (at least one person)."""
    return setup_s + per_person_s * max(1, persons)


def cards_for(services: Iterable[str], persons: int) -> int:
    """Cards a visit sends to the printer: one per person when it records or prints e-KTP."""
    return max(1, persons) if CARD_SERVICES.intersection(services) else 0
