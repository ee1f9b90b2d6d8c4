"""Every staff route against every role (issue 11, section 1).

One user per role of :class:`outreach.models.Role` signs in to an office with an approved field
day (:func:`tests.field_day.build_field_day`, moved to today). For each rule of the URL map:

- each role that lacks the view's permission is refused (403, or back to its home page with
  the "not allowed" message), for GET and POST alike, and the database does not change;
- each role that has it is admitted on GET with real ids (not sent to sign in, not refused,
  no 5xx);
- the head of office (``head``, read-only) finds the field day's NIK and phone numbers, in any
  notation, on no page, JSON, PDF or XLSX it may open; it gets no form that writes; the links
  of its menus lead only to pages it may open.

The README's permission table is compared with :data:`PERMISSIONS` so the two cannot drift.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask, g, render_template
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from outreach import models
from outreach.db import get_session
from outreach.render.dashboard import build_dashboard
from outreach.staff import ROLE_LABELS
from outreach.web.auth import StaffUser, hash_password
from outreach.web.mapping_data import office_today
from outreach.web.permissions import PERMISSIONS, PUBLIC_ENDPOINTS, endpoint_permission
from tests.conftest import REPO_ROOT
from tests.field_day import LETTER_NIKS, NIK, PASSWORD, PHONE, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_template
from tests.web.test_field import shift_plan_to, today_of

__all__ = ["yapp", "yogya_template"]

HEAD = models.Role.HEAD.value
TEAM_LEAD = models.Role.TEAM_LEAD.value
LETTER_PHONE = "+6281298765432"
# Signing out ends the session the other requests use; static files are public.
SKIP = {"auth.logout"}
REFUSED_TEXT = "tidak berhak"
# Links on pages the head may open that lead to a page it may not (page endpoint, link
# endpoint): none; a new one fails the test.
PENDING_DEAD_LINKS: set[tuple[str, str]] = set()


@dataclass
class World:
    """The app, one signed-in client per role and the ids the URLs use."""

    app: Flask
    clients: dict[str, FlaskClient]
    values: dict[str, Any]
    other_route_id: int  # a route of the other team (Tim Melati)


def _secret_patterns() -> list[re.Pattern[str]]:
    """The field day's NIK and phone numbers, any separators between digits.

    A phone is matched by its subscriber digits (after +62 / 62 / 0), so ``+62 812-3456-7890``,
    ``081234567890`` and a ``wa.me/6281234567890`` link are all caught; masked forms are not.
    """
    sep = r"[\s.\-/()]*"
    numbers = [NIK, *LETTER_NIKS, PHONE.removeprefix("+62"), LETTER_PHONE.removeprefix("+62")]
    return [re.compile(sep.join(number)) for number in numbers]


SECRETS = _secret_patterns()


def fetch(client: FlaskClient, url: str, method: str = "GET", **kwargs: Any) -> TestResponse:
    """``client.open``, forgetting the user Flask-Login cached on ``g``: the test's app context
    outlives requests, and the next client is someone else."""
    g.pop("_login_user", None)
    return client.open(url, method=method, **kwargs)


def _login(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    g.pop("_login_user", None)
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


@pytest.fixture
def world(yapp: Flask) -> Iterator[World]:
    session = get_session()
    day = build_field_day(session, travel_for(yapp))
    shift_plan_to(session, day.plan_id, today_of(session))
    office = session.scalar(select(models.Office))
    assert office is not None
    mawar, melati = day.team_ids["Tim Mawar"], day.team_ids["Tim Melati"]
    for role in models.Role:
        session.add(
            models.User(
                username=f"peran.{role.value}",
                full_name=f"Uji {ROLE_LABELS.get(role.value, role.value)}",
                password_hash=hash_password(PASSWORD),
                role=role.value,
                office_id=office.id,
                team_id=mawar if role.value == TEAM_LEAD else None,
            )
        )
    session.commit()
    routes = session.scalars(select(models.Route).where(models.Route.plan_id == day.plan_id))
    by_team = {r.team_id: r for r in routes}
    route = by_team[mawar]
    letter = session.scalar(select(models.Letter))
    coordinator = session.scalar(select(models.User).where(models.User.username == "koordinator"))
    assert letter is not None and coordinator is not None
    values: dict[str, Any] = {
        "request_id": route.stops[0].request_id,
        "letter_id": letter.id,
        "plan_id": day.plan_id,
        "stop_id": route.stops[0].id,
        "route_id": route.id,
        "team_id": mawar,
        "user_id": coordinator.id,
        "period_id": 1,
        "absence_id": 1,
        "programme_id": 1,
        "appointment_id": 1,
        "session_id": 1,
        "kelurahan_id": 1,
        "import_id": 1,
        "job_id": "tidak-ada",
        "day": route.route_date.isoformat(),
        "ext": "csv",
        "code": "JB-F001",
        "kecamatan_code": "34.71.13",
        "name": "leaflet",
        "filename": "leaflet.js",
    }
    clients = {role.value: _login(yapp, f"peran.{role.value}") for role in models.Role}
    yield World(yapp, clients, values, other_route_id=by_team[melati].id)


def _staff_rules(app: Flask) -> list[Rule]:
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint not in PUBLIC_ENDPOINTS and r.endpoint not in SKIP
    ]
    return sorted(rules, key=lambda r: r.rule)


def _url(rule: Rule, values: dict[str, Any]) -> str:
    built = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def _methods(rule: Rule) -> set[str]:
    return set(rule.methods or ())


def _roles_with(permission: str) -> set[str]:
    return set(PERMISSIONS[permission])


def _refused(client: FlaskClient, res: TestResponse) -> bool:
    """Refused by :func:`permission_required`: 403, or sent home with its message."""
    with client.session_transaction() as sess:
        flashes = sess.pop("_flashes", [])
    if res.status_code == 403:
        return True
    told = any(REFUSED_TEXT in str(message) for _, message in flashes)
    return res.status_code == 302 and told


def _snapshot(app: Flask) -> dict[str, str]:
    """A digest of every table's rows (core queries: no office scope)."""
    session = get_session()
    session.expire_all()
    out = {}
    for table in models.Base.metadata.sorted_tables:
        rows = session.execute(select(table)).all()
        out[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return out


def test_every_role_of_the_model_has_a_label_and_fits_the_column() -> None:
    column = models.User.__table__.c.role
    assert set(ROLE_LABELS) <= {r.value for r in models.Role}
    assert {"admin", "coordinator", "team_lead", "head"} <= set(ROLE_LABELS)
    for role in models.Role:
        assert len(role.value) <= getattr(column.type, "length", 0)
    assert ROLE_LABELS[HEAD] == "Pimpinan"
    # Read-only: the head of office has no permission that changes anything.
    head = {name for name, roles in PERMISSIONS.items() if HEAD in roles}
    assert head == {"map.staff", "plans.view", "reports.view"}


def test_roles_without_a_permission_are_refused_and_nothing_changes(world: World) -> None:
    before = _snapshot(world.app)
    tried = 0
    for rule in _staff_rules(world.app):
        permission = endpoint_permission(world.app, rule.endpoint)
        assert permission in PERMISSIONS, rule.rule
        url = _url(rule, world.values)
        for role, client in world.clients.items():
            if role in _roles_with(permission):
                continue
            for method in sorted(_methods(rule) & {"GET", "POST"}):
                data = {"x": "1"} if method == "POST" else None
                res = fetch(client, url, method, data=data)
                assert _refused(client, res), (role, method, url, res.status_code)
                tried += 1
    assert tried > 100
    assert _snapshot(world.app) == before


def test_roles_with_a_permission_are_admitted_with_real_ids(world: World) -> None:
    admitted = 0
    for rule in _staff_rules(world.app):
        if "GET" not in _methods(rule):
            continue
        permission = endpoint_permission(world.app, rule.endpoint)
        assert permission is not None
        url = _url(rule, world.values)
        for role in sorted(_roles_with(permission)):
            client = world.clients[role]
            res = fetch(client, url)
            where = (role, url, res.status_code)
            assert res.status_code < 500, where
            assert not _refused(client, res), where
            assert "/auth/masuk" not in res.headers.get("Location", ""), where
            admitted += 1
    assert admitted > 40


def _body_text(res: TestResponse) -> str:
    """What a reader of the response can see: HTML/JSON text, PDF text, XLSX cells."""
    data = res.get_data()
    if data.startswith(b"%PDF"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(data)
            pdf.flush()
            done = subprocess.run(
                ["pdftotext", pdf.name, "-"], capture_output=True, check=True, text=True
            )
        return done.stdout
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return html.unescape(unquote(data.decode("utf-8", "replace")))


def _head_pages(world: World) -> Iterator[tuple[str, str, TestResponse]]:
    """(endpoint, url, response) of every GET route the head of office may open."""
    client = world.clients[HEAD]
    for rule in _staff_rules(world.app):
        permission = endpoint_permission(world.app, rule.endpoint)
        if "GET" in _methods(rule) and permission and HEAD in PERMISSIONS[permission]:
            url = _url(rule, world.values)
            yield rule.endpoint, url, fetch(client, url)
    for endpoint, url in (("main.index", "/"), ("coordinator.report", "/koordinator/laporan")):
        yield endpoint, url, fetch(client, url)


def test_the_head_of_office_sees_no_nik_or_phone_anywhere(world: World) -> None:
    pages = list(_head_pages(world))
    assert {e for e, _, _ in pages} >= {
        "main.index",
        "main.requests_geojson",
        "main.routes_geojson",
        "plans.detail",
        "plans.progress",
        "coordinator.report",
        "coordinator.report_pdf",
        "coordinator.report_download",
    }
    # The pages hold what a head of office reads: names on the plan, masked numbers.
    plan = next(res for e, _, res in pages if e == "plans.detail").get_data(as_text=True)
    assert "Warga Lapangan 1" in plan and "Tim Mawar" in plan
    geo = next(res for e, _, res in pages if e == "main.requests_geojson").get_data(as_text=True)
    assert "Warga Lapangan" in geo or "JB-F" in geo
    for endpoint, url, res in pages:
        assert res.status_code == 200, (endpoint, url, res.status_code)
        text = _body_text(res)
        leaks = [p.pattern for p in SECRETS if p.search(text)]
        assert leaks == [], (endpoint, url)
    # The same pages for a coordinator do carry them (the scan would see a leak).
    coordinator = world.clients[models.Role.COORDINATOR.value]
    confirm = _body_text(fetch(coordinator, f"/rencana/{world.values['plan_id']}"))
    assert any(p.search(confirm) for p in SECRETS)


_HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]*)"')
_NAV = re.compile(r"<nav\b.*?</nav>", re.S)
_POST_FORM = re.compile(r'<form\b[^>]*method="post"[^>]*action="([^"]*)"', re.I)


