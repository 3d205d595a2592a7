"""What the "Build de-risk plan" button runs, inside the user's Excel, through xlwings.

Three visible steps, as every entry point: gather (the open workbook's input sheets, read in
bulk into a :class:`WorkbookGrid`), compute (the reader's ``parse_inputs``, ``make_plan``, the
plan sheets as data and the PDF — all before anything is written), apply (write the plan sheets
through Excel, so Excel itself keeps every other part of the workbook; save the PDF beside the
workbook). The workbook is not saved: the user decides that, as after any edit.

Problems in the inputs become a ``Plan Errors`` sheet and a message box listing cells; anything
unexpected becomes one short sentence in a message box with the detail in a log file. No
traceback ever reaches the user, and nothing is opened that they did not ask for.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import traceback
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..core.issues import Issue
from ..workbook.grid import ERROR_CODES, ExcelError, SheetGrid, TableRef, WorkbookGrid

TITLE = "De-risk plan"
ERRORS_SHEET = "Plan Errors"
LOG_FILE = Path(tempfile.gettempdir()) / "derisk-xl-button.log"
_ALERT_LINES = 12  # a message box shows the first problems; the sheet lists them all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PressResult:
    """What a press did: ``planned`` with the PDF's path and any warnings, ``invalid`` with the
    problems in the inputs, or ``failed`` with the unexpected error's text."""

    status: str
    pdf: Path | None = None
    issues: tuple[Issue, ...] = ()
    message: str = ""


def build_plan(today: dt.date | None = None) -> PressResult | None:
    """The button's entry point: ``RunPython "import derisk_xl.excel; derisk_xl.excel.build_plan()"``.

    Catches everything: a user sees a message box, never a Python traceback.
    """
    book = None
    try:
        import xlwings as xw

        book = xw.Book.caller()
        return press(book, today=today or dt.date.today())
    except Exception as exc:  # the last line of defence: a sentence for the user, detail to a log
        detail = _log_failure(exc)
        if book is not None:
            try:
                book.app.alert(
                    f"The de-risk plan could not be built: {_short(exc)}\n\n"
                    f"Nothing in the input sheets was changed. Details: {detail}",
                    title=TITLE, mode="critical")
            except Exception:
                _log_failure(exc, note="could not show the message box either")
        return PressResult("failed", message=str(exc))


def press(book: Any, *, today: dt.date) -> PressResult:
    """Plan the open ``book``: gather, compute, apply."""
    from ..pipeline import compute
    from ..workbook.reader import parse_inputs

    # gather
    grid = read_grid(book)
    read = parse_inputs(grid, as_of=None, today=today)

    # compute: everything that can fail happens before the workbook is touched
    computed = compute(read)
    plan = computed.plan
    if plan is None:
        show_errors(book, computed.issues)
        return PressResult("invalid", issues=computed.issues)
    from .. import __version__
    from ..workbook.plan_sheets import plan_sheets

    specs = plan_sheets(plan, version=__version__)
    pdf_bytes = computed.pdf
    pdf_path, note = pdf_destination(book)

    # apply
    for spec in specs:
        write_sheet(book, spec)
    _delete_sheet(book, ERRORS_SHEET)
    from ..fsutil import atomic_write_bytes

    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(pdf_path, pdf_bytes)
    book.sheets[specs[0].name].activate()
    warnings = computed.issues
    message = f"De-risk plan built ({plan.status}). PDF: {pdf_path}{note}"
    if warnings:
        message += f" — {len(warnings)} warning(s) on Plan Summary."
    book.app.status_bar = message
    return PressResult("planned", pdf=pdf_path, issues=warnings, message=message)


# ---------------------------------------------------------------------------------------------
# Gather: the open workbook as a WorkbookGrid, in bulk reads
# ---------------------------------------------------------------------------------------------


def read_grid(book: Any) -> WorkbookGrid:
    """The input sheets (and sheets holding input-named Tables) of the open workbook.

    One bulk read of values per sheet; number formats by halving the used range until each
    piece has a single format, so a sheet costs a few reads however many cells it has.
    """
    from ..workbook.reader import INPUT_SHEETS, norm

    wanted = {norm(n) for n in INPUT_SHEETS}
    sheets, tables, names = [], [], []
    for sheet in book.sheets:
        names.append(sheet.name)
        sheet_tables = _tables(sheet)
        tables += sheet_tables
        if norm(sheet.name) in wanted or any(norm(t.name) in wanted for t in sheet_tables):
            sheets.append(_read_sheet(sheet))
    return WorkbookGrid(sheets=tuple(sheets), sheet_names=tuple(names), tables=tuple(tables),
                        source=str(book.name))


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


