"""Personal data (UU PDP 27/2022): masking for maps and sheets, and a log filter.

NIK and phone numbers must never reach a log and are shown whole only to signed-in staff.
"""

from __future__ import annotations

import logging
import re

_NIK_RE = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Indonesian phone numbers in the forms people type: +62..., 62..., 08...
_PHONE_RE = re.compile(r"(?<![\w])(?:\+62|62|0)8[\d\s-]{7,14}\d")


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


def redact(text: str) -> str:
    """Replace anything that looks like a NIK or an Indonesian phone number."""
    return _PHONE_RE.sub("[telepon]", _NIK_RE.sub("[NIK]", text))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts NIK and phone numbers from every record."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach :class:`RedactingFilter` to the handlers of ``logger`` (root by default)."""
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    target.addFilter(flt)
    for handler in target.handlers:
        handler.addFilter(flt)
