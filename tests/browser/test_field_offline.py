"""The field page in a real headless Chromium on a 400x800 phone: a team lead records outcomes
with and without signal, reloads with no signal (the page comes from the service worker), and
the server ends up with each outcome exactly once; an expired session keeps the queue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.visits import OutcomeInput, record_outcome
from tests.field_day import PASSWORD, build_field_day, travel_for
from tests.intake.yogya import yogya_app, yogya_template
from tests.web.test_field import shift_plan_to, today_of

pytestmark = pytest.mark.browser
__all__ = ["yogya_template"]


class Recorder:
    """WSGI middleware that notes the paths the server was asked for."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.paths.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
        return self.app(environ, start_response)


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """CSRF on, as in production; the approved field day moved to today; requests recorded."""
    app = yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        shift_plan_to(session, day.plan_id, today_of(session))
        route = session.scalar(
            select(models.Route).where(models.Route.team_id == day.team_ids["Tim Mawar"])
        )
        assert route is not None and len(route.stops) >= 3
        app.config["TEST_STOP_IDS"] = [s.id for s in route.stops]
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    app.extensions["test_recorder"] = recorder
    return app


@pytest.fixture
def phone(browser: Any) -> Iterator[BrowserContext]:
    """A 400x800 phone context with service workers allowed (no request routing: Playwright's
    routing and service workers do not mix)."""
    context = browser.new_context(
        viewport={"width": 400, "height": 800}, locale="id-ID", service_workers="allow"
    )
    try:
        yield context
    finally:
        context.close()


def outcomes(app: Flask) -> list[models.VisitOutcome]:
    with app.app_context():
        session = get_session()
        rows = list(session.scalars(select(models.VisitOutcome).order_by(models.VisitOutcome.id)))
        session.expunge_all()
        return rows


def outcome_count(app: Flask) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count()).select_from(models.VisitOutcome)) or 0)


def wait_for_count(app: Flask, expected: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    count = outcome_count(app)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        count = outcome_count(app)
    assert count == expected


def sign_in(page: Page, base: str | None = None) -> None:
    if base is not None:
        page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", "ketua.mawar")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/lapangan/")


def wait_until_ready_offline(page: Page) -> None:
    """The script ran and the service worker holds the page and its files."""
    root = page.locator("#lapangan")
    expect(root).to_have_attribute("data-ready", "1")
    expect(root).to_have_attribute("data-offline-ready", "1", timeout=15000)


def record(page: Page, stop_id: int, label: str, fill: Callable[[Any], None] | None = None) -> None:
    card = page.locator(f'[data-stop="{stop_id}"]')
    card.get_by_text("Catat hasil").click()
    card.locator("label.opt", has_text=label).click()
    if fill is not None:
        fill(card)
    card.get_by_role("button", name="Simpan hasil").click()


def test_outcomes_recorded_offline_reach_the_server_once(
    live_server: str, live_app: Flask, phone: BrowserContext
) -> None:
    recorder: Recorder = live_app.extensions["test_recorder"]
    first, second, third = live_app.config["TEST_STOP_IDS"][:3]
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server)
    expect(page.locator("h1")).to_have_text("Tim Mawar")
    wait_until_ready_offline(page)

    # Online: sent at once.
    record(page, first, "Selesai")
    expect(page.locator(f'[data-stop="{first}"] .state')).to_have_text("Terkirim")
    wait_for_count(live_app, 1)

    # No signal: two more wait on the phone, with the count shown.
    phone.set_offline(True)
    expect(page.locator("[data-net]")).to_contain_text("Tanpa sinyal")
    asked = len(recorder.paths)
    record(page, second, "Tidak di rumah", lambda c: c.locator("textarea").fill("Rumah kosong"))

    def reschedule(card: Any) -> None:
        card.locator("input[name=reschedule_start]").fill("15:00")
        card.locator("input[name=reschedule_end]").fill("17:00")

    record(page, third, "Jadwal ulang", reschedule)
    unsent = page.locator("[data-unsent]")
    expect(unsent).to_have_text("2 hasil belum terkirim")
    expect(page.locator(f'[data-stop="{second}"] .state')).to_have_text(
        "Tersimpan di HP, menunggu dikirim"
    )

    # Reload with no signal: the service worker answers from its cache, the queue is still there.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Tim Mawar")
    expect(page.locator("#lapangan")).to_have_attribute("data-ready", "1")
    expect(unsent).to_have_text("2 hasil belum terkirim")
    expect(page.locator(f'[data-stop="{first}"] .state')).to_have_text("Terkirim")
    expect(page.locator(f'[data-stop="{third}"] .state')).to_have_text(
        "Tersimpan di HP, menunggu dikirim"
    )
    assert recorder.paths[asked:] == [], "the server was asked for something while offline"
    assert outcome_count(live_app) == 1

    # Signal again: the queue is sent (the `online` event), each outcome exactly once.
    phone.set_offline(False)
    wait_for_count(live_app, 3)
    expect(unsent).to_be_hidden()
    expect(page.locator(f'[data-stop="{third}"] .state')).to_have_text("Terkirim")
    page.reload()
    expect(page.locator("#lapangan")).to_have_attribute("data-ready", "1")
    page.locator("[data-send-now]").evaluate("b => b.click()")  # a resend does nothing new
    time.sleep(0.5)
    rows = outcomes(live_app)
    assert [(r.stop_id, r.outcome) for r in rows] == [
        (first, "selesai"),
        (second, "tidak_di_rumah"),
        (third, "jadwal_ulang"),
    ]
    assert rows[1].notes == "Rumah kosong"
    assert rows[2].reschedule == {"start": "15:00", "end": "17:00"}
    assert len({r.client_id for r in rows}) == 3
    assert errors == []


