"""The dashboard page (/koordinator/) and the monthly report as a page, PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.web.mapping_data import office_today
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import SEMAKI, schedule_visit, staff_client, yapp, yclient, yogya_template
from tests.render.test_dashboard import record_sample_outcomes

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

NOVEMBER = "2026-11"


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


def _request(code: str, **fields: object) -> models.ServiceRequest:
    session = get_session()
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    values: dict[str, object] = {
        "category": "sakit",
        "services": ["perekaman_ktp"],
        "lon": 110.39,
        "lat": -7.80,
        "location_source": "map",
        "location_confirmed": True,
        **fields,
    }
    row = models.ServiceRequest(
        tracking_code=code,
        office_id=_office().id,
        person_name=f"Warga {code}",
        kelurahan_id=kel.id,
        kecamatan_id=kel.kecamatan_id,
        **values,
    )
    session.add(row)
    session.flush()
    return row


def _login(app: Flask, username: str, password: str = "rahasia-123") -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302
    return client


def test_dashboard_renders_counts_attention_routes_and_charts(
    yapp: Flask, staff_client: FlaskClient
) -> None:
    session = get_session()
    today = office_today(_office())
    _request("JB-W1", created_at=dt.datetime.now() - dt.timedelta(days=20))
    _request("JB-D1", flags=["kemungkinan_duplikat"])
    _request("JB-<b>", location_source="kelurahan", location_confirmed=False)
    visit = _request("JB-V1", status="terverifikasi")
    schedule_visit(session, visit, day=today, arrival=dt.time(9, 0))
    session.commit()
    res = staff_client.get("/koordinator/")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "Dasbor koordinator" in html and "Perlu perhatian" in html
    # Two server-drawn charts, each with its numbers as a table one click away.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 2
    assert html.count("<summary>Tabel angka</summary>") == 2
    assert "Umbulharjo" in html
    # Attention items link to the filtered queue.
    assert "/koordinator/antrean?status=terbuka&amp;tanda=kemungkinan_duplikat" in html
    assert "/koordinator/antrean?status=terbuka&amp;menunggu=15&amp;urut=terlama" in html
    assert "JB-W1" in html and "JB-D1" in html
    assert "JB-&lt;b&gt;" in html and "JB-<b>" not in html
    # Today's route with its progress.
    assert f"Tim {visit.id}" in html and "dikunjungi 0 / 1" in html
    # The intake tools are still there, and the report for those allowed.
    for link in ("/koordinator/antrean", "/koordinator/whatsapp", "/koordinator/laporan"):
        assert f'href="{link}' in html


def test_dashboard_without_routes_today(staff_client: FlaskClient) -> None:
    html = staff_client.get("/koordinator/").get_data(as_text=True)
    assert "Tidak ada rute yang disetujui untuk hari ini." in html
    assert "Tidak ada data" in html  # the empty bar chart says so


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    built = build_field_day(get_session(), travel_for(yapp))
    session = get_session()
    for row in session.scalars(select(models.ServiceRequest)):
        row.created_at = dt.datetime(2026, 11, 10, 2, 0)
    session.commit()
    record_sample_outcomes(session, built)
    return built


def test_report_page(day: FieldDay, staff_client: FlaskClient) -> None:
    res = staff_client.get(f"/koordinator/laporan?bulan={NOVEMBER}")
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "private, no-store"
    html = res.get_data(as_text=True)
    assert "Laporan jemput bola November 2026" in html
    assert re.search(r"Orang dilayani \(direkam\)</th><td class=\"n\">4<", html)
    assert re.search(r"<td>Umbulharjo</td><td class=\"n\">2</td><td class=\"n\">4</td>", html)
    assert "Tidak di rumah" in html and "Menolak" in html
    assert f"/koordinator/laporan.pdf?bulan={NOVEMBER}" in html
    assert f"/koordinator/laporan.xlsx?bulan={NOVEMBER}" in html


def test_report_without_month_is_this_month(staff_client: FlaskClient) -> None:
    html = staff_client.get("/koordinator/laporan").get_data(as_text=True)
    today = office_today(_office())
    assert f'value="{today:%Y-%m}"' in html
    assert "bulan masih berjalan" in html


def test_report_pdf(day: FieldDay, staff_client: FlaskClient) -> None:
    res = staff_client.get(f"/koordinator/laporan.pdf?bulan={NOVEMBER}")
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert 'filename="laporan-2026-11.pdf"' in res.headers["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(res.data)).pages)
    assert "Laporan jemput bola November 2026" in text
    assert "Disdukcapil Kota Yogyakarta" in text
    assert "Umbulharjo" in text and "Tim Mawar" in text
    assert "Orang dilayani (direkam)" in text


def test_report_xlsx(day: FieldDay, staff_client: FlaskClient) -> None:
    res = staff_client.get(f"/koordinator/laporan.xlsx?bulan={NOVEMBER}")
    assert res.status_code == 200
    assert res.mimetype.endswith("spreadsheetml.sheet")
    assert 'attachment; filename="laporan-2026-11.xlsx"' in res.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(res.data))
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True) if row}
    assert summary["Kunjungan dilakukan"] == 4 and summary["Orang dilayani (direkam)"] == 4
    teams = {row[0]: row for row in book["Per tim"].iter_rows(min_row=2, values_only=True)}
    assert sum(int(str(row[1])) for row in teams.values()) == 4


@pytest.mark.parametrize(
    "path", ["/koordinator/laporan", "/koordinator/laporan.pdf", "/koordinator/laporan.xlsx"]
)
@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "Bulan tidak valid: tulis sebagai TTTT-BB"),
        ("nov-2026", "Bulan tidak valid"),
        ("2999-01", "belum berjalan"),
    ],
)
def test_bad_month_is_400_in_indonesian(
    staff_client: FlaskClient, path: str, month: str, message: str
) -> None:
    res = staff_client.get(path, query_string={"bulan": month})
    assert res.status_code == 400
    assert message in res.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/koordinator/", "/koordinator/laporan", "/koordinator/laporan.pdf"]
)
def test_team_leads_and_strangers_are_kept_out(yapp: Flask, yclient: FlaskClient, url: str) -> None:
    res = yclient.get(url)
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]
    lead = _login(yapp, "ketua_tim")
    res = lead.get(url)
    assert res.status_code == 302 and "/auth/masuk" not in res.headers["Location"]


def test_report_views_declare_reports_view(yapp: Flask) -> None:
    for endpoint in ("coordinator.report", "coordinator.report_pdf", "coordinator.report_download"):
        assert yapp.view_functions[endpoint].permission == "reports.view"  # type: ignore[attr-defined]


def test_a_bad_month_keeps_the_report_form_with_the_reason(staff_client: FlaskClient) -> None:
    res = staff_client.get("/koordinator/laporan", query_string={"bulan": "nov-2026"})
    page = res.get_data(as_text=True)
    assert res.status_code == 400
    assert 'id="bulan-error"' in page and "Bulan tidak valid" in page
    assert 'value="nov-2026"' in page  # what was typed, to correct it
    assert "Laporan jemput bola" in page  # the page itself, not the generic error page
