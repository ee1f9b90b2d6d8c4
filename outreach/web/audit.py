"""The audit trail page (``/pengaturan/audit``) and its CSV export; who the actor of a request is.

The events and their display are built by :mod:`outreach.audit`; this view reads the query
string and renders. Every request names its actor for the audit trail here, once: the signed-in
user (``user:<id>``) or ``public``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach import audit, models
from outreach.db import get_session
from outreach.web.permissions import permission_required

bp = Blueprint("audit", __name__, url_prefix="/pengaturan/audit")

ENTITY_LABELS: dict[str, Any] = {
    "service_request": _l("Permohonan"),
    "letter": _l("Surat"),
    "letter_resident": _l("Warga dalam surat"),
    "plan": _l("Rencana"),
    "route": _l("Rute"),
    "stop": _l("Kunjungan dalam rute"),
    "plan_unassigned": _l("Tidak terjadwal"),
    "visit_outcome": _l("Hasil kunjungan"),
    "team": _l("Tim"),
    "team_absence": _l("Tim tidak bertugas"),
    "user": _l("Akun petugas"),
    "office": _l("Kantor"),
    "office_day": _l("Kalender kantor: tanggal"),
    "office_hours": _l("Kalender kantor: jam khusus"),
    "auth": _l("Masuk"),
}
ACTION_LABELS: dict[str, Any] = {
    "create": _l("dibuat"),
    "update": _l("diubah"),
    "delete": _l("dihapus"),
}


@bp.before_app_request
def _set_actor() -> None:
    user = current_user
    actor = f"user:{user.id}" if user.is_authenticated else "public"
    g.audit_actor_token = audit.set_actor(actor)


@bp.teardown_app_request
def _reset_actor(_exc: BaseException | None) -> None:
    token = g.pop("audit_actor_token", None)
    if token is not None:
        audit.reset_actor(token)


def _office(session: Any) -> models.Office | None:
    office_id = current_user.office_id
    return None if office_id is None else session.get(models.Office, office_id)


@bp.route("/")
@permission_required("staff.manage")
def index() -> ResponseReturnValue:
    """The audit trail, filtered and paged (newest first)."""
    session = get_session()
    office = _office(session)
    try:
        filters = audit.parse_filters(request.args.to_dict())
    except audit.AuditFilterError as exc:
        page = audit.audit_page(session, office, audit.AuditFilters())
        return _render(page, error=str(exc)), 400
    return _render(audit.audit_page(session, office, filters))


def _render(page: audit.AuditPage, error: str = "") -> str:
    return render_template(
        "admin/audit.html",
        page=page,
        error=error,
        typed=request.args,
        ENTITY_LABELS=ENTITY_LABELS,
        ACTION_LABELS=ACTION_LABELS,
    )


@bp.route("/csv")
@permission_required("staff.manage")
def export_csv() -> ResponseReturnValue:
    """Every event the filters select, as CSV (UTF-8 with BOM)."""
    session = get_session()
    office = _office(session)
    try:
        filters = audit.parse_filters(request.args.to_dict())
    except audit.AuditFilterError as exc:
        page = audit.audit_page(session, office, audit.AuditFilters())
        return _render(page, error=str(exc)), 400
    body = audit.audit_csv(session, office, filters)
    name = audit.csv_filename(office, models.utcnow())
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
