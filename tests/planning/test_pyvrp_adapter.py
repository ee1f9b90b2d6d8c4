"""PyVRP behind the RoutingSolver protocol: exact on what it states, refuses the rest."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from outreach.planning.portfolio import check_solution
from outreach.planning.pyvrp_adapter import PyVrpSolver, UnsupportedProblem
from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.vroom_adapter import VroomSolver

H = 3600


def grid_problem(
    n: int,
    *,
    seed: int = 7,
    vehicles: int = 2,
    windows: bool = True,
    shift: tuple[int, int] = (8 * H, 15 * H),
    **vehicle_kwargs: object,
) -> RoutingProblem:
    """``n`` jobs at random points (travel = 10 s per unit of distance), depot at row 0."""
    rng = random.Random(seed)
    points = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]
    xy = np.array(points, dtype=float)
    durations = np.rint(np.linalg.norm(xy[:, None] - xy[None], axis=-1) * 10).astype(np.int64)
    jobs = []
    for i in range(1, n + 1):
        window: tuple[tuple[int, int], ...] = ()
        if windows and i % 3 == 0:
            start = shift[0] + rng.randint(0, 4) * H
            window = ((start, start + 2 * H),)
        jobs.append(SolverJob(id=100 + i, index=i, service_s=600, windows=window))
    fleet = tuple(
        SolverVehicle(id=v + 1, start_index=0, end_index=0, window=shift, **vehicle_kwargs)  # type: ignore[arg-type]
        for v in range(vehicles)
    )
    return RoutingProblem(durations=durations, jobs=tuple(jobs), vehicles=fleet)


def brute_force_cost(problem: RoutingProblem) -> int:
    """The cheapest way to serve every job with two identical vehicles (all orders, splits)."""
    ids = [j.id for j in problem.jobs]
    best: int | None = None
    v1, v2 = (v.id for v in problem.vehicles)
    for order in itertools.permutations(ids):
        for k in range(len(ids) + 1):
            routes = [SolvedRoute(v1, order[:k]), SolvedRoute(v2, order[k:])]
            solution = RoutingSolution(tuple(r for r in routes if r.job_ids), ())
            evaluation = check_solution(problem, solution)
            if evaluation.feasible and (best is None or evaluation.cost < best):
                best = evaluation.cost
    assert best is not None
    return best


def test_small_instance_solved_to_optimum_by_both_engines() -> None:
    problem = grid_problem(6)
    optimum = brute_force_cost(problem)
    for solver in (PyVrpSolver(iterations=2000), VroomSolver(exploration_level=5)):
        evaluation = check_solution(problem, solver.solve(problem))
        assert evaluation.feasible, (solver.name, evaluation.violations)
        assert evaluation.served == 6
        assert evaluation.cost == optimum, solver.name


def test_time_windows_and_shift_are_kept() -> None:
    problem = grid_problem(25, shift=(8 * H, 13 * H))
    solution = PyVrpSolver(iterations=1500).solve(problem)
    assert check_solution(problem, solution).feasible
    assert not solution.unassigned or len(solution.unassigned) < 25


def test_skills_decide_who_serves_a_job() -> None:
    # Job 7 sits next to vehicle 1's start but needs skill 5, which only vehicle 2 has.
    durations = np.array(
        [
            [0, 10, 500, 500],
            [10, 0, 500, 500],
            [500, 500, 0, 10],
            [500, 500, 10, 0],
        ],
        dtype=np.int64,
    )
    jobs = (
        SolverJob(id=7, index=1, service_s=60, skills=frozenset({5})),
        SolverJob(id=8, index=3, service_s=60),
    )
    vehicles = (
        SolverVehicle(id=1, start_index=0, end_index=0, window=(0, 10_000)),
        SolverVehicle(id=2, start_index=2, end_index=2, window=(0, 10_000), skills=frozenset({5})),
    )
    problem = RoutingProblem(durations=durations, jobs=jobs, vehicles=vehicles)
    solution = PyVrpSolver(iterations=500).solve(problem)
    by_vehicle = {r.vehicle_id: r.job_ids for r in solution.routes}
    assert 7 in by_vehicle[2]
    assert check_solution(problem, solution).feasible


def test_max_tasks_and_capacity_are_kept() -> None:
    problem = grid_problem(12, vehicles=3, windows=False, max_tasks=4)
    solution = PyVrpSolver(iterations=1000).solve(problem)
    assert all(len(r.job_ids) <= 4 for r in solution.routes)
    assert not solution.unassigned
    loaded = grid_problem(6, vehicles=2, windows=False, capacity=(3,))
    loaded = RoutingProblem(
        durations=loaded.durations,
        jobs=tuple(
            SolverJob(id=j.id, index=j.index, service_s=j.service_s, amount=(1,))
            for j in loaded.jobs
        ),
        vehicles=loaded.vehicles,
    )
    solution = PyVrpSolver(iterations=1000).solve(loaded)
    assert sorted(len(r.job_ids) for r in solution.routes) == [3, 3]
    assert check_solution(loaded, solution).feasible


def test_priority_is_served_first_when_the_day_is_full() -> None:
    # One vehicle with time for one visit: the urgent far job beats the near one.
    durations = np.array([[0, 100, 900], [100, 0, 900], [900, 900, 0]], dtype=np.int64)
    jobs = (
        SolverJob(id=1, index=1, service_s=600, priority=0),
        SolverJob(id=2, index=2, service_s=600, priority=80),
    )
    vehicles = (SolverVehicle(id=1, start_index=0, end_index=0, window=(0, 2500)),)
    problem = RoutingProblem(durations=durations, jobs=jobs, vehicles=vehicles)
    solution = PyVrpSolver(iterations=300).solve(problem)
    assert solution.routes == (SolvedRoute(1, (2,)),)
    assert solution.unassigned == (1,)


def test_breaks_and_several_windows_are_refused_not_dropped() -> None:
    solver = PyVrpSolver(iterations=100)
    base = grid_problem(4, windows=False)
    lunch = SolverBreak(1, ((12 * H, 13 * H),), H)
    with_break = RoutingProblem(
        durations=base.durations,
        jobs=base.jobs,
        vehicles=tuple(
            SolverVehicle(id=v.id, start_index=0, end_index=0, window=v.window, breaks=(lunch,))
            for v in base.vehicles
        ),
    )
    assert solver.supports(base) is None
    reason = solver.supports(with_break)
    assert reason is not None and "break" in reason
    with pytest.raises(UnsupportedProblem, match="break"):
        solver.solve(with_break)
    two_windows = RoutingProblem(
        durations=base.durations,
        jobs=(SolverJob(id=1, index=1, service_s=60, windows=((9 * H, 10 * H), (13 * H, 14 * H))),),
        vehicles=base.vehicles,
    )
    with pytest.raises(UnsupportedProblem, match="more than one time window"):
        solver.solve(two_windows)


def test_same_problem_same_routes() -> None:
    problem = grid_problem(30, vehicles=3)
    first = PyVrpSolver(iterations=800).solve(problem)
    second = PyVrpSolver(iterations=800).solve(problem)
    assert first == second
    assert check_solution(problem, first).feasible


def test_starting_routes_seed_the_search_and_are_never_worsened() -> None:
    problem = grid_problem(20, vehicles=2)
    vroom = VroomSolver(exploration_level=1).solve(problem)
    assert not vroom.unassigned
    by_vehicle = {r.vehicle_id: r.job_ids for r in vroom.routes}
    seeded = RoutingProblem(
        durations=problem.durations,
        jobs=problem.jobs,
        vehicles=tuple(
            SolverVehicle(
                id=v.id,
                start_index=v.start_index,
                end_index=v.end_index,
                window=v.window,
                initial_jobs=by_vehicle.get(v.id, ()),
            )
            for v in problem.vehicles
        ),
    )
    # Ten iterations are far too few to find this alone: the seed carries it.
    result = check_solution(problem, PyVrpSolver(iterations=10).solve(seeded))
    assert result.feasible and result.served == 20
    assert result.cost <= check_solution(problem, vroom).cost


def test_road_profiles_map_to_pyvrp_profiles() -> None:
    # Job 1 must start by 150 s: 200 s away by car, 100 s by motorbike.
    car = np.array([[0, 200], [200, 0]], dtype=np.int64)
    motor = np.array([[0, 100], [100, 0]], dtype=np.int64)
    jobs = (SolverJob(id=1, index=1, service_s=60, windows=((0, 150),)),)
    vehicles = (
        SolverVehicle(id=1, start_index=0, end_index=0, window=(0, 1000)),
        SolverVehicle(id=2, start_index=0, end_index=0, window=(0, 1000), profile="motor"),
    )
    problem = RoutingProblem(
        durations=car, jobs=jobs, vehicles=vehicles, profile_durations={"motor": motor}
    )
    solver = PyVrpSolver(iterations=200)
    assert solver.supports(problem) is None
    solution = solver.solve(problem)
    assert solution.routes == (SolvedRoute(2, (1,)),)
    assert check_solution(problem, solution).feasible
    no_matrix = RoutingProblem(durations=car, jobs=jobs, vehicles=vehicles)
    with pytest.raises(UnsupportedProblem, match="motor"):
        solver.solve(no_matrix)
