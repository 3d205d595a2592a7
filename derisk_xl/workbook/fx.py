"""An FX sheet or Excel Table: the rates a workbook gives for its currencies (SPEC 3.10).

Pure over the :class:`WorkbookGrid`. A sheet or Table named like FX, FX Rates, Rates, Exchange
Rates, Currency Rates or Currencies holds a currency-or-pair column and a rate column, under
headers such as ``Currency | Rate`` or ``Pair | Price`` (without a header row, the first two
columns). Each row gives the units of the base currency per unit of a currency:

- ``EUR | 1.08`` in a USD book: 1 EUR = 1.08 USD;
- a pair ``BASE/QUOTE`` (``EURUSD``, ``EUR/USD``, ``EUR-USD``, ``EURUSD=X``) is quoted the
  market's way, QUOTE per BASE: ``EURUSD 1.08`` gives EUR when the book is in USD, and USD
  (1 / 1.08) when the book is in EUR; ``USD/EUR 0.92`` in a USD book gives EUR at 1 / 0.92.
  A Yahoo ``JPY=X`` is ``USDJPY``. A pair of which neither side is the base is not used (warned).

Futures rows quoted in another currency than the book are converted at their quote's rate or
refused by :func:`futures_in_base`.

Precedence (the reader's :func:`merge_rates`): Settings ``FX <CUR>`` keys win over the sheet, so
a user can correct one rate without editing the sheet; currencies Settings gives are not read
from the sheet at all (so the sheet cannot conflict with them). Two rows giving one currency
different rates are an error naming both cells; the same rate twice is read once.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Collection, Iterable, Iterator

from dataclasses import replace

from ..core.currencies import is_currency, quote_of, tracks
from ..core.issues import Issue
from ..core.model import FuturesPosition, Rate, Settings
from .grid import CellValue, ExcelError, SheetGrid, WorkbookGrid, coordinate, sheet_ref
from .typed import AMBIGUOUS, MAX_AMOUNT, MIN_POSITIVE, describe, text_number
from .vocabulary import norm

#: Names of a sheet or Excel Table of rates.
FX_NAMES = ("FX", "FX Rates", "Rates", "Exchange Rates", "Currency Rates", "Currencies", "Forex",
            "Exchange", "Wechselkurse", "Kurse", "Taux de change", "Tipos de cambio")
#: Headers of the currency-or-pair column and of the rate column.
CURRENCY_HEADERS = ("Currency", "Pair", "Currency Pair", "Symbol", "Code", "Ticker", "CCY",
                    "From", "Währung", "Devise", "Moneda")
RATE_HEADERS = ("Rate", "FX Rate", "Exchange Rate", "Price", "Last", "Close", "Value", "Kurs",
                "Taux", "Tipo", "Cambio")
_FX_NORMS = {norm(n) for n in FX_NAMES}
_CURRENCY_NORMS = {norm(n) for n in CURRENCY_HEADERS}
_RATE_NORMS = {norm(n) for n in RATE_HEADERS}
#: Rows searched for the header under a title.
_HEADER_ROWS = 10
_PAIR = re.compile(r"^([A-Z]{2,6})\s*[/\-.:_ ]\s*([A-Z]{2,6})$")


def read_rates(grid: WorkbookGrid, base: str, overridden: Collection[str] = ()
               ) -> tuple[dict[str, Rate], tuple[Issue, ...]]:
    """Every rate the workbook's FX sheets and Tables give, as units of ``base`` per unit.

    ``overridden``: currencies Settings ``FX`` keys give, which win, so their rows are skipped.
    Returns the rates by currency and the problems (errors for unreadable or conflicting
    rates, warnings for rows that are not used), each naming its cell.
    """
    base = base.upper()
    skip = {c.upper() for c in overridden} | {base}
    rates: dict[str, Rate] = {}
    issues: list[Issue] = []
    for source, sheet, rows, cols in _candidates(grid):
        for r in rows:
            found = _row_rate(sheet, r, cols, base, source, issues)
            if found is None or found.currency in skip:
                continue
            kept = rates.get(found.currency)
            if kept is None:
                rates[found.currency] = found
            elif kept.rate != found.rate:
                issues.append(Issue(found.location, (
                    f"{found.currency} has two rates: {kept.rate.normalize():f} at "
                    f"{kept.location} and {found.rate.normalize():f} here; keep one, or set "
                    f"Settings FX {found.currency}, which wins.")))
    return rates, tuple(issues)


def merge_rates(settings_fx: Iterable[Rate], sheet_rates: dict[str, Rate]) -> tuple[Rate, ...]:
    """Settings ``FX`` keys first, then the sheet's rates for other currencies."""
    out = {r.currency: r for r in settings_fx}
    for code, rate in sheet_rates.items():
        out.setdefault(code, rate)
    return tuple(out.values())


