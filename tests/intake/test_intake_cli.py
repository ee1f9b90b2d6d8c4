"""The intake CLI: letter templates and the duplicate check."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from openpyxl import load_workbook

from tests.intake.yogya import form_data, nik_for


def test_template_files(yapp: Flask, tmp_path: Path) -> None:
    runner = yapp.test_cli_runner()
    res = runner.invoke(args=["outreach", "intake", "template", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 0, res.output
    assert load_workbook(tmp_path / "t.xlsx")["Daftar warga"]["B1"].value == "Nama lengkap"
    res = runner.invoke(args=["outreach", "intake", "template", str(tmp_path / "t.csv")])
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbfNo,")
    bad = runner.invoke(args=["outreach", "intake", "template", str(tmp_path / "t.pdf")])
    assert bad.exit_code == 1 and "xlsx" in bad.output


def test_duplicates_lists_codes_not_personal_data(yapp: Flask) -> None:
    client = yapp.test_client()
    first = client.post("/layanan/", data=form_data()).headers["Location"].rsplit("/", 1)[1]
    second = client.post("/layanan/", data=form_data(rt="9")).headers["Location"].rsplit("/", 1)[1]
    client.post("/layanan/", data=form_data(nik=nik_for(serial=5), person_name="Budi", rt="8"))
    res = yapp.test_cli_runner().invoke(args=["outreach", "intake", "duplicates"])
    assert res.exit_code == 0, res.output
    assert f"{first} <- {second} (nik)" in res.output
    assert "1 possible duplicate(s)." in res.output
    assert nik_for() not in res.output and "0812" not in res.output
