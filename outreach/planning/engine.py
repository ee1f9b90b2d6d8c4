"""The planner's core: an eligible backlog and a travel-time matrix in, a timed plan out.

Pure: plain dataclasses in and out (:class:`~outreach.planning.problem.PlanningProblem`,
:class:`~outreach.domain.TravelMatrix` -> :class:`~outreach.domain.PlanResult`), no database,
no configuration, no clock. Same problem and seed, same plan.

How a plan is made (cluster first, route each day):

1. *Prechecks* (:mod:`~outreach.planning.prechecks`): sites that cannot be planned at all are
   set aside with their reason before any solving.
2. *Area groups* (:mod:`~outreach.planning.clustering`): the remaining sites are grouped on
   road travel time into groups of about one team-day of work.
3. *Day by day*, in date order: the day's prechecks (pins, who works, windows, fits alone),
   then candidate selection (:mod:`~outreach.planning.selection`: must-visits, then the most
   urgent groups, within the day's capacity and card-printing capacity), then one solve with
   every team working that day (:mod:`~outreach.planning.solver`, VROOM by default), then each
   route timed (:mod:`~outreach.planning.timing`) and finished deterministically
   (:mod:`~outreach.planning.polish`). What a day leaves is offered to the next.
   A big collective visit (kolektif, 20 persons or more: a sweep, a letter to an RW hall or a
   school) the day's solve left out although it has waited a month (or must be served) gets a
   team-day of its own, with the home visits nearest to it in the time left, and the rest of
   the day is solved again -- at most ``PlanRules.collective_share`` (a quarter) of the plan's
   team-days. The solver sums priority per visit, so a 250-minute sweep loses to the six or
   seven home visits it displaces at any priority; without this it could wait for ever.
4. Every site still left gets one reason: a capacity reason with the date it is expected
   (a queue estimate from the throughput the plan achieved) when it was a candidate or was
   deferred by capacity on some day, else the day-level reason seen most often.
5. Road geometry of every leg, when a ``legs`` function is given (for maps).

Why not one big solve over team-day vehicles (day-offset time windows)? Measured in
bench/day_plan.py on a week of 400 requests for 6 teams: the same number of visits (387 vs
388) in less than half the time (3.4 s vs 7.4 s), though the single problem drives about 15 %
less per visit. It was chosen because its time grows with vehicles x jobs while a day's solve
stays around one day of work, and because an office-wide daily limit (cards printed per day,
all teams together) cannot be stated in one VROOM problem -- capacities there are per vehicle --
while per-day candidate selection enforces it exactly.

Approved routes handed in as ``problem.locked`` are copied unchanged; their team-days take no
new work, their sites are not planned again and their cards count against the day's capacity.
A kept route that ends at a lodging (day 1 of an overnight trip, :mod:`~outreach.planning.trips`)
whose second day is planned again: the team's route that day leaves from the lodging (with
the far sites still waiting, solved for that team alone) and the team takes no near work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from outreach.domain import (
    CAR,
    LonLat,
    PlannedRoute,
    PlanResult,
    PlanRules,
    Site,
    TravelMatrix,
    UnassignedSite,
)
from outreach.planning.calendar import TeamDay, nth_working_day_after, team_day
from outreach.planning.clustering import (
    cluster_sites,
    group_gaps,
    symmetric_times,
    travel_share,
)
from outreach.planning.expected import first_servable_day, home_days_without_team
from outreach.planning.polish import polish_route, relabel_interchangeable
from outreach.planning.portfolio import BudgetedSolver
from outreach.planning.prechecks import Finding, check_site, check_site_on_day
from outreach.planning.priority import CATEGORY_BASE, persons_points
from outreach.planning.problem import Legs, PlanningProblem, PointIndex, problem_points
from outreach.planning.reasons import ALL_TEAM_DAYS_KEPT, Reason, describe, format_date
from outreach.planning.selection import is_must, select_candidates
from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolver,
    SolverBreak,
    SolverJob,
    SolverVehicle,
)
from outreach.planning.timing import schedule_route
from outreach.planning.trips import FarTripPlanner, FarTrips, NextDay, SolveFn, fit_cards
from outreach.planning.vroom_adapter import VroomSolver

#: ``progress(done, total, text)``: called as the planner works (e.g. before each day).
ProgressFn = Callable[[int, int, str], None]

# Most informative first, when a site failed for different reasons on different days.
_DAY_REASON_ORDER = (
    Reason.TOO_LONG,
    Reason.WINDOWS_MISS_SHIFTS,
    Reason.NOT_AVAILABLE,
    Reason.NO_TEAM_ON_DAY,
    Reason.PINNED_OTHER_DAY,
)
_CAPACITY = (Reason.DAY_FULL, Reason.CARD_CAPACITY_FULL)
#: Persons from which a kolektif site may get a team-day of its own (``collective_share``),
#: once it has waited a month (or must be served that day).
COLLECTIVE_DAY_PERSONS = 20
COLLECTIVE_LONG_WAIT_POINTS = 10
#: Idle team time (summed over the day's teams) from which the day is solved again with more
#: candidates when work was deferred.
REFILL_IDLE_S = 45 * 60
_FILL = (0.8, 0.5, 0.0)  # share of a collective day's time left offered to nearby home visits
_DEFAULT_TEAM_DAY_S = 6 * 3600


@dataclasses.dataclass
class _Ledger:
    """What happened to each site over the horizon."""

    final: dict[int, Finding] = dataclasses.field(default_factory=dict)
    day_findings: dict[int, list[Finding]] = dataclasses.field(default_factory=dict)
    capacity: dict[int, Reason] = dataclasses.field(default_factory=dict)


def _solver_for(problem: PlanningProblem, solver: RoutingSolver | None) -> RoutingSolver:
    if solver is not None:
        return solver
    rules = problem.rules
    if rules.solver_budget_s > 0:
        return BudgetedSolver(rules.solver_budget_s, threads=rules.threads)
    return VroomSolver(exploration_level=rules.exploration_level, threads=rules.threads)


def _routing_problem(
    team_days: Sequence[TeamDay],
    sites: Sequence[Site],
    day: dt.date,
    index: PointIndex,
    matrix: TravelMatrix,
    *,
    start_rows: Mapping[int, int] | None = None,
    free_end: bool = False,
) -> RoutingProblem:
    """The day as a solver problem over a sub-matrix (office, team starts, candidates).

    ``start_rows`` overrides teams' start rows (the lodging of an overnight trip); with
    ``free_end`` the vehicles end at an extra point every travel time to which is zero, so a
    route ends at its last visit (day 1 of an overnight trip).
    """
    starts = {td.team.id: index.team_start[td.team.id] for td in team_days}
    starts.update(start_rows or {})
    rows: list[int] = [index.depot]
    local: dict[int, int] = {index.depot: 0}
    for row in [starts[td.team.id] for td in team_days] + [index.site_row[s.id] for s in sites]:
        if row not in local:
            local[row] = len(rows)
            rows.append(row)
    sub = np.ix_(rows, rows)
    vocabulary = sorted(
        set().union(*(td.team.skills for td in team_days), *(s.needs for s in sites))
    )
    code = {name: i + 1 for i, name in enumerate(vocabulary)}
    pin_base = len(code) + 1  # one private skill per team, for sites pinned to it
    pin = {td.team.id: pin_base + i for i, td in enumerate(team_days)}
    end = len(rows) if free_end else 0  # the cost-free end point follows the real ones
    vehicles = tuple(
        SolverVehicle(
            id=td.team.id,
            start_index=local[starts[td.team.id]],
            end_index=end,
            window=(td.start_s, td.return_by_s),
            skills=frozenset({code[s] for s in td.team.skills} | {pin[td.team.id]}),
            breaks=tuple(
                SolverBreak(b, ((r.earliest_start_s, r.latest_start_s),), r.duration_s)
                for b, r in enumerate(td.breaks, start=1)
            ),
            max_tasks=td.team.max_stops,
            profile=td.team.profile,
        )
        for td in team_days
    )
    jobs: list[SolverJob] = []
    for site in sites:
        skills = {code[s] for s in site.needs}
        if site.pinned_team_id is not None:
            # Pinned to a team not working here (e.g. given a collective day): nobody may.
            skills.add(pin.get(site.pinned_team_id, pin_base + len(team_days)))
        # VROOM's windows bound the service start: shift each end by the service time so the
        # whole visit lies inside the resident's window.
        windows = site.start_windows_on(day)
        jobs.append(
            SolverJob(
                id=site.id,
                index=local[index.site_row[site.id]],
                service_s=site.service_s,
                windows=tuple((w.start_s, w.end_s) for w in windows or ()),
                skills=frozenset(skills),
                priority=site.priority,
            )
        )
    others = sorted({td.team.profile for td in team_days} - {CAR})

    def cut(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        part = values[sub]
        return np.pad(part, ((0, 1), (0, 1))) if free_end else part

    return RoutingProblem(
        durations=cut(matrix.durations_s),
        distances=cut(matrix.distances_m),
        jobs=tuple(jobs),
        vehicles=vehicles,
        profile_durations={p: cut(matrix.for_profile(p).durations_s) for p in others},
        profile_distances={p: cut(matrix.for_profile(p).distances_m) for p in others},
    )


def _time_route(
    td: TeamDay,
    order: Sequence[Site],
    index: PointIndex,
    matrix: TravelMatrix,
    *,
    start_row: int | None = None,
    end_at_last: bool = False,
) -> PlannedRoute | None:
    return schedule_route(
        td,
        order,
        rows=[index.site_row[s.id] for s in order],
        start_row=index.team_start[td.team.id] if start_row is None else start_row,
        depot_row=index.depot,
        matrix=matrix,
        end_at_last=end_at_last,
    )


def _repair(
    td: TeamDay,
    order: Sequence[Site],
    index: PointIndex,
    matrix: TravelMatrix,
    *,
    start_row: int | None = None,
    end_at_last: bool = False,
) -> PlannedRoute | None:
    """Keep the solver's order but only the visits that still time out (a safety net)."""
    kept: list[Site] = []
    best: PlannedRoute | None = None
    for site in order:
        trial = _time_route(
            td, [*kept, site], index, matrix, start_row=start_row, end_at_last=end_at_last
        )
        if trial is not None:
            kept.append(site)
            best = trial
    return best


