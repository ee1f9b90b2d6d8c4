"""The routing-solver boundary: a small problem/solution vocabulary and a Protocol.

The planner never talks to a solver library directly. It states a day as a
:class:`RoutingProblem` (an integer duration matrix, jobs, vehicles with shifts and breaks) and
gets back the order of jobs per vehicle as a :class:`RoutingSolution`. Times and ETAs are then
recomputed by :mod:`outreach.planning.timing`, so any solver that respects the constraints can
be swapped in: VROOM (:mod:`outreach.planning.vroom_adapter`) is the one the product ships;
the benchmarks put PyVRP and OR-Tools side by side.

Conventions of the vocabulary (mirroring VROOM's, the richest of the three):

- times are integer seconds on one axis (seconds after midnight for a day plan);
- a job's windows bound the *start* of its service; a vehicle's window bounds leaving its
  start and arriving at its end;
- a job is done by a vehicle only if the vehicle has every skill the job needs;
- a break is taken on arrival at a step, before serving it (travel first, then the break);
- the solver maximises the summed priority of the jobs it serves first, then minimises cost
  (``costs`` if given, else ``durations``);
- a vehicle travels by its ``profile``: ``"car"`` uses ``durations``/``distances``/``costs``,
  any other profile its own ``profile_durations``/``profile_distances`` (a team on
  motorbikes); its cost is then its own durations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

Window = tuple[int, int]


@dataclass(frozen=True)
class SolverJob:
    """A place to visit once."""

    id: int
    index: int  # row/column in the matrices
    service_s: int
    windows: tuple[Window, ...] = ()  # empty: any time
    skills: frozenset[int] = frozenset()
    priority: int = 0  # 0..100
    amount: tuple[int, ...] = ()  # load, when vehicles have a capacity


@dataclass(frozen=True)
class SolverBreak:
    """A break a vehicle must take when it is used."""

    id: int
    windows: tuple[Window, ...]  # bounds on the break's start
    duration_s: int


@dataclass(frozen=True)
class SolverVehicle:
    """A team on one day (or a truck in a benchmark)."""

    id: int
    start_index: int
    end_index: int
    window: Window
    skills: frozenset[int] = frozenset()
    breaks: tuple[SolverBreak, ...] = ()
    max_tasks: int | None = None
    capacity: tuple[int, ...] = ()
    initial_jobs: tuple[int, ...] = ()  # a starting route (job ids), when the solver takes one
    profile: str = "car"  # how it travels (see the module docstring)


@dataclass(frozen=True)
class RoutingProblem:
    """One routing problem: square integer matrices, jobs and vehicles."""

    durations: npt.NDArray[np.int64]
    jobs: tuple[SolverJob, ...]
    vehicles: tuple[SolverVehicle, ...]
    costs: npt.NDArray[np.int64] | None = None  # objective; durations when None
    distances: npt.NDArray[np.int64] | None = None
    # Matrices of the vehicles whose profile is not "car", by profile (same points and shape).
    profile_durations: Mapping[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    profile_distances: Mapping[str, npt.NDArray[np.int64]] = field(default_factory=dict)

    def durations_for(self, profile: str) -> npt.NDArray[np.int64]:
        """The travel durations of vehicles of ``profile`` (KeyError: none given)."""
        return self.durations if profile == "car" else self.profile_durations[profile]


@dataclass(frozen=True)
class SolvedRoute:
    """The order a vehicle serves its jobs, and where it takes its breaks."""

    vehicle_id: int
    job_ids: tuple[int, ...]
    # (break id, position): taken on arrival at job_ids[position], or at the end when
    # position == len(job_ids).
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RoutingSolution:
    """Routes (vehicles without jobs are omitted) and the ids of jobs left out."""

    routes: tuple[SolvedRoute, ...]
    unassigned: tuple[int, ...]


class RoutingSolver(Protocol):
    """Anything that turns a :class:`RoutingProblem` into a :class:`RoutingSolution`."""

    @property
    def name(self) -> str:
        """Solver name and version, stored with every plan."""

    def solve(self, problem: RoutingProblem) -> RoutingSolution:
        """Solve ``problem`` deterministically (same problem, same solution)."""
