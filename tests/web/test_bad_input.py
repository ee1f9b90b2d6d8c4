"""Bad input is a 400 with a clear Indonesian message, never a 500 (issue 9, section 4)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from outreach import models
from outreach.db import get_session
from outreach.errors import IntakeError
from outreach.intake.fields import MAX_ID, MAX_NAME, read_id
from outreach.intake.locate import parse_point, point_or_none
from outreach.intake.validate import MAX_LINE, MAX_RELATION
from tests.intake.letter_files import good_rows
from tests.intake.yogya import form_data
from tests.web.test_admin import admin_client, office_data, team_data
from tests.web.test_letters_intake import letter_form, typed

__all__ = ["admin_client"]
HUGE = str(2**64 + 5)
SEMAKI_POINT = ("110,3905", "-7,8002")  # Jl. Kenari, typed with decimal commas


def _requests() -> list[models.ServiceRequest]:
    return list(get_session().scalars(select(models.ServiceRequest)))


# --- coordinates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ("nan", "-7.8"),
        ("110.39", "NaN"),
        ("inf", "-7.8"),
        ("110.39", "-inf"),
        ("1e999", "-7.8"),
        ("181", "-7.8"),
        ("110.39", "-91"),
        ("abc", "-7.8"),
        ("110.39", ""),
        ("", ""),
        ("1" * 5000, "-7.8"),
    ],
)
def test_public_map_hint_refuses_bad_points_with_a_message(
    yclient: FlaskClient, lon: str, lat: str
) -> None:
    res = yclient.post("/layanan/peta/lokasi", data={"lon": lon, "lat": lat})
    assert res.status_code == 400
    body = res.get_json()
    assert body and "Titik lokasi" in body["error"]


def test_public_map_hint_still_answers_a_good_point(yclient: FlaskClient) -> None:
    res = yclient.post("/layanan/peta/lokasi", data={"lon": "110.3905", "lat": "-7.8002"})
    assert res.status_code == 200
    assert res.get_json()["inside"] is True


def test_parse_point_decimal_comma_only_when_asked() -> None:
    assert parse_point("110,3905", "-7,8002", decimal_comma=True) == (110.3905, -7.8002)
    with pytest.raises(IntakeError):
        parse_point("110,3905", "-7,8002")
    with pytest.raises(IntakeError, match="jangkauan"):
        parse_point("200", "0")
    assert point_or_none("nan", "1") is None
    assert point_or_none("1,000.5", "1") is None  # a thousands separator is not a decimal comma


def test_public_form_nan_point_is_a_field_error(yclient: FlaskClient) -> None:
    res = yclient.post("/layanan/", data=form_data(lon="nan", lat="inf", location_source="map"))
    assert res.status_code == 400
    assert "Titik lokasi tidak terbaca" in res.get_data(as_text=True)


def test_staff_request_accepts_decimal_comma(yapp: Flask, staff_client: FlaskClient) -> None:
    lon, lat = SEMAKI_POINT
    res = staff_client.post(
        "/koordinator/permohonan/baru", data=form_data(lon=lon, lat=lat, location_source="map")
    )
    assert res.status_code == 303, res.get_data(as_text=True)[:2000]
    (req,) = _requests()
    assert (req.lon, req.lat) == (110.3905, -7.8002)


def test_staff_request_with_comma_point_and_another_error_renders(
    staff_client: FlaskClient,
) -> None:
    lon, lat = SEMAKI_POINT
    res = staff_client.post(
        "/koordinator/permohonan/baru",
        data=form_data(lon=lon, lat=lat, location_source="map", rt="abc"),
    )
    assert res.status_code == 400
    assert "RT diisi angka" in res.get_data(as_text=True)


@pytest.mark.parametrize(("lon", "lat"), [("nan", "-7.8"), ("110.4", "inf"), ("500", "1")])
def test_staff_request_bad_point_is_400(staff_client: FlaskClient, lon: str, lat: str) -> None:
    res = staff_client.post(
        "/koordinator/permohonan/baru", data=form_data(lon=lon, lat=lat, location_source="map")
    )
    assert res.status_code == 400
    assert "Titik lokasi" in res.get_data(as_text=True)


def test_letter_point_with_comma_saved_and_nan_refused(staff_client: FlaskClient) -> None:
    lon, lat = SEMAKI_POINT
    bad = staff_client.post(
        "/koordinator/surat/baru", data={**letter_form(lon="nan", lat=lat), **typed(good_rows(1))}
    )
    assert bad.status_code == 400
    assert "Titik lokasi" in bad.get_data(as_text=True)
    good = staff_client.post(
        "/koordinator/surat/baru", data={**letter_form(lon=lon, lat=lat), **typed(good_rows(1))}
    )
    assert good.status_code == 303, good.get_data(as_text=True)[:2000]
    letter = get_session().scalars(select(models.Letter)).one()
    assert (letter.lon, letter.lat) == (110.3905, -7.8002)


def test_team_start_point_with_comma_and_nan(staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/pengaturan/tim/baru", data=team_data(start_lon="110,3905", start_lat="-7,8002")
    )
    assert res.status_code == 303, res.get_data(as_text=True)[:3000]
    team = get_session().scalars(select(models.Team).order_by(models.Team.id.desc())).first()
    assert team is not None and (team.start_lon, team.start_lat) == (110.3905, -7.8002)
    for lon, lat in [("nan", "-7.8"), ("110.39", "inf"), ("999", "-7.8")]:
        res = staff_client.post(
            "/pengaturan/tim/baru", data=team_data(start_lon=lon, start_lat=lat)
        )
        assert res.status_code == 400, (lon, lat)


def test_office_depot_with_comma_and_nan(admin_client: FlaskClient) -> None:
    res = admin_client.post(
        "/pengaturan/kantor", data=office_data(depot_lon="110,3905", depot_lat="-7,8002")
    )
    assert res.status_code == 303, res.get_data(as_text=True)[:3000]
    for lon, lat in [("NaN", "-7.8"), ("110.39", "-inf")]:
        res = admin_client.post(
            "/pengaturan/kantor", data=office_data(depot_lon=lon, depot_lat=lat)
        )
        assert res.status_code == 400


# --- ids beyond 64 bits ----------------------------------------------------------------------


def test_read_id_bounds() -> None:
    assert read_id("12") == 12
    assert read_id(str(MAX_ID)) == MAX_ID
    assert read_id(str(MAX_ID + 1)) is None
    assert read_id("²") is None  # str.isdigit() is True, int() fails
    assert read_id("-3") is None and read_id("0") is None and read_id("") is None


@pytest.mark.parametrize(
    "path",
    [
        f"/koordinator/permohonan/{HUGE}",
        f"/koordinator/surat/{HUGE}",
        f"/pengaturan/tim/{HUGE}",
        f"/pengaturan/petugas/{HUGE}",
        f"/rencana/{HUGE}",
        f"/koordinator/permohonan/{MAX_ID}",
    ],
)
def test_huge_ids_in_urls_are_404(staff_client: FlaskClient, path: str) -> None:
    assert staff_client.get(path).status_code in {403, 404}


def test_huge_ids_in_forms(staff_client: FlaskClient) -> None:
    staff_client.post("/koordinator/permohonan/baru", data=form_data())
    (req,) = _requests()
    res = staff_client.post(f"/koordinator/permohonan/{req.id}/gabung", data={"dengan": HUGE})
    assert res.status_code == 404
    res = staff_client.post("/koordinator/antrean/verifikasi", data={"pilih": [HUGE, "²"]})
    assert res.status_code == 400
    assert "Centang paling sedikit satu" in res.get_data(as_text=True)
    res = staff_client.get(f"/koordinator/antrean?halaman={HUGE}")
    assert res.status_code == 200


# --- NUL bytes and lengths -----------------------------------------------------------------


def test_nul_bytes_are_removed_from_every_form(yapp: Flask, staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/koordinator/permohonan/baru",
        data=form_data(person_name="Siti\x00 Aminah", address_street="Jl.\x00 Kenari 12"),
    )
    assert res.status_code == 303
    (req,) = _requests()
    assert "\x00" not in req.person_name + req.address_street
    # A form outside intake (team name) goes through the same edge.
    res = staff_client.post("/pengaturan/tim/baru", data=team_data(name="Tim\x00 Nol"))
    assert res.status_code == 303
    names = list(get_session().scalars(select(models.Team.name)))
    assert "Tim Nol" in names


def _column_length(model: type[models.Base], name: str) -> int:
    length = model.__table__.columns[name].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


def test_validator_limits_fit_their_columns() -> None:
    sr = models.ServiceRequest
    assert _column_length(sr, "person_name") >= MAX_NAME
    assert _column_length(sr, "applicant_name") >= MAX_NAME
    assert _column_length(sr, "companion_name") >= MAX_NAME
    assert _column_length(sr, "address_street") >= MAX_LINE
    assert _column_length(sr, "landmark") >= MAX_LINE
    assert _column_length(sr, "applicant_relation") >= MAX_RELATION


@pytest.mark.parametrize("category", ["lansia", "kolektif"])
def test_a_253_character_name_is_refused_with_a_message(
    staff_client: FlaskClient, category: str
) -> None:
    name = ("Siti Aminah binti Abdullah " * 10)[:253]
    res = staff_client.post(
        "/koordinator/permohonan/baru", data=form_data(person_name=name, category=category)
    )
    assert res.status_code == 400
    assert f"paling banyak {MAX_NAME} huruf" in res.get_data(as_text=True)
    assert _requests() == []


def test_a_long_sender_relation_is_not_stored(staff_client: FlaskClient) -> None:
    res = staff_client.post(
        "/koordinator/permohonan/baru",
        data=form_data(applicant_relation="pengirim_" + "x" * 300),
    )
    assert res.status_code == 303
    (req,) = _requests()
    assert len(req.applicant_relation) <= MAX_RELATION
