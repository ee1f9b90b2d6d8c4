"""Audit trail of intake actions. Details never hold a NIK or a phone number."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from outreach import models
from outreach.privacy import redact


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any] | None = None,
) -> models.AuditEvent:
    """Add an :class:`~outreach.models.AuditEvent` (not committed).

    Parameters
    ----------
    session
        Database session.
    actor
        ``"public"``, ``"user:<id>"``, ``"cli"`` or ``"system"``.
    action
        A dotted code such as ``request.create``.
    entity, entity_id
        The table name and row id acted on.
    detail
        Small facts (tracking code, status, counts). String values pass through
        :func:`outreach.privacy.redact` as a second line of defence.
    """
    clean = {
        key: redact(value) if isinstance(value, str) else value
        for key, value in (detail or {}).items()
    }
    event = models.AuditEvent(
        actor=actor, action=action, entity=entity, entity_id=entity_id, detail=clean
    )
    session.add(event)
    return event
