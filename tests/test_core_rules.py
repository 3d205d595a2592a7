"""One test per rule of SPEC section 4, each a small portfolio with figures worked by hand."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal as d

from test_core_tables import futures, holdings, lots

from derisk_xl.core.model import PlanInputs, PriceHistory, Settings, Tier
from derisk_xl.core.money import cents
from derisk_xl.core.plan import make_plan

AS_OF = dt.date(2026, 11, 28)


def plan_for(positions, *, fut=(), tiers=None, lot_rows=(), prices=None, model="Balanced De-Risk",
             **settings):
    settings.setdefault("fee_bps", d(0))
    settings.setdefault("hedge_ratio", d(0))
    kwargs = {} if tiers is None else {"tiers": tiers}
    return make_plan(PlanInputs(positions=positions, settings=Settings.for_model(model, **settings),
                                as_of=AS_OF, futures=fut, lots=lot_rows, prices=prices, **kwargs))


def sells(plan):
    return [(t.step, t.instrument, t.quantity) for t in plan.trades if t.side == "sell"
            and t.step in ("tier", "allocation")]


def warned(plan, location, *words):
    return any(w.location == location and w.severity == "warning"
               and all(x in w.message for x in words) for w in plan.warnings)


# --- steps 3–5 ---------------------------------------------------------------------------------


def test_unknown_cost_gets_no_tier_and_is_sold_last():
    p = plan_for(holdings("""
        asset  qty  price  cost
        AAA    100  10     5
        BBB    100  10     -
        USDC   0    1      1
    """))
    # T = 2,000; S* = 800, band 20. AAA 2× → tier 25 % = 25. BBB: no cost, no tier.
    # after tiers risk = 750 + 1,000 = 1,750 → excess 950: AAA (2×) first, all 75 left (750),
    # then BBB (unknown, last) 200 → 20 units.
    assert sells(p) == [("tier", "AAA", d(25)), ("allocation", "AAA", d(75)),
                        ("allocation", "BBB", d(20))]
    assert p.trades[2].realized_gain is None          # no cost: gain unknown
    assert p.trades[0].realized_gain == d(125)        # 25·(10 − 5)
    assert warned(p, "Holdings!A3", "BBB", "no average cost")


def test_everything_protected_sells_nothing_and_says_why():
    p = plan_for(holdings("""
        asset  qty   price   cost   protect
        BTC    1     40000   10000  -
        ETH    10    3000    500    yes
        USDC   1000  1       1      -
    """))
    # T = 71,000, S* = 28,400; protected BTC (Core Assets) + ETH = 70,000 > S*
    assert sells(p) == []
    assert warned(p, "Settings", "Protected positions alone", "70,000.00", "28,400.00")
    assert p.status == "complete"                     # nothing left to sell


def test_spot_below_target_takes_tiers_but_no_allocation():
    p = plan_for(holdings("""
        asset  qty    price  cost
        ETH    1      3000   1000
        USDC   10000  1      1
    """))
    # T = 13,000, S* = 5,200 > 3,000: no allocation; ETH 3× → 25 % tier = 0.25
    assert sells(p) == [("tier", "ETH", d("0.25"))]
    assert not any(t.side == "buy" for t in p.trades)


def test_min_keep_caps_tier_and_allocation():
    p = plan_for(holdings("""
        asset  qty   price  cost  keep
        ALT    1000  12     3     60
        USDC   0     1      1     -
    """))
    # 4× → tiers due 50 % = 500 but min keep 60 % leaves 400 to sell; allocation finds none left
    assert sells(p) == [("tier", "ALT", d(400))]
    alt = p.positions_after[0]
    assert alt.quantity == d(600) and alt.original_quantity == d(1000)


def test_a_lot_step_that_swallows_a_whole_trade():
    p = plan_for(holdings("""
        asset  qty  price  cost  step
        ETH    10   300    100   10
        BBB    50   10     10    -
        USDC   0    1      1     -
    """))
    # ETH 3× → tier 25 % = 2.5 → rounds down to 0 at lot 10: no trade.
    # T = 3,500, S* = 1,400, excess 2,100: ETH again 7 → 0 at lot 10; BBB sells all 50 (500).
    assert sells(p) == [("allocation", "BBB", d(50))]
    assert p.positions_after[0].quantity == d(10)


def test_min_trade_value_drops_small_trades():
    p = plan_for(holdings("""
        asset  qty    price  cost
        AAA    0.8    20     5
        USDC   10000  1      1
    """))
    # 4× → 50 % = 0.4 → worth 8 < Min Trade Value 10: dropped
    assert sells(p) == []


def test_tier_applies_to_an_asset_only():
    tiers = (Tier(d(2), d("0.5"), "ETH"),)
    p = plan_for(holdings("""
        asset  qty    price  cost
        ETH    1      3000   1000
        SOL    10     300    100
        USDC   20000  1      1
    """), tiers=tiers)
    assert sells(p) == [("tier", "ETH", d("0.5"))]


def test_fees_and_slippage_reconcile_to_the_cent():
    p = plan_for(holdings("""
        asset  qty   price  cost
        ALT    1000  12     3
    """), fee_bps=d(10), slippage_bps=d(50))
    # tier 500 at 12·(1 − 0.5 %) = 11.94 → 5,970; fee 5.97; slippage 30
    # T = 12,000, S* = 4,800: excess 6,000 − 4,800 = 1,200 → 100 ALT → 1,194; fee 1.194; slip 6
    assert sells(p) == [("tier", "ALT", d(500)), ("allocation", "ALT", d(100))]
    assert [t.price for t in p.trades[:2]] == [d("11.94"), d("11.94")]
    assert p.slippage == d(36)
    assert p.fees == d("7.164")
    usdc = p.positions_after[-1]
    assert usdc.asset == "USDC" and usdc.is_stable              # created for the proceeds
    # stable received 5,964.03 + 1,192.806 = 7,156.836; 20 % sleeve = 2,400 moved to futures
    assert cents(usdc.quantity) == cents(d("7156.836") - d(2400))
    assert cents(p.total_after) == cents(d(12000) - d("7.164") - d(36))
    assert warned(p, "Settings", "USDC", "not in Holdings")


def test_reasons_read_plainly():
    """Reasons a client reads: multiples and leverage to 2 decimals (2.57×, not 2.57069409×),
    money to the cent with thousands separators, quantities with separators and at most
    8 decimals, no trailing zeros."""
    p = plan_for(holdings("""
        asset  qty   price  cost
        ETH    2.5   3000   1167
        ALT    1000  12     3
        USDC   8000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark  margin
        ETHUSDT  ETH         long  10    3300   3000  5000
    """))
    reasons = [t.reason for t in p.trades]
    # ETH 3,000/1,167 = 2.5707× → tier 2.0: 25 % of 2.5; ALT 4× → 50 % of 1,000
    assert "ETH trades at 2.57× its cost: tiers due 25 % of the original 2.5; already sold 0." \
        in reasons
    assert "ALT trades at 4× its cost: tiers due 50 % of the original 1,000; already sold 0." \
        in reasons
    # the future: uPnL −3,000, equity 2,000, notional 30,000 → 15× (SPEC 4 step 6)
    assert ("ETHUSDT runs at 15× effective leverage, above Max Leverage 3×: reduce to 3× on its "
            "equity 2,000.00.") in reasons
    text = " ".join(reasons)
    assert all(len(decimals) <= 8 for decimals in re.findall(r"\d\.(\d+)", text))
    assert all(len(decimals) <= 2 for decimals in re.findall(r"\d\.(\d+)×", text))


# --- step 6 ------------------------------------------------------------------------------------


def test_close_profitable_longs_banks_the_gain():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   20000  1      1
    """), fut=futures("""
        symbol    underlying  side  size  entry  mark  margin
        ETHUSDT   ETH         long  2     2000   3000  2000
    """), sleeve_funding="needed")
    # uPnL = 2·1,000 = 2,000; close 50 %: realized 1,000, margin released 1,000 → wallet cash
    (a,) = p.futures
    assert a.action == "close" and a.size_after == d(1) and a.realized_pnl == d(1000)
    assert a.margin_after == d(1000)
    assert p.realized_gain == d(1000)
    assert cents(p.total_before) == d("24000.00") == cents(p.total_after)   # 20,000 + 4,000


