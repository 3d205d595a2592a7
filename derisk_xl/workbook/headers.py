"""Header rows understood: which column of a row gives which holdings field (SPEC 3.9 item 4).

A row may hold two tables side by side (the asset and the quantity named twice); each comes back
as its own :class:`Header`. :class:`HoldingsTable` is what the finding hands to the contract.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..core.issues import Issue
from .grid import CellValue, SheetGrid, coordinate, sheet_ref
from .vocabulary import HeaderWord, norm, read_header

#: A header is looked for in this many non-empty rows from the top of a sheet or range.
HEADER_SEARCH_ROWS = 30


def blank(v: CellValue) -> bool:
    return v is None or (type(v) is str and not v.strip())


def is_number(v: CellValue) -> bool:
    return type(v) in (int, float)


@functools.lru_cache(maxsize=8192)
def header_word(text: str) -> HeaderWord:
    return read_header(text)




@dataclass(frozen=True)
class Header:
    """A header row understood: which column gives which field, and what else it holds."""

    row: int
    first_col: int
    last_col: int
    columns: dict[str, int]
    texts: dict[int, str]
    currencies: dict[str, str]
    doubles: tuple[tuple[str, int, int], ...] = ()  # (field, column read, column not read)
    evidence: str = ""  # what the numbers showed, when they decided (SPEC 3.9 item 8)
    other: dict[str, int] | None = None  # a second reading the numbers leave open
    notes: tuple[str, ...] = ()  # how the reading was told apart (said in the read line)
    hand: tuple[str, ...] = ()  # fields mapped by hand

    @property
    def qualifies(self) -> bool:
        c = self.columns
        return "asset" in c and "quantity" in c and ("price" in c or "value" in c)

    def signature(self) -> tuple:
        """The columns that make two headers one table: where the asset, quantity, price and
        value are (a block's label, e.g. ``LEDGER`` over ``EXCHANGES``, may differ)."""
        return tuple((f, self.columns.get(f)) for f in ("asset", "quantity", "price", "value"))


def words_of(row: tuple, c0: int, c1: int) -> dict[int, HeaderWord]:
    """What each text cell of a row says, as a header (long texts are no headers)."""
    out = {}
    for c in range(c0, min(c1, len(row) - 1) + 1):
        v = row[c]
        if type(v) is str and v.strip() and len(v) <= 80:
            out[c] = header_word(v.strip())
    return out


def read_header_row(sheet: SheetGrid, r: int, c0: int = 0, c1: int | None = None) -> list[Header]:
    """The header(s) on row ``r``: two when the row names the asset and quantity twice (two
    tables side by side, the second starting at the asset-naming columns before its repeat)."""
    row = sheet.rows[r] if 0 <= r < len(sheet.rows) else ()
    if c1 is None:
        c1 = len(row) - 1
    words = words_of(row, c0, c1)
    if not words:
        return []
    spans = _split_side_by_side(words, c0, c1, sheet, r)
    return [h for h in (_header(sheet, r, a, b, words) for a, b in spans) if h is not None]


#: Rows looked at to tell a spacer column inside a table from a gap between two tables.
_FILL_ROWS = 30


def _filled_alike(sheet: SheetGrid, r: int, left: list[int], right: int) -> bool:
    """Columns beside an empty column belong to the same table when they are filled on exactly
    the same rows (a spacer); a table beside it has rows of its own."""
    for k in range(r + 1, min(r + 1 + _FILL_ROWS, len(sheet.rows))):
        here, there = any(not blank(sheet.value(k, c)) for c in left), \
            not blank(sheet.value(k, right))
        if here != there:
            return False
        if not here:  # the first row empty on both sides ends what is compared
            return True
    return True


def _split_side_by_side(words: dict[int, HeaderWord], c0: int, c1: int,
                        sheet: SheetGrid | None = None, r: int = 0) -> list[tuple[int, int]]:
    seen: dict[tuple[str, int], int] = {}
    qty_seen = False
    for c in sorted(words):
        w = words[c]
        if w.field == "quantity":
            qty_seen = True
        if w.field == "asset":
            key = ("asset", w.rank)
            right = {k: v for k, v in words.items() if k > c}
            before = max((k for k in words if k < c), default=c - 1)
            fields = {v.field for v in right.values()}
            own = "quantity" in fields and bool(fields & {"price", "value"})
            whole = any(v.field in ("price", "value") for k, v in words.items() if k < c)
            left = [k for k, v in words.items() if k < c and v.field in ("asset", "quantity")]
            parted = c - before > 1 and any(words[k].field == "asset" for k in left) and not (
                sheet is not None and _filled_alike(sheet, r, left, c))
            if qty_seen and whole and (key in seen and own or parted):
                # a second table: the first is whole (it has its price or value) and the second
                # names a quantity and a price or value of its own, or an empty column parts
                # them (not one more name column of the same table)
                start = c
                while start - 1 > seen.get(key, before) and (start - 1) in words \
                        and words[start - 1].field == "asset":
                    start -= 1
                return [(c0, start - 1), *_split_side_by_side(
                    {k: v for k, v in words.items() if k >= start}, start, c1, sheet, r)]
            seen.setdefault(key, c)
    return [(c0, c1)]


def _header(sheet: SheetGrid, r: int, a: int, b: int,
            words: dict[int, HeaderWord]) -> Header | None:
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, col)
    doubles = []
    texts = {}
    currencies = {}
    row = sheet.rows[r]
    norms = {norm(row[c]) for c in words if a <= c <= b}
    for c in sorted(k for k in words if a <= k <= b):
        w = words[c]
        texts[c] = str(row[c]).strip()
        f = w.field
        if f is None and norm(row[c]) == "total" and {"free", "locked"} <= norms:
            f, w = "quantity", HeaderWord("quantity", 0, w.currency)  # Free | Locked | Total
        if f is None:
            continue
        if f in best:
            rank, col = best[f]
            if w.rank < rank:
                best[f] = (w.rank, c)
                if w.currency:
                    currencies[f] = w.currency
            elif w.rank == rank:
                doubles.append((f, col, c))
            continue
        best[f] = (w.rank, c)
        if w.currency:
            currencies[f] = w.currency
    if not best:
        return None
    cols = sorted(texts)
    first, last = cols[0], cols[-1]
    # the span runs on over cells that are not text (a number used as a header, e.g. 365)
    while last + 1 < len(row) and last + 1 <= b and not blank(row[last + 1]):
        last += 1
    return Header(r, first, last, {f: c for f, (_, c) in best.items()}, texts,
                  currencies,
                  tuple(d for d in doubles if best[d[0]][1] == d[1]))


