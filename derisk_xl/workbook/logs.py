"""Logs, snapshots and price histories are not holdings (SPEC 3.9 item 3).

A table with a date column in which the same asset repeats is one of three things:
- a series of snapshots — every row dated (a date, or a timestamp written as text), each date
  listing each asset once — of which the latest is read;
- a list of purchase lots — no buys and sells, no negative quantity, and one current price per
  asset on all of its rows (a transaction log has a price per trade) — whose lots are added up
  into one position per asset (and venue), with a warning;
- otherwise a transaction log, which is refused with what to do.
A price history (dates down, and across them columns whose headers are not field words, the
assets) is recognised so that a refusal can say what the sheet is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Iterable
from dataclasses import replace

from ..core.currencies import is_currency
from ..core.issues import Issue
from .grid import SheetGrid, coordinate, sheet_ref
from .headers import HEADER_SEARCH_ROWS, HoldingsTable, blank, header_word, is_number
from .identity import number_of
from .vocabulary import norm

_DATE_WORDS = frozenset({"date", "time", "timestamp", "datetime", "asof", "snapshot", "day",
                         "datum", "dátum", "fecha", "data", "month", "week"})
#: Words that make a date column wherever they stand in its header (``Acquisition Date``,
#: ``date_purchased``, ``Дата покупки``); ``day`` or ``time`` alone would take ``Day return``.
_DATE_TOKENS = frozenset({"date", "timestamp", "datetime", "datum", "dátum", "fecha", "дата",
                          "日期", "日付", "날짜", "tanggal", "tarih"})
_ACTION_WORDS = frozenset({"action", "side", "type", "transaction", "transactiontype",
                           "operation", "txtype", "tradetype", "buy/sell"})
_ACTION_VALUES = frozenset({"buy", "sell", "deposit", "withdraw", "withdrawal", "transfer",
                            "bought", "sold", "airdrop", "stake", "reward", "fee", "swap"})


def _date_column(t: HoldingsTable) -> int | None:
    sheet, rows = t.sheet, t.rows
    for c, text in sorted(t.header.texts.items()):
        if c in t.header.columns.values():
            continue
        if norm(text).rstrip(":") in _DATE_WORDS or _DATE_TOKENS & set(
                re.split(r"[^\w]+|_", text.lower())) or \
                getattr(header_word(text), "other", None) == "date":
            return c
    if not rows:
        return None
    sample = rows[:200]  # a date column shows in its first rows
    for c in range(t.header.first_col, t.header.last_col + 1):
        if c in t.header.columns.values():
            continue
        dates = sum(stamp(sheet.value(r, c)) is not None for r in sample)
        if dates >= 0.8 * len(sample):
            return c
    return None


def _key(t: HoldingsTable, r: int) -> tuple:
    venue = t.header.columns.get("venue")
    a = t.sheet.value(r, t.header.columns["asset"])
    return (norm(a) if a is not None else "", norm(t.sheet.value(r, venue)) if venue is not None
            else "")


def buys_and_sells(sheet: SheetGrid, header_row: int, texts: dict[int, str],
                   rows: Iterable[int]) -> str:
    """The header of a column of buys and sells (``Type``: BUY, SELL), or ``""``."""
    rows = list(rows)
    for c, text in texts.items():
        if norm(text) in _ACTION_WORDS or getattr(header_word(text), "other", None) == "side":
            values = {norm(sheet.value(r, c)) for r in rows if type(sheet.value(r, c)) is str}
            if values & _ACTION_VALUES:
                return text
    return ""


def logs_by_sheet(tables: list[HoldingsTable]) -> list[HoldingsTable]:
    """Tables of the same dated columns on several sheets (a sheet per coin, each listing its
    purchases) are one log kept a sheet at a time: each is marked a log (SPEC 3.9 item 3)."""
    groups: dict[tuple, list[HoldingsTable]] = {}
    for t in tables:
        if t.log or _date_column(t) is not None:
            key = tuple(norm(x) for _, x in sorted(t.header.texts.items()))
            groups.setdefault(key, []).append(t)
    marked: dict[int, str] = {}
    for group in groups.values():
        sheets = [t.sheet.name for t in group]
        if len(set(sheets)) < 2:
            continue
        shown = ", ".join(sheets[:4]) + (" …" if len(sheets) > 4 else "")
        for t in group:
            if t.log:
                continue
            marked[id(t)] = (f"the same dated columns are on {len(sheets)} sheets "
                             f"({shown}), a log kept one sheet per asset")
    return [replace(t, log=marked[id(t)]) if id(t) in marked else t for t in tables]


def judge_log(t: HoldingsTable, named: bool = False) -> tuple[HoldingsTable, str]:
    """(the table, why it is a log) — a snapshot series comes back as its latest snapshot.

    ``named``: the table was chosen by name (a sheet named Holdings, Settings, --holdings),
    where the same asset on several rows with a date beside it may be positions bought on
    different days (SPEC 3.1): only a column of buys and sells makes it a log there.
    """
    sheet = t.sheet
    texts = {c: x for c, x in t.header.texts.items() if c not in t.header.columns.values()}
    action = buys_and_sells(sheet, t.header.row, texts, t.rows)
    if action:
        return t, (f"it has a {action!r} column of buys and sells, so it looks like a "
                   "transaction log")
    date_col = _date_column(t)
    if date_col is None or not t.rows:
        return t, ""
    keys = [_key(t, r) for r in t.rows]
    if len(set(keys)) == len(keys):
        return t, ""
    stamps = [stamp(sheet.value(r, date_col)) for r in t.rows]
    dated = all(s is not None for s in stamps)
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
            return replace(t, rows=rows, issues=t.issues + (note,)), ""
    if named:
        return t, ""
    lots = _purchase_lots(t, keys)
    if lots is not None:
        return lots, ""
    counts = Counter(keys)
    first = next(k for k in keys if counts[k] > 1)
    again = [r + 1 for r, k in zip(t.rows, keys) if k == first][:3]
    asset = t.sheet.value(again[0] - 1, t.header.columns["asset"])
    return t, (f"it has a date column ({head}) and the same asset repeats ({asset} on rows "
               f"{', '.join(map(str, again))}), so it looks like a transaction log")


_STAMP = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def stamp(v: object) -> dt.datetime | dt.date | None:
    """A date, or a timestamp stored as text (``2025-01-11 14:21:12``); None for anything else."""
    if isinstance(v, (dt.date, dt.datetime)):
        return v
    if type(v) is str:
        m = _STAMP.match(v)
        if m:
            try:
                return dt.datetime(*(int(g) for g in m.groups(default="0")))
            except ValueError:
                return None
    return None


def _purchase_lots(t: HoldingsTable, keys: list[tuple]) -> HoldingsTable | None:
    """Lots bought on several days of assets priced today: no buys and sells (checked by the
    caller), no negative quantity, and one current price per asset on all its rows."""
    cols = t.header.columns
    price = cols.get("price")
    if price is None:
        return None
    sheet = t.sheet
    prices: dict[tuple, set] = {}
    for r, k in zip(t.rows, keys):
        q = number_of(sheet.value(r, cols["quantity"]))
        if q is not None and q < 0:
            return None
        prices.setdefault(k, set()).add(number_of(sheet.value(r, price)))
    repeated = [k for k in prices if keys.count(k) > 1]
    if not repeated or any(len(prices[k]) != 1 or None in prices[k] for k in repeated):
        return None
    note = Issue(t.where, (
        f"{t.where} lists purchase lots ({len(t.rows)} rows of {len(prices)} assets, dated, "
        "each asset at one current price): the lots of each asset are added up into one "
        "position, at their average cost."), "warning")
    return replace(t, lots=True, issues=t.issues + (note,))


def _asset_name(text: str) -> bool:
    """A header that can be an asset's name across a price history: no field's word, or a coin
    or currency code alone (``MKR``, which a header reads as an amount in MKR)."""
    w = header_word(text)
    return (w.field is None and not getattr(w, "other", None)) or is_currency(text)


def _names_down(below: list[tuple], date_col: int, numeric: list[int]) -> bool:
    """A column of text names down the rows: the assets are down, not across (a log or market
    data, not a price history)."""
    filled = [x for x in below if any(not blank(v) for v in x)]
    width = max((len(x) for x in filled), default=0)
    for k in range(width):
        if k == date_col or k in numeric:
            continue
        texts = [x[k] for x in filled if k < len(x) and type(x[k]) is str and x[k].strip()]
        if len(texts) >= 0.6 * len(filled) and len(set(texts)) >= 2:
            return True
    return False


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
                    not blank(v) for v in x)]):
                numeric = [k for k in texts if k != c and sum(
                    is_number(x[k]) for x in below if k < len(x)) >= 0.6 * dates]
                # across are assets: headers that are no field's words (Quantity, Price …)
                named = [k for k in numeric if _asset_name(str(row[k]).strip())]
                if len(numeric) >= 2 and len(named) >= 0.6 * len(numeric) and \
                        not _names_down(below, c, numeric):
                    span = f"{coordinate(r, min(texts + [c]))}:{coordinate(r + len(below), max(texts))}"
                    return (f"{sheet_ref(sheet.name, span)} is a price history (dates down, "
                            f"{', '.join(str(row[k]).strip() for k in numeric[:4])} … across), "
                            "not holdings")
        break
    return None
