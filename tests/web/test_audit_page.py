"""The audit trail page (/pengaturan/audit): filters, paging, CSV, who may open it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office import get_office, save_team
from outreach.office_calendar import set_days
from outreach.privacy import mask_nik
from outreach.staff import hash_password
from tests.intake.yogya import nik_for, staff_client, yapp, yclient, yogya_template

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

ADMIN = ("admin.audit", "rahasia-456")
NIK = nik_for(serial=3)


def sign_in(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(yapp: Flask) -> FlaskClient:
    # Flask-Login keeps the first request's user in the shared app context's ``g``.
    @yapp.before_request
    def _forget_user() -> None:
        g.pop("_login_user", None)

    session = get_session()
    session.add(
        models.User(
            username=ADMIN[0],
            password_hash=hash_password(ADMIN[1]),
            role="admin",
            office_id=get_office(session).id,
        )
    )
    session.commit()
    return sign_in(yapp, *ADMIN)


def admin_id() -> int:
    user = get_session().scalars(select(models.User).where(models.User.username == ADMIN[0]))
    return user.one().id


def make_request(nik: str = NIK) -> models.ServiceRequest:
    session = get_session()
    req = models.ServiceRequest(
        tracking_code="JB-AUDIT1",
        office_id=get_office(session).id,
        person_name="Siti Aminah",
        nik=nik,
        phone="+6281234567890",
    )
    session.add(req)
    session.commit()
    return req


def test_admin_sees_who_when_what_and_masked_before_after(admin_client: FlaskClient) -> None:
    req = make_request()
    res = admin_client.post(
        "/pengaturan/tim/baru",
        data={"name": "Tim Kenanga", "skills": ["perekaman_ktp"], "shift-0-on": "ya"}
        | {"shift-0-start": "08:00", "shift-0-end": "15:00", "active": "ya"},
    )
    assert res.status_code in (302, 303), res.get_data(as_text=True)
    session = get_session()
    # A stored time (UTC) shows as office time, in Indonesian.
    session.add(
        models.AuditEvent(
            at=dt.datetime(2026, 11, 23, 1, 5),
            actor=f"user:{admin_id()}",
            action="plan.approve",
            entity="plan",
            entity_id=77,
            detail={"routes": 2},
        )
    )
    session.commit()

    page = admin_client.get("/pengaturan/audit/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Jejak audit" in html and 'aria-current="page"' in html
    assert "Senin, 23 November 2026 08:05 WIB" in html
    assert ADMIN[0] in html  # the username, not "user:<id>"
    assert "Tim Kenanga" in html and "Tim #" in html
    assert mask_nik(NIK) in html and NIK not in html
    assert "81234567890" not in html
    assert f"Permohonan #{req.id}" in html
    # The nav links the page.
    assert 'href="/pengaturan/audit/"' in admin_client.get("/pengaturan/petugas").get_data(
        as_text=True
    )


def test_filters_by_entity_actor_action_id_and_dates(admin_client: FlaskClient) -> None:
    session = get_session()
    office = get_office(session)
    team = save_team(session, office, name="Tim Dahlia", skills=["kia"])
    session.commit()
    req = make_request()

    html = admin_client.get("/pengaturan/audit/?data=team").get_data(as_text=True)
    assert "Tim Dahlia" in html and f"Permohonan #{req.id}" not in html
    html = admin_client.get(f"/pengaturan/audit/?data=service_request&id={req.id}").get_data(
        as_text=True
    )
    assert f"Permohonan #{req.id}" in html and "Tim Dahlia" not in html
    html = admin_client.get("/pengaturan/audit/?aksi=create&data=team").get_data(as_text=True)
    assert f"Tim #{team.id}" in html
    html = admin_client.get("/pengaturan/audit/?aksi=delete&data=team").get_data(as_text=True)
    assert "Tidak ada catatan" in html
    html = admin_client.get("/pengaturan/audit/?pelaku=cli").get_data(as_text=True)
    assert "Tidak ada catatan" in html
    html = admin_client.get("/pengaturan/audit/?pelaku=system&data=team").get_data(as_text=True)
    assert "Tim Dahlia" in html
    assert ">sistem</option>" in html  # actors offered by name
    today = dt.date.today()
    past = admin_client.get(f"/pengaturan/audit/?sampai={today - dt.timedelta(days=30)}")
    assert "Tidak ada catatan" in past.get_data(as_text=True)
    around = f"dari={today - dt.timedelta(days=1)}&sampai={today + dt.timedelta(days=1)}"
    assert "Tim Dahlia" in admin_client.get(f"/pengaturan/audit/?{around}").get_data(as_text=True)

    bad = admin_client.get("/pengaturan/audit/?dari=23-11-2026")
    assert bad.status_code == 400 and "Tanggal awal tidak sah" in bad.get_data(as_text=True)
    bad = admin_client.get("/pengaturan/audit/?id=abc")
    assert bad.status_code == 400 and "Nomor data harus berupa angka" in bad.get_data(as_text=True)
    bad = admin_client.get(f"/pengaturan/audit/?dari={today}&sampai={today - dt.timedelta(1)}")
    assert bad.status_code == 400


def test_paging(admin_client: FlaskClient) -> None:
    session = get_session()
    # 60 closed dates in one change: 60 events.
    set_days(
        session,
        get_office(session),
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 1),
        is_open=False,
        label="Renovasi kantor",
    )
    session.commit()
    first = admin_client.get("/pengaturan/audit/?data=office_day").get_data(as_text=True)
    assert "60 catatan" in first and "halaman 1 dari 2" in first.lower()
    assert first.count("Renovasi kantor") == 50
    assert "hal=2" in first and 'rel="prev"' not in first
    second = admin_client.get("/pengaturan/audit/?data=office_day&hal=2").get_data(as_text=True)
    assert second.count("Renovasi kantor") == 10 and 'rel="prev"' in second
    beyond = admin_client.get("/pengaturan/audit/?data=office_day&hal=9").get_data(as_text=True)
    assert beyond.count("Renovasi kantor") == 10  # the last page
    assert admin_client.get("/pengaturan/audit/?hal=0").status_code == 400


def test_csv_export_of_the_filtered_rows(admin_client: FlaskClient) -> None:
    session = get_session()
    save_team(session, get_office(session), name='=HYPERLINK("http://x")', skills=["kia"])
    session.commit()
    make_request()
    res = admin_client.get("/pengaturan/audit/csv?data=team")
    assert res.status_code == 200
    assert res.mimetype == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    body = res.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and {r["data"] for r in rows} == {"team"}
    names = [r for r in rows if r["kolom"] == "name"]
    assert names[0]["sesudah"] == '\'=HYPERLINK("http://x")'  # formula-safe
    assert names[0]["aksi"] == "create" and names[0]["pelaku"] == "sistem"
    assert names[0]["waktu"].endswith("+07:00")
    everything = admin_client.get("/pengaturan/audit/csv").get_data().decode("utf-8-sig")
    assert mask_nik(NIK) in everything and NIK not in everything
    assert "81234567890" not in everything


@pytest.mark.parametrize("path", ["/pengaturan/audit/", "/pengaturan/audit/csv"])
def test_coordinator_and_team_lead_are_refused(
    yapp: Flask, staff_client: FlaskClient, path: str
) -> None:
    res = staff_client.get(path)
    assert res.status_code == 302 and "/audit" not in res.headers["Location"]
    g.pop("_login_user", None)  # the shared app context keeps the last request's user
    lead = sign_in(yapp, "ketua_tim", "rahasia-123")
    g.pop("_login_user", None)
    res = lead.get(path)
    assert res.status_code == 302 and "/audit" not in res.headers["Location"]
    g.pop("_login_user", None)
    anonymous = yapp.test_client().get(path)
    assert anonymous.status_code == 302 and "/auth/masuk" in anonymous.headers["Location"]


def test_another_office_events_are_not_shown(admin_client: FlaskClient) -> None:
    session = get_session()
    session.add(
        models.AuditEvent(
            actor="cli",
            action="update",
            entity="team",
            entity_id=1,
            office_id=999,
            detail={"after": {"name": "Rahasia kantor lain"}},
        )
    )
    session.commit()
    html = admin_client.get("/pengaturan/audit/").get_data(as_text=True)
    assert "Rahasia kantor lain" not in html
