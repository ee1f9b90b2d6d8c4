"""Coordinator pages for plans: make, read, approve, insert; then follow and close the day.

After approval the plan page follows the day's progress, sends visit confirmations and leads
to the paper entry of a route's outcomes. The planning engine
(:mod:`outreach.planning.service`) does the work; these views parse the form, call it once,
commit and render. Residents' names are shown (staff only); NIK is never shown here, and a
phone number appears only inside an outbound ``wa.me`` confirmation link.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict

from outreach import jobs, models
from outreach.coverage import sweep_lines
from outreach.db import get_session
from outreach.domain import TravelModel
from outreach.errors import (
    NotFoundError,
    OutreachError,
    PlanningError,
    PlanViolationsError,
    RegionError,
)
from outreach.office import get_office
from outreach.planning.calendar import working_days
from outreach.planning.edits import (
    EditRefused,
    edit_lines,
    editable_teams,
    move_stop,
    pin_request,
    remove_stop,
)
from outreach.planning.reasons import format_date, title
from outreach.planning.records import DEFAULT_WORKING_WEEKDAYS, office_days
from outreach.planning.service import (
    UrgentResult,
    approve_plan,
    discard_plan,
    insert_urgent,
)
from outreach.planning.urgent import AlreadyScheduledError
from outreach.render import maps
from outreach.render.confirmations import mark_confirmation_sent, plan_confirmations
from outreach.render.mapdata import RequestPoint
from outreach.render.paper_entry import paper_entry, record_paper_outcomes
from outreach.render.progress import done_text, progress_payload, today_routes
from outreach.render.route_rows import hhmm, km, minutes, no_signal_areas, plan_dates, plan_days
from outreach.render.style import CATEGORY_LABELS, team_color
from outreach.visits import OUTCOME_LABELS
from outreach.web import mapping_data
from outreach.web.permissions import may_open, permission_required

bp = Blueprint("plans", __name__, url_prefix="/rencana")
NO_STORE = {"Cache-Control": "private, no-store"}
MAX_DAYS = 10
#: How far ahead a plan may start (a year: the calendar and the backlog stop meaning much).
MAX_AHEAD_DAYS = 366
PLAN_STATUS_LABELS = {"draft": "Draf", "approved": "Disetujui", "superseded": "Diganti"}
#: Jobs whose result is a file: where the job page sends the user when it is done.
DOWNLOADS = {"day_pdf": "sheets.job_pdf", "export": "exports.job_download"}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "PLAN_STATUS_LABELS": PLAN_STATUS_LABELS,
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "format_date": format_date,
        "hhmm": hhmm,
        "minutes": minutes,
        "km": km,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "done_text": done_text,
        # Print views come from the sheets blueprint; link to them once they exist.
        "has_endpoint": lambda name: name in current_app.view_functions,
    }


# --- views -----------------------------------------------------------------------------------


@bp.route("/")
@permission_required("plans.view")
def index() -> ResponseReturnValue:
    """The plans, newest first, and (for those who plan) the form that makes a new draft."""
    session = get_session()
    office = _office(session)
    return _render_index(session, office, _default_form(office))


@bp.route("/", methods=["POST"])
@permission_required("plans.manage")
def create() -> ResponseReturnValue:
    """Make a new draft from the form, in the background (its job page follows)."""
    session = get_session()
    office = _office(session)
    form, errors = parse_plan_form(
        request.form,
        today=_today(office) if office else None,
        team_ids={t.id for t in office.teams if t.active} if office else None,
    )
    if office is None:
        errors["form"] = _("Kantor belum diatur; jalankan penyiapan kantor terlebih dahulu.")
    if errors:
        return _render_index(session, office, form, errors, status=400)
    assert office is not None  # errors["form"] is set otherwise
    job_id = _submit_plan(office, form.params())
    return redirect(url_for("plans.job", job_id=job_id), code=303)


@bp.route("/tugas/<job_id>")
@permission_required("plans.manage")
def job(job_id: str) -> ResponseReturnValue:
    """A plan being made: progress (polled), then the new plan; or the error and a retry."""
    session = get_session()
    data = jobs.job_payload(_get_job(session, job_id))
    session.commit()  # a job found dead is stored as failed
    plan_id = data["result"].get("plan_id")
    if data["status"] == "done" and data["result"].get("file") and data["kind"] in DOWNLOADS:
        return redirect(url_for(DOWNLOADS[data["kind"]], job_id=job_id), code=303)
    if data["status"] == "done" and plan_id and session.get(models.Plan, plan_id):
        flash(_("Draf rencana #%(id)s dibuat.", id=plan_id), "info")
        return redirect(url_for("plans.detail", plan_id=plan_id), code=303)
    page = render_template(
        "plans/job.html",
        job=data,
        poll_url=url_for("plans.job_status", job_id=job_id),
        gone=data["status"] == "done",  # done, but its draft was discarded since
        **_job_texts(data["kind"]),
    )
    return page, 200, NO_STORE


@bp.route("/tugas/<job_id>.json")
@permission_required("plans.manage")
def job_status(job_id: str) -> ResponseReturnValue:
    """The job's status and progress, polled by the job page every second."""
    session = get_session()
    data = jobs.job_payload(_get_job(session, job_id))
    session.commit()
    return jsonify(data), 200, NO_STORE


