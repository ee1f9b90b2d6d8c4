"""Letters: templates, CSV/XLSX with broken rows, all-or-nothing vs valid rows only."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.letters import (
    LetterDraft,
    LetterFormError,
    LetterRowsError,
    check_resident_rows,
    import_letter,
    read_resident_file,
    template_csv,
    template_xlsx,
)
from outreach.intake.validate import IntakeContext
from outreach.web.intake_support import intake_context
from tests.intake.letter_files import BROKEN_ROWS, csv_bytes, good_rows, xlsx_bytes
from tests.intake.yogya import SEMAKI

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def ctx(yapp: Flask, session: Session) -> IntakeContext:
    with yapp.test_request_context():
        base = intake_context(session, office(session))
    return IntakeContext(**{**base.__dict__, "today": TODAY})


def office(session: Session) -> models.Office:
    row = session.scalar(select(models.Office))
    assert row is not None
    return row


def letter(**changes: object) -> LetterDraft:
    d = LetterDraft(
        number="005/SMA3/XI/2026",
        letter_date="2026-11-20",
        sender_type="sekolah",
        sender_name="SMA Negeri 3 Yogyakarta",
        contact_name="Sri Wahyuni",
        contact_phone="0812 2222 3333",
        meeting_place="Aula sekolah",
        kelurahan=SEMAKI,
        services=["perekaman_ktp"],
    )
    for key, value in changes.items():
        setattr(d, key, value)
    return d


def test_templates_read_back_as_empty_lists() -> None:
    assert read_resident_file("t.csv", template_csv()) == []
    assert read_resident_file("t.xlsx", template_xlsx()) == []


def test_csv_and_xlsx_give_the_same_rows(ctx: IntakeContext) -> None:
    rows = good_rows(3)
    from_csv = read_resident_file("warga.csv", csv_bytes(rows))
    from_semicolons = read_resident_file("warga.CSV", csv_bytes(rows, delimiter=";", bom=False))
    from_xlsx = read_resident_file("warga.xlsx", xlsx_bytes(rows))
    assert [r.values for r in from_csv] == [r.values for r in from_xlsx]
    assert [r.values for r in from_semicolons] == [r.values for r in from_csv]
    assert [r.row for r in from_xlsx] == [2, 3, 4]
    valid, errors = check_resident_rows(from_xlsx, wilayah=ctx.wilayah, today=TODAY)
    assert errors == [] and len(valid) == 3
    assert valid[0].rt == "001" and valid[0].services == ["perekaman_ktp"]


def test_broken_rows_are_reported_per_cell(ctx: IntakeContext) -> None:
    rows = read_resident_file("warga.csv", csv_bytes(good_rows(2) + BROKEN_ROWS))
    valid, errors = check_resident_rows(
        rows, wilayah=ctx.wilayah, default_services=["perekaman_ktp"], today=TODAY
    )
    assert len(valid) == 2
    got = {(e.row, e.column) for e in errors}
    assert got == {
        (4, "nama"),
        (5, "nik"),
        (6, "tanggal_lahir"),
        (7, "no_hp"),
        (7, "layanan"),
    }


def test_duplicate_nik_in_one_list(ctx: IntakeContext) -> None:
    rows = good_rows(2)
    rows[1][2] = rows[0][2]
    rows[1][3] = rows[0][3]
    parsed = read_resident_file("w.csv", csv_bytes(rows))
    valid, errors = check_resident_rows(parsed, wilayah=ctx.wilayah, today=TODAY)
    assert len(valid) == 1 and errors[0].message == "NIK sama dengan baris 2."


def test_nik_stored_as_a_number_in_excel(ctx: IntakeContext) -> None:
    # Excel keeps 15 significant digits: any NIK in a number cell may have lost its last
    # digit, even when the 16 digits read back look like a valid NIK.
    good = good_rows(1)[0]
    as_number: list[object] = list(good)
    as_number[2] = int(good[2])
    broken: list[object] = list(good)
    broken[2] = float(good[2][:12] + "0000")  # what Excel keeps of a long number: 0000 serial
    broken[1] = "Siswa Lain"
    parsed = read_resident_file("w.xlsx", xlsx_bytes([as_number, broken], from_template=False))
    valid, errors = check_resident_rows(parsed, wilayah=ctx.wilayah, today=TODAY)
    assert valid == [] and [e.column for e in errors] == ["nik", "nik"]
    assert all("digit terakhir mungkin hilang" in e.message for e in errors)
    assert "Teks" in errors[0].message
    # The coordinator checked the NIK against the KK: the row is accepted.
    checked = [replace(r, nik_checked=True) for r in parsed]
    valid, errors = check_resident_rows(checked[:1], wilayah=ctx.wilayah, today=TODAY)
    assert [v.nik for v in valid] == [good[2]] and errors == []


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("w.pdf", b"%PDF", "tidak didukung"),
        ("w.xlsx", b"not a zip", "tidak dapat dibaca"),
        ("w.csv", b"Nama;Alamat\nBudi;Jl\n", "judul"),
        ("w.csv", b"", "kosong"),
    ],
)
def test_unreadable_files(name: str, data: bytes, fragment: str) -> None:
    with pytest.raises(IntakeError, match=fragment):
        read_resident_file(name, data)


def test_row_limit() -> None:
    with pytest.raises(IntakeError, match="paling banyak 3"):
        read_resident_file("w.csv", csv_bytes(good_rows(4)), max_rows=3)


def test_all_or_nothing(ctx: IntakeContext, session: Session) -> None:
    rows = read_resident_file("w.csv", csv_bytes(good_rows(3) + BROKEN_ROWS))
    with pytest.raises(LetterRowsError) as exc:
        import_letter(session, letter(), rows, ctx=ctx, office=office(session), actor="user:1")
    assert exc.value.valid == 3 and len({e.row for e in exc.value.errors}) == 4
    assert session.scalar(select(models.Letter)) is None
    assert session.scalar(select(models.ServiceRequest)) is None


def test_valid_rows_only_makes_one_collective_request(ctx: IntakeContext, session: Session) -> None:
    rows = read_resident_file("w.xlsx", xlsx_bytes(good_rows(3) + BROKEN_ROWS))
    saved, req, skipped = import_letter(
        session, letter(), rows, ctx=ctx, office=office(session), actor="user:1", valid_only=True
    )
    assert len(saved.residents) == 3 and len({e.row for e in skipped}) == 4
    assert req.category == "kolektif" and req.channel == "letter" and req.persons == 3
    assert req.letter_id == saved.id and req.phone == "+6281222223333"
    assert req.services == ["perekaman_ktp"]
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None and (req.lon, req.lat) == (kel.rep_lon, kel.rep_lat)
    assert "lokasi_perlu_konfirmasi" in req.flags
    # The same letter again is refused.
    with pytest.raises(IntakeError, match="sudah terdaftar"):
        import_letter(
            session,
            letter(),
            rows,
            ctx=ctx,
            office=office(session),
            actor="user:1",
            valid_only=True,
        )


def test_letter_fields_are_checked_with_rows(ctx: IntakeContext, session: Session) -> None:
    rows = read_resident_file("w.csv", csv_bytes(good_rows(1) + BROKEN_ROWS[:1]))
    with pytest.raises(LetterFormError) as exc:
        import_letter(
            session,
            letter(number="", letter_date="2027-01-01", sender_type="rw", rw="", contact_phone="1"),
            rows,
            ctx=ctx,
            office=office(session),
            actor="user:1",
        )
    assert set(exc.value.errors) == {"number", "letter_date", "rw", "contact_phone"}
    assert [e.row for e in exc.value.row_errors] == [3]


def test_meeting_place_on_the_map(ctx: IntakeContext, session: Session) -> None:
    kel = session.scalar(select(models.Kelurahan).where(models.Kelurahan.code == SEMAKI))
    assert kel is not None
    rows = read_resident_file("w.csv", csv_bytes(good_rows(2)))
    _, req, _ = import_letter(
        session,
        letter(lon=f"{kel.rep_lon:.6f}", lat=f"{kel.rep_lat + 0.0004:.6f}"),
        rows,
        ctx=ctx,
        office=office(session),
        actor="user:1",
    )
    assert req.location_source == "map" and req.location_confirmed and req.flags == []


def test_resident_with_open_home_visit_request_is_flagged(
    ctx: IntakeContext, session: Session
) -> None:
    rows = good_rows(1)
    session.add(
        models.ServiceRequest(
            tracking_code="JB-2222-22X",
            office_id=office(session).id,
            person_name="Siswa",
            nik=rows[0][2],
        )
    )
    parsed = read_resident_file("w.csv", csv_bytes(rows))
    _, req, _ = import_letter(session, letter(), parsed, ctx=ctx, office=office(session), actor="u")
    assert "kemungkinan_duplikat" in req.flags
