"""No NIK or phone number reaches a log: request lines, messages, tracebacks, every logger.

Real servers: werkzeug's development server in a thread, and gunicorn (with the project's
``gunicorn.conf.py``) in a process of its own.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from outreach.db import upgrade_database
from outreach.privacy import RedactingFormatter, install_log_redaction, redact
from tests.conftest import REPO_ROOT, make_test_app

# The query string carries them as people type them and as browsers encode them.
QUERY = (
    "q=3471+1349+0709+0476&nik=3471.1349.0709.0476&k=3471-1349-0709-0476"
    "&hp=0812.3456.7890&wa=%2B62+812-3456-7890&t=0812%203456%207890&raw=3471134907090476"
)
# Any notation of the two numbers: groups with up to three characters between them (" ", ".",
# "-", "+", "%20", "%2B") or none.
_GAP = r"(?:%[0-9A-Fa-f]{2}|\D){0,3}"
LEAK_RES = (
    re.compile(rf"3471{_GAP}1349{_GAP}0709{_GAP}0476"),
    re.compile(rf"812{_GAP}3456{_GAP}7890"),
)


def _leaks(text: str) -> list[str]:
    return [m.group(0) for rx in LEAK_RES for m in rx.finditer(text)]


def test_redact_catches_url_encoded_numbers() -> None:
    for line in QUERY.split("&"):
        assert not _leaks(redact(line)), line
    assert (
        redact("GET /cek?x=12.5&y=2026-11-23 HTTP/1.1") == "GET /cek?x=12.5&y=2026-11-23 HTTP/1.1"
    )


def test_formatter_redacts_tracebacks() -> None:
    try:
        raise ValueError("NIK 3471 1349 0709 0476 tidak cocok, hp 0812-3456-7890")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "gagal", None, sys.exc_info())
    out = RedactingFormatter("%(message)s").format(record)
    assert "ValueError" in out and not _leaks(out)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, io.StringIO]]:
    app: Flask = make_test_app(tmp_path)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("NIK 3471 1349 0709 0476 dan hp +62 812-3456-7890 ditolak")

    install_log_redaction()
    # A handler added after the app was made (as an operator's logging setup would).
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", buffer
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        root.removeHandler(handler)
        root.setLevel(old_level)
        app.extensions["outreach_engine"].dispose()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as res:
            return int(res.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_werkzeug_request_log_and_tracebacks_are_redacted(
    served: tuple[str, io.StringIO], caplog: pytest.LogCaptureFixture
) -> None:
    base, buffer = served
    caplog.set_level(logging.INFO)
    assert _get(f"{base}/layanan/status?{QUERY}") in {200, 302, 400, 404, 405, 429}
    assert _get(f"{base}/boom?{QUERY}") == 500
    logging.getLogger("outreach.some.module").warning("pencarian %s", "0812 3456 7890")
    logging.getLogger("werkzeug.child").info("nik %s", "3471 1349 0709 0476")
    text = buffer.getvalue()
    assert "/layanan/status" in text and "/boom" in text  # the request lines were logged
    assert "Traceback" in text and "ValueError" in text
    assert not _leaks(text), text
    captured = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert "Traceback" in captured
    assert not _leaks(captured), captured


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_error_and_access_logs_are_redacted(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="the production extra: pip install -e '.[production]'")
    url = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade_database(url)
    (tmp_path / "boomapp.py").write_text(
        "from outreach import create_app\n"
        "app = create_app({'PROPAGATE_EXCEPTIONS': True})\n"
        "@app.route('/boom')\n"
        "def boom():\n"
        "    raise ValueError('NIK 3471 1349 0709 0476 dan hp 0812.3456.7890')\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        "OUTREACH_DATABASE_URL": url,
        "OUTREACH_DATA_DIR": str(tmp_path / "data"),
        "OUTREACH_SECRET_KEY": "test",
        "OUTREACH_RATELIMIT_ENABLED": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESSLOG": "-",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "boomapp:app",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status = _get(f"http://127.0.0.1:{port}/boom?{QUERY}")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        assert status == 500
        assert _get(f"http://127.0.0.1:{port}/tidak-ada?{QUERY}") == 404
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    logs = out + err
    assert "Error handling request" in logs and "Traceback" in logs  # gunicorn.error
    assert "/tidak-ada" in logs  # gunicorn.access
    assert not _leaks(logs), logs
