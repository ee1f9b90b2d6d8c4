"""The office calendar from the command line (``outreach calendar ...``), Kota Yogyakarta.

Every command once with good input and with bad input (one line on stderr, exit status 1,
nothing saved); a plan made with ``outreach plan`` skips a date the CLI closed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

import outreach.cli_calendar  # noqa: F401  (registers "outreach calendar" until cli.py does)
from outreach import models
from outreach.db import get_session
from outreach.office import get_office, save_team
from tests.intake.yogya import DEPOT, SEMAKI, yapp, yogya_template

__all__ = ["yapp", "yogya_template"]


@pytest.fixture
def cli(yapp: Flask) -> FlaskCliRunner:
    return yapp.test_cli_runner()


def run(cli: FlaskCliRunner, *args: str) -> Result:
    return cli.invoke(args=["outreach", "calendar", *args])


def ok(cli: FlaskCliRunner, *args: str) -> str:
    res = run(cli, *args)
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def fails(cli: FlaskCliRunner, *args: str, message: str) -> None:
    """One line ``Error: ...`` on stderr with ``message``, exit status 1."""
    res = run(cli, *args)
    assert res.exit_code == 1, res.output
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert message in lines[0], lines[0]


def office() -> models.Office:
    get_session().expire_all()
    return get_office(get_session())


def team(name: str = "Tim Mawar") -> models.Team:
    session = get_session()
    row = save_team(session, get_office(session), name=name, skills=["perekaman_ktp"])
    session.commit()
    return row


def test_show_lists_holidays_cuti_bersama_and_own_dates(cli: FlaskCliRunner) -> None:
    out = ok(cli, "show", "--year", "2026")
    assert "calendar 2026 (closed for home visits unless marked open)" in out
    assert "2026-12-24 Thu  closed" in out and "cuti bersama" in out
    assert "Cuti Bersama Hari Raya Natal" in out
    assert "2026-12-25 Fri  closed" in out and "national holiday" in out
    assert len([line for line in out.splitlines() if line.startswith("  2026-")]) == 25
    ok(cli, "open", "2026-12-24", "--note", "Layanan tetap buka")
    out = ok(cli, "show", "--year", "2026")
    line = next(x for x in out.splitlines() if x.startswith("  2026-12-24"))
    assert "open (set by the office)" in line and "(Layanan tetap buka)" in line


def test_close_and_reset(cli: FlaskCliRunner) -> None:
    out = ok(cli, "close", "2026-10-07", "--reason", "Hari jadi Kota Yogyakarta")
    assert out == "Closed for home visits: 2026-10-07 (Hari jadi Kota Yogyakarta).\n"
    out = ok(cli, "close", "2026-06-08", "--to", "2026-06-10", "--reason", "Raker")
    assert out == "Closed for home visits: 2026-06-08 to 2026-06-10 (Raker).\n"
    days = {d.day: (d.is_open, d.label) for d in office().calendar_days}
    assert days[dt.date(2026, 10, 7)] == (False, "Hari jadi Kota Yogyakarta")
    assert len(days) == 4
    out = ok(cli, "show", "--year", "2026")
    assert "2026-10-07 Wed  closed" in out and "Hari jadi Kota Yogyakarta" in out
    out = ok(cli, "reset", "2026-06-01", "--to", "2026-06-30")
    assert out == "Reset 3 date(s) of 2026-06-01 to 2026-06-30 to the defaults.\n"
    assert [d.day for d in office().calendar_days] == [dt.date(2026, 10, 7)]
    assert ok(cli, "reset", "2026-06-09").startswith("Reset 0 date(s) of 2026-06-09")
    actions = get_session().scalars(select(models.AuditEvent.action)).all()
    assert actions.count("calendar.close") == 2 and actions.count("calendar.reset") == 2


def test_open_a_range(cli: FlaskCliRunner) -> None:
    out = ok(cli, "open", "2026-03-23", "--to", "2026-03-24")
    assert out == "Open for home visits: 2026-03-23 to 2026-03-24.\n"
    assert all(d.is_open for d in office().calendar_days) and len(office().calendar_days) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["close", "2026-10-07", "--reason", " "], "Isi alasan kantor tutup"),
        (["close", "07-10-2026", "--reason", "X"], "DATE: not a date (YYYY-MM-DD): '07-10-2026'"),
        (["close", "2026-10-07", "--to", "2026-10-01", "--reason", "X"], "Tanggal akhir"),
        (["close", "2026-01-01", "--to", "2027-06-01", "--reason", "X"], "paling panjang 366"),
        (["open", "2026-12-24", "--to", "besok"], "--to: not a date"),
        (["reset", "2026-02-30"], "DATE: not a date"),
        (["reset", "2026-10-07", "--to", "2026-10-01"], "Tanggal akhir"),
    ],
)
def test_date_refusals(cli: FlaskCliRunner, args: list[str], message: str) -> None:
    fails(cli, *args, message=message)
    assert office().calendar_days == []


RAMADAN = [
    "hours-add",
    "--name",
    "Ramadan 1448 H",
    "--from",
    "2027-02-08",
    "--to",
    "2027-03-09",
    "--hours",
    "08:00-14:00",
]


def test_hours_add_list_remove(cli: FlaskCliRunner) -> None:
    assert ok(cli, "hours-list") == "No special-hours periods.\n"
    extra = ["--friday-end", "14.30", "--break-minutes", "30", "--sync-deadline", "14:00"]
    out = ok(cli, *RAMADAN, *extra)
    (row,) = office().hours_periods
    expected = (
        f"#{row.id} Ramadan 1448 H: 2027-02-08 to 2027-03-09, 08:00-14:00, "
        "Friday until 14:30, 30 min breaks, sync by 14:00"
    )
    assert out == f"Saved {expected}\n"
    assert ok(cli, "hours-list") == expected + "\n"
    assert f"  hours {expected}" in ok(cli, "show", "--year", "2027")
    assert ok(cli, "hours-remove", str(row.id)) == f"Removed hours period #{row.id}.\n"
    assert office().hours_periods == []
    fails(cli, "hours-remove", str(row.id), message=f"No hours period {row.id}.")


def test_hours_defaults(cli: FlaskCliRunner) -> None:
    ok(cli, *RAMADAN, "--break-minutes", "0")
    (row,) = office().hours_periods
    assert (row.friday_end, row.sync_deadline, row.break_minutes) == (None, None, 0)
    assert ok(cli, "hours-list").endswith("08:00-14:00, no breaks\n")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--name": " "}, "Isi nama periode"),
        ({"--from": "8 Feb"}, "--from: not a date"),
        ({"--to": "2027-02-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ({"--hours": "8-14"}, "Bukan jam yang sah (JJ:MM): '8'."),
        ({"--hours": "14:00-08:00"}, "Jam selesai harus sesudah jam mulai"),
        ({"--friday-end": "07:00"}, "Jam selesai hari Jumat harus setelah jam mulai."),
        ({"--break-minutes": "121"}, "Lama istirahat 0 sampai 120 menit."),
        ({"--sync-deadline": "25:00"}, "Bukan jam yang sah"),
    ],
)
def test_hours_refusals(cli: FlaskCliRunner, changes: dict[str, str], message: str) -> None:
    args = list(RAMADAN)
    for option, value in changes.items():
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    fails(cli, *args, message=message)
    assert office().hours_periods == []


def test_overlapping_hours_are_refused(cli: FlaskCliRunner) -> None:
    ok(cli, *RAMADAN)
    args = ["hours-add", "--name", "Lagi", "--from", "2027-03-01", "--to", "2027-03-31"]
    fails(cli, *args, "--hours", "08:00-14:00", message="bertumpang tindih")
    assert len(office().hours_periods) == 1


def test_team_away_and_back(cli: FlaskCliRunner) -> None:
    row = team()
    out = ok(cli, "team-away", "tim mawar", "--from", "2026-12-07", "--to", "2026-12-09")
    (away,) = row.absences
    assert out == f"Tim Mawar away 2026-12-07 to 2026-12-09: absence #{away.id}.\n"
    out = ok(cli, "team-away", "Tim Mawar", "--from", "2026-12-14", "--reason", "Pelatihan")
    assert out.endswith("away 2026-12-14 (Pelatihan): absence #" + f"{away.id + 1}.\n")
    shown = ok(cli, "show", "--year", "2026")
    assert f"  away Tim Mawar: absence #{away.id}, 2026-12-07 to 2026-12-09" in shown
    assert ok(cli, "team-back", "Tim Mawar", str(away.id)) == (
        f"Tim Mawar: absence #{away.id} removed.\n"
    )
    get_session().expire_all()
    assert [a.reason for a in row.absences] == ["Pelatihan"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["team-away", "Tim Kenanga", "--from", "2026-12-07"], "No team 'Tim Kenanga'"),
        (["team-away", "Tim Mawar", "--from", "7/12"], "--from: not a date"),
        (["team-away", "Tim Mawar", "--from", "2026-12-07", "--to", "2026-12-01"], "Tanggal"),
        (["team-away", "Tim Mawar", "--from", "2026-12-07", "--reason", "x" * 201], "200"),
        (["team-back", "Tim Mawar", "999"], "No absence 999"),
        (["team-back", "Tim Kenanga", "1"], "No team 'Tim Kenanga'"),
    ],
)
def test_team_refusals(cli: FlaskCliRunner, args: list[str], message: str) -> None:
    team()
    fails(cli, *args, message=message)
    assert get_session().scalars(select(models.TeamAbsence)).all() == []


def test_a_plan_skips_a_date_closed_from_the_cli(yapp: Flask, cli: FlaskCliRunner) -> None:
    session = get_session()
    org = get_office(session)
    save_team(session, org, name="Tim Mawar", skills=["perekaman_ktp"])
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert semaki is not None
    for i, (dx, dy) in enumerate([(0.006, 0.004), (-0.008, 0.003)], start=1):
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-C{i:03d}",
                office_id=org.id,
                category="lansia",
                services=["perekaman_ktp"],
                person_name=f"Warga Kalender {i}",
                address_street=f"Jl. Uji No. {i}",
                lon=DEPOT[0] + dx,
                lat=DEPOT[1] + dy,
                kelurahan_id=semaki.id,
                kecamatan_id=semaki.kecamatan_id,
                status="terverifikasi",
                location_source="map",
                location_confirmed=True,
            )
        )
    session.commit()
    ok(cli, "close", "2026-12-07", "--reason", "Rapat kerja")  # a Monday
    res = cli.invoke(
        args=["outreach", "plan", "--date", "2026-12-07", "--days", "1", "--allow-past"]
    )
    assert res.exit_code == 0, (res.output, res.exception)
    assert "Selasa, 8 Desember 2026: 2 visits, 1 team(s)" in res.output
    plan = session.scalars(select(models.Plan).order_by(models.Plan.id.desc())).first()
    assert plan is not None
    assert {r.route_date for r in plan.routes} == {dt.date(2026, 12, 8)}
