"""Every warning the calculator gives, each on a small book where its figures are worked out
here, with the whole sentence and where it points (issue #20: mutation testing found most of
them unchecked, so a wrong figure or a lost warning passed).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal as D

import oracle
from derisk_xl.core.model import (FuturesPosition, Lot, PlanInputs, Position, PriceHistory,
                                  Settings, Tier)
from derisk_xl.core.plan import make_plan

AS_OF = dt.date(2026, 11, 28)
ETH = Position("ETH", D(10), D(3000), D(3000), location="Holdings!A2")   # at cost: no tier
USDC = Position("USDC", D(50000), D(1), D(1), "stable", location="Holdings!A9")


def plan_of(*positions, futures=(), lots=(), tiers=None, prices=None,
            model="Balanced De-Risk", **settings):
    s = Settings.for_model(model, **{"fee_bps": D(0), **settings})
    extra = {} if tiers is None else {"tiers": tiers}
    return make_plan(PlanInputs(positions=positions, settings=s, as_of=AS_OF,
                                futures=tuple(futures), lots=tuple(lots), prices=prices,
                                **extra))


def said(plan) -> list[tuple[str, str]]:
    assert all(w.severity == "warning" for w in plan.warnings), plan.warnings
    return [(w.location, w.message) for w in plan.warnings]


HEDGED = dict(hedge_price=D(40000), hedge_underlying_price=D(40000))


# -------------------------------------------------------------------------------------------
# Hedge sizing
# -------------------------------------------------------------------------------------------


def test_min_variance_without_prices_falls_back_to_notional():
    """X = 30,000 of ETH; without Prices no h*: H = 20 % · X = 6,000."""
    plan = plan_of(ETH, USDC, hedge_sizing="min-variance", **HEDGED)
    assert said(plan) == [("Settings", (
        "Hedge Sizing is min-variance but Prices give no hedge ratio h* (needs ≥ 30 daily "
        "returns of the kept assets and BTC): sized on notional instead."))]
    h = plan.hedge
    assert (h.sizing, h.h_star, h.exposure, h.target_notional) == \
        ("notional", None, D(30000), D(6000))


def prices_for(*assets: str, days: int = 40) -> PriceHistory:
    dates = tuple(AS_OF - dt.timedelta(days=days - 1 - k) for k in range(days))
    closes = {"BTC": tuple(40000 * (1 + 0.02 * math.sin(k)) for k in range(days))}
    for n, a in enumerate(assets, 1):
        closes[a] = tuple(3000 * (1 + 0.03 * math.sin(k) + 0.01 * math.cos(n * k))
                          for k in range(days))
    return PriceHistory(dates, closes)


def test_kept_assets_without_prices_are_named_ten_at_most():
    """ETH has a Prices column; A01…A12 do not. h* comes from ETH alone (the oracle's own
    estimate, to four places); the warning names A01…A10 and counts the 2 more; USDC is not
    a kept risk asset and is never named."""
    others = [Position(f"A{n:02}", D(1), D(100), D(100), location=f"Holdings!A{n + 2}")
              for n in range(1, 13)]
    prices = prices_for("ETH")
    plan = plan_of(ETH, *others, USDC, hedge_sizing="min-variance", prices=prices, **HEDGED)
    h_star = oracle.estimate_h_star({"ETH": 30000.0}, "BTC", prices)
    assert plan.hedge.sizing == "min-variance" and abs(plan.hedge.h_star - h_star) < 1e-12
    assert said(plan) == [("Prices", (
        "Kept assets with no column in Prices: A01, A02, A03, A04, A05, A06, A07, A08, A09, "
        f"A10 and 2 more. They are left out of the minimum-variance ratio h* {h_star:.4f}, "
        "which is estimated from the other kept assets and then applied to the whole kept "
        "exposure; add their closing prices to Prices to include them."))]
    # eleven: ten named and one more
    plan = plan_of(ETH, *others[:11], USDC, hedge_sizing="min-variance", prices=prices,
                   **HEDGED)
    assert said(plan)[0][1].startswith(
        "Kept assets with no column in Prices: A01, A02, A03, A04, A05, A06, A07, A08, A09, "
        "A10 and 1 more. They are left out")
    # ten or fewer: all named, nothing more
    plan = plan_of(ETH, *others[:10], USDC, hedge_sizing="min-variance", prices=prices,
                   **HEDGED)
    assert said(plan)[0][1].startswith(
        "Kept assets with no column in Prices: A01, A02, A03, A04, A05, A06, A07, A08, A09, "
        "A10. They are left out")


def test_a_kept_asset_on_two_rows_weighs_its_two_values():
    """h* weights the basket by kept value per asset: ETH on two venues (10 and 5 at 3,000)
    and SOL (100 at 150) weigh 45,000 and 15,000 (200,000 USDC: nothing is sold)."""
    prices = prices_for("ETH", "SOL")
    sol = Position("SOL", D(100), D(150), D(150), location="Holdings!A4")
    eth2 = Position("ETH", D(5), D(3000), D(3000), venue="Kraken", location="Holdings!A3")
    usdc = Position("USDC", D(200000), D(1), D(1), "stable", location="Holdings!A9")
    plan = plan_of(ETH, eth2, sol, usdc, hedge_sizing="min-variance", prices=prices, **HEDGED)
    want = oracle.estimate_h_star({"ETH": 45000.0, "SOL": 15000.0}, "BTC", prices)
    assert abs(plan.hedge.h_star - want) < 1e-12
    assert plan.hedge.target_notional == D("0.2") * D(60000) * D(repr(plan.hedge.h_star))


def test_beta_sizing_warns_once_per_asset_whose_beta_falls_back_to_one():
    """No Prices: ETH has a Beta (1.5), so no warning; SOL (two rows) is warned once, DOT
    (half a coin) once; AAA holds nothing and USDC is stable: neither is warned.
    X = 1.5 · 30,000 + 1 · (3,000 + 1,500) + 1 · 50 = 49,550."""
    rows = (Position("ETH", D(10), D(3000), D(3000), beta=1.5, location="Holdings!A2"),
            Position("SOL", D(20), D(150), D(150), location="Holdings!A3"),
            Position("SOL", D(10), D(150), D(150), venue="Kraken", location="Holdings!A4"),
            Position("AAA", D(0), D(7), D(7), location="Holdings!A5"),
            Position("DOT", D("0.5"), D(100), D(100), location="Holdings!A6"),
            USDC)
    plan = plan_of(*rows, hedge_sizing="beta", **HEDGED)
    assert said(plan) == [
        ("Holdings!A3", "SOL has no Beta and Prices give none (needs ≥ 30 daily returns of "
                        "SOL and BTC): β = 1 is assumed."),
        ("Holdings!A6", "DOT has no Beta and Prices give none (needs ≥ 30 daily returns of "
                        "DOT and BTC): β = 1 is assumed.")]
    assert plan.hedge.exposure == D(49550)
    hedge = next(t for t in plan.trades if t.step == "hedge")
    assert hedge.reason.startswith("Hedge 20 % of the β-weighted kept risk spot 49,550.00: "
                                   "H = 9,910.00;")


def test_beta_sizing_does_not_warn_of_a_beta_prices_give():
    """With Prices for ETH (and BTC, the underlying), ETH's β comes from them: no warning;
    SOL has no column and is warned."""
    rows = (ETH, Position("SOL", D(20), D(150), D(150), location="Holdings!A3"), USDC)
    plan = plan_of(*rows, hedge_sizing="beta", prices=prices_for("ETH"), **HEDGED)
    assert said(plan) == [
        ("Holdings!A3", "SOL has no Beta and Prices give none (needs ≥ 30 daily returns of "
                        "SOL and BTC): β = 1 is assumed.")]
    beta = oracle.beta_from_prices("ETH", "BTC", prices_for("ETH"))
    assert abs(plan.hedge.exposure - (D(repr(beta)) * 30000 + 3000)) < D("1e-6")


# -------------------------------------------------------------------------------------------
# Hedge price, leverage, fit
# -------------------------------------------------------------------------------------------


def test_no_price_for_the_hedge_means_no_hedge():
    plan = plan_of(ETH, USDC)
    assert plan.hedge is None
    assert said(plan) == [("Settings", (
        "No price for the hedge: set Hedge Price (or hold BTC or give Hedge Underlying "
        "Price); no hedge is planned."))]


def test_the_hedge_priced_at_spot_or_without_a_spot():
    btc = Position("BTC", D("0.1"), D(40000), D(40000), location="Holdings!A3")
    plan = plan_of(ETH, btc, USDC)
    assert said(plan) == [("Settings", "Hedge Price is not set: the hedge is priced at BTC's "
                                       "spot 40,000.00, so the basis is taken as 0.")]
    assert plan.hedge.price == D(40000) == plan.hedge.spot_price
    plan = plan_of(ETH, USDC, hedge_price=D(40200))
    assert said(plan) == [("Settings", "No spot price for BTC (not in Holdings, no Hedge "
                                       "Underlying Price): the basis is taken as 0.")]
    assert plan.hedge.spot_price == D(40200)


def test_hedge_leverage_above_max_leverage_is_capped():
    """Hedge Leverage 5 over Max Leverage 3: H = 6,000 → 0.15 BTC, margin 6,000 / 3."""
    plan = plan_of(ETH, USDC, hedge_leverage=D(5), **HEDGED)
    assert said(plan) == [("Settings", "Hedge Leverage 5× is above Max Leverage 3×: the "
                                       "hedge uses 3×.")]
    assert (plan.hedge.leverage, plan.hedge.margin) == (D(3), D(2000))


def test_stable_short_of_the_sleeve_then_the_hedge_cut_to_the_collateral():
    """ETH 30,000 + USDC 1,000: T = 31,000 (a band of 100 %: nothing is sold), F* = 6,200
    but stable holds 1,000, all moved. H = 20 % · 30,000 = 6,000 → 0.15 BTC needs margin
    2,000 > 1,000 free: cut to 1,000 / (40,000 / 3) = 0.075 BTC."""
    plan = plan_of(ETH, Position("USDC", D(1000), D(1), D(1), "stable", location="H!A9"),
                   rebalance_band=D(1), **HEDGED)
    assert said(plan) == [
        ("Settings", "The futures wallet needs 6,200.00 to reach its goal 6,200.00 but stable "
                     "holds only 1,000.00: all of it is moved."),
        ("Settings", "The hedge needs margin 2,000.00 but the wallet's free collateral is "
                     "1,000.00: the short is cut from 0.15 to 0.075 contracts.")]
    assert (plan.hedge.quantity, plan.hedge.margin) == (D("0.075"), D(1000))


def test_a_hedge_under_min_trade_value_or_under_one_lot_is_not_opened():
    """ETH 0.1 @ 3,000: H = 60 → 0.001 BTC = 40 < Min Trade Value 250. ETH 10: H = 6,000 →
    0.15 contracts, 0 at a Hedge Lot Step of 1."""
    small = Position("ETH", D("0.1"), D(3000), D(3000), location="Holdings!A2")
    plan = plan_of(small, USDC, min_trade_value=D(250), **HEDGED)
    assert ("Settings", "The hedge of 40.00 is under Min Trade Value 250.00: not opened.") \
        in said(plan)
    assert plan.hedge.quantity == 0 and plan.hedge.notional == 0
    plan = plan_of(ETH, USDC, hedge_lot_step=D(1), **HEDGED)
    assert said(plan) == [("Settings", "The hedge wanted 6,000.00 rounds down to 0 contracts "
                                       "at Hedge Lot Step 1: not opened.")]
    assert plan.hedge.quantity == 0


def test_a_hedge_expiring_on_the_as_of_date_is_warned():
    """Sold at 40,200 against a spot of 40,000: basis 200 (0.5 %), nothing left to earn."""
    plan = plan_of(ETH, USDC, hedge_expiry=AS_OF, hedge_price=D(40200),
                   hedge_underlying_price=D(40000))
    assert said(plan) == [("Settings", "Hedge Expiry 2026-11-28 is not after the as-of date "
                                       "2026-11-28: the contract has expired; no basis is left "
                                       "to earn.")]
    c = plan.hedge.carry
    assert (c.kind, c.basis, c.basis_pct, c.annualized, c.amount, c.days_to_expiry) == \
        ("basis", D(200), D("0.005"), 0, 0, 0)
    assert plan.futures_after[-1].expiry == AS_OF          # the new short is that contract


# -------------------------------------------------------------------------------------------
# Sales, lots, futures
# -------------------------------------------------------------------------------------------


def test_protected_positions_alone_above_the_spot_target():
    """BTC 1 @ 40,000 (core asset) + ETH 30,000 + USDC 10,000: T = 80,000, S* = 32,000 <
    40,000 protected. The excess 38,000 takes all of ETH."""
    btc = Position("BTC", D(1), D(40000), D(40000), location="Holdings!A3")
    plan = plan_of(ETH, btc, Position("USDC", D(10000), D(1), D(1), "stable", location="H!A9"),
                   hedge_ratio=D(0))
    assert said(plan) == [("Settings", (
        "Protected positions alone are worth 40,000.00, more than the spot target S* "
        "32,000.00: the target cannot be reached; unprotected positions are sold down to "
        "their min keep and protected ones are never sold."))]
    assert [(t.instrument, t.quantity) for t in plan.trades if t.step == "allocation"] == \
        [("ETH", D(10))]


def test_a_position_without_cost_gets_no_tier_and_a_warning():
    aaa = Position("AAA", D(10), D(50), None, location="Holdings!A4")
    plan = plan_of(ETH, aaa, USDC, hedge_ratio=D(0))
    assert said(plan) == [("Holdings!A4", "AAA has no average cost: its multiple is unknown, "
                                          "so no tier sales; the allocation sells it last and "
                                          "its gain is not estimated.")]


def test_proceeds_into_a_stable_asset_not_held():
    """ALT 100 @ 12, cost 3 (4×): the default tiers sell 50; no USDC row: one is added."""
    alt = Position("ALT", D(100), D(12), D(3), location="Holdings!A2")
    usdt = Position("USDT", D(50000), D(1), D(1), "stable", location="Holdings!A3")
    plan = plan_of(alt, usdt, hedge_ratio=D(0), futures_sleeve=D(0), spot_target=D("0.5"),
                   stable_target=D("0.5"), model="Custom")
    assert said(plan) == [("Settings", "Stable Asset USDC is not in Holdings: the plan adds "
                                       "it to receive the proceeds.")]
    added = plan.positions_after[-1]
    assert (added.asset, added.quantity, added.category, added.location, added.venue) == \
        ("USDC", D(600), "stable", "Settings", "")
    assert (added.price, added.avg_cost) == (1, 1)
    # proceeds of less than one unit are proceeds too
    dust = Position("ALT", D(1), D("0.5"), D("0.1"), location="Holdings!A2")
    plan = plan_of(dust, usdt, hedge_ratio=D(0), futures_sleeve=D(0), spot_target=D("0.5"),
                   stable_target=D("0.5"), model="Custom", min_trade_value=D(0))
    assert plan.positions_after[-1].quantity == D("0.25")
    assert ("Settings", "Stable Asset USDC is not in Holdings: the plan adds it to receive "
                        "the proceeds.") in said(plan)
    # nothing sold, nothing received: the row is added, silently
    plan = plan_of(ETH, usdt, hedge_ratio=D(0), futures_sleeve=D(0), spot_target=D("0.5"),
                   stable_target=D("0.5"), model="Custom")
    assert said(plan) == [] and plan.positions_after[-1].quantity == 0


def test_lots_that_do_not_cover_the_holding_are_warned_and_costed_at_average():
    """ALT 100, cost 3; lots 90 @ 2 (one lot): the tiers sell 50 at 12; the gap of 10 is
    said; the 50 come from the lot: gain 50 · (12 − 2) = 500."""
    alt = Position("ALT", D(100), D(12), D(3), location="Holdings!A2")
    plan = plan_of(alt, USDC, lots=[Lot("ALT", D(90), D(2), None, "Lots!A2")],
                   hedge_ratio=D(0))
    assert said(plan) == [("Holdings!A2", (
        "The lots of ALT sum to 90 but Holdings hold 100 (gap 10): quantity beyond the lots "
        "is matched at the position's average cost."))]
    assert [t.realized_gain for t in plan.trades if t.step == "tier"] == [D(500)]


def test_lots_within_the_tolerance_are_not_warned():
    """1e-9 of the holding is the tolerance (SPEC 3.6): 100 held, lots of 100.0000001."""
    alt = Position("ALT", D(100), D(12), D(3), location="Holdings!A2")
    for total in (D(100), D("100.0000001"), D("99.9999999")):
        plan = plan_of(alt, USDC, lots=[Lot("ALT", total, D(2), None, "Lots!A2")],
                       hedge_ratio=D(0))
        assert said(plan) == [], total


def test_a_future_past_liquidation_is_closed_with_a_warning():
    """BTC long 1 from 40,000 marked 30,000 with 5,000 margin: equity −5,000, closed."""
    f = FuturesPosition("BTCUSDT-PERP", "BTC", "long", D(1), D(40000), D(30000), D(5000),
                        location="Futures!A2")
    plan = plan_of(ETH, USDC, futures=[f], hedge_ratio=D(0))
    assert said(plan) == [("Futures!A2", "BTCUSDT-PERP has equity -5,000.00 (margin 5,000.00, "
                                         "uPnL -10,000.00): it is past liquidation; the plan "
                                         "closes it.")]
    assert plan.futures_after[0].size == 0
    closed = [t for t in plan.trades if t.step == "reduce-leverage"]
    assert [(t.quantity, t.realized_gain) for t in closed] == [(D(1), D(-10000))]
    assert plan.realized_gain == D(-10000)


def test_a_category_tier_is_due_at_its_trigger_exactly():
    """DOT (alt) at exactly 2.5× its cost: the alt tier at 2.5 is reached (≥), 20 % of 100."""
    dot = Position("DOT", D(100), D(25), D(10), location="Holdings!A2")
    plan = plan_of(dot, USDC, hedge_ratio=D(0),
                   tiers=(Tier(D("2.5"), D("0.2"), "alt"), Tier(D(9), D("0.1"), "ETH")))
    assert [(t.instrument, t.quantity) for t in plan.trades if t.step == "tier"] == \
        [("DOT", D(20))]


def test_a_hedge_whose_margin_fits_the_collateral_exactly_is_not_cut():
    """Sleeve Funding `needed` with a Collateral Buffer of 1: the wallet is funded with
    exactly the hedge's margin, 6,000 / 3 = 2,000 for 0.15 BTC, which fits: no warning."""
    plan = plan_of(ETH, USDC, sleeve_funding="needed", collateral_buffer=D(1), **HEDGED)
    assert said(plan) == []
    assert [t.notional for t in plan.trades if t.step == "transfer"] == [D(2000)]
    assert (plan.hedge.quantity, plan.hedge.margin) == (D("0.15"), D(2000))


