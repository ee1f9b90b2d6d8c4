"""Two offices in one installation, on two real region packs: neither sees the other.

Office B is Kota Yogyakarta with a whole approved field day (tests/field_day.py: teams, team
leads, requests, a letter, an approved plan, an outcome); office A is Kota Cirebon, added with
``outreach office add``, with its own admin and coordinator (``create-user --office``). Signed
in as A's admin and as A's coordinator, every staff route of ``app.url_map`` is opened with B's
record ids: 404 (or a redirect that says nothing), B's data unchanged by any POST, and no list,
export, map or audit page names a record of B.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach import models
from outreach.db import get_session, scope_to_office
from outreach.geo.boundaries import import_region
from outreach.geo.packs import find_pack
from outreach.office import province_overview
from outreach.visits import OutcomeInput, record_outcome
from outreach.web.permissions import PERMISSIONS, PUBLIC_ENDPOINTS
from tests.field_day import DAY, build_field_day, travel_for
from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

PASSWORD = "rahasia-123"
CIREBON_DEPOT = "108.5571,-6.7063"  # Jl. Siliwangi, Kota Cirebon
A_CODE = "JB-CRB-001"
A_NAME = "Warga Cirebon Satu"


@dataclass(frozen=True)
class TwoOffices:
    """What the fixture made: office A (Cirebon, signed in) and office B's record ids."""

    a_id: int
    b_id: int
    ids: dict[str, Any]  # URL argument name -> one of B's records
    secrets: tuple[str, ...]  # texts of B that no page of A may show


