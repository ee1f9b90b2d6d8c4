"""Read a WhatsApp message into a pre-filled request for a coordinator to confirm.

Residents, families and village offices write the same request many ways: a template with
labels in any order ("Nama: ... NIK: ..."), misspelt labels ("Almat", "No Hp"), ``=`` or ``-``
instead of ``:``, no separator at all (``NIK 3471 1355 0350 0001``), a label alone on its line
with the value on the next, WhatsApp bold/italic markers, lines copied from an exported chat
(``20/11/26 10.15 - Budi: ...``), forwarded headers and emojis, ``#``/``;``-separated office
templates (``#KTP#NIK#KK#NAMA#DESA#KECAMATAN#ALASAN``), or one paragraph of prose.

The parser is tolerant but never guesses silently: a field read with low confidence is
pre-filled *and* carries a note (:attr:`MessageDraft.notes`) that the paste page shows, and
what cannot be placed is listed as unread. A family-card number (No KK, also 16 digits) never
fills the NIK; it is kept apart (:attr:`MessageDraft.kk_number`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

from outreach import models
from outreach.errors import IntakeError
from outreach.intake.areas import AreaOptions, match_kecamatan, match_kelurahan
from outreach.intake.availability import SlotDraft, read_availability
from outreach.intake.text import clean_text
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
    "kk_number": (
        "kk",
        "no kk",
        "nomor kk",
        "nkk",
        "no kartu keluarga",
        "nomor kartu keluarga",
        "nomer kk",
    ),
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
    ("perekaman", "perekaman_ktp"),
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
_DECORATION = re.compile(r"^[\s>*_~•·\-–—\d.)\]]*(?=[A-Za-z])|[*_~`]+")
_NIK = re.compile(r"(?<!\d)(\d[\d .-]{14,22}\d)(?!\d)")
_SIXTEEN = re.compile(r"(?<![\d.-])\d(?:[ .-]?\d){15}(?![\d])")
_PHONE = re.compile(r"(?<![\d+])((?:\+62|62|0)\s?8[\d\s.-]{7,15}\d)(?!\d)")
# RT/RW in every common notation: "RT/RW 003/007", "RT 003/RW 007", "Rt.3 Rw.7",
# "RT 3 RW 7", "RT. 03 / RW. 07", "RT: 3 RW: 7", "rt 12 rw 3".
_RT_RW_IN_TEXT = re.compile(
    r"\brt\b\.?\s*(?:/\s*rw\b\.?)?\s*[:=]?\s*(\d{1,3})\b\s*(?:[/,-]\s*)?"
    r"(?:rw\b\.?\s*[:=]?\s*)?(\d{1,3})\b",
    re.I,
)
_RT_IN_TEXT = re.compile(r"\brt\b\.?\s*[:=]?\s*(\d{1,3})\b", re.I)
_RW_IN_TEXT = re.compile(r"\brw\b\.?\s*[:=]?\s*(\d{1,3})\b", re.I)
_KEL_IN_TEXT = re.compile(
    r"\b(?:kel(?:urahan)?|desa|ds|kalurahan)\.?\s+([A-Za-z][A-Za-z ']+?)(?=[,.;]|$|\bkec)", re.I
)
_KEC_IN_TEXT = re.compile(
    r"\b(?:kec(?:amatan)?|kemantren)\.?\s+([A-Za-z][A-Za-z ']+?)(?=[,.;]|$)", re.I
)
# "kelurahan Warungboto. Bisa ..." inside prose: up to three words after the area word.
_KEL_WORDS = re.compile(
    r"\b(?:kel(?:urahan)?|desa|ds|kalurahan)\.?\s+([A-Za-z][A-Za-z']*(?:\s+[A-Za-z][A-Za-z']*){0,2})",
    re.I,
)
# "..., NIK: ..." on one line: a label after a comma or semicolon starts a new field.
_INLINE_LABEL = re.compile(r"[,;|]\s*(?=([A-Za-z][A-Za-z ./]{0,24}?)\s*[:=])")
# Exported chat lines: Android "20/11/26 10.15 - Budi: ", "11/20/26, 10:15 PM - Budi: ";
# iOS "[20/11/26 10.15.23] Budi: ". The sender is optional (system lines have none).
_DATE_TIME = (
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4},?\s+\d{1,2}[.:]\d{2}(?:[.:]\d{2})?"
    r"(?:\s*[ap]\.?\s?m\.?)?"
)
_EXPORT_PREFIX = re.compile(
    rf"^\s*(?:\[\s*{_DATE_TIME}\s*\]\s*|{_DATE_TIME}\s*[-–]\s+)(?:[^:\n]{{1,60}}?:\s)?", re.I
)
_NOISE_LINE = re.compile(
    r"^(?:diteruskan(?: berkali-kali)?|forwarded(?: many times)?|pesan diteruskan|"
    r"<?media tidak disertakan>?|<?media omitted>?|pesan ini telah dihapus|"
    r"this message was deleted|\(?pesan ini diedit\)?|<?pesan ini diedit>?)$",
    re.I,
)
# WhatsApp formatting around a run of text: *bold*, _italic_, ~strike~, ```mono```.
_FORMAT = re.compile(r"(?<![\w*_~`])(```|[*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])")
_NEGATION = {"tidak", "tdk", "tak", "bukan", "bkn", "nggak", "ngga", "gak", "ga", "enggak", "belum"}
# "tidak terlalu mendesak", "tidak begitu darurat": the negation reaches over these words.
_SOFTENERS = {"terlalu", "begitu", "sangat", "perlu", "usah", "harus"}
_HEDGE = re.compile(
    r"\b(?:kalau|kalo|klo|jika|bila|kl)\s+(?:bisa|memungkinkan|sempat|boleh)\b|\bsebisanya\b"
)
_NAME_IN_PROSE = re.compile(
    r"\bnama(?:nya)?(?:\s+(?:saya|beliau|bapak|ibu|warga|lengkap))?\s*(?:adalah|yaitu|ialah|:)?\s+"
    r"((?:[A-Z][a-z'.]+)(?:\s+[A-Z][a-z'.]+){0,3})"
)
# Fields whose value is a number: a label for them works without a separator ("NIK 3471...").
_NUMBER_FIELDS = {"nik", "kk_number", "phone", "companion_phone", "rt", "rw", "rt_rw"}
# Text fields whose exact label works without a separator ("Nama Siti Aminah", "Kel Semaki").
_TEXT_NO_SEP = {
    "person_name",
    "applicant_name",
    "kelurahan",
    "kecamatan",
    "address_street",
    "services",
    "category",
    "description",
    "landmark",
    "availability",
}
# Office-template header words (``#KTP#NIK#KK#NAMA#DESA#KECAMATAN#ALASAN``).
_TEMPLATE_WORDS = {
    "layanan": "services",
    "jenis": "services",
    "jenis layanan": "services",
    "ktp": "services",
    "alasan": "reason",
    "keterangan": "reason",
    "ket": "reason",
}


@dataclass
class ParsedMessage:
    """Fields read from a message, by canonical name, the lines not placed, and notes.

    ``notes`` maps a field to why its value needs the coordinator's check (read from prose,
    from a template's order, a bare number...).
    """

    fields: dict[str, str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class MessageDraft:
    """A pre-filled request and what the coordinator must still check.

    ``notes`` maps a draft field (``nik``, ``phone``, ``rt``, ``kelurahan``, ``category``,
    ``availability``...) to an Indonesian note: the value is pre-filled but was read with low
    confidence. ``kk_number`` is the family-card number (never the NIK); ``source_text`` the
    message as pasted (after removing invisible characters), kept with the request.
    """

    draft: RequestDraft
    unread: list[str]
    found: list[str]  # canonical names of the fields that were filled
    notes: dict[str, str] = field(default_factory=dict)
    kk_number: str = ""
    source_text: str = ""


def label_field(label: str, *, cutoff: float = 0.75) -> str | None:
    """The canonical field a label means, tolerating typos (``"Almat"`` -> address_street).

    Parameters
    ----------
    label
        The text before the separator.
    cutoff
        Lowest difflib similarity for a misspelt label; labels of three letters or fewer
        must match exactly (``rt``/``rw``/``hp``/``kk`` are too short to guess at).
    """
    key = _label_key(label)
    if not key or len(key) > 30 or len(key.split()) > 4:
        return None
    if key in _ALIAS:
        return _ALIAS[key]
    if len(key) <= 3:
        return None
    close = difflib.get_close_matches(key, [a for a in _ALIAS if len(a) > 3], n=1, cutoff=cutoff)
    return _ALIAS[close[0]] if close else None


def _label_key(label: str) -> str:
    return " ".join(re.sub(r"[^a-z/ ]", " ", label.lower().replace(".", "")).split())


def _split_line(line: str) -> tuple[str | None, str]:
    """Return (field, value) when the line starts with a label, else (None, line)."""
    for match in _SEP.finditer(line):
        name = label_field(line[: match.start()])
        if name is not None:
            return name, line[match.end() :].strip()
        break  # only the first separator can end a label
    # "NIK 3471 ...", "HP 0812 ...", "Nama Siti Aminah" without a separator.
    words = line.split(maxsplit=3)
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        label = " ".join(words[:size])
        if any(c.isdigit() for c in label):
            continue
        value = line.split(maxsplit=size)[size].strip()
        name = label_field(label)
        if name in _NUMBER_FIELDS and any(c.isdigit() for c in words[size]):
            return name, value
        exact = _ALIAS.get(_label_key(label))
        if exact in _TEXT_NO_SEP and len(value) <= 80 and not re.match(r"(?i)saya\b", value):
            return exact, value
    return None, line


def _label_only(line: str) -> str | None:
    """The field of a line that is only a label (``*Nama*``, ``No KK:``), else None."""
    text = line.strip().rstrip(":=- ").strip()
    if not text or any(ch.isdigit() for ch in text) or len(text.split()) > 4:
        return None
    return label_field(text)


def _strip_symbols(text: str) -> str:
    """Drop emojis and other pictographs (and their skin-tone/variation modifiers)."""
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in {"So", "Sk", "Cs", "Co"}
        and ch not in "\ufe0e\ufe0f\u20e3"
    )


def _unformat(text: str) -> str:
    """Remove WhatsApp formatting markers around text (nested ones too)."""
    for _ in range(3):
        new = _FORMAT.sub(r"\2", text)
        if new == text:
            break
        text = new
    return text


def _raw_lines(text: str) -> list[str]:
    """Message lines without chat-export prefixes, forwarded headers, emojis and formatting."""
    out = []
    for raw in clean_text(text).replace("\r", "\n").split("\n"):
        line = _EXPORT_PREFIX.sub("", raw, count=1)
        line = _unformat(_strip_symbols(line)).strip()
        if line and not _NOISE_LINE.match(line.strip(" *_~<>()")):
            out.append(line)
    return out


def _lines(raw_lines: list[str]) -> list[str]:
    out = []
    for raw in raw_lines:
        for part in _INLINE_LABEL.sub("\n", raw).split("\n"):
            line = _DECORATION.sub("", part).strip(" \t,;")
            if line:
                out.append(line)
    return out


def nik_plausible(digits: str) -> bool:
    """True when 16 digits can be a NIK by their birth-date part (day 1-31 or 41-71)."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12