def _solve_day(
    day: dt.date,
    team_days: Sequence[TeamDay],
    candidates: Sequence[Site],
    index: PointIndex,
    matrix: TravelMatrix,
    solver: RoutingSolver,
) -> list[PlannedRoute]:
    if not candidates or not team_days:
        return []
    problem = _routing_problem(team_days, candidates, day, index, matrix)
    solution = solver.solve(problem)
    by_team = {td.team.id: td for td in team_days}
    by_site = {s.id: s for s in candidates}
    routes: list[PlannedRoute] = []
    for solved in solution.routes:
        td = by_team[solved.vehicle_id]
        order = [by_site[j] for j in solved.job_ids]
        timed = _time_route(td, order, index, matrix) or _repair(td, order, index, matrix)
        if timed is None:
            continue
        routes.append(
            polish_route(
                td,
                timed,
                by_site,
                rows=index.site_row,
                start_row=index.team_start[td.team.id],
                depot_row=index.depot,
                durations=matrix.for_profile(td.team.profile).durations_s,
                timer=lambda t, o: _time_route(t, o, index, matrix),
            )
        )
    return relabel_interchangeable(routes, team_days, start_rows=index.team_start, sites=by_site)


def _solve_leg(
    day: dt.date,
    td: TeamDay,
    sites: Sequence[Site],
    index: PointIndex,
    matrix: TravelMatrix,
    solver: RoutingSolver,
    *,
    lodging_site_id: int | None,
    to_lodging: bool,
) -> PlannedRoute | None:
    """One team-day of an overnight trip: from the lodging (day 2) or to it (day 1)."""
    if not sites:
        return None
    start_row = (
        index.team_start[td.team.id] if lodging_site_id is None else index.site_row[lodging_site_id]
    )
    problem = _routing_problem(
        [td], sites, day, index, matrix, start_rows={td.team.id: start_row}, free_end=to_lodging
    )
    by_site = {s.id: s for s in sites}
    for solved in solver.solve(problem).routes:
        order = [by_site[j] for j in solved.job_ids]
        timed = _time_route(
            td, order, index, matrix, start_row=start_row, end_at_last=to_lodging
        ) or _repair(td, order, index, matrix, start_row=start_row, end_at_last=to_lodging)
        if timed is None:
            return None
        if not to_lodging:  # polishing assumes the way back to the office
            timed = polish_route(
                td,
                timed,
                by_site,
                rows=index.site_row,
                start_row=start_row,
                depot_row=index.depot,
                durations=matrix.for_profile(td.team.profile).durations_s,
                timer=lambda t, o: _time_route(t, o, index, matrix, start_row=start_row),
            )
        return dataclasses.replace(timed, lodging_site_id=lodging_site_id)
    return None


