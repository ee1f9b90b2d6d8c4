"""The team lead's field page (PWA): today's route, outcomes, offline queue."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from outreach.web.permissions import permission_required

bp = Blueprint("field", __name__, url_prefix="/lapangan")


@bp.route("/")
@permission_required("field.use")
def index() -> ResponseReturnValue:
    """Today's route of the signed-in team lead's team."""
    return "Lapangan"
