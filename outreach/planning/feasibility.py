"""An independent check of a plan against the problem it was made for.

Used by the tests and the benchmarks on every plan they get. It does not reuse the planner's
timing code: it re-reads every figure of every route from the matrix and the rules and checks

- completeness: every site is on exactly one route or in ``unassigned`` exactly once;
- teams and days: the team works that day (one route per team-day), the day is in the plan
  and the office is open (its weekdays for home visits; no public holiday or cuti bersama);
- skills and pins: the team has every service/trait the site needs; pins are respected;
- times: each leg's travel time and distance equal the matrix's, arrival = previous departure
  + travel, breaks and waiting lie between arrival and service start, the whole visit (service
  start to end) lies inside one of the resident's windows that day, departure follows;
  the route leaves no earlier than the shift start and is back at the office by the team-day's
  deadline (shift end / sync deadline);
- breaks: every break of the team-day is taken inside its bounds with its full length, unless
  the team is back at the office before the break's latest start;
- capacity: a team's ``max_stops``; the day's cards across all teams within the printer's
  capacity; route totals (persons, cards) add up;
- locked (approved) routes come back unchanged;
- overnight trips: a route that ends at a lodging (no way back) is the first day of a trip --
  the same team's route of the next calendar day leaves from that lodging (its last stop);
  a route leaving from a lodging follows such a route of the day before; a route ending away
  from the office without the mark is reported (``ends_away``). Kept (approved) routes whose
  other day is outside the plan are taken as they are.

Each failure is a :class:`Violation`; a feasible plan gives an empty list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from outreach.domain import PlannedRoute, PlanResult, Site, TravelMatrix
from outreach.planning.calendar import TeamDay, closed_reason, team_day
from outreach.planning.problem import PlanningProblem, PointIndex, problem_points
from outreach.planning.reasons import Reason


@dataclass(frozen=True)
class Violation:
    """One broken rule."""

    code: str
    message: str
    team_id: int | None = None
    day: dt.date | None = None
    site_id: int | None = None


def _check_sites(problem: PlanningProblem, result: PlanResult) -> Iterator[Violation]:
    routed = Counter(s.site_id for r in result.routes for s in r.stops)
    left = Counter(u.site_id for u in result.unassigned)
    known = {s.id for s in problem.sites}
    for site_id, n in routed.items():
        if n > 1:
            yield Violation("visited_twice", f"site {site_id} is on {n} stops", site_id=site_id)
        if site_id in left:
            yield Violation("routed_and_unassigned", f"site {site_id}", site_id=site_id)
        if site_id not in known:
            yield Violation("unknown_site", f"site {site_id} on a route", site_id=site_id)
    for site_id, n in left.items():
        if n > 1:
            yield Violation("unassigned_twice", f"site {site_id}", site_id=site_id)
    # A request may be on several stops only as distinct parts of a split visit.
    parts = Counter((s.request_key, s.part) for s in problem.sites)
    for (request_id, part), n in sorted(parts.items()):
        if n > 1:
            yield Violation("part_twice", f"part {part} of request {request_id} x{n}")
    for site_id in known - set(routed) - set(left):
        yield Violation(
            "missing", f"site {site_id} is neither routed nor unassigned", site_id=site_id
        )
    codes = {r.value for r in Reason}
    for u in result.unassigned:
        if u.reason not in codes or not u.message:
            yield Violation("bad_reason", f"{u.reason!r} for site {u.site_id}", site_id=u.site_id)


def _check_gap(
    route: PlannedRoute, sequence: int, leave_s: int, arrival_s: int, travel_s: int
) -> tuple[int, list[tuple[str, str]]]:
    """Check the time between leaving the previous stop and arriving at stop ``sequence``.

    Breaks that end by the arrival are taken before driving off: they start after the
    departure, do not overlap, and the drive follows the last of them. The others are taken
    at the door: they start after the arrival. Returns when the team is ready to serve, and
    what is wrong.
    """
    problems: list[tuple[str, str]] = []
    here = sorted(
        (b for b in route.breaks if b.before_sequence == sequence), key=lambda b: b.start_s
    )
    before = [b for b in here if b.end_s <= arrival_s and b.start_s < arrival_s]
    t = leave_s
    for b in before:
        if b.start_s < t:
            problems.append(("break_overlap", f"break {b.label} overlaps"))
        t = b.end_s
    if arrival_s != t + travel_s:
        problems.append(("arrival", "arrival is not departure (+ breaks) + travel"))
    t = arrival_s
    for b in here:
        if b in before:
            continue
        if b.start_s < t:
            problems.append(("break_overlap", f"break {b.label} overlaps the drive or a break"))
        t = b.end_s
    return t, problems


def _check_route(
    route: PlannedRoute,
    td: TeamDay,
    sites: dict[int, Site],
    index: PointIndex,
    matrix: TravelMatrix,
) -> Iterator[Violation]:
    team = td.team
    day = route.day

    def v(code: str, message: str, site_id: int | None = None) -> Violation:
        return Violation(code, message, team_id=team.id, day=day, site_id=site_id)

    own = matrix.for_profile(team.profile)  # a team on motorbikes has its own travel times
    dur = own.durations_s
    dist = own.distances_m
    if not route.stops:
        yield v("empty_route", "route without stops")
        return
    if route.start_s < td.start_s:
        yield v("starts_early", f"leaves at {route.start_s} before the shift {td.start_s}")
    if team.max_stops is not None and len(route.stops) > team.max_stops:
        yield v("max_stops", f"{len(route.stops)} stops > {team.max_stops}")
    if [s.sequence for s in route.stops] != list(range(1, len(route.stops) + 1)):
        yield v("sequence", "stop sequence is not 1..n")
    prev_row = index.team_start[team.id]
    if route.lodging_site_id is not None:
        lodging_row = index.site_row.get(route.lodging_site_id)
        if lodging_row is None:
            if not route.locked:  # a kept route whose first day lies before the plan: as is
                yield v("lodging_unknown", f"leaves from unknown site {route.lodging_site_id}")
            return
        prev_row = lodging_row
    prev_departure = route.start_s
    taken = {b.label: b for b in route.breaks}
    if len(taken) != len(route.breaks):
        yield v("break_twice", "a break is taken twice")
    persons = cards = 0
    for stop in route.stops:
        site = sites.get(stop.site_id)
        if site is None:
            continue  # reported by _check_sites
        persons += site.persons
        cards += site.cards
        row = index.site_row.get(site.id)
        if row is None:
            yield v("no_location", "routed without a location", site.id)
            continue
        if not site.needs <= team.skills:
            yield v("skill", f"team lacks {sorted(site.needs - team.skills)}", site.id)
        if site.pinned_team_id is not None and site.pinned_team_id != team.id:
            yield v("pinned_team", f"pinned to team {site.pinned_team_id}", site.id)
        if site.pinned_date is not None and site.pinned_date != day:
            yield v("pinned_date", f"pinned to {site.pinned_date}", site.id)
        if stop.travel_s != int(dur[prev_row, row]) or stop.distance_m != int(dist[prev_row, row]):
            yield v("leg", "travel time or distance differs from the matrix", site.id)
        ready, problems = _check_gap(
            route, stop.sequence, prev_departure, stop.arrival_s, int(dur[prev_row, row])
        )
        for code, text in problems:
            yield v(code, text, site.id)
        if stop.service_start_s < ready:
            yield v("service_early", "service starts before arrival / break end", site.id)
        at_door = sum(
            b.end_s - b.start_s
            for b in route.breaks
            if b.before_sequence == stop.sequence and b.start_s >= stop.arrival_s
        )
        if stop.wait_s != stop.service_start_s - stop.arrival_s - at_door or stop.wait_s < 0:
            yield v("wait", "waiting time does not add up", site.id)
        windows = site.windows_on(day)
        if windows is not None and not any(
            w.start_s <= stop.service_start_s <= w.end_s for w in windows
        ):
            yield v("window", "service starts outside the resident's windows", site.id)
        elif windows is not None and not any(
            w.start_s <= stop.service_start_s and stop.service_start_s + site.service_s <= w.end_s
            for w in windows
        ):
            yield v("window_end", "the visit runs past the end of the resident's window", site.id)
        if stop.service_s != site.service_s:
            yield v("service_time", f"service {stop.service_s} != {site.service_s}", site.id)
        if stop.departure_s != stop.service_start_s + site.service_s:
            yield v("departure", "departure is not service start + service", site.id)
        prev_row = row
        prev_departure = stop.departure_s
    back = int(dur[prev_row, index.depot])
    back_m = int(dist[prev_row, index.depot])
    if route.ends_at_lodging:
        back = back_m = 0  # the night is spent near the last stop
    elif route.return_travel_s == 0 and route.return_distance_m == 0 and back > 0:
        yield v("ends_away", "the route ends away from the office without an overnight trip")
    if route.return_travel_s != back or route.return_distance_m != back_m:
        yield v("return_leg", "return leg differs from the matrix")
    n = len(route.stops)
    _, problems = _check_gap(route, n + 1, prev_departure, route.end_s, back)
    for code, text in problems:
        yield v(code, text)
    if any(b.before_sequence == n + 1 and b.start_s >= route.end_s for b in route.breaks):
        yield v("break_after_end", "a break after the route's end")
    if any(not 1 <= b.before_sequence <= n + 1 for b in route.breaks):
        yield v("break_position", "a break outside the route")
    if route.end_s > td.return_by_s:
        yield v("late", f"back at {route.end_s} after {td.return_by_s}")
    rules = {r.label: r for r in td.breaks}
    for label in taken:
        if label not in rules:
            yield v("unknown_break", f"break {label!r} is not a rule of the day")
    for label, rule in rules.items():
        took = taken.get(label)
        if took is None:
            if route.end_s > rule.latest_start_s:
                yield v("break_missing", f"no {label} although out past {rule.latest_start_s}")
            continue
        if not rule.earliest_start_s <= took.start_s <= rule.latest_start_s:
            yield v("break_window", f"{label} starts at {took.start_s}")
        if took.end_s - took.start_s != rule.duration_s:
            yield v("break_length", f"{label} lasts {took.end_s - took.start_s}")
    if route.persons != persons or route.cards != cards:
        yield v("totals", "persons / cards do not add up")


def _check_overnight(result: PlanResult) -> Iterator[Violation]:
    """Each overnight trip: day 1 ends at a lodging, the same team leaves from it the next day."""
    by_key = {(r.team_id, r.day): r for r in result.routes}
    for route in result.routes:
        key = (route.team_id, route.day)
        if route.ends_at_lodging and route.stops:
            after = by_key.get((route.team_id, route.day + dt.timedelta(days=1)))
            if after is None and not route.locked:
                yield Violation(
                    "lodging_no_next_day",
                    "ends at a lodging but the team has no route the next day",
                    *key,
                )
            elif after is not None and after.lodging_site_id != route.stops[-1].site_id:
                yield Violation(
                    "lodging_next_start",
                    "the next day does not leave from this route's lodging (its last stop)",
                    *key,
                )
        if route.lodging_site_id is not None:
            before = by_key.get((route.team_id, route.day - dt.timedelta(days=1)))
            if before is None:
                if not route.locked:
                    yield Violation(
                        "lodging_no_first_day",
                        "leaves from a lodging but the team has no route the day before",
                        *key,
                    )
            elif not before.ends_at_lodging or not before.stops:
                yield Violation(
                    "lodging_start",
                    "leaves from a lodging but the day before ends at the office",
                    *key,
                )
            elif before.stops[-1].site_id != route.lodging_site_id:
                yield Violation(
                    "lodging_start",
                    f"leaves from site {route.lodging_site_id}, not from the lodging of the day "
                    f"before (site {before.stops[-1].site_id})",
                    *key,
                )


def check_plan(
    problem: PlanningProblem, matrix: TravelMatrix, result: PlanResult
) -> list[Violation]:
    """Every rule ``result`` breaks for ``problem`` (empty when the plan is feasible).

    Parameters
    ----------
    problem
        What was planned.
    matrix
        The travel-time matrix the plan was made on.
    result
        The plan.

    Returns
    -------
    list of Violation
        In route order.
    """
    index = problem_points(problem)
    sites = {s.id: s for s in problem.sites}
    teams = {t.id: t for t in problem.teams}
    found = list(_check_sites(problem, result))
    seen: set[tuple[int, dt.date]] = set()
    cards_by_day: Counter[dt.date] = Counter()
    for route in result.routes:
        key = (route.team_id, route.day)
        if key in seen:
            found.append(Violation("two_routes", "two routes for one team-day", *key))
        seen.add(key)
        if route.day not in problem.dates:
            found.append(Violation("day", "day outside the plan", *key))
        closed = closed_reason(route.day, problem.rules.office_days)
        if closed is not None:
            found.append(Violation("closed_day", f"the office is closed: {closed}", *key))
        team = teams.get(route.team_id)
        td = None if team is None else team_day(team, route.day, problem.rules)
        if td is None:
            found.append(Violation("team_day", "team does not work that day", *key))
            continue
        found.extend(_check_route(route, td, sites, index, matrix))
        cards_by_day[route.day] += sum(
            sites[s.site_id].cards for s in route.stops if s.site_id in sites
        )
    cap = problem.rules.daily_card_capacity
    if cap is not None:
        for day, cards in sorted(cards_by_day.items()):
            if cards > cap:
                found.append(Violation("card_capacity", f"{cards} cards > {cap}", day=day))
    found.extend(_check_overnight(result))
    for locked in problem.locked:
        if locked not in result.routes:
            found.append(
                Violation("locked_changed", "an approved route changed", locked.team_id, locked.day)
            )
    return found
