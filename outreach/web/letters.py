"""Coordinator pages for letters from RW, kelurahan and schools.

Register a letter with its residents (typed in or from a CSV/XLSX file), see the row error
report, download the templates, open a letter.

Nested in the coordinator blueprint (``coordinator.letters.*``), whose guard requires a
signed-in coordinator.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from outreach import models
from outreach.db import get_scoped, get_session
from outreach.errors import IntakeError
from outreach.intake.fields import read_id
from outreach.intake.letters import (
    COLUMNS,
    MAX_ROWS,
    LetterDraft,
    LetterFormError,
    LetterRowsError,
    RawRow,
    RowError,
    import_letter,
    read_resident_file,
    skipped_rows,
    template_csv,
    template_xlsx,
)
from outreach.intake.locate import point_or_none
from outreach.intake.services import read_submission_key, request_by_submission_key
from outreach.web import intake_support as support
from outreach.web.errors import SUBMISSION_FIELD
from outreach.web.permissions import permission_required

bp = Blueprint("letters", __name__, url_prefix="/surat")
EMPTY_ROWS = 5
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _draft(form: MultiDict[str, str]) -> LetterDraft:
    return LetterDraft(
        number=form.get("number", ""),
        letter_date=form.get("letter_date", ""),
        sender_type=form.get("sender_type", ""),
        sender_name=form.get("sender_name", ""),
        contact_name=form.get("contact_name", ""),
        contact_phone=form.get("contact_phone", ""),
        meeting_place=form.get("meeting_place", ""),
        kecamatan=form.get("kecamatan", ""),
        kelurahan=form.get("kelurahan", ""),
        rw=form.get("rw", ""),
        lon=form.get("lon", ""),
        lat=form.get("lat", ""),
        services=form.getlist("services"),
        notes=form.get("notes", ""),
    )


def _typed_rows(form: MultiDict[str, str]) -> list[RawRow]:
    """Resident rows typed into the table (``res-<i>-<column>``); empty rows are dropped."""
    indexes = sorted(
        {
            int(p[1])
            for k in form
            if len(p := k.split("-")) == 3 and p[0] == "res" and p[1].isdigit()
        }
    )
    rows = []
    for i in indexes[: MAX_ROWS + 1]:
        values = {col: form.get(f"res-{i}-{col}", "").strip() for col in COLUMNS}
        if any(values.values()):
            number = read_id(form.get(f"res-{i}-row")) or i + 1
            # A NIK read from an Excel number cell stays flagged until it is retyped or checked.
            numeric = bool(values["nik"]) and form.get(f"res-{i}-nik_angka") == values["nik"]
            checked = form.get(f"res-{i}-nik_cek") == "ya"
            rows.append(RawRow(number, values, numeric_nik=numeric, nik_checked=checked))
    return rows


def _render(
    draft: LetterDraft,
    rows: list[RawRow],
    *,
    errors: dict[str, str] | None = None,
    row_errors: list[RowError] | None = None,
    message: str = "",
    extra_rows: int = EMPTY_ROWS,
    status: int = 200,
) -> ResponseReturnValue:
    session = get_session()
    office = support.office_or_503(session)
    by_row: dict[int, dict[str, str]] = {}
    for err in row_errors or []:
        by_row.setdefault(err.row, {})[err.column] = err.message
    point = point_or_none(draft.lon, draft.lat)
    return render_template(
        "coordinator/letter_form.html",
        draft=draft,
        rows=rows,
        extra_rows=extra_rows,
        next_row=max((r.row for r in rows), default=0) + 1,
        errors=errors or {},
        row_errors=row_errors or [],
        by_row=by_row,
        message=message,
        columns=COLUMNS,
        max_rows=MAX_ROWS,
        choices=support.form_choices(session, office, staff=True),
        map_config=support.map_config(session, office, point=point),
    ), status


@bp.route("/")
@permission_required("requests.manage")
def index() -> ResponseReturnValue:
    """Letters registered, newest first."""
    session = get_session()
    letters = session.scalars(
        select(models.Letter).order_by(models.Letter.created_at.desc()).limit(200)
    ).all()
    return render_template("coordinator/letters.html", letters=letters)


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("requests.manage")
def new() -> ResponseReturnValue:
    """Register a letter; rows come from the table or an uploaded CSV/XLSX file."""
    if request.method == "GET":
        return _render(LetterDraft(letter_date=""), [])
    draft, rows = _draft(request.form), _typed_rows(request.form)
    upload = request.files.get("berkas")
    if request.form.get("action") == "tambah":
        return _render(draft, rows, extra_rows=len(rows) // 5 + EMPTY_ROWS * 2)
    limit = int(current_app.config.get("LETTER_MAX_ROWS", MAX_ROWS))
    key = read_submission_key(request.form.get(SUBMISSION_FIELD))
    sent = request_by_submission_key(get_session(), key)
    if sent is not None and sent.letter_id is not None:  # the same form sent again
        return redirect(url_for("coordinator.letters.detail", letter_id=sent.letter_id), code=303)
    try:
        if upload is not None and upload.filename:
            rows = read_resident_file(upload.filename, upload.read(), max_rows=limit)
        session = get_session()
        office = support.office_or_503(session)
        letter, req, skipped = import_letter(
            session,
            draft,
            rows,
            ctx=support.intake_context(session, office),
            office=office,
            actor=f"user:{current_user.id}",
            valid_only=request.form.get("hanya_valid") == "ya",
            max_rows=limit,
            submission_key=key,
        )
    except LetterFormError as exc:
        return _render(draft, rows, errors=exc.errors, row_errors=exc.row_errors, status=400)
    except LetterRowsError as exc:
        return _render(draft, rows, row_errors=exc.errors, message=str(exc), status=400)
    except IntakeError as exc:
        return _render(draft, rows, message=str(exc), status=400)
    session.commit()
    message = _(
        "Surat disimpan: %(n)s warga, permohonan %(code)s.", n=req.persons, code=req.tracking_code
    )
    if skipped:
        message += " " + _("%(n)s baris dilewati.", n=len({e.row for e in skipped}))
    flash(message, "info")
    return redirect(url_for("coordinator.letters.detail", letter_id=letter.id), code=303)


@bp.route("/<int:letter_id>")
@permission_required("requests.manage")
def detail(letter_id: int) -> ResponseReturnValue:
    """A letter, its residents and its collective request."""
    letter = get_scoped(get_session(), models.Letter, letter_id)
    if letter is None:
        abort(404)
    kel = get_session().get(models.Kelurahan, letter.kelurahan_id) if letter.kelurahan_id else None
    skipped = skipped_rows(get_session(), letter.id)
    return render_template("coordinator/letter.html", letter=letter, kelurahan=kel, skipped=skipped)


@bp.route("/templat.<ext>")
@permission_required("requests.manage")
def template(ext: str) -> ResponseReturnValue:
    """The resident list template, as XLSX or CSV."""
    if ext == "xlsx":
        body, mime = template_xlsx(), XLSX_MIME
    elif ext == "csv":
        body, mime = template_csv(), "text/csv; charset=utf-8"
    else:
        abort(404)
    response = current_app.response_class(body, mimetype=mime)
    response.headers["Content-Disposition"] = f"attachment; filename=templat-daftar-warga.{ext}"
    return response