def _cli(app: Flask, *args: str) -> str:
    res = app.test_cli_runner().invoke(args=["outreach", *args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def two(yapp: Flask) -> Iterator[TwoOffices]:
    session = get_session()
    b = session.scalar(select(models.Office))
    assert b is not None
    day = build_field_day(session, travel_for(yapp))
    route = session.scalar(
        select(models.Route).where(models.Route.plan_id == day.plan_id).order_by(models.Route.id)
    )
    assert route is not None and route.stops
    stop = route.stops[0]
    record_outcome(
        session,
        OutcomeInput(client_id=str(uuid.uuid4()), stop_id=stop.id, outcome="selesai"),
        team_id=None,
        user_id=None,
        now=dt.datetime.combine(DAY, dt.time(10)),
    )
    period = models.OfficeHours(
        office_id=b.id,
        name="Ramadan Yogya",
        start_date=dt.date(2027, 2, 8),
        end_date=dt.date(2027, 3, 9),
        work_start=dt.time(8),
        work_end=dt.time(14),
    )
    absence = models.TeamAbsence(
        team_id=day.team_ids["Tim Mawar"],
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 2),
        reason="pelatihan",
    )
    job = models.Job(id=uuid.uuid4().hex, kind="plan", office_id=b.id, title="Rencana Yogya")
    session.add_all([period, absence, job])
    session.commit()
    b_user = session.scalar(select(models.User).where(models.User.username == "ketua.mawar"))
    letter = session.scalar(select(models.Letter).where(models.Letter.office_id == b.id))
    assert b_user is not None and letter is not None
    b_codes = list(
        session.scalars(
            select(models.ServiceRequest.tracking_code).where(
                models.ServiceRequest.office_id == b.id
            )
        )
    )
    b_names = list(
        session.scalars(
            select(models.ServiceRequest.person_name).where(models.ServiceRequest.office_id == b.id)
        )
    )

    # Office A: a second region pack and office, added on the command line.
    import_region(session, find_pack("kota-cirebon", search_dirs=yapp.config["REGIONS_DIRS"]))
    session.commit()
    out = _cli(
        yapp,
        *("office", "add", "--name", "Disdukcapil Kota Cirebon", "--region", "kota-cirebon"),
        *("--depot", CIREBON_DEPOT),
    )
    match = re.search(r"Office #(\d+) added", out)
    assert match, out
    a_id = int(match.group(1))
    for username, role in (("admin.crb", "admin"), ("koord.crb", "coordinator")):
        _cli(
            yapp,
            "create-user",
            username,
            "--password",
            PASSWORD,
            "--role",
            role,
            "--office",
            str(a_id),
        )
    session.add(
        models.ServiceRequest(
            tracking_code=A_CODE,
            office_id=a_id,
            person_name=A_NAME,
            category="lansia",
            services=["perekaman_ktp"],
            status="terverifikasi",
        )
    )
    session.commit()
    ids = {
        "request_id": day.request_ids[0],
        "letter_id": letter.id,
        "plan_id": day.plan_id,
        "route_id": route.id,
        "stop_id": stop.id,
        "team_id": day.team_ids["Tim Mawar"],
        "absence_id": absence.id,
        "user_id": b_user.id,
        "period_id": period.id,
        "job_id": job.id,
        "day": DAY.isoformat(),
        "code": b_codes[0],
    }
    # "RW 07 Semaki" (the letter's sender) is also the letter form's example text: left out.
    secrets = (
        *b_codes,
        *(name for name in b_names if name != "RW 07 Semaki"),
        "Tim Mawar",
        "Tim Melati",
        "ketua.mawar",
        "Disdukcapil Kota Yogyakarta",
        "Ramadan Yogya",
        "Rencana Yogya",
    )
    yield TwoOffices(a_id=a_id, b_id=b.id, ids=ids, secrets=secrets)


def _sign_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": PASSWORD})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def _snapshot(b_id: int) -> dict[str, Any]:
    """Everything of office B a POST could change."""
    session = get_session()
    session.expire_all()
    scope_to_office(session, None)
    req = models.ServiceRequest

    def rows(stmt: Any) -> list[Any]:
        return [tuple(r) for r in session.execute(stmt).all()]

    return {
        "requests": rows(
            select(req.id, req.status, req.flags, req.merged_into_id)
            .where(req.office_id == b_id)
            .order_by(req.id)
        ),
        "plans": rows(
            select(models.Plan.id, models.Plan.status).where(models.Plan.office_id == b_id)
        ),
        "stops": rows(
            select(models.Stop.id, models.Stop.route_id, models.Stop.confirmation_sent_at)
            .join(models.Route)
            .join(models.Plan)
            .where(models.Plan.office_id == b_id)
            .order_by(models.Stop.id)
        ),
        "outcomes": session.scalar(select(func.count(models.VisitOutcome.id))),
        "teams": rows(
            select(models.Team.id, models.Team.name, models.Team.active).where(
                models.Team.office_id == b_id
            )
        ),
        "absences": session.scalar(select(func.count(models.TeamAbsence.id))),
        "users": rows(
            select(
                models.User.id,
                models.User.role,
                models.User.active,
                models.User.password_hash,
                models.User.session_version,
            ).where(models.User.office_id == b_id)
        ),
        "hours": session.scalar(
            select(func.count(models.OfficeHours.id)).where(models.OfficeHours.office_id == b_id)
        ),
        "jobs": rows(select(models.Job.id, models.Job.status).where(models.Job.office_id == b_id)),
        "office": rows(
            select(models.Office.name, models.Office.depot_lon).where(models.Office.id == b_id)
        ),
    }


def _staff_rules(app: Flask) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and not rule.endpoint.startswith(("public.", "static", "assets."))
    ]


def _leaks(body: str, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets if s in body]


def _text(res: Any) -> str:
    """A response's text: pages and JSON as they are, PDFs through pdftotext, XLSX unzipped."""
    data: bytes = res.get_data()
    if data.startswith(b"%PDF"):
        out = subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60
        )
        return out.stdout.decode("utf-8", "replace")
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


@pytest.mark.parametrize("username", ["admin.crb", "koord.crb"])
def test_every_staff_route_with_another_offices_ids_is_not_found(
    yapp: Flask, two: TwoOffices, username: str
) -> None:
    client = _sign_in(yapp, username)
    before = _snapshot(two.b_id)
    opened = 0
    problems: list[str] = []
    for rule in _staff_rules(yapp):
        if not rule.arguments or rule.arguments - set(two.ids):
            continue  # e.g. the letter template's file type: no record in it
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(two.ids[name]), url)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            get_session().expunge_all()  # a fresh session per request, as in production
            res = client.open(url, method=method, data={})
            opened += 1
            body = _text(res)
            redirect_home = res.status_code in {302, 303} and res.headers["Location"] in {
                "/",
                "/lapangan/",
            }
            # A date is no record of B: the day's sheets of A's own routes (none) may answer.
            own_day = rule.arguments == {"day"}
            if res.status_code not in {404, 403} and not redirect_home and not own_day:
                problems.append(f"{method} {url}: {res.status_code}")
            if leaked := _leaks(body, two.secrets):
                problems.append(f"{method} {url}: shows {leaked}")
    assert opened > 30
    assert problems == [], "\n".join(problems)
    assert _snapshot(two.b_id) == before


