"""Teams, office settings, the office calendar and staff accounts on the web (as on the CLI).

The rules live in :mod:`outreach.office` (teams, office), :mod:`outreach.office_calendar`
(closed and open dates, special hours, teams away) and :mod:`outreach.staff` (accounts), which
the CLI calls too; these views read the form, call one of them, commit and render. A form with
errors is shown again with what was typed and an Indonesian message per field (HTTP 400).
Coordinators manage teams and their dates away; the office, its calendar and staff accounts
are the admin's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from outreach import models, office, office_calendar, staff
from outreach.db import get_session
from outreach.errors import NotFoundError, OutreachError
from outreach.intake.locate import decimal_point, point_or_none
from outreach.planning.reasons import format_date
from outreach.planning.trips import far_trip_settings
from outreach.web import intake_support as support
from outreach.web.mapping_data import office_today
from outreach.web.permissions import permission_required

bp = Blueprint("admin", __name__, url_prefix="/pengaturan")

SKILL_LABELS: dict[str, Any] = {
    **support.SERVICE_SHORT,
    "petugas_perempuan": _l("Petugas perempuan"),
    "bahasa_isyarat": _l("Juru bahasa isyarat"),
    "motor": _l("Tim bermotor (masuk gang sempit; waktu tempuh motor, tanpa jalan tol)"),
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
        "format_date": format_date,
    }


# Coordinates typed into the team and office forms; a decimal comma ("110,3905") is accepted.
_COORDINATE_FIELDS = ("start_lon", "start_lat", "depot_lon", "depot_lat")


def _form_data() -> dict[str, list[str]]:
    data = request.form.to_dict(flat=False)
    for name in _COORDINATE_FIELDS:
        if name in data:
            data[name] = [decimal_point(v) for v in data[name]]
    return data


def _map_config(session: Session, org: models.Office, point: tuple[float, float] | None) -> str:
    """The location-picking map's config (see static/admin-map.js), with the depot marked."""
    config = json.loads(support.map_config(session, org, point=point))
    config["depot"] = [org.depot_lat, org.depot_lon]
    return json.dumps(config)


def _point(lon: str, lat: str) -> tuple[float, float] | None:
    return point_or_none(lon, lat)


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
    row = None if team_id is None else _team_of(org, team_id)
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
    *,
    away_typed: dict[str, str] | None = None,
    away_errors: dict[str, str] | None = None,
) -> ResponseReturnValue:
    point = _point(form.start_lon, form.start_lat)
    today = office_today(org)
    return render_template(
        "admin/team_form.html",
        form=form,
        team=row,
        errors=errors or {},
        map_config=_map_config(session, org, point),
        absences=office_calendar.upcoming_absences([row], today) if row else [],
        today=today,
        away=away_typed or {},
        away_errors=away_errors or {},
    ), status


def _team_of(org: models.Office, team_id: int) -> models.Team:
    row = next((t for t in org.teams if t.id == team_id), None)
    if row is None:
        raise NotFoundError(_("Tim tidak ditemukan."))
    return row


@bp.route("/tim/<int:team_id>/tidak-bertugas", methods=["POST"])
@permission_required("teams.manage")
def team_away(team_id: int) -> ResponseReturnValue:
    """Mark a team away (sick, training, leave) from ``dari`` to ``sampai``: not planned then."""
    session = get_session()
    org = office.get_office(session)
    row = _team_of(org, team_id)
    typed = _typed("dari", "sampai", "keterangan")
    try:
        start, end = _date_range(typed)
        away = office_calendar.add_absence(
            session, row, start, end, reason=typed["keterangan"], actor=_actor()
        )
    except office.SettingsError as exc:
        session.rollback()
        errors = {exc.field or "dari": str(exc)}
        form = office.team_form(org, row)
        return _team_page(session, org, form, row, status=400, away_typed=typed, away_errors=errors)
    session.commit()
    when = _when(away.start_date, away.end_date)
    flash(_("Tim %(name)s tidak bertugas %(when)s.", name=row.name, when=when), "info")
    return redirect(url_for("admin.team", team_id=team_id, _anchor="tidak-bertugas"), code=303)


@bp.route("/tim/<int:team_id>/tidak-bertugas/<int:absence_id>/hapus", methods=["POST"])
@permission_required("teams.manage")
def team_away_remove(team_id: int, absence_id: int) -> ResponseReturnValue:
    """Drop one absence of a team: it is planned on those dates again."""
    session = get_session()
    row = _team_of(office.get_office(session), team_id)
    try:
        office_calendar.remove_absence(session, row, absence_id, actor=_actor())
    except NotFoundError as exc:
        raise NotFoundError(_("Catatan tidak bertugas itu tidak ditemukan.")) from exc
    session.commit()
    flash(_("Tim %(name)s kembali direncanakan pada tanggal itu.", name=row.name), "info")
    return redirect(url_for("admin.team", team_id=team_id, _anchor="tidak-bertugas"), code=303)


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
        kelurahan=office.region_kelurahan(session, org.region_slug),
        trips=far_trip_settings(org.settings),
    ), status


