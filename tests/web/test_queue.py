"""The coordinator's queue page: pages, filters, sort, bulk verify; searches stay out of URLs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from outreach import models
from outreach.db import get_session
from tests.intake.yogya import COORDINATOR, nik_for, yogya_app
from tests.web.html_forms import form_fields

QUEUE = "/koordinator/antrean"
BULK = "/koordinator/antrean/verifikasi"
SEMAKI = "34.71.13.1001"
BACIRO = "34.71.03.1004"
NIK = nik_for(serial=42)
PHONE = "+6281234500042"


def add(code: str, hours_ago: int, kelurahan: str = SEMAKI, **fields: object) -> int:
    """A request placed on the map in ``kelurahan`` (committed); returns its id."""
    session = get_session()
    office = session.scalar(select(models.Office))
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == kelurahan))
    assert office is not None and kel is not None
    values: dict[str, object] = {
        "category": "lansia",
        "lon": kel.rep_lon + 0.0003,
        "lat": kel.rep_lat,
        "location_source": "map",
        "rw": "007",
    }
    values.update(fields)
    req = models.ServiceRequest(
        tracking_code=code,
        office_id=office.id,
        person_name=f"Warga {code}",
        kecamatan_id=kel.kecamatan_id,
        kelurahan_id=kel.id,
        created_at=models.utcnow() - dt.timedelta(hours=hours_ago),
        **values,
    )
    session.add(req)
    session.commit()
    return req.id


def shown(page: str) -> list[str]:
    """Tracking codes of the queue's rows, in order."""
    return re.findall(
        r'<tr data-request-id="\d+">\s*<td[^>]*>.*?class="code-inline">([^<]+)<', page, re.S
    )


def text(res: TestResponse) -> str:
    return res.get_data(as_text=True)


def urls_in(page: str) -> list[str]:
    """Every URL the page could put in an address bar, history or a Referer."""
    return re.findall(r'(?:href|action|src|formaction)="([^"]*)"', page)


def test_pages_of_fifty_with_a_count(staff_client: FlaskClient) -> None:
    for i in range(120):
        add(f"R{i:03d}", 200 - i)  # R000 is the oldest
    first = text(staff_client.get(QUEUE + "?urut=terlama"))
    assert "Menampilkan 1–50 dari 120 permohonan" in first
    assert shown(first)[:2] == ["R000", "R001"] and len(shown(first)) == 50
    assert 'name="halaman" value="2"' in first and "Berikutnya" in first
    assert "Sebelumnya" not in first
    # The pager posts the filter form with the page number.
    data = form_fields(first, QUEUE)
    second = text(staff_client.post(QUEUE, data={**data, "halaman": "2"}))
    assert "Menampilkan 51–100 dari 120 permohonan" in second
    assert shown(second)[0] == "R050" and "Sebelumnya" in second
    third = text(staff_client.get(QUEUE + "?urut=terlama&halaman=3"))
    assert "Menampilkan 101–120 dari 120 permohonan" in third
    assert shown(third)[-1] == "R119" and "Berikutnya" not in third
    # Every request is on exactly one page.
    every = [c for n in (1, 2, 3) for c in shown(text(staff_client.get(f"{QUEUE}?halaman={n}")))]
    assert len(every) == len(set(every)) == 120
    # A bad page number is the first or last page, never an error.
    for bad in ("abc", "-3", "0", "99999999999999999999"):
        res = staff_client.get(f"{QUEUE}?halaman={bad}")
        assert res.status_code == 200, bad
    assert "Menampilkan 101–120" in text(staff_client.get(QUEUE + "?halaman=7"))


