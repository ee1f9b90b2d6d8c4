"""Fixtures for office appointments: the Kota Yogyakarta office (see tests/intake/yogya.py)
and, for the browser test, the real Chromium and loopback server of tests/browser."""

from tests.browser.conftest import browser, live_server
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["browser", "live_server", "staff_client", "yapp", "yclient", "yogya_template"]
