"""Command line for background work: ``outreach worker`` and ``outreach plan-all``.

Importing this module adds the commands to :data:`outreach.cli.outreach_cli`
(``register_cli`` imports it). ``outreach plan --queue`` (in :mod:`outreach.cli`) calls
:func:`enqueue_plan` from here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import click
from flask import current_app
from sqlalchemy import select

from outreach import jobs, models
from outreach.cli import one_line_errors, outreach_cli, region_cli
from outreach.db import get_session
from outreach.planning.calendar import working_days
from outreach.planning.reasons import format_date
from outreach.planning.records import office_days

__all__ = [
    "enqueue_plan",
    "job_show",
    "next_working_day",
    "plan_all",
    "queue_region_import",
    "worker",
]


def _redis_url() -> str:
    url = str(current_app.config.get("REDIS_URL") or "")
    if not url:
        msg = "OUTREACH_REDIS_URL is not set: queued jobs need a Redis server."
        raise click.ClickException(msg)
    return url


def enqueue_plan(office: models.Office, params: dict[str, Any]) -> str:
    """Put a plan job for ``office`` on the RQ queue; returns its job id.

    ``params`` as for the "plan" job kind (:func:`outreach.job_kinds.plan_job`).
    """
    _redis_url()
    start = dt.date.fromisoformat(str(params["start"]))
    days = int(params.get("days", 1))
    title = f"Rencana {days} hari kerja mulai {format_date(start)}"
    data = {**params, "office_id": office.id, "actor": "cli"}
    return _enqueue("plan", office, title, data)


def _enqueue(kind: str, office: models.Office, title: str, params: dict[str, Any]) -> str:
    """Queue a job; Redis unreachable is an error here (the job row says so too)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job_id = jobs.enqueue(app, kind=kind, office_id=office.id, title=title, params=params)
    failed = get_session().get(models.Job, job_id)
    if failed is not None and failed.status == models.JobStatus.FAILED.value:
        raise click.ClickException(f"job {job_id} could not be queued: {failed.error}")
    return job_id


def next_working_day(office: models.Office, on_or_after: dt.date) -> dt.date:
    """The office's first working day on or after ``on_or_after`` (its own calendar)."""
    return working_days(on_or_after, 1, office_days(office))[0]


@outreach_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's, host and pid).")
def worker(burst: bool, name: str | None) -> None:
    """Run an RQ worker for the queued jobs (OUTREACH_REDIS_URL), with this app's config.

    Jobs run in this process, one after another (RQ's SimpleWorker): road graphs it loads stay
    in memory for the next job. Run several workers, on one machine or several, for more.
    """
    from rq import SimpleWorker

    url = _redis_url()
    queue = jobs.rq_queue(url)
    rq_worker = SimpleWorker([queue], connection=queue.connection, name=name)
    click.echo(f"worker {rq_worker.name} on queue {jobs.QUEUE_NAME}")
    rq_worker.work(burst=burst, with_scheduler=False)


@outreach_cli.command("plan-all")
@click.option(
    "--date",
    "on_or_after",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Plan each office's first working day on or after this date (default: tomorrow).",
)
@click.option("--days", default=1, show_default=True, help="Working days to plan.")
@one_line_errors
def plan_all(on_or_after: Any, days: int) -> None:
    """Queue the next working day's plan of every office (one job per office)."""
    _redis_url()
    offices = get_session().scalars(select(models.Office).order_by(models.Office.id)).all()
    if not offices:
        raise click.ClickException("No office is set up (outreach office set).")
    for office in offices:
        if on_or_after is None:
            today = dt.datetime.now(zoneinfo.ZoneInfo(office.timezone)).date()
            first = today + dt.timedelta(days=1)
        else:
            first = on_or_after.date()
        day = next_working_day(office, first)
        params = {"start": day.isoformat(), "days": days, "teams": [], "replan": False}
        job_id = enqueue_plan(office, params)
        click.echo(f"{job_id} {day.isoformat()} office {office.id} {office.name}")


@region_cli.command("queue-import")
@click.argument("slug_or_path")
@click.option("--office", "office_id", type=int, default=None, help="Default: the first office.")
@one_line_errors
def queue_region_import(slug_or_path: str, office_id: int | None) -> None:
    """Queue a region pack import (as ``region import``) for a worker; prints the job id.

    The job is shown to the office it names (default: the first office); a worker builds the
    road graph into its own CACHE_DIR.
    """
    _redis_url()
    query = select(models.Office).order_by(models.Office.id)
    if office_id is not None:
        query = query.where(models.Office.id == office_id)
    office = get_session().scalars(query).first()
    if office is None:
        raise click.ClickException("No such office (outreach office set first).")
    title = f"Impor wilayah {slug_or_path}"[:200]
    params = {"source": slug_or_path, "office_id": office.id}
    click.echo(_enqueue("region_import", office, title, params))


@outreach_cli.command("job")
@click.argument("job_id")
@one_line_errors
def job_show(job_id: str) -> None:
    """Show a background job: status, progress, error or result (a dead worker's job: failed)."""
    session = get_session()
    job = jobs.get_job(session, job_id.strip(), config=current_app.config)
    if job is None:
        raise click.ClickException(f"No job {job_id!r}.")
    session.commit()  # a job found dead is stored as failed
    data = jobs.job_payload(job)
    click.echo(f"{data['id']} {data['kind']} {data['status']} {data['percent']}% {data['title']}")
    click.echo(f"  {data['text']}")
    if data["error"]:
        click.echo(f"  error: {data['error']}")
    for key, value in sorted(data["result"].items()):
        click.echo(f"  {key}: {value}")
