"""bench/national.py's pieces: the seeding, the projection, the services it starts.

The full bench needs a PostgreSQL cluster and minutes; here the seeding runs on a copy of the
Kota Yogyakarta template database (real pack, real road graph), the projection on made-up job
times, and the redis-server and /proc readings for real.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import random
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine, func, select

from outreach import jobs, models
from tests.conftest import sqlite_only
from tests.web.conftest import yogya_template

__all__ = ["yogya_template"]
BENCH = Path(__file__).resolve().parent.parent / "bench" / "national.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_national", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_national"] = module
    spec.loader.exec_module(module)
    return module


national = _load()


def test_projection_is_labelled_and_follows_its_formula() -> None:
    times = [10.0] * 19 + [30.0]  # mean 11, p95 interpolated between 10 and 30
    proj = national.projection(times, offices=514, workers=4)
    assert proj["label"].startswith("PROJECTION")
    assert proj["jobs_per_worker"] == 129  # ceil(514 / 4)
    assert proj["expected_s"] == pytest.approx(129 * 11.0)
    assert proj["upper_s"] == pytest.approx(129 * proj["per_office_p95_s"], rel=1e-3)
    assert proj["meets_aim"] is (proj["upper_s"] < 3600)
    assert national.projection([], offices=514, workers=4) == {}


def test_projection_misses_the_aim_when_offices_are_slow() -> None:
    assert national.projection([40.0] * 10, offices=514, workers=4)["meets_aim"] is False
    assert national.projection([5.0] * 10, offices=514, workers=4)["meets_aim"] is True


@sqlite_only
def test_seed_makes_offices_teams_and_located_open_requests(
    tmp_path: Path, yogya_template: Path
) -> None:
    shutil.copyfile(yogya_template, tmp_path / "n.db")
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    day = dt.date(2026, 12, 7)
    seeded = national.seed(
        engine,
        offices=3,
        requests=300,
        rng=random.Random(1),
        verified=dt.datetime(2026, 12, 4, 7, 0),
    )
    assert seeded["requests"] == 300
    assert seeded["requests_per_office"] == 100
    with engine.connect() as conn:
        offices = conn.execute(
            select(models.Office.id).where(models.Office.name.like("Disdukcapil Uji%"))
        ).all()
        assert len(offices) == 3
        for (office_id,) in offices:
            teams = conn.scalar(
                select(func.count(models.Team.id)).where(models.Team.office_id == office_id)
            )
            assert 2 <= int(teams or 0) <= 4
            open_requests = conn.scalar(
                select(func.count(models.ServiceRequest.id)).where(
                    models.ServiceRequest.office_id == office_id,
                    models.ServiceRequest.status == models.RequestStatus.TERVERIFIKASI.value,
                    models.ServiceRequest.kelurahan_id.is_not(None),
                    models.ServiceRequest.lon.is_not(None),
                )
            )
            assert open_requests == 100
        verified = conn.scalar(select(func.max(models.ServiceRequest.verified_at)))
        assert verified is not None and verified.date() < day
    # Every request sits on a node of the real road network.
    nodes = set(national.road_nodes())
    with engine.connect() as conn:
        points = conn.execute(
            select(models.ServiceRequest.lon, models.ServiceRequest.lat).where(
                models.ServiceRequest.tracking_code.like("BN-%")
            )
        ).all()
    assert {(lon, lat) for lon, lat in points} <= nodes
    # Jobs table empty: no per-office times yet.
    assert national.job_times(engine)[0] == []
    engine.dispose()


def test_redis_server_and_peak_memory(tmp_path: Path) -> None:
    with national.redis_server(tmp_path) as url:
        assert jobs.redis_connection(url).ping()
    assert (national.vm_hwm_kb(os.getpid()) or 0) > 10_000
    assert national.vm_hwm_kb(2**22 + 12345) is None