def test_a_position_above_max_leverage_is_cut_to_exactly_max():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   20000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark  margin
        ETHUSDT  ETH         long  10    3300   3000  5000
    """))
    # uPnL −3,000, equity 2,000, notional 30,000 → 15×. At 3× on 2,000: notional 6,000 → size 2;
    # the 8 closed realize 0.8·(−3,000) = −2,400, kept in the margin: 5,000 − 2,400 = 2,600
    (a,) = p.futures
    assert a.action == "reduce" and a.leverage_before == d(15)
    assert a.size_after == d(2) and a.margin_after == d(2600) and a.leverage_after == d(3)
    assert a.realized_pnl == d(-2400)
    assert a.liquidation_after is not None and a.liquidation_after < d(3000)


def test_leverage_cut_nets_the_fee():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   20000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark  margin
        ETHUSDT  ETH         long  10    3000   3000  3000
    """), fee_bps=d(10))
    # 10×. closed c = (30,000 − 3·3,000)/(1 − 3·0.001) = 21,000/0.997 = 21,063.19;
    # fee 21.06 from the position: equity 2,978.94, notional 8,936.81 → 3×
    (a,) = p.futures
    assert cents(a.notional_before - a.notional_after) == d("21063.19")
    assert cents(a.margin_after) == d("2978.94")
    assert abs(a.leverage_after - 3) < d("1e-20")


