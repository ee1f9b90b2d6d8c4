"""Coordinator pages: triage queue, requests, pasted WhatsApp messages.

The request detail page edits, verifies, rejects and merges, shows the visit history and
clears the "perlu dihubungi" flag once the coordinator has called; new requests taken by phone
or from a WhatsApp message are confirmed here too. Letters live in :mod:`outreach.web.letters`.

Only signed-in coordinators (and admins) get here; they see NIK and phone numbers whole.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from outreach import models
from outreach.appointments import status_line as appointment_line
from outreach.db import get_scoped, get_session
from outreach.errors import IntakeError, NotFoundError
from outreach.intake.areas import load_area_options
from outreach.intake.dedupe import find_duplicates, merge_requests
from outreach.intake.fields import FormError, read_id
from outreach.intake.locate import point_or_none
from outreach.intake.message import attach_message, message_to_draft
from outreach.intake.queue import (
    ALL,
    OPEN,
    SORT_NEWEST,
    SORT_OLDEST,
    SORT_PRIORITY,
    BulkVerifyResult,
    QueueFilters,
    list_queue,
    parse_ids,
    verify_selected,
)
from outreach.intake.services import (
    create_request,
    read_submission_key,
    reject_request,
    update_request,
    verify_request,
)
from outreach.intake.text import clean_text
from outreach.intake.validate import RequestDraft, validate_request
from outreach.models import Channel
from outreach.render.dashboard import build_dashboard
from outreach.render.report import (
    MonthReport,
    ReportError,
    build_month_report,
    parse_month,
    report_filename,
    report_xlsx,
    summary_rows,
)
from outreach.render.sheets import render_pdf
from outreach.visits import FLAG_CONTACT, MAX_ATTEMPTS, clear_contact_flag, visit_history
from outreach.web import intake_support as support
from outreach.web import letters
from outreach.web.errors import SUBMISSION_FIELD
from outreach.web.mapping_data import office_today
from outreach.web.permissions import permission_required

bp = Blueprint("coordinator", __name__, url_prefix="/koordinator")
bp.register_blueprint(letters.bp)
MAX_MESSAGE = 5000


@bp.context_processor
def _labels() -> dict[str, Any]:
    return support.template_globals()


def _actor() -> str:
    return f"user:{current_user.id}"


def _key() -> str | None:
    """The form's one-time key (hidden field ``kunci``): a double submission makes one request."""
    return read_submission_key(request.form.get(SUBMISSION_FIELD))


def _get(request_id: int) -> models.ServiceRequest:
    row = get_scoped(get_session(), models.ServiceRequest, request_id)
    if row is None:
        abort(404)
    return row


@bp.route("/")
@permission_required("reports.view")
def index() -> ResponseReturnValue:
    """The dashboard: counts, backlog age, what needs attention, today's routes, the tools."""
    session = get_session()
    office = support.office_or_503(session)
    board = build_dashboard(session, office, today=office_today(office))
    return render_template("coordinator/index.html", board=board, office=office)


@bp.route("/antrean", methods=["GET", "POST"])
@permission_required("requests.manage")
def queue() -> ResponseReturnValue:
    """The triage queue: filters, sort, pages of 50, and bulk verify of the ticked rows.

    The filter form is posted (a search may be a NIK or a phone number, which must not reach
    a URL); links to a filtered queue may still use the query string for the other filters
    and the page number (``halaman``). A search typed into a URL is ignored.
    """
    values = request.form if request.method == "POST" else request.args
    search = request.form.get("q", "") if request.method == "POST" else ""
    return _render_queue(values, search)


@bp.route("/antrean/verifikasi", methods=["POST"])
@permission_required("requests.manage")
def bulk_verify() -> ResponseReturnValue:
    """Verify the ticked requests that have a confirmed location and no flags.

    The others stay as they were and are listed back with the reason. The queue is shown
    again with the same filters (carried in the form, so a search stays out of the URL).
    """
    session = get_session()
    office = support.office_or_503(session)
    try:
        ids = parse_ids(request.form.getlist("pilih"))
    except IntakeError as exc:
        return _render_queue(request.form, request.form.get("q", ""), error=str(exc), code=400)
    result = verify_selected(session, office.id, ids, actor=_actor())
    session.commit()
    return _render_queue(request.form, request.form.get("q", ""), bulk=result)


