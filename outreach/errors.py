"""Errors the domain raises; the web layer and CLI turn them into messages."""

from __future__ import annotations


class OutreachError(Exception):
    """Base of every expected, user-facing failure (bad input, missing data)."""


class RegionError(OutreachError):
    """A region pack is missing, corrupt, or inconsistent."""


class IntakeError(OutreachError):
    """A request, letter or message could not be accepted as given."""


class PlanningError(OutreachError):
    """A plan could not be made from the given input."""


class PlanViolationsError(PlanningError):
    """A plan breaks rules the independent feasibility check knows: it cannot be approved."""


class NotFoundError(OutreachError):
    """A named record (region, request, team, plan) does not exist."""
