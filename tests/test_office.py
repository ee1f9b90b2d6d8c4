"""Office and team setup through the CLI, on a small region of our own making."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import OutreachError
from outreach.office import parse_time, parse_time_range

SQUARE = "POLYGON ((110.35 -7.83, 110.42 -7.83, 110.42 -7.77, 110.35 -7.77, 110.35 -7.83))"


@pytest.fixture
def region(session: Session) -> None:
    session.add(
        models.RegionImport(
            slug="kota-uji",
            name="Kota Uji",
            code="34.71",
            source_dir="/nowhere",
            boundary_wkt=SQUARE,
        )
    )
    session.commit()


def test_time_parsing_accepts_dots_and_rejects_nonsense() -> None:
    assert parse_time("7.30") == dt.time(7, 30)
    assert parse_time_range("08:00-15:00") == (dt.time(8), dt.time(15))
    with pytest.raises(OutreachError, match="sesudah jam mulai"):
        parse_time_range("15:00-08:00")
    with pytest.raises(OutreachError, match="Bukan jam yang sah"):
        parse_time("25:00")


def test_office_and_teams_from_the_command_line(
    region: None, runner: FlaskCliRunner, session: Session
) -> None:
    res = runner.invoke(
        args=[
            "outreach",
            "office",
            "set",
            "--name",
            "Disdukcapil Uji",
            "--region",
            "kota-uji",
            "--depot",
            "110.39,-7.80",
            "--work-hours",
            "07:30-15:00",
            "--card-capacity",
            "250",
            "--working-days",
            "0,1,2,3,4,5",
            "--collective-max",
            "30",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "home visits on weekdays 0,1,2,3,4,5" in res.output
    office = session.scalar(select(models.Office))
    assert office is not None and office.settings["working_weekdays"] == [0, 1, 2, 3, 4, 5]
    assert office.settings["planning"]["collective_max_persons"] == 30
    res = runner.invoke(
        args=[
            "outreach",
            "team",
            "add",
            "Tim 1",
            "--skills",
            "perekaman_ktp,kia,petugas_perempuan",
            "--friday",
            "07:30-14:00",
            "--saturday",
            "off",
            "--members",
            "Sari;Budi",
            "--max-stops",
            "8",
        ]
    )
    assert res.exit_code == 0, res.output
    team = session.query(models.Team).one()
    assert team.shift_start == dt.time(7, 30)
    assert team.shift_by_weekday == {"4": ["07:30", "14:00"], "5": []}
    assert team.skills == ["kia", "perekaman_ktp", "petugas_perempuan"]
    # Same name again updates rather than duplicates.
    runner.invoke(args=["outreach", "team", "add", "Tim 1", "--skills", "kk"])
    session.expire_all()
    assert session.query(models.Team).count() == 1
    out = runner.invoke(args=["outreach", "office", "show"]).output
    assert "Disdukcapil Uji" in out and "Tim 1" in out


OFFICE_SET = ["office", "set", "--name", "X", "--region", "kota-uji", "--depot", "110.39,-7.80"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["office", "set", "--name", "X", "--region", "tidak-ada", "--depot", "110.39,-7.80"],
            "belum diimpor",
        ),
        (
            ["office", "set", "--name", "X", "--region", "kota-uji", "--depot", "106.8,-6.2"],
            "di luar wilayah",
        ),
        (["office", "set", "--name", "X", "--region", "kota-uji", "--depot", "abc"], "LON,LAT"),
        (["team", "list"], "Kantor belum diatur"),
        ([*OFFICE_SET, "--working-days", "0,6"], "Senin sampai Sabtu"),
        ([*OFFICE_SET, "--working-days", "senin"], "--working-days"),
    ],
)
def test_bad_setup_is_one_clear_line(
    region: None, runner: FlaskCliRunner, session: Session, args: list[str], fragment: str
) -> None:
    res = runner.invoke(args=["outreach", *args])
    assert res.exit_code == 1
    assert fragment in res.output and res.output.count("\n") == 1
    assert session.query(models.Office).count() == 0


def test_unknown_skill_is_refused(region: None, runner: FlaskCliRunner, session: Session) -> None:
    runner.invoke(
        args=[
            "outreach",
            "office",
            "set",
            "--name",
            "X",
            "--region",
            "kota-uji",
            "--depot",
            "110.39,-7.80",
        ]
    )
    res = runner.invoke(args=["outreach", "team", "add", "T", "--skills", "terbang"])
    assert res.exit_code == 1 and "terbang" in res.output
    assert session.query(models.Team).count() == 0