def _surely_nik(digits: str) -> bool:
    """A woman's NIK (day + 40) cannot be a KK number (its digits 7-12 are an issue date)."""
    return nik_plausible(digits) and int(digits[6:8]) > 40


def _template_tokens(line: str) -> list[str] | None:
    """The tokens of a ``#``- or ``;``-separated office template line, else None."""
    for sep in ("#", ";"):
        if line.count(sep) >= 3:
            tokens = [t.strip(" *_~") for t in line.split(sep)]
            while tokens and not tokens[0]:
                tokens.pop(0)
            while tokens and not tokens[-1]:
                tokens.pop()
            if len(tokens) >= 3:
                return tokens
    return None


def _header_field(token: str, tokens: list[str]) -> str | None:
    key = _label_key(token)
    if key == "ktp" and any(_label_key(t) == "nik" for t in tokens):
        return "services"  # "#KTP#NIK#KK#...": KTP names the service, NIK the number
    if key in _TEMPLATE_WORDS:
        return _TEMPLATE_WORDS[key]
    return label_field(token)


def _read_template(tokens: list[str], header: list[str] | None, parsed: ParsedMessage) -> None:
    """Place a template's values: by its header when one came first, else by shape."""
    f, notes = parsed.fields, parsed.notes
    if header is not None and len(header) == len(tokens):
        for name_token, value in zip(header, tokens, strict=True):
            name = _header_field(name_token, header)
            if name == "reason":
                f["description"] = value
            elif name is not None and value:
                f.setdefault(name, value)
        return
    numbers = [t for t in tokens if len(_digits(t)) == 16 and _SIXTEEN.fullmatch(t)]
    texts: list[str] = []
    for index, token in enumerate(tokens):
        if token in numbers or not token:
            continue
        if _PHONE.fullmatch(token) and "phone" not in f:
            f["phone"] = token
        elif re.fullmatch(r"\d{1,3}\s*/\s*\d{1,3}", token):
            f.setdefault("rt_rw", token)
        elif index == 0 and services_from_text(token):
            f["services"] = token
        else:
            texts.append(token)
    if numbers:
        nik, kk = numbers[0], numbers[1] if len(numbers) > 1 else ""
        nik_digits, kk_digits = _digits(nik), _digits(kk)
        if kk and _surely_nik(kk_digits) and not _surely_nik(nik_digits):
            nik, kk = kk, nik  # the second number is a woman's NIK: the first is the KK
        elif kk and not (_surely_nik(nik_digits) and not _surely_nik(kk_digits)):
            notes["nik"] = (
                "NIK dan No KK dibaca dari urutan format (#NIK#KK#); pastikan NIK bukan No KK."
            )
        f["nik"] = nik
        if kk:
            f["kk_number"] = kk
    # The published order after the numbers: NAMA, DESA/KELURAHAN, KECAMATAN, ALASAN.
    for name, value in zip(
        ("person_name", "kelurahan", "kecamatan", "description"), texts, strict=False
    ):
        f.setdefault(name, value)
    if len(texts) > 4:
        f["description"] = " ".join([f.get("description", ""), *texts[4:]]).strip()