def test_inverse_contracts_value_and_close():
    """Inverse long, coin-margined: Margin 1,000 is in the base currency, held as
    1,000/40,000 = 0.025 BTC. notional 100·100 = 10,000; uPnL coin
    10,000·(1/40,000 − 1/50,000) = 0.05 BTC = 2,500 at the 50,000 mark; equity
    (0.025 + 0.05)·50,000 = 3,750 → 2.67×. Close 50 %: realize 1,250 and release 0.0125 BTC
    = 625, 50 contracts left (T unchanged)."""
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   10000  1      1
    """), fut=futures("""
        symbol  underlying  side  size  entry  mark   margin  type     cv
        BTCUSD  BTC         long  100   40000  50000  1000    inverse  100
    """), sleeve_funding="needed", stress_shocks=(d("-0.10"), d("-0.50")))
    (a,) = p.futures
    assert a.notional_before == d(10000) and cents(a.upnl_before) == d("2500.00")
    assert cents(a.realized_pnl) == d("1250.00") and a.size_after == d(50)
    assert cents(p.total_before) == d("13750.00") == cents(p.total_after)
    # Equity at P is 0.025·P + 10,000·(P/40,000 − 1): delta (0.025 + 0.25)·50,000 = 13,750,
    # so −10 % loses 1,375. Binance liquidation 10,000·1.005/(0.025 + 0.25) = 36,545.45:
    # −10 % (45,000) holds, −50 % (25,000) liquidates and loses the equity. After the close
    # everything halves: −687.50, and 1,875 lost at −50 %.
    assert cents(a.liquidation_before) == d("36545.45")
    r10, r50 = p.stress
    assert cents(r10.pnl_before) == d("-1375.00") and cents(r10.pnl_after) == d("-687.50")
    assert r50.liquidated_before == ("BTCUSD",) and cents(r50.pnl_before) == d("-3750.00")
    assert cents(r50.pnl_after) == d("-1875.00")


def test_inverse_short_coin_margin_liquidation_stress_and_exposure():
    """Inverse short 200 contracts of 100 USD at entry 40,000, mark 36,000, Margin 2,000 (base
    currency) = 0.05 BTC, Maint 0.5 %, Maint Amount 0.001 (BTC, as the exchange's coin-margined
    tier table gives it). By hand:
      uPnL coin = −20,000·(1/40,000 − 1/36,000) = 20,000/360,000 = 0.0555… BTC = 2,000.
      equity = (0.05 + 0.0555…)·36,000 = 1,800 + 2,000 = 3,800 → leverage 20,000/3,800.
      binance: P = N·V·(1 − m)/(N·V/E − M − c) = 19,900/(0.5 − 0.05 − 0.001) = 44,320.71.
      equity(P) = 0.05·P − 20,000·(P/40,000 − 1) = 20,000 − 0.45·P: delta −0.45·36,000 =
      −16,200. +20 % (43,200, below the liquidation): 20,000 − 19,440 = 560, i.e. −3,240;
      +30 % (46,800) liquidates: −3,800; −10 %: +1,620."""
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   20000  1      1
    """), fut=(replace(futures("""
        symbol  underlying  side   size  entry  mark   margin  type     cv
        BTCUSD  BTC         short  200   40000  36000  2000    inverse  100
    """)[0], maint_amount=d("0.001")),), max_leverage=d(10),
        stress_shocks=(d("0.20"), d("0.30"), d("-0.10")))
    (a,) = p.futures
    assert a.action == "keep" and cents(a.upnl_before) == d("2000.00")
    assert cents(p.total_before) == d("23800.00")
    assert abs(a.leverage_before - d(20000) / d(3800)) < d("1e-20")
    assert cents(a.liquidation_before) == d("44320.71")
    assert cents(p.exposure_before.net) == d("-16200.00")
    up20, up30, down10 = p.stress
    assert cents(up20.pnl_before) == d("-3240.00") and up20.liquidated_before == ()
    assert up30.liquidated_before == ("BTCUSD",) and cents(up30.pnl_before) == d("-3800.00")
    assert cents(down10.pnl_before) == d("1620.00")


