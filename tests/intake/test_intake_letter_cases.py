"""Resident lists as village offices really save them (issue 9, section 2 and section 3's NIK).

Each ``tests/intake/cases/letter-*`` file (copied from ``../shared/cases/intake``) is read and
checked with its right value, and uploaded through the letter page; then one test per kind of
damage: title rows, separators, BOM, Windows-1252, header variants, numbers damaged by
spreadsheets, dates, skipped rows kept with the letter, contact names with titles.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.letters import (
    NUMBER_CELL_NIK,
    LetterDraft,
    RawRow,
    check_contact_name,
    check_resident_rows,
    import_letter,
    read_date,
    read_resident_file,
    skipped_rows,
    validate_letter,
)
from outreach.intake.nik import FLAG_OLD_KECAMATAN
from outreach.intake.validate import IntakeContext
from outreach.web.intake_support import intake_context
from tests.intake.yogya import SEMAKI, UMBULHARJO

CASES = Path(__file__).parent / "cases"
TODAY = dt.date(2026, 11, 22)
SITI = "3471135503500001"  # a woman born 15-03-1950, Umbulharjo
EXCEL_MESSAGE = "NIK disimpan sebagai angka oleh Excel; digit terakhir mungkin hilang"


@pytest.fixture
def ctx(yapp: Flask, session: Session) -> IntakeContext:
    with yapp.test_request_context():
        base = intake_context(session, office(session))
    return IntakeContext(**{**base.__dict__, "today": TODAY})


def office(session: Session) -> models.Office:
    row = session.scalar(select(models.Office))
    assert row is not None
    return row


def check(
    ctx: IntakeContext, name: str, data: bytes | None = None
) -> tuple[list[RawRow], list, list]:  # type: ignore[type-arg]
    raw = read_resident_file(name, data if data is not None else (CASES / name).read_bytes())
    valid, errors = check_resident_rows(
        raw, wilayah=ctx.wilayah, default_services=["perekaman_ktp"], today=TODAY
    )
    return raw, valid, errors


def table(rows: list[list[str]], *, sep: str = ";") -> str:
    return "\r\n".join(sep.join(r) for r in rows) + "\r\n"


HEADER = ["NO", "NAMA", "NIK", "TGL LAHIR", "NO HP", "RT", "RW"]


def one_row(**cells: str) -> list[list[str]]:
    row = {"NO": "1", "NAMA": "Siti Aminah", "NIK": SITI, "TGL LAHIR": "15-03-1950"}
    row |= {"NO HP": "", "RT": "3", "RW": "7"} | cells
    return [HEADER, [row[h] for h in HEADER]]


# --- the case files --------------------------------------------------------------------------


def test_case_born_1917(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "letter-born-1917.csv")
    assert errors == []
    assert valid[0].birth_date == dt.date(1917, 3, 14) and valid[0].nik == "3471135403170001"


def test_case_phone_float(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "letter-phone-float.csv")
    assert errors == [] and valid[0].phone == "+6281234567890"  # never +62812345678900


def test_case_nik_numeric_cell(ctx: IntakeContext) -> None:
    raw, valid, errors = check(ctx, "letter-nik-numeric-cell.xlsx")
    assert raw[0].numeric_nik and valid == []
    assert [(e.row, e.column) for e in errors] == [(2, "nik")]
    assert errors[0].message.startswith(EXCEL_MESSAGE) and "Teks" in errors[0].message


def test_case_title_rows(ctx: IntakeContext) -> None:
    raw, valid, errors = check(ctx, "letter-title-rows.csv")
    assert errors == [] and [r.row for r in raw] == [5]  # header on row 4
    assert (valid[0].name, valid[0].nik, valid[0].phone) == ("Siti Aminah", SITI, "+6281234567890")
    assert (valid[0].birth_date, valid[0].rt, valid[0].rw) == (dt.date(1950, 3, 15), "003", "007")


def test_case_two_digit_year(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "letter-two-digit-year.csv")
    assert errors == [] and valid[0].birth_date == dt.date(1950, 3, 15)


# --- the upload page, end to end -------------------------------------------------------------


def letter_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "number": "12/RW07/XI/2026",
        "letter_date": "2026-11-20",
        "sender_type": "rw",
        "sender_name": "RW 07 Semaki",
        "contact_name": "Pak Slamet Riyadi (Ketua RW 07)",
        "contact_phone": "0812-7777-8888",
        "meeting_place": "Balai RW 07",
        "kecamatan": UMBULHARJO,
        "kelurahan": SEMAKI,
        "rw": "7",
        "services": ["perekaman_ktp"],
        "action": "simpan",
    }
    data.update(changes)
    return data


def upload(client: FlaskClient, name: str, data: bytes | None = None, **changes: object):  # type: ignore[no-untyped-def]
    body = data if data is not None else (CASES / name).read_bytes()
    return client.post(
        "/koordinator/surat/baru",
        data={**letter_form(**changes), "berkas": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def residents(session: Session) -> list[models.LetterResident]:
    return list(session.scalars(select(models.LetterResident).order_by(models.LetterResident.id)))


@pytest.mark.parametrize(
    ("name", "birth", "phone"),
    [
        ("letter-title-rows.csv", dt.date(1950, 3, 15), "+6281234567890"),
        ("letter-two-digit-year.csv", dt.date(1950, 3, 15), None),
        ("letter-born-1917.csv", dt.date(1917, 3, 14), None),
        ("letter-phone-float.csv", dt.date(1950, 3, 15), "+6281234567890"),
    ],
)
def test_upload_stores_the_right_values(
    staff_client: FlaskClient, session: Session, name: str, birth: dt.date, phone: str | None
) -> None:
    res = upload(staff_client, name)
    assert res.status_code == 303, res.get_data(as_text=True)
    [resident] = residents(session)
    assert (resident.birth_date, resident.phone, resident.rt, resident.rw) == (
        birth,
        phone,
        "003",
        "007",
    )
    letter = session.scalar(select(models.Letter))
    assert letter is not None and letter.contact_name == "Pak Slamet Riyadi (Ketua RW 07)"


def test_upload_of_a_nik_in_a_number_cell_is_flagged_not_stored(
    staff_client: FlaskClient, session: Session
) -> None:
    res = upload(staff_client, "letter-nik-numeric-cell.xlsx")
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and EXCEL_MESSAGE in page
    assert session.scalar(select(func.count()).select_from(models.Letter)) == 0
    # "Valid rows only" leaves nothing to import: still nothing stored.
    res = upload(staff_client, "letter-nik-numeric-cell.xlsx", hanya_valid="ya")
    assert res.status_code == 400
    assert session.scalar(select(func.count()).select_from(models.Letter)) == 0
    # Sent back unchanged from the table, the row stays flagged (nothing lost on the way) ...
    fields = dict(re.findall(r'name="(res-\d+-\w+)" value="([^"]*)"', page))
    assert fields.pop("res-0-nik_cek") == "ya"  # the checkbox, unticked
    assert (
        fields["res-0-nik"] == "3471135503500120"
        and fields["res-0-nik_angka"] == fields["res-0-nik"]
    )
    res = staff_client.post("/koordinator/surat/baru", data={**letter_form(), **fields})
    assert res.status_code == 400 and EXCEL_MESSAGE in res.get_data(as_text=True)
    # ... until the coordinator retypes the NIK from the KK.
    fields["res-0-nik"] = SITI
    res = staff_client.post("/koordinator/surat/baru", data={**letter_form(), **fields})
    assert res.status_code == 303, res.get_data(as_text=True)
    assert [r.nik for r in residents(session)] == [SITI]


def test_skipped_rows_stay_listed_on_the_letter(
    staff_client: FlaskClient, session: Session
) -> None:
    rows = [
        HEADER,
        ["1", "Siti Aminah", SITI, "15-03-1950", "", "3", "7"],
        ["2", "Budi Santoso", "3,47113E+15", "", "", "3", "7"],
        ["3", "Sri Lestari", "3471135503500002", "31-02-1950", "", "3", "7"],
    ]
    res = upload(staff_client, "warga.csv", table(rows).encode(), hanya_valid="ya")
    assert res.status_code == 303, res.get_data(as_text=True)
    letter = session.scalar(select(models.Letter))
    assert letter is not None and [r.name for r in letter.residents] == ["Siti Aminah"]
    listed = skipped_rows(session, letter.id)
    assert [(s.row, s.name) for s in listed] == [(3, "Budi Santoso"), (4, "Sri Lestari")]
    assert "notasi ilmiah" in listed[0].errors[0][1]
    assert listed[1].errors == [("Tanggal lahir (DD-MM-YYYY)", "Tanggal 31-02-1950 tidak ada.")]
    page = staff_client.get(f"/koordinator/surat/{letter.id}").get_data(as_text=True)
    assert "Baris yang dilewati" in page and "Budi Santoso" in page and "Sri Lestari" in page
    assert "31-02-1950 tidak ada" in page
    event = session.scalar(
        select(models.AuditEvent).where(models.AuditEvent.action == "letter.register")
    )
    assert event is not None and "3,47113E+15" not in str(event.detail)


# --- section 2, one test per kind ------------------------------------------------------------


def test_title_blank_and_numbered_column_rows_above_and_below_the_header(
    ctx: IntakeContext,
) -> None:
    rows = [
        ["DAFTAR PESERTA PEREKAMAN KTP-EL", "", "", "", "", "", ""],
        ["", "", "", "", "", "", ""],
        ["1", "2", "3", "4", "5", "6", "7"],
        HEADER,
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        ["1", "Siti Aminah", SITI, "15-03-1950", "", "3", "7"],
    ]
    raw, valid, errors = check(ctx, "w.csv", table(rows).encode())
    assert errors == [] and [r.row for r in raw] == [6] and valid[0].nik == SITI


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_either_separator(ctx: IntakeContext, sep: str) -> None:
    rows = one_row(NAMA="H. Ahmad Fauzi, S.Pd.") if sep != "," else one_row()
    text = table(rows, sep=sep).replace("H. Ahmad Fauzi, S.Pd.", '"H. Ahmad Fauzi, S.Pd."')
    _, valid, errors = check(ctx, "w.csv", text.encode())
    assert errors == [] and valid[0].nik == SITI


def test_bom_and_windows_1252(ctx: IntakeContext) -> None:
    rows = one_row(NAMA="Andréas Sitompul’s")
    for data in (
        ("\ufeff" + table(rows)).encode("utf-8"),
        table(rows).encode("cp1252"),
        table(rows).encode("utf-16"),
    ):
        raw, _, _ = check(ctx, "w.csv", data)
        assert raw[0].values["nama"] == "Andréas Sitompul’s"


@pytest.mark.parametrize(
    "header",
    [
        ["NO", "NAMA", "NIK", "TGL LAHIR", "NO HP/WA", "RT", "RW"],
        ["No.", "Nama Lengkap", "N I K", "Tgl. Lahir", "No. WA", "RT", "RW"],
        ["Nomor", "Nama Warga", "No. KTP", "Tanggal Lahir (dd/mm/yyyy)", "WhatsApp", "RT", "RW"],
        ["no", "nama peserta", "NIK (16 digit)", "tanggal_lahir", "Telp", "rt", "rw"],
    ],
)
def test_header_variants(ctx: IntakeContext, header: list[str]) -> None:
    rows = [header, ["1", "Siti Aminah", SITI, "15-03-1950", "081234567890", "3", "7"]]
    _, valid, errors = check(ctx, "w.csv", table(rows).encode())
    assert errors == [] and (valid[0].nik, valid[0].phone) == (SITI, "+6281234567890")


def test_combined_rt_rw_column(ctx: IntakeContext) -> None:
    rows = [["No", "Nama", "NIK", "RT/RW"], ["1", "Siti Aminah", SITI, "003/007"]]
    _, valid, errors = check(ctx, "w.csv", table(rows).encode())
    assert errors == [] and (valid[0].rt, valid[0].rw) == ("003", "007")


def test_no_kk_column_never_fills_the_nik(ctx: IntakeContext) -> None:
    rows = [
        ["No", "Nama", "No KK", "NIK"],
        ["1", "Siti Aminah", "3471130101090012", SITI],
    ]
    _, valid, errors = check(ctx, "w.csv", table(rows).encode())
    assert errors == [] and valid[0].nik == SITI


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("6281234567890.0", "+6281234567890"), ("6281234567890,0", "+6281234567890")],
)
def test_phone_saved_with_a_decimal(ctx: IntakeContext, phone: str, expected: str) -> None:
    _, valid, errors = check(ctx, "w.csv", table(one_row(**{"NO HP": phone})).encode())
    assert errors == [] and valid[0].phone == expected


def test_scientific_notation_is_flagged(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "w.csv", table(one_row(NIK="3,47114E+15")).encode())
    assert valid == [] and errors[0].column == "nik" and "notasi ilmiah" in errors[0].message
    _, valid, errors = check(ctx, "w.csv", table(one_row(**{"NO HP": "6,28123E+12"})).encode())
    assert valid == [] and errors[0].column == "no_hp" and "notasi ilmiah" in errors[0].message


def test_nik_saved_with_a_decimal_is_flagged(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "w.csv", table(one_row(NIK="3471135503500000.0")).encode())
    assert valid == [] and errors[0].message == NUMBER_CELL_NIK


def test_nik_in_an_excel_number_cell_is_flagged(ctx: IntakeContext) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    ws.append([1, "Siti Aminah", int(SITI), dt.datetime(1950, 3, 15), None, 3, 7])
    out = io.BytesIO()
    wb.save(out)
    _, valid, errors = check(ctx, "w.xlsx", out.getvalue())
    assert valid == [] and errors[0].message.startswith(EXCEL_MESSAGE)


@pytest.mark.parametrize(
    "written",
    [
        "15/03/50",
        "15-03-1950",
        "15/03/1950",
        "15.03.1950",
        "1950-03-15",
        "18337",  # Excel serial date
        "15 Maret 1950",
        "15 MARET 1950",
        "15-Mar-1950",
        "15 Mar 50",
    ],
)
def test_birth_dates_as_written(ctx: IntakeContext, written: str) -> None:
    _, valid, errors = check(ctx, "w.csv", table(one_row(**{"TGL LAHIR": written})).encode())
    assert errors == [] and valid[0].birth_date == dt.date(1950, 3, 15)


def test_excel_serial_date_in_a_number_cell(ctx: IntakeContext) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    ws.append([1, "Siti Aminah", SITI, 18337, None, "3", "7"])
    out = io.BytesIO()
    wb.save(out)
    _, valid, errors = check(ctx, "w.xlsx", out.getvalue())
    assert errors == [] and valid[0].birth_date == dt.date(1950, 3, 15)


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("31-02-1950", "31-02-1950 tidak ada"),
        ("29/02/1951", "29/02/1951 tidak ada"),
        ("31 April 1950", "31 April 1950 tidak ada"),
        ("03/15/1950", "tulis hari-bulan-tahun"),
        ("kemarin", "tidak dikenali"),
    ],
)
def test_impossible_dates_say_so(written: str, fragment: str) -> None:
    with pytest.raises(IntakeError, match=fragment):
        read_date(written)


def test_two_digit_year_that_the_nik_cannot_settle_is_asked_for(ctx: IntakeContext) -> None:
    nik = "3471135403170001"  # 14-03-17: 1917 or 2017
    _, valid, errors = check(
        ctx, "w.csv", table(one_row(NIK=nik, **{"TGL LAHIR": "14/03/17"})).encode()
    )
    assert valid == [] and "bisa 1917 atau 2017" in errors[0].message
    _, valid, errors = check(
        ctx, "w.csv", table(one_row(NIK=nik, **{"TGL LAHIR": "14/03/1917"})).encode()
    )
    assert errors == [] and valid[0].birth_date == dt.date(1917, 3, 14)


def test_birth_date_against_the_nik(ctx: IntakeContext) -> None:
    _, valid, errors = check(ctx, "w.csv", table(one_row(**{"TGL LAHIR": "16/03/50"})).encode())
    assert valid == [] and errors[0].message == "Tanggal lahir tidak sama dengan NIK (15-03-1950)."


def test_old_kecamatan_code_is_imported_and_flagged(ctx: IntakeContext, session: Session) -> None:
    old = "3207225503500001"  # 32.07.22: moved from Ciamis to Pangandaran
    raw = read_resident_file("w.csv", table(one_row(NIK=old)).encode())
    _, req, skipped = import_letter(
        session,
        draft(),
        raw,
        ctx=ctx,
        office=office(session),
        actor="user:1",
    )
    assert skipped == [] and FLAG_OLD_KECAMATAN in req.flags


def draft(**changes: object) -> LetterDraft:
    d = LetterDraft(
        number="12/RW07/XI/2026",
        letter_date="2026-11-20",
        sender_type="rw",
        sender_name="RW 07 Semaki",
        contact_name="Pak Slamet",
        contact_phone="0812 2222 3333",
        meeting_place="Balai RW 07",
        kelurahan=SEMAKI,
        rw="7",
        services=["perekaman_ktp"],
    )
    for key, value in changes.items():
        setattr(d, key, value)
    return d


@pytest.mark.parametrize(
    "name",
    [
        "Pak Budi Santoso (Ketua RW)",
        "Pak Slamet (Ketua RW 07)",
        "H. Ahmad Fauzi, S.Pd.",
        "Ny. Sri Rahayu, S.E., M.M.",
        "Dra. Hj. Siti Aminah, M.Pd. (Kepala Sekolah)",
    ],
)
def test_contact_names_with_titles(ctx: IntakeContext, name: str) -> None:
    assert check_contact_name(name) == name
    assert validate_letter(draft(contact_name=name), ctx).contact_name == name


@pytest.mark.parametrize("name", ["(Ketua RW)", "Budi 2", "Budi <script>", ""])
def test_contact_names_that_are_not_names(name: str) -> None:
    with pytest.raises(IntakeError):
        check_contact_name(name)


def test_invisible_marks_around_numbers_are_removed(ctx: IntakeContext) -> None:
    phone = "\u2066+62 812-3456-7890\u2069"
    nik = "\u202a" + SITI + "\u202c\u200b"
    rows = one_row(NIK=nik, **{"NO HP": phone, "NAMA": "Siti\u00a0Aminah"})
    _, valid, errors = check(ctx, "w.csv", table(rows).encode())
    assert errors == [] and (valid[0].nik, valid[0].phone) == (SITI, "+6281234567890")
    assert valid[0].name == "Siti Aminah"
