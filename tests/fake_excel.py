"""An in-memory stand-in for the desktop xlwings objects the RunPython button uses, for
machines with no Excel.

Kept only for what xlwings' own remote engine (``xw.Book(json=...)``, the Python half of xlwings
Lite, which the Lite tests use instead) cannot answer as desktop Excel does: ``xw.Book.caller()``,
``book.fullname`` as a path (the PDF goes beside the workbook), ``app.status_bar``, number
formats read at once (``range.number_format``; the remote engine only answers ``await
range.get_number_format()`` inside Pyodide), column widths in characters, the count of round
trips to Excel. Everything else of the adapter (:mod:`derisk_xl.excel.adapter`) is tested
through the remote engine too.

The calls are answered the way desktop xlwings answers them — ``book.sheets``,
``sheet.used_range``, ``sheet.range(...).options(ndim=2, err_to_str=True).value``,
``.number_format``, ``.font.bold``, ``.column_width``, ``sheets.add``, ``tables.add``,
``charts.add``, ``app.alert``, ``app.status_bar``, ``book.fullname`` (numbers come back as
floats, a range of mixed number formats answers None, a 2-D read is a list of rows). It counts
calls that would cross to Excel, so tests can check that reads are done in bulk.
:func:`load_book` fills one from an .xlsx/.xlsm with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from derisk_xl.workbook.grid import parse_coordinate

_EXCEL_TYPES = (type(None), bool, int, float, str, dt.date, dt.datetime, dt.time)


def _parse_a1(ref: str) -> tuple[int, int]:
    """``C7`` → (7, 3): 1-based, as xlwings counts rows and columns."""
    row, col = parse_coordinate(ref)
    return row + 1, col + 1


@dataclass(frozen=True)
class ErrorValue:
    """A cell holding an Excel error such as ``#N/A`` (xlwings returns None, or the text with
    ``err_to_str=True``)."""

    code: str


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.status_bar: str | bool = False

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class FakeBook:
    """A workbook open in the fake Excel. ``fullname`` without a folder means never saved."""

    def __init__(self, fullname: str) -> None:
        self.fullname = fullname
        self.app = FakeApp()
        self.sheets = FakeSheets(self)
        self.calls = 0  # round trips to Excel: reads and writes of ranges and objects

    @property
    def name(self) -> str:
        return re.split(r"[\\/]", self.fullname)[-1]


class FakeSheets:
    def __init__(self, book: FakeBook) -> None:
        self._book = book
        self._items: list[FakeSheet] = []

    def __iter__(self) -> Iterator["FakeSheet"]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: int | str) -> "FakeSheet":
        if isinstance(key, int):
            return self._items[key]
        for sheet in self._items:
            if sheet.name.lower() == key.lower():
                return sheet
        raise KeyError(key)

    def __contains__(self, name: str) -> bool:
        return any(s.name.lower() == name.lower() for s in self._items)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._items]

    def add(self, name: str | None = None, before: "FakeSheet | None" = None,
            after: "FakeSheet | None" = None) -> "FakeSheet":
        self._book.calls += 1
        name = name or f"Sheet{len(self._items) + 1}"
        if name in self:
            raise ValueError(f"a sheet named {name!r} already exists")
        sheet = FakeSheet(self._book, name)
        if before is not None:
            self._items.insert(self._items.index(before), sheet)
        elif after is not None:
            self._items.insert(self._items.index(after) + 1, sheet)
        else:  # Excel adds a sheet before the active one; we append for predictability
            self._items.insert(0, sheet)
        return sheet

    def _remove(self, sheet: "FakeSheet") -> None:
        if len(self._items) == 1:
            raise ValueError("a workbook must keep at least one sheet")
        self._items.remove(sheet)


class FakeSheet:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book = book
        self.name = name
        self.values: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.bold: set[tuple[int, int]] = set()
        self.formulas: set[tuple[int, int]] = set()  # cells Excel would have read as formulas
        self.widths: dict[int, float] = {}
        self.tables = FakeTables(self)
        self.charts = FakeCharts(self)
        self.active = False

    def __repr__(self) -> str:
        return f"<FakeSheet {self.name!r}>"

    @property
    def used_range(self) -> "FakeRange":
        self.book.calls += 1
        used = set(self.values) | set(self.formats)
        if not used:
            return FakeRange(self, 1, 1, 1, 1)
        rows = [r for r, _ in used]
        cols = [c for _, c in used]
        return FakeRange(self, min(rows), min(cols), max(rows), max(cols))

    def range(self, cell1: tuple[int, int] | str, cell2: tuple[int, int] | str | None = None,
              ) -> "FakeRange":
        if isinstance(cell1, str) and ":" in cell1 and cell2 is None:
            cell1, cell2 = cell1.split(":")
        r1, c1 = _parse_a1(cell1) if isinstance(cell1, str) else cell1
        r2, c2 = (r1, c1) if cell2 is None else (
            _parse_a1(cell2) if isinstance(cell2, str) else cell2)
        return FakeRange(self, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))

    def __getitem__(self, ref: str) -> "FakeRange":
        return self.range(ref)

    def delete(self) -> None:
        self.book.calls += 1
        self.book.sheets._remove(self)

    def activate(self) -> None:
        for sheet in self.book.sheets:
            sheet.active = False
        self.active = True

    # a helper for tests (not xlwings API)
    def rows(self) -> list[list[Any]]:
        """Every value from A1 to the last used cell, as a list of rows (for assertions)."""
        if not self.values:
            return []
        last_r = max(r for r, _ in self.values)
        last_c = max(c for _, c in self.values)
        return [[self.values.get((r, c)) for c in range(1, last_c + 1)]
                for r in range(1, last_r + 1)]


class FakeFont:
    def __init__(self, rng: "FakeRange") -> None:
        self._rng = rng

    @property
    def bold(self) -> bool | None:
        cells = set(self._rng.cells())
        hits = cells & self._rng.sheet.bold
        return True if hits == cells else False if not hits else None

    @bold.setter
    def bold(self, value: bool) -> None:
        self._rng.sheet.book.calls += 1
        if value:
            self._rng.sheet.bold.update(self._rng.cells())
        else:
            self._rng.sheet.bold.difference_update(self._rng.cells())


class FakeRange:
    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int,
                 options: dict[str, Any] | None = None) -> None:
        if r1 < 1 or c1 < 1:
            raise ValueError("rows and columns start at 1")
        self.sheet = sheet
        self.row, self.column, self._r2, self._c2 = r1, c1, r2, c2
        self._options = options or {}

    def __repr__(self) -> str:
        return f"<FakeRange {self.sheet.name}!R{self.row}C{self.column}:R{self._r2}C{self._c2}>"

    @property
    def shape(self) -> tuple[int, int]:
        return (self._r2 - self.row + 1, self._c2 - self.column + 1)

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self.sheet, self._r2, self._c2, self._r2, self._c2)

    def cells(self) -> Iterator[tuple[int, int]]:
        for r in range(self.row, self._r2 + 1):
            for c in range(self.column, self._c2 + 1):
                yield (r, c)

    def options(self, convert: Any = None, **options: Any) -> "FakeRange":
        return FakeRange(self.sheet, self.row, self.column, self._r2, self._c2, options)

    def _read(self, key: tuple[int, int]) -> Any:
        value = self.sheet.values.get(key)
        if isinstance(value, ErrorValue):
            return value.code if self._options.get("err_to_str") else None
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # Excel stores every number as a double
        return value

    @property
    def value(self) -> Any:
        self.sheet.book.calls += 1
        grid = [[self._read((r, c)) for c in range(self.column, self._c2 + 1)]
                for r in range(self.row, self._r2 + 1)]
        if self._options.get("ndim") == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if all(len(row) == 1 for row in grid):
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.book.calls += 1
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        elif not data or not isinstance(data[0], (list, tuple)):
            data = [list(data)]
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                if not isinstance(value, _EXCEL_TYPES):
                    raise TypeError(f"Excel cannot hold a {type(value).__name__}: {value!r}")
                key = (self.row + i, self.column + j)
                if isinstance(value, str) and value.startswith("'"):
                    value = value[1:]  # Excel's text prefix: stored as text, not part of it
                elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
                    self.sheet.formulas.add(key)  # Excel would parse this as a formula
                if value is None or value == "":
                    self.sheet.values.pop(key, None)
                else:
                    self.sheet.values[key] = value

    @property
    def number_format(self) -> str | None:
        self.sheet.book.calls += 1
        formats = {self.sheet.formats.get(key, "General") for key in self.cells()}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.book.calls += 1
        for key in self.cells():
            if value == "General":
                self.sheet.formats.pop(key, None)
            else:
                self.sheet.formats[key] = value

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    @property
    def column_width(self) -> float | None:
        widths = {self.sheet.widths.get(c, 8.43) for c in range(self.column, self._c2 + 1)}
        return widths.pop() if len(widths) == 1 else None

    @column_width.setter
    def column_width(self, value: float) -> None:
        self.sheet.book.calls += 1
        for c in range(self.column, self._c2 + 1):
            self.sheet.widths[c] = value


class _SheetItems:
    """A sheet's ``tables`` or ``charts``: iterable, sized, indexed by position or name."""

    def __init__(self, sheet: FakeSheet) -> None:
        self._sheet = sheet
        self._items: list = []

    def __iter__(self) -> Iterator:
        return iter(list(self._items))

    def __getitem__(self, key: int | str):
        if isinstance(key, int):
            return self._items[key]
        return next(t for t in self._items if getattr(t, "name", None) == key)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class FakeTable:
    name: str
    range: FakeRange
    table_style: str = "TableStyleMedium2"
    show_headers: bool = True


