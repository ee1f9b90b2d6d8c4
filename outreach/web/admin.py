"""Teams, office settings and staff accounts on the web (what the CLI can set).

The rules live in :mod:`outreach.office` (teams, office) and :mod:`outreach.staff`
(accounts), which the CLI calls too; these views read the form, call one of them, commit and
render. A form with errors is shown again with what was typed and an Indonesian message per
field (HTTP 400). Coordinators manage teams; the office and staff accounts are the admin's.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from outreach import models, office, staff
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.web import intake_support as support
from outreach.web.permissions import permission_required

bp = Blueprint("admin", __name__, url_prefix="/pengaturan")

SKILL_LABELS: dict[str, Any] = {
    **support.SERVICE_SHORT,
    "petugas_perempuan": _l("Petugas perempuan"),
    "bahasa_isyarat": _l("Juru bahasa isyarat"),
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "SKILL_LABELS": SKILL_LABELS,
        "SERVICES": [s.value for s in models.Service],
        "TRAITS": [t.value for t in models.Trait],
        "DAY_NAMES": office.DAY_NAMES,
        "ROLE_LABELS": staff.ROLE_LABELS,
        "describe_week": office.describe_week,
    }


def _form_data() -> dict[str, list[str]]:
    return request.form.to_dict(flat=False)


def _map_config(session: Session, org: models.Office, point: tuple[float, float] | None) -> str:
    """The location-picking map's config (see static/admin-map.js), with the depot marked."""
    config = json.loads(support.map_config(session, org, point=point))
    config["depot"] = [org.depot_lat, org.depot_lon]
    return json.dumps(config)


def _point(lon: str, lat: str) -> tuple[float, float] | None:
    try:
        return (float(lon), float(lat)) if lon and lat else None
    except ValueError:
        return None


@bp.route("/")
@permission_required("teams.manage")
def index() -> ResponseReturnValue:
    """The settings the signed-in user may change."""
    session = get_session()
    org = office.get_office(session)
    return render_template("admin/index.html", office=org, users=staff.list_users(session))


# --- teams ------------------------------------------------------------------------------------


@bp.route("/tim")
@permission_required("teams.manage")
def teams() -> ResponseReturnValue:
    """Every team of the office: skills, week, start point, active."""
    org = office.get_office(get_session())
    return render_template("admin/teams.html", office=org, teams=org.teams)


@bp.route("/tim/baru", methods=["GET", "POST"])
@bp.route("/tim/<int:team_id>", methods=["GET", "POST"])
@permission_required("teams.manage")
def team(team_id: int | None = None) -> ResponseReturnValue:
    """Create a team (``/tim/baru``) or change one."""
    session = get_session()
    org = office.get_office(session)
    row = next((t for t in org.teams if t.id == team_id), None)
    if team_id is not None and row is None:
        raise NotFoundError(_("Tim tidak ditemukan."))
    if request.method == "GET":
        return _team_page(session, org, office.team_form(org, row), row)
    form = office.read_team_form(_form_data())
    try:
        saved = office.save_team_form(session, org, form, team_id=team_id)
    except office.FormError as exc:
        session.rollback()
        return _team_page(session, org, form, row, exc.errors, 400)
    session.commit()
    flash(_("Tim %(name)s disimpan.", name=saved.name), "info")
    return redirect(url_for("admin.teams"), code=303)


