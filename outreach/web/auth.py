"""Staff sign-in. Only signed-in staff see NIK and phone numbers whole.

Sessions end on the server: the id Flask-Login keeps in the session cookie carries the account's
session version (Flask-Login's "alternative tokens"), which sign-out and a new password bump
(:func:`outreach.staff.end_sessions`). A session also ends after ``SESSION_IDLE_MINUTES``
without a request (see :mod:`outreach.web.security`). Sign-in is throttled per account and per
address; an unknown username costs the same as a wrong password (:func:`staff.authenticate`).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.security import generate_password_hash

from outreach import models, staff
from outreach.db import get_session
from outreach.extensions import limiter, login_manager
from outreach.web.permissions import home_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

WRONG = "Nama pengguna atau kata sandi salah."
THROTTLED = "Terlalu banyak percobaan masuk. Tunggu beberapa menit, lalu coba lagi."
# Defaults; the configuration may override them (LOGIN_RATE_LIMIT_ACCOUNT / _ADDRESS).
ACCOUNT_LIMIT = "5 per minute;30 per hour"
ADDRESS_LIMIT = "20 per minute;100 per hour"


class StaffUser(UserMixin):
    """The signed-in member of staff, detached from the database session."""

    def __init__(self, row: models.User) -> None:
        self.id = row.id
        self.username = row.username
        self.full_name = row.full_name or row.username
        self.role = row.role
        self.office_id = row.office_id
        self.team_id = row.team_id
        self.token = staff.session_token(row)

    def get_id(self) -> str:
        """The id kept in the session: user id and session version."""
        return self.token


@login_manager.user_loader
def _load_user(token: str) -> StaffUser | None:
    row = staff.user_for_token(get_session(), token)
    return StaffUser(row) if row is not None else None


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return generate_password_hash(password)


def is_staff() -> bool:
    """True when a member of staff is signed in (decides masking of personal data)."""
    return bool(current_user.is_authenticated)


def _account_key() -> str:
    # The username typed, hashed: the limiter's storage never holds it in clear.
    typed = request.form.get("username", "").strip().casefold()
    return "login:" + hashlib.sha256(typed.encode("utf-8")).hexdigest()[:32]


def _account_limit() -> str:
    return str(current_app.config.get("LOGIN_RATE_LIMIT_ACCOUNT") or ACCOUNT_LIMIT)


def _address_limit() -> str:
    return str(current_app.config.get("LOGIN_RATE_LIMIT_ADDRESS") or ADDRESS_LIMIT)


def _failed(response: object) -> bool:
    # Only failed attempts count against the account (a success redirects).
    return getattr(response, "status_code", 0) != 302


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], key_func=get_remote_address)
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login() -> ResponseReturnValue:
    """Sign in with username and password."""
    error = None
    if request.method == "POST":
        db = get_session()
        row = staff.authenticate(
            db,
            request.form.get("username", ""),
            request.form.get("password", ""),
            address=get_remote_address() or "",
        )
        db.commit()
        if row is None:
            error = WRONG
        else:
            session.permanent = True  # PERMANENT_SESSION_LIFETIME is the idle timeout
            login_user(StaffUser(row))
            target = request.args.get("next", "")
            # Only local paths: never redirect to another site after sign-in.
            if not target or urlsplit(target).netloc or not target.startswith("/"):
                target = home_url()
            return redirect(target)
    return render_template("auth/login.html", error=error), 200 if error is None else 401


@bp.errorhandler(TooManyRequests)
def _throttled(_exc: TooManyRequests) -> ResponseReturnValue:
    """Too many sign-in attempts: the form again, with the reason (HTTP 429)."""
    return render_template("auth/login.html", error=THROTTLED), 429


@bp.route("/keluar", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out: every session of the account ends, on every device."""
    if current_user.is_authenticated:
        db = get_session()
        row = db.get(models.User, current_user.id)
        if row is not None:
            staff.end_sessions(row)
            db.commit()
    logout_user()
    flash("Anda telah keluar.", "info")
    response = redirect(url_for("main.index"))
    # The field page keeps the day's route (names, phone numbers) and unsent outcomes on the
    # phone: signing out wipes them (the page's own script clears them too, for browsers that
    # ignore this header).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
