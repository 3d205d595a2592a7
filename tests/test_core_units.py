"""Money in the words of the plan is written in the book's own currency units (SPEC 3.10):
whole yen in a JPY book, cents in a USD one. Each sentence below is one the USD tests
(test_core_warnings.py, test_core_worked.py) hold to the cent; here the same book is kept in
yen, so every amount in it must show no decimals. Also the leaves of core that round money
(``money.in_units``, ``valuation.fmt_money``) and the liquidation price's guards, called
directly, and the fingerprint's documented canonical form."""

from __future__ import annotations

from dataclasses import astuple, fields, replace
from decimal import Decimal as D

import pytest

from conftest import case_study_inputs
from derisk_xl.core.fingerprint import canonical_text
from derisk_xl.core.liquidation import liquidation_price
from derisk_xl.core.model import PlanInputs, Position, PriceHistory, Rate, Settings
from derisk_xl.core.money import in_units
from derisk_xl.core.plan import make_plan
from derisk_xl.core.valuation import fmt_money
from test_core_warnings import AS_OF, ETH, HEDGED, plan_of

YEN = dict(base_currency="JPY")


def messages(plan) -> list[str]:
    return [w.message for w in plan.warnings]


def test_protected_positions_alone_are_said_in_yen():
    """test_core_warnings' book (S* 32,000 < 40,000 protected) kept in JPY."""
    btc = Position("BTC", D(1), D(40000), D(40000), location="Holdings!A3")
    plan = plan_of(ETH, btc, Position("USDC", D(10000), D(1), D(1), "stable", location="H!A9"),
                   hedge_ratio=D(0), **YEN)
    assert messages(plan) == [
        "Protected positions alone are worth 40,000, more than the spot target S* 32,000: the "
        "target cannot be reached; unprotected positions are sold down to their min keep and "
        "protected ones are never sold."]


def test_an_allocation_sale_gives_its_reason_in_yen():
    """SPEC 7's book kept in JPY: S* 14,000, risk spot 15,625, excess 1,625."""
    base = case_study_inputs()
    inputs = replace(base, settings=replace(base.settings, base_currency="JPY"))
    sold = [t for t in make_plan(inputs).trades if t.step == "allocation"]
    assert [t.reason for t in sold] == [
        "Risk spot exceeds the target S* 14,000 by 1,625: sold from ALT (4×), highest multiple "
        "first."]


def test_the_sleeve_short_of_stable_is_said_in_yen():
    """test_core_warnings' ETH 30,000 + USDC 1,000 book (F* 6,200) kept in JPY; the hedge's
    USDT prices converted at 1 JPY per USDT, so its figures stay those of the USD book."""
    usdc = Position("USDC", D(1000), D(1), D(1), "stable", location="H!A9")
    plan = plan_of(ETH, usdc, rebalance_band=D(1), fx=(Rate("USDT", D(1), "Settings FX USDT"),),
                   **HEDGED, **YEN)
    assert ("The futures wallet needs 6,200 to reach its goal 6,200 but stable holds only "
            "1,000: all of it is moved.") in messages(plan)


def test_the_signals_say_their_figures_in_yen():
    """test_core_worked's books kept in JPY: risk spot 3,000 vs S* 9,600 (band 240), stable
    1,000 vs C* 9,600; and 30,500 still sellable above the min keeps."""
    positions = (Position("ETH", D(1), D(3000), D(3000), location="Holdings!A2"),
                 Position("USDC", D(1000), D(1), D(1), "stable", location="Holdings!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0), **YEN)
    from test_core_worked import future
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                futures=(future("BTCUSDT-PERP", "BTC", "long", "0.5", 40000,
                                                20000, 2),)))
    signal = {s.name: s for s in plan.signals}
    assert signal["target reached"].reason == (
        "risk spot after 3,000 vs target 9,600 (band 240); stable after 1,000 vs target 9,600.")

    positions = (
        Position("ETH", D(10), D(3000), D(3000), min_keep=D("0.5"), location="Holdings!A2"),
        Position("SOL", D(100), D(150), D(150), location="Holdings!A3"),
        Position("XYZ", D("0.5"), D(1000), D(1000), location="Holdings!A4"),
        Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A5"))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert {s.name: s for s in plan.signals}["nothing left to sell"].reason == (
        "3 unprotected position(s) could still sell 30,500 above their min keep.")


