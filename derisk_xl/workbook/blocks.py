"""Where a table ends (SPEC 3.9 item 2): rows read under a header, block by block.

A found table ends at a totals row (a first text such as Total or Subtotal, or numbers that are
the sums of the rows above), at another header, or at an empty row followed by something that
is not a row of the table; rows of the same shape after a gap stay, with a warning. A repeat of
the same header starts the next block of the same table (wallets stacked), and a first column
whose header changes between blocks labels them. A table chosen by name is read to its end.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from ..core.issues import Issue
from .grid import CellValue, SheetGrid, sheet_ref
from .headers import Header, blank, is_number, read_header_row
from .numeric_text import text_number
from . import vocabulary

_TICKER = re.compile(r"[A-Z0-9][A-Z0-9.\-/:]{0,14}")

@dataclass
class Reading:
    rows: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    last_row: int = -1
    label_col: int | None = None
    notes: list[Issue] = field(default_factory=list)


class TableRows:
    """Reads the rows under a header: where the table ends (SPEC 3.9 item 2)."""

    def __init__(self, sheet: SheetGrid, header: Header):
        self.sheet = sheet
        self.h = header
        c = header.columns
        self.asset = c["asset"]
        self.qty = c["quantity"]
        self.sums = [c[f] for f in ("quantity", "value", "cost_basis") if f in c]
        self.asset_head = header.texts.get(self.asset, "").strip().lower()

    def span(self, r: int) -> tuple:
        row = self.sheet.rows[r] if r < len(self.sheet.rows) else ()
        return row[self.h.first_col:self.h.last_col + 1]

    def empty(self, r: int) -> bool:
        if not blank(self.value(r, self.asset)):
            return False
        return all(blank(v) for v in self.span(r))

    def value(self, r: int, c: int) -> CellValue:
        return self.sheet.value(r, c)

    def is_total(self, r: int, sums: dict[int, float] | None = None, count: int = 0) -> bool:
        """A totals row: a first text such as Total or Subtotal, or (no asset) numbers that are
        the sums of the rows above (``sums``, kept as the rows are read)."""
        for v in self.span(r):  # its first text, after any numbers
            if type(v) is str and v.strip():
                if total_word(v):
                    return True
                break
        if sums is None or count < 1 or (count == 1 and not blank(self.value(r, self.qty))):
            return False  # under one row, a subtotal repeats it and leaves the quantity out
        if not blank(self.value(r, self.asset)):
            # a label in a language no table has: a totals row still has no price of its own
            price = self.h.columns.get("price")
            if price is None or not blank(self.value(r, price)):
                return False
        matched = False
        for c in self.sums:
            v = self.value(r, c)
            if not is_number(v):
                continue
            if not math.isclose(v, sums.get(c, 0.0), rel_tol=1e-9, abs_tol=0.005):
                return False
            matched = True
        return matched

    def add(self, row: tuple, sums: dict[int, float]) -> None:
        n = len(row)
        for c in self.sums:
            v = row[c] if c < n else None
            if type(v) is int or type(v) is float:
                sums[c] = sums.get(c, 0.0) + v

    def plain(self, row: tuple, to_end: bool) -> bool:
        """The common case, decided from the row alone: an asset named, not a repeat of the
        header, no totals word before it, and (for a found table) a number as quantity."""
        n = len(row)
        a = row[self.asset] if self.asset < n else None
        if type(a) is not str:
            return False
        s = a.strip()
        if not s or s.lower() == self.asset_head:
            return False
        for v in row[self.h.first_col:self.asset + 1]:  # the first text, after any numbers
            if type(v) is str and v.strip():
                if total_word(v):
                    return False
                break
        if to_end:
            return True
        q = row[self.qty] if self.qty < n else None
        return type(q) is int or type(q) is float

    def same_header(self, r: int) -> Header | None:
        """A repeat of the header: the same texts over the columns read (the first column may
        change from block to block: its text labels the blocks)."""
        v = self.value(r, self.asset)  # a repeat names the asset as the header does
        if type(v) is not str or v.strip().lower() != self.asset_head:
            return None
        for c in self.h.columns.values():
            x = self.value(r, c)
            if type(x) is not str or x.strip().lower() != self.h.texts.get(c, "").strip().lower():
                return None
        texts = {c: str(self.value(r, c)).strip() for c in range(self.h.first_col,
                                                                 self.h.last_col + 1)
                 if type(self.value(r, c)) is str and self.value(r, c).strip()}
        return replace(self.h, row=r, texts=texts)

    def other_header(self, r: int) -> bool:
        """Another table's header: two fields named, or a row of texts naming one (``aset |
        Target Harga`` over a list of targets)."""
        heads = read_header_row(self.sheet, r, self.h.first_col, self.h.last_col)
        if any(len(h.columns) >= 2 for h in heads):
            return True
        span = self.span(r)
        texts = [v for v in span if type(v) is str and v.strip()]
        return any(h.columns for h in heads) and len(texts) >= 2 and len(texts) == sum(
            1 for v in span if not blank(v)) and all(text_number(v) is None for v in texts)

    def like_a_row(self, r: int) -> bool:
        a, q = self.value(r, self.asset), self.value(r, self.qty)
        return not blank(a) and type(a) is not bool and (
            is_number(q) or (type(q) is str and text_number(q) is not None))

    def template(self, r: int) -> bool:
        q = self.value(r, self.qty)
        return blank(self.value(r, self.asset)) and (blank(q) or q == 0)

    def read(self, stop: int, *, to_end: bool) -> Reading:
        out = Reading()
        r = self.h.row + 1
        gap: int | None = None
        first_texts = self.h.texts
        sums: dict[int, float] = {}
        rows = self.sheet.rows
        n = len(rows)
        while r <= stop:
            if gap is None and r < n and self.plain(rows[r], to_end):
                out.rows.append(r)
                self.add(rows[r], sums)
                out.last_row = r
                r += 1
                continue
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
            if self.heading(r) and self._row_follows(r, stop):
                if gap is not None and not to_end:
                    out.notes.append(self._gap_note(gap, r))
                out.headings.append(r)
                out.last_row = r
                gap = None
                r += 1
                continue
            if gap is not None and not to_end:
                if not self.like_a_row(r) or self.other_header(r):
                    return out
                out.notes.append(self._gap_note(gap, r))
            elif not to_end and not self.like_a_row(r) and self.other_header(r):
                return out
            gap = None
            if not self.template(r):
                out.rows.append(r)
                self.add(rows[r] if r < n else (), sums)
            out.last_row = r
            r += 1
        return out

    def _gap_note(self, gap: int, r: int) -> Issue:
        return Issue(sheet_ref(self.sheet.name, f"A{gap + 1}:A{r}"),
                     f"empty row(s) {gap + 1}–{r} inside the holdings table; the rows after "
                     "them have the same columns and are read as positions.", "warning")

    def heading(self, r: int) -> bool:
        """A section heading between positions (``Technology``, a merged band ``A｜Core
        35%``): one text and nothing else on the row; a ticker alone is a position missing
        its numbers, and stays a row (its errors say so)."""
        filled = [v for v in self.span(r) if not blank(v)]
        if len(filled) != 1 or type(filled[0]) is not str:
            return False
        text = filled[0].strip()
        return not total_word(text) and not _TICKER.fullmatch(text)

    def _row_follows(self, r: int, stop: int) -> bool:
        for k in range(r + 1, min(stop, r + 3) + 1):
            if not self.empty(k):
                return self.like_a_row(k)
        return False

    def _next_block(self, r: int, stop: int) -> Header | None:
        """The repeat of the header that starts the next block, past empty rows, totals rows
        and up to two title rows (``DeFi``, ``Wallet B``)."""
        titles = 0
        while r <= stop and self.same_header(r) is None and (
                self.empty(r) or self.is_total(r) or (titles < 2 and self._title(r))):
            titles += 0 if self.empty(r) else 1
            r += 1
        return self.same_header(r) if r <= stop else None

    def _title(self, r: int) -> bool:
        row = self.sheet.rows[r] if r < len(self.sheet.rows) else ()
        filled = [v for v in row if not blank(v)]
        return len(filled) == 1 and type(filled[0]) is str

    def _stack(self, again: Header, out: Reading, first_texts: dict[int, str]) -> int:
        """A repeat of the header: the next block of the same table (wallets stacked)."""
        if out.label_col is None:
            for c, text in sorted(again.texts.items()):
                if c not in self.h.columns.values() and first_texts.get(c) != text \
                        and c < self.asset:
                    out.label_col = c
                    break
        out.last_row = again.row
        return again.row + 1


def total_word(text: str) -> bool:
    """A totals row's label, in any language of the vocabulary (``Total``, ``Summe``,
    ``Итого``, ``合計``); long texts are names, not labels."""
    return len(text) <= 40 and vocabulary.total_word(text)
