"""The coordinator's triage queue: which requests to show, in which order."""

from __future__ import annotations

from sqlalchemy import String, case, cast, or_, select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.intake.dedupe import OPEN_STATUSES
from outreach.models import Category, RequestStatus

ALL = "semua"
OPEN = "terbuka"


def list_queue(
    session: Session,
    office_id: int,
    *,
    status: str = RequestStatus.BARU.value,
    flag: str = "",
    channel: str = "",
    search: str = "",
    limit: int = 50,
) -> list[models.ServiceRequest]:
    """Requests for triage: emergencies first, then first come, first served.

    Parameters
    ----------
    session
        Database session.
    office_id
        The office.
    status
        A :class:`~outreach.models.RequestStatus` value, ``"terbuka"`` (every open status)
        or ``"semua"`` (all).
    flag
        Only requests carrying this flag code (``""``: any).
    channel
        Only this :class:`~outreach.models.Channel` value (``""``: any).
    search
        Part of a tracking code or name, or a whole NIK.
    limit
        Most rows returned.
    """
    urgent = case((models.ServiceRequest.category == Category.DARURAT.value, 0), else_=1)
    query = (
        select(models.ServiceRequest)
        .where(models.ServiceRequest.office_id == office_id)
        .options(selectinload(models.ServiceRequest.kelurahan))
        .order_by(urgent, models.ServiceRequest.created_at, models.ServiceRequest.id)
        .limit(limit)
    )
    if status == OPEN:
        query = query.where(models.ServiceRequest.status.in_(OPEN_STATUSES))
    elif status != ALL:
        query = query.where(models.ServiceRequest.status == status)
    if channel:
        query = query.where(models.ServiceRequest.channel == channel)
    if flag:
        # Flags are a JSON list of codes; matching the quoted code in its text is portable
        # (SQLite and PostgreSQL alike).
        query = query.where(cast(models.ServiceRequest.flags, String).like(f'%"{flag}"%'))
    if search:
        like = f"%{search}%"
        query = query.where(
            or_(
                models.ServiceRequest.tracking_code.ilike(like),
                models.ServiceRequest.person_name.ilike(like),
                models.ServiceRequest.nik == search,
            )
        )
    return list(session.scalars(query))