class FakeTables(_SheetItems):
    def add(self, source: FakeRange | None = None, name: str | None = None,
            source_type: str | None = None, link_source: bool | None = None,
            has_headers: bool = True, destination: FakeRange | None = None,
            table_style_name: str = "TableStyleMedium2") -> FakeTable:
        self._sheet.book.calls += 1
        if not isinstance(source, FakeRange):
            raise TypeError("'source' must be a Range")
        taken = {t.name.lower() for s in self._sheet.book.sheets for t in s.tables}
        if name and name.lower() in taken:
            raise ValueError(f"a table named {name!r} already exists in the workbook")
        table = FakeTable(name or f"Table{len(taken) + 1}", source, table_style_name,
                          has_headers)
        self._items.append(table)
        return table


@dataclass
class FakeChart:
    left: float
    top: float
    width: float
    height: float
    chart_type: str = "column_clustered"
    title: str | None = None
    source: FakeRange | None = None

    def set_source_data(self, source: FakeRange) -> None:
        self.source = source


class FakeCharts(_SheetItems):
    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            ) -> FakeChart:
        self._sheet.book.calls += 1
        chart = FakeChart(left, top, width, height)
        self._items.append(chart)
        return chart


def load_book(path: Path, fullname: str | None = None) -> FakeBook:
    """A fake open workbook with the values (cached results) and number formats of ``path``,
    as Excel would show them. ``fullname`` overrides the path Excel reports (e.g. ``Book1``
    for a workbook never saved)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    book = FakeBook(fullname if fullname is not None else str(Path(path).resolve()))
    for ws in wb.worksheets:
        sheet = FakeSheet(book, ws.title)
        book.sheets._items.append(sheet)
        for row in ws.iter_rows():
            for cell in row:
                key = (cell.row, cell.column)
                value = cell.value
                if cell.data_type == "e" and isinstance(value, str):
                    value = ErrorValue(value)
                if value is not None:
                    sheet.values[key] = value
                if cell.number_format and cell.number_format != "General":
                    sheet.formats[key] = cell.number_format
        for table in ws.tables.values():
            sheet.tables._items.append(FakeTable(table.name, sheet.range(table.ref)))
    if book.sheets._items:
        book.sheets._items[0].active = True
    return book


__all__ = ["ErrorValue", "FakeApp", "FakeBook", "FakeRange", "FakeSheet", "load_book"]
