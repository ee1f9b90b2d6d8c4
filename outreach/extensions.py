"""Flask extensions, created unbound here and bound in :func:`outreach.create_app`.

Rate limits (issue 9, section 6): the limiter's storage is Redis when ``REDIS_URL`` is set
(every worker shares the counters) and process memory otherwise. Addresses are read after
ProxyFix (``TRUSTED_PROXIES``), so residents behind one reverse proxy each get their own limit.
Besides the per-address limits declared on the views, accepted public submissions are counted
per phone number and per NIK under a keyed hash of the number (:func:`contact_keys`): the
number itself never appears in a storage key, a log line or a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Iterable

from flask import current_app
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter

csrf = CSRFProtect()
babel = Babel()
# gzip for HTML, JSON and GeoJSON (responses that set Content-Encoding themselves are left alone).
compress = Compress()
login_manager = LoginManager()
# Limits are declared per public endpoint; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Namespaces of the counters kept outside the view decorators.
CONTACT_SCOPE = "pengajuan-kontak"
STATUS_CODE_SCOPE = "status-kode"


def _digest(secret: str, kind: str, value: str) -> str:
    """A keyed hash: the stored key cannot be turned back into a NIK or phone by brute force."""
    mac = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def contact_keys(secret: str, *, phone: str | None, nik: str | None) -> list[str]:
    """Counter keys for one accepted submission: one per phone number and one per NIK."""
    keys = []
    if phone:
        keys.append(_digest(secret, "hp", phone))
    if nik:
        keys.append(_digest(secret, "nik", nik))
    return keys


def code_key(secret: str, code: str) -> str:
    """Counter key for failed status lookups of one tracking code."""
    return _digest(secret, "kode", code)


def _items(limit: str) -> list[RateLimitItem]:
    return list(parse_many(limit))


def _strategy() -> RateLimiter | None:
    """The limiter's counters, or None when rate limiting is switched off (RATELIMIT_ENABLED)."""
    if not (limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True)):
        return None
    return limiter.limiter


def seconds_until_allowed(limit: str, scope: str, keys: Iterable[str]) -> int | None:
    """Seconds until every key may be counted once more under ``limit``; None when it may now."""
    strategy = _strategy()
    if strategy is None:
        return None
    waits = []
    for item in _items(limit):
        for key in keys:
            if not strategy.test(item, scope, key):
                reset_at, _remaining = strategy.get_window_stats(item, scope, key)
                waits.append(max(1, math.ceil(reset_at - time.time())))
    return max(waits) if waits else None


def count(limit: str, scope: str, keys: Iterable[str]) -> None:
    """Count one event for each key under every window of ``limit``."""
    strategy = _strategy()
    if strategy is None:
        return
    for item in _items(limit):
        for key in keys:
            strategy.hit(item, scope, key)


def seconds_until_reset() -> int:
    """For a breached view limit inside a request: seconds until that window lets one through."""
    current = limiter.current_limit
    if current is None:
        return 60
    reset_time, _remaining = current.window  # RequestLimit.reset_at rounds a second up
    return max(1, math.ceil(reset_time - time.time()))
