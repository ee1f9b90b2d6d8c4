"""Route sheets: the "Cetak semua" PDF of a day of 6 teams x 14 stops on Kota Yogyakarta.

A fresh SQLite database gets the Kota Yogyakarta region, an office at the demo depot, six teams
(at most 14 stops each) and 96 verified home visits on road nodes within about 2.5 km of the
office (seeded; kelurahan located from the pack, a few with access notes or a companion) plus one
collective visit from a letter of 20 residents. The day is planned with the real road model and
approved, then the day PDF is fetched the way the coordinator's "Cetak semua" does
(``GET /lembar/hari/<day>.pdf``, signed in): routes from the database, maps from the cached road
layer, one template per team, WeasyPrint. Reported: wall-clock and CPU seconds of the request
(median of --repeats, after a first request that starts the render processes, reported too),
bytes, pages, and the split between building the sheets and rendering the PDF.

    .venv/bin/python bench/sheets.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402

from outreach import create_app, models  # noqa: E402
from outreach.db import get_session, upgrade_database  # noqa: E402

SHARED = REPO.parent / "shared" / "regions"
CACHE_DIR = REPO / "data" / "cache"
RESULTS = REPO / "bench" / "results"
DEPOT = (110.3905, -7.8002)  # Jl. Kenari, Umbulharjo
DAY = dt.date(2026, 11, 23)  # a Monday
TEAMS = 6
STOPS = 14
REQUESTS = 96
LETTER_RESIDENTS = 20
RADIUS_DEG = 0.022  # about 2.5 km
SEED = 20261123
USER = ("koordinator", "rahasia-123")


def make_app(tmp: Path) -> Flask:
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade_database(url)
    return create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "DATA_DIR": str(tmp / "data"),
            "CACHE_DIR": str(CACHE_DIR),
            "REGIONS_DIRS": [str(SHARED)],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAP_TILES": "none",
            "PUBLIC_URL": "https://jemputbola.example.go.id",
        }
    )


def fill(app: Flask) -> int:
    """Region, office, teams, requests; plan the day and approve it. Returns the route count."""
    from outreach.geo.boundaries import import_region
    from outreach.geo.locate import AreaIndex
    from outreach.geo.network import RoadNetwork, travel_model_for
    from outreach.geo.packs import find_pack
    from outreach.office import configure_office, save_team
    from outreach.planning.service import approve_plan, create_plan
    from outreach.web.auth import hash_password

    session = get_session()
    pack = find_pack("kota-yogyakarta", search_dirs=[SHARED])
    import_region(session, pack)
    office = configure_office(
        session,
        name="Disdukcapil Kota Yogyakarta",
        region_slug="kota-yogyakarta",
        depot=DEPOT,
        address="Jl. Kenari No. 56",
        work_hours=(dt.time(8, 0), dt.time(15, 0)),
    )
    session.add(
        models.User(
            username=USER[0],
            password_hash=hash_password(USER[1]),
            role="coordinator",
            office_id=office.id,
        )
    )
    for t in range(1, TEAMS + 1):
        save_team(
            session,
            office,
            name=f"Tim {t}",
            skills=["perekaman_ktp", "cetak_ktp", "kia", "kk", "akta"],
            members=[f"Petugas {t}A", f"Petugas {t}B", f"Sopir {t}"],
            max_stops=STOPS,
        )
    session.flush()
    travel = travel_model_for("kota-yogyakarta", search_dirs=[SHARED], cache_dir=CACHE_DIR)
    assert isinstance(travel, RoadNetwork)
    G = travel.G
    near = sorted(
        (float(d["x"]), float(d["y"]))
        for _, d in G.nodes(data=True)
        if abs(float(d["x"]) - DEPOT[0]) < RADIUS_DEG and abs(float(d["y"]) - DEPOT[1]) < RADIUS_DEG
    )
    rng = random.Random(SEED)
    points = rng.sample(near, REQUESTS + 1)
    areas = AreaIndex.from_session(session, "kota-yogyakarta")
    refs = areas.locate_many(points)
    kel = {k.code: k for k in session.scalars(select(models.Kelurahan))}
    for i, ((lon, lat), ref) in enumerate(zip(points[:REQUESTS], refs, strict=False), start=1):
        k = kel.get(ref.kelurahan_code or "")
        session.add(
            models.ServiceRequest(
                tracking_code=f"JB-B{i:03d}",
                office_id=office.id,
                category=rng.choice(["lansia", "sakit", "disabilitas", "lansia", "lainnya"]),
                services=["perekaman_ktp"] if rng.random() < 0.8 else ["kia", "kk"],
                person_name=f"Warga Bench {i}",
                applicant_name=f"Keluarga Warga {i}",
                nik=f"347113{rng.randint(41, 71):02d}{rng.randint(1, 12):02d}{50 + i % 40}{i:04d}",
                phone=f"+62812{rng.randint(10_000_000, 99_999_999)}",
                address_street=f"Jl. Bench Gg. {rng.randint(1, 30)} No. {i}",
                landmark=rng.choice(["dekat masjid", "depan warung", "samping pos ronda", ""]),
                accessibility_notes="gang sempit, motor saja" if i % 7 == 0 else "",
                companion_name="Ibu Pendamping" if i % 9 == 0 else "",
                lon=lon,
                lat=lat,
                kelurahan_id=k.id if k else None,
                kecamatan_id=k.kecamatan_id if k else None,
                rt=str(rng.randint(1, 12)),
                rw=str(rng.randint(1, 9)),
                status="terverifikasi",
                location_source="map",
                location_confirmed=True,
            )
        )
    letter = models.Letter(
        office_id=office.id,
        number="012/RW05/XI/2026",
        letter_date=DAY - dt.timedelta(days=10),
        sender_type="rw",
        sender_name="RW 05",
        contact_name="Pak RW",
        contact_phone="+6281298765432",
        meeting_place="Balai RW 05",
        rw="5",
    )
    for n in range(1, LETTER_RESIDENTS + 1):
        letter.residents.append(
            models.LetterResident(
                row=n, name=f"Peserta {n}", nik=f"34711301019{n:05d}", rt=str(n % 5 + 1), rw="5"
            )
        )
    session.add(letter)
    session.flush()
    lon, lat = points[REQUESTS]
    session.add(
        models.ServiceRequest(
            tracking_code="JB-B900",
            office_id=office.id,
            channel="letter",
            category="kolektif",
            services=["perekaman_ktp"],
            person_name="RW 05",
            persons=LETTER_RESIDENTS,
            letter_id=letter.id,
            lon=lon,
            lat=lat,
            rw="5",
            status="terverifikasi",
            location_source="map",
            location_confirmed=True,
        )
    )
    session.commit()
    plan = create_plan(session, travel, start_date=DAY, days=1, office=office)
    session.flush()
    approve_plan(session, plan.id)
    session.commit()
    return len(plan.routes)


def measure(app: Flask, repeats: int) -> dict[str, Any]:
    from pypdf import PdfReader

    from outreach.render.sheets import printable_routes
    from outreach.web.sheets import build_sheets, sheets_pdf

    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": USER[0], "password": USER[1]})
    assert res.status_code == 302, res.status_code
    url = f"/lembar/hari/{DAY.isoformat()}.pdf"
    # First request: reads and caches the road layer and starts the render processes.
    t0 = time.perf_counter()
    client.get(url)
    first_s = time.perf_counter() - t0
    seconds: list[float] = []
    cpu: list[float] = []
    body = b""
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = client.get(url)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert res.status_code == 200, res.status_code
        body = res.data
    reader = PdfReader(io.BytesIO(body))
    with app.test_request_context():
        session = get_session()
        office = session.scalar(select(models.Office))
        assert office is not None
        routes = printable_routes(session, DAY, office_id=office.id)
        t0 = time.perf_counter()
        sheets = build_sheets(session, office, routes)
        t1 = time.perf_counter()
        sheets_pdf(sheets)
        t2 = time.perf_counter()
    return {
        "load_average": os.getloadavg(),
        "routes": len(routes),
        "stops": [len(r.stops) for r in routes],
        "first_request_s": first_s,
        "seconds_median": statistics.median(seconds),
        "seconds_all": seconds,
        # CPU time of this process only (the PDF is rendered in worker processes).
        "cpu_seconds_median": statistics.median(cpu),
        "bytes": len(body),
        "pages": len(reader.pages),
        "build_sheets_s": t1 - t0,
        "render_pdf_s": t2 - t1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            fill(app)
            result = measure(app, args.repeats)
        app.extensions["outreach_engine"].dispose()
    stops = result["stops"]
    print(
        f"day PDF, {result['routes']} teams x {min(stops)}-{max(stops)} stops "
        f"({sum(stops)} stops): {result['seconds_median']:.2f} s "
        f"({result['cpu_seconds_median']:.2f} s CPU; median of {args.repeats}), "
        f"{result['bytes'] / 1024:.0f} KB, {result['pages']} pages; "
        f"first request {result['first_request_s']:.2f} s (starts the render processes); "
        f"build sheets {result['build_sheets_s']:.2f} s + render PDF {result['render_pdf_s']:.2f} s"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "sheets.json"
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    out.write_text(json.dumps({"machine": machine, "day_pdf": result}, indent=2))
    print(f"written {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
