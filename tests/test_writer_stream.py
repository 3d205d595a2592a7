"""Big plan tables are streamed as text (package/rows.py): the cells must mean exactly what
XlsxWriter's would, and user text must never become a formula.

XlsxWriter is the oracle: the same plan written cell by cell through it and streamed must read
back identically with openpyxl.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
import xml.etree.ElementTree as ET
from decimal import Decimal as d
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st
from test_fidelity_writer import rich_workbook
from test_writer_plans import hand_case_study

from derisk_xl.core.model import Trade
from derisk_xl.workbook.package import rows, scratch
from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES, Block, Column, SheetSpec
from derisk_xl.workbook.writer import write_plan

# The rich input workbook carries extensions openpyxl warns it cannot keep; we never save with it.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

#: Text a spreadsheet would run as a formula or a DDE command if it were written as one.
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
]
#: Text that needs escaping: markup, Excel's own _xHHHH_ escape, control characters, spaces.
AWKWARD = ["a & b <c> \"d\" 'e'", "_x0041_ stays", "tab\there", "bell\x07 and nul\x00",
           "  leading and trailing  ", "line\nbreak", "naïve € ×", ""]


def many_trades_plan(n: int = 60):
    """The SPEC 7 plan with ``n`` trades carrying hostile and awkward text and odd numbers."""
    base = hand_case_study()
    texts = HOSTILE + AWKWARD
    numbers = [d("635.4166666666666666666666667"), d("0.069"), d("1E+16"), d("1e-9"),
               d("-2773.80"), d(0), d("5.0"), d("123456789.123456789"), d("0.1"), 3]
    trades = []
    for i in range(n):
        text = texts[i % len(texts)]
        trades.append(Trade(i + 1, "tier", text, text or "X", "sell",
                            numbers[i % len(numbers)], d("12.5"), numbers[(i + 3) % len(numbers)],
                            d("0.011025"), None if i % 4 == 0 else numbers[(i + 5) % len(numbers)],
                            f"reason {i}: {text}"))
    return dataclasses.replace(base, trades=tuple(trades))


def write(tmp: Path, plan, stream_rows: int, monkeypatch, name: str) -> Path:
    source = tmp / f"{name}-in.xlsx"
    if not source.exists():
        rich_workbook(source)
    dest = tmp / f"{name}.xlsx"
    monkeypatch.setattr(scratch, "STREAM_ROWS", stream_rows)
    write_plan(source, dest, plan)
    return dest


def cells(path: Path) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out = {}
    for name in PLAN_SHEET_NAMES:
        ws = wb[name]
        for row in ws.iter_rows():
            for c in row:
                out[name, c.coordinate] = (c.value, c.data_type, c.number_format, bool(c.font.b))
        out[name, "tables"] = sorted((t.name, t.ref) for t in ws.tables.values())
        out[name, "freeze"] = ws.freeze_panes
    return out


def test_streamed_rows_read_back_like_xlsxwriter_cells(tmp_path, monkeypatch):
    plan = many_trades_plan()
    oracle = cells(write(tmp_path, plan, 10**9, monkeypatch, "cells"))
    streamed = cells(write(tmp_path, plan, 0, monkeypatch, "streamed"))
    assert streamed.keys() == oracle.keys()
    for key, want in oracle.items():
        got = streamed[key]
        if isinstance(want, tuple) and isinstance(want[0], float):
            assert got[0] == pytest.approx(want[0], rel=1e-15), key
            assert got[1:] == want[1:], key
        else:
            assert got == want, key


@pytest.mark.parametrize("stream_rows", [50, 10**9], ids=["streamed", "xlsxwriter"])
def test_user_text_never_becomes_a_formula(tmp_path, monkeypatch, stream_rows):
    import openpyxl

    plan = many_trades_plan(60)  # 60 rows: streamed under the default threshold
    out = write(tmp_path, plan, stream_rows, monkeypatch, f"hostile{stream_rows}")
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if re.search(r"derisk_plan_sheet\d+\.xml$", n)]
        xml = {n: z.read(n).decode() for n in sheets}
    assert not any("<f>" in x or "<f " in x for x in xml.values())
    trades_xml = next(x for x in xml.values() if "HYPERLINK" in x)
    for text in HOSTILE:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        hits = re.findall(r'<c r="D\d+" s="\d+" t="inlineStr"><is><t(?: xml:space="preserve")?>'
                          + re.escape(escaped)
                          + "</t></is></c>", trades_xml)
        assert hits, text
    ws = openpyxl.load_workbook(out)["Plan Trades"]
    seen = {}
    for row in ws.iter_rows(min_row=2):
        seen.setdefault(row[3].value, row[3])
    for text in HOSTILE:
        assert seen[text].data_type == "s" and seen[text].value == text
    assert seen["a & b <c> \"d\" 'e'"].value == "a & b <c> \"d\" 'e'"
    assert seen["  leading and trailing  "].value == "  leading and trailing  "


def test_streamed_numbers_are_numbers_with_their_formats(tmp_path, monkeypatch):
    import openpyxl

    out = write(tmp_path, many_trades_plan(60), 50, monkeypatch, "numbers")
    ws = openpyxl.load_workbook(out)["Plan Trades"]
    rows = list(ws.iter_rows(min_row=2, values_only=False))
    assert len(rows) == 60
    first = rows[0]
    assert first[0].value == 1 and first[0].data_type == "n"
    assert first[5].value == pytest.approx(635.4166666666666) and first[5].data_type == "n"
    assert first[7].number_format == "#,##0.00"
    assert first[9].value is None and first[9].number_format == "#,##0.00"  # a missing figure
    assert ws.tables["PlanTrades_2"].ref == "A1:K61"


def test_unchanged_parts_are_copied_still_compressed(tmp_path, monkeypatch):
    out = write(tmp_path, many_trades_plan(60), 50, monkeypatch, "raw")
    source = tmp_path / "raw-in.xlsx"
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(out) as b:
        assert b.testzip() is None  # every entry's CRC checks out
        new = {i.filename: i for i in b.infolist()}
        for info in a.infolist():
            if info.filename.endswith(("workbook.xml", "workbook.xml.rels", "styles.xml",
                                       "[Content_Types].xml")):
                continue
            got = new[info.filename]
            assert (got.CRC, got.compress_size, got.file_size, got.date_time) == (
                info.CRC, info.compress_size, info.file_size, info.date_time), info.filename
            assert b.read(info.filename) == a.read(info.filename)


# Text through both writers: Hypothesis against XlsxWriter's own escaping.

def _one_cell_text(text: str, stream: bool) -> str:
    """The <t> content for ``text`` as streamed, or as XlsxWriter writes its shared string."""
    block = Block("T", "", (Column("Name", "text", 10),), ((text,),))
    if stream:
        row = next(rows.stream_rows(block, {"text": 1, "date": 2}))
        return ET.fromstring(row).find(".//t").text or ""
    book = scratch.render_scratch((SheetSpec("S", (block,), (10,)),))
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return [t.text or "" for t in root.iter(f"{ns}t")][-1]


@settings(max_examples=40, deadline=None)
@example("_x0041_")
@example("\x00\x1f\ufffe\uffff")
@example("a & <b>")
@example(" x")
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
def test_text_is_escaped_as_xlsxwriter_escapes_it(text):
    assert _one_cell_text(text, stream=True) == _one_cell_text(text, stream=False)
