"""The kinds of background job, described by data: a name and JSON params.

Workers on several machines share the RQ queue, so a job cannot be a Python closure: it is a
``kind`` (a key of :data:`KINDS`) and ``params`` (stored on the ``job`` row). The inline runner
and the RQ worker both call :func:`run`, inside an app context: the settings a kind needs
(region folders, graph cache, planning seed) are read from the app running it (the worker's
own ``create_app``), never from the process that submitted the job.

Each kind is ``fn(session, progress, params) -> result``: ``session`` is the job's own (the
runner commits it when ``fn`` returns), ``progress`` a :class:`outreach.jobs.Progress`, the
result a small JSON-able dict. Params carry no personal data.

Plan jobs are idempotent across retries: the job row records ``{"plan_id": ...}`` in the same
transaction as the plan, and a retry (``params["retry_of"]`` = the failed job's id) of a job
that already made its plan returns that plan instead of making a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from outreach import jobs, models
from outreach.db import scope_to_office
from outreach.errors import OutreachError

__all__ = ["KINDS", "JobKind", "get_kind", "run"]

KindFunction = Callable[[Session, jobs.Progress, dict[str, Any]], dict[str, Any]]
#: How many earlier attempts a retry looks back through for the plan they made.
MAX_RETRY_CHAIN = 50


@dataclass(frozen=True)
class JobKind:
    """A registered job kind: its name, the Indonesian label of its errors, its function."""

    name: str
    label: str
    fn: KindFunction


def get_kind(kind: str) -> JobKind:
    """The registered kind ``kind``; ``KeyError`` for an unknown one."""
    return KINDS[kind]


def run(
    kind: str, session: Session, progress: jobs.Progress, params: dict[str, Any]
) -> dict[str, Any]:
    """Run a job of ``kind`` with ``params`` in ``session`` (inside an app context)."""
    return get_kind(kind).fn(session, progress, params)


# --- planning ----------------------------------------------------------------------------------


def plan_job(session: Session, progress: jobs.Progress, params: dict[str, Any]) -> dict[str, Any]:
    """Make a draft plan for ``params["office_id"]``.

    Params: ``start`` (ISO date), ``days``, ``teams`` (ids or names; empty: all active),
    ``replan`` (plan approved routes again), optional ``seed`` (default: the worker's
    ``PLANNING_SEED``), ``approve`` (approve it at once, as ``actor``), ``retry_of``.
    """
    from outreach.planning.service import approve_plan, create_plan
    from outreach.planning.stability import draft_over

    office_id = int(params["office_id"])
    start = dt.date.fromisoformat(str(params["start"]))
    days = int(params.get("days", 1))
    teams = [int(t) if str(t).isdigit() else str(t) for t in params.get("teams") or []]
    seed = params.get("seed")

    def make(session: Session, travel: Any) -> models.Plan:
        # A draft over the same days is the starting point: its visits stay where they fit.
        previous = draft_over(session, office_id, start_date=start, days=days)
        plan = create_plan(
            session,
            travel,
            start_date=start,
            days=days,
            teams=teams or None,
            seed=int(current_app.config["PLANNING_SEED"] if seed is None else seed),
            keep_approved=not params.get("replan"),
            office=session.get(models.Office, office_id),
            progress=progress,
            previous=previous,
        )
        if params.get("approve"):
            approve_plan(session, plan.id, actor=str(params.get("actor") or "cli"))
        return plan

    return _planning(session, progress, params, make)


def replan_job(session: Session, progress: jobs.Progress, params: dict[str, Any]) -> dict[str, Any]:
    """Plan draft ``params["plan_id"]`` again keeping its edits (as ``params["actor"]``)."""
    from outreach.planning.edits import replan_draft

    plan_id = int(params["plan_id"])
    actor = str(params.get("actor") or "system")

    def make(session: Session, travel: Any) -> models.Plan:
        return replan_draft(session, travel, plan_id, progress=progress, actor=actor)

    return _planning(session, progress, params, make)


def _planning(
    session: Session,
    progress: jobs.Progress,
    params: dict[str, Any],
    make: Callable[[Session, Any], models.Plan],
) -> dict[str, Any]:
    """Run ``make`` with the office's travel model; the result (and the job row) get the plan.

    A retry of a job that already made its plan returns that plan.
    """
    # Imported here: outreach.geo pulls in osmnx, which only planning needs.
    from outreach.geo.network import travel_model_for
    from outreach.web.plans import planning_error_text

    office_id = int(params["office_id"])
    scope_to_office(session, office_id)
    made = earlier_plan(session, params.get("retry_of"))
    if made is not None:
        _remember(session, progress.job_id, made)
        return {"plan_id": made, "reused": True}
    office = session.get(models.Office, office_id)
    if office is None:
        raise jobs.JobError(_("Perencanaan gagal: kantor tidak ditemukan."))
    config = current_app.config
    try:
        travel = travel_model_for(
            office.region_slug, search_dirs=config["REGIONS_DIRS"], cache_dir=config["CACHE_DIR"]
        )
        plan = make(session, travel)
    except OutreachError as exc:
        text = planning_error_text(exc)
        raise jobs.JobError(_("Perencanaan gagal: %(msg)s", msg=text)) from exc
    _remember(session, progress.job_id, plan.id)
    return {"plan_id": plan.id}


def earlier_plan(session: Session, job_id: object) -> int | None:
    """The plan an earlier attempt (job ``job_id``, then what it retried) already made."""
    seen: set[str] = set()
    while isinstance(job_id, str) and job_id and job_id not in seen and len(seen) < MAX_RETRY_CHAIN:
        seen.add(job_id)
        row = session.get(models.Job, job_id)
        if row is None:
            return None
        plan_id = (row.result or {}).get("plan_id")
        if isinstance(plan_id, int) and session.get(models.Plan, plan_id) is not None:
            return plan_id
        job_id = (row.params or {}).get("retry_of")
    return None


def _remember(session: Session, job_id: str, plan_id: int) -> None:
    """Write the plan id on the job row in the plan's own transaction (both or neither)."""
    row = session.get(models.Job, job_id)
    if row is not None:
        row.result = {**(row.result or {}), "plan_id": plan_id}
        session.flush()