def _work_estimates(
    sites: Sequence[Site], index: PointIndex, matrix: TravelMatrix
) -> tuple[dict[int, float], npt.NDArray[np.float64]]:
    """Work per site (service + travel share) and the symmetric times between the sites."""
    rows = [index.site_row[s.id] for s in sites]
    with_depot = [index.depot, *rows]
    sym_all = symmetric_times(matrix.durations_s[np.ix_(with_depot, with_depot)])
    share = travel_share(sym_all)[1:]
    work = {s.id: float(s.service_s) + float(share[i]) for i, s in enumerate(sites)}
    return work, sym_all[1:, 1:]


def _final_reason(findings: Sequence[Finding]) -> Finding:
    counts = Counter(f.reason for f in findings)
    best = max(counts.values())
    for reason in _DAY_REASON_ORDER:
        if counts.get(reason) == best:
            return next(f for f in findings if f.reason == reason)
    return findings[0]  # pragma: no cover - day findings always use the reasons above


def _expected_dates(
    sites: Sequence[Site],
    *,
    problem: PlanningProblem,
    work: dict[int, float],
    per_day_work_s: float,
    index: PointIndex,
    matrix: TravelMatrix,
) -> dict[int, dt.date]:
    """When each capacity-deferred site is likely planned: a queue by priority after the plan.

    Day ``n`` after the horizon is where the cumulative work (and cards) of the more urgent
    waiting sites runs over ``n`` days of the plan's observed throughput; from there, the first
    date that can really serve the site (:func:`outreach.planning.expected.first_servable_day`:
    office open, pin, a skilled team whose day fits the whole visit, the resident at home). A
    site with no such date gets none.
    """
    if not problem.dates:
        return {}
    last = problem.dates[-1]
    cap = problem.rules.daily_card_capacity
    expected: dict[int, dt.date] = {}
    used_s = 0.0
    cards = 0
    for site in sorted(sites, key=lambda s: (-s.priority, s.id)):
        used_s += work.get(site.id, float(site.service_s))
        cards += site.cards
        n = max(1, math.ceil(used_s / max(per_day_work_s, 1.0)))
        if cap:
            n = max(n, math.ceil(cards / cap))
        queue_day = nth_working_day_after(last, n, problem.rules.office_days)
        day = first_servable_day(
            site,
            queue_day,
            teams=problem.teams,
            rules=problem.rules,
            index=index,
            matrix=matrix,
            include=True,
        )
        if day is not None:
            expected[site.id] = day
    return expected


