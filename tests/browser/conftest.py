"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the app
served on a loopback port by a real WSGI server in a thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import make_test_app

CHROMIUM = os.environ.get("OUTREACH_CHROMIUM", "/usr/bin/chromium")
# Flags from the machine notes: no background networking, no sandbox as root, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_app(tmp_path: Path) -> Flask:
    """The app on a fresh database; populate it inside ``with live_app.app_context():``."""
    return make_test_app(tmp_path)


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve ``live_app`` on 127.0.0.1 (a free port) and yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def local_context(browser: Any, **options: Any) -> Any:
    """A browser context (locale id-ID) in which every non-loopback request is aborted.

    Nothing may leave the machine, as in an office without internet. (Playwright's request
    routing and service workers do not mix: the field page's offline tests do without it.)
    """
    context = browser.new_context(locale="id-ID", **options)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else route.abort()
        ),
    )
    return context


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (phone-sized viewport: residents use cheap phones). External hosts blocked."""
    context = local_context(browser, viewport={"width": 400, "height": 800})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
