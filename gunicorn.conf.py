"""Gunicorn settings for Jemput Bola: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every setting can be overridden on the command line or by ``GUNICORN_CMD_ARGS``. The log
configuration sends gunicorn's error and access logs through the app's redaction (NIK and phone
numbers, also URL-encoded in a request line, and in tracebacks), see ``outreach/privacy.py``.
"""

from __future__ import annotations

import os
from typing import Any

from outreach.privacy import install_log_redaction

# Behind a reverse proxy (nginx or Caddy) on the same machine: listen on loopback only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Route sheets (PDF) and plans take a while; the proxy's timeout should be at least as long.
timeout = 120
# Gunicorn's access log is off by default; the proxy's access log is the usual one. When it is
# switched on (--access-logfile -), its lines are redacted too.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None

_FILTER = {"redact": {"()": "outreach.privacy.RedactingFilter"}}
_FORMAT = {
    "()": "outreach.privacy.RedactingFormatter",
    "format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
}

logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": _FILTER,
    "formatters": {"redacting": _FORMAT},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "redacting",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "redacting",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": ["error_console"], "filters": ["redact"]},
    "loggers": {
        "gunicorn.error": {
            "level": "INFO",
            "handlers": ["error_console"],
            "propagate": False,
            "filters": ["redact"],
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["console"],
            "propagate": False,
            "filters": ["redact"],
        },
    },
}


def on_starting(server: Any) -> None:
    """In the master, before any worker: redact every log record of the process."""
    install_log_redaction()


def post_fork(server: Any, worker: Any) -> None:
    """In each worker: the same (the record factory is inherited, handlers are re-checked)."""
    install_log_redaction()
