"""The plan form on RQ: a worker process makes the plan, progress shows while it runs, a worker
killed mid-job (SIGKILL) leaves a failed job with a clear message, and its retry makes exactly
one plan."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from outreach import jobs, models
from outreach.db import get_session
from tests.field_day import DAY, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yapp
from tests.job_wait import job_id_of, wait_for_job
from tests.test_rq_jobs import (
    factory_of,
    kill,
    plan_count,
    redis_url,
    rq_app,
    run_worker,
    start_worker,
    yogya_template,
)
from tests.web.test_plans import _form, _seed_backlog
from tests.web.test_sheets import DAY_URL, signed_in

__all__ = ["redis_url", "rq_app", "yapp", "yogya_template"]


@pytest.fixture
def coordinator(rq_app: Flask) -> FlaskClient:
    _seed_backlog(get_session())
    get_session().commit()
    client = rq_app.test_client()
    res = client.post("/auth/masuk", data={"username": COORDINATOR[0], "password": COORDINATOR[1]})
    assert res.status_code == 302
    return client


def _poll(client: FlaskClient, job_id: str, until: str, timeout: float = 120) -> list[Any]:
    """The job's JSON as the page polls it, until its status is ``until`` (all seen)."""
    seen: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/rencana/tugas/{job_id}.json").get_json()
        seen.append(data)
        if data["status"] == until:
            return seen
        assert not data["finished"], data
        time.sleep(0.05)
    msg = f"job {job_id} not {until} after {timeout} s: {seen[-1]}"
    raise AssertionError(msg)


def _wait_running(app: Flask, job_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory_of(app)() as session:
            job = session.get(models.Job, job_id)
            if job is not None and job.status == "running":
                return
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} never ran")


def test_the_plan_form_on_rq_shows_progress_then_the_plan(
    rq_app: Flask, coordinator: FlaskClient
) -> None:
    job_id = job_id_of(coordinator.post("/rencana/", data=_form(hari="2")))
    # Nothing runs in the web process: the job waits on the queue for a worker.
    time.sleep(0.3)
    data = coordinator.get(f"/rencana/tugas/{job_id}.json").get_json()
    assert (data["status"], data["text"]) == ("queued", "Menunggu giliran ...")
    html = coordinator.get(f"/rencana/tugas/{job_id}").get_data(as_text=True)
    assert "Menunggu giliran" in html and "job.js" in html
    assert jobs.rq_queue(rq_app.config["REDIS_URL"]).count == 1

    worker = start_worker(rq_app)
    seen = _poll(coordinator, job_id, "done")
    out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, out
    running = [d for d in seen if d["status"] == "running"]
    assert running, "the web never saw the job running"
    # Progress only goes forward, as the worker reports it (a fast day may pass unseen).
    percents = [d["percent"] for d in seen]
    assert percents == sorted(percents) and all(d["percent"] < 100 for d in running)
    assert all(d["text"] for d in running) and seen[-1]["total"] == 2
    plan = get_session().scalars(select(models.Plan)).one()
    assert seen[-1]["result"] == {"plan_id": plan.id} and seen[-1]["percent"] == 100
    res = coordinator.get(f"/rencana/tugas/{job_id}", follow_redirects=True)
    assert res.request.path == f"/rencana/{plan.id}"
    assert f"Draf rencana #{plan.id} dibuat." in res.get_data(as_text=True)


def test_a_worker_killed_mid_job_shows_failed_and_the_retry_makes_one_plan(
    rq_app: Flask, coordinator: FlaskClient
) -> None:
    job_id = job_id_of(coordinator.post("/rencana/", data=_form(hari="2")))
    worker = start_worker(rq_app, burst=False)
    _wait_running(rq_app, job_id)
    kill(worker)
    assert plan_count() == 0, "the worker finished before it was killed"

    seen = _poll(coordinator, job_id, "failed", timeout=30)
    assert seen[-1]["error"] == jobs.WORKER_DIED
    html = coordinator.get(f"/rencana/tugas/{job_id}").get_data(as_text=True)
    assert "Pekerja latar yang menjalankan tugas ini berhenti di tengah jalan" in html
    assert f'action="/rencana/tugas/{job_id}/ulang"' in html and "Coba lagi" in html

    again = job_id_of(coordinator.post(f"/rencana/tugas/{job_id}/ulang"))
    assert again != job_id
    run_worker(rq_app)
    done = wait_for_job(factory_of(rq_app), again, timeout=5)
    assert done.status == "done", done.error
    assert done.params["retry_of"] == job_id and plan_count() == 1


def test_a_retry_of_a_job_that_made_its_plan_returns_that_plan(
    rq_app: Flask, coordinator: FlaskClient
) -> None:
    job_id = job_id_of(coordinator.post("/rencana/", data=_form()))
    run_worker(rq_app)
    first = wait_for_job(factory_of(rq_app), job_id, timeout=5)
    assert first.status == "done" and plan_count() == 1
    # As if the worker died between committing the plan and marking the job done.
    with factory_of(rq_app)() as session:
        row = session.get(models.Job, job_id)
        assert row is not None
        row.status, row.error = "failed", jobs.WORKER_DIED
        session.commit()
    again = job_id_of(coordinator.post(f"/rencana/tugas/{job_id}/ulang"))
    run_worker(rq_app)
    done = wait_for_job(factory_of(rq_app), again, timeout=5)
    assert done.status == "done"
    assert done.result == {"plan_id": first.result["plan_id"], "reused": True}
    assert plan_count() == 1
    res = coordinator.get(f"/rencana/tugas/{again}", follow_redirects=True)
    assert res.request.path == f"/rencana/{first.result['plan_id']}"


