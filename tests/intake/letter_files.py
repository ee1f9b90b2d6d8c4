"""Resident lists as CSV and XLSX bytes, with good and broken rows, for letter tests."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from outreach.intake.letters import template_xlsx
from tests.intake.yogya import nik_for

HEADER = [
    "No",
    "Nama lengkap",
    "NIK",
    "Tanggal lahir (DD-MM-YYYY)",
    "No HP/WA",
    "RT",
    "RW",
    "Layanan",
    "Keterangan",
]


def good_rows(count: int = 3) -> list[list[str]]:
    """Pemula students born in 2009 (16-17 years old in late 2026)."""
    rows = []
    for i in range(count):
        born = dt.date(2009, 1 + i % 12, 1 + i % 28)
        rows.append(
            [
                str(i + 1),
                f"Siswa Nomor {chr(65 + i % 26)}",
                nik_for(born, female=i % 2 == 0, serial=i + 1),
                born.strftime("%d-%m-%Y"),
                "",
                "1",
                "5",
                "perekaman_ktp",
                "",
            ]
        )
    return rows


BROKEN_ROWS = [
    [
        "4",
        "Dewi 2",
        nik_for(dt.date(2009, 5, 5), serial=50),
        "",
        "",
        "",
        "",
        "",
        "",
    ],  # digit in name
    ["5", "Eko Prasetyo", "12345", "", "", "", "", "", ""],  # short NIK
    [
        "6",
        "Fajar",
        nik_for(dt.date(2009, 6, 6), female=False, serial=60),
        "07-06-2009",
        "",
        "",
        "",
        "",
        "",
    ],  # date != NIK
    [
        "7",
        "Gita",
        nik_for(dt.date(2009, 7, 7), serial=70),
        "",
        "0812",
        "",
        "",
        "sulap",
        "",
    ],  # phone, service
]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = True) -> bytes:
    lines = [delimiter.join(HEADER)] + [delimiter.join(r) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def xlsx_bytes(rows: list[list[object]], *, from_template: bool = True) -> bytes:
    """Rows written into the downloadable template (or a bare workbook)."""
    if from_template:
        wb = load_workbook(io.BytesIO(template_xlsx()))
        ws = wb["Daftar warga"]
    else:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(HEADER)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
