"""Coordinator pages through the test client: access, queue, verify, reject, merge, WhatsApp."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from tests.intake.yogya import SEMAKI, form_data, nik_for
from tests.web.html_forms import form_fields


def submit(client: FlaskClient, **changes: object) -> models.ServiceRequest:
    res = client.post("/layanan/", data=form_data(**changes))
    assert res.status_code == 303, res.get_data(as_text=True)
    code = res.headers["Location"].rsplit("/", 1)[1]
    req = get_session().scalar(
        select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == code)
    )
    assert req is not None
    return req


def coordinator_urls(app: Flask) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/koordinator"):
            url = re.sub(r"<int:\w+>", "1", rule.rule)
            urls.append(re.sub(r"<\w+>", "xlsx", url))
    return sorted(set(urls))


def test_every_coordinator_page_needs_sign_in(yapp: Flask, yclient: FlaskClient) -> None:
    urls = coordinator_urls(yapp)
    assert len(urls) >= 10
    for url in urls:
        for method in ("get", "post"):
            res = getattr(yclient, method)(url)
            if res.status_code == 405:
                continue
            assert res.status_code == 302, (method, url)
            assert "/auth/masuk" in res.headers["Location"]


def test_team_leads_are_turned_away(yclient: FlaskClient) -> None:
    yclient.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    res = yclient.get("/koordinator/antrean")
    assert res.status_code == 302 and "/koordinator" not in res.headers["Location"]


def test_queue_shows_new_requests_with_flags(staff_client: FlaskClient) -> None:
    req = submit(staff_client, nik=nik_for(kec="340401"))  # NIK from Sleman
    page = staff_client.get("/koordinator/antrean").get_data(as_text=True)
    assert req.tracking_code in page and "NIK dari luar wilayah" in page
    assert "Lokasi perlu dikonfirmasi" in page
    flagged = staff_client.get("/koordinator/antrean?tanda=kemungkinan_duplikat")
    assert req.tracking_code not in flagged.get_data(as_text=True)
    # A search (by NIK here) is posted: it never reaches a URL.
    found = staff_client.post("/koordinator/antrean", data={"status": "semua", "q": req.nik})
    assert req.tracking_code in found.get_data(as_text=True)
    page = staff_client.get("/koordinator/antrean").get_data(as_text=True)
    assert '<form method="post" class="form queue-filters"' in page
    # A NIK in a hand-typed query string is not searched either.
    typed = staff_client.get(f"/koordinator/antrean?status=semua&q={req.nik}")
    assert f'value="{req.nik}"' not in typed.get_data(as_text=True)


def test_detail_shows_nik_and_phone_whole(staff_client: FlaskClient) -> None:
    req = submit(staff_client)
    page = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert nik_for() in page and "+6281234567890" in page


def test_verify_after_fixing_the_location(staff_client: FlaskClient) -> None:
    req = submit(staff_client)
    res = staff_client.post(f"/koordinator/permohonan/{req.id}/verifikasi")
    assert res.status_code == 303
    page = staff_client.get(res.headers["Location"]).get_data(as_text=True)
    assert "titik kelurahan" in page
    get_session().refresh(req)
    assert req.status == "baru"
    kel = get_session().scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    edit = form_data(
        lon=f"{kel.rep_lon + 0.0004:.6f}", lat=f"{kel.rep_lat:.6f}", location_source="map"
    )
    edit["notes"] = "Dikonfirmasi lewat telepon."
    assert staff_client.post(f"/koordinator/permohonan/{req.id}", data=edit).status_code == 303
    res = staff_client.post(f"/koordinator/permohonan/{req.id}/verifikasi")
    get_session().refresh(req)
    assert req.status == "terverifikasi" and req.location_confirmed
    assert req.notes == "Dikonfirmasi lewat telepon."


def test_verify_with_the_kelurahan_point(staff_client: FlaskClient) -> None:
    req = submit(staff_client)
    staff_client.post(
        f"/koordinator/permohonan/{req.id}/verifikasi", data={"terima_titik_kelurahan": "ya"}
    )
    get_session().refresh(req)
    assert req.status == "terverifikasi"


def test_edit_with_errors_rerenders_400(staff_client: FlaskClient) -> None:
    req = submit(staff_client)
    res = staff_client.post(f"/koordinator/permohonan/{req.id}", data=form_data(nik="12"))
    assert res.status_code == 400 and "NIK harus 16 angka." in res.get_data(as_text=True)
    get_session().refresh(req)
    assert req.nik == nik_for()


def test_reject_with_reason_shows_on_status_page(staff_client: FlaskClient) -> None:
    req = submit(staff_client)
    staff_client.post(f"/koordinator/permohonan/{req.id}/tolak", data={"alasan": ""})
    get_session().refresh(req)
    assert req.status == "baru"
    staff_client.post(
        f"/koordinator/permohonan/{req.id}/tolak",
        data={"alasan": "Sudah merekam KTP-el di kecamatan."},
    )
    get_session().refresh(req)
    assert req.status == "ditolak"
    status = staff_client.post(
        "/layanan/status", data={"kode": req.tracking_code, "hp4": "7890"}
    ).get_data(as_text=True)
    assert "Ditolak" in status and "Sudah merekam KTP-el di kecamatan." in status


def test_merge_duplicates(staff_client: FlaskClient) -> None:
    first = submit(staff_client)
    second = submit(staff_client, services=["perekaman_ktp", "kk"], rt="4")
    assert "kemungkinan_duplikat" in second.flags
    page = staff_client.get(f"/koordinator/permohonan/{second.id}").get_data(as_text=True)
    assert first.tracking_code in page and "NIK sama" in page
    res = staff_client.post(
        f"/koordinator/permohonan/{second.id}/gabung", data={"dengan": first.id}
    )
    assert res.headers["Location"].endswith(f"/koordinator/permohonan/{first.id}")
    session = get_session()
    session.refresh(first)
    session.refresh(second)
    assert second.status == "digabung" and second.merged_into_id == first.id
    assert first.services == ["kk", "perekaman_ktp"]
    # The newer code still opens the status page, showing the kept request's status.
    status = staff_client.post(
        "/layanan/status", data={"kode": second.tracking_code, "hp4": "7890"}
    )
    assert "digabung dengan permohonan lain" in status.get_data(as_text=True)


WA_MESSAGE = """Selamat siang pak, mau daftar jemput bola
Nama : Bapak Harjono
Nik: {nik}
alamat= Jl. Kenari No. 20 RT 5 RW 8
Kel : Semaki
No. WA : 0813-2222-4444
Keperluan : rekam ktp
Ket : lumpuh sejak jatuh
Bisa dikunjungi: sabtu pagi"""


def test_whatsapp_paste_then_confirm(staff_client: FlaskClient) -> None:
    nik = nik_for(female=False, serial=77)
    res = staff_client.post("/koordinator/whatsapp", data={"pesan": WA_MESSAGE.format(nik=nik)})
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    assert 'value="Bapak Harjono"' in page and f'value="{nik}"' in page
    assert 'value="0813-2222-4444"' in page and "Selamat siang" in page  # unread line shown
    assert re.search(rf'value="{SEMAKI}"[^>]*selected', page)
    assert re.search(r'name="avail-0-days" value="5"[^>]*checked', page)
    assert 'name="channel" value="whatsapp"' in page
    # The coordinator checks, ticks consent and confirms the pre-filled form.
    data = form_fields(page, "/koordinator/permohonan/baru")
    data["consent"] = "ya"
    saved = staff_client.post("/koordinator/permohonan/baru", data=data)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None
    assert (req.channel, req.person_name, req.nik, req.phone) == (
        "whatsapp",
        "Bapak Harjono",
        nik,
        "+6281322224444",
    )
    assert (req.rt, req.rw, req.category, req.services) == (
        "005",
        "008",
        "disabilitas",
        ["perekaman_ktp"],
    )
    assert req.availability == [{"days": [5], "start": "08:00", "end": "11:00"}]


def test_whatsapp_without_consent_is_not_saved(staff_client: FlaskClient) -> None:
    page = staff_client.post(
        "/koordinator/whatsapp", data={"pesan": WA_MESSAGE.format(nik=nik_for())}
    ).get_data(as_text=True)
    res = staff_client.post(
        "/koordinator/permohonan/baru", data=form_fields(page, "/koordinator/permohonan/baru")
    )
    assert res.status_code == 400 and "Persetujuan" in res.get_data(as_text=True)
    assert get_session().scalar(select(models.ServiceRequest)) is None


def test_empty_message(staff_client: FlaskClient) -> None:
    assert staff_client.post("/koordinator/whatsapp", data={"pesan": " "}).status_code == 400


@pytest.mark.parametrize("url", ["/koordinator/", "/koordinator/permohonan/baru"])
def test_pages_render(staff_client: FlaskClient, url: str) -> None:
    assert staff_client.get(url).status_code == 200
