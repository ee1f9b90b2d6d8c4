"""The team lead's field page, its outcome API, manifest and service worker (test client)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.render.field_page import field_page, phone_label, stop_links, whatsapp_text
from outreach.web.auth import hash_password
from outreach.web.mapping_data import office_today
from tests.field_day import DAY, PASSWORD, FieldDay, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_app, yogya_template

__all__ = ["yapp", "yogya_template"]


def shift_plan_to(session: Session, plan_id: int, day: dt.date) -> None:
    """Move an approved plan's routes (dates and clock times) to ``day``, e.g. the office's
    today, so the field page shows them as today's route. Commits."""
    plan = session.get(models.Plan, plan_id)
    assert plan is not None
    for route in plan.routes:
        delta = dt.timedelta(days=(day - route.route_date).days)
        route.route_date = day
        route.start_at += delta
        route.end_at += delta
        for stop in route.stops:
            stop.arrival_at += delta
            stop.service_start_at += delta
            stop.departure_at += delta
    session.commit()


def today_of(session: Session) -> dt.date:
    office = session.scalar(select(models.Office))
    assert office is not None
    return office_today(office)


def team_route(session: Session, team_id: int) -> models.Route:
    route = session.scalar(
        select(models.Route).where(models.Route.team_id == team_id, models.Route.approved)
    )
    assert route is not None
    return route


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/auth/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/auth/masuk", data=data)


def outcome_count() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.VisitOutcome)) or 0)


def payload(stop_id: int, outcome: str = "selesai", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "stop_id": stop_id,
        "outcome": outcome,
        "persons_served": None,
        "cards_printed": None,
        "attendees": [],
        "note": "",
        "recorded_at": "2026-11-23T10:15:00+07:00",
        "reschedule": None,
    }
    body.update(extra)
    return body


@pytest.fixture
def day(yapp: Flask) -> FieldDay:
    """The approved field day, moved to the office's today."""
    session = get_session()
    built = build_field_day(session, travel_for(yapp))
    shift_plan_to(session, built.plan_id, today_of(session))
    return built


@pytest.fixture
def mawar(yapp: Flask, day: FieldDay) -> FlaskClient:
    client = yapp.test_client()
    assert sign_in(client, "ketua.mawar").status_code == 302
    return client


# --- the page ------------------------------------------------------------------------------


