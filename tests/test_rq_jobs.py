"""Background jobs on RQ: a real redis-server on a unix socket, real worker processes.

The fixtures here (``redis_url``, ``rq_app``) are imported by tests/web/test_plan_jobs_rq.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import outreach.cli_jobs  # adds "outreach worker" and "outreach plan-all"
from outreach import jobs, models
from outreach.db import get_session
from outreach.planning.calendar import working_days
from tests.conftest import REPO_ROOT, SHARED_REGIONS
from tests.intake.yogya import yapp, yogya_app, yogya_template
from tests.job_wait import wait_for_job
from tests.web.test_plans import MONDAY, _seed_backlog

__all__ = ["redis_url", "rq_app", "yapp", "yogya_template"]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
#: Seconds between heartbeats in these tests: a killed worker is seen within 8 of them.
HEARTBEAT = 0.3
#: The flask CLI with this module's commands imported (whether or not register_cli does).
FLASK_CLI = "import outreach.cli_jobs; from flask.cli import main; main()"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a unix socket (no TCP port, no persistence), then stopped."""
    folder = tmp_path
    if len(str(tmp_path / "redis.sock")) > 100:  # unix socket paths are limited to ~107 bytes
        folder = Path(tempfile.mkdtemp(prefix="rq-"))
    sock = folder / "redis.sock"
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis+unix://{sock}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if jobs.redis_connection(url).ping():
                    break
            except OSError:
                pass
            except Exception as exc:  # redis.ConnectionError while the socket is not there yet
                if time.monotonic() > deadline:
                    raise AssertionError("redis-server did not start") from exc
            time.sleep(0.05)
        yield url
    finally:
        for key in [k for k in jobs._CLIENTS if k[1] == url]:
            jobs._CLIENTS.pop(key).close()
        server.terminate()
        server.wait(10)
        if folder != tmp_path:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def rq_app(tmp_path: Path, yogya_template: Path, redis_url: str) -> Iterator[Flask]:
    """The Yogyakarta office app with jobs on the test Redis and a fast heartbeat."""
    app = yogya_app(tmp_path, yogya_template, REDIS_URL=redis_url, JOB_HEARTBEAT_SECONDS=HEARTBEAT)
    with app.app_context():
        yield app
    app.extensions["outreach_engine"].dispose()


