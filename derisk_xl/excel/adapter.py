"""The one adapter over xlwings' ``Book`` API, shared by both Excel doors: the ends of a press
that touch the open workbook.

Desktop Excel (RunPython, :mod:`derisk_xl.excel.button`) and xlwings Lite (an ``@script`` in
Pyodide inside Excel, :mod:`derisk_xl.excel.lite`) hand us the same kind of object, an
``xw.Book``, and run the same press (:mod:`derisk_xl.excel.press`): gather, compute, apply.
This module is the two ends:

- gather: every worksheet but our own plan sheets, plus the Excel Tables, into a
  :class:`WorkbookGrid` (the reader picks the holdings table from it, SPEC 3.9);
- apply: the plan sheets from their :class:`SheetSpec`\\ s, through the Book API, so Excel itself
  keeps every other part of the workbook; or the problems on a ``Plan Errors`` sheet and in a
  message box, the previous plan taken away.

Where the engines differ, the difference lives here and nowhere else:

- number formats: desktop Excel answers ``range.number_format`` at once; Lite answers only
  ``await range.get_number_format()``. The search for percent cells is written once, as a
  generator that asks for the format of a block and is told it (:func:`_format_search`), and
  driven synchronously (:func:`gather`) or asynchronously (:func:`gather_async`);
- column widths: desktop Excel takes characters, the remote engine (Lite) points;
- frozen header rows and print setup (:mod:`derisk_xl.excel.layout`): the remote engine has
  ``sheet.freeze_panes`` and a print area; desktop Excel takes them, and orientation, fit to
  width, repeated header rows and header/footer, through its own objects (``.api``), each
  tried on its own and allowed to fail without harm.

Nothing here imports anything but the standard library and our pure modules, so it runs in
Pyodide; xlwings itself is never imported (the door hands us the book).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Generator, Iterable, Sequence

from ..core.issues import Issue
from ..workbook.grid import ERROR_CODES, ExcelError, SheetGrid, TableRef, WorkbookGrid
from .layout import apply_layout, freeze

TITLE = "De-risk plan"
ERRORS_SHEET = "Plan Errors"
ALERT_LINES = 12  # a message box shows the first problems; the sheet lists them all

log = logging.getLogger(__name__)


def our_sheets() -> frozenset[str]:
    """Names (lower case) of the sheets a press writes, which the gather never reads."""
    from ..workbook.plan_sheets import PLAN_SHEET_NAMES

    return frozenset(n.lower() for n in (*PLAN_SHEET_NAMES, ERRORS_SHEET))


def is_remote(book: Any) -> bool:
    """True in xlwings Lite (and xlwings Server): the engine that queues actions for an
    Office.js client instead of driving Excel directly."""
    try:
        return book.app.engine.name == "remote"
    except Exception:  # a test double or an engine without a name: desktop rules
        return False


# ---------------------------------------------------------------------------------------------
# Gather: the open workbook as a WorkbookGrid, in bulk reads
# ---------------------------------------------------------------------------------------------

Block = tuple[int, int, int, int]  # first row, first column, last row, last column; 1-based


def gather(book: Any) -> WorkbookGrid:
    """Every worksheet but ours, read in bulk (desktop Excel: formats answered at once)."""
    sheets, tables, names = [], [], []
    for sheet, rows, n_rows, n_cols in _sheets(book, tables, names):
        formats: dict[tuple[int, int], str] = {}
        search = _format_search(rows, n_rows, n_cols, formats)
        try:
            blocks = next(search)
            while True:
                blocks = search.send([sheet.range(b[:2], b[2:]).number_format for b in blocks])
        except StopIteration:
            pass
        sheets.append(SheetGrid(name=sheet.name, rows=rows, number_formats=formats))
    return _grid(book, sheets, names, tables)


async def gather_async(book: Any) -> WorkbookGrid:
    """The same as :func:`gather` where formats are read on demand (xlwings Lite): each round
    of the search asks for all its blocks, of every sheet, at once, so a press waits for a
    dozen round trips to Excel rather than one per block."""
    import asyncio

    tables, names = [], []
    found = list(_sheets(book, tables, names))

    async def formats_of(sheet: Any, rows: tuple, n_rows: int, n_cols: int) -> SheetGrid:
        formats: dict[tuple[int, int], str] = {}
        search = _format_search(rows, n_rows, n_cols, formats)
        try:
            blocks = next(search)
            while True:
                answers = await asyncio.gather(
                    *(sheet.range(b[:2], b[2:]).get_number_format() for b in blocks))
                blocks = search.send(list(answers))
        except StopIteration:
            pass
        return SheetGrid(name=sheet.name, rows=rows, number_formats=formats)

    sheets = await asyncio.gather(*(formats_of(*f) for f in found))
    return _grid(book, list(sheets), names, tables)


def _grid(book: Any, sheets: list, names: list, tables: list) -> WorkbookGrid:
    return WorkbookGrid(sheets=tuple(sheets), sheet_names=tuple(names), tables=tuple(tables),
                        source=str(book.name))


def _sheets(book: Any, tables: list, names: list):
    """Each worksheet that may hold inputs, with its values from A1 (one read per sheet)."""
    ours = our_sheets()
    for sheet in book.sheets:
        names.append(sheet.name)
        if sheet.name.lower() in ours:
            continue
        tables += _tables(sheet)
        last = sheet.used_range.last_cell
        n_rows, n_cols = last.row, last.column  # from A1, so grid coordinates are the sheet's
        raw = sheet.range((1, 1), (n_rows, n_cols)).options(ndim=2, err_to_str=True).value or []
        rows = tuple(tuple(_cell(v) for v in row) for row in raw)
        yield sheet, rows, n_rows, n_cols


def _tables(sheet: Any) -> list[TableRef]:
    out = []
    try:
        for table in sheet.tables:
            rng = table.range
            last = rng.last_cell
            out.append(TableRef(table.name, sheet.name, rng.row - 1, rng.column - 1,
                                last.row - 1, last.column - 1))
    except Exception:  # tables are optional help; an Excel that cannot list them still plans
        log.debug("could not list tables of %s", sheet.name, exc_info=True)
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        if value in ERROR_CODES:
            return ExcelError(value)
        return value if value != "" else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)  # Excel holds doubles; whole numbers read as ints like calamine's
    return value


def _format_search(rows: tuple, n_rows: int, n_cols: int, out: dict[tuple[int, int], str],
                   ) -> Generator[list[Block], list[str | None], None]:
    """Find the number format of every number cell by asking for whole blocks: yields a round
    of blocks, is sent their formats (None where a block's cells differ), and splits only the
    mixed ones — columns first (a column usually shares one format), then rows. Only numbers
    are asked about, from the first row holding one to the last: a format matters to the
    reader only there (SPEC 3: a percent-formatted number holds a fraction), so a sheet costs
    a few reads however many cells it has."""
    def number(r: int, c: int) -> bool:
        v = _at(rows, r, c)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    spans = {c: [r for r in range(1, n_rows + 1) if number(r, c)] for c in range(1, n_cols + 1)}
    pending: list[Block] = []
    for c1, c2 in _runs_of([c for c, hits in spans.items() if hits]):
        pending.append((min(spans[c][0] for c in range(c1, c2 + 1)), c1,
                        max(spans[c][-1] for c in range(c1, c2 + 1)), c2))
    while pending:
        answers = yield pending
        split: list[Block] = []
        for (r1, a, r2, b), fmt in zip(pending, answers):
            if fmt is not None:  # one format for the whole block
                if fmt and fmt != "General":
                    for r in range(r1, r2 + 1):
                        for c in range(a, b + 1):
                            out[(r - 1, c - 1)] = fmt
            elif b > a:
                mid = (a + b) // 2
                split += [_trim(spans, r1, a, r2, mid), _trim(spans, r1, mid + 1, r2, b)]
            elif r2 > r1:
                mid = (r1 + r2) // 2
                split += [_trim(spans, r1, a, mid, b), _trim(spans, mid + 1, a, r2, b)]
        pending = [blk for blk in split if blk is not None]


def _trim(spans: dict[int, list[int]], r1: int, c1: int, r2: int, c2: int) -> Block | None:
    """The block narrowed to the rows and columns of it that hold numbers (None if none)."""
    cols = [c for c in range(c1, c2 + 1) if any(r1 <= r <= r2 for r in spans[c])]
    if not cols:
        return None
    hits = [r for c in cols for r in spans[c] if r1 <= r <= r2]
    return (min(hits), cols[0], max(hits), cols[-1])


def _at(rows: tuple, r: int, c: int) -> Any:
    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
        return rows[r - 1][c - 1]
    return None


def _runs_of(columns: list[int]) -> Iterable[tuple[int, int]]:
    """Consecutive column numbers as (first, last) runs."""
    start = prev = None
    for c in columns:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            yield start, prev
            start = prev = c
    if start is not None:
        yield start, prev


# ---------------------------------------------------------------------------------------------
# Apply: plan sheets through the Book API
# ---------------------------------------------------------------------------------------------


def excel_value(value: Any) -> Any:
    """A value as Excel should store it. Text gets Excel's apostrophe prefix, so that a name
    like ``=HYPERLINK(…)``, ``+1`` or ``1-2`` from the user's workbook stays text — never a
    formula, number or date (the apostrophe is not part of the cell's value; Office.js reads
    it as the desktop does)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value:
        return "'" + value
    return value


def excel_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    return [[excel_value(v) for v in row] for row in rows]


def apply_plan(book: Any, specs: Sequence[Any]) -> None:
    """Replace (or add) every plan sheet, drop a stale error sheet, show Plan Summary. A press
    that fails half way takes the half-written plan away: half old, half new sheets are a plan
    no one should act on."""
    try:
        for spec in specs:
            write_sheet(book, spec)
    except Exception:
        remove_stale_plan(book)
        raise
    delete_sheet(book, ERRORS_SHEET)
    book.sheets[specs[0].name].activate()


def delete_sheet(book: Any, name: str) -> int | None:
    """Delete the sheet ``name`` if present; its index, so a new one can take its place."""
    for index, sheet in enumerate(book.sheets):
        if sheet.name.lower() == name.lower():
            sheet.delete()
            return index
    return None


def add_sheet(book: Any, name: str, index: int | None) -> Any:
    """A new sheet at ``index`` (or last). Placed *after* its left neighbour: xlwings' remote
    engine puts ``before=`` one place too far left (0.37), ``after=`` is right everywhere."""
    sheets = list(book.sheets)
    if index is None or index >= len(sheets):
        return book.sheets.add(name, after=sheets[-1])
    if index == 0:
        return book.sheets.add(name, before=sheets[0])
    return book.sheets.add(name, after=sheets[index - 1])


def write_sheet(book: Any, spec: Any) -> Any:
    """Replace (or add) one plan sheet from its :class:`SheetSpec`: values in one write per
    block (blocks may sit side by side, from their ``left`` column), number formats per column
    run, bold titles and headers, widths, Tables, the chart, the heading lines; then its looks
    (wrapped text, frozen rows, print setup) through :mod:`.layout`."""
    from ..workbook.plan_sheets import TABLE_STYLE

    remote = is_remote(book)
    index = delete_sheet(book, spec.name)
    sheet = add_sheet(book, spec.name, index)
    for block in spec.blocks:
        n_cols = len(block.columns)
        header = block.header_row + 1  # 1-based
        x = getattr(block, "left", 0) + 1  # 1-based first column
        if block.title:
            title = sheet.range((block.top + 1, x))
            title.value = excel_value(block.title)
            title.font.bold = True
        rows = excel_rows(block.rows) or [[None] * n_cols]
        sheet.range((header, x)).value = excel_rows([[c.name for c in block.columns]]) + rows
        sheet.range((header, x), (header, x + n_cols - 1)).font.bold = True
        first, last = header + 1, block.bottom + 1
        for col in range(n_cols):
            for start, end, kind in _runs(block, col):
                fmt = spec.number_formats.get(kind)
                if fmt:
                    sheet.range((first + start, x + col),
                                (first + end, x + col)).number_format = fmt
        try:
            sheet.tables.add(source=sheet.range((header, x), (last, x + n_cols - 1)),
                             name=block.table, table_style_name=TABLE_STYLE, has_headers=True)
        except Exception:  # e.g. an Excel without ListObject support: the data stays
            log.warning("could not make %s a Table", block.table, exc_info=True)
    for col, width in enumerate(spec.widths, start=1):
        sheet.range((1, col)).column_width = _points(width) if remote else width
    if spec.chart is not None:
        _chart(sheet, spec.chart)
    for row, line in enumerate(spec.heading, start=1):
        if line:
            cell = sheet.range((row, 1))
            cell.value = excel_value(line)  # text, never a formula
            cell.font.bold = row == 1
    apply_layout(sheet, spec)  # wrapped text, frozen rows, print setup: each guarded
    return sheet


def _points(characters: float) -> float:
    """A width in Excel characters (desktop) as points (Office.js): 7 px per character of the
    default font plus 5 px of padding, 0.75 pt per px."""
    return round((characters * 7 + 5) * 0.75, 2)


def _runs(block: Any, col: int) -> Iterable[tuple[int, int, str]]:
    """Consecutive rows of one column sharing a kind, as (first, last, kind), 0-based."""
    n_rows = len(block.rows)
    if block.kinds is None or n_rows == 0:
        yield 0, max(n_rows, 1) - 1, block.columns[col].kind
        return
    start = 0
    for row in range(1, n_rows + 1):
        if row == n_rows or block.kind(row, col) != block.kind(start, col):
            yield start, row - 1, block.kind(start, col)
            start = row


def _chart(sheet: Any, chart_spec: Any) -> None:
    """A clustered bar chart of the spec's categories and series, when they form one block."""
    from ..workbook.grid import parse_coordinate

    try:
        refs = [chart_spec.categories] + [values for _, values in chart_spec.series]
        cells = []
        for ref in refs:
            for part in ref.split("!")[-1].split(":"):  # parse_coordinate reads $A$1 too
                cells.append(parse_coordinate(part))
        r1 = min(r for r, _ in cells)
        c1 = min(c for _, c in cells)
        r2 = max(r for r, _ in cells)
        c2 = max(c for _, c in cells)
        row, col = chart_spec.anchor
        width, height = chart_spec.size
        chart = sheet.charts.add(left=col * 64, top=row * 20, width=width * 0.75,
                                 height=height * 0.75)
        chart.chart_type = "bar_clustered"
        # include the header row above the data so series take their names from it
        chart.set_source_data(sheet.range((max(r1, 1), c1 + 1), (r2 + 1, c2 + 1)))
        chart.title = chart_spec.title
    except Exception:  # a chart is a courtesy; the figures are in the cells
        log.warning("could not add the chart %r", getattr(chart_spec, "title", ""), exc_info=True)


# ---------------------------------------------------------------------------------------------
# Problems: a sheet and a message box with cells
# ---------------------------------------------------------------------------------------------


def remove_stale_plan(book: Any) -> list[str]:
    """Take away the plan sheets of an earlier press: after a press that found errors (or
    failed) they describe inputs that are no longer the book's, and a plan that looks current
    would be acted on. Nothing is lost: the next good press writes them again."""
    from ..workbook.plan_sheets import PLAN_SHEET_NAMES

    return [name for name in PLAN_SHEET_NAMES if delete_sheet(book, name) is not None]


def removed_note(removed: Sequence[str]) -> str:
    return (f"The plan sheets of the previous press ({', '.join(removed)}) were removed: they "
            "no longer match the inputs. The next press without errors writes them again; a PDF "
            "an earlier press wrote beside the workbook is that old plan.") if removed else ""


def show_errors(book: Any, problems: Sequence[Issue]) -> None:
    """List every problem on a ``Plan Errors`` sheet and the first ones in a message box, after
    taking away an earlier press's plan sheets (:func:`remove_stale_plan`), and say so."""
    note = removed_note(remove_stale_plan(book))
    index = delete_sheet(book, ERRORS_SHEET)
    sheet = add_sheet(book, ERRORS_SHEET, index)
    rows = [["#", "Cell", "Problem"]]
    rows += [[i, p.location or "(workbook)", p.message] for i, p in enumerate(problems, 1)]
    if note:
        rows += [[None, None, None], [None, None, note]]
    sheet.range((1, 1)).value = excel_rows(rows)
    sheet.range((1, 1), (1, 3)).font.bold = True
    remote = is_remote(book)
    for col, width in ((1, 5), (2, 22), (3, 100)):
        sheet.range((1, col)).column_width = _points(width) if remote else width
    freeze(sheet, 1)
    sheet.activate()
    lines = [f"• {p}" for p in problems[:ALERT_LINES]]
    if len(problems) > ALERT_LINES:
        lines.append(f"… and {len(problems) - ALERT_LINES} more on the '{ERRORS_SHEET}' sheet.")
    book.app.alert(
        f"No plan was built: {len(problems)} problem(s) in the inputs. Fix them and press "
        f"the button again.\n\n" + "\n".join(lines) + (f"\n\n{note}" if note else ""),
        title=TITLE, mode="critical")


__all__ = ["ALERT_LINES", "ERRORS_SHEET", "TITLE", "add_sheet", "apply_plan", "delete_sheet",
           "excel_rows", "excel_value", "gather", "gather_async", "is_remote", "our_sheets",
           "remove_stale_plan", "show_errors", "write_sheet"]
