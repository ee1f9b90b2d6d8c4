"""Staff sign-in. Only signed-in staff see NIK and phone numbers whole."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from outreach import models
from outreach.db import get_session
from outreach.extensions import limiter, login_manager
from outreach.web.permissions import home_url

bp = Blueprint("auth", __name__, url_prefix="/auth")


class StaffUser(UserMixin):
    """The signed-in member of staff, detached from the database session."""

    def __init__(self, row: models.User) -> None:
        self.id = row.id
        self.username = row.username
        self.full_name = row.full_name or row.username
        self.role = row.role
        self.office_id = row.office_id
        self.team_id = row.team_id


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    row = get_session().get(models.User, int(user_id))
    return StaffUser(row) if row is not None and row.active else None


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return generate_password_hash(password)


def is_staff() -> bool:
    """True when a member of staff is signed in (decides masking of personal data)."""
    return bool(current_user.is_authenticated)


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    """Sign in with username and password."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        row = get_session().scalar(select(models.User).where(models.User.username == username))
        if row is None or not row.active or not check_password_hash(row.password_hash, password):
            error = "Nama pengguna atau kata sandi salah."
        else:
            login_user(StaffUser(row))
            target = request.args.get("next", "")
            # Only local paths: never redirect to another site after sign-in.
            if not target or urlsplit(target).netloc or not target.startswith("/"):
                target = home_url()
            return redirect(target)
    return render_template("auth/login.html", error=error), 200 if error is None else 401


@bp.route("/keluar", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out."""
    logout_user()
    flash("Anda telah keluar.", "info")
    response = redirect(url_for("main.index"))
    # The field page keeps the day's route (names, phone numbers) and unsent outcomes on the
    # phone: signing out wipes them (the page's own script clears them too, for browsers that
    # ignore this header).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
