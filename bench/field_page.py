"""The team lead's field page on a phone: bytes transferred and time to interactive.

Data: the route-sheet benchmark's day (``bench/sheets.py``: Kota Yogyakarta, 6 teams x up to 14
stops, a collective visit with 20 residents), planned and approved on real roads; a team lead
(``ketua.bench``) leads the team with the most stops. The app is served on a loopback port by a
real WSGI server; Debian's Chromium (Playwright) opens ``/lapangan/?route=<id>`` (the link of the
sheet's QR code: the same page as today's route) in a 400x800 viewport, signed in.

Each run uses a fresh browser context (empty caches, no service worker) and measures:

- **cold**: the first load. Bytes on the wire per response (headers + body as received; the app
  serves no gzip itself) and what gzip -6 would make of each body (a reverse proxy with gzip on);
  Navigation Timing ``domInteractive`` / ``loadEventEnd`` and the page script's
  ``jb-field-ready`` mark (queue restored, forms wired: the page is usable); then the extra the
  service worker fetches to keep the page for offline use, and when it reports ready;
- **warm**: a reload with the service worker in control (assets from its cache);
- **offline**: a reload with the network off (everything from the service worker).

Twice: on loopback, and throttled like a cheap phone on a weak signal (Chrome DevTools' "Slow
4G"-like 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU slowed 4x). Medians of --repeats.

    .venv/bin/python bench/field_page.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from outreach import models  # noqa: E402
from outreach.db import get_session  # noqa: E402

RESULTS = REPO / "bench" / "results"
CHROMIUM = os.environ.get("OUTREACH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
LEAD = ("ketua.bench", "rahasia-123")
# DevTools-like throttling of a cheap phone on a weak signal.
SLOW = {"latency": 150, "download": 1.6e6 / 8, "upload": 750e3 / 8, "cpu": 4}


def prepare(tmp: Path) -> tuple[Flask, int, int]:
    """The benchmark day, a team lead for the longest route; (app, route id, its stops)."""
    import sheets  # bench/sheets.py: the same 6 x 14 day as the route-sheet benchmark

    from outreach.web.auth import hash_password

    app = sheets.make_app(tmp)
    with app.app_context():
        sheets.fill(app)
        session = get_session()
        route_id, stops = session.execute(
            select(models.Stop.route_id, func.count())
            .join(models.Route)
            .where(models.Route.approved.is_(True))
            .group_by(models.Stop.route_id)
            .order_by(func.count().desc(), models.Stop.route_id)
        ).first() or (0, 0)
        route = session.get(models.Route, route_id)
        assert route is not None, "no approved route"
        session.add(
            models.User(
                username=LEAD[0],
                password_hash=hash_password(LEAD[1]),
                role="team_lead",
                office_id=route.plan.office_id,
                team_id=route.team_id,
            )
        )
        session.commit()
    return app, route_id, stops


def sign_in(context: Any, base: str) -> None:
    res = context.request.post(
        base + "/auth/masuk",
        form={"username": LEAD[0], "password": LEAD[1]},
        max_redirects=0,
    )
    assert res.status == 302, res.status


def throttle(page: Any, on: bool) -> Any:
    cdp = page.context.new_cdp_session(page)
    if on:
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": SLOW["latency"],
                "downloadThroughput": SLOW["download"],
                "uploadThroughput": SLOW["upload"],
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOW["cpu"]})
    return cdp


def timings(page: Any) -> dict[str, float]:
    return dict(
        page.evaluate(
            """() => {
              const nav = performance.getEntriesByType("navigation")[0];
              const ready = performance.getEntriesByName("jb-field-ready")[0];
              return {
                dom_interactive_ms: nav.domInteractive,
                load_ms: nav.loadEventEnd,
                ready_ms: ready ? ready.startTime : -1,
                html_bytes: nav.transferSize,
              };
            }"""
        )
    )


class Traffic:
    """Responses seen by the context: page requests and the service worker's own."""

    def __init__(self, context: Any) -> None:
        self.rows: list[dict[str, Any]] = []
        context.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        response = request.response()
        if response is None:
            return
        sizes = request.sizes()
        try:
            body = response.body()
        except Exception:  # a body the browser did not keep (304, SW): no gzip figure
            body = b""
        self.rows.append(
            {
                "url": request.url,
                "status": response.status,
                "from_sw": response.from_service_worker,
                "by_sw": request.service_worker is not None,
                "wire": sizes["responseHeadersSize"] + sizes["responseBodySize"],
                "body": len(body),
                "gzip": len(gzip.compress(body, 6)) if body else 0,
            }
        )

    def take(self) -> list[dict[str, Any]]:
        rows, self.rows = self.rows, []
        return rows


