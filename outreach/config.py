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
        # Tile URL template for the base map; "none" draws the road network instead (offline).
        "MAP_TILES": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "PUBLIC_FORM_RATE_LIMIT": "10 per minute;60 per hour",
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