def test_futures_say_their_figures_in_yen():
    """test_core_warnings' and test_core_worked's futures kept in JPY: a long past liquidation
    (equity −5,000, margin 5,000, uPnL −10,000); a long in profit by 10,000 that closes 50 %
    and banks 5,000; a long at 15× reduced on its equity 2,000."""
    from derisk_xl.core.model import FuturesPosition

    def plan_with(f, **settings):
        return plan_of(Position("USDC", D(100000), D(1), D(1), "stable", location="H!A2"),
                       futures=[f], hedge_ratio=D(0), **YEN, **settings)

    past = plan_with(FuturesPosition("BTCUSDT-PERP", "BTC", "long", D(1), D(40000), D(30000),
                                     D(5000), location="Futures!A2"))
    assert messages(past) == ["BTCUSDT-PERP has equity -5,000 (margin 5,000, uPnL -10,000): it "
                              "is past liquidation; the plan closes it."]
    profit = plan_with(FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(10), D(2000), D(3000),
                                       D(10000), location="Futures!A2"))
    assert [t.reason for t in profit.trades if t.step == "close-long"] == [
        "ETHUSDT-PERP long is in profit by 10,000: close 50 % and bank 5,000 to the wallet."]
    levered = plan_with(FuturesPosition("ETHUSDT", "ETH", "long", D(10), D(3300), D(3000),
                                        D(5000), location="Futures!A2"))
    assert [t.reason for t in levered.trades if t.step == "reduce-leverage"] == [
        "ETHUSDT runs at 15× effective leverage, above Max Leverage 3×: reduce to 3× on its "
        "equity 2,000."]


def test_the_sleeve_funding_reason_is_in_yen():
    """test_core_worked's Aggressive Hold book (F* = 30 % of 34,500 = 10,350, the wallet
    empty) kept in JPY."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), location="Holdings!A2"),
        Position("USDC", D(1000), D(1), D(1), "stable", location="Holdings!A3"),
        Position("DAI", D(500), D(1), D(1), "stable", location="Holdings!A4"),
        Position("USDT", D(3000), D(1), D(1), "stable", location="Holdings!A5"))
    settings = Settings.for_model("Aggressive Hold", fee_bps=D(0), rebalance_band=D(1), **YEN)
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert plan.trades[0].reason == ("Sleeve funding (target): fund the futures wallet's goal "
                                     "10,350 (wallet equity 0).")


def test_a_close_profitable_longs_of_zero_closes_nothing():
    """Close Profitable Longs 0 %: a long in profit keeps its size, even with no Min Trade
    Value to stop a close of nothing (SPEC 4 step 6)."""
    from derisk_xl.core.model import FuturesPosition

    f = FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(10), D(2000), D(3000), D(10000),
                        location="Futures!A2")
    plan = plan_of(Position("USDC", D(100000), D(1), D(1), "stable", location="H!A2"),
                   futures=[f], hedge_ratio=D(0), close_profitable_longs=D(0),
                   min_trade_value=D(0))
    assert [t.step for t in plan.trades if t.step == "close-long"] == []
    assert plan.futures_after[0].size == D(10)


def test_a_hedge_on_an_exposure_under_one_unit_of_money_is_opened():
    """X 0.5 @ 1 kept: exposure 0.5, H = 20 % · 0.5 = 0.1 at a hedge price of 100 is 0.001
    contracts (the default lot step 0.001), with no Min Trade Value."""
    x = Position("X", D("0.5"), D(1), D(1), location="Holdings!A2")
    plan = plan_of(x, Position("USDC", D(100), D(1), D(1), "stable", location="Holdings!A3"),
                   hedge_underlying="X", hedge_price=D(100), min_trade_value=D(0),
                   rebalance_band=D(1))
    assert (plan.hedge.target_notional, plan.hedge.quantity) == (D("0.1"), D("0.001"))


# -------------------------------------------------------------------------------------------
# Leaves: rounding to the minor unit, liquidation guards, the canonical form
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, currency, shown", [
    (D("0.125"), "USD", "0.13"),         # half up, not half even (which gives 0.12)
    (D("0.135"), "USD", "0.14"),
    (D("2.5"), "JPY", "3"),              # half even would give 2
    (D("0.000000125"), "BTC", "0.00000013"),
    (D("-0.004"), "USD", "0.00"),        # never a negative zero
    (D("-0.4"), "JPY", "0"),
])
def test_in_units_rounds_half_up_to_the_minor_unit_and_never_to_minus_zero(value, currency,
                                                                           shown):
    assert format(in_units(value, currency), "f") == shown


def test_money_in_words_is_in_dollars_unless_told_otherwise():
    """fmt_money's currency defaults to USD: cents, with thousands separators."""
    assert fmt_money(D("1234.5")) == "1,234.50"
    assert fmt_money(D("1234.5"), "JPY") == "1,235"


@pytest.mark.parametrize("side", ["long", "short"])
def test_an_inverse_contract_of_no_value_has_no_liquidation_price(side):
    """An inverse contract whose Contract Value is 0 or less is an empty position: no
    liquidation price (the docstring's rule). With these everyday figures the formulas give
    none either; the next test holds the guard itself."""
    for value in (D(0), D(-10)):
        assert liquidation_price(side=side, entry=D(50000), size=D(100), margin=D(250),
                                 maint_rate=D("0.005"), contract_type="inverse",
                                 contract_value=value) is None


