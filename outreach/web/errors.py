"""Error pages in Indonesian; domain errors map to 400/404/503."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from outreach.errors import NotFoundError, RegionError

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: "Permintaan tidak dapat diproses. Periksa kembali isian Anda.",
    403: "Anda tidak berhak membuka halaman ini.",
    404: "Halaman tidak ditemukan.",
    405: "Cara membuka halaman ini tidak diizinkan.",
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
