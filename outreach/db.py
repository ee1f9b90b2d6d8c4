"""Engine and one SQLAlchemy session per app context; schema migrations.

Views and commands commit; services never do (DESIGN.md rule 4).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from outreach import models

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_T = TypeVar("_T")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a busy timeout."""
    # Bound parameters carry NIK and phone numbers: keep them out of error messages and logs.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:" and not url.startswith("sqlite://:"):
            private_file(Path(path))
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


# --- file modes: the database and the data folder are the owner's only (UU PDP) -------------

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the owner only; tighten it if it exists.

    Group and other permission bits are removed from an existing folder too: the data folder
    holds the database, its WAL and the secret key.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        try:
            os.chmod(path, mode & ~0o077 | PRIVATE_DIR_MODE)
        except PermissionError:  # another user's folder: say so, do not refuse to start
            logging.getLogger(__name__).warning("%s: cannot make it private (not ours)", path)
    return path


def private_file(path: Path) -> Path:
    """Make sure the SQLite file ``path`` exists with mode 0600 before SQLite opens it.

    SQLite creates its ``-wal`` and ``-shm`` files with the database file's mode, so they are
    the owner's only too. A file that already exists loses group and other bits.
    """
    if not path.parent.exists():
        private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            try:
                os.chmod(path, mode & ~0o077)
            except PermissionError:
                logging.getLogger(__name__).warning("%s: cannot make it private (not ours)", path)
    else:
        os.close(fd)
        os.chmod(path, PRIVATE_FILE_MODE)  # the umask may have taken bits away, never added
    return path


def init_app(app: Flask) -> None:
    """Bind an engine and session factory to ``app``; close the session after each context.

    The data folder and the cache folder inside it are made the owner's only first.
    """
    data_dir = Path(app.config["DATA_DIR"])
    private_dir(data_dir)
    cache_dir = Path(app.config.get("CACHE_DIR") or data_dir / "cache")
    if cache_dir.resolve().is_relative_to(data_dir.resolve()):
        private_dir(cache_dir)
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["outreach_engine"] = engine
    app.extensions["outreach_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """Return the session of the current app context, creating it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["outreach_sessionmaker"]()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# --- office scoping (DESIGN.md rule 9) ---------------------------------------------------------

OFFICE_KEY = "office_id"
# Rows that belong to one office, by the column that says which.
_OFFICE_SCOPED: tuple[tuple[type[models.Base], str], ...] = (
    (models.Office, "id"),
    (models.Team, "office_id"),
    (models.ServiceRequest, "office_id"),
    (models.Letter, "office_id"),
    (models.Plan, "office_id"),
    (models.User, "office_id"),
    (models.Job, "office_id"),
    (models.OfficeDay, "office_id"),
    (models.OfficeHours, "office_id"),
    (models.AuditEvent, "office_id"),
    (models.OfficeSession, "office_id"),
    (models.CoverageImport, "office_id"),
    (models.Programme, "office_id"),
    (models.ProgrammePlace, "office_id"),
)


def scope_to_office(session: Session, office_id: int | None) -> None:
    """Limit every ORM query of ``session`` to the rows of office ``office_id``.

    SQLAlchemy's "global WHERE criteria" recipe: one ``do_orm_execute`` hook adds
    ``with_loader_criteria`` for each office-owned model (offices, teams, requests, letters,
    plans, users), so a view that forgets ``.where(office_id == ...)`` still cannot read
    another office's rows; routes and stops are reached through their plan. ``None`` lifts
    the scope: the explicit way out for the CLI and province-wide views.
    """
    if office_id is None:
        session.info.pop(OFFICE_KEY, None)
    else:
        session.info[OFFICE_KEY] = int(office_id)


def office_scope(session: Session) -> int | None:
    """The office ``session`` is scoped to, or None."""
    value = session.info.get(OFFICE_KEY)
    return None if value is None else int(value)


@event.listens_for(Session, "do_orm_execute")
def _office_criteria(state: ORMExecuteState) -> None:
    office_id = state.session.info.get(OFFICE_KEY)
    if office_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        # Loading an attribute of a row already read (and so already in scope).
        return
    state.statement = state.statement.options(
        *(
            with_loader_criteria(model, getattr(model, column) == office_id, include_aliases=True)
            for model, column in _OFFICE_SCOPED
        )
    )


def _owner_office(obj: object) -> int | None:
    """The office a row belongs to, through its parents for rows without an office column."""
    for model, column in _OFFICE_SCOPED:
        if isinstance(obj, model):
            value = getattr(obj, column)
            return None if value is None else int(value)
    parent: object | None = None
    if isinstance(obj, models.Route):
        parent = obj.plan
    elif isinstance(obj, models.Stop):
        parent = obj.route
    elif isinstance(obj, models.VisitOutcome):
        parent = obj.request
    elif isinstance(obj, models.LetterResident):
        parent = obj.letter
    elif isinstance(obj, models.TeamAbsence):
        parent = obj.team
    return None if parent is None else _owner_office(parent)


def get_scoped(session: Session, model: type[_T], ident: Any) -> _T | None:
    """``session.get(model, ident)`` that never returns a row of another office.

    ``Session.get`` answers from the identity map without a query when the row is already
    loaded, so the scope's criteria do not run then; routes, stops, outcomes, letter residents
    and team absences have no office column at all. Both are checked here explicitly, through
    the row's parents.
    """
    row = session.get(model, ident)
    office_id = office_scope(session)
    if row is None or office_id is None:
        return row
    owner = _owner_office(row)
    if owner is not None and owner != office_id:
        return None
    if owner is None and isinstance(
        row, models.Route | models.Stop | models.VisitOutcome | models.LetterResident
    ):
        return None  # an orphan of an unscoped parent: not this office's
    return row


def alembic_config(url: str) -> AlembicConfig:
    """Return an Alembic config pointing at the packaged migrations and ``url``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (``head`` by default).

    A new SQLite file is created with mode 0600 first (Alembic would create it with the umask's).
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        private_file(Path(url.removeprefix("sqlite:///")))
    command.upgrade(alembic_config(url), revision)
