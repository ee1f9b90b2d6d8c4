"""The register of personal fields (UU PDP 27/2022): what is personal, how it is masked, purged.

One table, :data:`REGISTER`, names every column that holds personal data, per model, with

``kind``
    what it is (:data:`NIK`, :data:`KK`, :data:`PHONE`, :data:`NAME`, :data:`DATE`,
    :data:`POINT`, :data:`TEXT`, :data:`IDS`, :data:`AUDIT`, :data:`HASH`);
``masked``
    how it is shown to someone who may not see it whole (exports without the personal
    permission, maps, paper): :func:`mask_value` does it by kind;
``purge``
    what :mod:`outreach.retention` writes in its place once a closed request is past the
    retention period (:data:`PURGED_NAME`, NULL, ``""``, the kelurahan's representative point,
    ...): :func:`purged_value` gives it.

Masking in exports (:func:`export_value`, :data:`EXPORT_COLUMNS`) and the purge read this table;
a new personal column is added here first. Statistics (category, services, kelurahan and
kecamatan, RT/RW, dates, persons, outcomes, attempts) are not personal on their own and are
kept.

Domain code: no flask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from outreach import models
from outreach.privacy import mask_nik, mask_phone

__all__ = [
    "EXPORT_COLUMNS",
    "PURGED_NAME",
    "REGISTER",
    "PersonalField",
    "export_value",
    "fields_of",
    "mask_value",
    "purged_value",
]

# Kinds of personal data.
NIK = "nik"
KK = "kk"  # Kartu Keluarga number: 16 digits like a NIK
PHONE = "phone"
NAME = "name"  # a person's name
DATE = "date"  # a birth date
POINT = "point"  # the exact point of a home (lon and lat together)
TEXT = "text"  # free text that can quote anything (original message, notes, address)
IDS = "ids"  # a list of ids of personal rows (attendance)
AUDIT = "audit"  # the before/after values of an audit event
HASH = "hash"  # a digest of a submission's personal fields (duplicate detection)
GEOMETRY = "geometry"  # a road line that ends at a home

# How a field is shown to someone who may not see it whole.
MASK_NIK = "region code and last two digits"
MASK_PHONE = "prefix and last three digits"
MASK_EMPTY = "left empty"
MASK_STAFF = "shown to signed-in staff of the office only"

# What the purge writes in its place.
PURGED_NAME = "(dihapus)"
PURGE_NULL = "NULL"
PURGE_BLANK = '""'
PURGE_NAME = PURGED_NAME
PURGE_POINT = "the kelurahan's representative point (NULL without a kelurahan)"
PURGE_EMPTY_LIST = "[]"
PURGE_AUDIT = "every value blanked; keys and codes (status, tracking code) kept"
PURGE_KEEP = "kept (points only at rows that are purged themselves)"


@dataclass(frozen=True)
class PersonalField:
    """One personal column: where it is, what it is, how it is masked and purged."""

    model: type[models.Base]
    column: str
    kind: str
    masked: str
    purge: str

    @property
    def table(self) -> str:
        """The table's name."""
        return str(self.model.__tablename__)


_R = models.ServiceRequest
_L = models.Letter
_LR = models.LetterResident

#: Every personal column of the schema.
REGISTER: tuple[PersonalField, ...] = (
    # The request: the resident, the applicant, the companion, the home.
    PersonalField(_R, "person_name", NAME, MASK_STAFF, PURGE_NAME),
    PersonalField(_R, "nik", NIK, MASK_NIK, PURGE_NULL),
    PersonalField(_R, "kk_number", KK, MASK_NIK, PURGE_NULL),
    PersonalField(_R, "birth_date", DATE, MASK_EMPTY, PURGE_NULL),
    PersonalField(_R, "phone", PHONE, MASK_PHONE, PURGE_NULL),
    PersonalField(_R, "applicant_name", NAME, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "companion_name", NAME, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "companion_phone", PHONE, MASK_PHONE, PURGE_NULL),
    PersonalField(_R, "source_text", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "description", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "accessibility_notes", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "notes", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "status_reason", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "address_street", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "landmark", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(_R, "lon", POINT, MASK_STAFF, PURGE_POINT),
    PersonalField(_R, "lat", POINT, MASK_STAFF, PURGE_POINT),
    PersonalField(_R, "submission_hash", HASH, MASK_EMPTY, PURGE_NULL),
    # A letter's contact person (the RT/RW head or a family member).
    PersonalField(_L, "contact_name", NAME, MASK_STAFF, PURGE_BLANK),
    PersonalField(_L, "contact_phone", PHONE, MASK_PHONE, PURGE_NULL),
    # The residents listed in a collective letter.
    PersonalField(_LR, "name", NAME, MASK_STAFF, PURGE_NAME),
    PersonalField(_LR, "nik", NIK, MASK_NIK, PURGE_NULL),
    PersonalField(_LR, "birth_date", DATE, MASK_EMPTY, PURGE_NULL),
    PersonalField(_LR, "phone", PHONE, MASK_PHONE, PURGE_NULL),
    PersonalField(_LR, "notes", TEXT, MASK_STAFF, PURGE_BLANK),
    # Visit outcomes: the officer's note; attendance points at letter residents, who are
    # purged themselves, so the ids (and the count) stay.
    PersonalField(models.VisitOutcome, "notes", TEXT, MASK_STAFF, PURGE_BLANK),
    PersonalField(models.VisitOutcome, "attendees", IDS, MASK_STAFF, PURGE_KEEP),
    # The road line of a route ends at the home it drives to (and the next leg starts there).
    PersonalField(models.Stop, "leg_geometry", GEOMETRY, MASK_STAFF, PURGE_EMPTY_LIST),
    PersonalField(models.Route, "return_geometry", GEOMETRY, MASK_STAFF, PURGE_EMPTY_LIST),
    # The audit trail's before/after values (already redacted of NIK and phone numbers).
    PersonalField(models.AuditEvent, "detail", AUDIT, MASK_NIK + ", " + MASK_PHONE, PURGE_AUDIT),
)


def fields_of(model: type[models.Base]) -> tuple[PersonalField, ...]:
    """The registered personal fields of ``model``."""
    return tuple(f for f in REGISTER if f.model is model)


def mask_value(kind: str, value: Any) -> str:
    """``value`` as shown to someone who may not see it whole (see :data:`REGISTER`)."""
    if value is None:
        return ""
    if kind in (NIK, KK):
        return mask_nik(str(value))
    if kind == PHONE:
        return mask_phone(str(value))
    if kind in (DATE, HASH):
        return ""
    return str(value)


def purged_value(field: PersonalField) -> Any:
    """What the purge writes in ``field`` (the point is handled by the purge: per kelurahan)."""
    if field.purge == PURGE_NAME:
        return PURGED_NAME
    if field.purge == PURGE_NULL:
        return None
    if field.purge == PURGE_BLANK:
        return ""
    if field.purge == PURGE_EMPTY_LIST:
        return []
    raise ValueError(f"{field.table}.{field.column} is purged by its own rule")


#: Export columns that hold personal data, by kind: whole only for a role that may see them.
EXPORT_COLUMNS: dict[str, str] = {
    "nik": NIK,
    "kk_number": KK,
    "birth_date": DATE,
    "phone": PHONE,
    "companion_phone": PHONE,
    "contact_phone": PHONE,
}


def export_value(column: str, value: Any, *, personal: bool) -> str:
    """The text of export ``column``: whole with ``personal``, else masked by its kind."""
    if value is None:
        return ""
    if personal or column not in EXPORT_COLUMNS:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return mask_value(EXPORT_COLUMNS[column], value)