@pytest.mark.parametrize("username", ["admin.crb", "koord.crb"])
def test_lists_maps_exports_and_audit_name_nothing_of_the_other_office(
    yapp: Flask, two: TwoOffices, username: str
) -> None:
    client = _sign_in(yapp, username)
    urls = [
        rule.rule
        for rule in _staff_rules(yapp)
        if not rule.arguments and "GET" in (rule.methods or set())
    ]
    urls += [
        f"/ekspor/unduh?data={what}&format={fmt}&dari=2026-11-01&sampai=2026-12-31"
        for what in ("requests", "plans", "outcomes")
        for fmt in ("csv", "geojson")
    ]
    urls += [
        f"/peta/rute.geojson?tanggal={DAY.isoformat()}",
        "/koordinator/antrean?status=terbuka",
        "/koordinator/laporan?bulan=2026-11",
        "/pengaturan/audit/?semua=1",
    ]
    problems: list[str] = []
    own_seen = False
    for url in urls:
        get_session().expunge_all()
        res = client.get(url)
        if res.status_code >= 500:
            problems.append(f"{url}: {res.status_code}")
        body = _text(res)
        own_seen = own_seen or A_CODE in body
        if leaked := _leaks(body, two.secrets):
            problems.append(f"{url}: shows {leaked}")
    assert problems == [], "\n".join(problems)
    assert own_seen  # the lists do work: office A's own request is in them


def test_tracking_code_of_another_office_is_not_found_by_staff(
    yapp: Flask, two: TwoOffices
) -> None:
    client = _sign_in(yapp, "koord.crb")
    res = client.post("/koordinator/antrean", data={"q": two.ids["code"]})
    # The search box keeps the code typed; no row of B answers it.
    assert res.status_code == 200 and "Warga Lapangan" not in res.get_data(as_text=True)
    res = client.post("/koordinator/antrean", data={"q": A_CODE})
    assert A_NAME in res.get_data(as_text=True)


def test_session_get_of_unscoped_models_is_checked_by_the_views(
    yapp: Flask, two: TwoOffices
) -> None:
    """Routes and stops carry no office: Session.get finds them; the views check the plan."""
    session = get_session()
    scope_to_office(session, two.a_id)
    try:
        session.expunge_all()
        assert session.get(models.ServiceRequest, two.ids["request_id"]) is None
        assert session.get(models.Plan, two.ids["plan_id"]) is None
        route = session.get(models.Route, two.ids["route_id"])
        assert route is not None  # no office column: the scope cannot hide it ...
        assert route.plan is None or route.plan.office_id != two.a_id
    finally:
        scope_to_office(session, None)


# --- public pages: one path per office, the picker, the status page of any office ----------


def test_public_landing_lets_residents_pick_their_office(
    yclient: FlaskClient, two: TwoOffices
) -> None:
    page = yclient.get("/").get_data(as_text=True)
    assert "/kota-cirebon/layanan/" in page and "/kota-yogyakarta/layanan/" in page
    # Without an office path, the form sends residents to pick one first.
    res = yclient.get("/layanan/")
    assert res.status_code == 302 and res.headers["Location"] == "/"
    assert yclient.get("/layanan/peta/kelurahan.geojson").status_code == 404
    assert yclient.get("/kabupaten-tidak-ada/layanan/").status_code == 404
    cirebon = yclient.get("/kota-cirebon/layanan/")
    assert cirebon.status_code == 200
    body = cirebon.get_data(as_text=True)
    assert "Disdukcapil Kota Cirebon" in body and "Disdukcapil Kota Yogyakarta" not in body
    # Its map reads Cirebon's outlines, under the same path.
    assert "/kota-cirebon/layanan/peta/kelurahan.geojson" in body
    outlines = yclient.get("/kota-cirebon/layanan/peta/kelurahan.geojson").get_json()
    names = {f["properties"]["code"][:5] for f in outlines["features"]}
    assert names == {"32.74"}