def test_each_filter(staff_client: FlaskClient) -> None:
    add("LANSIA", 10)
    add("SAKIT", 9, category="sakit")
    add("WA", 8, channel="whatsapp")
    add("DUP", 7, flags=["kemungkinan_duplikat"])
    add("VER", 6, status="terverifikasi")
    add("BAC", 5, kelurahan=BACIRO, rw="002")
    add("RW3", 4, rw="003")

    def codes(query: str) -> set[str]:
        res = staff_client.get(f"{QUEUE}?{query}")
        assert res.status_code == 200
        return set(shown(text(res)))

    assert codes("") == {"LANSIA", "SAKIT", "WA", "DUP", "BAC", "RW3"}  # status baru
    assert codes("kategori=sakit") == {"SAKIT"}
    assert codes("kanal=whatsapp") == {"WA"}
    assert codes("tanda=kemungkinan_duplikat") == {"DUP"}
    assert codes("status=terverifikasi") == {"VER"}
    assert codes("status=terbuka") == codes("") | {"VER"}
    assert codes("kecamatan=34.71.03") == {"BAC"}
    assert codes(f"kelurahan={SEMAKI}") == {"LANSIA", "SAKIT", "WA", "DUP", "RW3"}
    assert codes("kecamatan=34.71.13&rw=3") == {"RW3"}
    assert codes("rw=002") == {"BAC"}
    # The kelurahan list is grouped by kecamatan; other kecamatan's groups are hidden.
    page = text(staff_client.get(f"{QUEUE}?kecamatan=34.71.03"))
    assert re.search(r'<optgroup label="Umbulharjo" data-kecamatan-code="34.71.13" hidden', page)
    assert re.search(r'<optgroup label="Gondokusuman" data-kecamatan-code="34.71.03">', page)
    # Unknown values are "any"; nothing breaks.
    for bad in ("kategori=x", "kanal=<b>", "tanda=%27", "kecamatan=99", "rw=abc", "urut=z"):
        assert codes(bad) == codes(""), bad
    # The same filters posted work the same.
    res = staff_client.post(QUEUE, data={"status": "baru", "kategori": "sakit"})
    assert set(shown(text(res))) == {"SAKIT"}


def test_sort_by_priority_or_age(staff_client: FlaskClient) -> None:
    add("OLD-LANSIA", 24 * 80)  # 40 + 25 for waiting
    add("NEW-SAKIT", 2, category="sakit")  # 60
    add("NEW-DARURAT", 1, category="darurat")  # 90
    add("MID-LANSIA", 24 * 3)  # 40 + 1
    page = text(staff_client.get(QUEUE))
    assert shown(page) == ["NEW-DARURAT", "OLD-LANSIA", "NEW-SAKIT", "MID-LANSIA"]
    assert re.findall(r"<td class=\"num\" data-priority>(\d+)</td>", page) == [
        "90",
        "65",
        "60",
        "41",
    ]
    assert "menunggu 80 hari" in page
    oldest = shown(text(staff_client.get(QUEUE + "?urut=terlama")))
    assert oldest == ["OLD-LANSIA", "MID-LANSIA", "NEW-SAKIT", "NEW-DARURAT"]
    newest = shown(text(staff_client.get(QUEUE + "?urut=terbaru")))
    assert newest == list(reversed(oldest))


def test_bulk_verify_some_and_report_the_rest(staff_client: FlaskClient) -> None:
    ok1 = add("OK1", 5)
    ok2 = add("OK2", 4)
    kel = add("KEL", 3, location_source="kelurahan", flags=["lokasi_perlu_konfirmasi"])
    dup = add("DUP", 2, flags=["kemungkinan_duplikat"])
    untouched = add("SKIP", 1)
    page = text(staff_client.get(QUEUE + "?urut=terlama"))
    assert f'name="pilih" value="{ok1}"' in page
    data = form_fields(page, BULK)
    data["pilih"] = [str(ok1), str(ok2), str(kel), str(dup)]
    res = staff_client.post(BULK, data=data)
    assert res.status_code == 200
    body = text(res)
    assert "2 permohonan terverifikasi" in body
    assert "2 permohonan tidak diverifikasi dan tetap seperti semula" in body
    refused = re.search(r'<ul class="refused">(.*?)</ul>', body, re.S)
    assert refused is not None
    assert "KEL" in refused.group(1) and "Lokasi belum dikonfirmasi" in refused.group(1)
    assert "DUP" in refused.group(1) and "Kemungkinan duplikat" in refused.group(1)
    # The queue is shown again with the same filters: the verified ones left "baru".
    assert shown(body) == ["KEL", "DUP", "SKIP"]
    session = get_session()
    session.expire_all()
    status = {
        r.tracking_code: r.status for r in session.scalars(select(models.ServiceRequest)).all()
    }
    assert status == {
        "OK1": "terverifikasi",
        "OK2": "terverifikasi",
        "KEL": "baru",
        "DUP": "baru",
        "SKIP": "baru",
    }
    events = session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.action == "request.verify")
    ).all()
    assert sorted(e.entity_id or 0 for e in events) == sorted([ok1, ok2])
    assert all(e.actor.startswith("user:") for e in events)
    assert untouched not in {e.entity_id for e in events}


