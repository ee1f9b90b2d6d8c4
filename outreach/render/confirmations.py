"""Visit confirmations sent from the office phone after a plan is approved.

Per stop of an approved route the coordinator gets a WhatsApp click-to-chat link
(``https://wa.me/<digits>?text=...``) with a prefilled Indonesian message: the date, the
arrival window, what to have ready (KK, the old e-KTP if there is one, the tracking code). The
coordinator sends it from the office phone and marks it sent (``Stop.confirmation_sent_at``).

The phone number is only ever put into the outbound ``wa.me`` link; the app's own URLs carry
the stop id. Texts are Indonesian (UI language; English can follow through Flask-Babel at the
view).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import NotFoundError
from outreach.planning.reasons import format_date
from outreach.planning.records import route_is_approved
from outreach.privacy import mask_phone
from outreach.render.route_rows import StopRow, hhmm, route_table

__all__ = [
    "Confirmation",
    "confirmation_text",
    "mark_confirmation_sent",
    "plan_confirmations",
    "prepare_items",
    "whatsapp_url",
]

WA_BASE = "https://wa.me/"


@dataclass(frozen=True)
class Confirmation:
    """What the plan page shows for one stop: the link to send and whether it was sent."""

    stop_id: int
    text: str
    url: str | None  # None: the request has no phone number to message
    phone_masked: str
    sent: bool
    sent_at: dt.datetime | None = None


def prepare_items(row: StopRow) -> list[str]:
    """What the resident (or each participant of a collective visit) should have ready."""
    services = set(row.services)
    items = ["Kartu Keluarga (KK) asli"]
    # A first-time applicant (pemula) has no old card; a KIA-only visit needs none.
    if row.category != "pemula" and services & {"perekaman_ktp", "cetak_ktp"}:
        items.append("KTP-el lama, bila ada")
    if "kia" in services:
        items.append("akta kelahiran anak dan pas foto anak (usia 5 tahun ke atas)")
    if "akta" in services:
        items.append("surat keterangan lahir atau kematian")
    items.append(f"kode permohonan {row.tracking_code}")
    return items


def confirmation_text(row: StopRow, *, office_name: str, day: dt.date) -> str:
    """The prefilled WhatsApp message confirming a visit, in Indonesian.

    Parameters
    ----------
    row
        The stop as the route's rows give it (:func:`outreach.render.route_rows.route_table`).
    office_name
        The office that sends it, e.g. ``Disdukcapil Kota Yogyakarta``.
    day
        The visit's date.
    """
    greeting = f"Yth. Bapak/Ibu {row.contact_name}," if row.contact_name else "Yth. Bapak/Ibu,"
    window = f"antara pukul {hhmm(row.window_start)} dan {hhmm(row.window_end)}"
    if row.collective:
        place = f" di {row.street}" if row.street else ""
        part = (
            f" (bagian {row.part} dari {row.parts}, {row.persons} orang)" if row.parts > 1 else ""
        )
        visit = f"kunjungan kolektif {row.name}{part}{place}"
        ready = "Mohon setiap peserta membawa:"
    else:
        visit = f"kunjungan layanan jemput bola untuk {row.name}"
        ready = "Mohon disiapkan:"
    lines = [
        greeting,
        f"kami dari {office_name} mengonfirmasi {visit} pada {format_date(day)}, "
        f"perkiraan tim tiba {window}.",
        ready,
        *(f"- {item}" for item in prepare_items(row)),
        "Bila waktu ini tidak cocok, mohon balas pesan ini. Terima kasih.",
    ]
    return "\n".join(lines)


def whatsapp_url(phone: str | None, text: str) -> str | None:
    """``https://wa.me/62...?text=...`` for an Indonesian number (None without a number)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if len(digits) < 9:
        return None
    return f"{WA_BASE}{digits}?text={quote(text, safe='')}"


def plan_confirmations(plan: models.Plan, *, office_name: str) -> dict[int, Confirmation]:
    """Stop id -> its confirmation, for every stop on the plan's approved routes.

    A draft or superseded plan has none: residents are only told about approved visits.
    """
    if plan.status != models.PlanStatus.APPROVED.value:
        return {}
    out: dict[int, Confirmation] = {}
    for route in plan.routes:
        if not route.approved:
            continue
        sent = {s.id: s.confirmation_sent_at for s in route.stops}
        for row in route_table(route, reveal=True).stops:
            text = confirmation_text(row, office_name=office_name, day=route.route_date)
            out[row.stop_id] = Confirmation(
                stop_id=row.stop_id,
                text=text,
                url=whatsapp_url(row.contact_phone, text),
                phone_masked=mask_phone(row.contact_phone),
                sent=sent.get(row.stop_id) is not None,
                sent_at=sent.get(row.stop_id),
            )
    return out


def mark_confirmation_sent(
    session: Session, stop_id: int, *, now: dt.datetime | None = None
) -> models.Stop:
    """Record that the confirmation of a stop was sent (the first time counts).

    Raises
    ------
    NotFoundError
        No such stop on an approved route of an approved plan (of the session's office).
    """
    stop = session.scalar(
        select(models.Stop)
        .join(models.Route, models.Stop.route_id == models.Route.id)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(
            models.Stop.id == stop_id,
            route_is_approved(),
        )
    )
    if stop is None:
        msg = f"No stop {stop_id} on an approved route."
        raise NotFoundError(msg)
    if stop.confirmation_sent_at is None:
        stop.confirmation_sent_at = now or models.utcnow()
        session.flush()
    return stop