def _later_date(
    site: Site, problem: PlanningProblem, index: PointIndex, matrix: TravelMatrix
) -> dt.date | None:
    """The first servable date after the plan for a site the plan's days could not take."""
    if not problem.dates:
        return None
    return first_servable_day(
        site,
        problem.dates[-1],
        teams=problem.teams,
        rules=problem.rules,
        index=index,
        matrix=matrix,
    )


def _with_geometry(
    route: PlannedRoute,
    index: PointIndex,
    legs: Legs,
    cache: dict[tuple[int, int, str], tuple[LonLat, ...]],
    profile: str,
) -> PlannedRoute:
    def leg(a: int, b: int) -> tuple[LonLat, ...]:
        if (a, b, profile) not in cache:
            cache[(a, b, profile)] = tuple(legs(index.points[a], index.points[b], profile))
        return cache[(a, b, profile)]

    prev = index.team_start[route.team_id]
    if route.lodging_site_id is not None:
        prev = index.site_row[route.lodging_site_id]
    stops = []
    for stop in route.stops:
        row = index.site_row[stop.site_id]
        stops.append(dataclasses.replace(stop, geometry=leg(prev, row)))
        prev = row
    back = () if route.ends_at_lodging else leg(prev, index.depot)
    return dataclasses.replace(route, stops=tuple(stops), return_geometry=back)


