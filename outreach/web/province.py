"""The province's page: every office's dashboard figures side by side (``/provinsi/``).

A ``province`` account (Provinsi) belongs to no office, so its queries are not scoped: it
sees every office of the installation, but aggregates only (counts, backlog age, visits
done), built by :func:`outreach.office.province_overview`; no record page, name, NIK or
phone. Needs the ``province.view`` permission (see :mod:`outreach.web.permissions`).
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from outreach.db import get_session, office_scope
from outreach.office import province_overview
from outreach.web.permissions import permission_required

bp = Blueprint("province", __name__, url_prefix="/provinsi")


@bp.route("/")
@permission_required("province.view")
def index() -> ResponseReturnValue:
    """Every office's figures: backlog, its age, what needs a look, today's and recent visits."""
    session = get_session()
    offices = province_overview(session)
    # A province account has no office; anyone else would see only their own office here.
    scoped = office_scope(session) is not None
    page = render_template("province/index.html", offices=offices, scoped=scoped)
    return page, 200, {"Cache-Control": "private, no-store"}
