"""Steps 1–5 in the domain's notation: valuation, targets, tier and allocation sales, proceeds.

Every expected figure is worked by hand in the test, never taken from the code.
"""

from __future__ import annotations

from decimal import Decimal as d

from derisk_xl.core import allocation as alloc
from derisk_xl.core import valuation as val
from derisk_xl.core.model import DEFAULT_TIERS, Position, Settings


def sales_of(positions, settings, tiers=DEFAULT_TIERS):
    """Run steps 2–4 and return {(step, asset): quantity} plus the warnings."""
    v = val.value_portfolio(positions, (), settings.futures_free_collateral)
    t = val.targets(v.total, settings)
    tier, w1 = alloc.tier_sales(positions, settings, tiers)
    remaining = [p.quantity for p in positions]
    for s in tier:
        remaining[s.index] -= s.quantity
    allocation, w2 = alloc.allocation_sales(positions, remaining, settings, t.spot, t.band)
    out = {(s.step, positions[s.index].asset): s.quantity for s in tier + allocation}
    return out, w1 + w2


def test_case_study_values_targets_and_sales(case_study):
    #   asset  qty     price   avg cost  value
    #   BTC    0.1     40,000  40,000     4,000   protected (Core Assets)
    #   ETH    2.5      3,000   1,200     7,500   2.5×  → tier 2.0 due: 25 %
    #   ALT    1,000       12       3    12,000   4×    → tiers 2.0 and 4.0: 50 %
    #   USDC   11,500       1       1    11,500
    v = val.value_portfolio(case_study.positions, (), d(0))
    assert v.total == d(35000)
    t = val.targets(v.total, case_study.settings)
    assert (t.spot, t.stable, t.futures, t.band) == (d(14000), d(14000), d(7000), d(350))
    sales, warnings = sales_of(case_study.positions, case_study.settings)
    # risk spot after tiers = 4,000 + 1.875·3,000 + 500·12 = 15,625; excess 1,625 > band 350
    assert sales[("tier", "ALT")] == d(500)
    assert sales[("tier", "ETH")] == d("0.625")
    assert abs(sales[("allocation", "ALT")] - d(1625) / d(12)) < d("1e-20")
    assert ("allocation", "ETH") not in sales and ("tier", "BTC") not in sales
    assert warnings == ()


def test_proceeds_fee_on_the_slipped_notional():
    # 10 units at 100, slippage 50 bps → executes at 99.50; notional 995; fee 10 bps = 0.995
    s = Settings.for_model(fee_bps=d(10), slippage_bps=d(50))
    pr = alloc.proceeds(alloc.Sale(0, "tier", d(10), d(100), ""), s)
    assert pr.exec_price == d("99.5")
    assert pr.notional == d(995)
    assert pr.slippage == d(5)
    assert pr.fee == d("0.995")
    assert pr.net == d("994.005")


def test_the_plan_charges_each_sale_the_hand_worked_proceeds():
    """The same 10 units at 100, slippage 50 bps, fee 10 bps, through make_plan (which runs
    every sale through alloc.proceeds): price 99.50, notional 995, fee 0.995, and the stable
    asset receives 994.005; slippage 5 is the plan's slippage cost."""
    import datetime as dt

    from derisk_xl.core.model import PlanInputs
    from derisk_xl.core.plan import make_plan

    # ALT 20 @ 100, cost 10: 10×, both default tiers due, 50 % of 20 = 10 sold. T = 2,000 +
    # 5,000 = 7,000, S* = 20 % = 1,400 > the 1,000 of ALT left: no allocation sale
    alt = Position("ALT", d(20), d(100), d(10))
    usdc = Position("USDC", d(5000), d(1), d(1), "stable")
    s = Settings.for_model(fee_bps=d(10), slippage_bps=d(50), hedge_ratio=d(0),
                           futures_sleeve=d(0), spot_target=d("0.2"), stable_target=d("0.8"))
    plan = make_plan(PlanInputs((alt, usdc), s, dt.date(2026, 11, 28)))
    (sale,) = [t for t in plan.trades if t.instrument == "ALT"]
    assert (sale.step, sale.quantity) == ("tier", d(10))
    assert (sale.price, sale.notional, sale.fee) == (d("99.5"), d(995), d("0.995"))
    assert sale.realized_gain == d("994.005") - d(10) * d(10)
    assert plan.slippage == d(5)
    usdc_after = next(p for p in plan.positions_after if p.asset == "USDC")
    assert usdc_after.quantity == d(5000) + d("994.005")


def test_protected_is_one_rule_for_every_step():
    """SPEC 2 by hand: Protect = yes, Category core, or listed in Core Assets; and a protected
    position is never sold by tiers (step 3) or the allocation (step 4)."""
    from derisk_xl.core.model import protected

    s = Settings.for_model(core_assets=("BTC", "SOL"), min_trade_value=d(0))
    rows = [  # asset, category, protect → protected?
        ("BTC", "alt", False, True), ("SOL", "alt", False, True), ("ETH", "core", False, True),
        ("DOGE", "alt", True, True), ("ADA", "alt", False, False)]
    positions = tuple(Position(a, d(10), d(100), d(1), c, protect=f) for a, c, f, _ in rows)
    assert [s.is_protected(p) for p in positions] == [r[3] for r in rows]
    assert [protected(p, frozenset(s.core_assets)) for p in positions] == [r[3] for r in rows]
    sales, _ = sales_of(positions + (Position("USDC", d(10), d(1), d(1), "stable"),), s)
    assert {asset for _, asset in sales} == {"ADA"}


def test_allocation_order_is_the_exact_decimal_order_when_floats_tie():
    """Multiples 2.00000000000000000001 and 2 are the same float: the higher exact multiple
    (A) is still sold first, though B is worth more (the next key)."""
    a = Position("AAA", d(10), d("2.00000000000000000001"), d(1), min_keep=d(0))
    b = Position("BBB", d(100), d(2), d(1))
    s = Settings.for_model(min_trade_value=d(0))
    sales, _ = alloc.allocation_sales((a, b), [a.quantity, b.quantity], s, d(210), d(0))
    # excess = 20.0000000000000000001 + 200 − 210 ≈ 10: all of it from A
    assert [x.index for x in sales] == [0]
    assert abs(sales[0].quantity * a.price - d(10)) < d("1e-18")


def test_multiples_are_price_over_cost_and_unknown_without_a_cost():
    rows = [Position("A", d(1), d(30), d(10)), Position("B", d(1), d(30), None),
            Position("C", d(1), d(30), d(0))]
    assert alloc.position_multiples(rows) == [d(3), None, None]


def test_equal_multiples_sell_the_larger_value_first_after_higher_multiples():
    """All at 10: CCC 60 at 3.2× (cost 3.125), AAA 100 and BBB 200 both at 2× (cost 5).
    Excess 3,600 − 2,800 = 800: all of CCC (600), then 200 of BBB, the larger at 2×."""
    rows = (Position("AAA", d(100), d(10), d(5)), Position("BBB", d(200), d(10), d(5)),
            Position("CCC", d(60), d(10), d("3.125")))
    s = Settings.for_model(min_trade_value=d(0))
    sales, _ = alloc.allocation_sales(rows, [p.quantity for p in rows], s, d(2800), d(0))
    assert [(x.index, x.quantity) for x in sales] == [(2, d(60)), (1, d(20))]