@bp.route("/tugas/<job_id>/ulang", methods=["POST"])
@permission_required("plans.manage")
def job_retry(job_id: str) -> ResponseReturnValue:
    """Run a failed plan job again with the same inputs (a past start date is refused)."""
    session = get_session()
    failed = _get_job(session, job_id)
    office = session.get(models.Office, failed.office_id)
    session.commit()
    if failed.status != models.JobStatus.FAILED.value or not office:
        flash(_("Hanya tugas yang gagal dapat dicoba lagi."), "error")
        return redirect(url_for("plans.job", job_id=job_id), code=303)
    if failed.kind in DOWNLOADS:
        again = _resubmit(failed)
        return redirect(url_for("plans.job", job_id=again), code=303)
    if failed.kind == "replan":
        plan_id = int(failed.params.get("plan_id", 0))
        return redirect(
            url_for(
                "plans.job",
                job_id=_submit_replan(
                    office, _get(session, plan_id).id, _actor(), retry_of=failed.id
                ),
            ),
            code=303,
        )
    form, errors = parse_plan_form(
        _params_form(failed.params),
        today=_today(office),
        team_ids={t.id for t in office.teams if t.active},
    )
    if errors:
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("plans.index"), code=303)
    params = {**form.params(), "retry_of": failed.id}  # a plan it already made is reused
    return redirect(url_for("plans.job", job_id=_submit_plan(office, params)), code=303)


@bp.route("/<int:plan_id>/buang", methods=["POST"])
@permission_required("plans.manage")
def discard(plan_id: int) -> ResponseReturnValue:
    """Discard a draft (its routes and stops with it); approved and superseded plans stay."""
    session = get_session()
    plan = _get(session, plan_id)
    try:
        discard_plan(session, plan.id, actor=f"user:{current_user.id}")
    except PlanningError:
        session.rollback()
        flash(_("Hanya draf yang dapat dibuang; rencana ini tetap disimpan."), "error")
        return redirect(url_for("plans.detail", plan_id=plan_id), code=303)
    session.commit()
    flash(_("Draf rencana #%(id)s dibuang.", id=plan_id), "info")
    return redirect(url_for("plans.index"), code=303)


@bp.route("/<int:plan_id>")
@permission_required("plans.view")
def detail(plan_id: int) -> ResponseReturnValue:
    """One plan: summary, per day and team the route table, the unassigned, the map."""
    session = get_session()
    plan = _get(session, plan_id)
    office = session.get(models.Office, plan.office_id)
    if office is None:
        abort(404)
    page = render_template(
        "plans/detail.html",
        plan=plan,
        office=office,
        days=plan_days(plan),
        unassigned=unassigned_groups(session, plan),
        fallback=_uses_fallback(plan),
        created=_local(plan.created_at, office),
        approved=_local(plan.approved_at, office) if plan.approved_at else None,
        map=_plan_map(session, office, plan),
        confirmations=plan_confirmations(plan, office_name=office.name),
        team_colors={t.id: team_color(i) for i, t in enumerate(office.teams)},
        sweeps=sweep_lines(session, plan),
        engine=engine_text(plan.solver),
    )
    return page, 200, NO_STORE


