"""Money in several currencies (SPEC 3.10) through the core's own functions, in-process so the
core's mutation run sees them: which currency an instrument is quoted in, the hedge of a book
kept in another currency than its instrument's quote, and the hedge's sentences in a yen book.
Every figure is worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as d

import pytest
from test_core_tables import futures, holdings

from derisk_xl.core.currencies import quote_of
from derisk_xl.core.model import PlanInputs, Rate, Settings
from derisk_xl.core.plan import make_plan

# --- quote_of: the instrument's name says its quote currency (docstring's own examples) -------


@pytest.mark.parametrize("instrument, underlying, quote", [
    ("BTCUSDT-PERP", "BTC", "USDT"),    # the pair, then a contract word
    ("BTC-USD-SWAP", "BTC", "USD"),     # split on '-', contract word dropped: [BTC, USD]
    ("BTC-USD", "", "USD"),             # two parts: the second is the quote
    ("eth/eur", "", "EUR"),             # lower case is read as upper case
    ("ETHBTC", "", "BTC"),              # one word: the last 3 letters name a coin
    ("ETHUSDC-PERP", "", "USDC"),       # ... or the last 4 a stablecoin
    ("BTCUSD_PERP", "", "USD"),
    ("ETHUSD_240927", "", "USD"),       # a delivery date is not a part
    ("BTCFDUSD", "", "FDUSD"),          # the longest known code the name ends with (5 letters)
    ("Spot BTC/USDT", "", "USDT"),      # a contract word in front is dropped too: [BTC, USDT]
    # SOLUSD ends in LUSD (a stablecoin); the underlying SOL says the rest, USD, is the quote
    ("SOLUSD", "SOL", "USD"),
    ("BTC-PERPETUAL", "BTC", None),     # the name does not say: BTC alone is the underlying
    ("ES", "", None),                   # an index future
])
def test_quote_of_reads_the_instruments_name(instrument, underlying, quote):
    assert quote_of(instrument, underlying) == quote


# --- the hedge of a book kept in another currency than the instrument's quote (SPEC 3.10, 4) --
#
# A euro book: BTC 1 at 40,000 EUR (a core asset, never sold), EURC 60,000 at 1. T = 100,000,
# S* = 40 % = 40,000 = risk spot: nothing is sold. Hedge ratio 20 %: H = 8,000 EUR. Hedge Price
# and Hedge Underlying Price are typed in USDT, the quote of BTCUSDT-PERP; FX USD 0.9 (EUR per
# USD) serves USDT, which tracks USD.

AS_OF = dt.date(2026, 11, 28)
FX_USD = Rate("USD", d("0.9"), "Settings FX USD", "Settings!B30")
EURO_BOOK = """
    asset  qty    price  cost   cat
    BTC    1      40000  40000  -
    EURC   60000  1      1      stable
"""


def euro_plan(**settings):
    settings = {"base_currency": "EUR", "stable_asset": "EURC", "fee_bps": d(0),
                "hedge_ratio": d("0.2"), **settings}
    return make_plan(PlanInputs(positions=holdings(EURO_BOOK), as_of=AS_OF,
                                settings=Settings.for_model("Balanced De-Risk", **settings)))


def hedge_warnings(plan):
    return [w.message for w in plan.warnings if w.location == "Settings" and "Hedge" in w.message]


def test_hedge_price_in_usdt_is_converted_into_the_euro_book():
    p = euro_plan(hedge_price=d(44000), hedge_underlying_price=d(44400), fx=(FX_USD,))
    # 44,000 USDT · 0.9 = 39,600 EUR; spot 44,400 · 0.9 = 39,960 EUR.
    # 8,000 / 39,600 = 0.20202 → 0.202 contracts (lot step 0.001), 0.202 · 39,600 = 7,999.20
    h = p.hedge
    assert (h.price, h.spot_price, h.quantity, h.notional) == (
        d(39600), d(39960), d("0.202"), d("7999.20"))
    assert h.rate == FX_USD
    assert hedge_warnings(p) == []


def test_hedge_price_alone_is_converted_and_spot_comes_from_holdings():
    p = euro_plan(hedge_price=d(44000), fx=(FX_USD,))
    # price 39,600 EUR as above; spot: BTC's Holdings price 40,000 EUR, already in euros
    assert (p.hedge.price, p.hedge.spot_price, p.hedge.rate) == (d(39600), d(40000), FX_USD)


def test_hedge_underlying_price_alone_is_converted_and_prices_the_hedge():
    p = euro_plan(hedge_underlying_price=d(44400), fx=(FX_USD,))
    # spot 44,400 · 0.9 = 39,960 EUR prices the hedge: 8,000 / 39,960 = 0.2002 → 0.200
    assert (p.hedge.price, p.hedge.spot_price, p.hedge.quantity) == (
        d(39960), d(39960), d("0.200"))
    assert p.hedge.rate == FX_USD
    assert hedge_warnings(p) == [
        ("Hedge Price is not set: the hedge is priced at BTC's spot 39,960.00, so the basis is "
         "taken as 0.")]


def test_a_hedge_priced_at_spot_needs_no_rate():
    p = euro_plan()
    # nothing typed in USDT: the hedge is priced at BTC's spot in the book, 40,000 EUR → 0.2
    assert (p.hedge.price, p.hedge.quantity, p.hedge.rate) == (d(40000), d("0.2"), None)
    assert hedge_warnings(p) == [
        ("Hedge Price is not set: the hedge is priced at BTC's spot 40,000.00, so the basis is "
         "taken as 0.")]


def test_hedge_price_without_a_rate_skips_the_hedge_and_says_how_to_give_one():
    p = euro_plan(hedge_price=d(44000))
    assert p.hedge is None and not [t for t in p.trades if t.step == "hedge"]
    assert [(w.location, w.message) for w in p.warnings if "Hedge Price" in w.message] == [(
        "Settings",
        ("Hedge Price is in USDT, the quote of BTCUSDT-PERP, but the book is in EUR and no rate "
         "for USDT is given: no hedge is planned. Give the rate as Settings FX USDT (EUR per "
         "USDT) or a USDT row on an FX sheet, or leave Hedge Price empty to price the hedge at "
         "the underlying's spot."))]


def test_the_underlying_tells_the_quote_when_the_name_ends_in_another_code():
    # SOLUSD ends in LUSD, a stablecoin; the underlying SOL leaves USD as the quote
    p = euro_plan(hedge_instrument="SOLUSD", hedge_underlying="SOL", hedge_price=d(150))
    assert p.hedge is None
    assert [w.message for w in p.warnings if "Hedge Price" in w.message] == [
        ("Hedge Price is in USD, the quote of SOLUSD, but the book is in EUR and no rate for USD "
         "is given: no hedge is planned. Give the rate as Settings FX USD (EUR per USD) or a USD "
         "row on an FX sheet, or leave Hedge Price empty to price the hedge at the underlying's "
         "spot.")]


# --- the hedge's sentences write money in the book's own units: whole yen (SPEC 3.10) --------
# (test_core_units.py holds the other steps' sentences in yen.)
#
# A yen book: BTC 1 at 6,000,000 JPY (a core asset), CASH 9,000,000 at 1 (stable, the Stable
# Asset). T = 15,000,000; S* = 40 % = 6,000,000 = risk spot: nothing is sold. The hedge is
# quoted in yen (BTCJPY-PERP), so no rate is needed. Dollars would show cents (",000.00").

YEN_BOOK = """
    asset  qty      price    cost     cat
    BTC    1        6000000  6000000  -
    CASH   9000000  1        1        stable
