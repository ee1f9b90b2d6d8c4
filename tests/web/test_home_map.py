"""Home page map: what visitors and staff see, local assets only, personal data masked."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from outreach.db import get_session
from outreach.render.maps import find_external_urls
from tests.conftest import make_test_app
from tests.render.sample_data import (
    NAMES,
    NIKS,
    PHONES,
    STAFF,
    add_sample_region,
    write_sample_pack,
)

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
CDN_HINTS = ("cdn", "jsdelivr", "cdnjs", "jquery.com", "bootstrapcdn", "unpkg", "googleapis")


@pytest.fixture
def sample_app(tmp_path: Path) -> Flask:
    app = make_test_app(tmp_path, CACHE_DIR=str(tmp_path / "cache"))
    with app.app_context():
        pack = write_sample_pack(tmp_path / "kota-contoh")
        add_sample_region(get_session(), pack, cache_dir=tmp_path / "cache")
        get_session().commit()
    return app


@pytest.fixture
def visitor(sample_app: Flask) -> FlaskClient:
    return sample_app.test_client()


@pytest.fixture
def staff(sample_app: Flask) -> FlaskClient:
    client = sample_app.test_client()
    res = client.post("/auth/masuk", data={"username": STAFF[0], "password": STAFF[1]})
    assert res.status_code == 302
    return client


def _page(client: FlaskClient) -> str:
    res = client.get("/")
    assert res.status_code == 200
    return res.get_data(as_text=True)


def _assert_no_personal_numbers(html: str) -> None:
    for nik in NIKS:
        assert nik not in html
    for phone in PHONES:
        assert phone not in html
        assert phone.replace("+62", "0") not in html


def test_visitor_sees_landing_and_counts_but_no_resident(visitor: FlaskClient) -> None:
    html = _page(visitor)
    assert "Layanan jemput bola" in html
    assert "Permohonan aktif" in html
    assert "circleMarker" not in html
    for name in NAMES:
        assert name not in html
    assert "JB-AAAA-AA2" not in html
    _assert_no_personal_numbers(html)
    # Counts per kelurahan are in the outline layer: Karangwaru holds two requests.
    assert re.search(r'"jumlah": 2, [^}]*"nama": "Karangwaru"', html)


def test_staff_sees_markers_with_masked_numbers(staff: FlaskClient) -> None:
    assert staff.get("/").headers["Cache-Control"] == "private, no-store"
    html = _page(staff)
    # The page stays small: the requests come as GeoJSON fetched by the page.
    assert "L.circleMarker(" not in html and "JB-AAAA-AA2" not in html and NAMES[0] not in html
    assert "/peta/permohonan.geojson" in html
    _assert_no_personal_numbers(html)
    data = staff.get("/peta/permohonan.geojson")
    assert data.headers["Cache-Control"] == "private, no-store"
    text = data.get_data(as_text=True)
    assert text.count('"Feature"') == 3 and "JB-AAAA-AA2" in text
    assert NAMES[0] not in text  # initials only on the map
    _assert_no_personal_numbers(text)


def test_maps_load_only_local_assets(visitor: FlaskClient, staff: FlaskClient) -> None:
    for client in (visitor, staff):
        html = _page(client)
        assert '<script src="/vendor/leaflet/leaflet.js"></script>' in html
        assert 'href="/vendor/leaflet/leaflet.css"' in html
        assert find_external_urls(html) == []  # MAP_TILES is "none" in tests
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not any(hint in src for hint in CDN_HINTS), src
        # Written as JSON in the script: "\u00a9" is the copyright sign.
        assert '"\\u00a9 OpenStreetMap contributors"' in html
        assert "/peta/jalan.geojson" in html


def test_tile_url_is_the_only_outside_url(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, MAP_TILES=TILES, CACHE_DIR=str(tmp_path / "cache"))
    with app.app_context():
        pack = write_sample_pack(tmp_path / "kota-contoh", roads=False)
        add_sample_region(get_session(), pack, cache_dir=tmp_path / "cache")
        get_session().commit()
    html = app.test_client().get("/").get_data(as_text=True)
    assert TILES in html
    assert find_external_urls(html, allowed=[TILES]) == []
    assert "/peta/jalan.geojson" not in html  # this pack has no roads


def test_leaflet_is_served_by_the_app(visitor: FlaskClient) -> None:
    res = visitor.get("/vendor/leaflet/leaflet.js")
    assert res.status_code == 200
    assert b"Leaflet" in res.data[:2000]
    res.close()


def test_road_layer_is_cached_geojson(visitor: FlaskClient, sample_app: Flask) -> None:
    res = visitor.get("/peta/jalan.geojson")
    assert res.status_code == 200
    assert res.mimetype == "application/geo+json"
    assert "max-age=86400" in res.headers["Cache-Control"]
    data = json.loads(res.get_data())
    classes = {f["properties"]["kelas"] for f in data["features"]}
    assert classes == {"lokal", "utama"}
    assert "OpenStreetMap" in data["attribution"]
    etag = res.headers["ETag"]
    again = visitor.get("/peta/jalan.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304
    zipped = visitor.get("/peta/jalan.geojson", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == data
    cache = Path(sample_app.config["CACHE_DIR"])
    assert len(list(cache.glob("roads-*.geojson"))) == 1
    # The road layer was made from the graph the import cached, not from a second build.
    assert len(list(cache.glob("*.graph.pickle"))) == 1
    for r in (res, again, zipped):
        r.close()


def test_home_without_office_says_so(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Peta belum tersedia" in html
    assert client.get("/peta/jalan.geojson").status_code == 404
