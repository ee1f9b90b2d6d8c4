"""Outreach days on Kota Yogyakarta's roads: the planner end to end vs planning by hand.

Day cases: 60 requests / 3 teams, 150 / 6, 400 / 10 (seeded). Requests sit on random nodes of
the road graph's largest strongly connected part; the office is the demo office. Mix: 3 %
darurat, 15 % sakit, 12 % disabilitas, 30 % lansia, 5 % kolektif (10-30 persons), 5 % pemula,
rest lainnya; 30 % have a 2-hour window; 3 % need a female officer, 1 % a sign-language
speaker (one team each has them). Teams work 08:00-15:00 on a Monday with lunch; service is
10 min + 12 min per person.

For each case the real path runs on a fresh SQLite database: ``load_inputs`` (DB -> problem),
``compute_plan`` (road matrix, planner, road geometry of every leg) and ``save_plan`` (rows,
independent feasibility check, flush) plus the commit. Reported: seconds per step and end to
end, visits per team-day and travel per visit.

Baseline = how it is done by hand today: kelurahan are shared out whole between the teams
(largest first to the least loaded team), and each team drives nearest-neighbour: from where
it is to the nearest request of the kelurahan it is working in (the nearest of its kelurahan
when that one is done), waiting for windows, skipping a visit that would break the day, until
nothing more fits. Its routes are timed by the same rules and checked by the same checker.

A multi-day section plans a 5-day week of 400 requests for 6 teams three ways: the product
(area groups + one solve per day), one VROOM problem with a vehicle per team-day (day-offset
time windows), and the by-hand baseline over the week; it reports visits, travel per visit,
kelurahan per team-day and time, which is how the product's approach was chosen.

    .venv/bin/python bench/day_plan.py            # all cases
    .venv/bin/python bench/day_plan.py --quick    # day cases only
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
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy.orm import Session  # noqa: E402

from outreach import models  # noqa: E402
from outreach.db import make_engine, upgrade_database  # noqa: E402
from outreach.domain import (  # noqa: E402
    LonLat,
    PlannedRoute,
    PlanResult,
    Site,
    TravelMatrix,
    UnassignedSite,
)
from outreach.geo.locate import AreaIndex  # noqa: E402
from outreach.geo.network import RoadNetwork, travel_model_for  # noqa: E402
from outreach.geo.packs import find_pack  # noqa: E402
from outreach.planning.calendar import TeamDay, team_day  # noqa: E402
from outreach.planning.feasibility import check_plan  # noqa: E402
from outreach.planning.problem import PlanningProblem, problem_points  # noqa: E402
from outreach.planning.reasons import Reason, describe  # noqa: E402
from outreach.planning.service import compute_plan, load_inputs, save_plan  # noqa: E402
from outreach.planning.solver import (  # noqa: E402
    RoutingProblem,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.timing import schedule_route  # noqa: E402
from outreach.planning.vroom_adapter import VroomSolver  # noqa: E402

SHARED = REPO.parent / "shared" / "regions"
RESULTS = REPO / "bench" / "results"
CACHE_DIR = REPO / "data" / "cache"
DEPOT: LonLat = (110.3917, -7.8010)
MONDAY = dt.date(2025, 3, 3)
DAY_CASES = ((60, 3), (150, 6), (400, 10))
WEEK_CASE = (400, 6, 5)
SEED = 20250303
ALL_SERVICES = ["perekaman_ktp", "cetak_ktp", "kia", "kk", "akta"]
CATEGORIES = (
    ("darurat", 0.03),
    ("sakit", 0.15),
    ("disabilitas", 0.12),
    ("lansia", 0.30),
    ("kolektif", 0.05),
    ("pemula", 0.05),
    ("lainnya", 0.30),
)


# --- data ----------------------------------------------------------------------------------


def road_points(travel: RoadNetwork) -> list[LonLat]:
    G = travel.G
    largest = max(nx.strongly_connected_components(G), key=len)
    return sorted((float(G.nodes[n]["x"]), float(G.nodes[n]["y"])) for n in largest)


def make_requests(rng: random.Random, points: Sequence[LonLat], n: int) -> list[dict[str, Any]]:
    chosen = rng.sample(list(points), n)
    names = [c for c, _ in CATEGORIES]
    weights = [w for _, w in CATEGORIES]
    out: list[dict[str, Any]] = []
    for i, (lon, lat) in enumerate(chosen, start=1):
        category = rng.choices(names, weights)[0]
        persons = rng.randint(10, 30) if category == "kolektif" else 1
        services = ["perekaman_ktp"] if rng.random() < 0.75 else [rng.choice(["kia", "kk", "akta"])]
        traits = []
        roll = rng.random()
        if roll < 0.03:
            traits = ["petugas_perempuan"]
        elif roll < 0.04:
            traits = ["bahasa_isyarat"]
        availability = []
        if rng.random() < 0.30:
            start = rng.randint(8, 13)
            availability = [
                {
                    "days": [0, 1, 2, 3, 4, 5],
                    "start": f"{start:02d}:00",
                    "end": f"{start + 2:02d}:00",
                }
            ]
        out.append(
            {
                "id": i,
                "lon": lon,
                "lat": lat,
                "category": category,
                "persons": persons,
                "services": services,
                "traits": traits,
                "availability": availability,
                "waiting_days": rng.randint(0, 60),
            }
        )
    return out


def fill_database(session: Session, requests: list[dict[str, Any]], teams: int) -> None:
    office = models.Office(
        name="Disdukcapil Kota Yogyakarta (bench)",
        region_slug="kota-yogyakarta",
        region_code="34.71",
        depot_lon=DEPOT[0],
        depot_lat=DEPOT[1],
    )
    session.add(office)
    session.flush()
    for t in range(1, teams + 1):
        traits = {1: ["petugas_perempuan"], 2: ["bahasa_isyarat"]}.get(t, [])
        session.add(models.Team(office_id=office.id, name=f"Tim {t}", skills=ALL_SERVICES + traits))
    now = dt.datetime.combine(MONDAY, dt.time(7, 0))
    for r in requests:
        session.add(
            models.ServiceRequest(
                id=r["id"],
                tracking_code=f"B-{r['id']:04d}",
                office_id=office.id,
                category=r["category"],
                services=r["services"],
                required_traits=r["traits"],
                person_name="-",
                persons=r["persons"],
                lon=r["lon"],
                lat=r["lat"],
                availability=r["availability"],
                status=models.RequestStatus.TERVERIFIKASI.value,
                verified_at=now - dt.timedelta(days=r["waiting_days"]),
            )
        )
    session.commit()


# --- the product, end to end ---------------------------------------------------------------


@dataclasses.dataclass
class OursRun:
    problem: PlanningProblem
    matrix: TravelMatrix
    result: PlanResult
    timings: dict[str, float]


def run_ours(travel: RoadNetwork, requests: list[dict[str, Any]], teams: int, days: int) -> OursRun:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        engine = make_engine(url)
        with Session(engine) as setup:
            fill_database(setup, requests, teams)
        with Session(engine, expire_on_commit=False) as session:
            t0 = time.perf_counter()
            inputs = load_inputs(session, start_date=MONDAY, days=days, seed=1)
            t1 = time.perf_counter()
            result, matrix = compute_plan(inputs, travel)
            t2 = time.perf_counter()
            save_plan(session, inputs, result, matrix)
            session.commit()
            t3 = time.perf_counter()
        engine.dispose()
    timings = {
        "load_s": t1 - t0,
        "matrix_s": result.timings_s["matrix_s"],
        "solve_s": result.timings_s["total_s"] - result.timings_s["geometry_s"],
        "geometry_s": result.timings_s["geometry_s"],
        "persist_s": t3 - t2,
        "end_to_end_s": t3 - t0,
    }
    return OursRun(inputs.problem, matrix, result, timings)


# --- by hand: whole kelurahan per team, nearest neighbour ------------------------------------


def share_kelurahan(sites: Sequence[Site], n_teams: int) -> dict[str, int]:
    work: Counter[str] = Counter()
    for s in sites:
        work[s.area] += s.service_s
    load = [0] * n_teams
    owner: dict[str, int] = {}
    for area, w in sorted(work.items(), key=lambda kv: (-kv[1], kv[0])):
        team = min(range(n_teams), key=lambda t: (load[t], t))
        owner[area] = team
        load[team] += w
    return owner


def nearest_neighbour_day(
    td: TeamDay,
    todo: list[Site],
    problem: PlanningProblem,
    matrix: TravelMatrix,
    max_wait_s: int | None,
) -> PlannedRoute | None:
    index = problem_points(problem)
    dur = matrix.durations_s
    here = index.team_start[td.team.id]
    order: list[Site] = []
    best: PlannedRoute | None = None
    skipped: set[int] = set()
    area: str | None = None
    while True:
        left = [s for s in todo if s.id not in skipped and s not in order]
        if not left:
            break
        now = best.stops[-1].departure_s if best else td.start_s

        def ready(s: Site, now: int = now, here: int = here) -> bool:
            # The smarter variant: nobody waits long at a door; a resident not at home
            # within max_wait_s is visited later.
            windows = s.windows_on(td.day)
            arrival = now + int(dur[here, index.site_row[s.id]])
            return (
                max_wait_s is None
                or windows is None
                or any(w.start_s - max_wait_s <= arrival <= w.end_s for w in windows)
            )

        now_ready = [s for s in left if ready(s)] or left
        same = [s for s in now_ready if s.area == area] or now_ready
        nxt = min(same, key=lambda s: (int(dur[here, index.site_row[s.id]]), s.id))
        trial = [*order, nxt]
        timed = schedule_route(
            td,
            trial,
            rows=[index.site_row[s.id] for s in trial],
            start_row=index.team_start[td.team.id],
            depot_row=index.depot,
            matrix=matrix,
        )
        if timed is None:
            skipped.add(nxt.id)
            continue
        order, best = trial, timed
        here = index.site_row[nxt.id]
        area = nxt.area
    return best


def run_baseline(
    problem: PlanningProblem, matrix: TravelMatrix, *, max_wait_s: int | None = None
) -> PlanResult:
    teams = list(problem.teams)
    owner = share_kelurahan(problem.sites, len(teams))
    pending = {s.id: s for s in problem.sites if s.lon is not None}
    routes: list[PlannedRoute] = []
    for day in problem.dates:
        for t, team in enumerate(teams):
            td = team_day(team, day, problem.rules)
            if td is None:
                continue
            mine = [
                s
                for s in pending.values()
                if owner.get(s.area) == t and s.needs <= team.skills and s.windows_on(day) != ()
            ]
            route = nearest_neighbour_day(td, mine, problem, matrix, max_wait_s)
            if route is not None:
                routes.append(route)
                for stop in route.stops:
                    pending.pop(stop.site_id)
    left = tuple(
        _unassigned(s.id)
        for s in sorted(problem.sites, key=lambda s: s.id)
        if s.id in pending or s.lon is None
    )
    return PlanResult(problem.dates, tuple(routes), left, "by hand", 0)


def _unassigned(site_id: int) -> UnassignedSite:
    return UnassignedSite(site_id, Reason.DAY_FULL.value, describe(Reason.DAY_FULL))


# --- alternative: one VROOM problem over the week (team-day vehicles) ------------------------

DAY_S = 86_400


def run_team_day_vehicles(
    problem: PlanningProblem, matrix: TravelMatrix
) -> tuple[PlanResult, float]:
    index = problem_points(problem)
    rows = list(range(len(index.points)))
    vocabulary = sorted(
        set().union(*(t.skills for t in problem.teams), *(s.needs for s in problem.sites))
    )
    code = {name: i + 1 for i, name in enumerate(vocabulary)}
    vehicles: list[SolverVehicle] = []
    tds: dict[int, TeamDay] = {}
    for k, day in enumerate(problem.dates):
        for team in problem.teams:
            td = team_day(team, day, problem.rules)
            if td is None:
                continue
            vid = team.id * 100 + k
            tds[vid] = td
            off = k * DAY_S
            vehicles.append(
                SolverVehicle(
                    id=vid,
                    start_index=index.team_start[team.id],
                    end_index=index.depot,
                    window=(off + td.start_s, off + td.return_by_s),
                    skills=frozenset(code[s] for s in team.skills),
                    breaks=tuple(
                        SolverBreak(
                            b, ((off + r.earliest_start_s, off + r.latest_start_s),), r.duration_s
                        )
                        for b, r in enumerate(td.breaks, start=1)
                    ),
                    max_tasks=team.max_stops,
                )
            )
    jobs: list[SolverJob] = []
    for site in problem.sites:
        if site.id not in index.site_row:
            continue
        windows: list[tuple[int, int]] = []
        for k, day in enumerate(problem.dates):
            w = site.windows_on(day)
            if w is None:
                windows.append((k * DAY_S, k * DAY_S + DAY_S - 1))
            else:
                windows.extend((k * DAY_S + x.start_s, k * DAY_S + x.end_s) for x in w)
        if not windows:
            continue
        jobs.append(
            SolverJob(
                id=site.id,
                index=index.site_row[site.id],
                service_s=site.service_s,
                windows=tuple(windows),
                skills=frozenset(code[s] for s in site.needs),
                priority=site.priority,
            )
        )
    routing = RoutingProblem(
        durations=matrix.durations_s[np.ix_(rows, rows)],
        jobs=tuple(jobs),
        vehicles=tuple(vehicles),
    )
    t0 = time.perf_counter()
    solution = VroomSolver(threads=2).solve(routing)
    elapsed = time.perf_counter() - t0
    by_id = {s.id: s for s in problem.sites}
    routes: list[PlannedRoute] = []
    for solved in solution.routes:
        td = tds[solved.vehicle_id]
        order = [by_id[j] for j in solved.job_ids]
        timed = schedule_route(
            td,
            order,
            rows=[index.site_row[s.id] for s in order],
            start_row=index.team_start[td.team.id],
            depot_row=index.depot,
            matrix=matrix,
        )
        if timed is not None:
            routes.append(timed)
    served = {s.site_id for r in routes for s in r.stops}
    left = tuple(_unassigned(s.id) for s in problem.sites if s.id not in served)
    return PlanResult(problem.dates, tuple(routes), left, "vroom team-day vehicles", 0), elapsed


# --- reporting -----------------------------------------------------------------------------


def metrics(problem: PlanningProblem, matrix: TravelMatrix, result: PlanResult) -> dict[str, Any]:
    violations = check_plan(problem, matrix, result)
    if violations:
        raise SystemExit(f"infeasible {result.solver}: {violations[:5]}")
    team_days = sum(
        1 for day in problem.dates for t in problem.teams if team_day(t, day, problem.rules)
    )
    visits = sum(len(r.stops) for r in result.routes)
    travel = sum(r.travel_s for r in result.routes)
    areas = {s.id: s.area for s in problem.sites}
    per_route = [len({areas[s.site_id] for s in r.stops}) for r in result.routes]
    priority = {s.id: s.priority for s in problem.sites}
    urgent = {s.id for s in problem.sites if s.priority >= 60}
    served = [s.site_id for r in result.routes for s in r.stops]
    return {
        "visits": visits,
        "persons": sum(r.persons for r in result.routes),
        "persons_per_team_day": sum(r.persons for r in result.routes) / max(team_days, 1),
        "priority_served": sum(priority[i] for i in served),
        "urgent_served": f"{len(urgent & set(served))}/{len(urgent)}",
        "team_days": team_days,
        "visits_per_team_day": visits / team_days if team_days else 0.0,
        "travel_min_per_visit": travel / 60 / visits if visits else 0.0,
        "kelurahan_per_team_day": sum(per_route) / len(per_route) if per_route else 0.0,
    }


def with_areas(problem: PlanningProblem, index: AreaIndex) -> PlanningProblem:
    sites = []
    for s in problem.sites:
        ref = index.locate(s.lon, s.lat) if s.lon is not None and s.lat is not None else None
        sites.append(dataclasses.replace(s, area=(ref.kelurahan_code or "?") if ref else "?"))
    return dataclasses.replace(problem, sites=tuple(sites))


def median_run(
    travel: RoadNetwork, requests: list[dict[str, Any]], teams: int, days: int, repeats: int
) -> OursRun:
    """Run ``repeats`` times (plans are identical); keep the median end-to-end timings."""
    runs = [run_ours(travel, requests, teams, days) for _ in range(repeats)]
    first = runs[0].result
    assert all(r.result == first for r in runs), "same data and seed must give the same plan"
    runs.sort(key=lambda r: r.timings["end_to_end_s"])
    return runs[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="day cases only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per day case (median)")
    args = parser.parse_args()
    travel = travel_model_for("kota-yogyakarta", search_dirs=[SHARED], cache_dir=CACHE_DIR)
    assert isinstance(travel, RoadNetwork)
    areas = AreaIndex.from_pack(find_pack("kota-yogyakarta", search_dirs=[SHARED]))
    points = road_points(travel)
    travel.matrix([DEPOT, points[0]])  # warm-up (first-call set-up is not what we measure)
    rows: list[dict[str, Any]] = []
    print(f"Timings (median of {args.repeats} runs, seconds) and visits per team-day\n")
    print(
        "| requests x teams | load | matrix | solve | geometry | persist | **end to end** "
        "| visits | visits/team-day | by hand, NN | gain | by hand, NN skipping closed doors "
        "| gain | travel min/visit (ours / NN / NN-skip) | urgent served (ours / NN / NN-skip) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, teams in DAY_CASES:
        requests = make_requests(random.Random(SEED + n), points, n)
        ours = median_run(travel, requests, teams, 1, args.repeats)
        problem = with_areas(ours.problem, areas)
        m_ours = metrics(problem, ours.matrix, ours.result)
        m_nn = metrics(problem, ours.matrix, run_baseline(problem, ours.matrix))
        m_skip = metrics(problem, ours.matrix, run_baseline(problem, ours.matrix, max_wait_s=1800))
        gain_nn = m_ours["visits_per_team_day"] / m_nn["visits_per_team_day"] - 1
        gain_skip = m_ours["visits_per_team_day"] / m_skip["visits_per_team_day"] - 1
        t = ours.timings
        print(
            f"| {n} x {teams} | {t['load_s']:.2f} | {t['matrix_s']:.2f} | {t['solve_s']:.2f} | "
            f"{t['geometry_s']:.2f} | {t['persist_s']:.2f} | **{t['end_to_end_s']:.2f}** | "
            f"{m_ours['visits']} | {m_ours['visits_per_team_day']:.1f} | "
            f"{m_nn['visits_per_team_day']:.1f} | {gain_nn:+.0%} | "
            f"{m_skip['visits_per_team_day']:.1f} | {gain_skip:+.0%} | "
            f"{m_ours['travel_min_per_visit']:.1f} / {m_nn['travel_min_per_visit']:.1f} / "
            f"{m_skip['travel_min_per_visit']:.1f} | {m_ours['urgent_served']} / "
            f"{m_nn['urgent_served']} / {m_skip['urgent_served']} |",
            flush=True,
        )
        rows.append(
            {
                "case": f"{n}x{teams}",
                "requests": n,
                "teams": teams,
                "timings_s": t,
                "ours": m_ours,
                "by_hand_nearest_neighbour": m_nn,
                "by_hand_skip_closed_doors": m_skip,
                "gain_vs_nearest_neighbour": gain_nn,
                "gain_vs_skip_closed_doors": gain_skip,
            }
        )
    week: dict[str, Any] = {}
    if not args.quick:
        n, teams, days = WEEK_CASE
        requests = make_requests(random.Random(SEED), points, n)
        ours = run_ours(travel, requests, teams, days=days)
        problem = with_areas(ours.problem, areas)
        alt, alt_s = run_team_day_vehicles(problem, ours.matrix)
        print()
        print(f"Week: {n} requests, {teams} teams, {days} working days from {MONDAY}\n")
        print(
            "| approach | solve s | visits | visits/team-day | persons/team-day "
            "| travel min/visit | kelurahan/team-day | urgent served |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, result, seconds in (
            ("area groups + one solve per day (product)", ours.result, ours.timings["solve_s"]),
            ("one VROOM problem, a vehicle per team-day", alt, alt_s),
            ("by hand, nearest neighbour", run_baseline(problem, ours.matrix), 0.0),
            (
                "by hand, NN skipping closed doors",
                run_baseline(problem, ours.matrix, max_wait_s=1800),
                0.0,
            ),
        ):
            m = metrics(problem, ours.matrix, result)
            print(
                f"| {name} | {seconds:.2f} | {m['visits']} | {m['visits_per_team_day']:.1f} | "
                f"{m['persons_per_team_day']:.1f} | {m['travel_min_per_visit']:.1f} | "
                f"{m['kelurahan_per_team_day']:.1f} | {m['urgent_served']} |",
                flush=True,
            )
            week[name] = {"solve_s": seconds, **m}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "day_plan.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    out.write_text(json.dumps({"machine": machine, "days": rows, "week": week}, indent=2))
    print(f"\nwritten {out.relative_to(REPO)}; every plan passed the feasibility check")


if __name__ == "__main__":
    main()