@pytest.mark.parametrize("value", [D(0), D(-100)])
def test_no_positive_contract_value_is_looked_at_before_the_model(value):
    """The guard comes first: even a model name no table holds gives None, and so do inputs
    under which Binance's inverse formula would give a price for V = −100 (a maintenance rate of
    200 % and amount −10: (−100·(1 − 2)) / (−(1 − 10) − 100/100) = 100 / 8 = 12.5)."""
    for model in ("binance", "bybit", "no such model"):
        assert liquidation_price(side="short", entry=D(100), size=D(1), margin=D(1),
                                 maint_rate=D(2), maint_amount=D(-10), model=model,
                                 contract_type="inverse", contract_value=value) is None


def test_the_canonical_form_has_one_line_per_record():
    """fingerprint's documented form: a header naming the record kind, its fields and count,
    then one line per record, the repr of the tuple of its field values in field order."""
    base = case_study_inputs()
    lines = canonical_text(base).splitlines()
    names = tuple(f.name for f in fields(Position))
    at = lines.index(f"positions:Position{names!r}:{len(base.positions)}")
    assert lines[at + 1: at + 1 + len(base.positions)] == [repr(astuple(p)) for p in
                                                          base.positions]


def test_the_canonical_form_takes_price_columns_by_name_as_text():
    """Prices' columns in sorted order of their names as text (``str(asset)``), whatever their
    type: a header read as the number 2024 is '2024', before 'BTC'."""
    dates = (AS_OF, AS_OF)
    inputs = replace(case_study_inputs(),
                     prices=PriceHistory(dates, {"BTC": (1.0, 2.0), 2024: (3.0, 4.0)}))
    assert canonical_text(inputs).splitlines()[-3:] == [
        f"prices:{dates!r}", "'2024':(3.0, 4.0)", "'BTC':(1.0, 2.0)"]


def test_a_rate_says_itself_with_where_it_came_from():
    """Rate.words, as the read line and Plan Summary name a rate (SPEC 3.10)."""
    with_cell = Rate("EUR", D("1.08"), "Settings FX EUR", "Settings!B30")
    assert with_cell.words("USD") == "1 EUR = 1.08 USD (Settings FX EUR, Settings!B30)"
    assert Rate("JPY", D("0.0066"), "FX sheet JPY/USD").words("USD") == \
        "1 JPY = 0.0066 USD (FX sheet JPY/USD)"


def test_a_rate_brings_an_amount_into_the_base_currency():
    """1.08 USD per EUR: 250 EUR are 270 USD."""
    assert Rate("EUR", D("1.08"), "Settings FX EUR").to_base(D(250)) == D("270.00")


def test_the_rate_for_a_currency_in_any_case_or_for_the_one_it_tracks():
    """Settings.rate_for: the rate named for the currency (in any case), else for the currency
    it tracks (FX USD serves USDT); None without one."""
    eur, usd = Rate("EUR", D("1.08"), "Settings FX EUR"), Rate("USD", D("0.93"), "Settings FX USD")
    settings = Settings.for_model("Balanced De-Risk", base_currency="GBP", fx=(eur, usd))
    assert settings.rate_for("eur") is eur
    assert settings.rate_for("USDT") is usd
    assert settings.rate_for("USD") is usd
    assert settings.rate_for("CHF") is None
    usdt = Rate("USDT", D("0.92"), "FX sheet USDT/GBP")
    both = Settings.for_model("Balanced De-Risk", base_currency="GBP", fx=(usd, usdt))
    assert both.rate_for("usdt") is usdt      # its own rate before the one it tracks


def test_stress_weighs_each_position_by_its_beta_from_prices():
    """With Prices and no Beta column, each position moves by its β from the price history
    (SPEC 4 step 11): ETH whose daily returns are exactly twice BTC's has β = 2, so a −10 %
    shock costs its 30,000 twice 3,000, not once."""
    import datetime as dt

    from derisk_xl.core.model import PriceHistory

    days = 40
    btc_returns = [0.01 * (-1) ** k * (1 + k % 3) for k in range(1, days)]
    btc, eth = [40000.0], [3000.0]
    for r in btc_returns:
        btc.append(btc[-1] * (1 + r))
        eth.append(eth[-1] * (1 + 2 * r))
    dates = tuple(AS_OF - dt.timedelta(days=days - 1 - k) for k in range(days))
    prices = PriceHistory(dates, {"BTC": tuple(btc), "ETH": tuple(eth)})
    plan = plan_of(ETH, Position("USDC", D(100000), D(1), D(1), "stable", location="H!A9"),
                   prices=prices, hedge_ratio=D(0))
    row = next(r for r in plan.stress if r.shock == D("-0.10"))
    assert abs(row.pnl_before - D(-6000)) < D("0.001"), row.pnl_before
