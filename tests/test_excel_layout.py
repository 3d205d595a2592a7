"""The button lays out the plan sheets as the package writer does, and applies their frozen
rows and print setup through whatever the xlwings engine offers.

The button runs against the in-memory xlwings double (no Excel here); the print setup is checked
against a sheet that records what Excel's objects were told, for the two engines that differ:
xlwings' remote engine (Lite, Server: ``freeze_panes``, ``page_setup.print_area``) and the
desktop one on Windows (Excel's own ``ActiveWindow`` and ``PageSetup`` through ``.api``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import openpyxl
from fake_excel import FakeBook, FakeSheet
from test_excel_button import case_study_book, press, private_temp  # noqa: F401 (fixtures)
from test_writer_golden import input_workbook
from test_writer_plans import case_study_plan

from derisk_xl.excel.adapter import gather, write_sheet
from derisk_xl.excel.layout import apply_layout
from derisk_xl.workbook.plan_sheets import FINGERPRINT_LABEL, plan_sheets
from derisk_xl.workbook.reader import parse_inputs
from derisk_xl.workbook.writer import write_plan


def text_cells(cells: dict[tuple[int, int], object]) -> dict[tuple[int, int], str]:
    """(row, column) → text, 1-based, leaving out what differs between two doors by design
    (the inputs fingerprint: the button hashes the open book's cells, not a file)."""
    out = {k: v for k, v in cells.items() if isinstance(v, str)}
    for (r, c), v in list(out.items()):
        if v == FINGERPRINT_LABEL:
            out.pop((r, c + 1), None)
    return out


def test_button_summary_has_the_package_writers_layout(press, tmp_path):
    book = press(case_study_book(tmp_path))
    pressed = text_cells(book.sheets["Plan Summary"].values)

    # the same plan as pressed, with the same "Holdings read from" lines (the button's own read)
    read = parse_inputs(gather(case_study_book(tmp_path / "again")), as_of=None,
                        today=dt.date(2026, 11, 28))
    written = tmp_path / "written.xlsx"
    write_plan(input_workbook(tmp_path), written,
               dataclasses.replace(case_study_plan(), source=read.inputs.source))
    ws = openpyxl.load_workbook(written)["Plan Summary"]
    cells = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
             if c.value is not None}
    assert pressed == text_cells(cells)
    assert pressed[(1, 1)].endswith("as of 2026-11-28")
    signals = next(k for k, v in pressed.items() if v == "Reason")
    assert signals[1] > 7  # the words sit beside the figures (columns A–G), not under them


class Recorded(SimpleNamespace):
    """An object that keeps whatever attributes it is given (Excel's PageSetup, a window)."""


class RecordingSheet(FakeSheet):
    """A fake sheet that also answers the layout calls, as one xlwings engine does."""

    def __init__(self, book: FakeBook, name: str, remote: bool) -> None:
        super().__init__(book, name)
        self.frozen: list[str] = []
        self.page_setup = Recorded(print_area=None)
        self.api = Recorded(PageSetup=Recorded())
        self.window = Recorded()
        book.app.api = Recorded(ActiveWindow=self.window)
        self.remote = remote
        self.wrapped: set[tuple[int, int]] = set()

    @property
    def freeze_panes(self):
        def freeze_at(ref: str) -> None:
            if not self.remote:  # xlwings' desktop engine: base_classes.FreezePanes
                raise NotImplementedError()
            self.frozen.append(ref)
        return Recorded(freeze_at=freeze_at)

    def range(self, *args, **kwargs):
        rng = super().range(*args, **kwargs)
        sheet = self

        class Wrapping(type(rng)):
            @property
            def wrap_text(self):
                return (self.row, self.column) in sheet.wrapped

            @wrap_text.setter
            def wrap_text(self, value: bool) -> None:
                if value:
                    sheet.wrapped.add((self.row, self.column))

        rng.__class__ = Wrapping
        return rng


def summary_spec():
    plan = case_study_plan()
    settings = dataclasses.replace(plan.settings, client="Smith & Sons")
    return plan_sheets(dataclasses.replace(plan, settings=settings), version="t")[0]


def test_remote_engine_freezes_and_sets_the_print_area(tmp_path):
    spec = summary_spec()
    sheet = RecordingSheet(FakeBook(str(tmp_path / "b.xlsx")), spec.name, remote=True)
    apply_layout(sheet, spec)
    assert sheet.frozen == ["1:1"]
    assert sheet.page_setup.print_area == "$A$1:$K$46"
    reasons = next(b for b in spec.blocks if b.table == "PlanSignals")
    first = reasons.header_row + 2
    expected = {(first + r, reasons.left + 3) for r in range(len(reasons.rows))}
    assert sheet.wrapped == expected  # the Reason column, column K, and nothing else


def test_desktop_excel_gets_the_window_and_page_setup_through_its_api(tmp_path):
    spec = summary_spec()
    sheet = RecordingSheet(FakeBook(str(tmp_path / "b.xlsx")), spec.name, remote=False)
    sheet.book.sheets._items.append(sheet)
    apply_layout(sheet, spec)
    assert sheet.frozen == [] and sheet.active
    assert (sheet.window.SplitRow, sheet.window.SplitColumn, sheet.window.FreezePanes) == \
        (1, 0, True)
    ps = sheet.api.PageSetup
    assert ps.Orientation == 2  # xlLandscape
    assert (ps.Zoom, ps.FitToPagesWide, ps.FitToPagesTall) == (False, 1, False)
    assert ps.PrintTitleRows == "$1:$1"
    assert (ps.LeftHeader, ps.CenterHeader, ps.RightHeader) == \
        ("Smith && Sons", "&A", "As of 2026-11-28")
    assert ps.CenterFooter == "Page &P of &N"


def test_an_excel_without_layout_calls_still_gets_the_sheet_and_its_heading(tmp_path):
    """The plain double has no freeze_panes, page_setup or api: nothing but the looks is lost,
    and the heading, written with the cells, is there."""
    spec = summary_spec()
    book = FakeBook(str(tmp_path / "b.xlsx"))
    book.sheets._items.append(FakeSheet(book, "Holdings"))
    bare = FakeSheet(book, spec.name)
    apply_layout(bare, spec)
    assert bare.values == {} and not bare.bold

    sheet = write_sheet(book, spec)
    assert sheet.values[(1, 1)] == "De-risk plan — Smith & Sons — as of 2026-11-28"
    assert (1, 1) in sheet.bold and book.sheets.names == ["Holdings", spec.name]
