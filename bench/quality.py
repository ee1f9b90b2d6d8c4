"""Plan quality on realistic days: the budgeted portfolio next to PyVRP at 30 s and VROOM alone.

Day instances: the day cases of bench/day_plan.py (60 requests / 3 teams, 150 / 6, 400 / 10 on
Kota Yogyakarta's roads, same seed and mix). Each is loaded from a fresh SQLite database and
planned by the real engine (``plan_routes``) with a recording solver: the routing problems the
engine hands to its solver are the instances (the day's candidates, teams with shifts, skills,
pins, windows, priorities). Two variants of every day:

- *no lunch*: the office rule without a lunch break (``PlanRules.lunch = None``); PyVRP can
  state these days exactly, so the portfolio runs VROOM + PyVRP;
- *lunch*: the default rules (a one-hour lunch starting 12:00-13:00). PyVRP cannot state a
  break, so both the portfolio and the reference take the same path
  (``outreach.planning.portfolio.pyvrp_around_breaks``): PyVRP on the day without the break and
  with shifts an hour shorter, its routes repaired to keep the break, then polished by VROOM;
  the reference gives PyVRP 30 s there. VROOM at exploration level 5 (no time limit) is shown
  beside it.

Each solution is checked by ``outreach.planning.portfolio.check_solution`` (every job once,
skills, windows, shift, breaks, max stops) and valued the vocabulary's way: summed priority
served, jobs served, then cost (travel seconds). Gap = cost / PyVRP-30 s cost - 1 when both
serve the same priority (else the priority difference is shown).

    .venv/bin/python bench/quality.py                 # budget 3 s, PyVRP reference 30 s
    .venv/bin/python bench/quality.py --budget 2 --reference 30 --cases 60x3 150x6
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from day_plan import (  # noqa: E402
    CACHE_DIR,
    DAY_CASES,
    DEPOT,
    MONDAY,
    SEED,
    SHARED,
    fill_database,
    make_requests,
    road_points,
)
from sqlalchemy.orm import Session  # noqa: E402

from outreach.db import make_engine, upgrade_database  # noqa: E402
from outreach.geo.network import RoadNetwork, travel_model_for  # noqa: E402
from outreach.planning.engine import plan_routes  # noqa: E402
from outreach.planning.portfolio import (  # noqa: E402
    BudgetedSolver,
    Evaluation,
    check_solution,
    pyvrp_around_breaks,
)
from outreach.planning.problem import problem_points, travel_matrix  # noqa: E402
from outreach.planning.pyvrp_adapter import PyVrpSolver  # noqa: E402
from outreach.planning.service import load_inputs  # noqa: E402
from outreach.planning.solver import RoutingProblem, RoutingSolution  # noqa: E402
from outreach.planning.vroom_adapter import VroomSolver  # noqa: E402

RESULTS = REPO / "bench" / "results"


class Recorder:
    """A RoutingSolver that keeps every problem it is asked (and answers with VROOM)."""

    def __init__(self) -> None:
        self.problems: list[RoutingProblem] = []
        self._vroom = VroomSolver()

    @property
    def name(self) -> str:
        return self._vroom.name

    def solve(self, problem: RoutingProblem) -> RoutingSolution:
        self.problems.append(problem)
        return self._vroom.solve(problem)


def day_instances(travel: RoadNetwork, n: int, teams: int, *, lunch: bool) -> RoutingProblem:
    requests = make_requests(random.Random(SEED + n), road_points(travel), n)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        engine = make_engine(url)
        with Session(engine) as setup:
            fill_database(setup, requests, teams)
        with Session(engine, expire_on_commit=False) as session:
            inputs = load_inputs(session, start_date=MONDAY, days=1, seed=1)
        engine.dispose()
    problem = inputs.problem
    if not lunch:
        problem = dataclasses.replace(problem, rules=dataclasses.replace(problem.rules, lunch=None))
    matrix = travel_matrix(travel, problem_points(problem).points, problem.teams)
    recorder = Recorder()
    plan_routes(problem, matrix, solver=recorder)
    assert len(recorder.problems) == 1, "one day, one solve"
    return recorder.problems[0]


def run(solver: Any, problem: RoutingProblem) -> tuple[Evaluation, float]:
    t0 = time.perf_counter()
    solution = solver.solve(problem)
    elapsed = time.perf_counter() - t0
    evaluation = check_solution(problem, solution)
    if not evaluation.feasible:
        raise SystemExit(f"infeasible {solver.name}: {evaluation.violations[:3]}")
    return evaluation, elapsed


def describe(e: Evaluation, ref: Evaluation) -> tuple[str, float | None]:
    if (e.priority, e.served) == (ref.priority, ref.served):
        gap = e.cost / ref.cost - 1 if ref.cost else 0.0
        return f"{gap:+.2%}", gap
    return f"prio {e.priority - ref.priority:+d}, jobs {e.served - ref.served:+d}", None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=3.0, help="portfolio budget, s per day")
    parser.add_argument("--reference", type=float, default=30.0, help="PyVRP reference, s")
    parser.add_argument("--cases", nargs="*", default=[f"{n}x{t}" for n, t in DAY_CASES])
    args = parser.parse_args()
    travel = travel_model_for("kota-yogyakarta", search_dirs=[SHARED], cache_dir=CACHE_DIR)
    assert isinstance(travel, RoadNetwork)
    travel.matrix([DEPOT, road_points(travel)[0]])  # warm-up
    print(
        f"Budget {args.budget:g} s per day; reference PyVRP {args.reference:g} s; "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n"
    )
    print(
        "| day | lunch | jobs | VROOM default gap | s | portfolio gap | s | winner "
        "| PyVRP-ref cost | s | portfolio vs VROOM-5 | VROOM-5 s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows: list[dict[str, Any]] = []
    for case in args.cases:
        n, teams = (int(x) for x in case.split("x"))
        for lunch in (False, True):
            problem = day_instances(travel, n, teams, lunch=lunch)
            default, default_s = run(VroomSolver(), problem)
            explored, explored_s = run(VroomSolver(exploration_level=5), problem)
            portfolio = BudgetedSolver(args.budget)
            ours, ours_s = run(portfolio, problem)
            reference = PyVrpSolver(iterations=10**9, time_limit_s=args.reference)
            if lunch:
                # PyVRP 30 s on the day without breaks, repaired and polished to keep them:
                # the same path the portfolio takes, with the reference's time.
                t0 = time.perf_counter()
                seed = VroomSolver().solve(problem)
                pair = pyvrp_around_breaks(problem, seed, reference)
                ref_s = time.perf_counter() - t0
                ref = min(
                    (check_solution(problem, sol) for sol in pair),
                    key=lambda e: (not e.feasible, e.key()),
                )
                assert ref.feasible, ref.violations
            else:
                ref, ref_s = run(reference, problem)
            # When the portfolio beats the reference, gaps are measured against it.
            ref_best = ours if ref.key() > ours.key() else ref
            d_text, d_gap = describe(default, ref_best)
            o_text, o_gap = describe(ours, ref_best)
            # Lunch days: PyVRP's relaxation is no real reference; VROOM at level 5 (no time
            # limit) is the best exact one there is.
            x_text, x_gap = describe(ours, min(explored, ours, key=Evaluation.key))
            print(
                f"| {case} | {'yes' if lunch else 'no'} | {len(problem.jobs)} | {d_text} | "
                f"{default_s:.2f} | {o_text} | {ours_s:.2f} | {portfolio.winner} | "
                f"{ref.cost} (prio {ref.priority}, {ref.served} jobs) | {ref_s:.1f} | "
                f"{x_text} | {explored_s:.1f} |",
                flush=True,
            )
            rows.append(
                {
                    "case": case,
                    "lunch": lunch,
                    "jobs": len(problem.jobs),
                    "vroom_default": {**dataclasses.asdict(default), "s": default_s},
                    "portfolio": {
                        **dataclasses.asdict(ours),
                        "s": ours_s,
                        "winner": portfolio.winner,
                        "name": portfolio.name,
                    },
                    "pyvrp_reference": {
                        **dataclasses.asdict(ref),
                        "s": ref_s,
                        "breaks_relaxed": lunch,
                    },
                    "vroom_level5": {**dataclasses.asdict(explored), "s": explored_s},
                    "gap_portfolio_vs_vroom5": x_gap,
                    "gap_vroom_default": d_gap,
                    "gap_portfolio": o_gap,
                }
            )
    summary: dict[str, Any] = {}
    for lunch in (False, True):
        part = [r for r in rows if r["lunch"] == lunch]
        gaps = [r["gap_portfolio"] for r in part if r["gap_portfolio"] is not None]
        vgaps = [r["gap_vroom_default"] for r in part if r["gap_vroom_default"] is not None]
        x5 = [
            r["gap_portfolio_vs_vroom5"] for r in part if r["gap_portfolio_vs_vroom5"] is not None
        ]
        summary["lunch" if lunch else "no_lunch"] = {
            "portfolio_mean_gap": statistics.fmean(gaps) if gaps else None,
            "portfolio_comparable": f"{len(gaps)}/{len(part)}",
            "vroom_default_mean_gap": statistics.fmean(vgaps) if vgaps else None,
            "portfolio_mean_gap_vs_vroom5": statistics.fmean(x5) if x5 else None,
            "portfolio_mean_s": statistics.fmean(r["portfolio"]["s"] for r in part),
            "vroom5_mean_s": statistics.fmean(r["vroom_level5"]["s"] for r in part),
            "reference_mean_s": statistics.fmean(r["pyvrp_reference"]["s"] for r in part),
        }
    print()
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "quality.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    out.write_text(
        json.dumps(
            {
                "budget_s": args.budget,
                "reference_s": args.reference,
                "machine": machine,
                "summary": summary,
                "days": rows,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
