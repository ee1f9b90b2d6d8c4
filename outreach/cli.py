"""Command line: ``flask --app wsgi outreach ...``.

Every command is thin: parse options, call one service, commit, print. An expected failure
(:class:`outreach.errors.OutreachError`) is one clear line on stderr and exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from outreach import models
from outreach.db import get_session, upgrade_database
from outreach.errors import OutreachError

F = TypeVar("F", bound=Callable[..., Any])

outreach_cli = AppGroup("outreach", help="Jemput Bola: set up an office, import regions, plan.")


def one_line_errors(func: F) -> F:
    """Turn an OutreachError into ``Error: <message>`` and exit status 1, rolling back."""

    @wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OutreachError as exc:
            get_session().rollback()
            raise click.ClickException(str(exc)) from exc

    return wrapped  # type: ignore[return-value]


@outreach_cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("Database schema is up to date.")


@outreach_cli.command("create-user")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([r.value for r in models.Role]), default="coordinator")
@click.option("--full-name", default="")
@one_line_errors
def create_user(username: str, password: str, role: str, full_name: str) -> None:
    """Create a staff account (or reset its password and role)."""
    from outreach.web.auth import hash_password

    if len(password) < 8:
        raise OutreachError("Password must be at least 8 characters.")
    session = get_session()
    office = session.scalar(select(models.Office).order_by(models.Office.id))
    user = session.scalar(select(models.User).where(models.User.username == username))
    if user is None:
        user = models.User(username=username, password_hash="")
        session.add(user)
    user.password_hash = hash_password(password)
    user.role = role
    user.full_name = full_name
    user.office_id = office.id if office else None
    session.commit()
    click.echo(f"User {username} ({role}) saved.")


# --- region packs (outreach.geo) ---

# --- demo data ---

# --- planning ---

# --- intake ---


def register_cli(app: Flask) -> None:
    """Attach the ``outreach`` command group to ``app``."""
    app.cli.add_command(outreach_cli)
