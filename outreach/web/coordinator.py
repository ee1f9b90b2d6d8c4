"""Coordinator pages: triage queue, letters, pasted WhatsApp messages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/koordinator")
