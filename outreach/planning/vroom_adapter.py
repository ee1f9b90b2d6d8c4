"""VROOM (through pyvroom) behind :class:`outreach.planning.solver.RoutingSolver`.

This is the only module that imports :mod:`vroom`. It maps the solver vocabulary one to one:
jobs with skills, priorities and several time windows; vehicles with a time window, breaks,
``max_tasks``, capacities and optional starting routes (VROOM's vehicle ``steps``, which in
solve mode seed the search; a starting route VROOM refuses as infeasible -- it takes a break
only on arrival at a job, the planner's timer also before driving off -- is dropped and that
vehicle's search starts from nothing).

Determinism: VROOM has no random seed; its search is a fixed set of heuristics and local
searches, so the same input gives the same output whatever the thread count -- provided no
``timeout`` cuts the search short (a timeout makes the result depend on machine load, so it is
off by default and meant as a safety net only). The effort is chosen instead with the
exploration level: by default higher for small days, lower for large ones (measured in
bench/day_plan.py: 150 jobs x 6 teams at level 2 solve in well under a second once the day's
candidates have been selected).
"""

from __future__ import annotations

import datetime as dt
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import numpy.typing as npt
import vroom
from vroom._vroom import VroomInputException

from outreach.planning.solver import (
    RoutingProblem,
    RoutingSolution,
    SolvedRoute,
    SolverJob,
    SolverVehicle,
)

_PROFILE = "car"  # the vocabulary's default profile (SolverVehicle.profile)
_UINT32_MAX = int(np.iinfo(np.uint32).max)


def _pyvroom_version() -> str:
    try:
        return version("pyvroom")
    except PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


def choose_exploration_level(job_count: int) -> int:
    """Exploration level (1-5) for a day with ``job_count`` jobs.

    VROOM's run time grows quickly with both the level and the number of jobs; these steps
    keep a day of up to about 200 candidates well inside the planner's time budget.
    """
    if job_count <= 40:
        return 5
    if job_count <= 70:
        return 4
    if job_count <= 100:
        return 3
    if job_count <= 300:
        return 2
    return 1


