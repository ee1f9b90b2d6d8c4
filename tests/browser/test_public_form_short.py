"""Issue 9, section 5: the resident's form in under two minutes on a cheap phone.

The shortest valid submission is driven through a real Chromium on a 400x800 screen and every
interaction is counted (typing into a field 1, choosing an option 1, ticking a box 1, a tap 1).
The same path works with JavaScript switched off. Screenshots go to /tmp/shots/form-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.intake.yogya import SEMAKI, yogya_app, yogya_template

pytestmark = pytest.mark.browser
__all__ = ["yogya_template"]

SHOTS = Path("/tmp/shots")
MAX_INTERACTIONS = 12


@pytest.fixture
def live_app(request: pytest.FixtureRequest, tmp_path: Path, yogya_template: Path) -> Flask:
    """The app on a copy of the Yogyakarta database, with CSRF on as in production.

    Parametrise indirectly with a dict of extra settings (e.g. rate limits on).
    """
    extra = getattr(request, "param", {})
    return yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True, **extra)


class Counter:
    """Drives a page and counts what a resident would do."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.count += 1

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)
        self.count += 1

    def tick(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()
        self.count += 1

    def tap(self, locator: Any) -> None:
        locator.click()
        self.count += 1


def shortest_path(page: Page, *, kelurahan: bool = True, name: str = "Sumarni") -> int:
    """Fill only what is required and send; return the number of interactions."""
    act = Counter(page)
    act.type("#f-person_name", name)
    act.type("#f-phone", "0813 2222 3333")
    # No NIK: optional (the team checks the family card on arrival).
    if kelurahan:
        act.choose("#f-kelurahan", SEMAKI)
    act.type("#f-rt", "4")
    act.type("#f-rw", "9")
    act.type("#f-address_street", "Jl. Sisingamangaraja 21")
    act.tick("Cetak KTP-el (baru, rusak, hilang, perubahan data)")
    act.page.locator("input[name=category][value=lansia]").check()
    act.count += 1
    act.tap(page.locator("#f-consent"))
    act.tap(page.get_by_role("button", name="Kirim permohonan"))
    return act.count


def form_height(page: Page) -> int:
    return int(page.evaluate("document.querySelector('main form').getBoundingClientRect().height"))


def stored(app: Flask, code: str) -> models.ServiceRequest:
    with app.app_context():
        req = get_session().scalar(
            select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == code)
        )
        assert req is not None
        assert req.kelurahan is not None  # loaded before the object leaves the session
        get_session().expunge(req)
        return req


def test_shortest_submission_on_a_phone(live_server: str, live_app: Flask, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/layanan/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "form-phone.png"), full_page=True)
    height = form_height(page)
    print(f"form height on a 400x800 phone: {height} px")
    # The optional part starts folded: the map is not on the resident's way.
    expect(page.locator("#peta-lokasi")).to_be_hidden()
    expect(page.get_by_text("Tambahan (boleh dilewati)")).to_be_visible()
    # Filling in for oneself is the default: no applicant name to type.
    expect(page.locator("#f-applicant_relation")).to_have_value("diri_sendiri")
    expect(page.locator("#f-applicant_name")).to_be_hidden()

    taps = shortest_path(page)
    assert taps <= MAX_INTERACTIONS
    code_box = page.locator("[data-tracking-code]")
    expect(code_box).to_have_text(re.compile(r"^JB-[2-9A-Z]{4}-[2-9A-Z]{3}$"))
    req = stored(live_app, code_box.inner_text())
    # The defaults, visible to the coordinator: the kelurahan's point, to be confirmed.
    assert req.location_source == "kelurahan" and "lokasi_perlu_konfirmasi" in req.flags
    assert (req.applicant_relation, req.applicant_name) == ("diri_sendiri", "Sumarni")
    assert (req.category, req.services, req.phone) == ("lansia", ["cetak_ktp"], "+6281322223333")
    assert req.availability == []
    assert req.nik is None and "nik_belum_ada" in req.flags
    assert errors == []


