"""The coverage page (``/cakupan``): where are most residents still unrecorded.

Reading needs ``reports.view`` (the head of office reads it); uploading a coverage file and
making sweep visits need ``plans.manage``. The figures come from
:func:`outreach.coverage.coverage_report`, the map from
:func:`outreach.coverage.mapping.make_coverage_map`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from outreach import models
from outreach.coverage import (
    SWEEP_TURNOUT,
    CoverageError,
    CoverageFileError,
    CoverageReport,
    coverage_report,
    create_sweeps,
    import_coverage,
    open_sweep_requests,
)
from outreach.coverage.mapping import ShareArea, make_coverage_map, percent
from outreach.coverage.public_places import region_places
from outreach.coverage.sweeps import MAX_TOP, Snapper
from outreach.db import get_session
from outreach.office import get_office
from outreach.render import maps
from outreach.web import mapping_data
from outreach.web.permissions import permission_required

bp = Blueprint("coverage", __name__, url_prefix="/cakupan")
DEFAULT_TOP = 5


def _map(session: Session, office: models.Office, report: CoverageReport) -> maps.MapParts | None:
    region = mapping_data.office_region(session, office)
    if region is None:
        return None
    figures = {a.code: a for a in report.kelurahan}
    areas = [
        ShareArea(shape, figures.get(shape.code))
        for shape in mapping_data.area_shapes(session, office.region_slug, {})
    ]
    m = make_coverage_map(
        view=mapping_data.map_view(office, region),
        assets=mapping_data.map_assets(region),
        areas=areas,
    )
    return maps.map_parts(m)


def _page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = get_session()
    office = get_office(session)
    report = coverage_report(session, office)
    return (
        render_template(
            "coverage/index.html",
            report=report,
            map=_map(session, office, report) if report.as_of else None,
            sweeps=open_sweep_requests(session, office.id),
            percent=percent,
            today=mapping_data.office_today(office),
            default_top=DEFAULT_TOP,
            max_top=MAX_TOP,
            turnout=f"{round(SWEEP_TURNOUT * 100)}%",
            **extra,
        ),
        status,
    )


@bp.route("")
@permission_required("reports.view")
def index() -> ResponseReturnValue:
    """The ranked table and the map of the latest coverage import."""
    return _page()


@bp.route("/unggah", methods=["POST"])
@permission_required("plans.manage")
def upload() -> ResponseReturnValue:
    """Import an uploaded CSV/XLSX coverage file; row errors are listed on the page."""
    session = get_session()
    office = get_office(session)
    upload_file = request.files.get("berkas")
    typed = request.form.get("tanggal", "").strip()[:20]
    try:
        as_of = dt.date.fromisoformat(typed) if typed else None
    except ValueError:
        return _page(400, upload_error=_("Tanggal data tidak valid: gunakan TTTT-BB-HH."))
    if upload_file is None or not upload_file.filename:
        return _page(400, upload_error=_("Pilih berkas CSV atau XLSX."))
    try:
        result = import_coverage(
            session,
            office,
            filename=upload_file.filename,
            data=upload_file.read(),
            as_of=as_of,
            actor=f"user:{current_user.id}",
            today=mapping_data.office_today(office),
        )
    except CoverageFileError as exc:
        session.rollback()
        return _page(400, upload_error=str(exc), row_errors=exc.errors)
    session.commit()
    flash(
        _(
            "Data cakupan per %(date)s diimpor: %(n)s wilayah, %(bad)s baris dilewati.",
            date=result.as_of.strftime("%d-%m-%Y"),
            n=result.imported,
            bad=len(result.errors),
        ),
        "info",
    )
    return _page(row_errors=result.errors)


@bp.route("/penyisiran", methods=["POST"])
@permission_required("plans.manage")
def sweeps() -> ResponseReturnValue:
    """Create sweep visits for the N kelurahan with the largest gap."""
    session = get_session()
    office = get_office(session)
    try:
        top = int(request.form.get("jumlah", DEFAULT_TOP))
    except ValueError:
        top = 0
    from outreach.geo.network import travel_model_for  # osmnx: only needed here

    travel = travel_model_for(
        office.region_slug,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    try:
        results = create_sweeps(
            session,
            office,
            top=top,
            actor=f"user:{current_user.id}",
            travel=travel if isinstance(travel, Snapper) else None,
            places=region_places(
                office.region_slug, search_dirs=current_app.config["REGIONS_DIRS"]
            ),
        )
    except CoverageError as exc:
        session.rollback()
        return _page(400, sweep_error=str(exc))
    session.commit()
    made = [r.kelurahan for r in results if r.created]
    if made:
        text = _(
            "%(n)s kunjungan penyisiran dibuat (%(names)s); %(open)s wilayah sudah punya "
            "penyisiran terbuka. Rencana berikutnya menjadwalkannya.",
            n=len(made),
            names=", ".join(made),
            open=len(results) - len(made),
        )
    else:
        text = _(
            "Tidak ada penyisiran baru: %(open)s wilayah teratas sudah punya penyisiran yang "
            "belum selesai.",
            open=len(results),
        )
    flash(text, "info")
    return redirect(url_for("coverage.index"), code=303)
