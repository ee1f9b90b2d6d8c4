"""Personal data (UU PDP 27/2022): masking for maps and sheets, and a log filter.

NIK and phone numbers must never reach a log and are shown whole only to signed-in staff.
"""

from __future__ import annotations

import logging
import re

# 16 digits, also written in groups with spaces, dots or dashes ("3471 1349 0709 0476").
_NIK_RE = re.compile(r"(?<![\d.-])\d(?:[ .-]?\d){15}(?!\d)")
# Indonesian phone numbers in the forms people type: +62..., 62..., 08..., with spaces, dots,
# dashes or brackets between the groups ("0812.3456.7890", "+62 812-3456-7890").
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+62|62|0)[\s.()-]{0,2}8(?:[\s.()-]{0,2}\d){7,12}")
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


class RedactingFilter(logging.Filter):
    """A logging filter that redacts NIK and phone numbers from every record."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set: a traceback quoting a value is redacted too.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


# Loggers that write request lines (a search by NIK puts it in the query string).
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "waitress")


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach :class:`RedactingFilter` to ``logger`` (root by default) and its handlers.

    A logger's own filters see only records made on that logger, so the access loggers of the
    WSGI servers get the filter too; handlers see everything that propagates to them.
    """
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    for each in [target, *(logging.getLogger(name) for name in ACCESS_LOGGERS)]:
        if not any(isinstance(f, RedactingFilter) for f in each.filters):
            each.addFilter(flt)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