def engine_text(solver: str | None) -> str:
    """The plan's routing engines for people (``Plan.solver`` as the planner stored it).

    ``"vroom 1.15.2"`` -> ``"VROOM 1.15.2"``; the portfolio's ``"vroom 1.15.2 + pyvrp 0.14.1:
    pyvrp, vroom"`` -> ``"VROOM 1.15.2 dan PyVRP 0.14.1 (terbaik: PyVRP, VROOM)"``.
    """
    if not solver:
        return "-"
    names = {"vroom": "VROOM", "pyvrp": "PyVRP", "pyvrp+vroom": "PyVRP + VROOM"}

    def pretty(text: str) -> str:
        engine, _sep, version = text.strip().partition(" ")
        return f"{names.get(engine, engine)} {version}".strip()

    engines, _sep, winners = solver.partition(":")
    parts = [pretty(e) for e in engines.split(" + ")]
    text = " dan ".join(parts)
    if winners.strip():
        best = ", ".join(names.get(w.strip(), w.strip()) for w in winners.split(","))
        text += " " + _("(terbaik: %(names)s)", names=best)
    return text


@bp.route("/<int:plan_id>/kemajuan.json")
@permission_required("plans.view")
def progress(plan_id: int) -> ResponseReturnValue:
    """The plan's progress (per route done / planned, per stop its outcome), polled."""
    plan = _get(get_session(), plan_id)
    return jsonify(progress_payload(get_session(), plan.routes)), 200, NO_STORE


@bp.route("/hari-ini/kemajuan.json")
@permission_required("plans.view")
def today_progress() -> ResponseReturnValue:
    """Today's approved routes and their progress, for the panel beside the home map."""
    session = get_session()
    office = _office(session)
    routes = today_routes(session, office.id, _today(office)) if office else []
    return jsonify(progress_payload(session, routes)), 200, NO_STORE


@bp.route("/rute/<int:route_id>/hasil", methods=["GET", "POST"])
@permission_required("outcomes.enter")
def route_outcomes(route_id: int) -> ResponseReturnValue:
    """Type in a whole route's outcomes from the ticked paper sheet (all or nothing)."""
    session = get_session()
    route = _get_route(session, route_id)
    if request.method == "GET":
        return _render_paper(route)
    form = request.form.to_dict(flat=False)
    try:
        result = record_paper_outcomes(
            session,
            route,
            form,
            user_id=current_user.id,
            today=_today(session.get(models.Office, route.plan.office_id)),
        )
    except NotFoundError:
        session.rollback()
        flash(_("Hasil hanya dapat dicatat untuk rute dari rencana yang disetujui."), "error")
        return _render_paper(route, status=400)
    if result.errors:
        session.rollback()
        return _render_paper(route, form, result.errors, status=400)
    session.commit()
    if result.recorded:
        flash(_("%(n)s hasil kunjungan dicatat.", n=result.recorded), "info")
    else:
        flash(_("Tidak ada hasil baru: semua kunjungan rute ini sudah tercatat."), "info")
    return redirect(
        url_for("plans.detail", plan_id=route.plan_id, _anchor=f"rute-{route.id}"), code=303
    )


@bp.route("/kunjungan/<int:stop_id>/konfirmasi", methods=["POST"])
@permission_required("plans.manage")
def mark_confirmed(stop_id: int) -> ResponseReturnValue:
    """Mark a visit's WhatsApp confirmation as sent from the office phone."""
    session = get_session()
    try:
        stop = mark_confirmation_sent(session, stop_id)
    except NotFoundError:
        abort(404)
    session.commit()
    return redirect(
        url_for("plans.detail", plan_id=stop.route.plan_id, _anchor=f"kunjungan-{stop.id}"),
        code=303,
    )


@bp.route("/<int:plan_id>/setujui", methods=["POST"])
@permission_required("plans.manage")
def approve(plan_id: int) -> ResponseReturnValue:
    """Approve a draft: its requests become terjadwal."""
    session = get_session()
    plan = _get(session, plan_id)
    try:
        approve_plan(session, plan.id, actor=f"user:{current_user.id}")
    except PlanViolationsError:
        session.rollback()
        flash(
            _(
                "Rencana ini melanggar aturan perencanaan (lihat daftar pelanggaran) dan tidak "
                "dapat disetujui. Susun ulang rencana."
            ),
            "error",
        )
        return redirect(url_for("plans.detail", plan_id=plan_id), code=303)
    except PlanningError:
        session.rollback()
        flash(_("Hanya draf yang dapat disetujui."), "error")
        return redirect(url_for("plans.detail", plan_id=plan_id), code=303)
    session.commit()
    visits = sum(len(r.stops) for r in plan.routes)
    flash(_("Rencana disetujui: %(n)s permohonan terjadwal.", n=visits), "info")
    replaced = _replaced_by(session, plan)
    if replaced:
        ids = ", ".join(f"#{p.id}" for p in replaced)
        flash(_("Draf yang tumpang tindih ditandai Diganti: %(ids)s.", ids=ids), "info")
    return redirect(url_for("plans.detail", plan_id=plan_id), code=303)


