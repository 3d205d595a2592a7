"""A book's own total checks the plan (SPEC 3.9 item 13): a plan may be refused, never silently
wrong, so when the positions read do not add up to the total the book itself shows, beyond its
rounding, the run says so, both figures and both cells."""

from __future__ import annotations

import math
from decimal import Decimal

from ..core.model import Position
from ..core.money import ZERO
from .blocks import total_word
from .grid import coordinate, sheet_ref
from .headers import HoldingsTable
from .identity import number_of
from .typed import CellReader
from .vocabulary import read_header


def book_total(table: HoldingsTable) -> tuple[float, str] | None:
    """The book's own total of its value column, and its cell: its totals row (the last when
    it sums the subtotals above it, else the subtotals' sum), else a cell labelled as a total
    beside or under a label just above or below the table (a KPI block)."""
    c = table.header.columns.get("value")
    if c is None:
        return None
    sheet = table.sheet
    found = [(r, number_of(sheet.value(r, c))) for r in table.totals]
    found = [(r, x) for r, x in found if x is not None]
    if found:
        last_r, last = found[-1]
        rest = sum(x for _, x in found[:-1])
        if len(found) > 1 and not math.isclose(last, rest, rel_tol=1e-6, abs_tol=0.01):
            return rest + last, ", ".join(sheet_ref(sheet.name, coordinate(r, c))
                                          for r, _ in found)
        return last, sheet_ref(sheet.name, coordinate(last_r, c))
    h = table.header
    near = [*range(max(0, h.row - TOTAL_LOOK_ROWS), h.row),
            *range(table.last_row + 1, min(len(sheet.rows), table.last_row + 1 +
                                           TOTAL_LOOK_ROWS))]
    for r in near:
        row = sheet.rows[r]
        for k, v in enumerate(row):
            if type(v) is not str or len(v) > 40 or not _total_label(v):
                continue
            for rr, cc in ((r, k + 1), (r, k + 2), (r + 1, k)):
                x = number_of(sheet.value(rr, cc))
                if x is not None:
                    return x, sheet_ref(sheet.name, coordinate(rr, cc))
    return None


#: How far above and below a table a labelled total is looked for.
TOTAL_LOOK_ROWS = 6


def _total_label(text: str) -> bool:
    """A label of the book's total value: a totals word alone (``Total``, ``Net Worth``) or a
    header that means the value (``Total Portfolio Value``); not a total of costs, gains or
    returns (``Total Invested``, ``Total ROI``)."""
    if total_word(text) and read_header(text.strip()).field is None and not \
            read_header(text.strip()).other and len(text.split()) <= 2:
        return True
    return read_header(text.strip()).field == "value"


def check_book_total(p: CellReader, table: HoldingsTable, positions: list[Position]) -> None:
    """A book's own total checks the plan (SPEC 3.9 item 13): when the positions read do not
    add up to it, beyond its rounding, the run says so with both figures and cells."""
    found = book_total(table)
    if found is None or not positions:
        return
    total, cell = found
    read = sum((pos.quantity * pos.price for pos in positions), ZERO)
    shown = max((_decimals(table.sheet.value(r, table.header.columns["value"]))
                 for r in table.rows), default=2)
    slack = max(0.0005 * abs(total), 0.5 * 10.0 ** -min(shown, 8) * (len(positions) + 1))
    if abs(float(read) - total) <= slack:
        return
    p.warn(cell, f"the positions read from {table.where} are worth {_figure(read)} in all "
                 f"(Quantity × Price), but the book's own total at {cell} is "
                 f"{_figure(Decimal(repr(total)))}; the plan is made from the positions read, so "
                 "check that every row was read and each column mapped as meant (the "
                 '"Holdings read from" line says how).')


def _decimals(v: object) -> int:
    x = number_of(v)
    if x is None:
        return 0
    text = repr(x)
    if "e" in text:
        return 8
    return len(text.partition(".")[2].rstrip("0"))


def _figure(x: Decimal) -> str:
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x.normalize():f}"



__all__ = ["TOTAL_LOOK_ROWS", "book_total", "check_book_total"]
