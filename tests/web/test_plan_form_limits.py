"""The plan forms refuse what cannot work, in Indonesian, before any job starts (found by a
tester trying the demo: a start date in year 9999, a team id that does not exist, an urgent
insert of a request already scheduled on another day)."""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.planning.service import create_plan
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yogya_template
from tests.job_wait import future_monday

__all__ = ["staff_client", "yapp", "yogya_template"]


def _jobs() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.Job)) or 0)


def test_a_start_too_far_ahead_or_an_unknown_team_is_refused_on_the_form(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    team = get_session().scalar(select(models.Team))
    team_id = team.id if team else 1
    far = staff_client.post("/rencana/", data={"mulai": "9999-12-31", "hari": "1", "tim": team_id})
    assert far.status_code == 400
    assert "paling jauh 366 hari" in html.unescape(far.get_data(as_text=True))
    unknown = staff_client.post(
        "/rencana/",
        data={"mulai": future_monday().isoformat(), "hari": "1", "tim": "99999999999999999999"},
    )
    assert unknown.status_code == 400
    assert "Pilih tim yang aktif di kantor ini" in html.unescape(unknown.get_data(as_text=True))
    missing = staff_client.post(
        "/rencana/", data={"mulai": future_monday().isoformat(), "hari": "1", "tim": "424242"}
    )
    assert missing.status_code == 400
    assert "Pilih tim yang aktif di kantor ini" in html.unescape(missing.get_data(as_text=True))
    assert _jobs() == 0  # nothing was started


def test_an_urgent_insert_of_a_request_scheduled_elsewhere_says_so_in_indonesian(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    session = get_session()
    build_field_day(session, travel_for(yapp))
    office = session.scalar(select(models.Office))
    draft = create_plan(session, travel_for(yapp), start_date=future_monday(), office=office)
    session.commit()
    day = draft.inputs["dates"][0]
    res = staff_client.post(f"/rencana/{draft.id}/sisip", data={"kode": "JB-F001", "hari": day})
    page = html.unescape(res.get_data(as_text=True))
    assert res.status_code == 400
    assert "JB-F001 sudah terjadwal pada Senin, 23 November 2026" in page
    assert "already" not in page and "Request" not in page
