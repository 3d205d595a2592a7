"""Plans worked by hand where the suite proved least (issue #20): existing futures longs and
shorts against the hedge, and tiers whose Applies To is a category or an asset.

Every expected figure is worked out in the comments from SPEC 4, not taken from a run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from derisk_xl.core.model import FuturesPosition, PlanInputs, Position, Settings, Tier
from derisk_xl.core.plan import make_plan
from derisk_xl.workbook.reader import read_workbook

from conftest import WORKBOOKS

AS_OF = dt.date(2026, 11, 28)


def future(symbol, underlying, side, size, price, margin, row):
    return FuturesPosition(symbol=symbol, underlying=underlying, side=side, size=D(size),
                           entry_price=D(price), mark_price=D(price), margin=D(margin),
                           location=f"Futures!A{row}")


def balanced_plan(positions, **settings):
    """Balanced De-Risk with no fees and no hedge unless told: what is asserted is the step
    under test, not the costs around it."""
    settings = Settings.for_model("Balanced De-Risk", **{"fee_bps": D(0), "hedge_ratio": D(0),
                                                         **settings})
    return make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))


def plan_of_future(f: FuturesPosition, settings: Settings | None = None):
    """The plan of one futures row beside 1,000 USDC of spot: no fees and no hedge by default,
    so what is asserted is the future's own arithmetic."""
    settings = settings or Settings.for_model("Balanced De-Risk", fee_bps=D(0),
                                              hedge_ratio=D(0))
    return make_plan(PlanInputs(
        positions=(Position("USDC", D(1000), D(1), D(1), "stable", location="H!A2"),),
        settings=settings, as_of=AS_OF, futures=(f,)))


def hedged_book(futures) -> PlanInputs:
    """BTC 0.1 @ 40,000 (core asset, kept), ETH 10 @ 3,000 at cost (multiple 1: no tier),
    USDC 50,000; Balanced De-Risk without fees or futures closes; hedge at 40,000."""
    positions = (
        Position("BTC", D("0.1"), D(40000), D(40000), location="Holdings!A2"),
        Position("ETH", D(10), D(3000), D(3000), location="Holdings!A3"),
        Position("USDC", D(50000), D(1), D(1), "stable", location="Holdings!A4"),
    )
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_price=D(40000),
                                  close_profitable_longs=D(0))
    return PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                      futures=tuple(futures))


def test_only_shorts_on_the_hedge_underlying_count_toward_the_hedge():
    """Futures: a BTC long 0.2 (notional 8,000, margin 4,000, 2×), a BTC short 0.05 (2,000,
    margin 1,000), an ETH short 1 @ 3,000 (margin 1,500); none profitable, none above 3×.

    T = 4,000 + 30,000 (risk) + 50,000 (stable) + 6,500 (wallet: the three margins) = 90,500;
    S* = 36,200 > 34,000 of risk spot: nothing is sold. X = 34,000, H = 20 % · X = 6,800.
    Existing shorts on BTC: the short's 2,000 only (the long is not a short; the ETH short
    is on another underlying). A = 4,800 → 0.12 BTC at 40,000, margin 4,800 / 3 = 1,600.
    Sleeve: F* = 18,100, the wallet holds 6,500: 11,600 moves from USDC, which covers the
    margin.
    """
    plan = make_plan(hedged_book([
        future("BTCUSDT-PERP", "BTC", "long", "0.2", 40000, 4000, 2),
        future("BTCUSDT-Q", "BTC", "short", "0.05", 40000, 1000, 3),
        future("ETHUSDT-PERP", "ETH", "short", "1", 3000, 1500, 4),
    ]))
    h = plan.hedge
    assert plan.total_before == D(90500)
    assert h.exposure == D(34000) and h.target_notional == D(6800)
    assert h.existing_short_notional == D(2000)
    assert (h.quantity, h.notional, h.margin) == (D("0.12"), D(4800), D(1600))
    assert [t.step for t in plan.trades] == ["transfer", "hedge"]
    assert plan.trades[0].notional == D(11600)
    assert plan.trades[1].reason == ("Hedge 20 % of the kept risk spot 34,000.00: H = 6,800.00 "
                                     "less existing shorts 2,000.00; margin 1,600.00 at 3×.")
    assert [f.size for f in plan.futures_after] == [D("0.2"), D("0.05"), D(1), D("0.12")]
    # gross before: 34,000 of risk spot + 8,000 + 2,000 + 3,000 of futures, of T = 90,500;
    # net: 34,000 + 8,000 − 2,000 − 3,000 = 37,000; the wallet runs 13,000 on 6,500
    hedge = plan.futures_after[-1]
    assert (hedge.symbol, hedge.side, hedge.entry_price, hedge.underlying_price, hedge.expiry) \
        == ("BTCUSDT-PERP", "short", D(40000), D(40000), None)
    assert h.liquidation_model == "binance" and plan.as_of == AS_OF and hedge.leverage == 3
    assert (hedge.funding_rate_8h, hedge.location, h.hedge_ratio) == (D(0), "Settings",
                                                                      D("0.2"))
    assert plan.trades[1].notional == D(4800) and plan.trades[0].side == "transfer"
    assert [t.number for t in plan.trades] == [1, 2]
    e = plan.exposure_before
    assert (e.gross, e.gross_pct) == (D(47000), D(47000) / D(90500))
    assert (e.net, e.net_pct) == (D(37000), D(37000) / D(90500))
    assert e.wallet_leverage == 2


def test_a_long_on_the_hedge_underlying_leaves_the_hedge_whole():
    """The same book with only the BTC long: no short exists, so A = H = 6,800 → 0.17 BTC."""
    plan = make_plan(hedged_book([future("BTCUSDT-PERP", "BTC", "long", "0.2", 40000, 4000,
                                         2)]))
    assert plan.hedge.existing_short_notional == 0
    assert (plan.hedge.quantity, plan.hedge.notional) == (D("0.17"), D(6800))


def test_shorts_beyond_the_target_are_an_over_hedge_not_a_trade():
    """A BTC short of 0.2 (8,000) against H = 6,800: over-hedged by 1,200; no new short, no
    buy-back, a warning."""
    plan = make_plan(hedged_book([future("BTCUSDT-Q", "BTC", "short", "0.2", 40000, 4000, 2)]))
    assert plan.hedge.existing_short_notional == D(8000)
    assert plan.hedge.quantity == 0 and plan.hedge.notional == 0
    assert not [t for t in plan.trades if t.step == "hedge"]
    assert [f.size for f in plan.futures_after] == [D("0.2")]
    assert [(w.location, w.message) for w in plan.warnings] == [("Settings", (
        "Existing shorts on BTC (8,000.00) exceed the hedge target H 6,800.00 by 1,200.00: "
        "over-hedged; the plan opens no new short and does not buy any back."))]


def test_the_sample_workbook_holds_no_short_on_btc_so_its_hedge_is_all_new():
    """workbooks/example.xlsx holds two BTC longs (a linear perpetual and an inverse future)
    and one short, on ETH: nothing counts toward the BTC hedge, A = H."""
    result = read_workbook(WORKBOOKS / "example.xlsx", as_of=AS_OF, today=AS_OF)
    sides = {(f.underlying, f.side) for f in result.inputs.futures}
    assert sides == {("BTC", "long"), ("ETH", "short"), ("SOL", "long")}
    plan = make_plan(result.inputs)
    h = plan.hedge
    assert h.existing_short_notional == 0
    unit = h.price * h.contract_size
    assert h.target_notional - unit * D("0.001") < h.notional <= h.target_notional