def _endpoint_of(app: Flask, href: str, method: str = "GET") -> str | None:
    parts = urlsplit(html.unescape(href))
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None  # outbound (OpenStreetMap, wa.me) or a fragment
    adapter = app.url_map.bind("localhost")
    endpoint, _args = adapter.match(parts.path, method=method)
    return str(endpoint)


def _may_open(app: Flask, role: str, endpoint: str) -> bool:
    permission = endpoint_permission(app, endpoint)
    if permission is None:
        return endpoint in PUBLIC_ENDPOINTS
    return role in PERMISSIONS[permission]


def test_the_head_gets_no_writing_forms_and_only_links_it_may_open(world: World) -> None:
    dead: set[tuple[str, str]] = set()
    nav_links: set[str] = set()
    for endpoint, url, res in _head_pages(world):
        if res.mimetype != "text/html":
            continue
        page = res.get_data(as_text=True)
        forms = {_endpoint_of(world.app, a, "POST") for a in _POST_FORM.findall(page)}
        assert forms <= {"auth.logout"}, (url, forms)
        for nav in _NAV.findall(page):
            for href in _HREF.findall(nav):
                target = _endpoint_of(world.app, href)
                if target:
                    nav_links.add(target)
                    assert _may_open(world.app, HEAD, target), (url, href)
        for href in _HREF.findall(page):
            target = _endpoint_of(world.app, href)
            if target and not _may_open(world.app, HEAD, target):
                dead.add((endpoint, target))
    assert dead == PENDING_DEAD_LINKS
    # The top bar: the map and the report; no requests, letters, exports or settings.
    assert {"main.index", "coordinator.report"} <= nav_links
    assert not nav_links & {"coordinator.queue", "exports.index", "admin.index", "field.index"}