@bp.route("/kantor/perjalanan-jauh", methods=["POST"])
@permission_required("office.manage")
def office_trips() -> ResponseReturnValue:
    """Far trips: the one-way drive above which a site is far; overnight trips on or off."""
    session = get_session()
    org = office.get_office(session)
    text = request.form.get("far_trip_minutes", "").strip()
    back = redirect(url_for("admin.office_settings", _anchor="perjalanan-jauh"), code=303)
    # An error goes to the top of the page, where the message is shown.
    top = redirect(url_for("admin.office_settings"), code=303)
    if not text.isdecimal():
        flash(_("Batas perjalanan jauh diisi dengan angka menit, mis. 60."), "error")
        return top
    try:
        office.set_far_trips(
            org,
            far_trip_minutes=int(text),
            overnight_trips=request.form.get("overnight_trips") == "1",
        )
    except office.SettingsError as exc:
        session.rollback()
        flash(str(exc), "error")
        return top
    session.commit()
    flash(_("Pengaturan perjalanan jauh disimpan."), "info")
    return back


@bp.route("/kantor/tanpa-sinyal", methods=["POST"])
@permission_required("office.manage")
def office_no_signal() -> ResponseReturnValue:
    """Mark a kelurahan of the office's region "tanpa sinyal" (or clear the mark)."""
    session = get_session()
    org = office.get_office(session)
    on = request.form.get("no_signal") == "1"
    try:
        kel = office.set_no_signal(
            session, request.form.get("code", ""), on, region_slug=org.region_slug
        )
    except NotFoundError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.office_settings", _anchor="tanpa-sinyal"), code=303)
    session.commit()
    if on:
        flash(_("%(name)s ditandai tanpa sinyal.", name=kel.name), "info")
    else:
        flash(_("Tanda tanpa sinyal %(name)s dihapus.", name=kel.name), "info")
    return redirect(url_for("admin.office_settings", _anchor="tanpa-sinyal"), code=303)


# --- the office calendar (holidays, cuti bersama, closures, special hours) -----------------------

#: The fields of the special-hours form (see office_calendar.HoursInput).
HOURS_FIELDS = ("nama", "mulai", "sampai", "jam", "jumat", "istirahat", "sinkron")


def _actor() -> str:
    return f"user:{current_user.id}"


def _typed(*names: str) -> dict[str, str]:
    """The form's ``names`` as typed (stripped), to show again on an error."""
    return {name: request.form.get(name, "").strip()[:300] for name in names}


def _date(text: str, field: str, *, required: bool = False) -> dt.date | None:
    """A date typed as ``2026-02-18`` (the date picker) or ``18-02-2026`` / ``18/02/2026``."""
    if not text:
        if required:
            raise office.SettingsError(_("Isi tanggalnya."), field=field)
        return None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    msg = _("Bukan tanggal yang sah: %(text)s (mis. 2026-02-18).", text=text)
    raise office.SettingsError(msg, field=field)


def _date_range(typed: dict[str, str]) -> tuple[dt.date, dt.date | None]:
    start = _date(typed["dari"], "dari", required=True)
    assert start is not None
    return start, _date(typed["sampai"], "sampai")


def _when(start: dt.date, end: dt.date | None) -> str:
    """``Senin, 23 November 2026`` or ``Senin, 23 November 2026 s/d Rabu, 25 November 2026``."""
    if end is None or end == start:
        return format_date(start)
    return f"{format_date(start)} s/d {format_date(end)}"


