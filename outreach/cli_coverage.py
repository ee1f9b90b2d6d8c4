"""Command line for coverage targets: ``flask --app wsgi outreach coverage ...``.

``import FILE [--date D]`` stores per-area e-KTP recording counts (CSV or XLSX), ``show``
prints the ranked table, ``sweeps --top N`` turns the N kelurahan with the largest gap into
collective sweep visits for the next ``plan``, ``import-demo`` imports the demo's made-up file.
The rules are in :mod:`outreach.coverage`; these commands parse options, call one function,
commit and print.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from outreach import models
from outreach.cli import office_option, one_line_errors, outreach_cli
from outreach.coverage import (
    CoverageFileError,
    coverage_report,
    create_sweeps,
    import_coverage,
)
from outreach.coverage.mapping import percent
from outreach.coverage.public_places import region_places
from outreach.coverage.sweeps import Snapper
from outreach.db import get_session
from outreach.errors import OutreachError
from outreach.office import get_office

coverage_cli = AppGroup(
    "coverage", help="Coverage targets: where are most residents still unrecorded."
)
# Registered here, at import time (outreach.cli imports this module from register_cli).
outreach_cli.add_command(coverage_cli)
ACTOR = "cli"
MAX_FILE_BYTES = 10 * 1024 * 1024


def _date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise OutreachError(f"{option}: not a date (YYYY-MM-DD): {text!r}.") from exc


def _today(office: models.Office) -> dt.date:
    return dt.datetime.now(ZoneInfo(office.timezone)).date()


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@coverage_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "as_of", default=None, help="The counts' date (YYYY-MM-DD).")
@one_line_errors
@office_option
def import_command(path: Path, as_of: str | None) -> None:
    """Import per-kelurahan (or per-kecamatan) counts from a CSV or XLSX file.

    Without --date the date in the file's title rows ("Keadaan per ...") is used, else today.
    """
    session = get_session()
    office = get_office(session)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise OutreachError(f"{path.name}: file too large (over 10 MB).")
    try:
        result = import_coverage(
            session,
            office,
            filename=path.name,
            data=path.read_bytes(),
            as_of=_date(as_of, "--date"),
            actor=ACTOR,
            today=_today(office),
        )
    except CoverageFileError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise
    session.commit()
    click.echo(
        f"Coverage as of {result.as_of.isoformat()} imported (#{result.import_id}): "
        f"{result.kelurahan} kelurahan, {result.kecamatan} kecamatan; "
        f"{len(result.errors)} row(s) skipped."
    )
    for error in result.errors:
        click.echo(f"  {error}")


@coverage_cli.command("import-demo")
@one_line_errors
@office_option
def import_demo_command() -> None:
    """Import the demo's made-up coverage file (data karangan) for the office's kelurahan."""
    from outreach.demo.coverage import import_demo_coverage

    session = get_session()
    office = get_office(session)
    result = import_demo_coverage(session, office, today=_today(office))
    session.commit()
    click.echo(
        f"Demo coverage (data karangan) as of {result.as_of.isoformat()} imported: "
        f"{result.kelurahan} kelurahan."
    )


@coverage_cli.command("show")
@click.option("--top", default=15, show_default=True, help="Kelurahan rows to print.")
@one_line_errors
@office_option
def show_command(top: int) -> None:
    """Print the ranked table: kecamatan, then the kelurahan with the largest gap."""
    session = get_session()
    office = get_office(session)
    report = coverage_report(session, office)
    if report.as_of is None:
        click.echo("No coverage import yet: run 'coverage import FILE'.")
        return
    click.echo(
        f"Coverage as of {report.as_of.isoformat()} ({report.file_name}): "
        f"{_number(report.not_recorded)} of {_number(report.wajib_ktp)} not recorded "
        f"({percent(report.share)}), recorded by outreach since: "
        f"{_number(report.recorded_since)}"
    )
    for title, rows in (("Kecamatan", report.kecamatan), ("Kelurahan", report.kelurahan[:top])):
        click.echo(f"{title}:")
        for a in rows:
            change = "" if a.change is None else f", change {a.change:+d}"
            sweep = f", sweep {a.open_sweep}" if a.open_sweep else ""
            click.echo(
                f"  {a.name:<22} {_number(a.not_recorded):>7} not recorded "
                f"({percent(a.share):>6}), remaining {_number(a.remaining)}{change}{sweep}"
            )


@coverage_cli.command("sweeps")
@click.option("--top", required=True, type=int, help="How many kelurahan (largest gap first).")
@click.option(
    "--date", "until", default=None, help="Rank by the import as of this date (YYYY-MM-DD)."
)
@one_line_errors
@office_option
def sweeps_command(top: int, until: str | None) -> None:
    """Create collective sweep visits for the N kelurahan with the largest not-recorded gap.

    Kelurahan with an open sweep already are skipped; the next 'plan' plans the new ones.
    """
    from outreach.geo.network import travel_model_for

    session = get_session()
    office = get_office(session)
    travel = travel_model_for(
        office.region_slug,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    results = create_sweeps(
        session,
        office,
        top=top,
        actor=ACTOR,
        travel=travel if isinstance(travel, Snapper) else None,
        places=region_places(office.region_slug, search_dirs=current_app.config["REGIONS_DIRS"]),
        until=_date(until, "--date"),
    )
    session.commit()
    made = sum(r.created for r in results)
    click.echo(f"{made} sweep visit(s) created, {len(results) - made} already open.")
    for r in results:
        state = "created" if r.created else "already open"
        click.echo(
            f"  {r.tracking_code}  {r.kelurahan:<22} {r.persons:>4} persons expected "
            f"(remaining gap {_number(r.remaining)}) {state}"
        )
