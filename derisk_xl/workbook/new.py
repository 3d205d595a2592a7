"""A fresh input workbook: the six input sheets as Excel Tables, with dropdowns and examples.

``derisk new PATH.xlsx`` calls :func:`new_workbook`; the Excel button's ``derisk new PATH.xlsm``
calls it with a VBA project, a button and an ``xlwings.conf`` sheet; ``samples.py`` writes the
committed example and case-study workbooks through :func:`write_input_workbook`, so all of them
look like a file a user made from the template. Written with XlsxWriter, which writes Excel's own
XML (tables, validations, form buttons, VBA) faithfully; openpyxl is never used to write it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .mapping import HAND_KEYS
from .settings_sheet import SETTINGS_KEYS

HOLDINGS_HEADERS = ("Asset", "Quantity", "Price", "Avg Cost", "Cost Basis", "Category",
                    "Protect", "Min Keep %", "Original Quantity", "Beta", "Venue", "Lot Step")
FUTURES_HEADERS = ("Symbol", "Underlying", "Side", "Size", "Entry Price", "Mark Price",
                   "Leverage", "Margin", "Maint Margin Rate %", "Maint Amount", "Type",
                   "Contract Value", "Expiry", "Funding Rate 8h %", "Underlying Price", "Venue")
TIERS_HEADERS = ("Trigger Multiple", "Sell %", "Applies To")
LOTS_HEADERS = ("Asset", "Acquired", "Quantity", "Unit Cost")

#: Dropdown choices, by column title (data rows) or Settings key (its value cell).
CHOICES: Mapping[str, tuple[str, ...]] = {
    "Category": ("core", "alt", "stable"),
    "Protect": ("yes", "no"),
    "Side": ("Long", "Short"),
    "Type": ("linear", "inverse"),
    "Model": ("Balanced De-Risk", "Aggressive Hold", "Conservative Protection", "Custom"),
    # Hedge Sizing, Sleeve Funding, Lot Method, Liquidation Model: the options the reader takes
    **{k.title: k.options for k in SETTINGS_KEYS if k.options},
}

#: What each setting does when left empty, shown beside it (SPEC 3.3).
SETTING_NOTES: Mapping[str, str] = {
    "Model": "Balanced De-Risk, Aggressive Hold, Conservative Protection or Custom",
    "Spot Target %": "empty: from the model; the three targets must sum to 100 %",
    "Stable Target %": "empty: from the model",
    "Futures Sleeve %": "empty: from the model",
    "Hedge Ratio %": "empty: from the model; share of the kept risk exposure to short",
    "Max Leverage": "empty: from the model; cap for every futures position",
    "Close Profitable Longs %": "empty: from the model",
    "Hedge Sizing": "notional, beta, or min-variance (needs Prices)",
    "Hedge Instrument": "default BTCUSDT-PERP",
    "Hedge Underlying": "default BTC",
    "Hedge Price": "futures price; empty: spot of the underlying (with a warning)",
    "Hedge Underlying Price": "empty: price of the underlying in Holdings",
    "Hedge Expiry": "empty: perpetual",
    "Hedge Funding Rate 8h %": "default 0",
    "Hedge Contract Size": "units of the underlying per contract, default 1",
    "Hedge Lot Step": "in contracts, default 0.001",
    "Liquidation Model": "binance or bybit, default binance",
    "Hedge Leverage": "empty: Max Leverage",
    "Maint Margin Rate %": "for the new hedge, default 0.5 %",
    "Futures Free Collateral": "free balance already in the futures wallet, default 0",
    "Sleeve Funding": "target (fund the wallet to the sleeve) or needed",
    "Collateral Buffer": "default 2",
    "Stable Asset": "what sales convert into, default USDC",
    "Core Assets": "comma-separated, never sold; default BTC; none for none",
    "Fee bps": "per trade, default 10",
    "Slippage bps": "default 0",
    "Min Trade Value": "smaller trades are dropped, default 10",
    "Rebalance Band %": "default 1 %",
    "Lot Method": "FIFO, LIFO, HIFO or AVERAGE",
    "Tax Rate Short %": "empty: no tax estimate",
    "Tax Rate Long %": "empty: no tax estimate",
    "Long-Term Days": "default 365",
    "Horizon Days": "for carry and signals, default 30",
    "Stress Shocks %": "default -10, -20, -30, -50, +20",
    "Fear Greed Index": "0-100, typed in by you",
    "Base Currency": "empty: the value column's currency, else most rows', else USD",
    "Holdings Sheet": "empty: the sheet named Holdings, else the table found (a sheet, Excel "
                      "Table or range such as Portfolio!B10:H40)",
    **{key: "empty: found by the table's words and numbers; a header or a column letter "
            "maps it by hand" for key in HAND_KEYS.values()},
    "Client": "shown on the report",
    "Report Title": "shown on the report",
    "Report Recipients": "emails separated by , or ;",
    "As Of": "empty: today (the --as-of option wins)",
}


@dataclass(frozen=True)
class Percent:
    """A percentage to write as a fraction in a percent-formatted cell (``Percent(0.25)``)."""

    fraction: float
    decimals: int = 0


@dataclass(frozen=True)
class InputBook:
    """The contents of an input workbook, sheet by sheet, in the column titles of SPEC 3.

    Rows are mappings from column title to value (missing titles stay empty); percent columns
    take fractions (0.25 is written as 25 %). ``settings`` is (key, value) pairs, where a value
    may be a :class:`Percent`. A sheet set to None is left out of the workbook.
    """

    holdings: Sequence[Mapping[str, object]]
    futures: Sequence[Mapping[str, object]] | None = ()
    settings: Sequence[tuple[str, object]] | None = ()
    tiers: Sequence[Mapping[str, object]] | None = ()
    lots: Sequence[Mapping[str, object]] | None = ()
    prices: Mapping[str, Sequence[object]] | None = None  # "Date" and one list per asset
    every_setting: bool = True  # list every key of SPEC 3.3, empty where not given
    extra: Mapping[str, object] = field(default_factory=dict)


def new_workbook(path: Path, *, vba_project: bytes | None = None,
                 button: tuple[str, str] | None = None,
                 xlwings_conf: Mapping[str, str] | None = None) -> None:
    """Write a fresh input workbook with realistic example rows, so a first run works.

    ``vba_project`` (the bytes of a vbaProject.bin) makes it an .xlsm; ``button`` =
    (caption, macro name) puts a form button bound to that macro on the first sheet;
    ``xlwings_conf`` adds an ``xlwings.conf`` sheet (key in A, value in B).
    """
    write_input_workbook(path, starter_book(), vba_project=vba_project, button=button,
                         xlwings_conf=xlwings_conf)


def write_input_workbook(path: Path, book: InputBook, *, vba_project: bytes | None = None,
                         button: tuple[str, str] | None = None,
                         xlwings_conf: Mapping[str, str] | None = None) -> None:
    """Write ``book`` as an input workbook (atomically: a half-written file never appears)."""
    from ..fsutil import atomic_write_bytes

    path = Path(path)
    if vba_project is not None and path.suffix.lower() != ".xlsm":
        raise ValueError(f"a workbook with macros must be saved as .xlsm, not {path.name}")
    atomic_write_bytes(path, build_input_workbook(book, vba_project=vba_project, button=button,
                                                  xlwings_conf=xlwings_conf))


def build_input_workbook(book: InputBook, *, vba_project: bytes | None = None,
                         button: tuple[str, str] | None = None,
                         xlwings_conf: Mapping[str, str] | None = None) -> bytes:
    """The workbook's bytes (.xlsx, or .xlsm content when ``vba_project`` is given)."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        "strings_to_formulas": False,  # our strings are data: never turn text into formulas
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": "yyyy-mm-dd",
    })
    wb.set_properties({"title": "derisk_xl input workbook", "author": "derisk_xl",
                       "created": dt.datetime(2026, 1, 1)})
    f = _Formats(wb)
    holdings = wb.add_worksheet("Holdings")
    _table(wb, holdings, f, "tblHoldings", HOLDINGS_HEADERS, book.holdings)
    if button is not None:
        caption, macro = button
        holdings.insert_button(1, len(HOLDINGS_HEADERS) + 1, {
            "macro": macro, "caption": caption, "width": 180, "height": 40,
        })
    if book.futures is not None:
        _table(wb, wb.add_worksheet("Futures"), f, "tblFutures", FUTURES_HEADERS, book.futures)
    if book.settings is not None:
        _settings(wb.add_worksheet("Settings"), f, book)
    if book.tiers is not None:
        _table(wb, wb.add_worksheet("Tiers"), f, "tblTiers", TIERS_HEADERS, book.tiers)
    if book.lots is not None:
        _table(wb, wb.add_worksheet("Lots"), f, "tblLots", LOTS_HEADERS, book.lots)
    if book.prices is not None:
        _prices(wb.add_worksheet("Prices"), f, book.prices)
    if xlwings_conf is not None:
        conf = wb.add_worksheet("xlwings.conf")
        for r, (key, value) in enumerate(xlwings_conf.items()):
            conf.write_string(r, 0, str(key))
            conf.write_string(r, 1, str(value))
        conf.set_column(0, 0, 24)
        conf.set_column(1, 1, 48)
    if vba_project is not None:
        wb.add_vba_project(io.BytesIO(vba_project), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        for i, ws in enumerate(wb.worksheets(), start=1):
            ws.set_vba_name(f"Sheet{i}")
    wb.close()
    return buffer.getvalue()


class _Formats:
    def __init__(self, wb):
        self.header = wb.add_format({"bold": True})
        self.money = wb.add_format({"num_format": "#,##0.00######"})
        self.qty = wb.add_format({"num_format": "#,##0.##########"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self._pct = {d: wb.add_format({"num_format": "0." + "0" * d + "%" if d else "0%"})
                     for d in range(0, 5)}

    def pct(self, decimals: int = 0):
        return self._pct[max(0, min(decimals, 4))]

    def for_column(self, title: str):
        t = title.lower()
        if t.endswith("%"):
            return self.pct(3 if "rate" in t else 0)
        if t in ("acquired", "expiry", "date"):
            return self.date
        if any(w in t for w in ("price", "cost", "margin", "amount", "value")):
            return self.money
        if any(w in t for w in ("quantity", "size", "step")):
            return self.qty
        return None


def _width(title: str, values: Sequence[object] = ()) -> int:
    """A column wide enough for its title and its text, so a symbol is not cut off on the
    page by the next column's cell."""
    return max(10, len(title) + 4, *(len(v) + 2 for v in values if isinstance(v, str)))


def _write(ws, r: int, c: int, value: object, fmt) -> None:
    """Write one value with the type it has: never a formula, text stays text."""
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, Percent):
        ws.write_number(r, c, value.fraction, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        ws.write_datetime(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _table(wb, ws, f: _Formats, name: str, headers: Sequence[str],
           rows: Sequence[Mapping[str, object]]) -> None:
    """An Excel Table with bold frozen headers, column formats, dropdowns and the rows."""
    n = max(len(rows), 1)
    ws.add_table(0, 0, n, len(headers) - 1, {
        "name": name,
        "style": "Table Style Medium 2",
        "columns": [{"header": h, "header_format": f.header} for h in headers],
    })
    widths = [_width(title, [row.get(title) for row in rows]) for title in headers]
    for c, title in enumerate(headers):
        fmt = f.for_column(title)
        ws.set_column(c, c, widths[c], fmt)
        for r, row in enumerate(rows, start=1):
            value = row.get(title)
            if isinstance(value, Percent):
                _write(ws, r, c, value, f.pct(value.decimals))
            else:
                _write(ws, r, c, value, fmt)
        if title in CHOICES:
            ws.data_validation(1, c, max(n, 500), c, {
                "validate": "list", "source": list(CHOICES[title]),
                "error_title": title, "error_message": "Choose one of: "
                + ", ".join(CHOICES[title]),
            })
    ws.freeze_panes(1, 0)
    _print_setup(ws, widths)


def _settings(ws, f: _Formats, book: InputBook) -> None:
    """Key | Value | About, one setting a row; every key of SPEC 3.3 when ``every_setting``."""
    given = list(book.settings or ())
    given_keys = {k for k, _ in given}
    rows = list(given)
    if book.every_setting:
        rows += [(k.title, None) for k in SETTINGS_KEYS if k.title not in given_keys]
        order = {k.title: i for i, k in enumerate(SETTINGS_KEYS)}
        rows.sort(key=lambda kv: order.get(kv[0], len(order)))
    ws.add_table(0, 0, max(len(rows), 1), 2, {
        "name": "tblSettings",
        "style": "Table Style Medium 2",
        "columns": [{"header": h, "header_format": f.header} for h in ("Key", "Value", "About")],
    })
    for r, (key, value) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        if isinstance(value, Percent):
            fmt = f.pct(value.decimals)
        elif key.endswith("%"):
            fmt = None  # a plain number in a percent setting is in points (SPEC 3)
        elif isinstance(value, (dt.date, dt.datetime)):
            fmt = f.date
        elif isinstance(value, (int, float)):
            fmt = f.money
        else:
            fmt = None
        _write(ws, r, 1, value, fmt)
        note = SETTING_NOTES.get(key)
        if note:
            ws.write_string(r, 2, note, f.note)
        if key in CHOICES:
            ws.data_validation(r, 1, r, 1, {"validate": "list", "source": list(CHOICES[key])})
    widths = (26, 30, 60)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    _print_setup(ws, widths)


def _prices(ws, f: _Formats, prices: Mapping[str, Sequence[object]]) -> None:
    headers = ["Date", *[k for k in prices if k != "Date"]]
    dates = list(prices.get("Date", ()))
    n = max(len(dates), 1)
    ws.add_table(0, 0, n, len(headers) - 1, {
        "name": "tblPrices",
        "style": "Table Style Light 9",
        "columns": [{"header": h, "header_format": f.header} for h in headers],
    })
    for c, title in enumerate(headers):
        fmt = f.date if c == 0 else f.money
        ws.set_column(c, c, 12, fmt)
        for r, value in enumerate(prices.get(title, ()), start=1):
            _write(ws, r, c, value, fmt)
    ws.freeze_panes(1, 1)
    _print_setup(ws, [12] * len(headers))


def _print_setup(ws, widths: Sequence[float]) -> None:
    """The plan sheets' print setup (landscape when wide, one page wide, the header row on
    every page, "Page X of Y"), with the file's name where a plan sheet names the client (the
    Client setting may change after this is written; a page header is fixed text). No print
    area: Excel prints the used range, so the rows a user adds to a table print too."""
    from .package.scratch import page_setup
    from .plan_sheets import sheet_print_setup

    page_setup(ws, sheet_print_setup(tuple(widths), None, 1, ("&F", "")), names=True)


def price_path(end_price: float, days: int, *, seed: int, vol: float = 0.04,
               drift: float = 0.004) -> list[float]:
    """A deterministic daily close series of ``days`` closes ending at ``end_price``.

    A seeded geometric random walk run backwards from today's price, so the last close is the
    price in Holdings and the history looks like a rally (positive drift).
    """
    rng = random.Random(seed)
    closes = [end_price]
    for _ in range(days - 1):
        step = rng.gauss(drift, vol)
        closes.append(closes[-1] / math.exp(step))
    closes.reverse()
    digits = max(2, 6 - int(math.floor(math.log10(end_price))) if end_price > 0 else 2)
    return [round(x, digits) for x in closes]


def price_history(prices: Mapping[str, float], end: dt.date, days: int) -> dict[str, list]:
    """``{"Date": [...], asset: [...]}`` for ``days`` days ending on ``end``."""
    out: dict[str, list] = {"Date": [end - dt.timedelta(days=days - 1 - i) for i in range(days)]}
    for i, (asset, price) in enumerate(prices.items()):
        out[asset] = price_path(price, days, seed=1000 + i, vol=0.02 if asset == "BTC" else 0.04)
    return out


DEFAULT_TIER_ROWS = (
    {"Trigger Multiple": 2, "Sell %": Percent(0.25)},
    {"Trigger Multiple": 4, "Sell %": Percent(0.25)},
)


def starter_book() -> InputBook:
    """Small, realistic example rows for a fresh workbook: replace them with your own."""
    today = dt.date.today()
    holdings = [
        {"Asset": "BTC", "Quantity": 0.5, "Price": 97000, "Avg Cost": 30000, "Category": "core",
         "Venue": "Ledger", "Lot Step": 0.0001},
        {"Asset": "ETH", "Quantity": 8, "Price": 3600, "Avg Cost": 1500, "Venue": "Coinbase",
         "Lot Step": 0.001},
        {"Asset": "SOL", "Quantity": 250, "Price": 240, "Avg Cost": 45, "Venue": "Binance",
         "Min Keep %": Percent(0.2), "Lot Step": 0.01},
        {"Asset": "LINK", "Quantity": 900, "Price": 25, "Avg Cost": 9, "Venue": "Binance",
         "Lot Step": 0.01},
        {"Asset": "USDC", "Quantity": 20000, "Price": 1, "Avg Cost": 1, "Venue": "Coinbase"},
    ]
    futures = [
        {"Symbol": "BTCUSDT-PERP", "Underlying": "BTC", "Side": "Long", "Size": 0.2,
         "Entry Price": 68000, "Mark Price": 97000, "Leverage": 10,
         "Maint Margin Rate %": Percent(0.005, 2), "Type": "linear",
         "Funding Rate 8h %": Percent(0.0001, 3), "Venue": "Binance"},
    ]
    settings = [
        ("Model", "Balanced De-Risk"),
        ("Hedge Price", 97050),
        ("Hedge Funding Rate 8h %", Percent(0.0001, 3)),
        ("Client", "Example Client"),
        ("Report Title", "De-risk plan"),
    ]
    lots = [
        {"Asset": "ETH", "Acquired": dt.date(today.year - 3, 6, 15), "Quantity": 5,
         "Unit Cost": 1200},
        {"Asset": "ETH", "Acquired": dt.date(today.year - 1, 2, 1), "Quantity": 3,
         "Unit Cost": 2000},
    ]
    prices = price_history({"BTC": 97000, "ETH": 3600, "SOL": 240, "LINK": 25}, today, 60)
    return InputBook(holdings=holdings, futures=futures, settings=settings,
                     tiers=DEFAULT_TIER_ROWS, lots=lots, prices=prices)


__all__ = ["CHOICES", "DEFAULT_TIER_ROWS", "InputBook", "Percent", "build_input_workbook",
           "new_workbook", "price_history", "price_path", "starter_book", "write_input_workbook"]