def _hours_input(typed: dict[str, str]) -> office_calendar.HoursInput:
    """The special-hours form as :class:`~outreach.office_calendar.HoursInput`.

    Raises
    ------
    office.FormError
        With a message for every field that cannot be read.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ("mulai", "sampai"):
        try:
            values[name] = _date(typed[name], name, required=True)
        except office.SettingsError as exc:
            errors[name] = str(exc)
    try:
        if not typed["jam"]:
            raise OutreachError(_("Isi jam kerja, mis. 08.00-14.00."))
        values["jam"] = office.parse_time_range(typed["jam"])
    except OutreachError as exc:
        errors["jam"] = str(exc)
    for name in ("jumat", "sinkron"):
        try:
            values[name] = office.parse_time(typed[name]) if typed[name] else None
        except OutreachError as exc:
            errors[name] = str(exc)
    text = typed["istirahat"] or "0"
    if not text.isdecimal():
        errors["istirahat"] = _("Lama istirahat ditulis dalam menit, mis. 30 (0 bila tidak ada).")
    if errors:
        raise office.FormError(errors)
    return office_calendar.HoursInput(
        name=typed["nama"],
        start=values["mulai"],
        end=values["sampai"],
        work_start=values["jam"][0],
        work_end=values["jam"][1],
        friday_end=values["jumat"],
        break_minutes=int(text),
        sync_deadline=values["sinkron"],
    )


@bp.route("/kalender")
@permission_required("office.manage")
def calendar() -> ResponseReturnValue:
    """The office calendar of a year (``?tahun=``): holidays, cuti bersama, own dates, hours."""
    org = office.get_office(get_session())
    return _calendar_page(org, _year(org))


@bp.route("/kalender/tanggal", methods=["POST"])
@permission_required("office.manage")
def calendar_days() -> ResponseReturnValue:
    """Close dates (``aksi=tutup``), open them (``buka``) or reset them (``kembalikan``)."""
    session = get_session()
    org = office.get_office(session)
    action = request.form.get("aksi", "")
    action = action if action in ("buka", "kembalikan") else "tutup"
    typed = _typed("dari", "sampai", "keterangan")
    try:
        start, end = _date_range(typed)
        if action == "kembalikan":
            changed = office_calendar.reset_days(session, org, start, end, actor=_actor())
        else:
            label, is_open = typed["keterangan"], action == "buka"
            office_calendar.set_days(
                session, org, start, end, is_open=is_open, label=label, actor=_actor()
            )
            changed = 1
    except office.SettingsError as exc:
        session.rollback()
        errors = {action: {exc.field or "dari": str(exc)}}
        return _calendar_page(org, _year(org), typed={action: typed}, errors=errors, status=400)
    session.commit()
    flash(_day_message(action, _when(start, end), changed), "info")
    return redirect(url_for("admin.calendar", tahun=start.year), code=303)


def _day_message(action: str, when: str, changed: int) -> str:
    if action == "tutup":
        return str(_("Kantor tutup untuk kunjungan rumah %(when)s.", when=when))
    if action == "buka":
        return str(_("%(when)s dibuka untuk kunjungan rumah.", when=when))
    if changed:
        return str(_("%(when)s kembali mengikuti kalender nasional.", when=when))
    return str(_("%(when)s tidak punya pengaturan kantor; tidak ada yang diubah.", when=when))


@bp.route("/kalender/jam", methods=["POST"])
@permission_required("office.manage")
def calendar_hours() -> ResponseReturnValue:
    """Add a period with its own working hours (Ramadan)."""
    session = get_session()
    org = office.get_office(session)
    typed = _typed(*HOURS_FIELDS)
    try:
        row = office_calendar.add_hours_period(session, org, _hours_input(typed), actor=_actor())
    except (office.SettingsError, office.FormError) as exc:
        session.rollback()
        found = exc.errors if isinstance(exc, office.FormError) else {exc.field or "nama": str(exc)}
        errors = {"jam": found}
        return _calendar_page(org, _year(org), typed={"jam": typed}, errors=errors, status=400)
    session.commit()
    flash(_("Periode jam khusus %(name)s disimpan.", name=row.name), "info")
    return redirect(url_for("admin.calendar", tahun=row.start_date.year, _anchor="jam"), code=303)


@bp.route("/kalender/jam/<int:period_id>/hapus", methods=["POST"])
@permission_required("office.manage")
def calendar_hours_remove(period_id: int) -> ResponseReturnValue:
    """Remove a special-hours period."""
    session = get_session()
    org = office.get_office(session)
    try:
        office_calendar.remove_hours_period(session, org, period_id, actor=_actor())
    except NotFoundError as exc:
        raise NotFoundError(_("Periode jam khusus itu tidak ditemukan.")) from exc
    session.commit()
    flash(_("Periode jam khusus dihapus."), "info")
    return redirect(url_for("admin.calendar", tahun=_year(org), _anchor="jam"), code=303)


def _year(org: models.Office) -> int:
    """``tahun`` of the query or form (1990-2100), else the office's current year."""
    text = request.values.get("tahun", "").strip()
    if text.isdecimal() and 1990 <= int(text) <= 2100:
        return int(text)
    return office_today(org).year


def _calendar_page(
    org: models.Office,
    year: int,
    *,
    typed: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "admin/calendar.html",
        office=org,
        year=year,
        entries=office_calendar.year_calendar(org, year),
        notes={d.day: d.label for d in org.calendar_days},
        periods=org.hours_periods,
        weekdays=office.working_weekdays(org),
        KIND_LABELS=office_calendar.KIND_LABELS,
        typed=typed or {},
        errors=errors or {},
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
