"""Request validation against the Yogyakarta office: messages per field, flags, location."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.intake.availability import SlotDraft
from outreach.intake.fields import FormError
from outreach.intake.validate import IntakeContext, RequestDraft, validate_request
from outreach.web.intake_support import intake_context
from tests.intake.yogya import SEMAKI, UMBULHARJO, nik_for

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def ctx(yapp: Flask, session: Session) -> IntakeContext:
    office = session.scalar(select(models.Office))
    assert office is not None
    with yapp.test_request_context():
        base = intake_context(session, office)
    return IntakeContext(**{**base.__dict__, "today": TODAY})


def kel_point(session: Session, code: str) -> tuple[str, str]:
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == code))
    assert kel is not None
    return f"{kel.rep_lon:.6f}", f"{kel.rep_lat:.6f}"


def draft(**changes: object) -> RequestDraft:
    base = RequestDraft(
        person_name="Siti Aminah",
        applicant_relation="anak",
        applicant_name="Budi",
        nik=nik_for(),
        phone="0812 3456 7890",
        category="sakit",
        description="Stroke",
        services=["perekaman_ktp"],
        kecamatan=UMBULHARJO,
        kelurahan=SEMAKI,
        rt="3",
        rw="07",
        address_street="Jl. Kenari No. 12",
        availability=[SlotDraft(days=["0"], start="09:00", end="11:00")],
        consent=True,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_without_point_uses_kelurahan_point(ctx: IntakeContext) -> None:
    data = validate_request(draft(), ctx)
    assert data.location.source == "kelurahan"
    assert data.flags == ["lokasi_perlu_konfirmasi"]
    assert data.phone == "+6281234567890" and data.nik == nik_for()
    assert data.birth_date == dt.date(1950, 3, 14)
    assert (data.rt, data.rw) == ("003", "007")
    assert data.kelurahan is not None and data.kelurahan.code == SEMAKI
    assert (data.location.lon, data.location.lat) == (
        data.kelurahan.rep_lon,
        data.kelurahan.rep_lat,
    )


def test_tapped_point_in_office_area(ctx: IntakeContext, session: Session) -> None:
    lon, lat = kel_point(session, SEMAKI)
    data = validate_request(draft(lon=lon, lat=lat, location_source="map"), ctx)
    assert data.location.source == "map" and data.flags == []
    assert data.location.area is not None and data.location.area.kelurahan_code == SEMAKI


def test_point_in_another_kelurahan_is_flagged(ctx: IntakeContext, session: Session) -> None:
    lon, lat = kel_point(session, "34.71.01.1001")  # Kricak
    data = validate_request(draft(lon=lon, lat=lat, location_source="gps"), ctx)
    assert data.location.source == "gps"
    assert "kelurahan_tidak_sesuai_peta" in data.flags
    assert data.kelurahan is not None and data.kelurahan.code == SEMAKI  # the choice is kept


def test_point_without_kelurahan_decides_it(ctx: IntakeContext, session: Session) -> None:
    lon, lat = kel_point(session, "34.71.01.1001")
    data = validate_request(draft(kelurahan="", kecamatan="", lon=lon, lat=lat), ctx)
    assert data.kelurahan is not None and data.kelurahan.code == "34.71.01.1001"
    assert data.kecamatan is not None and data.kecamatan.code == "34.71.01"


def test_point_outside_office_area_is_an_error(ctx: IntakeContext) -> None:
    with pytest.raises(FormError) as exc:
        validate_request(draft(lon="110.2000", lat="-7.7000"), ctx)
    assert "luar wilayah" in exc.value.errors["location"]


def test_nik_from_another_kota_is_a_flag_not_an_error(ctx: IntakeContext) -> None:
    data = validate_request(draft(nik=nik_for(kec="340401")), ctx)  # Sleman
    assert "nik_luar_wilayah" in data.flags


def test_every_wrong_field_gets_a_message(ctx: IntakeContext) -> None:
    with pytest.raises(FormError) as exc:
        validate_request(
            RequestDraft(
                person_name="Siti 3471",
                nik="1234",
                phone="0812",
                category="piknik",
                services=["sulap"],
                kelurahan="99.99",
                rt="abcd",
                availability=[SlotDraft(days=["0"], start="12:00", end="10:00")],
            ),
            ctx,
        )
    errors = exc.value.errors
    assert set(errors) >= {
        "person_name",
        "nik",
        "phone",
        "category",
        "services",
        "kelurahan",
        "rt",
        "rw",
        "address_street",
        "applicant_relation",
        "availability",
        "consent",
    }
    assert errors["nik"] == "NIK harus 16 angka."
    assert "angka" in errors["person_name"]


def test_woman_day_plus_40_and_future_birth(ctx: IntakeContext) -> None:
    woman = nik_for(dt.date(1990, 5, 20), female=True)
    assert woman[6:8] == "60"
    assert validate_request(draft(nik=woman), ctx).birth_date == dt.date(1990, 5, 20)
    with pytest.raises(FormError) as exc:
        validate_request(draft(nik=woman[:6] + "32" + woman[8:]), ctx)  # day 32: no such date
    assert "tanggal" in exc.value.errors["nik"]


def test_applicant_name_needed_when_asking_for_someone_else(ctx: IntakeContext) -> None:
    with pytest.raises(FormError) as exc:
        validate_request(draft(applicant_name=""), ctx)
    assert "pemohon" in exc.value.errors["applicant_name"]
    own = validate_request(draft(applicant_name="", applicant_relation="diri_sendiri"), ctx)
    assert own.applicant_name == "Siti Aminah"


def test_kelurahan_must_be_in_chosen_kecamatan(ctx: IntakeContext) -> None:
    with pytest.raises(FormError) as exc:
        validate_request(draft(kecamatan="34.71.01"), ctx)
    assert "tidak berada" in exc.value.errors["kelurahan"]


def test_description_needed_when_sick(ctx: IntakeContext) -> None:
    with pytest.raises(FormError) as exc:
        validate_request(draft(description=" "), ctx)
    assert "description" in exc.value.errors
    assert validate_request(draft(description="", category="lansia"), ctx).category == "lansia"


def test_age_that_does_not_fit_the_service_is_flagged(ctx: IntakeContext) -> None:
    child = nik_for(dt.date(2020, 1, 1), female=False)
    assert "usia_tidak_sesuai_layanan" in validate_request(draft(nik=child), ctx).flags
    kia = validate_request(draft(nik=child, services=["kia"]), ctx)
    assert "usia_tidak_sesuai_layanan" not in kia.flags


def test_staff_may_leave_nik_and_phone_empty(ctx: IntakeContext) -> None:
    data = validate_request(
        draft(
            nik="", phone="", rt="", rw="", address_street="", applicant_relation="", persons="4"
        ),
        ctx,
        staff=True,
    )
    assert data.nik is None and data.phone is None and data.persons == 4
    assert "nik_belum_ada" in data.flags
    with pytest.raises(FormError):
        validate_request(draft(nik="", phone=""), ctx)
    # A collective visit (a letter, a sweep) has no NIK of its own: no flag for it.
    hall = validate_request(
        draft(
            nik="",
            phone="",
            category="kolektif",
            person_name="Jemput bola Kel. Semaki",
            description="",
            persons="40",
        ),
        ctx,
        staff=True,
    )
    assert hall.nik is None and "nik_belum_ada" not in hall.flags
