"""Office appointments (/kantor): the desk's day list, marks, roll-over, home <-> office moves.

What the pages show is built by :mod:`outreach.appointments` (the day list is one function
for the page, the printout, the PDF and the CLI); these views parse input, call it, commit
and render. NIK are masked unless the user has ``personal.view``.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from outreach import appointments, models
from outreach.db import get_scoped, get_session
from outreach.errors import NotFoundError
from outreach.office import SettingsError
from outreach.web.mapping_data import office_today
from outreach.web.permissions import has_permission, permission_required

bp = Blueprint("appointments", __name__, url_prefix="/kantor")
NO_STORE = {"Cache-Control": "private, no-store"}


def _office() -> models.Office:
    office = get_session().get(models.Office, current_user.office_id or 0)
    if office is None:
        abort(404)
    return office


def _actor() -> str:
    return f"user:{current_user.id}"


def _day(office: models.Office) -> dt.date | None:
    """``?tanggal=YYYY-MM-DD`` (today when absent); None when it is not a date."""
    text = request.values.get("tanggal", "").strip()
    if not text:
        return office_today(office)
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _bad_request(detail: str) -> ResponseReturnValue:
    page = render_template(
        "errors/error.html", code=400, message=_("Permintaan tidak dapat diproses."), detail=detail
    )
    return page, 400, NO_STORE


def _list_url(day: dt.date) -> str:
    return url_for("appointments.day", tanggal=day.isoformat())


@bp.route("/antrean")
@permission_required("requests.manage")
def day() -> ResponseReturnValue:
    """The day's sessions and queues for the office desk (print view too)."""
    office = _office()
    when = _day(office)
    if when is None:
        return _bad_request(_("Tanggal tidak sah; gunakan format TTTT-BB-HH."))
    reveal = has_permission(current_user, "personal.view")
    listing = appointments.day_list(get_session(), office, when, reveal=reveal)
    page = render_template(
        "appointments/day.html",
        listing=listing,
        office=office,
        prev_day=when - dt.timedelta(days=1),
        next_day=when + dt.timedelta(days=1),
        css=render_template("appointments/_day.css"),
    )
    return page, 200, NO_STORE


@bp.route("/antrean.pdf")
@permission_required("requests.manage")
def day_pdf() -> ResponseReturnValue:
    """The day's list as a PDF (WeasyPrint, the same template), NIK masked."""
    from outreach.render.sheets import render_pdfs

    office = _office()
    when = _day(office)
    if when is None:
        return _bad_request(_("Tanggal tidak sah; gunakan format TTTT-BB-HH."))
    listing = appointments.day_list(get_session(), office, when, reveal=False)
    html = render_template("appointments/day_pdf.html", listing=listing, office=office)
    pdf = render_pdfs(
        [html], base_url=request.host_url, stylesheet=render_template("appointments/_day.css")
    )
    name = f"antrean-kantor-{when.isoformat()}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{name}"', **NO_STORE}
    return Response(pdf, mimetype="application/pdf", headers=headers)


@bp.route("/antrean/<int:appointment_id>/tandai", methods=["POST"])
@permission_required("requests.manage")
def mark(appointment_id: int) -> ResponseReturnValue:
    """Mark a queue number came (``hadir``) or not come (``tidak_hadir``)."""
    office = _office()
    session = get_session()
    try:
        row = appointments.get_appointment(session, office.id, appointment_id)
    except NotFoundError:
        abort(404)
    when = row.office_session.day
    try:
        appointments.mark(
            session,
            row,
            request.form.get("hadir", ""),
            actor=_actor(),
            today=office_today(office),
        )
    except appointments.AppointmentError as exc:
        # Told on the queue page itself (e.g. a session that has not started yet).
        session.rollback()
        flash(str(exc), "error")
        return redirect(_list_url(when), code=303)
    session.commit()
    flash(_("%(q)s: %(s)s.", q=appointments.queue_label(row), s=_label(row.status)), "info")
    return redirect(_list_url(when), code=303)


def _label(status: str) -> str:
    labels: dict[str, str] = {"came": _("hadir"), "no_show": _("tidak hadir")}
    return labels.get(status, status)


@bp.route("/antrean/gulirkan", methods=["POST"])
@permission_required("requests.manage")
def roll_over() -> ResponseReturnValue:
    """Give the day's no-shows the next free sessions."""
    office = _office()
    when = _day(office)
    if when is None:
        return _bad_request(_("Tanggal tidak sah; gunakan format TTTT-BB-HH."))
    session = get_session()
    result = appointments.roll_over_no_shows(session, office, when, actor=_actor())
    session.commit()
    flash(_("%(n)s warga yang tidak hadir mendapat sesi baru.", n=len(result.booked)), "info")
    if result.unplaced:
        codes = ", ".join(r.tracking_code for r in result.unplaced)
        flash(_("Belum ada sesi kosong untuk: %(codes)s.", codes=codes), "warning")
    return redirect(_list_url(when), code=303)


def _request(request_id: int) -> models.ServiceRequest:
    row = get_scoped(get_session(), models.ServiceRequest, request_id)
    if row is None:
        abort(404)
    return row


def _back(req: models.ServiceRequest) -> ResponseReturnValue:
    return redirect(url_for("coordinator.detail", request_id=req.id), code=303)


@bp.route("/permohonan/<int:request_id>/undang", methods=["POST"])
@permission_required("requests.manage")
def to_office(request_id: int) -> ResponseReturnValue:
    """Invite the resident to the office: the first free session from tomorrow."""
    req, office, session = _request(request_id), _office(), get_session()
    earliest = office_today(office) + dt.timedelta(days=1)
    try:
        row = appointments.move_to_office(session, req, earliest=earliest, actor=_actor())
    except appointments.AppointmentError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _back(req)
    session.commit()
    flash(
        _(
            "%(code)s diundang ke kantor: %(slot)s.",
            code=req.tracking_code,
            slot=appointments.describe(row),
        ),
        "info",
    )
    return _back(req)


@bp.route("/permohonan/<int:request_id>/kunjungan-rumah", methods=["POST"])
@permission_required("requests.manage")
def to_home(request_id: int) -> ResponseReturnValue:
    """Send the request back to home visits (its queue number is cancelled)."""
    req, session = _request(request_id), get_session()
    try:
        appointments.move_to_home(session, req, actor=_actor())
    except appointments.AppointmentError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _back(req)
    session.commit()
    flash(_("%(code)s kembali ke kunjungan rumah.", code=req.tracking_code), "info")
    return _back(req)


@bp.route("/pengaturan", methods=["GET", "POST"])
@permission_required("office.manage")
def settings() -> ResponseReturnValue:
    """Sessions per day and persons per session."""
    office, session = _office(), get_session()
    current = appointments.read_settings(office)
    form = {"sessions": current.sessions_text, "persons": str(current.persons_per_session)}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "")[:500] for k in ("sessions", "persons")}
        try:
            appointments.save_settings(
                session, office, sessions_text=form["sessions"], persons_text=form["persons"]
            )
        except SettingsError as exc:
            session.rollback()
            errors[exc.field or "sessions"] = str(exc)
        else:
            session.commit()
            flash(_("Pengaturan sesi kantor disimpan."), "info")
            return redirect(url_for("appointments.settings"), code=303)
    status = 400 if errors else 200
    return render_template("appointments/settings.html", form=form, errors=errors), status
