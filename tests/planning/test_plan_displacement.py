"""A darurat request on a full day (issue 10, section 4): it may displace less urgent visits.

On a draft day the least disruptive displacement is made at once, and each displaced request
is listed with the reason and the date it can next be served; on an approved day the swap is
only offered, and made when the coordinator accepts it.
"""

from __future__ import annotations

import datetime as dt

from plan_helpers import MONDAY, StraightLineModel, at, make_office
from sqlalchemy.orm import Session

from outreach import models
from outreach.planning.reasons import Reason
from outreach.planning.service import approve_plan, create_plan, insert_urgent

Status = models.RequestStatus


def _request(
    session: Session, office: models.Office, n: int, x: float, **kw: object
) -> models.ServiceRequest:
    lon, lat = at(x, 100.0 * (n % 3))
    row = models.ServiceRequest(
        tracking_code=f"JB-{n:04d}",
        office_id=office.id,
        category=str(kw.pop("category", "lansia")),
        services=["perekaman_ktp"],
        person_name=f"Warga {n}",
        lon=lon,
        lat=lat,
        status=Status.TERVERIFIKASI.value,
        **kw,
    )
    session.add(row)
    session.flush()
    return row


def _full_day(session: Session) -> tuple[models.Office, models.Plan]:
    office = make_office(session, teams=1)
    office.teams[0].max_stops = 3
    for n in range(1, 4):
        _request(session, office, n, 1500 + 80 * n)
    plan = create_plan(session, StraightLineModel(), start_date=MONDAY, office=office)
    assert sum(len(r.stops) for r in plan.routes) == 3
    return office, plan


def test_on_a_draft_day_a_darurat_request_displaces_the_least_urgent_visit(
    session: Session,
) -> None:
    office, plan = _full_day(session)
    urgent = _request(session, office, 9, 1600, category="darurat")
    result = insert_urgent(
        session, StraightLineModel(), request_id=urgent.id, day=MONDAY, office=office
    )
    assert result.stop is not None and result.stop.request_id == urgent.id
    assert len(result.displaced) == 1
    (gone_id, gone_code) = result.displaced[0]
    on_route = {s.request_id for r in plan.routes for s in r.stops}
    assert urgent.id in on_route and gone_id not in on_route and len(on_route) == 3
    row = next(u for u in plan.unassigned if u.request_id == gone_id)
    assert row.reason == Reason.DISPLACED_BY_URGENT.value
    assert "JB-0009" in row.detail and row.expected_date is not None
    assert row.expected_date > MONDAY
    assert gone_code.startswith("JB-")


def test_on_an_approved_day_the_swap_is_offered_then_made_when_accepted(session: Session) -> None:
    office, plan = _full_day(session)
    approve_plan(session, plan.id)
    urgent = _request(session, office, 9, 1600, category="darurat")
    before = sorted((s.request_id, s.sequence) for r in plan.routes for s in r.stops)
    offered = insert_urgent(
        session, StraightLineModel(), request_id=urgent.id, day=MONDAY, office=office
    )
    assert offered.stop is None and offered.offer is not None
    assert offered.offer.team_name == "Tim A" and len(offered.offer.displaced) == 1
    assert sorted((s.request_id, s.sequence) for r in plan.routes for s in r.stops) == before
    (gone_id, _) = offered.offer.displaced[0]
    gone = session.get(models.ServiceRequest, gone_id)
    assert gone is not None and gone.status == Status.TERJADWAL.value

    accepted = insert_urgent(
        session, StraightLineModel(), request_id=urgent.id, day=MONDAY, office=office, displace=True
    )
    assert accepted.stop is not None and accepted.displaced == offered.offer.displaced
    assert urgent.status == Status.TERJADWAL.value
    assert gone.status == Status.TERVERIFIKASI.value and gone.scheduled_at is None
    # It stays a priority: its next servable date is now its deadline.
    assert gone.deadline is not None and gone.deadline > MONDAY


def test_a_request_that_is_not_urgent_displaces_nobody(session: Session) -> None:
    office, _ = _full_day(session)
    calm = _request(session, office, 9, 1600, category="lansia")
    result = insert_urgent(
        session, StraightLineModel(), request_id=calm.id, day=MONDAY, office=office
    )
    assert result.stop is None and result.offer is None and result.displaced == ()
    assert result.unassigned is not None and result.unassigned.reason == Reason.DAY_FULL.value
    assert isinstance(result.unassigned.expected_date, dt.date)