def test_stress_liquidates_a_10x_long():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   50000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark   margin
        BTCUSDT  BTC         long  1     40000  40000  4000
    """), stress_shocks=(d("-0.05"), d("-0.20")))
    # binance long liq (40,000 − 4,000)/(1·0.995) = 36,180.90: −5 % (38,000) holds → −2,000;
    # −20 % (32,000) crosses it → loses its 4,000 margin
    r5, r20 = p.stress
    assert r5.pnl_before == d(-2000) and r5.liquidated_before == ()
    assert r20.pnl_before == d(-4000) and r20.liquidated_before == ("BTCUSDT",)
    # after the cut to 3×, 0.3 BTC on 4,000: −20 % → −2,400, far from its liquidation
    assert r20.liquidated_after == () and cents(r20.pnl_after) == d("-2400.00")


# --- step 7 ------------------------------------------------------------------------------------


def test_sleeve_needed_funds_margin_times_buffer():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   19000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark  margin
        ETHUSDT  ETH         long  1     3000   3000  1000
    """), sleeve_funding="needed")
    # T = 20,000, F* = 4,000; needed = 1,000·2 = 2,000 < F*; wallet 1,000 → move 1,000
    (t,) = [t for t in p.trades if t.step == "transfer"]
    assert t.notional == d(1000) and t.instrument == "USDC → futures wallet"


def test_sleeve_never_withdraws_margin_in_use():
    p = plan_for(holdings("""
        asset  qty    price  cost
        USDC   10000  1      1
    """), fut=futures("""
        symbol   underlying  side  size  entry  mark  margin
        ETHUSDT  ETH         long  3     3000   3000  9000
    """), futures_free_collateral=d(1000))
    # T = 20,000, F* = 4,000; wallet 10,000 → surplus 6,000, but only 1,000 is free
    (t,) = [t for t in p.trades if t.step == "transfer"]
    assert t.notional == d(1000) and t.instrument == "futures wallet → USDC"
    assert cents(p.bucket("futures").after) == d("9000.00")


# --- steps 8–9 ---------------------------------------------------------------------------------

