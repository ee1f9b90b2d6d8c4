"""Requests for the appointment tests: verified, located in Semaki, e-KTP recording."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.tracking import ALPHABET, PREFIX, check_character
from tests.intake.yogya import DEPOT, nik_for

PHONE = "+6281234500011"


def office(session: Session) -> models.Office:
    row = session.scalar(select(models.Office))
    assert row is not None
    return row


def add_request(session: Session, n: int, **changes: Any) -> models.ServiceRequest:
    """A verified home-visit request number ``n`` (a valid tracking code made from ``n``)."""
    body = "APTK" + ALPHABET[n // len(ALPHABET)] + ALPHABET[n % len(ALPHABET)]
    full = body + check_character(body)
    values: dict[str, Any] = {
        "tracking_code": f"{PREFIX}-{full[:4]}-{full[4:]}",
        "office_id": office(session).id,
        "person_name": f"Warga Uji {n}",
        "nik": nik_for(serial=n),
        "phone": PHONE,
        "services": ["perekaman_ktp"],
        "category": "lansia",
        "persons": 1,
        "status": models.RequestStatus.TERVERIFIKASI.value,
        "lon": DEPOT[0] + 0.002,
        "lat": DEPOT[1] + 0.002,
        "location_source": "map",
        "location_confirmed": True,
        "consent": True,
        "verified_at": dt.datetime(2026, 11, 1, 8, 0),
    }
    values.update(changes)
    row = models.ServiceRequest(**values)
    session.add(row)
    session.flush()
    return row