def _team_page(
    session: Session,
    org: models.Office,
    form: office.TeamForm,
    row: models.Team | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    point = _point(form.start_lon, form.start_lat)
    return render_template(
        "admin/team_form.html",
        form=form,
        team=row,
        errors=errors or {},
        map_config=_map_config(session, org, point),
    ), status


# --- the office ---------------------------------------------------------------------------------


@bp.route("/kantor", methods=["GET", "POST"])
@permission_required("office.manage")
def office_settings() -> ResponseReturnValue:
    """The office: name, depot, hours, sync deadline, card capacity, working weekdays."""
    session = get_session()
    org = office.get_office(session)
    if request.method == "GET":
        return _office_page(session, org, office.office_form(org))
    form = office.read_office_form(_form_data())
    try:
        office.save_office_form(session, org, form)
    except office.FormError as exc:
        session.rollback()
        return _office_page(session, org, form, exc.errors, 400)
    session.commit()
    flash(_("Pengaturan kantor disimpan."), "info")
    return redirect(url_for("admin.office_settings"), code=303)


def _office_page(
    session: Session,
    org: models.Office,
    form: office.OfficeForm,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    point = _point(form.depot_lon, form.depot_lat)
    config = json.loads(support.map_config(session, org, point=point))
    return render_template(
        "admin/office.html",
        form=form,
        office=org,
        errors=errors or {},
        map_config=json.dumps(config),
    ), status


# --- staff accounts -----------------------------------------------------------------------------


@bp.route("/petugas")
@permission_required("staff.manage")
def users() -> ResponseReturnValue:
    """Every staff account of the office."""
    session = get_session()
    return render_template(
        "admin/users.html", users=staff.list_users(session), office=office.get_office(session)
    )


@bp.route("/petugas/baru", methods=["GET", "POST"])
@permission_required("staff.manage")
def user_new() -> ResponseReturnValue:
    """Create a staff account."""
    session = get_session()
    org = office.get_office(session)
    if request.method == "GET":
        return _user_page(org, staff.staff_form(), None)
    form = staff.read_staff_form(_form_data())
    try:
        staff.check_password_pair(
            request.form.get("password", ""), request.form.get("password2", "")
        )
        user = staff.create_user(
            session,
            org,
            username=form.username,
            password=request.form.get("password", ""),
            role=form.role,
            full_name=form.full_name,
            team=staff.team_for_role(form),
            actor=f"user:{current_user.id}",
        )
    except staff.StaffError as exc:
        session.rollback()
        return _user_page(org, form, None, {exc.field or "form": str(exc)}, 400)
    session.commit()
    flash(_("Akun %(name)s dibuat.", name=user.username), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/petugas/<int:user_id>", methods=["GET", "POST"])
@permission_required("staff.manage")
def user(user_id: int) -> ResponseReturnValue:
    """One account: full name, role and team."""
    session = get_session()
    org = office.get_office(session)
    row = staff.get_user(session, user_id)
    if request.method == "GET":
        return _user_page(org, staff.staff_form(row), row)
    form = staff.read_staff_form(_form_data())
    form.username = row.username
    try:
        staff.update_user(
            session,
            user_id,
            full_name=form.full_name,
            role=form.role,
            team=staff.team_for_role(form),
            actor_id=current_user.id,
        )
    except staff.StaffError as exc:
        session.rollback()
        return _user_page(org, form, staff.get_user(session, user_id), {exc.field: str(exc)}, 400)
    session.commit()
    flash(_("Akun %(name)s disimpan.", name=row.username), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/petugas/<int:user_id>/sandi", methods=["POST"])
@permission_required("staff.manage")
def user_password(user_id: int) -> ResponseReturnValue:
    """Give an account a new password."""
    session = get_session()
    row = staff.get_user(session, user_id)
    password = request.form.get("password", "")
    try:
        staff.check_password_pair(password, request.form.get("password2", ""))
        staff.reset_password(session, user_id, password, actor_id=current_user.id)
    except staff.StaffError as exc:
        session.rollback()
        form = staff.staff_form(row)
        errors = {exc.field or "password": str(exc)}
        return _user_page(office.get_office(session), form, row, errors, 400)
    session.commit()
    flash(_("Kata sandi %(name)s diganti.", name=row.username), "info")
    return redirect(url_for("admin.user", user_id=user_id), code=303)


@bp.route("/petugas/<int:user_id>/status", methods=["POST"])
@permission_required("staff.manage")
def user_active(user_id: int) -> ResponseReturnValue:
    """Deactivate (``aktif=0``) or activate (``aktif=1``) an account."""
    session = get_session()
    active = request.form.get("aktif") == "1"
    try:
        row = staff.set_active(session, user_id, active, actor_id=current_user.id)
    except staff.StaffError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.users"), code=303)
    session.commit()
    if active:
        flash(_("Akun %(name)s diaktifkan.", name=row.username), "info")
    else:
        flash(_("Akun %(name)s dinonaktifkan: tidak dapat masuk lagi.", name=row.username), "info")
    return redirect(url_for("admin.users"), code=303)


def _user_page(
    org: models.Office,
    form: staff.StaffForm,
    row: models.User | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "admin/user_form.html",
        form=form,
        user=row,
        teams=org.teams,
        roles=list(staff.ROLE_LABELS.items()),
        errors=errors or {},
    ), status