def test_optional_parts_open_and_keep_working(
    live_server: str, live_app: Flask, page: Page
) -> None:
    """The map, availability, companion and access notes are one tap away and still stored."""
    page.goto(live_server + "/layanan/")
    page.select_option("#f-applicant_relation", "anak")
    expect(page.locator("#f-applicant_name")).to_be_visible()
    page.fill("#f-applicant_name", "Budi Santoso")
    page.get_by_text("Titik rumah di peta").click()
    the_map = page.locator("#peta-lokasi")
    expect(the_map).to_be_visible()
    expect(the_map).to_have_attribute("data-boundaries", "1")
    box = the_map.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    page.get_by_text("Waktu ada orang di rumah").click()
    page.locator("label.day", has_text="Sel").first.click()
    page.select_option("select[name=avail-0-start]", "10:00")
    page.select_option("select[name=avail-0-end]", "13:00")
    page.get_by_text("Pendamping", exact=True).click()
    page.fill("#f-companion_name", "Rina")
    page.screenshot(path=str(SHOTS / "form-phone-open.png"), full_page=True)
    the_map.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(page.locator("[data-map-status]")).to_contain_text("Titik berada di Kel.")
    # The tapped point chose the kelurahan.
    expect(page.locator("#f-kelurahan")).not_to_have_value("")
    shortest_path(page, kelurahan=False)
    code_box = page.locator("[data-tracking-code]")
    expect(code_box).to_have_text(re.compile(r"^JB-"))
    req = stored(live_app, code_box.inner_text())
    assert req.location_source == "map"
    assert (req.applicant_relation, req.applicant_name) == ("anak", "Budi Santoso")
    assert req.availability == [{"days": [1], "start": "10:00", "end": "13:00"}]
    assert req.companion_name == "Rina"


def test_errors_open_the_optional_part_they_concern(live_server: str, page: Page) -> None:
    page.goto(live_server + "/layanan/")
    page.get_by_text("Waktu ada orang di rumah").click()
    page.select_option("select[name=avail-0-start]", "13:00")
    page.select_option("select[name=avail-0-end]", "10:00")
    shortest_path(page)
    expect(page.locator("#err-availability")).to_be_visible()
    expect(page.locator("#f-person_name")).to_have_value("Sumarni")


def test_shortest_submission_without_javascript(live_server: str, live_app: Flask, browser) -> None:  # type: ignore[no-untyped-def]
    context = local_context(
        browser, viewport={"width": 400, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/layanan/")
        # Every kelurahan of the region is in the one select, grouped by kecamatan.
        assert page.locator("#f-kelurahan option").count() == 46
        assert shortest_path(page) <= MAX_INTERACTIONS
        code_box = page.locator("[data-tracking-code]")
        expect(code_box).to_have_text(re.compile(r"^JB-[2-9A-Z]{4}-[2-9A-Z]{3}$"))
        req = stored(live_app, code_box.inner_text())
        assert (
            req.kelurahan is not None
            and req.kelurahan.code == SEMAKI
            and req.applicant_relation == "diri_sendiri"
        )
    finally:
        context.close()


@pytest.mark.parametrize(
    "live_app",
    [{"RATELIMIT_ENABLED": True, "PUBLIC_CONTACT_RATE_LIMIT": "1 per day"}],
    indirect=True,
)
def test_refused_by_a_limit_keeps_everything_typed(
    live_server: str, live_app: Flask, page: Page
) -> None:
    """A 429 is the form again, filled in, saying when to try again; never a bare error."""
    page.goto(live_server + "/layanan/")
    shortest_path(page)
    expect(page.locator("[data-tracking-code]")).to_be_visible()
    page.goto(live_server + "/layanan/")
    shortest_path(page, name="Sumarni Wati")  # another request, same phone and NIK, same day
    expect(page.locator(".error-summary")).to_contain_text("Coba lagi dalam")
    expect(page.locator("#err-kirim")).to_contain_text("jam")
    expect(page.locator("#f-person_name")).to_have_value("Sumarni Wati")
    expect(page.locator("#f-kelurahan")).to_have_value(SEMAKI)
    expect(page.locator("#f-consent")).to_be_checked()
    page.screenshot(path=str(SHOTS / "form-phone-429.png"))


def test_desktop_screenshot(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server + "/layanan/")
        expect(page.locator("h1")).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "form-desktop.png"), full_page=True)
    finally:
        context.close()