def futures_in_base(futures: Iterable[FuturesPosition], settings: Settings
                    ) -> tuple[tuple[FuturesPosition, ...], tuple[Rate, ...], tuple[Issue, ...]]:
    """Futures rows quoted in a currency other than the book's (BTCUSDT-PERP in a EUR book)
    in the base currency, at the rate of their quote (Settings.fx, as the reader merged it);
    a row without a rate is an error naming its cell, never taken as if in the base currency.

    Converted: entry, mark and underlying prices, a linear contract's Maint Amount and an
    inverse contract's Contract Value (quote units per contract). Margin is in the base
    currency already (SPEC 3.2), an inverse contract's Maint Amount in coin. A symbol that
    names no quote (``BTC-PERPETUAL``) is taken as quoted in the base currency.
    Returns the rows, the rates used and the errors.
    """
    base = settings.base_currency
    out: list[FuturesPosition] = []
    used: dict[str, Rate] = {}
    issues: list[Issue] = []
    for f in futures:
        quote = quote_of(f.symbol, f.underlying)
        if quote is None or tracks(quote) == tracks(base):
            out.append(f)
            continue
        rate = settings.rate_for(quote)
        if rate is None:
            issues.append(Issue(f.location, (
                f"{f.symbol} is quoted in {quote} but the book is in {base}, and no rate for "
                f"{quote} is given; give Settings FX {quote} ({base} per {quote}) or a {quote} "
                "row on an FX sheet.")))
            continue
        used.setdefault(rate.currency, rate)
        x = rate.to_base
        inverse = f.contract_type == "inverse"
        out.append(replace(
            f, entry_price=x(f.entry_price), mark_price=x(f.mark_price),
            underlying_price=None if f.underlying_price is None else x(f.underlying_price),
            maint_amount=f.maint_amount if inverse else x(f.maint_amount),
            contract_value=x(f.contract_value) if inverse else f.contract_value))
    return tuple(out), tuple(used.values()), tuple(issues)


def pair_rate(text: str, value: Decimal, base: str) -> tuple[str, Decimal, bool] | None:
    """(currency, base per unit, inverted) for a currency or pair cell, or None when the text
    names no currency or a pair without the base on either side."""
    t = text.strip().upper()
    if t.endswith("=X"):  # Yahoo: EURUSD=X, or JPY=X for USDJPY
        t = t[:-2]
        if len(t) <= 4 and is_currency(t):
            t = "USD" + t
    if is_currency(t):
        return t, value, False
    m = _PAIR.match(t)
    pairs = [(m.group(1), m.group(2))] if m else \
        [(t[:i], t[i:]) for i in range(2, len(t) - 1) if is_currency(t[:i]) and is_currency(t[i:])]
    for one, other in sorted(pairs, key=lambda p: base not in p):
        if not (is_currency(one) and is_currency(other)):
            continue
        if other == base:
            return one, value, False
        if one == base:
            return other, 1 / value, True
    return None


def _candidates(grid: WorkbookGrid) -> Iterator[tuple[str, SheetGrid, range, tuple[int, int]]]:
    """(what it is in words, its sheet, the data rows, (currency column, rate column))."""
    for table in grid.tables:
        sheet = grid.sheet(table.sheet)
        if norm(table.name) not in _FX_NORMS or sheet is None:
            continue
        cols = _header(sheet, table.first_row, table.first_col, table.last_col)
        if cols is not None:
            yield f"the {table.name} table", sheet, range(table.first_row + 1,
                                                          table.last_row + 1), cols
    for sheet in grid.sheets:
        if norm(sheet.name) not in _FX_NORMS:
            continue
        for r in range(min(_HEADER_ROWS, len(sheet.rows))):
            cols = _header(sheet, r, 0, sheet.width - 1)
            if cols is not None:
                yield f"the {sheet.name} sheet", sheet, range(r + 1, len(sheet.rows)), cols
                break
        else:
            yield f"the {sheet.name} sheet", sheet, range(len(sheet.rows)), (0, 1)


def _header(sheet: SheetGrid, r: int, first: int, last: int) -> tuple[int, int] | None:
    names = {c: norm(sheet.value(r, c)) for c in range(first, last + 1)
             if isinstance(sheet.value(r, c), str)}
    currency = next((c for c, n in names.items() if n in _CURRENCY_NORMS), None)
    rate = next((c for c, n in names.items() if n in _RATE_NORMS and c != currency), None)
    return None if currency is None or rate is None else (currency, rate)


def _row_rate(sheet: SheetGrid, r: int, cols: tuple[int, int], base: str, source: str,
              issues: list[Issue]) -> Rate | None:
    label, cell = sheet.value(r, cols[0]), sheet.value(r, cols[1])
    if not isinstance(label, str) or not label.strip() or cell is None:
        return None
    where = sheet_ref(sheet.name, coordinate(r, cols[1]))
    value = _positive(cell)
    if value is None:
        issues.append(Issue(where, (
            f"the rate for {label.strip()!r} is {describe(cell)}; expected a number from "
            "1e-12 to 1e15 (units of the base currency per unit, or the pair's price).")))
        return None
    read = pair_rate(label, value, base)
    if read is None:
        if is_currency(label.strip().upper()[:3]) or _PAIR.match(label.strip().upper()):
            issues.append(Issue(sheet_ref(sheet.name, coordinate(r, cols[0])), (
                f"{label.strip()!r} is a pair without the base currency {base} on either "
                "side; not used."), "warning"))
        return None
    code, rate, inverted = read
    how = f"{label.strip()}, inverted" if inverted else label.strip()
    return Rate(code, rate, f"{source}, {how}", where)


def _positive(cell: CellValue) -> Decimal | None:
    """The cell as a positive number in the domain ranges, else None."""
    if isinstance(cell, bool) or isinstance(cell, ExcelError):
        return None
    if isinstance(cell, (int, float)):
        x = Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell)
    elif isinstance(cell, str):
        x = text_number(cell)
        if x is None or x is AMBIGUOUS:
            return None
    else:
        return None
    return x if x.is_finite() and MIN_POSITIVE <= x <= MAX_AMOUNT else None


__all__ = ["CURRENCY_HEADERS", "FX_NAMES", "RATE_HEADERS", "futures_in_base", "merge_rates",
           "pair_rate", "read_rates"]