def test_the_dashboard_shows_the_head_no_request_pages_or_numbers(world: World) -> None:
    # The dashboard's view asks "requests.manage" today (a change outside this brief moves it
    # to "reports.view"); its template already shows the head only what it may open.
    session = get_session()
    office = session.scalar(select(models.Office))
    head = session.scalar(select(models.User).where(models.User.role == HEAD))
    assert office is not None and head is not None
    board = build_dashboard(session, office, today=office_today(office))
    with world.app.test_request_context("/koordinator/"):
        login_user(StaffUser(head))
        page = render_template("coordinator/index.html", board=board, office=office)
    g.pop("_login_user", None)
    assert "Dasbor" in page and "Tim Mawar" in page
    targets = {_endpoint_of(world.app, href) for href in _HREF.findall(page)} - {None}
    assert all(_may_open(world.app, HEAD, str(t)) for t in targets), targets
    assert "plans.detail" in targets and "coordinator.report" in targets
    assert not _POST_FORM.findall(page.replace('action="/auth/keluar"', ""))
    assert not [p.pattern for p in SECRETS if p.search(html.unescape(page))]


def test_a_team_lead_sees_only_their_own_team(world: World) -> None:
    lead = world.clients[TEAM_LEAD]
    home = fetch(lead, "/")
    assert home.status_code == 302 and home.headers["Location"] == "/lapangan/"
    assert _refused(lead, fetch(lead, "/peta/permohonan.geojson"))
    own = fetch(lead, f"/lembar/rute/{world.values['route_id']}")
    assert own.status_code == 200 and "Tim Mawar" in own.get_data(as_text=True)
    assert fetch(lead, f"/lembar/rute/{world.other_route_id}").status_code == 404
    field = fetch(lead, "/lapangan/").get_data(as_text=True)
    assert "Tim Mawar" in field and "Tim Melati" not in field


