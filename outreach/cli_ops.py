"""Operations on the command line: ``flask --app wsgi outreach purge|backup|restore``.

- ``purge [--before DATE] [--dry-run] [--office ID]``: remove the personal data of requests
  closed before DATE (default: the retention period, ``OUTREACH_RETENTION_DAYS``, 730 days),
  keeping the statistics (:mod:`outreach.retention`), and the files background jobs made
  (PDFs, exports) older than ``OUTREACH_JOB_FILE_DAYS`` (7 days).
- ``backup FILE [--overwrite]``: a consistent copy while the app runs (:mod:`outreach.backup`).
- ``restore FILE``: bring a backup back; the app must be stopped.

Registered on ``outreach_cli`` at import (``register_cli`` imports this module).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app

from outreach import backup as backup_module
from outreach import models
from outreach.cli import one_line_errors, outreach_cli
from outreach.db import get_session
from outreach.errors import OutreachError
from outreach.retention import (
    DEFAULT_JOB_FILE_DAYS,
    DEFAULT_RETENTION_DAYS,
    purge_closed,
    purge_job_files,
    retention_cutoff,
)


def retention_days() -> int:
    """The configured retention period in days (``OUTREACH_RETENTION_DAYS``)."""
    value = current_app.config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise OutreachError(f"RETENTION_DAYS must be a number of days, not {value!r}") from None
    if days < 1:
        raise OutreachError("RETENTION_DAYS must be at least 1")
    return days


@outreach_cli.command("purge")
@click.option(
    "--before",
    "before",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Purge requests closed before this day (YYYY-MM-DD, UTC). "
    "Default: today minus the retention period (OUTREACH_RETENTION_DAYS, 730).",
)
@click.option("--dry-run", is_flag=True, help="Only count; change nothing.")
@click.option("--office", "office_id", type=int, default=None, help="One office (id) only.")
@one_line_errors
def purge_command(before: dt.datetime | None, dry_run: bool, office_id: int | None) -> None:
    """Remove the personal data of closed requests past the retention period (UU PDP)."""
    now = models.utcnow()
    cutoff = before if before is not None else retention_cutoff(now, retention_days())
    if cutoff > now:
        raise OutreachError("--before is in the future: only requests already closed are purged")
    session = get_session()
    result = purge_closed(session, cutoff, office_id=office_id, dry_run=dry_run, actor="cli")
    # Files of background jobs (PDFs, exports) go after a week, whatever --before says.
    file_days = int(current_app.config.get("JOB_FILE_DAYS", DEFAULT_JOB_FILE_DAYS))
    jobs_dir = Path(str(current_app.config["DATA_DIR"])) / "jobs"
    files = purge_job_files(
        session, jobs_dir, retention_cutoff(now, max(1, file_days)), dry_run=dry_run
    )
    if dry_run:
        session.rollback()
    else:
        session.commit()
    verb = "would be purged" if dry_run else "purged"
    click.echo(f"Requests closed before {cutoff:%Y-%m-%d}: {result.requests} {verb}.")
    click.echo(
        f"  visit outcomes: {result.outcomes}, letters: {result.letters}, "
        f"letter residents: {result.residents}, route legs: {result.stops}, "
        f"audit events: {result.audit_events}."
    )
    click.echo(f"Files of background jobs older than {file_days} days: {len(files)} {verb}.")
    if not dry_run:
        click.echo("Backups made before today still hold these data: rotate them.")


@outreach_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@one_line_errors
def backup_command(file: Path, overwrite: bool) -> None:
    """Copy the database to FILE (mode 0600) while the app keeps running."""
    engine = current_app.extensions["outreach_engine"]
    info = backup_module.backup(engine, file, overwrite=overwrite)
    if info.requests >= 0:
        click.echo(f"{file}: {info.size} bytes, schema {info.revision}, {info.requests} requests.")
    else:
        click.echo(f"{file}: {info.size} bytes (pg_dump, custom format).")


@outreach_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@one_line_errors
def restore_command(file: Path, yes: bool) -> None:
    """Bring the backup FILE back as the database. Stop the app (all workers) first."""
    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.confirm(
            "Restore replaces the whole database. Is the app stopped?", abort=True, err=True
        )
    current_app.extensions["outreach_engine"].dispose()
    done = backup_module.restore(url, file)
    click.echo(f"Restored {file} (schema {done.info.revision or 'from pg_dump'}).")
    if done.kept is not None:
        click.echo(f"The database before the restore is kept in {done.kept}.")
    if done.needs_upgrade:
        click.echo("The backup has an older schema: run 'flask --app wsgi outreach init-db'.")
