"""A neutral picture of a workbook's contents, so parsing does not depend on who loaded it.

The command line builds a :class:`WorkbookGrid` from the file (python-calamine for values, a
streaming scan for the few facts calamine does not give); the Excel button builds one from the
open workbook through xlwings. :func:`derisk_xl.workbook.reader.parse_inputs` reads only this.

Conventions: rows and columns are 0-based (row 0, column 0 is ``A1``); an empty cell is ``None``;
an Excel error (``#N/A``, ``#REF!`` …) is an :class:`ExcelError`; dates are ``datetime.date`` or
``datetime.datetime``; numbers are ``int`` or ``float``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping, Union


#: The error values an Excel cell can hold; any other text is text, even if it starts with "#".
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                         "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                         "#UNKNOWN!", "#CONNECT!", "#BUSY!"})


@dataclass(frozen=True, slots=True)
class ExcelError:
    """An error value a cell holds, e.g. ``#N/A`` or ``#REF!`` (not text that looks like one)."""

    code: str

    def __str__(self) -> str:
        return self.code


CellValue = Union[None, bool, int, float, str, dt.date, dt.datetime, dt.time, dt.timedelta,
                  ExcelError]


def column_letter(col: int) -> str:
    """0-based column index → Excel letters (0 → ``A``, 26 → ``AA``)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def coordinate(row: int, col: int) -> str:
    """0-based (row, column) → ``C7``."""
    return f"{column_letter(col)}{row + 1}"


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_coordinate(ref: str) -> tuple[int, int]:
    """``C7`` → (6, 2), 0-based. Raises ValueError for anything else."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def sheet_ref(sheet: str, ref: str = "") -> str:
    """``Holdings!C7``; a sheet name with spaces or punctuation is quoted as Excel does."""
    name = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else \
        "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{ref}" if ref else sheet


@dataclass(frozen=True)
class SheetGrid:
    """One worksheet's contents.

    Attributes:
      name: the sheet's name as the workbook spells it.
      rows: cell values by row from ``A1``; rows may differ in length (missing cells are empty).
      number_formats: format codes by (row, column). A loader must list at least every cell whose
        format shows a percentage (SPEC 3: such a cell holds a fraction); cells not listed are
        treated as General.
      hidden_rows: 0-based indices of hidden rows (still read, SPEC 3.8).
      merged: merged ranges as (first_row, first_col, last_row, last_col), inclusive.
    """

    name: str
    rows: tuple[tuple[CellValue, ...], ...] = ()
    number_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    merged: tuple[tuple[int, int, int, int], ...] = ()

    def value(self, row: int, col: int) -> CellValue:
        if 0 <= row < len(self.rows):
            r = self.rows[row]
            if 0 <= col < len(r):
                return r[col]
        return None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass(frozen=True, slots=True)
class TableRef:
    """An Excel Table (ListObject): its name, sheet and range including the header row."""

    name: str
    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True)
class WorkbookGrid:
    """What a workbook holds, as far as reading inputs is concerned.

    Attributes:
      sheets: the worksheets loaded (a loader may skip sheets that cannot hold inputs, e.g.
        ``Plan …`` sheets; ``sheet_names`` still lists every sheet).
      sheet_names: every sheet of the workbook, in order (for messages).
      tables: Excel Tables, which may stand in for a sheet of the same name.
      uncached_formulas: cells (``Holdings!C7``) holding a formula with no cached value, i.e.
        written by a program and never calculated by Excel.
      source: the file's name, for messages about the workbook as a whole.
    """

    sheets: tuple[SheetGrid, ...]
    sheet_names: tuple[str, ...] = ()
    tables: tuple[TableRef, ...] = ()
    uncached_formulas: frozenset[str] = frozenset()
    source: str = ""

    def sheet(self, name: str) -> SheetGrid | None:
        return next((s for s in self.sheets if s.name == name), None)


__all__ = ["CellValue", "ExcelError", "SheetGrid", "TableRef", "WorkbookGrid",
           "column_letter", "coordinate", "parse_coordinate", "sheet_ref"]
