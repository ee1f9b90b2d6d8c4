"""A time-budgeted portfolio of routing engines: VROOM, then PyVRP when it can state the day.

:class:`BudgetedSolver` spends a budget (seconds of planning per day, an office setting) on
two engines and keeps the better *feasible* answer:

1. VROOM (:class:`~outreach.planning.vroom_adapter.VroomSolver`). When PyVRP cannot take
   part (several windows per job, ...), VROOM gets the whole budget as exploration: the
   highest level whose expected time fits (:func:`vroom_level_for`), never below the planner's
   default. When PyVRP can, VROOM gets half of it and its routes seed PyVRP.
2. PyVRP (:class:`~outreach.planning.pyvrp_adapter.PyVrpSolver`) when
   :meth:`~outreach.planning.pyvrp_adapter.PyVrpSolver.supports` says it can state every rule,
   warm-started from VROOM's routes, for an iteration count derived from the budget and the
   number of jobs (:func:`~outreach.planning.pyvrp_adapter.iterations_for_budget`) that fits
   the other half. Seeded with a feasible solution, PyVRP's answer is never worse than VROOM's
   in its own objective.
3. Days with breaks (the office's lunch, the product's default), which PyVRP cannot state:
   :func:`pyvrp_around_breaks` -- PyVRP on the day without its breaks and with shifts shortened
   by their length (:func:`without_breaks`), its routes :func:`repair`-ed to keep the breaks,
   then polished by VROOM from there. VROOM alone keeps at least the planner's own level, so
   the portfolio is never worse than VROOM as shipped.

Each answer is checked independently here (:func:`check_solution`): every job once (served or
left out), vehicles known and used once, skills, capacities, ``max_tasks``, job windows, the
vehicle's window and its breaks. The planner's own checker
(:mod:`outreach.planning.feasibility`) works on timed plans of sites and team-days, not on the
solver vocabulary, hence this small one. The better feasible answer serves more summed
priority, then more jobs, then costs less (``costs``, else ``durations``); on a tie VROOM's is
kept. If neither passes (it should not happen), VROOM's routes are repaired by dropping the
visits that break a rule, so an infeasible answer is never returned.

Determinism: neither engine reads the clock (VROOM without a timeout, PyVRP with a fixed seed
and an iteration stop); the levels and iteration counts depend only on the budget and the
problem's size. Same problem and budget, same routes.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from outreach.planning.pyvrp_adapter import PyVrpSolver, iterations_for_budget
from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.vroom_adapter import VroomSolver, choose_exploration_level

DEFAULT_BUDGET_S = 3.0
_NO_BREAK = -1

# Seconds VROOM needs by exploration level, per (jobs / 100) squared. Measured on the day
# instances of bench/quality.py (48-213 jobs, with and without lunch) on the 2-core machine
# under a load of about 9 (other work running): level 1 ~1.2 s, 2 ~2.0, 3 ~3.7, 5 ~11; the
# table takes a third of that as the quiet-machine figure (level 4 interpolated).
_VROOM_S_PER_100_SQ = {1: 0.4, 2: 0.65, 3: 1.2, 4: 2.0, 5: 3.5}


def vroom_level_for(share_s: float, job_count: int, *, floor: int | None = None) -> int:
    """The highest VROOM exploration level expected to finish within ``share_s`` seconds.

    Never below ``floor`` (default: the planner's own level for the size,
    :func:`~outreach.planning.vroom_adapter.choose_exploration_level`).
    """
    scale = (max(job_count, 10) / 100) ** 2
    level = choose_exploration_level(job_count) if floor is None else floor
    for candidate in range(level + 1, 6):
        if _VROOM_S_PER_100_SQ[candidate] * scale <= share_s:
            level = candidate
    return level


@dataclass(frozen=True)
class Evaluation:
    """What a solution is worth, and what it breaks (empty ``violations``: feasible)."""

    violations: tuple[str, ...]
    priority: int
    served: int
    cost: int

    @property
    def feasible(self) -> bool:
        """No rule broken."""
        return not self.violations

    def key(self) -> tuple[int, int, int]:
        """Sort key: smaller is better (more priority, more jobs, then lower cost)."""
        return (-self.priority, -self.served, self.cost)


def _service_start(ready: int, job: SolverJob) -> int | None:
    if not job.windows:
        return ready
    for early, late in sorted(job.windows):
        if ready <= late:
            return max(ready, early)
    return None


def _route_end(
    problem: RoutingProblem,
    vehicle: SolverVehicle,
    jobs: Sequence[SolverJob],
    positions: Sequence[int],
) -> int | None:
    """Arrival back at the end when break ``b`` is taken at gap ``positions[b]``, or ``None``.

    Gap ``k`` leads to ``jobs[k]`` (``k == len(jobs)``: to the end). A break there is taken on
    arrival (travel first) when it can start in time, else before driving off; at the end it
    is taken before driving back. ``_NO_BREAK`` leaves it out: allowed only when the vehicle
    is back before the break must start.
    """
    dur = problem.durations_for(vehicle.profile)
    t = vehicle.window[0]
    here = vehicle.start_index
    n = len(jobs)
    for k in range(n + 1):
        to = jobs[k].index if k < n else vehicle.end_index
        travel = int(dur[here, to])
        arrived: int | None = None
        for brk, position in zip(vehicle.breaks, positions, strict=True):
            if position != k:
                continue
            if arrived is None and k < n and _break_start(brk, t + travel) is not None:
                arrived = t + travel
                t = arrived
            begin = _break_start(brk, t)
            if begin is None:
                return None
            t = begin + brk.duration_s
        t = t + travel if arrived is None else t
        if k < n:
            start = _service_start(t, jobs[k])
            if start is None:
                return None
            t = start + jobs[k].service_s
        here = to
    if t > vehicle.window[1]:
        return None
    for brk, position in zip(vehicle.breaks, positions, strict=True):
        if position == _NO_BREAK and not any(t <= late for _, late in brk.windows):
            return None
    return t


def _break_start(brk: SolverBreak, ready: int) -> int | None:
    for early, late in sorted(brk.windows):
        if ready <= late:
            return max(ready, early)
    return None


def _placements(stops: int, breaks: int) -> Iterator[tuple[int, ...]]:
    options = [_NO_BREAK, *range(stops + 1)]
    for combo in itertools.product(options, repeat=breaks):
        placed = [p for p in combo if p != _NO_BREAK]
        if placed == sorted(placed):
            yield combo


def route_is_timely(
    problem: RoutingProblem, vehicle: SolverVehicle, jobs: Sequence[SolverJob]
) -> bool:
    """Whether some placement of the vehicle's breaks keeps every window of the route."""
    return any(
        _route_end(problem, vehicle, jobs, positions) is not None
        for positions in _placements(len(jobs), len(vehicle.breaks))
    )


