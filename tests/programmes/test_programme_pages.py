"""Programme pages: roles, creating and editing, bad input (400, Indonesian), upload, generate."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.programmes.programme_helpers import teams

FORM = {
    "name": "Sekolah setiap Rabu",
    "place_kind": "sekolah",
    "weekdays": ["2"],
    "start_date": "2026-07-13",
    "end_date": "2026-12-18",
    "hours_start": "",
    "hours_end": "",
    "max_persons": "60",
    "on_holiday": "geser",
    "closed_ranges": "",
    "active": "ya",
}
CSV = b"Nama Sekolah;Kelurahan;Siswa 17 tahun\nSMA Harapan;Semaki;90\nSMA Hilang;Atlantis;10\n"


def test_roles(yapp: Flask, yclient: FlaskClient) -> None:
    res = yclient.get("/program")
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]
    lead = yapp.test_client()
    lead.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    for res in (lead.get("/program"), lead.post("/program/baru", data=FORM)):
        assert res.status_code == 302 and "/program" not in res.headers["Location"]
    assert get_session().scalar(select(models.Programme)) is None


def test_create_edit_upload_generate(staff_client: FlaskClient) -> None:
    session = get_session()
    (mawar,) = teams(session, "Tim Mawar")
    session.commit()
    page = staff_client.get("/program")
    assert page.status_code == 200 and "Belum ada program" in page.get_data(as_text=True)
    assert staff_client.get("/program/baru").status_code == 200

    bad = staff_client.post("/program/baru", data={**FORM, "weekdays": []})
    assert bad.status_code == 400
    assert "Pilih paling sedikit satu hari program." in bad.get_data(as_text=True)
    bad = staff_client.post("/program/baru", data={**FORM, "end_date": "2026-01-01"})
    assert bad.status_code == 400 and "Tanggal selesai harus sesudah" in bad.get_data(as_text=True)
    bad = staff_client.post(
        "/program/baru", data={**FORM, "hours_start": "25:00", "hours_end": "12:00"}
    )
    assert bad.status_code == 400 and "Jam mulai tidak terbaca" in bad.get_data(as_text=True)
    bad = staff_client.post("/program/baru", data={**FORM, "team_ids": ["999"]})
    assert bad.status_code == 400 and "tidak ada atau tidak aktif" in bad.get_data(as_text=True)
    # Every problem at once, as the office form does (a tester finding).
    bad = staff_client.post(
        "/program/baru",
        data={**FORM, "name": "", "end_date": "2026-01-01", "max_persons": "-5"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Periksa kembali isian berikut" in text
    for message in (
        "Nama program wajib diisi.",
        "Tanggal selesai harus sesudah",
        "Batas peserta per kunjungan harus angka 1 sampai 1000.",
    ):
        assert message in text

    ok = staff_client.post("/program/baru", data={**FORM, "team_ids": [str(mawar.id)]})
    assert ok.status_code == 302
    prog = session.scalar(select(models.Programme))
    assert prog is not None and prog.weekdays == [2] and prog.team_ids == [mawar.id]
    edit = staff_client.post(
        f"/program/{prog.id}/ubah",
        data={**FORM, "name": "Sekolah Rabu", "closed_ranges": "2026-12-21 2027-01-03 Libur"},
    )
    assert edit.status_code == 302
    session.refresh(prog)
    assert prog.name == "Sekolah Rabu" and prog.closed_ranges[0]["label"] == "Libur"
    assert staff_client.get(f"/program/{prog.id}/ubah").status_code == 200
    assert staff_client.get("/program/9999").status_code == 404

    upload = staff_client.post(
        "/program/tempat",
        data={"berkas": (io.BytesIO(CSV), "sekolah.csv"), "kind": "sekolah"},
        content_type="multipart/form-data",
    )
    text = upload.get_data(as_text=True)
    assert upload.status_code == 200 and "1 baru" in text and "Atlantis" in text
    empty = staff_client.post("/program/tempat", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "Pilih berkas CSV atau XLSX." in empty.get_data(
        as_text=True
    )
    broken = staff_client.post(
        "/program/tempat",
        data={"berkas": (io.BytesIO(b"x"), "sekolah.pdf")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400 and "Format berkas tidak didukung" in broken.get_data(
        as_text=True
    )

    bad = staff_client.post("/program/buat-kunjungan", data={"from": "kemarin", "to": ""})
    assert bad.status_code == 400 and "Tanggal tidak valid" in bad.get_data(as_text=True)
    made = staff_client.post(
        "/program/buat-kunjungan", data={"from": "2026-11-30", "to": "2026-12-13"}
    )
    assert made.status_code == 302
    follow = staff_client.get("/program").get_data(as_text=True)
    assert "2 kunjungan dibuat" in follow
    detail = staff_client.get(f"/program/{prog.id}").get_data(as_text=True)
    assert "SMA Harapan" in detail and "Rabu, 2 Desember 2026" in detail
    again = staff_client.post(
        "/program/buat-kunjungan", data={"from": "2026-11-30", "to": "2026-12-13"}
    )
    assert again.status_code == 302
    assert "0 kunjungan dibuat" in staff_client.get("/program").get_data(as_text=True)
