"""Staff accounts: create, change role and team, reset password, deactivate.

The CLI (``outreach create-user``) and the staff page on the web (:mod:`outreach.web.admin`)
call these functions, so both apply the same rules. Services take a session and plain values,
change rows and never commit. Messages are Indonesian (shown to staff as they are); a
:class:`StaffError` names the form field it is about and carries a short ``code``. Passwords
are stored hashed only and never written to the audit trail.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from outreach import models
from outreach.errors import NotFoundError, OutreachError
from outreach.intake.audit import record_event

MIN_PASSWORD = 8
USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
ROLE_LABELS = {
    models.Role.ADMIN.value: "Admin",
    models.Role.COORDINATOR.value: "Koordinator",
    models.Role.TEAM_LEAD.value: "Ketua tim",
    models.Role.HEAD.value: "Pimpinan",
}


class StaffError(OutreachError):
    """A staff account change is not acceptable.

    ``field`` names the form field, ``code`` the rule (``username_taken``, ``password_short``,
    ``team_required``, ``team_unknown``, ``team_not_lead``, ...).
    """

    def __init__(self, message: str, *, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def hash_password(password: str) -> str:
    """Hash a password for storage (werkzeug's default method)."""
    return generate_password_hash(password)


def check_password(password: str) -> None:
    """Refuse a password shorter than :data:`MIN_PASSWORD` characters."""
    if len(password) < MIN_PASSWORD:
        msg = f"Kata sandi paling sedikit {MIN_PASSWORD} karakter."
        raise StaffError(msg, field="password", code="password_short")


def check_password_pair(password: str, again: str) -> None:
    """Refuse a short password, or a repeat that differs (web forms type it twice)."""
    check_password(password)
    if password != again:
        msg = "Ulangan kata sandi tidak sama."
        raise StaffError(msg, field="password2", code="password_mismatch")


def find_team(office: models.Office | None, ref: str) -> models.Team:
    """The office's team named ``ref`` (case-insensitive) or with id ``ref``.

    Raises
    ------
    StaffError
        When the office has no such team.
    """
    wanted = ref.strip()
    for team in office.teams if office is not None else ():
        if team.name.casefold() == wanted.casefold() or str(team.id) == wanted:
            return team
    msg = f"Tim {wanted!r} tidak ada di kantor ini."
    raise StaffError(msg, field="team", code="team_unknown")


def _username_taken(session: Session, username: str) -> bool:
    # Usernames are unique across offices: look past the office scope (core table query).
    # Case does not make another person: "KOORDINATOR" is taken when "koordinator" is.
    table = models.User.__table__
    same = func.lower(table.c.username) == username.lower()
    return session.execute(select(table.c.id).where(same)).first() is not None


def _apply_role(
    user: models.User, office: models.Office | None, role: str, team_ref: str | None
) -> None:
    if role == models.Role.PROVINCE.value:
        # The provincial read-only role belongs to no office: it sees every office's figures.
        if office is not None:
            msg = "Peran provinsi tidak terikat pada satu kantor."
            raise StaffError(msg, field="role", code="province_office")
        user.team_id = None
        user.role = role
        return
    if role not in ROLE_LABELS:
        raise StaffError("Peran tidak dikenal.", field="role", code="role_unknown")
    if role == models.Role.TEAM_LEAD.value:
        if not team_ref or not team_ref.strip():
            msg = "Ketua tim wajib memilih tim yang dipimpinnya."
            raise StaffError(msg, field="team", code="team_required")
        user.team_id = find_team(office, team_ref).id
    elif team_ref and team_ref.strip():
        msg = "Tim hanya dipilih untuk peran ketua tim."
        raise StaffError(msg, field="team", code="team_not_lead")
    else:
        user.team_id = None
    user.role = role


def create_user(
    session: Session,
    office: models.Office | None,
    *,
    username: str,
    password: str,
    role: str = models.Role.COORDINATOR.value,
    full_name: str = "",
    team: str | None = None,
    replace: bool = False,
    actor: str = "cli",
) -> models.User:
    """Create a staff account of ``office``.

    Parameters
    ----------
    session
        Database session (not committed here).
    office
        The account's office (None only before an office is set up).
    username
        1-80 letters, digits, dots, dashes or underscores; unique.
    password
        At least :data:`MIN_PASSWORD` characters; stored hashed.
    role
        A :class:`~outreach.models.Role` value.
    full_name
        Shown in the page header and the audit trail.
    team
        Name or id of the team a ``team_lead`` leads (required then, refused otherwise).
    replace
        When the username exists: reset its password, role, name and team (the CLI's
        behaviour) instead of refusing.
    actor
        Who does it, for the audit trail (``"cli"``, ``"user:<id>"``).

    Raises
    ------
    StaffError
        On a bad or taken username, a short password, or a missing/unknown/unwanted team.
    """
    username = username.strip()
    if not USERNAME_RE.match(username):
        msg = "Nama pengguna 1-80 karakter: huruf, angka, titik, garis bawah atau tanda hubung."
        raise StaffError(msg, field="username", code="username_bad")
    check_password(password)
    if len(full_name) > 200:
        raise StaffError("Nama lengkap terlalu panjang.", field="full_name", code="name_long")
    user = session.scalar(select(models.User).where(models.User.username == username))
    if user is None and _username_taken(session, username):
        msg = f"Nama pengguna {username!r} sudah dipakai."
        raise StaffError(msg, field="username", code="username_taken")
    if user is not None and not replace:
        msg = f"Nama pengguna {username!r} sudah dipakai."
        raise StaffError(msg, field="username", code="username_taken")
    created = user is None
    if user is None:
        user = models.User(username=username, password_hash="", active=True)
    _apply_role(user, office, role, team)
    user.password_hash = hash_password(password)
    user.full_name = full_name.strip()
    user.office_id = office.id if office is not None else None
    if created:
        session.add(user)
    else:
        end_sessions(user)
    session.flush()
    action = "user.create" if created else "user.replace"
    detail = {"username": username, "role": role, "team_id": user.team_id}
    record_event(
        session, actor=actor, action=action, entity="user", entity_id=user.id, detail=detail
    )
    return user


def get_user(session: Session, user_id: int) -> models.User:
    """The account ``user_id`` (within the session's office scope).

    Raises
    ------
    NotFoundError
        When there is no such account.
    """
    user = session.scalar(select(models.User).where(models.User.id == user_id))
    if user is None:
        msg = f"Akun #{user_id} tidak ditemukan."
        raise NotFoundError(msg)
    return user


def list_users(session: Session) -> list[models.User]:
    """Every account (of the session's office), active first, by username."""
    rows = session.scalars(select(models.User).order_by(models.User.username))
    return sorted(rows, key=lambda u: not u.active)


def update_user(
    session: Session,
    user_id: int,
    *,
    full_name: str,
    role: str,
    team: str | None,
    actor_id: int | None,
) -> models.User:
    """Change an account's full name, role and team (a team lead's team).

    Raises
    ------
    StaffError
        On a missing/unknown/unwanted team, or when ``actor_id`` changes their own role
        (an admin must not lock themself out).
    NotFoundError
        When there is no such account.
    """
    user = get_user(session, user_id)
    if actor_id == user.id and role != user.role:
        msg = "Anda tidak dapat mengubah peran akun Anda sendiri."
        raise StaffError(msg, field="role", code="own_role")
    if len(full_name) > 200:
        raise StaffError("Nama lengkap terlalu panjang.", field="full_name", code="name_long")
    office = session.get(models.Office, user.office_id) if user.office_id else None
    _apply_role(user, office, role, team)
    user.full_name = full_name.strip()
    session.flush()
    detail = {"username": user.username, "role": role, "team_id": user.team_id}
    record_event(
        session,
        actor=_actor(actor_id),
        action="user.update",
        entity="user",
        entity_id=user.id,
        detail=detail,
    )
    return user


def reset_password(
    session: Session, user_id: int, password: str, *, actor_id: int | None
) -> models.User:
    """Give an account a new password (at least :data:`MIN_PASSWORD` characters)."""
    check_password(password)
    user = get_user(session, user_id)
    user.password_hash = hash_password(password)
    # Every session of the account ends: a stolen cookie dies with the old password.
    end_sessions(user)
    session.flush()
    record_event(
        session,
        actor=_actor(actor_id),
        action="user.password_reset",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username},
    )
    return user


