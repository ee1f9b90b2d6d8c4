"""Exports of requests, plans and outcomes (outreach.exports) on a real approved day."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.exports import (
    OSM_ATTRIBUTION,
    OUTCOME_COLUMNS,
    PLAN_COLUMNS,
    REQUEST_COLUMNS,
    ExportError,
    ExportOptions,
    build_export,
    outcome_rows,
    parse_export_options,
    plan_rows,
    request_rows,
    to_csv,
)
from outreach.privacy import mask_nik, mask_phone
from outreach.visits import OutcomeInput, record_outcome
from tests.field_day import DAY, NIK, PHONE, FieldDay, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

# Kota Yogyakarta: a box around the city (lon, lat).
LON_RANGE = (110.30, 110.45)
LAT_RANGE = (-7.86, -7.74)


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def _office_id(session: Session) -> int:
    office = session.scalar(select(models.Office))
    assert office is not None
    return office.id


def _stop_of(session: Session, request_id: int) -> models.Stop:
    stop = session.scalar(
        select(models.Stop)
        .join(models.Route)
        .where(models.Stop.request_id == request_id, models.Route.approved.is_(True))
    )
    assert stop is not None
    return stop


def _record(session: Session, request_id: int, outcome: str, **kw: Any) -> models.VisitOutcome:
    stop = _stop_of(session, request_id)
    data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome=outcome, **kw)
    result = record_outcome(session, data, team_id=stop.route.team_id, user_id=None)
    session.commit()
    return result.outcome


def _csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _export(session: Session, what: str, fmt: str, *, personal: bool, **filters: str) -> Any:
    options = parse_export_options(what, fmt, **filters)
    return build_export(session, _office_id(session), options, personal=personal)


# --- the module stays domain code ---


def test_exports_module_never_imports_flask_or_web() -> None:
    path = Path(__file__).resolve().parent.parent / "outreach" / "exports.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        assert not any(n.startswith(("flask", "outreach.web")) for n in names), names


# --- options ---


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("orang", "csv"), {}, "Pilih data"),
        (("requests", "xlsx"), {}, "format CSV atau GeoJSON"),
        (("plans", "csv"), {"plan": "abc"}, "Nomor rencana 'abc' tidak sah"),
        (("plans", "csv"), {"plan": "0"}, "tidak sah"),
        (("plans", "csv"), {"date_from": "2026-11-01"}, "tanggal awal dan tanggal akhir"),
        (("plans", "csv"), {"date_from": "23-11-2026", "date_to": "2026-11-30"}, "TTTT-BB-HH"),
        (("plans", "csv"), {"date_from": "2026-02-30", "date_to": "2026-03-01"}, "tidak sah"),
        (("plans", "csv"), {"date_from": "2026-11-30", "date_to": "2026-11-01"}, "sebelum"),
        (("outcomes", "csv"), {"date_from": "2024-01-01", "date_to": "2026-01-01"}, "367 hari"),
        (
            ("plans", "csv"),
            {"plan": "3", "date_from": "2026-11-01", "date_to": "2026-11-30"},
            "salah satu",
        ),
        (("requests", "csv"), {"status": "hilang"}, "Status 'hilang' tidak dikenal"),
        (("requests", "csv"), {"plan": "3"}, "hanya dapat disaring menurut status"),
        (("outcomes", "geojson"), {"status": "baru"}, "hanya untuk ekspor permohonan"),
        (("outcomes", "csv"), {"plan": "3"}, "bukan nomor rencana"),
    ],
)
def test_bad_options_are_refused_in_indonesian(
    args: tuple[str, str], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        parse_export_options(*args, **kwargs)


def test_options_and_file_names_carry_no_personal_data() -> None:
    opts = parse_export_options(
        "outcomes", "GeoJSON ", date_from="2026-11-01", date_to=" 2026-11-30"
    )
    assert opts == ExportOptions(
        "outcomes", "geojson", None, dt.date(2026, 11, 1), DAY.replace(day=30)
    )
    assert opts.filename == "jemput-bola-hasil-kunjungan-2026-11-01_2026-11-30.geojson"
    assert parse_export_options("plans", "csv", plan="#7").filename == (
        "jemput-bola-rencana-rencana-7.csv"
    )
    assert parse_export_options("requests", "csv", status="baru", plan="").filename == (
        "jemput-bola-permohonan-baru.csv"
    )


# --- CSV ---


def test_csv_quotes_commas_quotes_and_newlines_and_defuses_formulas() -> None:
    rows = [
        {"a": 'Jl. Kenari, Gg. "Mawar"', "b": "baris satu\nbaris dua", "c": None},
        {"a": '=HYPERLINK("x")', "b": "+6281234567890", "c": "-12.5"},
        {"a": "@SUM(A1)", "b": "Ñoño ŋ é", "c": 3},
    ]
    parsed = _csv(to_csv(("a", "b", "c"), rows))
    assert parsed[0] == {"a": 'Jl. Kenari, Gg. "Mawar"', "b": "baris satu\nbaris dua", "c": ""}
    assert parsed[1] == {"a": '\'=HYPERLINK("x")', "b": "+6281234567890", "c": "-12.5"}
    assert parsed[2] == {"a": "'@SUM(A1)", "b": "Ñoño ŋ é", "c": "3"}


def test_request_rows_have_the_documented_columns_and_masking(day: FieldDay) -> None:
    session = get_session()
    office_id = _office_id(session)
    whole = {r["request_id"]: r for r in request_rows(session, office_id, personal=True)}
    masked = {r["request_id"]: r for r in request_rows(session, office_id, personal=False)}
    assert set(whole) == set(day.request_ids) | {day.letter_request_id}
    first = day.request_ids[0]
    assert tuple(whole[first]) == REQUEST_COLUMNS
    assert whole[first]["nik"] == NIK and whole[first]["phone"] == PHONE
    assert masked[first]["nik"] == mask_nik(NIK) != NIK
    assert masked[first]["phone"] == mask_phone(PHONE) != PHONE
    assert whole[first]["status"] == "terjadwal"
    assert whole[first]["kelurahan"] == "Semaki" and whole[first]["kecamatan"] == "Umbulharjo"
    assert whole[first]["services"] == "perekaman_ktp"
    # Timestamps are office time with the offset.
    assert whole[first]["created_at"].endswith("+07:00")
    assert whole[day.letter_request_id]["letter_number"] == "005/RW07/XI/2026"
    # Status filter.
    assert request_rows(session, office_id, status="baru", personal=False) == []
    scheduled = request_rows(session, office_id, status="terjadwal", personal=False)
    assert len(scheduled) == 7


def test_requests_csv_masks_unless_personal(day: FieldDay) -> None:
    session = get_session()
    masked = _export(session, "requests", "csv", personal=False)
    body = masked.body.decode("utf-8-sig")
    assert NIK not in body and PHONE not in body
    assert mask_nik(NIK) in body
    rows = _csv(masked.body)
    assert list(rows[0]) == list(REQUEST_COLUMNS) and len(rows) == masked.rows == 7
    whole = _export(session, "requests", "csv", personal=True)
    assert NIK in whole.body.decode("utf-8-sig")
    assert whole.media_type.startswith("text/csv")


def test_plan_rows_follow_the_route_rows(day: FieldDay) -> None:
    session = get_session()
    office_id = _office_id(session)
    rows = plan_rows(session, office_id, plan_id=day.plan_id, personal=False)
    plan = session.get(models.Plan, day.plan_id)
    assert plan is not None
    assert len(rows) == sum(len(r.stops) for r in plan.routes) >= 7
    assert tuple(rows[0]) == PLAN_COLUMNS
    assert {r["team"] for r in rows} == {"Tim Mawar", "Tim Melati"}
    for route in plan.routes:
        mine = [r for r in rows if r["route_id"] == route.id]
        assert [r["sequence"] for r in mine] == sorted(r["sequence"] for r in mine)
        assert sum(r["persons"] for r in mine) == mine[0]["route_persons"]
    home = next(r for r in rows if r["request_id"] == day.request_ids[0])
    assert home["nik"] == mask_nik(NIK)
    assert home["contact_phone"] == mask_phone(PHONE)
    assert home["route_date"] == DAY.isoformat()
    assert home["arrival_at"].startswith(DAY.isoformat() + "T") and home["arrival_at"].endswith(
        "+07:00"
    )
    assert len(home["window_start"]) == 5 and home["window_start"] <= home["window_end"]
    assert home["outcome"] == ""
    whole = plan_rows(session, office_id, plan_id=day.plan_id, personal=True)
    home = next(r for r in whole if r["request_id"] == day.request_ids[0])
    assert home["nik"] == NIK and home["contact_phone"] == PHONE
    letter = next(r for r in whole if r["request_id"] == day.letter_request_id)
    assert letter["contact_phone"] == "+6281298765432"  # the letter's contact person


def test_plan_filters_by_plan_or_dates(day: FieldDay) -> None:
    session = get_session()
    office_id = _office_id(session)
    on_day = plan_rows(session, office_id, date_from=DAY, date_to=DAY, personal=False)
    assert {r["plan_id"] for r in on_day} == {day.plan_id}
    assert plan_rows(session, office_id, personal=False) == on_day  # all approved routes
    after = DAY + dt.timedelta(days=1)
    assert plan_rows(session, office_id, date_from=after, date_to=after, personal=False) == []
    with pytest.raises(NotFoundError, match="Rencana #999 tidak ada"):
        plan_rows(session, office_id, plan_id=999, personal=False)


def _geojson(body: bytes) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8"))
    assert data["type"] == "FeatureCollection"
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) == {"type", "geometry", "properties"}
        geometry = feature["geometry"]
        if geometry is None:
            continue
        positions = (
            [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
        )
        if geometry["type"] == "LineString":
            assert len(positions) >= 2
        for lon, lat in positions:  # [lon, lat], not [lat, lon]
            assert LON_RANGE[0] < lon < LON_RANGE[1], (lon, lat)
            assert LAT_RANGE[0] < lat < LAT_RANGE[1], (lon, lat)
    return data


def test_plans_geojson_has_road_lines_stops_and_osm_credit(day: FieldDay) -> None:
    session = get_session()
    export = _export(session, "plans", "geojson", personal=False, plan=str(day.plan_id))
    assert export.media_type == "application/geo+json"
    data = _geojson(export.body)
    assert data["metadata"]["attribution"] == OSM_ATTRIBUTION
    assert data["metadata"]["filters"]["plan_id"] == day.plan_id
    routes = [f for f in data["features"] if f["properties"]["kind"] == "route"]
    stops = [f for f in data["features"] if f["properties"]["kind"] == "stop"]
    plan = session.get(models.Plan, day.plan_id)
    assert plan is not None
    assert len(routes) == len(plan.routes) and len(stops) == export.rows
    for feature in routes:
        assert feature["geometry"]["type"] == "LineString"
        route = session.get(models.Route, feature["properties"]["route_id"])
        assert route is not None
        # The line leaves from and comes back to the office (the route's start and end).
        first, last = feature["geometry"]["coordinates"][0], feature["geometry"]["coordinates"][-1]
        assert first[0] == pytest.approx(last[0], abs=0.01)
        assert feature["properties"]["stops"] == len(route.stops)
    home = next(f for f in stops if f["properties"]["request_id"] == day.request_ids[0])
    req = session.get(models.ServiceRequest, day.request_ids[0])
    assert req is not None and req.lon is not None and req.lat is not None
    assert home["geometry"]["coordinates"] == [round(req.lon, 6), round(req.lat, 6)]
    assert "lon" not in home["properties"]
    assert home["properties"]["nik"] == mask_nik(NIK)
    assert NIK not in export.body.decode("utf-8") and PHONE not in export.body.decode("utf-8")


def test_requests_geojson_points_and_no_road_credit(day: FieldDay) -> None:
    session = get_session()
    req = session.get(models.ServiceRequest, day.request_ids[1])
    assert req is not None
    req.lon = req.lat = None  # an unlocated request: a feature without geometry
    session.commit()
    export = _export(session, "requests", "geojson", personal=True, status="terjadwal")
    data = _geojson(export.body)
    assert "attribution" not in data["metadata"]  # no road geometry in it
    assert data["metadata"]["filters"]["status"] == "terjadwal"
    by_id = {f["properties"]["request_id"]: f for f in data["features"]}
    assert by_id[day.request_ids[1]]["geometry"] is None
    assert by_id[day.request_ids[0]]["properties"]["nik"] == NIK
    assert "Semaki" in export.body.decode("utf-8")  # UTF-8 text, not \u escapes


def test_outcome_rows_and_date_filter(day: FieldDay) -> None:
    session = get_session()
    office_id = _office_id(session)
    _record(session, day.request_ids[0], "selesai", note="=cmd|' /C calc'!A0")
    _record(session, day.request_ids[1], "tidak_di_rumah", note="pagar terkunci")
    _record(
        session,
        day.letter_request_id,
        "selesai",
        persons_served=3,
        attendees=tuple(day.letter_resident_ids[:3]),
    )
    rows = outcome_rows(session, office_id, personal=False)
    assert len(rows) == 3 and tuple(rows[0]) == OUTCOME_COLUMNS
    by_request = {r["request_id"]: r for r in rows}
    served = by_request[day.request_ids[0]]
    assert served["outcome"] == "selesai" and served["outcome_label"] == "Selesai"
    assert served["visit_date"] == DAY.isoformat()
    assert served["nik"] == mask_nik(NIK) and served["phone"] == mask_phone(PHONE)
    assert served["team"] in {"Tim Mawar", "Tim Melati"}
    assert served["plan_id"] == day.plan_id and served["stop_id"] is not None
    assert by_request[day.request_ids[1]]["outcome_label"] == "Tidak di rumah"
    letter = by_request[day.letter_request_id]
    assert letter["persons_served"] == 3 and letter["attendees"] == 3
    whole = outcome_rows(session, office_id, personal=True)
    assert {r["nik"] for r in whole if r["request_id"] == day.request_ids[0]} == {NIK}
    # Date filter: the visit day in, other days out.
    assert len(outcome_rows(session, office_id, date_from=DAY, date_to=DAY, personal=False)) == 3
    later = DAY + dt.timedelta(days=1)
    assert outcome_rows(session, office_id, date_from=later, date_to=later, personal=False) == []
    # CSV: a formula in a note is defused.
    parsed = _csv(_export(session, "outcomes", "csv", personal=False).body)
    note = next(r["note"] for r in parsed if r["request_id"] == str(day.request_ids[0]))
    assert note == "'=cmd|' /C calc'!A0"
    # Plans show the outcome per stop.
    stops = plan_rows(session, office_id, plan_id=day.plan_id, personal=False)
    assert {r["outcome"] for r in stops if r["request_id"] == day.request_ids[1]} == {
        "tidak_di_rumah"
    }


def test_outcomes_geojson(day: FieldDay) -> None:
    session = get_session()
    _record(session, day.request_ids[0], "selesai")
    export = _export(
        session,
        "outcomes",
        "geojson",
        personal=False,
        date_from=DAY.isoformat(),
        date_to=DAY.isoformat(),
    )
    data = _geojson(export.body)
    assert [f["properties"]["outcome"] for f in data["features"]] == ["selesai"]
    assert data["features"][0]["geometry"]["type"] == "Point"
    assert "attribution" not in data["metadata"]


def test_another_offices_data_is_not_exported(day: FieldDay) -> None:
    session = get_session()
    other = models.Office(
        name="Disdukcapil Lain", region_slug="x", region_code="0", depot_lon=110.0, depot_lat=-7.0
    )
    session.add(other)
    session.commit()
    assert request_rows(session, other.id, personal=True) == []
    assert plan_rows(session, other.id, personal=True) == []
    assert outcome_rows(session, other.id, personal=True) == []
    with pytest.raises(NotFoundError):
        plan_rows(session, other.id, plan_id=day.plan_id, personal=True)


# --- the command line ---


def test_cli_export_writes_files_and_fails_in_one_line(
    day: FieldDay, yapp: Flask, tmp_path: Path
) -> None:
    runner: FlaskCliRunner = yapp.test_cli_runner()
    out = tmp_path / "rencana.geojson"
    result = runner.invoke(
        args=[
            "outreach", "export", "--what", "plans", "--format", "geojson",
            "--out", str(out), "--plan", str(day.plan_id),
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(out) in result.output and "rows" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["metadata"]["attribution"] == OSM_ATTRIBUTION
    csv_out = tmp_path / "permohonan.csv"
    result = runner.invoke(
        args=["outreach", "export", "--what", "requests", "--format", "csv", "--out", str(csv_out)]
    )
    assert result.exit_code == 0, result.output
    assert NIK in csv_out.read_text(encoding="utf-8-sig")  # the CLI is the office's own IT
    result = runner.invoke(
        args=[
            "outreach", "export", "--what", "requests", "--format", "csv",
            "--out", str(csv_out), "--masked",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert NIK not in csv_out.read_text(encoding="utf-8-sig")
    events = session_events()
    assert [e.detail["personal"] for e in events] == [True, True, False]
    bad = runner.invoke(
        args=[
            "outreach", "export", "--what", "outcomes", "--format", "csv",
            "--out", str(tmp_path / "x.csv"), "--from", "2026-11-30", "--to", "2026-11-01",
        ]
    )  # fmt: skip
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        "Error: Tanggal akhir tidak boleh sebelum tanggal awal."
    ]
    assert not (tmp_path / "x.csv").exists()
    missing = runner.invoke(
        args=[
            "outreach", "export", "--what", "plans", "--format", "csv",
            "--out", str(tmp_path / "y.csv"), "--plan", "999",
        ]
    )  # fmt: skip
    assert missing.exit_code == 1 and "Rencana #999 tidak ada" in missing.output
    unwritable = runner.invoke(
        args=[
            "outreach", "export", "--what", "plans", "--format", "csv",
            "--out", str(tmp_path / "no" / "such" / "dir.csv"),
        ]
    )  # fmt: skip
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.output
    assert len(unwritable.output.strip().splitlines()) == 1


def session_events() -> list[models.AuditEvent]:
    session = get_session()
    return list(
        session.scalars(
            select(models.AuditEvent)
            .where(models.AuditEvent.action == "export")
            .order_by(models.AuditEvent.id)
        )
    )
