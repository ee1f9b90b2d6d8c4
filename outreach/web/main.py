"""Coordinator home: the map of the backlog."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    """Home page (the map is added by the demo/map work)."""
    return render_template("main/index.html")