def test_a_form_under_an_office_path_files_the_request_with_that_office(
    yclient: FlaskClient, two: TwoOffices
) -> None:
    session = get_session()
    kel = session.scalar(
        select(models.Kelurahan)
        .where(models.Kelurahan.region_slug == "kota-cirebon")
        .order_by(models.Kelurahan.code)
    )
    assert kel is not None
    data = {
        "person_name": "Ibu Cirebon",
        "nik": "",
        "category": "lansia",
        "description": "Sudah sepuh, tidak bisa ke kantor.",
        "services": ["perekaman_ktp"],
        "applicant_relation": "anak",
        "applicant_name": "Anak Cirebon",
        "phone": "0812-3456-7001",
        "kecamatan": kel.kecamatan.code,
        "kelurahan": kel.code,
        "rt": "1",
        "rw": "2",
        "address_street": "Jl. Kesambi No. 3",
        "avail-0-days": ["0", "1", "2"],
        "avail-0-start": "09:00",
        "avail-0-end": "12:00",
        "consent": "ya",
    }
    res = yclient.post("/kota-cirebon/layanan/", data=data)
    assert res.status_code == 303, res.get_data(as_text=True)[-2000:]
    location = res.headers["Location"]
    assert location.startswith("/kota-cirebon/layanan/terima/JB-")
    code = location.rsplit("/", 1)[1]
    session.expire_all()
    row = session.scalar(
        select(models.ServiceRequest).where(models.ServiceRequest.tracking_code == code)
    )
    assert row is not None and row.office_id == two.a_id
    assert yclient.get(location).status_code == 200
    # The status page finds a request of any office, from either path or none.
    for prefix in ("", "/kota-yogyakarta", "/kota-cirebon"):
        res = yclient.post(f"{prefix}/layanan/status", data={"kode": code, "hp4": "7001"})
        assert res.status_code == 200, prefix


def test_tracking_codes_are_unique_across_offices(yapp: Flask, two: TwoOffices) -> None:
    from sqlalchemy.exc import IntegrityError

    session = get_session()
    session.add(
        models.ServiceRequest(
            tracking_code=two.ids["code"], office_id=two.a_id, person_name="Salinan"
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


# --- the province ----------------------------------------------------------------------------


def test_province_overview_has_every_office_and_aggregates_only(
    yapp: Flask, two: TwoOffices
) -> None:
    figures = province_overview(get_session(), now=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    assert [f.office_id for f in figures] == [two.b_id, two.a_id]
    yogya, cirebon = figures
    assert yogya.visits_done_30d == 1 and yogya.backlog >= 1
    assert yogya.stops_planned_today > 0 and yogya.stops_done_today == 1
    assert cirebon.backlog == 1 and cirebon.visits_done_30d == 0
    text = repr(figures)
    assert not _leaks(text, tuple(s for s in two.secrets if s.startswith("JB-")))
    assert A_CODE not in text and A_NAME not in text and "Warga Lapangan" not in text


@pytest.fixture
def province_app(yapp: Flask, two: TwoOffices, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The province page registered (until the app's blueprint list and permission table
    have it) and a province account made on the command line."""
    if "province.view" not in PERMISSIONS:
        monkeypatch.setitem(PERMISSIONS, "province.view", frozenset({"province"}))
    from outreach.web import province

    if "province" not in yapp.blueprints:
        yapp.register_blueprint(province.bp)
    _cli(yapp, "create-user", "prov.jabar", "--password", PASSWORD, "--role", "province")
    return yapp


def test_province_page_shows_every_office_side_by_side(province_app: Flask) -> None:
    client = _sign_in(province_app, "prov.jabar")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/provinsi/"
    res = client.get("/provinsi/")
    assert res.status_code == 200
    body = res.get_data(as_text=True)
    assert "Disdukcapil Kota Yogyakarta" in body and "Disdukcapil Kota Cirebon" in body
    assert "JB-" not in body and "Warga" not in body and "ketua." not in body
    assert res.headers["Cache-Control"] == "private, no-store"
    # Nothing else: no record page, list or map of any office.
    for url in ("/koordinator/antrean", "/rencana/", "/peta/permohonan.geojson", "/ekspor/"):
        res = client.get(url)
        assert res.status_code in {302, 403}, url
        assert "JB-" not in res.get_data(as_text=True)


def test_office_staff_cannot_open_the_province_page(province_app: Flask) -> None:
    client = _sign_in(province_app, "admin.crb")
    res = client.get("/provinsi/")
    assert res.status_code == 302