def test_team_lead_lands_on_the_field_page_after_sign_in(yapp: Flask, day: FieldDay) -> None:
    client = yapp.test_client()
    res = sign_in(client, "ketua.mawar")
    assert res.status_code == 302 and res.headers["Location"] == "/lapangan/"
    page = client.get("/lapangan/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Tim Mawar</h1>" in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert 'rel="manifest" href="/lapangan/manifest.webmanifest"' in html
    assert "/vendor/idb-keyval/umd.js" in html and "/static/field/field.js" in html
    assert "leaflet" not in html.lower()  # no map library on the phone page
    assert page.headers["Cache-Control"] == "private, no-cache"


def test_the_page_shows_the_own_teams_route_only(mawar: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    mine = team_route(session, day.team_ids["Tim Mawar"])
    theirs = team_route(session, day.team_ids["Tim Melati"])
    html = mawar.get("/lapangan/").get_data(as_text=True)
    for stop in mine.stops:
        assert f'data-stop="{stop.id}"' in html
        assert stop.request.tracking_code in html
    for stop in theirs.stops:
        assert f'data-stop="{stop.id}"' not in html
        assert stop.request.tracking_code not in html
    # Stops in visiting order, with arrival window, address and access notes.
    positions = [html.index(f'data-stop="{s.id}"') for s in mine.stops]
    assert positions == sorted(positions)
    assert "Berangkat dari kantor" in html and "Kembali ke kantor" in html
    assert re.search(r"<strong>\d\d\.\d\d–\d\d\.\d\d</strong>", html)


def test_stop_links_leave_the_app_without_a_referrer(mawar: FlaskClient, day: FieldDay) -> None:
    html = mawar.get("/lapangan/").get_data(as_text=True)
    links = re.findall(
        r"<a [^>]*href=\"(?:geo:|tel:|https://wa\.me/|https://www\.openstreet)[^>]*>", html
    )
    assert links, "no outbound links"
    assert all('rel="noreferrer"' in a for a in links)
    assert re.search(r'href="geo:-?\d+\.\d+,-?\d+\.\d+', html)
    assert re.search(
        r'href="https://www\.openstreetmap\.org/\?mlat=-?[\d.]+&amp;mlon=[\d.]+#map=18/', html
    )
    assert 'href="tel:+6281234567890"' in html or 'href="tel:+6281298765432"' in html
    wa = re.search(r'href="(https://wa\.me/62\d+\?text=[^"]+)"', html)
    assert wa and "Kami%20tim%20jemput%20bola%20Disdukcapil%20Kota%20Yogyakarta" in wa.group(1)
    assert "perkiraan%20tiba%20pukul%20" in wa.group(1)


def test_route_of_another_team_is_not_found(mawar: FlaskClient, day: FieldDay) -> None:
    session = get_session()
    mine = team_route(session, day.team_ids["Tim Mawar"])
    theirs = team_route(session, day.team_ids["Tim Melati"])
    assert mawar.get(f"/lapangan/?route={mine.id}").status_code == 200
    assert mawar.get(f"/lapangan/?route={theirs.id}").status_code == 404
    assert mawar.get("/lapangan/?route=99999").status_code == 404
    assert mawar.get("/lapangan/?route=abc").status_code == 404
    # A team lead cannot look at another team with ?tim= either: it is ignored.
    html = mawar.get(f"/lapangan/?tim={day.team_ids['Tim Melati']}").get_data(as_text=True)
    assert "<h1>Tim Mawar</h1>" in html


def test_qr_code_route_of_another_day_names_the_day(yapp: Flask) -> None:
    session = get_session()
    built = build_field_day(session, travel_for(yapp))  # DAY: in the past
    client = yapp.test_client()
    sign_in(client, "ketua.mawar")
    html = client.get("/lapangan/").get_data(as_text=True)
    assert "Tidak ada rute yang disetujui untuk tim Anda hari ini." in html
    route = team_route(session, built.team_ids["Tim Mawar"])
    html = client.get(f"/lapangan/?route={route.id}").get_data(as_text=True)
    assert "bukan hari ini" in html and "Senin, 23 November 2026" in html
    assert "Ke rute hari ini" in html


def test_next_working_days_are_listed(yapp: Flask) -> None:
    session = get_session()
    built = build_field_day(session, travel_for(yapp))
    later = today_of(session) + dt.timedelta(days=2)
    shift_plan_to(session, built.plan_id, later)
    client = yapp.test_client()
    sign_in(client, "ketua.melati")
    html = client.get("/lapangan/").get_data(as_text=True)
    route = team_route(session, built.team_ids["Tim Melati"])
    assert "Rute berikutnya" in html
    assert f'href="/lapangan/?route={route.id}"' in html
    other = team_route(session, built.team_ids["Tim Mawar"])
    assert f"route={other.id}" not in html


def test_a_done_stop_shows_its_outcome(mawar: FlaskClient, day: FieldDay) -> None:
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    body = payload(stop.id, "tidak_di_rumah", note="Rumah kosong, tetangga bilang ke pasar")
    assert mawar.post("/lapangan/hasil", json=body).status_code == 201
    html = mawar.get("/lapangan/").get_data(as_text=True)
    card = html[html.index(f'data-stop="{stop.id}"') :]
    card = card[: card.index("</li>")]
    assert f'<li class="stop is-done" id="kunjungan-{stop.id}"' in html
    assert "Hasil: Tidak di rumah" in card
    assert "Rumah kosong, tetangga bilang ke pasar" in card
    assert "data-outcome-form" not in card


def test_collective_visit_lists_its_residents_to_tick(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    stop = session.scalar(
        select(models.Stop).where(models.Stop.request_id == day.letter_request_id)
    )
    assert stop is not None
    lead = "ketua.mawar" if stop.route.team_id == day.team_ids["Tim Mawar"] else "ketua.melati"
    client = yapp.test_client()
    sign_in(client, lead)
    html = client.get("/lapangan/").get_data(as_text=True)
    for resident_id in day.letter_resident_ids:
        assert f'name="attendees" value="{resident_id}"' in html
    res = client.post(
        "/lapangan/hasil", json=payload(stop.id, attendees=day.letter_resident_ids[:3])
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["persons_served"] == 3
    html = client.get("/lapangan/").get_data(as_text=True)
    assert "Hadir: 3 dari 4" in html


def test_coordinator_is_refused_and_admin_picks_a_team(yapp: Flask, day: FieldDay) -> None:
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    session.add(
        models.User(
            username="admin",
            password_hash=hash_password(PASSWORD),
            role="admin",
            office_id=office.id,
        )
    )
    session.commit()
    coordinator = yapp.test_client()
    sign_in(coordinator, "koordinator", "rahasia-123")
    assert coordinator.get("/lapangan/").status_code == 302
    admin = yapp.test_client()
    sign_in(admin, "admin")
    html = admin.get("/lapangan/").get_data(as_text=True)
    assert "Pilih tim" in html and f"/lapangan/?tim={day.team_ids['Tim Melati']}" in html
    html = admin.get(f"/lapangan/?tim={day.team_ids['Tim Melati']}").get_data(as_text=True)
    assert "<h1>Tim Melati</h1>" in html
    assert admin.get("/lapangan/?tim=9999").status_code == 404


# --- the outcome API -------------------------------------------------------------------------


def test_api_stores_once_per_client_id(mawar: FlaskClient, day: FieldDay) -> None:
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    body = payload(stop.id, persons_served=1, cards_printed=1, note="Sudah direkam")
    first = mawar.post("/lapangan/hasil", json=body)
    assert first.status_code == 201, first.get_json()
    stored = first.get_json()
    assert stored["client_id"] == body["client_id"] and stored["outcome"] == "selesai"
    assert stored["stop_id"] == stop.id and stored["label"] == "Selesai"
    again = mawar.post("/lapangan/hasil", json=body)
    assert again.status_code == 200
    assert again.get_json() == stored
    assert outcome_count() == 1
    # Another client id for the same stop: a conflict, answered with the stored outcome.
    other = mawar.post("/lapangan/hasil", json=payload(stop.id, "menolak"))
    assert other.status_code == 409
    conflict = other.get_json()
    assert conflict["client_id"] == body["client_id"] and conflict["outcome"] == "selesai"
    assert "sudah dicatat" in conflict["error"]
    assert outcome_count() == 1


def test_api_refuses_a_stop_of_another_team(mawar: FlaskClient, day: FieldDay) -> None:
    theirs = team_route(get_session(), day.team_ids["Tim Melati"]).stops[0]
    res = mawar.post("/lapangan/hasil", json=payload(theirs.id))
    assert res.status_code == 404
    assert res.get_json() == {"error": "Kunjungan ini tidak ada pada rute tim Anda."}
    assert mawar.post("/lapangan/hasil", json=payload(999)).status_code == 404
    assert outcome_count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tidak json", "objek JSON"),
        ([1, 2], "objek JSON"),
        ({"stop_id": 1, "outcome": "selesai"}, "client_id"),
        ({"client_id": "abc", "stop_id": 1, "outcome": "selesai"}, "UUID"),
        ({"client_id": str(uuid.uuid4()), "stop_id": 1, "outcome": "hilang"}, "tidak dikenal"),
        ({"client_id": str(uuid.uuid4()), "outcome": "selesai"}, "stop_id"),
    ],
)
def test_api_answers_a_bad_body_with_400(
    mawar: FlaskClient, day: FieldDay, body: Any, message: str
) -> None:
    if isinstance(body, str):
        res = mawar.post("/lapangan/hasil", data=body, content_type="application/json")
    else:
        res = mawar.post("/lapangan/hasil", json=body)
    assert res.status_code == 400
    assert res.is_json and message in res.get_json()["error"]


def test_api_answers_values_that_do_not_fit_with_400(mawar: FlaskClient, day: FieldDay) -> None:
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    res = mawar.post("/lapangan/hasil", json=payload(stop.id, persons_served=1, cards_printed=5))
    assert res.status_code == 400 and "kartu" in res.get_json()["error"]
    res = mawar.post(
        "/lapangan/hasil",
        json=payload(stop.id, "jadwal_ulang", reschedule={"start": "14:00", "end": "10:00"}),
    )
    assert res.status_code == 400 and "jam" in res.get_json()["error"].lower()
    assert outcome_count() == 0


def test_signed_out_api_answers_401_json(yapp: Flask, day: FieldDay) -> None:
    client = yapp.test_client()
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    res = client.post("/lapangan/hasil", json=payload(stop.id))
    assert res.status_code == 401 and res.is_json
    assert res.get_json()["error"] == "Sesi habis, silakan masuk lagi."
    assert res.get_json()["login"] == "/auth/masuk?next=/lapangan/"
    assert client.get("/lapangan/sesi.json").status_code == 401
    # The page itself sends an anonymous visitor to sign in.
    assert client.get("/lapangan/").status_code == 302
    assert outcome_count() == 0


def test_coordinator_gets_403_json_from_the_api(yapp: Flask, day: FieldDay) -> None:
    client = yapp.test_client()
    sign_in(client, "koordinator", "rahasia-123")
    stop = team_route(get_session(), day.team_ids["Tim Mawar"]).stops[0]
    res = client.post("/lapangan/hasil", json=payload(stop.id))
    assert res.status_code == 403 and res.is_json


@pytest.fixture
def csrf_app(tmp_path: Path, yogya_template: Path) -> Iterator[Flask]:
    app = yogya_app(tmp_path, yogya_template, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
    app.extensions["outreach_engine"].dispose()


def test_csrf_token_from_the_page_works_and_failures_are_json(csrf_app: Flask) -> None:
    session = get_session()
    built = build_field_day(session, travel_for(csrf_app))
    shift_plan_to(session, built.plan_id, today_of(session))
    stop = team_route(session, built.team_ids["Tim Mawar"]).stops[0]
    client = csrf_app.test_client()
    assert sign_in(client, "ketua.mawar").status_code == 302
    html = client.get("/lapangan/").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match
    token = match.group(1)
    # No token: 400 JSON (not the HTML error page).
    res = client.post("/lapangan/hasil", json=payload(stop.id))
    assert res.status_code == 400 and res.is_json and res.get_json()["code"] == "csrf"
    res = client.post("/lapangan/hasil", json=payload(stop.id), headers={"X-CSRFToken": token})
    assert res.status_code == 201
    # A fresh token for a page kept on the phone.
    fresh = client.get("/lapangan/sesi.json")
    assert fresh.status_code == 200 and fresh.get_json()["csrf_token"]
    # The session expired (cookies gone): the CSRF check fails first, answered as 401 JSON.
    client.delete_cookie("session")
    # Requests share the test's app context, where Flask-Login keeps the last loaded user.
    g.pop("_login_user", None)
    other = team_route(session, built.team_ids["Tim Mawar"]).stops[1]
    res = client.post("/lapangan/hasil", json=payload(other.id), headers={"X-CSRFToken": token})
    assert res.status_code == 401 and res.get_json()["error"] == "Sesi habis, silakan masuk lagi."
    assert outcome_count() == 1


# --- PWA: manifest and service worker ------------------------------------------------------


def test_manifest_and_service_worker_are_served_to_anyone(yclient: FlaskClient) -> None:
    res = yclient.get("/lapangan/manifest.webmanifest")
    assert res.status_code == 200 and res.mimetype == "application/manifest+json"
    manifest = res.get_json(force=True)
    assert manifest["name"] == "Jemput Bola Lapangan"
    assert manifest["start_url"] == "/lapangan/" and manifest["scope"] == "/lapangan/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        with yclient.get(icon["src"]) as res:
            assert res.status_code == 200
    sw = yclient.get("/lapangan/sw.js")
    assert sw.status_code == 200
    assert sw.mimetype == "text/javascript"
    assert sw.headers["Cache-Control"] == "no-cache"
    assert "caches.open" in sw.get_data(as_text=True)
    with yclient.get("/vendor/idb-keyval/umd.js") as umd:
        assert umd.status_code == 200 and "javascript" in umd.mimetype


# --- the domain function ---------------------------------------------------------------------


def test_field_page_for_a_given_day(yapp: Flask) -> None:
    session = get_session()
    built = build_field_day(session, travel_for(yapp))
    office = session.scalar(select(models.Office))
    assert office is not None
    team_id = built.team_ids["Tim Mawar"]
    page = field_page(session, office=office, today=DAY, team_id=team_id)
    assert page.table is not None and page.is_today and page.team_name == "Tim Mawar"
    assert [s.stop_id for s in page.stops] == [s.id for s in team_route(session, team_id).stops]
    # Revealed for the signed-in lead: whole phone numbers give call and WhatsApp links.
    for row in page.stops:
        links = page.links[row.stop_id]
        assert links.tel and links.tel.startswith("tel:+62")
        assert links.whatsapp and links.whatsapp.startswith("https://wa.me/62")
        assert links.geo and links.geo.startswith(f"geo:{row.lat:.6f},{row.lon:.6f}")
    empty = field_page(session, office=office, today=DAY + dt.timedelta(days=1), team_id=team_id)
    assert empty.table is None and empty.upcoming == []
    before = field_page(session, office=office, today=DAY - dt.timedelta(days=1), team_id=team_id)
    assert before.table is None and [u.day for u in before.upcoming] == [DAY]
    no_team = field_page(session, office=office, today=DAY, team_id=None)
    assert no_team.table is None and no_team.teams == []
    admin = field_page(session, office=office, today=DAY, team_id=None, any_team=True)
    assert [t.name for t in admin.teams] == ["Tim Mawar", "Tim Melati"]


def test_whatsapp_text_and_phone_label() -> None:
    at = dt.datetime(2026, 11, 23, 9, 5)
    text = whatsapp_text("Disdukcapil Kota Yogyakarta", at, today=DAY)
    assert text == "Kami tim jemput bola Disdukcapil Kota Yogyakarta, perkiraan tiba pukul 09.05."
    later = whatsapp_text("Kota Yogyakarta", at, today=DAY - dt.timedelta(days=1))
    assert later.endswith("perkiraan tiba Senin, 23 November 2026 pukul 09.05.")
    assert phone_label("6281234567890") == "0812-3456-7890"
    assert phone_label(None) == ""


def test_masked_numbers_give_no_call_links(yapp: Flask) -> None:
    session = get_session()
    built = build_field_day(session, travel_for(yapp))
    from outreach.render.route_rows import route_table

    table = route_table(team_route(session, built.team_ids["Tim Mawar"]), reveal=False)
    links = stop_links(table.stops[0], office_name="Kota Yogyakarta", today=DAY)
    assert links.tel is None and links.whatsapp is None and links.phone == ""
    assert links.osm is not None
