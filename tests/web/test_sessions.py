"""Sessions end on the server (sign-out, a new password, idle time); sign-in is throttled and
answers an unknown username with the same work as a wrong password (issue 11, section 4)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models, staff
from outreach.db import get_session
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]


def make_app(tmp_path: Path, template: Path, **overrides: Any) -> Flask:
    # No app context held across requests: each request loads its user afresh, as in real life.
    return yogya_app(tmp_path, template, **overrides)


@pytest.fixture
def app(tmp_path: Path, yogya_template: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, yogya_template)
    yield app
    app.extensions["outreach_engine"].dispose()


def sign_in(client: FlaskClient, username: str = COORDINATOR[0], password: str = COORDINATOR[1]):
    return client.post("/auth/masuk", data={"username": username, "password": password})


def signed_in(client: FlaskClient) -> bool:
    """True when the queue page opens (anonymous visitors are sent to sign in)."""
    res = client.get("/koordinator/antrean")
    return res.status_code == 200


def copy_session(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def events(app: Flask, action: str) -> list[models.AuditEvent]:
    with app.app_context():
        session = get_session()
        rows = list(
            session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == action))
        )
        session.expunge_all()
        return rows


def test_a_session_cookie_copied_before_sign_out_no_longer_works(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client).status_code == 302
    assert signed_in(client)
    thief = app.test_client()
    copy_session(client, thief)
    assert signed_in(thief)  # the copy works while the session lives
    res = client.post("/auth/keluar")
    assert res.status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)
    # Signing in again makes a new session; the stolen copy stays dead.
    assert sign_in(client).status_code == 302
    assert signed_in(client)
    assert not signed_in(thief)


def test_a_new_password_ends_every_session_of_the_account(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client).status_code == 302
    with app.app_context():
        session = get_session()
        user = session.scalar(select(models.User).where(models.User.username == COORDINATOR[0]))
        assert user is not None
        before = user.session_version
        staff.reset_password(session, user.id, "baru-sekali-99", actor_id=None)
        session.commit()
        assert user.session_version == before + 1
    assert not signed_in(client)
    assert sign_in(client, password="baru-sekali-99").status_code == 302
    assert signed_in(client)


def test_an_id_without_a_version_signs_nobody_in(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        user = session.scalar(select(models.User).where(models.User.username == COORDINATOR[0]))
        assert user is not None
        assert staff.user_for_token(session, str(user.id)) is None
        assert staff.user_for_token(session, f"{user.id}:x") is None
        assert staff.user_for_token(session, staff.session_token(user)) is user
        user.active = False
        assert staff.user_for_token(session, staff.session_token(user)) is None


def test_an_idle_session_expires_and_the_field_json_says_401(
    tmp_path: Path, yogya_template: Path
) -> None:
    app = make_app(tmp_path, yogya_template, SESSION_IDLE_MINUTES=0.04)  # 2.4 s
    try:
        assert app.permanent_session_lifetime.total_seconds() == pytest.approx(2.4)
        client = app.test_client()
        assert sign_in(client).status_code == 302
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.expires is not None  # a timed cookie
        # Requests within the idle time renew the session.
        for _ in range(3):
            time.sleep(1.0)
            assert signed_in(client)
        time.sleep(3.5)
        res = client.get("/koordinator/antrean")
        assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]
        res = client.get("/lapangan/sesi.json", headers={"Accept": "application/json"})
        assert res.status_code == 401 and res.is_json
        assert "Sesi habis" in res.get_json()["error"]
    finally:
        app.extensions["outreach_engine"].dispose()


def test_the_default_idle_timeout_is_an_hour(app: Flask) -> None:
    assert app.config["SESSION_IDLE_MINUTES"] == 60
    assert app.permanent_session_lifetime.total_seconds() == 3600


def test_sign_in_is_throttled_per_account(tmp_path: Path, yogya_template: Path) -> None:
    app = make_app(
        tmp_path,
        yogya_template,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT_ACCOUNT="3 per minute",
        LOGIN_RATE_LIMIT_ADDRESS="100 per minute",
    )
    try:
        client = app.test_client()
        for _ in range(3):
            assert sign_in(client, password="salah-salah").status_code == 401
        res = sign_in(client, password="salah-salah")
        assert res.status_code == 429
        page = res.get_data(as_text=True)
        assert "Terlalu banyak percobaan masuk" in page and 'name="username"' in page
        # The right password does not get through either while the account is throttled...
        assert sign_in(client).status_code == 429
        # ...nor another spelling of the same name; another account still signs in.
        assert sign_in(client, username="KOORDINATOR ", password="x").status_code == 429
        assert sign_in(client, username="ketua_tim", password="rahasia-123").status_code == 302
    finally:
        app.extensions["outreach_engine"].dispose()


def test_sign_in_is_throttled_per_address(tmp_path: Path, yogya_template: Path) -> None:
    app = make_app(
        tmp_path,
        yogya_template,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT_ACCOUNT="100 per minute",
        LOGIN_RATE_LIMIT_ADDRESS="4 per minute",
    )
    try:
        client = app.test_client()
        for i in range(4):
            assert sign_in(client, username=f"tebakan{i}", password="x").status_code == 401
        res = sign_in(client, username="tebakan9", password="x")
        assert res.status_code == 429
        assert "Terlalu banyak percobaan masuk" in res.get_data(as_text=True)
        # Another address is not affected.
        other = app.test_client()
        res = other.post(
            "/auth/masuk",
            data={"username": COORDINATOR[0], "password": COORDINATOR[1]},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        )
        assert res.status_code == 302
    finally:
        app.extensions["outreach_engine"].dispose()


def test_successful_sign_ins_do_not_use_up_the_account_limit(
    tmp_path: Path, yogya_template: Path
) -> None:
    app = make_app(
        tmp_path, yogya_template, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_ACCOUNT="2 per minute"
    )
    try:
        client = app.test_client()
        for _ in range(4):
            assert sign_in(client).status_code == 302
    finally:
        app.extensions["outreach_engine"].dispose()


def _timed(client: FlaskClient, username: str, password: str) -> float:
    start = time.perf_counter()
    res = sign_in(client, username, password)
    elapsed = time.perf_counter() - start
    assert res.status_code == 401
    return elapsed


def test_an_unknown_username_costs_what_a_wrong_password_costs(app: Flask) -> None:
    client = app.test_client()
    _timed(client, "belum-ada", "salah")  # warm-up (the dummy hash is made once)
    unknown, wrong = [], []
    for i in range(10):
        unknown.append(_timed(client, f"tidak-ada-{i}", "salah-salah"))
        wrong.append(_timed(client, COORDINATOR[0], "salah-salah"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (unknown, wrong)


def test_sign_ins_and_failures_are_audited_without_the_password(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client, password="rahasia-salah-1").status_code == 401
    assert sign_in(client, username="siapa", password="rahasia-salah-2").status_code == 401
    assert sign_in(client).status_code == 302
    failed = events(app, "auth.login_failed")
    assert [e.detail["username"] for e in failed] == [COORDINATOR[0], "siapa"]
    assert failed[0].entity_id is not None and failed[1].entity_id is None
    assert all(e.actor == "public" for e in failed)
    ok = events(app, "auth.login")
    assert len(ok) == 1 and ok[0].actor == f"user:{ok[0].entity_id}"
    for event in [*failed, *ok]:
        assert "rahasia" not in str(event.detail)
