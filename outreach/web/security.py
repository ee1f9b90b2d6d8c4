"""Security headers, session lifetime and caching rules for every response.

- Content-Security-Policy (Flask-Talisman): scripts only from the app itself plus inline
  scripts carrying the request's nonce (``csp_nonce()`` in templates; folium's map parts get it
  through the ``nonced`` filter, :func:`outreach.render.maps.add_nonce`); style elements the
  same way. Inline style *attributes* stay allowed (``style-src-attr 'unsafe-inline'``): folium
  and Leaflet write them everywhere. Images: the app, ``data:`` and the configured tile server
  (``MAP_TILES``). No frames (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
- HTTPS (the production configuration): ``HTTPS`` true (``OUTREACH_HTTPS=1``), or by default
  when ``PUBLIC_URL`` starts with ``https://``. Then HSTS, Secure session cookies and plain
  http redirected to https (``X-Forwarded-Proto`` from the reverse proxy counts). Off for tests
  and the demo over http.
- Idle timeout: a signed-in session lasts ``SESSION_IDLE_MINUTES`` (default 60,
  ``OUTREACH_SESSION_IDLE_MINUTES``) after the last request; every request renews it.
- ``Cache-Control: private, no-store`` on every response to a signed-in user (pages and JSON
  carry personal data), unless the view declared it public or the endpoint is exempt: static
  files, front-end packages, the field page's manifest and service worker, and the field page
  itself (its offline copy on the team lead's phone is deliberate: ``private, no-cache``, wiped
  at sign-out by Clear-Site-Data). The public receipt and status pages are never stored either.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request
from flask_login import current_user
from flask_talisman import Talisman
from markupsafe import Markup

from outreach.render.maps import add_nonce

IDLE_MINUTES = 60
# Responses with no personal data (files, the PWA's manifest and worker) and the field page,
# whose offline copy is the one deliberate exception (see the module docstring).
CACHE_EXEMPT = frozenset(
    {"static", "assets.vendor", "field.manifest", "field.service_worker", "field.index"}
)
# Public pages that show a resident's request: never stored by a browser or a proxy.
PUBLIC_NO_STORE = frozenset({"public.received", "public.status"})


def https_enabled(config: dict[str, Any]) -> bool:
    """True in the production configuration (HTTPS flag, or an https PUBLIC_URL)."""
    flag = config.get("HTTPS")
    if flag is None or flag == "":
        return str(config.get("PUBLIC_URL") or "").startswith("https://")
    if isinstance(flag, str):
        return flag.strip().lower() in {"1", "true", "yes", "on"}
    return bool(flag)


def tile_source(template: str | None) -> str | None:
    """The CSP source of a tile URL template: ``https://tile.openstreetmap.org``.

    ``{s}`` subdomains become a wildcard; ``none``, empty and relative templates give None
    (the app's own address is allowed anyway).
    """
    if not template or template.strip().lower() == "none":
        return None
    parts = urlsplit(template.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}", "*")
    if "{" in host:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}"


def content_security_policy(config: dict[str, Any]) -> dict[str, str | list[str]]:
    """The policy for ``config`` (nonces are added per request by Talisman)."""
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(str(config.get("MAP_TILES") or ""))
    if tiles:
        images.append(tiles)
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        # Browsers without style-src-elem/-attr fall back to this line.
        "style-src": ["'self'", "'unsafe-inline'"],
        "style-src-elem": "'self'",
        "style-src-attr": "'unsafe-inline'",
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def csp_nonce() -> str:
    """The request's nonce, made on first use (also before Talisman's own hook has run).

    Empty outside a request (a PDF rendered by a background job has no policy to meet).
    """
    if not has_request_context():
        return ""
    nonce = getattr(request, "csp_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
    return str(nonce)


def nonced(html: str) -> Markup:
    """Jinja filter: ``html`` with the request's nonce on each script and style element."""
    return Markup(add_nonce(str(html), csp_nonce()))


def _no_store(response: Response) -> Response:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_NO_STORE:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if endpoint in CACHE_EXEMPT or endpoint.endswith(".static"):
        return response
    if not current_user or not current_user.is_authenticated:
        return response
    if response.cache_control.public or response.cache_control.no_store:
        return response  # declared public data, or already as strict
    response.headers["Cache-Control"] = "private, no-store"
    return response


def install(app: Flask) -> None:
    """Install the headers, the session lifetime and the caching rule on ``app``."""
    app.config.setdefault("SESSION_IDLE_MINUTES", IDLE_MINUTES)
    minutes = float(app.config["SESSION_IDLE_MINUTES"] or IDLE_MINUTES)
    app.permanent_session_lifetime = dt.timedelta(minutes=minutes)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    https = https_enabled(app.config)
    # One Talisman per app: its options live on the instance (tests build several apps).
    Talisman(
        app,
        force_https=https,
        strict_transport_security=https,
        session_cookie_secure=https,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="DENY",
        referrer_policy="same-origin",
        content_security_policy=content_security_policy(app.config),
        content_security_policy_nonce_in=["script-src", "style-src-elem"],
        x_content_type_options=True,
    )
    if https:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced
    app.after_request(_no_store)