def _render_queue(
    values: Any,
    search: str,
    *,
    bulk: BulkVerifyResult | None = None,
    error: str = "",
    code: int = 200,
) -> ResponseReturnValue:
    """One page of the queue for raw filter ``values`` (form or query string)."""
    session = get_session()
    office = support.office_or_503(session)
    areas = load_area_options(session, office.region_slug)
    filters = QueueFilters.clean(values, flags=support.FLAG_LABELS, areas=areas, search=search)
    page = list_queue(
        session,
        office.id,
        filters,
        today=office_today(office),
        tz=ZoneInfo(office.timezone),
        page=values.get("halaman", 1, type=int) or 1,
    )
    return render_template(
        "coordinator/queue.html",
        page=page,
        filters=filters,
        areas=areas,
        sorts={
            SORT_PRIORITY: _("Prioritas"),
            SORT_OLDEST: _("Terlama dulu"),
            SORT_NEWEST: _("Terbaru dulu"),
        },
        bulk=bulk,
        error=error,
        all_value=ALL,
        open_value=OPEN,
    ), code


def _render_request(
    req: models.ServiceRequest | None,
    draft: RequestDraft,
    errors: dict[str, str],
    *,
    status: int = 200,
    channel: str = Channel.WALK_IN.value,
    unread: list[str] | None = None,
    **extra: Any,
) -> ResponseReturnValue:
    session = get_session()
    office = support.office_or_503(session)
    point = None
    if draft.lon and draft.lat and "location" not in errors:
        point = point_or_none(draft.lon, draft.lat)
    if point is None and req is not None and req.lon is not None and req.lat is not None:
        point = (req.lon, req.lat)
    fallback = point if req is not None and req.needs_location_check else None
    return render_template(
        "coordinator/request.html",
        req=req,
        draft=draft,
        errors=errors,
        staff=True,
        channel=channel,
        unread=unread or [],
        **extra,
        duplicates=find_duplicates(session, req) if req is not None else [],
        choices=support.form_choices(session, office, staff=True),
        map_config=support.map_config(session, office, point=point, fallback=fallback),
        fallback_point=fallback,
        history=visit_history(session, req.id) if req is not None else [],
        # The queue number of an office session, when the request is served at the office.
        office_appointment=appointment_line(session, req) if req is not None else "",
        max_attempts=MAX_ATTEMPTS,
        flag_contact=FLAG_CONTACT,
        # Where a visit outcome came from (VisitOutcome.source).
        source_labels={"lapangan": _("Lapangan (HP)"), "kertas": _("Lembar kertas")},
    ), status


@bp.route("/permohonan/baru", methods=["GET", "POST"])
@permission_required("requests.manage")
def new_request() -> ResponseReturnValue:
    """A request taken by phone or from a WhatsApp message, confirmed by the coordinator."""
    channel = request.values.get("channel", Channel.WALK_IN.value)
    if channel not in {Channel.WALK_IN.value, Channel.WHATSAPP.value}:
        channel = Channel.WALK_IN.value
    if request.method == "GET":
        return _render_request(None, RequestDraft(), {}, channel=channel)
    session = get_session()
    office = support.office_or_503(session)
    draft = support.draft_from_form(request.form)
    try:
        data = validate_request(draft, support.intake_context(session, office), staff=True)
    except FormError as exc:
        return _render_request(None, draft, exc.errors, status=400, channel=channel)
    req, created = create_request(
        session, data, office=office, channel=channel, actor=_actor(), submission_key=_key()
    )
    session.commit()
    if created:
        flash(_("Permohonan %(code)s dibuat.", code=req.tracking_code), "info")
    else:
        flash(_("Permohonan yang sama sudah ada: %(code)s.", code=req.tracking_code), "warning")
    return redirect(url_for("coordinator.detail", request_id=req.id), code=303)


