"""Background jobs (outreach.jobs): a real thread writing a real SQLite file."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from outreach import jobs, models
from outreach.db import make_engine, upgrade_database
from outreach.errors import PlanningError
from tests.job_wait import wait_for_job


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite file with one office (threads need a file, not :memory:)."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    make = sessionmaker(bind=engine, expire_on_commit=False)
    with make() as session:
        session.add(
            models.Office(
                name="Disdukcapil Uji", region_slug="uji", region_code="00.00",
                depot_lon=110.37, depot_lat=-7.8,
            )
        )  # fmt: skip
        session.commit()
    yield make
    engine.dispose()


def _office_id(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalars(select(models.Office.id)).one())


def _submit(factory: sessionmaker[Session], fn: jobs.JobFunction, **params: Any) -> str:
    return jobs.submit(
        factory, kind="plan", office_id=_office_id(factory), title="Uji", fn=fn, params=params
    )


def test_submit_runs_in_a_thread_reports_progress_and_commits(
    factory: sessionmaker[Session],
) -> None:
    gate = threading.Event()
    seen: dict[str, Any] = {}

    def work(session: Session, progress: jobs.Progress) -> dict[str, Any]:
        seen["thread"] = threading.current_thread().name
        progress(1, 4, "Menyusun rute hari 2")
        assert gate.wait(10)
        session.add(models.AuditEvent(actor="system", action="uji", entity="x", detail={}))
        session.flush()
        return {"plan_id": 7}

    job_id = _submit(factory, work, start="2030-01-07", days=1)
    assert len(job_id) == 32 and int(job_id, 16) >= 0
    # While the work waits, another session (another web worker) reads the progress.
    for _ in range(200):
        with factory() as session:
            job = jobs.get_job(session, job_id)
            assert job is not None
            if job.done == 1:
                break
        threading.Event().wait(0.02)
    payload = jobs.job_payload(job)
    assert payload["status"] == "running" and not payload["finished"]
    assert (payload["done"], payload["total"], payload["percent"]) == (1, 4, 25)
    assert payload["text"] == "Menyusun rute hari 2" and payload["title"] == "Uji"
    assert job.started_at is not None and job.finished_at is None
    gate.set()
    done = wait_for_job(factory, job_id, timeout=20)
    assert done.status == "done" and done.result == {"plan_id": 7} and done.error == ""
    assert done.finished_at is not None and done.params == {"start": "2030-01-07", "days": 1}
    assert jobs.job_payload(done)["percent"] == 100
    assert seen["thread"].startswith("job-") and seen["thread"] != threading.current_thread().name
    with factory() as session:  # the work's own session was committed
        events = select(models.AuditEvent.action).where(models.AuditEvent.entity == "x")
        assert session.scalars(events).all() == ["uji"]


def test_a_domain_error_fails_the_job_in_indonesian_and_rolls_back(
    factory: sessionmaker[Session],
) -> None:
    def work(session: Session, progress: jobs.Progress) -> dict[str, Any]:
        session.add(models.AuditEvent(actor="system", action="uji", entity="x", detail={}))
        session.flush()
        msg = "tidak ada tim yang bertugas"
        raise PlanningError(msg)

    job = wait_for_job(factory, _submit(factory, work), timeout=20)
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == "Perencanaan gagal: tidak ada tim yang bertugas"
    assert jobs.job_payload(job)["error"] == job.error
    with factory() as session:
        events = select(models.AuditEvent).where(models.AuditEvent.entity == "x")
        assert session.scalars(events).all() == []


def test_a_job_error_is_shown_as_written(factory: sessionmaker[Session]) -> None:
    def work(session: Session, progress: jobs.Progress) -> dict[str, Any]:
        msg = "Perencanaan gagal: data wilayah belum dimuat."
        raise jobs.JobError(msg)

    job = wait_for_job(factory, _submit(factory, work), timeout=20)
    assert job.status == "failed" and job.error == "Perencanaan gagal: data wilayah belum dimuat."


def test_an_unexpected_error_is_logged_not_shown(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    def work(session: Session, progress: jobs.Progress) -> dict[str, Any]:
        return {"x": 1 // 0}

    with caplog.at_level(logging.ERROR, logger="outreach.jobs"):
        job = wait_for_job(factory, _submit(factory, work), timeout=20)
    assert job.status == "failed" and job.error == jobs.UNEXPECTED
    assert "ZeroDivisionError" not in job.error
    assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)


def test_a_job_left_running_by_a_dead_process_shows_failed_and_can_run_again(
    factory: sessionmaker[Session],
) -> None:
    office_id = _office_id(factory)
    long_ago = models.utcnow() - dt.timedelta(hours=2)
    with factory() as session:
        session.add(
            models.Job(
                id="a" * 32, kind="plan", office_id=office_id, title="Uji", status="running",
                params={"start": "2030-01-07", "days": 2}, result={}, created_at=long_ago,
                started_at=long_ago, updated_at=long_ago, done=1, total=2,
            )
        )  # fmt: skip
        # A recent one is left alone.
        session.add(
            models.Job(id="b" * 32, kind="plan", office_id=office_id, title="Uji", status="running")
        )
        session.commit()
    with factory() as session:
        stale = jobs.get_job(session, "a" * 32)
        fresh = jobs.get_job(session, "b" * 32)
        assert stale is not None and fresh is not None
        assert stale.status == "failed" and "coba lagi" in stale.error
        assert fresh.status == "running"
        session.commit()
        params = dict(stale.params)
    with factory() as session:
        assert jobs.get_job(session, "a" * 32).status == "failed"  # type: ignore[union-attr]
        assert jobs.get_job(session, "nope") is None
        assert jobs.get_job(session, "c" * 32) is None

    # Retry: submit again with the inputs stored on the job.
    def work(session: Session, progress: jobs.Progress) -> dict[str, Any]:
        return {"days": params["days"]}

    again = wait_for_job(factory, _submit(factory, work, **params), timeout=20)
    assert again.status == "done" and again.result == {"days": 2} and again.params == params
