"""Backup and restore of the database (``flask --app wsgi outreach backup|restore FILE``).

SQLite: :func:`backup` copies the live database with SQLite's online backup API through the
engine's own connection, in one step, so the copy is one consistent moment even while the app
keeps writing (WAL: readers never block the writers). The copy is a single self-contained file
(journal mode DELETE), mode 0600. :func:`restore` checks that a file is a Jemput Bola database of
a known schema revision and passes ``PRAGMA integrity_check`` before it copies it over the live
database with the same API; **the app must be stopped while it restores**. The live database is
kept first as ``<name>.before-restore-<UTC time>`` beside it.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``; the password goes
to them in ``PGPASSWORD``, never on the command line.

Backups older than the retention period still hold personal data that the purge removed from
the live database: rotating them is the operator's job (README, "Running in an office").
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from outreach.db import PRIVATE_FILE_MODE, alembic_config
from outreach.errors import OutreachError

__all__ = ["BackupError", "BackupInfo", "backup", "check_backup", "known_revisions", "restore"]

# Tables every Jemput Bola database has (besides alembic_version).
_CORE_TABLES = ("office", "service_request", "plan", "route", "stop", "user")


class BackupError(OutreachError):
    """A backup or restore that cannot be done (message in English, for the CLI)."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    revision: str
    requests: int
    size: int


def known_revisions() -> set[str]:
    """Every schema revision of the packaged migrations."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def head_revision() -> str:
    """The newest schema revision."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return str(head)


def _private_new_file(path: Path, *, overwrite: bool) -> None:
    """Create ``path`` empty with mode 0600 (refusing an existing file unless ``overwrite``)."""
    if path.exists() and not overwrite:
        raise BackupError(f"{path}: already exists (use --overwrite to replace it)")
    if path.is_dir():
        raise BackupError(f"{path}: is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise BackupError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


# --- backup ------------------------------------------------------------------------------------


def backup(engine: Engine, dest: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the database of ``engine`` to ``dest`` (mode 0600) while the app may be running."""
    url = engine.url.render_as_string(hide_password=False)
    if _sqlite_path(url) is None:
        if not engine.url.drivername.startswith("postgresql"):
            raise BackupError(f"backups of {engine.url.drivername} databases are not supported")
        _private_new_file(dest, overwrite=overwrite)
        _pg("pg_dump", url, ["--format=custom", "--no-owner", f"--file={dest}"])
        return BackupInfo(dest, revision="", requests=-1, size=dest.stat().st_size)
    _private_new_file(dest, overwrite=overwrite)
    raw = engine.raw_connection()
    try:
        source: Any = raw.driver_connection
        target = sqlite3.connect(dest)
        try:
            # pages=-1: the whole database in one step, one consistent moment.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        raw.close()
    os.chmod(dest, PRIVATE_FILE_MODE)
    return check_backup(dest)


# --- checking a file ---------------------------------------------------------------------------


def check_backup(path: Path) -> BackupInfo:
    """Check that ``path`` is a sound Jemput Bola SQLite database of a known schema revision."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path}: not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open ({exc})") from exc
    try:
        check = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            raise BackupError(f"{path}: damaged ({'; '.join(check[:3])})")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in ("alembic_version", *_CORE_TABLES) if t not in tables]
        if missing:
            raise BackupError(f"{path}: not a Jemput Bola database (no table {', '.join(missing)})")
        revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        if len(revisions) != 1 or revisions[0] not in known_revisions():
            raise BackupError(
                f"{path}: unknown schema revision {', '.join(revisions) or '(none)'}"
                " (made by a newer or a foreign program?)"
            )
        requests = int(conn.execute("SELECT count(*) FROM service_request").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a readable database ({exc})") from exc
    finally:
        conn.close()
    return BackupInfo(path, revision=revisions[0], requests=requests, size=path.stat().st_size)


# --- restore -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    """A restore that was done: what came back, and where the old database was kept."""

    info: BackupInfo
    kept: Path | None
    needs_upgrade: bool


def restore(url: str, source: Path, *, now: dt.datetime | None = None) -> RestoreResult:
    """Bring the backup ``source`` back as the database at ``url``. The app must be stopped."""
    path = _sqlite_path(url)
    if path is None:
        if not url.startswith("postgresql"):
            raise BackupError("restore is supported for SQLite and PostgreSQL only")
        revision = check_pg_dump(source)
        _pg("pg_restore", url, ["--clean", "--if-exists", "--no-owner", str(source)])
        info = BackupInfo(source, revision, -1, source.stat().st_size)
        return RestoreResult(info, None, needs_upgrade=revision != head_revision())
    info = check_backup(source)
    if path.exists() and path.resolve() == source.resolve():
        raise BackupError(f"{source}: is the live database itself")
    kept: Path | None = None
    if path.exists() and path.stat().st_size > 0:
        stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.before-restore-{stamp}")
        _copy_sqlite(path, kept)
    _copy_sqlite(source, path, overwrite=True)
    return RestoreResult(info, kept, needs_upgrade=info.revision != head_revision())


def _copy_sqlite(source: Path, dest: Path, *, overwrite: bool = False) -> None:
    if not dest.exists() or not overwrite:
        _private_new_file(dest, overwrite=overwrite)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dest)
        try:
            src.backup(target, pages=-1)
        finally:
            target.close()
    finally:
        src.close()
    os.chmod(dest, PRIVATE_FILE_MODE)


# --- PostgreSQL --------------------------------------------------------------------------------


def check_pg_dump(path: Path) -> str:
    """Check that ``path`` is a pg_dump (custom format) of a Jemput Bola database; its revision."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    listing = _pg_tool("pg_restore", ["--list", str(path)], f"{path}: not a pg_dump archive")
    tables = {
        parts[-2]
        for line in listing.splitlines()
        if " TABLE " in line and " TABLE DATA " not in line and len(parts := line.split()) >= 3
    }
    missing = [t for t in ("alembic_version", *_CORE_TABLES) if t not in tables]
    if missing:
        raise BackupError(f"{path}: not a Jemput Bola database (no table {', '.join(missing)})")
    data = _pg_tool(
        "pg_restore",
        ["--data-only", "--table=alembic_version", "--file=-", str(path)],
        f"{path}: cannot read the schema revision",
    )
    lines = data.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("COPY "))
        revision = lines[start + 1].strip()
    except (StopIteration, IndexError):
        revision = ""
    if revision not in known_revisions():
        raise BackupError(f"{path}: unknown schema revision {revision or '(none)'}")
    return revision


def _pg_tool(program: str, args: list[str], failure: str) -> str:
    exe = shutil.which(program)
    if exe is None:
        raise BackupError(f"{program} not found: install the PostgreSQL client tools")
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(failure)
    return done.stdout


def _pg(program: str, url: str, args: list[str]) -> None:
    """Run ``pg_dump``/``pg_restore`` for ``url``; the password travels in the environment."""
    exe = shutil.which(program)
    if exe is None:
        raise BackupError(
            f"{program} not found: install the PostgreSQL client tools "
            f"(apt-get install postgresql-client) of the server's major version"
        )
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None)
    target = libpq.render_as_string(hide_password=False)
    option = "--dbname" if program == "pg_restore" else ""
    cmd = [exe, *args, f"{option}={target}"] if option else [exe, *args, target]
    old = os.umask(0o077)
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    finally:
        os.umask(old)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{program}: {last}")
