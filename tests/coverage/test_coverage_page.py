"""The coverage page: upload (row errors listed, unusable files refused), the ranked tables,
the choropleth from the app's own Leaflet, the sweep button, and who may do what."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session
from outreach.render.maps import find_external_urls
from outreach.web.auth import hash_password
from tests.coverage.cov_files import csv_bytes

GOOD = csv_bytes(
    [
        ["Kode", "Kelurahan", "Wajib KTP", "Sudah rekam", "Belum rekam"],
        ["34.71.03.1004", "Baciro", "9.000", "8.600", "400"],
        ["", "Klitren", "7.000", "6.760", "240"],
        ["", "Atlantis", "7.000", "6.760", "240"],
    ]
)


JSON = {"Accept": "application/json"}


def _upload(client: FlaskClient, data: bytes, name: str = "cakupan.csv", date: str = "2026-11-20"):  # type: ignore[no-untyped-def]
    return client.post(
        "/cakupan/unggah",
        data={"berkas": (io.BytesIO(data), name), "tanggal": date},
        content_type="multipart/form-data",
    )


def _sign_in(app: Flask, username: str, role: str) -> FlaskClient:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    if session.scalar(select(models.User).where(models.User.username == username)) is None:
        session.add(
            models.User(
                username=username,
                password_hash=hash_password("rahasia-123"),
                role=role,
                office_id=office.id,
            )
        )
        session.commit()
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": "rahasia-123"})
    assert res.status_code == 302
    return client


def _imports() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.CoverageImport)) or 0)


def test_upload_rank_map_and_sweep(staff_client: FlaskClient) -> None:
    page = staff_client.get("/cakupan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Belum ada data cakupan" in html and 'name="berkas"' in html
    res = _upload(staff_client, GOOD)
    html = res.get_data(as_text=True)
    assert res.status_code == 200, html
    assert "Data cakupan per 20-11-2026 diimpor: 2 wilayah, 1 baris dilewati." in html
    assert "Baris 4: Kelurahan/desa &#39;Atlantis&#39; tidak dikenal." in html
    assert 'id="tabel-kelurahan"' in html and 'id="tabel-kecamatan"' in html
    assert html.index(">Baciro<") < html.index(">Klitren<")  # the larger gap first
    assert "4,4%" in html  # 400 of 9.000
    assert 'id="peta-cakupan"' in html and "Belum rekam per kelurahan" in html
    assert "/vendor/leaflet/leaflet.js" in html
    assert find_external_urls(html) == []
    res = staff_client.post("/cakupan/penyisiran", data={"jumlah": "2"})
    assert res.status_code == 303
    html = staff_client.get("/cakupan").get_data(as_text=True)
    assert "2 kunjungan penyisiran dibuat (Baciro, Klitren)" in html
    assert "Penyisiran terbuka" in html and "Jemput bola Kel. Baciro" in html
    # The triage queue names it a sweep, not a letter's collective visit.
    queue = staff_client.get("/koordinator/antrean?status=terverifikasi").get_data(as_text=True)
    assert "Jemput bola Kel. Baciro" in queue and "Penyisiran (data cakupan)" in queue
    # Again: nothing new, said in words.
    staff_client.post("/cakupan/penyisiran", data={"jumlah": "2"})
    html = staff_client.get("/cakupan").get_data(as_text=True)
    assert "Tidak ada penyisiran baru: 2 wilayah teratas sudah punya penyisiran" in html
    assert "(-)" not in html
    sweep = (
        get_session()
        .scalars(select(models.ServiceRequest).where(models.ServiceRequest.channel == "sweep"))
        .first()
    )
    assert sweep is not None
    # The request page, where the coordinator moves the point to the hall actually used.
    detail = staff_client.get(f"/koordinator/permohonan/{sweep.id}")
    assert detail.status_code == 200
    detail_html = detail.get_data(as_text=True)
    assert "Jemput bola Kel. Baciro" in detail_html
    assert "Penyisiran: ketuk peta di tempat kegiatan" in detail_html
    assert "Undang ke kantor" not in detail_html  # a sweep is not invited to an office session
    res = staff_client.post("/cakupan/penyisiran", data={"jumlah": "dua"})
    assert res.status_code == 400
    assert "Jumlah kelurahan harus 1 sampai 100." in res.get_data(as_text=True)


def test_unusable_uploads_are_refused_in_indonesian(staff_client: FlaskClient) -> None:
    res = _upload(staff_client, b"%PDF-1.4", name="rekap.pdf")
    assert res.status_code == 400
    assert "Format berkas tidak didukung" in res.get_data(as_text=True)
    bad_rows = csv_bytes([["Kelurahan", "Wajib KTP", "Belum rekam"], ["Atlantis", "5", "9"]])
    res = _upload(staff_client, bad_rows)
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "Tidak ada baris yang dapat diimpor" in html
    assert "Baris 2: " in html
    res = _upload(staff_client, GOOD, date="20/11/2026")
    assert res.status_code == 400 and "Tanggal data tidak valid" in res.get_data(as_text=True)
    res = staff_client.post("/cakupan/unggah", data={}, content_type="multipart/form-data")
    assert res.status_code == 400 and "Pilih berkas CSV atau XLSX." in res.get_data(as_text=True)
    assert _imports() == 0


def test_head_reads_but_cannot_upload_and_team_lead_is_refused(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    assert _upload(staff_client, GOOD).status_code == 200
    head = _sign_in(yapp, "pimpinan", "head")
    page = head.get("/cakupan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and ">Baciro<" in html
    assert 'name="berkas"' not in html and "Buat penyisiran" not in html
    # Refused the house way: back home with a message (403 for a script's request).
    refused = _upload(head, GOOD)
    assert refused.status_code == 302 and refused.headers["Location"] == "/"
    res = head.post("/cakupan/penyisiran", data={"jumlah": "1"}, headers=JSON)
    assert res.status_code == 403
    lead = yapp.test_client()
    res = lead.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    assert res.status_code == 302
    assert lead.get("/cakupan", headers=JSON).status_code == 403
    res = lead.get("/cakupan", follow_redirects=True)
    assert "Anda tidak berhak membuka halaman itu." in res.get_data(as_text=True)
    assert "Cakupan perekaman" not in res.get_data(as_text=True)
    assert _imports() == 1
    assert (
        not get_session()
        .scalars(select(models.ServiceRequest).where(models.ServiceRequest.channel == "sweep"))
        .all()
    )
