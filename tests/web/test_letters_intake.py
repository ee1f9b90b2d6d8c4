"""Letters through the test client: typed rows, CSV/XLSX uploads with broken rows, templates."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from tests.intake.letter_files import BROKEN_ROWS, csv_bytes, good_rows, xlsx_bytes
from tests.intake.yogya import SEMAKI, UMBULHARJO
from tests.web.html_forms import form_fields


def letter_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "number": "12/RW07/XI/2026",
        "letter_date": "2026-11-20",
        "sender_type": "rw",
        "sender_name": "RW 07 Semaki",
        "contact_name": "Pak Slamet",
        "contact_phone": "0812-7777-8888",
        "meeting_place": "Balai RW 07",
        "kecamatan": UMBULHARJO,
        "kelurahan": SEMAKI,
        "rw": "7",
        "services": ["perekaman_ktp"],
        "action": "simpan",
    }
    data.update(changes)
    return data


def typed(rows: list[list[str]]) -> dict[str, str]:
    keys = ["nama", "nik", "tanggal_lahir", "no_hp", "rt", "rw", "layanan", "keterangan"]
    out = {}
    for i, row in enumerate(rows):
        for key, value in zip(keys, row[1:], strict=True):
            out[f"res-{i}-{key}"] = value
    return out


def counts() -> tuple[int, int]:
    s = get_session()
    return (
        int(s.scalar(select(func.count()).select_from(models.Letter)) or 0),
        int(s.scalar(select(func.count()).select_from(models.ServiceRequest)) or 0),
    )


def test_typed_rows_make_one_collective_visit(staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/koordinator/surat/baru", data={**letter_form(), **typed(good_rows(3))}
    )
    assert res.status_code == 303, res.get_data(as_text=True)
    page = staff_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Surat disimpan: 3 warga" in page and good_rows(3)[0][2] in page
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None
    assert (req.category, req.channel, req.persons, req.rw) == ("kolektif", "letter", 3, "007")
    assert counts() == (1, 1)


def test_add_rows_button_keeps_what_was_typed(staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/koordinator/surat/baru", data={**letter_form(action="tambah"), **typed(good_rows(2))}
    )
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and good_rows(2)[1][2] in page
    assert 'name="res-11-nama"' in page  # 2 typed + 10 empty rows
    assert counts() == (0, 0)


def test_csv_with_broken_rows_is_all_or_nothing(staff_client: FlaskClient) -> None:
    upload = (io.BytesIO(csv_bytes(good_rows(3) + BROKEN_ROWS)), "warga.csv")
    res = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(), "berkas": upload},
        content_type="multipart/form-data",
    )
    page = res.get_data(as_text=True)
    assert res.status_code == 400
    assert "4 baris berisi kesalahan" in page and "Laporan kesalahan baris" in page
    assert "NIK harus 16 angka." in page and "Tanggal lahir tidak sama dengan NIK" in page
    # The file's rows are now in the table, ready to fix; nothing was saved.
    assert 'name="res-4-nik" value="12345"' in page
    assert counts() == (0, 0)


def test_fixing_rows_in_the_table_after_an_upload(staff_client: FlaskClient) -> None:
    upload = (io.BytesIO(csv_bytes(good_rows(1) + BROKEN_ROWS[:1])), "warga.csv")
    page = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(), "berkas": upload},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    fields = dict(re.findall(r'name="(res-\d+-\w+)" value="([^"]*)"', page))
    fields["res-1-nama"] = "Dewi Lestari"
    res = staff_client.post("/koordinator/surat/baru", data={**letter_form(), **fields})
    assert res.status_code == 303
    letter = get_session().scalar(select(models.Letter))
    assert letter is not None and [r.row for r in letter.residents] == [2, 3]


def test_xlsx_valid_rows_only(staff_client: FlaskClient) -> None:
    upload = (io.BytesIO(xlsx_bytes(good_rows(3) + BROKEN_ROWS)), "warga.xlsx")
    res = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(hanya_valid="ya"), "berkas": upload},
        content_type="multipart/form-data",
    )
    assert res.status_code == 303
    page = staff_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "4 baris dilewati" in page
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None and req.persons == 3
    assert counts() == (1, 1)


def test_letter_field_errors_keep_the_rows(staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(number="", contact_phone="12"), **typed(good_rows(2))},
    )
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and "Nomor surat wajib diisi." in page
    assert good_rows(2)[1][2] in page
    assert counts() == (0, 0)


def test_garbage_upload_and_too_large(yapp: Flask, staff_client: FlaskClient) -> None:
    bad = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(), "berkas": (io.BytesIO(b"PK\x03\x04junk"), "warga.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "tidak dapat dibaca" in bad.get_data(as_text=True)
    yapp.config["MAX_CONTENT_LENGTH"] = 2000
    big = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(), "berkas": (io.BytesIO(b"x" * 5000), "warga.csv")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413
    assert counts() == (0, 0)


def test_row_limit_from_config(yapp: Flask, staff_client: FlaskClient) -> None:
    yapp.config["LETTER_MAX_ROWS"] = 2
    res = staff_client.post(
        "/koordinator/surat/baru",
        data={**letter_form(), "berkas": (io.BytesIO(csv_bytes(good_rows(3))), "warga.csv")},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and "paling banyak 2 warga" in res.get_data(as_text=True)
    res = staff_client.post(
        "/koordinator/surat/baru", data={**letter_form(), **typed(good_rows(3))}
    )
    assert res.status_code == 400 and "paling banyak 2 warga" in res.get_data(as_text=True)
    assert counts() == (0, 0)


def test_templates_download(staff_client: FlaskClient) -> None:
    xlsx = staff_client.get("/koordinator/surat/templat.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(xlsx.data))["Daftar warga"]
    assert ws["C1"].value == "NIK" and ws["C2"].number_format == "@"
    csv = staff_client.get("/koordinator/surat/templat.csv")
    assert csv.data.decode("utf-8-sig").startswith("No,Nama lengkap,NIK")
    assert staff_client.get("/koordinator/surat/templat.pdf").status_code == 404


def test_letters_list(staff_client: FlaskClient) -> None:
    staff_client.post("/koordinator/surat/baru", data={**letter_form(), **typed(good_rows(1))})
    page = staff_client.get("/koordinator/surat/").get_data(as_text=True)
    assert "12/RW07/XI/2026" in page and "RW 07 Semaki" in page


def test_collective_request_can_be_edited_and_verified(staff_client: FlaskClient) -> None:
    staff_client.post("/koordinator/surat/baru", data={**letter_form(), **typed(good_rows(2))})
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None
    url = f"/koordinator/permohonan/{req.id}"
    page = staff_client.get(url).get_data(as_text=True)
    assert "RW 07 Semaki" in page and "Pengirim surat" in page
    data = form_fields(page, url)
    data["persons"] = "3"
    res = staff_client.post(url, data=data)
    assert res.status_code == 303, res.get_data(as_text=True)
    staff_client.post(f"{url}/verifikasi", data={"terima_titik_kelurahan": "ya"})
    get_session().refresh(req)
    assert (req.persons, req.status, req.applicant_relation) == (3, "terverifikasi", "pengirim_rw")
    assert req.person_name == "RW 07 Semaki" and req.category == "kolektif"
