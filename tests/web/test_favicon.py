"""Every page names the app's own icon (no 404 for /favicon.ico in the browser console)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.intake.yogya import yapp, yclient, yogya_template

__all__ = ["yapp", "yclient", "yogya_template"]


def test_pages_link_the_icon_the_app_serves(yclient: FlaskClient) -> None:
    page = yclient.get("/").get_data(as_text=True)
    assert 'rel="icon"' in page and "/static/favicon.svg" in page
    icon = yclient.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()