def test_an_admin_creates_a_head_of_office_by_form_and_by_cli(world: World) -> None:
    admin = world.clients[models.Role.ADMIN.value]
    form = fetch(admin, "/pengaturan/petugas/baru").get_data(as_text=True)
    assert '<option value="head"' in form and "Pimpinan" in form
    data = {
        "username": "kepala.dinas",
        "full_name": "Kepala Dinas",
        "role": HEAD,
        "team": "",
        "password": "kepala-2026",
        "password2": "kepala-2026",
    }
    res = fetch(admin, "/pengaturan/petugas/baru", "POST", data=data)
    assert res.status_code == 303, res.get_data(as_text=True)
    runner = world.app.test_cli_runner()
    args = ["outreach", "create-user", "wakil.kepala", "--password", "rahasia-123"]
    done = runner.invoke(args=[*args, "--role", HEAD])
    assert done.exit_code == 0, done.output
    session = get_session()
    session.expire_all()
    users = session.scalars(
        select(models.User).where(models.User.username.in_(["kepala.dinas", "wakil.kepala"]))
    ).all()
    assert sorted((u.role, u.team_id) for u in users) == [(HEAD, None), (HEAD, None)]
    listing = fetch(admin, "/pengaturan/petugas").get_data(as_text=True)
    assert "kepala.dinas" in listing and "Pimpinan" in listing
    head = _login(world.app, "kepala.dinas", "kepala-2026")
    assert fetch(head, "/").status_code == 200


# --- the README's permission table ------------------------------------------------------------

TABLE_START = "<!-- permissions:start -->"
TABLE_END = "<!-- permissions:end -->"
YES = "✓"


def permission_table_problems(readme: str) -> list[str]:
    """How the README's permission table differs from :data:`PERMISSIONS` (empty: none).

    The table sits between :data:`TABLE_START` and :data:`TABLE_END`; its header names each
    role by its stored value in backticks, each row a permission in backticks with ``✓``
    under the roles that have it.
    """
    if TABLE_START not in readme or TABLE_END not in readme:
        return [f"README.md has no table between {TABLE_START} and {TABLE_END}"]
    block = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    lines = [ln.strip() for ln in block.splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, rows = cells[0], [c for c in cells[2:] if c and c[0].startswith("`")]
    roles = [re.sub(r".*`([^`]+)`.*", r"\1", h) for h in header[1 : 1 + len(models.Role)]]
    problems = []
    if sorted(roles) != sorted(r.value for r in models.Role):
        problems.append(f"role columns {roles} are not the roles {[r.value for r in models.Role]}")
    seen = {}
    for row in rows:
        name = row[0].strip("`")
        seen[name] = {role for role, mark in zip(roles, row[1:], strict=False) if YES in mark}
    if set(seen) != set(PERMISSIONS):
        problems.append(f"permissions {sorted(seen)} are not {sorted(PERMISSIONS)}")
    for name, roles_ in sorted(seen.items()):
        if name in PERMISSIONS and roles_ != set(PERMISSIONS[name]):
            problems.append(f"{name}: README {sorted(roles_)}, code {sorted(PERMISSIONS[name])}")
    return problems


def test_the_readme_permission_table_matches_the_code() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    problems = permission_table_problems(readme)
    assert problems == [], "README.md's permission table (see the roles brief's report) differs"


def test_the_table_check_catches_drift() -> None:
    readme = Path(REPO_ROOT / "README.md").read_text(encoding="utf-8")
    if TABLE_START not in readme:
        pytest.skip("README.md has no permission table yet")
    block = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    row = next(ln for ln in block.splitlines() if ln.startswith("| `reports.view`"))
    drifted = readme.replace(row, row.replace(YES, " ", 1))
    assert permission_table_problems(drifted) != []
