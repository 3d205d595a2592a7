"""SPEC section 7, the article's case study, reproduced to the cent through make_plan.

    asset  qty     price    avg cost   value     note
    BTC    0.1     40,000   40,000      4,000    protected (Core Assets = BTC)
    ETH    2.5      3,000    1,200      7,500    2.5×: tier 2.0 → 25 %
    ALT    1,000       12        3     12,000    4×: tiers 2.0 and 4.0 → 50 %
    USDC   11,500       1        1     11,500
    Balanced De-Risk; Fee bps 0; Hedge Price 40,200; funding 0.01 % per 8 h; as of 2026-11-28.

Every expected figure below is worked by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal as d

import pytest

from derisk_xl.core.money import cents
from derisk_xl.core.plan import make_plan


@pytest.fixture
def plan(case_study):
    return make_plan(case_study)


def trades_of(plan, step):
    return [t for t in plan.trades if t.step == step]


def test_totals_and_targets(plan):
    # T = 4,000 + 7,500 + 12,000 + 11,500 = 35,000; S* = C* = 40 % = 14,000; F* = 20 % = 7,000
    assert plan.total_before == d(35000)
    assert [(b.name, b.target) for b in plan.buckets] == [
        ("spot", d(14000)), ("stable", d(14000)), ("futures", d(7000))]
    assert [b.before for b in plan.buckets] == [d(23500), d(11500), d(0)]


def test_tier_and_allocation_sales(plan):
    tier = {(t.instrument, t.quantity) for t in trades_of(plan, "tier")}
    assert tier == {("ALT", d(500)), ("ETH", d("0.625"))}  # 50 % of 1,000; 25 % of 2.5
    # risk spot after tiers = 4,000 + 1.875·3,000 + 500·12 = 15,625 → excess 1,625 → ALT
    (alloc,) = trades_of(plan, "allocation")
    assert alloc.instrument == "ALT"
    assert abs(alloc.quantity - d("135.41666666666666666666")) < d("1e-20")
    sold = {}
    for t in plan.trades:
        if t.side == "sell":
            q, n = sold.get(t.instrument, (d(0), d(0)))
            sold[t.instrument] = (q + t.quantity, n + t.notional)
    assert cents(sold["ALT"][1]) == d("7625.00") and cents(sold["ETH"][1]) == d("1875.00")
    assert abs(sold["ALT"][0] - d("635.416666666666666666")) < d("1e-18")
    assert "BTC" not in sold


def test_realized_gain(plan):
    # ALT 635.41666…·(12 − 3) = 5,718.75; ETH 0.625·(3,000 − 1,200) = 1,125.00
    gains = {}
    for t in plan.trades:
        if t.side == "sell":
            gains[t.instrument] = gains.get(t.instrument, d(0)) + t.realized_gain
    assert cents(gains["ALT"]) == d("5718.75") and cents(gains["ETH"]) == d("1125.00")
    assert cents(plan.realized_gain) == d("6843.75")


def test_stable_and_sleeve(plan):
    # stable 11,500 + 9,500 proceeds = 21,000; 7,000 to the futures wallet → 14,000
    (transfer,) = trades_of(plan, "transfer")
    assert transfer.notional == d(7000) and transfer.instrument.startswith("USDC")
    assert cents(plan.bucket("stable").after) == d("14000.00")
    usdc = [p for p in plan.positions_after if p.asset == "USDC"]
    assert len(usdc) == 1 and cents(usdc[0].quantity) == d("14000.00")
    # the wallet: 7,000 of which 924.60 is the hedge's margin
    assert cents(plan.bucket("futures").after) == d("7000.00")


def test_hedge(plan):
    h = plan.hedge
    # X = kept risk spot = 4,000 + 5,625 + 4,375 = 14,000; H = 20 % = 2,800
    assert cents(h.exposure) == d("14000.00") and cents(h.target_notional) == d("2800.00")
    # 2,800 / 40,200 = 0.06965… → 0.069 at lot 0.001; 0.069·40,200 = 2,773.80; /3 = 924.60
    assert h.quantity == d("0.069")
    assert h.notional == d("2773.80") and h.margin == d("924.60")
    # binance short: (E·Q + M)/(Q·(1 + m)) = (2,773.80 + 924.60)/(0.069·1.005) = 53,333.33
    assert cents(h.liquidation_price) == d("53333.33")
    (trade,) = trades_of(plan, "hedge")
    assert (trade.side, trade.quantity, trade.price) == ("short", d("0.069"), d(40200))


def test_carry(plan):
    c = plan.hedge.carry
    # funding 0.01 %·3·365 = 10.95 % a year; 0.0001·3·30·2,773.80 = 24.9642 earned
    assert c.kind == "funding" and c.annualized == d("0.1095")
    assert cents(c.amount) == d("24.96") and c.verb == "earns"
    # basis 40,200 − 40,000 = 200; 200/40,000 = 0.50 %
    assert c.basis == d(200) and c.basis_pct == d("0.005")


def test_exposure(plan):
    # before: 23,500 = 67.1 % of 35,000; after: 14,000 − 2,773.80 = 11,226.20 = 32.1 %
    assert cents(plan.exposure_before.net) == d("23500.00")
    assert round(plan.exposure_before.net_pct * 1000) == 671
    assert cents(plan.exposure_after.net) == d("11226.20")
    assert round(plan.exposure_after.net_pct * 1000) == 321


def test_stress_minus_30(plan):
    # before: −30 %·23,500 = −7,050; after: −30 %·14,000 + 30 %·2,773.80 = −3,367.86
    row = next(r for r in plan.stress if r.shock == d("-0.30"))
    assert cents(row.pnl_before) == d("-7050.00")
    assert cents(row.pnl_after) == d("-3367.86")
    assert row.liquidated_before == row.liquidated_after == ()


def test_money_reconciles_and_status(plan):
    # no fees, no slippage: T after = T before; risk 14,000 ≤ 14,000 + 350 and stable
    # 14,000 ≥ 14,000 − 350 → target reached → complete
    assert cents(plan.total_after) == d("35000.00")
    assert plan.status == "complete"
    assert next(s for s in plan.signals if s.name == "target reached").on
    # ladder: ETH's 4.0 tier not reached → limit sell 0.625 ETH at 4·1,200 = 4,800
    assert [(r.asset, r.limit_price, r.quantity) for r in plan.ladder] == [
        ("ETH", d(4800), d("0.625"))]
    assert plan.warnings == ()
