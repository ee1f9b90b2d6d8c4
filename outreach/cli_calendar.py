"""Command line for the office calendar: ``flask --app wsgi outreach calendar ...``.

National holidays and cuti bersama are closed for home visits by default; the office closes
dates of its own, keeps dates open, sets periods with their own hours (Ramadan) and marks a
team away. The rules are in :mod:`outreach.office_calendar` (shared with the web pages);
these commands parse options, call one of its functions, commit and print. A bad value is one
line on stderr and exit status 1.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from outreach import models, office_calendar
from outreach.cli import office_option, one_line_errors, outreach_cli
from outreach.db import get_session
from outreach.errors import NotFoundError, OutreachError
from outreach.office import get_office, parse_time, parse_time_range

calendar_cli = AppGroup(
    "calendar",
    help="The office calendar: holidays, cuti bersama, closed/open dates, special hours, "
    "teams away.",
)
# Registered here, at import time (outreach.cli imports this module from register_cli).
outreach_cli.add_command(calendar_cli)

KIND_NAMES = {
    office_calendar.NATIONAL: "national holiday",
    office_calendar.CUTI_BERSAMA: "cuti bersama",
    office_calendar.OFFICE: "office",
}
ACTOR = "cli"


def _date(text: str, option: str) -> dt.date:
    """``YYYY-MM-DD``, or a one-line error naming ``option``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise OutreachError(f"{option}: not a date (YYYY-MM-DD): {text!r}.") from exc


def _optional_date(text: str | None, option: str) -> dt.date | None:
    return _date(text, option) if text else None


