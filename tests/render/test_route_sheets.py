"""Route sheets in the domain: the static route map, the QR code, what a sheet shows, which
routes may be printed, and WeasyPrint PDFs (read back with pypdf)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.errors import NotFoundError
from outreach.planning.service import create_plan
from outreach.render.route_image import MapStop, RoadLine, route_bounds, route_map_svg
from outreach.render.sheets import (
    build_route_sheet,
    css_string,
    load_road_lines,
    printable_route,
    printable_routes,
    qr_svg,
    render_pdf,
    render_pdfs,
)
from tests.field_day import DAY, LETTER_NIKS, NIK, PHONE, FieldDay, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_template

__all__ = ["yapp", "yogya_template"]

SVG = "{http://www.w3.org/2000/svg}"
OFFICE = (110.3905, -7.8002)
STOPS = [
    MapStop("1", 110.3960, -7.7960),
    MapStop("2", 110.3990, -7.8040),
    MapStop("3", 110.3850, -7.8060),
]
LEGS = [
    [[110.3905, -7.8002], [110.3930, -7.7990], [110.3960, -7.7960]],
    [[110.3960, -7.7960], [110.3990, -7.8000], [110.3990, -7.8040]],
    [[110.3990, -7.8040], [110.3900, -7.8060], [110.3850, -7.8060]],
]
BACK = [[110.3850, -7.8060], [110.3880, -7.8030], [110.3905, -7.8002]]
ROADS = [
    RoadLine("lokal", ((110.388, -7.802), (110.398, -7.802))),
    RoadLine("utama", ((110.380, -7.800), (110.400, -7.800))),
    RoadLine("lokal", ((110.500, -7.700), (110.510, -7.700))),  # far away: not drawn
]


def _svg(**changes: object) -> ET.Element:
    kwargs: dict[str, object] = {
        "office": OFFICE,
        "stops": STOPS,
        "legs": LEGS,
        "return_leg": BACK,
        "roads": ROADS,
    }
    kwargs.update(changes)
    return ET.fromstring(route_map_svg(**kwargs))  # type: ignore[arg-type]


# --- the static route map ---------------------------------------------------------------------


def test_route_map_has_numbered_stops_a_route_the_office_and_roads() -> None:
    root = _svg()
    assert root.tag == f"{SVG}svg" and root.get("viewBox", "").startswith("0 0 1000 ")
    stops = root.findall(f"{SVG}g[@class='stop']")
    assert [g.findtext(f"{SVG}text") for g in stops] == ["1", "2", "3"]
    paths = root.findall(f"{SVG}path")
    dark = [p for p in paths if p.get("stroke") == "#111"]
    assert len(dark) == 2  # the drive out, and the way back
    assert [p.get("stroke-dasharray") is not None for p in dark] == [True, False]
    greys = [p for p in paths if p.get("stroke") in {"#cfcfcf", "#a8a8a8"}]
    assert len(greys) == 2  # lokal and utama; the far road is clipped away
    assert any(t.text == "K" for t in root.iter(f"{SVG}text"))  # the office
    assert "OpenStreetMap" in "".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_route_map_is_black_and_white_and_self_contained() -> None:
    text = route_map_svg(office=OFFICE, stops=STOPS, legs=LEGS, return_leg=BACK, roads=ROADS)
    colours = set(re.findall(r'(?:stroke|fill)="(#[0-9a-f]{3,6})"', text))
    for colour in colours:
        digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
        r, g, b = (digits[i : i + 2] for i in (0, 2, 4))
        assert r == g == b, colour  # greys only: nothing told by colour
    assert "href" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_stops_at_one_place_share_a_label_and_missing_legs_are_straight() -> None:
    same = [MapStop("1", 110.3960, -7.7960), MapStop("2", 110.3960, -7.7960)]
    root = _svg(stops=same, legs=[], return_leg=[], roads=[])
    labels = [g.findtext(f"{SVG}text") for g in root.findall(f"{SVG}g[@class='stop']")]
    assert labels == ["1,2"]
    dark = [p for p in root.findall(f"{SVG}path") if p.get("stroke") == "#111"]
    assert len(dark) == 2  # straight lines out and back


def test_route_bounds_keep_a_minimum_span() -> None:
    west, south, east, north = route_bounds([OFFICE])
    assert (east - west) * 111_320 * 0.99 > 800 and (north - south) * 111_320 > 800


# --- QR, CSS strings, PDFs --------------------------------------------------------------------


def test_qr_is_an_inline_svg_scaled_by_the_page() -> None:
    svg = qr_svg("https://jemputbola.example.go.id/lapangan/?route=7")
    root = ET.fromstring(svg)
    assert root.get("class") == "qr" and root.get("viewBox") and root.get("width") is None


def test_css_strings_cannot_leave_the_style_element() -> None:
    quoted = css_string('Jl. "Kenari"\\ </style><script>')
    assert quoted.startswith('"') and quoted.endswith('"')
    assert "</style" not in quoted and '"' not in quoted[1:-1] and "\\\\" not in quoted


PAGED = """<html><head><style>
@page {{ size: A4; @top-right {{ content: "Hal. " counter(page) "/" counter(pages) }} }}
p {{ break-after: page }}</style></head><body>{body}</body></html>"""


@pytest.mark.parametrize("workers", [1, 2])
def test_several_documents_make_one_pdf_each_numbered_on_its_own(workers: int) -> None:
    first = PAGED.format(body="<p>Tim A satu</p><p>Tim A dua</p>")
    second = PAGED.format(body="<div>Tim B</div>")
    third = PAGED.format(body="<div>Tim C</div>")
    pdf = render_pdfs([first, second, third], "http://127.0.0.1/", workers=workers)
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(texts) == 4
    assert "Hal. 1/2" in texts[0] and "Hal. 2/2" in texts[1] and "Hal. 1/1" in texts[2]
    assert "Tim B" in texts[2] and "Tim C" in texts[3]
    with pytest.raises(ValueError):
        render_pdfs([], "http://127.0.0.1/", workers=workers)


def test_documents_are_shared_out_in_order_by_size() -> None:
    from outreach.render.sheets import _share_out

    htmls = ["a" * 10, "b" * 30, "c" * 10, "d" * 10]
    groups = _share_out(htmls, 2)
    assert [h for g in groups for h in g] == htmls
    assert len(groups) == 2 and all(groups)
    assert _share_out(htmls[:1], 2) == [htmls[:1]]


def test_pdf_rendering_fetches_nothing() -> None:
    html = (
        '<link rel="stylesheet" href="http://192.0.2.1/x.css">'
        '<p>Halo</p><img src="http://192.0.2.1/x.png" alt="">'
        '<img src="file:///etc/hostname" alt="">'
    )
    pdf = render_pdf(html, "http://192.0.2.1/")
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text().strip() == "Halo"


# --- what a sheet shows (the approved field day) ----------------------------------------------


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    return build_field_day(get_session(), travel_for(yapp))


def _office() -> models.Office:
    office = get_session().scalar(select(models.Office))
    assert office is not None
    return office


def test_sheet_of_a_route_masks_and_counts(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    office = _office()
    route = printable_routes(session, DAY, office_id=office.id, team_name="Tim Melati")[0]
    roads = load_road_lines(None)
    sheet = build_route_sheet(route, office=office, field_url="https://x.test/l?r=1", roads=roads)
    assert sheet.team_name == "Tim Melati" and sheet.date_label == "Senin, 23 November 2026"
    assert sheet.office_address == "Jl. Kenari No. 56"
    assert sheet.totals.stops == len(route.stops) == len(sheet.table.stops)
    assert sheet.totals.persons == sum(s.persons for s in sheet.table.stops)
    assert sheet.totals.planned_return == f"{route.end_at:%H.%M}"
    assert [label for _, label in sheet.outcomes][:3] == [
        "Selesai",
        "Tidak di rumah",
        "Jadwal ulang",
    ]
    for row in sheet.table.stops:
        assert row.nik != NIK and not re.search(r"\d{16}", row.nik)
        assert PHONE not in row.contact_phone
        for a in row.attendees:
            assert a.nik not in LETTER_NIKS and "*" in a.nik
    labels = re.findall(r'<g class="stop">.*?<text[^>]*>([^<]+)</text>', sheet.map_svg)
    assert sorted(labels) == sorted(str(s.sequence) for s in route.stops)
    assert "<svg" in sheet.qr_svg and sheet.field_url == "https://x.test/l?r=1"
    assert sheet.services_label(["perekaman_ktp", "kia"]) == "Perekaman KTP-el, KIA"


def test_which_routes_may_be_printed(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    office = _office()
    both = printable_routes(session, DAY, office_id=office.id)
    assert [r.team.name for r in both] == ["Tim Mawar", "Tim Melati"]
    mawar = day.team_ids["Tim Mawar"]
    own = printable_routes(session, DAY, office_id=office.id, team_id=mawar)
    assert [r.team_id for r in own] == [mawar]
    with pytest.raises(
        NotFoundError, match="Tidak ada rute yang disetujui pada Selasa, 24 November"
    ):
        printable_routes(session, DAY.replace(day=24), office_id=office.id)
    with pytest.raises(NotFoundError, match="untuk Tim Anggrek"):
        printable_routes(session, DAY, office_id=office.id, team_name="Tim Anggrek")
    with pytest.raises(NotFoundError):
        printable_routes(session, DAY, office_id=office.id + 1)  # another office
    melati_route = next(r for r in both if r.team.name == "Tim Melati")
    with pytest.raises(NotFoundError):
        printable_route(session, melati_route.id, office_id=office.id, team_id=mawar)
    assert printable_route(session, melati_route.id, office_id=office.id) is melati_route


def test_a_draft_prints_for_coordinators_only(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    office = _office()
    draft = create_plan(session, travel_for(yapp), start_date=DAY, days=1, office=office)
    session.commit()
    routes = printable_routes(session, DAY, office_id=office.id, plan_id=draft.id)
    assert routes and all(r.plan_id == draft.id and not r.approved for r in routes)
    mawar = day.team_ids["Tim Mawar"]
    with pytest.raises(NotFoundError):
        printable_routes(session, DAY, office_id=office.id, plan_id=draft.id, team_id=mawar)
    draft_route = next(r for r in routes if r.team_id == mawar)
    with pytest.raises(NotFoundError):
        printable_route(session, draft_route.id, office_id=office.id, team_id=mawar)
