"""Settings on the web: teams (coordinators too), the office and staff accounts (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.office import describe_week, get_office, save_team, working_weekdays
from outreach.staff import hash_password
from tests.intake.yogya import DEPOT, staff_client, yapp, yclient, yogya_template
from tests.web.html_forms import form_fields

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]

ADMIN = ("admin.kantor", "rahasia-456")
# Inside Kota Yogyakarta (Kec. Kotagede) and far outside it (Jakarta).
KOTAGEDE = ("110.400000", "-7.825000")
JAKARTA = ("106.800000", "-6.200000")


def sign_in(app: Flask, username: str, password: str = "rahasia-123") -> FlaskClient:
    client = app.test_client()
    res = client.post("/auth/masuk", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(yapp: Flask) -> FlaskClient:
    # The fixture's app context is shared by every request, and Flask-Login keeps the user
    # of the first request in ``g``: forget it, so several signed-in clients can take turns.
    @yapp.before_request
    def _forget_user() -> None:
        g.pop("_login_user", None)

    session = get_session()
    office = get_office(session)
    session.add(
        models.User(
            username=ADMIN[0],
            full_name="Admin Kantor",
            password_hash=hash_password(ADMIN[1]),
            role="admin",
            office_id=office.id,
        )
    )
    session.commit()
    return sign_in(yapp, *ADMIN)


def team_data(**changes: Any) -> dict[str, Any]:
    """A valid team form: Mon-Thu 08-15, Fri 08-11, weekend off; ``changes`` override."""
    data: dict[str, Any] = {
        "name": "Tim Kenanga",
        "members": "Sari Wulandari\nBudi Santoso",
        "skills": ["perekaman_ktp", "cetak_ktp", "petugas_perempuan"],
        "max_stops": "6",
        "start_lon": KOTAGEDE[0],
        "start_lat": KOTAGEDE[1],
        "active": "ya",
    }
    for day in range(7):
        data[f"shift-{day}-start"] = "08:00"
        data[f"shift-{day}-end"] = "11:00" if day == 4 else "15:00"
        if day < 5:
            data[f"shift-{day}-on"] = "ya"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def office_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Disdukcapil Kota Yogyakarta",
        "address": "Jl. Kenari No. 56",
        "depot_lon": f"{DEPOT[0]:.6f}",
        "depot_lat": f"{DEPOT[1]:.6f}",
        "work_start": "07:30",
        "work_end": "15:30",
        "sync_deadline": "16:00",
        "daily_card_capacity": "300",
        "printers": "3",
        "working_weekdays": ["0", "1", "2", "3", "4", "5"],
        "collective_max_persons": "30",
        "solver_budget_s": "3",
    }
    data.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        data.pop(key, None)
    return data


# --- who may open what ------------------------------------------------------------------------

PAGES = ["/pengaturan/", "/pengaturan/tim", "/pengaturan/tim/baru", "/pengaturan/kantor"]
PAGES += ["/pengaturan/petugas", "/pengaturan/petugas/baru"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(yclient: FlaskClient, path: str) -> None:
    res = yclient.get(path)
    assert res.status_code == 302 and "/auth/masuk" in res.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_team_lead_is_refused(yapp: Flask, path: str) -> None:
    client = sign_in(yapp, "ketua_tim")
    res = client.get(path)
    assert res.status_code == 302 and "/pengaturan" not in res.headers["Location"]
    res = client.post("/pengaturan/tim/baru", data=team_data())
    assert res.status_code == 302
    assert get_session().scalars(select(models.Team)).all() == []


def test_coordinator_manages_teams_but_not_office_or_staff(staff_client: FlaskClient) -> None:
    for path in ("/pengaturan/", "/pengaturan/tim", "/pengaturan/tim/baru"):
        assert staff_client.get(path).status_code == 200, path
    for path in ("/pengaturan/kantor", "/pengaturan/petugas", "/pengaturan/petugas/baru"):
        res = staff_client.get(path)
        assert res.status_code == 302, path
    res = staff_client.post("/pengaturan/kantor", data=office_data(name="Diubah"))
    assert res.status_code == 302
    assert get_office(get_session()).name == "Disdukcapil Kota Yogyakarta"
    index = staff_client.get("/pengaturan/").get_data(as_text=True)
    assert "/pengaturan/tim" in index and "/pengaturan/kantor" not in index
    assert "/pengaturan/petugas" not in index


# --- teams ------------------------------------------------------------------------------------


def test_create_a_team_with_its_week_and_start_point(staff_client: FlaskClient) -> None:
    page = staff_client.get("/pengaturan/tim/baru").get_data(as_text=True)
    # A new team: office hours on the working weekdays (Monday to Friday), weekend off.
    fields = form_fields(page, "/pengaturan/tim/baru")
    assert fields["shift-0-on"] == "ya" and "shift-5-on" not in fields
    assert fields["shift-0-start"] == "08:00" and fields["shift-0-end"] == "15:00"
    assert 'src="/vendor/leaflet/leaflet.js"' in page and "admin-map.js" in page
    res = staff_client.post("/pengaturan/tim/baru", data=team_data())
    assert res.status_code == 303 and res.headers["Location"].endswith("/pengaturan/tim")
    team = get_session().scalars(select(models.Team)).one()
    assert team.name == "Tim Kenanga"
    assert team.members == ["Sari Wulandari", "Budi Santoso"]
    assert team.skills == ["cetak_ktp", "perekaman_ktp", "petugas_perempuan"]
    assert (team.shift_start, team.shift_end) == (dt.time(8), dt.time(15))
    assert team.shift_by_weekday["4"] == ["08:00", "11:00"]
    assert team.shift_by_weekday["5"] == [] and team.shift_by_weekday["6"] == []
    assert team.max_stops == 6 and team.active
    assert (team.start_lon, team.start_lat) == (110.4, -7.825)
    listing = staff_client.get("/pengaturan/tim").get_data(as_text=True)
    assert "Tim Kenanga" in listing and "Sen–Kam 08.00–15.00 · Jum 08.00–11.00" in listing
    assert "titik sendiri" in listing


def test_bad_team_form_says_why_and_keeps_what_was_typed(staff_client: FlaskClient) -> None:
    data = team_data(
        name="",
        skills=["petugas_perempuan"],
        max_stops="banyak",
        members="Sari\nBudi",
        **{"shift-0-end": "07:00", "shift-2-start": "25:00"},
    )
    res = staff_client.post("/pengaturan/tim/baru", data=data)
    assert res.status_code == 400
    html = res.get_data(as_text=True)
    assert "Nama tim wajib diisi." in html
    assert "Senin: jam selesai harus sesudah jam mulai." in html
    assert "Rabu: jam mulai: bukan jam yang sah" in html
    assert "Kunjungan paling banyak per hari harus berupa bilangan bulat." in html
    fields = form_fields(html, "/pengaturan/tim/baru")
    assert fields["members"] == "Sari\nBudi" and fields["max_stops"] == "banyak"
    assert fields["skills"] == "petugas_perempuan" and fields["shift-2-start"] == "25:00"
    assert fields["start_lon"] == KOTAGEDE[0]
    assert get_session().scalars(select(models.Team)).all() == []
    # With the typos fixed, the remaining rules of save_team (shared with the CLI) speak.
    data = team_data(skills=["petugas_perempuan"])
    html = staff_client.post("/pengaturan/tim/baru", data=data).get_data(as_text=True)
    assert "Pilih sekurang-kurangnya satu layanan tim." in html
    data = team_data(start_lon=JAKARTA[0], start_lat=JAKARTA[1])
    res = staff_client.post("/pengaturan/tim/baru", data=data)
    assert res.status_code == 400 and "di luar wilayah" in res.get_data(as_text=True)
    data = team_data(**{f"shift-{d}-on": None for d in range(7)})
    res = staff_client.post("/pengaturan/tim/baru", data=data)
    assert res.status_code == 400 and "sekurang-kurangnya satu hari" in res.get_data(as_text=True)


def test_edit_a_team_rename_deactivate_and_start_at_the_office(
    staff_client: FlaskClient,
) -> None:
    session = get_session()
    office = get_office(session)
    first = save_team(session, office, name="Tim 1", skills=["kia"], start=(110.4, -7.825))
    save_team(session, office, name="Tim 2", skills=["kk"])
    session.commit()
    url = f"/pengaturan/tim/{first.id}"
    page = staff_client.get(url).get_data(as_text=True)
    fields = form_fields(page, url)
    assert fields["name"] == "Tim 1" and fields["skills"] == "kia" and fields["active"] == "ya"
    # Every day on duty with the team's own hours (no weekday overrides yet).
    assert all(fields[f"shift-{d}-on"] == "ya" for d in range(7))
    taken = dict(fields, name="Tim 2")
    res = staff_client.post(url, data=taken)
    assert res.status_code == 400 and "sudah dipakai tim lain" in res.get_data(as_text=True)
    fields.pop("active")
    changed = dict(fields, name="Tim Anggrek", start_lon="", start_lat="")
    changed["shift-6-on"] = ""
    assert staff_client.post(url, data=changed).status_code == 303
    session.expire_all()
    team = session.get(models.Team, first.id)
    assert team is not None and team.name == "Tim Anggrek" and not team.active
    assert team.start_lon is None and team.shift_by_weekday["6"] == []
    assert describe_week(team) == "Sen–Sab 08.00–15.00"
    assert staff_client.get("/pengaturan/tim/9999").status_code == 404


# --- the office -------------------------------------------------------------------------------


def test_office_settings_saved_and_shown(admin_client: FlaskClient) -> None:
    page = admin_client.get("/pengaturan/kantor").get_data(as_text=True)
    fields = form_fields(page, "/pengaturan/kantor")
    # Saturday and Sunday are off by default.
    assert fields["working_weekdays"] == ["0", "1", "2", "3", "4"]
    assert fields["collective_max_persons"] == "40" or fields["collective_max_persons"].isdigit()
    assert fields["depot_lon"] == f"{DEPOT[0]:.6f}"
    res = admin_client.post("/pengaturan/kantor", data=office_data())
    assert res.status_code == 303
    session = get_session()
    session.expire_all()
    office = get_office(session)
    assert office.work_start == dt.time(7, 30) and office.work_end == dt.time(15, 30)
    assert office.sync_deadline == dt.time(16) and office.daily_card_capacity == 300
    assert office.printers == 3
    assert office.settings["working_weekdays"] == [0, 1, 2, 3, 4, 5]
    assert working_weekdays(office) == [0, 1, 2, 3, 4, 5]
    assert office.settings["planning"]["collective_max_persons"] == 30
    fields = form_fields(
        admin_client.get("/pengaturan/kantor").get_data(as_text=True), "/pengaturan/kantor"
    )
    assert fields["working_weekdays"] == ["0", "1", "2", "3", "4", "5"]
    assert fields["collective_max_persons"] == "30"
    # Seconds of solving per planned day: the planner uses the budgeted portfolio.
    assert office.settings["planning"]["solver_budget_s"] == 3
    assert fields["solver_budget_s"] == "3"
    res = admin_client.post("/pengaturan/kantor", data=office_data(solver_budget_s="90"))
    assert res.status_code == 400
    assert "Waktu penyusunan rute per hari harus 0 sampai 30" in res.get_data(as_text=True)


def test_bad_office_form_says_why_and_keeps_what_was_typed(admin_client: FlaskClient) -> None:
    data = office_data(
        sync_deadline="14:00",
        daily_card_capacity="0",
        printers="dua",
        working_weekdays=[],
        address="Jl. Baru 1",
    )
    data.pop("working_weekdays")
    res = admin_client.post("/pengaturan/kantor", data=data)
    assert res.status_code == 400
    html = res.get_data(as_text=True)
    assert "Batas waktu sinkronisasi tidak boleh sebelum jam kerja selesai." in html
    assert "Kapasitas cetak kartu per hari harus 1 sampai" in html
    assert "Jumlah printer harus berupa bilangan bulat." in html
    assert "Pilih sekurang-kurangnya satu hari kerja untuk kunjungan." in html
    fields = form_fields(html, "/pengaturan/kantor")
    assert fields["address"] == "Jl. Baru 1" and fields["printers"] == "dua"
    assert fields["sync_deadline"] == "14:00"
    res = admin_client.post(
        "/pengaturan/kantor", data=office_data(depot_lon=JAKARTA[0], depot_lat=JAKARTA[1])
    )
    assert res.status_code == 400 and "di luar wilayah" in res.get_data(as_text=True)
    res = admin_client.post("/pengaturan/kantor", data=office_data(work_end="07:00"))
    assert res.status_code == 400 and "Jam kerja selesai harus sesudah" in res.get_data(
        as_text=True
    )
    session = get_session()
    session.expire_all()
    assert get_office(session).address == "Jl. Kenari No. 56"


# --- staff accounts ---------------------------------------------------------------------------


def _team(name: str = "Tim Mawar") -> models.Team:
    session = get_session()
    team = save_team(session, get_office(session), name=name, skills=["perekaman_ktp"])
    session.commit()
    return team


def test_create_a_team_lead_and_sign_in(yapp: Flask, admin_client: FlaskClient) -> None:
    team = _team()
    page = admin_client.get("/pengaturan/petugas/baru").get_data(as_text=True)
    assert "Tim Mawar" in page
    data = {
        "username": "ketua.mawar",
        "full_name": "Sari Wulandari",
        "role": "team_lead",
        "team": str(team.id),
        "password": "mawar-2026",
        "password2": "mawar-2026",
    }
    res = admin_client.post("/pengaturan/petugas/baru", data=data)
    assert res.status_code == 303, res.get_data(as_text=True)
    user = get_session().scalar(select(models.User).where(models.User.username == "ketua.mawar"))
    assert user is not None and user.team_id == team.id and user.role == "team_lead"
    listing = admin_client.get("/pengaturan/petugas").get_data(as_text=True)
    assert "ketua.mawar" in listing and "Ketua tim" in listing and "Tim Mawar" in listing
    assert "mawar-2026" not in listing
    sign_in(yapp, "ketua.mawar", "mawar-2026")
    events = get_session().scalars(
        select(models.AuditEvent).where(
            models.AuditEvent.entity == "user",
            models.AuditEvent.action.not_in(("create", "update", "delete")),
        )
    )
    assert [e.action for e in events] == ["user.create"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"team": ""}, "Ketua tim wajib memilih tim yang dipimpinnya."),
        ({"password": "pendek", "password2": "pendek"}, "Kata sandi paling sedikit 8 karakter."),
        ({"password2": "lain-sekali"}, "Ulangan kata sandi tidak sama."),
        ({"username": "koordinator"}, "Nama pengguna &#39;koordinator&#39; sudah dipakai."),
        ({"username": "nama dengan spasi"}, "Nama pengguna 1-80 karakter"),
    ],
)
def test_bad_account_form_says_why_and_keeps_what_was_typed(
    admin_client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    team = _team()
    data = {
        "username": "ketua.baru",
        "full_name": "Budi Santoso",
        "role": "team_lead",
        "team": str(team.id),
        "password": "rahasia-789",
        "password2": "rahasia-789",
        **changes,
    }
    res = admin_client.post("/pengaturan/petugas/baru", data=data)
    assert res.status_code == 400
    html = res.get_data(as_text=True)
    assert message in html
    fields = form_fields(html, "/pengaturan/petugas/baru")
    assert fields["username"] == data["username"] and fields["full_name"] == "Budi Santoso"
    assert fields["role"] == "team_lead" and fields["team"] == data["team"]
    assert fields["password"] == ""  # a password is never sent back
    count = get_session().scalars(select(models.User).where(models.User.username == "ketua.baru"))
    assert count.all() == []


def test_change_role_reset_password_deactivate(yapp: Flask, admin_client: FlaskClient) -> None:
    team = _team()
    session = get_session()
    user = session.scalar(select(models.User).where(models.User.username == "koordinator"))
    assert user is not None
    url = f"/pengaturan/petugas/{user.id}"
    fields = form_fields(admin_client.get(url).get_data(as_text=True), url)
    assert fields["role"] == "coordinator" and fields["full_name"] == "Koordinator Uji"
    res = admin_client.post(url, data=dict(fields, role="team_lead", team=""))
    assert res.status_code == 400 and "wajib memilih tim" in res.get_data(as_text=True)
    res = admin_client.post(url, data=dict(fields, role="team_lead", team=str(team.id)))
    assert res.status_code == 303
    session.expire_all()
    assert user.role == "team_lead" and user.team_id == team.id
    # Back to coordinator: the team select is ignored for other roles and cleared.
    admin_client.post(url, data=dict(fields, role="coordinator", team=str(team.id)))
    session.expire_all()
    assert user.role == "coordinator" and user.team_id is None

    res = admin_client.post(f"{url}/sandi", data={"password": "pendek", "password2": "pendek"})
    assert res.status_code == 400 and "paling sedikit 8 karakter" in res.get_data(as_text=True)
    new = {"password": "sandi-baru-1", "password2": "sandi-baru-1"}
    assert admin_client.post(f"{url}/sandi", data=new).status_code == 303
    coordinator = sign_in(yapp, "koordinator", "sandi-baru-1")

    res = admin_client.post(f"{url}/status", data={"aktif": "0"})
    assert res.status_code == 303, res.headers.get("Location")
    session.expire_all()
    assert not user.active
    # Signed out at the next request; cannot sign in again.
    assert coordinator.get("/pengaturan/tim").status_code == 302
    bad = yapp.test_client().post(
        "/auth/masuk", data={"username": "koordinator", "password": "sandi-baru-1"}
    )
    assert bad.status_code == 401
    assert admin_client.post(f"{url}/status", data={"aktif": "1"}).status_code == 303
    sign_in(yapp, "koordinator", "sandi-baru-1")


def test_admin_cannot_deactivate_or_demote_themself(admin_client: FlaskClient) -> None:
    session = get_session()
    me = session.scalar(select(models.User).where(models.User.username == ADMIN[0]))
    assert me is not None
    res = admin_client.post(f"/pengaturan/petugas/{me.id}/status", data={"aktif": "0"})
    assert res.status_code == 303
    page = admin_client.get("/pengaturan/petugas").get_data(as_text=True)
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri." in page
    url = f"/pengaturan/petugas/{me.id}"
    res = admin_client.post(url, data={"full_name": "Admin", "role": "coordinator"})
    assert res.status_code == 400
    assert "tidak dapat mengubah peran akun Anda sendiri" in res.get_data(as_text=True)
    session.expire_all()
    assert me.active and me.role == "admin"


def test_cli_and_web_share_the_account_rules(yapp: Flask) -> None:
    runner = yapp.test_cli_runner()
    args = ["outreach", "create-user", "ketua.x", "--role", "team_lead", "--team", "Tim 9"]
    res = runner.invoke(args=[*args, "--password", "pendek"])
    assert res.exit_code == 1 and "at least 8" in res.output
    res = runner.invoke(args=["outreach", "create-user", "nama spasi", "--password", "rahasia-123"])
    assert res.exit_code == 1 and "Nama pengguna 1-80 karakter" in res.output
    # The CLI resets an existing account (the web refuses a taken name instead).
    res = runner.invoke(args=["outreach", "create-user", "koordinator", "--password", "baru-12345"])
    assert res.exit_code == 0, res.output
    sign_in(yapp, "koordinator", "baru-12345")


def test_a_new_team_never_overwrites_one_of_the_same_name(yapp: Flask) -> None:
    from outreach.office import FormError, save_team, save_team_form, team_form

    session = get_session()
    office = session.scalar(select(models.Office))
    assert office is not None
    old = save_team(session, office, name="Tim 1", skills=["perekaman_ktp", "kk"], members=["A"])
    session.commit()
    form = team_form(office)
    form.name, form.skills = " tim 1 ", ["kk"]
    with pytest.raises(FormError) as caught:
        save_team_form(session, office, form)
    assert "sudah dipakai" in caught.value.errors["name"]
    session.refresh(old)
    assert old.members == ["A"] and set(old.skills) == {"perekaman_ktp", "kk"}
    form.name = "Tim\x00 2"
    with pytest.raises(FormError) as caught:
        save_team_form(session, office, form)
    assert "tidak valid" in caught.value.errors["name"]


def test_a_username_differing_only_in_case_is_taken(yapp: Flask) -> None:
    from outreach.staff import StaffError, create_user

    session = get_session()
    office = session.scalar(select(models.Office))
    with pytest.raises(StaffError, match="sudah dipakai"):
        create_user(
            session, office, username="KOORDINATOR", password="rahasia-123", role="coordinator"
        )
