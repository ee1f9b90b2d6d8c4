"""Text people type (a team's name) shows as text in map tooltips: it never runs as script."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

EVIL = '<img src=x onerror="window.__xss=1">Tim Mawar'


@pytest.fixture
def field_app(tmp_path: Path, yogya_template: Path) -> tuple[Flask, FieldDay]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        team = session.scalar(select(models.Team).where(models.Team.name == "Tim Mawar"))
        assert team is not None
        team.name = EVIL
        session.commit()
    return app, day


@pytest.fixture
def live_app(field_app: tuple[Flask, FieldDay]) -> Flask:
    return field_app[0]


def test_a_team_name_with_html_shows_as_text(
    live_server: str, field_app: tuple[Flask, FieldDay], browser: Any
) -> None:
    _, day = field_app
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server + "/auth/masuk")
        page.fill("input[name=username]", COORDINATOR[0])
        page.fill("input[name=password]", COORDINATOR[1])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server}/rencana/{day.plan_id}")
        page.wait_for_selector(".jb-stop-icon")
        # Open every stop's and route's tooltip, as a coordinator's mouse would.
        page.evaluate(
            """() => document.querySelectorAll('.jb-stop-icon, path.leaflet-interactive')
                .forEach(el => el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))"""
        )
        page.wait_for_selector(".leaflet-tooltip")
        texts = page.eval_on_selector_all(".leaflet-tooltip", "els => els.map(e => e.textContent)")
        assert any('<img src=x onerror="window.__xss=1">Tim Mawar' in t for t in texts)
        assert page.evaluate("window.__xss") is None
        assert page.locator(".leaflet-tooltip img").count() == 0
    finally:
        context.close()


def test_a_team_name_with_html_shows_as_text_on_the_home_map(
    live_server: str, field_app: tuple[Flask, FieldDay], browser: Any
) -> None:
    app, _ = field_app
    with app.app_context():
        session = get_session()
        # The home map offers route days from today on: move the field day ahead.
        for route in session.scalars(select(models.Route)):
            route.route_date = dt.date.today() + dt.timedelta(days=7)
        session.commit()
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server + "/auth/masuk")
        page.fill("input[name=username]", COORDINATOR[0])
        page.fill("input[name=password]", COORDINATOR[1])
        page.click("button[type=submit]")
        page.wait_for_selector(".folium-map[data-ready='1']", state="attached")
        page.wait_for_selector(".jb-stop-icon")
        page.evaluate(
            """() => document.querySelectorAll('.jb-stop-icon, path.leaflet-interactive')
                .forEach(el => el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))"""
        )
        page.wait_for_selector(".leaflet-tooltip")
        texts = page.eval_on_selector_all(".leaflet-tooltip", "els => els.map(e => e.textContent)")
        assert any(EVIL in t for t in texts)
        # The team filter and the legend show the name as text too.
        options = page.eval_on_selector_all(
            "select[data-filter=team] option", "els => els.map(e => e.textContent)"
        )
        assert EVIL in options
        assert EVIL in page.locator(".jb-staff-legend").inner_text()
        assert page.evaluate("window.__xss") is None
        assert page.locator(".leaflet-tooltip img, .jb-staff-legend img").count() == 0
    finally:
        context.close()
