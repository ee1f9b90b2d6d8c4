"""The planner's solvers on Solomon's VRPTW instances, next to PyVRP and OR-Tools.

Instances: ../shared/bench/solomon (C1, R1, RC1 and the long-horizon R201, R205, RC201,
RC205; 100 customers). Conventions (see its README): travel time = Euclidean distance;
service starts at or after the ready time and by the due date; vehicles leave the depot and
are back by its due date; at most the instance's fleet; objective = total distance only,
compared with ``distonly_distance`` of ``bks.csv``.

Integer scaling: every solver works on coordinates x100. Travel *times* are rounded up, so a
route that keeps its windows in integers keeps them exactly too; travel *costs* are rounded
to the nearest unit. Reported distances are recomputed in double precision from the routes
returned, after an independent feasibility check of every route (each customer exactly once,
capacity, time windows, depot due date, fleet size). An infeasible answer is reported as
such and left out of the mean gap.

Solvers, each given ``--budget`` seconds (default 2 s) per instance:

- ``vroom (adapter)``: ``VroomSolver``, exploration level 5, capped at the budget (2 threads);
- ``portfolio``: the product's ``outreach.planning.portfolio.BudgetedSolver(budget)``: VROOM
  at the level that fits half the budget, then PyVRP seeded with VROOM's routes for an
  iteration count that fits the other half. No clock stop: its routes are the same on any
  machine, its time grows when the machine is busy;
- ``pyvrp``: PyVRP 0.14 (``MaxRuntime(budget)``, seed 1) through its own Model, and
  ``pyvrp 30 s``: the same with 30 s, the reference;
- ``ortools``: guided local search with the budget as time limit.

OR-Tools is a bench-only extra (``pip install -e '.[bench]'``). The machine is shared: the
load average at start and end is written with the results.

    .venv/bin/python bench/solomon.py                  # all 33 instances, ~25 min
    .venv/bin/python bench/solomon.py --budget 5 C101 R101
    .venv/bin/python bench/solomon.py --solvers portfolio "pyvrp 30 s" R201 RC205
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from outreach.planning.portfolio import BudgetedSolver  # noqa: E402
from outreach.planning.solver import (  # noqa: E402
    RoutingProblem,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.vroom_adapter import VroomSolver  # noqa: E402

DATA = REPO.parent / "shared" / "bench" / "solomon"
RESULTS = REPO / "bench" / "results"
SCALE = 100


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    xy: npt.NDArray[np.float64]  # (n+1, 2), depot first
    demand: list[int]
    ready: list[float]
    due: list[float]
    service: list[float]

    @property
    def n(self) -> int:
        return len(self.demand) - 1

    def distances(self) -> npt.NDArray[np.float64]:
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((diff**2).sum(axis=-1))


def read_instance(path: Path) -> Instance:
    lines = [line.split() for line in path.read_text().splitlines()]
    numbers = [row for row in lines if row and all(_is_number(x) for x in row)]
    vehicles, capacity = (int(x) for x in numbers[0])
    rows = [[float(x) for x in row] for row in numbers[1:]]
    return Instance(
        name=path.stem,
        vehicles=vehicles,
        capacity=capacity,
        xy=np.array([[r[1], r[2]] for r in rows]),
        demand=[int(r[3]) for r in rows],
        ready=[r[4] for r in rows],
        due=[r[5] for r in rows],
        service=[r[6] for r in rows],
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_bks() -> dict[str, dict[str, str]]:
    with (DATA / "bks.csv").open() as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


# --- independent check ----------------------------------------------------------------------


def check_routes(inst: Instance, routes: Sequence[Sequence[int]]) -> tuple[list[str], float]:
    """Violations and the double-precision total distance of ``routes`` (customer numbers)."""
    d = inst.distances()
    problems: list[str] = []
    seen = [c for r in routes for c in r]
    if sorted(seen) != list(range(1, inst.n + 1)):
        problems.append(f"customers visited {len(seen)} times in all, {len(set(seen))} distinct")
    used = [r for r in routes if r]
    if len(used) > inst.vehicles:
        problems.append(f"{len(used)} routes > fleet {inst.vehicles}")
    total = 0.0
    eps = 1e-6
    for r in used:
        if sum(inst.demand[c] for c in r) > inst.capacity:
            problems.append(f"capacity exceeded on {r[:3]}...")
        t = inst.ready[0]
        prev = 0
        for c in r:
            t = max(t + d[prev, c], inst.ready[c])
            if t > inst.due[c] + eps:
                problems.append(f"customer {c} served at {t:.3f} > due {inst.due[c]}")
            t += inst.service[c]
            total += d[prev, c]
            prev = c
        t += d[prev, 0]
        total += d[prev, 0]
        if t > inst.due[0] + eps:
            problems.append(f"back at {t:.3f} > depot due {inst.due[0]}")
    return problems, total


# --- the three solvers ----------------------------------------------------------------------


def _scaled(inst: Instance) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    d = inst.distances() * SCALE
    return np.ceil(d - 1e-9).astype(np.int64), np.rint(d).astype(np.int64)


def routing_problem(inst: Instance) -> RoutingProblem:
    """The instance in the planner's solver vocabulary (integer times x100)."""
    times, costs = _scaled(inst)
    jobs = tuple(
        SolverJob(
            id=c,
            index=c,
            service_s=round(inst.service[c] * SCALE),
            windows=((round(inst.ready[c] * SCALE), math.floor(inst.due[c] * SCALE)),),
            amount=(inst.demand[c],),
        )
        for c in range(1, inst.n + 1)
    )
    vehicles = tuple(
        SolverVehicle(
            id=v,
            start_index=0,
            end_index=0,
            window=(round(inst.ready[0] * SCALE), math.floor(inst.due[0] * SCALE)),
            capacity=(inst.capacity,),
        )
        for v in range(inst.vehicles)
    )
    return RoutingProblem(durations=times, costs=costs, jobs=jobs, vehicles=vehicles)