BTC_AND_CASH = """
    asset  qty    price  cost
    BTC    1      40000  40000
    USDC   60000  1      1
"""


def test_over_hedge_is_warned_not_traded():
    p = plan_for(holdings(BTC_AND_CASH), fut=futures("""
        symbol   underlying  side   size  entry  mark   margin
        BTCUSDT  BTC         short  0.5   40000  40000  10000
    """), hedge_ratio=d("0.2"), hedge_price=d(40000))
    # X = 40,000, H = 8,000 < existing short 20,000: over-hedged by 12,000
    assert p.hedge.existing_short_notional == d(20000) and p.hedge.notional == 0
    assert not [t for t in p.trades if t.step == "hedge"]
    assert warned(p, "Settings", "over-hedged", "12,000.00")


def test_existing_shorts_count_toward_the_hedge():
    p = plan_for(holdings(BTC_AND_CASH), fut=futures("""
        symbol   underlying  side   size  entry  mark   margin
        BTCUSDT  BTC         short  0.05  40000  40000  1000
    """), hedge_ratio=d("0.2"), hedge_price=d(40000))
    # H = 8,000, existing 2,000 → A = 6,000 → 0.15 BTC
    assert p.hedge.quantity == d("0.15") and p.hedge.notional == d(6000)


def test_contango_earns_and_backwardation_costs():
    expiry = AS_OF + dt.timedelta(days=90)
    up = plan_for(holdings(BTC_AND_CASH), hedge_ratio=d("0.2"), hedge_price=d(40400),
                  hedge_expiry=expiry)
    # H = 8,000 → 8,000/40,400 = 0.19801 → 0.198 → 7,999.20; basis +1 %:
    # 1 %·365/90 = 4.0556 % a year; over 30 of 90 days 1 %·7,999.20/3 = 26.664 earned
    c = up.hedge.carry
    assert up.hedge.notional == d("7999.20")
    assert c.kind == "basis" and c.verb == "earns" and cents(c.amount) == d("26.66")
    assert round(c.annualized * 10000) == 406
    down = plan_for(holdings(BTC_AND_CASH), hedge_ratio=d("0.2"), hedge_price=d(39600),
                    hedge_expiry=expiry)
    # 8,000/39,600 = 0.20202 → 0.202 → 7,999.20; basis −1 % → costs 26.66
    c = down.hedge.carry
    assert down.hedge.notional == d("7999.20")
    assert c.verb == "costs" and cents(c.amount) == d("-26.66")


def test_negative_funding_costs():
    p = plan_for(holdings(BTC_AND_CASH), hedge_ratio=d("0.2"), hedge_price=d(40000),
                 hedge_funding_rate_8h=d("-0.0001"))
    # 0.2 BTC = 8,000; −0.01 %·3·30·8,000 = −72.00; −10.95 % a year
    c = p.hedge.carry
    assert c.verb == "costs" and c.amount == d(-72) and c.annualized == d("-0.1095")


def test_hedge_price_defaults_to_spot_with_a_warning():
    p = plan_for(holdings(BTC_AND_CASH), hedge_ratio=d("0.2"))
    assert p.hedge.price == d(40000) and p.hedge.carry.basis == 0
    assert warned(p, "Settings", "Hedge Price is not set")


def test_margin_must_fit_free_collateral():
    p = plan_for(holdings(BTC_AND_CASH), model="Custom", spot_target=d("0.4"),
                 stable_target=d("0.59"), futures_sleeve=d("0.01"), hedge_ratio=d("0.2"),
                 hedge_price=d(40000))
    # T = 100,000, F* = 1,000 moved to the wallet. H = 8,000 → 0.2 BTC needs 2,666.67 at 3×;
    # it fits 1,000·3/40,000 = 0.075 BTC: 3,000 notional, margin 1,000
    assert p.hedge.quantity == d("0.075") and p.hedge.margin == d(1000)
    assert warned(p, "Settings", "free collateral", "1,000.00")


