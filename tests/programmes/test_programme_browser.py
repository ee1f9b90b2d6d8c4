"""The programme pages in real Chromium, desktop and phone (screenshots to /tmp/shots)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from outreach.db import get_session
from outreach.demo.programmes import seed_demo_programme
from tests.browser.conftest import local_context
from tests.intake.yogya import COORDINATOR, yogya_app
from tests.programmes.programme_helpers import office_of, teams

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """A Yogyakarta office with two teams and the demo's schools and programme."""
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        teams(session, "Tim 1", "Tim 2")
        made = seed_demo_programme(session, office_of(session), today=dt.date(2026, 11, 30))
        made.programme.closed_ranges = [
            {"start": "2026-12-14", "end": "2026-12-31", "label": "Libur semester ganjil"}
        ]
        session.commit()
    return app


def _signed_in(browser: Any, live_server: str, **opts: Any) -> Iterator[Any]:
    context = local_context(browser, **opts)
    try:
        page = context.new_page()
        page.goto(live_server + "/auth/masuk")
        page.fill("input[name=username]", COORDINATOR[0])
        page.fill("input[name=password]", COORDINATOR[1])
        page.click("button[type=submit]")
        yield page
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 400, "height": 800})],
)
def test_pages_desktop_and_phone(
    browser: Any, live_server: str, name: str, viewport: dict[str, int]
) -> None:
    SHOTS.mkdir(exist_ok=True)
    for page in _signed_in(browser, live_server, viewport=viewport, is_mobile=name == "phone"):
        page.goto(live_server + "/program")
        assert page.locator("#tabel-program").is_visible()
        assert "Sekolah setiap Rabu" in page.inner_text("#tabel-program")
        page.screenshot(path=str(SHOTS / f"prog-index-{name}.png"), full_page=True)
        with page.expect_navigation():
            page.click("#tabel-program a")
        assert page.locator("#tabel-kunjungan tbody tr").count() == 3
        page.screenshot(path=str(SHOTS / f"prog-detail-{name}.png"), full_page=True)
        # A bad form comes back with its message, nothing lost.
        page.goto(live_server + "/program/baru")
        page.fill("input[name=name]", "Kelurahan Sabtu dan Minggu")
        with page.expect_navigation():
            page.click("form.form button[type=submit]")
        assert "Pilih paling sedikit satu hari program." in page.inner_text("#galat")
        assert page.input_value("input[name=name]") == "Kelurahan Sabtu dan Minggu"
        page.screenshot(path=str(SHOTS / f"prog-form-{name}.png"), full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1