def test_tiers_by_category_and_by_asset_add_up():
    """Tiers: 2.5× → 20 % of every `alt`, 2× → 10 % of ETH, 5× → 50 % of everyone.

    ETH (alt) 10 @ 3,000, cost 1,000: 3× ≥ 2.5 and ≥ 2: due 20 % + 10 % = 30 % → sell 3.
    SOL (alt) 100 @ 200, cost 40: 5× meets the alt tier and the 5× tier: 70 % → sell 70
    (the ETH tier is not SOL's). ADA (alt) 1,000 @ 1, cost 0.5: 2× meets none.
    T = 30,000 + 20,000 + 1,000 + 200,000 USDC = 251,000, S* = 100,400: no allocation;
    F* = 50,200 moves from USDC to the empty futures wallet.
    Gains: ETH 3 · (3,000 − 1,000) = 6,000; SOL 70 · (200 − 40) = 11,200.
    Ladder (tiers not reached yet): ETH at 5× = 5,000 for 80 % · 10 − 3 sold = 5; ADA at
    2.5× = 1.25 for 20 % · 1,000 = 200, then at 5× = 2.5 for 70 % · 1,000 − 200 = 500.
    """
    positions = (
        Position("ETH", D(10), D(3000), D(1000), location="Holdings!A2"),
        Position("SOL", D(100), D(200), D(40), location="Holdings!A3"),
        Position("ADA", D(1000), D(1), D("0.5"), location="Holdings!A4"),
        Position("USDC", D(200000), D(1), D(1), "stable", location="Holdings!A5"),
    )
    tiers = (Tier(D("2.5"), D("0.2"), "alt"), Tier(D(2), D("0.1"), "ETH"),
             Tier(D(5), D("0.5")))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=tiers))
    sales = [(t.step, t.instrument, t.quantity, t.realized_gain) for t in plan.trades
             if t.step != "transfer"]
    assert sales == [("tier", "ETH", D(3), D(6000)), ("tier", "SOL", D(70), D(11200))]
    assert "tiers due 30 %" in plan.trades[0].reason
    assert "tiers due 70 %" in plan.trades[1].reason
    # stable: 200,000 + 9,000 + 14,000 received, less the 20 % sleeve moved to the wallet
    transfer = next(t for t in plan.trades if t.step == "transfer")
    assert transfer.notional == D("0.2") * D(251000)
    assert plan.positions_after[3].quantity == D(200000 + 9000 + 14000) - D(50200)
    rungs = [(r.asset, r.limit_price, r.quantity) for r in plan.ladder]
    assert rungs == [("ETH", D(5000), D(5)), ("ADA", D("1.25"), D(200)),
                     ("ADA", D("2.5"), D(500))]


def test_a_category_tier_does_not_reach_protected_or_other_categories():
    """An `alt` tier at 2×: ETH (alt, 3×) sells 25 % = 1; LINK (category core, 3×) is
    protected, so a tier for `core` sells nothing; a stable row never sells."""
    positions = (
        Position("ETH", D(4), D(3000), D(1000), location="Holdings!A2"),
        Position("LINK", D(100), D(30), D(10), "core", location="Holdings!A3"),
        Position("USDC", D(100000), D(1), D("0.5"), "stable", location="Holdings!A4"),
    )
    tiers = (Tier(D(2), D("0.25"), "alt"), Tier(D(2), D("0.5"), "core"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=tiers))
    assert [(t.instrument, t.quantity) for t in plan.trades if t.step != "transfer"] == \
        [("ETH", D(1))]


def test_closing_a_long_sells_and_cutting_a_short_buys():
    """ETH long 10 from 2,000 marked 3,000, margin 10,000: in profit by 10,000; Balanced
    closes 50 %: sell 5 (notional 15,000), realizing 5,000. BTC short 1 at 40,000 with
    margin 8,000 runs at 5× > 3×: buy back c = 40,000 − 3 · 8,000 = 16,000, i.e. 0.4 BTC."""
    futures = (
        FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(10), D(2000), D(3000), D(10000),
                        location="Futures!A2"),
        FuturesPosition("BTCUSDT-PERP", "BTC", "short", D(1), D(40000), D(40000), D(8000),
                        location="Futures!A3"),
    )
    positions = (Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A2"),)
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                futures=futures))
    moves = [(t.step, t.instrument, t.side, t.quantity, t.notional, t.realized_gain)
             for t in plan.trades if t.step != "transfer"]
    assert moves == [("close-long", "ETHUSDT-PERP", "sell", D(5), D(15000), D(5000)),
                     ("reduce-leverage", "BTCUSDT-PERP", "buy", D("0.4"), D(16000), D(0))]
    assert [f.size for f in plan.futures_after] == [D(5), D("0.6")]
    assert [a.leverage_after for a in plan.futures] == [D("1.5"), D(3)]
    assert [(a.symbol, a.side, a.action) for a in plan.futures] == [
        ("ETHUSDT-PERP", "long", "close"), ("BTCUSDT-PERP", "short", "reduce")]
    assert [t.number for t in plan.trades] == list(range(1, len(plan.trades) + 1))


def test_the_hedge_s_spot_from_a_futures_row_of_its_underlying():
    """BTC is not held and no Hedge Underlying Price is set: the spot for the basis is the
    Underlying Price of the first futures row on BTC that gives one (41,000), not the ETH
    row's (3,000) nor the BTC row that gives none. Hedge at 41,200: basis 200."""
    def row(symbol, underlying, price, n):
        return FuturesPosition(symbol, underlying, "short", D("0.01"), D(41000), D(41000),
                               D(200), underlying_price=price, location=f"Futures!A{n}")

    futures = (row("BTC-A", "BTC", None, 2), row("ETH-A", "ETH", D(3000), 3),
               row("BTC-B", "BTC", D(41000), 4), row("BTC-C", "BTC", D(39000), 5))
    book = hedged_book(())
    positions = tuple(p for p in book.positions if p.asset != "BTC")
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_price=D(41200),
                                  close_profitable_longs=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                futures=futures))
    assert plan.hedge.spot_price == D(41000)
    assert plan.hedge.carry.basis == D(200)


def test_each_future_s_liquidation_follows_its_own_venue_s_model():
    """Linear long 1 BTC from 40,000, margin 8,000, maintenance 0.5 %:
    bybit (maintenance at entry, 200): 40,000 − (8,000 − 200) = 32,200;
    binance (at the liquidation price): (40,000 − 8,000) / 0.995 = 32,160.80…"""
    def long(model, row):
        return FuturesPosition("BTCUSDT-PERP", "BTC", "long", D(1), D(40000), D(40000),
                               D(8000), liquidation_model=model, location=f"Futures!A{row}")

    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(
        positions=(Position("USDC", D(100000), D(1), D(1), "stable", location="H!A2"),),
        settings=settings, as_of=AS_OF, futures=(long("bybit", 2), long("binance", 3))))
    bybit, binance = (a.liquidation_before for a in plan.futures)
    assert bybit == D(32200)
    assert abs(binance - D(32000) / D("0.995")) < D("1e-20")


def test_a_sale_from_one_lot_realizes_exactly_what_it_nets():
    """The case study's ALT (tier 500, then an allocation of 135.41666… that has no finite
    decimal) and ETH, each from one lot: each realized line's proceeds are the sale's net
    proceeds to the last digit, and its gain is net − quantity · unit cost."""
    from conftest import case_study_inputs
    from dataclasses import replace

    from derisk_xl.core.model import Lot

    base = case_study_inputs()
    inputs = replace(base, settings=replace(base.settings, fee_bps=D(7), slippage_bps=D(3)),
                     lots=(Lot("ALT", D(1000), D(3), dt.date(2025, 1, 2), "Lots!A2"),
                           Lot("ETH", D("2.5"), D(1200), dt.date(2024, 1, 2), "Lots!A3")))
    plan = make_plan(inputs)
    sales = [t for t in plan.trades if t.step in ("tier", "allocation")]
    assert [t.instrument for t in sales] == ["ETH", "ALT", "ALT"]
    assert [r.proceeds for r in plan.realized] == [t.notional - t.fee for t in sales]
    assert [r.gain for r in plan.realized] == \
        [t.notional - t.fee - t.quantity * c for t, c in zip(sales, (1200, 3, 3))]
    assert [r.cost for r in plan.realized] == \
        [t.quantity * c for t, c in zip(sales, (1200, 3, 3))]
    assert {r.venue for r in plan.realized} == {""}
    assert [(r.acquired, r.term) for r in plan.realized] == \
        [(dt.date(2024, 1, 2), "long"), (dt.date(2025, 1, 2), "long"),
         (dt.date(2025, 1, 2), "long")]