def test_hedge_leverage_above_max_is_capped():
    p = plan_for(holdings(BTC_AND_CASH), hedge_ratio=d("0.2"), hedge_price=d(40000),
                 hedge_leverage=d(10))
    # 0.2 BTC = 8,000 at 3× (not 10×): margin 2,666.67
    assert p.hedge.leverage == d(3) and cents(p.hedge.margin) == d("2666.67")
    assert warned(p, "Settings", "Hedge Leverage")


def test_beta_sizing_weights_the_exposure():
    p = plan_for(holdings("""
        asset  qty    price  cost  beta
        SOL    100    100    100   1.5
        USDC   90000  1      1     -
    """), hedge_ratio=d("0.5"), hedge_price=d(40000), hedge_underlying_price=d(40000),
        hedge_sizing="beta")
    # X = 1.5·10,000 = 15,000; H = 7,500 → 0.1875 → 0.187 BTC at lot 0.001
    assert p.hedge.exposure == d(15000) and p.hedge.quantity == d("0.187")
    # exposure after is β-weighted: 15,000 − 0.187·40,000 = 7,520
    assert p.exposure_after.net == d(7520)


def _closes(returns, start=100.0):
    out = [start]
    for r in returns:
        out.append(out[-1] * (1 + r))
    return tuple(out)


def test_min_variance_contracts_hull():
    """Hull's jet fuel example: ρ = 0.928, σ_S = 0.0263, σ_F = 0.0313 → h* = 0.78;
    N* = h*·Q_A/Q_F = 0.78·2,000,000/42,000 ≈ 37.14 → 37 contracts of 42,000 gallons."""
    n = 60
    z1 = [(-1) ** k * (1 + (k % 3)) for k in range(n)]
    z2 = [((k * 7) % 11) - 5.0 for k in range(n)]
    m1 = sum(z1) / n
    z1 = [x - m1 for x in z1]
    m2 = sum(z2) / n
    z2 = [x - m2 for x in z2]
    proj = sum(a * b for a, b in zip(z1, z2)) / sum(a * a for a in z1)
    z2 = [b - proj * a for a, b in zip(z1, z2)]          # orthogonal to z1, zero mean

    def unit(z):
        s = (sum(x * x for x in z) / (n - 1)) ** 0.5
        return [x / s for x in z]

    z1, z2 = unit(z1), unit(z2)
    rho, ss, sf = 0.928, 0.0263, 0.0313
    r_f = [sf * a for a in z1]
    r_s = [ss * (rho * a + (1 - rho * rho) ** 0.5 * b) for a, b in zip(z1, z2)]
    dates = tuple(AS_OF - dt.timedelta(days=n - k) for k in range(n + 1))
    prices = PriceHistory(dates, {"JET": _closes(r_s), "HO": _closes(r_f)})
    # jet fuel and heating oil both at 2.00 a gallon: Q_A = 2,000,000 gallons worth 4,000,000
    p = plan_for(holdings("""
        asset  qty      price  cost
        JET    2000000  2      -
    """), prices=prices, model="Custom", spot_target=d(1), stable_target=d(0),
        futures_sleeve=d(0), max_leverage=d(10), futures_free_collateral=d(400000),
        hedge_ratio=d(1), hedge_sizing="min-variance", hedge_underlying="HO",
        hedge_instrument="HO-FUT", hedge_price=d(2), hedge_underlying_price=d(2),
        hedge_contract_size=d(42000), hedge_lot_step=d(1), tiers=())
    assert abs(p.hedge.h_star - 0.928 * 0.0263 / 0.0313) < 1e-9
    # N = 0.7798·4,000,000/(42,000·2) = 37.13 → 37 contracts; notional 37·84,000 = 3,108,000
    assert p.hedge.quantity == d(37) and p.hedge.notional == d(3108000)
    assert p.hedge.margin == d(310800)