def worker_env(app: Flask) -> dict[str, str]:
    """The environment a worker process needs to be configured like ``app``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env.update(
        OUTREACH_DATABASE_URL=str(app.config["DATABASE_URL"]),
        OUTREACH_DATA_DIR=str(app.config["DATA_DIR"]),
        OUTREACH_CACHE_DIR=str(app.config["CACHE_DIR"]),
        OUTREACH_REGIONS_DIR=str(SHARED_REGIONS),
        OUTREACH_REDIS_URL=str(app.config["REDIS_URL"]),
        OUTREACH_SECRET_KEY="test",
        OUTREACH_MAP_TILES="none",
        OUTREACH_JOB_HEARTBEAT_SECONDS=str(app.config["JOB_HEARTBEAT_SECONDS"]),
    )
    return env


def start_worker(app: Flask, *, burst: bool = True) -> subprocess.Popen[str]:
    """``flask --app wsgi outreach worker [--burst]`` in a process of its own."""
    args = [sys.executable, "-c", FLASK_CLI, "--app", "wsgi", "outreach", "worker"]
    return subprocess.Popen(
        [*args, "--burst"] if burst else args,
        cwd=REPO_ROOT,
        env=worker_env(app),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_worker(app: Flask, timeout: float = 240) -> str:
    """Run a burst worker until the queue is empty; its output."""
    proc = start_worker(app)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL a worker process (no clean-up of any kind runs)."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def factory_of(app: Flask) -> sessionmaker[Session]:
    return app.extensions["outreach_sessionmaker"]  # type: ignore[no-any-return]


def plan_count() -> int:
    get_session().expire_all()
    return int(get_session().scalar(select(func.count()).select_from(models.Plan)) or 0)


# --- the CLI -----------------------------------------------------------------------------------


def test_plan_queue_prints_the_job_id_and_a_burst_worker_makes_the_plan(rq_app: Flask) -> None:
    _seed_backlog(get_session())
    get_session().commit()
    runner = rq_app.test_cli_runner()
    res = runner.invoke(args=["outreach", "plan", "--date", MONDAY.isoformat(), "--queue"])
    assert res.exit_code == 0, res.output
    job_id = res.output.strip()
    assert len(job_id) == 32
    factory = factory_of(rq_app)
    with factory() as session:
        job = session.get(models.Job, job_id)
        assert job is not None and job.status == "queued" and job.kind == "plan"
        assert job.params["start"] == MONDAY.isoformat() and job.params["actor"] == "cli"
    assert jobs.rq_queue(rq_app.config["REDIS_URL"]).count == 1
    assert plan_count() == 0  # nothing planned in the CLI's own process

    out = run_worker(rq_app)
    assert "queue outreach" in out
    done = wait_for_job(factory, job_id, timeout=5)
    assert done.status == "done", done.error
    plan = get_session().scalars(select(models.Plan)).one()
    assert done.result == {"plan_id": plan.id} and plan.start_date == MONDAY
    assert jobs.rq_queue(rq_app.config["REDIS_URL"]).count == 0


def test_plan_all_queues_each_office_s_next_working_day(rq_app: Flask) -> None:
    _seed_backlog(get_session())
    get_session().commit()
    saturday = MONDAY - dt.timedelta(days=2)  # no home visits on Saturday: Monday is next
    res = rq_app.test_cli_runner().invoke(
        args=["outreach", "plan-all", "--date", saturday.isoformat()]
    )
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    office = get_session().scalars(select(models.Office)).one()
    assert len(lines) == 1
    job_id, day, *rest = lines[0].split()
    assert day == MONDAY.isoformat() and rest[:2] == ["office", str(office.id)]
    run_worker(rq_app)
    done = wait_for_job(factory_of(rq_app), job_id, timeout=5)
    assert done.status == "done", done.error
    plan = get_session().get(models.Plan, done.result["plan_id"])
    assert plan is not None and plan.start_date == MONDAY and plan.status == "draft"


def test_region_import_queued_then_run_by_a_worker_and_shown_by_job(rq_app: Flask) -> None:
    runner = rq_app.test_cli_runner()
    res = runner.invoke(args=["outreach", "region", "queue-import", "kota-yogyakarta"])
    assert res.exit_code == 0, res.output
    job_id = res.output.strip()
    res = runner.invoke(args=["outreach", "job", job_id])
    assert res.exit_code == 0 and f"{job_id} region_import queued 0%" in res.output
    run_worker(rq_app)
    done = wait_for_job(factory_of(rq_app), job_id, timeout=5)
    assert done.status == "done", done.error
    assert done.result["slug"] == "kota-yogyakarta"
    assert done.result["report"].startswith("kota-yogyakarta (")
    res = runner.invoke(args=["outreach", "job", job_id])
    assert f"{job_id} region_import done 100%" in res.output and "report: kota-yog" in res.output
    # A pack that does not exist: the job fails with the import's own message.
    res = runner.invoke(args=["outreach", "region", "queue-import", "tidak-ada"])
    bad = res.output.strip()
    run_worker(rq_app)
    failed = wait_for_job(factory_of(rq_app), bad, timeout=5)
    assert failed.status == "failed" and failed.error.startswith("Impor wilayah gagal: ")
    assert runner.invoke(args=["outreach", "job", "f" * 32]).exit_code == 1


def test_next_working_day_follows_the_office_calendar(rq_app: Flask) -> None:
    office = get_session().scalars(select(models.Office)).one()
    friday = MONDAY - dt.timedelta(days=3)
    assert outreach.cli_jobs.next_working_day(office, friday) == working_days(friday, 1)[0]
    assert outreach.cli_jobs.next_working_day(office, MONDAY) == MONDAY


def test_queue_without_redis_is_one_clear_error(yapp: Flask) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "plan", "--date", MONDAY.isoformat(), "--queue"])
    assert res.exit_code == 1 and "OUTREACH_REDIS_URL is not set" in res.output
    res = runner.invoke(args=["outreach", "plan-all"])
    assert res.exit_code == 1 and "OUTREACH_REDIS_URL is not set" in res.output
    res = runner.invoke(args=["outreach", "worker", "--burst"])
    assert res.exit_code == 1 and "OUTREACH_REDIS_URL is not set" in res.output
    assert get_session().scalar(select(func.count()).select_from(models.Job)) == 0


# --- finding dead jobs -------------------------------------------------------------------------


def _row(app: Flask, status: str, **values: object) -> str:
    office = get_session().scalars(select(models.Office)).one()
    job_id = str(values.pop("id", "e" * 32))
    with factory_of(app)() as session:
        session.add(
            models.Job(id=job_id, kind="plan", office_id=office.id, title="Uji", status=status,
                       params={}, result={}, **values)
        )  # fmt: skip
        session.commit()
    return job_id


def test_a_job_rq_does_not_know_is_failed_with_a_clear_message(rq_app: Flask) -> None:
    job_id = _row(rq_app, "queued")
    session = get_session()
    job = jobs.get_job(session, job_id, config=rq_app.config)
    assert job is not None and job.status == "failed" and job.error == jobs.WORKER_DIED
    assert "silakan coba lagi" in jobs.job_payload(job)["error"]


def test_a_running_job_without_heartbeat_is_failed_a_beating_one_is_not(rq_app: Flask) -> None:
    # Both are known to RQ (started): only the heartbeat tells them apart.
    queue = jobs.rq_queue(rq_app.config["REDIS_URL"])
    old = models.utcnow() - dt.timedelta(seconds=10 * HEARTBEAT)
    silent = _row(rq_app, "running", id="1" * 32, started_at=old, updated_at=old)
    beating = _row(rq_app, "running", id="2" * 32, started_at=old)
    for job_id in (silent, beating):
        queue.enqueue(jobs.run_queued, job_id, job_id=job_id)
    session = get_session()
    dead = jobs.get_job(session, silent, config=rq_app.config)
    alive = jobs.get_job(session, beating, config=rq_app.config)
    assert dead is not None and dead.status == "failed" and dead.error == jobs.WORKER_DIED
    assert alive is not None and alive.status == "running"
    session.commit()  # what the job page does: the dead job is stored as failed
    # Waiting its turn on the queue for hours (plan-all over many offices) is not death.
    long_ago = models.utcnow() - dt.timedelta(hours=3)
    waiting = _row(rq_app, "queued", id="4" * 32, created_at=long_ago, updated_at=long_ago)
    queue.enqueue(jobs.run_queued, waiting, job_id=waiting)
    assert jobs.get_job(session, waiting, config=rq_app.config).status == "queued"  # type: ignore[union-attr]
    # Without the app's config (as before RQ): only the 30-minute rule applies.
    quiet = _row(rq_app, "running", id="3" * 32, started_at=old, updated_at=old)
    assert jobs.get_job(session, quiet).status == "running"  # type: ignore[union-attr]


def test_redis_down_when_submitting_fails_the_job_not_the_page(
    tmp_path: Path, yogya_template: Path
) -> None:
    app = yogya_app(tmp_path, yogya_template, REDIS_URL=f"redis+unix://{tmp_path}/none.sock")
    with app.app_context():
        office = get_session().scalars(select(models.Office)).one()
        job_id = jobs.enqueue(
            app,
            kind="plan",
            office_id=office.id,
            title="Uji",
            params={"office_id": office.id, "start": MONDAY.isoformat()},
        )
        job = wait_for_job(factory_of(app), job_id, timeout=5)
        assert job.status == "failed" and job.error == jobs.NO_QUEUE
    app.extensions["outreach_engine"].dispose()
