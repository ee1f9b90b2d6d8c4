"""Write a region pack's kecamatan and kelurahan into the database (services never commit)."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import RegionError
from outreach.geo.packs import RegionPack
from outreach.geo.roads import check_roads_cover_boundary

# WKT keeps 7 decimals of a degree (about 1 cm): finer than the source polygons need.
WKT_DECIMALS = 7


def import_region(
    session: Session, pack: RegionPack, *, G: nx.MultiDiGraph | None = None
) -> models.RegionImport:
    """Insert or update the pack's kecamatan, kelurahan and its RegionImport row.

    Idempotent: rows are matched by Kemendagri code, so a second import updates them. Rows of
    this region that are no longer in the pack are deleted. Everything is checked before the
    first write, so a failing pack leaves the session as it was. Does not commit.

    Parameters
    ----------
    session
        The caller's session (the caller commits).
    pack
        A pack from :func:`outreach.geo.packs.find_pack` (already validated).
    G
        The pack's built road graph, if at hand: its node extent is checked against the
        boundary. Without it the road file's node extent is read (a quick scan).

    Returns
    -------
    models.RegionImport

    Raises
    ------
    RegionError
        The roads lie outside the boundary, a code belongs to another imported region, or a
        kecamatan/kelurahan that left the pack is still used by requests or letters.
    """
    if pack.roads_file is not None:
        check_roads_cover_boundary(pack.roads_file, boundary=pack.boundary, G=G)
    kec_codes = [str(code) for code in pack.kecamatan["kode"]]
    kel_codes = [str(code) for code in pack.kelurahan["kode"]]
    kec_rows = {
        k.code: k
        for k in session.scalars(
            select(models.Kecamatan).where(models.Kecamatan.code.in_(kec_codes))
        )
    }
    kel_rows = {
        k.code: k
        for k in session.scalars(
            select(models.Kelurahan).where(models.Kelurahan.code.in_(kel_codes))
        )
    }
    _check_not_taken(pack, [*kec_rows.values(), *kel_rows.values()])
    stale_kec, stale_kel = _stale_rows(session, pack)
    _check_unused(session, pack, stale_kec, stale_kel)

    for kode, nama, geom in zip(
        pack.kecamatan["kode"], pack.kecamatan["nama"], pack.kecamatan.geometry, strict=True
    ):
        kec = kec_rows.get(kode) or models.Kecamatan(code=kode)
        kec.name, kec.region_slug, kec.geometry_wkt = nama, pack.slug, _wkt(geom)
        kec_rows[kode] = kec
        session.add(kec)
    session.flush()  # kecamatan ids for the kelurahan
    rep_points = pack.kelurahan.geometry.representative_point()
    for row, rep in zip(pack.kelurahan.itertuples(index=False), rep_points, strict=True):
        kel = kel_rows.get(row.kode) or models.Kelurahan(code=row.kode)
        kel.name, kel.jenis, kel.region_slug = row.nama, row.jenis, pack.slug
        kel.kecamatan_id = kec_rows[row.kode_kec].id
        kel.geometry_wkt = _wkt(row.geometry)
        kel.rep_lon, kel.rep_lat = float(rep.x), float(rep.y)
        session.add(kel)
    for stale in [*stale_kel, *stale_kec]:
        session.delete(stale)
        session.flush()  # kelurahan before kecamatan (foreign key)

    record = session.scalar(
        select(models.RegionImport).where(models.RegionImport.slug == pack.slug)
    )
    if record is None:
        record = models.RegionImport(slug=pack.slug)
        session.add(record)
    record.name, record.code = pack.name, pack.code
    record.source_dir = str(pack.path)
    record.roads_file = str(pack.roads_file) if pack.roads_file else None
    record.boundary_wkt = _wkt(pack.boundary)
    record.imported_at = models.utcnow()
    session.flush()
    return record


def _wkt(geom: BaseGeometry) -> str:
    return str(shapely.to_wkt(geom, rounding_precision=WKT_DECIMALS))


def _check_not_taken(pack: RegionPack, rows: Sequence[models.Kecamatan | models.Kelurahan]) -> None:
    """A code imported from another pack (e.g. the same kota under two slugs) is refused."""
    for row in rows:
        if row.region_slug != pack.slug:
            msg = (
                f"{pack.path}: {row.code} ({row.name}) is already imported from region "
                f"'{row.region_slug}'"
            )
            raise RegionError(msg)


def _stale_rows(
    session: Session, pack: RegionPack
) -> tuple[list[models.Kecamatan], list[models.Kelurahan]]:
    kec_codes = set(pack.kecamatan["kode"])
    kel_codes = set(pack.kelurahan["kode"])
    kecs = session.scalars(
        select(models.Kecamatan).where(models.Kecamatan.region_slug == pack.slug)
    )
    kels = session.scalars(
        select(models.Kelurahan).where(models.Kelurahan.region_slug == pack.slug)
    )
    return (
        [k for k in kecs if k.code not in kec_codes],
        [k for k in kels if k.code not in kel_codes],
    )


def _check_unused(
    session: Session,
    pack: RegionPack,
    stale_kec: list[models.Kecamatan],
    stale_kel: list[models.Kelurahan],
) -> None:
    """Refuse to drop an area that requests or letters point at (the history would break)."""
    if not stale_kec and not stale_kel:
        return
    kec_ids = [k.id for k in stale_kec]
    kel_ids = [k.id for k in stale_kel]
    requests = session.scalar(
        select(func.count(models.ServiceRequest.id)).where(
            or_(
                models.ServiceRequest.kecamatan_id.in_(kec_ids),
                models.ServiceRequest.kelurahan_id.in_(kel_ids),
            )
        )
    )
    letters = session.scalar(
        select(func.count(models.Letter.id)).where(models.Letter.kelurahan_id.in_(kel_ids))
    )
    if requests or letters:
        codes = ", ".join(sorted([k.code for k in stale_kec] + [k.code for k in stale_kel])[:5])
        msg = (
            f"{pack.path}: areas no longer in the pack ({codes}) are used by {requests} "
            f"request(s) and {letters} letter(s); move those first"
        )
        raise RegionError(msg)