def test_the_sleeve_draws_on_the_stable_asset_then_the_largest_stable():
    """USDC (the Stable Asset) 1,000, DAI 500, USDT 3,000, ETH 10 @ 3,000 at cost:
    T = 34,500; Aggressive Hold's sleeve F* = 30 % = 10,350 with a band of 100 % (no sale):
    USDC's 1,000 first, then the larger USDT (3,000), then DAI (500): 4,500 in all."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), location="Holdings!A2"),
        Position("USDC", D(1000), D(1), D(1), "stable", location="Holdings!A3"),
        Position("DAI", D(500), D(1), D(1), "stable", location="Holdings!A4"),
        Position("USDT", D(3000), D(1), D(1), "stable", location="Holdings!A5"),
    )
    settings = Settings.for_model("Aggressive Hold", fee_bps=D(0), rebalance_band=D(1))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    moved = [(t.instrument, t.notional) for t in plan.trades if t.step == "transfer"]
    assert moved == [("USDC → futures wallet", D(1000)), ("USDT → futures wallet", D(3000)),
                     ("DAI → futures wallet", D(500))]
    assert [t.number for t in plan.trades] == [1, 2, 3]
    assert plan.trades[0].reason == ("Sleeve funding (target): fund the futures wallet's goal "
                                     "10,350.00 (wallet equity 0.00).")


def _signal(plan, name):
    return next(s for s in plan.signals if s.name == name)


def test_what_is_left_to_sell_is_counted_above_each_min_keep():
    """ETH 10 @ 3,000 with a min keep of 50 %, SOL 100 @ 150 and XYZ 0.5 @ 1,000, all at
    cost, 100,000 USDC: T = 145,500, S* = 58,200 > 45,500: nothing is sold. Still sellable:
    5 ETH (15,000), 100 SOL (15,000) and half an XYZ (500)."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), min_keep=D("0.5"), location="Holdings!A2"),
        Position("SOL", D(100), D(150), D(150), location="Holdings!A3"),
        Position("XYZ", D("0.5"), D(1000), D(1000), location="Holdings!A4"),
        Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A5"),
    )
    plan = balanced_plan(positions)
    assert [s.name for s in plan.signals] == ["target reached", "nothing left to sell",
                                              "momentum exhaustion", "extreme greed"]
    nothing = _signal(plan, "nothing left to sell")
    assert not nothing.on
    assert nothing.reason == ("3 unprotected position(s) could still sell 30,500.00 above "
                              "their min keep.")
    assert _signal(plan, "momentum exhaustion").reason == (
        "no price history for BTC with ≥ 30 daily returns up to 2026-11-28.")
    # reached: risk 45,500 ≤ S*; stable 100,000 − 29,100 moved to the sleeve (F* = 20 %)
    # = 70,900 ≥ C* 58,200. Each signal's on is a bool.
    assert [s.on for s in plan.signals] == [True, False, False, False]


