"""Every staff route declares a permission; signed-in users see only their office's rows."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session, scope_to_office
from outreach.web.permissions import PERMISSIONS, PUBLIC_ENDPOINTS
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]


def test_every_route_is_public_by_name_or_declares_a_permission(yapp: Flask) -> None:
    missing = []
    for rule in yapp.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = yapp.view_functions[rule.endpoint]
        name = getattr(view, "permission", None)
        if name not in PERMISSIONS:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert missing == []


def test_public_endpoints_exist(yapp: Flask) -> None:
    # A renamed view must not leave a stale name that silently opens nothing (or something).
    assert set(PUBLIC_ENDPOINTS) <= set(yapp.view_functions)


def _other_office_request(session: object) -> int:
    db = get_session()
    other = models.Office(
        name="Disdukcapil Lain",
        region_slug="kota-cirebon",
        region_code="32.74",
        depot_lon=108.55,
        depot_lat=-6.72,
    )
    db.add(other)
    db.flush()
    row = models.ServiceRequest(
        tracking_code="JB-LAIN-001",
        office_id=other.id,
        person_name="Warga Kantor Lain",
        status="terverifikasi",
    )
    db.add(row)
    db.add(models.Plan(office_id=other.id, start_date=dt.date(2026, 11, 23), status="approved"))
    db.commit()
    return row.id


def test_a_coordinator_cannot_open_another_offices_request(
    staff_client: FlaskClient, yapp: Flask
) -> None:
    foreign = _other_office_request(get_session())
    res = staff_client.get(f"/koordinator/permohonan/{foreign}")
    assert res.status_code == 404
    res = staff_client.get("/koordinator/antrean")
    assert res.status_code == 200 and b"Warga Kantor Lain" not in res.data
    res = staff_client.get("/rencana/")
    assert res.status_code == 200


def test_scoping_filters_every_office_owned_model(yapp: Flask) -> None:
    session = get_session()
    foreign = _other_office_request(session)
    mine = session.scalar(select(models.Office).order_by(models.Office.id))
    assert mine is not None
    scope_to_office(session, mine.id)
    try:
        session.expunge_all()
        assert session.get(models.ServiceRequest, foreign) is None
        offices = session.scalars(select(models.Office)).all()
        assert [o.id for o in offices] == [mine.id]
        assert all(p.office_id == mine.id for p in session.scalars(select(models.Plan)))
    finally:
        scope_to_office(session, None)
    session.expunge_all()
    # The explicit way out (CLI, province-wide views): no scope, every office.
    assert session.get(models.ServiceRequest, foreign) is not None


def test_team_lead_lands_on_the_field_page_and_sees_no_coordinator_links(
    yclient: FlaskClient,
) -> None:
    res = yclient.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    assert res.status_code == 302 and res.headers["Location"] == "/lapangan/"
    # Their home is their route: the office's map (every request and team) is not theirs.
    home = yclient.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/lapangan/"
    # JSON callers get a JSON 403, not a redirect to a page.
    res = yclient.get("/rencana/", headers={"Accept": "application/json"})
    assert res.status_code == 403 and res.is_json
    res = yclient.get("/rencana/hari-ini/kemajuan.json")
    assert res.status_code == 403 and res.is_json


def test_create_user_team_lead_needs_a_team(yapp: Flask) -> None:
    from outreach.office import save_team

    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    team = save_team(session, office, name="Tim 1", skills=["perekaman_ktp"])
    session.commit()
    runner = yapp.test_cli_runner()
    args = ["outreach", "create-user", "ketua.tim1", "--password", "rahasia-123"]
    res = runner.invoke(args=[*args, "--role", "team_lead"])
    assert res.exit_code == 1 and "--team" in res.output
    res = runner.invoke(args=[*args, "--role", "team_lead", "--team", "Tim 9"])
    assert res.exit_code == 1 and "No team" in res.output
    res = runner.invoke(args=[*args, "--role", "team_lead", "--team", "tim 1"])
    assert res.exit_code == 0, res.output
    session.expire_all()
    user = session.scalar(select(models.User).where(models.User.username == "ketua.tim1"))
    assert user is not None and user.team_id == team.id and user.role == "team_lead"
