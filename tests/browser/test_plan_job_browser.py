"""Making a plan in real Chromium: the form leads to a progress page that follows the job
(outreach/static/job.js) and lands on the new draft without the user reloading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office import save_team
from outreach.planning.reasons import format_date
from tests.browser.conftest import local_context
from tests.intake.yogya import COORDINATOR, DEPOT, SEMAKI, yogya_app, yogya_template
from tests.job_wait import future_monday

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
MONDAY = future_monday()
JOB_PAGE = re.compile(r"/rencana/tugas/[0-9a-f]{32}$")
PLAN_PAGE = re.compile(r"/rencana/\d+$")


def _seed(session: Any, n: int = 90) -> None:
    """Two teams and ``n`` verified requests around the office: a few seconds of planning."""
    office = session.scalar(select(models.Office))
    for name in ("Tim Mawar", "Tim Melati"):
        save_team(session, office, name=name, skills=["perekaman_ktp", "cetak_ktp", "kia", "kk"])
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    for i in range(n):
        dx = ((i * 37) % 41 - 20) * 0.0012
        dy = ((i * 53) % 43 - 21) * 0.0011
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-B{i:03d}", office_id=office.id, category="lansia",
                services=["perekaman_ktp"], person_name=f"Warga Uji {i}",
                lon=DEPOT[0] + dx, lat=DEPOT[1] + dy,
                kelurahan_id=semaki.id if semaki else None, rt="1", rw="2",
                status="terverifikasi", location_source="map", location_confirmed=True,
            )
        )  # fmt: skip
    session.commit()


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        _seed(get_session())
    return app


@pytest.fixture(params=[(1280, 900), (400, 800)], ids=["desktop", "phone"])
def screen(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Any, str]]:
    width, height = request.param
    context = local_context(browser, viewport={"width": width, "height": height})
    try:
        yield context.new_page(), "desktop" if width > 600 else "phone"
    finally:
        context.close()


def test_form_shows_progress_then_the_new_plan(
    live_server: str, live_app: Flask, screen: tuple[Any, str]
) -> None:
    page, name = screen
    seen: list[tuple[str, int]] = []
    page.on("response", lambda r: seen.append((r.url, r.status)))
    page.goto(live_server + "/auth/masuk")
    page.fill("input[name=username]", COORDINATOR[0])
    page.fill("input[name=password]", COORDINATOR[1])
    page.click("button[type=submit]")
    page.goto(f"{live_server}/rencana/")
    page.fill("input[name=mulai]", MONDAY.isoformat())
    page.fill("input[name=hari]", "3")
    page.click(".plan-form button[type=submit]")

    page.wait_for_url(JOB_PAGE, timeout=15_000)
    bar = page.locator("progress.job-progress")
    bar.wait_for(timeout=5_000)
    assert page.locator("h1").inner_text().startswith("Rencana 3 hari kerja mulai")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lifecycle-job-{name}.png"), full_page=True)

    # Nobody reloads: the page follows the job and opens the draft by itself.
    # (A failed job stays on its page with the error: stop waiting then, and show it.)
    page.wait_for_function(
        "() => /\\/rencana\\/\\d+$/.test(location.pathname)"
        " || document.querySelector('.job-panel .flash-error') !== null",
        timeout=180_000,
    )
    assert PLAN_PAGE.search(page.url), page.locator("main").inner_text()
    page.wait_for_load_state("load")
    text = page.locator("main").inner_text()
    assert re.search(r"Draf rencana #\d+ dibuat\.", text)
    assert format_date(MONDAY) in text
    polls = [u for u, s in seen if u.endswith(".json") and "/rencana/tugas/" in u and s == 200]
    pages = [u for u, s in seen if JOB_PAGE.search(u) and s == 200]
    assert pages and polls, seen  # the progress page was shown and polled
    with live_app.app_context():
        plan = get_session().scalars(select(models.Plan)).one()
        assert page.url.endswith(f"/rencana/{plan.id}") and plan.status == "draft"
    page.screenshot(path=str(SHOTS / f"lifecycle-plan-{name}.png"))
