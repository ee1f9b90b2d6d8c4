"""Coverage files as offices make them: good rows imported, one clear error per bad row,
nothing written when the file cannot be used (CSV and XLSX, spreadsheet habits included)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from outreach import models
from outreach.coverage import CoverageFileError, import_coverage
from outreach.coverage.importer import header_key, parse_count
from outreach.db import get_session
from tests.coverage.cov_files import csv_bytes, xlsx_bytes

TODAY = dt.date(2026, 11, 30)


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


def _import(name: str, data: bytes, as_of: dt.date | None = None):  # type: ignore[no-untyped-def]
    return import_coverage(
        get_session(), _office(), filename=name, data=data, as_of=as_of, actor="test", today=TODAY
    )


def _counts() -> dict[str, tuple[int, int, int, int | None]]:
    session = get_session()
    rows = session.execute(
        select(models.CoverageCount, models.Kelurahan.name, models.Kecamatan.name)
        .outerjoin(models.Kelurahan, models.CoverageCount.kelurahan_id == models.Kelurahan.id)
        .join(models.Kecamatan, models.CoverageCount.kecamatan_id == models.Kecamatan.id)
    ).all()
    return {
        (kel or f"kec:{kec}"): (c.wajib_ktp, c.recorded, c.not_recorded, c.first_time)
        for c, kel, kec in rows
    }


def test_header_names_and_spreadsheet_numbers() -> None:
    assert header_key("Kode Wilayah") == "kode"
    assert header_key("Nama Desa/Kelurahan") == "kelurahan"
    assert header_key("KECAMATAN") == "kecamatan"
    assert header_key("Jumlah Penduduk Wajib KTP") == "wajib_ktp"
    assert header_key("Sudah Rekam KTP-el") == "recorded"
    assert header_key("Belum Perekaman") == "not_recorded"
    assert header_key("Pemula (17 th)") == "first_time"
    assert header_key("% Belum Rekam") is None
    assert parse_count("1.234", "x") == 1234
    assert parse_count("12.345.678", "x") == 12345678
    assert parse_count("1,234", "x") == 1234
    assert parse_count("1 234", "x") == 1234
    assert parse_count("987", "x") == 987
    assert parse_count("-", "x") == 0
    assert parse_count("", "x") is None
    with pytest.raises(ValueError, match="negatif"):
        parse_count("-5", "Belum rekam")
    with pytest.raises(ValueError, match="bukan bilangan bulat"):
        parse_count("12,5", "Wajib KTP")


def test_a_csv_with_title_rows_codes_names_and_thousands_imports(yapp: Flask) -> None:
    data = csv_bytes(
        [
            ["REKAP PEREKAMAN KTP-EL"],
            ["Keadaan per 20 November 2026"],
            [],
            ["No", "Kode Wilayah", "Kecamatan", "Kelurahan", "Wajib KTP", "Sudah Rekam",
             "Belum Rekam", "Pemula"],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"],
            [1, "34.71.03.1004", "Gondokusuman", "Kel. Baciro", "9.120", "8.870", "250", "180"],
            [2, "3471031003", "Gondokusuman", "KLITREN", "7.500", "7.100", "400", ""],
            [3, "", "Umbulharjo", "semaki", "6.000", "5.940", "60", "-"],
            [4, "", "", "Muja-Muju", "8.000", "", "500", "150"],
            ["", "", "", "JUMLAH", "30.620", "", "1.210", ""],
        ]
    )  # fmt: skip
    result = _import("rekap.csv", data)
    get_session().commit()
    assert result.errors == ()
    assert result.as_of == dt.date(2026, 11, 20)  # read from the title rows
    assert (result.kelurahan, result.kecamatan) == (4, 0)
    assert _counts() == {
        "Baciro": (9120, 8870, 250, 180),
        "Klitren": (7500, 7100, 400, None),
        "Semaki": (6000, 5940, 60, 0),
        "Muja Muju": (8000, 7500, 500, 150),
    }
    row = get_session().get(models.CoverageImport, result.import_id)
    assert row is not None and row.file_name == "rekap.csv" and row.actor == "test"


def test_broken_rows_get_one_error_each_and_good_rows_are_imported(yapp: Flask) -> None:
    data = csv_bytes(
        [
            ["Kelurahan", "Kecamatan", "Wajib KTP", "Sudah rekam", "Belum rekam"],
            ["Baciro", "Gondokusuman", "9.000", "8.800", "200"],  # 2 good
            ["Atlantis", "Gondokusuman", "5.000", "4.900", "100"],  # 3 unknown kelurahan
            ["Klitren", "Gondokusuman", "5.000", "4.900", "-100"],  # 4 negative
            ["Terban", "Gondokusuman", "5.000", "5.100", ""],  # 5 recorded > wajib
            ["Demangan", "Gondokusuman", "5.000", "4.000", "500"],  # 6 sum mismatch
            ["Kotabaru", "Gondokusuman", "lima ribu", "4.000", ""],  # 7 not a number
            ["Baciro", "Gondokusuman", "9.000", "8.800", "200"],  # 8 twice
            ["Semaki", "Kecamatan Entah", "5.000", "4.900", "100"],  # 9 unknown kecamatan
            ["Warungboto", "Umbulharjo", "5.000", "", ""],  # 10 counts missing
        ],
        delimiter=",",
        bom=False,
    )
    result = _import("rusak.csv", data, as_of=dt.date(2026, 11, 1))
    messages = {e.row: e.message for e in result.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "Atlantis" in messages[3] and "tidak dikenal" in messages[3]
    assert "negatif" in messages[4]
    assert "Sudah rekam (5100) lebih besar dari wajib KTP (5000)" in messages[5]
    assert "tidak sama dengan wajib KTP" in messages[6]
    assert "bukan bilangan bulat" in messages[7]
    assert "sudah ada di baris 2" in messages[8]
    assert "Kecamatan Entah" in messages[9]
    assert "Jumlah kosong" in messages[10]
    assert str(result.errors[0]).startswith("Baris 3: ")
    assert _counts() == {"Baciro": (9000, 8800, 200, None)}
    assert result.as_of == dt.date(2026, 11, 1)


def test_xlsx_with_two_row_header_and_merged_kecamatan(yapp: Flask) -> None:
    rows = [
        ["Rekap perekaman KTP-el Kota Yogyakarta"],
        [],
        ["No", "Kecamatan", "Desa/Kelurahan", "Wajib KTP", "Perekaman KTP-el", None],
        [None, None, None, None, "Sudah", "Belum"],
        [1, "Gondokusuman", "Baciro", 9120, 8870, 250],
        [2, None, "Klitren", 7500.0, 7100, 400],
        [3, "Umbulharjo", "Semaki", 6000, 5940, 60],
    ]
    data = xlsx_bytes(rows, merge=["E3:F3", "B5:B6"])
    result = _import("rekap.xlsx", data, as_of=dt.date(2026, 11, 25))
    assert result.errors == ()
    assert _counts() == {
        "Baciro": (9120, 8870, 250, None),
        "Klitren": (7500, 7100, 400, None),
        "Semaki": (6000, 5940, 60, None),
    }


def test_a_kecamatan_level_file(yapp: Flask) -> None:
    data = xlsx_bytes(
        [
            ["Kode", "Kecamatan", "Wajib KTP", "Belum rekam"],
            ["34.71.03", "Gondokusuman", 35000, 1200],
            ["347113", "Umbulharjo", 60000, 2100],
        ]
    )
    result = _import("kecamatan.xlsx", data, as_of=dt.date(2026, 11, 25))
    assert (result.kelurahan, result.kecamatan) == (0, 2)
    assert _counts() == {
        "kec:Gondokusuman": (35000, 33800, 1200, None),
        "kec:Umbulharjo": (60000, 57900, 2100, None),
    }


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF", "Format berkas tidak didukung"),
        ("a.xlsx", b"not a workbook", "tidak dapat dibaca"),
        ("a.csv", b"", "Berkas kosong"),
        ("a.csv", csv_bytes([["Nama", "NIK"], ["Budi", "1"]]), "Baris judul tidak ditemukan"),
        (
            "a.csv",
            csv_bytes([["Kelurahan", "Wajib KTP"], ["Baciro", "100"]]),
            "Kolom jumlah kurang",
        ),
        (
            "a.csv",
            csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"], ["Atlantis", "100", "5"]]),
            "Tidak ada baris yang dapat diimpor",
        ),
        (
            "a.csv",
            csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"]]),
            "Tidak ada baris wilayah",
        ),
    ],
)
def test_an_unusable_file_writes_nothing(yapp: Flask, name: str, data: bytes, message: str) -> None:
    with pytest.raises(CoverageFileError, match=message) as caught:
        _import(name, data)
    if "dapat diimpor" in message:
        assert [e.row for e in caught.value.errors] == [2]
    session = get_session()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(models.CoverageImport)) == 0
    assert session.scalar(select(func.count()).select_from(models.CoverageCount)) == 0


def test_a_date_in_the_future_is_refused(yapp: Flask) -> None:
    data = csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"], ["Baciro", "100", "5"]])
    with pytest.raises(CoverageFileError, match="belum lewat"):
        _import("a.csv", data, as_of=TODAY + dt.timedelta(days=1))


def test_cli_import_prints_the_row_errors(yapp: Flask, tmp_path: Path) -> None:
    good = tmp_path / "cakupan.csv"
    good.write_bytes(
        csv_bytes(
            [
                ["Kelurahan", "Wajib KTP", "Sudah rekam", "Belum rekam"],
                ["Baciro", "9.000", "8.800", "200"],
                ["Atlantis", "9.000", "8.800", "200"],
            ]
        )
    )
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "coverage", "import", str(good), "--date", "2026-11-02"])
    assert res.exit_code == 0, res.output
    assert "Coverage as of 2026-11-02 imported" in res.output
    assert "1 kelurahan, 0 kecamatan; 1 row(s) skipped" in res.output
    assert "Baris 3: Kelurahan/desa 'Atlantis' tidak dikenal." in res.output
    bad = tmp_path / "kosong.csv"
    bad.write_bytes(csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"], ["Atlantis", "1", "0"]]))
    res = runner.invoke(args=["outreach", "coverage", "import", str(bad)])
    assert res.exit_code == 1
    assert "Tidak ada baris yang dapat diimpor" in res.output
    res = runner.invoke(args=["outreach", "coverage", "import", str(good), "--date", "kemarin"])
    assert res.exit_code == 1 and "not a date" in res.output
