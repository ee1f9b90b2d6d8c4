"""Teams, office settings and staff accounts on the web (what the CLI can set)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/pengaturan")