def one_run(browser: Any, base: str, url: str, slow: bool) -> dict[str, Any]:
    context = browser.new_context(
        viewport={"width": 400, "height": 800}, locale="id-ID", service_workers="allow"
    )
    try:
        sign_in(context, base)
        traffic = Traffic(context)
        page = context.new_page()
        throttle(page, slow)
        page.goto(url, wait_until="load")
        page.wait_for_selector("#lapangan[data-ready='1']")
        cold = timings(page)
        page_rows = [r for r in traffic.take() if not r["by_sw"]]
        page.wait_for_selector("#lapangan[data-offline-ready='1']", timeout=60000)
        sw_ready_ms = page.evaluate("() => performance.now()")
        sw_rows = traffic.take()
        page.reload(wait_until="load")
        page.wait_for_selector("#lapangan[data-ready='1']")
        warm = timings(page)
        warm_rows = [r for r in traffic.take() if not r["from_sw"] or r["by_sw"]]
        context.set_offline(True)
        page.reload(wait_until="load")
        page.wait_for_selector("#lapangan[data-ready='1']")
        offline = timings(page)
        offline_rows = [r for r in traffic.take() if not r["from_sw"]]
        return {
            "cold": {
                **cold,
                "requests": len(page_rows),
                "wire_bytes": sum(r["wire"] for r in page_rows),
                "body_bytes": sum(r["body"] for r in page_rows),
                "gzip_bytes": sum(r["gzip"] for r in page_rows),
                "files": {r["url"].replace(base, ""): [r["body"], r["gzip"]] for r in page_rows},
            },
            "service_worker": {
                "ready_ms": sw_ready_ms,
                "requests": len(sw_rows),
                "wire_bytes": sum(r["wire"] for r in sw_rows),
            },
            "warm": {**warm, "network_requests": len(warm_rows)},
            "offline": {**offline, "network_requests": len(offline_rows)},
        }
    finally:
        context.close()


def median_of(runs: list[dict[str, Any]], part: str, key: str) -> float:
    return float(statistics.median(float(r[part][key]) for r in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app, route_id, stops = prepare(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        url = f"{base}/lapangan/?route={route_id}"
        results: dict[str, Any] = {"route_stops": stops}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                one_run(browser, base, url, slow=False)  # warm-up: templates, road data
                for label, slow in (("loopback", False), ("slow_phone", True)):
                    results[label] = [
                        one_run(browser, base, url, slow) for _ in range(args.repeats)
                    ]
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=5)
            app.extensions["outreach_engine"].dispose()

    first = results["loopback"][0]["cold"]
    print(f"field page, route of {stops} stops, Chromium 400x800, median of {args.repeats}")
    print(
        f"first load: {first['requests']} requests, {first['wire_bytes'] / 1024:.1f} KB on the "
        f"wire (uncompressed), {first['gzip_bytes'] / 1024:.1f} KB gzip-equivalent"
    )
    for path, (body, gz) in sorted(first["files"].items(), key=lambda kv: -kv[1][0]):
        print(f"  {path:<45} {body / 1024:7.1f} KB  gzip {gz / 1024:6.1f} KB")
    sw = results["loopback"][0]["service_worker"]
    print(
        f"service worker keeps it for offline: +{sw['requests']} requests, "
        f"{sw['wire_bytes'] / 1024:.1f} KB"
    )
    header = f"{'':<12}{'interactive':>12}{'load':>8}{'ready':>8}{'offline ok':>12}"
    header += f"{'warm ready':>12}{'offline ready':>15}"
    print(header + "   (ms)")
    for label in ("loopback", "slow_phone"):
        runs = results[label]
        print(
            f"{label:<12}"
            f"{median_of(runs, 'cold', 'dom_interactive_ms'):>12.0f}"
            f"{median_of(runs, 'cold', 'load_ms'):>8.0f}"
            f"{median_of(runs, 'cold', 'ready_ms'):>8.0f}"
            f"{median_of(runs, 'service_worker', 'ready_ms'):>12.0f}"
            f"{median_of(runs, 'warm', 'ready_ms'):>12.0f}"
            f"{median_of(runs, 'offline', 'ready_ms'):>15.0f}"
        )
    offline_net = max(r["offline"]["network_requests"] for r in results["loopback"])
    print(f"offline reload: {offline_net} requests reached the network")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "field_page.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    out.write_text(json.dumps({"machine": machine, "field_page": results}, indent=2))
    print(f"written {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
