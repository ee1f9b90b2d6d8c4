"""The team lead's field page (PWA): today's route, outcomes, offline queue.

The page is built by :func:`outreach.render.field_page.field_page`; outcomes go through
:mod:`outreach.visits`. The JSON endpoints answer an expired session with 401 JSON (never the
sign-in page) so the phone keeps its queue and asks the lead to sign in again, and a failed
CSRF check with JSON as well. The web manifest and the service worker carry no personal data
and are served to anyone (the browser fetches the manifest without cookies).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from outreach import models
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.office import get_office
from outreach.render.field_page import field_page
from outreach.render.route_rows import hhmm
from outreach.render.style import CATEGORY_LABELS, SERVICE_LABELS
from outreach.visits import (
    OUTCOME_LABELS,
    OutcomeConflict,
    OutcomeError,
    outcome_json,
    parse_outcome_payload,
    record_outcome,
)
from outreach.web.mapping_data import office_today
from outreach.web.permissions import ADMIN, permission_required

bp = Blueprint("field", __name__, url_prefix="/lapangan")
F = TypeVar("F", bound=Callable[..., Any])

#: The page's own scripts, styles and icons (plain ES, no build step).
FIELD_STATIC = Path(__file__).resolve().parent.parent / "static" / "field"
#: Files whose change must reach phones: their hash names the service worker's cache.
VERSIONED = ("field.js", "field.css", "sw.js", "icon.svg", "../app.css")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "SERVICE_LABELS": SERVICE_LABELS,
        "hhmm": hhmm,
        "asset_version": asset_version(),
    }


def json_api(view: F) -> F:
    """Answer a request without a signed-in user with 401 JSON instead of the sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _session_expired()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _session_expired() -> ResponseReturnValue:
    login = url_for("auth.login", next=url_for("field.index"))
    return jsonify(error=_("Sesi habis, silakan masuk lagi."), login=login), 401


def _json_body() -> Any:
    """The request's JSON, or None when it is not JSON (or nested too deep to read)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> ResponseReturnValue:
    return jsonify(error=_("Isi permintaan terlalu besar.")), 413


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError) -> ResponseReturnValue:
    # An expired session lost its CSRF secret too: that is the lead's problem to solve.
    if not current_user.is_authenticated:
        return _session_expired()
    return jsonify(
        error=_("Token keamanan tidak berlaku lagi; muat ulang halaman."), code="csrf"
    ), 400


# --- views -----------------------------------------------------------------------------------


@bp.route("/")
@permission_required("field.use")
def index() -> ResponseReturnValue:
    """Today's route of the signed-in team lead's team (``?route=``: a sheet's QR code)."""
    session = get_session()
    office = _office()
    admin = current_user.role == ADMIN
    page = field_page(
        session,
        office=office,
        today=office_today(office),
        team_id=_int_arg("tim") if admin else current_user.team_id,
        route_id=_int_arg("route"),
        any_team=admin,
    )
    html = render_template("field/index.html", page=page, office=office)
    return html, 200, {"Cache-Control": "private, no-cache"}


@bp.route("/hasil", methods=["POST"])
@json_api
@permission_required("outcomes.record")
def record() -> ResponseReturnValue:
    """Store one visit outcome (JSON); the same ``client_id`` again answers the stored one."""
    session = get_session()
    admin = current_user.role == ADMIN
    if not admin and current_user.team_id is None:
        return jsonify(error=_("Akun Anda belum terhubung ke tim.")), 404
    try:
        data = parse_outcome_payload(_json_body())
        result = record_outcome(
            session,
            data,
            team_id=None if admin else current_user.team_id,
            user_id=current_user.id,
            today=office_today(_office()),
        )
    except NotFoundError:
        session.rollback()
        return jsonify(error=_("Kunjungan ini tidak ada pada rute tim Anda.")), 404
    except OutcomeConflict as exc:
        stored = outcome_json(exc.stored)
        session.rollback()
        return jsonify({**stored, "error": str(exc)}), 409
    except OutcomeError as exc:
        session.rollback()
        return jsonify(error=str(exc)), 400
    body = outcome_json(result.outcome)
    session.commit()
    return jsonify(body), 201 if result.created else 200


@bp.route("/sesi.json")
@json_api
@permission_required("outcomes.record")
def session_info() -> ResponseReturnValue:
    """A fresh CSRF token for the page's queue (401 JSON when the session has expired)."""
    body = {"csrf_token": generate_csrf(), "username": current_user.username}
    return jsonify(body), 200, {"Cache-Control": "no-store"}


@bp.route("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """The web app manifest: the field page installs as "Jemput Bola Lapangan"."""
    icon = "field/icon-{}.png"
    body = {
        "name": "Jemput Bola Lapangan",
        "short_name": "Jemput Bola",
        "description": _("Rute harian dan hasil kunjungan tim jemput bola."),
        "lang": "id",
        "start_url": url_for("field.index"),
        "scope": url_for("field.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6e4f",
        "icons": [
            {
                "src": url_for("static", filename=icon.format(size)),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ]
        + [
            {
                "src": url_for("static", filename="field/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker, from /lapangan/ so its scope is the field page."""
    body = (FIELD_STATIC / "sw.js").read_text(encoding="utf-8")
    headers = {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}
    return body, 200, headers


# --- helpers ---------------------------------------------------------------------------------


def _office() -> models.Office:
    office = None
    if current_user.office_id is not None:
        office = get_session().get(models.Office, current_user.office_id)
    return office or get_office(get_session())


def _int_arg(name: str) -> int | None:
    """A positive whole number from the query string; 404 for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        abort(404)
    return int(raw)


def asset_version() -> str:
    """A short hash of the field page's files: a new one makes phones fetch them again."""
    stats = tuple(
        (name, (FIELD_STATIC / name).stat().st_mtime_ns)
        for name in VERSIONED
        if (FIELD_STATIC / name).is_file()
    )
    return _hash_files(stats)


@lru_cache(maxsize=8)
def _hash_files(stats: tuple[tuple[str, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _mtime in stats:
        digest.update((FIELD_STATIC / name).read_bytes())
    return digest.hexdigest()[:12]
