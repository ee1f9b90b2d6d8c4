"""The plan page's editing forms (outreach/web/plans.py): move, remove, pin, re-plan a draft.

A draft for Tuesday and Wednesday after the approved field day (tests/planning/test_plan_edits.py
``make_draft``), on Kota Yogyakarta's real road network.
"""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask, current_app, g
from flask.testing import FlaskClient

from outreach import models
from outreach.db import get_session
from tests.field_day import PASSWORD, travel_for
from tests.intake.yogya import COORDINATOR, yapp, yogya_template
from tests.job_wait import job_id_of, wait_for_job
from tests.planning.test_plan_edits import TUESDAY, WEDNESDAY, Draft, make_draft

__all__ = ["yapp", "yogya_template"]


@pytest.fixture
def draft(yapp: Flask) -> Draft:
    return make_draft(get_session(), travel_for(yapp))


def signed_in(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


@pytest.fixture
def coordinator(yapp: Flask) -> FlaskClient:
    return signed_in(yapp, *COORDINATOR)


def _plan(plan_id: int) -> models.Plan:
    session = get_session()
    session.expire_all()
    plan = session.get(models.Plan, plan_id)
    assert plan is not None
    return plan


def _flashes(client: FlaskClient, location: str) -> str:
    return html.unescape(client.get(location).get_data(as_text=True))


def test_draft_page_offers_the_edit_controls(coordinator: FlaskClient, draft: Draft) -> None:
    page = coordinator.get(f"/rencana/{draft.plan_id}").get_data(as_text=True)
    plan = _plan(draft.plan_id)
    stop = plan.routes[0].stops[0]
    assert f"/rencana/{plan.id}/kunjungan/{stop.id}/pindah" in page
    assert f"/rencana/{plan.id}/kunjungan/{stop.id}/keluarkan" in page
    assert f"/rencana/{plan.id}/permohonan/{stop.request_id}/patok" in page
    assert f"/rencana/{plan.id}/rencanakan-ulang" in page
    assert "Rencanakan ulang dengan perubahan" in page
    assert "Pindahkan" in page and "Keluarkan" in page
    # The approved plan has none of them.
    approved = coordinator.get(f"/rencana/{draft.day.plan_id}").get_data(as_text=True)
    assert "/pindah" not in approved and "Rencanakan ulang dengan perubahan" not in approved


def test_move_form_moves_and_redirects_to_the_route(coordinator: FlaskClient, draft: Draft) -> None:
    plan = _plan(draft.plan_id)
    route = next(r for r in plan.routes if len(r.stops) >= 2)
    stop = route.stops[-1]
    code = stop.request.tracking_code
    target = next(t for t in draft.day.team_ids.values() if t != route.team_id)
    res = coordinator.post(
        f"/rencana/{plan.id}/kunjungan/{stop.id}/pindah",
        data={"tim": str(target), "hari": route.route_date.isoformat()},
    )
    assert res.status_code == 303
    plan = _plan(draft.plan_id)
    new_route = next(
        r for r in plan.routes if r.team_id == target and r.route_date == route.route_date
    )
    assert res.headers["Location"].endswith(f"/rencana/{plan.id}#rute-{new_route.id}")
    assert code in {s.request.tracking_code for s in new_route.stops}
    page = _flashes(coordinator, f"/rencana/{plan.id}")
    assert f"{code} dipindah ke" in page
    assert "1 perubahan" in page and f"Dipindah: {code}" in page


def test_refusals_flash_in_indonesian_and_change_nothing(
    coordinator: FlaskClient, draft: Draft
) -> None:
    plan = _plan(draft.plan_id)
    stop = plan.routes[0].stops[0]
    url = f"/rencana/{plan.id}/kunjungan/{stop.id}/pindah"
    before = sorted((s.id, s.route_id, s.sequence) for r in plan.routes for s in r.stops)
    cases = [
        ({"tim": "abc", "hari": TUESDAY.isoformat()}, "Pilih tim dan hari tujuan yang benar"),
        ({"tim": str(draft.teams["Tim Mawar"]), "hari": "besok"}, "Pilih tim dan hari"),
        ({"tim": str(draft.teams["Tim Kenanga"]), "hari": WEDNESDAY.isoformat()}, "tidak bertugas"),
        (
            {"tim": str(draft.teams["Tim Kenanga"]), "hari": TUESDAY.isoformat()},
            "tidak punya keahlian perekaman e-KTP",
        ),
        ({"tim": str(draft.teams["Tim Mawar"]), "hari": "2026-12-01"}, "bukan salah satu hari"),
    ]
    for data, text in cases:
        res = coordinator.post(url, data=data)
        assert res.status_code == 303, data
        assert res.headers["Location"].endswith(f"#kunjungan-{stop.id}")
        page = _flashes(coordinator, res.headers["Location"])
        assert "Perubahan tidak disimpan" in page and text in page, text
    plan = _plan(draft.plan_id)
    after = sorted((s.id, s.route_id, s.sequence) for r in plan.routes for s in r.stops)
    assert after == before
    assert not (plan.inputs or {}).get("edits")


def test_bad_ids_are_404(coordinator: FlaskClient, draft: Draft) -> None:
    plan = _plan(draft.plan_id)
    approved = _plan(draft.day.plan_id)
    foreign_stop = approved.routes[0].stops[0].id  # a stop of another plan
    data = {"tim": str(draft.teams["Tim Mawar"]), "hari": TUESDAY.isoformat()}
    assert coordinator.post("/rencana/99999/kunjungan/1/pindah", data=data).status_code == 404
    assert (
        coordinator.post(
            f"/rencana/{plan.id}/kunjungan/{foreign_stop}/pindah", data=data
        ).status_code
        == 404
    )
    assert coordinator.post(f"/rencana/{plan.id}/kunjungan/99999/keluarkan").status_code == 404
    assert coordinator.post(f"/rencana/{plan.id}/permohonan/99999/patok").status_code == 404
    assert coordinator.post("/rencana/99999/rencanakan-ulang").status_code == 404


def test_remove_pin_and_replan_forms(coordinator: FlaskClient, draft: Draft) -> None:
    plan = _plan(draft.plan_id)
    route = next(r for r in plan.routes if len(r.stops) >= 2)
    goner, pinned = route.stops[0], route.stops[1]
    goner_code = goner.request.tracking_code
    res = coordinator.post(f"/rencana/{plan.id}/kunjungan/{goner.id}/keluarkan")
    assert res.status_code == 303 and res.headers["Location"].endswith("#belum-terjadwal")
    page = _flashes(coordinator, f"/rencana/{plan.id}")
    assert f"{goner_code} dikeluarkan dari rencana" in page
    assert "Dikeluarkan dari rencana oleh koordinator." in page
    target = next(t for t in draft.day.team_ids.values() if t != route.team_id)
    res = coordinator.post(
        f"/rencana/{plan.id}/permohonan/{pinned.request_id}/patok",
        data={"tim": str(target), "hari": WEDNESDAY.isoformat()},
    )
    assert res.status_code == 303
    req = get_session().get(models.ServiceRequest, pinned.request_id)
    assert req is not None and (req.pinned_team_id, req.pinned_date) == (target, WEDNESDAY)
    # Re-planning runs as a background job: its page, then the new draft.
    job_id = job_id_of(coordinator.post(f"/rencana/{plan.id}/rencanakan-ulang"))
    job = wait_for_job(current_app.extensions["outreach_sessionmaker"], job_id)
    assert job.status == "done", job.error
    res = coordinator.get(f"/rencana/tugas/{job_id}")
    assert res.status_code == 303
    new_id = int(re.search(r"/rencana/(\d+)", res.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert new_id != plan.id == job.params["plan_id"]
    page = _flashes(coordinator, res.headers["Location"])
    assert f"#{plan.id}" in page and "Menggantikan" in page
    # The removal is listed once among the visits left out, once in the edit log.
    assert page.count("Dikeluarkan dari rencana oleh koordinator") == 1, page
    assert page.count(f"Dikeluarkan: {goner_code}") == 1
    new = _plan(new_id)
    where = {s.request_id: (r.team_id, r.route_date) for r in new.routes for s in r.stops}
    assert where[pinned.request_id] == (target, WEDNESDAY)
    assert goner.request_id not in where
    assert _plan(plan.id).status == "superseded"
    # The old draft refuses edits now, in Indonesian.
    res = coordinator.post(f"/rencana/{plan.id}/rencanakan-ulang")
    assert "Hanya draf yang dapat diubah" in _flashes(coordinator, res.headers["Location"])


def test_team_lead_is_forbidden(yapp: Flask, draft: Draft) -> None:
    """Team leads lack plans.manage: sent home (the house's answer to a page), nothing changes."""
    lead = signed_in(yapp, "ketua.mawar", PASSWORD)
    plan = _plan(draft.plan_id)
    stop = plan.routes[0].stops[0]
    before = sorted((s.id, s.route_id, s.sequence) for r in plan.routes for s in r.stops)
    data = {"tim": str(draft.teams["Tim Mawar"]), "hari": TUESDAY.isoformat()}
    for url, form in (
        (f"/rencana/{plan.id}/kunjungan/{stop.id}/pindah", data),
        (f"/rencana/{plan.id}/kunjungan/{stop.id}/keluarkan", {}),
        (f"/rencana/{plan.id}/permohonan/{stop.request_id}/patok", data),
        (f"/rencana/{plan.id}/rencanakan-ulang", {}),
    ):
        res = lead.post(url, data=form)
        assert res.status_code in (302, 403), url
        assert f"/rencana/{plan.id}" not in res.headers.get("Location", ""), url
        json_res = lead.post(url, data=form, headers={"Accept": "application/json"})
        assert json_res.status_code in (302, 403)
    plan = _plan(draft.plan_id)
    assert plan.status == "draft" and not (plan.inputs or {}).get("edits")
    assert sorted((s.id, s.route_id, s.sequence) for r in plan.routes for s in r.stops) == before


def test_a_plan_with_violations_says_so_and_cannot_be_approved(
    coordinator: FlaskClient, draft: Draft
) -> None:
    plan = _plan(draft.plan_id)
    detail = {"code": "window_end", "message": "the visit runs past the resident's window"}
    plan.summary = {**plan.summary, "violations": 1, "violation_details": [detail]}
    get_session().commit()
    g.pop("_login_user", None)
    page = _flashes(coordinator, f"/rencana/{plan.id}")
    assert "menemukan 1 pelanggaran" in page and "window_end" in page
    res = coordinator.post(f"/rencana/{plan.id}/setujui")
    assert res.status_code == 303
    assert "tidak dapat disetujui" in _flashes(coordinator, res.headers["Location"])
    assert _plan(plan.id).status == "draft"
