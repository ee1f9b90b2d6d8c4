"""Public pages for residents: request form and status lookup (no sign-in).

With one office they live under ``/layanan/``. An installation with several offices gives each
office's pages its own path, ``/<region_slug>/layanan/...`` (e.g. ``/kota-cirebon/layanan/``):
the page's queries are scoped to that office, and links made on it keep the path. ``/layanan/``
then sends residents to ``/`` to pick their kab/kota; the status page (``/layanan/status``)
finds a request of any office, since tracking codes are unique across offices.

Every POST is rate-limited, CSRF-protected and size-limited (MAX_CONTENT_LENGTH); the form has
a honeypot field. NIK and phone numbers are never echoed back except inside the resident's own
form when it is shown again with errors.
"""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import format_date, format_datetime, lazy_gettext
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from shapely import wkt
from shapely.geometry import mapping
from sqlalchemy import select

from outreach import extensions as ext
from outreach import models
from outreach.db import get_session, office_scope, scope_to_office
from outreach.errors import IntakeError
from outreach.extensions import limiter
from outreach.intake.fields import FormError
from outreach.intake.locate import parse_point
from outreach.intake.services import create_request, read_submission_key
from outreach.intake.status import lookup_status
from outreach.intake.tracking import make_tracking_code, normalise_tracking_code
from outreach.intake.validate import RequestDraft, ValidatedRequest, validate_request
from outreach.office import office_for_region
from outreach.web import intake_support as support

bp = Blueprint("public", __name__)
#: Every public page under both paths: the installation's and its office's own.
PREFIXES = ("/layanan", "/<region>/layanan")
#: Pages that find a request by its code in every office (codes are unique across offices).
ANY_OFFICE = frozenset({"public.status", "public.received"})
# Outlines for a phone screen: 5 m of simplification is invisible and keeps the page light.
SIMPLIFY_DEG = 0.00005
_TWO_OFFICES = select(models.Office.id).order_by(models.Office.id).limit(2)


CONTACT_LIMIT_TEXT = lazy_gettext(
    "Nomor HP atau NIK ini sudah dipakai untuk beberapa permohonan hari ini. Petugas akan "
    "menghubungi Anda; cek status dengan kode yang sudah diterima."
)


def _public_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_RATE_LIMIT"])


def _post_limit() -> str:
    return str(current_app.config["PUBLIC_POST_RATE_LIMIT"])


def _status_limit() -> str:
    return str(current_app.config["STATUS_LOOKUP_RATE_LIMIT"])


def _accepted(response: Response) -> bool:
    """A submission that went through (the redirect to its receipt)."""
    return response.status_code == 303


def _failed_lookup(response: Response) -> bool:
    """A status lookup that found nothing or was malformed: a guess, always counted."""
    return response.status_code in {400, 404}


def _wait_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes <= 120:
        return str(_("Coba lagi dalam %(n)d menit.", n=minutes))
    return str(_("Coba lagi dalam %(n)d jam.", n=math.ceil(minutes / 60)))


def _contact_limit(data: ValidatedRequest) -> tuple[str, list[str], int | None]:
    """The per-phone/per-NIK limit, its counter keys, and the wait when it is used up."""
    limit = str(current_app.config["PUBLIC_CONTACT_RATE_LIMIT"])
    keys = ext.contact_keys(str(current_app.config["SECRET_KEY"]), phone=data.phone, nik=data.nik)
    return limit, keys, ext.seconds_until_allowed(limit, ext.CONTACT_SCOPE, keys)


def _too_many(message: str, seconds: int) -> ResponseReturnValue:
    """The form again with everything typed, a message saying when to retry, status 429."""
    draft = support.draft_from_form(request.form)
    response = make_response(_render_form(draft, {"kirim": message}, 429))
    response.headers["Retry-After"] = str(seconds)
    return response


def _route(rule: str, **options: Any) -> Any:
    """``bp.route`` for ``rule`` under ``/layanan`` and under ``/<region>/layanan``."""

    def decorator(view: Any) -> Any:
        for prefix in PREFIXES:
            bp.add_url_rule(prefix + rule, view_func=view, **options)
        return view

    return decorator


