"""Making a plan in the background (/rencana/tugas/...), discarding a draft, and "Diganti"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.planning.reasons import format_date
from outreach.web.mapping_data import office_today
from tests.job_wait import job_id_of, post_plan, wait_for_job
from tests.web.test_plans import MONDAY, _form, _seed_backlog


@pytest.fixture
def backlog(yapp: Flask) -> dict[str, models.ServiceRequest]:
    return _seed_backlog(get_session())


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


def _plans() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.Plan)) or 0)


def _job(status: str, **values: object) -> models.Job:
    job = models.Job(
        id=values.pop("id", "d" * 32),
        kind="plan",
        office_id=values.pop("office_id", None) or _office().id,
        title=f"Rencana 1 hari kerja mulai {format_date(MONDAY)}",
        status=status,
        params={"start": MONDAY.isoformat(), "days": 1, "teams": [], "replan": False},
        result={},
        **values,
    )
    session = get_session()
    session.add(job)
    session.commit()
    return job


def _as_lead(yapp: Flask) -> FlaskClient:
    client = yapp.test_client()
    res = client.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    assert res.status_code == 302
    return client


def test_form_goes_to_the_job_page_then_to_the_new_plan(
    yapp: Flask, staff_client: FlaskClient, backlog: object
) -> None:
    res = staff_client.post("/rencana/", data=_form(hari="2"))
    job_id = job_id_of(res)
    job = wait_for_job(yapp.extensions["outreach_sessionmaker"], job_id)
    assert job.status == "done", job.error
    assert job.title == f"Rencana 2 hari kerja mulai {format_date(MONDAY)}"
    assert job.total == 2 and job.text == "Selesai."
    plan = get_session().scalars(select(models.Plan)).one()
    assert job.result == {"plan_id": plan.id}
    data = staff_client.get(f"/rencana/tugas/{job_id}.json").get_json()
    assert data["status"] == "done" and data["finished"] and data["percent"] == 100
    assert data["result"] == {"plan_id": plan.id}
    res = staff_client.get(f"/rencana/tugas/{job_id}", follow_redirects=True)
    assert res.request.path == f"/rencana/{plan.id}"
    assert f"Draf rencana #{plan.id} dibuat." in res.get_data(as_text=True)


def test_running_job_page_polls_and_refreshes_without_script(
    staff_client: FlaskClient, backlog: object
) -> None:
    job = _job("running", done=1, total=3, text="Menyusun rute Selasa", started_at=None)
    res = staff_client.get(f"/rencana/tugas/{job.id}")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and res.headers["Cache-Control"] == "private, no-store"
    assert job.title in html and "Menyusun rute Selasa" in html
    assert re.search(r'<progress class="job-progress" max="100" value="33"', html)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert f'data-job-url="/rencana/tugas/{job.id}.json"' in html and "job.js" in html
    data = staff_client.get(f"/rencana/tugas/{job.id}.json").get_json()
    assert (data["status"], data["finished"], data["percent"]) == ("running", False, 33)
    assert data["text"] == "Menyusun rute Selasa" and data["error"] == ""


def test_a_past_start_date_is_refused_in_indonesian(
    yapp: Flask, staff_client: FlaskClient, backlog: object
) -> None:
    today = office_today(_office())
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    res = staff_client.post("/rencana/", data=_form(mulai=yesterday, hari="3"))
    html = res.get_data(as_text=True)
    assert res.status_code == 400
    assert f"Tanggal mulai sudah lewat (hari ini {format_date(today)})" in html
    assert f'name="mulai" value="{yesterday}"' in html and 'name="hari" min="1"' in html
    assert 'value="3"' in html  # what was typed is kept
    assert get_session().scalar(select(func.count()).select_from(models.Job)) == 0
    # Today itself is fine.
    res = staff_client.post("/rencana/", data=_form(mulai=today.isoformat()))
    assert res.status_code == 303 and "/rencana/tugas/" in res.headers["Location"]
    wait_for_job(yapp.extensions["outreach_sessionmaker"], job_id_of(res))


def test_failed_job_shows_the_error_and_retries(
    yapp: Flask, staff_client: FlaskClient, backlog: object
) -> None:
    teams = [t.id for t in get_session().scalars(select(models.Team))]
    job = _job("failed", error="Perencanaan gagal: uji.", text="Gagal.")
    job.params = {**job.params, "teams": teams}
    get_session().commit()
    res = staff_client.get(f"/rencana/tugas/{job.id}")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "Perencanaan gagal: uji." in html
    assert f'action="/rencana/tugas/{job.id}/ulang"' in html and "Coba lagi" in html
    assert 'href="/rencana/"' in html and "Kembali ke formulir rencana" in html
    assert "http-equiv" not in html and "job.js" not in html
    res = staff_client.post(f"/rencana/tugas/{job.id}/ulang")
    again = job_id_of(res)
    assert again != job.id
    done = wait_for_job(yapp.extensions["outreach_sessionmaker"], again)
    assert done.status == "done" and done.params["teams"] == teams
    assert _plans() == 1
    # Only a failed job is run again.
    res = staff_client.post(f"/rencana/tugas/{again}/ulang", follow_redirects=True)
    assert "Hanya tugas yang gagal dapat dicoba lagi." in res.get_data(as_text=True)
    assert _plans() == 1


def test_a_retry_of_a_start_date_now_past_is_refused(
    staff_client: FlaskClient, backlog: object
) -> None:
    job = _job("failed", error="Perencanaan gagal: uji.")
    job.params = {**job.params, "start": "2020-01-06"}
    get_session().commit()
    res = staff_client.post(f"/rencana/tugas/{job.id}/ulang", follow_redirects=True)
    assert res.request.path == "/rencana/"
    assert "Tanggal mulai sudah lewat" in res.get_data(as_text=True)
    assert get_session().scalar(select(func.count()).select_from(models.Job)) == 1


def test_unknown_or_other_office_jobs_are_404(staff_client: FlaskClient, backlog: object) -> None:
    assert staff_client.get("/rencana/tugas/" + "e" * 32).status_code == 404
    assert staff_client.get("/rencana/tugas/nope.json").status_code == 404
    other = models.Office(
        name="Kantor lain", region_slug="lain", region_code="00.00", depot_lon=0, depot_lat=0
    )
    session = get_session()
    session.add(other)
    session.flush()
    _job("running", id="f" * 32, office_id=other.id)
    assert staff_client.get("/rencana/tugas/" + "f" * 32).status_code == 404
    assert staff_client.post("/rencana/tugas/" + "f" * 32 + "/ulang").status_code == 404


def test_discard_a_draft_but_not_an_approved_plan(
    yapp: Flask, staff_client: FlaskClient, backlog: object
) -> None:
    job, _res = post_plan(yapp, staff_client, _form())
    draft_id = job.result["plan_id"]
    page = staff_client.get(f"/rencana/{draft_id}").get_data(as_text=True)
    assert f'action="/rencana/{draft_id}/buang"' in page and "data-confirm=" in page
    res = staff_client.post(f"/rencana/{draft_id}/buang")
    assert res.status_code == 303 and res.headers["Location"] == "/rencana/"
    listing = staff_client.get("/rencana/").get_data(as_text=True)
    assert f"Draf rencana #{draft_id} dibuang." in listing
    assert (
        _plans() == 0 and get_session().scalar(select(func.count()).select_from(models.Stop)) == 0
    )
    event = (
        get_session()
        .scalars(select(models.AuditEvent).where(models.AuditEvent.action == "plan.discard"))
        .one()
    )
    assert event.entity_id == draft_id
    # The job page of a discarded draft says so instead of failing.
    html = staff_client.get(f"/rencana/tugas/{job.id}").get_data(as_text=True)
    assert "drafnya sudah dibuang" in html

    job, _res = post_plan(yapp, staff_client, _form())
    plan_id = job.result["plan_id"]
    staff_client.post(f"/rencana/{plan_id}/setujui")
    page = staff_client.get(f"/rencana/{plan_id}").get_data(as_text=True)
    assert "/buang" not in page
    res = staff_client.post(f"/rencana/{plan_id}/buang", follow_redirects=True)
    assert "Hanya draf yang dapat dibuang" in res.get_data(as_text=True)
    assert _plans() == 1
    assert staff_client.post("/rencana/99999/buang").status_code == 404


def test_approval_marks_overlapping_drafts_replaced(
    yapp: Flask, staff_client: FlaskClient, backlog: object
) -> None:
    older, _ = post_plan(yapp, staff_client, _form())
    chosen, _ = post_plan(yapp, staff_client, _form())
    older_id, chosen_id = older.result["plan_id"], chosen.result["plan_id"]
    res = staff_client.post(f"/rencana/{chosen_id}/setujui", follow_redirects=True)
    html = res.get_data(as_text=True)
    assert f"Draf yang tumpang tindih ditandai Diganti: #{older_id}." in html
    listing = staff_client.get("/rencana/").get_data(as_text=True)
    assert "Diganti" in listing and f'href="/rencana/{chosen_id}">oleh #{chosen_id}</a>' in listing
    page = staff_client.get(f"/rencana/{older_id}").get_data(as_text=True)
    assert "Diganti oleh" in page and f"rencana #{chosen_id}" in page
    assert "Setujui rencana" not in page


def test_team_lead_is_refused(yapp: Flask, staff_client: FlaskClient, backlog: object) -> None:
    job = _job("failed", error="Perencanaan gagal: uji.")
    job_res, _ = post_plan(yapp, staff_client, _form())
    plan_id = job_res.result["plan_id"]
    lead = _as_lead(yapp)
    res = lead.get(f"/rencana/tugas/{job.id}.json")
    assert res.status_code == 403
    res = lead.get(f"/rencana/tugas/{job.id}")
    assert res.status_code == 302 and res.headers["Location"] == "/lapangan/"
    res = lead.post(f"/rencana/tugas/{job.id}/ulang", headers={"Accept": "application/json"})
    assert res.status_code == 403
    res = lead.post(f"/rencana/{plan_id}/buang", headers={"Accept": "application/json"})
    assert res.status_code == 403
    assert _plans() == 1
    assert get_session().scalar(select(func.count()).select_from(models.Job)) == 2
