"""Editing a draft in real Chromium: a stop moved between teams shows on both routes.

The coordinator opens a draft (Tuesday + Wednesday after the approved field day), opens the
"Ubah" of a stop, picks the other team and presses "Pindahkan": the stop is gone from the first
team's table, is in the other team's table, and its numbered marker on the plan map has the
new team's colour. Screenshots (desktop 1280x900, phone 400x800) go to /tmp/shots.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from outreach import models
from outreach.db import get_session
from outreach.render.style import team_color
from tests.browser.conftest import local_context
from tests.field_day import travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template
from tests.planning.test_plan_edits import Draft, make_draft

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def draft_app(tmp_path: Path, yogya_template: Path) -> tuple[Flask, Draft]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        draft = make_draft(get_session(), travel_for(app))
    return app, draft


@pytest.fixture
def live_app(draft_app: tuple[Flask, Draft]) -> Flask:
    return draft_app[0]


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


def _sign_in(page: Any, base: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", COORDINATOR[0])
    page.fill("input[name=password]", COORDINATOR[1])
    page.click("button[type=submit]")


def test_moved_stop_shows_on_both_routes(
    live_server: str, draft_app: tuple[Flask, Draft], context: Any
) -> None:
    app, draft = draft_app
    with app.app_context():
        session = get_session()
        plan = session.get(models.Plan, draft.plan_id)
        assert plan is not None
        source = next(r for r in plan.routes if len(r.stops) >= 2)
        stop = source.stops[-1]
        code, source_id, day = stop.request.tracking_code, source.id, source.route_date
        target_team = next(t for t in draft.day.team_ids.values() if t != source.team_id)
        office = session.get(models.Office, plan.office_id)
        assert office is not None
        color = next(team_color(i) for i, t in enumerate(office.teams) if t.id == target_team)
        stop_id = stop.id
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server}/rencana/{draft.plan_id}")
    row = page.locator(f"#kunjungan-{stop_id}")
    row.locator("details.stop-edit > summary").click()
    form = row.locator("form[data-move-form]")
    form.locator("select[name=tim]").select_option(str(target_team))
    form.locator("select[name=hari]").select_option(day.isoformat())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "edit-move-open.png"))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "dipindah ke" in page.locator(".flash").first.inner_text()
    with app.app_context():
        session = get_session()
        moved = next(
            s
            for r in session.get(models.Plan, draft.plan_id).routes  # type: ignore[union-attr]
            for s in r.stops
            if s.request.tracking_code == code
        )
        target_id = moved.route_id
        assert moved.route.team_id == target_team
    # Gone from the first team's table, present in the other's.
    old_table = page.locator(f"#rute-{source_id} + .table-scroll table")
    new_table = page.locator(f"#rute-{target_id} + .table-scroll table")
    assert code not in old_table.inner_text()
    assert code in new_table.inner_text()
    # On the map: the stop's numbered marker has the new team's colour.
    marker = page.locator(f'[data-stop-marker="{moved.id}"]')
    marker.wait_for(state="attached", timeout=5000)
    style = marker.get_attribute("style") or ""
    assert color.lower() in style.lower()
    page.screenshot(path=str(SHOTS / "edit-moved-desktop.png"), full_page=False)
    phone = local_context(context.browser, viewport={"width": 400, "height": 800})
    try:
        small = phone.new_page()
        _sign_in(small, live_server)
        small.goto(f"{live_server}/rencana/{draft.plan_id}#rute-{target_id}")
        small.locator(
            f"#rute-{target_id} + .table-scroll details.stop-edit > summary"
        ).first.click()
        small.screenshot(path=str(SHOTS / "edit-moved-phone.png"))
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 420, width
    finally:
        phone.close()
