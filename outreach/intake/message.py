"""Read a WhatsApp message into a pre-filled request for a coordinator to confirm.

Residents copy a template ("Nama: ... NIK: ... Alamat: ...") but change it: fields in another
order, labels misspelt ("Almat", "No Hp"), ``=`` or ``-`` instead of ``:``, bold asterisks,
several fields on one line, a NIK or a number with no label at all. The parser is tolerant and
says what it could not read; it never guesses silently at anything it cannot place.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from outreach.intake.areas import AreaOptions, match_kecamatan, match_kelurahan
from outreach.intake.availability import SlotDraft, parse_availability_text
from outreach.intake.validate import RequestDraft

# Canonical field -> the labels people use for it (lower case, no dots).
LABELS: dict[str, tuple[str, ...]] = {
    "person_name": (
        "nama",
        "nama lengkap",
        "nama warga",
        "nama yang dilayani",
        "atas nama",
        "an",
        "nama pasien",
    ),
    "applicant_name": ("nama pemohon", "pemohon", "pelapor", "nama pelapor", "pengirim"),
    "applicant_relation": ("hubungan", "hubungan dengan pemohon", "status hubungan"),
    "nik": ("nik", "no nik", "nomor nik", "no ktp", "nomor ktp", "ktp", "nomor induk kependudukan"),
    "phone": (
        "hp",
        "no hp",
        "nomor hp",
        "no wa",
        "nomor wa",
        "wa",
        "whatsapp",
        "no whatsapp",
        "telp",
        "tlp",
        "telepon",
        "no telp",
        "nomor telepon",
        "no hp/wa",
        "hp/wa",
        "kontak",
    ),
    "address_street": ("alamat", "alamat lengkap", "alamat rumah", "jalan", "domisili"),
    "rt": ("rt",),
    "rw": ("rw",),
    "rt_rw": ("rt/rw", "rt rw", "rtrw"),
    "kelurahan": ("kel", "kelurahan", "desa", "kalurahan", "kel/desa"),
    "kecamatan": ("kec", "kecamatan", "kemantren"),
    "services": ("keperluan", "layanan", "kebutuhan", "jenis layanan", "perlu", "permohonan"),
    "category": ("kategori", "alasan", "kondisi pemohon"),
    "description": ("keterangan", "ket", "kondisi", "catatan", "info", "keluhan"),
    "landmark": ("patokan", "dekat", "ancer ancer", "ciri rumah", "petunjuk"),
    "availability": ("waktu", "jam", "waktu kunjungan", "bisa dikunjungi", "jadwal"),
    "companion_name": ("pendamping", "nama pendamping", "penanggung jawab", "keluarga"),
    "companion_phone": ("hp pendamping", "no hp pendamping", "telp pendamping", "wa pendamping"),
    "birth": ("tgl lahir", "tanggal lahir", "ttl", "tempat tanggal lahir", "tempat tgl lahir"),
}
_ALIAS = {alias: name for name, aliases in LABELS.items() for alias in aliases}
# Fields whose text may continue on the next, unlabelled line.
_MULTILINE = {"address_street", "description", "landmark", "services"}
# Keyword -> service; checked in order so "cetak ktp" wins over "ktp".
_SERVICE_WORDS: tuple[tuple[str, str], ...] = (
    ("cetak", "cetak_ktp"),
    ("hilang", "cetak_ktp"),
    ("rusak", "cetak_ktp"),
    ("ganti ktp", "cetak_ktp"),
    ("rekam", "perekaman_ktp"),
    ("ktp", "perekaman_ktp"),
    ("kia", "kia"),
    ("kartu identitas anak", "kia"),
    ("kartu anak", "kia"),
    ("kartu keluarga", "kk"),
    ("kk", "kk"),
    ("akta", "akta"),
    ("akte", "akta"),
    ("pindah", "pindah"),
)
_CATEGORY_WORDS: tuple[tuple[str, str], ...] = (
    ("darurat", "darurat"),
    ("mendesak", "darurat"),
    ("disabilitas", "disabilitas"),
    ("difabel", "disabilitas"),
    ("tuna", "disabilitas"),
    ("lumpuh", "disabilitas"),
    ("sakit", "sakit"),
    ("stroke", "sakit"),
    ("terbaring", "sakit"),
    ("rawat", "sakit"),
    ("lansia", "lansia"),
    ("lanjut usia", "lansia"),
    ("sepuh", "lansia"),
    ("pemula", "pemula"),
    ("lainnya", "lainnya"),
)
_RELATION_WORDS = {
    "sendiri": "diri_sendiri",
    "anak": "anak",
    "ayah": "orang_tua",
    "ibu": "orang_tua",
    "orang tua": "orang_tua",
    "ortu": "orang_tua",
    "bapak": "orang_tua",
    "suami": "suami_istri",
    "istri": "suami_istri",
    "adik": "saudara",
    "kakak": "saudara",
    "saudara": "saudara",
    "cucu": "kerabat",
    "keponakan": "kerabat",
    "tetangga": "lainnya",
    "rt": "pengurus_rt_rw",
    "rw": "pengurus_rt_rw",
}
_SEP = re.compile(r"\s*[:=]\s*|\s+-\s+|\s*-\s+|\s+-(?=\S)")
_DECORATION = re.compile(r"^[\s>*_~•·\-–—\d.)\]]*(?=[A-Za-z])|[*_~]+")
_NIK = re.compile(r"(?<!\d)(\d[\d .-]{14,22}\d)(?!\d)")
_PHONE = re.compile(r"(?<![\d+])((?:\+62|62|0)\s?8[\d\s.-]{7,15}\d)(?!\d)")
_RT_RW_IN_TEXT = re.compile(r"\brt\.?\s*(\d{1,3})\s*(?:/|,|\s)\s*(?:rw\.?\s*)?(\d{1,3})\b", re.I)
_RW_IN_TEXT = re.compile(r"\brw\.?\s*(\d{1,3})\b", re.I)
_KEL_IN_TEXT = re.compile(
    r"\b(?:kel(?:urahan)?|desa|ds)\.?\s+([A-Za-z][A-Za-z ']+?)(?=,|$|\bkec)", re.I
)
_KEC_IN_TEXT = re.compile(
    r"\b(?:kec(?:amatan)?|kemantren)\.?\s+([A-Za-z][A-Za-z ']+?)(?=,|$)", re.I
)
# "..., NIK: ..." on one line: a label after a comma or semicolon starts a new field.
_INLINE_LABEL = re.compile(r"[,;|]\s*(?=([A-Za-z][A-Za-z ./]{0,24}?)\s*[:=])")


@dataclass
class ParsedMessage:
    """Fields read from a message, by canonical name, and the lines that were not placed."""

    fields: dict[str, str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)


@dataclass
class MessageDraft:
    """A pre-filled request and what the coordinator must still check."""

    draft: RequestDraft
    unread: list[str]
    found: list[str]  # canonical names of the fields that were filled


def label_field(label: str, *, cutoff: float = 0.75) -> str | None:
    """The canonical field a label means, tolerating typos (``"Almat"`` -> address_street).

    Parameters
    ----------
    label
        The text before the separator.
    cutoff
        Lowest difflib similarity for a misspelt label; labels of three letters or fewer
        must match exactly (``rt``/``rw``/``hp`` are too short to guess at).
    """
    key = " ".join(re.sub(r"[^a-z/ ]", " ", label.lower().replace(".", "")).split())
    if not key or len(key) > 30 or len(key.split()) > 4:
        return None
    if key in _ALIAS:
        return _ALIAS[key]
    if len(key) <= 3:
        return None
    close = difflib.get_close_matches(key, [a for a in _ALIAS if len(a) > 3], n=1, cutoff=cutoff)
    return _ALIAS[close[0]] if close else None


def _split_line(line: str) -> tuple[str | None, str]:
    """Return (field, value) when the line starts with a label, else (None, line)."""
    for match in _SEP.finditer(line):
        name = label_field(line[: match.start()])
        if name is not None:
            return name, line[match.end() :].strip()
        break  # only the first separator can end a label
    # "NIK 3471..." / "HP 0812..." without a separator.
    words = line.split(maxsplit=2)
    for size in (2, 1):
        if len(words) > size:
            name = label_field(" ".join(words[:size]))
            if name in {"nik", "phone", "rt", "rw", "rt_rw"} and any(
                c.isdigit() for c in words[size]
            ):
                return name, line.split(maxsplit=size)[size].strip()
    return None, line


def _lines(text: str) -> list[str]:
    out = []
    for raw in text.replace("\r", "\n").split("\n"):
        for part in _INLINE_LABEL.sub("\n", raw).split("\n"):
            line = _DECORATION.sub("", part).strip(" \t,;")
            if line:
                out.append(line)
    return out


def parse_message(text: str) -> ParsedMessage:
    """Read labelled fields from a message, in any order.

    Parameters
    ----------
    text
        The message as pasted.

    Returns
    -------
    ParsedMessage
        ``fields`` by canonical name (see :data:`LABELS`; also ``rt_rw`` and ``birth``) and
        ``unread``: lines that were neither a known label nor a bare NIK or phone number.
    """
    parsed = ParsedMessage()
    last: str | None = None
    for line in _lines(text):
        name, value = _split_line(line)
        if name is not None:
            if (
                name in parsed.fields
                and name in {"phone"}
                and "companion_phone" not in parsed.fields
            ):
                name = "companion_phone"  # a second number is usually the family's
            if name in parsed.fields:
                parsed.fields[name] = f"{parsed.fields[name]}, {value}".strip(", ")
            else:
                parsed.fields[name] = value
            last = name
            continue
        bare_nik = _NIK.fullmatch(line.strip())
        digits = re.sub(r"\D", "", line)
        if bare_nik and len(digits) == 16 and "nik" not in parsed.fields:
            parsed.fields["nik"] = digits
            last = None
        elif _PHONE.fullmatch(line.strip()) and "phone" not in parsed.fields:
            parsed.fields["phone"] = line.strip()
            last = None
        elif last in _MULTILINE:
            parsed.fields[last] = f"{parsed.fields[last]} {line}".strip()
        else:
            parsed.unread.append(line)
            last = None
    return parsed


def services_from_text(text: str) -> list[str]:
    """Service values mentioned in free text (``"rekam KTP dan KIA"``)."""
    low = f" {text.lower()} "
    found: list[str] = []
    for word, service in _SERVICE_WORDS:
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low) and service not in found:
            if service == "perekaman_ktp" and "cetak_ktp" in found and "rekam" not in low:
                continue  # "cetak KTP" mentions "ktp" but is not a recording
            found.append(service)
    return found


def category_from_text(text: str) -> str:
    """The request category free text points to, or ``""``."""
    low = text.lower()
    for word, category in _CATEGORY_WORDS:
        if word in low:
            return category
    return ""


def _relation(text: str) -> str:
    low = text.lower()
    return next((rel for word, rel in _RELATION_WORDS.items() if word in low), "lainnya")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def message_to_draft(text: str, areas: AreaOptions) -> MessageDraft:
    """Turn a pasted message into a :class:`RequestDraft` for the coordinator to check.

    Parameters
    ----------
    text
        The WhatsApp message.
    areas
        The office's kecamatan and kelurahan, to match typed names to codes.

    Returns
    -------
    MessageDraft
        The draft (consent is left unticked: the coordinator confirms it), the lines that
        could not be read, and the fields that were found.
    """
    parsed = parse_message(text)
    f = parsed.fields
    unread = list(parsed.unread)
    draft = RequestDraft()
    draft.person_name = f.get("person_name", "")
    draft.applicant_name = f.get("applicant_name", "")
    if "applicant_relation" in f:
        draft.applicant_relation = _relation(f["applicant_relation"])
    draft.nik = _digits(f.get("nik", "")) or f.get("nik", "")
    draft.phone = f.get("phone", "")
    draft.companion_phone = f.get("companion_phone", "")
    draft.companion_name = f.get("companion_name", "")
    address = f.get("address_street", "")
    draft.landmark = f.get("landmark", "")
    draft.description = f.get("description", "")

    rt, rw = f.get("rt", ""), f.get("rw", "")
    if "rt_rw" in f:
        parts = re.findall(r"\d{1,3}", f["rt_rw"])
        if len(parts) >= 2:
            rt, rw = rt or parts[0], rw or parts[1]
    in_address = _RT_RW_IN_TEXT.search(address)
    if in_address:
        rt, rw = rt or in_address.group(1), rw or in_address.group(2)
    elif (only_rw := _RW_IN_TEXT.search(address)) is not None:
        rw = rw or only_rw.group(1)
    draft.rt, draft.rw = _digits(rt)[:3], _digits(rw)[:3]

    kec_name = f.get("kecamatan", "") or _group(_KEC_IN_TEXT, address)
    kel_name = f.get("kelurahan", "") or _group(_KEL_IN_TEXT, address)
    kec = match_kecamatan(kec_name, areas) if kec_name else None
    kel = (
        match_kelurahan(kel_name, areas, kecamatan_code=kec.code if kec else None)
        if kel_name
        else None
    )
    if kel is None and kel_name and kec is not None:
        kel = match_kelurahan(kel_name, areas)  # the kecamatan may be the one that is wrong
    if kel is not None:
        draft.kelurahan, draft.kecamatan = kel.code, kel.kecamatan_code
    elif kec is not None:
        draft.kecamatan = kec.code
    if kel_name and kel is None:
        unread.append(f"Kelurahan tidak dikenal: {kel_name}")
    if kec_name and kec is None and kel is None:
        unread.append(f"Kecamatan tidak dikenal: {kec_name}")
    draft.address_street = _strip_area_words(address)

    needs = " ".join(f.get(k, "") for k in ("services", "description", "category"))
    draft.services = services_from_text(f.get("services", "")) or services_from_text(needs)
    draft.category = category_from_text(f.get("category", "")) or category_from_text(needs)
    if "availability" in f:
        slots = parse_availability_text(f["availability"])
        draft.availability = slots or [SlotDraft()]
        if not slots:
            unread.append(f"Waktu: {f['availability']}")
    if "birth" in f:
        draft.notes = f"Tempat/tgl lahir (pesan): {f['birth']}"
    found = [name for name in LABELS if name in f]
    return MessageDraft(draft=draft, unread=unread, found=found)


def _group(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(1).strip() if match else ""


def _strip_area_words(address: str) -> str:
    """Drop "RT 3 RW 7", "Kel. X", "Kec. Y" from an address: they have their own fields."""
    text = _RT_RW_IN_TEXT.sub("", address)
    text = _KEL_IN_TEXT.sub("", text)
    text = _KEC_IN_TEXT.sub("", text)
    return " ".join(text.replace(" ,", ",").split()).strip(" ,")
