"""Every text people type that reaches a map popup or tooltip, or the field page, shows as text:
team names, kelurahan names, outcome notes, letter senders, landmarks, names (issue 11, 5)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.visits import OutcomeInput, record_outcome
from tests.browser.conftest import local_context
from tests.field_day import FieldDay, build_field_day, travel_for
from tests.intake.yogya import COORDINATOR, yogya_app, yogya_template
from tests.web.test_field import shift_plan_to, team_route, today_of

__all__ = ["yogya_template"]

pytestmark = pytest.mark.browser


def evil(label: str) -> str:
    return f'<img src=x onerror="window.__xss=1;alert(1)">{label}'


# Opens every popup and tooltip bound on every folium map of the page (markers inside clusters
# included) one by one, the way Leaflet does when clicked or hovered, and reports what showed.
OPEN_ALL = """() => {
  const maps = Object.keys(window).filter(k => /^map_[0-9a-f]+$/.test(k)).map(k => window[k]);
  const out = {texts: [], imgs: 0, opened: 0};
  const seen = new Set();
  function walk(layer, map, parent) {
    if (seen.has(layer)) return;
    seen.add(layer);
    for (const kind of ['Popup', 'Tooltip']) {
      const own = layer['get' + kind] && layer['get' + kind]();
      const bound = own || (parent && parent['get' + kind] && parent['get' + kind]());
      if (!bound) continue;
      let content = bound._content;
      if (typeof content === 'function') {
        if (!layer.feature) continue;
        content = content(layer);
      }
      if (content === undefined || content === null) continue;
      const probe = kind === 'Popup' ? L.popup() : L.tooltip({permanent: true});
      probe.setLatLng(map.getCenter()).setContent(content);
      if (kind === 'Popup') probe.openOn(map); else probe.addTo(map);
      const el = probe.getElement();
      out.texts.push(el.textContent);
      out.imgs += el.querySelectorAll('img').length;
      out.opened += 1;
      map.removeLayer(probe);
    }
    if (layer.getLayers) layer.getLayers().forEach(child => walk(child, map, layer));
  }
  maps.forEach(map => map.eachLayer(layer => walk(layer, map, null)));
  return out;
}"""


@pytest.fixture
def evil_app(tmp_path: Path, yogya_template: Path) -> tuple[Flask, FieldDay]:
    app = yogya_app(tmp_path, yogya_template)
    with app.app_context():
        session = get_session()
        day = build_field_day(session, travel_for(app))
        shift_plan_to(session, day.plan_id, today_of(session))
        for team in session.scalars(select(models.Team)):
            team.name = evil(team.name)
        for kel in session.scalars(select(models.Kelurahan)):
            kel.name = evil(kel.name)
        for req in session.scalars(select(models.ServiceRequest)):
            req.landmark = evil("dekat masjid")
            req.address_street = evil("Jl. Kenari")
            req.person_name = evil(req.person_name)
            req.description = evil("stroke")
        for letter in session.scalars(select(models.Letter)):
            letter.sender_name = evil("Panti Wreda")
        session.commit()
        stop = team_route(session, day.team_ids[_first_team(day)]).stops[0]
        record_outcome(
            session,
            OutcomeInput(
                client_id=str(uuid.uuid4()),
                stop_id=stop.id,
                outcome="tidak_di_rumah",
                note=evil("pintu terkunci"),
                recorded_at=dt.datetime.combine(today_of(session), dt.time(9, 30)),
            ),
            team_id=None,
            user_id=None,
        )
        session.commit()
    return app, day


def _first_team(day: FieldDay) -> str:
    return next(iter(day.team_ids))


@pytest.fixture
def live_app(evil_app: tuple[Flask, FieldDay]) -> Flask:
    return evil_app[0]


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/auth/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _check_text_only(page: Any, where: str) -> None:
    assert page.evaluate("window.__xss") is None, where
    assert page.locator("img[src=x]").count() == 0, where


def _open_map(page: Any, where: str) -> list[str]:
    page.wait_for_selector(".leaflet-container", state="attached")
    page.wait_for_load_state("networkidle")
    result = page.evaluate(OPEN_ALL)
    assert result["opened"] > 0, where
    assert result["imgs"] == 0, where
    _check_text_only(page, where)
    return list(result["texts"])


def test_typed_html_shows_as_text_on_every_map_and_the_field_page(
    live_server: str, evil_app: tuple[Flask, FieldDay], browser: Any
) -> None:
    app, day = evil_app
    with app.app_context():
        route_id = team_route(get_session(), day.team_ids[_first_team(day)]).id
    dialogs: list[str] = []
    context = local_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        # Signed out: the public map (kelurahan names in tooltips).
        page.goto(live_server + "/")
        texts = _open_map(page, "home, signed out")
        assert any(evil("") in t for t in texts)

        _sign_in(page, live_server, *COORDINATOR)
        page.wait_for_selector(".folium-map[data-ready='1']", state="attached")
        page.wait_for_selector(".jb-stop-icon")
        texts = _open_map(page, "home, signed in")
        joined = "\n".join(texts)
        assert evil("Tim") in joined  # team names in route and stop tooltips
        assert "pintu terkunci" not in joined or evil("pintu terkunci") in joined
        legend = page.locator(".jb-staff-legend").inner_text()
        assert evil("Tim") in legend

        page.goto(f"{live_server}/rencana/{day.plan_id}")
        page.wait_for_selector(".jb-stop-icon")
        texts = _open_map(page, "plan map")
        joined = "\n".join(texts)
        assert evil("Tim") in joined and evil("") in joined
        assert evil("Tim") in page.locator("body").inner_text()

        # The request and letter pages show the same texts as text too.
        page.goto(f"{live_server}/koordinator/permohonan/{day.request_ids[0]}")
        page.wait_for_load_state("networkidle")
        _check_text_only(page, "request page")
        assert evil("dekat masjid") in page.locator("body").inner_text()
        page.goto(f"{live_server}/koordinator/permohonan/{day.letter_request_id}")
        page.wait_for_load_state("networkidle")
        _check_text_only(page, "letter request page")

        page.goto(live_server + "/koordinator/surat/")
        page.wait_for_load_state("networkidle")
        _check_text_only(page, "letters")
        assert evil("Panti Wreda") in page.locator("body").inner_text()

        page.goto(f"{live_server}/rencana/rute/{route_id}/hasil")
        page.wait_for_load_state("networkidle")
        _check_text_only(page, "outcomes")
        assert evil("pintu terkunci") in page.content().replace("&lt;", "<").replace("&gt;", ">")
        assert dialogs == []
    finally:
        context.close()

    # The field page of the team lead whose stop has the note.
    context = local_context(browser, viewport={"width": 400, "height": 800})
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        lead = "ketua.mawar" if "Mawar" in _first_team(day) else "ketua.melati"
        _sign_in(page, live_server, lead, "rahasia-123")
        page.goto(live_server + "/lapangan/")
        page.wait_for_load_state("networkidle")
        body = page.locator("body").inner_text()
        assert evil("dekat masjid") in body and evil("Tim") in body
        # Open every stop's details, as the team lead would.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_timeout(300)
        _check_text_only(page, "field page")
        assert dialogs == []
    finally:
        context.close()
