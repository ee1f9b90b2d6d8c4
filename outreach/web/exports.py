"""Downloads of requests, plans and outcomes as CSV and GeoJSON (/ekspor).

What a file holds is built by :mod:`outreach.exports`; these views read the form, pick whether
NIK and phone numbers are whole (roles that see them on request pages, unless the user asks
for a masked file), note the export in the audit trail and send the file. Files carry names:
never cached; file names carry the options only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from outreach import jobs, models
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.exports import (
    FORMATS,
    WHATS,
    ExportError,
    audit_export,
    build_export,
    export_page,
    parse_export_options,
)
from outreach.web.permissions import has_permission, permission_required

bp = Blueprint("exports", __name__, url_prefix="/ekspor")
NO_STORE = {"Cache-Control": "private, no-store"}
#: Who gets NIK and phone numbers whole: the roles that see them on the request pages.
PERSONAL_PERMISSION = "personal.view"
FIELDS = ("data", "format", "rencana", "dari", "sampai", "status", "samarkan")


@bp.route("/")
@permission_required("data.export")
def index() -> ResponseReturnValue:
    """The downloads on offer and a form to choose data, format and filters."""
    return _page({"data": "requests", "format": "csv"}), 200, NO_STORE


@bp.route("/unduh")
@permission_required("data.export")
def download() -> ResponseReturnValue:
    """Send the file the form asks for; bad filters: the form again with the reason (400)."""
    form = {name: request.args.get(name, "") for name in FIELDS}
    try:
        options = parse_export_options(
            form["data"],
            form["format"],
            plan=form["rencana"],
            date_from=form["dari"],
            date_to=form["sampai"],
            status=form["status"],
        )
        personal = has_permission(current_user, PERSONAL_PERMISSION) and not form["samarkan"]
        session = get_session()
        export = build_export(session, current_user.office_id, options, personal=personal)
    except (ExportError, NotFoundError) as exc:
        return _page(form, error=str(exc)), 400, NO_STORE
    audit_export(session, options, export, actor=f"user:{current_user.id}", personal=personal)
    session.commit()
    disposition = f'attachment; filename="{export.filename}"'
    headers = {"Content-Disposition": disposition, **NO_STORE}
    # The media type carries its charset already (mimetype= would add a second one).
    return Response(export.body, content_type=export.media_type, headers=headers)


@bp.route("/tugas", methods=["POST"])
@permission_required("data.export")
def job() -> ResponseReturnValue:
    """Make the file the form asks for in the background (big exports); its page offers it."""
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        parse_export_options(
            form["data"],
            form["format"],
            plan=form["rencana"],
            date_from=form["dari"],
            date_to=form["sampai"],
            status=form["status"],
        )
    except ExportError as exc:
        return _page(form, error=str(exc)), 400, NO_STORE
    personal = has_permission(current_user, PERSONAL_PERMISSION) and not form["samarkan"]
    params: dict[str, Any] = {**form, "personal": personal, "actor": f"user:{current_user.id}"}
    params["office_id"] = current_user.office_id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    title = _("Ekspor data (%(what)s, %(fmt)s)", what=form["data"], fmt=form["format"])
    job_id = jobs.enqueue(
        app, kind="export", office_id=current_user.office_id, title=title, params=params
    )
    return redirect(url_for("plans.job", job_id=job_id), code=303)


@bp.route("/tugas/<job_id>")
@permission_required("data.export")
def job_download(job_id: str) -> ResponseReturnValue:
    """The file a finished export job made (whole personal data: only for those who see it)."""
    found = jobs.get_job(get_session(), job_id, config=current_app.config)
    if (
        found is None
        or found.kind != "export"
        or found.office_id != current_user.office_id
        or found.status != models.JobStatus.DONE.value
        or (found.params.get("personal") and not has_permission(current_user, PERSONAL_PERMISSION))
    ):
        abort(404)
    suffix = Path(str(found.result.get("file") or "")).suffix
    path = jobs.job_file(current_app.config, found.id, suffix)
    if not path.is_file():
        abort(404)
    filename = str(found.result.get("filename") or path.name)
    media_type = str(found.result.get("media_type") or "application/octet-stream")
    response = send_file(path, mimetype=media_type)
    response.headers["Content-Type"] = media_type  # it carries its charset already
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers.update(NO_STORE)
    return response


def _page(form: dict[str, Any], error: str = "") -> str:
    page = export_page(get_session(), current_user.office_id)
    return render_template(
        "exports/index.html",
        page=page,
        form=form,
        error=error,
        whats=WHATS,
        formats=FORMATS,
        personal=has_permission(current_user, PERSONAL_PERMISSION),
        title=_("Ekspor data"),
    )
