"""Plan sheets that print and read well (SPEC 5.1, last paragraphs), read back with openpyxl.

Every plan sheet carries its print setup (orientation, one page wide, header rows on every
page, a print area, client / as-of / page X of Y); Plan Summary is a dashboard whose figure
columns keep their widths however long a signal's reason or a warning is.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hostile import example_parts, write_parts
from test_fidelity_writer import assert_nothing_lost, rich_workbook
from test_writer_golden import input_workbook
from test_writer_plans import case_study_plan

from derisk_xl.core.issues import Issue
from derisk_xl.core.model import Signal
from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES
from derisk_xl.workbook.writer import write_plan

#: Sheets wider than a portrait page at a readable scale (by their columns, SPEC 5.1 lists).
LANDSCAPE = {"Plan Summary", "Plan Trades", "Plan Futures", "Plan Stress"}
CLIENT = "Smith & Sons"
LONG = ("This warning is far longer than any column should be wide: " + "words " * 120).strip()


def client_plan(**changes):
    plan = case_study_plan()
    plan = dataclasses.replace(plan, settings=dataclasses.replace(plan.settings, client=CLIENT))
    return dataclasses.replace(plan, **changes)


def write(tmp_path: Path, plan, name: str = "out") -> Path:
    source = input_workbook(tmp_path)
    dest = tmp_path / f"{name}.xlsx"
    write_plan(source, dest, plan)
    return dest


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return openpyxl.load_workbook(write(tmp_path_factory.mktemp("print"), client_plan()))


@pytest.mark.parametrize("name", PLAN_SHEET_NAMES)
def test_every_plan_sheet_prints_one_page_wide_with_its_header_rows(book, name):
    ws = book[name]
    setup = ws.page_setup
    assert setup.orientation == ("landscape" if name in LANDSCAPE else "portrait")
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert setup.fitToWidth in (None, 1)  # absent means 1 (ECMA-376's default)
    assert setup.fitToHeight == 0  # as many pages tall as needed
    assert ws.print_title_rows == "$1:$1"
    assert ws.freeze_panes == "A2"  # the rows that repeat are the rows that stay on screen


@pytest.mark.parametrize("name", PLAN_SHEET_NAMES)
def test_print_area_covers_every_cell_of_the_sheet(book, name):
    ws = book[name]
    m = re.fullmatch(r"'(.+)'!\$A\$1:\$([A-Z]+)\$(\d+)", ws.print_area)
    assert m and m.group(1) == name
    last_col = openpyxl.utils.column_index_from_string(m.group(2))
    used = [(c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None]
    assert max(r for r, _ in used) <= int(m.group(3))
    assert max(c for _, c in used) == last_col


@pytest.mark.parametrize("name", PLAN_SHEET_NAMES)
def test_header_and_footer_name_client_as_of_and_pages(book, name):
    ws = book[name]
    assert ws.oddHeader.left.text == "Smith && Sons"  # a literal & is doubled in the codes
    assert ws.oddHeader.center.text == "&A"  # the sheet's name
    assert ws.oddHeader.right.text == "As of 2026-11-28"
    assert ws.oddFooter.center.text == "Page &P of &N"


def test_summary_opens_on_its_key_figures(book):
    ws = book["Plan Summary"]
    title = ws["A1"].value
    assert CLIENT in title and "2026-11-28" in title and ws["A1"].font.b
    top = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(1, 12)}
    for label in ("Total value before (T)", "Total value after", "Status", "Realized gain",
                  "Fees", "Hedge"):
        assert label in top, label
    assert top["Total value before (T)"].value == pytest.approx(35000)
    assert top["Realized gain"].value == pytest.approx(6843.75, abs=0.005)
    assert "0.069" in top["Hedge"].value  # SPEC 7's hedge, in one line
    # nothing to the right of the key figures: the hedge line reads across empty cells
    hedge_row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "Hedge")
    assert all(ws.cell(hedge_row, c).value is None for c in range(3, ws.max_column + 1))


def summary_widths(path: Path) -> dict[str, float]:
    ws = openpyxl.load_workbook(path)["Plan Summary"]
    return {k: d.width for k, d in ws.column_dimensions.items() if d.width}


def test_long_reasons_and_warnings_wrap_without_widening_the_figures(tmp_path):
    plain = write(tmp_path, client_plan(), "plain")
    plan = client_plan(warnings=(Issue("Holdings!C7", LONG, "warning"),),
                       signals=(Signal("extreme greed", True, LONG),))
    wordy = write(tmp_path, plan, "wordy")
    assert summary_widths(wordy) == summary_widths(plain)
    widths = summary_widths(wordy)
    # stored widths carry Excel's 0.71 character of cell padding
    assert all(widths[c] <= 16.75 for c in "BCDEFG"), widths  # the figures' columns
    assert max(widths.values()) <= 64.75, widths

    ws = openpyxl.load_workbook(wordy)["Plan Summary"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == LONG]
    assert len(cells) == 2
    for cell in cells:
        assert cell.alignment.wrap_text
        assert ws.column_dimensions[cell.column_letter].width <= 64.75
        lines = len(LONG) / ws.column_dimensions[cell.column_letter].width
        assert ws.row_dimensions[cell.row].height >= 15 * lines * 0.8  # tall enough to read


def test_trade_reasons_wrap_in_a_bounded_column(book):
    ws = book["Plan Trades"]
    header = [c.value for c in ws[1]]
    reason = header.index("Reason") + 1
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(reason)].width <= 60.75
    assert all(ws.cell(r, reason).alignment.wrap_text for r in range(2, ws.max_row + 1))


def defined_names(data: bytes) -> list[tuple[str, str | None, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/workbook.xml").decode()
    return re.findall(r'<definedName name="([^"]+)"(?: localSheetId="(\d+)")?[^>]*>([^<]*)<',
                      xml)


def test_a_rerun_replaces_the_print_names_and_keeps_the_users(tmp_path):
    import xlsxwriter

    source = tmp_path / "named.xlsx"
    wb = xlsxwriter.Workbook(source)
    holdings = wb.add_worksheet("Holdings")
    holdings.write_row(0, 0, ["Asset", "Quantity", "Price", "Avg Cost"])
    holdings.write_row(1, 0, ["BTC", 0.1, 40000, 40000])
    holdings.repeat_rows(0)  # the user's own print titles, local to Holdings
    wb.add_worksheet("Notes").write(0, 0, "keep")
    wb.define_name("Rate", "=0.05")
    wb.close()
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write_plan(source, once, client_plan())
    write_plan(once, twice, client_plan())
    assert once.read_bytes() == twice.read_bytes()
    assert_nothing_lost(source.read_bytes(), once.read_bytes())
    names = defined_names(twice.read_bytes())
    assert ("_xlnm.Print_Titles", "0", "Holdings!$1:$1") in names
    assert ("Rate", "", "0.05") in names
    ours = [n for n in names if n[1] not in ("", "0")]
    assert len(ours) == 2 * len(PLAN_SHEET_NAMES)  # one area and one title each, not twice
    book = openpyxl.load_workbook(twice)
    assert book["Holdings"].print_title_rows == "$1:$1"
    assert all(book[n].print_title_rows == "$1:$1" for n in PLAN_SHEET_NAMES)


def test_a_sheet_moved_between_plan_sheets_keeps_its_own_print_titles(tmp_path):
    """The user dragged Notes between two plan sheets: a re-run puts the plan sheets back
    together, Notes moves, and its local name must follow it (localSheetId is a tab index)."""
    once = tmp_path / "once.xlsx"
    write_plan(rich_workbook(tmp_path / "rich.xlsx"), once, client_plan())
    parts = example_parts(once)
    xml = parts["xl/workbook.xml"].decode()
    notes = re.search(r'<sheet name="Notes"[^>]*/>', xml).group(0)
    xml = xml.replace(notes, "")
    summary = re.search(r'<sheet name="Plan Summary"[^>]*/>', xml).group(0)
    xml = xml.replace(summary, summary + notes)  # Holdings, Plan Summary, Notes, Plan Trades…
    # as Excel renumbers local names when a tab moves: Notes 1 → 2, Plan Summary 2 → 1
    xml = re.sub(r'localSheetId="([12])"', lambda m: f'localSheetId="{3 - int(m.group(1))}"', xml)
    xml = xml.replace("<definedNames>", '<definedNames><definedName name="_xlnm.Print_Titles" '
                      "localSheetId=\"2\">Notes!$1:$2</definedName>")
    parts["xl/workbook.xml"] = xml.encode()
    moved = write_parts(tmp_path / "moved.xlsx", parts)
    assert openpyxl.load_workbook(moved)["Notes"].print_title_rows == "$1:$2"

    again = tmp_path / "again.xlsx"
    write_plan(moved, again, client_plan())
    book = openpyxl.load_workbook(again)
    assert book.sheetnames == ["Holdings", *PLAN_SHEET_NAMES, "Notes"]
    assert book["Notes"].print_title_rows == "$1:$2"
    assert all(book[n].print_title_rows == "$1:$1" for n in PLAN_SHEET_NAMES)
