"""The adapter's own choices, apart from what the presses test end to end: the gather on
desktop reads every sheet but ours; a sheet goes where the one it replaces was, even on the
engine whose ``before=`` is off by one; widths in characters on the desktop, points in Lite.
(Frozen rows and page setup through each engine: tests/test_excel_layout.py.)"""

from __future__ import annotations

import json
import os

import pytest
from fake_excel import FakeBook, FakeSheet
from needs import needs

from derisk_xl.excel import adapter


def test_desktop_gather_reads_every_sheet_but_ours():
    book = FakeBook("/tmp/x.xlsm")
    for name, value in (("Portfolio", "BTC"), ("Notes", "keep"), ("Plan Summary", "old"),
                        ("plan errors", "old")):
        sheet = FakeSheet(book, name)
        sheet.values[(1, 1)] = value
        book.sheets._items.append(sheet)
    grid = adapter.gather(book)
    assert [s.name for s in grid.sheets] == ["Portfolio", "Notes"]
    assert grid.sheet_names == ("Portfolio", "Notes", "Plan Summary", "plan errors")


def remote_book(names):
    import xlwings as xw

    needs("xlwings-remote")
    sheet = {"values": [[""]], "tables": [], "pictures": [], "shapes": [], "charts": [],
             "notes": [], "print_area": None, "visibility": "Visible", "pivot_tables": [],
             "show_gridlines": True}
    return xw.Book(json=json.loads(json.dumps({
        "client": "Office.js", "version": xw.__version__,
        "book": {"name": "x.xlsx", "active_sheet_index": 0, "selection": "A1"}, "names": [],
        "sheets": [{**sheet, "name": n} for n in names]})))


@pytest.mark.parametrize("index, expected", [
    (0, ["New", "A", "B", "C"]), (1, ["A", "New", "B", "C"]), (2, ["A", "B", "New", "C"]),
    (None, ["A", "B", "C", "New"])])
def test_a_new_sheet_lands_where_asked_on_the_remote_engine(index, expected):
    book = remote_book(["A", "B", "C"])
    adapter.add_sheet(book, "New", index)
    assert [s.name for s in book.sheets] == expected
    add = book.json()["actions"][-1]
    assert add["func"] == "addSheet" and add["args"] == [expected.index("New"), "New"]


def test_widths_are_points_in_lite_and_characters_on_the_desktop():
    assert os.environ.get("XLWINGS_LICENSE_KEY")  # set by conftest for the remote engine
    from derisk_xl.workbook.plan_sheets import Block, Column, SheetSpec

    spec = SheetSpec("Plan Trades", (Block("PlanTrades", "", (Column("#", "integer", 5),),
                                           rows=((1,),)),), (5,), freeze_rows=1)
    book = remote_book(["Holdings"])
    adapter.write_sheet(book, spec)
    widths = [a["args"][0] for a in book.json()["actions"] if a["func"] == "setColumnWidth"]
    assert widths == [30.0]  # 5 characters of 7 px, 5 px padding, 0.75 pt a px

    desktop = FakeBook("/tmp/x.xlsm")
    desktop.sheets._items.append(FakeSheet(desktop, "Holdings"))
    adapter.write_sheet(desktop, spec)
    assert desktop.sheets["Plan Trades"].widths == {1: 5}