@bp.route("/<int:plan_id>/sisip", methods=["GET", "POST"])
@permission_required("plans.manage")
def insert(plan_id: int) -> ResponseReturnValue:
    """Insert an urgent request (by tracking code) into one day of the plan."""
    session = get_session()
    plan = _get(session, plan_id)
    values = {
        "kode": request.form.get("kode", "").strip().upper(),
        "hari": request.form.get("hari", ""),
    }
    if request.method == "GET":
        return render_template(
            "plans/insert.html", plan=plan, dates=plan_dates(plan), values=values
        )
    displace = request.form.get("geser") == "ya"  # the coordinator accepted the offered swap
    try:
        code, result = _insert(session, plan, values["kode"], values["hari"], displace=displace)
    except OutreachError as exc:
        session.rollback()
        return render_template(
            "plans/insert.html",
            plan=plan,
            dates=plan_dates(plan),
            values=values,
            error=_error_text(exc),
        ), 400
    session.commit()
    if result.offer is not None:
        # An approved day is full: offer the least disruptive swap; nothing changed yet.
        return render_template(
            "plans/insert.html",
            plan=plan,
            dates=plan_dates(plan),
            values=values,
            offer=result.offer,
            refused=result.unassigned.message if result.unassigned else "",
            minutes=minutes,
        )
    _flash_insert(code, result)
    return redirect(url_for("plans.detail", plan_id=plan_id), code=303)


# --- form ------------------------------------------------------------------------------------


@dataclass
class PlanForm:
    """The new-plan form as typed (``raw_*``) and as read."""

    raw_start: str = ""
    raw_days: str = "1"
    start: dt.date = dt.date.min
    days: int = 1
    teams: list[int] = field(default_factory=list)
    replan: bool = False

    def params(self) -> dict[str, Any]:
        """The form as a plan job's stored inputs (JSON; run again as they are)."""
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "teams": list(self.teams),
            "replan": self.replan,
        }


def parse_plan_form(
    form: MultiDict[str, str],
    *,
    today: dt.date | None = None,
    team_ids: set[int] | None = None,
) -> tuple[PlanForm, dict[str, str]]:
    """Read the new-plan form; errors by field name, in Indonesian.

    With ``today`` (the office's), a start date before it, or more than :data:`MAX_AHEAD_DAYS`
    after it, is refused; with ``team_ids`` (the office's active teams), any other team is.
    """
    parsed = PlanForm(
        raw_start=form.get("mulai", "").strip(),
        raw_days=form.get("hari", "").strip(),
        teams=[int(t) for t in form.getlist("tim") if t.strip().isdigit()],
        replan=form.get("rencanakan_ulang") == "ya",
    )
    errors: dict[str, str] = {}
    start = _parse_date(parsed.raw_start)
    if start is None:
        errors["mulai"] = _("Isi tanggal mulai yang benar (hari/bulan/tahun).")
    elif today is not None and start < today:
        errors["mulai"] = _(
            "Tanggal mulai sudah lewat (hari ini %(today)s); pilih hari ini atau sesudahnya.",
            today=format_date(today),
        )
    elif today is not None and (start - today).days > MAX_AHEAD_DAYS:
        errors["mulai"] = _(
            "Tanggal mulai paling jauh %(n)s hari dari hari ini; pilih tanggal yang lebih dekat.",
            n=MAX_AHEAD_DAYS,
        )
    else:
        parsed.start = start
    if parsed.raw_days.isdigit() and 1 <= int(parsed.raw_days) <= MAX_DAYS:
        parsed.days = int(parsed.raw_days)
    else:
        errors["hari"] = _("Jumlah hari harus 1 sampai %(n)s.", n=MAX_DAYS)
    if not parsed.teams:
        errors["tim"] = _("Pilih paling sedikit satu tim.")
    elif team_ids is not None and not set(parsed.teams) <= team_ids:
        errors["tim"] = _("Pilih tim yang aktif di kantor ini.")
    return parsed, errors


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _params_form(params: dict[str, Any]) -> MultiDict[str, str]:
    """A plan job's stored inputs as the form they came from."""
    return MultiDict(
        [
            ("mulai", str(params.get("start", ""))),
            ("hari", str(params.get("days", ""))),
            *(("tim", str(t)) for t in params.get("teams", [])),
            ("rencanakan_ulang", "ya" if params.get("replan") else ""),
        ]
    )


