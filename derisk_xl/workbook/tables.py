"""Finding the holdings in a workbook we did not make (SPEC 3.9, items 1–3 and 10).

Users keep their positions on a sheet called Portfolio or Dashboard, under a title block, with a
totals row, a second table below, wallets stacked one under another. This module answers one
question — which rows of which sheet are the positions, and which column is which field — from
the grid alone (pure: no file, so the Excel button and the file reader find the same tables).

The order of choice:

1. an explicit choice: Settings ``Holdings Sheet`` or ``--holdings`` (a sheet, an Excel Table,
   or a range such as ``Portfolio!B10:H40``);
2. a sheet or Excel Table named Holdings;
3. otherwise the candidates over every sheet and Excel Table, to be tried best first
   (:func:`ranked`): a header row whose words name an asset, a quantity and a price (or value),
   or a row of texts above rows whose numbers show them (:mod:`.mapping`, :mod:`.identity`),
   each settled by its rows. The score is ``3 × recognised columns + ⌊2·log2(1 + rows)⌋ + 4 if
   its sheet or Table is named like holdings`` (Portfolio, Positions, Balances, Holdings,
   Assets, Wallets). Rows count on a log scale (doubling them adds 2) so that a table a few
   rows longer does not beat an earlier one: scores within :data:`TIE` of the best are equals
   and go to tab order (people keep their main table first), and a candidate within
   :data:`CLOSE` of the one taken is named in a warning with the setting that picks it.

The contract (:mod:`.holdings`) reads them in turn: a log, a table with no rows or one whose
rows all fail is set aside, and a refusal (:func:`refusal`) names every candidate and why.
Where a table ends is :mod:`.blocks`'; logs, snapshots and lots are :mod:`.logs`'. The explicit
choice and a sheet named Holdings are read to their end: empty rows, totals rows and repeated
headers are skipped, every other row is a row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ..core.issues import Issue
from .blocks import TableRows
from .grid import SheetGrid, TableRef, WorkbookGrid, coordinate, sheet_ref
from .headers import HEADER_SEARCH_ROWS, Header, HoldingsTable, blank, read_header_row
from .identity import NUMBER_FIELDS, number_of
from .mapping import HandMapping, header_like, settle
from .logs import buys_and_sells, judge_log, logs_by_sheet, price_history
from .vocabulary import FIELD_TITLES, PLAN_NORMS, norm

#: Candidates this close score as equals: the first in tab order is taken.
TIE = 2
#: A candidate this close to the one taken is named in a warning.
CLOSE = 3
#: A header sits within this many non-empty rows of the top of its sheet when the sheet is named.
_NAME_WORDS = ("portfolio", "position", "balance", "holding", "asset", "wallet")
_RANGE = re.compile(r"^\s*(?:'((?:[^']|'')+)'|([^!]+))!\s*\$?([A-Za-z]{1,3})\$?(\d+)\s*:"
                    r"\s*\$?([A-Za-z]{1,3})\$?(\d+)\s*$")


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
    rows = TableRows(sheet, header)
    reading = rows.read(stop, to_end=to_end)
    last = max(reading.last_row, header.row)
    t = HoldingsTable(sheet, header, tuple(reading.rows), last, reading.label_col, how,
                      tuple(reading.notes), name=name, totals=tuple(reading.totals),
                      headings=tuple(reading.headings))
    t, log = judge_log(t, named=to_end)
    # a table chosen or named needs no score; a found one is scored by its rows, an Excel
    # Table read to its range too
    clean = 0 if how != "found" else sum(1 for r in t.rows if rows.like_a_row(r) and isinstance(
        sheet.value(r, header.columns["asset"]), str))
    return replace(t, score=score(header, clean, name), log=log)


def headers_at(sheet: SheetGrid, r: int, hand: HandMapping | None = None, c0: int = 0,
               c1: int | None = None) -> list[Header]:
    """The holdings headers on row ``r``, settled by their rows (:func:`.mapping.settle`): the
    words' headers that name an asset, a quantity and a price or value; else, on a row that looks
    like a header above rows of numbers, whatever the numbers make of it (SPEC 3.9 item 8)."""
    words = read_header_row(sheet, r, c0, c1)
    if hand:
        words = [_with_hand(sheet, h, hand) for h in words] or \
            [h for h in [_with_hand(sheet, bare_header(sheet, r, c0, c1), hand)] if h.columns]
    qualified = [h for h in words if h.qualifies]
    if qualified:
        return [settle(sheet, h, hand) for h in qualified]
    row = sheet.rows[r] if 0 <= r < len(sheet.rows) else ()
    if not header_like(row, c0, c1) or not _numbers_follow(sheet, r, c0, c1):
        return []
    base = words[0] if words else bare_header(sheet, r, c0, c1)
    if base is None:
        return []
    return [settle(sheet, base, hand)]


def _with_hand(sheet: SheetGrid, h: Header | None, hand: HandMapping) -> Header | None:
    if h is None:
        return None
    cols, _ = hand.columns(sheet, h.row, h.first_col, h.last_col)
    if not cols:
        return h
    columns = {f: c for f, c in h.columns.items() if c not in cols.values()}
    columns.update(cols)
    return replace(h, columns=columns)


def bare_header(sheet: SheetGrid, r: int, c0: int = 0, c1: int | None = None) -> Header | None:
    """A header row none of whose words are known: its span, for the numbers to read."""
    row = sheet.rows[r] if 0 <= r < len(sheet.rows) else ()
    last = len(row) - 1 if c1 is None else min(c1, len(row) - 1)
    cols = [c for c in range(c0, last + 1) if not blank(row[c])]
    if len(cols) < 2:
        return None
    return Header(r, cols[0], cols[-1], {}, {c: str(row[c]).strip() for c in cols}, {})


def _numbers_follow(sheet: SheetGrid, r: int, c0: int, c1: int | None) -> bool:
    """The next non-empty row (of the next three) holds at least two numbers."""
    for k in range(r + 1, min(r + 4, len(sheet.rows))):
        span = sheet.rows[k][c0:None if c1 is None else c1 + 1]
        if all(blank(v) for v in span):
            continue
        return sum(1 for v in span if number_of(v) is not None) >= 2
    return False


def candidates(grid: WorkbookGrid, hand: HandMapping | None = None) -> list[HoldingsTable]:
    """Every table that names (or whose numbers show) an asset, a quantity and a price or value,
    in tab order."""
    found: list[HoldingsTable] = []
    covered: set[tuple[str, int]] = set()
    for sheet in grid.sheets:
        if norm(sheet.name) in PLAN_NORMS:
            continue
        r, n = 0, len(sheet.rows)
        while r < n:
            row = sheet.rows[r]
            if sum(type(v) is str for v in row) < 2:
                r += 1
                continue
            headers = [h for h in headers_at(sheet, r, hand) if h.qualifies]
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
        for h in headers_at(sheet, tref.first_row, hand, tref.first_col, tref.last_col):
            if h.qualifies:
                found.append(_read(sheet, h, tref.last_row, to_end=True, how="found",
                                   name=f"{sheet.name} {tref.name}"))
    return logs_by_sheet(found)


def _continue_stack(sheet: SheetGrid, h: Header, t: HoldingsTable,
                    table: TableRef) -> HoldingsTable:
    """An Excel Table that ends where the next wallet's block begins: read the blocks on."""
    rows = TableRows(sheet, h)
    more = rows.read(len(sheet.rows) - 1, to_end=False)
    if more.rows[:len(t.rows)] != list(t.rows) or len(more.rows) <= len(t.rows) or \
            more.label_col is None and not more.totals:
        return t
    return replace(t, rows=tuple(more.rows), last_row=more.last_row, label_col=more.label_col,
                   issues=t.issues + tuple(more.notes), totals=tuple(more.totals),
                   headings=tuple(more.headings),
                   score=t.score + score(h, len(more.rows), t.name) - score(h, len(t.rows),
                                                                             t.name))


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
               c1: int | None = None, hand: HandMapping | None = None) -> Header | None:
    """The first row (of the first :data:`HEADER_SEARCH_ROWS` non-empty ones) whose header
    names, or whose numbers show, the asset, the quantity and the price or value; else the best
    partial header, for messages."""
    best, seen = None, 0
    for r in range(first, min(last, len(sheet.rows) - 1) + 1):
        row = sheet.rows[r]
        if all(blank(v) for v in row):
            continue
        seen += 1
        for h in headers_at(sheet, r, hand, c0, c1):
            if h.qualifies:
                return h
        for h in read_header_row(sheet, r, c0, c1):
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


