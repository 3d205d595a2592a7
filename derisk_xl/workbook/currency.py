"""Several currencies in one table (SPEC 3.10): the currency of every money cell, the base
currency, and the rate each row is converted at.

Every money column has a currency: the one its header names, else the one a per-row Currency
column gives, else the base currency. A price in no named currency beside one named in the base
currency gives way to the named one (``Current Price`` in BTC beside ``USD equivalent of
current price``). The base currency is Settings ``Base Currency``, else the value column's
(the book's own total is in it), else the one most rows are in, else the quote all pair tickers
share, else USD. A row in another currency is converted, in this order, by: a value column in the
base currency on the row (its price is that value ÷ the quantity); a rate column of the table;
Settings ``FX <CUR>`` or the FX sheet (:mod:`.fx`). A currency with no rate refuses the run: it is
never taken for the base. Stablecoins count as the currency they track (USDT is USD).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.currencies import MINOR_UNITS, STABLECOINS, is_currency, tracks
from ..core.issues import Issue
from ..core.model import Rate, Settings
from .headers import HoldingsTable, blank, header_word
from .identity import number_of
from .mapping import HAND_KEYS as FIELD_COLUMN
from .vocabulary import norm

#: Sub-units brokers quote in: 100 pence to the pound (LSE prices are in GBX).
SUBUNITS = {"GBX": ("GBP", Decimal("0.01")), "GBP.": ("GBP", Decimal("0.01")),
            "ZAC": ("ZAR", Decimal("0.01")), "ILA": ("ILS", Decimal("0.01"))}
#: Headers of a per-row currency column that the vocabulary reads as no field.
_CURRENCY_HEADS = frozenset({"ccy", "cur", "curr", "currencycode"})
_MONEY = ("price", "value", "avg_cost", "cost_basis")


def code_of(text: str) -> str | None:
    """A currency code as a cell or header writes it (``usd``, ``GBX``), or None."""
    code = text.strip().upper()
    if code in SUBUNITS or (code and is_currency(code)):
        return code
    return None


def counts_in(code: str) -> tuple[str, Decimal]:
    """The currency an amount counts in and the factor to it: GBX → (GBP, 0.01), USDT → USD."""
    if code in SUBUNITS:
        return SUBUNITS[code]
    return tracks(code), Decimal(1)


@dataclass
class Money:
    """How one table's money reads: its base currency, and each row's rate into it."""

    base: str
    why: str = ""                                   # how the base was found, in words
    currencies: dict[int, str] = field(default_factory=dict)   # column → currency it names
    columns: dict[str, int] = field(default_factory=dict)      # field → column read
    row_col: int | None = None                     # a per-row Currency column
    settings: Settings | None = None               # its fx: Settings FX keys, the FX sheet
    used: dict[str, Rate] = field(default_factory=dict)        # currency → the rate used
    rate_cols: list[int] | None = None             # rate columns of the table, once found
    tied: list[str] = field(default_factory=list)  # currencies with as many rows each
    row_currencies: list[str] = field(default_factory=list)
    unsure: list[tuple[str, int, int]] = field(default_factory=list)  # (field, unnamed, named)
    # every money cell in the base currency, nothing to convert: set by the caller once the base
    # is final (it may still change after money_of: a tie broken by the rates, USDT as USD)
    single: bool = False
    implied: dict[str, list[Decimal]] = field(default_factory=dict)
    implied_from: dict[str, str] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)  # currency → first cells

    def row_currency(self, table: HoldingsTable, r: int, col: int | None) -> str:
        named = self.currencies.get(col) if col is not None else None
        if named:
            return named
        if self.row_col is not None:
            v = table.sheet.value(r, self.row_col)
            if type(v) is str and code_of(v):
                return code_of(v)
        return self.base


def header_currencies(table: HoldingsTable) -> dict[int, str]:
    out = {}
    for c, text in table.header.texts.items():
        cur = header_word(text).currency
        if cur and code_of(cur):
            out[c] = code_of(cur)
    return out


def _row_currency_column(table: HoldingsTable) -> int | None:
    """A column of currency codes (``USD``, ``GBX``, ``EUR``; not coins) headed like Currency
    (the vocabulary's Currency words are asset words of a worse rank) beside the asset."""
    used = set(table.header.columns.values())
    for c, text in sorted(table.header.texts.items()):
        if c in used or (header_word(text).field != "asset" and norm(text) not in
                         _CURRENCY_HEADS):
            continue
        values = [table.sheet.value(r, c) for r in table.rows]
        codes = [v for v in values if type(v) is str and code_of(v) and
                 (code_of(v) in SUBUNITS or code_of(v) in MINOR_UNITS or
                  code_of(v) in STABLECOINS)]
        if codes and len(codes) >= 0.8 * sum(1 for v in values if not blank(v)):
            return c
    return None


def money_of(table: HoldingsTable, settings: Settings, given_base: bool,
             pair_quote: str | None) -> Money:
    """The table's currencies and its base currency, by SPEC 3.10's precedence."""
    h = table.header
    money = Money(settings.base_currency, currencies=header_currencies(table),
                  columns=dict(h.columns), row_col=_row_currency_column(table))
    if given_base:
        money.why = "Settings Base Currency"
        _prefer_base_columns(table, money)
        return money
    value = h.columns.get("value")
    at_one = _rated_at_one(money, table)
    if value is not None and value in money.currencies:
        money.base = counts_in(money.currencies[value])[0]
        money.why = f"the value column {h.texts[value]!r}"
    elif at_one is not None:
        money.base, money.why = at_one
    else:
        rows: dict[str, int] = {}
        price = h.columns.get("price", value)
        for r in table.rows:
            named = money.currencies.get(price) if price is not None else None
            cur = named or (money.row_currency(table, r, None) if money.row_col is not None
                            else None)
            if cur:
                rows[counts_in(cur)[0]] = rows.get(counts_in(cur)[0], 0) + 1
        others = [c for f, c in h.columns.items() if f in _MONEY and c in money.currencies]
        if not rows and others:
            for c in others:
                rows[counts_in(money.currencies[c])[0]] = len(table.rows)
        money.row_currencies = sorted(rows)
        top = max(rows.values(), default=0)
        leaders = [k for k, n in rows.items() if n == top]
        if len(leaders) == 1:
            money.base = leaders[0]
            money.why = (f"the header {h.texts[price]!r}" if price in money.currencies
                         else f"most rows ({top} of {len(table.rows)})")
        elif leaders:  # as many rows in each: no currency has most, so USD (SPEC 3.10)
            money.base, money.why = "USD", (f"as many rows in {' as in '.join(leaders)}, so "
                                            "none has most")
            money.tied = leaders
        elif pair_quote:
            money.base, money.why = pair_quote, "the pair tickers"
        else:
            money.base, money.why = "USD", ""
    money.base = counts_in(money.base)[0]
    _prefer_base_columns(table, money)
    return money


def single(money: Money) -> bool:
    """Every money cell is in the base currency: nothing to convert (the common case, fast)."""
    return money.row_col is None and all(
        counts_in(money.currencies[c]) == (money.base, Decimal(1))
        for f, c in money.columns.items() if f in _MONEY and c in money.currencies)


def _prefer_base_columns(table: HoldingsTable, money: Money) -> None:
    """A price (or value) in no named currency beside one named in the base currency: the named
    one is read (SPEC 3.10) — when the rows show the two are one amount in two currencies (their
    ratio, the rate, is the same on every row). With one row that cannot be shown, and with
    ratios that differ the named column is something else (a value headed like a price): the
    reading is then left open (``money.unsure``), and the run refuses rather than guess."""
    h = table.header
    for f in _MONEY:
        c = money.columns.get(f)
        if c is None or c in money.currencies:
            continue
        for k, text in sorted(h.texts.items()):
            if k in money.columns.values() or k not in money.currencies:
                continue
            if header_word(text).field == f and counts_in(money.currencies[k])[0] == money.base:
                if _one_rate(table, c, k):
                    money.columns[f] = k
                else:
                    money.unsure.append((f, c, k))
                break


def _one_rate(table: HoldingsTable, unnamed: int, named: int) -> bool:
    ratios = []
    for r in table.rows:
        a, b = number_of(table.sheet.value(r, unnamed)), number_of(table.sheet.value(r, named))
        if a and b:
            ratios.append(b / a)
    return len(ratios) >= 2 and max(ratios) <= min(ratios) * 1.01 and min(ratios) > 0


def unsure(money: Money, table: HoldingsTable) -> Issue | None:
    """The refusal when a column named in the base currency may or may not be the same amount
    as the unnamed one beside it."""
    if not money.unsure:
        return None
    f, c, k = money.unsure[0]
    h = table.header
    title = f.replace("_", " ")
    return Issue(table.where, (
        f"{table.where} has two {title} columns: {h.texts[c]!r} names no currency and "
        f"{h.texts[k]!r} names {money.currencies[k]}; the rows do not show the second is the "
        "first in another currency (one rate on every row), so which is the "
        f"{title} is left open. Say which with Settings {FIELD_COLUMN[f]} (or --column "
        f"{f}=…), or set Settings Base Currency to the first one's currency."))


def to_base(money: Money, table: HoldingsTable, r: int, field_name: str, amount: Decimal,
            quantity) -> Decimal | None:
    """``amount`` (a price or an average cost on row ``r``) in the base currency; None when its
    currency has no rate (recorded in ``money.missing``)."""
    if money.single:
        return amount
    h = table.header
    col = money.columns.get(field_name)
    cur = money.row_currency(table, r, col)
    into, factor = counts_in(cur)
    amount = amount * factor
    if into == money.base:
        return amount
    value = money.columns.get("value")
    if field_name == "price" and value is not None and value in money.currencies and \
            counts_in(money.currencies[value])[0] == money.base and quantity:
        v = number_of(table.sheet.value(r, value))
        if v is not None and v > 0 and amount > 0:
            in_base = Decimal(repr(v)) * counts_in(money.currencies[value])[1] / quantity
            money.implied.setdefault(into, []).append(in_base / amount)
            money.implied_from.setdefault(into, f"the value column {h.texts[value]!r}")
            return in_base
    rate = _rate_column(money, table, r, into)
    if rate is not None:
        return amount * rate
    given = money.settings.rate_for(into) if money.settings is not None else None
    if given is not None:
        money.used[into] = given
        return given.to_base(amount)
    cells = money.missing.setdefault(into, [])
    if table.cell(r, "asset") not in cells:
        cells.append(table.cell(r, "asset"))
    return None


def _rated_at_one(money: Money, table: HoldingsTable) -> tuple[str, str] | None:
    """A rate column that is 1 on every row of one currency and one other number per other
    currency says which currency the book is kept in."""
    if money.row_col is None:
        return None
    h = table.header
    for c, text in sorted(h.texts.items()):
        if c in money.columns.values() or c == money.row_col:
            continue
        seen: dict[str, set] = {}
        for r in table.rows:
            cur = counts_in(money.row_currency(table, r, None))[0]
            seen.setdefault(cur, set()).add(number_of(table.sheet.value(r, c)))
        ones = [k for k, v in seen.items() if v == {1.0}]
        if len(seen) > 1 and len(ones) == 1 and all(
                len(v) == 1 and None not in v for v in seen.values()):
            return ones[0], f"the rate column {text!r}, 1 on its {ones[0]} rows"
    return None


def rate_columns(money: Money, table: HoldingsTable) -> list[int]:
    """Columns of rates into the base currency: headed as a rate (``FX Rate``), or whose
    numbers are 1 on every row in the base currency and one number per other currency."""
    h = table.header
    if money.row_col is None:
        return [c for c, text in sorted(h.texts.items()) if c not in money.columns.values()
                and getattr(header_word(text), "other", None) == "rate"]
    out = []
    for c, text in sorted(h.texts.items()):
        if c in money.columns.values() or c == money.row_col:
            continue
        if getattr(header_word(text), "other", None) == "rate":
            out.append(c)
            continue
        seen: dict[str, set] = {}
        for r in table.rows:
            cur = money.row_currency(table, r, None)
            seen.setdefault(counts_in(cur)[0], set()).add(number_of(table.sheet.value(r, c)))
        if len(seen) > 1 and seen.get(money.base) == {1.0} and all(
                len(v) == 1 and None not in v for v in seen.values()):
            out.append(c)
    return out


def _rate_column(money: Money, table: HoldingsTable, r: int, into: str) -> Decimal | None:
    h = table.header
    if money.rate_cols is None:
        money.rate_cols = rate_columns(money, table)
    for c in money.rate_cols:
        text = h.texts[c]
        x = number_of(table.sheet.value(r, c))
        if x is not None and x > 0:
            rate = Decimal(repr(x))
            money.implied.setdefault(into, []).append(rate)
            money.implied_from.setdefault(into, f"the rate column {text!r}")
            return rate
    return None


def rates_used(money: Money) -> tuple[Rate, ...]:
    """Every rate rows were converted at, one per currency, for the read line and the plan."""
    out = [r for _, r in sorted(money.used.items())]
    for cur, seen in sorted(money.implied.items()):
        mid = statistics.median(seen)
        spread = "" if max(seen) - min(seen) <= Decimal("0.005") * mid else " on each row"
        out.append(Rate(cur, mid, f"{money.implied_from[cur]}{spread}"))
    return tuple(out)


def _row_of(cell: str) -> int:
    digits = "".join(ch for ch in cell.rpartition("!")[2] if ch.isdigit())
    return int(digits or 0)


def no_rate(money: Money, table: HoldingsTable) -> Issue | None:
    """No rate, no guess (SPEC 3.10): the currencies, their rows, and how to give a rate."""
    if not money.missing:
        return None
    parts = []
    for cur, cells in sorted(money.missing.items()):
        shown = ", ".join(cells[:3]) + (" …" if len(cells) > 3 else "")
        parts.append(f"{cur} ({len(cells)} row(s): {shown})")
    first = min((c for cells in money.missing.values() for c in cells), key=_row_of)
    codes = sorted(money.missing)
    return Issue(first, (
        f"{table.where} holds positions in {', '.join(parts)}, but the book is in "
        f"{money.base}{f' (from {money.why})' if money.why else ''} and gives no rate for "
        f"{' or '.join(codes)}; derisk never takes one currency for another. Give a rate in one "
        f"of three ways: a value column in {money.base} on each row; an FX sheet with "
        f"Currency | Rate rows ({codes[0]} | units of {money.base} per {codes[0]}); or "
        f"Settings FX {codes[0]} (and so on for each currency). Or set Settings Base Currency "
        "if the book is in another currency."))


__all__ = ["Money", "SUBUNITS", "code_of", "counts_in", "money_of", "no_rate", "rates_used",
           "single", "to_base"]
