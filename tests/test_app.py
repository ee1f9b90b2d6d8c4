"""App factory, config layers, sign-in and privacy helpers."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from outreach import config as config_module
from outreach.privacy import mask_nik, mask_phone, redact


def test_environment_overrides_defaults() -> None:
    env = {
        "OUTREACH_DATABASE_URL": "postgresql://x/y",
        "OUTREACH_REGIONS_DIR": "/a:/b",
        "OUTREACH_PLANNING_SEED": "7",
        "OTHER": "1",
    }
    got = config_module.from_environment(env)
    assert got["DATABASE_URL"] == "postgresql://x/y" and got["PLANNING_SEED"] == 7
    # The user's folders first, then maps/ and ../shared/regions.
    assert got["REGIONS_DIRS"][:2] == ["/a", "/b"]
    assert got["REGIONS_DIRS"][2:] == config_module.defaults()["REGIONS_DIRS"]
    assert "OTHER" not in got


def test_masking_hides_the_middle() -> None:
    assert mask_nik("3471014507800003") == "347101********03"
    assert mask_phone("+6281234567890") == "+62812*****890"
    assert "3471014507800003" not in redact("nik 3471014507800003 hp 081234567890")
    assert "081234567890" not in redact("hp 081234567890")


def test_logs_never_carry_nik_or_phone(app, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        app.logger.info("request from %s with NIK %s", "081234567890", "3471014507800003")
    text = caplog.text
    assert "3471014507800003" not in text and "081234567890" not in text
    assert "[NIK]" in text


def test_access_log_lines_are_redacted(app, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    line = (
        '127.0.0.1 - - "GET /koordinator/antrean?q=3471014507800003&hp=%2B6281234567890 HTTP/1.1"'
    )
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info("%s", line)
    assert "3471014507800003" not in caplog.text and "6281234567890" not in caplog.text
    assert "/koordinator/antrean" in caplog.text


def test_tracebacks_are_redacted(app, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    try:
        raise ValueError("bad NIK 3471014507800003")
    except ValueError:
        app.logger.exception("failed")
    assert "3471014507800003" not in caplog.text and "[NIK]" in caplog.text


def test_sign_in_and_out(client: FlaskClient, runner: FlaskCliRunner) -> None:
    res = runner.invoke(
        args=["outreach", "create-user", "koord", "--password", "rahasia123"], input="rahasia123\n"
    )
    assert res.exit_code == 0, res.output
    bad = client.post("/auth/masuk", data={"username": "koord", "password": "salah"})
    assert bad.status_code == 401
    assert "salah" in bad.get_data(as_text=True)
    ok = client.post("/auth/masuk", data={"username": "koord", "password": "rahasia123"})
    assert ok.status_code == 302
    page = client.get("/")
    assert "Keluar" in page.get_data(as_text=True)


def test_sign_in_refuses_offsite_redirect(client: FlaskClient, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["outreach", "create-user", "k2", "--password", "rahasia123"])
    res = client.post(
        "/auth/masuk?next=https://evil.example/", data={"username": "k2", "password": "rahasia123"}
    )
    assert res.status_code == 302 and "evil" not in res.headers["Location"]


def test_unknown_page_is_indonesian_404(client: FlaskClient) -> None:
    res = client.get("/tidak-ada")
    assert res.status_code == 404 and "tidak ditemukan" in res.get_data(as_text=True)


def test_vendor_leaflet_is_served_locally(client: FlaskClient) -> None:
    with client.get("/vendor/leaflet/leaflet.js") as res:
        assert res.status_code == 200 and b"Leaflet" in res.data[:400]


def test_secret_key_is_made_once_and_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from outreach import create_app

    config = {"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    first = create_app(config).config["SECRET_KEY"]
    assert len(first) == 64
    assert create_app(config).config["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_missing_schema_is_a_503_that_says_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from outreach import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    res = app.test_client().get("/layanan/")
    assert res.status_code == 503
    assert "init-db" in res.get_data(as_text=True)