@dataclass(frozen=True)
class Found:
    """What the finding gives the contract: the tables to try in turn, best first (SPEC 3.9
    item 10), every candidate seen (for messages), and the errors when none can be tried."""

    tables: tuple[HoldingsTable, ...] = ()
    every: tuple[HoldingsTable, ...] = ()
    issues: tuple[Issue, ...] = ()
    explicit: bool = False  # chosen or named: that table or nothing


def find_holdings(grid: WorkbookGrid, choice: Choice | None = None,
                  hand: HandMapping | None = None) -> Found:
    """The holdings tables of ``grid`` to try, best first (SPEC 3.9 items 1–3 and 10)."""
    if choice is not None:
        return _one(_chosen(grid, choice, hand))
    sheet, table = _named(grid, "Holdings")
    if sheet is not None:
        return _one(_whole(grid, sheet, table, "the sheet named Holdings" if table is None
                           else f"the Excel Table {table.name}", None, hand=hand))
    every = candidates(grid, hand)
    return Found(tuple(ranked([t for t in every if not t.log])), tuple(every))


def _one(found: tuple[HoldingsTable | None, tuple[Issue, ...]]) -> Found:
    table, issues = found
    return Found((table,) if table is not None else (), (), issues if table is None else (),
                 explicit=True)


