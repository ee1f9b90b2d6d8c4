"""Command line for remote areas (issue 13, section 4).

``flask --app wsgi outreach region no-signal KODE --on/--off`` marks a kelurahan / desa
"tanpa sinyal" (routes visiting it say so on the plan page and the route sheet);
``flask --app wsgi outreach office trips [--far-minutes N] [--overnight/--no-overnight]``
sets when a site is planned as a far trip (:mod:`outreach.planning.trips`). The rules are in
:mod:`outreach.office`; a bad value is one line on stderr and exit status 1.
"""

from __future__ import annotations

import click

from outreach.cli import office_cli, office_option, one_line_errors, region_cli
from outreach.db import get_session
from outreach.office import get_office, set_far_trips, set_no_signal

# Registered on import (outreach.cli imports this module from register_cli).


@region_cli.command("no-signal")
@click.argument("code")
@click.option("--on/--off", "on", required=True, help="Mark the area without signal, or clear.")
@one_line_errors
def region_no_signal(code: str, on: bool) -> None:
    """Mark the kelurahan/desa with Kemendagri code CODE as "tanpa sinyal" (or clear it)."""
    kel = set_no_signal(get_session(), code, on)
    get_session().commit()
    state = "no signal (tanpa sinyal)" if on else "signal (mark cleared)"
    click.echo(f"{kel.code} {kel.name}: {state}")


@office_cli.command("trips")
@click.option(
    "--far-minutes",
    type=int,
    default=None,
    help="One-way drive from the office (minutes) above which a site is a far trip (60).",
)
@click.option(
    "--overnight/--no-overnight",
    default=None,
    help="Plan a far cluster a day trip cannot serve as two days with a night near it.",
)
@one_line_errors
@office_option
def office_trips(far_minutes: int | None, overnight: bool | None) -> None:
    """Show or set the office's far-trip settings."""
    session = get_session()
    office = get_office(session)
    minutes, nights = set_far_trips(office, far_trip_minutes=far_minutes, overnight_trips=overnight)
    session.commit()
    click.echo(
        f"{office.name}: far trip above {minutes} min one way; "
        f"overnight trips {'on' if nights else 'off'}"
    )
