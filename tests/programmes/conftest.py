"""Fixtures for programme tests: the Kota Yogyakarta office (tests/intake/yogya.py) and the
real-Chromium fixtures of tests/browser."""

from tests.browser.conftest import browser, live_server
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["browser", "live_server", "staff_client", "yapp", "yclient", "yogya_template"]
