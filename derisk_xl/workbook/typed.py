"""Typed cells: turning one cell into a number, percent, date, choice or name, or an issue.

:class:`CellReader` collects every problem as an :class:`Issue` naming its cell, so a user sees
all of them at once. The conventions are SPEC 3's (percent fields, dates as text, formulas with
no cached value).
"""


from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from ..core.issues import Issue
from ..core.money import HUNDRED, ZERO
from .grid import CellValue, ExcelError, SheetGrid, WorkbookGrid, coordinate, sheet_ref
from .scan import is_date_format, is_percent_format
from .numeric_text import AMBIGUOUS, text_number
from .vocabulary import Column, norm

BAD = object()  # a cell that was reported; the row is checked further but not used
#: Domain ranges on read (SPEC 3; README, "Workbook format"): every amount of money, price and
#: quantity is finite, and 0 or from 1e-18 to 1e15 in size; a positive one (a price, a lot
#: step, a contract size) is at least 1e-12; a percentage without a natural bound lies within
#: ±1000 %. Inside these, every arithmetic path of the calculator is total
#: (tests/test_reader_ranges.py).
MAX_AMOUNT = Decimal("1e15")
MIN_POSITIVE = Decimal("1e-12")
MIN_NONZERO = Decimal("1e-18")  # any other non-zero amount (a quantity of wei is 1e-18 ETH)
MAX_PERCENT = Decimal(1000)
PCT_TEXT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*%\s*$")
NUM_TEXT = re.compile(r"^\s*[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


def describe(v: CellValue) -> str:
    if v is None:
        return "empty"
    if isinstance(v, ExcelError):
        return f"the Excel error {v.code}"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        shown = v if len(v) <= 40 else v[:37] + "…"
        return f"the text {shown!r}"
    if isinstance(v, (dt.date, dt.datetime)):
        return f"a date ({v.isoformat()[:10]})"
    if isinstance(v, (dt.time, dt.timedelta)):
        return f"a time ({v})"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def fmt_pct(x: Decimal) -> str:
    text = format((x * HUNDRED).normalize(), "f")
    return f"{text} %"


def to_decimal(v: float | int) -> Decimal:
    """A cell's number as an exact Decimal: whole floats as integers, others via repr."""
    if type(v) is int:
        return Decimal(v)
    if v.is_integer():
        return Decimal(int(v))
    return Decimal(repr(v))


@dataclass
class Region:
    """Where an input table sits: its sheet, header row, columns, and the rows below."""

    title: str
    sheet: SheetGrid
    header_row: int
    first_col: int
    last_col: int
    last_row: int
    columns: dict[str, int]

    def first_cell(self, row: int) -> str:
        return sheet_ref(self.sheet.name, coordinate(row, self.first_col))


class CellReader:
    """Collects issues while turning cells into typed values."""

    def __init__(self, grid: WorkbookGrid):
        self.grid = grid
        self.issues: list[Issue] = []
        self.text_numbers: list[str] = []  # cells whose numeric text was read as a number
        self.holdings_choice: tuple[str, str] | None = None  # Settings Holdings Sheet, its cell
        self.settings_given: frozenset[str] = frozenset()  # Settings fields the user set
        self.hand = None  # Settings ``… Column`` keys: a HandMapping (SPEC 3.9 item 12)
        self.users_own: set[str] = set()  # our sheet names on sheets that are the user's own

    # -- issues -----------------------------------------------------------------------------
    def mark(self) -> tuple[int, int]:
        """Where the issues stand, to take back what reading a table set aside said."""
        return len(self.issues), len(self.text_numbers)

    def rollback(self, mark: tuple[int, int]) -> list[Issue]:
        """Take back the issues since ``mark``; they are returned."""
        taken = self.issues[mark[0]:]
        del self.issues[mark[0]:]
        del self.text_numbers[mark[1]:]
        return taken

    def error(self, location: str, message: str) -> object:
        self.issues.append(Issue(location, message))
        return BAD

    def warn(self, location: str, message: str, kind: str = "") -> None:
        self.issues.append(Issue(location, message, "warning", kind))

    def bad_cell(self, sheet: SheetGrid, row: int, col: int, label: str, v: CellValue,
                 expected: str) -> object:
        loc = sheet_ref(sheet.name, coordinate(row, col))
        if v is None and loc in self.grid.uncached_formulas:
            return self.error(loc, f"{label} holds a formula with no cached value (the file was "
                                   "written by a program and never calculated in Excel); open "
                                   f"and save it in Excel, or type the value ({expected}).")
        return self.error(loc, f"{label} is {describe(v)}; expected {expected}.")

    # -- finding tables ---------------------------------------------------------------------
    def region(self, title: str, columns: tuple[Column, ...], *, required: bool,
               open_columns: bool = False) -> Region | None:
        """Locate an input sheet (or Excel Table of that name) and map its header."""
        key = norm(title)
        sheet = next((s for s in self.grid.sheets if norm(s.name) == key), None)
        bounds = None
        if sheet is None:
            table = next((t for t in self.grid.tables if norm(t.name) == key), None)
            if table is not None:
                sheet = self.grid.sheet(table.sheet)
                bounds = table
        if sheet is None:
            if required:
                found = ", ".join(self.grid.sheet_names) or "none"
                where = f"{self.grid.source} has" if self.grid.source else "The workbook has"
                self.error("", f"{where} no {title} sheet (nor an Excel Table named {title}); "
                               f"it is required. Sheets found: {found}.")
            return None
        lookup = {}
        for c in columns:
            for n in (c.title, *c.synonyms):
                lookup.setdefault(norm(n), c.field)
        if bounds is not None:
            header, first_col, last_col, last_row = (bounds.first_row, bounds.first_col,
                                                     bounds.last_col, bounds.last_row)
        else:
            header = self._header_row(sheet, lookup, columns)
            first_col, last_col, last_row = 0, max(sheet.width - 1, 0), len(sheet.rows) - 1
            if header is None:
                if not sheet.rows or all(all(v is None for v in r) for r in sheet.rows):
                    if any(c.required for c in columns) and required:
                        self.error(sheet.name, f"the {title} sheet is empty; expected a header "
                                               f"row with {self._required_names(columns)}.")
                    return Region(title, sheet, -1, 0, -1, -1, {})
                self.error(sheet.name, f"no header row found on {title}; expected a row with "
                                       f"{self._required_names(columns)}.")
                return None
            while first_col < last_col and sheet.value(header, first_col) is None:
                first_col += 1
        if not required and not self._ours(sheet, header, first_col, last_col, lookup,
                                           columns, title):
            return None
        self._check_merged_header(sheet, header, first_col, last_col, title)
        mapped: dict[str, int] = {}
        for col in range(first_col, last_col + 1):
            v = sheet.value(header, col)
            if not isinstance(v, str) or not v.strip():
                continue
            field = lookup.get(norm(v))
            if field is None:
                continue
            if field in mapped:
                first = sheet_ref(sheet.name, coordinate(header, mapped[field]))
                self.error(sheet_ref(sheet.name, coordinate(header, col)),
                           f"a second column for {v.strip()!r} (the first is at {first}); "
                           "keep one.")
                continue
            mapped[field] = col
        missing = [c for c in columns if c.required and c.field not in mapped]
        for c in missing:
            span = f"{coordinate(header, first_col)}:{coordinate(header, last_col)}"
            self.error(sheet_ref(sheet.name, span),
                       f"the {title} header has no {c.names} column; it is required.")
        if missing and not open_columns:
            return None
        return Region(title, sheet, header, first_col, last_col, last_row, mapped)

    def _ours(self, sheet: SheetGrid, header: int, c0: int, c1: int, lookup: dict[str, str],
              columns: tuple[Column, ...], title: str) -> bool:
        """A sheet with our name whose header has fewer than half of our required columns is
        the user's own (a Prices sheet with no Date column): left alone, said once (SPEC 3.9
        item 11)."""
        required = [c for c in columns if c.required]
        have = {lookup.get(norm(v)) for v in (sheet.value(header, c) for c in range(c0, c1 + 1))
                if isinstance(v, str)}
        present = [c for c in required if c.field in have]
        if 2 * len(present) >= len(required):
            return True
        self.users_own.add(title)
        shown = (f"only {', '.join(c.title for c in present)} of" if present else "none of")
        self.warn(sheet.name, f"{sheet.name} is not derisk's {title} sheet (its header has "
                              f"{shown} {self._required_names(columns)}), so it is left "
                              f"alone; derisk reads {title} from a sheet of that name with "
                              "those columns.")
        return False

    @staticmethod
    def _required_names(columns: tuple[Column, ...]) -> str:
        return ", ".join(c.title for c in columns if c.required)

    @staticmethod
    def _header_row(sheet: SheetGrid, lookup: dict[str, str],
                    columns: tuple[Column, ...]) -> int | None:
        required = {c.field for c in columns if c.required}
        first_nonempty = None
        seen = 0
        for r, row in enumerate(sheet.rows):
            if all(v is None for v in row):
                continue
            if first_nonempty is None:
                first_nonempty = r
            fields = {lookup.get(norm(v)) for v in row if isinstance(v, str)}
            if fields & required:
                return r
            seen += 1
            if seen >= 20:
                break
        return first_nonempty

    def _check_merged_header(self, sheet: SheetGrid, header: int, c0: int, c1: int,
                             title: str) -> None:
        for r0, a, r1, b in sheet.merged:
            if r0 <= header <= r1 and a <= c1 and b >= c0:
                ref = f"{coordinate(r0, a)}:{coordinate(r1, b)}"
                self.error(sheet_ref(sheet.name, ref),
                           f"merged header cells on {title}; unmerge them so that each column "
                           "has its own header.")

    def rows(self, region: Region) -> Iterable[tuple[int, tuple[CellValue, ...]]]:
        """Data rows below the header that have a value in a known column; hidden rows too."""
        cols = list(region.columns.values())
        sheet = region.sheet
        hidden = []
        merged_data = [m for m in sheet.merged if m[0] > region.header_row]
        for m in merged_data:
            if m[1] <= region.last_col and m[3] >= region.first_col:
                self.warn(sheet_ref(sheet.name, f"{coordinate(m[0], m[1])}:"
                                                f"{coordinate(m[2], m[3])}"),
                          "merged cells among the data: only the first cell holds a value; "
                          "the others are read as empty.")
        for r in range(region.header_row + 1, region.last_row + 1):
            row = sheet.rows[r] if r < len(sheet.rows) else ()
            n = len(row)
            empty = True
            for c in cols:
                if c < n:
                    v = row[c]
                    if v is not None and not (type(v) is str and not v.strip()):
                        empty = False
                        break
            if empty:
                continue
            if r in sheet.hidden_rows:
                hidden.append(r + 1)
            yield r, row
        if hidden:
            shown = ", ".join(map(str, hidden[:10])) + (" …" if len(hidden) > 10 else "")
            self.warn(sheet.name, f"{len(hidden)} hidden row(s) on {region.title} ({shown}); "
                                  "they are read like every other row.")

    # -- typed cells ------------------------------------------------------------------------
    def number(self, region: Region, r: int, row: tuple, field: str, label: str, *,
               required: bool = False, minimum: Decimal | None = None,
               positive: bool = False) -> Decimal | None | object:
        c = region.columns.get(field)
        if c is None:
            return None
        v = row[c] if c < len(row) else None
        t = type(v)
        if t is str and v.strip():
            x = text_number(v)
            loc = sheet_ref(region.sheet.name, coordinate(r, c))
            if x is AMBIGUOUS:
                return self.error(loc, f"{label} is {describe(v)}: is the comma a decimal comma "
                                       "or a thousands separator? Type the number without it "
                                       "(e.g. 1.5 or 1500).")
            if x is None:
                return self.bad_cell(region.sheet, r, c, label, v, expect(positive, minimum))
            self.text_numbers.append(loc)
            t, v = int, x
        if t is float or t is int:
            if t is float and not math.isfinite(v):
                return self.bad_cell(region.sheet, r, c, label, v, "a finite number")
            fmt = region.sheet.number_formats.get((r, c))
            if fmt is not None and is_date_format(fmt):
                return self.error(sheet_ref(region.sheet.name, coordinate(r, c)),
                                  f"{label} is {describe(v)} in a cell formatted as a date "
                                  "(a date past the year 9999); expected "
                                  f"{expect(positive, minimum)}: format the cell as a number.")
            x = to_decimal(v) if type(v) is not Decimal else v
            if x.copy_abs() > MAX_AMOUNT:
                return self.error(sheet_ref(region.sheet.name, coordinate(r, c)),
                                  f"{label} is {describe(v)}, beyond the largest amount a plan "
                                  f"takes (1e15 in size); expected {expect(positive, minimum)}.")
            if positive and x < MIN_POSITIVE:
                return self.bad_cell(region.sheet, r, c, label, v,
                                     "a number greater than 0" if x <= 0
                                     else "a number of at least 1e-12")
            if x and x.copy_abs() < MIN_NONZERO:
                return self.error(sheet_ref(region.sheet.name, coordinate(r, c)),
                                  f"{label} is {describe(v)}, smaller in size than 1e-18 (the "
                                  "smallest amount a plan takes, a wei); expected 0 or "
                                  f"{expect(positive, minimum)}.")
            if minimum is not None and x < minimum:
                return self.bad_cell(region.sheet, r, c, label, v,
                                     f"a number of at least {minimum}")
            return x
        if v is None or (t is str and not v.strip()):
            if required or (v is None and self.grid.uncached_formulas):
                loc = sheet_ref(region.sheet.name, coordinate(r, c))
                if required or loc in self.grid.uncached_formulas:
                    return self.bad_cell(region.sheet, r, c, label, None, expect(positive,
                                                                                  minimum))
            return None
        return self.bad_cell(region.sheet, r, c, label, v, expect(positive, minimum))

    def percent(self, region: Region, r: int, row: tuple, field: str, label: str, *,
                low: Decimal | None = ZERO, high: Decimal | None = HUNDRED,
                lenient: bool = False) -> Decimal | None | object:
        """A percent field as a fraction (SPEC 3's three conventions)."""
        c = region.columns.get(field)
        if c is None:
            return None
        v = row[c] if c < len(row) else None
        fmt = region.sheet.number_formats.get((r, c))
        return self.percent_value(region.sheet, r, c, v, fmt, label, low=low, high=high,
                                  lenient=lenient)

    def percent_value(self, sheet: SheetGrid, r: int, c: int, v: CellValue, fmt: str | None,
                      label: str, *, low: Decimal | None = ZERO,
                      high: Decimal | None = HUNDRED, lenient: bool = False):
        expected = pct_expect(low, high)
        t = type(v)
        if t is float and not math.isfinite(v):
            return self.bad_cell(sheet, r, c, label, v, expected)
        if t is float or t is int:
            x = to_decimal(v)
            frac = x if fmt is not None and is_percent_format(fmt) else x / HUNDRED
        elif t is str and PCT_TEXT.match(v):
            x = Decimal(PCT_TEXT.match(v).group(1))
            if x.copy_abs() > MAX_PERCENT:  # before any arithmetic: 1e999999999 would overflow
                return self.error(sheet_ref(sheet.name, coordinate(r, c)),
                                  f"{label} is {describe(v)}, beyond ±1000 %; expected "
                                  f"{expected}.")
            frac = x / HUNDRED
        elif t is str and lenient and NUM_TEXT.match(v):
            if ambiguous_comma(v):
                return self.error(sheet_ref(sheet.name, coordinate(r, c)), comma_message(label, v))
            x = Decimal(v.strip().replace(",", ""))
            if x.copy_abs() > MAX_PERCENT:
                return self.error(sheet_ref(sheet.name, coordinate(r, c)),
                                  f"{label} is {describe(v)}, beyond ±1000 %; expected "
                                  f"{expected}.")
            frac = x / HUNDRED
        elif v is None or (t is str and not v.strip()):
            loc = sheet_ref(sheet.name, coordinate(r, c))
            if loc in self.grid.uncached_formulas:
                return self.bad_cell(sheet, r, c, label, None, expected)
            return None
        else:
            return self.bad_cell(sheet, r, c, label, v, expected)
        if not frac.is_finite() or abs(frac * HUNDRED) > MAX_PERCENT:
            return self.error(sheet_ref(sheet.name, coordinate(r, c)),
                              f"{label} is {describe(v)}, beyond ±1000 %; expected {expected}.")
        if (low is not None and frac * HUNDRED < low) or (high is not None and frac * HUNDRED > high):
            return self.error(sheet_ref(sheet.name, coordinate(r, c)),
                              f"{label} is {fmt_pct(frac)}; expected {expected}.")
        return frac

    def text(self, region: Region, r: int, row: tuple, field: str, label: str, *,
             required: bool = False) -> str | None | object:
        c = region.columns.get(field)
        if c is None:
            return None
        v = row[c] if c < len(row) else None
        if type(v) is str:
            s = v.strip()
            if s:
                return s
            v = None
        elif type(v) is float or type(v) is int:
            return describe(v)
        if v is None:
            loc = sheet_ref(region.sheet.name, coordinate(r, c))
            if required or loc in self.grid.uncached_formulas:
                return self.bad_cell(region.sheet, r, c, label, None, "a name")
            return None
        return self.bad_cell(region.sheet, r, c, label, v, "text")

    def date(self, sheet: SheetGrid, r: int, c: int, v: CellValue, label: str, *,
             required: bool = False) -> dt.date | None | object:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if type(v) is str and v.strip():
            m = _ISO_DATE.match(v)
            if m:
                try:
                    return dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    pass
            return self.error(sheet_ref(sheet.name, coordinate(r, c)),
                              f"{label} is {describe(v)}, a date stored as text that is not an "
                              "unambiguous YYYY-MM-DD date; type it as a real Excel date or as "
                              "YYYY-MM-DD (e.g. 2024-03-15).")
        if v is None or type(v) is str:
            loc = sheet_ref(sheet.name, coordinate(r, c))
            if required or loc in self.grid.uncached_formulas:
                return self.bad_cell(sheet, r, c, label, None, "a date")
            return None
        if type(v) in (float, int):
            return self.bad_cell(sheet, r, c, label, v,
                                 "a date (the cell holds a plain number: format it as a date)")
        return self.bad_cell(sheet, r, c, label, v, "a date")

    def cell_date(self, region: Region, r: int, row: tuple, field: str, label: str, *,
                  required: bool = False):
        c = region.columns.get(field)
        if c is None:
            return None
        v = row[c] if c < len(row) else None
        return self.date(region.sheet, r, c, v, label, required=required)

    def choice(self, region: Region, r: int, row: tuple, field: str, label: str,
               options: dict[str, str], expected: str | None = None) -> str | None | object:
        c = region.columns.get(field)
        if c is None:
            return None
        v = row[c] if c < len(row) else None
        return self.choice_value(region.sheet, r, c, v, label, options, expected)

    def choice_value(self, sheet: SheetGrid, r: int, c: int, v: CellValue, label: str,
                     options: dict[str, str], expected: str | None = None):
        if v is None or (type(v) is str and not v.strip()):
            if sheet_ref(sheet.name, coordinate(r, c)) in self.grid.uncached_formulas:
                return self.bad_cell(sheet, r, c, label, None, "a value")
            return None
        if type(v) is bool:
            key = "true" if v else "false"
        elif type(v) in (float, int) and float(v).is_integer():
            key = str(int(v))
        else:
            key = str(v).strip().lower()
        if key in options:
            return options[key]
        shown = sorted(set(options.values()), key=list(options.values()).index)
        return self.bad_cell(sheet, r, c, label, v, expected or "one of " + ", ".join(shown))


_THOUSANDS = re.compile(r"^\s*[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?\s*$")


def ambiguous_comma(text: str) -> bool:
    """``1,5`` may be a decimal comma (1.5) or a slip for 15: only thousands groups
    (``1,234,567.5``) are read as the number they are."""
    return "," in text and not _THOUSANDS.match(text)


def comma_message(label: str, text: str) -> str:
    return (f"{label} is the text {text.strip()!r}, which is ambiguous: a decimal comma "
            f"({text.strip().replace(',', '.')}) or a thousands separator? Type the number "
            "with a decimal point and no separators (e.g. 1.5).")


def expect(positive: bool, minimum: Decimal | None) -> str:
    if positive:
        return "a number greater than 0"
    if minimum is not None:
        return f"a number of at least {minimum}"
    return "a number"


def pct_expect(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"a percentage from {low} to {high} (e.g. 25 or 25%)"
    if low is not None:
        return f"a percentage of at least {low}"
    return "a percentage (e.g. 0.01 or 0.01%)"


CATEGORIES = {"core": "core", "alt": "alt", "stable": "stable"}
PROTECT = {**{k: True for k in _YES}, **{k: False for k in _NO}}
SIDES = {"long": "long", "buy": "long", "short": "short", "sell": "short"}
CONTRACT_TYPES = {"linear": "linear", "inverse": "inverse"}
SIDE_EXPECT = "Long or Short (Buy or Sell)"