def _read_sheet(sheet: Any) -> SheetGrid:
    used = sheet.used_range
    last = used.last_cell
    n_rows, n_cols = last.row, last.column  # read from A1 so grid coordinates are the sheet's
    block = sheet.range((1, 1), (n_rows, n_cols))
    raw = block.options(ndim=2, err_to_str=True).value or []
    rows = tuple(tuple(_cell(v) for v in row) for row in raw)
    formats: dict[tuple[int, int], str] = {}
    if rows:
        _formats(sheet, 1, 1, n_rows, n_cols, formats)
    return SheetGrid(name=sheet.name, rows=rows, number_formats=formats)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        if value in ERROR_CODES:
            return ExcelError(value)
        return value if value != "" else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)  # Excel holds doubles; whole numbers read as ints like calamine's
    return value


def _formats(sheet: Any, r1: int, c1: int, r2: int, c2: int,
             out: dict[tuple[int, int], str]) -> None:
    fmt = sheet.range((r1, c1), (r2, c2)).number_format
    if fmt is not None:  # one format for the whole piece
        if fmt and fmt != "General":
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[(r - 1, c - 1)] = fmt
        return
    if c2 > c1:  # mixed: split columns first (a column usually shares a format below its header)
        mid = (c1 + c2) // 2
        _formats(sheet, r1, c1, r2, mid, out)
        _formats(sheet, r1, mid + 1, r2, c2, out)
    elif r2 > r1:
        mid = (r1 + r2) // 2 if r1 != 1 else 1  # the header row apart first
        _formats(sheet, r1, c1, mid, c2, out)
        _formats(sheet, mid + 1, c1, r2, c2, out)


# ---------------------------------------------------------------------------------------------
# Apply: plan sheets through Excel
# ---------------------------------------------------------------------------------------------


