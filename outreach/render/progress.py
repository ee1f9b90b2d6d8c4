"""How far the day's routes are: the JSON the plan page and the home map poll.

An outcome recorded in the field (or typed from paper) shows on the coordinator's screens
within seconds: the pages poll :func:`progress_payload` every few seconds
(``outreach/static/progress.js``) and update each route's "dikunjungi X / Y" and each stop's
outcome badge. The payload carries ids, counts and outcome codes only: no names, NIK or phone
numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.planning.records import route_is_approved
from outreach.render.route_rows import RouteTable, route_table
from outreach.visits import OUTCOME_LABELS, route_progress

__all__ = ["done_text", "progress_payload", "today_routes", "today_tables"]


def done_text(done: int, planned: int) -> str:
    """``dikunjungi 2 / 5``: stops with an outcome (any) over stops planned, as pages write it."""
    return f"dikunjungi {done} / {planned}"


def progress_payload(session: Session, routes: Sequence[models.Route]) -> dict[str, Any]:
    """The progress of ``routes``: per route done / planned, per stop its outcome.

    Returns
    -------
    dict
        ``{"routes": [{"route_id", "done", "planned", "text"}], "stops": {"<stop id>":
        {"outcome", "label"}}, "done": n, "planned": n}``; stops
        without an outcome are absent from ``stops``.
    """
    progress = route_progress(session, [r.id for r in routes])
    out_routes: list[dict[str, Any]] = []
    stops: dict[str, dict[str, str]] = {}
    for route in routes:
        p = progress.get(route.id)
        done, planned = (p.done, p.planned) if p is not None else (0, len(route.stops))
        out_routes.append(
            {
                "route_id": route.id,
                "done": done,
                "planned": planned,
                "text": done_text(done, planned),
            }
        )
        for stop_id, outcome in (p.outcomes if p is not None else {}).items():
            stops[str(stop_id)] = {
                "outcome": outcome,
                "label": OUTCOME_LABELS.get(outcome, outcome),
            }
    return {
        "routes": out_routes,
        "stops": stops,
        "done": sum(r["done"] for r in out_routes),
        "planned": sum(r["planned"] for r in out_routes),
    }


def today_routes(session: Session, office_id: int, day: dt.date) -> list[models.Route]:
    """The approved routes of ``day`` (approved plans), by team name."""
    rows = session.scalars(
        select(models.Route)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(
            models.Plan.office_id == office_id,
            route_is_approved(),
            models.Route.route_date == day,
        )
        .options(
            selectinload(models.Route.team),
            selectinload(models.Route.stops).selectinload(models.Stop.outcome),
        )
    ).all()
    return sorted(rows, key=lambda r: (r.team.name, r.id))


def today_tables(session: Session, office_id: int, day: dt.date) -> list[RouteTable]:
    """The rows of ``day``'s approved routes, for the progress panel next to the home map."""
    return [route_table(r) for r in today_routes(session, office_id, day)]
