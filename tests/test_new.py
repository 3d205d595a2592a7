"""``derisk new`` and the sample workbooks, read back with openpyxl and with our reader."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from derisk_xl.workbook.new import new_workbook
from derisk_xl.workbook.reader import read_workbook

INPUT_SHEETS = ["Holdings", "Futures", "Settings", "Tiers", "Lots", "Prices"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("new") / "book.xlsx"
    new_workbook(path)
    return path


def test_fresh_workbook_has_the_input_sheets_as_tables(fresh):
    wb = openpyxl.load_workbook(fresh)
    assert wb.sheetnames == INPUT_SHEETS
    for name in INPUT_SHEETS:
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "B2"), name
        assert all(c.font.b for c in ws[1] if c.value is not None), name
        assert len(ws.tables) == 1, name
    holdings = wb["Holdings"]
    headers = [c.value for c in holdings[1]]
    assert headers[:4] == ["Asset", "Quantity", "Price", "Avg Cost"]
    keep = headers.index("Min Keep %") + 1
    assert "%" in holdings.cell(2, keep).number_format


def test_fresh_workbook_has_dropdowns(fresh):
    wb = openpyxl.load_workbook(fresh)

    def lists(ws):
        return {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation
                if dv.type == "list"}

    holdings = lists(wb["Holdings"])
    assert '"core,alt,stable"' in holdings.values() and '"yes,no"' in holdings.values()
    futures = lists(wb["Futures"])
    assert '"Long,Short"' in futures.values() and '"linear,inverse"' in futures.values()
    settings = wb["Settings"]
    keys = {settings.cell(r, 1).value: r for r in range(2, settings.max_row + 1)}
    validations = lists(settings)
    for key in ("Model", "Hedge Sizing", "Sleeve Funding", "Lot Method", "Liquidation Model"):
        assert f"B{keys[key]}" in validations, key
    assert "Balanced De-Risk" in validations[f"B{keys['Model']}"]


def test_input_sheets_print_like_the_plan_sheets(fresh):
    """One page wide, landscape when wide, the header row on every page, file, sheet and page
    numbers in the page header and footer; no print area, so added rows print too
    (tests/test_new_print_pdf.py prints them with LibreOffice)."""
    wb = openpyxl.load_workbook(fresh)
    for name in INPUT_SHEETS:
        ws = wb[name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, name
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, name
        assert ws.print_title_rows == "$1:$1" and not ws.print_area, name
        assert (ws.oddHeader.left.text, ws.oddHeader.center.text) == ("&F", "&A"), name
        assert ws.oddFooter.center.text == "Page &P of &N", name
    landscape = {n for n in INPUT_SHEETS if wb[n].page_setup.orientation == "landscape"}
    assert landscape == {"Holdings", "Futures", "Settings"}  # the starter's prices: 4 assets


def test_fresh_workbook_reads_without_problems(fresh):
    result = read_workbook(fresh, as_of=None, today=dt.date.today())
    assert result.issues == ()
    inputs = result.inputs
    assert len(inputs.positions) >= 4 and inputs.futures and inputs.lots
    assert inputs.prices is not None and len(inputs.prices.dates) >= 31
    assert inputs.settings.hedge_funding_rate_8h == Decimal("0.0001")


def test_strings_are_never_written_as_formulas(tmp_path):
    from derisk_xl.workbook.new import InputBook, write_input_workbook

    book = InputBook(holdings=[{"Asset": "=HYPERLINK(\"http://x\")", "Quantity": 1,
                                "Price": 1}], settings=[("Client", "=1+1")])
    path = tmp_path / "f.xlsx"
    write_input_workbook(path, book)
    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if "worksheets/" in n)


def test_macro_workbook_parts(tmp_path):
    """vbaProject.bin is carried byte for byte, the button calls the macro, xlwings.conf is there."""
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4
    path = tmp_path / "book.xlsm"
    new_workbook(path, vba_project=vba, button=("Build de-risk plan", "BuildPlan"),
                 xlwings_conf={"INTERPRETER": "python", "UDF_MODULES": ""})
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == vba
        types = z.read("[Content_Types].xml").decode()
        assert "macroEnabled" in types
        vml = [z.read(n).decode() for n in z.namelist() if n.endswith(".vml")]
        assert any("<x:FmlaMacro>[0]!BuildPlan</x:FmlaMacro>" in v for v in vml)
        assert any("Build de-risk plan" in v for v in vml)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    conf = wb["xlwings.conf"]
    assert (conf["A1"].value, conf["B1"].value) == ("INTERPRETER", "python")
    assert wb.sheetnames[0] == "Holdings"
    assert read_workbook(path, as_of=None, today=dt.date.today()).inputs is not None


def test_vba_needs_xlsm(tmp_path):
    with pytest.raises(ValueError):
        new_workbook(tmp_path / "x.xlsx", vba_project=b"x")


def test_committed_samples_are_what_samples_py_writes(tmp_path):
    from derisk_xl.workbook.samples import write_samples
    from tests.conftest import WORKBOOKS

    for path in write_samples(tmp_path):
        committed = WORKBOOKS / path.name
        assert committed.read_bytes() == path.read_bytes(), \
            f"{committed} is stale: run python -m derisk_xl.workbook.samples"


def test_new_command_writes_a_workbook_that_checks(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "mine.xlsx"
    made = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "new", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "check", str(path)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert "ready to plan" in checked.stdout