def test_min_variance_warns_of_kept_assets_without_prices():
    """ETH and BTC have 40 days of closes; SOL, kept, has no Prices column: h* is estimated on
    ETH alone, and a warning at Prices names SOL (and not ETH) as left out."""
    n = 40
    rf = [0.02 * (-1) ** k * (1 + k % 3) / 2 for k in range(n)]
    dates = tuple(AS_OF - dt.timedelta(days=n - k) for k in range(n + 1))
    prices = PriceHistory(dates, {"BTC": _closes(rf), "ETH": _closes([1.5 * r for r in rf])})
    p = plan_for(holdings("""
        asset  qty    price  cost
        ETH    1      3000   3000
        SOL    10     100    100
        USDC   20000  1      1
    """), prices=prices, hedge_ratio=d("0.5"), hedge_sizing="min-variance",
        hedge_price=d(40000), hedge_underlying_price=d(40000))
    # ETH's returns are exactly 1.5× BTC's: ρ = 1, σ_S/σ_F = 1.5 → h* = 1.5
    assert abs(p.hedge.h_star - 1.5) < 1e-9 and p.hedge.sizing == "min-variance"
    # T = 24,000, S* = 9,600: nothing sold; X = 3,000 + 1,000 = 4,000, H = 50 % · 1.5 · 4,000
    hedge = next(t for t in p.trades if t.step == "hedge")
    assert hedge.reason.startswith("Hedge 50 % of the kept risk spot × h* 1.5000 4,000.00: "
                                   "H = 3,000.00; margin ")
    assert warned(p, "Prices", "SOL", "left out", "h*")
    assert not any("ETH" in w.message for w in p.warnings if w.location == "Prices")


# --- steps 12–14 -------------------------------------------------------------------------------

LUMPY = """
    asset  qty  price  cost  step
    AAA    3    10000  -     1
"""


def test_status_continue_then_accelerate_on_greed():
    # T = 30,000, S* = 12,000: excess 18,000 → 1 unit (lot 1 rounds 1.8 down); 20,000 left
    calm = plan_for(holdings(LUMPY))
    assert sells(calm) == [("allocation", "AAA", d(1))]
    assert calm.status == "continue"
    greedy = plan_for(holdings(LUMPY), fear_greed_index=80)
    assert greedy.status == "accelerate"
    assert next(s for s in greedy.signals if s.name == "extreme greed").reason.startswith(
        "Fear Greed Index 80")


def test_momentum_exhaustion_accelerates():
    # BTC climbs to 100 by day 40, then falls 2 % a day for 9 days: 100·0.98⁹ = 83.4, −16.6 %
    n = 50
    closes = [60 + k for k in range(41)] + [100 * 0.98 ** k for k in range(1, n - 40)]
    dates = tuple(AS_OF - dt.timedelta(days=len(closes) - 1 - k) for k in range(len(closes)))
    prices = PriceHistory(dates, {"BTC": tuple(float(c) for c in closes)})
    p = plan_for(holdings(LUMPY), prices=prices)
    ex = next(s for s in p.signals if s.name == "momentum exhaustion")
    assert ex.on and "16.6 %" in ex.reason
    assert p.status == "accelerate"


def test_ladder_respects_min_keep():
    p = plan_for(holdings("""
        asset  qty     price  cost  keep
        ETH    4       3000   1000  70
        USDC   100000  1      1     -
    """))
    # 3×: tier 2.0 sells 25 %·4 = 1 (room 4 − 2.8 = 1.2). Tier 4.0 at 4,000 would sell 1 more,
    # but only 0.2 remains above the 2.8 kept.
    assert sells(p) == [("tier", "ETH", d(1))]
    assert [(r.limit_price, r.quantity) for r in p.ladder] == [(d(4000), d("0.2"))]


LOTS = """
    asset  qty  cost  acquired
    ETH    1    1000  2024-01-10
    ETH    1    1500  2025-06-01
    ETH    1    2800  2026-03-01
"""
ETH_AT_4000 = """
    asset  qty     price  cost
    ETH    3       4000   1766.67
    USDC   100000  1      1
"""


