"""Several offices on the command line: ``office add`` and ``--office`` on office-level commands.

Kota Yogyakarta (the test template's office, #1) and Kota Cirebon (added here, #2), both real
region packs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.geo.boundaries import import_region
from outreach.geo.packs import find_pack
from tests.intake.yogya import yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

CIREBON = ("--name", "Disdukcapil Kota Cirebon", "--region", "kota-cirebon")
CIREBON_DEPOT = ("--depot", "108.5571,-6.7063")


def run(app: Flask, *args: str) -> Result:
    # Each command starts with an empty session, as in its own process.
    get_session().expunge_all()
    return app.test_cli_runner().invoke(args=["outreach", *args])


def ok(app: Flask, *args: str) -> str:
    res = run(app, *args)
    assert res.exit_code == 0, res.output
    return res.output


def one_line_error(res: Result) -> str:
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    return lines[0]


@pytest.fixture
def two(yapp: Flask) -> Flask:
    session = get_session()
    import_region(session, find_pack("kota-cirebon", search_dirs=yapp.config["REGIONS_DIRS"]))
    session.commit()
    out = ok(yapp, "office", "add", *CIREBON, *CIREBON_DEPOT, "--work-hours", "07:30-14:30")
    assert out.startswith("Office #2 added: Disdukcapil Kota Cirebon (kota-cirebon, 32.74)")
    return yapp


def test_office_add_never_renames_another(two: Flask) -> None:
    names = [
        o.name for o in get_session().scalars(select(models.Office).order_by(models.Office.id))
    ]
    assert names == ["Disdukcapil Kota Yogyakarta", "Disdukcapil Kota Cirebon"]
    listing = ok(two, "office", "list")
    assert "/kota-cirebon/layanan/" in listing and "/kota-yogyakarta/layanan/" in listing
    # The same name or the same region again: refused, nothing added.
    assert "nama" in one_line_error(run(two, "office", "add", *CIREBON, *CIREBON_DEPOT))
    res = run(
        two, "office", "add", "--name", "Kantor Kedua", "--region", "kota-cirebon", *CIREBON_DEPOT
    )
    assert "--office" in one_line_error(res)
    # A depot outside the region, and a region not imported yet.
    res = run(two, "office", "add", "--name", "Kantor Serang", "--region", "kab-serang")
    assert res.exit_code == 2  # --depot missing: click's usage error
    res = run(
        two, "office", "add", "--name", "Kantor Serang", "--region", "kab-serang", *CIREBON_DEPOT
    )
    assert "region import kab-serang" in one_line_error(res)
    assert len(get_session().scalars(select(models.Office)).all()) == 2


def test_office_level_commands_need_office_when_there_are_several(two: Flask) -> None:
    commands = [
        ("office", "show"),
        ("team", "list"),
        ("team", "add", "Tim Kejaksan", "--skills", "perekaman_ktp"),
        ("calendar", "show", "--year", "2026"),
        ("calendar", "hours-list"),
        ("plan-approve", "1"),
        ("intake", "duplicates"),
        ("export", "--what", "requests", "--format", "csv", "--out", "/tmp/never.csv"),
        ("office", "set", *CIREBON, *CIREBON_DEPOT),
    ]
    for args in commands:
        message = one_line_error(run(two, *args))
        assert "--office" in message and "2 kantor" in message, args
    res = run(two, "create-user", "x.user", "--password", "rahasia-123")
    assert "--office" in one_line_error(res)
    assert "tidak ada" in one_line_error(run(two, "office", "show", "--office", "9"))


def test_each_command_works_on_the_office_it_is_given(two: Flask, tmp_path: Path) -> None:
    out = ok(two, "office", "show", "--office", "2")
    assert out.startswith("Disdukcapil Kota Cirebon") and "hours 07:30-14:30" in out
    ok(two, "team", "add", "Tim Kejaksan", "--skills", "perekaman_ktp", "--office", "2")
    assert "Tim Kejaksan" in ok(two, "team", "list", "--office", "2")
    assert "Tim Kejaksan" not in ok(two, "team", "list", "--office", "1")
    ok(two, "calendar", "close", "2026-12-24", "--reason", "Hari jadi", "--office", "2")
    assert "Hari jadi" in ok(two, "calendar", "show", "--year", "2026", "--office", "2")
    assert "Hari jadi" not in ok(two, "calendar", "show", "--year", "2026", "--office", "1")
    # office set --office: that office only; the other keeps its name.
    ok(two, "office", "set", *CIREBON, *CIREBON_DEPOT, "--printers", "3", "--office", "2")
    session = get_session()
    session.expire_all()
    offices = session.scalars(select(models.Office).order_by(models.Office.id)).all()
    assert [(o.name, o.printers) for o in offices][1] == ("Disdukcapil Kota Cirebon", 3)
    assert offices[0].name == "Disdukcapil Kota Yogyakarta"
    # Accounts of an office, and a province account of none.
    ok(two, "create-user", "koord.crb", "--password", "rahasia-123", "--office", "2")
    ok(two, "create-user", "prov.jabar", "--password", "rahasia-123", "--role", "province")
    res = run(
        two, "create-user", "prov.2", "--password", "rahasia-123", "--role", "province",
        "--office", "2",
    )  # fmt: skip
    assert "no office" in one_line_error(res)
    users = {u.username: u for u in session.scalars(select(models.User))}
    assert users["koord.crb"].office_id == 2 and users["koord.crb"].role == "coordinator"
    assert users["prov.jabar"].office_id is None and users["prov.jabar"].role == "province"


def test_records_of_another_office_are_not_found_with_office(two: Flask, tmp_path: Path) -> None:
    session = get_session()
    plan = models.Plan(office_id=1, start_date=dt.date(2026, 11, 23), status="draft")
    session.add_all(
        [
            plan,
            models.ServiceRequest(
                tracking_code="JB-YOG-001", office_id=1, person_name="Warga Yogya"
            ),
            models.ServiceRequest(
                tracking_code="JB-CRB-001", office_id=2, person_name="Warga Cirebon"
            ),
        ]
    )
    session.commit()
    plan_id = plan.id
    res = run(two, "plan-approve", str(plan_id), "--office", "2")
    assert one_line_error(res) == f"Error: No plan {plan_id}."
    ok(two, "plan-approve", str(plan_id), "--office", "1")
    session.expire_all()
    assert session.get(models.Plan, plan_id).status == "approved"  # type: ignore[union-attr]
    out = tmp_path / "crb.csv"
    ok(two, "export", "--what", "requests", "--format", "csv", "--out", str(out), "--office", "2")
    text = out.read_text(encoding="utf-8")
    assert "JB-CRB-001" in text and "JB-YOG-001" not in text


def test_one_office_needs_no_option(yapp: Flask) -> None:
    """An installation of one office works as before: no --office anywhere."""
    assert ok(yapp, "office", "show").startswith("Disdukcapil Kota Yogyakarta")
    ok(yapp, "office", "set", "--name", "Disdukcapil Kota Yogyakarta", "--region",
       "kota-yogyakarta", "--depot", "110.3905,-7.8002", "--printers", "2")  # fmt: skip
    ok(yapp, "create-user", "koord.2", "--password", "rahasia-123")
    session = get_session()
    assert len(session.scalars(select(models.Office)).all()) == 1
    user = session.scalar(select(models.User).where(models.User.username == "koord.2"))
    assert user is not None and user.office_id == 1