def test_a_book_kept_whole_by_its_min_keep_is_complete():
    """ETH 10 @ 3,000 kept whole (min keep 100 %), 10,000 USDC: T = 40,000, S* = 16,000 is
    out of reach, but nothing can be sold: status complete."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), min_keep=D(1), location="Holdings!A2"),
        Position("USDC", D(10000), D(1), D(1), "stable", location="Holdings!A3"),
    )
    plan = balanced_plan(positions)
    assert not _signal(plan, "target reached").on
    nothing = _signal(plan, "nothing left to sell")
    assert nothing.on and nothing.reason == ("every unprotected risk position is at its min "
                                             "keep or below a tradable lot.")
    assert plan.status == "complete"


def test_a_shock_that_lands_on_the_liquidation_price_liquidates():
    """Long 1 at 100 with margin 20.4, maintenance 0.5 % (binance): liquidation at
    (100 − 20.4) / 0.995 = 80, exactly the −20 % shock: the position loses its equity,
    20.4, not the 20 its price move alone would cost."""
    f = FuturesPosition("XUSDT-PERP", "X", "long", D(1), D(100), D(100), D("20.4"),
                        underlying_price=D(100), location="Futures!A2")
    plan = plan_of_future(f)
    assert plan.futures[0].liquidation_before == D(80)
    row = next(r for r in plan.stress if r.shock == D("-0.20"))
    assert row.liquidated_before == ("XUSDT-PERP",) and row.pnl_before == D("-20.4")
    row = next(r for r in plan.stress if r.shock == D("-0.10"))
    assert row.liquidated_before == () and row.pnl_before == D(-10)


def test_a_wallet_with_no_equity_has_no_leverage():
    """A long 1 from 100 marked 80 with margin 20 has equity 0, and no free collateral: the
    wallet before the plan holds 80 of notional on nothing, a leverage no figure describes.
    Equity 0 is past liquidation: the plan closes it whole, with a warning."""
    f = FuturesPosition("XUSDT-PERP", "X", "long", D(1), D(100), D(80), D(20),
                        underlying_price=D(80), location="Futures!A2")
    plan = plan_of_future(f)
    assert plan.exposure_before.wallet_leverage is None
    assert plan.exposure_before.gross == D(80)
    assert (plan.futures[0].action, plan.futures[0].size_after) == ("close", 0)
    assert [(t.step, t.quantity, t.reason) for t in plan.trades if t.step != "transfer"] == [
        ("reduce-leverage", D(1), "XUSDT-PERP has no equity left: close it entirely.")]
    assert [(w.location, w.message) for w in plan.warnings] == [("Futures!A2", (
        "XUSDT-PERP has equity 0.00 (margin 20.00, uPnL -20.00): it is past liquidation; "
        "the plan closes it."))]


def test_a_hedge_of_less_than_one_unit_of_money_is_still_sized():
    """X 4 @ 1 (a kept risk position worth 4): H = 20 % · 4 = 0.8 at a hedge price of 100,
    0.008 contracts (lot 0.001), with no Min Trade Value."""
    positions = (Position("X", D(4), D(1), D(1), location="Holdings!A2"),
                 Position("USDC", D(100), D(1), D(1), "stable", location="Holdings!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), min_trade_value=D(0),
                                  hedge_underlying="X", hedge_price=D(100),
                                  rebalance_band=D(1))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert (plan.hedge.target_notional, plan.hedge.quantity, plan.hedge.notional) == \
        (D("0.8"), D("0.008"), D("0.8"))


def test_each_model_has_the_spec_s_defaults():
    """SPEC 3.4: spot, stable, sleeve, hedge ratio, max leverage, close profitable longs."""
    table = {"Aggressive Hold": ("0.6", "0.1", "0.3", "0", "5", "0"),
             "Balanced De-Risk": ("0.4", "0.4", "0.2", "0.2", "3", "0.5"),
             "Conservative Protection": ("0.2", "0.7", "0.1", "0.5", "2", "1"),
             "Custom": ("0.4", "0.4", "0.2", "0.2", "3", "0.5")}
    for model, row in table.items():
        s = Settings.for_model(model)
        assert s.model == model
        assert (s.spot_target, s.stable_target, s.futures_sleeve, s.hedge_ratio,
                s.max_leverage, s.close_profitable_longs) == tuple(D(x) for x in row), model
    assert Settings.for_model("Aggressive Hold", hedge_ratio=D("0.1")).hedge_ratio == D("0.1")


def _below_target_but_short_of_stable(fgi=None, min_trade_value=D(10)):
    """ETH 1 @ 3,000 at cost, 1,000 USDC, a BTC long whose 20,000 margin is in use: T =
    24,000, S* = C* = 9,600. Risk spot 3,000 is within S*, but stable (1,000) is far below
    C*: the target is not reached; ETH can still sell."""
    f = FuturesPosition("BTCUSDT-PERP", "BTC", "long", D("0.5"), D(40000), D(40000),
                        D(20000), location="Futures!A2")
    positions = (Position("ETH", D(1), D(3000), D(3000), location="Holdings!A2"),
                 Position("USDC", D(1000), D(1), D(1), "stable", location="Holdings!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0),
                                  fear_greed_index=fgi, min_trade_value=min_trade_value)
    return make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                futures=(f,)))


def test_the_target_needs_both_risk_within_s_star_and_stable_up_to_c_star():
    plan = _below_target_but_short_of_stable()
    assert plan.bucket("spot").after == D(3000) and plan.bucket("stable").after == D(1000)
    assert not _signal(plan, "target reached").on
    assert _signal(plan, "target reached").reason == (
        "risk spot after 3,000.00 vs target 9,600.00 (band 240.00); stable after 1,000.00 vs "
        "target 9,600.00.")
    assert plan.status == "continue"


def test_greed_from_75_accelerates():
    plan = _below_target_but_short_of_stable(75)
    greed = _signal(plan, "extreme greed")
    assert greed.on and greed.reason == "Fear Greed Index 75 (≥ 75)."
    assert plan.status == "accelerate"
    plan = _below_target_but_short_of_stable(74)
    greed = _signal(plan, "extreme greed")
    assert not greed.on and greed.reason == "Fear Greed Index 74 (< 75)."
    assert plan.status == "continue"


def test_resting_sells_for_three_tiers_ahead_add_up():
    """DOT 100 at cost (1×); tiers at 2×, 3× and 4×, 20 % each: rungs of 20 at 2×, 3× and 4×
    the cost (cumulative due 20, 40, 60 less what the earlier rungs already cover)."""
    positions = (Position("DOT", D(100), D(10), D(10), location="Holdings!A2"),
                 Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A3"))
    tiers = tuple(Tier(D(k), D("0.2")) for k in (2, 3, 4))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=tiers))
    assert [(r.limit_price, r.quantity, r.notional, r.location) for r in plan.ladder] == \
        [(D(20), D(20), D(400), "Holdings!A2"), (D(30), D(20), D(600), "Holdings!A2"),
         (D(40), D(20), D(800), "Holdings!A2")]


def _ladder_of(*positions, tiers):
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    usdc = Position("USDC", D(1000000), D(1), D(1), "stable", location="H!A9")
    return make_plan(PlanInputs(positions=(*positions, usdc), settings=settings, as_of=AS_OF,
                                tiers=tiers))


def test_rungs_round_down_to_the_lot_step_and_skip_what_was_sold_before():
    """DOT 100 at cost with a Lot Step of 3: a 20 % rung of 20 is 18, the next (40 % less the
    18 already laddered = 22) is 21. SOL 10 at cost, 13
    before an earlier sale of 3: the 2× tier (20 % of 13 = 2.6) is covered by the 3 sold,
    the 4× tier (40 % of 13 − 3 = 2.2) is not."""
    tiers = (Tier(D(2), D("0.2")), Tier(D(4), D("0.2")))
    plan = _ladder_of(Position("DOT", D(100), D(10), D(10), lot_step=D(3), location="H!A2"),
                      Position("SOL", D(10), D(100), D(100), original_quantity=D(13),
                               location="H!A3"), tiers=tiers)
    assert [(r.asset, r.limit_price, r.quantity) for r in plan.ladder] == [
        ("DOT", D(20), D(18)), ("DOT", D(40), D(21)), ("SOL", D(400), D("2.2"))]


def test_rungs_only_for_the_tiers_that_apply():
    """Tiers for ETH only: SOL gets no rung."""
    plan = _ladder_of(Position("ETH", D(10), D(1000), D(1000), location="H!A2"),
                      Position("SOL", D(10), D(100), D(100), location="H!A3"),
                      tiers=(Tier(D(2), D("0.25"), "ETH"),))
    assert [(r.asset, r.quantity) for r in plan.ladder] == [("ETH", D("2.5"))]


def test_tiers_count_what_was_sold_before_the_plan():
    """ETH 10 @ 3,000 at 4× (cost 750): due 50 % of the original quantity. Held 10 of 20
    (10 sold before): nothing more. Held 10 of 16 (6 sold): 8 − 6 = 2."""
    for original, sold in ((D(20), []), (D(16), [D(2)])):
        eth = Position("ETH", D(10), D(3000), D(750), original_quantity=original,
                       location="H!A2")
        plan = _ladder_of(eth, tiers=(Tier(D(2), D("0.25")), Tier(D(4), D("0.25"))))
        assert [t.quantity for t in plan.trades if t.step == "tier"] == sold, original


def test_the_case_study_sells_the_same_with_its_stable_row_first():
    """SPEC 7 with USDC on the first row: the allocation still sees risk spot 15,625 and sells
    135.41666… ALT, saying why."""
    from conftest import case_study_inputs
    from dataclasses import replace

    base = case_study_inputs()
    inputs = replace(base, positions=(base.positions[3], *base.positions[:3]))
    plan = make_plan(inputs)
    sold = [t for t in plan.trades if t.step == "allocation"]
    assert [t.instrument for t in sold] == ["ALT"]
    assert abs(sold[0].quantity - D(1625) / D(12)) < D("1e-20")
    assert sold[0].reason == ("Risk spot exceeds the target S* 14,000.00 by 1,625.00: sold "
                              "from ALT (4×), highest multiple first.")
    assert [t.number for t in plan.trades] == list(range(1, len(plan.trades) + 1))
    assert [(r.asset, r.quantity, r.acquired) for r in plan.realized] == [
        ("ETH", D("0.625"), None), ("ALT", D(500), None), ("ALT", sold[0].quantity, None)]


def test_exposure_sums_the_risk_spot_itself_when_not_given_it():
    from derisk_xl.core.exposure import exposure

    rows = (Position("ETH", D(10), D(3000), D(3000)), Position("USDC", D(5000), D(1), D(1),
                                                               "stable"))
    e = exposure(rows, (), D(0), D(35000), None)
    assert (e.net, e.gross, e.gross_pct, e.wallet_leverage) == \
        (D(30000), D(30000), D(30000) / D(35000), None)


def test_equal_multiples_break_the_tie_by_value_not_quantity():
    """AAA 100 @ 10 (1,000) and BBB 50 @ 30 (1,500), both at 2×: an excess of 300 comes from
    BBB, the larger value, though AAA holds more units."""
    from derisk_xl.core import allocation as alloc

    rows = (Position("AAA", D(100), D(10), D(5)), Position("BBB", D(50), D(30), D(15)))
    s = Settings.for_model(min_trade_value=D(0))
    sales, _ = alloc.allocation_sales(rows, [p.quantity for p in rows], s, D(2200), D(0))
    assert [(x.index, x.quantity) for x in sales] == [(1, D(10))]


def test_a_close_worth_exactly_min_trade_value_is_made():
    """ETH long 1 from 10 marked 20 (margin 20): Balanced closes 50 %, notional 10 = Min
    Trade Value 10: made."""
    f = FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(1), D(10), D(20), D(20),
                        location="Futures!A2")
    plan = plan_of_future(f)
    assert [(t.step, t.notional) for t in plan.trades if t.step == "close-long"] == \
        [("close-long", D(10))]


def test_an_inverse_future_s_liquidation_uses_its_contract_value():
    """100 contracts of 10 USD long from 50,000, margin 250 (0.005 coin), maintenance 0.5 %,
    binance: 1,000 · 1.005 / (0.005 + 1,000 / 50,000) = 1,005 / 0.025 = 40,200."""
    f = FuturesPosition("BTCUSD-PERP", "BTC", "long", D(100), D(50000), D(50000), D(250),
                        contract_type="inverse", contract_value=D(10),
                        underlying_price=D(50000), location="Futures!A2")
    plan = plan_of_future(f)
    assert plan.futures[0].liquidation_before == D(40200)


def test_min_keep_is_restated_on_what_is_left_rounded_up():
    """ADA 10 with a min keep of 10 % (1 kept); a tier sells 30 % → 7 left; 1 of 7 is
    0.142857142857142857142857|142…, rounded up at 24 places: …858."""
    positions = (Position("ADA", D(10), D(20), D(10), min_keep=D("0.1"), location="H!A2"),
                 Position("USDC", D(1000), D(1), D(1), "stable", location="H!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=(Tier(D(2), D("0.3")),)))
    after = plan.positions_after[0]
    assert after.quantity == D(7) and after.original_quantity == D(10)
    assert after.min_keep == D("0.142857142857142857142858")


def test_a_sale_beyond_the_lots_of_a_position_without_cost_has_no_gain():
    """ALT 100 @ 12 without cost, lots for 40 only (at 2): T = 1,500, S* = 600, the excess
    600 sells 50 ALT; 10 of them have no lot and no cost: the gain is unknown."""
    from derisk_xl.core.model import Lot

    positions = (Position("ALT", D(100), D(12), None, location="Holdings!A2"),
                 Position("USDC", D(300), D(1), D(1), "stable", location="Holdings!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                lots=(Lot("ALT", D(40), D(2), None, "Lots!A2"),)))
    sale = next(t for t in plan.trades if t.step == "allocation")
    assert sale.quantity == D(50) and sale.realized_gain is None
    assert [(r.quantity, r.proceeds, r.cost) for r in plan.realized] == \
        [(D(40), D(480), D(80))]                     # 40 of the 50 sold for 600


def test_momentum_exhaustion_says_why_with_its_numbers():
    """BTC rises 100 → 130 over 30 days, then falls to 115 over 10 (the last on the as-of
    date): 11.5 % below the high of 10 days ago: on, and the plan accelerates."""
    from derisk_xl.core.model import PriceHistory

    closes = [100 + 30 * i / 29 for i in range(30)] + [128.5 - 13.5 * i / 9 for i in range(10)]
    dates = tuple(AS_OF - dt.timedelta(days=39 - k) for k in range(40))
    prices = PriceHistory(dates, {"BTC": tuple(closes)})
    plan = make_plan(PlanInputs(
        positions=(Position("ETH", D(1), D(3000), D(3000), location="Holdings!A2"),
                   Position("USDC", D(1000), D(1), D(1), "stable", location="Holdings!A3")),
        settings=Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0)),
        as_of=AS_OF, prices=prices,
        futures=(FuturesPosition("BTCUSDT-PERP", "BTC", "long", D("0.5"), D(40000),
                                 D(40000), D(20000), location="Futures!A2"),)))
    ex = _signal(plan, "momentum exhaustion")
    assert ex.on and ex.reason == (
        "BTC is 11.5 % below its 30-day high 130.00 (last 115.00); last new high 10 day(s) "
        "ago (on at ≥ 10 % below and no new high in 7 days).")
    assert plan.status == "accelerate"


def test_a_wallet_with_half_a_unit_of_equity_has_a_leverage():
    """A long 1 from 100 marked 99.5 with margin 1: equity 0.5, wallet leverage 99.5 / 0.5."""
    f = FuturesPosition("XUSDT-PERP", "X", "long", D(1), D(100), D("99.5"), D(1),
                        underlying_price=D("99.5"), location="Futures!A2")
    plan = plan_of_future(f)
    assert plan.exposure_before.wallet_leverage == D(199)


def test_a_sale_worth_exactly_min_trade_value_is_made():
    """ALT 20 @ 2, cost 1 (2×): the first tier sells 25 % = 5, worth 10 = Min Trade Value."""
    plan = _ladder_of(Position("ALT", D(20), D(2), D(1), venue="Kraken", location="H!A2"),
                      tiers=(Tier(D(2), D("0.25")), Tier(D(4), D("0.25"))))
    assert [(t.quantity, t.notional) for t in plan.trades if t.step == "tier"] == \
        [(D(5), D(10))]
    assert plan.positions_after[0].venue == "Kraken"


def test_unknown_costs_of_equal_value_sell_in_asset_name_order():
    """ZZZ and AAA, no cost, 100 each: the allocation takes AAA first (name), then ZZZ."""
    from derisk_xl.core import allocation as alloc

    rows = (Position("ZZZ", D(10), D(10), None), Position("AAA", D(10), D(10), None))
    s = Settings.for_model(min_trade_value=D(0))
    sales, _ = alloc.allocation_sales(rows, [p.quantity for p in rows], s, D(50), D(0))
    assert [(x.index, x.quantity) for x in sales] == [(1, D(10)), (0, D(5))]


def test_a_long_in_profit_by_half_a_unit_is_closed():
    f = FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(1), D(100), D("100.5"), D(100),
                        location="Futures!A2")
    plan = plan_of_future(f)
    assert [(t.step, t.quantity, t.realized_gain) for t in plan.trades
            if t.step == "close-long"] == [("close-long", D("0.5"), D("0.25"))]


def test_a_position_under_one_unit_gets_its_rungs():
    plan = _ladder_of(Position("ETH", D("0.5"), D(3000), D(3000), location="H!A2"),
                      tiers=(Tier(D(2), D("0.5")),))
    assert [(r.limit_price, r.quantity) for r in plan.ladder] == [(D(6000), D("0.25"))]


def test_the_target_is_reached_at_its_bounds_exactly():
    """Custom 50/50/0 without a band: ETH 30,000 and USDC 30,000, T = 60,000: risk spot =
    S* and stable = C* exactly, so the target is reached and the plan complete."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(30000), D(1), D(1), "stable", location="H!A3"))
    settings = Settings.for_model("Custom", spot_target=D("0.5"), stable_target=D("0.5"),
                                  futures_sleeve=D(0), rebalance_band=D(0), fee_bps=D(0),
                                  hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert _signal(plan, "target reached").on and plan.status == "complete"
    assert _signal(plan, "extreme greed").reason == "no Fear Greed Index given."


def test_the_plan_carries_the_source_it_was_read_from():
    from dataclasses import replace

    from derisk_xl.core.model import HoldingsSource

    source = HoldingsSource("Holdings!A1:D4", 3)
    book = replace(hedged_book(()), source=source)
    plan = make_plan(book)
    assert plan.source is source
    assert plan.settings is book.settings


def test_margin_in_use_is_never_brought_back_even_without_a_minimum():
    """The wallet's 20,000 is all margin in use (F* = 4,800): no transfer back, not even one
    of 0 with no Min Trade Value."""
    plan = _below_target_but_short_of_stable(min_trade_value=D(0))
    assert [t for t in plan.trades if t.step == "transfer"] == []


def test_a_transfer_of_exactly_min_trade_value_is_made():
    """ETH 30,000, USDC 49,990, 19,985 free in the wallet: T = 99,975, F* = 19,995: the
    wallet needs 10.00, exactly Min Trade Value."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(49990), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions, futures_free_collateral=D(19985))
    assert [t.notional for t in plan.trades if t.step == "transfer"] == [D(10)]


def test_every_short_on_the_hedge_underlying_counts():
    """Two BTC shorts, 0.05 and 0.025 (2,000 + 1,000): A = 6,800 − 3,000 = 3,800 → 0.095."""
    plan = make_plan(hedged_book([
        future("BTCUSDT-Q", "BTC", "short", "0.05", 40000, 1000, 2),
        future("BTCUSDT-M", "BTC", "short", "0.025", 40000, 500, 3),
    ]))
    assert plan.hedge.existing_short_notional == D(3000)
    assert plan.hedge.quantity == D("0.095")


def test_a_tier_reached_exactly_is_sold_not_laddered():
    """ETH at exactly 2× with an ETH tier at 2× (25 %) and an alt tier at 4× (25 %): the
    first is sold now (2.5), only the second rests, at 4,000 for 2.5."""
    plan = _ladder_of(Position("ETH", D(10), D(2000), D(1000), location="H!A2"),
                      tiers=(Tier(D(2), D("0.25"), "ETH"), Tier(D(4), D("0.25"), "alt")))
    assert [t.quantity for t in plan.trades if t.step == "tier"] == [D("2.5")]
    assert [(r.limit_price, r.quantity) for r in plan.ladder] == [(D(4000), D("2.5"))]


def test_protected_worth_exactly_s_star_is_not_warned():
    """BTC 0.4 @ 40,000 = 16,000 protected; ETH 10,000; USDC 14,000: T = 40,000, S* =
    16,000 = the protected value: the target can still be met (ETH is sold), no warning."""
    positions = (Position("BTC", D("0.4"), D(40000), D(40000), location="H!A2"),
                 Position("ETH", D(10), D(1000), D(1000), location="H!A3"),
                 Position("USDC", D(14000), D(1), D(1), "stable", location="H!A4"))
    plan = balanced_plan(positions)
    assert plan.warnings == ()
    assert [(t.instrument, t.quantity) for t in plan.trades if t.step == "allocation"] == \
        [("ETH", D(10))]


def test_unknown_costs_sell_the_larger_value_first_not_the_more_units():
    """Neither has a cost: ZZZ 1 @ 100 (worth 100) and AAA 50 @ 1 (worth 50). Risk 150 over
    S* 90: the excess 60 comes from ZZZ, the larger value (0.6 of it), though AAA holds more
    units and is first by name."""
    from derisk_xl.core import allocation as alloc

    rows = (Position("ZZZ", D(1), D(100), None), Position("AAA", D(50), D(1), None))
    s = Settings.for_model(min_trade_value=D(0))
    sales, _ = alloc.allocation_sales(rows, [p.quantity for p in rows], s, D(90), D(0))
    assert [(x.index, x.quantity) for x in sales] == [(0, D("0.6"))]


def test_two_runs_of_equal_multiples_each_break_their_tie_by_value():
    """ADA and ALGO 10 @ 50 at 5× (500 each), then BCH 10 @ 40 (400) and BNB 20 @ 40 (800)
    at 4×: risk 2,200 over S* 1,000. The 5× pair goes first (ADA, then ALGO by name: 1,000),
    then the 4× pair by value: BNB, the larger, sells the last 200 (5 of it); BCH nothing."""
    from derisk_xl.core import allocation as alloc

    rows = (Position("ADA", D(10), D(50), D(10)), Position("ALGO", D(10), D(50), D(10)),
            Position("BCH", D(10), D(40), D(10)), Position("BNB", D(20), D(40), D(10)))
    s = Settings.for_model(min_trade_value=D(0))
    sales, _ = alloc.allocation_sales(rows, [p.quantity for p in rows], s, D(1000), D(0))
    assert [(x.index, x.quantity) for x in sales] == [(0, D(10)), (1, D(10)), (3, D(5))]


def test_a_future_is_closed_on_its_own_venue_at_its_mark():
    """ETH long 10 on Kraken from 2,000 marked 3,000 (margin 10,000): Balanced closes 50 %,
    5 at the mark 3,000, on Kraken."""
    f = FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(10), D(2000), D(3000), D(10000),
                        venue="Kraken", location="Futures!A2")
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(
        positions=(Position("USDC", D(100000), D(1), D(1), "stable", location="H!A2"),),
        settings=settings, as_of=AS_OF, futures=(f,)))
    close = next(t for t in plan.trades if t.step == "close-long")
    assert (close.venue, close.instrument, close.quantity, close.price) == \
        ("Kraken", "ETHUSDT-PERP", D(5), D(3000))
    assert close.reason == ("ETHUSDT-PERP long is in profit by 10,000.00: close 50 % and bank "
                            "5,000.00 to the wallet.")
    a = plan.futures[0]
    assert (a.venue, a.size_before, a.size_after, a.margin_before, a.margin_after) == \
        ("Kraken", D(10), D(5), D(10000), D(5000))


def test_a_future_with_half_a_unit_of_equity_is_cut_to_max_leverage():
    """X short 1 at 100 (marked 100) on a margin of 0.5: equity 0.5, leverage 100 / 0.5 =
    200 > 3×. Without fees the cut closes c = 100 − 3 · 0.5 = 98.5 of notional: 0.015 left,
    at 1.5 / 0.5 = 3×."""
    f = FuturesPosition("XUSDT-PERP", "X", "short", D(1), D(100), D(100), D("0.5"),
                        location="Futures!A2")
    plan = plan_of_future(f)
    a = plan.futures[0]
    assert (a.action, a.leverage_before, a.size_after, a.leverage_after) == \
        ("reduce", D(200), D("0.015"), D(3))


def test_every_realized_line_names_its_asset_venue_quantity_and_proceeds():
    """A 2× tier sells half of each, no fees: ETH 10 @ 3,000 (cost 1,000) on Kraken, lots 4
    (2024-01-02) and 6 (2025-01-02), FIFO: 5 sold = 4 from the first lot, 1 from the second,
    3,000 each. ALT 100 @ 10 (cost 5), one lot of 100: 50 sold from it for 500. SOL 10 @ 100
    (cost 50), no lots: its own lot, 5 sold for 500. S* = 40 % of 132,000 is above the risk
    left: nothing else is sold."""
    from derisk_xl.core.model import Lot

    positions = (
        Position("ETH", D(10), D(3000), D(1000), venue="Kraken", location="Holdings!A2"),
        Position("ALT", D(100), D(10), D(5), location="Holdings!A3"),
        Position("SOL", D(10), D(100), D(50), location="Holdings!A4"),
        Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A5"),
    )
    lots = (Lot("ETH", D(4), D(1000), dt.date(2024, 1, 2), "Lots!A2"),
            Lot("ETH", D(6), D(1000), dt.date(2025, 1, 2), "Lots!A3"),
            Lot("ALT", D(100), D(5), dt.date(2025, 6, 1), "Lots!A4"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=(Tier(D(2), D("0.5")),), lots=lots))
    assert [(r.asset, r.venue, r.acquired, r.quantity, r.proceeds, r.cost, r.gain)
            for r in plan.realized] == [
        ("ETH", "Kraken", dt.date(2024, 1, 2), D(4), D(12000), D(4000), D(8000)),
        ("ETH", "Kraken", dt.date(2025, 1, 2), D(1), D(3000), D(1000), D(2000)),
        ("ALT", "", dt.date(2025, 6, 1), D(50), D(500), D(250), D(250)),
        ("SOL", "", None, D(5), D(500), D(250), D(250))]


def test_a_stable_row_or_a_position_under_its_lot_step_does_not_stop_the_count():
    """USDC first, then DOT 0.5 @ 100 with a Lot Step of 1 (worth 50 but less than one lot),
    SOL 0.1 @ 100 (worth 10 = Min Trade Value) and ETH 1 @ 3,000, all at cost: T = 103,060,
    S* = 41,224, nothing is sold. Still sellable: SOL and ETH, 3,010."""
    positions = (
        Position("USDC", D(100000), D(1), D(1), "stable", location="Holdings!A2"),
        Position("DOT", D("0.5"), D(100), D(100), lot_step=D(1), location="Holdings!A3"),
        Position("SOL", D("0.1"), D(100), D(100), location="Holdings!A4"),
        Position("ETH", D(1), D(3000), D(3000), location="Holdings!A5"),
    )
    plan = balanced_plan(positions)
    assert [t for t in plan.trades if t.step in ("tier", "allocation")] == []
    assert _signal(plan, "nothing left to sell").reason == (
        "2 unprotected position(s) could still sell 3,010.00 above their min keep.")


def test_a_future_at_max_leverage_exactly_is_kept():
    """X short 3 at 100 on a margin of 100: 300 / 100 = 3×, Max Leverage itself: no trade."""
    f = FuturesPosition("XUSDT-PERP", "X", "short", D(3), D(100), D(100), D(100),
                        location="Futures!A2")
    plan = plan_of_future(f)
    assert (plan.futures[0].action, plan.futures[0].leverage_before) == ("keep", D(3))
    assert [t for t in plan.trades if t.step != "transfer"] == []


def test_a_long_closed_in_part_and_still_above_max_leverage_is_also_cut():
    """ETH long 10 from 2,900 marked 3,000 on a margin of 1,000: uPnL 1,000, equity 2,000,
    notional 30,000: 15×. Balanced closes half (5, banking 500); the rest is still at 15×,
    so c = 15,000 − 3 · 1,000 = 12,000 is cut (0.8 of it): 1 ETH left, at 3×."""
    f = FuturesPosition("ETHUSDT-PERP", "ETH", "long", D(10), D(2900), D(3000), D(1000),
                        location="Futures!A2")
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0))
    plan = make_plan(PlanInputs(
        positions=(Position("USDC", D(100000), D(1), D(1), "stable", location="H!A2"),),
        settings=settings, as_of=AS_OF, futures=(f,)))
    a = plan.futures[0]
    assert (a.action, a.size_after, a.leverage_after) == ("close+reduce", D(1), D(3))
    assert [(t.step, t.quantity) for t in plan.trades if t.step != "transfer"] == \
        [("close-long", D(5)), ("reduce-leverage", D(4))]


def test_the_new_short_carries_the_hedge_settings():
    """The hedged book without futures: X = 34,000, H = 6,800 → 0.17 BTC, margin 6,800 / 3,
    under Bybit's model at a maintenance rate of 1 %: maintenance 40,000 · 0.17 · 1 % = 68,
    liquidation 40,000 + (2,266.67 − 68) / 0.17 = 52,933.33 (Binance's would be
    (6,800 + 2,266.67) / (0.17 · 1.01) = 52,805.27)."""
    from dataclasses import replace

    book = hedged_book(())
    plan = make_plan(replace(book, settings=replace(
        book.settings, liquidation_model="bybit", maint_margin_rate=D("0.01"))))
    h = plan.hedge
    assert (h.instrument, h.underlying, h.quantity, h.maint_rate, h.liquidation_model) == \
        ("BTCUSDT-PERP", "BTC", D("0.17"), D("0.01"), "bybit")
    assert abs(h.liquidation_price - D("52933.333333333")) < D("0.000001")
    short = plan.futures_after[-1]
    assert (short.symbol, short.underlying, short.side, short.maint_rate,
            short.liquidation_model) == ("BTCUSDT-PERP", "BTC", "short", D("0.01"), "bybit")
    trade = next(t for t in plan.trades if t.step == "hedge")
    assert (trade.venue, trade.instrument, trade.side) == ("", "BTCUSDT-PERP", "short")


def test_a_hedge_worth_exactly_min_trade_value_is_opened():
    """X 50 @ 1 kept: H = 20 % · 50 = 10 at a hedge price of 100: 0.1 contracts worth 10,
    Min Trade Value itself."""
    positions = (Position("X", D(50), D(1), D(1), location="Holdings!A2"),
                 Position("USDC", D(100), D(1), D(1), "stable", location="Holdings!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_underlying="X",
                                  hedge_price=D(100), rebalance_band=D(1))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert (plan.hedge.quantity, plan.hedge.notional) == (D("0.1"), D(10))
    assert [t.notional for t in plan.trades if t.step == "hedge"] == [D(10)]


def test_betas_given_on_every_row_weigh_the_stress():
    """ETH 10 @ 3,000 with β 2 and USDC with β 1 (a Beta column filled on every row), no
    Prices: T = 80,000, S* = 32,000, nothing sold. A −20 % shock moves ETH by 2 · −20 % ·
    30,000 = −12,000; stable does not move."""
    positions = (Position("ETH", D(10), D(3000), D(3000), beta=2.0, location="Holdings!A2"),
                 Position("USDC", D(50000), D(1), D(1), "stable", beta=1.0,
                          location="Holdings!A3"))
    plan = balanced_plan(positions)
    row = next(r for r in plan.stress if r.shock == D("-0.20"))
    assert (row.pnl_before, row.pnl_after) == (D(-12000), D(-12000))


def test_the_plan_leaves_the_garbage_collector_as_it_found_it():
    """make_plan pauses the cyclic collector while it builds, and turns it back on only if it
    was on."""
    import gc

    assert gc.isenabled()
    make_plan(hedged_book(()))
    assert gc.isenabled()
    gc.disable()
    try:
        make_plan(hedged_book(()))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_sleeve_draws_on_the_larger_stable_by_value_not_by_units():
    """USDC (the Stable Asset) 100, EURC 1,000 @ 1.08 (1,080) and USDT 1,050 @ 1, ETH 10 @
    3,000 at cost: T = 32,230, Aggressive Hold's F* = 9,669 (a band of 100 %: no sale) is more
    than the 2,230 of stable, all moved: USDC first, then EURC, worth more though fewer."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), location="Holdings!A2"),
        Position("USDC", D(100), D(1), D(1), "stable", location="Holdings!A3"),
        Position("USDT", D(1050), D(1), D(1), "stable", location="Holdings!A4"),
        Position("EURC", D(1000), D("1.08"), D("1.08"), "stable", location="Holdings!A5"),
    )
    settings = Settings.for_model("Aggressive Hold", fee_bps=D(0), rebalance_band=D(1))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert [(t.instrument, t.notional) for t in plan.trades if t.step == "transfer"] == [
        ("USDC → futures wallet", D(100)), ("EURC → futures wallet", D(1080)),
        ("USDT → futures wallet", D(1050))]