def plan_routes(
    problem: PlanningProblem,
    matrix: TravelMatrix,
    *,
    solver: RoutingSolver | None = None,
    legs: Legs | None = None,
    progress: ProgressFn | None = None,
    far_trips: FarTrips | None = None,
) -> PlanResult:
    """Plan ``problem``: routes per team and day, and every other site with its reason.

    Parameters
    ----------
    problem
        Sites, teams, days, rules, locked routes and seed.
    matrix
        Travel times and distances over :func:`~outreach.planning.problem.problem_points`.
    solver
        The routing solver (default: :class:`~outreach.planning.vroom_adapter.VroomSolver`
        with the problem's exploration level and threads).
    legs
        ``legs(origin, destination) -> [(lon, lat), ...]`` for road geometry on every leg;
        ``None`` leaves geometry empty.
    progress
        Called before each day is planned with ``(day_index, days, text)``, the text in
        Indonesian (``"Menyusun rute Selasa, 24 November 2026 (hari 2 dari 3)"``).
    far_trips
        Devote team-days to far clusters (:mod:`outreach.planning.trips`); ``None``: far
        sites are planned like near ones.

    Returns
    -------
    PlanResult
        Routes sorted by day and team, unassigned sites sorted by id. Never raises because
        something does not fit.

    Raises
    ------
    ValueError
        If ``matrix`` does not match the problem's points (a programming error).
    """
    started = time.perf_counter()
    index = problem_points(problem)
    if matrix.size != len(index.points):
        msg = f"matrix has {matrix.size} points, the problem {len(index.points)}"
        raise ValueError(msg)
    rules = problem.rules
    engine = _solver_for(problem, solver)
    ledger = _Ledger()
    notes: list[str] = []

    locked_keys = {(r.team_id, r.day) for r in problem.locked}
    locked_sites = {s.site_id for r in problem.locked for s in r.stops}
    team_days = {
        day: [
            td
            for team in problem.teams
            if (td := team_day(team, day, rules)) is not None and (team.id, day) not in locked_keys
        ]
        for day in problem.dates
    }
    if matrix.method == "fallback":
        notes.append("Jaringan jalan belum dimuat: waktu tempuh adalah perkiraan garis lurus.")

    pool: list[Site] = []
    for site in sorted(problem.sites, key=lambda s: s.id):
        if site.id in locked_sites:
            continue
        finding = check_site(
            site,
            teams=problem.teams,
            dates=problem.dates,
            index=index,
            matrix=matrix,
            rules=rules,
        )
        if finding is not None:
            ledger.final[site.id] = finding
        else:
            pool.append(site)
    if not problem.dates:
        notes.append(describe(Reason.NOT_WORKING_DAY))
        ledger.final.update({s.id: Finding(Reason.NOT_WORKING_DAY) for s in pool})
        pool = []
    elif not any(team_days.values()):
        notes.append(ALL_TEAM_DAYS_KEPT if problem.locked else describe(Reason.NO_TEAMS))
        ledger.final.update({s.id: Finding(Reason.NO_TEAMS) for s in pool})
        pool = []

    work, sym = _work_estimates(pool, index, matrix)
    all_team_days = [td for tds in team_days.values() for td in tds]
    team_day_s = (
        sum(td.working_s for td in all_team_days) / len(all_team_days)
        if all_team_days
        else _DEFAULT_TEAM_DAY_S
    )
    labels = cluster_sites(
        sym,
        np.asarray([work[s.id] for s in pool], dtype=np.float64),
        group_work=rules.cluster_fill * team_day_s,
        seed=problem.seed,
    )
    group = {s.id: int(labels[i]) for i, s in enumerate(pool)}
    gaps = group_gaps(sym, labels)
    trips = (
        None
        if far_trips is None
        else FarTripPlanner(
            far_trips,
            pool,
            work=work,
            index=index,
            matrix=matrix,
            team_day_s=team_day_s,
            seed=problem.seed,
            must_priority=rules.must_priority,
            cluster_fill=rules.cluster_fill,
        )
    )
    prepared = time.perf_counter()

    routes: list[PlannedRoute] = list(problem.locked)
    # Overnight trips: second days already planned (team and cards taken), by date; and the
    # lodging a kept first day left each team at, by (team, next date).
    second_days: dict[dt.date, list[PlannedRoute]] = {}
    from_lodging = {
        (r.team_id, r.day + dt.timedelta(days=1)): r.stops[-1].site_id
        for r in problem.locked
        if r.ends_at_lodging and r.stops
    }

    def room_on(day: dt.date) -> int | None:
        """Cards the printer can still take on ``day`` (``None``: no limit)."""
        if rules.daily_card_capacity is None:
            return None
        locked_cards = sum(r.cards for r in problem.locked if r.day == day)
        printed = problem.cards_printed.get(day, 0) + sum(r.cards for r in second_days.get(day, ()))
        return max(0, rules.daily_card_capacity - locked_cards - printed)

    overnight = trips is not None and trips.rules.overnight
    far_ids = trips.far_ids if trips is not None else frozenset()
    solve_s = 0.0
    team_days_seen = collective_days = 0
    for day_index, day in enumerate(problem.dates):
        if progress is not None:
            progress(day_index, len(problem.dates), _day_text(day, day_index, problem.dates))
        away = {r.team_id for r in second_days.get(day, ())}  # on the second day of a trip
        tds = [td for td in team_days[day] if td.team.id not in away]
        available: list[Site] = []
        # Far sites no day trip can reach and come back from (too long alone): an overnight
        # trip may still serve them; if none does, their reason stays "too long".
        overnight_only: list[Site] = []
        for site in pool:
            finding = check_site_on_day(site, day, team_days=tds, index=index, matrix=matrix)
            if finding is None:
                available.append(site)
            else:
                ledger.day_findings.setdefault(site.id, []).append(finding)
                if finding.reason == Reason.TOO_LONG and overnight and site.id in far_ids:
                    overnight_only.append(site)
        only_ids = {s.id for s in overnight_only}
        cards_left = room_on(day)
        trip_routes: list[PlannedRoute] = []
        staying = [td for td in tds if (td.team.id, day) in from_lodging]
        if staying:  # kept first days of overnight trips: the team leaves from the lodging
            tds = [td for td in tds if td not in staying]
            t0 = time.perf_counter()
            for td in staying:
                lodging = from_lodging[(td.team.id, day)]
                far = trips.far_ids if trips is not None else frozenset(s.id for s in available)
                cands = [
                    s
                    for s in [*available, *overnight_only]
                    if s.id in far
                    and s.pinned_team_id in (None, td.team.id)
                    and s.needs <= td.team.skills
                ]
                back = _solve_leg(
                    day,
                    td,
                    fit_cards(cands, cards_left),
                    index,
                    matrix,
                    engine,
                    lodging_site_id=lodging,
                    to_lodging=False,
                )
                if back is None:
                    notes.append(_lodging_note(td, day))
                    continue
                trip_routes.append(back)
                taken = {s.site_id for s in back.stops}
                available = [s for s in available if s.id not in taken]
                overnight_only = [s for s in overnight_only if s.id not in taken]
                if cards_left is not None:
                    cards_left = max(0, cards_left - back.cards)
            solve_s += time.perf_counter() - t0
        next_routes: list[PlannedRoute] = []
        if trips is not None:  # far clusters first, each on a team-day of its own
            t0 = time.perf_counter()
            following = day + dt.timedelta(days=1)
            next_day = (
                NextDay(
                    {
                        td.team.id: td
                        for td in team_days[following]
                        if (td.team.id, following) not in from_lodging
                    },
                    room_on(following),
                    tuple(s for s in pool if s.pinned_date == following and s.id in far_ids),
                )
                if following in team_days
                else None
            )
            day_trips = trips.plan_day(
                day,
                tds,
                [*available, *overnight_only],
                cards_left=cards_left,
                solve=_one_team_solver(day, index, matrix, engine),
                next_day=next_day,
                leg=lambda td, sites, lodging, to_lodging: _solve_leg(
                    td.day,
                    td,
                    sites,
                    index,
                    matrix,
                    engine,
                    lodging_site_id=lodging,
                    to_lodging=to_lodging,
                ),
            )
            solve_s += time.perf_counter() - t0
            trip_routes += day_trips.routes
            next_routes = list(day_trips.next_routes)
            if next_routes:
                second_days.setdefault(following, []).extend(next_routes)
            tds = list(day_trips.team_days)
            available = [s for s in day_trips.sites if s.id not in only_ids]
            ledger.capacity.update(
                {k: v for k, v in day_trips.deferred.items() if k not in only_ids}
            )
            if cards_left is not None:
                cards_left = max(0, cards_left - day_trips.cards)
        team_days_seen += len(tds)
        factor = (
            rules.candidate_factor if day == problem.dates[-1] else rules.candidate_factor_early
        )
        select = functools.partial(
            select_candidates,
            day=day,
            group=group,
            group_gap=gaps,
            work_s=work,
            candidate_factor=factor,
            must_priority=rules.must_priority,
        )
        selection = select(
            available, capacity_s=float(sum(td.working_s for td in tds)), cards_left=cards_left
        )
        t0 = time.perf_counter()
        solved = _solve_day(day, tds, selection.candidates, index, matrix, engine)
        if collective_days + 1 <= rules.collective_share * team_days_seen + 1e-9:
            # A big collective visit the day's solve left out gets a team-day of its own.
            served_now = {s.site_id for r in solved for s in r.stops}
            dropped = [
                s
                for s in selection.candidates
                if _is_big_collective(s)
                and s.id not in served_now
                and (_waited_long(s) or is_must(s, day, rules.must_priority))
            ]
            kept = _collective_day(
                day, tds, dropped, available, rules, work, index, matrix, engine, cards_left
            )
            if kept is not None:
                collective_days += 1
                trip_routes.append(kept)
                done = {s.site_id for s in kept.stops}
                tds = [td for td in tds if td.team.id != kept.team_id]
                available = [s for s in available if s.id not in done]
                if cards_left is not None:
                    cards_left = max(0, cards_left - kept.cards)
                selection = select(
                    available,
                    capacity_s=float(sum(td.working_s for td in tds)),
                    cards_left=cards_left,
                )
                solved = _solve_day(day, tds, selection.candidates, index, matrix, engine)
        idle = _idle_s(tds, solved)
        if selection.deferred and idle >= REFILL_IDLE_S:
            # The day's candidates were chosen on estimates (big collective visits weigh a
            # lot) and left teams idle while work waits: offer the solver more and keep the
            # answer if it serves more.
            more = select(
                available,
                capacity_s=float(sum(td.working_s for td in tds)) + idle,
                cards_left=cards_left,
            )
            if len(more.candidates) > len(selection.candidates):
                again = _solve_day(day, tds, more.candidates, index, matrix, engine)
                if _worth(again) > _worth(solved):
                    solved, selection = again, more
        ledger.capacity.update(selection.deferred)
        day_routes = trip_routes + solved
        solve_s += time.perf_counter() - t0
        served = {s.site_id for r in [*day_routes, *next_routes] for s in r.stops}
        for site in selection.candidates:
            if site.id not in served:
                ledger.capacity[site.id] = Reason.DAY_FULL
        if cards_left is not None:
            # Deferred for cards while choosing candidates, but the routes left room for it:
            # the teams' time, not the printers, kept it off the day.
            used = sum(r.cards for r in solved)  # cards_left has the far trips' taken off
            cards_of = {s.id: s.cards for s in available}
            for site_id, reason in selection.deferred.items():
                if reason == Reason.CARD_CAPACITY_FULL and used + cards_of[site_id] <= cards_left:
                    ledger.capacity[site_id] = Reason.DAY_FULL
        routes.extend([*day_routes, *next_routes])
        pool = [s for s in pool if s.id not in served]

    new_routes = [r for r in routes if not r.locked]
    per_day_work = (
        sum(r.service_s + r.travel_s for r in new_routes) / len(problem.dates)
        if new_routes and problem.dates
        else rules.cluster_fill * team_day_s * max(1, len(problem.teams))
    )
    waiting = [s for s in pool if s.id in ledger.capacity]
    expected = _expected_dates(
        waiting,
        problem=problem,
        work=work,
        per_day_work_s=per_day_work,
        index=index,
        matrix=matrix,
    )
    unassigned: list[UnassignedSite] = []
    by_id = {s.id: s for s in problem.sites}
    for site_id, finding in ledger.final.items():
        site = by_id[site_id]
        later = (
            _later_date(site, problem, index, matrix)
            if finding.reason == Reason.PINNED_OTHER_DAY
            else None
        )
        unassigned.append(_unassigned(site, finding, later, problem))
    for site in pool:
        if site.id in ledger.capacity:
            unassigned.append(
                _unassigned(site, Finding(ledger.capacity[site.id]), expected.get(site.id), problem)
            )
        else:
            found = ledger.day_findings.get(site.id) or [Finding(Reason.NO_TEAM_ON_DAY)]
            if site.pinned_date in problem.dates:
                # Pinned to a day of the plan: what went wrong on that day is the reason.
                found = [f for f in found if f.reason != Reason.PINNED_OTHER_DAY] or found
            finding = _final_reason(found)
            if finding.reason in (
                Reason.NOT_AVAILABLE,
                Reason.WINDOWS_MISS_SHIFTS,
            ) and home_days_without_team(site, problem.teams, problem.rules):
                finding = Finding(Reason.NO_TEAM_WHEN_HOME)
            later = (
                None
                if finding.reason == Reason.NO_TEAM_WHEN_HOME
                else _later_date(site, problem, index, matrix)
            )
            unassigned.append(_unassigned(site, finding, later, problem))

    geometry_s = 0.0
    if legs is not None:
        t0 = time.perf_counter()
        cache: dict[tuple[int, int, str], tuple[LonLat, ...]] = {}
        profiles = {t.id: t.profile for t in problem.teams}
        routes = [
            r if r.locked else _with_geometry(r, index, legs, cache, profiles[r.team_id])
            for r in routes
        ]
        geometry_s = time.perf_counter() - t0
    routes.sort(key=lambda r: (r.day, r.team_id))
    unassigned.sort(key=lambda u: u.site_id)
    return PlanResult(
        dates=problem.dates,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        solver=engine.name,
        seed=problem.seed,
        notes=tuple(notes),
        timings_s={
            "prepare_s": prepared - started,
            "solve_s": solve_s,
            "geometry_s": geometry_s,
            "total_s": time.perf_counter() - started,
        },
    )


