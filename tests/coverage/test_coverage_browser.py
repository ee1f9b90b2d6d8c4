"""The coverage page in real Chromium: the choropleth draws every kelurahan from the app's own
Leaflet with no CSP error, the tables read on a phone; screenshots for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.coverage import create_sweeps
from outreach.db import get_session
from outreach.demo.coverage import import_demo_coverage
from outreach.web.mapping_data import office_today
from tests.browser.conftest import browser, live_server, local_context
from tests.field_day import travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["browser", "live_server", "yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """A Yogyakarta office with the demo's coverage file and five sweeps."""
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        office = session.scalar(select(models.Office))
        assert office is not None
        import_demo_coverage(session, office, today=office_today(office))
        create_sweeps(session, office, top=5, actor="test", travel=travel_for(app))  # type: ignore[arg-type]
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
def test_coverage_page_draws_the_choropleth(
    browser: Any, live_server: str, name: str, viewport: dict[str, int]
) -> None:
    errors: list[str] = []
    for page in _signed_in(browser, live_server, viewport=viewport, is_mobile=name == "phone"):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + "/cakupan")
        page.wait_for_function(
            "() => document.querySelectorAll('#peta-cakupan path.leaflet-interactive').length >= 45"
        )
        fills = page.eval_on_selector_all(
            "#peta-cakupan path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"
        )
        assert len(set(fills)) >= 3  # shaded by share, not one colour
        assert page.locator("#tabel-kelurahan tbody tr").count() == 45
        assert page.locator("#tabel-kecamatan tbody tr").count() == 14
        assert page.get_by_text("Penyisiran terbuka").count() == 1
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"page scrolls sideways: {width}px"
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"cov-{name}.png"), full_page=False)
        page.locator("#peta-cakupan").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"cov-{name}-map.png"), full_page=False)
        assert errors == []