def test_two_rows_of_one_stable_worth_the_same_are_drawn_in_row_order():
    """USDC 100 (the Stable Asset), USDT 500 on Binance and USDT 500 on Kraken, ETH 30,000:
    T = 31,100, F* = 9,330 takes all 1,100: USDC, then the two USDT rows (same asset, same
    value) in row order, each on its venue."""
    positions = (
        Position("ETH", D(10), D(3000), D(3000), location="Holdings!A2"),
        Position("USDC", D(100), D(1), D(1), "stable", location="Holdings!A3"),
        Position("USDT", D(500), D(1), D(1), "stable", venue="Binance", location="Holdings!A4"),
        Position("USDT", D(500), D(1), D(1), "stable", venue="Kraken", location="Holdings!A5"),
    )
    settings = Settings.for_model("Aggressive Hold", fee_bps=D(0), rebalance_band=D(1))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert [(t.venue, t.instrument, t.notional) for t in plan.trades if t.step == "transfer"] \
        == [("", "USDC → futures wallet", D(100)), ("Binance", "USDT → futures wallet", D(500)),
            ("Kraken", "USDT → futures wallet", D(500))]


def test_the_wallet_s_surplus_over_its_goal_is_brought_back():
    """ETH 30,000, USDC 30,000 and 40,000 free in the futures wallet: T = 100,000, F* =
    20,000 (no sale: S* = 40,000). Nothing is in use: 20,000 comes back to USDC."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(30000), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions, futures_free_collateral=D(40000))
    assert [(t.instrument, t.side, t.quantity, t.price, t.notional, t.fee, t.reason)
            for t in plan.trades] == [
        ("futures wallet → USDC", "transfer", D(20000), D(1), D(20000), D(0),
         "Sleeve funding (target): bring back the surplus over the futures wallet's goal "
         "20,000.00 (wallet equity 40,000.00).")]
    assert plan.positions_after[1].quantity == D(50000)


def test_a_row_of_no_quantity_without_cost_is_not_warned():
    """ZZZ 0 @ 10 without cost (a row sold out): nothing to sell, nothing to say about its
    cost. ETH 30,000 and USDC 50,000: T = 80,000, S* = 32,000, nothing sold."""
    positions = (Position("ZZZ", D(0), D(10), None, location="Holdings!A2"),
                 Position("ETH", D(10), D(3000), D(3000), location="Holdings!A3"),
                 Position("USDC", D(50000), D(1), D(1), "stable", location="Holdings!A4"))
    plan = balanced_plan(positions)
    assert plan.warnings == ()
    assert [t for t in plan.trades if t.step in ("tier", "allocation")] == []


def test_shorts_equal_to_the_target_are_not_an_over_hedge():
    """A BTC short of 0.17 (6,800, margin 2,400: 2.83×) against the hedged book: T = 86,400,
    S* = 34,560, nothing sold; H = 20 % · 34,000 = 6,800, exactly what is short: no new
    short and nothing to warn of."""
    plan = make_plan(hedged_book([future("BTCUSDT-Q", "BTC", "short", "0.17", 40000, 2400,
                                         2)]))
    assert plan.hedge.existing_short_notional == D(6800) == plan.hedge.target_notional
    assert plan.hedge.quantity == 0
    assert plan.warnings == ()
    assert [t.step for t in plan.trades] == ["transfer"]


def test_a_wallet_short_by_half_a_unit_is_topped_up_without_a_minimum():
    """ETH 30,000, USDC 50,000, 19,999.375 free in the wallet: T = 99,999.375, F* =
    19,999.875: the wallet needs 0.50, moved with no Min Trade Value."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(50000), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions, min_trade_value=D(0), futures_free_collateral=D("19999.375"))
    assert [t.notional for t in plan.trades if t.step == "transfer"] == [D("0.50")]