# =============================================================================================
# The table found
# =============================================================================================


@dataclass(frozen=True)
class HoldingsTable:
    """The positions' rows and the meaning of their columns.

    Attributes:
      sheet, header: where the table is and what its header says.
      rows: 0-based rows of positions, in order.
      last_row: the last row the table covers (for the range named in messages).
      label_col: the column labelling stacked blocks (its values are venues), or None.
      how: how it was chosen, in words (``found``, ``the sheet named Holdings`` …).
      issues: what the finding has to say (warnings; errors when the choice was impossible).
    """

    sheet: SheetGrid
    header: Header
    rows: tuple[int, ...]
    last_row: int
    label_col: int | None = None
    how: str = "found"
    issues: tuple[Issue, ...] = ()
    score: int = 0
    name: str = ""
    log: str = ""  # why this table is a log and not holdings ("" when it is holdings)
    totals: tuple[int, ...] = ()  # its totals rows (a book's own total checks the plan)
    lots: bool = False  # purchase lots: each asset's rows are added up into one position
    headings: tuple[int, ...] = ()  # section heading rows between positions (not planned)

    @property
    def where(self) -> str:
        h = self.header
        return sheet_ref(self.sheet.name, f"{coordinate(h.row, h.first_col)}:"
                                          f"{coordinate(self.last_row, h.last_col)}")

    def cell(self, r: int, field_name: str) -> str:
        return sheet_ref(self.sheet.name, coordinate(r, self.header.columns[field_name]))


def may_hold_holdings(rows) -> bool:
    """Whether any row of these cell values (calamine's, ``""`` for empty) is a header naming an
    asset, a quantity and a price or value, or a row of texts above rows whose numbers satisfy
    Quantity × Price = Value (SPEC 3.9 item 8): the only sheets whose details are worth
    scanning."""
    from .identity import find_identities, number_of

    pending = -1  # a header-like row waiting for the rows of numbers under it
    for r, row in enumerate(rows):
        texts = [v for v in row if type(v) is str and v.strip()]
        if len(texts) >= 3:
            fields = {header_word(v.strip()).field for v in texts if len(v) <= 80}
            if "asset" in fields and "quantity" in fields and ("price" in fields or
                                                               "value" in fields):
                return True
        numbers = sum(1 for v in row if type(v) in (int, float))
        if len(texts) >= 2 and not numbers:
            pending = r
        elif pending >= 0 and numbers >= 3:
            below = rows[r:r + 12]
            width = max(len(x) for x in below)
            cols = [c for c in range(width) if sum(
                1 for x in below if c < len(x) and number_of(x[c]) is not None) >= 2]
            if find_identities(below, cols):
                return True
            pending = -1
        elif numbers:
            pending = -1
    return False
