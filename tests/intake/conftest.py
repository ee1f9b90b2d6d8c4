"""Intake fixtures: a Kota Yogyakarta office (see tests/intake/yogya.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from outreach.db import get_session
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["session", "staff_client", "yapp", "yclient", "yogya_template"]


@pytest.fixture
def session(yapp: Flask) -> Session:
    """The Yogyakarta app's session (overrides the root fixture of an empty app)."""
    return get_session()
