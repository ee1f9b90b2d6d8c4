"""Shared fixtures: app (fresh SQLite database, migrated), client, runner, session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from outreach import create_app
from outreach.db import get_session, upgrade_database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_REGIONS = REPO_ROOT.parent / "shared" / "regions"
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_test_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app on its own migrated SQLite file under ``tmp_path``; CSRF and limits off."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
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