def _default_form(office: models.Office | None) -> PlanForm:
    days = office_days(office) if office else DEFAULT_WORKING_WEEKDAYS
    start = working_days(_today(office) + dt.timedelta(days=1), 1, days)[0]
    teams = [t.id for t in office.teams if t.active] if office else []
    return PlanForm(raw_start=start.isoformat(), start=start, teams=teams)


def _render_index(
    session: Session,
    office: models.Office | None,
    form: PlanForm,
    errors: dict[str, str] | None = None,
    *,
    status: int = 200,
) -> ResponseReturnValue:
    plans = (
        session.scalars(
            select(models.Plan)
            .where(models.Plan.office_id == office.id)
            .options(selectinload(models.Plan.unassigned))
            .order_by(models.Plan.created_at.desc(), models.Plan.id.desc())
        ).all()
        if office
        else []
    )
    return render_template(
        "plans/index.html",
        office=office,
        plans=plans,
        teams=[t for t in office.teams if t.active] if office else [],
        form=form,
        errors=errors or {},
        max_days=MAX_DAYS,
        created={p.id: _local(p.created_at, office) for p in plans} if office else {},
    ), status


def _error_text(exc: OutreachError) -> str:
    """A domain error in Indonesian (domain messages are English, for logs and the CLI)."""
    if isinstance(exc, PlanInputError):
        return str(exc)
    if isinstance(exc, RegionError):
        return str(
            _(
                "Data wilayah kantor belum dimuat atau rusak; impor wilayah terlebih dahulu "
                "(outreach region import). Rencana belum dibuat."
            )
        )
    if isinstance(exc, AlreadyScheduledError):
        return str(
            _(
                "%(code)s sudah terjadwal pada %(day)s; permohonan ini tidak disisipkan lagi.",
                code=exc.code,
                day=format_date(exc.day),
            )
        )
    if isinstance(exc, NotFoundError):
        return str(_("Data tidak ditemukan (kantor, tim atau permohonan): %(msg)s", msg=str(exc)))
    return str(_("Permintaan tidak dapat dijalankan: %(msg)s", msg=str(exc)))


# --- helpers ---------------------------------------------------------------------------------


def _office(session: Session) -> models.Office | None:
    try:
        return get_office(session)
    except NotFoundError:
        return None


