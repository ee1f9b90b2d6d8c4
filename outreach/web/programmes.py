"""Programme pages (``/program``): recurring programmes, their places and generated visits.

Everything here needs ``plans.manage`` (programmes make the visits the planner plans). The
rules are in :mod:`outreach.programmes`; the views parse the form, call one function and
render; bad input re-renders the form with a 400 and an Indonesian message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from outreach.db import get_session
from outreach.errors import IntakeError, NotFoundError
from outreach.office import get_office
from outreach.planning.reasons import format_date
from outreach.programmes.generate import ON_HOLIDAY_LABELS, generate_visits
from outreach.programmes.manage import (
    SERVICE_CODES,
    WEEKDAY_NAMES,
    ProgrammeError,
    ProgrammeInput,
    get_programme,
    input_of,
    programme_rows,
    save_programme,
    visit_rows,
)
from outreach.programmes.places import KIND_LABELS, import_places
from outreach.web import mapping_data
from outreach.web.intake_support import SERVICE_SHORT
from outreach.web.permissions import permission_required

bp = Blueprint("programmes", __name__, url_prefix="/program")
MAX_WINDOW_DAYS = 366


def _actor() -> str:
    return f"user:{current_user.id}"


def _input(form: MultiDict[str, str]) -> ProgrammeInput:
    return ProgrammeInput(
        name=form.get("name", "")[:300],
        place_kind=form.get("place_kind", ""),
        weekdays=form.getlist("weekdays")[:7],
        start_date=form.get("start_date", "")[:20],
        end_date=form.get("end_date", "")[:20],
        team_ids=form.getlist("team_ids")[:50],
        hours_start=form.get("hours_start", "")[:10],
        hours_end=form.get("hours_end", "")[:10],
        max_persons=form.get("max_persons", "")[:10],
        on_holiday=form.get("on_holiday", ""),
        closed_ranges=form.get("closed_ranges", "")[:4000],
        services=form.getlist("services")[:10],
        active=form.get("active") == "ya",
    )


def _index(status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = get_session()
    office = get_office(session)
    today = mapping_data.office_today(office)
    context = {
        "rows": programme_rows(session, office),
        "today": today,
        "until": today + dt.timedelta(days=27),
        "kinds": KIND_LABELS,
        **extra,
    }
    return render_template("programmes/index.html", **context), status


def _form(
    values: Any, programme_id: int | None, status: int = 200, errors: Sequence[str] = ()
) -> ResponseReturnValue:
    office = get_office(get_session())
    context = {
        "form": values,
        "programme_id": programme_id,
        "errors": list(errors),
        "teams": [t for t in office.teams if t.active],
        "weekday_names": WEEKDAY_NAMES,
        "kinds": KIND_LABELS,
        "holiday_labels": ON_HOLIDAY_LABELS,
        "services": SERVICE_CODES,
        "service_labels": SERVICE_SHORT,
    }
    return render_template("programmes/form.html", **context), status


@bp.route("")
@permission_required("plans.manage")
def index() -> ResponseReturnValue:
    """The office's programmes, the places upload and the generate form."""
    return _index()


@bp.route("/baru", methods=["GET", "POST"])
@bp.route("/<int:programme_id>/ubah", methods=["GET", "POST"])
@permission_required("plans.manage")
def edit(programme_id: int | None = None) -> ResponseReturnValue:
    """Create a programme, or change one."""
    session = get_session()
    office = get_office(session)
    try:
        programme = get_programme(session, office, programme_id) if programme_id else None
    except NotFoundError:
        abort(404)
    if request.method == "GET":
        values = input_of(programme) if programme else vars(ProgrammeInput())
        return _form(values, programme_id)
    data = _input(request.form)
    try:
        saved = save_programme(session, office, data, programme=programme, actor=_actor())
    except ProgrammeError as exc:
        session.rollback()
        return _form(vars(data), programme_id, 400, errors=exc.messages)
    session.commit()
    flash(_("Program %(name)s disimpan.", name=saved.name), "success")
    return redirect(url_for("programmes.detail", programme_id=saved.id))


@bp.route("/<int:programme_id>")
@permission_required("plans.manage")
def detail(programme_id: int) -> ResponseReturnValue:
    """One programme and the visits generated for it."""
    session = get_session()
    office = get_office(session)
    try:
        programme = get_programme(session, office, programme_id)
    except NotFoundError:
        abort(404)
    row = next(r for r in programme_rows(session, office) if r.id == programme.id)
    return render_template(
        "programmes/detail.html",
        programme=programme,
        row=row,
        visits=visit_rows(programme),
        format_date=format_date,
    )


@bp.route("/tempat", methods=["POST"])
@permission_required("plans.manage")
def places() -> ResponseReturnValue:
    """Import an uploaded CSV/XLSX place list; bad rows are listed on the page."""
    session = get_session()
    office = get_office(session)
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        return _index(400, places_error=_("Pilih berkas CSV atau XLSX."))
    kind = request.form.get("kind", "sekolah")
    if kind not in KIND_LABELS:
        return _index(400, places_error=_("Pilih jenis tempat."))
    try:
        result = import_places(
            session, office, upload.filename, upload.read(), default_kind=kind, actor=_actor()
        )
    except IntakeError as exc:
        session.rollback()
        return _index(400, places_error=str(exc))
    session.commit()
    flash(
        _(
            "Daftar tempat diimpor: %(new)s baru, %(upd)s diperbarui, %(bad)s baris dilewati.",
            new=len(result.created),
            upd=len(result.updated),
            bad=len(result.errors),
        ),
        "success" if not result.errors else "warning",
    )
    return _index(row_errors=result.errors)


@bp.route("/buat-kunjungan", methods=["POST"])
@permission_required("plans.manage")
def generate() -> ResponseReturnValue:
    """Generate the programmes' collective visits for a date range (again: nothing new)."""
    session = get_session()
    try:
        start = dt.date.fromisoformat(request.form.get("from", "")[:20])
        end = dt.date.fromisoformat(request.form.get("to", "")[:20])
    except ValueError:
        return _index(400, generate_error=_("Tanggal tidak valid: gunakan TTTT-BB-HH."))
    if end < start or (end - start).days > MAX_WINDOW_DAYS:
        msg = _("Tanggal akhir harus sesudah tanggal awal, paling lama satu tahun.")
        return _index(400, generate_error=msg)
    result = generate_visits(session, get_office(session), start, end, actor=_actor())
    session.commit()
    flash(
        _(
            "%(n)s kunjungan dibuat (%(moved)s digeser), %(skip)s dilewati, %(old)s sudah ada.",
            n=result.created,
            moved=result.moved,
            skip=result.skipped,
            old=result.existing,
        ),
        "success",
    )
    for note in result.notes:
        flash(note, "warning")
    return redirect(url_for("programmes.index"))
