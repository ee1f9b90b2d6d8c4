"""Downloads of requests, plans and outcomes as CSV and GeoJSON."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/ekspor")
