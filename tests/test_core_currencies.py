"""Money in several currencies (SPEC 3.10) through the core's own functions, in-process so the
core's mutation run sees them: which currency an instrument is quoted in, amounts in a
currency's minor unit, and the hedge of a book kept in another currency than its instrument's
quote. Every figure is worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as d

import pytest
from test_core_tables import futures, holdings

from derisk_xl.core.currencies import quote_of
from derisk_xl.core.futures import adjust_futures
from derisk_xl.core.model import PlanInputs, PriceHistory, Rate, Settings
from derisk_xl.core.money import in_units
from derisk_xl.core.plan import make_plan
from derisk_xl.core.signals import signals
from derisk_xl.core.valuation import fmt_money

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


# --- sentences write money in the book's own units: whole yen in a yen book (SPEC 3.10) ------
#
# A yen book: BTC 1 at 6,000,000 JPY (a core asset), CASH 9,000,000 at 1 (stable, the Stable
# Asset). T = 15,000,000; S* = 40 % = 6,000,000 = risk spot: nothing is sold. The hedge is
# quoted in yen (BTCJPY-PERP), so no rate is needed. Dollars would show cents (",000.00").

YEN_BOOK = """
    asset  qty      price    cost     cat
    BTC    1        6000000  6000000  -
    CASH   9000000  1        1        stable