def ranked(holdings: list[HoldingsTable]) -> list[HoldingsTable]:
    """Best first by :func:`score`; scores within :data:`TIE` of the best are equals and go to
    tab order, and so on for the rest."""
    left = list(holdings)
    out = []
    while left:
        top = max(t.score for t in left)
        best = next(t for t in left if t.score >= top - TIE)
        out.append(best)
        left.remove(best)
    return out


def taken_warnings(grid: WorkbookGrid, found: Found, best: HoldingsTable) -> tuple[Issue, ...]:
    """What a found table's reading says of the others: a close rival, with the setting that
    picks it, and what else on its sheet is not planned."""
    if found.explicit:
        return ()
    issues = []
    holdings = [t for t in found.tables if t is not best]
    rivals = [t for t in holdings if t.score >= best.score - CLOSE]
    if rivals:
        other = rivals[0]
        key = _key_for(grid, other, list(found.every))
        issues.append(Issue(best.where, (
            f"{other.where} also looks like holdings ({len(other.rows)} rows; "
            f"{_mapping_words(other)}; score {other.score} against {best.score}; scores within "
            f"{TIE} are equals and go to tab order). To plan it instead, set Settings Holdings "
            f"Sheet to {key} or run with --holdings {_quoted(key)}."), "warning"))
    left = _left_out(best, list(found.every))
    if left:
        issues.append(left)
    return tuple(issues)


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
             if any(not blank(v) for v in sheet.rows[r])]
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
           choice: Choice | None, bounds: tuple[int, int, int, int] | None = None,
           hand: HandMapping | None = None) -> tuple[HoldingsTable | None, tuple[Issue, ...]]:
    """A sheet, Table or range chosen by name: read to its end."""
    if table is not None:
        bounds = (table.first_row, table.first_col, table.last_row, table.last_col)
    if bounds is not None:
        r0, c0, r1, c1 = bounds
        header = _header_in(sheet, r0, r0, c0, c1, hand)
    else:
        r0, c0, r1, c1 = 0, 0, len(sheet.rows) - 1, None
        header = _header_in(sheet, 0, r1, hand=hand)
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
    if not sheet.rows or all(all(blank(v) for v in r) for r in sheet.rows):
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


def _chosen(grid: WorkbookGrid, choice: Choice, hand: HandMapping | None = None
            ) -> tuple[HoldingsTable | None, tuple[Issue, ...]]:
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
        return _whole(grid, sheet, None, how, choice, (r0, c0, r1, c1), hand)
    sheet, table = _named(grid, choice.text)
    if sheet is None:
        tables = ", ".join(t.name for t in grid.tables) or "none"
        return None, (Issue(choice.origin, (
            f"{choice.label} is {choice.text!r}: no sheet, Excel Table or range of that name. "
            f"Sheets: {', '.join(grid.sheet_names) or 'none'}; Excel Tables: {tables}; or give "
            "a range such as Portfolio!B10:H40.")),)
    return _whole(grid, sheet, table, how, choice, hand=hand)


