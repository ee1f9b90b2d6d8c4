"""Helpers for tests that make plans through the background job (outreach.jobs)."""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from outreach import models
from outreach.planning.calendar import is_working_day

JOB_URL = re.compile(r"^/rencana/tugas/([0-9a-f]{32})$")


def future_monday(zone: str = "Asia/Jakarta", *, after_days: int = 2) -> dt.date:
    """The first working Monday at least ``after_days`` after the office's today."""
    day = dt.datetime.now(zoneinfo.ZoneInfo(zone)).date() + dt.timedelta(days=after_days)
    while day.weekday() != 0 or not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def wait_for_job(factory: sessionmaker[Session], job_id: str, timeout: float = 180) -> models.Job:
    """Poll the job's row (a fresh session each time) until it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        with factory() as session:
            job = session.get(models.Job, job_id)
            if job is not None and job.status in ("done", "failed"):
                session.expunge(job)
                return job
        if time.monotonic() > deadline:
            msg = f"job {job_id} not finished after {timeout} s"
            raise AssertionError(msg)
        time.sleep(0.05)


def job_id_of(res: TestResponse) -> str:
    """The job id a new-plan POST redirected to (303 to /rencana/tugas/<id>)."""
    assert res.status_code == 303, res.get_data(as_text=True)[:2000]
    match = JOB_URL.match(res.headers["Location"])
    assert match, res.headers["Location"]
    return match[1]


def post_plan(
    app: Flask, client: FlaskClient, data: dict[str, object], timeout: float = 180
) -> tuple[models.Job, TestResponse]:
    """POST the new-plan form, wait for its job, and open the job page (not followed)."""
    job_id = job_id_of(client.post("/rencana/", data=data))
    job = wait_for_job(app.extensions["outreach_sessionmaker"], job_id, timeout)
    return job, client.get(f"/rencana/tugas/{job_id}")
