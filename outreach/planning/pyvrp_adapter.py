"""PyVRP behind :class:`outreach.planning.solver.RoutingSolver`, for the days it can state exactly.

PyVRP (0.14) is a strong iterated local search for VRPTW-like problems. It cannot state every
rule of the solver vocabulary, so :meth:`PyVrpSolver.supports` says why a problem is out of its
reach and :meth:`PyVrpSolver.solve` raises :class:`UnsupportedProblem` rather than drop a rule.

How the vocabulary maps (exact unless the problem is refused):

- every job is its own PyVRP location (a copy of its matrix row), so per-job restrictions can
  be stated on edges; vehicles' start and end points are depots;
- one time window per job -> the client's ``tw_early``/``tw_late`` (both bound the start of
  service, as in the vocabulary); no window -> unconstrained; service -> ``service_duration``;
- a vehicle's window -> its vehicle type's ``tw_early`` (leave the start no earlier) and
  ``tw_late`` (back at the end no later);
- capacities and job amounts -> load dimensions (delivery); ``max_tasks`` -> one more load
  dimension where every job weighs 1 and the vehicle's capacity is ``max_tasks``;
- road profiles (a team on motorbikes) -> PyVRP routing profiles: ``durations_for(profile)``
  as durations and, as the vocabulary says, ``costs`` (else ``durations``) for ``"car"`` and
  the profile's own durations as cost for any other;
- skills -> more routing profiles: vehicles that may not serve the same set of jobs get their
  own profile (per road profile) whose edges into and out of the forbidden jobs take longer
  than any shift, so a route that visits one has time warp and is infeasible (PyVRP returns
  only feasible best solutions, and the adapter checks feasibility again);
- priorities -> optional clients with a prize: ``unit * (1 + priority * (n + 1))`` where
  ``unit`` exceeds the largest detour a job can cause (twice the longest leg). One priority
  point is worth more than serving every job, and a job more than the travel it adds, so the
  prize objective ranks solutions nearly like the vocabulary (summed priority, then jobs
  served, then cost). Prizes large enough to make it exact (more than a whole solution's
  cost per job) made PyVRP's search about half as fast for the same result on the day
  instances; the exact comparison is made by the portfolio's checker. When the
  starting routes (``initial_jobs``) already serve every job, all clients are *required*
  instead: some solution serves them all, so the best one does too (and PyVRP searches
  required clients far better than huge prizes);
- starting routes (``initial_jobs``) -> PyVRP's initial solution, used only when it is
  feasible (PyVRP's best solution is then never worse than it).

Refused: breaks (a break has no place of its own; PyVRP 0.14 has nothing to state it), jobs with
several time windows, a vehicle profile without travel times, capacities whose dimensions do
not match the jobs' amounts.

Determinism: a fixed seed and an iteration stop (``iterations``, default 20,000, or scaled from
``budget_s`` by :func:`iterations_for_budget`), so the same problem gives the same routes on
any machine and under any load. ``time_limit_s`` adds a wall-clock stop only when the caller
asks for one (then the result depends on the machine's speed; benchmarks use it).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp import (
    Activity,
    ActivityType,
    Client,
    Depot,
    Location,
    ProblemData,
    Route,
    Solution,
    VehicleType,
)
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverVehicle,
)

DEFAULT_ITERATIONS = 20_000
SEED = 1
_INT64_MAX = int(np.iinfo(np.int64).max)


class UnsupportedProblem(ValueError):  # noqa: N818 - the name the planner uses
    """The problem has a rule PyVRP cannot state exactly (the message says which)."""


def _pyvrp_version() -> str:
    try:
        return version("pyvrp")
    except PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


def iterations_for_budget(budget_s: float, job_count: int, *, all_required: bool = False) -> int:
    """A deterministic iteration count that takes about ``budget_s`` on a quiet 2-core machine.

    Measured on the shared machine under a load of 8-14 (bench/solomon.py, bench/quality.py)
    and divided by about four: an iteration costs roughly ``5 us x jobs`` when every client is
    required (Solomon, 100 jobs: ~2,000 iterations per second) and ``25 us x jobs`` when
    clients are optional with prizes (the day instances: ~300-700 per second). The count
    depends only on the budget and the problem, never on the clock.
    """
    per_job_s = 5e-6 if all_required else 2.5e-5
    per_iteration_s = per_job_s * max(job_count, 10) + 2e-4
    return max(200, int(budget_s / per_iteration_s))


def unsupported_reason(problem: RoutingProblem) -> str | None:
    """Why PyVRP cannot state ``problem`` exactly, or ``None`` when it can."""
    if any(v.breaks for v in problem.vehicles):
        return "breaks cannot be stated in PyVRP (a break has no location of its own)"
    if any(len(j.windows) > 1 for j in problem.jobs):
        return "a job has more than one time window"
    missing = {v.profile for v in problem.vehicles} - {"car", *problem.profile_durations}
    if missing:
        return f"no travel times for profile {sorted(missing)[0]!r}"
    dims = {len(j.amount) for j in problem.jobs if j.amount}
    dims |= {len(v.capacity) for v in problem.vehicles if v.capacity}
    if len(dims) > 1:
        return "capacities and job amounts have different numbers of dimensions"
    if dims and not all(v.capacity for v in problem.vehicles):
        return "some vehicles have no capacity while jobs carry amounts"
    if any(w[0] > w[1] for j in problem.jobs for w in j.windows) or any(
        v.window[0] > v.window[1] for v in problem.vehicles
    ):
        return "a time window ends before it starts"
    return None


@dataclass
class _Mapping:
    data: ProblemData
    job_ids: list[int]  # client index -> job id
    type_vehicles: list[list[int]]  # vehicle type -> vehicle ids (in order)
    initial: Solution | None


def _matrices(
    problem: RoutingProblem, profile: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Durations and costs of vehicles travelling by ``profile`` (see the vocabulary)."""
    durations = np.asarray(problem.durations_for(profile), dtype=np.int64)
    if profile == "car" and problem.costs is not None:
        costs = np.asarray(problem.costs, dtype=np.int64)
    else:
        costs = durations
    return np.clip(durations, 0, None), np.clip(costs, 0, None)