def _store(parsed: ParsedMessage, name: str, value: str) -> None:
    f = parsed.fields
    if name == "phone" and name in f and "companion_phone" not in f:
        name = "companion_phone"  # a second number is usually the family's
    if name in f:
        f[name] = f"{f[name]}, {value}".strip(", ")
    else:
        f[name] = value


def parse_message(text: str) -> ParsedMessage:
    """Read labelled fields from a message, in any order and in any common layout.

    Parameters
    ----------
    text
        The message as pasted (invisible characters, export prefixes, formatting and emojis
        are removed first).

    Returns
    -------
    ParsedMessage
        ``fields`` by canonical name (see :data:`LABELS`; also ``rt_rw``, ``kk_number`` and
        ``birth``), ``unread``: lines that were neither a known label nor a bare NIK or phone
        number, and ``notes`` for values read with low confidence.
    """
    parsed = ParsedMessage()
    raw = _raw_lines(text)
    header: list[str] | None = None
    rest: list[str] = []
    for line in raw:
        tokens = _template_tokens(line)
        if tokens is None:
            rest.append(line)
        elif not any(ch.isdigit() for ch in line) and all(_header_field(t, tokens) for t in tokens):
            header = tokens
        else:
            _read_template(tokens, header, parsed)
            header = None
    last: str | None = None
    pending: str | None = None
    for line in _lines(rest):
        if pending is not None:
            name, value = _split_line(line)
            # The line after a label alone is its value unless it is itself exactly a label: a
            # name that only looks like one ("Iafo" ~ "info") is still the value.
            exact_next = _label_key(line.strip().rstrip(":=- ")) in _ALIAS
            takes = (name is None or not value) and (
                not exact_next or (pending not in _NUMBER_FIELDS and bool(services_from_text(line)))
            )
            if takes:
                _store(parsed, pending, line)
                last, pending = pending, None
                continue
            pending = None
        only = _label_only(line)
        name, value = _split_line(line)
        exact_label = _label_key(line.strip().rstrip(":=- ")) in _ALIAS
        if only is not None and (name is None or not value or exact_label):
            pending, last = only, None
            continue
        if name is not None:
            _store(parsed, name, value)
            last = name
            continue
        bare_nik = _NIK.fullmatch(line.strip())
        digits = _digits(line)
        if bare_nik and len(digits) == 16:
            if "nik" not in parsed.fields:
                parsed.fields["nik"] = digits
                parsed.notes["nik"] = "Nomor 16 angka tanpa label: pastikan ini NIK, bukan No KK."
            else:
                parsed.unread.append(line)
            last = None
        elif _PHONE.fullmatch(line.strip()) and "phone" not in parsed.fields:
            parsed.fields["phone"] = line.strip()
            last = None
        elif last in _MULTILINE:
            parsed.fields[last] = f"{parsed.fields[last]} {line}".strip()
        else:
            parsed.unread.append(line)
            last = None
    _read_prose(parsed)
    return parsed


