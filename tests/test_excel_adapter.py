"""The adapter's desktop-only branches, which neither the remote engine nor the in-memory double
reach: frozen panes and page setup through desktop Excel's own API (``.api``), and the gather
on desktop reading every sheet but ours."""

from __future__ import annotations

from types import SimpleNamespace

from derisk_xl.excel import adapter
from derisk_xl.excel.fake import FakeBook, FakeSheet
from derisk_xl.workbook.plan_sheets import Block, Column, SheetSpec


class Window:
    """Excel's ActiveWindow: records the order of property sets, as freezing depends on it."""

    def __init__(self):
        object.__setattr__(self, "sets", [])

    def __setattr__(self, name, value):
        self.sets.append((name, value))


class DesktopSheet:
    """A desktop xlwings sheet as far as freezing and page setup go: no ``freeze_panes``
    (desktop xlwings has none), Excel's objects behind ``.api``."""

    def __init__(self):
        self.window = Window()
        self.name = "Plan Trades"
        self.page = SimpleNamespace(print_area=None, api=SimpleNamespace())
        self.book = SimpleNamespace(app=SimpleNamespace(api=SimpleNamespace(ActiveWindow=self.window),
                                                        engine=SimpleNamespace(name="excel")))
        self.activated = False

    def activate(self):
        self.activated = True

    @property
    def page_setup(self):
        return self.page


def spec() -> SheetSpec:
    block = Block("PlanTrades", "", (Column("#", "integer", 5), Column("Reason", "text", 80)),
                  rows=((1, "a"), (2, "b"), (3, "c")))
    return SheetSpec("Plan Trades", (block,), (5, 80), freeze_rows=1)


def test_desktop_freeze_goes_through_excels_window():
    sheet = DesktopSheet()
    adapter.freeze(sheet, 2)
    assert sheet.activated
    assert sheet.window.sets == [("FreezePanes", False), ("SplitColumn", 0), ("SplitRow", 2),
                                 ("FreezePanes", True)]


def test_freeze_uses_freeze_panes_where_the_engine_has_it():
    asked = []
    sheet = SimpleNamespace(freeze_panes=SimpleNamespace(freeze_at=asked.append))
    adapter.freeze(sheet, 1)
    assert asked == ["1:1"]


def test_a_desktop_without_either_keeps_planning():
    adapter.freeze(FakeSheet(FakeBook("x.xlsm"), "Plan Trades"), 1)  # no error


def test_print_area_covers_the_blocks_and_desktop_takes_the_rest_of_the_setup():
    sheet = DesktopSheet()
    setup = SimpleNamespace(landscape=True, fit_width=True, repeat_rows=1,
                            header="Northwind — 2026-11-27", footer="Page &P of &N")
    s = SimpleNamespace(**{f: getattr(spec(), f) for f in ("name", "blocks", "widths")},
                        print_setup=setup)
    adapter.print_setup(sheet, s)
    assert sheet.page.print_area == "A1:B4"
    api = sheet.page.api
    assert (api.Orientation, api.FitToPagesWide, api.FitToPagesTall, api.Zoom) == (2, 1, False, False)
    assert api.PrintTitleRows == "$1:$1"
    assert (api.CenterHeader, api.CenterFooter) == ("Northwind — 2026-11-27", "Page &P of &N")


def test_print_setup_without_a_description_sets_only_the_area():
    sheet = DesktopSheet()
    adapter.print_setup(sheet, spec())
    assert sheet.page.print_area == "A1:B4" and vars(sheet.page.api) == {}


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


def test_frozen_columns_too_where_a_spec_asks():
    asked = []
    sheet = SimpleNamespace(freeze_panes=SimpleNamespace(freeze_at=asked.append))
    adapter.freeze(sheet, 1, 2)
    adapter.freeze(sheet, 0, 1)
    assert asked == ["A1:B1", "A:A"]
    desktop = DesktopSheet()
    adapter.freeze(desktop, 3, 1)
    assert ("SplitColumn", 1) in desktop.window.sets and ("SplitRow", 3) in desktop.window.sets
