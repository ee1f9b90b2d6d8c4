"""Indonesian phone numbers: normalise what residents type to E.164 (``+62...``).

People write the same WhatsApp number as ``0812-3456-7890``, ``+62 812 3456 7890``,
``62812...``, ``0062 812...`` or even ``+62 0812...``; all become ``+6281234567890``.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from outreach.errors import IntakeError
from outreach.intake.text import clean_text

# Separators people put inside numbers; anything else (letters, "ext") is refused.
_SEPARATORS = re.compile(r"[\s.\-()/]")
_ACCEPTED_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _canonical_digits(value: str) -> str:
    """Remove separators and fix the common ways a country code is written."""
    text = _SEPARATORS.sub("", clean_text(value).strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+620"):
        # "+62 0812..." : the trunk 0 must go once the country code is there.
        text = "+62" + text[4:]
    elif text.startswith("62") and len(text) >= 10:
        # "62812..." without "+" would otherwise be read as a number in area code 62.
        text = "+" + text
    return text


def normalise_phone(value: str) -> str:
    """Return an Indonesian phone number in E.164 form (``+62...``).

    Parameters
    ----------
    value
        The number as typed: spaces, dots, dashes and brackets are ignored; ``08...``,
        ``62...``, ``+62...`` and ``0062...`` are understood; invisible direction marks
        (as WhatsApp Web copies them) and full-width digits are cleaned first.

    Returns
    -------
    str
        E.164, e.g. ``+6281234567890``.

    Raises
    ------
    IntakeError
        With an Indonesian message when the number is empty, malformed, not Indonesian, or
        not a mobile or fixed-line number.
    """
    text = _canonical_digits(value)
    if not text:
        msg = "Nomor HP/WhatsApp wajib diisi."
        raise IntakeError(msg)
    if not re.fullmatch(r"\+?\d+", text):
        msg = "Nomor HP hanya boleh berisi angka (boleh diawali +62)."
        raise IntakeError(msg)
    try:
        number = phonenumbers.parse(text, "ID")
    except NumberParseException as exc:
        msg = "Nomor HP tidak dapat dibaca. Contoh yang benar: 0812 3456 7890."
        raise IntakeError(msg) from exc
    if number.country_code != 62:
        msg = "Gunakan nomor Indonesia (+62)."
        raise IntakeError(msg)
    if not phonenumbers.is_valid_number(number):
        msg = "Nomor HP tidak valid: periksa jumlah angkanya. Contoh: 0812 3456 7890."
        raise IntakeError(msg)
    if phonenumbers.number_type(number) not in _ACCEPTED_TYPES:
        msg = "Nomor ini bukan nomor HP atau telepon rumah yang dapat dihubungi."
        raise IntakeError(msg)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """True when a normalised number is a mobile number (can receive WhatsApp)."""
    number = phonenumbers.parse(e164, "ID")
    return phonenumbers.number_type(number) in {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }


def last_digits(phone: str | None, count: int = 4) -> str:
    """The last ``count`` digits of a phone number ("" when there is none)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-count:] if len(digits) >= count else ""


def format_local(e164: str | None) -> str:
    """Show a normalised number the way Indonesians read it: ``0812-3456-7890``."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