def _lacks(sheet: SheetGrid, partial: Header) -> str:
    """What a sheet's best header lacks, in words: the fields no column gives, and the columns
    whose cells are not what their header says (``'Quantity' holds text, not numbers``)."""
    settled = settle(sheet, partial)
    cols = settled.columns
    missing = [FIELD_TITLES[f].lower() for f in ("asset", "quantity") if f not in cols]
    if "price" not in cols and "value" not in cols:
        missing.append("price or value")
    have = [f"{FIELD_TITLES[f]} ← {partial.texts[c]}" for f, c in
            sorted(cols.items(), key=lambda x: x[1]) if c in partial.texts]
    wrong = [f"{partial.texts[c]!r} ({coordinate(partial.row, c)}) holds "
             f"{'text, not numbers' if f in NUMBER_FIELDS else 'numbers, not names'}"
             for f, c in sorted(partial.columns.items(), key=lambda x: x[1])
             if f not in cols and c in partial.texts]
    said = "; ".join(x for x in (", ".join(have), ", ".join(wrong)) if x)
    action = buys_and_sells(sheet, partial.row, partial.texts,
                            range(partial.row + 1, min(len(sheet.rows), partial.row + 201)))
    if action:
        return (f"{sheet.name} looks like a transaction log (its {action!r} column holds buys "
                "and sells), not holdings")
    return f"{sheet.name} has no {' and no '.join(missing)} column" + (f" ({said})" if said
                                                                        else "")


#: What a refusal of an unclear table tells the user to do (SPEC 3.9 items 1 and 12).
FIX = ("Name the sheet with your positions Holdings (columns Asset, Quantity, Price), or set "
       "Settings Holdings Sheet (or --holdings) to its sheet, Excel Table or range; a column "
       "can be mapped by hand with Settings Asset Column, Quantity Column, Price Column, Value "
       "Column … (or --column quantity=HEADER).")


def refusal(grid: WorkbookGrid, found: Found,
            set_aside: list[tuple[HoldingsTable, str]] = ()) -> Issue:
    """One sentence saying what was looked at: every candidate tried and why it was set aside,
    every other sheet and why it holds none, and the edit that would make it work."""
    source = grid.source or "The workbook"
    seen = [f"{t.where} {why}" for t, why in set_aside]
    logs: dict[str, list[str]] = {}
    for t in found.every:
        if t.log:
            logs.setdefault(t.log, []).append(t.where)
    for why, wheres in logs.items():
        shown = ", ".join(wheres[:3]) + (f" and {len(wheres) - 3} more" if len(wheres) > 3
                                         else "")
        seen.append(f"{shown} {'is' if len(wheres) == 1 else 'are'} not holdings: {why}")
    looked = {t.sheet.name for t in found.every}
    for sheet in grid.sheets:
        if norm(sheet.name) in PLAN_NORMS or sheet.name in looked:
            continue
        history = price_history(sheet)
        if history:
            seen.append(history)
            continue
        partial = _header_in(sheet, 0, len(sheet.rows) - 1)
        if partial is not None and partial.columns:
            seen.append(_lacks(sheet, partial))
        elif any(any(not blank(v) for v in r) for r in sheet.rows):
            seen.append(f"{sheet.name} has no header naming an asset, a quantity and a price")
        else:
            seen.append(f"{sheet.name} is empty")
    where = set_aside[0][0].where if len(set_aside) == 1 and not seen[1:] else ""
    return Issue(where, f"{source} has no holdings table: {'; '.join(seen) or 'it has no sheets'}."
                        f" {FIX}")


__all__ = ["CLOSE", "Choice", "FIX", "Found", "Header", "HoldingsTable", "candidates",
           "find_holdings", "headers_at", "price_history", "ranked", "read_header_row", "refusal",
           "score", "taken_warnings"]
