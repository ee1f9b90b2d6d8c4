"""Issue 9, section 6: rate limits behind reverse proxies and carrier-grade NAT.

Limits protect without locking residents out: addresses are read through ProxyFix
(OUTREACH_TRUSTED_PROXIES), the per-address ceiling is high enough for a whole CGNAT address,
accepted submissions are limited per phone number and per NIK (under a keyed hash, never the
number), a form that fails validation costs nothing, failed status lookups always count, and a
429 shows the form again with everything typed and when to try again.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import config as config_module
from outreach import models
from outreach.db import get_session
from outreach.extensions import limiter
from tests.intake.yogya import form_data, nik_for, yogya_app, yogya_template

__all__ = ["yogya_template"]

PROXY = "10.0.0.2"  # the reverse proxy every request arrives from
CGNAT = "100.64.7.9"  # one carrier-grade NAT address shared by many phones


def limited_app(tmp_path: Path, template: Path, **overrides: Any) -> Flask:
    return yogya_app(tmp_path, template, RATELIMIT_ENABLED=True, **overrides)


@pytest.fixture
def app_factory(tmp_path: Path, yogya_template: Path) -> Iterator[Any]:
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = limited_app(tmp_path, yogya_template, **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["outreach_engine"].dispose()


def resident(i: int, **changes: Any) -> dict[str, Any]:
    """Resident number ``i``: their own name, NIK and phone number."""
    data = form_data(
        person_name=f"Warga {chr(65 + i % 26)}{chr(65 + i // 26)}",
        nik=nik_for(serial=i + 1),
        phone=f"0812 3456 {7000 + i}",
        applicant_relation="diri_sendiri",
        applicant_name="",
    )
    data.update(changes)
    return data


def post_form(client: FlaskClient, data: dict[str, Any], *, addr: str, xff: str = "") -> Any:
    headers = {"X-Forwarded-For": xff} if xff else {}
    return client.post("/layanan/", data=data, headers=headers, environ_base={"REMOTE_ADDR": addr})


def count_requests() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.ServiceRequest)) or 0)


def test_twelve_residents_behind_one_proxy_each_get_their_own_limit(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_TRUSTED_PROXIES", "1")
    app = app_factory(PUBLIC_FORM_RATE_LIMIT="1 per minute")
    assert app.config["TRUSTED_PROXIES"] == 1
    with app.app_context():
        client = app.test_client()
        codes = [
            post_form(client, resident(i), addr=PROXY, xff=f"203.0.113.{i + 1}").status_code
            for i in range(12)
        ]
        assert codes == [303] * 12 and count_requests() == 12
        # Each one's own limit: the first resident's second request is refused, nobody else's.
        again = post_form(client, resident(20), addr=PROXY, xff="203.0.113.1")
        assert again.status_code == 429
        # A forged extra hop in front of the real one does not buy a new address.
        forged = post_form(client, resident(21), addr=PROXY, xff="198.51.100.9, 203.0.113.2")
        assert forged.status_code == 429


def test_without_trusted_proxies_everyone_behind_the_proxy_shares_one_address(
    app_factory: Any,
) -> None:
    app = app_factory(PUBLIC_FORM_RATE_LIMIT="1 per minute")
    assert app.config["TRUSTED_PROXIES"] == 0  # the default: X-Forwarded-For is ignored
    with app.app_context():
        client = app.test_client()
        first = post_form(client, resident(0), addr=PROXY, xff="203.0.113.1")
        second = post_form(client, resident(1), addr=PROXY, xff="203.0.113.2")
        assert (first.status_code, second.status_code) == (303, 429)


def test_fifty_residents_behind_one_cgnat_address_within_a_minute(app_factory: Any) -> None:
    app = app_factory()  # the default limits, as deployed
    with app.app_context():
        client = app.test_client()
        started = time.monotonic()
        codes = [post_form(client, resident(i), addr=CGNAT).status_code for i in range(50)]
        assert time.monotonic() - started < 60
        assert codes == [303] * 50 and count_requests() == 50


def test_same_phone_a_fourth_time_in_a_day_is_refused_with_the_form(app_factory: Any) -> None:
    app = app_factory()
    with app.app_context():
        client = app.test_client()
        phone = "0813 9000 1234"
        for i in range(3):  # three different people reached through one family phone
            res = post_form(client, resident(i, phone=phone), addr=f"198.51.100.{i + 1}")
            assert res.status_code == 303
        fourth = post_form(
            client,
            resident(3, phone=phone, address_street="Jl. Melati 4"),
            addr="198.51.100.50",
        )
        page = fourth.get_data(as_text=True)
        assert fourth.status_code == 429 and count_requests() == 3
        # Everything typed is still there, and the resident is told when to try again.
        assert 'value="Jl. Melati 4"' in page and 'value="0813 9000 1234"' in page
        assert "Coba lagi dalam" in page and "jam" in page
        assert 0 < int(fourth.headers["Retry-After"]) <= 24 * 3600
        assert 'id="f-kirim"' in page  # the form, not an error page
        # The third one sent again (a retry after a lost answer) still gets its receipt.
        retry = post_form(client, resident(2, phone=phone), addr="198.51.100.3")
        assert retry.status_code == 303 and count_requests() == 3

        # The same NIK with another phone each time: also three a day.
        nik = nik_for(serial=77)
        codes = [
            post_form(client, resident(10 + i, nik=nik), addr=f"198.51.100.{60 + i}").status_code
            for i in range(4)
        ]
        assert codes == [303, 303, 303, 429]

        # Neither number appears in any counter's key: keyed hashes only.
        keys = " ".join(str(k) for k in limiter.storage.storage)  # type: ignore[attr-defined]
        for secret in ("9000", "1234", nik, nik[:6] + nik[-4:]):
            assert secret not in keys


def test_a_form_that_fails_validation_does_not_count(app_factory: Any) -> None:
    app = app_factory(PUBLIC_FORM_RATE_LIMIT="2 per minute", PUBLIC_CONTACT_RATE_LIMIT="1 per day")
    with app.app_context():
        client = app.test_client()
        for _ in range(5):  # forgot consent, five times
            res = post_form(client, resident(0, consent=None), addr=CGNAT)
            assert res.status_code == 400
        # Neither the address's nor the phone's submission was used up.
        assert post_form(client, resident(0), addr=CGNAT).status_code == 303
        assert post_form(client, resident(1), addr=CGNAT).status_code == 303
        third = post_form(client, resident(2), addr=CGNAT)
        assert third.status_code == 429
        assert "Coba lagi dalam 1 menit" in third.get_data(as_text=True)
        assert 'value="Jl. Kenari Gg. Mawar No. 12"' in third.get_data(as_text=True)


def test_every_post_has_a_flood_ceiling(app_factory: Any) -> None:
    """Invalid forms cost nothing against the submission limit but still meet a ceiling."""
    app = app_factory(PUBLIC_POST_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [
            post_form(client, resident(0, consent=None), addr=CGNAT).status_code for _ in range(4)
        ]
        assert codes == [400, 400, 400, 429]


def test_failed_status_lookups_always_count(app_factory: Any) -> None:
    app = app_factory(STATUS_LOOKUP_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        res = post_form(client, resident(0), addr="192.0.2.1")
        code = res.headers["Location"].rsplit("/", 1)[1]

        def lookup(hp4: str, kode: str = code, addr: str = CGNAT) -> Any:
            return client.post(
                "/layanan/status",
                data={"kode": kode, "hp4": hp4},
                environ_base={"REMOTE_ADDR": addr},
            )

        assert [lookup("7000").status_code for _ in range(4)] == [200] * 4  # right: free
        assert [lookup(f"{n:04d}").status_code for n in range(3)] == [404, 404, 404]
        refused = lookup("7000")  # even the right digits now wait
        assert refused.status_code == 429
        assert "Coba lagi dalam 1 menit" in refused.get_data(as_text=True)
        assert int(refused.headers["Retry-After"]) <= 60
        # Malformed lookups are guesses too.
        assert lookup("12", kode="JB-XXXX", addr="192.0.2.77").status_code == 400


def test_failed_lookups_of_one_code_count_from_every_address(app_factory: Any) -> None:
    app = app_factory(STATUS_CODE_RATE_LIMIT="2 per day")
    with app.app_context():
        client = app.test_client()
        code = post_form(client, resident(0), addr="192.0.2.1").headers["Location"][-11:]
        codes = [
            client.post(
                "/layanan/status",
                data={"kode": code, "hp4": f"{n:04d}"},
                environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
            ).status_code
            for n in range(3)
        ]
        assert codes == [404, 404, 429]


def test_limits_off_in_tests_by_default(yclient: FlaskClient) -> None:
    """RATELIMIT_ENABLED=False switches the per-contact counters off too (no storage)."""
    for i in range(5):
        assert (
            post_form(yclient, resident(i, phone="0813 9000 1234"), addr=CGNAT).status_code == 303
        )


def test_deployment_settings() -> None:
    cfg: dict[str, Any] = {"REDIS_URL": "redis://127.0.0.1:6390/0", "TRUSTED_PROXIES": "2"}
    config_module.apply_deployment(cfg)
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6390/0"
    assert cfg["TRUSTED_PROXIES"] == 2
    plain: dict[str, Any] = {"RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": ""}
    config_module.apply_deployment(plain)
    assert plain["RATELIMIT_STORAGE_URI"] == "memory://" and plain["TRUSTED_PROXIES"] == 0
    for bad in ("-1", "lots", 11):
        with pytest.raises(ValueError, match="OUTREACH_TRUSTED_PROXIES"):
            config_module.apply_deployment({"TRUSTED_PROXIES": bad})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip(
            "redis-server is not installed (the Makefile installs it): shared limits untested"
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip(
            "the redis Python client is not installed (limits[redis]): shared limits untested"
        )
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_two_app_instances_share_limits_through_redis(
    tmp_path: Path, yogya_template: Path, redis_url: str
) -> None:
    """Two workers (two apps) on one Redis: the second sees what the first counted."""
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    settings = {"REDIS_URL": redis_url, "PUBLIC_FORM_RATE_LIMIT": "1 per minute"}
    one = limited_app(first_dir, yogya_template, **settings)
    two = limited_app(second_dir, yogya_template, **settings)
    assert two.config["RATELIMIT_STORAGE_URI"] == redis_url
    with one.app_context():
        assert post_form(one.test_client(), resident(0), addr=CGNAT).status_code == 303
    with two.app_context():
        assert post_form(two.test_client(), resident(1), addr=CGNAT).status_code == 429
    for app in (one, two):
        app.extensions["outreach_engine"].dispose()


def test_guessed_receipt_codes_count_and_are_refused(app_factory: Any) -> None:
    app = app_factory(STATUS_LOOKUP_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        res = post_form(client, resident(0), addr="192.0.2.1")
        receipt = res.headers["Location"]

        def visit(path: str, addr: str = CGNAT) -> Any:
            return client.get(path, environ_base={"REMOTE_ADDR": addr})

        # The real receipt shows nothing personal and does not use up the limit.
        for _ in range(5):
            page = visit(receipt)
            assert page.status_code == 200
            assert resident(0)["person_name"] not in page.get_data(as_text=True)
        statuses = [visit(f"/layanan/terima/JB-AAAA-AA{c}").status_code for c in "23456"]
        assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429]
        assert visit("/layanan/terima/JB-AAAA-AA7", addr="198.51.100.7").status_code == 404