def _get(session: Session, plan_id: int) -> models.Plan:
    plan = session.get(models.Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _get_job(session: Session, job_id: str) -> models.Job:
    # Jobs are not office-scoped rows: check the office here.
    found = jobs.get_job(session, job_id, config=current_app.config)
    if found is None or found.office_id != getattr(current_user, "office_id", None):
        abort(404)
    return found


def _replaced_by(session: Session, plan: models.Plan) -> list[models.Plan]:
    """The plans ``plan`` superseded (``summary["superseded_by"]``)."""
    rows = session.scalars(
        select(models.Plan).where(models.Plan.status == models.PlanStatus.SUPERSEDED.value)
    )
    return [p for p in rows if (p.summary or {}).get("superseded_by") == plan.id]


def _submit_plan(office: models.Office, params: dict[str, Any]) -> str:
    """Make a draft plan in the background (job kind "plan", :mod:`outreach.job_kinds`)."""
    start = dt.date.fromisoformat(params["start"])
    days = int(params["days"])
    title = _("Rencana %(n)s hari kerja mulai %(day)s", n=days, day=format_date(start))
    return _submit_planning(office, kind="plan", title=title, params=params)


def _submit_replan(office: models.Office, plan_id: int, actor: str, *, retry_of: str = "") -> str:
    """Re-plan draft ``plan_id`` keeping its edits, in the background; returns the job id."""
    title = _("Menyusun ulang draf #%(id)s dengan perubahannya", id=plan_id)
    params: dict[str, Any] = {"plan_id": plan_id, "actor": actor}
    if retry_of:
        params["retry_of"] = retry_of
    return _submit_planning(office, kind="replan", title=title, params=params)


def _submit_planning(
    office: models.Office, *, kind: str, title: str, params: dict[str, Any]
) -> str:
    """Submit a planning job (inline, or on RQ when REDIS_URL is set); the result is the plan."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    data = {**params, "office_id": office.id}
    return jobs.enqueue(app, kind=kind, office_id=office.id, title=title, params=data)


def _job_texts(kind: str) -> dict[str, str]:
    """What the job page says while a job of ``kind`` runs, and where "back" leads."""
    if kind == "day_pdf":
        return {
            "note": _("PDF sedang dibuat. Halaman ini membukanya begitu selesai."),
            "back_url": url_for("plans.index"),
            "back_label": _("Kembali ke daftar rencana"),
        }
    if kind == "export":
        return {
            "note": _("Berkas ekspor sedang disusun. Halaman ini mengunduhnya begitu selesai."),
            "back_url": url_for("exports.index"),
            "back_label": _("Kembali ke ekspor data"),
        }
    return {
        "note": _(
            "Rencana sedang disusun. Halaman ini membuka draf rencana begitu selesai; "
            "perencanaan tetap berjalan walau halaman ini ditutup."
        ),
        "back_url": url_for("plans.index"),
        "back_label": _("Kembali ke formulir rencana"),
    }


def _resubmit(failed: models.Job) -> str:
    """Submit a failed job of a kind without a form again, with the same inputs."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    params = {**failed.params, "retry_of": failed.id}
    return jobs.enqueue(
        app, kind=failed.kind, office_id=failed.office_id, title=failed.title, params=params
    )


def planning_error_text(exc: OutreachError) -> str:
    """A planning or edit error in Indonesian, as a failed plan job shows it."""
    return _edit_error(exc)


def _get_route(session: Session, route_id: int) -> models.Route:
    # Through its plan, so the office scope applies (routes have no office of their own).
    route = session.scalar(
        select(models.Route)
        .join(models.Plan, models.Route.plan_id == models.Plan.id)
        .where(models.Route.id == route_id)
    )
    if route is None:
        abort(404)
    return route


def _render_paper(
    route: models.Route,
    form: dict[str, list[str]] | None = None,
    errors: dict[int, dict[str, str]] | None = None,
    *,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "plans/outcomes.html", entry=paper_entry(route, form, errors), route=route
    )
    return page, status, NO_STORE


def _travel(office: models.Office) -> TravelModel:
    # Imported here: outreach.geo pulls in osmnx, which only planning needs.
    from outreach.geo.network import travel_model_for

    return travel_model_for(
        office.region_slug,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )


def _today(office: models.Office | None) -> dt.date:
    return mapping_data.office_today(office) if office else dt.date.today()


def _local(at: dt.datetime, office: models.Office | None) -> dt.datetime:
    """A stored UTC timestamp on the office's clock."""
    zone = zoneinfo.ZoneInfo(office.timezone if office else "Asia/Jakarta")
    return at.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)


def _uses_fallback(plan: models.Plan) -> bool:
    matrix = (plan.inputs or {}).get("matrix", {}) or {}
    return matrix.get("method") == "fallback" or bool(matrix.get("fallback_points"))


class PlanInputError(OutreachError):
    """Bad input on a plan page; the message is already Indonesian."""


def _insert(
    session: Session, plan: models.Plan, code: str, day_text: str, *, displace: bool = False
) -> tuple[str, UrgentResult]:
    req = session.scalar(
        select(models.ServiceRequest).where(
            models.ServiceRequest.tracking_code == code,
            models.ServiceRequest.office_id == plan.office_id,
        )
    )
    if req is None:
        raise PlanInputError(_("Kode pelacakan tidak ditemukan."))
    day = _parse_date(day_text)
    if day is None or day not in plan_dates(plan):
        raise PlanInputError(_("Pilih salah satu hari rencana ini."))
    office = get_office(session)
    result = insert_urgent(
        session, _travel(office), request_id=req.id, day=day, office=office, displace=displace
    )
    return req.tracking_code, result


def _flash_insert(code: str, result: UrgentResult) -> None:
    if result.stop is not None:
        flash(
            _(
                "%(code)s disisipkan: urutan %(seq)s, perkiraan tiba %(at)s.",
                code=code,
                seq=result.stop.sequence,
                at=hhmm(result.stop.arrival_at),
            ),
            "info",
        )
        if result.displaced:
            moved = ", ".join(c for _, c in result.displaced)
            flash(
                _(
                    "Untuk memberi tempat, %(codes)s digeser ke luar hari itu; lihat daftar "
                    "belum terjadwal untuk tanggal perkiraannya.",
                    codes=moved,
                ),
                "warning",
            )
    else:
        reason = result.unassigned.message if result.unassigned else ""
        flash(_("%(code)s tidak dapat disisipkan. %(why)s", code=code, why=reason), "warning")


