"""The export page (/ekspor): who may download, what the files hold, and bad filters."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.exports import OSM_ATTRIBUTION, PLAN_COLUMNS, REQUEST_COLUMNS
from outreach.privacy import mask_nik
from outreach.web.auth import hash_password
from tests.field_day import DAY, NIK, PASSWORD, PHONE, FieldDay, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def signed_in(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def _admin(app: Flask) -> FlaskClient:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    session.add(
        models.User(
            username="admin.uji",
            password_hash=hash_password(PASSWORD),
            role="admin",
            office_id=office.id,
        )
    )
    session.commit()
    return signed_in(app, "admin.uji")


def _rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_page_lists_the_downloads_and_the_form(yapp: Flask, day: FieldDay) -> None:
    res = signed_in(yapp, *COORDINATOR).get("/ekspor/")
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "private, no-store"
    html = res.get_data(as_text=True)
    assert "Ekspor data" in html and "Hasil kunjungan" in html
    assert "/ekspor/unduh?data=plans&amp;format=geojson" in html
    assert f'<option value="{day.plan_id}"' in html  # the plan to pick
    assert "Samarkan NIK dan nomor telepon" in html
    assert "NIK dan nomor telepon utuh" in html


@pytest.mark.parametrize("username", ["ketua.mawar", "ketua_tim"])
def test_team_leads_may_not_export(yapp: Flask, day: FieldDay, username: str) -> None:
    client = signed_in(yapp, username)
    for url in ("/ekspor/", "/ekspor/unduh?data=requests&format=csv"):
        res = client.get(url)
        assert res.status_code == 302 and "/ekspor" not in res.headers["Location"]
    res = client.get("/ekspor/unduh?data=requests&format=csv", follow_redirects=True)
    assert NIK not in res.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(yclient: FlaskClient) -> None:
    res = yclient.get("/ekspor/unduh?data=requests&format=csv")
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]


def test_coordinator_downloads_requests_csv_with_personal_data(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, *COORDINATOR)
    res = client.get("/ekspor/unduh?data=requests&format=csv")
    assert res.status_code == 200
    assert res.mimetype == "text/csv"
    assert res.headers["Content-Type"].count("charset") == 1
    assert res.headers["Cache-Control"] == "private, no-store"
    assert res.headers["Content-Disposition"] == (
        'attachment; filename="jemput-bola-permohonan.csv"'
    )
    rows = _rows(res.data)
    assert list(rows[0]) == list(REQUEST_COLUMNS) and len(rows) == 7
    assert {r["nik"] for r in rows if r["tracking_code"] == "JB-F001"} == {NIK}
    # Masked on request, for a file to share.
    masked = client.get("/ekspor/unduh?data=requests&format=csv&samarkan=1").data
    assert NIK not in masked.decode("utf-8-sig") and PHONE not in masked.decode("utf-8-sig")
    assert mask_nik(NIK) in masked.decode("utf-8-sig")
    events = get_session().scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "export")
    )
    assert [(e.entity, e.detail["personal"], e.detail["rows"]) for e in events] == [
        ("requests", True, 7),
        ("requests", False, 7),
    ]


def test_admin_downloads_plan_geojson_with_osm_credit(yapp: Flask, day: FieldDay) -> None:
    client = _admin(yapp)
    res = client.get(f"/ekspor/unduh?data=plans&format=geojson&rencana={day.plan_id}")
    assert res.status_code == 200
    assert res.mimetype == "application/geo+json"
    assert res.headers["Content-Disposition"] == (
        f'attachment; filename="jemput-bola-rencana-rencana-{day.plan_id}.geojson"'
    )
    data = json.loads(res.data)
    assert data["type"] == "FeatureCollection"
    assert data["metadata"]["attribution"] == OSM_ATTRIBUTION
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("route") == 2 and kinds.count("stop") >= 7
    stop = next(f for f in data["features"] if f["properties"]["kind"] == "stop")
    lon, lat = stop["geometry"]["coordinates"]
    assert 110 < lon < 111 and -8 < lat < -7  # [lon, lat]
    assert NIK in res.get_data(as_text=True)  # admins see personal data whole


def test_plans_csv_by_date_range(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, *COORDINATOR)
    url = f"/ekspor/unduh?data=plans&format=csv&dari={DAY}&sampai={DAY}"
    res = client.get(url)
    assert res.status_code == 200
    assert f"{DAY}_{DAY}.csv" in res.headers["Content-Disposition"]
    rows = _rows(res.data)
    assert list(rows[0]) == list(PLAN_COLUMNS)
    assert {r["route_date"] for r in rows} == {DAY.isoformat()}
    assert {r["team"] for r in rows} == {"Tim Mawar", "Tim Melati"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("data=plans&format=csv&dari=2026-11-30&sampai=2026-11-01", "sebelum tanggal awal"),
        ("data=plans&format=csv&dari=kemarin&sampai=2026-11-01", "tidak sah"),
        ("data=plans&format=csv&rencana=abc", "Nomor rencana"),
        ("data=plans&format=csv&rencana=999", "Rencana #999 tidak ada"),
        ("data=requests&format=pdf", "Pilih format CSV atau GeoJSON"),
        ("data=semua&format=csv", "Pilih data yang diekspor"),
        ("data=requests&format=csv&status=hilang", "tidak dikenal"),
        ("data=outcomes&format=csv&dari=2026-11-01", "tanggal awal dan tanggal akhir"),
    ],
)
def test_bad_filters_show_the_form_again_in_indonesian(
    yapp: Flask, day: FieldDay, query: str, message: str
) -> None:
    res = signed_in(yapp, *COORDINATOR).get("/ekspor/unduh?" + query)
    assert res.status_code == 400
    assert res.mimetype == "text/html"
    assert "Content-Disposition" not in res.headers
    html = res.get_data(as_text=True)
    assert message in html and 'role="alert"' in html
    assert "Pilih dan saring" in html  # the form, with what was chosen kept


def test_bad_filter_keeps_the_choices(yapp: Flask, day: FieldDay) -> None:
    res = signed_in(yapp, *COORDINATOR).get(
        "/ekspor/unduh?data=outcomes&format=geojson&dari=2026-11-30&sampai=2026-11-01&samarkan=1"
    )
    html = res.get_data(as_text=True)
    assert '<option value="outcomes" selected>' in html
    assert '<option value="geojson" selected>' in html
    assert 'value="2026-11-30"' in html and 'value="2026-11-01"' in html
    assert 'name="samarkan" value="1" checked' in html