def test_stable_worth_exactly_what_the_wallet_needs_moves_without_a_warning():
    """ETH 30,000 and USDC 7,500 (a band of 100 %: nothing is sold): T = 37,500, F* = 7,500,
    all the stable there is: it all moves, and nothing is short."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(7500), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions, rebalance_band=D(1))
    assert [t.notional for t in plan.trades if t.step == "transfer"] == [D(7500)]
    assert plan.warnings == ()


def test_a_surplus_of_exactly_min_trade_value_is_brought_back():
    """ETH 30,000, USDC 30,000, 15,012.50 free: T = 75,012.50, F* = 15,002.50 (S* =
    30,005: no sale): 10.00 over the goal, Min Trade Value itself, comes back."""
    positions = (Position("ETH", D(10), D(3000), D(3000), location="H!A2"),
                 Position("USDC", D(30000), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions, futures_free_collateral=D("15012.5"))
    assert [(t.instrument, t.notional) for t in plan.trades] == [
        ("futures wallet → USDC", D(10))]


def test_rungs_stop_at_the_min_keep():
    """DOT 100 at cost with a min keep of 50 %; tiers at 2×, 3× and 4×, 20 % each: rungs of
    20 and 20, then only the 10 left above the floor of 50."""
    plan = _ladder_of(Position("DOT", D(100), D(10), D(10), min_keep=D("0.5"),
                               location="H!A2"),
                      tiers=tuple(Tier(D(k), D("0.2")) for k in (2, 3, 4)))
    assert [(r.limit_price, r.quantity) for r in plan.ladder] == \
        [(D(20), D(20)), (D(30), D(20)), (D(40), D(10))]


def test_a_rung_under_one_lot_step_rests_nowhere_even_without_a_minimum():
    """DOT 1 at cost with a Lot Step of 1: the 25 % rung (0.25) rounds down to 0, and a rung
    of nothing is no rung, Min Trade Value 0 or not."""
    positions = (Position("DOT", D(1), D(10), D(10), lot_step=D(1), location="H!A2"),
                 Position("USDC", D(1000), D(1), D(1), "stable", location="H!A3"))
    settings = Settings.for_model("Balanced De-Risk", fee_bps=D(0), hedge_ratio=D(0),
                                  min_trade_value=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF,
                                tiers=(Tier(D(2), D("0.25")),)))
    assert plan.ladder == ()


def test_a_rung_worth_exactly_min_trade_value_rests_on_its_venue():
    """ALT 20 @ 1 at cost on Kraken, a 25 % tier at 2×: 5 at 2 = 10, Min Trade Value itself."""
    plan = _ladder_of(Position("ALT", D(20), D(1), D(1), venue="Kraken", location="H!A2"),
                      tiers=(Tier(D(2), D("0.25")),))
    assert [(r.asset, r.venue, r.trigger_multiple, r.limit_price, r.quantity, r.notional)
            for r in plan.ladder] == [("ALT", "Kraken", D(2), D(2), D(5), D(10))]


def test_a_rung_too_small_to_rest_leaves_its_share_to_the_next():
    """ALT 100 @ 1 at cost; tiers 1 % at 2× (1 at 2 = 2 < Min Trade Value 10: left out) and
    50 % at 4×: due 51 % at 4×, none laddered before: 51 at 4."""
    plan = _ladder_of(Position("ALT", D(100), D(1), D(1), location="H!A2"),
                      tiers=(Tier(D(2), D("0.01")), Tier(D(4), D("0.5"))))
    assert [(r.limit_price, r.quantity) for r in plan.ladder] == [(D(4), D(51))]


def test_rungs_count_nothing_sold_when_more_is_held_than_the_original():
    """SOL 10 held, Original Quantity 8 (bought since): nothing was sold; the 25 % tier at 2×
    rests for 25 % of the original, 2."""
    plan = _ladder_of(Position("SOL", D(10), D(100), D(100), original_quantity=D(8),
                               location="H!A2"), tiers=(Tier(D(2), D("0.25")),))
    assert [(r.limit_price, r.quantity) for r in plan.ladder] == [(D(200), D(2))]


def test_the_ladder_works_out_the_multiples_itself_when_not_given_them():
    from derisk_xl.core.ladder import ladder

    rows = (Position("DOT", D(100), D(10), D(10), location="H!A2"),)
    rungs = ladder(rows, [D(0)], Settings.for_model(), (Tier(D(2), D("0.2")),))
    assert [(r.limit_price, r.quantity) for r in rungs] == [(D(20), D(20))]


def test_a_short_whose_liquidation_a_shock_reaches_exactly_liquidates():
    """X short 1 at 100 on a margin of 20.6 (4.85×, under Aggressive Hold's 5×: kept),
    maintenance 0.5 % (binance): liquidation at (100 + 20.6) / 1.005 = 120, exactly the +20 %
    shock: the short loses its equity, 20.6, before and after the plan."""
    f = FuturesPosition("XUSDT-PERP", "X", "short", D(1), D(100), D(100), D("20.6"),
                        underlying_price=D(100), location="Futures!A2")
    plan = plan_of_future(f, Settings.for_model("Aggressive Hold", fee_bps=D(0)))
    assert plan.futures[0].liquidation_before == D(120)
    row = next(r for r in plan.stress if r.shock == D("0.20"))
    assert (row.liquidated_before, row.liquidated_after, row.pnl_before, row.pnl_after) == \
        (("XUSDT-PERP",), ("XUSDT-PERP",), D("-20.6"), D("-20.6"))


def test_an_excess_of_exactly_the_band_is_not_sold():
    """ETH 10 @ 4,100 at cost and USDC 59,000: T = 100,000, S* = 40,000, band 1 % = 1,000:
    the excess is the band itself, within it: nothing is sold."""
    positions = (Position("ETH", D(10), D(4100), D(4100), location="H!A2"),
                 Position("USDC", D(59000), D(1), D(1), "stable", location="H!A3"))
    plan = balanced_plan(positions)
    assert [t for t in plan.trades if t.step == "allocation"] == []


def test_an_excess_of_one_cent_is_still_sold():
    """Custom 50/50/0 without a band or Min Trade Value: ETH 51 @ 2 at cost (102) and USDC
    101.98: T = 203.98, S* = 101.99, the excess is 0.01, a cent: 0.005 ETH is sold."""
    positions = (Position("ETH", D(51), D(2), D(2), location="H!A2"),
                 Position("USDC", D("101.98"), D(1), D(1), "stable", location="H!A3"))
    settings = Settings.for_model("Custom", spot_target=D("0.5"), stable_target=D("0.5"),
                                  futures_sleeve=D(0), rebalance_band=D(0), fee_bps=D(0),
                                  hedge_ratio=D(0), min_trade_value=D(0))
    plan = make_plan(PlanInputs(positions=positions, settings=settings, as_of=AS_OF))
    assert [(t.step, t.quantity) for t in plan.trades] == [("allocation", D("0.005"))]


def test_tiers_go_on_past_a_position_with_nothing_due():
    """Universal tiers 25 % at 2× and 25 % at 4×. ETH at 4× (cost 750) held 10 of an original
    20: due 10, already sold 10, nothing more. SOL at 2× (200 over 100) held 10 of an original
    8 (bought since: nothing sold): due 25 % of 8 = 2. ADA at 2×, 100 held: 25. Tiers for
    ETH alone: SOL and ADA are due nothing, ETH (at 2× of 1,500) 25 % of 10 = 2.5."""
    rows = (Position("ETH", D(10), D(3000), D(750), original_quantity=D(20), location="H!A2"),
            Position("SOL", D(10), D(200), D(100), original_quantity=D(8), location="H!A3"),
            Position("ADA", D(100), D(2), D(1), location="H!A4"))
    plan = _ladder_of(*rows, tiers=(Tier(D(2), D("0.25")), Tier(D(4), D("0.25"))))
    sold = [(t.instrument, t.quantity, t.reason) for t in plan.trades if t.step == "tier"]
    assert sold == [
        ("SOL", D(2), "SOL trades at 2× its cost: tiers due 25 % of the original 8; already "
                      "sold 0."),
        ("ADA", D(25), "ADA trades at 2× its cost: tiers due 25 % of the original 100; already "
                       "sold 0.")]
    eth = Position("ETH", D(10), D(3000), D(1500), location="H!A4")
    plan = _ladder_of(rows[1], rows[2], eth, tiers=(Tier(D(2), D("0.25"), "ETH"),))
    assert [(t.instrument, t.quantity) for t in plan.trades if t.step == "tier"] == \
        [("ETH", D("2.5"))]


def test_a_tier_sale_says_what_was_sold_before():
    """ETH at 4× (cost 750), 10 held of an original 16: due 50 % of 16 = 8, 6 sold before:
    2 now."""
    eth = Position("ETH", D(10), D(3000), D(750), original_quantity=D(16), location="H!A2")
    plan = _ladder_of(eth, tiers=(Tier(D(2), D("0.25")), Tier(D(4), D("0.25"))))
    assert [(t.quantity, t.reason) for t in plan.trades if t.step == "tier"] == [
        (D(2), "ETH trades at 4× its cost: tiers due 50 % of the original 16; already sold 6.")]