"""


def yen_plan(book=YEN_BOOK, fut=(), model="Balanced De-Risk", tiers=None, **settings):
    settings = {"base_currency": "JPY", "stable_asset": "CASH", "fee_bps": d(0),
                "hedge_ratio": d(0), "hedge_instrument": "BTCJPY-PERP", **settings}
    kwargs = {} if tiers is None else {"tiers": tiers}
    return make_plan(PlanInputs(positions=holdings(book), futures=fut, as_of=AS_OF,
                                settings=Settings.for_model(model, **settings), **kwargs))


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


def test_protected_spot_and_a_short_stable_are_told_in_yen():
    p = yen_plan(book="""
        asset  qty     price    cost     cat
        BTC    1       6000000  6000000  -
        CASH   100000  1        1        stable
    """)
    # T = 6,100,000: S* = 40 % = 2,440,000 under the protected BTC's 6,000,000;
    # F* = 20 % = 1,220,000 wanted by an empty wallet, and stable holds 100,000
    assert settings_warnings(p) == [
        ("Protected positions alone are worth 6,000,000, more than the spot target S* 2,440,000: "
         "the target cannot be reached; unprotected positions are sold down to their min keep "
         "and protected ones are never sold."),
        ("The futures wallet needs 1,220,000 to reach its goal 1,220,000 but stable holds only "
         "100,000: all of it is moved.")]
    assert reasons(p, "transfer") == [
        "Sleeve funding (target): fund the futures wallet's goal 1,220,000 (wallet equity 0)."]


def test_an_allocation_sale_is_told_in_yen():
    p = yen_plan(tiers=(), book="""
        asset  qty      price   cost    cat
        ETH    10       600000  100000  -
        CASH   4000000  1       1       stable
    """)
    # T = 10,000,000: S* = 4,000,000, risk spot 6,000,000 exceeds it by 2,000,000 (band 1 %
    # = 100,000); ETH is at 6× its cost
    assert reasons(p, "allocation") == [
        ("Risk spot exceeds the target S* 4,000,000 by 2,000,000: sold from ETH (6×), highest "
         "multiple first.")]


def test_the_signals_tell_money_in_yen():
    (target, nothing, *_), _status = signals(
        risk_after=d(6000000), stable_after=d(8000000), spot_target=d(4000000),
        stable_target=d(9000000), band=d(100000), prices=None, as_of=AS_OF,
        positions_after=holdings("""
            asset  qty  price   cost
            ETH    10   600000  100000
        """), settings=Settings(base_currency="JPY"))
    # ETH (not a core asset, no min keep) could still sell all 10 · 600,000
    assert target.reason == ("risk spot after 6,000,000 vs target 4,000,000 (band 100,000); "
                             "stable after 8,000,000 vs target 9,000,000.")
    assert nothing.reason == "1 unprotected position(s) could still sell 6,000,000 above their " \
        "min keep."


def test_futures_steps_are_told_in_yen():
    step = adjust_futures(futures("""
        symbol  underlying  side  size  entry    mark     margin
        BTCJPY  BTC         long  1     6000000  5000000  900000
        ETHJPY  ETH         long  1     5000000  6000000  2000000
        SOLJPY  SOL         long  1     6000000  6000000  1000000
    """), Settings.for_model("Balanced De-Risk", base_currency="JPY", fee_bps=d(0)))
    # BTCJPY: uPnL −1,000,000 on margin 900,000: equity −100,000.
    # ETHJPY: uPnL +1,000,000; Balanced closes 50 % and banks 500,000 (then 3,000,000 on
    # equity 1,500,000: 2×). SOLJPY: 6,000,000 on equity 1,000,000 is 6× against Max 3×.
    assert [i.message for i in step.issues] == [
        ("BTCJPY has equity -100,000 (margin 900,000, uPnL -1,000,000): it is past liquidation; "
         "the plan closes it.")]
    assert [t.reason for t in step.trades] == [
        "BTCJPY has no equity left: close it entirely.",
        "ETHJPY long is in profit by 1,000,000: close 50 % and bank 500,000 to the wallet.",
        ("SOLJPY runs at 6× effective leverage, above Max Leverage 3×: reduce to 3× on its "
         "equity 1,000,000.")]


def test_no_share_of_a_profitable_long_is_closed_when_the_setting_is_0():
    step = adjust_futures(futures("""
        symbol  underlying  side  size  entry    mark     margin
        ETHJPY  ETH         long  1     5000000  6000000  2000000
    """), Settings(close_profitable_longs=d(0), min_trade_value=d(0), fee_bps=d(0)))
    # Close Profitable Longs 0 %: nothing is closed, not even a trade of 0
    assert step.trades == () and [a.action for a in step.actions] == ["keep"]


# --- _make_plan leftovers: a hedge under one unit of money, and stress with betas from Prices --


def test_a_hedge_target_under_one_unit_of_money_is_still_planned():
    p = yen_plan(base_currency="USD", stable_asset="USDC", hedge_instrument="BTCUSDT-PERP",
                 book="""
        asset  qty        price  cost
        BTC    0.0000125  40000  40000
        USDC   1          1      1
    """, hedge_ratio=d("0.2"), hedge_price=d(40000))
    # kept risk spot 0.0000125 · 40,000 = 0.50; H = 20 % = 0.10 → 0.0000025 BTC, rounded down
    # to the lot step 0.001: 0. The hedge is planned (and says why nothing is opened).
    assert (p.hedge.target_notional, p.hedge.quantity) == (d("0.1"), 0)
    assert settings_warnings(p) == [
        "The hedge wanted 0.10 rounds down to 0 contracts at Hedge Lot Step 0.001: not opened."]


def test_stress_uses_the_betas_prices_give():
    returns = [0.01 * ((k % 5) - 2) for k in range(40)]

    def closes(scale):
        out = [100.0]
        for r in returns:
            out.append(out[-1] * (1 + scale * r))
        return tuple(out)

    dates = tuple(AS_OF - dt.timedelta(days=40 - k) for k in range(41))
    p = make_plan(PlanInputs(positions=holdings("""
        asset  qty    price  cost
        ETH    10     3000   3000
        USDC   30000  1      1
    """), as_of=AS_OF, prices=PriceHistory(dates, {"BTC": closes(1), "ETH": closes(2)}),
        settings=Settings.for_model("Balanced De-Risk", fee_bps=d(0), hedge_ratio=d(0))))
    # ETH's daily returns are twice BTC's: β = 2. A −10 % shock moves ETH's 30,000 by
    # 2 · −10 % · 30,000 = −6,000 before the plan (β 1 would say −3,000)
    first = p.stress[0]
    assert first.shock == d("-0.10") and abs(first.pnl_before - d(-6000)) < d("0.01")
