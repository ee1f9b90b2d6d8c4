"""Command line for recurring programmes: ``flask --app wsgi outreach programme ...``.

The rules are in :mod:`outreach.programmes` (shared with the pages); these commands parse
options, call one function, commit and print. A bad value is one line on stderr and exit
status 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

from outreach.cli import office_option, one_line_errors, outreach_cli
from outreach.db import get_session
from outreach.errors import OutreachError
from outreach.office import get_office
from outreach.programmes.generate import generate_visits
from outreach.programmes.manage import (
    ProgrammeInput,
    get_programme,
    programme_rows,
    save_programme,
)
from outreach.programmes.places import import_places

programme_cli = AppGroup("programme", help="Recurring programmes: schools, kelurahan halls.")
places_cli = AppGroup("places", help="The places programmes visit.")
programme_cli.add_command(places_cli)
# Registered here, at import time (outreach.cli imports this module from register_cli).
outreach_cli.add_command(programme_cli)
ACTOR = "cli"


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise OutreachError(f"{option}: not a date (YYYY-MM-DD): {text!r}.") from exc


@programme_cli.command("add")
@click.option("--name", required=True, help='e.g. "Sekolah setiap Rabu".')
@click.option("--kind", default="sekolah", type=click.Choice(["sekolah", "kelurahan", "lainnya"]))
@click.option("--day", "days", multiple=True, required=True, help="Weekday: Rabu, Sabtu, 0-6.")
@click.option("--from", "start", required=True, help="First date of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last date of the period (YYYY-MM-DD).")
@click.option("--team", "teams", multiple=True, help="Team name or id (default: any team).")
@click.option("--hours", default="", help="Hours on weekend days, e.g. 08:00-12:00.")
@click.option("--max-persons", default="", help="Most persons per visit.")
@click.option(
    "--on-holiday", default="geser", type=click.Choice(["geser", "lewati"]), show_default=True
)
@click.option(
    "--school-holiday",
    "closed",
    multiple=True,
    help='"START END Label", e.g. "2026-12-21 2027-01-03 Libur semester".',
)
@one_line_errors
@office_option
def programme_add(
    name: str,
    kind: str,
    days: tuple[str, ...],
    start: str,
    end: str,
    teams: tuple[str, ...],
    hours: str,
    max_persons: str,
    on_holiday: str,
    closed: tuple[str, ...],
) -> None:
    """Create a programme."""
    session = get_session()
    hours_start, _, hours_end = hours.partition("-")
    programme = save_programme(
        session,
        get_office(session),
        ProgrammeInput(
            name=name,
            place_kind=kind,
            weekdays=days,
            start_date=start,
            end_date=end,
            team_ids=teams,
            hours_start=hours_start,
            hours_end=hours_end,
            max_persons=max_persons,
            on_holiday=on_holiday,
            closed_ranges="\n".join(closed),
        ),
        actor=ACTOR,
    )
    session.commit()
    click.echo(f"Programme #{programme.id} {programme.name} created.")


@places_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--programme", "programme_id", type=int, default=None, help="Default: the office.")
@click.option("--kind", default="sekolah", type=click.Choice(["sekolah", "kelurahan", "lainnya"]))
@one_line_errors
@office_option
def places_import(file: Path, programme_id: int | None, kind: str) -> None:
    """Import places from FILE (CSV or XLSX); bad rows are listed and left out."""
    session = get_session()
    office = get_office(session)
    programme = get_programme(session, office, programme_id) if programme_id else None
    result = import_places(
        session,
        office,
        file.name,
        file.read_bytes(),
        programme=programme,
        default_kind=kind,
        actor=ACTOR,
    )
    session.commit()
    click.echo(
        f"Places: {len(result.created)} new, {len(result.updated)} updated, "
        f"{len(result.errors)} rows left out."
    )
    for error in result.errors:
        click.echo(f"  {error.message}")


@programme_cli.command("generate")
@click.option("--from", "start", required=True, help="First date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last date (YYYY-MM-DD).")
@one_line_errors
@office_option
def programme_generate(start: str, end: str) -> None:
    """Create the programmes' collective visits from --from to --to (again: nothing new)."""
    session = get_session()
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first or (last - first).days > 366:
        raise OutreachError("--to must be after --from, at most a year later.")
    result = generate_visits(session, get_office(session), first, last, actor=ACTOR)
    session.commit()
    click.echo(
        f"Visits: {result.created} created ({result.moved} moved), {result.skipped} skipped, "
        f"{result.existing} already generated."
    )
    for visit in result.visits:
        where = visit.place.name if visit.place is not None else "-"
        when = visit.visit_date.isoformat() if visit.visit_date else "-"
        note = f" ({visit.note})" if visit.note else ""
        click.echo(f"  {visit.slot_date.isoformat()} -> {when} {where}{note}")
    for note in result.notes:
        click.echo(f"  ! {note}")


@programme_cli.command("list")
@one_line_errors
@office_option
def programme_list() -> None:
    """The office's programmes."""
    session = get_session()
    rows = programme_rows(session, get_office(session))
    if not rows:
        click.echo("No programmes.")
    for r in rows:
        state = "" if r.active else " [inactive]"
        click.echo(
            f"#{r.id} {r.name}{state}: {r.kind}, {r.days}, {r.period}, teams {r.teams}, "
            f"hours {r.hours}, {r.places} places, {r.visits} visits"
        )


@programme_cli.command("import-demo")
@one_line_errors
@office_option
def programme_import_demo() -> None:
    """Import the demo's made-up school list (data karangan) and "Sekolah setiap Rabu"."""
    from zoneinfo import ZoneInfo

    from outreach.demo.programmes import seed_demo_programme

    session = get_session()
    office = get_office(session)
    today = dt.datetime.now(ZoneInfo(office.timezone)).date()
    made = seed_demo_programme(session, office, today=today)
    session.commit()
    click.echo(
        f"Demo schools (data karangan): {len(made.places.created)} new, "
        f"{len(made.places.updated)} updated. Programme #{made.programme.id} "
        f"{made.programme.name}: {made.visits.created} visits created "
        f"({made.visits.moved} moved, {made.visits.skipped} skipped)."
    )
