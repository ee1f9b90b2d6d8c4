"""Personal data (UU PDP 27/2022): masking for maps and sheets, and a log filter.

NIK and phone numbers must never reach a log and are shown whole only to signed-in staff.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

# A separator between groups of digits: a space, dot or dash, also as a URL writes it in a
# query string or a request line ("+" or "%20" for a space, "%2E", "%2D").
_SEP = r"(?:[ .+-]|%20|%2[dDeE])"
# 16 digits, also written in groups with spaces, dots or dashes ("3471 1349 0709 0476").
_NIK_RE = re.compile(rf"(?<![\d.-])\d(?:{_SEP}?\d){{15}}(?!\d)")
# Indonesian phone numbers in the forms people type: +62..., 62..., 08..., with spaces, dots,
# dashes or brackets between the groups ("0812.3456.7890", "+62 812-3456-7890"); URL-encoded
# too ("%2B62812...", "0812+3456+7890").
_PHONE_SEP = r"(?:[\s.()+-]|%20|%2[dDeE]|%28|%29)"
_PHONE_RE = re.compile(
    rf"(?<![\w+])(?:\+62|%2[bB]62|62|0){_PHONE_SEP}{{0,2}}8(?:{_PHONE_SEP}{{0,2}}\d){{7,12}}"
)
# Invisible marks could split a number so that no pattern sees it.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")


def mask_nik(nik: str | None) -> str:
    """Show the region code and the last two digits only: ``347101**********01``."""
    if not nik:
        return ""
    digits = re.sub(r"\D", "", nik)
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 8) + digits[-2:]


def mask_phone(phone: str | None) -> str:
    """Keep the country/operator prefix and the last 3 digits: ``+62812*****678``."""
    if not phone:
        return ""
    s = re.sub(r"[^\d+]", "", phone)
    if len(s) <= 6:
        return "*" * len(s)
    head = 6 if s.startswith("+") else 4
    return s[:head] + "*" * (len(s) - head - 3) + s[-3:]


# Any other run of 10+ digits (e.g. a phone number URL-encoded in an access log: %2B62812...).
_LONG_DIGITS_RE = re.compile(r"\d{10,}")


def redact(text: str) -> str:
    """Replace anything that looks like a NIK or an Indonesian phone number.

    Numbers written in groups (``3471 1349 0709 0476``, ``0812.3456.7890``), with full-width
    digits or with invisible marks inside are caught too.
    """
    text = _INVISIBLE_RE.sub("", text)
    text = _PHONE_RE.sub("[telepon]", _NIK_RE.sub("[NIK]", text))
    return _LONG_DIGITS_RE.sub("[angka]", text)


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record``'s message, traceback and stack in place (idempotent)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it when the record is emitted
        return record
    clean = redact(message)
    if clean != message:
        record.msg = clean
        record.args = None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when set: a traceback quoting a value is redacted too.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A logging filter that redacts NIK and phone numbers from every record."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        _redact_record(record)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, traceback, stack) is redacted as a whole.

    The last line of defence for handlers configured by others (gunicorn's ``logconfig_dict``
    uses it, see ``gunicorn.conf.py``): whatever a filter missed is redacted when written.
    """

    def format(self, record: logging.LogRecord) -> str:  # noqa: D102
        return redact(super().format(record))

    def formatException(self, ei: Any) -> str:  # noqa: D102, N802
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: D102, N802
        return redact(super().formatStack(stack_info))


class _RedactingRecordFactory:
    """Wraps the log-record factory: every record of every logger is redacted when made.

    Filters sit on a logger or a handler that exists when they are added; a logger or handler
    made later (werkzeug adds its own handler on the first request) would miss them. The
    record factory is process-wide, so nothing can.
    """

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(self.inner(*args, **kwargs))


# Loggers that write request lines (a search by NIK puts it in the query string) or the WSGI
# server's own errors (a traceback can quote a value).
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "waitress")


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Redact every log record of the process; also filter ``logger`` and every handler.

    1. The log-record factory is wrapped (once): every record, of any logger, made now or by
       a logger created later, is redacted when it is made, its traceback included.
    2. A :class:`RedactingFilter` goes on ``logger`` (root by default), on the WSGI servers'
       loggers and on every handler of every logger that exists now, as a second line for
       records made by another factory or changed after they were made.
    """
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingRecordFactory):
        logging.setLogRecordFactory(_RedactingRecordFactory(factory))
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    existing = [
        each
        for each in logging.Logger.manager.loggerDict.values()
        if isinstance(each, logging.Logger)
    ]
    loggers = [target, logging.getLogger(), *(logging.getLogger(n) for n in ACCESS_LOGGERS)]
    for each in loggers + existing:
        if not any(isinstance(f, RedactingFilter) for f in each.filters):
            each.addFilter(flt)
        for handler in each.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(flt)
