"""Stable re-planning on Kota Yogyakarta's roads: how many visits one small change moves.

A 5-day draft of about 120 visits (3 teams, a backlog a little larger than the week can take,
requests made as in bench/day_plan.py) is planned once. Then, for each of three changes --
one request added, one removed, one pinned to another day -- the changed problem is planned
twice: from scratch (``plan_routes``, what re-planning did before) and from the draft
(``stability.plan_stable``: previous visits soft-pinned to their team and day). Each change is
tried on ``--trials`` different requests.

Reported per change: visits of the draft moved to another team or day, or dropped (count and
% of the draft's visits; the request the change is about is not counted), and what stability
costs against the fresh plan: visits served and total travel time.

    .venv/bin/python bench/stability.py
    .venv/bin/python bench/stability.py --trials 1    # quicker
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import random
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
    MONDAY,
    RESULTS,
    SHARED,
    fill_database,
    make_requests,
    road_points,
)
from sqlalchemy.orm import Session  # noqa: E402

from outreach.db import make_engine, upgrade_database  # noqa: E402
from outreach.domain import PlanResult, TravelModel  # noqa: E402
from outreach.geo.network import RoadNetwork, travel_model_for  # noqa: E402
from outreach.planning.engine import plan_routes  # noqa: E402
from outreach.planning.feasibility import check_plan  # noqa: E402
from outreach.planning.problem import PlanningProblem, problem_points, travel_matrix  # noqa: E402
from outreach.planning.service import load_inputs  # noqa: E402
from outreach.planning.stability import (  # noqa: E402
    movement,
    plan_stable,
    result_positions,
)

SEED = 20250310
REQUESTS = 125
TEAMS = 3
DAYS = 5


def load_problem(requests: list[dict[str, Any]]) -> PlanningProblem:
    """The week's problem through the real loading path (priorities, service times, windows)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        engine = make_engine(url)
        with Session(engine) as setup:
            fill_database(setup, requests, TEAMS)
        with Session(engine, expire_on_commit=False) as session:
            problem = load_inputs(session, start_date=MONDAY, days=DAYS, seed=1).problem
        engine.dispose()
    return problem


def solve(travel: TravelModel, problem: PlanningProblem, previous: Any = None) -> PlanResult:
    matrix = travel_matrix(travel, problem_points(problem).points, problem.teams)
    if previous is None:
        result = plan_routes(problem, matrix)
    else:
        result = plan_stable(problem, matrix, previous)
    violations = check_plan(problem, matrix, result)
    assert not violations, violations[:3]
    return result


def travel_s(result: PlanResult) -> int:
    return sum(r.travel_s for r in result.routes)


