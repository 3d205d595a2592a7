"""The FX sheet or Table reader (workbook/fx.py) and how a rate is named (SPEC 3.10)."""

from __future__ import annotations

from decimal import Decimal as d
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.table import Table

from derisk_xl.core.model import HoldingsSource, Rate
from derisk_xl.workbook.fx import merge_rates, pair_rate, read_rates
from derisk_xl.workbook.grid import ExcelError, SheetGrid, WorkbookGrid


@pytest.mark.parametrize("text, base, expected", [
    ("EUR", "USD", ("EUR", d("1.25"), False)),
    ("EURUSD", "USD", ("EUR", d("1.25"), False)),
    ("EUR/USD", "USD", ("EUR", d("1.25"), False)),
    ("eur-usd", "USD", ("EUR", d("1.25"), False)),
    ("EURUSD=X", "USD", ("EUR", d("1.25"), False)),
    ("EURUSD", "EUR", ("USD", d("0.8"), True)),       # 1 / 1.25
    ("USD/EUR", "USD", ("EUR", d("0.8"), True)),
    ("JPY=X", "USD", ("JPY", d("0.8"), True)),        # Yahoo's JPY=X is USDJPY
    ("USDTEUR", "EUR", ("USDT", d("1.25"), False)),
    ("GBPEUR", "USD", None),                          # neither side is the base
    ("Notes", "USD", None),
])
def test_pair_rate(text, base, expected):
    assert pair_rate(text, d("1.25"), base) == expected


def grid(*sheets: SheetGrid, tables=()) -> WorkbookGrid:
    return WorkbookGrid(sheets=sheets, sheet_names=tuple(s.name for s in sheets), tables=tables)


def test_an_fx_sheet_under_a_title_with_pairs_and_codes():
    sheet = SheetGrid("Exchange Rates", rows=(
        ("Rates on 28 November",), (),
        ("Pair", "Rate", "Note"),
        ("EURUSD", 1.08, "ECB"),
        ("USD/JPY", 150, None),
        ("GBP", "1.27", None),
        ("USD", 1, "the base itself: not a rate"),
    ))
    rates, issues = read_rates(grid(sheet), "USD")
    assert issues == ()
    assert rates["EUR"] == Rate("EUR", d("1.08"), "the Exchange Rates sheet, EURUSD",
                                "'Exchange Rates'!B4")
    assert rates["JPY"].rate == 1 / d(150) and rates["JPY"].location == "'Exchange Rates'!B5"
    assert rates["JPY"].source == "the Exchange Rates sheet, USD/JPY, inverted"
    assert rates["GBP"].rate == d("1.27")
    assert set(rates) == {"EUR", "JPY", "GBP"}


def test_conflicts_bad_rates_and_foreign_pairs_are_named():
    sheet = SheetGrid("FX", rows=(
        ("Currency", "Rate"),
        ("EUR", 1.08),
        ("EUR", 1.09),
        ("CHF", ExcelError("#N/A")),
        ("GBPEUR", 1.17),
        ("CAD", 0.73),
        ("CAD", 0.73),  # the same rate twice is read once
    ))
    rates, issues = read_rates(grid(sheet), "USD")
    assert set(rates) == {"EUR", "CAD"} and rates["EUR"].rate == d("1.08")
    by_cell = {i.location: i for i in issues}
    assert by_cell["FX!B3"].severity == "error"
    assert "1.08 at FX!B2 and 1.09 here" in by_cell["FX!B3"].message
    assert by_cell["FX!B4"].severity == "error" and "#N/A" in by_cell["FX!B4"].message
    assert by_cell["FX!A5"].severity == "warning" and "USD" in by_cell["FX!A5"].message
    assert len(issues) == 3


def test_settings_keys_win_over_the_sheet():
    sheet = SheetGrid("Rates", rows=(("Currency", "Rate"), ("EUR", 1.08), ("EUR", 1.10)))
    rates, issues = read_rates(grid(sheet), "USD", overridden=("EUR",))
    assert rates == {} and issues == ()  # Settings gives EUR: no conflict to report
    own = Rate("EUR", d("1.1"), "Settings FX EUR", "Settings!B9")
    sheet_rates = {"EUR": Rate("EUR", d("1.08"), "s", "Rates!B2"),
                   "GBP": Rate("GBP", d("1.27"), "s", "Rates!B3")}
    assert merge_rates([own], sheet_rates) == (own, sheet_rates["GBP"])