# --- what the detail page shows --------------------------------------------------------------


@dataclass(frozen=True)
class UnassignedItem:
    """A request left out, with the plan's explanation."""

    row: models.PlanUnassigned
    request: models.ServiceRequest | None


@dataclass(frozen=True)
class UnassignedGroup:
    """Requests left out for one reason."""

    reason: str
    title: str
    items: list[UnassignedItem]


def unassigned_groups(session: Session, plan: models.Plan) -> list[UnassignedGroup]:
    """The unassigned requests grouped by reason, largest group first."""
    ids = [u.request_id for u in plan.unassigned]
    requests = {
        r.id: r
        for r in session.scalars(
            select(models.ServiceRequest)
            .where(models.ServiceRequest.id.in_(ids))
            .options(selectinload(models.ServiceRequest.kelurahan))
        )
    }
    grouped: dict[str, list[UnassignedItem]] = {}
    for u in sorted(plan.unassigned, key=lambda u: u.request_id):
        grouped.setdefault(u.reason, []).append(UnassignedItem(u, requests.get(u.request_id)))
    return [
        UnassignedGroup(reason, _title(reason), items)
        for reason, items in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _title(reason: str) -> str:
    try:
        return title(reason)
    except ValueError:  # a code from a newer version: show it as is
        return reason


def _plan_map(session: Session, office: models.Office, plan: models.Plan) -> maps.MapParts | None:
    """The plan's routes on the staff map (same building blocks as the home map)."""
    region = mapping_data.office_region(session, office)
    if region is None or not plan.routes:
        return None
    team_order = {team.id: i for i, team in enumerate(office.teams)}
    depot = (office.depot_lon, office.depot_lat)
    lines = [mapping_data.route_line(r, team_order.get(r.team_id, 0), depot) for r in plan.routes]
    # Popups link to request pages only for those who may open them (not the head of office).
    may_see_requests = may_open(current_user, "coordinator.detail")
    points = [
        RequestPoint(
            tracking_code=s.request.tracking_code,
            category=s.request.category,
            status=s.request.status,
            lon=float(s.request.lon),
            lat=float(s.request.lat),
            kelurahan=s.request.kelurahan.name if s.request.kelurahan else "",
            rt=s.request.rt,
            rw=s.request.rw,
            persons=s.request.persons,
            person_name=s.request.person_name,
            services=tuple(str(x) for x in s.request.services),
            detail_url=(
                url_for("coordinator.detail", request_id=s.request_id) if may_see_requests else ""
            ),
        )
        for r in plan.routes
        for s in r.stops
        if s.request.lon is not None and s.request.lat is not None
    ]
    m = maps.make_staff_map(
        view=mapping_data.map_view(office, region),
        assets=mapping_data.map_assets(region),
        areas=mapping_data.area_shapes(session, office.region_slug, {}),
        requests=points,
        routes=lines,
    )
    return maps.map_parts(m)


# --- editing a draft (outreach.planning.edits) -----------------------------------------------


@bp.context_processor
def _edit_context() -> dict[str, Any]:
    return {
        "edit_lines": edit_lines,
        "editable_teams": editable_teams,
        "no_signal_areas": no_signal_areas,
    }


@bp.route("/<int:plan_id>/kunjungan/<int:stop_id>/pindah", methods=["POST"])
@permission_required("plans.manage")
def move(plan_id: int, stop_id: int) -> ResponseReturnValue:
    """Move a draft's stop to the team ``tim`` on day ``hari`` (least added travel)."""
    session = get_session()
    plan = _get(session, plan_id)
    team_id, day, ok = _edit_choice(request.form)
    office = _office(session)
    if not ok or team_id is None or day is None or office is None:
        return _edit_refused(plan.id, _("Pilih tim dan hari tujuan yang benar."), stop_id)
    try:
        stop = move_stop(
            session, _travel(office), plan.id, stop_id, team_id=team_id, day=day, actor=_actor()
        )
    except NotFoundError:
        abort(404)
    except OutreachError as exc:
        return _edit_refused(plan.id, _edit_error(exc), stop_id)
    session.commit()
    flash(
        _(
            "%(code)s dipindah ke %(team)s, %(day)s: urutan %(seq)s, perkiraan tiba %(at)s.",
            code=stop.request.tracking_code,
            team=stop.route.team.name,
            day=format_date(stop.route.route_date),
            seq=stop.sequence,
            at=hhmm(stop.arrival_at),
        ),
        "info",
    )
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor=f"rute-{stop.route_id}"), 303)