@bp.route("/permohonan/<int:request_id>", methods=["GET", "POST"])
@permission_required("requests.manage")
def detail(request_id: int) -> ResponseReturnValue:
    """One request: its facts, possible duplicates, actions, and the edit form with a map."""
    req = _get(request_id)
    if request.method == "GET":
        return _render_request(req, support.draft_from_request(req), {})
    session = get_session()
    office = support.office_or_503(session)
    draft = support.draft_from_form(request.form)
    draft.consent = req.consent
    try:
        data = validate_request(draft, support.intake_context(session, office), staff=True)
        update_request(session, req, data, actor=_actor())
    except FormError as exc:
        return _render_request(req, draft, exc.errors, status=400)
    except IntakeError as exc:
        return _render_request(req, draft, {"status": str(exc)}, status=400)
    session.commit()
    flash(_("Perubahan disimpan."), "info")
    return redirect(url_for("coordinator.detail", request_id=req.id), code=303)


def _act(req: models.ServiceRequest, action: Any, done: str, **kwargs: Any) -> ResponseReturnValue:
    """Run one triage action; an IntakeError becomes a flashed message, not lost data."""
    session = get_session()
    try:
        kept = action(session, req, actor=_actor(), **kwargs)
    except IntakeError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.detail", request_id=req.id), code=303)
    session.commit()
    flash(done % {"code": kept.tracking_code}, "info")
    return redirect(url_for("coordinator.detail", request_id=kept.id), code=303)


@bp.route("/permohonan/<int:request_id>/verifikasi", methods=["POST"])
@permission_required("requests.manage")
def verify(request_id: int) -> ResponseReturnValue:
    """Mark a request verified (ready for planning)."""
    accept = request.form.get("terima_titik_kelurahan") == "ya"
    return _act(
        _get(request_id),
        verify_request,
        _("%(code)s terverifikasi."),
        accept_kelurahan_point=accept,
    )


@bp.route("/permohonan/<int:request_id>/tolak", methods=["POST"])
@permission_required("requests.manage")
def reject(request_id: int) -> ResponseReturnValue:
    """Reject a request with a reason (shown on the public status page)."""
    reason = request.form.get("alasan", "")
    return _act(_get(request_id), reject_request, _("%(code)s ditolak."), reason=reason)


@bp.route("/permohonan/<int:request_id>/gabung", methods=["POST"])
@permission_required("requests.manage")
def merge(request_id: int) -> ResponseReturnValue:
    """Merge a duplicate into this request (the older one is kept)."""
    other = _get(read_id(request.form.get("dengan")) or 0)
    req = _get(request_id)

    def _merge(session: Any, first: models.ServiceRequest, *, actor: str) -> Any:
        return merge_requests(session, first, other, actor=actor)

    return _act(req, _merge, _("Digabung ke %(code)s."))


@bp.route("/permohonan/<int:request_id>/sudah-dihubungi", methods=["POST"])
@permission_required("requests.manage")
def contacted(request_id: int) -> ResponseReturnValue:
    """The coordinator called the resident after 3 failed visits: plan the request again."""
    req = _get(request_id)
    session = get_session()
    try:
        clear_contact_flag(session, req.id, actor=_actor())
    except NotFoundError:
        abort(404)
    session.commit()
    flash(_("%(code)s akan direncanakan lagi.", code=req.tracking_code), "info")
    return redirect(url_for("coordinator.detail", request_id=req.id), code=303)


@bp.route("/whatsapp", methods=["GET", "POST"])
@permission_required("requests.manage")
def whatsapp() -> ResponseReturnValue:
    """Paste a WhatsApp message; get a pre-filled request to check, then confirm and save.

    The draft page marks what was read with low confidence (``notes``) and carries the No KK
    and the original message, which are stored with the request when it is saved here.
    """
    if request.method == "POST" and request.form.get("langkah") == "simpan":
        return _save_whatsapp()
    text = clean_text(request.form.get("pesan", ""))
    if request.method == "GET" or not text.strip() or len(text) > MAX_MESSAGE:
        error = "" if request.method == "GET" else _("Tempel isi pesan (paling banyak 5000 huruf).")
        status = 200 if request.method == "GET" else 400
        return render_template("coordinator/whatsapp.html", text=text, error=error), status
    session = get_session()
    areas = support.area_options(session, support.office_or_503(session))
    parsed = message_to_draft(text, areas)
    return _render_request(
        None,
        parsed.draft,
        {},
        channel=Channel.WHATSAPP.value,
        unread=parsed.unread,
        message=support.message_view(parsed.notes, parsed.kk_number, parsed.source_text),
    )


