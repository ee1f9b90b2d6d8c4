"""The coordinator's side of a darurat request on a full approved day: the swap is offered
on the insert page, nothing changes until it is accepted, then the displaced resident is back
in the queue with the reason on the plan page."""

from __future__ import annotations

import html

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.field_day import DAY, DEPOT, FieldDay, build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yogya_template

__all__ = ["staff_client", "yapp", "yogya_template"]


@pytest.fixture
def full_day(yapp: Flask) -> tuple[FieldDay, models.ServiceRequest]:
    session = get_session()
    day = build_field_day(session, travel_for(yapp))
    for route in session.scalars(select(models.Route).where(models.Route.plan_id == day.plan_id)):
        route.team.max_stops = len(route.stops)  # every team is full that day
    semaki = session.scalar(
        select(models.Kelurahan).where(models.Kelurahan.code == "34.71.13.1001")
    )
    assert semaki is not None
    urgent = models.ServiceRequest(
        tracking_code="JB-DRT-001",
        office_id=semaki_office(),
        category="darurat",
        services=["perekaman_ktp"],
        person_name="Warga Darurat",
        lon=DEPOT[0] + 0.003,
        lat=DEPOT[1] + 0.001,
        kelurahan_id=semaki.id,
        kecamatan_id=semaki.kecamatan_id,
        status="terverifikasi",
        location_source="map",
        location_confirmed=True,
    )
    session.add(urgent)
    session.commit()
    return day, urgent


def semaki_office() -> int:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office.id


def _text(res: object) -> str:
    return html.unescape(res.get_data(as_text=True))  # type: ignore[attr-defined]


def test_a_full_approved_day_offers_the_swap_and_makes_it_when_accepted(
    staff_client: FlaskClient, full_day: tuple[FieldDay, models.ServiceRequest]
) -> None:
    day, urgent = full_day
    url = f"/rencana/{day.plan_id}/sisip"
    data = {"kode": "JB-DRT-001", "hari": DAY.isoformat()}
    offer = staff_client.post(url, data=data)
    page = _text(offer)
    assert offer.status_code == 200 and "Geser dan sisipkan" in page
    assert "Hari itu sudah penuh" in page
    session = get_session()
    session.expire_all()
    assert session.get(models.ServiceRequest, urgent.id).status == "terverifikasi"  # type: ignore[union-attr]

    g.pop("_login_user", None)
    done = staff_client.post(url, data={**data, "geser": "ya"})
    assert done.status_code == 303
    plan_page = _text(staff_client.get(done.headers["Location"]))
    assert "JB-DRT-001 disisipkan" in plan_page and "digeser ke luar hari itu" in plan_page
    assert "Digeser oleh permohonan darurat JB-DRT-001" in plan_page
    session.expire_all()
    assert session.get(models.ServiceRequest, urgent.id).status == "terjadwal"  # type: ignore[union-attr]
    shifted = session.scalars(
        select(models.PlanUnassigned).where(
            models.PlanUnassigned.plan_id == day.plan_id,
            models.PlanUnassigned.reason == "displaced_by_urgent",
        )
    ).all()
    assert len(shifted) == 1
    back = session.get(models.ServiceRequest, shifted[0].request_id)
    assert back is not None and back.status == "terverifikasi" and back.deadline is not None