def _cost_matrix(problem: RoutingProblem, profile: str) -> npt.NDArray[np.int64]:
    """The vocabulary's cost: ``costs`` (else durations) by car, own durations otherwise."""
    if profile == "car" and problem.costs is not None:
        return problem.costs
    return problem.durations_for(profile)


def check_solution(problem: RoutingProblem, solution: RoutingSolution) -> Evaluation:
    """Check ``solution`` against every rule of ``problem`` and value it."""
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    problems: list[str] = []
    seen: list[int] = [j for r in solution.routes for j in r.job_ids] + list(solution.unassigned)
    if sorted(seen) != sorted(jobs):
        problems.append("not every job exactly once (served or left out)")
    used = [r.vehicle_id for r in solution.routes]
    if len(set(used)) != len(used) or not set(used) <= set(vehicles):
        problems.append("unknown vehicle, or a vehicle with two routes")
    priority = served = cost = 0
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        order = [jobs[j] for j in route.job_ids if j in jobs]
        if vehicle is None or len(order) != len(route.job_ids):
            continue
        label = f"vehicle {vehicle.id}"
        if vehicle.profile != "car" and vehicle.profile not in problem.profile_durations:
            problems.append(f"{label}: no travel times for profile {vehicle.profile!r}")
            continue
        if any(not j.skills <= vehicle.skills for j in order):
            problems.append(f"{label}: a job needs a skill it lacks")
        if vehicle.max_tasks is not None and len(order) > vehicle.max_tasks:
            problems.append(f"{label}: more than {vehicle.max_tasks} jobs")
        if vehicle.capacity:
            for d, cap in enumerate(vehicle.capacity):
                if sum(j.amount[d] if d < len(j.amount) else 0 for j in order) > cap:
                    problems.append(f"{label}: capacity {d} exceeded")
        if not route_is_timely(problem, vehicle, order):
            problems.append(f"{label}: a window, the shift or a break is missed")
        costs = _cost_matrix(problem, vehicle.profile)
        path = [vehicle.start_index, *(j.index for j in order), vehicle.end_index]
        cost += sum(int(costs[a, b]) for a, b in itertools.pairwise(path))
        priority += sum(j.priority for j in order)
        served += len(order)
    return Evaluation(tuple(problems), priority, served, cost)


