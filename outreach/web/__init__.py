"""Web layer: extensions, blueprints, template helpers.

Views only parse input, call one service and render (DESIGN.md).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from outreach.extensions import babel, compress, csrf, limiter, login_manager
from outreach.privacy import mask_nik, mask_phone

OSM_CREDIT = "&copy; OpenStreetMap contributors"
# What Flask-Compress gzips: pages, the map's GeoJSON, JSON, scripts and styles.
COMPRESS_MIMETYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
]


def register_web(app: Flask) -> None:
    """Bind extensions and register every blueprint on ``app``."""
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    limiter.init_app(app)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", "gzip")
    app.config.setdefault("COMPRESS_LEVEL", 6)
    # Files (send_file: static, vendor, the precompressed road layer) are streamed and left
    # alone: compressing a stream would keep the file open past the response.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.login_message_category = "warning"

    from outreach.web import (
        admin,
        appointments,
        assets,
        audit,
        auth,
        coordinator,
        coverage,
        errors,
        exports,
        field,
        main,
        permissions,
        plans,
        programmes,
        province,
        public,
        security,
        sheets,
    )

    errors.install(app)  # the bounded ``int`` URL converter, before any rule is added
    blueprints = (
        *(assets, auth, main, public, coordinator, plans, field, sheets, admin, exports),
        audit,
        province,
        appointments,
        coverage,
        programmes,
    )
    for module in (*blueprints, errors):
        app.register_blueprint(module.bp)
    permissions.install(app)
    security.install(app)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"mask_nik": mask_nik, "mask_phone": mask_phone, "osm_credit": OSM_CREDIT}
