"""Flask extensions, created unbound here and bound in :func:`outreach.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
# gzip for HTML, JSON and GeoJSON (responses that set Content-Encoding themselves are left alone).
compress = Compress()
login_manager = LoginManager()
# Limits are declared per public endpoint; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
