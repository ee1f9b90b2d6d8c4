"""The ranked table's arithmetic: share, change since the previous import, persons recorded
by the outreach since the import's date, remaining gap, kecamatan sums, order."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.coverage import coverage_report, import_coverage
from outreach.db import get_session
from tests.coverage.cov_files import csv_bytes

TODAY = dt.date(2026, 11, 30)
HEADER = ["Kelurahan", "Kecamatan", "Wajib KTP", "Sudah rekam", "Belum rekam"]


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


def _load(as_of: dt.date, rows: list[list[object]]) -> None:
    import_coverage(
        get_session(),
        _office(),
        filename=f"cakupan-{as_of}.csv",
        data=csv_bytes([HEADER, *rows]),
        as_of=as_of,
        actor="test",
        today=TODAY,
    )


def _kel(name: str) -> models.Kelurahan:
    kel = get_session().scalar(select(models.Kelurahan).where(models.Kelurahan.name == name))
    assert kel is not None
    return kel


def _served(name: str, persons: int, day: dt.date, services: list[str]) -> None:
    """A request in kelurahan ``name`` served on ``day`` (outcome selesai)."""
    session = get_session()
    kel = _kel(name)
    req = models.ServiceRequest(
        tracking_code=f"JB-T{uuid.uuid4().hex[:6].upper()}",
        office_id=_office().id,
        category="kolektif",
        services=services,
        person_name=f"Warga {name}",
        persons=persons,
        kelurahan_id=kel.id,
        kecamatan_id=kel.kecamatan_id,
        status="selesai",
        persons_served=persons,
    )
    session.add(req)
    session.flush()
    session.add(
        models.VisitOutcome(
            client_id=str(uuid.uuid4()),
            request_id=req.id,
            visit_date=day,
            outcome="selesai",
            persons_served=persons,
        )
    )
    session.flush()


def test_empty_without_an_import(yapp: Flask) -> None:
    report = coverage_report(get_session(), _office())
    assert report.as_of is None and report.kelurahan == () and report.kecamatan == ()


def test_ranking_arithmetic(yapp: Flask) -> None:
    _load(
        dt.date(2026, 10, 31),
        [
            ["Baciro", "Gondokusuman", 9000, 8500, 500],
            ["Klitren", "Gondokusuman", 7000, 6700, 300],
            ["Semaki", "Umbulharjo", 6000, 5900, 100],
        ],
    )
    _load(
        dt.date(2026, 11, 20),
        [
            ["Baciro", "Gondokusuman", 9100, 8700, 400],
            ["Klitren", "Gondokusuman", 7000, 6650, 350],
            ["Semaki", "Umbulharjo", 6000, 5880, 120],
            ["Muja Muju", "Umbulharjo", 8000, 7700, 300],
        ],
    )
    # After the import's date: counted (recording only); on or before it, or without
    # recording: not counted.
    _served("Baciro", 30, dt.date(2026, 11, 23), ["perekaman_ktp"])
    _served("Baciro", 12, dt.date(2026, 11, 24), ["perekaman_ktp", "kk"])
    _served("Baciro", 50, dt.date(2026, 11, 20), ["perekaman_ktp"])  # the import's own day
    _served("Klitren", 40, dt.date(2026, 11, 25), ["kia"])  # no e-KTP recording
    _served("Semaki", 5, dt.date(2026, 11, 26), ["perekaman_ktp"])
    report = coverage_report(get_session(), _office())
    assert report.as_of == dt.date(2026, 11, 20)
    assert report.previous_as_of == dt.date(2026, 10, 31)
    kel = {a.name: a for a in report.kelurahan}
    baciro = kel["Baciro"]
    assert (baciro.not_recorded, baciro.change, baciro.recorded_since) == (400, -100, 42)
    assert baciro.remaining == 358
    assert baciro.share == pytest.approx(400 / 9100)
    assert kel["Klitren"].change == 50 and kel["Klitren"].recorded_since == 0
    assert kel["Semaki"].remaining == 115
    assert kel["Muja Muju"].change is None  # not in the previous import
    assert [a.name for a in report.kelurahan] == ["Baciro", "Klitren", "Muja Muju", "Semaki"]
    kec = {a.name: a for a in report.kecamatan}
    gondo, umbul = kec["Gondokusuman"], kec["Umbulharjo"]
    assert (gondo.wajib_ktp, gondo.not_recorded, gondo.change) == (16100, 750, -50)
    assert (gondo.recorded_since, gondo.remaining) == (42, 708)
    # Muja Muju was not in the previous import: no like-for-like change for Umbulharjo.
    assert (umbul.not_recorded, umbul.change, umbul.recorded_since) == (420, None, 5)
    assert [a.name for a in report.kecamatan] == ["Gondokusuman", "Umbulharjo"]
    assert (report.not_recorded, report.recorded_since, report.remaining) == (1170, 47, 1123)
    assert report.share == pytest.approx(1170 / 30100)
    # --date: the figures as of an earlier day come from the earlier import.
    older = coverage_report(get_session(), _office(), until=dt.date(2026, 11, 1))
    assert older.as_of == dt.date(2026, 10, 31) and older.previous_as_of is None


def test_a_file_with_a_few_areas_updates_them_and_keeps_the_rest(yapp: Flask) -> None:
    _load(
        dt.date(2026, 10, 31),
        [
            ["Baciro", "Gondokusuman", 9000, 8500, 500],
            ["Klitren", "Gondokusuman", 7000, 6700, 300],
            ["Semaki", "Umbulharjo", 6000, 5900, 100],
        ],
    )
    _served("Semaki", 7, dt.date(2026, 11, 10), ["perekaman_ktp"])  # after Semaki's figures
    _load(dt.date(2026, 11, 20), [["Baciro", "Gondokusuman", 9000, 8600, 400]])
    report = coverage_report(get_session(), _office())
    kel = {a.name: a for a in report.kelurahan}
    assert set(kel) == {"Baciro", "Klitren", "Semaki"}  # the city picture stays whole
    assert (kel["Baciro"].not_recorded, kel["Baciro"].change) == (400, -100)
    assert (kel["Klitren"].not_recorded, kel["Klitren"].change) == (300, None)  # no new figure
    assert kel["Semaki"].recorded_since == 7  # since its own figures (31 Oct)
    assert (report.areas_in_latest, report.areas_from_earlier) == (1, 2)
    assert report.not_recorded == 800
    gondo = {a.name: a for a in report.kecamatan}["Gondokusuman"]
    assert (gondo.not_recorded, gondo.change) == (700, -100)