def _idle_s(tds: Sequence[TeamDay], routes: Sequence[PlannedRoute]) -> float:
    """Working time the day's teams have left after their routes (a team without one: all)."""
    ends = {r.team_id: r for r in routes}
    idle = 0.0
    for td in tds:
        route = ends.get(td.team.id)
        if route is None:
            idle += td.working_s
        else:
            taken = sum(b.end_s - b.start_s for b in route.breaks)
            idle += max(0, td.working_s - (route.end_s - route.start_s - taken))
    return idle


def _worth(routes: Sequence[PlannedRoute]) -> tuple[int, int, int]:
    """(visits, persons, -travel): more is better."""
    return (
        sum(len(r.stops) for r in routes),
        sum(r.persons for r in routes),
        -sum(r.travel_s for r in routes),
    )


def _is_big_collective(site: Site) -> bool:
    return site.category == "kolektif" and site.persons >= COLLECTIVE_DAY_PERSONS


def _waited_long(site: Site) -> bool:
    """Urgency points beyond its category and size (waiting, deadline, failed attempts) >= 10.

    Ten points is a month of waiting (:mod:`outreach.planning.priority`), the far trips' rule
    too. A part of a split visit counts its persons times its parts (about the request's).
    """
    base = CATEGORY_BASE.get(site.category, CATEGORY_BASE["lainnya"])
    persons = site.persons * max(1, site.parts)  # about the whole request's persons
    return site.priority - base - persons_points(persons) >= COLLECTIVE_LONG_WAIT_POINTS


