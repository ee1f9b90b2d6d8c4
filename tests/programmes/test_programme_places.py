"""Importing a programme's places from CSV and XLSX: good rows stored, one error per bad row."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.errors import IntakeError
from outreach.programmes.places import import_places
from tests.programmes.programme_helpers import office_of, semaki

# A school list as offices keep it: a title row, a blank row, ";" and a decimal comma.
CSV_TEXT = (
    "DAFTAR SMA/SMK KOTA YOGYAKARTA (data karangan);;;;;;\n"
    ";;;;;;\n"
    "No;Nama Sekolah;Alamat;Kelurahan;Lintang;Bujur;Siswa 17 tahun;Nama kontak;No HP\n"
    "1;SMA Harapan Semaki;Jl. Kenari 1;Semaki;-7,7980;110,3950;120;Bu Wati;0812-3456-7890\n"
    "2;SMK Tunas Muja;Jl. Muja 2;Kel. Muja Muju;;;85 siswa;;\n"
    "3;SMA Lintang Terbalik;Jl. X;;110.3800;-7.8000;40;;\n"
    "4;;Jl. Tanpa Nama;Semaki;;;10;;\n"
    "5;SMA Entah;Jl. Y;Kelurahan Atlantis;;;10;;\n"
    "6;SMA Jauh;Jl. Z;;-6.2000;106.8000;10;;\n"
    "7;SMA Tanpa Lokasi;Jl. W;;;;10;;\n"
    "8;SMA Banyak;Jl. V;Semaki;;;banyak;;\n"
    "9;SMA Nomor Salah;Jl. U;Semaki;;;10;;12ab\n"
)


def test_csv_rows_good_and_bad(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    result = import_places(session, office, "sekolah.csv", CSV_TEXT.encode("cp1252"))
    names = [p.name for p in result.created]
    assert names == ["SMA Harapan Semaki", "SMK Tunas Muja", "SMA Lintang Terbalik"]
    by_row = {e.row: e.message for e in result.errors}
    assert sorted(by_row) == [7, 8, 9, 10, 11, 12]
    assert "Nama tempat wajib diisi" in by_row[7]
    assert "Atlantis" in by_row[8] and "tidak dikenal" in by_row[8]
    assert "luar wilayah" in by_row[9]
    assert "Isi kelurahan atau titik lokasi" in by_row[10]
    assert "Jumlah peserta harus angka" in by_row[11]
    assert by_row[12].startswith("Baris 12: ") and "HP" in by_row[12]
    first, second, third = result.created
    assert (first.lon, first.lat, first.expected_persons) == (110.395, -7.798, 120)
    assert first.contact_phone == "+6281234567890"
    assert first.kelurahan_id == semaki(session).id
    # No point: the kelurahan's point stands in.
    assert second.location_source == "kelurahan" and second.expected_persons == 85
    # Latitude and longitude written in each other's column are read the right way round.
    assert (third.lon, third.lat) == (110.38, -7.8) and third.kelurahan_id is not None
    # Importing the same file again updates, it does not add.
    again = import_places(session, office, "sekolah.csv", CSV_TEXT.encode("cp1252"))
    assert not again.created and len(again.updated) == 3
    assert len(session.scalars(select(models.ProgrammePlace)).all()) == 3


def test_xlsx_and_unreadable_files(yapp: Flask) -> None:
    session = get_session()
    office = office_of(session)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Nama tempat", "Jenis", "Kelurahan", "Perkiraan peserta"])
    ws.append(["Balai Kelurahan Semaki", "kelurahan", "Semaki", 60])
    ws.append(["Aula RW", "gedung", "Semaki", 20])
    out = io.BytesIO()
    wb.save(out)
    result = import_places(session, office, "balai.xlsx", out.getvalue(), default_kind="kelurahan")
    assert [(p.name, p.kind, p.expected_persons) for p in result.created] == [
        ("Balai Kelurahan Semaki", "kelurahan", 60)
    ]
    assert "Jenis tempat tidak dikenal" in result.errors[0].message
    with pytest.raises(IntakeError, match="Format berkas tidak didukung"):
        import_places(session, office, "sekolah.pdf", b"%PDF")
    with pytest.raises(IntakeError, match="XLSX tidak dapat dibaca"):
        import_places(session, office, "rusak.xlsx", b"not a zip")
    with pytest.raises(IntakeError, match="Baris judul tidak ditemukan"):
        import_places(session, office, "x.csv", b"a;b;c\n1;2;3\n")
