"""Area groups: nearby sites clustered on road travel time, balanced by workload.

A multi-day plan should send a team to one area a day rather than across town. Sites are
grouped with a capacitated k-medoids on the symmetrised travel-time matrix
(``(t_ij + t_ji) / 2``), each group sized to about one team-day of work:

1. workload of a site = its service time + an estimate of the driving it adds (the mean of its
   two shortest travel times to other sites or the office);
2. ``k = ceil(total workload / group size)``; medoids start k-means++ style from a seeded
   generator (the plan's seed, so the grouping is reproducible);
3. sites are assigned in order of regret (how much worse their second-nearest medoid is) to the
   nearest medoid with room left (room = 110 % of the mean group workload), each medoid then
   moves to the member with the least workload-weighted travel time to the others; repeated
   until the medoids settle (at most 20 rounds).

Medoids (real sites) rather than centroids keep everything on the road network's travel
times, which is what matters across a river or a railway.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

MAX_ROUNDS = 20
ROOM = 1.1


def symmetric_times(durations: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """``(t_ij + t_ji) / 2`` as floats."""
    d = durations.astype(np.float64)
    return (d + d.T) / 2.0


def travel_share(sym: npt.NDArray[np.float64], *, neighbours: int = 2) -> npt.NDArray[np.float64]:
    """Per point, the mean of its ``neighbours`` shortest times to other points."""
    n = sym.shape[0]
    if n <= 1:
        return np.zeros(n)
    masked = sym + np.diag(np.full(n, np.inf))
    k = min(neighbours, n - 1)
    nearest = np.partition(masked, k - 1, axis=1)[:, :k]
    share: npt.NDArray[np.float64] = nearest.mean(axis=1)
    return share


def _initial_medoids(sym: npt.NDArray[np.float64], k: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    n = sym.shape[0]
    medoids = [int(rng.integers(n))]
    closest = sym[medoids[0]].copy()
    while len(medoids) < k:
        weights = closest**2
        total = float(weights.sum())
        if total <= 0.0:
            rest = [i for i in range(n) if i not in medoids]
            medoids.append(rest[0])
        else:
            medoids.append(int(rng.choice(n, p=weights / total)))
        closest = np.minimum(closest, sym[medoids[-1]])
    return medoids


def _assign(
    sym: npt.NDArray[np.float64],
    work: npt.NDArray[np.float64],
    medoids: list[int],
    room: float,
) -> npt.NDArray[np.int64]:
    to_medoid = sym[:, medoids]  # (n, k)
    order_near = np.argsort(to_medoid, axis=1, kind="stable")
    if len(medoids) > 1:
        rows = np.arange(sym.shape[0])
        regret = to_medoid[rows, order_near[:, 1]] - to_medoid[rows, order_near[:, 0]]
    else:
        regret = np.zeros(sym.shape[0])
    labels = np.full(sym.shape[0], -1, dtype=np.int64)
    load = np.zeros(len(medoids))
    for m, medoid in enumerate(medoids):  # a medoid belongs to its own group
        labels[medoid] = m
        load[m] += work[medoid]
    for i in np.argsort(-regret, kind="stable"):
        if labels[i] >= 0:
            continue
        choice = int(order_near[i, 0])
        for m in order_near[i]:
            if load[m] + work[i] <= room:
                choice = int(m)
                break
        labels[i] = choice
        load[choice] += work[i]
    return labels


def _update(
    sym: npt.NDArray[np.float64],
    work: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    k: int,
) -> list[int]:
    medoids: list[int] = []
    for m in range(k):
        members = np.flatnonzero(labels == m)
        inner = sym[np.ix_(members, members)] @ work[members]
        medoids.append(int(members[int(np.argmin(inner))]))
    return medoids


def cluster_sites(
    sym: npt.NDArray[np.float64],
    work: npt.NDArray[np.float64],
    *,
    group_work: float,
    seed: int,
) -> npt.NDArray[np.int64]:
    """Group points into areas of about ``group_work`` seconds of work each.

    Parameters
    ----------
    sym
        ``(n, n)`` symmetric travel times between the sites.
    work
        ``(n,)`` workload per site in seconds (service + travel share).
    group_work
        Target workload of a group (about one team-day).
    seed
        Seed of the initial medoids.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` group label per site, ``0 .. k-1``, numbered by the group's medoid position
        so labels are stable for a given input.
    """
    n = sym.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    total = float(work.sum())
    k = max(1, min(n, math.ceil(total / max(group_work, 1.0))))
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    room = max(ROOM * total / k, float(work.max()))
    medoids = _initial_medoids(sym, k, seed)
    labels = _assign(sym, work, medoids, room)
    for _ in range(MAX_ROUNDS):
        updated = _update(sym, work, labels, k)
        if updated == medoids:
            break
        medoids = updated
        labels = _assign(sym, work, medoids, room)
    # Renumber by medoid index so equal inputs give equal labels whatever the search path.
    rank = {m: r for r, m in enumerate(np.argsort(medoids, kind="stable"))}
    return np.asarray([rank[int(label)] for label in labels], dtype=np.int64)


def group_gaps(
    sym: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """``(k, k)`` mean travel time between the members of two groups (0 on the diagonal)."""
    k = int(labels.max()) + 1 if labels.size else 0
    onehot = np.zeros((labels.size, k))
    onehot[np.arange(labels.size), labels] = 1.0
    counts = onehot.sum(axis=0)
    totals = onehot.T @ sym @ onehot
    gaps: npt.NDArray[np.float64] = totals / np.maximum(np.outer(counts, counts), 1.0)
    np.fill_diagonal(gaps, 0.0)
    return gaps