def _span(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def _team(office: models.Office, name: str) -> models.Team:
    """The office's team called ``name`` (case-insensitive) or with id ``name``."""
    wanted = name.strip().casefold()
    for team in office.teams:
        if team.name.casefold() == wanted or (wanted.isdecimal() and team.id == int(wanted)):
            return team
    raise NotFoundError(f"No team {name!r} in the office (see 'outreach team list').")


def _describe_period(row: models.OfficeHours) -> str:
    friday = f", Friday until {row.friday_end:%H:%M}" if row.friday_end else ""
    sync = f", sync by {row.sync_deadline:%H:%M}" if row.sync_deadline else ""
    pause = f"{row.break_minutes} min breaks" if row.break_minutes else "no breaks"
    return (
        f"#{row.id} {row.name}: {_span(row.start_date, row.end_date)}, "
        f"{row.work_start:%H:%M}-{row.work_end:%H:%M}{friday}, {pause}{sync}"
    )


@calendar_cli.command("show")
@click.option("--year", type=click.IntRange(1990, 2100), default=None, help="Default: this year.")
@one_line_errors
@office_option
def calendar_show(year: int | None) -> None:
    """The year's holidays, cuti bersama and the office's own dates; special-hours periods."""
    office = get_office(get_session())
    year = year or dt.datetime.now(ZoneInfo(office.timezone)).date().year
    notes = {d.day: d.label for d in office.calendar_days}
    click.echo(f"{office.name}: calendar {year} (closed for home visits unless marked open)")
    for entry in office_calendar.year_calendar(office, year):
        state = "open" if entry.is_open else "closed"
        if entry.override and entry.kind != office_calendar.OFFICE:
            state += " (set by the office)"
        note = notes.get(entry.day, "") if entry.kind != office_calendar.OFFICE else ""
        click.echo(
            f"  {entry.day.isoformat()} {entry.day:%a}  {state:<26} "
            f"{KIND_NAMES.get(entry.kind, entry.kind):<17} {entry.name}"
            + (f" ({note})" if note else "")
        )
    periods = [p for p in office.hours_periods if p.start_date.year <= year <= p.end_date.year]
    for period in periods:
        click.echo("  hours " + _describe_period(period))
    for team in office.teams:
        for away in team.absences:
            if away.start_date.year <= year <= away.end_date.year:
                why = f" ({away.reason})" if away.reason else ""
                span = _span(away.start_date, away.end_date)
                click.echo(f"  away {team.name}: absence #{away.id}, {span}{why}")


@calendar_cli.command("close")
@click.argument("day")
@click.option("--to", "to", default=None, help="Last date (included), YYYY-MM-DD.")
@click.option("--reason", required=True, help='Why, e.g. "Hari jadi kota".')
@one_line_errors
@office_option
def calendar_close(day: str, to: str | None, reason: str) -> None:
    """Close DAY (to --to) for home visits."""
    session = get_session()
    rows = office_calendar.set_days(
        session,
        get_office(session),
        _date(day, "DATE"),
        _optional_date(to, "--to"),
        is_open=False,
        label=reason,
        actor=ACTOR,
    )
    session.commit()
    click.echo(f"Closed for home visits: {_span(rows[0].day, rows[-1].day)} ({rows[0].label}).")


@calendar_cli.command("open")
@click.argument("day")
@click.option("--to", "to", default=None, help="Last date (included), YYYY-MM-DD.")
@click.option("--note", default="", help="Optional note.")
@one_line_errors
@office_option
def calendar_open(day: str, to: str | None, note: str) -> None:
    """Open DAY (to --to) for home visits, e.g. a cuti bersama the office works on."""
    session = get_session()
    rows = office_calendar.set_days(
        session,
        get_office(session),
        _date(day, "DATE"),
        _optional_date(to, "--to"),
        is_open=True,
        label=note,
        actor=ACTOR,
    )
    session.commit()
    click.echo(f"Open for home visits: {_span(rows[0].day, rows[-1].day)}.")


@calendar_cli.command("reset")
@click.argument("day")
@click.option("--to", "to", default=None, help="Last date (included), YYYY-MM-DD.")
@one_line_errors
@office_option
def calendar_reset(day: str, to: str | None) -> None:
    """Drop the office's own setting of DAY (to --to): back to the national calendar."""
    session = get_session()
    start, end = _date(day, "DATE"), _optional_date(to, "--to")
    count = office_calendar.reset_days(session, get_office(session), start, end, actor=ACTOR)
    session.commit()
    click.echo(f"Reset {count} date(s) of {_span(start, end or start)} to the defaults.")


@calendar_cli.command("hours-add")
@click.option("--name", required=True, help='E.g. "Ramadan 1448 H".')
@click.option("--from", "start", required=True, help="First date, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last date (included), YYYY-MM-DD.")
@click.option("--hours", required=True, help="Working hours HH:MM-HH:MM, e.g. 08:00-14:00.")
@click.option("--friday-end", default=None, help="Fridays end at HH:MM (default: same).")
@click.option("--break-minutes", type=int, default=30, show_default=True, help="0: no breaks.")
@click.option("--sync-deadline", default=None, help="HH:MM (default: the office's).")
@one_line_errors
@office_option
def calendar_hours_add(
    name: str,
    start: str,
    end: str,
    hours: str,
    friday_end: str | None,
    break_minutes: int,
    sync_deadline: str | None,
) -> None:
    """Add a period with its own working hours (Ramadan)."""
    session = get_session()
    work_start, work_end = parse_time_range(hours)
    data = office_calendar.HoursInput(
        name=name,
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        work_start=work_start,
        work_end=work_end,
        friday_end=parse_time(friday_end) if friday_end else None,
        break_minutes=break_minutes,
        sync_deadline=parse_time(sync_deadline) if sync_deadline else None,
    )
    row = office_calendar.add_hours_period(session, get_office(session), data, actor=ACTOR)
    session.commit()
    click.echo("Saved " + _describe_period(row))


@calendar_cli.command("hours-remove")
@click.argument("period_id", type=int)
@one_line_errors
@office_option
def calendar_hours_remove(period_id: int) -> None:
    """Remove special-hours period PERIOD_ID (see hours-list)."""
    session = get_session()
    office_calendar.remove_hours_period(session, get_office(session), period_id, actor=ACTOR)
    session.commit()
    click.echo(f"Removed hours period #{period_id}.")


@calendar_cli.command("hours-list")
@one_line_errors
@office_option
def calendar_hours_list() -> None:
    """List the special-hours periods."""
    periods = get_office(get_session()).hours_periods
    for row in periods:
        click.echo(_describe_period(row))
    if not periods:
        click.echo("No special-hours periods.")


@calendar_cli.command("team-away")
@click.argument("team_name")
@click.option("--from", "start", required=True, help="First date, YYYY-MM-DD.")
@click.option("--to", "end", default=None, help="Last date (included), YYYY-MM-DD.")
@click.option("--reason", default="", help="E.g. sakit, pelatihan, cuti.")
@one_line_errors
@office_option
def calendar_team_away(team_name: str, start: str, end: str | None, reason: str) -> None:
    """Mark team TEAM_NAME away: it stays active but is not planned on those dates."""
    session = get_session()
    team = _team(get_office(session), team_name)
    row = office_calendar.add_absence(
        session,
        team,
        _date(start, "--from"),
        _optional_date(end, "--to"),
        reason=reason,
        actor=ACTOR,
    )
    session.commit()
    why = f" ({row.reason})" if row.reason else ""
    click.echo(f"{team.name} away {_span(row.start_date, row.end_date)}{why}: absence #{row.id}.")


@calendar_cli.command("team-back")
@click.argument("team_name")
@click.argument("absence_id", type=int)
@one_line_errors
@office_option
def calendar_team_back(team_name: str, absence_id: int) -> None:
    """Remove absence ABSENCE_ID of team TEAM_NAME: it is planned on those dates again."""
    session = get_session()
    team = _team(get_office(session), team_name)
    office_calendar.remove_absence(session, team, absence_id, actor=ACTOR)
    session.commit()
    click.echo(f"{team.name}: absence #{absence_id} removed.")