def test_an_fx_excel_table_in_a_real_workbook(tmp_path: Path):
    from derisk_xl.workbook.scan import load_grid

    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws.append(["Asset", "Quantity", "Price"])
    ws.append(["BTC", 1, 40000])
    other = wb.create_sheet("Lookup")
    other.append(["Notes about the rates"])
    other.append([])
    other.append(["Ccy", "Exchange Rate"])
    other.append(["EUR", 1.08])
    other.append(["INR", 0.012])
    other.add_table(Table(displayName="CurrencyRates", ref="A3:B5"))
    path = tmp_path / "t.xlsx"
    wb.save(path)
    loaded, problems = load_grid(path)
    assert problems == ()
    rates, issues = read_rates(loaded, "USD")
    assert issues == ()
    assert rates["EUR"] == Rate("EUR", d("1.08"), "the CurrencyRates table, EUR", "Lookup!B4")
    assert rates["INR"].rate == d("0.012")


def test_a_sheet_not_named_like_rates_is_not_read():
    sheet = SheetGrid("Portfolio", rows=(("Currency", "Rate"), ("EUR", 1.08)))
    assert read_rates(grid(sheet), "USD") == ({}, ())


def test_the_read_line_names_each_rate_and_where_it_came_from():
    source = HoldingsSource(
        "Holdings!A1:D4", 3, (("Asset", "Asset"),), base_currency="EUR",
        rates=(Rate("USD", d("0.9259259259259259259259259259"), "the FX sheet, EURUSD, inverted",
                    "FX!B2"),
               Rate("GBP", d("1.17"), "Settings FX GBP", "Settings!B7")))
    assert source.line == (
        "Holdings read from Holdings!A1:D4, 3 positions: Asset ← Asset; prices in EUR; "
        "converted at 1 USD = 0.9259259259 EUR (the FX sheet, EURUSD, inverted, FX!B2), "
        "1 GBP = 1.17 EUR (Settings FX GBP, Settings!B7)")


def test_futures_quoted_in_another_currency_are_converted_or_refused():
    from derisk_xl.core.model import FuturesPosition, Settings
    from derisk_xl.workbook.fx import futures_in_base

    linear = FuturesPosition("BTCUSDT-PERP", "BTC", "long", d("0.5"), d(40000), d(42000),
                             d(5000), maint_amount=d(50), location="Futures!A2")
    inverse = FuturesPosition("BTCUSD_PERP", "BTC", "short", d(100), d(40000), d(42000),
                              d(1000), contract_type="inverse", maint_amount=d("0.01"),
                              location="Futures!A3")
    unnamed = FuturesPosition("BTC-PERPETUAL", "BTC", "long", d(1), d(40000), d(42000), d(100),
                              location="Futures!A4")
    usd = Rate("USD", d("0.9"), "Settings FX USD", "Settings!B3")
    eur = Settings.for_model(base_currency="EUR", fx=(usd,))
    rows, used, issues = futures_in_base((linear, inverse, unnamed), eur)
    assert issues == () and used == (usd,)
    assert (rows[0].entry_price, rows[0].mark_price, rows[0].maint_amount) == \
        (d(36000), d(37800), d(45))                        # × 0.9 EUR per USDT (as USD)
    assert rows[0].margin == d(5000)                       # in the base currency already
    assert (rows[1].entry_price, rows[1].contract_value, rows[1].maint_amount) == \
        (d(36000), d(90), d("0.01"))                       # inverse: coin maint kept
    assert rows[2] is unnamed
    rows, used, issues = futures_in_base((linear,), Settings.for_model(base_currency="EUR"))
    assert rows == () and used == ()
    assert issues[0].location == "Futures!A2" and "no rate for USDT" in issues[0].message
    same = Settings.for_model(base_currency="USDT")
    assert futures_in_base((linear,), same) == ((linear,), (), ())
