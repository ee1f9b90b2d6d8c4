"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the app
served on a loopback port by a real WSGI server in a thread."""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

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


_RESPONSES = threading.local()


class _ClosingHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing the response when the browser drops the connection.

    Werkzeug's dev server calls the response's ``close()`` only after draining the socket;
    when the browser has gone (a test navigating on, a context closing) that drain raises and
    the open file of a static response is left to the garbage collector, which pytest reports
    as an error (warnings are errors). Real servers close it; so does this one now.
    """

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        response = getattr(_RESPONSES, "current", None)
        _RESPONSES.current = None
        if response is not None and hasattr(response, "close"):
            response.close()
        super().connection_dropped(error, environ)


def _remembering(app: Flask) -> Any:
    def wsgi(environ: Any, start_response: Any) -> Any:
        _RESPONSES.current = app(environ, start_response)
        return _RESPONSES.current

    return wsgi


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve ``live_app`` on 127.0.0.1 (a free port) and yield its base URL."""
    server = make_server(
        "127.0.0.1",
        0,
        _remembering(live_app),
        threaded=True,
        request_handler=_ClosingHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


# One Playwright and one Chromium for the whole session, however many test folders import the
# ``browser`` fixture (each import is a fixture of its own to pytest, and a second Playwright
# started while the first lives fails: "Sync API inside the asyncio loop"). Kept in a module of
# its own in sys.modules: pytest imports this file as ``browser.conftest`` and test modules as
# ``tests.browser.conftest``, two modules with two sets of globals.
_SHARED: dict[str, Any] = sys.modules.setdefault(
    "_jemput_bola_test_browser", types.ModuleType("_jemput_bola_test_browser")
).__dict__.setdefault("shared", {})


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the session (shared by every module that imports this fixture)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium")
    if not _SHARED:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        _SHARED.update(playwright=pw, browser=chromium, users=0)
    _SHARED["users"] += 1
    try:
        yield _SHARED["browser"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()
            _SHARED.clear()


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
