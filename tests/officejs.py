"""Excel's side of xlwings Lite, for tests and benchmarks: the payload an Office.js client sends,
and what Excel does with the actions the script returns.

xlwings' own remote engine (``xw.Book(json=payload)``, in its ``pro`` package, run here with
``XLWINGS_LICENSE_KEY=noncommercial``) is the Python half of xlwings Lite: the script's calls
become queued actions (``addSheet``, ``setValues``, ``addTable``…) exactly as in Lite. What it
cannot do outside Pyodide is ask the Office.js client for something on demand; of that the
press needs only ``await range.get_number_format()``, which :func:`serve_number_formats`
answers from the workbook file, as the client would from Excel.

- :func:`payload` builds, from an .xlsx read with openpyxl, the book data the client's
  ``getBookData`` sends: values from A1 (empty cells ``""``, dates as ISO text with ``Z``,
  errors as their code), used range, Tables.
- :func:`apply_actions` plays the returned actions on a copy of the workbook the way Excel
  does, and fails on any action it does not know, so a new kind of call cannot slip by
  unchecked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# tests and benchmarks only; it counts only if set before xlwings is first imported
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    from openpyxl.utils import get_column_letter as L

    return f"${L(c1)}${r1}:${L(c2)}${r2}"


def payload(path: Path) -> tuple[dict, dict[tuple[str, int, int], str]]:
    """The book data an Office.js client sends for ``path``, and every cell's number format
    (sheet, 1-based row, column) for :func:`serve_number_formats`."""
    import openpyxl
    import xlwings as xw
    from openpyxl.utils.cell import range_boundaries

    wb = openpyxl.load_workbook(path, data_only=True)
    sheets, formats = [], {}
    for ws in wb.worksheets:
        n_rows, n_cols = ws.max_row, ws.max_column
        values = [[""] * n_cols for _ in range(n_rows)]
        for row in ws.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols):
            for cell in row:
                values[cell.row - 1][cell.column - 1] = _json_value(cell.value)
                if cell.number_format and cell.number_format != "General":
                    formats[(ws.title, cell.row, cell.column)] = cell.number_format
        tables = []
        for table in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            tables.append({
                "name": table.name, "range_address": _address(r1, c1, r2, c2),
                "header_row_range_address": _address(r1, c1, r1, c2),
                "data_body_range_address": _address(r1 + 1, c1, r2, c2),
                "total_row_range_address": None, "show_headers": True, "show_totals": False,
                "table_style": table.tableStyleInfo.name if table.tableStyleInfo else "",
                "show_autofilter": True, "show_table_style_first_column": False,
                "show_table_style_last_column": False, "show_table_style_row_stripes": True,
                "show_table_style_column_stripes": False, "row_count": r2 - r1 + 1,
                "column_count": c2 - c1 + 1,
            })
        sheets.append({
            "name": ws.title, "values": values, "used_range_address": _address(1, 1, n_rows, n_cols),
            "tables": tables, "pictures": [], "shapes": [], "charts": [], "notes": [],
            "print_area": None, "show_gridlines": True, "pivot_tables": [],
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
        })
    book = {"client": "Office.js", "version": xw.__version__,
            "book": {"name": Path(path).name, "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": sheets}
    return book, formats


def serve_number_formats(monkeypatch, formats: dict[tuple[str, int, int], str]) -> list:
    """Answer ``await range.get_number_format()`` as the Office.js client does (one format,
    or None when the cells differ), from ``formats``; the list returned records each ask."""
    from xlwings.pro import _xlremote

    asked: list = []

    async def get_number_format(impl):
        (r1, c1), (rows, cols) = (impl.row, impl.column), impl.shape
        asked.append((impl.sheet.name, r1, c1, r1 + rows - 1, c1 + cols - 1))
        found = {formats.get((impl.sheet.name, r, c), "General")
                 for r in range(r1, r1 + rows) for c in range(c1, c1 + cols)}
        return found.pop() if len(found) == 1 else None

    monkeypatch.setattr(_xlremote.Range, "get_number_format", get_number_format)
    return asked


# ---------------------------------------------------------------------------------------------
# Excel's side: the actions applied
# ---------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)  # 1-based
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    bold: set[tuple[int, int]] = field(default_factory=set)
    wrap: set[tuple[int, int]] = field(default_factory=set)
    widths: dict[int, float] = field(default_factory=dict)  # points
    tables: list[tuple[str, str, str]] = field(default_factory=list)  # name, address, style
    charts: list[dict] = field(default_factory=list)
    frozen: str | None = None
    print_area: str | None = None
    formulas: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Workbook:
    sheets: list[Sheet]
    alerts: list[dict] = field(default_factory=list)
    active: str | None = None

    def __getitem__(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sheets]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def excel_reads(text: Any) -> tuple[Any, bool]:
    """What Excel stores when Office.js writes ``text`` into a cell, and whether it became a
    formula: an apostrophe keeps the rest as text, ``=`` makes a formula, an ISO date is a
    date, empty is empty."""
    if not isinstance(text, str):
        return text, False
    if text.startswith("'"):
        return text[1:], False
    if text == "":
        return None, False
    if text[:1] in ("=", "+", "-", "@"):
        return text, True
    if _ISO_DATE.match(text):
        return dt.date.fromisoformat(text), False
    return text, False


def pane_below(frozen: str) -> str:
    """The top-left cell of the unfrozen pane (as the file stores it) after Office.js'
    ``freezeAt(frozen)``: ``1:2`` → ``A3``, ``A:B`` → ``C1``, ``A1:B2`` → ``C3``."""
    from openpyxl.utils import column_index_from_string, get_column_letter

    first, last = frozen.replace("$", "").split(":")
    if last.isdigit():
        return f"A{int(last) + 1}"
    if last.isalpha():
        return f"{get_column_letter(column_index_from_string(last) + 1)}1"
    col = re.match(r"[A-Z]+", last).group()
    return f"{get_column_letter(column_index_from_string(col) + 1)}{int(last[len(col):]) + 1}"


def apply_actions(book: dict, actions: list[dict]) -> Workbook:
    """Play ``actions`` on the workbook ``book`` (a payload) as Excel does."""
    wb = Workbook([Sheet(s["name"]) for s in book["sheets"]])
    for s, data in zip(wb.sheets, book["sheets"]):
        for r, row in enumerate(data["values"], 1):
            for c, v in enumerate(row, 1):
                if v != "":
                    s.values[(r, c)] = v
    for a in actions:
        func, args = a["func"], a["args"]
        sheet = wb.sheets[a["sheet_position"]] if a["sheet_position"] is not None else None
        cells = []
        if a["start_row"] is not None:
            cells = [(a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                     for i in range(a["row_count"]) for j in range(a["column_count"])]
        if func == "addSheet":
            wb.sheets.insert(args[0], Sheet(args[1]))
        elif func == "sheetDelete":
            wb.sheets.remove(sheet)
        elif func == "setValues":
            assert len(a["values"]) == a["row_count"] and all(
                len(row) == a["column_count"] for row in a["values"]), a
            for (r, c), v in zip(cells, (v for row in a["values"] for v in row)):
                value, formula = excel_reads(v)
                if formula:
                    sheet.formulas.add((r, c))
                if value is None:
                    sheet.values.pop((r, c), None)
                else:
                    sheet.values[(r, c)] = value
        elif func == "setNumberFormat":
            for key in cells:
                sheet.formats[key] = args[0]
        elif func == "setFontProperty":
            assert args[0] == "bold", a
            (sheet.bold.update if args[1] else sheet.bold.difference_update)(cells)
        elif func == "setWrapText":
            (sheet.wrap.update if args[0] else sheet.wrap.difference_update)(cells)
        elif func == "setColumnWidth":
            for _, c in cells:
                sheet.widths[c] = args[0]
        elif func == "addTable":
            taken = {t[0].lower() for s in wb.sheets for t in s.tables}
            assert args[3].lower() not in taken, f"Excel refuses a second table {args[3]}"
            assert args[1] is True
            sheet.tables.append((args[3], args[0].replace("$", ""), args[2]))
        elif func == "freezePaneAtRange":
            sheet.frozen = args[0]
        elif func == "addChart":
            sheet.charts.append({"name": args[0], "type": args[1], "source": args[3]})
        elif func == "setChartTitle":
            sheet.charts[args[0]]["title"] = args[1]
        elif func == "setPrintArea":
            sheet.print_area = args[0]
        elif func == "activateSheet":
            wb.active = wb.sheets[args].name if isinstance(args, int) else sheet.name
        elif func == "alert":
            wb.alerts.append({"prompt": args[0], "title": args[1], "mode": args[3]})
        else:
            raise AssertionError(f"an action this model of Excel does not know: {a}")
    return wb
