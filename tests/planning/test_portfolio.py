"""The budgeted portfolio: independent checks, the better feasible answer, never a broken one."""

from __future__ import annotations

import dataclasses

import numpy as np

from outreach.planning.portfolio import (
    BudgetedSolver,
    check_solution,
    pick_best,
    pyvrp_around_breaks,
    repair,
    vroom_level_for,
    without_breaks,
)
from outreach.planning.pyvrp_adapter import PyVrpSolver
from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.vroom_adapter import VroomSolver
from tests.planning.test_pyvrp_adapter import grid_problem

H = 3600


def line_problem(*, breaks: tuple[SolverBreak, ...] = ()) -> RoutingProblem:
    """Depot at 0 and jobs 1..4 on a line, 100 s apart; job 4 needs skill 9 and opens late."""
    xs = np.array([0, 100, 200, 300, 400])
    durations = np.abs(xs[:, None] - xs[None]).astype(np.int64)
    jobs = (
        SolverJob(id=1, index=1, service_s=60, priority=10),
        SolverJob(id=2, index=2, service_s=60),
        SolverJob(id=3, index=3, service_s=60, windows=((0, 1000),)),
        SolverJob(id=4, index=4, service_s=60, skills=frozenset({9}), windows=((2000, 3000),)),
    )
    vehicles = (
        SolverVehicle(id=1, start_index=0, end_index=0, window=(0, 5000), breaks=breaks),
        SolverVehicle(
            id=2,
            start_index=0,
            end_index=0,
            window=(0, 5000),
            skills=frozenset({9}),
            max_tasks=2,
            breaks=breaks,
        ),
    )
    return RoutingProblem(durations=durations, jobs=jobs, vehicles=vehicles)


def solution(*routes: tuple[int, tuple[int, ...]], left: tuple[int, ...] = ()) -> RoutingSolution:
    return RoutingSolution(tuple(SolvedRoute(v, jobs) for v, jobs in routes), left)


def test_checker_accepts_a_good_solution_and_values_it() -> None:
    problem = line_problem()
    evaluation = check_solution(problem, solution((1, (1, 2, 3)), (2, (4,))))
    assert evaluation.feasible, evaluation.violations
    assert (evaluation.priority, evaluation.served, evaluation.cost) == (10, 4, 600 + 800)


def test_checker_finds_every_kind_of_broken_rule() -> None:
    problem = line_problem()
    cases = {
        "skill": solution((1, (1, 2, 3, 4))),
        "window": solution((1, (1, 2)), (2, (4, 3))),  # job 3 after 2000 s: too late
        "more than 2 jobs": solution((1, (4,)), (2, (1, 2, 3))),
        "exactly once": solution((1, (1, 2, 3)), (2, (4, 1))),
        "missing": solution((1, (1, 2)), (2, (4,))),  # job 3 neither served nor left out
        "vehicle": solution((1, (1, 2)), (1, (3,)), left=(4,)),
    }
    for label, case in cases.items():
        assert not check_solution(problem, case).feasible, label


def test_checker_knows_breaks() -> None:
    # A 1000 s break that must start by 500 s: only a short morning fits before it.
    problem = line_problem(breaks=(SolverBreak(1, ((0, 500),), 1000),))
    ok = solution((1, (1, 2, 3)), (2, (4,)))
    assert check_solution(problem, ok).feasible
    # Job 3 must start by 1000 s; with the break before it, it cannot.
    tight = line_problem(breaks=(SolverBreak(1, ((200, 250),), 1000),))
    assert not check_solution(tight, solution((1, (1, 2, 3)), (2, (4,)))).feasible


def test_keeps_the_better_feasible_answer_and_never_an_infeasible_one() -> None:
    problem = line_problem()
    cheap_but_broken = solution((1, (1, 2, 3, 4)))  # cheapest, but job 4 needs skill 9
    fewer_priorities = solution((1, (2, 3)), (2, (4,)), left=(1,))
    good = solution((1, (2, 1, 3)), (2, (4,)))
    best = solution((1, (1, 2, 3)), (2, (4,)))
    engine, chosen, evaluations = pick_best(
        problem,
        [
            ("a", cheap_but_broken),
            ("b", fewer_priorities),
            ("c", good),
            ("d", best),
        ],
    )
    assert not evaluations["a"].feasible
    assert evaluations["a"].cost < evaluations["d"].cost
    assert (engine, chosen) == ("d", best)
    # More summed priority beats lower cost.
    engine, _, _ = pick_best(problem, [("b", fewer_priorities), ("c", good)])
    assert engine == "c"
    # A tie keeps the first.
    engine, _, _ = pick_best(problem, [("x", best), ("y", best)])
    assert engine == "x"


def test_nothing_feasible_is_repaired_rather_than_returned() -> None:
    problem = line_problem()
    engine, chosen, _ = pick_best(problem, [("vroom", solution((1, (1, 2, 3, 4))))])
    assert engine == "repaired"
    assert check_solution(problem, chosen).feasible
    assert chosen == repair(problem, solution((1, (1, 2, 3, 4))))
    assert chosen.unassigned == (4,)


