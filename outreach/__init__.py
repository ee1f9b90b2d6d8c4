"""Jemput Bola: field-operations planner for Disdukcapil mobile outreach."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from outreach import config as config_module

__all__ = ["create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: config layers, extensions, blueprints and CLI; nothing else.

    Parameters
    ----------
    config
        Overrides applied last (after instance config and ``OUTREACH_*`` variables).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.from_mapping(config)
    config_module.apply_deployment(app.config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config_module.ensure_secret_key(Path(app.config["DATA_DIR"]))

    from outreach.privacy import install_log_redaction

    install_log_redaction(logging.getLogger())
    install_log_redaction(app.logger)

    from outreach import db
    from outreach.cli import register_cli
    from outreach.web import register_web

    db.init_app(app)
    register_web(app)
    register_cli(app)
    return app