# --- printing ----------------------------------------------------------------------------------


def day_pdf_job(
    session: Session, progress: jobs.Progress, params: dict[str, Any]
) -> dict[str, Any]:
    """Every team's route sheet of ``params["day"]`` in one PDF ("Cetak semua"), as a file.

    Params: ``office_id``, ``day`` (ISO), optional ``plan_id`` (a draft's routes), ``team_id``
    (a team lead's own), ``base_url`` (where the QR codes point when ``PUBLIC_URL`` is empty).
    The PDF is written to :func:`outreach.jobs.job_file` (``DATA_DIR/jobs/<job id>.pdf``, owner
    only); the result names it and the file name the download gets.
    """
    from outreach.render.sheets import printable_routes
    from outreach.web.sheets import build_sheets, pdf_filename, sheets_pdf

    office_id = int(params["office_id"])
    day = dt.date.fromisoformat(str(params["day"]))
    plan_id, team_id = params.get("plan_id"), params.get("team_id")
    scope_to_office(session, office_id)
    office = session.get(models.Office, office_id)
    if office is None:
        raise jobs.JobError(_("Pembuatan PDF gagal: kantor tidak ditemukan."))
    progress(0, 2, _("Menyiapkan lembar rute ..."))
    base_url = str(params.get("base_url") or "") or None
    with current_app.test_request_context(base_url=base_url):  # url_for for the QR codes
        routes = printable_routes(
            session,
            day,
            office_id=office_id,
            plan_id=int(plan_id) if plan_id is not None else None,
            team_id=int(team_id) if team_id is not None else None,
        )
        sheets = build_sheets(session, office, routes)
        progress(1, 2, _("Membuat PDF %(n)s lembar rute ...", n=len(sheets)))
        pdf = sheets_pdf(sheets)
    path = jobs.job_file(current_app.config, progress.job_id, ".pdf", create=True)
    path.write_bytes(pdf)
    return {
        "file": path.name,
        "filename": pdf_filename(day, None),
        "bytes": len(pdf),
        "routes": len(routes),
    }


# --- exports -------------------------------------------------------------------------------------


def export_job(session: Session, progress: jobs.Progress, params: dict[str, Any]) -> dict[str, Any]:
    """A download of :mod:`outreach.exports` made as a file (``DATA_DIR/jobs``, owner only).

    Params: ``office_id``; ``data``, ``format``, ``rencana``, ``dari``, ``sampai``, ``status``
    as the export form has them; ``personal`` (NIK and phone numbers whole: the submitter's
    right, checked again at download); ``actor`` for the audit trail, noted in this session.
    """
    from outreach.exports import audit_export, build_export, parse_export_options

    office_id = int(params["office_id"])
    scope_to_office(session, office_id)
    options = parse_export_options(
        str(params.get("data") or ""),
        str(params.get("format") or ""),
        plan=str(params.get("rencana") or ""),
        date_from=str(params.get("dari") or ""),
        date_to=str(params.get("sampai") or ""),
        status=str(params.get("status") or ""),
    )
    personal = bool(params.get("personal"))
    progress(0, 1, _("Menyusun berkas ..."))
    export = build_export(session, office_id, options, personal=personal)
    actor = str(params.get("actor") or "system")
    audit_export(session, options, export, actor=actor, personal=personal)
    suffix = "." + export.filename.rsplit(".", 1)[-1] if "." in export.filename else ""
    path = jobs.job_file(current_app.config, progress.job_id, suffix, create=True)
    path.write_bytes(export.body)
    return {
        "file": path.name,
        "filename": export.filename,
        "media_type": export.media_type,
        "rows": export.rows,
    }


# --- regions -------------------------------------------------------------------------------------


def region_import_job(
    session: Session, progress: jobs.Progress, params: dict[str, Any]
) -> dict[str, Any]:
    """Import a region pack (``params["source"]``: slug or folder) as ``outreach region import``.

    The road graph is built into this worker's ``CACHE_DIR`` (other machines' workers build or
    share theirs); boundaries go into the database. The result is the import's one-line report.
    """
    from outreach.geo.regions import import_pack

    progress(0, 1, _("Mengimpor wilayah %(source)s ...", source=str(params["source"])))
    config = current_app.config
    report = import_pack(
        session,
        str(params["source"]),
        search_dirs=config["REGIONS_DIRS"],
        cache_dir=config["CACHE_DIR"],
    )
    return {"report": report.describe(), "slug": report.slug}


#: Every job kind, by name.
KINDS: dict[str, JobKind] = {
    "plan": JobKind("plan", "Perencanaan", plan_job),
    "replan": JobKind("replan", "Perencanaan", replan_job),
    "day_pdf": JobKind("day_pdf", "Pembuatan PDF", day_pdf_job),
    "export": JobKind("export", "Ekspor", export_job),
    "region_import": JobKind("region_import", "Impor wilayah", region_import_job),
}
