"""The triage queue: emergencies first, then oldest first; filters."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.queue import list_queue

T0 = dt.datetime(2026, 11, 20, 2, 0)


def add(session: Session, code: str, hours: int, **fields: object) -> models.ServiceRequest:
    office = session.scalar(select(models.Office))
    assert office is not None
    req = models.ServiceRequest(
        tracking_code=code,
        office_id=office.id,
        person_name=f"Warga {code}",
        created_at=T0 + dt.timedelta(hours=hours),
        **fields,
    )
    session.add(req)
    session.flush()
    return req


def test_order_and_filters(yapp: Flask, session: Session) -> None:
    office_id = add(session, "A", 0, category="lansia").office_id
    add(session, "B", 1, category="darurat", flags=["lokasi_perlu_konfirmasi"])
    add(session, "C", 2, category="sakit", channel="whatsapp", nik="3471135403500001")
    add(session, "D", 3, category="sakit", status="terverifikasi", flags=["nik_luar_wilayah"])
    add(session, "E", 4, category="darurat", status="ditolak")

    def codes(**kw: object) -> list[str]:
        return [r.tracking_code for r in list_queue(session, office_id, **kw)]  # type: ignore[arg-type]

    assert codes() == ["B", "A", "C"]
    assert codes(status="terbuka") == ["B", "A", "C", "D"]
    assert codes(status="semua") == ["B", "E", "A", "C", "D"]
    assert codes(status="semua", flag="nik_luar_wilayah") == ["D"]
    assert codes(flag="lokasi_perlu_konfirmasi") == ["B"]
    assert codes(channel="whatsapp") == ["C"]
    assert codes(search="3471135403500001") == ["C"]
    assert codes(search="warga a") == ["A"]
    assert codes(status="semua", limit=2) == ["B", "E"]
