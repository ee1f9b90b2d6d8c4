"""The coordinator's home map with 500, 2,000 and 5,000 open requests and a 5-day plan.

A fresh SQLite database gets Kota Yogyakarta, an office at the demo depot (``bench/sheets.py``'s
setup: six teams of at most 14 stops) and verified home visits on road nodes near the office;
the next five working days are planned on the real roads and approved. Then open requests are
added on road nodes all over the city (seeded; categories and statuses mixed; kelurahan
located from the pack) until the office holds 500, 2,000 and 5,000 open requests.

Per size, with the app served on a loopback port by werkzeug in a thread:

- **server seconds** of each response the map needs (the page, requests, routes, areas GeoJSON),
  gzip on as a browser asks for it: median of --repeats, in-process through the test client;
- **bytes**: the page HTML (as produced and gzipped) and each data response as sent (gzipped);
- Chromium (Playwright, Debian's ``/usr/bin/chromium``), a fresh context each run, signed in,
  opens ``/``: **total transfer** (every response body as received, the road layer included)
  and **time to draw**: from navigation start to the script's ``jb-map-ready`` mark (data
  fetched, markers and clusters on the map). Median of --repeats.

Targets (issue 8): HTML < 300 KB, each response < 1 s, total < 3 MB, drawn < 2 s.

    .venv/bin/python bench/map_page.py [--repeats 3] [--sizes 500,2000,5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
SIZES = (500, 2000, 5000)
PLAN_DAYS = 5
PLANNED = 6 * 14 * PLAN_DAYS  # six teams, 14 stops a day
SEED = 20261130
CATEGORIES = (("lansia", 40), ("sakit", 20), ("disabilitas", 15), ("darurat", 5), ("lainnya", 20))
STATUSES = (("baru", 30), ("terverifikasi", 60), ("gagal", 10))
TARGETS = {"html_bytes": 300_000, "server_s": 1.0, "total_bytes": 3_000_000, "draw_s": 2.0}
ENDPOINTS = {
    "html": "/",
    "requests": "/peta/permohonan.geojson",
    "routes": "/peta/rute.geojson",
    "areas": "/peta/wilayah.geojson",
}


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


class City:
    """Road nodes of Kota Yogyakarta with their kelurahan, to place requests on."""

    def __init__(self, session: Any) -> None:
        import sheets

        from outreach.geo.locate import AreaIndex
        from outreach.geo.network import RoadNetwork, travel_model_for

        self.travel = travel_model_for(
            "kota-yogyakarta", search_dirs=[sheets.SHARED], cache_dir=sheets.CACHE_DIR
        )
        assert isinstance(self.travel, RoadNetwork)
        nodes = sorted((float(d["x"]), float(d["y"])) for _, d in self.travel.G.nodes(data=True))
        refs = AreaIndex.from_session(session, "kota-yogyakarta").locate_many(nodes)
        kel = {k.code: k for k in session.scalars(select(models.Kelurahan))}
        self.points = [
            (lon, lat, kel[ref.kelurahan_code])
            for (lon, lat), ref in zip(nodes, refs, strict=True)
            if ref.kelurahan_code in kel
        ]
        self.rng = random.Random(SEED)
        self.n = 0

    def add(
        self,
        session: Any,
        office_id: int,
        count: int,
        *,
        near: tuple[float, float] | None,
        status: str | None = None,
    ) -> None:
        pool = self.points
        if near is not None:
            pool = [p for p in pool if abs(p[0] - near[0]) < 0.03 and abs(p[1] - near[1]) < 0.03]
        cats, cat_w = zip(*CATEGORIES, strict=True)
        states, state_w = zip(*STATUSES, strict=True)
        for lon, lat, k in self.rng.sample(pool, count):
            self.n += 1
            session.add(
                models.ServiceRequest(
                    tracking_code=f"JB-P{self.n:05d}",
                    office_id=office_id,
                    category=self.rng.choices(cats, cat_w)[0],
                    services=["perekaman_ktp"],
                    person_name=f"Warga Peta {self.n}",
                    nik=f"3471134101{self.n % 90 + 10:02d}{self.n:04d}",
                    phone=f"+62812{self.rng.randint(10_000_000, 99_999_999)}",
                    address_street=f"Jl. Bench No. {self.n}",
                    lon=lon,
                    lat=lat,
                    kelurahan_id=k.id,
                    kecamatan_id=k.kecamatan_id,
                    rt=str(self.rng.randint(1, 12)),
                    rw=str(self.rng.randint(1, 15)),
                    status=status or self.rng.choices(states, state_w)[0],
                    location_source="map",
                    location_confirmed=True,
                )
            )
        session.commit()


def fill(app: Flask) -> tuple[City, int, dict[str, Any]]:
    """Office, teams, the approved 5-day plan; returns (city, office id, plan facts)."""
    import sheets

    from outreach.geo.boundaries import import_region
    from outreach.geo.packs import find_pack
    from outreach.office import configure_office, save_team
    from outreach.planning.service import approve_plan, create_plan
    from outreach.web.auth import hash_password

    session = get_session()
    import_region(session, find_pack("kota-yogyakarta", search_dirs=[sheets.SHARED]))
    office = configure_office(
        session,
        name="Disdukcapil Kota Yogyakarta",
        region_slug="kota-yogyakarta",
        depot=sheets.DEPOT,
        address="Jl. Kenari No. 56",
        work_hours=(dt.time(8, 0), dt.time(15, 0)),
    )
    session.add(
        models.User(
            username=sheets.USER[0],
            password_hash=hash_password(sheets.USER[1]),
            role="coordinator",
            office_id=office.id,
        )
    )
    for t in range(1, sheets.TEAMS + 1):
        save_team(
            session,
            office,
            name=f"Tim {t}",
            skills=["perekaman_ktp", "cetak_ktp", "kia", "kk", "akta"],
            members=[f"Petugas {t}A", f"Petugas {t}B"],
            max_stops=sheets.STOPS,
        )
    session.commit()
    city = City(session)
    city.add(session, office.id, PLANNED, near=sheets.DEPOT, status="terverifikasi")
    start = next_monday(dt.date.today())
    t0 = time.perf_counter()
    plan = create_plan(session, city.travel, start_date=start, days=PLAN_DAYS, office=office)
    session.flush()
    approve_plan(session, plan.id)
    session.commit()
    facts = {
        "start": start.isoformat(),
        "days": PLAN_DAYS,
        "routes": len(plan.routes),
        "stops": sum(len(r.stops) for r in plan.routes),
        "plan_seconds": round(time.perf_counter() - t0, 1),
    }
    return city, office.id, facts


def open_count(office_id: int) -> int:
    from outreach.web.mapping_data import ACTIVE_STATUSES

    return int(
        get_session().scalar(
            select(func.count()).where(
                models.ServiceRequest.office_id == office_id,
                models.ServiceRequest.status.in_(ACTIVE_STATUSES),
            )
        )
        or 0
    )


def server_side(app: Flask, repeats: int) -> dict[str, Any]:
    """Server seconds (median) and bytes of each response, gzip as a browser asks."""
    import sheets

    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": sheets.USER[0], "password": sheets.USER[1]})
    assert res.status_code == 302, res.status_code
    out: dict[str, Any] = {}
    for name, url in ENDPOINTS.items():
        seconds = []
        body = b""
        for _ in range(repeats + 1):  # the first warms caches (area outlines), not counted
            t0 = time.perf_counter()
            res = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
            seconds.append(time.perf_counter() - t0)
            assert res.status_code == 200, (url, res.status_code)
            assert res.headers.get("Content-Encoding") == "gzip", url
            body = res.get_data()
        plain = gzip.decompress(body)
        out[name] = {
            "server_s": statistics.median(seconds[1:]),
            "first_s": seconds[0],
            "bytes": len(plain),
            "gzip_bytes": len(body),
        }
        if name != "html":
            out[name]["features"] = len(json.loads(plain)["features"])
    return out


def browser_side(base: str, repeats: int) -> dict[str, Any]:
    """Chromium, fresh context per run: total bytes received and time to the drawn map."""
    import sheets
    from playwright.sync_api import sync_playwright

    draws: list[float] = []
    totals: list[int] = []
    per_url: dict[str, int] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                res = context.request.post(
                    base + "/auth/masuk",
                    form={"username": sheets.USER[0], "password": sheets.USER[1]},
                    max_redirects=0,
                )
                assert res.status == 302, res.status
                page = context.new_page()
                requests: list[Any] = []
                page.on("requestfinished", lambda req, seen=requests: seen.append(req))
                page.goto(base + "/")
                page.wait_for_selector(
                    ".folium-map[data-ready='1']", state="attached", timeout=60_000
                )
                page.wait_for_selector(
                    ".folium-map[data-road-features]", state="attached", timeout=60_000
                )
                draws.append(
                    page.evaluate("performance.getEntriesByName('jb-map-ready')[0].startTime")
                    / 1000
                )
                assert page.locator(".marker-cluster").count() > 0
                page.wait_for_load_state("networkidle")
                per_url = {}
                for req in requests:
                    size = req.sizes()
                    path = req.url.removeprefix(base).split("?")[0]
                    per_url[path] = size["responseBodySize"] + size["responseHeadersSize"]
                totals.append(sum(per_url.values()))
                context.close()
        finally:
            browser.close()
    return {
        "draw_s": statistics.median(draws),
        "draw_all": draws,
        "total_bytes": statistics.median(totals),
        "responses": per_url,
    }


def serve(app: Flask) -> tuple[Any, str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    import sheets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = sheets.make_app(Path(tmp))
        server, base = serve(app)
        try:
            with app.app_context():
                city, office_id, plan = fill(app)
                print(
                    f"plan: {plan['days']} days from {plan['start']}, {plan['routes']} routes, "
                    f"{plan['stops']} stops (planned in {plan['plan_seconds']} s)"
                )
                for size in sizes:
                    missing = size - open_count(office_id)
                    if missing > 0:
                        city.add(get_session(), office_id, missing, near=None)
                    results[str(size)] = {
                        "open_requests": open_count(office_id),
                        "server": server_side(app, args.repeats),
                        "browser": browser_side(base, args.repeats),
                    }
                    report(size, results[str(size)])
        finally:
            server.shutdown()
            app.extensions["outreach_engine"].dispose()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "map_page.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    out.write_text(
        json.dumps(
            {"machine": machine, "plan": plan, "targets": TARGETS, "sizes": results}, indent=2
        )
    )
    print(f"written {out.relative_to(REPO)}")


def report(size: int, r: dict[str, Any]) -> None:
    s, b = r["server"], r["browser"]
    print(f"\n{size} open requests ({r['open_requests']} in the office)")
    print(f"  {'response':<10} {'bytes':>10} {'gzip':>9} {'server s':>9} {'features':>9}")
    for name, row in s.items():
        print(
            f"  {name:<10} {row['bytes']:>10,} {row['gzip_bytes']:>9,} {row['server_s']:>9.3f} "
            f"{row.get('features', ''):>9}"
        )
    worst = max(row["server_s"] for row in s.values())
    ok = {
        "html": s["html"]["bytes"] < TARGETS["html_bytes"],
        "server": worst < TARGETS["server_s"],
        "total": b["total_bytes"] < TARGETS["total_bytes"],
        "draw": b["draw_s"] < TARGETS["draw_s"],
    }
    print(
        f"  Chromium: total transfer {b['total_bytes'] / 1e6:.2f} MB, drawn in "
        f"{b['draw_s']:.2f} s (median); targets met: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in ok.items())
    )


if __name__ == "__main__":
    main()