def _read_prose(parsed: ParsedMessage) -> None:
    """Find a NIK, KK number, phone number and name inside the sentences nobody labelled."""
    f, notes = parsed.fields, parsed.notes
    prose = " ".join(parsed.unread)
    if not prose:
        return
    for match in _SIXTEEN.finditer(prose):
        digits = _digits(match.group(0))
        before = prose[max(0, match.start() - 25) : match.start()].lower()
        is_kk = re.search(r"\bkk\b|kartu keluarga", before) is not None
        if is_kk and not re.search(r"\bnik|\bktp", before[-12:]):
            if "kk_number" not in f:
                f["kk_number"] = digits
                notes["kk_number"] = "No KK ditemukan dalam kalimat; periksa."
        elif "nik" not in f:
            f["nik"] = digits
            notes["nik"] = (
                "NIK ditemukan dalam kalimat; periksa."
                if re.search(r"\bnik|\bktp", before)
                else "Nomor 16 angka dalam kalimat tanpa kata NIK: pastikan bukan No KK."
            )
    masked = _SIXTEEN.sub(lambda m: "x" * len(m.group(0)), prose)
    if "phone" not in f:
        for found in phonenumbers.PhoneNumberMatcher(masked, "ID"):
            f["phone"] = found.raw_string
            notes["phone"] = "Nomor HP ditemukan dalam kalimat; periksa."
            break
    name = _NAME_IN_PROSE.search(prose)
    if name and "person_name" not in f:
        f["person_name"] = name.group(1).rstrip(".")
        notes["person_name"] = "Nama dibaca dari kalimat; periksa."


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


