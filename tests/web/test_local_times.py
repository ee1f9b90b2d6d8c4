"""Every date and time a person reads is the office's (Asia/Jakarta), not the server's UTC."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from outreach import models
from outreach.db import get_session
from tests.field_day import build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yogya_template

__all__ = ["staff_client", "yapp", "yogya_template"]


def test_plan_times_are_the_offices(staff_client: FlaskClient, yapp: Flask) -> None:
    session = get_session()
    day = build_field_day(session, travel_for(yapp))
    plan = session.get(models.Plan, day.plan_id)
    assert plan is not None
    # 22.10 UTC on Monday 23 November is 05.10 on Tuesday in Yogyakarta.
    plan.created_at = dt.datetime(2026, 11, 23, 21, 40)
    plan.approved_at = dt.datetime(2026, 11, 23, 22, 10)
    session.commit()
    page = staff_client.get(f"/rencana/{plan.id}").get_data(as_text=True)
    assert "Selasa, 24 November 2026 04.40" in page
    assert "Selasa, 24 November 2026 05.10" in page