def test_bulk_verify_bad_input(staff_client: FlaskClient) -> None:
    add("A", 1)
    res = staff_client.post(BULK, data={"status": "baru"})
    assert res.status_code == 400
    assert "Centang paling sedikit satu permohonan" in text(res)
    assert shown(text(res)) == ["A"]
    res = staff_client.post(BULK, data={"pilih": ["x", "-1"]})
    assert res.status_code == 400
    res = staff_client.post(BULK, data={"pilih": ["999999"]})
    assert res.status_code == 200 and "1 permohonan tidak ditemukan" in text(res)
    assert staff_client.get(BULK).status_code == 405


def test_bulk_verify_needs_a_csrf_token(tmp_path: Path, yogya_template: Path) -> None:
    app: Flask = yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        login = text(client.get("/auth/masuk"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token is not None
        res = client.post(
            "/auth/masuk",
            data={"username": COORDINATOR[0], "password": COORDINATOR[1], "csrf_token": token[1]},
        )
        assert res.status_code == 302
        request_id = add("CSRF", 1)
        assert client.post(BULK, data={"pilih": str(request_id)}).status_code == 400
        page = text(client.get(QUEUE))
        data = form_fields(page, BULK)
        data["pilih"] = str(request_id)
        assert "1 permohonan terverifikasi" in text(client.post(BULK, data=data))
    app.extensions["outreach_engine"].dispose()


def test_search_by_nik_is_posted_only_and_never_in_a_url(staff_client: FlaskClient) -> None:
    for i in range(60):
        add(f"N{i:02d}", 100 - i, nik=NIK if i in {5, 55} else None, phone=PHONE)
    # Typed into a URL: ignored (not searched, not echoed).
    typed = text(staff_client.get(f"{QUEUE}?q={NIK}&status=semua"))
    assert NIK not in typed and "dari 60 permohonan" in typed
    # Posted: found, and the NIK appears only as the search box's value.
    found = text(staff_client.post(QUEUE, data={"status": "baru", "q": NIK, "urut": "terlama"}))
    assert shown(found) == ["N05", "N55"]
    assert found.count(NIK) == 2  # the search box and the bulk form's hidden field
    assert f'<input name="q" value="{NIK}"' in found
    assert f'<input type="hidden" name="q" value="{NIK}">' in found
    for page in (typed, found):
        for url in urls_in(page):
            assert NIK not in url and "q=" not in url and "6281234500042" not in url, url
    # Paging and bulk verify carry the search in the POST body, and the page stays clean.
    search = text(staff_client.post(QUEUE, data={"q": "Warga N", "urut": "terlama"}))
    assert "dari 60 permohonan" in search
    data = form_fields(search, QUEUE)
    assert data["q"] == "Warga N"
    second = text(staff_client.post(QUEUE, data={**data, "halaman": "2"}))
    assert "Menampilkan 51–60 dari 60 permohonan" in second
    bulk = form_fields(found, BULK)
    assert bulk["q"] == NIK
    ids = re.findall(r'name="pilih" value="(\d+)"', found)
    res = staff_client.post(BULK, data={**bulk, "pilih": ids})
    assert res.status_code == 200 and "Location" not in res.headers
    after = text(res)
    assert "2 permohonan terverifikasi" in after
    # The search looks through every status: the two are still found, now verified.
    assert shown(after) == ["N05", "N55"]
    assert "Pencarian mencakup semua status" in after
    for url in urls_in(after):
        assert NIK not in url, url


def test_links_to_a_filtered_queue_keep_working(staff_client: FlaskClient) -> None:
    """Links from elsewhere (dashboard) may carry the filters other than the search."""
    add("A", 2, category="sakit")
    res = staff_client.get(
        f"{QUEUE}?status=baru&kategori=sakit&kecamatan=34.71.13&kelurahan={SEMAKI}&rw=7&urut=terbaru&halaman=1"
    )
    assert res.status_code == 200 and shown(text(res)) == ["A"]
    page = text(res)
    assert '<option value="sakit" selected>' in page
    assert 'name="rw" value="007"' in page


def test_the_dashboards_deadline_and_waiting_links_filter(staff_client: FlaskClient) -> None:
    today = dt.date.today()
    add("JB-DUE", 2, deadline=today + dt.timedelta(days=1))
    add("JB-LATER", 1, deadline=today + dt.timedelta(days=30))
    add("JB-OLD", 24 * 20)
    due = text(staff_client.get("/koordinator/antrean?status=terbuka&tenggat=3"))
    assert shown(due) == ["JB-DUE"] and "Tenggat dalam 3 hari" in due
    old = text(staff_client.get("/koordinator/antrean?status=terbuka&menunggu=15"))
    assert shown(old) == ["JB-OLD"] and "Menunggu sekurang-kurangnya 15 hari" in old