def _save_whatsapp() -> ResponseReturnValue:
    """Save the checked draft of a pasted message with its No KK and original text."""
    session = get_session()
    office = support.office_or_503(session)
    draft = support.draft_from_form(request.form)
    kk, source = request.form.get("kk_number", ""), request.form.get("source_text", "")
    message = support.message_view({}, kk, source)
    try:
        data, kk_number = support.validate_message_request(session, office, draft, kk)
    except FormError as exc:
        return _render_request(
            None, draft, exc.errors, status=400, channel=Channel.WHATSAPP.value, message=message
        )
    req, created = create_request(
        session,
        data,
        office=office,
        channel=Channel.WHATSAPP.value,
        actor=_actor(),
        submission_key=_key(),
    )
    attach_message(req, kk_number=kk_number, source_text=source[:MAX_MESSAGE])
    session.commit()
    if created:
        flash(_("Permohonan %(code)s dibuat.", code=req.tracking_code), "info")
    else:
        flash(_("Permohonan yang sama sudah ada: %(code)s.", code=req.tracking_code), "warning")
    return redirect(url_for("coordinator.detail", request_id=req.id), code=303)


# --- monthly report (head of office) ----------------------------------------------------------


def _month_report() -> MonthReport | str:
    """The report of ``?bulan=YYYY-MM`` (default: this month), or why the month is refused."""
    session = get_session()
    office = support.office_or_503(session)
    today = office_today(office)
    try:
        month = parse_month(request.args.get("bulan", ""), today=today)
    except ReportError as exc:
        return str(exc)
    return build_month_report(session, office, month, today=today)


def _bad_month(reason: str) -> ResponseReturnValue:
    """A 400 page for a refused month (downloads)."""
    page = render_template(
        "errors/error.html",
        code=400,
        message=_("Permintaan tidak dapat diproses."),
        detail=reason,
    )
    return page, 400


@bp.route("/laporan")
@permission_required("reports.view")
def report() -> ResponseReturnValue:
    """The monthly report as a page, with links to its PDF and XLSX."""
    result = _month_report()
    error, code = None, 200
    if isinstance(result, str):
        # The page again with this month and the reason, so the month can be typed anew.
        session = get_session()
        office = support.office_or_503(session)
        today = office_today(office)
        error, code = result, 400
        result = build_month_report(session, office, today.replace(day=1), today=today)
    return (
        render_template(
            "coordinator/report.html",
            report=result,
            summary=summary_rows(result),
            error=error,
            typed=request.args.get("bulan", ""),
        ),
        code,
        {"Cache-Control": "private, no-store"},
    )


@bp.route("/laporan.pdf")
@permission_required("reports.view")
def report_pdf() -> ResponseReturnValue:
    """The monthly report as a PDF (WeasyPrint; nothing is fetched)."""
    result = _month_report()
    if isinstance(result, str):
        return _bad_month(result)
    html = render_template(
        "coordinator/report_pdf.html", report=result, summary=summary_rows(result)
    )
    return _download(render_pdf(html, request.host_url), "application/pdf", result, "pdf")


@bp.route("/laporan.xlsx")
@permission_required("reports.view")
def report_download() -> ResponseReturnValue:
    """The monthly report as an Excel workbook."""
    result = _month_report()
    if isinstance(result, str):
        return _bad_month(result)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(report_xlsx(result), mimetype, result, "xlsx")


def _download(data: bytes, mimetype: str, report: MonthReport, ext: str) -> Response:
    disposition = "inline" if ext == "pdf" else "attachment"
    filename = report_filename(report.month, ext)
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