"""


def yen_plan(fut=(), model="Balanced De-Risk", **settings):
    settings = {"base_currency": "JPY", "stable_asset": "CASH", "fee_bps": d(0),
                "hedge_instrument": "BTCJPY-PERP", **settings}
    return make_plan(PlanInputs(positions=holdings(YEN_BOOK), futures=fut, as_of=AS_OF,
                                settings=Settings.for_model(model, **settings)))


def settings_warnings(plan):
    return [w.message for w in plan.warnings if w.location == "Settings"]


def reasons(plan, step):
    return [t.reason for t in plan.trades if t.step == step]


def test_an_over_hedge_is_told_in_yen():
    p = yen_plan(hedge_ratio=d("0.2"), fut=futures("""
        symbol  underlying  side   size  entry    mark     margin
        BTCJPY  BTC         short  0.5   6000000  6000000  1000000
    """))
    # H = 20 % of 6,000,000 = 1,200,000; the short holds 0.5 · 6,000,000 = 3,000,000 (at 3×,
    # not above Max Leverage): over by 1,800,000. No Hedge Price: priced at BTC's spot.
    assert settings_warnings(p) == [
        ("Hedge Price is not set: the hedge is priced at BTC's spot 6,000,000, so the basis is "
         "taken as 0."),
        ("Existing shorts on BTC (3,000,000) exceed the hedge target H 1,200,000 by 1,800,000: "
         "over-hedged; the plan opens no new short and does not buy any back.")]


def test_the_hedge_trade_is_told_in_yen():
    p = yen_plan(hedge_ratio=d("0.2"), hedge_price=d(6000000), fut=futures("""
        symbol  underlying  side   size  entry    mark     margin
        BTCJPY  BTC         short  0.05  6000000  6000000  100000
    """))
    # H = 1,200,000 less the short's 0.05 · 6,000,000 = 300,000 → 900,000 = 0.15 BTC; margin
    # 900,000 / 3 = 300,000
    assert reasons(p, "hedge") == [
        ("Hedge 20 % of the kept risk spot 6,000,000: H = 1,200,000 less existing shorts "
         "300,000; margin 300,000 at 3×.")]


def test_a_hedge_cut_to_the_free_collateral_is_told_in_yen():
    p = yen_plan(model="Custom", spot_target=d("0.4"), stable_target=d("0.59"),
                 futures_sleeve=d("0.01"), hedge_ratio=d("0.2"), hedge_price=d(6000000))
    # F* = 1 % of 15,000,000 = 150,000 moved to the wallet. H = 1,200,000 → 0.2 BTC needs
    # margin 1,200,000 / 3 = 400,000; 150,000 fits 150,000 · 3 / 6,000,000 = 0.075
    assert settings_warnings(p) == [
        ("The hedge needs margin 400,000 but the wallet's free collateral is 150,000: the short "
         "is cut from 0.2 to 0.075 contracts.")]


def test_a_hedge_under_min_trade_value_is_told_in_yen():
    p = yen_plan(hedge_ratio=d("0.1"), hedge_price=d(6000000), min_trade_value=d(1000000))
    # H = 10 % of 6,000,000 = 600,000 → 0.1 BTC, under 1,000,000
    assert settings_warnings(p) == [
        "The hedge of 600,000 is under Min Trade Value 1,000,000: not opened."]


def test_a_hedge_under_one_lot_is_told_in_yen():
    p = yen_plan(hedge_ratio=d("0.2"), hedge_price=d(6000000), hedge_lot_step=d(1))
    # 1,200,000 / 6,000,000 = 0.2 contracts, rounded down to a lot step of 1: 0
    assert settings_warnings(p) == [
        "The hedge wanted 1,200,000 rounds down to 0 contracts at Hedge Lot Step 1: not opened."]