def _build(problem: RoutingProblem) -> _Mapping:
    jobs = problem.jobs
    n = len(jobs)

    # Locations: depots (distinct vehicle start/end rows) first, then one per job.
    depot_rows: list[int] = []
    for v in problem.vehicles:
        for row in (v.start_index, v.end_index):
            if row not in depot_rows:
                depot_rows.append(row)
    rows = depot_rows + [j.index for j in jobs]
    sub = np.ix_(rows, rows)
    n_depots = len(depot_rows)
    travel: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
    for name in sorted({v.profile for v in problem.vehicles}):
        durations, costs = _matrices(problem, name)
        dur, dist = durations[sub].copy(), costs[sub].copy()
        np.fill_diagonal(dur, 0)
        np.fill_diagonal(dist, 0)
        travel[name] = (dur, dist)
    max_leg = max(int(dist.max(initial=0)) for _, dist in travel.values())

    start = min(v.window[0] for v in problem.vehicles)
    end = max(v.window[1] for v in problem.vehicles)
    forbidden_duration = end - start + 1
    # Exceeds any route's cost: a forbidden edge is never worth taking, even when infeasible.
    forbidden_cost = max_leg * (n + 2 * len(problem.vehicles) + 2) + 1

    # Load dimensions: the jobs' amounts, then one for max_tasks when a vehicle has it.
    dims = max([len(j.amount) for j in jobs] + [len(v.capacity) for v in problem.vehicles])
    count_tasks = any(v.max_tasks is not None for v in problem.vehicles)

    # PyVRP profiles: one per travel profile and set of jobs the vehicle may not serve.
    def profile_key(v: SolverVehicle) -> tuple[str, frozenset[int]]:
        return v.profile, frozenset(c for c, j in enumerate(jobs) if not j.skills <= v.skills)

    profile_of: dict[tuple[str, frozenset[int]], int] = {}
    dist_mats: list[Any] = []  # int64 matrices (PyVRP's stubs spell the type oddly)
    dur_mats: list[Any] = []
    for v in problem.vehicles:
        key = profile_key(v)
        if key in profile_of:
            continue
        profile_of[key] = len(dist_mats)
        dur, dist = travel[v.profile]
        d_mat, t_mat = dist.copy(), dur.copy()
        for c in key[1]:
            loc = n_depots + c
            d_mat[loc, :] = forbidden_cost
            d_mat[:, loc] = forbidden_cost
            t_mat[loc, :] = forbidden_duration
            t_mat[:, loc] = forbidden_duration
            d_mat[loc, loc] = t_mat[loc, loc] = 0
        dist_mats.append(d_mat)
        dur_mats.append(t_mat)

    # Vehicle types: identical vehicles share one (fewer symmetric choices for the search).
    type_key: dict[tuple[object, ...], int] = {}
    type_vehicles: list[list[int]] = []
    type_args: list[dict[str, object]] = []
    for v in problem.vehicles:
        capacity = list(v.capacity) + [0] * (dims - len(v.capacity))
        if count_tasks:
            capacity.append(n if v.max_tasks is None else v.max_tasks)
        profile = profile_of[profile_key(v)]
        vkey = (v.start_index, v.end_index, v.window, tuple(capacity), profile)
        if vkey not in type_key:
            type_key[vkey] = len(type_args)
            type_vehicles.append([])
            type_args.append(
                {
                    "capacity": capacity,
                    "start_depot": depot_rows.index(v.start_index),
                    "end_depot": depot_rows.index(v.end_index),
                    "tw_early": int(v.window[0]),
                    "tw_late": int(v.window[1]),
                    "profile": profile,
                }
            )
        type_vehicles[type_key[vkey]].append(v.id)
    vehicle_types = [
        VehicleType(len(ids), **args)  # type: ignore[arg-type]
        for args, ids in zip(type_args, type_vehicles, strict=True)
    ]
    type_of = {vid: t for t, ids in enumerate(type_vehicles) for vid in ids}

    by_id = {j.id: c for c, j in enumerate(jobs)}
    initial_routes = [
        (type_of[v.id], [by_id[j] for j in v.initial_jobs if j in by_id])
        for v in problem.vehicles
        if v.initial_jobs
    ]
    # A job's prize exceeds the largest detour it can cause; a priority point exceeds any
    # number of jobs (see the module docstring).
    unit = 2 * max_leg + 1
    point = (n + 1) * unit

    def data_for(required: bool) -> ProblemData:
        clients = []
        for c, j in enumerate(jobs):
            delivery = list(j.amount) + [0] * (dims - len(j.amount))
            if count_tasks:
                delivery.append(1)
            early, late = j.windows[0] if j.windows else (0, _INT64_MAX)
            clients.append(
                Client(
                    location=n_depots + c,
                    delivery=delivery,
                    service_duration=int(j.service_s),
                    tw_early=int(early),
                    tw_late=int(late),
                    prize=0 if required else unit + int(j.priority) * point,
                    required=required,
                )
            )
        return ProblemData(
            locations=[Location(0.0, 0.0) for _ in rows],
            clients=clients,
            depots=[Depot(location=i) for i in range(n_depots)],
            vehicle_types=vehicle_types,
            distance_matrices=dist_mats,
            duration_matrices=dur_mats,
        )

    job_ids = [j.id for j in jobs]
    if sorted(c for _, r in initial_routes for c in r) == list(range(n)):
        data = data_for(required=True)
        initial = _initial(data, initial_routes)
        if initial is not None:
            return _Mapping(data, job_ids, type_vehicles, initial)
    data = data_for(required=False)
    return _Mapping(data, job_ids, type_vehicles, _initial(data, initial_routes))