def _as_matrix(values: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    clipped = np.clip(np.asarray(values, dtype=np.int64), 0, _UINT32_MAX)
    return clipped.astype(np.uint32)


def _job(job: SolverJob) -> vroom.Job:
    kwargs: dict[str, Any] = {
        "default_service": int(job.service_s),
        "skills": {int(s) for s in job.skills},
        "priority": int(job.priority),
        "time_windows": [vroom.TimeWindow(int(a), int(b)) for a, b in job.windows],
    }
    if job.amount:
        kwargs["delivery"] = vroom.Amount([int(a) for a in job.amount])
    return vroom.Job(int(job.id), location=int(job.index), **kwargs)


def _vehicle(vehicle: SolverVehicle, *, steps: bool = True) -> vroom.Vehicle:
    breaks = [
        vroom.Break(
            int(b.id),
            time_windows=[vroom.TimeWindow(int(s), int(e)) for s, e in b.windows],
            service=int(b.duration_s),
        )
        for b in vehicle.breaks
    ]
    kwargs: dict[str, Any] = {
        "start": int(vehicle.start_index),
        "end": int(vehicle.end_index),
        "time_window": vroom.TimeWindow(int(vehicle.window[0]), int(vehicle.window[1])),
        "skills": {int(s) for s in vehicle.skills},
        "breaks": breaks,
        "profile": vehicle.profile,
    }
    if vehicle.max_tasks is not None:
        kwargs["max_tasks"] = int(vehicle.max_tasks)
    if vehicle.capacity:
        kwargs["capacity"] = vroom.Amount([int(c) for c in vehicle.capacity])
    if steps and vehicle.initial_jobs:
        kwargs["steps"] = [vroom.VehicleStepSingle(int(j)) for j in vehicle.initial_jobs]
    return vroom.Vehicle(int(vehicle.id), **kwargs)


def _parse(raw: dict[str, Any]) -> RoutingSolution:
    routes: list[SolvedRoute] = []
    for route in raw.get("routes", []):
        job_ids: list[int] = []
        breaks: list[tuple[int, int]] = []
        for step in route["steps"]:
            kind = step["type"]
            if kind == "job":
                job_ids.append(int(step["id"]))
            elif kind == "break":
                breaks.append((int(step["id"]), len(job_ids)))
        if job_ids:
            routes.append(SolvedRoute(int(route["vehicle"]), tuple(job_ids), tuple(breaks)))
    routes.sort(key=lambda r: r.vehicle_id)
    unassigned = tuple(sorted(int(u["id"]) for u in raw.get("unassigned", [])))
    return RoutingSolution(tuple(routes), unassigned)


def _input(problem: RoutingProblem, *, drop_steps: set[int]) -> vroom.Input:
    data = vroom.Input()
    data.set_durations_matrix(_PROFILE, _as_matrix(problem.durations))
    if problem.costs is not None:
        data.set_costs_matrix(_PROFILE, _as_matrix(problem.costs))
    if problem.distances is not None:
        data.set_distances_matrix(_PROFILE, _as_matrix(problem.distances))
    for profile, durations in problem.profile_durations.items():
        # A vehicle of another profile (a team on motorbikes) travels on its own matrix.
        data.set_durations_matrix(profile, _as_matrix(durations))
        if profile in problem.profile_distances:
            data.set_distances_matrix(profile, _as_matrix(problem.profile_distances[profile]))
    data.add_vehicle([_vehicle(v, steps=v.id not in drop_steps) for v in problem.vehicles])
    data.add_job([_job(j) for j in problem.jobs])
    return data


class VroomSolver:
    """:class:`~outreach.planning.solver.RoutingSolver` backed by VROOM.

    Parameters
    ----------
    exploration_level
        1-5; ``None`` chooses from the number of jobs (:func:`choose_exploration_level`).
    threads
        Worker threads VROOM may use (the result does not depend on it).
    timeout_s
        Optional hard cap on solving time. Leave ``None`` for reproducible plans.
    """

    def __init__(
        self,
        *,
        exploration_level: int | None = None,
        threads: int = 2,
        timeout_s: float | None = None,
    ) -> None:
        self.exploration_level = exploration_level
        self.threads = max(1, threads)
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        """``vroom <pyvroom version>``."""
        return f"vroom {_pyvroom_version()}"

    def solve(self, problem: RoutingProblem) -> RoutingSolution:
        """Solve ``problem`` with VROOM and return job orders per vehicle.

        Parameters
        ----------
        problem
            Matrices, jobs and vehicles (see :mod:`outreach.planning.solver`).

        Returns
        -------
        RoutingSolution
            Vehicles' job orders with break positions; unserved job ids.
        """
        if not problem.jobs or not problem.vehicles:
            return RoutingSolution((), tuple(sorted(j.id for j in problem.jobs)))
        level = self.exploration_level or choose_exploration_level(len(problem.jobs))
        timeout = None if self.timeout_s is None else dt.timedelta(seconds=self.timeout_s)
        refused: set[int] = set()  # vehicles whose starting route VROOM refused
        while True:
            try:
                data = _input(problem, drop_steps=refused)
                solution = data.solve(
                    exploration_level=level, nb_threads=self.threads, timeout=timeout
                )
                break
            except VroomInputException as error:
                # VROOM times a starting route its own way (a break only on arrival at a job)
                # and refuses one it cannot time, although the planner's timer also takes a
                # break before driving off: that vehicle's search then starts from nothing.
                seeded = {v.id for v in problem.vehicles if v.initial_jobs} - refused
                if not seeded:
                    raise
                found = re.search(r"vehicle (\d+)", str(error))
                vehicle = int(found.group(1)) if found else -1
                refused |= {vehicle} if vehicle in seeded else seeded
        return _parse(solution.to_dict())
