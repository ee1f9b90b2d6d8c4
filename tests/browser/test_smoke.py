"""The browser harness itself works: a real page renders and a click navigates."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_page_renders_in_chromium(live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server + "/auth/masuk")
    assert page.locator("h1").inner_text() == "Masuk petugas"
    page.fill("input[name=username]", "x")
    page.fill("input[name=password]", "y")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "salah" in page.content()
