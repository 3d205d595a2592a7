"""Golden tests: the SPEC 7 case study written into a copy of an input workbook and read back.

Every expected figure below is typed in from SPEC section 7, never taken from our code.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import WORKBOOKS
from test_writer_plans import case_study_plan

from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES, plan_sheets
from derisk_xl.workbook.writer import read_plan_fingerprint, write_plan

MONEY = "#,##0.00"
PERCENT = "0.00%"
approx = pytest.approx


def input_workbook(folder: Path) -> Path:
    """workbooks/case-study.xlsx when the reader's samples exist, else a small Holdings book."""
    sample = WORKBOOKS / "case-study.xlsx"
    path = folder / "case-study.xlsx"
    if sample.exists():
        shutil.copy(sample, path)
        return path
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Holdings")
    ws.write_row(0, 0, ["Asset", "Quantity", "Price", "Avg Cost"])
    for r, row in enumerate([["BTC", 0.1, 40000, 40000], ["ETH", 2.5, 3000, 1200],
                             ["ALT", 1000, 12, 3], ["USDC", 11500, 1, 1]], start=1):
        ws.write_row(r, 0, row)
    wb.close()
    return path


@pytest.fixture(scope="module", params=["xlsxwriter-cells", "streamed-rows"])
def written(tmp_path_factory, request) -> Path:
    """The case study written twice: small tables cell by cell through XlsxWriter (the default
    for a plan this size), and every table a chart does not read streamed as text (what a big
    plan gets). Every golden test below runs on both files."""
    from derisk_xl.workbook.package import scratch

    folder = tmp_path_factory.mktemp("golden")
    source = input_workbook(folder)
    dest = folder / "out" / source.name
    dest.parent.mkdir()
    saved = scratch.STREAM_ROWS
    scratch.STREAM_ROWS = 0 if request.param == "streamed-rows" else 10**9
    try:
        write_plan(source, dest, case_study_plan())
    finally:
        scratch.STREAM_ROWS = saved
    return dest


@pytest.fixture(scope="module")
def book(written):
    import openpyxl

    return openpyxl.load_workbook(written)


def rows_by_label(ws) -> dict[str, tuple]:
    """Column A label → the row's cells (first occurrence)."""
    out: dict[str, tuple] = {}
    for row in ws.iter_rows():
        if isinstance(row[0].value, str):
            out.setdefault(row[0].value, row)
    return out


def table_rows(ws, table_name: str) -> list[dict[str, object]]:
    """The data rows of an Excel Table as dicts keyed by header."""
    table = ws.tables[table_name]
    cells = list(ws[table.ref])
    headers = [c.value for c in cells[0]]
    return [dict(zip(headers, row)) for row in cells[1:]]


def test_all_six_plan_sheets_follow_the_input_sheets(book):
    assert book.sheetnames[-6:] == list(PLAN_SHEET_NAMES)
    assert book.sheetnames[0] != "Plan Summary"


def test_summary_holds_totals_buckets_exposure_and_gains(book):
    ws = book["Plan Summary"]
    rows = rows_by_label(ws)
    t = rows["Total value before (T)"][1]
    assert t.value == approx(35000) and t.number_format == MONEY
    buckets = {r["Bucket"].value: r for r in table_rows(ws, "PlanBuckets")}
    assert buckets["spot"]["Target"].value == approx(14000)
    assert buckets["stable"]["Target"].value == approx(14000)
    assert buckets["futures"]["Target"].value == approx(7000)
    assert buckets["spot"]["Before %"].value == approx(23500 / 35000)
    assert buckets["spot"]["Before %"].number_format == PERCENT
    assert buckets["stable"]["After"].value == approx(14000, abs=0.01)
    net = {r["Measure"].value: r for r in table_rows(ws, "PlanExposure")}["Net exposure"]
    assert net["Before"].value == approx(23500)
    assert net["Before %"].value == approx(0.671, abs=0.0005)
    assert net["After"].value == approx(11226.20, abs=0.005)
    assert net["After %"].value == approx(0.321, abs=0.0005)
    assert net["After %"].number_format == PERCENT
    gain = rows["Realized gain"][1]
    assert gain.value == approx(6843.75, abs=0.005) and gain.number_format == MONEY
    assert rows["Fees"][1].value == 0
    assert "0.069" in rows["Hedge"][1].value and "BTCUSDT-PERP" in rows["Hedge"][1].value
    assert rows["Model"][1].value == "Balanced De-Risk"
    assert rows["Spot target"][1].value == approx(0.40)
    assert rows["As of"][1].is_date
    assert rows["derisk_xl version"][1].value


