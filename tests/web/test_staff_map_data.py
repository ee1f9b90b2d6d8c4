"""The coordinator's home map data: GeoJSON endpoints, their permission, a small page."""

from __future__ import annotations

import gzip
import json
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.field_day import DAY, NIK, PASSWORD, PHONE, FieldDay, build_field_day, travel_for

REQUESTS = "/peta/permohonan.geojson"
ROUTES = "/peta/rute.geojson"
AREAS = "/peta/wilayah.geojson"


def _field_day(app: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(app))


def _json(res: Any) -> dict[str, Any]:
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.mimetype == "application/geo+json"
    data: dict[str, Any] = json.loads(res.get_data())
    return data


def _as_lead(yapp: Flask, url: str, **headers: str) -> Any:
    """One request by team lead ``ketua.mawar`` (the test clients share ``g``: drop the user)."""
    client = yapp.test_client()
    try:
        res = client.post("/auth/masuk", data={"username": "ketua.mawar", "password": PASSWORD})
        assert res.status_code == 302
        return client.get(url, headers=headers)
    finally:
        g.pop("_login_user", None)


def test_requests_geojson_has_initials_not_names_nik_or_phone(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    day = _field_day(yapp)
    res = staff_client.get(REQUESTS)
    assert res.headers["Cache-Control"] == "private, no-store"
    data = _json(res)
    by_code = {f["properties"]["c"]: f for f in data["features"]}
    assert {f"JB-F{i:03d}" for i in range(1, 7)} <= set(by_code)
    props = by_code["JB-F001"]["properties"]
    assert props["nm"] == "W. L. 1."  # "Warga Lapangan 1": initials only
    assert props["k"] == "lansia" and props["kl"] == "Semaki" and props["rw"] == "7"
    assert props["kc"] == "Umbulharjo" and props["n"] == 1
    assert props["i"] in day.request_ids
    lon, lat = by_code["JB-F001"]["geometry"]["coordinates"]
    assert lon == round(lon, 5) and lat == round(lat, 5)
    body = res.get_data(as_text=True)
    for secret in ("Warga Lapangan", NIK, PHONE, PHONE.replace("+62", "0"), NIK[6:]):
        assert secret not in body


def test_routes_of_a_day_with_numbered_stops(yapp: Flask, staff_client: FlaskClient) -> None:
    day = _field_day(yapp)
    data = _json(staff_client.get(f"{ROUTES}?tanggal={DAY.isoformat()}"))
    lines = [f for f in data["features"] if f["geometry"]["type"] == "LineString"]
    stops = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    assert {f["properties"]["tn"] for f in lines} == {"Tim Mawar", "Tim Melati"}
    assert {f["properties"]["t"] for f in lines} == set(day.team_ids.values())
    assert all(f["properties"]["d"] == DAY.isoformat() for f in data["features"])
    assert len(lines[0]["geometry"]["coordinates"]) > 10  # along the roads, not straight
    mawar = sorted(f["properties"]["q"] for f in stops if f["properties"]["tn"] == "Tim Mawar")
    assert mawar == list(range(1, len(mawar) + 1))
    assert all(len(f["properties"]["a"]) == 5 for f in stops)  # HH:MM
    # Another day has no routes; the default (from today on) has none for a past day either.
    assert _json(staff_client.get(f"{ROUTES}?tanggal=2026-11-24"))["features"] == []


def test_draft_routes_are_not_on_the_map(yapp: Flask, staff_client: FlaskClient) -> None:
    _field_day(yapp)
    session = get_session()
    plan = session.scalar(select(models.Plan))
    assert plan is not None
    plan.status = models.PlanStatus.DRAFT.value
    session.commit()
    assert _json(staff_client.get(f"{ROUTES}?tanggal={DAY.isoformat()}"))["features"] == []


def test_a_bad_date_is_a_400_in_indonesian(staff_client: FlaskClient) -> None:
    for bad in ("23-11-2026", "2026-02-30", "besok"):
        res = staff_client.get(f"{ROUTES}?tanggal={bad}")
        assert res.status_code == 400
        assert "Tanggal tidak valid" in res.get_json()["error"]


def test_areas_have_kecamatan_kelurahan_and_open_counts(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    _field_day(yapp)
    data = _json(staff_client.get(AREAS))
    kec = [f for f in data["features"] if f["properties"]["a"] == "kec"]
    kel = [f for f in data["features"] if f["properties"]["a"] == "kel"]
    assert len(kec) == 14 and len(kel) == 45  # Kota Yogyakarta
    semaki = next(f["properties"] for f in kel if f["properties"]["n"] == "Semaki")
    assert semaki["j"] == 7 and semaki["kc"] == "Umbulharjo"
    assert semaki["f"] == max(f["properties"]["f"] for f in kel)  # the darkest: most open
    again = _json(staff_client.get(AREAS))  # from the outline cache: the same
    assert again == data


def test_a_team_lead_gets_403_and_a_visitor_nothing(yapp: Flask, yclient: FlaskClient) -> None:
    _field_day(yapp)
    for url in (REQUESTS, ROUTES, AREAS):
        res = _as_lead(yapp, url, Accept="application/json")
        assert res.status_code == 403
        assert "JB-F" not in res.get_data(as_text=True)
        # A data address answers like data even to a plain visit: 403, not a page.
        res = _as_lead(yapp, url)
        assert res.status_code == 403 and "JB-F" not in res.get_data(as_text=True)
        res = yclient.get(url)
        assert res.status_code in (302, 401, 403)
        assert "JB-F" not in res.get_data(as_text=True)


def test_page_html_carries_no_request_data(yapp: Flask, staff_client: FlaskClient) -> None:
    _field_day(yapp)
    res = staff_client.get("/")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "JB-F00" not in html and "Warga Lapangan" not in html and NIK not in html
    assert "circleMarker" not in html and "Tim Mawar" not in html
    for url in (REQUESTS, ROUTES, AREAS, "/static/staff-map.js"):
        assert url in html or url.replace("/", "\\/") in html
    assert "/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert len(html.encode()) < 60_000


def test_responses_are_gzipped_once(yapp: Flask, staff_client: FlaskClient) -> None:
    _field_day(yapp)
    plain = staff_client.get(REQUESTS).get_data()
    res = staff_client.get(REQUESTS, headers={"Accept-Encoding": "gzip"})
    assert res.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in res.headers["Vary"]
    assert gzip.decompress(res.get_data()) == plain
    page = staff_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"staff-map.js" in gzip.decompress(page.get_data())


def test_vendor_markercluster_is_served(yclient: FlaskClient) -> None:
    for name in ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"):
        res = yclient.get(f"/vendor/leaflet.markercluster/{name}")
        assert res.status_code == 200
        res.close()
