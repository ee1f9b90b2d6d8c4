"""``flask outreach region import | check | list``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models


def _count(session: Session, model: type[models.Kecamatan] | type[models.Kelurahan]) -> int:
    return session.scalar(select(func.count(model.id))) or 0


@pytest.mark.slow
def test_region_import_kota_yogyakarta(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(args=["outreach", "region", "import", "kota-yogyakarta"])

    assert result.exit_code == 0, result.output
    assert "Imported kota-yogyakarta (Kota Yogyakarta, 34.71): 14 kecamatan, 45 kelurahan" in (
        result.output
    )
    assert "nodes" in result.output and "edges" in result.output
    assert (_count(session, models.Kecamatan), _count(session, models.Kelurahan)) == (14, 45)
    assert session.scalar(select(models.RegionImport.slug)) == "kota-yogyakarta"


def test_region_import_of_an_unknown_slug_fails_in_one_line(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["outreach", "region", "import", "kota-entah"])

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Region pack 'kota-entah' not found")
    assert _count(session, models.Kelurahan) == 0


def test_region_import_without_roads_says_fallback(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["outreach", "region", "import", "kota-cirebon"])

    assert result.exit_code == 0, result.output
    assert "no roads: great-circle fallback" in result.output
    assert _count(session, models.Kelurahan) == 22


def test_region_list_marks_imported_packs(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["outreach", "region", "import", "kota-cirebon"])
    result = runner.invoke(args=["outreach", "region", "list"])

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(rows) >= {"kota-yogyakarta", "kota-balikpapan", "kota-cirebon", "kab-serang"}
    assert rows["kota-cirebon"].endswith("imported")
    assert rows["kota-yogyakarta"].endswith("-") and "roads.osm.gz" in rows["kota-yogyakarta"]


def test_region_check_and_import_of_a_bad_pack_fail_cleanly(
    runner: FlaskCliRunner, session: Session, make_pack: Callable[..., Path]
) -> None:
    bad = make_pack("kota-jauh", shift_lon=1.0)

    for command in ("check", "import"):
        result = runner.invoke(args=["outreach", "region", command, str(bad)])
        assert result.exit_code == 1
        assert "roads.osm" in result.output and "outside the region boundary" in result.output
    assert _count(session, models.Kecamatan) == 0


def test_region_import_of_a_pack_folder(
    runner: FlaskCliRunner, session: Session, make_pack: Callable[..., Path]
) -> None:
    result = runner.invoke(args=["outreach", "region", "import", str(make_pack())])

    assert result.exit_code == 0, result.output
    assert "kota-uji (Kota Uji, 99.01): 2 kecamatan, 4 kelurahan; roads" in result.output
    assert _count(session, models.Kelurahan) == 4
