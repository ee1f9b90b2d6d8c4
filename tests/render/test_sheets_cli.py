"""``flask outreach sheets``: the day's route sheets as one PDF from the command line."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from pypdf import PdfReader

from outreach.db import get_session
from tests.field_day import DAY, build_field_day, travel_for
from tests.intake.yogya import yapp, yogya_template

__all__ = ["yapp", "yogya_template"]


def _texts(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_sheets_command_writes_every_team_or_one(yapp: Flask, tmp_path: Path) -> None:
    build_field_day(get_session(), travel_for(yapp))
    runner = yapp.test_cli_runner()
    out = tmp_path / "hari.pdf"
    result = runner.invoke(
        args=["outreach", "sheets", "--date", DAY.isoformat(), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 route sheet(s)" in result.output
    texts = _texts(out)
    assert any("Lembar Rute Tim Mawar" in t for t in texts)
    assert any("Lembar Rute Tim Melati" in t for t in texts)
    # Without PUBLIC_URL the QR codes point at the local server.
    assert "http://127.0.0.1:5000/lapangan/?route=" in "".join(texts).replace("\n", "")

    one = tmp_path / "mawar.pdf"
    yapp.config["PUBLIC_URL"] = "https://jemputbola.example.go.id"
    result = runner.invoke(
        args=[
            "outreach",
            "sheets",
            "--date",
            DAY.isoformat(),
            "--team",
            "tim mawar",
            "--out",
            str(one),
        ]
    )
    assert result.exit_code == 0, result.output
    texts = _texts(one)
    assert all("Tim Melati" not in t for t in texts) and "Lembar Rute Tim Mawar" in texts[0]
    assert "https://jemputbola.example.go.id/lapangan/" in "".join(texts).replace("\n", "")


def test_sheets_command_without_an_approved_route_is_one_line(yapp: Flask, tmp_path: Path) -> None:
    out = tmp_path / "kosong.pdf"
    result = yapp.test_cli_runner().invoke(
        args=["outreach", "sheets", "--date", "2026-11-24", "--out", str(out)]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: Tidak ada rute yang disetujui pada Selasa, 24 November 2026."]
    assert not out.exists()
