"""The public request form and status page through the Flask test client."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from tests.intake.yogya import SEMAKI, form_data, nik_for, schedule_visit, yogya_app


def count_requests() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.ServiceRequest)) or 0)


def submit(client: FlaskClient, **changes: object):  # type: ignore[no-untyped-def]
    return client.post("/layanan/", data=form_data(**changes))


def test_form_renders_with_kelurahan_choices(yclient: FlaskClient) -> None:
    page = yclient.get("/layanan/").get_data(as_text=True)
    assert 'name="website"' in page  # honeypot
    assert f'value="{SEMAKI}"' in page and "Umbulharjo" in page
    assert "/vendor/leaflet/leaflet.js" in page and "intake-map.js" in page
    assert "tile.openstreetmap.org" not in page  # MAP_TILES=none in tests


def test_valid_submission_redirects_to_receipt(yclient: FlaskClient, yapp: Flask) -> None:
    res = submit(yclient)
    assert res.status_code == 303
    code = res.headers["Location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"JB-[2-9A-Z]{4}-[2-9A-Z]{3}", code)
    receipt = yclient.get(res.headers["Location"]).get_data(as_text=True)
    assert code in receipt and "Kartu Keluarga (KK) asli" in receipt
    # The receipt can be opened by anyone with the code: nothing personal on it.
    for secret in (nik_for(), "0812", "3456", "Siti", "Kenari"):
        assert secret not in receipt
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None and req.tracking_code == code
    assert (req.channel, req.status, req.phone) == ("form", "baru", "+6281234567890")
    assert req.flags == ["lokasi_perlu_konfirmasi"] and req.location_source == "kelurahan"
    assert req.availability == [{"days": [0, 1, 2], "start": "09:00", "end": "12:00"}]


def test_map_point_is_stored(yclient: FlaskClient) -> None:
    kel = get_session().scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    res = submit(yclient, lon=f"{kel.rep_lon:.6f}", lat=f"{kel.rep_lat:.6f}", location_source="map")
    assert res.status_code == 303
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None and req.location_source == "map" and req.flags == []


def test_errors_keep_every_field_and_say_why(yclient: FlaskClient) -> None:
    res = submit(yclient, nik="3471", phone="0812-34", consent=None, person_name="Siti Aminah")
    assert res.status_code == 400
    page = res.get_data(as_text=True)
    assert "NIK harus 16 angka." in page
    assert "Nomor HP tidak valid" in page
    assert "Persetujuan penggunaan data diperlukan" in page
    # What the resident typed is still there, in her own form.
    assert 'value="3471"' in page and 'value="0812-34"' in page
    assert 'value="Siti Aminah"' in page and 'value="Jl. Kenari Gg. Mawar No. 12"' in page
    assert re.search(rf'value="{SEMAKI}"[^>]*selected', page)
    assert re.search(r'name="avail-0-days" value="1"[^>]*checked', page)
    assert "dekat masjid" in page
    assert count_requests() == 0


def test_point_outside_area_is_rejected_and_kept_out(yclient: FlaskClient) -> None:
    res = submit(yclient, lon="110.2", lat="-7.7", location_source="map")
    assert res.status_code == 400
    assert "luar wilayah layanan" in res.get_data(as_text=True)
    assert count_requests() == 0


def test_honeypot_pretends_success_and_saves_nothing(yclient: FlaskClient) -> None:
    res = submit(yclient, website="http://spam.example")
    assert res.status_code == 200 and "sudah kami terima" in res.get_data(as_text=True)
    assert count_requests() == 0


def test_same_form_twice_makes_one_request(yclient: FlaskClient) -> None:
    first = submit(yclient)
    second = submit(yclient, rt="003", phone="+62 812 3456 7890")  # same after normalising
    assert first.headers["Location"] == second.headers["Location"]
    assert count_requests() == 1


def test_unknown_receipt_is_404(yclient: FlaskClient) -> None:
    assert yclient.get("/layanan/terima/JB-4HXR-9TU").status_code == 404


def test_status_right_and_wrong_digits(yclient: FlaskClient) -> None:
    code = submit(yclient).headers["Location"].rsplit("/", 1)[1]
    ok = yclient.post("/layanan/status", data={"kode": code.lower(), "hp4": "7890"})
    page = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "Diterima, menunggu verifikasi" in page
    assert "Siti" not in page and nik_for() not in page and "7890" not in page
    wrong = yclient.post("/layanan/status", data={"kode": code, "hp4": "1234"})
    unknown = yclient.post("/layanan/status", data={"kode": "JB-4HXR-9TU", "hp4": "7890"})
    assert wrong.status_code == unknown.status_code == 404
    assert "tidak cocok" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True) == unknown.get_data(as_text=True).replace(
        "JB-4HXR-9TU", code
    )
    bad = yclient.post("/layanan/status", data={"kode": "halo", "hp4": "12"})
    assert bad.status_code == 400 and "Kode tidak dikenali" in bad.get_data(as_text=True)


def test_status_shows_date_and_window_once_scheduled(yclient: FlaskClient) -> None:
    code = submit(yclient).headers["Location"].rsplit("/", 1)[1]
    session = get_session()
    req = session.scalar(select(models.ServiceRequest))
    assert req is not None
    schedule_visit(session, req, day=dt.date(2026, 11, 25), arrival=dt.time(10, 10))
    session.commit()
    page = yclient.post("/layanan/status", data={"kode": code, "hp4": "7890"}).get_data(
        as_text=True
    )
    assert "Terjadwal" in page and "Rabu, 25 November 2026" in page
    assert "antara pukul 09.30 dan 11.00" in page
    assert "Kartu Keluarga (KK) asli" in page


def test_kelurahan_json_and_locate_hint(yclient: FlaskClient) -> None:
    kel = yclient.get("/layanan/wilayah/34.71.13.json").get_json()
    assert {"code": SEMAKI, "name": "Semaki"} in kel
    assert yclient.get("/layanan/wilayah/99.99.99.json").status_code == 404
    row = get_session().scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert row is not None
    hint = yclient.post(
        "/layanan/peta/lokasi", data={"lon": row.rep_lon, "lat": row.rep_lat}
    ).get_json()
    assert hint["inside"] and hint["kelurahan_code"] == SEMAKI
    outside = yclient.post("/layanan/peta/lokasi", data={"lon": "110.2", "lat": "-7.7"})
    assert outside.get_json() == {"inside": False}
    assert yclient.post("/layanan/peta/lokasi", data={"lon": "x"}).status_code == 400
    geo = yclient.get("/layanan/peta/kelurahan.geojson").get_json()
    assert len(geo["features"]) == 45


@pytest.fixture
def strict_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """CSRF and rate limits on, as in production (2 posts a minute to keep the test short)."""
    return yogya_app(
        tmp_path,
        yogya_template,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        PUBLIC_FORM_RATE_LIMIT="2 per minute",
        STATUS_LOOKUP_RATE_LIMIT="2 per minute",
    )


def test_csrf_is_enforced(strict_app: Flask) -> None:
    with strict_app.app_context():
        client = strict_app.test_client()
        res = client.post("/layanan/", data=form_data())
        assert res.status_code == 400
        assert count_requests() == 0
        # What the resident typed survives a stale token; the page carries a fresh one.
        assert "kirim ulang" in res.get_data(as_text=True)
        assert 'value="Jl. Kenari Gg. Mawar No. 12"' in res.get_data(as_text=True)
        status = client.post("/layanan/status", data={"kode": "JB-4HXR-9TU", "hp4": "7890"})
        assert status.status_code == 400 and "kirim ulang" in status.get_data(as_text=True)
        page = client.get("/layanan/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        ok = client.post("/layanan/", data=form_data(csrf_token=token.group(1)))
        assert ok.status_code == 303 and count_requests() == 1


def test_rate_limit_answers_429(strict_app: Flask) -> None:
    strict_app.config["WTF_CSRF_ENABLED"] = False
    with strict_app.app_context():
        client = strict_app.test_client()
        status = [client.post("/layanan/status", data={"kode": "x", "hp4": "1"}) for _ in range(3)]
        assert [r.status_code for r in status] == [400, 400, 429]
        assert "Terlalu banyak" in status[-1].get_data(as_text=True)
        form = [client.post("/layanan/", data=form_data()).status_code for _ in range(3)]
        assert form == [303, 303, 429] and count_requests() == 1
        assert client.get("/layanan/").status_code == 200  # reading is never limited


def test_upload_too_large_is_413(yapp: Flask, yclient: FlaskClient) -> None:
    yapp.config["MAX_CONTENT_LENGTH"] = 1000
    res = yclient.post("/layanan/", data=form_data(description="x" * 5000))
    assert res.status_code == 413 and "terlalu besar" in res.get_data(as_text=True)


def test_no_office_yet_is_503(app: Flask, client: FlaskClient) -> None:
    assert client.get("/layanan/").status_code == 503