def test_trades_columns_and_the_case_study_sales(book):
    ws = book["Plan Trades"]
    assert [c.value for c in ws[1]] == ["#", "Step", "Venue", "Instrument", "Side", "Quantity",
                                        "Price", "Notional", "Fee", "Realized Gain", "Reason"]
    trades = table_rows(ws, "PlanTrades")
    sells = [(t["Step"].value, t["Instrument"].value, t["Quantity"].value)
             for t in trades if t["Side"].value == "sell"]
    tier = sorted((i, q) for s, i, q in sells if s == "tier")
    assert tier == [("ALT", approx(500)), ("ETH", approx(0.625))]
    alloc = [(i, q) for s, i, q in sells if s == "allocation"]
    assert alloc == [("ALT", approx(135.41666, abs=1e-4))]
    sold_alt = sum(t["Notional"].value for t in trades
                   if t["Instrument"].value == "ALT" and t["Side"].value == "sell")
    assert sold_alt == approx(7625.00, abs=0.01)
    realized = sum(t["Realized Gain"].value or 0 for t in trades)
    assert realized == approx(6843.75, abs=0.01)
    assert all(isinstance(t["Quantity"].value, (int, float)) for t in trades)
    assert trades[0]["Notional"].number_format == MONEY
    transfers = [t for t in trades if t["Step"].value == "transfer"]
    assert transfers and transfers[0]["Notional"].value == approx(7000)


def test_hedge_sheet(book):
    rows = rows_by_label(book["Plan Hedge"])
    assert rows["Quantity (contracts)"][1].value == approx(0.069)
    assert rows["New short notional (A)"][1].value == approx(2773.80, abs=0.005)
    assert rows["New short notional (A)"][1].number_format == MONEY
    assert rows["Margin"][1].value == approx(924.60, abs=0.005)
    assert rows["Liquidation price"][1].value == approx(53333.33, abs=0.005)
    assert rows["Exposure (X)"][1].value == approx(14000)
    assert rows["Hedge ratio"][1].number_format == PERCENT
    assert rows["Annualized"][1].value == approx(0.1095, abs=1e-6)
    assert "earns" in rows["Carry in words"][1].value


def test_stress_sheet(book):
    rows = {round(r["Shock"].value, 4): r for r in table_rows(book["Plan Stress"], "PlanStress")}
    assert rows[-0.3]["P&L Before"].value == approx(-7050, abs=0.005)
    assert rows[-0.3]["P&L After"].value == approx(-3367.86, abs=0.005)
    assert rows[-0.3]["Shock"].number_format == PERCENT
    assert rows[-0.3]["P&L After"].number_format == MONEY


def test_headers_bold_and_frozen_and_every_block_is_a_table(book):
    for name in PLAN_SHEET_NAMES:
        ws = book[name]
        assert ws.freeze_panes == "A2", name
        assert ws.tables, name
        for table in ws.tables.values():
            header = list(ws[table.ref])[0]
            assert all(c.font.b for c in header), (name, table.name)
        assert ws.column_dimensions["A"].width > 0
    names = [t for ws in book for t in ws.tables]
    assert len(names) == len(set(names))


def test_the_buckets_chart_is_a_native_bar_chart_of_the_buckets(written):
    with zipfile.ZipFile(written) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    assert "<c:barChart>" in xml
    assert "'Plan Summary'!$B$" in xml and "'Plan Summary'!$F$" in xml
    assert "<c:numCache>" in xml  # cached values: it draws without a recalculation


def test_values_are_there_without_recalculation(written):
    import pandas as pd

    stress = pd.read_excel(written, sheet_name="Plan Stress", engine="calamine")
    row = stress[stress["Shock"].round(4) == -0.3].iloc[0]
    assert row["P&L Before"] == approx(-7050, abs=0.005)
    assert row["P&L After"] == approx(-3367.86, abs=0.005)
    trades = pd.read_excel(written, sheet_name="Plan Trades", engine="calamine")
    assert trades["Realized Gain"].fillna(0).sum() == approx(6843.75, abs=0.01)
    assert trades["Quantity"].dtype.kind == "f"


def test_fingerprint_is_found_again(written, tmp_path):
    plan = case_study_plan()
    assert re.fullmatch(r"[0-9a-f]{64}", plan.fingerprint)  # so None == None cannot pass
    assert read_plan_fingerprint(written) == plan.fingerprint
    source = input_workbook(tmp_path)
    assert read_plan_fingerprint(source) is None
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    assert read_plan_fingerprint(junk) is None
    assert read_plan_fingerprint(tmp_path / "missing.xlsx") is None


def test_fingerprint_survives_shared_strings(tmp_path):
    """After Excel re-saves a workbook its strings are shared; the fingerprint is still found."""
    import xlsxwriter

    path = tmp_path / "resaved.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Plan Summary")
    ws.write_string(3, 0, "Inputs fingerprint")
    ws.write_string(3, 1, "abc123")
    wb.close()
    assert read_plan_fingerprint(path) == "abc123"


def test_specs_are_library_neutral_and_complete():
    specs = plan_sheets(case_study_plan(), version="9.9")
    assert tuple(s.name for s in specs) == PLAN_SHEET_NAMES
    summary = specs[0]
    assert summary.chart is not None and summary.chart.series[0][0] == "Before"
    about = next(b for b in summary.blocks if b.table == "PlanAbout")
    assert ("derisk_xl version", "9.9") in about.rows