# --- "Cetak semua" as a job ----------------------------------------------------------------------


def _day_pdf_job(app: Flask, client: FlaskClient, *, worker: bool) -> tuple[str, bytes]:
    """POST the day-PDF job, run it (a worker or inline), follow its page to the PDF."""
    res = client.post(f"/lembar/hari/{DAY.isoformat()}/tugas")
    job_id = job_id_of(res)
    if worker:
        run_worker(app)
    done = wait_for_job(factory_of(app), job_id, timeout=120)
    assert done.status == "done", done.error
    assert done.result["routes"] == 2 and done.result["file"] == f"{job_id}.pdf"
    res = client.get(f"/rencana/tugas/{job_id}")
    assert res.status_code == 303 and res.headers["Location"] == f"/lembar/tugas/{job_id}.pdf"
    res = client.get(res.headers["Location"])
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.headers["Cache-Control"] == "private, no-store"
    assert f'filename="{done.result["filename"]}"' in res.headers["Content-Disposition"]
    pdf = res.get_data()
    res.close()
    path = jobs.job_file(app.config, job_id, ".pdf")
    assert path.stat().st_mode & 0o077 == 0  # the file holds names: owner only
    return job_id, pdf


def test_the_day_pdf_on_rq_is_a_file_from_the_job_page(rq_app: Flask) -> None:
    build_field_day(get_session(), travel_for(rq_app))
    client = signed_in(rq_app, COORDINATOR[0], COORDINATOR[1])
    direct = client.get(f"/lembar/hari/{DAY.isoformat()}.pdf")  # still there for small days
    _, pdf = _day_pdf_job(rq_app, client, worker=True)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == len(PdfReader(io.BytesIO(direct.data)).pages)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Tim Mawar" in text and "Tim Melati" in text
    # Another office's or an unknown job: nothing.
    assert client.get(f"/lembar/tugas/{'f' * 32}.pdf").status_code == 404


def test_the_day_pdf_job_inline_and_who_gets_what(yapp: Flask) -> None:
    build_field_day(get_session(), travel_for(yapp))
    client = signed_in(yapp, COORDINATOR[0], COORDINATOR[1])
    job_id, pdf = _day_pdf_job(yapp, client, worker=False)
    assert pdf.startswith(b"%PDF")
    # A day without routes: the job fails in Indonesian and can be retried.
    res = client.post("/lembar/hari/2026-11-24/tugas")
    failed = wait_for_job(factory_of(yapp), job_id_of(res), timeout=60)
    assert failed.status == "failed" and failed.error.startswith("Pembuatan PDF gagal: ")
    res = client.post(f"/rencana/tugas/{failed.id}/ulang")
    again = wait_for_job(factory_of(yapp), job_id_of(res), timeout=60)
    assert again.kind == "day_pdf" and again.params["retry_of"] == failed.id
    bad = client.post("/lembar/hari/2026-13-40/tugas")
    assert bad.status_code == 400
    # A team lead prints their own route at once, and cannot fetch the office's file.
    lead = signed_in(yapp, "ketua.mawar")
    res = lead.post(f"/lembar/hari/{DAY.isoformat()}/tugas")
    assert res.status_code == 303 and res.headers["Location"] == DAY_URL
    assert lead.get(f"/lembar/tugas/{job_id}.pdf").status_code == 404


# --- exports as jobs ---------------------------------------------------------------------------


def test_an_export_on_rq_is_the_same_file_from_the_job_page(rq_app: Flask) -> None:
    build_field_day(get_session(), travel_for(rq_app))
    client = signed_in(rq_app, COORDINATOR[0], COORDINATOR[1])
    direct = client.get("/ekspor/unduh?data=requests&format=csv&samarkan=1").data
    res = client.post("/ekspor/tugas", data={"data": "requests", "format": "csv", "samarkan": "1"})
    job_id = job_id_of(res)
    run_worker(rq_app)
    done = wait_for_job(factory_of(rq_app), job_id, timeout=5)
    assert done.status == "done", done.error
    assert done.result["rows"] == 7 and done.params["personal"] is False
    res = client.get(f"/rencana/tugas/{job_id}")
    assert res.status_code == 303 and res.headers["Location"] == f"/ekspor/tugas/{job_id}"
    res = client.get(res.headers["Location"])
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert res.headers["Cache-Control"] == "private, no-store"
    assert 'filename="jemput-bola-permohonan.csv"' in res.headers["Content-Disposition"]
    assert res.data == direct
    res.close()
    events = get_session().scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "export")
    )
    assert [(e.entity, e.detail["personal"], e.detail["rows"]) for e in events] == [
        ("requests", False, 7),
        ("requests", False, 7),
    ]
    # Bad filters: the form again at once, nothing queued.
    bad = client.post("/ekspor/tugas", data={"data": "plans", "format": "csv", "dari": "x"})
    assert bad.status_code == 400
    assert client.get(f"/ekspor/tugas/{'f' * 32}").status_code == 404
