"""Public pages for residents: request form and status lookup (no sign-in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/layanan")