def set_active(
    session: Session, user_id: int, active: bool, *, actor_id: int | None
) -> models.User:
    """Activate or deactivate an account; a deactivated account cannot sign in.

    Raises
    ------
    StaffError
        When ``actor_id`` tries to deactivate their own account.
    """
    user = get_user(session, user_id)
    if not active and actor_id == user.id:
        msg = "Anda tidak dapat menonaktifkan akun Anda sendiri."
        raise StaffError(msg, field="active", code="own_account")
    user.active = active
    session.flush()
    record_event(
        session,
        actor=_actor(actor_id),
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username},
    )
    return user


def end_sessions(user: models.User) -> None:
    """End every signed-in session of ``user`` (sign-out, a new password).

    The session version is part of the id Flask-Login keeps in the session cookie; a cookie
    carrying an older version no longer signs anyone in.
    """
    user.session_version = (user.session_version or 0) + 1


def session_token(user: models.User) -> str:
    """The id kept in the session cookie: ``"<user id>:<session version>"``."""
    return f"{user.id}:{user.session_version or 0}"


def user_for_token(session: Session, token: str) -> models.User | None:
    """The active account a session cookie's id names, if its version is still current."""
    user_id, sep, version = token.partition(":")
    if not sep or not user_id.isdigit() or not version.isdigit():
        return None  # an id from before session versions: signed out
    user = session.get(models.User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    # Checked when the username is unknown, so that answer costs what a wrong password costs.
    return generate_password_hash("jemput-bola: no such account")


def authenticate(
    session: Session, username: str, password: str, *, address: str = ""
) -> models.User | None:
    """The account ``username``/``password`` signs in to, or None; both are audited.

    An unknown username, a deactivated account and a wrong password take the same work (one
    password hash check each) and give the same answer. The password is never recorded; the
    username is (staff names are not residents' personal data). Not committed here.
    """
    username = username.strip()[:200]
    user = session.scalar(select(models.User).where(models.User.username == username))
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        record_event(
            session,
            actor="public",
            action="auth.login_failed",
            entity="auth",
            entity_id=user.id if user is not None else None,
            detail={"username": username[:80], "address": address},
        )
        return None
    record_event(
        session,
        actor=f"user:{user.id}",
        action="auth.login",
        entity="auth",
        entity_id=user.id,
        detail={"username": user.username, "address": address},
    )
    return user


def _actor(actor_id: int | None) -> str:
    return "cli" if actor_id is None else f"user:{actor_id}"


# --- the web form of an account ---------------------------------------------------------------


@dataclasses.dataclass
class StaffForm:
    """An account form as typed (passwords are never shown back)."""

    username: str = ""
    full_name: str = ""
    role: str = models.Role.COORDINATOR.value
    team: str = ""  # a team id, for a team lead


def staff_form(user: models.User | None = None) -> StaffForm:
    """The form of ``user`` (or an empty one)."""
    if user is None:
        return StaffForm()
    return StaffForm(
        username=user.username,
        full_name=user.full_name or "",
        role=user.role,
        team="" if user.team_id is None else str(user.team_id),
    )


def read_staff_form(data: Mapping[str, Sequence[str]]) -> StaffForm:
    """A submitted account form (``request.form.to_dict(flat=False)``), as typed."""

    def first(name: str) -> str:
        return str((data.get(name) or [""])[0]).strip()

    return StaffForm(
        username=first("username"),
        full_name=first("full_name"),
        role=first("role"),
        team=first("team"),
    )


def team_for_role(form: StaffForm) -> str | None:
    """The form's team, sent only for a team lead (a hidden team select is ignored)."""
    return form.team or None if form.role == models.Role.TEAM_LEAD.value else None
