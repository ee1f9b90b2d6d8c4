"""The coordinator's dashboard in real Chromium: the two charts draw with their bars, the
numbers behind them are one click away, and the page fits a 400x800 phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """A Yogyakarta office with a field day (teams, requests, an approved plan)."""
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        build_field_day(get_session(), travel_for(app))
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


@pytest.fixture
def desktop(browser: Any, live_server: str) -> Iterator[Any]:
    yield from _signed_in(browser, live_server, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    yield from _signed_in(
        browser, live_server, viewport={"width": 400, "height": 800}, is_mobile=True
    )


def test_dashboard_draws_its_charts_with_the_numbers_behind_them(
    live_server: str, desktop: Any
) -> None:
    page = desktop
    page.goto(live_server + "/koordinator/")
    for chart in ("#grafik-kecamatan", "#grafik-umur"):
        svg = page.locator(f"{chart} svg.chart")
        box = svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 20, chart
        # Bars are drawn with a real size, not just present in the markup.
        widths = page.eval_on_selector_all(
            f"{chart} svg rect", "rs => rs.map(r => r.getBBox().width * r.getBBox().height)"
        )
        assert widths and max(widths) > 10, chart
    # The numbers are one click away: the table opens under the chart.
    table = page.locator("#grafik-kecamatan details table")
    assert not table.is_visible()
    page.click("#grafik-kecamatan details summary")
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    link = rows.first.locator("a")
    href = link.get_attribute("href") or ""
    assert "kecamatan=" in href
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
    link.click()
    page.wait_for_url("**/koordinator/antrean**")


def test_dashboard_fits_a_phone(live_server: str, phone: Any) -> None:
    page = phone
    page.goto(live_server + "/koordinator/")
    page.locator("#grafik-umur svg.chart").scroll_into_view_if_needed()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1  # no sideways scrolling of the whole page
    box = page.locator("#grafik-kecamatan svg.chart").bounding_box()
    assert box is not None and box["width"] <= 400
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