@bp.url_value_preprocessor
def _office_path(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """``/<region>/layanan/...``: the pages of the office serving that region (404: none)."""
    region = (values or {}).pop("region", None)
    if region is None:
        return
    session = get_session()
    scope_to_office(session, None)  # any office of the installation may be asked for
    office = office_for_region(session, str(region)[:100])
    if office is None:
        abort(404)
    g.public_region = office.region_slug
    if endpoint not in ANY_OFFICE:
        scope_to_office(session, office.id)


@bp.url_defaults
def _keep_office_path(_endpoint: str, values: dict[str, Any]) -> None:
    """Links made on an office's page stay under its path."""
    region = g.get("public_region")
    if region and "region" not in values:
        values["region"] = region


@bp.before_request
def _pick_office_first() -> ResponseReturnValue | None:
    """Several offices and no office path (nor a signed-in user's office): pick one first."""
    session = get_session()
    if g.get("public_region") or office_scope(session) is not None:
        return None
    # Two office ids at most, not every Office row: this runs before every public page.
    if request.endpoint in ANY_OFFICE or len(session.scalars(_TWO_OFFICES).all()) < 2:
        return None
    if request.endpoint == "public.form":
        return redirect(url_for("main.index"))
    abort(404)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return support.template_globals()


def _render_form(draft: RequestDraft, errors: dict[str, str], status: int) -> ResponseReturnValue:
    session = get_session()
    office = support.office_or_503(session)
    point = (
        (float(draft.lon), float(draft.lat))
        if draft.lon and draft.lat and "location" not in errors
        else None
    )
    return render_template(
        "public/form.html",
        draft=draft,
        errors=errors,
        staff=False,
        office=office,
        choices=support.form_choices(session, office),
        map_config=support.map_config(session, office, point=point),
    ), status


@_route("/", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
@limiter.limit(_public_limit, methods=["POST"], deduct_when=_accepted)
def form() -> ResponseReturnValue:
    """The request form; a valid POST saves the request and redirects to its receipt."""
    if request.method == "GET":
        return _render_form(RequestDraft(), {}, 200)
    if request.form.get("website"):
        # A bot filled the hidden field: look successful, save nothing.
        current_app.logger.info("Honeypot filled on the public form; nothing saved.")
        return _receipt(make_tracking_code(), None)
    session = get_session()
    office = support.office_or_503(session)
    draft = support.draft_from_form(request.form)
    try:
        data = validate_request(draft, support.intake_context(session, office))
    except FormError as exc:
        return _render_form(draft, exc.errors, 400)
    limit, keys, wait = _contact_limit(data)
    key = read_submission_key(request.form.get("kunci"))
    req, created = create_request(session, data, office=office, submission_key=key)
    if created and wait is not None:
        # A new request over the phone's or NIK's limit (a retry of one already saved
        # still gets its receipt below).
        session.rollback()
        return _too_many(f"{CONTACT_LIMIT_TEXT} {_wait_text(wait)}", wait)
    session.commit()
    if created:  # the same form sent twice is one request and one count
        ext.count(limit, ext.CONTACT_SCOPE, keys)
    return redirect(url_for("public.received", code=req.tracking_code), code=303)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(_exc: RateLimitExceeded) -> ResponseReturnValue:
    """Too many posts from one address: the page again, nothing lost, and when to retry."""
    wait = ext.seconds_until_reset()
    message = _("Terlalu banyak pengiriman dari jaringan ini.") + " " + _wait_text(wait)
    if request.endpoint == "public.form":
        return _too_many(message, wait)
    kode = request.form.get("kode", "")[:20]
    response = make_response(
        render_template("public/status.html", result=None, kode=kode, errors={"kode": message}),
        429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(_exc: CSRFError) -> ResponseReturnValue:
    """A stale or missing token (browser restarted, cookie gone): keep what was typed."""
    message = _(
        "Halaman terlalu lama terbuka atau cookie terhapus. Periksa isian lalu kirim ulang."
    )
    if request.endpoint == "public.form":
        return _render_form(support.draft_from_form(request.form), {"kirim": message}, 400)
    kode = request.form.get("kode", "")[:20]
    return render_template(
        "public/status.html", result=None, kode=kode, errors={"kode": message}
    ), 400


def _missed_receipt(response: Response) -> bool:
    """A receipt asked for a code that does not exist: a guess, counted like a failed lookup."""
    return response.status_code == 404


@_route("/terima/<code>")
@limiter.limit(_status_limit, deduct_when=_missed_receipt)
def received(code: str) -> ResponseReturnValue:
    """The receipt: a big tracking code to screenshot, next steps, what to prepare.

    It shows nothing personal (the code, the services and what to bring); codes that do not
    exist count against the address like failed status lookups, so codes cannot be swept.
    """
    req = get_session().scalar(
        select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == code)
    )
    if req is None:
        abort(404)
    return _receipt(req.tracking_code, req)


def _receipt(code: str, req: models.ServiceRequest | None) -> ResponseReturnValue:
    services = list(req.services) if req else []
    prepare = _prepare(services)
    spelled = "  ".join(" ".join(part) for part in code.split("-"))
    return render_template(
        "public/received.html",
        code=code,
        spelled=spelled,
        services=services,
        prepare=prepare,
        needs_location=bool(req and req.needs_location_check),
        received_at=format_datetime(req.created_at if req else models.utcnow(), "d MMMM y, HH.mm"),
    )


def _prepare(services: list[str], *, at_office: bool = False) -> list[Any]:
    # Served at an office session: what to bring there, not how to wait at home.
    seen: list[Any] = [support.PREPARE_OFFICE] if at_office else []
    for service in services:
        for item in support.PREPARE.get(service, ()):
            if at_office and str(item) in support.PREPARE_AT_HOME:
                continue
            if str(item) not in {str(s) for s in seen}:
                seen.append(item)
    return seen


@_route("/status", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
@limiter.limit(_status_limit, methods=["POST"], deduct_when=_failed_lookup)
def status() -> ResponseReturnValue:
    """Status by tracking code + last 4 phone digits; nothing personal is shown."""
    kode = request.values.get("kode", "").strip()[:20]
    if request.method == "GET":
        return render_template("public/status.html", result=None, kode=kode, errors={})
    session = get_session()
    support.office_or_503(session)
    errors: dict[str, str] = {}
    code = normalise_tracking_code(kode)
    if code is None:
        errors["kode"] = _("Kode tidak dikenali. Contoh: JB-7K3M-Q2F.")
    hp4 = request.form.get("hp4", "").strip()
    if not (len(hp4) == 4 and hp4.isdigit()):
        errors["hp4"] = _("Isi 4 angka terakhir nomor HP.")
    # Failed lookups of one code are counted wherever they come from (guessing its digits).
    per_code = str(current_app.config["STATUS_CODE_RATE_LIMIT"])
    code_keys = [ext.code_key(str(current_app.config["SECRET_KEY"]), code)] if code else []
    wait = ext.seconds_until_allowed(per_code, ext.STATUS_CODE_SCOPE, code_keys)
    if wait is not None and not errors:
        errors["kode"] = _("Terlalu banyak percobaan untuk kode ini.") + " " + _wait_text(wait)
        return render_template("public/status.html", result=None, kode=kode, errors=errors), 429
    result = None if errors else lookup_status(session, kode, hp4)
    if result is None:
        ext.count(per_code, ext.STATUS_CODE_SCOPE, code_keys)
        status_code = 400 if errors else 404
        return render_template(
            "public/status.html", result=None, kode=kode, errors=errors, not_found=not errors
        ), status_code
    return render_template(
        "public/status.html",
        result=result,
        kode=kode,
        errors={},
        prepare=_prepare(list(result.services), at_office=bool(result.office_appointment)),
        scheduled_text=format_date(result.scheduled_date, "EEEE, d MMMM y")
        if result.scheduled_date
        else "",
    )


@_route("/peta/kelurahan.geojson")
def boundaries() -> ResponseReturnValue:
    """Kelurahan outlines of the office's region: the offline base layer of the maps."""
    session = get_session()
    office = support.office_or_503(session)
    rows = session.scalars(
        select(models.Kelurahan).where(models.Kelurahan.region_slug == office.region_slug)
    )
    features = [
        {
            "type": "Feature",
            "properties": {"code": k.code, "name": k.name, "kecamatan_code": k.kecamatan.code},
            "geometry": mapping(wkt.loads(k.geometry_wkt).simplify(SIMPLIFY_DEG)),
        }
        for k in rows
    ]
    response = jsonify({"type": "FeatureCollection", "features": features})
    response.mimetype = "application/geo+json"
    response.cache_control.max_age = 3600
    response.cache_control.public = True
    return response


@_route("/peta/lokasi", methods=["POST"])
@limiter.limit("120 per minute")
def locate() -> ResponseReturnValue:
    """Which kelurahan a tapped point lies in (a hint while filling the form).

    POST, so a resident's home coordinates never end up in access logs as a query string.
    """
    try:
        point = parse_point(request.form.get("lon", ""), request.form.get("lat", ""))
    except IntakeError as exc:
        return jsonify({"error": str(exc)}), 400
    if point is None:
        return jsonify({"error": _("Titik lokasi belum diisi.")}), 400
    lon, lat = point
    session = get_session()
    office = support.office_or_503(session)
    return jsonify(support.locate_point(session, office, lon, lat))


@_route("/wilayah/<kecamatan_code>.json")
def kelurahan_options(kecamatan_code: str) -> ResponseReturnValue:
    """The kelurahan of one kecamatan, for scripts that fill the kelurahan select."""
    session = get_session()
    areas = support.area_options(session, support.office_or_503(session))
    if areas.kecamatan_by_code(kecamatan_code) is None:
        abort(404)
    return jsonify([{"code": k.code, "name": k.name} for k in areas.kelurahan_of(kecamatan_code)])
