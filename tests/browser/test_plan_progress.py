"""The coordinator's plan page follows the field in real Chromium: an outcome recorded while
the page is open shows within 10 s, without a reload (outreach/static/progress.js)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.visits import OutcomeInput, record_outcome
from tests.browser.conftest import local_context
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def field_app(tmp_path: Path, yogya_template: Path) -> tuple[Flask, FieldDay]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        day = build_field_day(get_session(), travel_for(app))
    return app, day


@pytest.fixture
def live_app(field_app: tuple[Flask, FieldDay]) -> Flask:
    """The harness's live server serves the approved field day."""
    return field_app[0]


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """A coordinator's desktop browser (1280x900); nothing may leave the machine."""
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _record(app: Flask, day: FieldDay, outcome: str, index: int = 0) -> tuple[int, int, int]:
    """Record an outcome on the first route's stop ``index`` as its team lead would."""
    with app.app_context():
        session = get_session()
        route = session.scalar(
            select(models.Route)
            .where(models.Route.plan_id == day.plan_id)
            .order_by(models.Route.id)
        )
        assert route is not None
        stop = route.stops[index]
        data = OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome=outcome)
        record_outcome(session, data, team_id=route.team_id, user_id=None)
        session.commit()
        return route.id, stop.id, len(route.stops)


def test_plan_page_shows_a_field_outcome_without_reload(
    live_server: str, live_app: Flask, field_app: tuple[Flask, FieldDay], desktop: Any
) -> None:
    _, day = field_app
    page = desktop
    page.goto(live_server + "/auth/masuk")
    page.fill("input[name=username]", COORDINATOR[0])
    page.fill("input[name=password]", COORDINATOR[1])
    page.click("button[type=submit]")
    page.goto(f"{live_server}/rencana/{day.plan_id}")
    page.evaluate("window.__sameDocument = true")

    route_id, stop_id, planned = _record(live_app, day, "selesai")
    cell = page.locator(f'[data-stop-outcome="{stop_id}"] .badge')
    cell.wait_for(timeout=10_000)
    assert cell.inner_text().strip().endswith("Selesai")
    progress = page.locator(f'[data-route-progress="{route_id}"] [data-route-text]')
    assert progress.inner_text() == f"dikunjungi 1 / {planned}"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    # A second outcome of another kind shows too, with its label (not colour alone).
    _, second, _ = _record(live_app, day, "tidak_di_rumah", index=1)
    page.wait_for_function(
        'id => (document.querySelector(`[data-stop-outcome="${id}"]`) || {}).textContent'
        "?.includes('Tidak di rumah')",
        arg=second,
        timeout=10_000,
    )
    assert progress.inner_text() == f"dikunjungi 2 / {planned}"
    assert "terakhir pukul" in page.locator("[data-progress-status]").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(f"#rute-{route_id}").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "coord-plan-live.png"))
