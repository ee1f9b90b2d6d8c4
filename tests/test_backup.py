"""Backup while the app writes, restore into a fresh file: nothing committed is lost."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

import outreach.cli_ops  # noqa: F401  (registers "outreach purge|backup|restore")
from outreach import models
from outreach.backup import BackupError, _pg, check_backup, head_revision, known_revisions
from outreach.db import upgrade_database
from tests.conftest import make_test_app, sqlite_only


def _office(engine: Engine) -> int:
    with Session(engine) as session:
        office = models.Office(
            name="Disdukcapil Uji",
            region_slug="kota-yogyakarta",
            region_code="34.71",
            depot_lon=110.37,
            depot_lat=-7.80,
        )
        session.add(office)
        session.commit()
        return office.id


class Writer(threading.Thread):
    """Keeps adding requests, one commit each, and notes every id once committed."""

    def __init__(self, engine: Engine, office_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.office_id = office_id
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            with Session(self.engine) as session:
                while not self.stop.is_set():
                    n += 1
                    req = models.ServiceRequest(
                        tracking_code=f"JB-T{n:05d}",
                        office_id=self.office_id,
                        person_name=f"Warga {n}",
                        description="x" * 2000,  # pages fill up: the backup has work to do
                    )
                    session.add(req)
                    session.commit()
                    self.committed.append(req.id)
        except BaseException as exc:  # reported by the test
            self.error = exc


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def live(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path / "live")


@sqlite_only
def test_backup_during_writes_and_restore(live: Flask, tmp_path: Path) -> None:
    engine = live.extensions["outreach_engine"]
    writer = Writer(engine, _office(engine))
    writer.start()
    while len(writer.committed) < 200:
        time.sleep(0.01)
    before_backup = set(writer.committed)
    dump = tmp_path / "backups" / "jemput-bola.db"
    res = live.test_cli_runner().invoke(args=["outreach", "backup", str(dump)])
    while len(writer.committed) < len(before_backup) + 100:  # still writing afterwards
        time.sleep(0.01)
    writer.stop.set()
    writer.join(30)
    assert writer.error is None
    assert res.exit_code == 0, res.output
    assert "requests" in res.output
    assert _mode(dump) == 0o600

    # Restore into a fresh installation (its own migrated, empty database).
    fresh = make_test_app(tmp_path / "fresh")
    fresh_db = Path(fresh.config["DATABASE_URL"].removeprefix("sqlite:///"))
    out = fresh.test_cli_runner().invoke(args=["outreach", "restore", str(dump), "--yes"])
    assert out.exit_code == 0, out.output
    assert "kept in" in out.output
    assert _mode(fresh_db) == 0o600
    conn = sqlite3.connect(fresh_db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)
        ]
        restored = {row[0] for row in conn.execute("SELECT id FROM service_request")}
    finally:
        conn.close()
    assert before_backup <= restored  # every request committed before the backup started
    assert restored <= set(writer.committed)  # and nothing half-written
    # The restored database works for the app.
    with Session(fresh.extensions["outreach_engine"]) as session:
        count = len(session.scalars(select(models.ServiceRequest.id)).all())
    assert count == len(restored)
    fresh.extensions["outreach_engine"].dispose()


@sqlite_only
def test_backup_refuses_to_overwrite(live: Flask, tmp_path: Path) -> None:
    dump = tmp_path / "b.db"
    dump.write_text("old")
    runner = live.test_cli_runner()
    res = runner.invoke(args=["outreach", "backup", str(dump)])
    assert res.exit_code == 1 and "already exists" in res.output
    res = runner.invoke(args=["outreach", "backup", str(dump), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert check_backup(dump).revision in known_revisions()


@sqlite_only
def test_restore_refuses_files_that_are_not_a_known_database(live: Flask, tmp_path: Path) -> None:
    runner = live.test_cli_runner()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database")
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    future = tmp_path / "future.db"
    runner.invoke(args=["outreach", "backup", str(future)])
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.commit()
    conn.close()
    damaged = tmp_path / "damaged.db"
    runner.invoke(args=["outreach", "backup", str(damaged)])
    data = bytearray(damaged.read_bytes())
    data[4096 * 2 : 4096 * 2 + 2000] = b"\xff" * 2000  # a page of a table overwritten
    damaged.write_bytes(bytes(data))
    live_db = Path(live.config["DATABASE_URL"].removeprefix("sqlite:///"))
    size = live_db.stat().st_size
    for path, message in [
        (text_file, "not an SQLite database"),
        (foreign, "not a Jemput Bola database"),
        (future, "unknown schema revision"),
        (damaged, "damaged"),
        (tmp_path / "missing.db", "no such file"),
    ]:
        res = runner.invoke(args=["outreach", "restore", str(path), "--yes"])
        assert res.exit_code == 1, (path, res.output)
        assert message in res.output or "not a readable database" in res.output, res.output
    assert live_db.stat().st_size == size  # the live database was not touched
    res = runner.invoke(args=["outreach", "restore", str(future)], input="n\n")
    assert res.exit_code == 1  # asked, and aborted


def test_postgresql_tools_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without the PostgreSQL client
    with pytest.raises(BackupError, match="pg_dump not found"):
        _pg("pg_dump", "postgresql+psycopg://u:pw@localhost/jb", ["--format=custom"])


@pytest.mark.skipif(
    not os.environ.get("OUTREACH_TEST_POSTGRESQL_URL"),
    reason="set OUTREACH_TEST_POSTGRESQL_URL=postgresql+psycopg://user:pw@host/db (scratch db)",
)
def test_postgresql_backup_and_restore(tmp_path: Path) -> None:
    url = os.environ["OUTREACH_TEST_POSTGRESQL_URL"]
    upgrade_database(url)
    app = make_test_app(tmp_path, DATABASE_URL=url)
    engine = app.extensions["outreach_engine"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM service_request"))
    office_id = _office(engine)
    writer = Writer(engine, office_id)
    writer.start()
    while len(writer.committed) < 50:
        time.sleep(0.01)
    before_backup = set(writer.committed)
    dump = tmp_path / "jb.dump"
    res = app.test_cli_runner().invoke(args=["outreach", "backup", str(dump)])
    writer.stop.set()
    writer.join(30)
    assert res.exit_code == 0, res.output
    assert _mode(dump) == 0o600
    engine.dispose()
    out = app.test_cli_runner().invoke(args=["outreach", "restore", str(dump), "--yes"])
    assert out.exit_code == 0, out.output
    with engine.connect() as conn:
        restored = {row[0] for row in conn.execute(text("SELECT id FROM service_request"))}
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert before_backup <= restored and revision == head_revision()
    engine.dispose()
