"""The public form in a real headless Chromium on a phone-sized screen: fill it in, tap the
map, submit, read the tracking code, look it up on the status page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.browser.conftest import local_context
from tests.intake.yogya import SEMAKI, UMBULHARJO, nik_for, yogya_app, yogya_template

pytestmark = pytest.mark.browser
__all__ = ["yogya_template"]

# Kota Yogyakarta's extent, generously rounded.
LON_RANGE = (110.33, 110.42)
LAT_RANGE = (-7.85, -7.76)


@pytest.fixture
def live_app(tmp_path: Path, yogya_template: Path) -> Flask:
    """The app on a copy of the Yogyakarta database, with CSRF on as in production."""
    return yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)


def fill_form(page: Page, *, script: bool = True) -> None:
    page.fill("#f-person_name", "Siti Aminah")
    page.fill("#f-nik", nik_for())
    page.get_by_label("Sakit, tidak dapat bepergian").check()
    page.fill("#f-description", "Stroke, hanya bisa berbaring.")
    page.get_by_label("Perekaman KTP-el (foto, sidik jari, iris)").check()
    page.select_option("#f-applicant_relation", "anak")
    page.fill("#f-applicant_name", "Budi Santoso")
    page.fill("#f-phone", "0812 3456 7890")
    page.get_by_text("Saring daftar menurut kecamatan").click()  # a folded filter
    page.select_option("#f-kecamatan", UMBULHARJO)
    if script:  # the kelurahan list now holds only Umbulharjo's seven (and the prompt)
        expect(page.locator("#f-kelurahan option")).to_have_count(8)
    page.select_option("#f-kelurahan", SEMAKI)
    page.fill("#f-rt", "3")
    page.fill("#f-rw", "7")
    page.fill("#f-address_street", "Jl. Kenari Gg. Mawar No. 12")
    page.get_by_text("Waktu ada orang di rumah").click()  # optional, folded
    page.locator("label.day", has_text="Sen").first.click()
    page.locator("label.day", has_text="Rab").first.click()
    page.select_option("select[name=avail-0-start]", "09:00")
    page.select_option("select[name=avail-0-end]", "12:00")
    page.locator("#f-consent").check()


def test_resident_submits_with_a_map_tap_and_checks_status(
    live_server: str, live_app: Flask, page: Page
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/layanan/")
    expect(page.locator("h1")).to_have_text("Ajukan layanan jemput bola")
    the_map = page.locator("#peta-lokasi")
    expect(the_map).to_be_hidden()  # optional, folded: built when opened
    page.get_by_text("Titik rumah di peta").click()
    expect(the_map).to_have_attribute("data-boundaries", "1")  # kelurahan outlines drawn
    fill_form(page)

    # Tap the middle of the map: the middle of Kota Yogyakarta.
    box = the_map.bounding_box()
    assert box is not None
    the_map.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(page.locator("[data-map-status]")).to_contain_text("Titik berada di Kel.")
    lon = float(page.input_value("#f-lon"))
    lat = float(page.input_value("#f-lat"))
    assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1]
    assert page.input_value("#f-location_source") == "map"

    page.get_by_role("button", name="Kirim permohonan").click()
    code_box = page.locator("[data-tracking-code]")
    expect(code_box).to_have_text(re.compile(r"^JB-[2-9A-Z]{4}-[2-9A-Z]{3}$"))
    code = code_box.inner_text()
    with live_app.app_context():
        req = get_session().scalar(
            select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == code)
        )
        assert req is not None
        assert req.location_source == "map" and req.flags in ([], ["kelurahan_tidak_sesuai_peta"])
        assert (round(req.lon or 0, 6), round(req.lat or 0, 6)) == (lon, lat)
        assert req.availability == [{"days": [0, 2], "start": "09:00", "end": "12:00"}]

    page.get_by_role("link", name="Cek status").last.click()
    expect(page.locator("#f-kode")).to_have_value(code)
    page.fill("#f-hp4", "7890")
    page.get_by_role("button", name="Cek status").click()
    expect(page.locator(".status-label")).to_have_text("Diterima, menunggu verifikasi")
    expect(page.locator("body")).not_to_contain_text("Siti")
    assert errors == []


def test_errors_are_shown_by_each_field_and_fields_kept(live_server: str, page: Page) -> None:
    page.goto(live_server + "/layanan/")
    fill_form(page)
    page.fill("#f-nik", "3471")
    page.locator("#f-consent").uncheck()
    page.get_by_role("button", name="Kirim permohonan").click()
    expect(page.locator("#err-nik")).to_have_text("NIK harus 16 angka.")
    expect(page.locator("#err-consent")).to_be_visible()
    expect(page.locator("#f-person_name")).to_have_value("Siti Aminah")
    expect(page.locator("#f-kelurahan")).to_have_value(SEMAKI)


def test_form_works_without_javascript(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """Progressive enhancement: no script, no map, the request still goes through."""
    context = local_context(
        browser, viewport={"width": 360, "height": 740}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/layanan/")
        fill_form(page, script=False)
        page.get_by_role("button", name="Kirim permohonan").click()
        expect(page.locator("[data-tracking-code]")).to_have_text(
            re.compile(r"^JB-[2-9A-Z]{4}-[2-9A-Z]{3}$")
        )
        expect(page.locator(".receipt")).to_contain_text("petugas akan menanyakan lokasinya")
    finally:
        context.close()
