"""Error pages in Indonesian; domain errors map to 400/404/503."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from outreach.db import get_session
from outreach.errors import NotFoundError, RegionError
from outreach.intake.fields import MAX_ID
from outreach.intake.services import (
    make_submission_key,
    read_submission_key,
    request_by_submission_key,
)

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: "Permintaan tidak dapat diproses. Periksa kembali isian Anda.",
    403: "Anda tidak berhak membuka halaman ini.",
    404: "Halaman tidak ditemukan.",
    405: "Cara membuka halaman ini tidak diizinkan.",
    409: "Data ini baru saja diubah dari tempat lain. Muat ulang halaman lalu coba lagi.",
    413: "Berkas terlalu besar.",
    429: "Terlalu banyak permintaan. Silakan coba lagi beberapa saat lagi.",
    500: "Terjadi kesalahan pada server. Data yang sudah tersimpan tidak hilang.",
    503: "Layanan belum siap: data wilayah belum dimuat.",
}


def _page(code: int, detail: str = "") -> ResponseReturnValue:
    return render_template(
        "errors/error.html", code=code, message=MESSAGES.get(code, MESSAGES[500]), detail=detail
    ), code


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    return _page(exc.code or 500)


@bp.app_errorhandler(NotFoundError)
def _not_found(exc: NotFoundError) -> ResponseReturnValue:
    return _page(404, str(exc))


@bp.app_errorhandler(RegionError)
def _region_missing(exc: RegionError) -> ResponseReturnValue:
    return _page(503, str(exc))


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(ProgrammingError)
def _database_unavailable(exc: Exception) -> ResponseReturnValue:
    # A missing schema or an unreachable server: say what to do instead of a bare 500.
    current_app.logger.error("database error: %s", type(exc).__name__, exc_info=exc)
    return _page(
        503,
        "Basis data belum disiapkan atau tidak dapat dihubungi. Petugas TI: jalankan "
        "`flask --app wsgi outreach init-db` dan periksa OUTREACH_DATABASE_URL.",
    )


# --- bad input at the edge (issue 9, section 4) ------------------------------------------------

# The hidden field of every form that creates something: its one-time key.
SUBMISSION_FIELD = "kunci"


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded to what the database holds.

    The stock converter matches any number of digits, so ``/permohonan/99999999999999999999``
    reached the database and failed there (a 500); beyond ``MAX_ID`` the URL does not match (404).
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app: Flask) -> None:
    """Register the bounded ``int`` converter; call before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedIntConverter


def _without_nul(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict(
        [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in values.items(multi=True)]
    )


@bp.before_app_request
def _drop_nul_bytes() -> None:
    """Remove NUL bytes from every query and form value: PostgreSQL refuses them in text."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        request.args = _without_nul(request.args)
    if request.method == "POST" and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        form = request.form
        if any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            request.form = _without_nul(form)


@bp.app_context_processor
def _submission_key() -> dict[str, str]:
    """``submission_key`` for a form's hidden field ``kunci``.

    A form shown again after a failed POST keeps the key it was sent with (nothing was saved
    under it); a fresh page gets a fresh key.
    """
    if not has_request_context():  # a template rendered by a background job
        return {}
    try:
        sent = read_submission_key(request.form.get(SUBMISSION_FIELD))
    except HTTPException:  # the body itself was refused (413): the error page needs no key
        sent = None
    return {"submission_key": sent or make_submission_key()}


# Where a request created by each form is shown once it exists.
_CREATED_PAGE = {
    "public.form": lambda r: url_for("public.received", code=r.tracking_code),
    "coordinator.new_request": lambda r: url_for("coordinator.detail", request_id=r.id),
    "coordinator.whatsapp": lambda r: url_for("coordinator.detail", request_id=r.id),
    "coordinator.letters.new": lambda r: url_for(
        "coordinator.letters.detail", letter_id=r.letter_id
    ),
}


@bp.app_errorhandler(IntegrityError)
def _conflict(exc: IntegrityError) -> ResponseReturnValue:
    """A unique constraint lost a race: the same form sent twice, or two edits at once.

    When the POST carried a one-time key (``kunci``) and the other submission with that key
    is saved, answer with what it created (the receipt, the request, the letter).
    """
    session = get_session()
    session.rollback()
    key = read_submission_key(request.form.get(SUBMISSION_FIELD))
    first = request_by_submission_key(session, key)
    page = _CREATED_PAGE.get(request.endpoint or "")
    if first is not None and page is not None:
        return redirect(page(first), code=303)
    current_app.logger.warning("integrity conflict on %s: %s", request.endpoint, type(exc).__name__)
    return _page(409)


@bp.app_errorhandler(DataError)
@bp.app_errorhandler(OverflowError)
def _out_of_range(_exc: Exception) -> ResponseReturnValue:
    """A number or text the database cannot hold reached it: the input was wrong (400)."""
    get_session().rollback()
    return _page(400, "Isian di luar jangkauan (angka terlalu besar atau teks terlalu panjang).")