def test_fifo_and_hifo_gains_and_tax():
    """ETH 3 at 4,000, avg cost 1,766.67 (2.26×) → tier 2.0 sells 25 %·3 = 0.75 ETH.
    FIFO takes the 2024 lot at 1,000: gain 0.75·3,000 = 2,250, long term (> 365 days);
    tax at 15 % long = 337.50. HIFO takes the 2026 lot at 2,800: gain 0.75·1,200 = 900,
    short term; tax at 30 % = 270.00."""
    rates = dict(tax_rate_short=d("0.30"), tax_rate_long=d("0.15"))
    fifo = plan_for(holdings(ETH_AT_4000), lot_rows=lots(LOTS), lot_method="FIFO", **rates)
    assert fifo.realized_gain == d(2250) and fifo.tax.long_term_gain == d(2250)
    assert fifo.tax.tax == d("337.50")
    hifo = plan_for(holdings(ETH_AT_4000), lot_rows=lots(LOTS), lot_method="HIFO", **rates)
    assert hifo.realized_gain == d(900) and hifo.tax.short_term_gain == d(900)
    assert hifo.tax.tax == d("270.00")


def test_lots_that_do_not_sum_to_the_holding_are_warned():
    p = plan_for(holdings("""
        asset  qty     price  cost
        ETH    2       3000   1000
        USDC   100000  1      1
    """), lot_rows=lots("""
        asset  qty  cost
        ETH    0.2  500
    """))
    # tier 25 % = 0.5 ETH: 0.2 from the lot (gain 0.2·2,500 = 500), 0.3 beyond it at the
    # average cost (0.3·2,000 = 600) → 1,100
    assert p.realized_gain == d(1100)
    assert warned(p, "Holdings!A2", "ETH", "1.8")


def test_without_lots_each_venue_is_costed_at_its_own_average():
    """SPEC 3.6: without a Lots sheet each position is one lot at its average cost.
    ETH on Kraken 1 at cost 500 (6× at 3,000: tiers due 50 % → 0.5) and on Binance 1 at cost
    1,400 (2.14×: 25 % → 0.25). Kraken's sale realizes 0.5·(3,000 − 500) = 1,250; Binance's
    0.25·(3,000 − 1,400) = 400, not 0.25·2,500 from Kraken's cheaper lot. The Lot Method does
    not matter when every position is a single lot."""
    rows = holdings("""
        asset  qty     price  cost  venue
        ETH    1       3000   500   Kraken
        ETH    1       3000   1400  Binance
        USDC   100000  1      1     -
    """)
    for method in ("FIFO", "HIFO", "LIFO", "AVERAGE"):
        p = plan_for(rows, lot_method=method)
        assert [(t.venue, t.quantity, t.realized_gain) for t in p.trades if t.side == "sell"] == [
            ("Kraken", d("0.5"), d(1250)), ("Binance", d("0.25"), d(400))]
        assert [(r.venue, r.cost, r.gain) for r in p.realized] == [
            ("Kraken", d(250), d(1250)), ("Binance", d(350), d(400))]
        assert p.realized_gain == d(1650)


def test_with_lots_venues_draw_on_the_assets_pool():
    """With a Lots sheet the asset's lots are one pool whatever the venue (SPEC 3.6 per asset):
    the same two rows, lots 1 at 500 (2024) and 1 at 1,400 (2026), FIFO. Kraken's 0.5 takes the
    2024 lot (gain 1,250); Binance's 0.25 takes the rest of that lot too: 0.25·2,500 = 625."""
    rows = holdings("""
        asset  qty     price  cost  venue
        ETH    1       3000   500   Kraken
        ETH    1       3000   1400  Binance
        USDC   100000  1      1     -
    """)
    p = plan_for(rows, lot_rows=lots("""
        asset  qty  cost  acquired
        ETH    1    1400  2026-01-05
        ETH    1    500   2024-01-05
    """))
    assert [t.realized_gain for t in p.trades if t.side == "sell"] == [d(1250), d(625)]
    assert [r.term for r in p.realized] == ["long", "long"]
