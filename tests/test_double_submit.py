"""The same form sent twice at the same moment makes one request (issue 9, section 4).

A double tap or a retried POST carries the form's one-time key (hidden field ``kunci``); the key
is stored in a unique column, so of two racing inserts only one commits and the other is
answered with the first one's page. Run against a real SQLite file in WAL mode with threads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.intake.services import make_submission_key, read_submission_key
from tests.conftest import sqlite_only
from tests.intake.yogya import COORDINATOR, form_data, yogya_app
from tests.web.conftest import yogya_template

__all__ = ["yogya_template"]
TRIES = 20


@pytest.fixture
def file_app(tmp_path: Path, yogya_template: Path) -> Any:
    app = yogya_app(tmp_path, yogya_template)
    yield app
    app.extensions["outreach_engine"].dispose()


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    assert res.status_code == 302
    return client


def _race(clients: list[FlaskClient], url: str, data: dict[str, Any]) -> list[Any]:
    """POST ``data`` from every client at once (a barrier releases the threads together)."""
    barrier = threading.Barrier(len(clients))
    results: list[Any] = [None] * len(clients)

    def post(i: int) -> None:
        barrier.wait()
        res = clients[i].post(url, data=data)
        results[i] = (res.status_code, res.headers.get("Location", ""))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _count(app: Flask, key: str) -> int:
    with app.app_context():
        n = get_session().scalar(
            select(func.count(models.ServiceRequest.id)).where(
                models.ServiceRequest.submission_key == key
            )
        )
        return int(n or 0)


def _total(app: Flask) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count(models.ServiceRequest.id))) or 0)


@sqlite_only
def test_journal_is_wal(file_app: Flask) -> None:
    with file_app.app_context():
        mode = get_session().connection().exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"


def test_submission_key_shape() -> None:
    key = make_submission_key()
    assert read_submission_key(key) == key
    assert read_submission_key("") is None
    assert read_submission_key("x" * 65) is None
    assert read_submission_key("kunci'; drop table--") is None


def test_staff_form_sent_twice_at_once_makes_one_request(file_app: Flask) -> None:
    clients = [_signed_in(file_app), _signed_in(file_app)]
    before = _total(file_app)
    for i in range(TRIES):
        key = make_submission_key()
        # A different resident each try, so only the key (not the 24-hour hash) can dedupe.
        data = form_data(person_name=f"Siti {'ABCDEFGHIJKLMNOPQRSTU'[i]}ulyani", kunci=key)
        results = _race(clients, "/koordinator/permohonan/baru", data)
        assert [code for code, _ in results] == [303, 303], results
        assert len({loc for _, loc in results}) == 1, results  # both see the same request
        assert _count(file_app, key) == 1
    assert _total(file_app) == before + TRIES


def test_public_form_sent_twice_at_once_makes_one_request(file_app: Flask) -> None:
    clients = [file_app.test_client(), file_app.test_client()]
    for i in range(TRIES):
        key = make_submission_key()
        data = form_data(person_name=f"Siti {'ABCDEFGHIJKLMNOPQRSTU'[i]}ulyani", kunci=key)
        results = _race(clients, "/layanan/", data)
        assert [code for code, _ in results] == [303, 303], results
        assert len({loc for _, loc in results}) == 1, results
        assert _count(file_app, key) == 1, f"try {i}: the public view must pass submission_key"


def test_retried_post_answers_with_the_first_request(file_app: Flask) -> None:
    client = _signed_in(file_app)
    key = make_submission_key()
    data = form_data(kunci=key)
    first = client.post("/koordinator/permohonan/baru", data=data)
    again = client.post("/koordinator/permohonan/baru", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(file_app, key) == 1


def test_form_pages_carry_a_fresh_key(file_app: Flask) -> None:
    client = _signed_in(file_app)
    with file_app.test_request_context():
        from flask import render_template_string

        one = render_template_string("{{ submission_key }}")
        two = render_template_string("{{ submission_key }}")
    assert read_submission_key(one) and read_submission_key(two) and one != two
    # A form shown again after an error keeps the key it was sent with.
    key = make_submission_key()
    with file_app.test_request_context("/", method="POST", data={"kunci": key}):
        from flask import render_template_string

        assert render_template_string("{{ submission_key }}") == key
    assert client.get("/koordinator/permohonan/baru").status_code == 200
