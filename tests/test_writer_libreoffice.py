"""LibreOffice, an independent consumer, opens what the writer made.

Two decisions rest on this: docProps/app.xml keeps the sheet list the last application wrote
(it is a cached summary; spreadsheet applications take the sheets from xl/workbook.xml and
rewrite app.xml on their next save), and user text written as inline strings stays text.
Skips where LibreOffice is not installed.
"""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from needs import soffice
from test_fidelity_writer import rich_workbook
from test_writer_stream import HOSTILE, many_trades_plan

from derisk_xl.workbook.package import scratch
from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES
from derisk_xl.workbook.writer import write_plan

SOFFICE = soffice()

pytestmark = [
    pytest.mark.needs("libreoffice"),
    pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning"),
]


def test_libreoffice_opens_every_sheet_and_keeps_text_as_text(tmp_path, monkeypatch):
    import openpyxl

    monkeypatch.setattr(scratch, "STREAM_ROWS", 50)  # 60 trades: the streamed path
    planned = tmp_path / "planned.xlsx"
    write_plan(rich_workbook(tmp_path / "rich.xlsx"), planned, many_trades_plan(60))
    with zipfile.ZipFile(planned) as z:
        app = z.read("docProps/app.xml").decode()
    assert "Plan Trades" not in app  # the stale list this test is about

    out = tmp_path / "converted"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
                    str(planned)], check=True, capture_output=True, timeout=180)
    converted = out / "planned.xlsx"
    book = openpyxl.load_workbook(converted)
    assert book.sheetnames == ["Holdings", "Notes", *PLAN_SHEET_NAMES]
    trades = book["Plan Trades"]
    assert trades.max_row == 61
    instruments = {row[3].value: row[3] for row in trades.iter_rows(min_row=2)}
    for text in HOSTILE:
        assert instruments[text].data_type == "s", text
    with zipfile.ZipFile(converted) as z:
        sheets = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert not any(re.search(r"<f[ >]", z.read(n).decode()) for n in sheets
                       if b"HYPERLINK" in z.read(n))
