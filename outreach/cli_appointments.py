"""Command line for office appointments: ``flask --app wsgi outreach appointments ...``.

``list --date D`` prints the day's sessions and queues (NIK masked); ``roll-over --date D``
gives the day's no-shows the next free sessions. The rules are in :mod:`outreach.appointments`
(shared with the desk's web page); a bad value is one line on stderr and exit status 1.
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from outreach import appointments
from outreach.cli import office_option, one_line_errors, outreach_cli
from outreach.db import get_session
from outreach.errors import OutreachError
from outreach.office import get_office

appointments_cli = AppGroup(
    "appointments", help="Office sessions (antrean layanan di kantor): day list, roll-over."
)
# Registered here, at import time (outreach.cli imports this module from register_cli).
outreach_cli.add_command(appointments_cli)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise OutreachError(f"--date: not a date (YYYY-MM-DD): {text!r}.") from exc


@appointments_cli.command("list")
@click.option("--date", "date_text", required=True, help="The day, YYYY-MM-DD.")
@one_line_errors
@office_option
def appointments_list(date_text: str) -> None:
    """The day's sessions with queue numbers, names and masked NIK."""
    day = _date(date_text)
    session = get_session()
    listing = appointments.day_list(session, get_office(session), day, reveal=False)
    click.echo(f"{listing.date_text}")
    if listing.closed_reason:
        click.echo(f"Closed: {listing.closed_reason}")
    cards = listing.cards
    click.echo(
        f"Cards: office {cards.office}, routes {cards.routes}, left {cards.left} "
        f"of {cards.capacity}"
    )
    for block in listing.sessions:
        click.echo(f"Session {block.label} {block.hours}: {block.taken}/{block.capacity} persons")
        for row in block.rows:
            click.echo(
                f"  {row.queue}  {row.tracking_code}  {row.nik or '-':16}  {row.name}  "
                f"[{row.status_label}]"
            )


@appointments_cli.command("roll-over")
@click.option("--date", "date_text", required=True, help="The day whose no-shows roll over.")
@one_line_errors
@office_option
def appointments_roll_over(date_text: str) -> None:
    """Give the day's no-shows the next free sessions (once each)."""
    day = _date(date_text)
    session = get_session()
    result = appointments.roll_over_no_shows(session, get_office(session), day, actor="cli")
    session.commit()
    for row in result.booked:
        click.echo(f"{row.request.tracking_code}: {appointments.describe(row)}")
    for request in result.unplaced:
        click.echo(f"{request.tracking_code}: no free session within the search window")
    click.echo(f"{len(result.booked)} rolled over, {len(result.unplaced)} not placed.")
