"""Properties of read_resident_file: any layout of a resident table reads back the same rows."""

from __future__ import annotations

import codecs
import contextlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from outreach.errors import IntakeError
from outreach.intake.letters import read_resident_file

HEADER = ["NO", "NAMA", "NIK", "TGL LAHIR", "NO HP/WA", "RT", "RW"]
KEYS = ["nama", "nik", "tanggal_lahir", "no_hp", "rt", "rw"]
# Names as lists hold them, with letters Windows-1252 can write.
NAME = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèüñÉ'’. "),
    min_size=1,
    max_size=30,
).map(lambda s: " ".join(s.split()) or "Siti")
ROW = st.tuples(
    NAME,
    st.from_regex(r"34711[0-9]{11}", fullmatch=True),
    st.sampled_from(["15-03-1950", "15/03/50", "15 Maret 1950", ""]),
    st.sampled_from(["081234567890", "+62 812-3456-7890", ""]),
    st.integers(1, 20).map(str),
    st.integers(1, 20).map(str),
)
TITLE = st.sampled_from(
    ["DAFTAR WARGA WAJIB KTP", "KELURAHAN SEMAKI RW 07", "", "Lampiran surat nomor 12"]
)


PLAIN = ("A", "3471100000000000", "15-03-1950", "081234567890", "1", "1")


@settings(max_examples=60, deadline=None)
@example(  # found by this test: one accented name after plain ones, in Windows-1252
    rows=[PLAIN] * 5 + [("AAAAAAAAAAAAAAAAAAAAAAAÉ", *PLAIN[1:])],
    titles=[],
    numbered=False,
    sep=";",
    bom=False,
    encoding="cp1252",
)
@given(
    rows=st.lists(ROW, min_size=1, max_size=8),
    titles=st.lists(TITLE, max_size=5),
    numbered=st.booleans(),
    sep=st.sampled_from([";", ","]),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_any_layout_reads_back_the_same_rows(
    rows: list[tuple[str, ...]],
    titles: list[str],
    numbered: bool,
    sep: str,
    bom: bool,
    encoding: str,
) -> None:
    def line(cells: list[str]) -> str:
        return sep.join(f'"{c}"' if sep in c else c for c in cells)

    lines = [line([t] + [""] * (len(HEADER) - 1)) for t in titles]
    if numbered:
        lines.append(line([str(i + 1) for i in range(len(HEADER))]))
    lines.append(line(HEADER))
    lines += [line([str(i + 1), *row]) for i, row in enumerate(rows)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    if bom and encoding == "utf-8":
        data = codecs.BOM_UTF8 + data
    read = read_resident_file("warga.csv", data)
    assert [[r.values[k] for k in KEYS] for r in read] == [list(row) for row in rows]
    assert [r.row for r in read] == [len(lines) - len(rows) + i + 1 for i in range(len(rows))]


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400), name=st.sampled_from(["w.csv", "w.xlsx", "w.txt"]))
def test_any_bytes_raise_only_the_modules_error(data: bytes, name: str) -> None:
    with contextlib.suppress(IntakeError):
        read_resident_file(name, data)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300), sep=st.sampled_from([";", ",", "\t"]))
def test_any_text_with_a_header_raises_only_the_modules_error(text: str, sep: str) -> None:
    with contextlib.suppress(IntakeError):
        read_resident_file("w.csv", (sep.join(HEADER) + "\n" + text).encode("utf-8"))
