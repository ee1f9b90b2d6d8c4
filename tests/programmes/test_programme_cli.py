"""The programme commands and the demo's made-up school list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.demo.programmes import SCHOOL_COUNT, current_term, seed_demo_programme
from tests.programmes.programme_helpers import office_of, teams


def _run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["outreach", "programme", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_import_generate_list(yapp: Flask, tmp_path: Path) -> None:
    session = get_session()
    teams(session, "Tim Mawar")
    session.commit()
    csv_file = tmp_path / "sekolah.csv"
    csv_file.write_text("Nama Sekolah;Kelurahan;Siswa 17 tahun\nSMA Satu;Semaki;70\n;Semaki;1\n")
    out = _run(yapp, "places", "import", str(csv_file))
    assert "1 new, 0 updated, 1 rows left out" in out and "Nama tempat wajib diisi" in out
    out = _run(
        yapp,
        "add",
        "--name",
        "Sekolah setiap Rabu",
        "--day",
        "Rabu",
        "--from",
        "2026-05-01",
        "--to",
        "2026-06-30",
        "--team",
        "Tim Mawar",
    )
    assert "created" in out
    out = _run(yapp, "generate", "--from", "2026-05-01", "--to", "2026-05-31")
    assert "4 created (1 moved), 0 skipped, 0 already generated" in out
    assert (
        "2026-05-27 -> 2026-06-03 SMA Satu (Digeser ke Rabu, 3 Juni 2026: Hari Raya Idul Adha)"
        in out
    )
    out = _run(yapp, "generate", "--from", "2026-05-01", "--to", "2026-05-31")
    assert "0 created (0 moved), 0 skipped, 4 already generated" in out
    out = _run(yapp, "list")
    assert "Sekolah setiap Rabu: Sekolah, Rabu, 01-05-2026 s.d. 30-06-2026, teams Tim Mawar" in out
    bad = yapp.test_cli_runner().invoke(
        args=["outreach", "programme", "add", "--name", "X", "--day", "Kamisan", "--from",
              "2026-01-01", "--to", "2026-02-01"]
    )  # fmt: skip
    assert bad.exit_code == 1 and "Hari 'Kamisan' tidak dikenal" in bad.output


def test_demo_schools_and_programme(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    teams(session, "Tim 1")
    today = dt.date(2026, 11, 30)
    made = seed_demo_programme(session, office, today=today)
    assert len(made.places.created) == SCHOOL_COUNT and not made.places.errors
    assert (made.programme.start_date, made.programme.end_date) == current_term(today)
    # Wednesdays from 2 to 16 December 2026.
    assert [v.visit_date for v in made.visits.visits] == [
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 9),
        dt.date(2026, 12, 16),
    ]
    session.commit()
    again = seed_demo_programme(session, office, today=today)
    assert not again.places.created and again.visits.created == 0
    count = session.scalar(select(func.count()).select_from(models.ProgrammePlace))
    assert count == SCHOOL_COUNT
