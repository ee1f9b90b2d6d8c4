"""The real-world WhatsApp cases of issue 9 (tests/intake/cases/wa-*.txt, copied from
../shared/cases/intake) and one test per kind of input of its section 1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.db import get_session
from outreach.intake.areas import AreaOptions, load_area_options
from outreach.intake.availability import SlotDraft, read_availability
from outreach.intake.message import (
    MessageDraft,
    category_from_text,
    message_to_draft,
    parse_message,
    read_category,
)
from tests.intake.yogya import SEMAKI, UMBULHARJO
from tests.web.html_forms import form_fields

CASES = Path(__file__).parent / "cases"
WARUNGBOTO = "34.71.13.1004"
NIK = "3471135503500001"
KK = "3471130101090012"
PHONE_RAW = {"0812-3456-7890", "0812 3456 7890"}


@pytest.fixture
def areas(yapp: object, session: Session) -> AreaOptions:
    return load_area_options(session, "kota-yogyakarta")


def read(name: str, areas: AreaOptions) -> MessageDraft:
    return message_to_draft((CASES / name).read_text(encoding="utf-8"), areas)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# --- every case file with the right values from the README ----------------------------------


def test_android_export(areas: AreaOptions) -> None:
    result = read("wa-android-export.txt", areas)
    d = result.draft
    assert (d.person_name, d.nik, d.phone) == ("Siti Aminah", NIK, "0812-3456-7890")
    assert (d.rt, d.rw, d.kelurahan) == ("003", "007", SEMAKI)
    assert "Budi Santoso" not in d.person_name and "*" not in d.address_street
    assert d.address_street == "Jl. Kenari Gg. Mawar No. 12"
    assert d.services == ["perekaman_ktp"]


def test_hash_template(areas: AreaOptions) -> None:
    result = read("wa-hash-template.txt", areas)
    d = result.draft
    assert (d.nik, d.person_name, d.kelurahan, d.kecamatan) == (
        NIK,
        "Siti Aminah",
        SEMAKI,
        UMBULHARJO,
    )
    assert result.kk_number == KK and d.nik != KK


def test_label_lines_kk_and_nik(areas: AreaOptions) -> None:
    result = read("wa-label-lines-kk-and-nik.txt", areas)
    d = result.draft
    assert d.nik == NIK and result.kk_number == KK
    assert (d.person_name, d.phone, d.kelurahan, d.category) == (
        "Siti Aminah",
        "0812-3456-7890",
        SEMAKI,
        "lansia",
    )
    assert d.services == ["perekaman_ktp"]
    assert result.unread == []


def test_rt_rw_slash(areas: AreaOptions) -> None:
    d = read("wa-rt-rw-slash.txt", areas).draft
    assert (d.rt, d.rw, d.kelurahan) == ("003", "007", SEMAKI)
    assert d.address_street == "Jl. Kenari No. 12"


def test_spaced_numbers_no_colon(areas: AreaOptions) -> None:
    d = read("wa-spaced-numbers-no-colon.txt", areas).draft
    assert d.nik == NIK and d.phone in PHONE_RAW


def test_time_siang(areas: AreaOptions) -> None:
    result = read("wa-time-siang.txt", areas)
    assert result.draft.availability == [
        SlotDraft(days=["0", "1", "2"], start="13:00", end="15:00")
    ]
    assert "availability" not in result.notes


def test_negated_urgency(areas: AreaOptions) -> None:
    d = read("wa-negated-urgency.txt", areas).draft
    assert d.category == "lansia"


def test_prose(areas: AreaOptions) -> None:
    result = read("wa-prose.txt", areas)
    d = result.draft
    assert d.nik == "3471130712450003" and digits(d.phone) == "081327654321"
    assert (d.rt, d.rw, d.kelurahan) == ("012", "003", WARUNGBOTO)
    # What was found in sentences is pre-filled and marked for the coordinator to confirm.
    for name in ("nik", "phone", "rt", "kelurahan", "person_name", "category"):
        assert name in result.notes, name
    assert d.person_name == "Slamet Riyadi" and d.category == "sakit"
    assert result.unread  # the sentence itself stays on screen


# --- the paste page end to end: the draft pre-fills, the saved request is right -------------


def paste_and_save(client: FlaskClient, name: str, **changes: str) -> models.ServiceRequest:
    text = (CASES / name).read_text(encoding="utf-8")
    res = client.post("/koordinator/whatsapp", data={"pesan": text})
    assert res.status_code == 200, res.get_data(as_text=True)
    page = res.get_data(as_text=True)
    data = form_fields(page, "/koordinator/permohonan/baru")
    assert data["langkah"] == "simpan"
    assert 'formaction="/koordinator/whatsapp"' in page
    data.update(consent="ya", **changes)
    saved = client.post("/koordinator/whatsapp", data=data)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    req = get_session().scalar(select(models.ServiceRequest))
    assert req is not None
    assert req.source_text == text.strip()
    return req


def test_paste_page_label_lines(staff_client: FlaskClient) -> None:
    text = (CASES / "wa-label-lines-kk-and-nik.txt").read_text(encoding="utf-8")
    page = staff_client.post("/koordinator/whatsapp", data={"pesan": text}).get_data(as_text=True)
    assert f'value="{NIK}"' in page and f'value="{KK}"' in page
    assert re.search(rf'name="nik"[^>]*value="{NIK}"|value="{NIK}"[^>]*name="nik"', page)
    assert re.search(rf'value="{SEMAKI}"[^>]*selected', page)
    assert re.search(r'name="category" value="lansia"[^>]*checked', page)
    req = paste_and_save(staff_client, "wa-label-lines-kk-and-nik.txt")
    assert (req.nik, req.kk_number, req.phone) == (NIK, KK, "+6281234567890")
    assert (req.category, req.channel, req.kelurahan.code) == ("lansia", "whatsapp", SEMAKI)


def test_paste_page_android_export(staff_client: FlaskClient) -> None:
    req = paste_and_save(staff_client, "wa-android-export.txt", category="sakit")
    assert (req.person_name, req.nik, req.phone) == ("Siti Aminah", NIK, "+6281234567890")
    assert (req.rt, req.rw, req.kelurahan.code) == ("003", "007", SEMAKI)
    assert req.kk_number is None


def test_paste_page_time_siang(staff_client: FlaskClient) -> None:
    req = paste_and_save(staff_client, "wa-time-siang.txt")
    assert req.availability == [{"days": [0, 1, 2], "start": "13:00", "end": "15:00"}]
    assert (req.nik, req.phone, req.category) == (NIK, "+6281234567890", "lansia")


def test_paste_page_prose(staff_client: FlaskClient) -> None:
    text = (CASES / "wa-prose.txt").read_text(encoding="utf-8")
    page = staff_client.post("/koordinator/whatsapp", data={"pesan": text}).get_data(as_text=True)
    assert "Periksa sebelum menyimpan" in page and 'href="#f-nik"' in page
    req = paste_and_save(staff_client, "wa-prose.txt", address_street="Jl. Glagahsari no 45")
    assert (req.nik, req.phone, req.rt, req.rw) == (
        "3471130712450003",
        "+6281327654321",
        "012",
        "003",
    )
    assert req.kelurahan.code == WARUNGBOTO and req.category == "sakit"


def test_paste_page_hash_template_keeps_kk(staff_client: FlaskClient) -> None:
    req = paste_and_save(staff_client, "wa-hash-template.txt", category="lainnya")
    assert (req.nik, req.kk_number) == (NIK, KK)
    detail = staff_client.get(f"/koordinator/permohonan/{req.id}").get_data(as_text=True)
    assert KK in detail and "Pesan asli" in detail and "#KTP#" in detail


def test_bad_kk_is_refused_with_a_message(staff_client: FlaskClient) -> None:
    text = (CASES / "wa-label-lines-kk-and-nik.txt").read_text(encoding="utf-8")
    page = staff_client.post("/koordinator/whatsapp", data={"pesan": text}).get_data(as_text=True)
    data = form_fields(page, "/koordinator/permohonan/baru")
    data.update(consent="ya", kk_number="12345")
    res = staff_client.post("/koordinator/whatsapp", data=data)
    assert res.status_code == 400 and "No KK diisi 16 angka" in res.get_data(as_text=True)
    assert get_session().scalar(select(models.ServiceRequest)) is None


# --- one test per bullet of section 1 ---------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "20/11/26 10.15 - Budi Santoso: ",
        "20/11/26, 10:15 - Budi Santoso: ",
        "11/20/26, 10:15 PM - Budi Santoso: ",
        "[20/11/26 10.15.23] Budi Santoso: ",
        "[20/11/26, 10:15:23] +62 812-1111-2222: ",
        "[11/20/26, 10:15:23 AM] Budi: ",
    ],
)
def test_chat_export_prefixes(prefix: str) -> None:
    text = (
        f"{prefix}*Nama:* _Siti Aminah_\n{prefix}~NIK~: {NIK} 🙏🏻\n"
        f"Diteruskan\n{prefix}HP 0812 3456 7890"
    )
    parsed = parse_message(text)
    assert parsed.fields["person_name"] == "Siti Aminah"
    assert digits(parsed.fields["nik"]) == NIK
    assert parsed.fields["phone"] == "0812 3456 7890"
    assert parsed.unread == []


def test_formatting_forwarded_and_emojis() -> None:
    text = "Forwarded many times\n*_Nama_*: *Siti Aminah* 😊\n```NIK```: 3471135503500001\n👍"
    parsed = parse_message(text)
    assert parsed.fields == {"person_name": "Siti Aminah", "nik": NIK}
    assert parsed.unread == []


@pytest.mark.parametrize(
    "text",
    [
        f"#KTP#{NIK}#{KK}#Siti Aminah#Semaki#Umbulharjo#Rusak",
        f"KTP;{NIK};{KK};Siti Aminah;Semaki;Umbulharjo;Rusak",
        "#LAYANAN#NIK#NO KK#NAMA#DESA#KECAMATAN#ALASAN\n"
        f"#KTP#{NIK}#{KK}#Siti Aminah#Semaki#Umbulharjo#Rusak",
        # The KK first: a woman's NIK (day + 40) cannot be a family card number.
        f"#KTP#{KK}#{NIK}#Siti Aminah#Semaki#Umbulharjo#Rusak",
        f"NIK;NO KK;NAMA;KELURAHAN;KECAMATAN\n{NIK};{KK};Siti Aminah;Semaki;Umbulharjo",
    ],
)
def test_office_templates_by_shape(text: str, areas: AreaOptions) -> None:
    result = message_to_draft(text, areas)
    assert (result.draft.nik, result.kk_number) == (NIK, KK)
    assert (result.draft.person_name, result.draft.kelurahan) == ("Siti Aminah", SEMAKI)


def test_template_order_unsure_is_marked(areas: AreaOptions) -> None:
    male_nik = "3471130101800001"  # born 01-01-1980: digits that a KK could have too
    result = message_to_draft(f"#KTP#{male_nik}#{KK}#Budi#Semaki#Umbulharjo#Rusak", areas)
    assert (result.draft.nik, result.kk_number) == (male_nik, KK)
    assert "No KK" in result.notes["nik"]


def test_layout_label_alone_no_colon_grouped_digits() -> None:
    text = (
        "Nama\nSiti Aminah\nNIK\n3471.1355.0350.0001\nNo HP\n0812-3456-7890\n"
        "Kel Semaki\nKeperluan\nKK"
    )
    parsed = parse_message(text)
    assert parsed.fields["person_name"] == "Siti Aminah"
    assert digits(parsed.fields["nik"]) == NIK
    assert parsed.fields["phone"] == "0812-3456-7890"
    assert parsed.fields["kelurahan"] == "Semaki"
    assert parsed.fields["services"] == "KK"  # a service word after its label is its value


@pytest.mark.parametrize(
    "nik_text", ["3471 1355 0350 0001", "3471-1355-0350-0001", "3471.1355.0350.0001"]
)
def test_grouped_digits(nik_text: str, areas: AreaOptions) -> None:
    result = message_to_draft(f"NIK {nik_text}\nHP 0812 3456 7890", areas)
    assert result.draft.nik == NIK and result.draft.phone == "0812 3456 7890"


def test_kk_never_fills_nik(areas: AreaOptions) -> None:
    result = message_to_draft(f"No KK: {KK}\nNama: Budi", areas)
    assert result.draft.nik == "" and result.kk_number == KK
    result = message_to_draft(f"Nama: Budi\nkartu keluarga nomor {KK}", areas)
    assert result.draft.nik == "" and result.kk_number == KK
    same = message_to_draft(f"NIK: {KK}\nKK: {KK}", areas)
    assert same.draft.nik == "" and same.kk_number == KK and "nik" in same.notes


def test_bare_sixteen_digits_is_marked(areas: AreaOptions) -> None:
    result = message_to_draft(f"Siti Aminah\n{NIK}", areas)
    assert result.draft.nik == NIK and "No KK" in result.notes["nik"]


@pytest.mark.parametrize(
    "text",
    [
        "Alamat: Jl. Kenari 12 RT/RW 003/007",
        "Alamat: Jl. Kenari 12 RT 003/RW 007",
        "Alamat: Jl. Kenari 12 Rt.3 Rw.7",
        "Alamat: Jl. Kenari 12\nRT 3 RW 7",
        "Alamat: Jl. Kenari 12 RT. 03 / RW. 07",
        "RT: 3\nRW: 7",
        "RT/RW: 3/7",
        "RT\n3\nRW\n7",
    ],
)
def test_rt_rw_notations(text: str, areas: AreaOptions) -> None:
    d = message_to_draft(text, areas).draft
    assert (d.rt, d.rw) == ("003", "007")
    assert "RT" not in d.address_street.upper().split()


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("jam 1-3 siang", [], "13:00", "15:00"),
        ("Senin-Rabu pagi", ["0", "1", "2"], "08:00", "11:00"),
        ("sore", [], "14:00", "17:00"),
        ("9-11", [], "09:00", "11:00"),
        ("09.00-11.00", [], "09:00", "11:00"),
        ("kamis 09.00 s/d 11.00", ["3"], "09:00", "11:00"),
        ("jam 9 sampai jam 11", [], "09:00", "11:00"),
        ("Senin-Rabu", ["0", "1", "2"], "", ""),
    ],
)
def test_time_expressions(text: str, days: list[str], start: str, end: str) -> None:
    reading = read_availability(text)
    assert reading.slots == [SlotDraft(days=days, start=start, end=end)]
    assert reading.note == ""


def test_time_not_understood_is_shown_not_the_whole_shift(areas: AreaOptions) -> None:
    result = message_to_draft("Nama: Budi\nWaktu: senin habis dzuhur jam 1an", areas)
    slot = result.draft.availability[0]
    assert (slot.days, slot.start, slot.end) == (["0"], "", "")
    assert "jam 1an" in result.notes["availability"]
    unsure = message_to_draft("Waktu: jam 1-3", areas)
    assert (
        unsure.draft.availability[0].start == "13:00" and "periksa" in unsure.notes["availability"]
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("lansia 76 th, tidak mendesak", "lansia"),
        ("bukan darurat, lansia", "lansia"),
        ("tdk darurat", ""),
        ("kalau bisa cepat ya, ibu sudah sepuh", "lansia"),
        ("darurat, untuk berobat", "darurat"),
        ("mendesak untuk bansos", "darurat"),
        ("ibu stroke", "sakit"),
    ],
)
def test_category_negation_and_hedges(text: str, category: str) -> None:
    assert category_from_text(text) == category


def test_hedged_urgency_is_noted() -> None:
    assert read_category("kalau bisa darurat") == ("", read_category("kalau bisa darurat")[1])
    assert "kalau bisa" in read_category("kalau bisa darurat")[1]


def test_prose_fields(areas: AreaOptions) -> None:
    text = (
        "Pak, tolong bapak saya mau rekam KTP. NIK beliau 3471 1307 1245 0003, "
        "tinggal di rt 5 rw 2 dekat masjid, Semaki. WA saya +62 813-2765-4321 makasih"
    )
    result = message_to_draft(text, areas)
    d = result.draft
    assert d.nik == "3471130712450003" and digits(d.phone) == "6281327654321"
    assert (d.rt, d.rw, d.kelurahan) == ("005", "002", SEMAKI)
    assert {"nik", "phone", "rt", "kelurahan"} <= set(result.notes)
