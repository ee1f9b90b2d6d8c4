"""The budgeted portfolio: independent checks, the better feasible answer, never a broken one."""

from __future__ import annotations

import numpy as np

from outreach.planning.portfolio import (
    BudgetedSolver,
    check_solution,
    pick_best,
    repair,
    vroom_level_for,
)
from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
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


def test_portfolio_uses_vroom_alone_on_days_with_breaks() -> None:
    lunch = SolverBreak(1, ((12 * H, 13 * H),), H)
    base = grid_problem(20, vehicles=2)
    problem = RoutingProblem(
        durations=base.durations,
        jobs=base.jobs,
        vehicles=tuple(
            SolverVehicle(id=v.id, start_index=0, end_index=0, window=v.window, breaks=(lunch,))
            for v in base.vehicles
        ),
    )
    solver = BudgetedSolver(1.0)
    result = solver.solve(problem)
    assert set(solver.last) == {"vroom"}
    assert solver.winner == "vroom"
    assert check_solution(problem, result).feasible


def test_bigger_budget_buys_more_vroom_exploration() -> None:
    assert vroom_level_for(0.0, 150) == 2  # the planner's default for the size
    assert vroom_level_for(3.0, 150) >= 2
    assert vroom_level_for(30.0, 150) == 5
    assert vroom_level_for(3.0, 30) == 5
