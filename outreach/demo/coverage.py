"""A made-up coverage file for the demo: e-KTP recording counts per kelurahan.

Data karangan (made-up data): the counts are drawn at random (seeded) so the coverage page,
its map and the sweep visits have something to show; they are not the region's real
population figures. The file is written the way an office's spreadsheet looks (a title row
saying so, the date, Kemendagri codes with dots, thousands separators, ``;`` as delimiter) and
imported through the ordinary importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outreach import models
from outreach.coverage.importer import ImportResult, import_coverage

DEMO_FILE_NAME = "cakupan-demo-data-karangan.csv"
DEMO_AGE_DAYS = 7  # the demo's figures are "as of" a week before today


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def demo_coverage_csv(
    session: Session, region_slug: str, *, as_of: dt.date, seed: int = 42
) -> bytes:
    """The demo coverage file (CSV, ``;``) for every kelurahan of ``region_slug``.

    Per kelurahan: wajib KTP 2,500-11,000; most kelurahan have 97-99.5% recorded, one in six
    lags behind (90-96%); first-time applicants about 2% of wajib KTP.
    """
    rng = random.Random(seed)
    kelurahan = session.scalars(
        select(models.Kelurahan)
        .where(models.Kelurahan.region_slug == region_slug)
        .options(selectinload(models.Kelurahan.kecamatan))
        .order_by(models.Kelurahan.code)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["REKAP PEREKAMAN KTP-EL PER KELURAHAN -- DATA KARANGAN UNTUK DEMO"])
    writer.writerow(["Bukan data kependudukan sebenarnya."])
    writer.writerow([f"Keadaan per {as_of:%d-%m-%Y}"])
    writer.writerow([])
    writer.writerow(
        ["No", "Kode Wilayah", "Kecamatan", "Kelurahan", "Wajib KTP", "Sudah Rekam",
         "Belum Rekam", "Pemula (17 th)"]
    )  # fmt: skip
    total = [0, 0, 0, 0]
    for i, kel in enumerate(kelurahan, start=1):
        wajib = rng.randint(2500, 11000)
        rate = rng.uniform(0.90, 0.96) if rng.random() < 1 / 6 else rng.uniform(0.97, 0.995)
        recorded = round(wajib * rate)
        first = round(wajib * rng.uniform(0.012, 0.028))
        row = [wajib, recorded, wajib - recorded, first]
        total = [a + b for a, b in zip(total, row, strict=True)]
        writer.writerow([i, kel.code, kel.kecamatan.name, kel.name, *(_thousands(n) for n in row)])
    writer.writerow(["", "", "", "JUMLAH", *(_thousands(n) for n in total)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_demo_coverage(
    session: Session, office: models.Office, *, today: dt.date, seed: int = 42
) -> ImportResult:
    """Write the demo coverage file and import it for ``office`` (flushed, not committed)."""
    as_of = today - dt.timedelta(days=DEMO_AGE_DAYS)
    data = demo_coverage_csv(session, office.region_slug, as_of=as_of, seed=seed)
    return import_coverage(
        session,
        office,
        filename=DEMO_FILE_NAME,
        data=data,
        as_of=as_of,
        actor="cli",
        today=today,
    )
