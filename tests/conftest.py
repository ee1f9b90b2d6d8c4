"""Shared fixtures: app (fresh migrated database), client, runner, session.

The database is a SQLite file under the test's ``tmp_path``; when
``OUTREACH_TEST_DATABASE_URL`` names a PostgreSQL server (``python -m tests.pg_cluster``, run by
``make test``), each test gets a fresh database of its own there instead, dropped after the test.
"""

from __future__ import annotations

import os
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from outreach import create_app
from outreach.db import get_session, upgrade_database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_REGIONS = REPO_ROOT.parent / "shared" / "regions"
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# --- PostgreSQL: one database per test ---------------------------------------------------------

PG_SERVER_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL", "")
ON_POSTGRESQL = PG_SERVER_URL.startswith("postgresql")
# The file in a test's folder naming its PostgreSQL database (the SQLite file's counterpart:
# the same folder gives the same database, as it would with ``test.db``).
PG_DATABASE_FILE = "test.db.postgresql"
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite only (file, backup API or WAL)")

_admin_engine: Engine | None = None
_migrated: str | None = None
_pg_databases: list[str] = []
# Every client connection opened to the test server: apps a test forgets to dispose of keep
# theirs in their pool, and psycopg warns (an error here) when one is garbage-collected open.
_pg_connections: weakref.WeakSet[Any] = weakref.WeakSet()

if ON_POSTGRESQL:

    @event.listens_for(Pool, "connect")
    def _remember_connection(dbapi_conn: Any, _record: Any) -> None:
        if type(dbapi_conn).__module__.startswith("psycopg"):
            _pg_connections.add(dbapi_conn)


def _close_connections(databases: set[str] | None) -> None:
    """Close client connections to ``databases`` (None: all of them)."""
    for conn in list(_pg_connections):
        if conn.closed:
            continue
        if databases is None or conn.info.dbname in databases:
            conn.close()


def _admin() -> Engine:
    global _admin_engine
    if _admin_engine is None:
        _admin_engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    return _admin_engine


def pg_database_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the test server."""
    return make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)


def _migrated_template() -> str:
    """A migrated empty database, made once per session: copying it is ~6x faster than
    running the migrations for every test."""
    global _migrated
    if _migrated is None:
        name = f"template_{uuid.uuid4().hex}"
        with _admin().connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        upgrade_database(pg_database_url(name))  # Alembic uses a NullPool: no connection left
        _migrated = name
    return _migrated


def create_pg_database(tmp_path: Path, template: str | None = None) -> str:
    """Create a database for ``tmp_path``, a copy of ``template`` (default: a freshly migrated
    one); return its URL."""
    name = f"t_{uuid.uuid4().hex}"
    source = template or _migrated_template()
    with _admin().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    _pg_databases.append(name)
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / PG_DATABASE_FILE).write_text(name)
    return pg_database_url(name)


def pg_database_name(tmp_path: Path) -> str | None:
    """The PostgreSQL database made for ``tmp_path``, if any."""
    path = tmp_path / PG_DATABASE_FILE
    return path.read_text().strip() if path.exists() else None


def drop_pg_databases(keep: int = 0) -> None:
    """Drop the databases created after the first ``keep`` (connections still open are cut)."""
    _close_connections(set(_pg_databases[keep:]))
    while len(_pg_databases) > keep:
        name = _pg_databases.pop()
        with _admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_configure(config: pytest.Config) -> None:
    if ON_POSTGRESQL:
        # An app a test forgets to dispose of keeps its pooled connections; psycopg warns when
        # one is garbage-collected open (sqlite3 does not): not a fault of the code under test.
        config.addinivalue_line(
            "filterwarnings",
            "ignore:<psycopg.Connection object at .* was deleted while still open:ResourceWarning",
        )


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """On PostgreSQL, drop the databases a test made (session/module templates stay)."""
    before = len(_pg_databases)
    yield
    if ON_POSTGRESQL:
        drop_pg_databases(keep=before)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if ON_POSTGRESQL:
        drop_pg_databases()
        if _migrated is not None:
            with _admin().connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_migrated}" WITH (FORCE)')
        if _admin_engine is not None:
            _admin_engine.dispose()
        _close_connections(None)


def database_url_for(tmp_path: Path) -> str:
    """The database of ``tmp_path``: its SQLite file, or its own PostgreSQL database."""
    if not ON_POSTGRESQL:
        return f"sqlite:///{tmp_path / 'test.db'}"
    name = pg_database_name(tmp_path)
    return pg_database_url(name) if name else create_pg_database(tmp_path)


def make_test_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app on its own migrated database for ``tmp_path``; CSRF and limits off."""
    url = overrides.get("DATABASE_URL") or database_url_for(tmp_path)
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        # The graph cache is shared across tests in a session: building Yogyakarta is slow.
        "CACHE_DIR": str(REPO_ROOT / "data" / "cache"),
        "REGIONS_DIRS": [str(SHARED_REGIONS)],
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAP_TILES": "none",
    }
    config.update(overrides)
    config["DATABASE_URL"] = url
    upgrade_database(url)
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(tmp_path)
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Session:
    return get_session()