def _collective_day(
    day: dt.date,
    tds: Sequence[TeamDay],
    dropped: Sequence[Site],
    available: Sequence[Site],
    rules: PlanRules,
    work: dict[int, float],
    index: PointIndex,
    matrix: TravelMatrix,
    engine: RoutingSolver,
    cards_left: int | None,
) -> PlannedRoute | None:
    """A team-day devoted to a big collective visit the day's solve ``dropped``, or None.

    The day solver maximises summed priority: a 40-person sweep (250 minutes) loses to the six
    or seven home visits it displaces, whatever its priority. So one team gets the most urgent
    dropped visit (must-visits first, then by priority) and, with the time left, the home
    visits nearest to it (80 % of that time, 50 % if the solver would drop the collective visit
    to fit them, else none). ``None`` when nothing was dropped or no team can take it.
    """
    big = sorted(
        dropped, key=lambda s: (not is_must(s, day, rules.must_priority), -s.priority, s.id)
    )
    if cards_left is not None:
        big = [s for s in big if s.cards <= cards_left]
    if not big:
        return None
    site = big[0]
    # A team with visits pinned to it that day (a programme visit, a coordinator's pin) keeps
    # them: it is not the one sent.
    pinned_teams = {s.pinned_team_id for s in available if s.id != site.id}
    teams = [
        td
        for td in tds
        if site.needs <= td.team.skills
        and site.pinned_team_id in (None, td.team.id)
        and td.team.id not in pinned_teams
        and td.working_s >= work.get(site.id, site.service_s)
    ]
    if not teams:
        return None
    td = max(teams, key=lambda t: (t.working_s, -t.team.id))
    row = index.site_row[site.id]
    dur = matrix.for_profile(td.team.profile).durations_s
    others = sorted(
        (
            s
            for s in available
            if s.id != site.id
            and not _is_big_collective(s)
            and s.needs <= td.team.skills
            and s.pinned_team_id in (None, td.team.id)
        ),
        key=lambda s: (int(dur[row, index.site_row[s.id]]), s.id),
    )
    drive = float(dur[index.team_start[td.team.id], row] + dur[row, index.depot])
    left_s = td.working_s - float(site.service_s) - drive
    for fill in _FILL:
        chosen: list[Site] = [site]
        used, cards = 0.0, site.cards
        for other in others:
            cost = work.get(other.id, float(other.service_s))
            if used + cost > fill * left_s:
                break
            if cards_left is not None and cards + other.cards > cards_left:
                continue
            chosen.append(other)
            used += cost
            cards += other.cards
        for route in _solve_day(day, [td], chosen, index, matrix, engine):
            if any(s.site_id == site.id for s in route.stops):
                return route
    return None


def _one_team_solver(
    day: dt.date, index: PointIndex, matrix: TravelMatrix, engine: RoutingSolver
) -> SolveFn:
    """The day solver for one team-day and the given sites (a far trip)."""
    return lambda td, sites: _solve_day(day, [td], sites, index, matrix, engine)


def _lodging_note(td: TeamDay, day: dt.date) -> str:
    return (
        f"{td.team.name} berangkat dari penginapan pada {format_date(day)} (rute hari "
        "sebelumnya yang sudah disetujui berakhir di sana) tanpa kunjungan yang masih muat: "
        "tim langsung kembali ke kantor dan tidak diberi kunjungan lain hari itu."
    )


def _day_text(day: dt.date, index: int, dates: Sequence[dt.date]) -> str:
    return f"Menyusun rute {format_date(day)} (hari {index + 1} dari {len(dates)})"


def _unassigned(
    site: Site, finding: Finding, expected: dt.date | None, problem: PlanningProblem
) -> UnassignedSite:
    return UnassignedSite(site.id, finding.reason.value, finding.message(expected), expected)