def _idb_count(page: Page, name: str) -> int:
    return int(
        page.evaluate(
            """name => new Promise((resolve) => {
                const req = indexedDB.open(name);
                req.onsuccess = () => {
                  const db = req.result;
                  if (!db.objectStoreNames.contains("hasil")) { db.close(); resolve(0); return; }
                  const r = db.transaction("hasil").objectStore("hasil").count();
                  r.onsuccess = () => { db.close(); resolve(r.result); };
                };
                req.onerror = () => resolve(-1);
            })""",
            name,
        )
    )


def test_expired_session_keeps_the_queue_until_the_lead_signs_in_again(
    live_server: str, live_app: Flask, phone: BrowserContext
) -> None:
    first, second = live_app.config["TEST_STOP_IDS"][:2]
    page = phone.new_page()
    sign_in(page, live_server)
    wait_until_ready_offline(page)

    phone.set_offline(True)
    record(page, first, "Menolak", lambda c: c.locator("textarea").fill("Tidak mau direkam"))
    expect(page.locator("[data-unsent]")).to_have_text("1 hasil belum terkirim")
    phone.clear_cookies()  # the session expired while the phone had no signal
    # The lead has scrolled down the route: the message must come to them, in the sticky bar.
    page.locator(".small-print").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0

    phone.set_offline(False)
    banner = page.locator("[data-session-expired]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Sesi habis, silakan masuk lagi")
    expect(banner).to_be_in_viewport(ratio=1)
    expect(banner.get_by_role("link", name="Masuk lagi")).to_be_in_viewport(ratio=1)
    expect(page.locator("[data-unsent]")).to_have_text("1 hasil belum terkirim")
    expect(page.locator("[data-unsent]")).to_be_in_viewport()
    expect(page.locator("[data-send-now]")).to_be_hidden()  # only signing in again helps
    assert outcome_count(live_app) == 0
    assert _idb_count(page, "jb-lapangan-antrean") == 1

    # Signing in again brings the lead back to the page, which sends the queue.
    banner.get_by_role("link", name="Masuk lagi").click()
    sign_in(page)
    wait_for_count(live_app, 1)
    expect(page.locator("[data-unsent]")).to_be_hidden()
    expect(page.locator("[data-session-expired]")).to_be_hidden()
    assert outcomes(live_app)[0].outcome == "menolak"

    # Signing out wipes the queue and the cached route from the phone (unsent ones after a
    # confirmation).
    phone.set_offline(True)
    record(page, second, "Meninggal")
    expect(page.locator("[data-unsent]")).to_have_text("1 hasil belum terkirim")
    page.route("**/lapangan/hasil", lambda route: route.abort())  # keep it unsent for the test
    phone.set_offline(False)
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(live_server + "/")
    assert dialogs and "1 hasil belum terkirim" in dialogs[0]
    assert _idb_count(page, "jb-lapangan-antrean") == 0
    assert _idb_count(page, "jb-lapangan-terkirim") == 0
    assert page.evaluate("caches.keys()") == []
    assert outcome_count(live_app) == 1


def test_refusals_and_conflicts_are_told_plainly(
    live_server: str, live_app: Flask, phone: BrowserContext
) -> None:
    """A fraction of a person is refused in the form; an outcome recorded first elsewhere is
    shown as theirs, not as "Terkirim"; a refused one is named by its number and code."""
    first, second, third = live_app.config["TEST_STOP_IDS"][:3]
    with live_app.app_context():
        session = get_session()
        stop = session.get(models.Stop, third)
        assert stop is not None
        seq, code, today = stop.sequence, stop.request.tracking_code, today_of(session)
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server)
    expect(page.locator("#lapangan")).to_have_attribute("data-ready", "1")

    # "1.5" persons is not quietly sent as 1.
    record(page, first, "Selesai", lambda c: c.locator("input[name=persons_served]").fill("1.5"))
    error = page.locator(f'[data-stop="{first}"] [data-error]')
    expect(error).to_have_text("Orang dilayani harus bilangan bulat, misalnya 2 (bukan 1,5).")
    assert outcome_count(live_app) == 0

    # The coordinator typed the second stop's outcome from paper before this phone sent its own.
    with live_app.app_context():
        session = get_session()
        record_outcome(
            session,
            OutcomeInput(client_id=str(uuid.uuid4()), stop_id=second, outcome="selesai"),
            team_id=None,
            user_id=None,
            source="kertas",
            today=today,
        )
        session.commit()
    record(page, second, "Tidak di rumah")
    result = page.locator(f'[data-stop="{second}"] [data-result]')
    expect(result).to_contain_text(
        "Sudah dicatat sebelumnya (oleh HP lain atau koordinator): Selesai"
    )
    expect(result).to_contain_text("Isian dari HP ini (Tidak di rumah) tidak disimpan.")
    expect(result).not_to_contain_text("Terkirim")

    # A reschedule for the visit day itself is refused by the server: said in the sticky bar
    # with the stop's number on the route and its code, the form given back.
    def same_day(card: Any) -> None:
        card.locator("input[name=reschedule_date]").fill(today.isoformat())

    record(page, third, "Jadwal ulang", same_day)
    rejected = page.locator("[data-rejected]")
    expect(rejected).to_contain_text(
        f"Hasil kunjungan no. {seq} ({code}) ditolak server: "
        "Tanggal jadwal ulang harus sesudah hari kunjungan."
    )
    expect(rejected).to_be_in_viewport()
    expect(page.locator(f'[data-stop="{third}"] [data-error]')).to_be_visible()
    rejected.get_by_role("button", name="Tutup").click()
    expect(rejected).to_be_hidden()
    assert [(r.stop_id, r.outcome) for r in outcomes(live_app)] == [(second, "selesai")]
    assert errors == []