def read_category(text: str) -> tuple[str, str]:
    """The category free text points to and a note when a word was negated or hedged.

    ``"lansia 76 th, tidak mendesak"`` -> lansia; ``"bukan darurat"`` is not darurat;
    ``"kalau bisa cepat/segera/darurat"`` is a wish, not an emergency.

    Returns
    -------
    tuple of str
        (category or ``""``, note or ``""``).
    """
    low = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    note = ""
    for word, category in _CATEGORY_WORDS:
        for match in re.finditer(rf"(?<![a-z]){re.escape(word)}", low):
            before = low[: match.start()].split()
            if (before[-1:] and before[-1] in _NEGATION) or (
                len(before) > 1 and before[-2] in _NEGATION and before[-1] in _SOFTENERS
            ):
                continue  # "tidak mendesak", "bukan darurat"
            if category == "darurat" and _HEDGE.search(" ".join(before[-5:])):
                note = "Permintaan 'kalau bisa' cepat tidak dianggap darurat; periksa."
                continue
            return category, note
    return "", note


def category_from_text(text: str) -> str:
    """The request category free text points to, or ``""`` (negations and hedges respected)."""
    return read_category(text)[0]


def _relation(text: str) -> str:
    low = text.lower()
    return next((rel for word, rel in _RELATION_WORDS.items() if word in low), "lainnya")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def check_kk(value: str) -> str | None:
    """A family-card number (No KK) as 16 digits, or None when empty.

    Raises
    ------
    IntakeError
        When it is not 16 digits.
    """
    digits = _digits(clean_text(value))
    if not value.strip():
        return None
    if len(digits) != 16 or re.search(r"[^\d\s.-]", clean_text(value).strip()):
        msg = "No KK diisi 16 angka (lihat Kartu Keluarga)."
        raise IntakeError(msg)
    return digits


