"""Money in several currencies (SPEC 3.10) through the core's own functions, in-process so the
core's mutation run sees them: which currency an instrument is quoted in, amounts in a
currency's minor unit, and the hedge of a book kept in another currency than its instrument's
quote. Every figure is worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as d

import pytest
from test_core_tables import holdings

from derisk_xl.core.currencies import quote_of
from derisk_xl.core.model import PlanInputs, Rate, Settings
from derisk_xl.core.plan import make_plan
from derisk_xl.core.money import in_units
from derisk_xl.core.valuation import fmt_money


# --- quote_of: the instrument's name says its quote currency (docstring's own examples) -------


@pytest.mark.parametrize("instrument, underlying, quote", [
    ("BTCUSDT-PERP", "BTC", "USDT"),    # the pair, then a contract word
    ("BTC-USD-SWAP", "BTC", "USD"),     # split on '-', contract word dropped: [BTC, USD]
    ("BTC-USD", "", "USD"),             # two parts: the second is the quote
    ("eth/eur", "", "EUR"),             # lower case is read as upper case
    ("ETHBTC", "", "BTC"),
    ("ETHUSDC-PERP", "", "USDC"),       # ... or 4 letters a stablecoin
              # one word: the last 3 letters name a coin
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


# --- amounts in the minor unit of their currency (SPEC 3.10) -----------------------------------


def test_amounts_round_half_up_to_the_minor_unit_and_never_show_minus_zero():
    # half a cent rounds up (not to even): 0.125 → 0.13, 2.5 yen → 3
    assert str(in_units(d("0.125"), "USD")) == "0.13"
    assert str(in_units(d("2.5"), "JPY")) == "3"
    # −0.004 USD is 0.00, shown without a sign
    assert str(in_units(d("-0.004"), "USD")) == "0.00"
    assert fmt_money(d("-0.004"), "USD") == "0.00"


def test_money_is_written_in_dollars_unless_told_otherwise():
    # the default currency is USD: cents and thousands separators
    assert fmt_money(d("1234.5")) == "1,234.50"
    assert fmt_money(d("1234.5"), "JPY") == "1,235"


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
        "Hedge Price is not set: the hedge is priced at BTC's spot 39,960.00, so the basis is "
        "taken as 0."]


def test_a_hedge_priced_at_spot_needs_no_rate():
    p = euro_plan()
    # nothing typed in USDT: the hedge is priced at BTC's spot in the book, 40,000 EUR → 0.2
    assert (p.hedge.price, p.hedge.quantity, p.hedge.rate) == (d(40000), d("0.2"), None)
    assert hedge_warnings(p) == [
        "Hedge Price is not set: the hedge is priced at BTC's spot 40,000.00, so the basis is "
        "taken as 0."]


def test_hedge_price_without_a_rate_skips_the_hedge_and_says_how_to_give_one():
    p = euro_plan(hedge_price=d(44000))
    assert p.hedge is None and not [t for t in p.trades if t.step == "hedge"]
    assert [(w.location, w.message) for w in p.warnings if "Hedge Price" in w.message] == [(
        "Settings",
        "Hedge Price is in USDT, the quote of BTCUSDT-PERP, but the book is in EUR and no rate "
        "for USDT is given: no hedge is planned. Give the rate as Settings FX USDT (EUR per "
        "USDT) or a USDT row on an FX sheet, or leave Hedge Price empty to price the hedge at "
        "the underlying's spot.")]


def test_the_underlying_tells_the_quote_when_the_name_ends_in_another_code():
    # SOLUSD ends in LUSD, a stablecoin; the underlying SOL leaves USD as the quote
    p = euro_plan(hedge_instrument="SOLUSD", hedge_underlying="SOL", hedge_price=d(150))
    assert p.hedge is None
    assert [w.message for w in p.warnings if "Hedge Price" in w.message] == [
        "Hedge Price is in USD, the quote of SOLUSD, but the book is in EUR and no rate for USD "
        "is given: no hedge is planned. Give the rate as Settings FX USD (EUR per USD) or a USD "
        "row on an FX sheet, or leave Hedge Price empty to price the hedge at the underlying's "
        "spot."]
