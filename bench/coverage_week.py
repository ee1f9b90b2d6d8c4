"""How much of the not-recorded gap one week of sweep visits closes on the demo city.

A fresh SQLite database in a temporary folder goes through the demo's own commands (the
Flask CLI, in-process): ``init-db``, ``region import kota-yogyakarta`` (the road graph from
the shared cache in ``data/cache``), ``seed-demo`` (4 teams, 150 requests), ``coverage
import-demo`` (made-up counts per kelurahan: data karangan), ``coverage sweeps --top N``, then
``plan`` over the next 5 working days from next Monday. Counted from the stored plan:

- **gap**: residents of KTP age not yet recorded over the city (the demo file), and over the
  N swept kelurahan;
- **expected**: persons the sweeps expect (25% of each area's gap, capped by the day's cards);
- **planned**: persons on the plan's sweep stops (the parts of split sweeps added up), and the
  home-visit persons planned alongside;
- **closed**: planned sweep persons as a share of the city's gap and of the swept areas' gap;
- **pushed**: the same week is planned first *without* the sweeps (the home visits alone);
  home visits of the urgent categories (sakit, disabilitas, darurat) that the sweeps moved to
  a later day or out of the week are counted (``urgent_home_later``; of them out of the week:
  ``urgent_home_out_of_week``), and so are the lansia visits (``lansia_home_later``), with the
  home-visit persons planned without the sweeps.

    .venv/bin/python bench/coverage_week.py [--top 10] [--days 5]

Writes ``bench/results/coverage_week.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
            "MAP_TILES": "none",
        }
    )


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["outreach", *args])
    if result.exit_code != 0:
        raise SystemExit(f"outreach {' '.join(args)} failed:\n{result.output}")
    return result.output


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


URGENT = frozenset({"sakit", "disabilitas", "darurat"})


def latest_plan(session: Any) -> models.Plan:
    plan = session.scalars(select(models.Plan).order_by(models.Plan.id.desc())).first()
    assert plan is not None
    return plan


def home_dates(plan: models.Plan) -> dict[int, tuple[dt.date, int]]:
    """Request id -> (day, persons) of each home visit (not a sweep) on the plan."""
    return {
        stop.request_id: (route.route_date, int(stop.request.persons or 1))
        for route in plan.routes
        for stop in route.stops
        if stop.request.channel != "sweep"
    }


def measure(app: Flask, top: int, days: int) -> dict[str, Any]:
    from outreach.coverage import coverage_report

    t0 = time.perf_counter()
    run(app, "region", "import", "kota-yogyakarta")
    run(app, "seed-demo")
    run(app, "coverage", "import-demo")
    with app.app_context():
        session = get_session()
        office = session.scalar(select(models.Office))
        assert office is not None
        report = coverage_report(session, office)
        gap_city = report.not_recorded
        gaps = {a.area_id: a.remaining for a in report.kelurahan}
    start = next_monday(dt.date.today())
    run(app, "plan", "--date", start.isoformat(), "--days", str(days))
    with app.app_context():
        alone = home_dates(latest_plan(get_session()))
    run(app, "coverage", "sweeps", "--top", str(top))
    plan_out = run(app, "plan", "--date", start.isoformat(), "--days", str(days))
    with app.app_context():
        session = get_session()
        plan = latest_plan(session)
        mixed = home_dates(plan)
        sweeps = session.scalars(
            select(models.ServiceRequest).where(models.ServiceRequest.channel == "sweep")
        ).all()
        expected = sum(s.persons for s in sweeps)
        gap_swept = sum(gaps.get(s.kelurahan_id or 0, 0) for s in sweeps)
        sweep_persons = home_persons = 0
        sweep_stops = 0
        per_area: dict[str, int] = {}
        for route in plan.routes:
            for stop in route.stops:
                persons = stop.persons if stop.persons is not None else stop.request.persons
                if stop.request.channel == "sweep":
                    sweep_persons += persons
                    sweep_stops += 1
                    name = stop.request.kelurahan.name if stop.request.kelurahan else "?"
                    per_area[name] = per_area.get(name, 0) + persons
                else:
                    home_persons += persons
        team_days = len(plan.routes)
        categories = dict(
            session.execute(select(models.ServiceRequest.id, models.ServiceRequest.category)).all()
        )
        later = {
            req_id
            for req_id, (day, _) in alone.items()
            if req_id not in mixed or mixed[req_id][0] > day
        }
        urgent_later = [r for r in later if categories.get(r) in URGENT]
        urgent_out = [r for r in urgent_later if r not in mixed]
        why = {u.request_id: u.reason for u in plan.unassigned}
        urgent_out_reasons = sorted(f"{categories[r]}: {why.get(r, '?')}" for r in urgent_out)
    return {
        "start": start.isoformat(),
        "days": days,
        "top": top,
        "team_days": team_days,
        "gap_city": gap_city,
        "gap_swept_areas": gap_swept,
        "sweeps": len(sweeps),
        "expected_persons": expected,
        "planned_sweep_persons": sweep_persons,
        "planned_sweep_stops": sweep_stops,
        "planned_home_persons": home_persons,
        "home_persons_without_sweeps": sum(p for _, p in alone.values()),
        "urgent_home_visits_without_sweeps": sum(1 for r in alone if categories.get(r) in URGENT),
        "urgent_home_later": len(urgent_later),
        "urgent_home_out_of_week": len(urgent_out),
        "urgent_home_out_reasons": urgent_out_reasons,
        "urgent_home_days_later": sorted(
            (mixed[r][0] - alone[r][0]).days for r in urgent_later if r in mixed
        ),
        "lansia_home_later": sum(1 for r in later if categories.get(r) == "lansia"),
        "planned_per_area": dict(sorted(per_area.items(), key=lambda kv: -kv[1])),
        "closed_share_of_city_gap": round(sweep_persons / gap_city, 4) if gap_city else 0,
        "closed_share_of_swept_gap": round(sweep_persons / gap_swept, 4) if gap_swept else 0,
        "planned_share_of_expected": round(sweep_persons / expected, 4) if expected else 0,
        "plan_summary": [
            line for line in plan_out.splitlines() if line.startswith(("Penyisiran", "Not planned"))
        ],
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        try:
            facts = measure(app, args.top, args.days)
        finally:
            app.extensions["outreach_engine"].dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "coverage_week.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False))
    print(json.dumps(facts, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
