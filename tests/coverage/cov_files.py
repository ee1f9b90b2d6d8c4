"""Coverage files as offices make them (CSV and XLSX), for the coverage tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

Row = Sequence[object]


def csv_bytes(rows: Sequence[Row], *, delimiter: str = ";", bom: bool = True) -> bytes:
    text = "\r\n".join(delimiter.join("" if c is None else str(c) for c in r) for r in rows)
    return (("\ufeff" if bom else "") + text + "\r\n").encode("utf-8")


def xlsx_bytes(rows: Sequence[Row], *, merge: Sequence[str] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Rekap"
    for r in rows:
        ws.append(list(r))
    for cells in merge:
        ws.merge_cells(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