def test_portfolio_runs_pyvrp_when_it_can_and_names_the_winner() -> None:
    problem = grid_problem(30, vehicles=3)
    solver = BudgetedSolver(1.0)
    first = solver.solve(problem)
    assert check_solution(problem, first).feasible
    assert set(solver.last) == {"vroom", "pyvrp"}
    assert solver.winner in {"vroom", "pyvrp"}
    assert solver.name.startswith("vroom ") and " + pyvrp " in solver.name
    assert solver.name.endswith(f": {solver.winner}")
    best = min(e.key() for e in solver.last.values() if e.feasible)
    assert check_solution(problem, first).key() == best
    # Same problem and budget, same routes.
    assert BudgetedSolver(1.0).solve(problem) == first


def lunch_problem(jobs: int = 20, *, lunch_window: tuple[int, int] = (12 * H, 13 * H)):
    """``grid_problem`` with a one-hour lunch break for every vehicle."""
    lunch = SolverBreak(1, (lunch_window,), H)
    base = grid_problem(jobs, vehicles=2)
    return RoutingProblem(
        durations=base.durations,
        jobs=base.jobs,
        vehicles=tuple(
            SolverVehicle(id=v.id, start_index=0, end_index=0, window=v.window, breaks=(lunch,))
            for v in base.vehicles
        ),
    )


def test_portfolio_runs_pyvrp_around_the_lunch_break() -> None:
    problem = lunch_problem()
    solver = BudgetedSolver(1.0)
    result = solver.solve(problem)
    # VROOM, PyVRP's repaired routes and VROOM polishing them all compete; the result keeps
    # the break.
    assert set(solver.last) == {"vroom", "pyvrp", "pyvrp+vroom"}
    assert solver.winner in solver.last
    assert check_solution(problem, result).feasible
    assert check_solution(problem, result).key() == min(
        e.key() for e in solver.last.values() if e.feasible
    )
    assert BudgetedSolver(1.0).solve(problem) == result
    # use_pyvrp=False: VROOM alone.
    alone = BudgetedSolver(1.0, use_pyvrp=False)
    alone.solve(problem)
    assert set(alone.last) == {"vroom"}


def test_without_breaks_shortens_each_shift_by_its_breaks() -> None:
    problem = lunch_problem()
    relaxed = without_breaks(problem)
    for before, after in zip(problem.vehicles, relaxed.vehicles, strict=True):
        assert after.breaks == ()
        assert after.window == (before.window[0], before.window[1] - H)


def test_pyvrp_routes_that_clash_with_the_break_are_repaired() -> None:
    # Lunch must start 12:00-12:15; job 1 must start 12:05-12:10 and takes 30 minutes, so no
    # route can serve it and take lunch in time. Without the break PyVRP serves it; the
    # repaired answer leaves it out and keeps the break.
    durations = np.array([[0, 300, 300], [300, 0, 300], [300, 300, 0]], dtype=np.int64)
    jobs = (
        SolverJob(id=1, index=1, service_s=1800, windows=((12 * H + 300, 12 * H + 600),)),
        SolverJob(id=2, index=2, service_s=600),
    )
    lunch = SolverBreak(1, ((12 * H, 12 * H + 900),), H)
    vehicle = SolverVehicle(
        id=1, start_index=0, end_index=0, window=(8 * H, 16 * H), breaks=(lunch,)
    )
    problem = RoutingProblem(durations=durations, jobs=jobs, vehicles=(vehicle,))
    pyvrp = PyVrpSolver(iterations=500)
    relaxed_answer = pyvrp.solve(without_breaks(problem))
    assert 1 not in relaxed_answer.unassigned
    seed = RoutingSolution((), (1, 2))
    repaired, polished = pyvrp_around_breaks(problem, seed, pyvrp)
    for answer in (repaired, polished):
        assert check_solution(problem, answer).feasible
        assert 1 in answer.unassigned
        assert 2 not in answer.unassigned


def test_bigger_budget_buys_more_vroom_exploration() -> None:
    assert vroom_level_for(0.0, 150) == 2  # the planner's default for the size
    assert vroom_level_for(3.0, 150) >= 2
    assert vroom_level_for(30.0, 150) == 5
    assert vroom_level_for(3.0, 30) == 5


def test_vroom_drops_a_starting_route_it_refuses_and_still_solves() -> None:
    # Vehicle 1's starting route serves job 3 (window 0-1000) after job 4 (window 2000-3000):
    # VROOM refuses that route as infeasible; the adapter drops it and searches anyway.
    problem = line_problem()
    vehicles = (
        dataclasses.replace(problem.vehicles[0], initial_jobs=(1, 2)),
        dataclasses.replace(problem.vehicles[1], initial_jobs=(4, 3)),
    )
    answer = VroomSolver().solve(dataclasses.replace(problem, vehicles=vehicles))
    assert check_solution(problem, answer).feasible
    assert not answer.unassigned
