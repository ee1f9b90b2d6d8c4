"""Planning: the eligible backlog -> routes per team and day, and a reason for everything left.

Layers (pure core first; only :mod:`service` touches the database, only
:mod:`vroom_adapter` imports VROOM):

- :mod:`~outreach.planning.problem`: :class:`PlanningProblem` (sites, teams, days, rules,
  locked routes, seed) and :func:`problem_points`, the matrix rows;
- :mod:`~outreach.planning.engine`: :func:`plan_routes` -- prechecks, area groups, candidate
  selection and one solve per day, timing, reasons, road geometry;
- :mod:`~outreach.planning.solver` / :mod:`~outreach.planning.vroom_adapter`: the solver
  Protocol and VROOM behind it;
- :mod:`~outreach.planning.timing`: ETAs, waits and breaks of a visiting order;
- :mod:`~outreach.planning.polish`: deterministic finishing of solved routes;
- :mod:`~outreach.planning.calendar`: working days (Sundays, Indonesian holidays), team-days,
  lunch and Friday prayer;
- :mod:`~outreach.planning.priority`: priority, service time, cards;
- :mod:`~outreach.planning.prechecks`, :mod:`~outreach.planning.reasons`: what is known
  before solving, and the coordinator-facing Indonesian explanations;
- :mod:`~outreach.planning.clustering`, :mod:`~outreach.planning.selection`: area groups and
  the day's candidates;
- :mod:`~outreach.planning.insertion`: an urgent request into a day's routes at least cost;
- :mod:`~outreach.planning.feasibility`: the independent checker used by tests and benches;
- :mod:`~outreach.planning.service`: load from / persist to the database, approve;
  :mod:`~outreach.planning.urgent`: urgent insertion; :mod:`~outreach.planning.records`:
  rows <-> planner dataclasses.

The plain dataclasses crossing layers (``Site``, ``TeamSpec``, ``PlanRules``,
``PlannedRoute``, ``PlanResult``...) live in :mod:`outreach.domain`.
"""

from outreach.planning.engine import plan_routes
from outreach.planning.feasibility import Violation, check_plan
from outreach.planning.insertion import Insertion, insert_site
from outreach.planning.problem import PlanningProblem, problem_points

__all__ = [
    "Insertion",
    "PlanningProblem",
    "Violation",
    "check_plan",
    "insert_site",
    "plan_routes",
    "problem_points",
]