def _excel_value(value: Any) -> Any:
    """A value as Excel should store it. Text gets Excel's apostrophe prefix, so that a name
    like ``=HYPERLINK(…)``, ``+1`` or ``1-2`` from the user's workbook stays text — never a
    formula, number or date (the apostrophe is not part of the cell's value)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _excel_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    return [[_excel_value(v) for v in row] for row in rows]


def _delete_sheet(book: Any, name: str) -> int | None:
    """Delete the sheet ``name`` if present; its index, so a new one can take its place."""
    for index, sheet in enumerate(book.sheets):
        if sheet.name.lower() == name.lower():
            sheet.delete()
            return index
    return None


def _add_sheet(book: Any, name: str, index: int | None) -> Any:
    sheets = list(book.sheets)
    if index is not None and index < len(sheets):
        return book.sheets.add(name, before=sheets[index])
    return book.sheets.add(name, after=sheets[-1])


def write_sheet(book: Any, spec: Any) -> Any:
    """Replace (or add) one plan sheet from its :class:`SheetSpec`: values in one write per
    block, number formats per column run, bold titles and headers, widths, Tables, the chart."""
    from ..workbook.plan_sheets import NUMBER_FORMATS, TABLE_STYLE

    index = _delete_sheet(book, spec.name)
    sheet = _add_sheet(book, spec.name, index)
    for block in spec.blocks:
        n_cols = len(block.columns)
        header = block.header_row + 1  # 1-based
        x = block.left + 1  # 1-based first column: Plan Summary has blocks side by side
        if block.title:
            title = sheet.range((block.top + 1, x))
            title.value = _excel_value(block.title)
            title.font.bold = True
        rows = _excel_rows(block.rows) or [[None] * n_cols]
        sheet.range((header, x)).value = _excel_rows([[c.name for c in block.columns]]) + rows
        sheet.range((header, x), (header, x + n_cols - 1)).font.bold = True
        first, last = header + 1, block.bottom + 1
        for col in range(n_cols):
            for start, end, kind in _runs(block, col):
                fmt = NUMBER_FORMATS.get(kind)
                if fmt:
                    sheet.range((first + start, x + col),
                                (first + end, x + col)).number_format = fmt
        try:
            sheet.tables.add(source=sheet.range((header, x), (last, x + n_cols - 1)),
                             name=block.table, table_style_name=TABLE_STYLE)
        except Exception:  # e.g. an Excel without ListObject support: the data stays
            log.warning("could not make %s a Table", block.table, exc_info=True)
    for col, width in enumerate(spec.widths, start=1):
        sheet.range((1, col)).column_width = width
    if spec.chart is not None:
        _chart(sheet, spec.chart)
    from .layout import apply_layout

    apply_layout(sheet, spec)  # heading, wrapped text, frozen rows, print setup: each guarded
    return sheet


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
        # include the header row above the data so series take their names from it
        chart.set_source_data(sheet.range((max(r1, 1), c1 + 1), (r2 + 1, c2 + 1)))
        chart.chart_type = "bar_clustered"
        chart.title = chart_spec.title
    except Exception:  # a chart is a courtesy; the figures are in the cells
        log.warning("could not add the chart %r", getattr(chart_spec, "title", ""), exc_info=True)


# ---------------------------------------------------------------------------------------------
# Problems: a sheet and a message box with cells
# ---------------------------------------------------------------------------------------------


def show_errors(book: Any, problems: Sequence[Issue]) -> None:
    """List every problem on a ``Plan Errors`` sheet and the first ones in a message box."""
    index = _delete_sheet(book, ERRORS_SHEET)
    sheet = _add_sheet(book, ERRORS_SHEET, index)
    rows = [["#", "Cell", "Problem"]]
    rows += [[i, p.location or "(workbook)", p.message] for i, p in enumerate(problems, 1)]
    sheet.range((1, 1)).value = _excel_rows(rows)
    sheet.range((1, 1), (1, 3)).font.bold = True
    for col, width in ((1, 5), (2, 22), (3, 100)):
        sheet.range((1, col)).column_width = width
    sheet.activate()
    lines = [f"• {p}" for p in problems[:_ALERT_LINES]]
    if len(problems) > _ALERT_LINES:
        lines.append(f"… and {len(problems) - _ALERT_LINES} more on the '{ERRORS_SHEET}' sheet.")
    book.app.alert(
        f"No plan was built: {len(problems)} problem(s) in the inputs. Fix them and press "
        f"the button again.\n\n" + "\n".join(lines), title=TITLE, mode="critical")


# ---------------------------------------------------------------------------------------------
# Where the PDF goes; failures
# ---------------------------------------------------------------------------------------------


def pdf_destination(book: Any) -> tuple[Path, str]:
    """Beside the workbook, named as ``derisk run`` names it. A workbook never saved (its
    fullname has no folder) or one Excel knows only by a web address (OneDrive/SharePoint that
    xlwings cannot map to a local folder) gets a temp folder instead, and a note saying so."""
    from ..pipeline import RunOptions, output_paths

    temp = Path(tempfile.gettempdir()) / "derisk-xl"
    try:
        name = str(book.fullname)
    except Exception:  # xlwings raises when it cannot find a OneDrive/SharePoint file locally
        log.warning("book.fullname failed", exc_info=True)
        name = "://" + str(book.name)
    if "://" in name:
        stem = Path(name.rsplit("/", 1)[-1]).stem or "workbook"
        return (temp / f"{stem}-derisk-plan.pdf",
                " (Excel knows this workbook only by its OneDrive/SharePoint address, so the "
                "PDF went to a temporary folder)")
    path = Path(name)
    if not path.is_absolute():
        return (temp / f"{path.stem or 'workbook'}-derisk-plan.pdf",
                " (the workbook is not saved yet, so the PDF went to a temporary folder)")
    return output_paths(path, RunOptions())[1], ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "…"


def _log_failure(exc: BaseException, note: str = "") -> str:
    """Append the traceback to the log file; the file's path (or why it could not be written)."""
    try:
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} {note}\n")
            f.write("".join(traceback.format_exception(exc)))
        return str(LOG_FILE)
    except OSError as err:
        return f"the log {LOG_FILE} could not be written ({err})"