def repair(problem: RoutingProblem, solution: RoutingSolution) -> RoutingSolution:
    """Keep each route's order but only the visits that still keep every rule."""
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    routes: list[SolvedRoute] = []
    taken: set[int] = set()
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None or any(r.vehicle_id == vehicle.id for r in routes):
            continue
        if vehicle.profile != "car" and vehicle.profile not in problem.profile_durations:
            continue
        kept: list[SolverJob] = []
        for job_id in route.job_ids:
            job = jobs.get(job_id)
            if job is None or job_id in taken or not job.skills <= vehicle.skills:
                continue
            trial = [*kept, job]
            if vehicle.max_tasks is not None and len(trial) > vehicle.max_tasks:
                continue
            if vehicle.capacity and any(
                sum(j.amount[d] if d < len(j.amount) else 0 for j in trial) > cap
                for d, cap in enumerate(vehicle.capacity)
            ):
                continue
            if route_is_timely(problem, vehicle, trial):
                kept = trial
        if kept:
            routes.append(SolvedRoute(vehicle.id, tuple(j.id for j in kept)))
            taken.update(j.id for j in kept)
    unassigned = tuple(sorted(j for j in jobs if j not in taken))
    return RoutingSolution(tuple(sorted(routes, key=lambda r: r.vehicle_id)), unassigned)


def without_breaks(problem: RoutingProblem) -> RoutingProblem:
    """The day as PyVRP can state it: no breaks, each shift shortened by its breaks' length.

    Neither a relaxation nor a restriction of ``problem``: a route that fits the shorter shift
    usually has room for its breaks, but a break window may still clash with a visit's window.
    Answers to it are therefore :func:`repair`-ed against ``problem`` and checked again.
    """
    vehicles = tuple(
        dataclasses.replace(
            v,
            breaks=(),
            window=(
                v.window[0],
                max(v.window[0], v.window[1] - sum(b.duration_s for b in v.breaks)),
            ),
        )
        for v in problem.vehicles
    )
    return dataclasses.replace(problem, vehicles=vehicles)


def pyvrp_around_breaks(
    problem: RoutingProblem,
    start: RoutingSolution,
    pyvrp: PyVrpSolver,
    *,
    threads: int = 2,
) -> tuple[RoutingSolution, RoutingSolution]:
    """PyVRP's answer for a day with breaks, made to keep them: ``(repaired, polished)``.

    PyVRP solves :func:`without_breaks` of ``problem`` seeded with ``start`` (VROOM's routes);
    its routes are :func:`repair`-ed against the real day (the breaks placed where they fit,
    visits that no longer fit dropped), then VROOM (exploration level 1) starts from them to
    put dropped visits back and tidy the routes with the breaks in view. Both answers are
    returned for the caller to check (:func:`pick_best`).
    """
    relaxed = without_breaks(problem)
    answer = pyvrp.solve(seeded(relaxed, start))
    repaired = repair(problem, answer)
    polished = VroomSolver(exploration_level=1, threads=threads).solve(seeded(problem, repaired))
    return repaired, polished


def seeded(problem: RoutingProblem, solution: RoutingSolution) -> RoutingProblem:
    """``problem`` with ``solution``'s routes as the vehicles' starting routes."""
    by_vehicle = {r.vehicle_id: r.job_ids for r in solution.routes}
    vehicles = tuple(
        dataclasses.replace(v, initial_jobs=by_vehicle.get(v.id, ())) for v in problem.vehicles
    )
    return dataclasses.replace(problem, vehicles=vehicles)


