"""Coordinator plan pages (/rencana): create a draft, read it, approve it, insert urgently.

The fast tests plan a handful of requests in Kota Yogyakarta on its real (cached) road network;
the slow one plans the seeded demo end to end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.office import save_team
from outreach.planning.calendar import working_days
from outreach.planning.reasons import format_date
from tests.conftest import make_test_app
from tests.intake.yogya import DEPOT, SEMAKI
from tests.job_wait import future_monday, post_plan

# Plans are made for a coming Monday: the form refuses a start date in the past.
MONDAY = future_monday()
NIK = "3471135403500001"
PHONE = "+6281234567890"


def _seed_backlog(session: Session) -> dict[str, models.ServiceRequest]:
    """Two teams and verified requests near the office; one without a location, one that
    needs a sign-language officer no team has."""
    office = session.scalar(select(models.Office))
    assert office is not None
    for name in ("Tim Mawar", "Tim Melati"):
        save_team(session, office, name=name, skills=["perekaman_ktp", "cetak_ktp", "kia", "kk"])
    semaki = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    offsets: list[tuple[float, float] | None] = [
        (0.006, 0.004),
        (-0.008, 0.003),
        (0.004, -0.007),
        (-0.005, -0.006),
        (0.010, 0.0),
        None,  # no location
        (0.002, 0.002),  # needs a sign-language officer
    ]
    rows: dict[str, models.ServiceRequest] = {}
    for i, offset in enumerate(offsets, start=1):
        code = f"JB-T{i:03d}"
        dx, dy = offset or (None, None)
        rows[code] = models.ServiceRequest(
            tracking_code=code,
            office_id=office.id,
            category="lansia",
            services=["perekaman_ktp"],
            person_name=f"Warga Uji {i}",
            nik=NIK,
            phone=PHONE,
            lon=DEPOT[0] + dx if dx is not None else None,
            lat=DEPOT[1] + dy if dy is not None else None,
            kelurahan_id=semaki.id if semaki else None,
            rt="3",
            rw="7",
            status="terverifikasi",
            location_source="map" if offset else "none",
            location_confirmed=offset is not None,
            required_traits=["bahasa_isyarat"] if i == 7 else [],
        )
        session.add(rows[code])
    session.commit()
    return rows


@pytest.fixture
def backlog(yapp: Flask) -> dict[str, models.ServiceRequest]:
    return _seed_backlog(get_session())


def _form(**changes: object) -> dict[str, object]:
    teams = [str(t.id) for t in get_session().scalars(select(models.Team))]
    data: dict[str, object] = {"mulai": MONDAY.isoformat(), "hari": "1", "tim": teams}
    data.update(changes)
    return data


def _plan_count() -> int:
    return int(get_session().scalar(select(func.count()).select_from(models.Plan)) or 0)


def test_anonymous_is_sent_to_sign_in(yclient: FlaskClient) -> None:
    res = yclient.get("/rencana/")
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]
    res = yclient.post("/rencana/", data={"mulai": MONDAY.isoformat(), "hari": "1"})
    assert res.status_code == 302 and _plan_count() == 0


def test_team_lead_is_refused(yclient: FlaskClient) -> None:
    yclient.post("/auth/masuk", data={"username": "ketua_tim", "password": "rahasia-123"})
    res = yclient.get("/rencana/")
    assert res.status_code == 302 and res.headers["Location"] == "/lapangan/"
    res = yclient.post("/rencana/", data={"mulai": MONDAY.isoformat(), "hari": "1"})
    assert res.status_code == 302 and _plan_count() == 0


def test_new_user_signs_in_and_sees_the_form(yapp: Flask, backlog: object) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "create-user", "k", "--password", "rahasia123"])
    assert res.exit_code == 0, res.output
    client = yapp.test_client()
    assert client.post("/auth/masuk", data={"username": "k", "password": "rahasia123"}).status_code
    html = client.get("/rencana/").get_data(as_text=True)
    assert "Buat rencana baru" in html and "Belum ada rencana." in html
    assert 'href="/rencana/"' in html  # the nav link
    # Both active teams are ticked; the default start is a working day after today.
    assert html.count('name="tim"') == 2 and html.count("checked") == 2
    start = dt.date.fromisoformat(re.search(r'name="mulai" value="([\d-]+)"', html)[1])  # type: ignore[index]
    assert start > dt.date.today() - dt.timedelta(days=1) and start.weekday() != 6


def test_create_read_and_approve(
    yapp: Flask, staff_client: FlaskClient, backlog: dict[str, object]
) -> None:
    job, res = post_plan(yapp, staff_client, _form())
    assert job.status == "done", job.error
    plan = get_session().scalars(select(models.Plan)).one()
    assert job.result == {"plan_id": plan.id}
    assert res.status_code == 303 and res.headers["Location"] == f"/rencana/{plan.id}"
    assert plan.status == "draft" and plan.start_date == MONDAY

    html = staff_client.get(f"/rencana/{plan.id}").get_data(as_text=True)
    assert f"Draf rencana #{plan.id} dibuat." in html
    assert format_date(MONDAY) in html and "Draf" in html
    assert "route-table" in html and "Berangkat dari kantor" in html
    for code in ("JB-T001", "JB-T002", "JB-T003", "JB-T004", "JB-T005", "JB-T007"):
        assert code in html
    stop = plan.routes[0].stops[0]
    assert f'href="/koordinator/permohonan/{stop.request_id}"' in html
    assert "Warga Uji" in html  # staff see names
    assert NIK not in html and PHONE not in html and "812-3456" not in html
    # The unassigned, grouped under their Indonesian reason.
    assert "Lokasi belum ada" in html and "JB-T006" in html
    assert "Keahlian tim tidak ada" in html and "juru bahasa isyarat" in html
    assert 'class="map plan-map"' in html and "jb-stop" in html

    listing = staff_client.get("/rencana/").get_data(as_text=True)
    assert f"#{plan.id}" in listing and "Draf" in listing and format_date(MONDAY) in listing

    res = staff_client.post(f"/rencana/{plan.id}/setujui", follow_redirects=True)
    html = res.get_data(as_text=True)
    visits = sum(len(r.stops) for r in plan.routes)
    assert f"Rencana disetujui: {visits} permohonan terjadwal" in html and "Disetujui" in html
    session = get_session()
    session.expire_all()
    assert session.get(models.Plan, plan.id).status == "approved"  # type: ignore[union-attr]
    scheduled = session.scalars(
        select(models.ServiceRequest).where(models.ServiceRequest.status == "terjadwal")
    ).all()
    assert len(scheduled) == visits >= 5
    # A second approval is refused politely.
    res = staff_client.post(f"/rencana/{plan.id}/setujui", follow_redirects=True)
    assert "Hanya draf yang dapat disetujui" in res.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hari": "0"}, "Jumlah hari harus 1 sampai 10."),
        ({"hari": "11"}, "Jumlah hari harus 1 sampai 10."),
        ({"mulai": "23-11-2026x"}, "Isi tanggal mulai yang benar"),
        ({"mulai": ""}, "Isi tanggal mulai yang benar"),
        ({"tim": []}, "Pilih paling sedikit satu tim."),
    ],
)
def test_bad_input_is_a_400_in_indonesian(
    staff_client: FlaskClient, backlog: object, changes: dict[str, object], message: str
) -> None:
    res = staff_client.post("/rencana/", data=_form(**changes))
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and message in html
    assert _plan_count() == 0
    # What was typed is kept.
    assert f'value="{changes.get("mulai", MONDAY.isoformat())}"' in html


def test_missing_region_pack_is_a_clear_400(
    tmp_path: Path, yogya_template: Path, backlog_template: None = None
) -> None:
    from tests.intake.yogya import yogya_app

    app = yogya_app(tmp_path, yogya_template, REGIONS_DIRS=[str(tmp_path / "nowhere")])
    with app.app_context():
        _seed_backlog(get_session())
        client = app.test_client()
        client.post("/auth/masuk", data={"username": "koordinator", "password": "rahasia-123"})
        # Planning runs in the background: the job fails and its page says why.
        job, res = post_plan(app, client, _form())
        assert job.status == "failed" and res.status_code == 200
        html = res.get_data(as_text=True)
        assert "Perencanaan gagal: Data wilayah kantor belum dimuat" in html
        assert "Coba lagi" in html
        assert _plan_count() == 0
    app.extensions["outreach_engine"].dispose()


def test_urgent_insert_by_tracking_code(
    yapp: Flask, staff_client: FlaskClient, backlog: dict[str, models.ServiceRequest]
) -> None:
    post_plan(yapp, staff_client, _form())
    plan = get_session().scalars(select(models.Plan)).one()
    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    urgent = models.ServiceRequest(
        tracking_code="JB-URG1",
        office_id=office.id,
        category="darurat",
        services=["perekaman_ktp"],
        person_name="Warga Darurat",
        lon=DEPOT[0] + 0.003,
        lat=DEPOT[1] - 0.002,
        status="terverifikasi",
        location_confirmed=True,
    )
    session.add(urgent)
    session.commit()
    assert staff_client.get(f"/rencana/{plan.id}/sisip").status_code == 200
    res = staff_client.post(
        f"/rencana/{plan.id}/sisip", data={"kode": "JB-NOPE", "hari": MONDAY.isoformat()}
    )
    assert res.status_code == 400 and "Kode pelacakan tidak ditemukan" in res.get_data(as_text=True)
    res = staff_client.post(
        f"/rencana/{plan.id}/sisip",
        data={"kode": "jb-urg1", "hari": MONDAY.isoformat()},
        follow_redirects=True,
    )
    html = res.get_data(as_text=True)
    assert "JB-URG1 disisipkan" in html and "Warga Darurat" in html


def test_unknown_plan_is_404(staff_client: FlaskClient) -> None:
    assert staff_client.get("/rencana/999").status_code == 404
    assert staff_client.post("/rencana/999/setujui").status_code == 404


# --- the seeded demo, end to end ---------------------------------------------------------------


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(tmp_path)
    yield app
    app.extensions["outreach_engine"].dispose()


@pytest.fixture
def demo_client(demo_app: Flask) -> Iterator[FlaskClient]:
    app = demo_app
    runner = app.test_cli_runner()
    res = runner.invoke(args=["outreach", "region", "import", "kota-yogyakarta"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(args=["outreach", "seed-demo", "--requests", "40"])
    assert res.exit_code == 0, res.output
    with app.app_context():
        client = app.test_client()
        res = client.post("/auth/masuk", data={"username": "koordinator", "password": "jemputbola"})
        assert res.status_code == 302
        yield client


@pytest.mark.slow
def test_demo_week_plan(demo_app: Flask, demo_client: FlaskClient) -> None:
    html = demo_client.get("/rencana/").get_data(as_text=True)
    teams = re.findall(r'name="tim" value="(\d+)"', html)
    assert len(teams) == 4
    data = {"mulai": MONDAY.isoformat(), "hari": "3", "tim": teams}
    job, res = post_plan(demo_app, demo_client, data)
    assert job.status == "done" and res.status_code == 303, job.error
    page = demo_client.get(res.headers["Location"]).get_data(as_text=True)
    days = working_days(MONDAY, 3, frozenset(range(5)))
    assert format_date(days[0]) in page and format_date(days[2]) in page
    plan = get_session().scalars(select(models.Plan)).one()
    assert plan.summary["visits"] > 10
    for route in plan.routes:
        assert route.stops[0].request.tracking_code in page
    assert page.count('class="data route-table"') == len(plan.routes)
    # Lunch breaks stored on the routes show as rows, with the Indonesian clock.
    breaks = [b for r in plan.routes for b in r.breaks]
    assert breaks and page.count('class="break-row"') == len(breaks)
    first = breaks[0]
    assert f"{first['start'].replace(':', '.')}–{first['end'].replace(':', '.')}" in page
    res = demo_client.post(f"/rencana/{plan.id}/setujui", follow_redirects=True)
    assert "Rencana disetujui" in res.get_data(as_text=True)


def test_the_routing_engines_read_as_words(yapp: Flask) -> None:
    from outreach.web.plans import engine_text

    assert engine_text("vroom 1.15.2") == "VROOM 1.15.2"
    assert engine_text(None) == "-"
    with yapp.test_request_context():
        assert (
            engine_text("vroom 1.15.2 + pyvrp 0.14.1: pyvrp+vroom, vroom")
            == "VROOM 1.15.2 dan PyVRP 0.14.1 (terbaik: PyVRP + VROOM, VROOM)"
        )
