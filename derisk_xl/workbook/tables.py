"""Finding the holdings in a workbook we did not make (SPEC 3.9, items 1–3).

Users keep their positions on a sheet called Portfolio or Dashboard, under a title block, with a
totals row, a second table below, wallets stacked one under another. This module answers one
question — which rows of which sheet are the positions, and which column is which field — from
the grid alone (pure: no file, so the Excel button and the file reader find the same table).

The order of choice:

1. an explicit choice: Settings ``Holdings Sheet`` or ``--holdings`` (a sheet, an Excel Table,
   or a range such as ``Portfolio!B10:H40``);
2. a sheet or Excel Table named Holdings;
3. otherwise every header row of every sheet, and every Excel Table, that names an asset, a
   quantity and a price (or value) column is a candidate, and the best :func:`score` wins:
   ``3 × recognised columns + ⌊2·log2(1 + rows)⌋ + 4 if its sheet or Table is named like
   holdings`` (Portfolio, Positions, Balances, Holdings, Assets, Wallets). Rows count on a log
   scale (doubling them adds 2) so that a table a few rows longer does not beat an earlier one:
   scores within :data:`TIE` of the best are equals and go to tab order (people keep their main
   table first), and a candidate within :data:`CLOSE` is named in a warning with the setting
   that picks it.

A found table ends at its Excel Table's range, at a totals row (``Total``, ``Subtotal``, ``Sum``,
``Net Worth``… or numbers that are the sums of the rows above), at a different header, or at an
empty row followed by something that is not a row of the table. Blocks under a repeat of the
same header (wallets stacked, each with a subtotal) are read together; a first column whose
header changes from block to block (``LEDGER``, ``EXCHANGES``) labels the blocks and gives the
venue. A table with a date column in which an asset repeats is a series of snapshots (the latest
is read) or a log (not holdings). The explicit choice and a sheet named Holdings are read to
their end: empty rows, totals rows and repeated headers are skipped, every other row is a row.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field

from ..core.issues import Issue
from .grid import CellValue, SheetGrid, TableRef, WorkbookGrid, coordinate, sheet_ref
from .vocabulary import FIELD_TITLES, PLAN_NORMS, HeaderWord, norm, read_header

#: Candidates this close score as equals: the first in tab order is taken.
TIE = 2
#: A candidate this close to the one taken is named in a warning.
CLOSE = 3
#: A header sits within this many non-empty rows of the top of its sheet when the sheet is named.
HEADER_SEARCH_ROWS = 30
_NAME_WORDS = ("portfolio", "position", "balance", "holding", "asset", "wallet")
_TOTAL_WORDS = frozenset({"total", "totals", "subtotal", "sum", "networth", "grandtotal",
                          "gesamt", "summe", "totaal", "totale"})
_DATE_WORDS = frozenset({"date", "time", "timestamp", "datetime", "asof", "snapshot", "day",
                         "datum", "dátum", "fecha", "data", "month", "week"})
_ACTION_WORDS = frozenset({"action", "side", "type", "transaction", "transactiontype",
                           "operation", "txtype", "tradetype", "buy/sell"})
_ACTION_VALUES = frozenset({"buy", "sell", "deposit", "withdraw", "withdrawal", "transfer",
                            "bought", "sold", "airdrop", "stake", "reward", "fee", "swap"})
_RANGE = re.compile(r"^\s*(?:'((?:[^']|'')+)'|([^!]+))!\s*\$?([A-Za-z]{1,3})\$?(\d+)\s*:"
                    r"\s*\$?([A-Za-z]{1,3})\$?(\d+)\s*$")


def _blank(v: CellValue) -> bool:
    return v is None or (type(v) is str and not v.strip())


def _is_number(v: CellValue) -> bool:
    return type(v) in (int, float)


@functools.lru_cache(maxsize=8192)
def _word(text: str) -> HeaderWord:
    return read_header(text)


# =============================================================================================
# Headers
# =============================================================================================


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

    @property
    def qualifies(self) -> bool:
        c = self.columns
        return "asset" in c and "quantity" in c and ("price" in c or "value" in c)

    def signature(self) -> tuple:
        """The columns that make two headers one table: where the asset, quantity, price and
        value are (a block's label, e.g. ``LEDGER`` over ``EXCHANGES``, may differ)."""
        return tuple((f, self.columns.get(f)) for f in ("asset", "quantity", "price", "value"))

    def ignored(self) -> tuple[str, ...]:
        used = set(self.columns.values())
        return tuple(t for c, t in sorted(self.texts.items()) if c not in used)


def _header_words(row: tuple, c0: int, c1: int) -> dict[int, HeaderWord]:
    out = {}
    for c in range(c0, min(c1, len(row) - 1) + 1):
        v = row[c]
        if type(v) is str and v.strip() and len(v) <= 80:
            out[c] = _word(v.strip())
    return out


def read_header_row(sheet: SheetGrid, r: int, c0: int = 0, c1: int | None = None) -> list[Header]:
    """The header(s) on row ``r``: two when the row names the asset and quantity twice (two
    tables side by side, the second starting at the asset-naming columns before its repeat)."""
    row = sheet.rows[r] if 0 <= r < len(sheet.rows) else ()
    if c1 is None:
        c1 = len(row) - 1
    words = _header_words(row, c0, c1)
    if not words:
        return []
    spans = _split_side_by_side(words, c0, c1)
    return [h for h in (_header(sheet, r, a, b, words) for a, b in spans) if h is not None]


def _split_side_by_side(words: dict[int, HeaderWord], c0: int, c1: int) -> list[tuple[int, int]]:
    seen: dict[tuple[str, int], int] = {}
    qty_seen = False
    for c in sorted(words):
        w = words[c]
        if w.field == "quantity":
            qty_seen = True
        if w.field == "asset":
            key = ("asset", w.rank)
            if key in seen and qty_seen:
                start = c
                while start - 1 > seen[key] and (start - 1) in words \
                        and words[start - 1].field == "asset":
                    start -= 1
                return [(c0, start - 1), *_split_side_by_side(
                    {k: v for k, v in words.items() if k >= start}, start, c1)]
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
    while last + 1 < len(row) and last + 1 <= b and not _blank(row[last + 1]):
        last += 1
    return Header(r, first, last, {f: c for f, (_, c) in best.items()}, texts,
                  {f: cur for f, cur in currencies.items() if best.get(f, (0, -1))[1] >= 0},
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
      skipped_totals: totals rows inside the table, not planned.
    """

    sheet: SheetGrid
    header: Header
    rows: tuple[int, ...]
    last_row: int
    label_col: int | None = None
    how: str = "found"
    issues: tuple[Issue, ...] = ()
    skipped_totals: tuple[int, ...] = ()
    score: int = 0
    name: str = ""
    log: str = ""  # why this table is a log and not holdings ("" when it is holdings)

    @property
    def where(self) -> str:
        h = self.header
        return sheet_ref(self.sheet.name, f"{coordinate(h.row, h.first_col)}:"
                                          f"{coordinate(self.last_row, h.last_col)}")

    def cell(self, r: int, field_name: str) -> str:
        return sheet_ref(self.sheet.name, coordinate(r, self.header.columns[field_name]))


@dataclass
class _Reading:
    rows: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    last_row: int = -1
    label_col: int | None = None
    notes: list[Issue] = field(default_factory=list)
    end: int = -1  # the first row after the table


class _Rows:
    """Reads the rows under a header: where the table ends (SPEC 3.9 item 2)."""

    def __init__(self, sheet: SheetGrid, header: Header):
        self.sheet = sheet
        self.h = header
        c = header.columns
        self.asset = c["asset"]
        self.qty = c["quantity"]
        self.sums = [c[f] for f in ("quantity", "value", "cost_basis") if f in c]

    def span(self, r: int) -> tuple:
        row = self.sheet.rows[r] if r < len(self.sheet.rows) else ()
        return row[self.h.first_col:self.h.last_col + 1]

    def empty(self, r: int) -> bool:
        return all(_blank(v) for v in self.span(r))

    def value(self, r: int, c: int) -> CellValue:
        return self.sheet.value(r, c)

    def is_total(self, r: int, sums: dict[int, float] | None = None, count: int = 0) -> bool:
        """A totals row: a first text such as Total or Subtotal, or (no asset) numbers that are
        the sums of the rows above (``sums``, kept as the rows are read)."""
        for v in self.span(r)[:self.asset - self.h.first_col + 1]:
            if type(v) is str and v.strip():
                word = norm(v).rstrip(":")
                return word in _TOTAL_WORDS or word.startswith(("total", "subtotal",
                                                                "grandtotal"))
            if v is not None:
                break
        if sums is None or count < 2 or not _blank(self.value(r, self.asset)):
            return False
        matched = False
        for c in self.sums:
            v = self.value(r, c)
            if not _is_number(v):
                continue
            if not math.isclose(v, sums.get(c, 0.0), rel_tol=1e-9, abs_tol=0.005):
                return False
            matched = True
        return matched

    def add(self, r: int, sums: dict[int, float]) -> None:
        for c in self.sums:
            v = self.value(r, c)
            if _is_number(v):
                sums[c] = sums.get(c, 0.0) + v

    def same_header(self, r: int) -> Header | None:
        for h in read_header_row(self.sheet, r, self.h.first_col, self.h.last_col):
            if h.signature() == self.h.signature():
                return h
        return None

    def other_header(self, r: int) -> bool:
        return any(len(h.columns) >= 2 for h in
                   read_header_row(self.sheet, r, self.h.first_col, self.h.last_col))

    def like_a_row(self, r: int) -> bool:
        a, q = self.value(r, self.asset), self.value(r, self.qty)
        return not _blank(a) and type(a) is not bool and (
            _is_number(q) or (type(q) is str and _numeric_text(q)))

    def template(self, r: int) -> bool:
        q = self.value(r, self.qty)
        return _blank(self.value(r, self.asset)) and (_blank(q) or q == 0)

    def read(self, stop: int, *, to_end: bool) -> _Reading:
        out = _Reading()
        r = self.h.row + 1
        gap: int | None = None
        first_texts = self.h.texts
        sums: dict[int, float] = {}
        while r <= stop:
            if self.empty(r):
                gap = r if gap is None else gap
                r += 1
                continue
            if self.is_total(r, sums, len(out.rows)):
                out.totals.append(r)
                sums = {}
                out.last_row = r
                gap = None
                if to_end:
                    r += 1
                    continue
                nxt = self._next_block(r + 1, stop)
                if nxt is None:
                    out.end = r + 1
                    return out
                r = self._stack(nxt, out, first_texts)
                continue
            again = self.same_header(r)
            if again is not None:
                if to_end:
                    r += 1
                    continue
                r = self._stack(again, out, first_texts)
                gap = None
                continue
            if gap is not None and not to_end:
                if not self.like_a_row(r) or self.other_header(r):
                    out.end = gap
                    return out
                out.notes.append(Issue(
                    sheet_ref(self.sheet.name, f"A{gap + 1}:A{r}"),
                    f"empty row(s) {gap + 1}–{r} inside the holdings table; the rows after them "
                    "have the same columns and are read as positions.", "warning"))
            elif not to_end and self.other_header(r) and not self.like_a_row(r):
                out.end = r
                return out
            gap = None
            if not self.template(r):
                out.rows.append(r)
                self.add(r, sums)
            out.last_row = r
            r += 1
        out.end = stop + 1
        return out

    def _next_block(self, r: int, stop: int) -> Header | None:
        while r <= stop and (self.empty(r) or self.is_total(r)):
            r += 1
        return self.same_header(r) if r <= stop else None

    def _stack(self, again: Header, out: _Reading, first_texts: dict[int, str]) -> int:
        """A repeat of the header: the next block of the same table (wallets stacked)."""
        if out.label_col is None:
            for c, text in sorted(again.texts.items()):
                if c not in self.h.columns.values() and first_texts.get(c) != text \
                        and c < self.asset:
                    out.label_col = c
                    break
        out.last_row = again.row
        return again.row + 1


def _numeric_text(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[-+]?[$€£₹¥]?\s*[\d,]*\.?\d+(?:[eE][-+]?\d+)?\s*%?\s*", text))


# =============================================================================================
# Logs, snapshots and price histories (SPEC 3.9 item 3)
# =============================================================================================


def _date_column(t: HoldingsTable) -> int | None:
    sheet, rows = t.sheet, t.rows
    for c, text in sorted(t.header.texts.items()):
        if c in t.header.columns.values():
            continue
        if norm(text).rstrip(":") in _DATE_WORDS:
            return c
    if not rows:
        return None
    for c in range(t.header.first_col, t.header.last_col + 1):
        if c in t.header.columns.values():
            continue
        dates = sum(isinstance(sheet.value(r, c), (dt.date, dt.datetime)) for r in rows)
        if dates >= 0.8 * len(rows):
            return c
    return None


def _key(t: HoldingsTable, r: int) -> tuple:
    venue = t.header.columns.get("venue")
    a = t.sheet.value(r, t.header.columns["asset"])
    return (norm(a) if a is not None else "", norm(t.sheet.value(r, venue)) if venue is not None
            else "")


def judge_log(t: HoldingsTable) -> tuple[HoldingsTable, str]:
    """(the table, why it is a log) — a snapshot series comes back as its latest snapshot."""
    sheet = t.sheet
    for c, text in t.header.texts.items():
        if norm(text) in _ACTION_WORDS and c not in t.header.columns.values():
            values = {norm(sheet.value(r, c)) for r in t.rows if type(sheet.value(r, c)) is str}
            if values & _ACTION_VALUES:
                return t, (f"it has a {text!r} column of buys and sells, so it looks like a "
                           "transaction log")
    date_col = _date_column(t)
    if date_col is None or not t.rows:
        return t, ""
    keys = [_key(t, r) for r in t.rows]
    if len(set(keys)) == len(keys):
        return t, ""
    stamps = [sheet.value(r, date_col) for r in t.rows]
    dated = all(isinstance(s, (dt.date, dt.datetime)) for s in stamps)
    head = sheet.value(t.header.row, date_col)
    if dated:
        groups: dict[object, list[int]] = {}
        for r, s in zip(t.rows, stamps):
            groups.setdefault(s, []).append(r)
        unique = all(len({_key(t, r) for r in g}) == len(g) for g in groups.values())
        if unique and len(groups) >= 2 and len(t.rows) >= 2 * len(groups):
            latest = max(groups, key=lambda s: (s if isinstance(s, dt.datetime)
                                                else dt.datetime.combine(s, dt.time())))
            rows = tuple(groups[latest])
            note = Issue(t.where, (
                f"{t.where} holds {len(groups)} snapshots of the portfolio ({head} with the "
                f"same assets repeated); the latest, {str(latest)[:19]}, is read (rows "
                f"{rows[0] + 1}–{rows[-1] + 1}), the others are history."), "warning")
            return HoldingsTable(t.sheet, t.header, rows, t.last_row, t.label_col, t.how,
                                 t.issues + (note,), t.skipped_totals, t.score, t.name), ""
    first = keys[0]
    again = [r + 1 for r, k in zip(t.rows, keys) if k == first][:3]
    asset = t.sheet.value(t.rows[0], t.header.columns["asset"])
    return t, (f"it has a date column ({head}) and the same asset repeats ({asset} on rows "
               f"{', '.join(map(str, again))}), so it looks like a transaction log")


def price_history(sheet: SheetGrid) -> str | None:
    """A sentence when the sheet is a price history (dates down, assets across), else None."""
    rows = sheet.rows
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        row = rows[r]
        texts = [c for c, v in enumerate(row) if type(v) is str and v.strip()]
        if len(texts) < 2:
            continue
        below = rows[r + 1:r + 40]
        for c in range(len(row)):
            dates = sum(isinstance(x[c] if c < len(x) else None, (dt.date, dt.datetime))
                        for x in below)
            if dates >= 3 and dates >= 0.6 * len([x for x in below if any(
                    not _blank(v) for v in x)]):
                numeric = [k for k in texts if k != c and sum(
                    _is_number(x[k]) for x in below if k < len(x)) >= 0.6 * dates]
                if len(numeric) >= 2:
                    span = f"{coordinate(r, min(texts + [c]))}:{coordinate(r + len(below), max(texts))}"
                    return (f"{sheet_ref(sheet.name, span)} is a price history (dates down, "
                            f"{', '.join(str(row[k]).strip() for k in numeric[:4])} … across), "
                            "not holdings")
        break
    return None


# =============================================================================================
# Candidates and the choice
# =============================================================================================


def score(header: Header, rows: int, name: str) -> int:
    named = any(w in norm(name) for w in _NAME_WORDS)
    return 3 * len(header.columns) + int(2 * math.log2(1 + rows)) + (4 if named else 0)


def _table_at(grid: WorkbookGrid, sheet: SheetGrid, header: Header) -> TableRef | None:
    for t in grid.tables:
        if t.sheet == sheet.name and t.first_row == header.row and \
                t.first_col <= header.columns["asset"] <= t.last_col:
            return t
    return None


def _read(sheet: SheetGrid, header: Header, stop: int, *, to_end: bool, how: str,
          name: str) -> HoldingsTable:
    reading = _Rows(sheet, header).read(stop, to_end=to_end)
    last = max(reading.last_row, header.row)
    t = HoldingsTable(sheet, header, tuple(reading.rows), last, reading.label_col, how,
                      tuple(reading.notes), tuple(reading.totals), name=name)
    t, log = judge_log(t)
    rows = _Rows(sheet, header)
    clean = sum(1 for r in t.rows if rows.like_a_row(r) and isinstance(
        sheet.value(r, header.columns["asset"]), str))
    return HoldingsTable(t.sheet, t.header, t.rows, t.last_row, t.label_col, t.how, t.issues,
                         t.skipped_totals, score(header, clean, name), name, log)


def candidates(grid: WorkbookGrid) -> list[HoldingsTable]:
    """Every table that names an asset, a quantity and a price or value, in tab order."""
    found: list[HoldingsTable] = []
    covered: set[tuple[str, int]] = set()
    for sheet in grid.sheets:
        if norm(sheet.name) in PLAN_NORMS:
            continue
        r, n = 0, len(sheet.rows)
        while r < n:
            row = sheet.rows[r]
            if sum(type(v) is str for v in row) < 3:
                r += 1
                continue
            headers = [h for h in read_header_row(sheet, r) if h.qualifies]
            nxt = r + 1
            for h in headers:
                table = _table_at(grid, sheet, h)
                stop = table.last_row if table is not None else n - 1
                t = _read(sheet, h, stop, to_end=False, how="found",
                          name=f"{sheet.name} {table.name if table else ''}")
                if table is not None and t.last_row < n - 1:
                    t = _continue_stack(sheet, h, t, table)
                found.append(t)
                covered.add((sheet.name, h.row))
                nxt = max(nxt, t.last_row + 1 if len(headers) == 1 else r + 1)
            r = nxt
    for tref in grid.tables:
        sheet = grid.sheet(tref.sheet)
        if sheet is None or (sheet.name, tref.first_row) in covered or any(
                t.sheet is sheet and t.header.row <= tref.first_row <= t.last_row
                and tref.first_col <= t.header.columns["asset"] <= tref.last_col for t in found):
            continue  # a block of a table already read (wallets stacked)
        for h in read_header_row(sheet, tref.first_row, tref.first_col, tref.last_col):
            if h.qualifies:
                found.append(_read(sheet, h, tref.last_row, to_end=True, how="found",
                                   name=f"{sheet.name} {tref.name}"))
    return found


def _continue_stack(sheet: SheetGrid, h: Header, t: HoldingsTable,
                    table: TableRef) -> HoldingsTable:
    """An Excel Table that ends where the next wallet's block begins: read the blocks on."""
    rows = _Rows(sheet, h)
    more = rows.read(len(sheet.rows) - 1, to_end=False)
    if more.rows[:len(t.rows)] != list(t.rows) or len(more.rows) <= len(t.rows) or \
            more.label_col is None and not more.totals:
        return t
    return HoldingsTable(sheet, h, tuple(more.rows), more.last_row, more.label_col, t.how,
                         t.issues + tuple(more.notes), tuple(more.totals),
                         t.score + score(h, len(more.rows), t.name) - score(h, len(t.rows),
                                                                            t.name),
                         t.name, t.log)


def _named(grid: WorkbookGrid, title: str) -> tuple[SheetGrid | None, TableRef | None]:
    key = norm(title)
    sheet = next((s for s in grid.sheets if norm(s.name) == key), None)
    if sheet is not None:
        return sheet, None
    table = next((t for t in grid.tables if norm(t.name) == key), None)
    if table is not None:
        return grid.sheet(table.sheet), table
    return None, None


def _header_in(sheet: SheetGrid, first: int, last: int, c0: int = 0,
               c1: int | None = None) -> Header | None:
    """The first row (of the first :data:`HEADER_SEARCH_ROWS` non-empty ones) naming the
    asset, the quantity and the price or value; else the best partial header, for messages."""
    best, seen = None, 0
    for r in range(first, min(last, len(sheet.rows) - 1) + 1):
        row = sheet.rows[r]
        if all(_blank(v) for v in row):
            continue
        seen += 1
        for h in read_header_row(sheet, r, c0, c1):
            if h.qualifies:
                return h
            if best is None or len(h.columns) > len(best.columns):
                best = h
        if seen >= HEADER_SEARCH_ROWS:
            break
    return best


@dataclass(frozen=True)
class Choice:
    """An explicit choice of the holdings: the text given and where it was given."""

    text: str
    origin: str  # "Settings!B40" or "--holdings"
    label: str   # "Settings Holdings Sheet" or "--holdings"


def find_holdings(grid: WorkbookGrid, choice: Choice | None = None
                  ) -> tuple[HoldingsTable | None, tuple[Issue, ...]]:
    """The holdings table of ``grid`` and what the finding has to say (SPEC 3.9 items 1–3)."""
    if choice is not None:
        return _chosen(grid, choice)
    sheet, table = _named(grid, "Holdings")
    if sheet is not None:
        return _whole(grid, sheet, table, "the sheet named Holdings" if table is None
                      else f"the Excel Table {table.name}", None)
    every = candidates(grid)
    holdings = [t for t in every if not t.log]
    if not holdings:
        return None, (_refusal(grid, every),)
    top = max(t.score for t in holdings)
    best = next(t for t in holdings if t.score >= top - TIE)  # equals: the first in tab order
    issues = list(best.issues)
    rivals = [t for t in holdings if t is not best and t.score >= top - CLOSE]
    if rivals:
        other = rivals[0]
        key = _key_for(grid, other, every)
        issues.append(Issue(best.where, (
            f"{other.where} also looks like holdings ({len(other.rows)} rows; "
            f"{_mapping_words(other)}; score {other.score} against {best.score}; scores within "
            f"{TIE} are equals and go to tab order). To plan it instead, set Settings Holdings Sheet to {key} or run with "
            f"--holdings {_quoted(key)}."), "warning"))
    left = _left_out(best, every)
    if left:
        issues.append(left)
    return best, tuple(issues)


def _quoted(text: str) -> str:
    return text if re.fullmatch(r"[\w.!:$]+", text) else '"' + text.replace('"', '\\"') + '"'


def _mapping_words(t: HoldingsTable) -> str:
    return ", ".join(f"{FIELD_TITLES[f]} ← {t.header.texts[c]}"
                     for f, c in t.header.columns.items() if f in ("asset", "quantity", "price",
                                                                  "value"))


def _key_for(grid: WorkbookGrid, t: HoldingsTable, every: list[HoldingsTable]) -> str:
    same_sheet = [x for x in every if x.sheet.name == t.sheet.name]
    table = _table_at(grid, t.sheet, t.header)
    if table is not None:
        return table.name
    if len(same_sheet) == 1 and t.header.row < HEADER_SEARCH_ROWS:
        return t.sheet.name
    return t.where


def _left_out(best: HoldingsTable, every: list[HoldingsTable]) -> Issue | None:
    """Say what else sits on the same sheet and is not planned (a row is never dropped
    without a word)."""
    sheet = best.sheet
    h = best.header
    below = [r + 1 for r in range(best.last_row + 1, len(sheet.rows))
             if any(not _blank(v) for v in sheet.rows[r])]
    beside = [t.where for t in every if t is not best and t.sheet is sheet
              and t.header.row == h.row]
    parts = []
    if below:
        parts.append(f"rows {below[0]}–{below[-1]} below it" if len(below) > 1 else
                     f"row {below[0]} below it")
    if beside:
        parts.append(f"the table beside it ({', '.join(beside)})")
    if not parts:
        return None
    return Issue(sheet_ref(sheet.name), (
        f"not planned: {' and '.join(parts)} on {sheet.name}, which are not rows of the "
        f"holdings table {best.where}."), "warning")


def _whole(grid: WorkbookGrid, sheet: SheetGrid, table: TableRef | None, how: str,
           choice: Choice | None, bounds: tuple[int, int, int, int] | None = None
           ) -> tuple[HoldingsTable | None, tuple[Issue, ...]]:
    """A sheet, Table or range chosen by name: read to its end."""
    if table is not None:
        bounds = (table.first_row, table.first_col, table.last_row, table.last_col)
    if bounds is not None:
        r0, c0, r1, c1 = bounds
        header = _header_in(sheet, r0, r0, c0, c1)
    else:
        r0, c0, r1, c1 = 0, 0, len(sheet.rows) - 1, None
        header = _header_in(sheet, 0, r1)
    if header is None or not header.qualifies:
        merged = [Issue(sheet_ref(sheet.name, f"{coordinate(m[0], m[1])}:{coordinate(m[2], m[3])}"),
                        "merged header cells on Holdings; unmerge them so that each column has "
                        "its own header.") for m in sheet.merged
                  if header is not None and m[0] <= header.row <= m[2] and m[3] > m[1]]
        return None, (_no_header(sheet, header, how, choice, bounds), *merged)
    t = _read(sheet, header, r1, to_end=True, how=how, name=sheet.name)
    if t.log:
        return None, (Issue(t.where, f"{t.where} ({how}) is not holdings: {t.log}. "
                                     "derisk needs one row per position; total it by asset "
                                     "(a pivot of Quantity by Asset) and point Holdings Sheet "
                                     "at that table.") ,)
    return t, t.issues


def _no_header(sheet: SheetGrid, partial: Header | None, how: str, choice: Choice | None,
               bounds) -> Issue:
    need = "an Asset (or Symbol, Coin, Ticker, Token …), a Quantity (or Qty, Amount, Balance, " \
           "Shares …) and a Price (or Last, Current Price …) or Value column"
    where = choice.origin if choice is not None else sheet.name
    if not sheet.rows or all(all(_blank(v) for v in r) for r in sheet.rows):
        return Issue(where, f"{how} ({sheet.name}) is empty; expected a header row with {need}.")
    if partial is None or not partial.columns:
        return Issue(where, f"no header row found on {sheet.name} ({how}); expected a row with "
                            f"{need}.")
    have = ", ".join(f"{FIELD_TITLES[f]} ← {partial.texts[c]}" for f, c in
                     sorted(partial.columns.items(), key=lambda x: x[1]))
    missing = [FIELD_TITLES[f] for f in ("asset", "quantity") if f not in partial.columns]
    if "price" not in partial.columns and "value" not in partial.columns:
        missing.append("Price (or Value)")
    span = sheet_ref(sheet.name, f"{coordinate(partial.row, partial.first_col)}:"
                                 f"{coordinate(partial.row, partial.last_col)}")
    title = "Holdings" if how == "the sheet named Holdings" else f"{sheet.name} ({how})"
    return Issue(span, f"the {title} header ({have}) has no {' and no '.join(missing)} column; "
                       f"it is required ({need}). Rename that column's header, or point "
                       "Settings Holdings Sheet at another table.")


def _chosen(grid: WorkbookGrid, choice: Choice) -> tuple[HoldingsTable | None, tuple[Issue, ...]]:
    how = f"chosen by {choice.label}"
    m = _RANGE.match(choice.text)
    if m:
        name = (m.group(1) or "").replace("''", "'") or m.group(2).strip()
        sheet = next((s for s in grid.sheets if norm(s.name) == norm(name)), None)
        if sheet is None:
            return None, (Issue(choice.origin, f"{choice.label} is {choice.text!r}, but the "
                                               f"workbook has no sheet {name!r}; sheets: "
                                               f"{', '.join(grid.sheet_names)}."),)
        from .grid import parse_coordinate

        r0, c0 = parse_coordinate(m.group(3) + m.group(4))
        r1, c1 = parse_coordinate(m.group(5) + m.group(6))
        r0, r1 = sorted((r0, r1))
        c0, c1 = sorted((c0, c1))
        return _whole(grid, sheet, None, how, choice, (r0, c0, r1, c1))
    sheet, table = _named(grid, choice.text)
    if sheet is None:
        tables = ", ".join(t.name for t in grid.tables) or "none"
        return None, (Issue(choice.origin, (
            f"{choice.label} is {choice.text!r}: no sheet, Excel Table or range of that name. "
            f"Sheets: {', '.join(grid.sheet_names) or 'none'}; Excel Tables: {tables}; or give "
            "a range such as Portfolio!B10:H40.")),)
    return _whole(grid, sheet, table, how, choice)


def _refusal(grid: WorkbookGrid, every: list[HoldingsTable]) -> Issue:
    """One sentence saying what was looked at and the one edit that would make it work."""
    source = grid.source or "The workbook"
    fix = ("Name the sheet with your positions Holdings (columns Asset, Quantity, Price), or set "
           "Settings Holdings Sheet (or --holdings) to its sheet, Excel Table or range.")
    logs = [t for t in every if t.log]
    if logs:
        t = logs[0]
        return Issue(t.where, f"{source} has no holdings table: {t.where} is not holdings, "
                              f"{t.log}. derisk needs one row per position; total the log by "
                              f"asset into a table of its own. {fix}")
    seen = []
    for sheet in grid.sheets:
        if norm(sheet.name) in PLAN_NORMS:
            continue
        history = price_history(sheet)
        if history:
            seen.append(history)
            continue
        partial = _header_in(sheet, 0, len(sheet.rows) - 1)
        if partial is not None and partial.columns:
            missing = [FIELD_TITLES[f] for f in ("asset", "quantity") if f not in
                       partial.columns]
            if "price" not in partial.columns and "value" not in partial.columns:
                missing.append("price or value")
            seen.append(f"{sheet.name} has no {' and no '.join(m.lower() for m in missing)} "
                        "column")
        elif any(any(not _blank(v) for v in r) for r in sheet.rows):
            seen.append(f"{sheet.name} has no header naming an asset, a quantity and a price")
        else:
            seen.append(f"{sheet.name} is empty")
    return Issue("", f"{source} has no holdings table: {'; '.join(seen) or 'it has no sheets'}. "
                     f"{fix}")


def find_empty_template(t: HoldingsTable) -> bool:
    return not t.rows


__all__ = ["CLOSE", "Choice", "Header", "HoldingsTable", "candidates", "find_holdings",
           "price_history", "read_header_row", "score"]
