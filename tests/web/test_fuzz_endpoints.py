"""Fuzz every endpoint of the URL map: no input makes a 500 (issue 9, section 4).

For each rule of ``app.url_map`` hypothesis builds URLs from generated path values (huge and
negative ints, unicode, NUL, RTL marks) and, for POST routes, form bodies of real field names
(read from the app's pages and forms) with junk values (NaN, inf, ``110,39``, 10 KB strings,
NUL, direction marks, ids beyond 64 bits). Each is sent as a visitor, a coordinator and a
team lead; any 5xx or exception fails. A bounded number of examples per endpoint keeps the
whole file under about a minute.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from outreach.intake.letters import LetterDraft
from outreach.intake.validate import RequestDraft
from outreach.office import OfficeForm, TeamForm
from tests.conftest import REPO_ROOT, make_test_app
from tests.intake.yogya import COORDINATOR, build_template, yogya_app

TEMPLATES = REPO_ROOT / "outreach" / "templates"
USERS = {"pengunjung": None, "koordinator": COORDINATOR, "ketua_tim": ("ketua_tim", "rahasia-123")}
# Signing out would end the session the other examples use; the login form is fuzzed as a
# visitor only (it would otherwise sign the client in as someone else or out).
SKIP = {"auth.logout", "static", "assets.vendor"}
# Slow pages (PDF rendering, the road layer): fewer examples.
SLOW = {"coordinator.report_pdf", "sheets.route_pdf", "sheets.day_pdf", "main.roads_geojson"}

JUNK = [
    "",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "110,39",
    "-7,80",
    "110.3905",
    "-7.8002",
    "0",
    "-1",
    "1",
    "2",
    str(2**63),
    str(2**64 + 1),
    "99999999999999999999999999",
    "²",
    "٣",
    "x" * 10_240,
    "\x00",
    "Siti\x00Aminah",
    "\u202e\u200fSiti\u2066",
    "ya",
    "simpan",
    "tambah",
    "2026-11-23",
    "31-02-1950",
    "08:00",
    "25:99",
    "34.71.13",
    "34.71.13.1001",
    "perekaman_ktp",
    "sakit",
    "kolektif",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{}",
    "[]",
]
values = st.one_of(
    st.sampled_from(JUNK),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
int_paths = st.one_of(
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=2**63 - 2, max_value=2**72),
    st.integers(min_value=-5, max_value=-1),
).map(str)
text_paths = st.one_of(
    st.sampled_from(["x", "\x00", "\u202e", "2026-11-23", "34.71.13", "xlsx", "csv", "..", "%"]),
    st.text(min_size=1, max_size=30),
)


def _template_names() -> set[str]:
    names: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][\w-]*)"', path.read_text(encoding="utf-8")))
    return names


def _dataclass_names(*classes: Any) -> set[str]:
    return {f.name for cls in classes for f in dataclasses.fields(cls)}


FIELD_NAMES = sorted(
    _template_names()
    | _dataclass_names(RequestDraft, LetterDraft, TeamForm, OfficeForm)
    | {
        "kunci",
        "avail-0-days",
        "avail-0-start",
        "avail-0-end",
        "res-0-nama",
        "res-0-nik",
        "res-0-row",
        "res-0-tanggal_lahir",
        "res-0-no_hp",
        "res-999999999999999999999-nama",
        "start_lon",
        "start_lat",
        "depot_lon",
        "depot_lat",
        "stop_id",
        "client_id",
    }
)
forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12)),
    st.one_of(values, st.lists(values, max_size=3)),
    max_size=10,
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    template = build_template(tmp_path_factory.mktemp("fuzz-template"))
    app = yogya_app(tmp_path_factory.mktemp("fuzz"), template)
    yield app
    app.extensions["outreach_engine"].dispose()


@pytest.fixture(scope="module")
def clients(fuzz_app: Flask) -> dict[str, FlaskClient]:
    out = {}
    for who, cred in USERS.items():
        client = fuzz_app.test_client()
        if cred is not None:
            res = client.post("/auth/masuk", data={"username": cred[0], "password": cred[1]})
            assert res.status_code == 302
        out[who] = client
    return out


def _rules() -> list[Rule]:
    app = make_test_app(Path(_RULES_DIR))
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIP),
        key=lambda r: (r.rule, sorted(r.methods or ())),
    )


_RULES_DIR = tempfile.mkdtemp(prefix="fuzz-rules-")
RULES = _rules()
STATUSES: Counter[tuple[str, int]] = Counter()


def _url(rule: Rule, draw: Any) -> str:
    url = rule.rule
    for arg in sorted(rule.arguments):
        converter = rule._converters[arg]
        strategy = (
            int_paths if converter.__class__.__name__.endswith("IntConverter") else text_paths
        )
        url = re.sub(rf"<[^>]*:?{arg}>", quote(draw(strategy), safe=""), url, count=1)
    return url


def _check(res: Any, method: str, url: str, body: Any) -> None:
    STATUSES[(method, res.status_code)] += 1
    assert res.status_code < 500, (method, url[:200], str(body)[:300], res.status_code)


@pytest.mark.parametrize("who", list(USERS))
@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.endpoint}:{r.rule}")
def test_no_500_anywhere(clients: dict[str, FlaskClient], rule: Rule, who: str) -> None:
    client = clients[who]
    if rule.endpoint == "auth.login" and who != "pengunjung":
        pytest.skip("signing in again would switch the client's user")
    methods = sorted((rule.methods or set()) & {"GET", "POST"})
    slow = rule.endpoint in SLOW
    examples = 2 if slow else (12 if "POST" in methods else 5)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data(), form=forms, query=forms)
    def run(data: Any, form: dict[str, Any], query: dict[str, Any]) -> None:
        url = _url(rule, data.draw)
        for method in methods:
            if method == "GET":
                res = client.get(url, query_string=query if not slow else {})
                _check(res, method, url, query)
                res.close()
            else:
                res = client.post(url, data=form)
                _check(res, method, url, form)
                res = client.post(url, data=b"\x00{not json", content_type="application/json")
                _check(res, method, url, "json junk")

    run()


def test_the_fuzz_reached_the_views() -> None:
    """The examples above got past sign-in and routing: pages, form errors, not only 404s."""
    codes = {code for (_method, code) in STATUSES}
    if not STATUSES:
        pytest.skip("run with the fuzz tests above")
    assert {200, 400, 404} <= codes, STATUSES