@bp.route("/<int:plan_id>/kunjungan/<int:stop_id>/keluarkan", methods=["POST"])
@permission_required("plans.manage")
def remove(plan_id: int, stop_id: int) -> ResponseReturnValue:
    """Take a draft's stop out, back to the backlog (listed among the unassigned)."""
    session = get_session()
    plan = _get(session, plan_id)
    office = _office(session)
    if office is None:
        abort(404)
    try:
        row = remove_stop(session, _travel(office), plan.id, stop_id, actor=_actor())
    except NotFoundError:
        abort(404)
    except OutreachError as exc:
        return _edit_refused(plan.id, _edit_error(exc), stop_id)
    session.commit()
    req = session.get(models.ServiceRequest, row.request_id)
    code = req.tracking_code if req else f"#{row.request_id}"
    flash(_("%(code)s dikeluarkan dari rencana.", code=code), "info")
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor="belum-terjadwal"), 303)


@bp.route("/<int:plan_id>/permohonan/<int:request_id>/patok", methods=["POST"])
@permission_required("plans.manage")
def pin(plan_id: int, request_id: int) -> ResponseReturnValue:
    """Pin a request of a draft to the team ``tim`` and/or day ``hari`` (both empty: unpin)."""
    session = get_session()
    plan = _get(session, plan_id)
    team_id, day, ok = _edit_choice(request.form)
    if not ok:
        return _edit_refused(plan.id, _("Pilih tim dan hari yang benar."))
    try:
        req = pin_request(session, plan.id, request_id, team_id=team_id, day=day, actor=_actor())
    except NotFoundError:
        abort(404)
    except OutreachError as exc:
        return _edit_refused(plan.id, _edit_error(exc))
    session.commit()
    if team_id is None and day is None:
        flash(_("Patok %(code)s dilepas.", code=req.tracking_code), "info")
    else:
        flash(
            _(
                "%(code)s dipatok; berlaku saat rencana disusun ulang.",
                code=req.tracking_code,
            ),
            "info",
        )
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor="perubahan"), 303)


@bp.route("/<int:plan_id>/rencanakan-ulang", methods=["POST"])
@permission_required("plans.manage")
def replan(plan_id: int) -> ResponseReturnValue:
    """Plan a draft again keeping its edits; the new draft replaces it."""
    session = get_session()
    plan = _get(session, plan_id)
    office = _office(session)
    if office is None:
        abort(404)
    if plan.status != models.PlanStatus.DRAFT.value:
        return _edit_refused(plan.id, _("Hanya draf yang dapat diubah."))
    job_id = _submit_replan(office, plan.id, _actor())
    return redirect(url_for("plans.job", job_id=job_id), code=303)


def _edit_choice(form: MultiDict[str, str]) -> tuple[int | None, dt.date | None, bool]:
    """The form's ``tim`` and ``hari`` (empty: ``None``), and whether both could be read."""
    raw_team, raw_day = form.get("tim", "").strip(), form.get("hari", "").strip()
    team_id = int(raw_team) if raw_team.isdigit() else None
    day = _parse_date(raw_day) if raw_day else None
    return team_id, day, (not raw_team or team_id is not None) and (not raw_day or day is not None)


def _actor() -> str:
    return f"user:{current_user.id}"


def _edit_error(exc: OutreachError) -> str:
    return str(exc) if isinstance(exc, EditRefused) else _error_text(exc)


def _edit_refused(plan_id: int, text: str, stop_id: int | None = None) -> ResponseReturnValue:
    """Nothing changed: say why, back on the plan page (at the stop)."""
    get_session().rollback()
    flash(_("Perubahan tidak disimpan: %(why)s", why=text), "error")
    anchor = f"kunjungan-{stop_id}" if stop_id is not None else "perubahan"
    return redirect(url_for("plans.detail", plan_id=plan_id, _anchor=anchor), 303)
