"""Configuration defaults.

Layers, lowest first: these defaults, then ``instance/config.py`` if it exists, then every
``OUTREACH_*`` environment variable (``OUTREACH_DATABASE_URL`` overrides ``DATABASE_URL``), then
the mapping handed to :func:`outreach.create_app` (tests use that).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def defaults() -> dict[str, Any]:
    """Return the default configuration as a fresh dict."""
    data_dir = PROJECT_ROOT / "data"
    return {
        # None: a random key is made once and kept in DATA_DIR/secret_key (see create_app).
        "SECRET_KEY": None,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'outreach.db'}",
        # Folders searched, in order, for region packs (one sub-folder per region slug).
        "REGIONS_DIRS": [
            str(PROJECT_ROOT / "maps"),
            str(PROJECT_ROOT.parent / "shared" / "regions"),
        ],
        "CACHE_DIR": str(data_dir / "cache"),
        # Kemendagri province/kab-kota/kecamatan codes 2016-2025, for NIK checks.
        "KODE_WILAYAH_CSV": str(PROJECT_ROOT.parent / "shared" / "reference" / "kode_wilayah.csv"),
        "DEFAULT_REGION": "kota-yogyakarta",
        # Days after a request is closed before `outreach purge` removes its personal data
        # (UU PDP 27/2022: only while the purpose lasts; see README "Running in an office").
        "RETENTION_DAYS": 730,
        # Days files made by background jobs (PDFs, exports) stay in DATA_DIR/jobs.
        "JOB_FILE_DAYS": 7,
        # Tile URL template for the base map; "none" draws the road network instead (offline).
        "MAP_TILES": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (nginx,
        # a load balancer): 0 trusts none (the app faces residents directly); 1 for one nginx.
        # Too high lets a resident choose their own address; too low puts everyone behind the
        # proxy under one address (Werkzeug ProxyFix, applied in create_app).
        "TRUSTED_PROXIES": 0,
        # redis://host:6379/0 or redis+unix:///run/redis.sock: rate-limit counters shared by
        # every worker. Empty: counters in each process's memory (one worker only).
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        # Per address, ACCEPTED public submissions (a form that fails validation is free):
        # one carrier-grade NAT address can carry hundreds of residents; 50 of them submitting
        # in the same minute still pass, a flood of valid-looking forms stops at 1000 an hour.
        "PUBLIC_FORM_RATE_LIMIT": "120 per minute;1000 per hour",
        # Per address, EVERY post to the public form or status page (a flood guard).
        "PUBLIC_POST_RATE_LIMIT": "300 per minute",
        # Per phone number and per NIK, accepted submissions (a family rarely needs more).
        "PUBLIC_CONTACT_RATE_LIMIT": "3 per day",
        # Per address, FAILED status lookups (each is a guess at a code or phone digits).
        "STATUS_LOOKUP_RATE_LIMIT": "20 per minute;100 per hour",
        # Per tracking code, failed lookups from anywhere (10,000 possible last-4 digits).
        "STATUS_CODE_RATE_LIMIT": "10 per day",
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # Most residents one letter may list (typed or uploaded).
        "LETTER_MAX_ROWS": 500,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PLANNING_SEED": 1,
        # Public base URL of the app (https://...) for QR codes and links printed on route
        # sheets; "" uses the address the request came in on (the CLI: http://127.0.0.1:5000).
        "PUBLIC_URL": "",
        # Processes that render a day's route-sheet PDF (0: the machine's cores, at most 4).
        "SHEET_PDF_WORKERS": 0,
        # Background jobs on RQ: a running job silent for 8 heartbeats has lost its worker;
        # the longest a job may run.
        "JOB_HEARTBEAT_SECONDS": 15,
        "JOB_TIMEOUT_SECONDS": 3 * 3600,
    }


def ensure_secret_key(data_dir: Path) -> str:
    """Return the key kept in ``data_dir/secret_key``, creating it (mode 0600) on first use.

    Sessions and CSRF tokens stay valid across restarts without anyone having to invent a key,
    and no key is ever committed.
    """
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _coerce(value: str) -> Any:
    """Read an environment string as bool/int when it plainly is one."""
    low = value.strip().lower()
    if low in {"true", "false"}:
        return low == "true"
    if low.isdigit():
        return int(low)
    return value


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Collect ``OUTREACH_*`` variables as config keys (prefix removed)."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith("OUTREACH_"):
            continue
        name = key.removeprefix("OUTREACH_")
        if name == "REGIONS_DIR":
            # One folder or several separated by os.pathsep; searched before the defaults.
            extra = [p for p in value.split(os.pathsep) if p]
            out["REGIONS_DIRS"] = extra + defaults()["REGIONS_DIRS"]
        else:
            out[name] = _coerce(value)
    return out


def apply_deployment(config: dict[str, Any]) -> None:
    """Derive settings that depend on others (called by create_app after every layer).

    ``REDIS_URL`` becomes the limiter's storage; ``TRUSTED_PROXIES`` must be a whole number
    from 0 to 10.
    """
    if config.get("REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = str(config["REDIS_URL"])
    given = config.get("TRUSTED_PROXIES") or 0
    proxies = given
    if isinstance(given, str):
        proxies = int(given) if given.strip().isdigit() else -1
    if not isinstance(proxies, int) or isinstance(proxies, bool) or not 0 <= proxies <= 10:
        msg = f"OUTREACH_TRUSTED_PROXIES must be a whole number from 0 to 10, not {given!r}."
        raise ValueError(msg)
    config["TRUSTED_PROXIES"] = proxies
