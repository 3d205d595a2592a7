"""Which column is which: the words propose, the numbers decide, the user's hand has the last word
(SPEC 3.9 items 8, 10 and 12).

:func:`settle` turns a header row understood by its words (:mod:`.headers`) into the mapping the
rows bear out: columns whose cells are of the wrong kind are dropped (a column of text is no
quantity, a column of prices headed ``Exchange`` is no venue), the identities of
:mod:`.identity` decide the quantity, price and value, an asset column of Excel errors gives way
to another identifier column, a pandas index is not data, and a column mapped by hand (Settings
``Quantity Column`` or ``--column quantity=…``) wins over all of it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .grid import SheetGrid, column_letter
from .headers import Header, blank, words_of
from .identity import (
    CHECK_ROWS, TELL_ROWS, Profile, number_of, profiles, resolve, valid_words,
)
from .vocabulary import FIELD_TITLES, HeaderWord, norm

#: The fields a user may map by hand, with the Settings key of each (SPEC 3.9 item 12).
HAND_FIELDS = ("asset", "quantity", "price", "value", "avg_cost", "cost_basis", "venue",
               "category")
HAND_KEYS = {f: f"{FIELD_TITLES[f]} Column" for f in HAND_FIELDS}
_LETTERS = re.compile(r"^\$?([A-Za-z]{1,3})$")


@dataclass(frozen=True)
class HandMapping:
    """Columns mapped by hand: (field, header text or column letter, where it was said)."""

    entries: tuple[tuple[str, str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def columns(self, sheet: SheetGrid, header_row: int, c0: int, c1: int
                ) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
        """(field → column on this header row, the entries it does not have)."""
        found: dict[str, int] = {}
        missing = []
        row = sheet.rows[header_row] if 0 <= header_row < len(sheet.rows) else ()
        for f, text, origin in self.entries:
            key = norm(text)
            col = next((c for c in range(c0, min(c1, len(row) - 1) + 1)
                        if isinstance(row[c], str) and norm(row[c]) == key), None)
            if col is None:
                m = _LETTERS.match(text.strip())
                if m:
                    col = _letters_index(m.group(1))
            if col is None:
                missing.append((f, text, origin))
            else:
                found[f] = col
        return found, missing

    def texts(self) -> set[str]:
        return {norm(t) for _, t, _ in self.entries if not _LETTERS.match(t.strip())}


def _letters_index(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col - 1


def hand_field(name: str) -> str | None:
    """``Avg Cost``, ``avg_cost``, ``avgcost`` → ``avg_cost``; None for a field no one maps."""
    key = norm(name).replace("-", "")
    for f in HAND_FIELDS:
        if key in (norm(f), norm(FIELD_TITLES[f])):
            return f
    return None


def header_words(sheet: SheetGrid, row: int, c0: int, c1: int) -> dict[int, HeaderWord]:
    return words_of(sheet.rows[row] if 0 <= row < len(sheet.rows) else (), c0, c1)


def header_like(row: Sequence[object], c0: int = 0, c1: int | None = None) -> bool:
    """A row that may be a header: at least two text cells, and no numbers or dates, not even
    stored as text (a data row of a book whose every number is text is no header)."""
    texts = 0
    for v in row[c0:None if c1 is None else c1 + 1]:
        if v is None:
            continue
        if type(v) is str:
            if v.strip():
                if number_of(v) is not None or _STAMP_TEXT.match(v):
                    return False
                texts += 1
            continue
        return False
    return texts >= 2


#: What a ticker looks like (``BTC``, ``BRK.B``, ``RELIANCE.NS``, ``7203.T``), not a name.
_TICKERISH = re.compile(r"[A-Z0-9][A-Z0-9.\-/:_$]{0,14}|[a-z0-9]{2,10}")
_STAMP_TEXT = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def rough_rows(sheet: SheetGrid, header: Header, limit: int = CHECK_ROWS) -> list[int]:
    """The rows under a header that may be its table's, for the numbers to be read on: up to two
    empty rows in a row, or the next row that looks like a header, ends them; a repeat of the
    header (wallets stacked), and a title over it, are stepped over."""
    out: list[int] = []
    gap = 0
    c0, c1 = header.first_col, header.last_col
    head = [norm(v) if type(v) is str else v for v in sheet.rows[header.row][c0:c1 + 1]]
    for r in range(header.row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        span = row[c0:c1 + 1]
        if all(blank(v) for v in span):
            gap += 1
            if gap >= 3 and out:
                break
            continue
        if [norm(v) if type(v) is str else v for v in span] == head:
            gap = 0
            continue  # the next block's header
        if out and header_like(span):
            nxt = sheet.rows[r + 1][c0:c1 + 1] if r + 1 < len(sheet.rows) else ()
            if [norm(v) if type(v) is str else v for v in nxt] != head:
                break  # another table's header (not a title over a repeat of ours)
            continue
        gap = 0
        out.append(r)
        if len(out) >= limit:
            break
    return out


def _identifier(prof: Mapping[int, Profile], words: Mapping[int, HeaderWord],
                exclude: set[int], sheet: SheetGrid, rows: Sequence[int]) -> int | None:
    """A text column of distinct identifiers (the asset when no word names one): tickers before
    names, the leftmost first."""
    best: tuple | None = None
    # a position's row has two numbers that are not 0 (template rows are a row number and
    # zeros, a totals row one sum)
    data = sum(1 for r in rows if r < len(sheet.rows) and sum(
        1 for v in sheet.rows[r] if type(v) is not bool and number_of(v)) >= 2)
    for c, p in prof.items():
        if c in exclude or not p.textual or p.texts < max(1, 0.6 * min(data, len(rows))):
            continue
        w = words.get(c)
        if w is not None and (w.field in ("venue", "category", "protect") or
                              getattr(w, "other", None)):
            continue
        if p.distinct < max(1, 0.5 * p.texts) or (len(rows) > 2 and p.distinct < 2):
            continue
        values = [sheet.value(r, c) for r in rows]
        if sum(1 for v in values if type(v) is str and _STAMP_TEXT.match(v)) > p.texts / 2:
            continue  # dates written as text are no identifiers
        tickers = sum(1 for v in values if type(v) is str and _TICKERISH.fullmatch(v.strip()))
        rank = (w.rank if w is not None and w.field == "asset" else 9, -tickers, c)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


def _readable_asset(sheet: SheetGrid, rows: Sequence[int], columns: dict[str, int],
                    prof: Mapping[int, Profile], words: Mapping[int, HeaderWord]
                    ) -> tuple[dict[str, int], str]:
    """Asset cells that are Excel errors (``#VALUE!`` of linked data types) give way to another
    identifier column of the same table (SPEC 3.9 item 10)."""
    a = columns.get("asset")
    p = prof.get(a) if a is not None else None
    if p is None or p.errors <= p.texts:
        return columns, ""
    exclude = set(columns.values())
    other = _identifier(prof, {c: w for c, w in words.items() if c != a}, exclude, sheet, rows)
    if other is None:
        return columns, ""
    return {**columns, "asset": other}, (f"the asset cells under {column_letter(a)} are Excel "
                                         f"errors, so {column_letter(other)} is the asset")


def settle(sheet: SheetGrid, header: Header, hand: HandMapping | None = None,
           rows: Sequence[int] | None = None) -> Header:
    """The header with the mapping its rows bear out (see the module docstring)."""
    c0, c1 = header.first_col, header.last_col
    more = None
    if rows is None:
        rows = rough_rows(sheet, header)
        more = functools.partial(rough_rows, sheet, header, TELL_ROWS)
    words = header_words(sheet, header.row, c0, c1)
    prof = profiles(sheet, rows[:CHECK_ROWS], c0, c1)
    hand_cols: dict[str, int] = {}
    if hand:
        hand_cols, _ = hand.columns(sheet, header.row, c0, c1)
    index = {c for c, p in prof.items() if p.index and _unnamed(sheet.value(header.row, c))}
    proposal = valid_words({f: c for f, c in header.columns.items() if c not in index}, prof)
    proposal.update(hand_cols)
    others = frozenset(c for c, w in words.items() if getattr(w, "other", None)) - set(
        hand_cols.values())
    note = ""
    if "asset" in proposal and "asset" not in hand_cols:
        proposal, note = _readable_asset(sheet, rows[:CHECK_ROWS], proposal, prof, words)
    if "asset" not in proposal:
        a = _identifier(prof, words, set(proposal.values()) | index | set(others), sheet,
                        rows[:CHECK_ROWS])
        if a is not None:
            proposal["asset"] = a
    reading = resolve(sheet, words, proposal, rows, c0, c1, hand_cols, others | index,
                      asset_col=proposal.get("asset"), prof=prof, more=more)
    columns = dict(reading.columns)
    columns.update(hand_cols)
    texts = dict(header.texts)
    for c, w in words.items():
        texts.setdefault(c, str(sheet.value(header.row, c)).strip())
    for c in columns.values():
        if c not in texts:
            v = sheet.value(header.row, c)
            texts[c] = str(v).strip() if not blank(v) else f"column {column_letter(c)}"
    currencies = {f: words[c].currency for f, c in columns.items()
                  if c in words and words[c].currency}
    doubles = tuple(d for d in header.doubles if columns.get(d[0]) == d[1]
                    and d[2] not in columns.values())
    notes = (note,) if note else ()
    return replace(header, columns=columns, texts=texts, currencies=currencies, doubles=doubles,
                   evidence=reading.evidence if reading.decided_by or not _words_only(
                       header, columns) else "",
                   other=reading.other, notes=notes, hand=tuple(hand_cols))


_INDEX_HEADS = frozenset({"", "#", "no", "no.", "nr", "nr.", "sno", "s.no", "sr", "srno",
                          "sl", "slno", "index", "idx", "n"})


def _unnamed(v: object) -> bool:
    """A header a row-number column has: none (pandas writes its index so), ``#``, ``No.``."""
    return blank(v) or (type(v) is str and norm(v).rstrip(".") in _INDEX_HEADS)


def _words_only(header: Header, columns: dict[str, int]) -> bool:
    return all(header.columns.get(f) == c for f, c in columns.items())


__all__ = ["HAND_FIELDS", "HAND_KEYS", "HandMapping", "hand_field", "header_like",
           "header_words", "rough_rows", "settle"]