def visits(result: PlanResult) -> int:
    return sum(len(r.stops) for r in result.routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3, help="requests tried per change")
    args = parser.parse_args()
    travel = travel_model_for("kota-yogyakarta", search_dirs=[SHARED], cache_dir=CACHE_DIR)
    assert isinstance(travel, RoadNetwork)
    points = road_points(travel)
    rng = random.Random(SEED)
    requests = make_requests(rng, points, REQUESTS + args.trials)
    extra = requests[REQUESTS:]  # held back: each is "the request added"
    full = load_problem(requests)
    by_id = {s.id: s for s in full.sites}
    extra_ids = {r["id"] for r in extra}
    base_problem = dataclasses.replace(
        full, sites=tuple(s for s in full.sites if s.request_key not in extra_ids)
    )
    t0 = time.perf_counter()
    base = solve(travel, base_problem)
    base_s = time.perf_counter() - t0
    previous = result_positions(base)
    n_base = visits(base)
    print(
        f"Draft: {len(base_problem.sites)} requests, {TEAMS} teams, {DAYS} days from {MONDAY}: "
        f"{n_base} visits, travel {travel_s(base) / 3600:.1f} h ({base_s:.1f} s)\n"
    )
    planned = sorted(previous)
    pick = random.Random(SEED + 1)
    dates = base_problem.dates
    cases: list[tuple[str, str, PlanningProblem, frozenset[int]]] = []
    for i in range(args.trials):
        new = by_id[extra[i]["id"]]
        cases.append(
            (
                "one request added",
                f"+{new.id} ({new.category}, prio {new.priority})",
                dataclasses.replace(base_problem, sites=(*base_problem.sites, new)),
                frozenset({new.id}),
            )
        )
    for _ in range(args.trials):
        gone = pick.choice(planned)
        cases.append(
            (
                "one request removed",
                f"-{gone}",
                dataclasses.replace(
                    base_problem, sites=tuple(s for s in base_problem.sites if s.id != gone)
                ),
                frozenset({gone}),
            )
        )
    for _ in range(args.trials):
        moved = pick.choice(planned)
        day = previous[moved][1]
        other = pick.choice([d for d in dates if d != day])
        cases.append(
            (
                "one pinned to another day",
                f"{moved}: {day:%a} -> {other:%a}",
                dataclasses.replace(
                    base_problem,
                    sites=tuple(
                        dataclasses.replace(s, pinned_date=other) if s.id == moved else s
                        for s in base_problem.sites
                    ),
                ),
                frozenset({moved}),
            )
        )
    print(
        "| change | trial | moved, fresh re-plan | moved, stable | visits fresh / stable "
        "| travel h fresh / stable | stable rounds | s fresh / stable |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows: list[dict[str, Any]] = []
    for name, trial, problem, ignore in cases:
        t0 = time.perf_counter()
        fresh = solve(travel, problem)
        t1 = time.perf_counter()
        stable = solve(travel, problem, previous)
        t2 = time.perf_counter()
        m_fresh = movement(previous, fresh, ignore=ignore)
        m_stable = movement(previous, stable, ignore=ignore)
        row = {
            "change": name,
            "trial": trial,
            "draft_visits": n_base,
            "fresh": {
                "moved": m_fresh.moved,
                "dropped": m_fresh.dropped,
                "moved_share": m_fresh.moved_share,
                "visits": visits(fresh),
                "travel_s": travel_s(fresh),
                "seconds": t1 - t0,
            },
            "stable": {
                "moved": m_stable.moved,
                "dropped": m_stable.dropped,
                "moved_share": m_stable.moved_share,
                "visits": visits(stable),
                "travel_s": travel_s(stable),
                "seconds": t2 - t1,
                "rounds": stable.timings_s.get("stability_rounds", 1),
                "released_pins": stable.timings_s.get("released_pins", 0),
            },
        }
        rows.append(row)
        f, s = row["fresh"], row["stable"]
        print(
            f"| {name} | {trial} | {f['moved']} + {f['dropped']} dropped ({f['moved_share']:.0%})"
            f" | {s['moved']} + {s['dropped']} dropped ({s['moved_share']:.1%}) | "
            f"{f['visits']} / {s['visits']} | {f['travel_s'] / 3600:.2f} / "
            f"{s['travel_s'] / 3600:.2f} | {s['rounds']:.0f} | "
            f"{f['seconds']:.1f} / {s['seconds']:.1f} |",
            flush=True,
        )
    summary: dict[str, Any] = {}
    for name in dict.fromkeys(r["change"] for r in rows):
        mine = [r for r in rows if r["change"] == name]
        summary[name] = {
            "fresh_moved_share_max": max(r["fresh"]["moved_share"] for r in mine),
            "stable_moved_share_max": max(r["stable"]["moved_share"] for r in mine),
            "visits_lost_mean": sum(r["fresh"]["visits"] - r["stable"]["visits"] for r in mine)
            / len(mine),
            "travel_added_mean_pct": sum(
                r["stable"]["travel_s"] / r["fresh"]["travel_s"] - 1 for r in mine
            )
            / len(mine),
        }
    print("\n| change | moved, fresh (max) | moved, stable (max) | visits lost | travel added |")
    print("|---|---|---|---|---|")
    for name, s in summary.items():
        print(
            f"| {name} | {s['fresh_moved_share_max']:.0%} | {s['stable_moved_share_max']:.1%} | "
            f"{s['visits_lost_mean']:+.1f} | {s['travel_added_mean_pct']:+.1%} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "stability.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    setup = {
        "requests": REQUESTS,
        "teams": TEAMS,
        "days": DAYS,
        "start": MONDAY.isoformat(),
        "draft_visits": n_base,
        "draft_travel_s": travel_s(base),
        "dates": [d.isoformat() for d in dates if isinstance(d, dt.date)],
    }
    out.write_text(
        json.dumps(
            {"machine": machine, "setup": setup, "cases": rows, "summary": summary}, indent=2
        )
    )
    print(f"\nwritten {out.relative_to(REPO)}; every plan passed the feasibility check")


if __name__ == "__main__":
    main()
