"""Security headers and caching (issue 11, section 5): CSP with nonces, no framing, nosniff,
same-origin referrers, HSTS and Secure cookies only under HTTPS, no-store for personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from outreach.render.maps import add_nonce
from outreach.web.security import content_security_policy, https_enabled, tile_source
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]


@pytest.fixture
def app(tmp_path: Path, yogya_template: Path) -> Iterator[Flask]:
    app = yogya_app(tmp_path, yogya_template)
    yield app
    app.extensions["outreach_engine"].dispose()


def staff(app: Flask) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    assert res.status_code == 302
    return client


def policy(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_every_page_sends_the_security_headers(app: Flask) -> None:
    for client, path in ((app.test_client(), "/"), (staff(app), "/"), (app.test_client(), "/x")):
        res = client.get(path)
        assert res.headers["X-Frame-Options"] == "DENY"
        assert res.headers["X-Content-Type-Options"] == "nosniff"
        assert res.headers["Referrer-Policy"] == "same-origin"
        csp = policy(res.headers["Content-Security-Policy"])
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["default-src"] == ["'self'"]
        script = csp["script-src"]
        assert script[0] == "'self'" and len(script) == 2 and script[1].startswith("'nonce-")
        tiles = tile_source(app.config["MAP_TILES"])
        assert csp["img-src"] == ["'self'", "data:", "blob:", *([tiles] if tiles else [])]
        assert "'unsafe-inline'" not in csp["style-src-elem"]
        # Over plain http (tests, the demo): no HSTS and no Secure cookie.
        assert "Strict-Transport-Security" not in res.headers
        for cookie in res.headers.getlist("Set-Cookie"):
            assert "Secure" not in cookie


def test_every_inline_script_and_style_carries_the_request_nonce(app: Flask) -> None:
    client = staff(app)
    for path in ("/", "/koordinator/antrean", "/koordinator/"):
        res = client.get(path)
        assert res.status_code == 200, path
        nonce = re.search(r"'nonce-([^']+)'", res.headers["Content-Security-Policy"])
        assert nonce
        html = res.get_data(as_text=True)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            if " src=" in tag or 'type="application/json"' in tag:
                continue
            assert f'nonce="{nonce.group(1)}"' in tag, (path, tag)
    # A new request, a new nonce.
    first = client.get("/").headers["Content-Security-Policy"]
    assert client.get("/").headers["Content-Security-Policy"] != first


def test_the_tile_server_is_allowed(tmp_path: Path, yogya_template: Path) -> None:
    tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    app = yogya_app(tmp_path, yogya_template, MAP_TILES=tiles)
    try:
        csp = policy(app.test_client().get("/").headers["Content-Security-Policy"])
        assert "https://tile.openstreetmap.org" in csp["img-src"]
    finally:
        app.extensions["outreach_engine"].dispose()


def test_the_policy_follows_the_tile_server() -> None:
    assert tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert tile_source("https://{s}.tile.example.id/{z}/{x}/{y}.png") == (
        "https://*.tile.example.id"
    )
    assert tile_source("none") is None
    assert tile_source("/tiles/{z}/{x}/{y}.png") is None
    csp = content_security_policy({"MAP_TILES": "http://peta.kantor.local:8080/{z}/{x}/{y}.png"})
    assert "http://peta.kantor.local:8080" in csp["img-src"]
    assert content_security_policy({"MAP_TILES": "none"})["img-src"] == ["'self'", "data:", "blob:"]


def test_add_nonce_marks_inline_tags_only() -> None:
    html = '<script src="/a.js"></script><script>x()</script><STYLE>a{}</STYLE><script nonce="n">'
    out = add_nonce(html, "abc")
    assert out == (
        '<script src="/a.js"></script><script nonce="abc">x()</script>'
        '<STYLE nonce="abc">a{}</STYLE><script nonce="n">'
    )
    assert add_nonce(html, "") == html


def test_https_is_the_production_configuration(tmp_path: Path, yogya_template: Path) -> None:
    assert not https_enabled({})
    assert https_enabled({"PUBLIC_URL": "https://jemputbola.kotayogya.go.id"})
    assert https_enabled({"HTTPS": 1}) and https_enabled({"HTTPS": "true"})
    assert not https_enabled({"HTTPS": 0, "PUBLIC_URL": "https://x.id"})
    app = yogya_app(tmp_path, yogya_template, HTTPS=1)
    try:
        client = app.test_client()
        # Plain http is sent to https; behind the proxy, X-Forwarded-Proto counts.
        res = client.get("/auth/masuk")
        assert res.status_code == 302 and res.headers["Location"].startswith("https://")
        res = client.get("/auth/masuk", headers={"X-Forwarded-Proto": "https"})
        assert res.status_code == 200
        res = client.post(
            "/auth/masuk",
            data={"username": COORDINATOR[0], "password": COORDINATOR[1]},
            base_url="https://localhost",
        )
        assert res.status_code == 302
        assert "max-age=" in res.headers["Strict-Transport-Security"]
        cookie = res.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["outreach_engine"].dispose()


PUBLIC_DATA = {"/layanan/peta/kelurahan.geojson"}


def _get_routes(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments:
            continue
        if rule.endpoint in {"static", "assets.vendor", "main.roads_geojson"}:
            continue
        paths.append(rule.rule)
    return sorted(paths)


def test_signed_in_responses_are_never_stored(app: Flask) -> None:
    client = staff(app)
    checked = []
    for path in _get_routes(app):
        res = client.get(path)
        if res.status_code != 200:
            continue
        cache = res.headers.get("Cache-Control", "")
        if path in {"/lapangan/", "/lapangan/manifest.webmanifest", "/lapangan/sw.js"}:
            continue
        if path in PUBLIC_DATA:  # declared public by its view: counts per kelurahan only
            assert "public" in cache
            continue
        assert "no-store" in cache, (path, cache)
        checked.append(path)
        res.close()
    assert {"/", "/koordinator/antrean", "/peta/permohonan.geojson"} <= set(checked)
    # The request page (full NIK) too; an id URL, so outside the walk above.
    res = client.get("/koordinator/permohonan/baru")
    assert "no-store" in res.headers["Cache-Control"]


def test_files_and_public_data_stay_cacheable(app: Flask) -> None:
    client = staff(app)
    res = client.get("/static/app.css")
    assert "no-store" not in res.headers.get("Cache-Control", "")
    res.close()
    res = client.get("/vendor/leaflet/leaflet.js")
    assert "no-store" not in res.headers.get("Cache-Control", "")
    res.close()
    # The public form (nothing personal in it) is not touched for visitors.
    res = app.test_client().get("/layanan/")
    assert "no-store" not in res.headers.get("Cache-Control", "")


def test_the_field_page_keeps_its_offline_copy(app: Flask) -> None:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    assert res.status_code == 302
    res = client.get("/lapangan/")
    # The team lead without a team sees an explanation; the page itself is what matters.
    assert res.headers["Cache-Control"] == "private, no-cache"