class BudgetedSolver:
    """VROOM and, where it can state the day, PyVRP within ``budget_s``; the better feasible wins.

    Parameters
    ----------
    budget_s
        Planning time the coordinator is willing to wait per day planned (seconds). It sets
        VROOM's exploration level and PyVRP's iterations; it is not a clock limit.
    threads
        Threads VROOM may use.
    use_pyvrp
        ``False`` runs VROOM alone (with the budget's exploration level).
    """

    def __init__(
        self, budget_s: float = DEFAULT_BUDGET_S, *, threads: int = 2, use_pyvrp: bool = True
    ) -> None:
        self.budget_s = max(0.0, budget_s)
        self.threads = threads
        self.use_pyvrp = use_pyvrp
        self._vroom_name = VroomSolver().name
        self._pyvrp_name = PyVrpSolver().name
        # Engine of the last solve: "vroom", "pyvrp", "pyvrp+vroom" (PyVRP's routes around the
        # breaks polished by VROOM) or "repaired".
        self.winner: str | None = None
        self.winners: list[str] = []  # every solve's winner, in order (one per day planned)
        self.last: dict[str, Evaluation] = {}  # the last solve's evaluation per engine
        self.levels: tuple[int, int] = (0, 0)  # last solve: VROOM level, PyVRP iterations

    @property
    def name(self) -> str:
        """``"vroom 1.x + pyvrp 0.14.1: pyvrp"``: after ``:`` the engines that won, first first.

        Stored with the plan once every day is solved, so a plan of several days may read
        ``"...: pyvrp, vroom"``.
        """
        engines = f"{self._vroom_name} + {self._pyvrp_name}"
        if not self.winners:
            return engines
        return f"{engines}: {', '.join(dict.fromkeys(self.winners))}"

    def solve(self, problem: RoutingProblem) -> RoutingSolution:
        """Solve ``problem`` with both engines where possible; return the better feasible one."""
        n = len(problem.jobs)
        exact = self.use_pyvrp and n > 0 and PyVrpSolver().supports(problem) is None
        # A day PyVRP cannot state only because of its breaks (the default lunch) gets PyVRP
        # on the day without them, repaired and polished by VROOM (pyvrp_around_breaks).
        around = (
            self.use_pyvrp
            and n > 0
            and not exact
            and any(v.breaks for v in problem.vehicles)
            and PyVrpSolver().supports(without_breaks(problem)) is None
        )
        if exact:
            # Half the budget to VROOM (at least level 1), the other half to PyVRP, seeded
            # with VROOM's routes.
            level = vroom_level_for(self.budget_s / 2, n, floor=1)
        elif around:
            # PyVRP's answer must still be repaired around the breaks, so VROOM keeps at least
            # the planner's own level: the portfolio is never worse than VROOM as shipped.
            level = vroom_level_for(self.budget_s / 2, n)
        else:
            level = vroom_level_for(self.budget_s, n)
        vroom = VroomSolver(exploration_level=level, threads=self.threads)
        results: list[tuple[str, RoutingSolution]] = [("vroom", vroom.solve(problem))]
        iterations = 0
        if exact or around:
            # PyVRP treats every client as required when VROOM served them all (faster).
            everyone = not results[0][1].unassigned
            # Around breaks, a third: the repair and VROOM's polish take the rest.
            share = self.budget_s / 2 if exact else self.budget_s / 3
            iterations = iterations_for_budget(share, n, all_required=everyone)
            pyvrp = PyVrpSolver(iterations=iterations)
            if exact:
                results.append(("pyvrp", pyvrp.solve(seeded(problem, results[0][1]))))
            else:
                repaired, polished = pyvrp_around_breaks(
                    problem, results[0][1], pyvrp, threads=self.threads
                )
                results += [("pyvrp+vroom", polished), ("pyvrp", repaired)]
        self.levels = (level, iterations)
        self.winner, best, self.last = pick_best(problem, results)
        self.winners.append(self.winner)
        return best


def pick_best(
    problem: RoutingProblem, candidates: Sequence[tuple[str, RoutingSolution]]
) -> tuple[str, RoutingSolution, dict[str, Evaluation]]:
    """The best feasible candidate (engine name, solution) and every candidate's evaluation.

    Better: more summed priority, then more jobs served, then lower cost; on a tie the earlier
    candidate. With no feasible candidate, the first one repaired (``"repaired"``).
    """
    evaluations = {engine: check_solution(problem, sol) for engine, sol in candidates}
    feasible = [
        (evaluations[engine].key(), i, engine)
        for i, (engine, _) in enumerate(candidates)
        if evaluations[engine].feasible
    ]
    if feasible:
        _, i, engine = min(feasible)
        return engine, candidates[i][1], evaluations
    return "repaired", repair(problem, candidates[0][1]), evaluations