def _rt_rw(f: dict[str, str], texts: list[str]) -> tuple[str, str]:
    """RT and RW from their fields, the address or prose, in any common notation."""
    parts = []
    if "rt_rw" in f:
        parts.append(f"RT/RW {f['rt_rw']}")
    if "rt" in f:
        parts.append(f"RT {f['rt']}")
    if "rw" in f:
        parts.append(f"RW {f['rw']}")
    for text in ("\n".join(parts), *texts):
        both = _RT_RW_IN_TEXT.search(text)
        if both:
            return both.group(1), both.group(2)
    joined = "\n".join(["\n".join(parts), *texts])
    rt = _RT_IN_TEXT.search(joined)
    rw = _RW_IN_TEXT.search(joined)
    return (rt.group(1) if rt else ""), (rw.group(1) if rw else "")


def _pad(value: str) -> str:
    digits = _digits(value)
    return digits.lstrip("0").zfill(3) if digits.strip("0") else digits


def _area(
    f: dict[str, str], address: str, prose: str, areas: AreaOptions, draft: RequestDraft
) -> tuple[list[str], dict[str, str]]:
    """Match kecamatan/kelurahan names to codes; unread lines and notes for the coordinator."""
    unread: list[str] = []
    notes: dict[str, str] = {}
    kel_field = f.get("kelurahan", "")
    kec_name = f.get("kecamatan", "") or _group(_KEC_IN_TEXT, f"{kel_field}, {address}")
    kel_name = re.split(r"[,;(]|\bkec\b", kel_field, flags=re.I)[0].strip() if kel_field else ""
    kel_name = kel_name or _group(_KEL_IN_TEXT, address)
    kec = match_kecamatan(kec_name, areas) if kec_name else None
    kel = (
        match_kelurahan(kel_name, areas, kecamatan_code=kec.code if kec else None)
        if kel_name
        else None
    )
    if kel is None and kel_name and kec is not None:
        kel = match_kelurahan(kel_name, areas)  # the kecamatan may be the one that is wrong
    if kel is None and not kel_name and prose:
        for match in _KEL_WORDS.finditer(prose):
            words = match.group(1).split()
            for size in (1, 2, 3):
                if len(words) >= size:
                    kel = match_kelurahan(" ".join(words[:size]), areas, cutoff=0.9)
                    if kel is not None:
                        kel_name = " ".join(words[:size])
                        notes["kelurahan"] = "Kelurahan ditemukan dalam kalimat; periksa."
                        break
            if kel is not None:
                break
    if kel is None and not kel_name:
        # A known kelurahan name anywhere in the text ("rumahnya di Semaki").
        text = f" {address} {prose} ".lower()
        hits = {
            k.code: k
            for k in areas.kelurahan
            if re.search(rf"(?<![a-z]){re.escape(k.name.lower())}(?![a-z])", text)
        }
        if len(hits) == 1:
            kel = next(iter(hits.values()))
            kel_name = kel.name
            notes["kelurahan"] = f"Nama kelurahan {kel.name} ditemukan dalam pesan; periksa."
    if kel is not None:
        draft.kelurahan, draft.kecamatan = kel.code, kel.kecamatan_code
        if kel_name and _norm(kel_name) != _norm(kel.name) and "kelurahan" not in notes:
            notes["kelurahan"] = f"'{kel_name}' dibaca sebagai Kelurahan {kel.name}; periksa."
    elif kec is not None:
        draft.kecamatan = kec.code
    if kel_name and kel is None:
        unread.append(f"Kelurahan tidak dikenal: {kel_name}")
    if kec_name and kec is None and kel is None:
        unread.append(f"Kecamatan tidak dikenal: {kec_name}")
    return unread, notes


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", re.sub(r"(?i)^(kel(urahan)?|desa|ds)\.?\s+", "", name).lower())


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
        could not be read, the fields that were found, a note per field read with low
        confidence, the No KK and the cleaned message.
    """
    parsed = parse_message(text)
    f = parsed.fields
    unread = list(parsed.unread)
    notes = dict(parsed.notes)
    prose = " ".join(parsed.unread)
    draft = RequestDraft()
    draft.person_name = f.get("person_name", "")
    draft.applicant_name = f.get("applicant_name", "")
    if "applicant_relation" in f:
        draft.applicant_relation = _relation(f["applicant_relation"])
    kk_number = _digits(f.get("kk_number", ""))
    nik = _digits(f.get("nik", "")) or f.get("nik", "")
    if kk_number and nik == kk_number:
        nik = ""  # a KK number never fills the NIK
        notes["nik"] = "Nomor yang sama tertulis sebagai NIK dan No KK: isi NIK yang benar."
    if len(_digits(nik)) != 16 and nik:
        notes.setdefault("nik", "NIK tidak 16 angka; periksa.")
    if kk_number and len(kk_number) != 16:
        notes["kk_number"] = "No KK tidak 16 angka; periksa."
    draft.nik = nik
    draft.phone = f.get("phone", "")
    draft.companion_phone = f.get("companion_phone", "")
    draft.companion_name = f.get("companion_name", "")
    address = f.get("address_street", "")
    draft.landmark = f.get("landmark", "")
    draft.description = f.get("description", "")

    rt, rw = _rt_rw(f, [address, f.get("kelurahan", ""), *parsed.unread])
    draft.rt, draft.rw = _pad(rt)[:3], _pad(rw)[:3]
    if (
        (rt or rw)
        and not any(k in f for k in ("rt", "rw", "rt_rw"))
        and not (_RT_RW_IN_TEXT.search(address) or _RT_IN_TEXT.search(address))
    ):
        notes["rt"] = "RT/RW ditemukan dalam kalimat; periksa."

    area_unread, area_notes = _area(f, address, prose, areas, draft)
    unread += area_unread
    notes.update(area_notes)
    draft.address_street = _strip_area_words(address)

    needs = " ".join(f.get(k, "") for k in ("services", "description", "category"))
    draft.services = services_from_text(f.get("services", "")) or services_from_text(needs)
    if not draft.services and prose:
        draft.services = services_from_text(prose)
        if draft.services:
            notes["services"] = "Layanan dibaca dari kalimat; periksa."
    category, category_note = read_category(f.get("category", ""))
    if not category:
        category, category_note = read_category(needs)
        if category and "category" not in f:
            category_note = category_note or "Kategori dibaca dari keterangan; periksa."
    if not category and prose:
        category, category_note = read_category(prose)
        if category:
            category_note = category_note or "Kategori dibaca dari kalimat; periksa."
    draft.category = category
    if category_note:
        notes["category"] = category_note
    if "availability" in f:
        reading = read_availability(f["availability"])
        draft.availability = reading.slots or [SlotDraft()]
        if reading.note:
            notes["availability"] = reading.note
    if "birth" in f:
        draft.notes = f"Tempat/tgl lahir (pesan): {f['birth']}"
    found = [name for name in LABELS if name in f]
    return MessageDraft(
        draft=draft,
        unread=unread,
        found=found,
        notes=notes,
        kk_number=kk_number,
        source_text=clean_text(text).strip(),
    )


def _group(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(1).strip() if match else ""


def _strip_area_words(address: str) -> str:
    """Drop "RT 3 RW 7", "Kel. X", "Kec. Y" from an address: they have their own fields."""
    text = _RT_RW_IN_TEXT.sub("", address)
    text = _RT_IN_TEXT.sub("", text)
    text = _RW_IN_TEXT.sub("", text)
    text = _KEL_IN_TEXT.sub("", text)
    text = _KEC_IN_TEXT.sub("", text)
    return " ".join(text.replace(" ,", ",").split()).strip(" ,")


def attach_message(req: models.ServiceRequest, *, kk_number: str | None, source_text: str) -> None:
    """Keep the No KK and the original message with a request saved from a message.

    When the request already existed (the same message pasted twice), only empty values are
    filled: nothing typed earlier is overwritten. The message is personal data: it is shown to
    staff on the request page and never logged.
    """
    if kk_number and not req.kk_number:
        req.kk_number = kk_number
    text = clean_text(source_text).strip()
    if text and not req.source_text:
        req.source_text = text
