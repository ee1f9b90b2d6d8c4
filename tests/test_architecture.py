"""Rules of the house that can be checked mechanically."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "outreach"
DOMAIN = [
    "domain.py",
    "errors.py",
    "privacy.py",
    "exports.py",
    "intake",
    "geo",
    "planning",
    "render",
    "visits",
    "appointments",
    "coverage",
    "programmes",
]


def _domain_files() -> list[Path]:
    files: list[Path] = []
    for name in DOMAIN:
        path = PACKAGE / name
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.exists():
            files.append(path)
    return files


@pytest.mark.parametrize("path", _domain_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_never_imports_flask_or_web(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith("flask"), f"{path.name} imports {name}"
            assert not name.startswith("outreach.web"), f"{path.name} imports {name}"


def test_migrations_match_models(tmp_path: Path) -> None:
    """The Alembic head creates exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from outreach.db import upgrade_database
    from outreach.models import Base

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
