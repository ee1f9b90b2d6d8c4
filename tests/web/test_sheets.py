"""Route sheet pages (/lembar): the HTML print view, one route's PDF, the day's PDF ("Cetak
semua"), who may print what, and what the paper never shows (read back with pypdf)."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.planning.service import create_plan
from tests.field_day import (
    DAY,
    LETTER_NIKS,
    NIK,
    PASSWORD,
    PHONE,
    FieldDay,
    build_field_day,
    travel_for,
)
from tests.intake.yogya import COORDINATOR

TEAMS = ("Tim Mawar", "Tim Melati")
CODES = [f"JB-F{i:03d}" for i in range(1, 7)] + ["JB-F100"]
DAY_URL = f"/lembar/hari/{DAY.isoformat()}.pdf"


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def signed_in(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def route_of(team_id: int) -> models.Route:
    route = get_session().scalar(
        select(models.Route).where(models.Route.team_id == team_id, models.Route.approved)
    )
    assert route is not None
    return route


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def assert_nothing_personal(text: str) -> None:
    digits = re.sub(r"[\s.-]", "", text)
    assert not re.search(r"\d{16}", digits), "a whole NIK on paper"
    assert NIK not in digits and not any(n in digits for n in LETTER_NIKS)
    for phone in (PHONE, PHONE[1:], "0" + PHONE[3:], "+6281298765432", "081298765432"):
        assert phone not in digits, "a whole phone number on paper"


def test_day_pdf_has_each_team_from_a_new_page(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, *COORDINATOR)
    res = client.get(DAY_URL)
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.headers["Cache-Control"] == "private, no-store"
    assert "lembar-rute-2026-11-23-semua-tim.pdf" in res.headers["Content-Disposition"]
    texts = pages(res.data)
    # Page headers name one team each; a team's pages are numbered 1..N on their own.
    owners = []
    for text in texts:
        named = [t for t in TEAMS if f"{t}: {t} Satu" in text]
        assert len(named) == 1, text[:300]
        owners.append(named[0])
    assert owners == sorted(owners)  # contiguous, by team name
    for team in TEAMS:
        own = [t for t, o in zip(texts, owners, strict=True) if o == team]
        assert f"Lembar Rute {team}" in own[0]
        assert all(f"Lembar Rute {team}" not in t for t in own[1:])
        total = len(own)
        for k, text in enumerate(own, start=1):
            assert f"Hal. {k}/{total}" in text
        assert "Senin, 23 November 2026" in own[0]
        assert "Disdukcapil Kota Yogyakarta" in own[0] and "Jl. Kenari No. 56" in own[0]
    whole = "\n".join(texts)
    for code in CODES:
        assert whole.count(code) == 1, code
    assert_nothing_personal(whole)
    # What the team needs at the door and brings back.
    for needed in (
        "gang sempit, motor saja",
        "dekat masjid",
        "Ibu Pendamping",
        "RT 3 / RW 7",
        "Kel. Semaki",
        "Daftar hadir",
        "Peserta 4",
        "Tidak di rumah",
        "Pindah alamat",
        "Meninggal",
        "Tanda tangan",
        "Catatan",
        "Tiba kembali di kantor",
    ):
        assert needed in whole, needed


def test_route_html_is_the_print_view_without_the_app_nav(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, *COORDINATOR)
    route = route_of(day.team_ids["Tim Melati"])
    res = client.get(f"/lembar/rute/{route.id}")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "private, no-store"
    html = res.get_data(as_text=True)
    assert 'class="topbar"' not in html  # no app navigation on paper
    assert 'id="cetak"' in html and f'href="/lembar/rute/{route.id}.pdf"' in html
    assert f'href="/rencana/{route.plan_id}"' in html
    assert "@page" in html and "counter(pages)" in html and "string-set" in html
    assert f"http://localhost/lapangan/?route={route.id}" in html  # what the QR opens
    for row in route.stops:
        assert row.request.tracking_code in html
    assert_nothing_personal(re.sub(r"<svg.*?</svg>", "", html, flags=re.S))
    pdf = client.get(f"/lembar/rute/{route.id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "private, no-store"
    assert "tim-melati" in pdf.headers["Content-Disposition"]
    texts = pages(pdf.data)
    assert "Lembar Rute Tim Melati" in texts[0] and "Tim Mawar" not in "".join(texts)


def test_public_url_goes_on_paper(yapp: Flask, day: FieldDay) -> None:
    yapp.config["PUBLIC_URL"] = "https://jemputbola.example.go.id/"
    client = signed_in(yapp, *COORDINATOR)
    route = route_of(day.team_ids["Tim Mawar"])
    html = client.get(f"/lembar/rute/{route.id}").get_data(as_text=True)
    assert f"https://jemputbola.example.go.id/lapangan/?route={route.id}" in html


def test_team_lead_prints_only_their_own_team(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, "ketua.mawar")
    own = route_of(day.team_ids["Tim Mawar"])
    other = route_of(day.team_ids["Tim Melati"])
    assert client.get(f"/lembar/rute/{own.id}").status_code == 200
    assert client.get(f"/lembar/rute/{own.id}.pdf").status_code == 200
    for url in (f"/lembar/rute/{other.id}", f"/lembar/rute/{other.id}.pdf"):
        res = client.get(url)
        assert res.status_code == 404 and "tidak ditemukan" in res.get_data(as_text=True)
    texts = pages(client.get(DAY_URL).data)
    assert texts and all("Tim Mawar: " in t and "Tim Melati" not in t for t in texts)
    # A team lead without a team prints nothing.
    assert signed_in(yapp, "ketua_tim").get(DAY_URL).status_code == 404


def test_anonymous_is_asked_to_sign_in(yapp: Flask, day: FieldDay) -> None:
    route = route_of(day.team_ids["Tim Mawar"])
    for url in (f"/lembar/rute/{route.id}", f"/lembar/rute/{route.id}.pdf", DAY_URL):
        res = yapp.test_client().get(url)
        assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]


def test_day_without_routes_and_bad_input(yapp: Flask, day: FieldDay) -> None:
    client = signed_in(yapp, *COORDINATOR)
    none = client.get("/lembar/hari/2026-11-24.pdf")
    assert none.status_code == 404
    assert "Tidak ada rute yang disetujui pada Selasa, 24 November 2026" in none.get_data(
        as_text=True
    )
    for url in ("/lembar/hari/2026-13-40.pdf", "/lembar/hari/besok.pdf", DAY_URL + "?plan=abc"):
        res = client.get(url)
        assert res.status_code == 400 and "tidak valid" in res.get_data(as_text=True), url
    assert client.get("/lembar/rute/99999").status_code == 404


def test_a_draft_plan_prints_for_the_coordinator(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    draft = create_plan(session, travel_for(yapp), start_date=DAY, days=1, office=office)
    session.commit()
    res = signed_in(yapp, *COORDINATOR).get(f"{DAY_URL}?plan={draft.id}")
    assert res.status_code == 200
    whole = "\n".join(pages(res.data))
    assert all(code in whole for code in CODES)
    lead = signed_in(yapp, "ketua.mawar")
    assert lead.get(f"{DAY_URL}?plan={draft.id}").status_code == 404
    draft_route = next(r for r in draft.routes if r.team_id == day.team_ids["Tim Mawar"])
    assert lead.get(f"/lembar/rute/{draft_route.id}").status_code == 404


def test_a_route_replaced_by_another_plan_says_so_on_the_plan_page_and_paper(
    yapp: Flask, day: FieldDay
) -> None:
    # The state approve_plan leaves when a later plan replaces one day of a longer approved
    # plan: the plan stays approved, that day's routes are withdrawn.
    session = get_session()
    old = route_of(day.team_ids["Tim Mawar"])
    kept = route_of(day.team_ids["Tim Melati"])
    old.approved = False
    session.commit()
    client = signed_in(yapp, *COORDINATOR)
    page = client.get(f"/rencana/{day.plan_id}").get_data(as_text=True)
    assert f'data-withdrawn="{old.id}"' in page and "Diganti rencana lain" in page
    assert f'/lembar/rute/{old.id}"' not in page  # no print link for it
    assert f'/lembar/rute/{kept.id}"' in page
    sheet = client.get(f"/lembar/rute/{old.id}").get_data(as_text=True)
    assert "DIGANTI: rute ini sudah diganti rencana lain" in sheet
    assert "DIGANTI" not in client.get(f"/lembar/rute/{kept.id}").get_data(as_text=True)
    # A draft's sheet says it is a draft.
    office = session.scalar(select(models.Office))
    draft = create_plan(
        session, travel_for(yapp), start_date=DAY, days=1, office=office, keep_approved=False
    )
    session.commit()
    draft_sheet = client.get(f"/lembar/rute/{draft.routes[0].id}").get_data(as_text=True)
    assert "DRAF: rute ini belum disetujui" in draft_sheet
