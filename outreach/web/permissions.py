"""Who may do what: one table of permission -> roles, one decorator per staff view.

Every staff view names the permission it needs with :func:`permission_required` (the way
Flask-Security's ``permissions_required`` reads); a test walks ``app.url_map`` so no route
other than the public ones in :data:`PUBLIC_ENDPOINTS` lacks one. Queries of a signed-in user
are scoped to their office by :func:`outreach.db.scope_to_office` (installed here, per request).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_login import current_user

from outreach.db import get_session, scope_to_office
from outreach.extensions import login_manager
from outreach.models import Role

F = TypeVar("F", bound=Callable[..., Any])

ADMIN = Role.ADMIN.value
COORDINATOR = Role.COORDINATOR.value
TEAM_LEAD = Role.TEAM_LEAD.value
HEAD = Role.HEAD.value
PROVINCE = Role.PROVINCE.value

#: Permission -> the roles that have it.
PERMISSIONS: dict[str, frozenset[str]] = {
    # The staff map on the home page (every open request, masked; every team's routes).
    # Team leads have their own team's route on the field page instead.
    "map.staff": frozenset({ADMIN, COORDINATOR, HEAD}),
    # Triage queue, request pages, WhatsApp paste, letters.
    "requests.manage": frozenset({ADMIN, COORDINATOR}),
    # Read plans and follow their progress (the head of office: read-only, no phone links).
    "plans.view": frozenset({ADMIN, COORDINATOR, HEAD}),
    # Make, approve, change plans; urgent insertion; visit confirmations.
    "plans.manage": frozenset({ADMIN, COORDINATOR}),
    # Print route sheets (a team lead: only their own team's).
    "sheets.print": frozenset({ADMIN, COORDINATOR, TEAM_LEAD}),
    # The field page (a team lead's own team; admins may look).
    "field.use": frozenset({ADMIN, TEAM_LEAD}),
    # Record a visit outcome from the field (own team's stops).
    "outcomes.record": frozenset({ADMIN, TEAM_LEAD}),
    # Enter a whole route's outcomes from the ticked paper sheet.
    "outcomes.enter": frozenset({ADMIN, COORDINATOR}),
    # Teams: members, skills, shifts, start point (coordinators may manage teams).
    "teams.manage": frozenset({ADMIN, COORDINATOR}),
    # The office's settings (depot, hours, capacity) and staff accounts.
    "office.manage": frozenset({ADMIN}),
    "staff.manage": frozenset({ADMIN}),
    # Dashboard and monthly report; exports of requests, plans and outcomes.
    "reports.view": frozenset({ADMIN, COORDINATOR, HEAD}),
    "data.export": frozenset({ADMIN, COORDINATOR}),
    # The provincial read-only view: every office's dashboard figures side by side
    # (aggregates only; a province account belongs to no office).
    "province.view": frozenset({PROVINCE}),
    # NIK and phone numbers whole (request pages, WhatsApp links, exports, the field page);
    # everyone else gets them masked. The head of office never sees them.
    "personal.view": frozenset({ADMIN, COORDINATOR, TEAM_LEAD}),
}

#: Endpoints anyone may open (residents, the sign-in page, static files).
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "assets.vendor",
        "auth.login",
        "auth.logout",
        "main.index",
        "main.roads_geojson",
        "public.form",
        "public.received",
        "public.status",
        "public.boundaries",
        "public.locate",
        "public.kelurahan_options",
        # The field page's web manifest and service worker: no personal data; the worker
        # must load before sign-in so a phone offline still opens the cached page.
        "field.manifest",
        "field.service_worker",
    }
)


def has_permission(user: Any, name: str) -> bool:
    """True when ``user`` (a Flask-Login user) is signed in with a role that has ``name``.

    Raises
    ------
    KeyError
        ``name`` is not a permission of :data:`PERMISSIONS` (a typo must not open a page).
    """
    roles = PERMISSIONS[name]
    return bool(getattr(user, "is_authenticated", False)) and user.role in roles


def endpoint_permission(app: Flask, endpoint: str) -> str | None:
    """The permission the view of ``endpoint`` declares (None for a public endpoint).

    Raises
    ------
    KeyError
        ``endpoint`` is not a view of ``app``.
    """
    view = app.view_functions[endpoint]
    return getattr(view, "permission", None)


def may_open(user: Any, endpoint: str) -> bool:
    """True when ``user`` may open ``endpoint``: links are shown by this, not by a second list.

    An endpoint the app does not have (a blueprint left out) is never shown.
    """
    if endpoint not in current_app.view_functions:
        return False
    name = endpoint_permission(current_app, endpoint)
    if name is None:
        return endpoint in PUBLIC_ENDPOINTS
    return has_permission(user, name)


def permission_required(name: str) -> Callable[[F], F]:
    """Require a signed-in user whose role has permission ``name``.

    Anonymous users are sent to sign in; others without it get a message and their home page
    (HTTP 403 for JSON requests).
    """
    PERMISSIONS[name]

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, name):
                if _wants_json():
                    return {"error": "Anda tidak berhak melakukan ini."}, 403
                flash("Anda tidak berhak membuka halaman itu.", "error")
                return redirect(home_url())
            return view(*args, **kwargs)

        wrapped.permission = name  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _wants_json() -> bool:
    """A script's request (JSON body, JSON accepted, a ``.json``/``.geojson`` address)."""
    return (
        request.is_json
        or request.accept_mimetypes.best == "application/json"
        or request.path.endswith((".json", ".geojson"))
    )


def home_url() -> str:
    """Where a signed-in user starts: team leads on the field page, others on the map."""
    if current_user.is_authenticated and current_user.role == TEAM_LEAD:
        return url_for("field.index")
    if current_user.is_authenticated and current_user.role == PROVINCE:
        return url_for("province.index")
    return url_for("main.index")


def install(app: Flask) -> None:
    """Scope every query of a signed-in user to their office; ``can``/``can_open`` in templates."""

    @app.before_request
    def _scope_office() -> None:
        if current_user.is_authenticated and current_user.office_id is not None:
            scope_to_office(get_session(), current_user.office_id)

    @app.context_processor
    def _can() -> dict[str, Any]:
        return {
            "can": lambda name: has_permission(current_user, name),
            "can_open": lambda endpoint: may_open(current_user, endpoint),
        }
