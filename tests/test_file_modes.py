"""The SQLite database, its WAL and the data folder are the owner's only (UU PDP)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from outreach import create_app
from outreach.db import private_dir, private_file, upgrade_database
from tests.conftest import REPO_ROOT, SHARED_REGIONS


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_database_and_data_folder_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files 0644, folders 0755
    try:
        data = tmp_path / "data"
        db_file = tmp_path / "db" / "outreach.db"
        url = f"sqlite:///{db_file}"
        upgrade_database(url)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE_URL": url,
                "DATA_DIR": str(data),
                "CACHE_DIR": str(data / "cache"),
                "REGIONS_DIRS": [str(SHARED_REGIONS)],
            }
        )
        engine = app.extensions["outreach_engine"]
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            conn.execute(text("INSERT INTO probe VALUES (1)"))
            wal = Path(f"{db_file}-wal")
            assert wal.exists()
            assert _mode(wal) == 0o600
        assert _mode(db_file) == 0o600
        assert _mode(db_file.parent) == 0o700
        assert _mode(data) == 0o700
        assert _mode(data / "cache") == 0o700
        engine.dispose()
    finally:
        os.umask(old)


def test_existing_files_lose_group_and_other_bits(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    db_file = folder / "outreach.db"
    db_file.write_bytes(b"")
    os.chmod(db_file, 0o644)
    private_dir(folder)
    private_file(db_file)
    assert (_mode(folder), _mode(db_file)) == (0o700, 0o600)


def test_cache_folder_outside_the_data_folder_is_left_alone(tmp_path: Path) -> None:
    shared_cache = REPO_ROOT / "data" / "cache"
    before = _mode(shared_cache) if shared_cache.exists() else None
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "DATA_DIR": str(tmp_path / "data"),
            "CACHE_DIR": str(shared_cache),
        }
    ).extensions["outreach_engine"].dispose()
    after = _mode(shared_cache) if shared_cache.exists() else None
    assert before == after