def solve_vroom(inst: Instance, budget_s: float) -> list[list[int]]:
    solver = VroomSolver(exploration_level=5, threads=2, timeout_s=budget_s)
    solution = solver.solve(routing_problem(inst))
    return [list(r.job_ids) for r in solution.routes]


def solve_portfolio(inst: Instance, budget_s: float) -> list[list[int]]:
    """The product's BudgetedSolver (VROOM, then PyVRP seeded with it; no clock stop)."""
    solution = BudgetedSolver(budget_s).solve(routing_problem(inst))
    return [list(r.job_ids) for r in solution.routes]


def solve_pyvrp_30(inst: Instance, budget_s: float) -> list[list[int]]:
    """PyVRP for a fixed 30 s (the reference), whatever ``--budget`` says."""
    return solve_pyvrp(inst, REFERENCE_S)


def solve_pyvrp(inst: Instance, budget_s: float) -> list[list[int]]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    times, costs = _scaled(inst)
    model = Model()
    locations = [model.add_location(float(x), float(y)) for x, y in inst.xy * SCALE]
    model.add_depot(
        locations[0],
        tw_early=round(inst.ready[0] * SCALE),
        tw_late=math.floor(inst.due[0] * SCALE),
    )
    for c in range(1, inst.n + 1):
        model.add_client(
            locations[c],
            delivery=[inst.demand[c]],
            service_duration=round(inst.service[c] * SCALE),
            tw_early=round(inst.ready[c] * SCALE),
            tw_late=math.floor(inst.due[c] * SCALE),
        )
    model.add_vehicle_type(
        inst.vehicles,
        capacity=[inst.capacity],
        tw_early=round(inst.ready[0] * SCALE),
        tw_late=math.floor(inst.due[0] * SCALE),
    )
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i != j:
                model.add_edge(a, b, distance=int(costs[i, j]), duration=int(times[i, j]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.solve(stop=MaxRuntime(budget_s), seed=1, display=False)
    return [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]


def solve_ortools(inst: Instance, budget_s: float) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    times, costs = _scaled(inst)
    service = [round(s * SCALE) for s in inst.service]
    manager = pywrapcp.RoutingIndexManager(inst.n + 1, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(i: int, j: int) -> int:
        return int(costs[manager.IndexToNode(i), manager.IndexToNode(j)])

    def transit(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(times[a, b]) + service[a]

    def demand(i: int) -> int:
        return inst.demand[manager.IndexToNode(i)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    time_cb = routing.RegisterTransitCallback(transit)
    horizon = math.floor(inst.due[0] * SCALE)
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for c in range(1, inst.n + 1):
        dim.CumulVar(manager.NodeToIndex(c)).SetRange(
            round(inst.ready[c] * SCALE), math.floor(inst.due[c] * SCALE)
        )
    for v in range(inst.vehicles):
        dim.CumulVar(routing.Start(v)).SetRange(round(inst.ready[0] * SCALE), horizon)
        dim.CumulVar(routing.End(v)).SetRange(round(inst.ready[0] * SCALE), horizon)
    demand_cb = routing.RegisterUnaryTransitCallback(demand)
    routing.AddDimensionWithVehicleCapacity(
        demand_cb, 0, [inst.capacity] * inst.vehicles, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    params.first_solution_strategy = strategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(budget_s * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return []
    routes: list[list[int]] = []
    for v in range(inst.vehicles):
        index = routing.Start(v)
        route: list[int] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes


SOLVERS: dict[str, Callable[[Instance, float], list[list[int]]]] = {
    "vroom (adapter)": solve_vroom,
    "portfolio": solve_portfolio,
    "pyvrp": solve_pyvrp,
    "pyvrp 30 s": solve_pyvrp_30,
    "ortools": solve_ortools,
}
REFERENCE_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="*", help="names like C101 (default: all)")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per solver run")
    parser.add_argument(
        "--solvers",
        nargs="*",
        # OR-Tools is optional: left out when it is not installed.
        default=[s for s in SOLVERS if s != "ortools" or importlib.util.find_spec("ortools")],
        help=f"subset of {', '.join(SOLVERS)}",
    )
    parser.add_argument("--out", default="solomon.json", help="file name in bench/results")
    args = parser.parse_args()
    solvers = {label: SOLVERS[label] for label in args.solvers}
    load_at_start = os.getloadavg()
    bks = read_bks()
    names = args.instances or sorted(p.stem for p in DATA.glob("*.txt"))
    rows: list[dict[str, object]] = []
    print(f"Budget {args.budget:g} s per instance and solver; gap to best known (distance only)\n")
    header = " | ".join(f"{s} gap | {s} s | {s} veh" for s in solvers)
    print(f"| instance | BKS | {header} |")
    print("|---|---|" + "---|---|---|" * len(solvers))
    for name in names:
        inst = read_instance(DATA / f"{name}.txt")
        best = float(bks[name]["distonly_distance"])
        cells = [name, f"{best:.2f}"]
        row: dict[str, object] = {"instance": name, "bks": best}
        for label, solve in solvers.items():
            t0 = time.perf_counter()
            routes = solve(inst, args.budget)
            elapsed = time.perf_counter() - t0
            problems, distance = check_routes(inst, routes)
            feasible = not problems
            gap = distance / best - 1 if feasible else None
            cells += [
                f"{gap:+.2%}" if gap is not None else "infeasible",
                f"{elapsed:.2f}",
                str(len(routes)),
            ]
            row[label] = {
                "distance": distance,
                "gap": gap,
                "seconds": elapsed,
                "vehicles": len(routes),
                "feasible": feasible,
                "problems": problems[:3],
            }
        print("| " + " | ".join(cells) + " |", flush=True)
        rows.append(row)
    print()
    print("| solver | mean gap | feasible | mean s | max s |")
    print("|---|---|---|---|---|")
    summary: dict[str, dict[str, float | int]] = {}
    for label in solvers:
        stats = [r[label] for r in rows]
        gaps = [s["gap"] for s in stats if s["feasible"]]  # type: ignore[index]
        secs = [s["seconds"] for s in stats]  # type: ignore[index]
        summary[label] = {
            "mean_gap": statistics.fmean(gaps) if gaps else float("nan"),
            "feasible": len(gaps),
            "instances": len(stats),
            "mean_s": statistics.fmean(secs),
            "max_s": max(secs),
        }
        s = summary[label]
        print(
            f"| {label} | {s['mean_gap']:+.2%} | {s['feasible']}/{s['instances']} | "
            f"{s['mean_s']:.2f} | {s['max_s']:.2f} |"
        )
    print()
    print("| solver | mean gap, 100-series | mean gap, 200-series |")
    print("|---|---|---|")
    for label in solvers:
        by_series: list[str] = []
        for series in ("1", "2"):
            gaps = [
                r[label]["gap"]  # type: ignore[index]
                for r in rows
                if str(r["instance"]).lstrip("CR")[:1] == series and r[label]["feasible"]  # type: ignore[index]
            ]
            mean = statistics.fmean(gaps) if gaps else float("nan")
            summary[label][f"mean_gap_{series}00"] = mean
            by_series.append(f"{mean:+.2%} ({len(gaps)})")
        print(f"| {label} | {' | '.join(by_series)} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / args.out
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_at_start": load_at_start,
        "load": os.getloadavg(),
    }
    out.write_text(
        json.dumps(
            {"budget_s": args.budget, "machine": machine, "summary": summary, "instances": rows},
            indent=2,
        )
    )
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