def test_prices_too_short_for_a_beta_fall_back_to_one_with_a_warning():
    """Ten days of Prices for ETH and BTC: no β (30 returns needed), so β = 1, warned."""
    plan = plan_of(ETH, USDC, hedge_sizing="beta", prices=prices_for("ETH", days=10),
                   **HEDGED)
    assert said(plan) == [
        ("Holdings!A2", "ETH has no Beta and Prices give none (needs ≥ 30 daily returns of "
                        "ETH and BTC): β = 1 is assumed.")]
    assert plan.hedge.exposure == D(30000)


def test_stable_short_of_the_sleeve_is_valued_at_its_price():
    """USDT 1,000 at 0.999 is worth 999: that is what stable holds for the sleeve."""
    usdt = Position("USDT", D(1000), D("0.999"), D(1), "stable", location="H!A9")
    plan = plan_of(ETH, usdt, rebalance_band=D(1), stable_asset="USDT", hedge_ratio=D(0))
    assert said(plan) == [("Settings", "The futures wallet needs 6,199.80 to reach its goal "
                                       "6,199.80 but stable holds only 999.00: all of it is "
                                       "moved.")]


def test_positions_without_cost_are_said_once_from_three_and_sold_last_by_name():
    """AAA, BBB, CCC without cost (100 each), ETH at cost: one grouped warning; the excess
    is sold from the unknown costs, named in the reason."""
    rows = [Position(a, D(10), D(10), None, location=f"Holdings!A{n}")
            for n, a in ((3, "AAA"), (4, "BBB"), (5, "CCC"))]
    plan = plan_of(*rows, Position("USDC", D(100), D(1), D(1), "stable", location="H!A9"),
                   hedge_ratio=D(0))
    assert said(plan) == [("Holdings!A3", "3 positions have no average cost (first: "
                                          "Holdings!A3, Holdings!A4, Holdings!A5): their "
                                          "multiples are unknown, so no tier sales; the "
                                          "allocation sells them last and their gains are not "
                                          "estimated.")]
    sale = next(t for t in plan.trades if t.step == "allocation")
    assert sale.instrument == "AAA" and sale.reason.endswith(
        "sold from AAA (unknown cost), highest multiple first.")