def _initial(data: ProblemData, routes: Sequence[tuple[int, list[int]]]) -> Solution | None:
    """The starting routes as a PyVRP solution, or ``None`` when they are not feasible."""
    if not routes:
        return None
    try:
        solution = Solution(
            data,
            [
                Route(data, [Activity(ActivityType.CLIENT, c) for c in clients], vehicle_type)
                for vehicle_type, clients in routes
                if clients
            ],
        )
    except (RuntimeError, ValueError):
        return None
    return solution if solution.is_feasible() else None


class PyVrpSolver:
    """A :class:`~outreach.planning.solver.RoutingSolver` backed by PyVRP (refuses what it cannot).

    Parameters
    ----------
    iterations
        Iterations of PyVRP's search (the deterministic stop).
    time_limit_s
        Optional wall-clock stop on top of ``iterations`` (results then depend on the machine).
    seed
        Random seed of the search.
    """

    def __init__(
        self,
        *,
        iterations: int = DEFAULT_ITERATIONS,
        time_limit_s: float | None = None,
        seed: int = SEED,
    ) -> None:
        self.iterations = max(1, iterations)
        self.time_limit_s = time_limit_s
        self.seed = seed

    @property
    def name(self) -> str:
        """``pyvrp <version>``."""
        return f"pyvrp {_pyvrp_version()}"

    def supports(self, problem: RoutingProblem) -> str | None:
        """``None`` when PyVRP states ``problem`` exactly, else the reason it cannot."""
        return unsupported_reason(problem)

    def solve(self, problem: RoutingProblem) -> RoutingSolution:
        """Solve ``problem`` with PyVRP.

        Raises
        ------
        UnsupportedProblem
            When the problem has a rule PyVRP cannot state (see :meth:`supports`).
        """
        reason = self.supports(problem)
        if reason is not None:
            raise UnsupportedProblem(reason)
        if not problem.jobs or not problem.vehicles:
            return RoutingSolution((), tuple(sorted(j.id for j in problem.jobs)))
        mapping = _build(problem)
        stop: StoppingCriterion = MaxIterations(self.iterations)
        if self.time_limit_s is not None:
            stop = MultipleCriteria([stop, MaxRuntime(self.time_limit_s)])
        with warnings.catch_warnings():
            # PyVRP warns about its own data checks (e.g. time windows wider than the horizon).
            warnings.simplefilter("ignore")
            result = pyvrp.solve(
                mapping.data,
                stop=stop,
                seed=self.seed,
                collect_stats=False,
                display=False,
                initial_solution=mapping.initial,
            )
        best = result.best
        if not best.is_feasible():
            # No feasible solution found: serve nothing rather than break a rule.
            return RoutingSolution((), tuple(sorted(mapping.job_ids)))
        return _parse(best, mapping)


def _parse(best: Solution, mapping: _Mapping) -> RoutingSolution:
    free = [list(ids) for ids in mapping.type_vehicles]
    routes: list[SolvedRoute] = []
    for route in best.routes():
        job_ids = tuple(mapping.job_ids[a.idx] for a in route if a.is_client())
        if not job_ids:
            continue
        vehicle_id = free[route.vehicle_type()].pop(0)
        routes.append(SolvedRoute(vehicle_id, job_ids))
    routes.sort(key=lambda r: r.vehicle_id)
    served = {j for r in routes for j in r.job_ids}
    unassigned = tuple(sorted(j for j in mapping.job_ids if j not in served))
    return RoutingSolution(tuple(routes), unassigned)
