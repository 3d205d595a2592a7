"""SPEC section 6's invariants as Hypothesis properties over generated portfolios.

Portfolios mix positions with and without cost, protected ones (Protect, Category core, Core
Assets BTC), min keep, lot steps, prior sales (Q0 > q), stable rows; futures long and short,
linear and inverse, some over Max Leverage, some past liquidation; fees, slippage, hedges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from derisk_xl.core.model import FuturesPosition, PlanInputs, Position, Settings
from derisk_xl.core.plan import make_plan
from derisk_xl.core.valuation import value_futures

AS_OF = dt.date(2026, 11, 28)
TINY = Decimal("1e-9")
PROFILE = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def dec(lo, hi, places=2):
    return st.integers(int(lo * 10 ** places), int(hi * 10 ** places)).map(
        lambda n: Decimal(n).scaleb(-places))


@st.composite
def positions(draw):
    rows = []
    for n in range(draw(st.integers(1, 7))):
        asset = draw(st.sampled_from(["AAA", "BBB", "ETH", "SOL", "BTC"]))
        price = draw(dec(0.5, 50000))
        qty = draw(dec(0, 20000 / float(price) + 1, 4))
        multiple = draw(st.one_of(st.none(), dec(0.3, 6)))
        cost = None if multiple is None else (price / multiple).quantize(Decimal("0.0001"))
        q0 = draw(st.one_of(st.none(), st.just(qty), dec(1, 2).map(lambda k: qty * k)))
        rows.append(Position(
            asset=asset, quantity=qty, price=price, avg_cost=cost or None,
            category=draw(st.sampled_from(["alt", "alt", "alt", "core"])),
            protect=draw(st.booleans().map(lambda b: b and draw(st.booleans()))),
            min_keep=draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.25"),
                                           Decimal("0.6")])),
            original_quantity=q0,
            lot_step=draw(st.sampled_from([None, None, Decimal("0.0001"), Decimal("0.01")])),
            venue=draw(st.sampled_from(["", "Kraken", "Binance"])),
            location=f"Holdings!A{n + 2}"))
    if draw(st.booleans()):
        rows.append(Position("USDC", draw(dec(0, 30000)), Decimal(1), Decimal(1), "stable",
                             location="Holdings!A20"))
    if draw(st.booleans()):
        rows.append(Position("USDT", draw(dec(0, 10000)), Decimal("0.999"), None, "stable",
                             location="Holdings!A21"))
    return tuple(rows)


@st.composite
def futures_rows(draw):
    rows = []
    for n in range(draw(st.integers(0, 3))):
        underlying = draw(st.sampled_from(["BTC", "ETH"]))
        entry = draw(dec(1000, 50000))
        mark = (entry * (1 + draw(dec(-0.3, 0.3)))).quantize(Decimal("0.01"))
        inverse = draw(st.booleans()) and underlying == "BTC"
        size = draw(dec(1, 200, 0)) if inverse else draw(dec(0.01, 2, 3))
        notional = size * 100 if inverse else size * entry
        leverage = draw(dec(1, 20, 1))
        rows.append(FuturesPosition(
            symbol=f"{underlying}{'USD' if inverse else 'USDT'}-{n}", underlying=underlying,
            side=draw(st.sampled_from(["long", "short"])), size=size, entry_price=entry,
            mark_price=mark, margin=(notional / leverage).quantize(Decimal("0.01")),
            contract_type="inverse" if inverse else "linear",
            location=f"Futures!A{n + 2}"))
    return tuple(rows)


@st.composite
def plan_inputs(draw):
    model = draw(st.sampled_from(["Aggressive Hold", "Balanced De-Risk",
                                  "Conservative Protection"]))
    s = Settings.for_model(
        model,
        fee_bps=draw(dec(0, 20, 0)),
        slippage_bps=draw(dec(0, 40, 0)),
        min_trade_value=draw(st.sampled_from([Decimal(0), Decimal(10)])),
        hedge_ratio=draw(st.sampled_from([Decimal(0), Decimal("0.2"), Decimal("0.5")])),
        hedge_price=draw(st.one_of(st.none(), dec(30000, 50000))),
        hedge_underlying_price=Decimal(40000),
        futures_free_collateral=draw(dec(0, 5000)),
        sleeve_funding=draw(st.sampled_from(["target", "needed"])),
        hedge_sizing=draw(st.sampled_from(["notional", "beta"])),
    )
    return PlanInputs(positions=draw(positions()), settings=s, as_of=AS_OF,
                      futures=draw(futures_rows()))


def free_collateral_after(plan):
    return plan.bucket("futures").after - sum(
        (value_futures(f).equity for f in plan.futures_after), Decimal(0))


@PROFILE
@given(plan_inputs())
def test_no_oversell_no_min_keep_breach_protected_never_trade(inputs):
    plan = make_plan(inputs)
    s = inputs.settings
    for before, after in zip(inputs.positions, plan.positions_after):
        if before.is_stable:
            continue
        assert after.quantity >= before.quantity * before.min_keep - TINY
        assert after.quantity <= before.quantity                       # never buys risk
        if s.is_protected(before):
            assert after.quantity == before.quantity
    sold = {t.instrument for t in plan.trades if t.side == "sell" and t.step in
            ("tier", "allocation")}
    assert not any(s.is_protected(p) and p.asset in sold and
                   all(s.is_protected(q) for q in inputs.positions if q.asset == p.asset)
                   for p in inputs.positions)
    assert not any(t.side == "buy" and t.step in ("tier", "allocation") for t in plan.trades)


#: Found by Hypothesis: one position of 2.46 lots whose excess over S* + band is 0.98 of a lot.
#: Rounding down to the lot step (SPEC 4 step 4) sells nothing, so risk spot stays above the
#: target by less than one lot: the code is right, and the bound must allow that slack.
LESS_THAN_A_LOT = PlanInputs(
    positions=(Position("AAA", Decimal("0.0246"), Decimal("1.37"), None,
                        lot_step=Decimal("0.01"), location="Holdings!A2"),),
    settings=Settings.for_model("Aggressive Hold", fee_bps=Decimal(0), slippage_bps=Decimal(0),
                                min_trade_value=Decimal(0), hedge_ratio=Decimal(0),
                                hedge_underlying_price=Decimal(40000),
                                futures_free_collateral=Decimal("0.00")),
    as_of=AS_OF)


@PROFILE
@given(plan_inputs())
@example(LESS_THAN_A_LOT)
def test_risk_spot_after_within_target_or_nothing_left(inputs):
    """SPEC 6: risk spot after ≤ max(S* + band, what cannot be sold), where rounding down to a
    lot step or dropping a trade under Min Trade Value may leave, above S* + band, less than one
    lot (or one Min Trade Value) of a position that still has room to sell."""
    plan = make_plan(inputs)
    s = inputs.settings
    total = plan.total_before
    target = s.spot_target * total + s.rebalance_band * total
    smallest_trade = max(s.min_trade_value, Decimal("0.01"))
    # what the plan could not sell: protected value, min keep, and per position less than a lot
    # step or Min Trade Value
    unsellable = Decimal(0)
    # what rounding can leave above the target: one lot (or Min Trade Value) of a position
    # that was not sold down to its min keep
    slack = Decimal(0)
    for p in plan.positions_after:
        if p.is_stable:
            continue
        if s.is_protected(p):
            unsellable += p.value
        else:
            keep = p.quantity * p.min_keep
            crumbs = (p.lot_step or 0) * p.price + smallest_trade
            unsellable += keep * p.price + crumbs
            if p.quantity > keep:
                slack = max(slack, crumbs)
    # an excess under a cent is not worth a trade
    assert plan.bucket("spot").after <= max(target + slack, unsellable) + Decimal("0.01")


@PROFILE
@given(plan_inputs())
def test_money_reconciles(inputs):
    plan = make_plan(inputs)
    sales = [t for t in plan.trades if t.step in ("tier", "allocation")]
    proceeds = sum((t.notional - t.fee for t in sales), Decimal(0))
    moved = sum((t.notional if "→ futures wallet" in t.instrument else -t.notional
                 for t in plan.trades if t.step == "transfer"), Decimal(0))
    stable_before = plan.bucket("stable").before
    stable_after = plan.bucket("stable").after
    assert abs(stable_after + moved - stable_before - proceeds) < TINY      # Σ proceeds received
    assert abs(plan.total_after - (plan.total_before - plan.fees - plan.slippage)) < TINY
    assert abs(plan.fees - sum((t.fee for t in plan.trades), Decimal(0))) < TINY


@PROFILE
@given(plan_inputs())
def test_hedge_bounded_and_margin_fits(inputs):
    plan = make_plan(inputs)
    h = plan.hedge
    if h is None or h.quantity == 0:
        return
    s = inputs.settings
    one_lot = s.hedge_lot_step * h.price * h.contract_size
    wanted = max(Decimal(0), h.target_notional - h.existing_short_notional)
    assert h.notional <= wanted + one_lot
    assert h.target_notional <= s.hedge_ratio * h.exposure * Decimal(repr(h.h_star or 1)) + TINY
    assert free_collateral_after(plan) >= -TINY                     # margin ≤ free collateral


@PROFILE
@given(plan_inputs())
def test_every_futures_position_within_max_leverage(inputs):
    plan = make_plan(inputs)
    cap = inputs.settings.max_leverage
    for f in plan.futures_after:
        if f.size > 0:
            v = value_futures(f)
            assert v.equity > 0 and v.leverage <= cap * (1 + Decimal("1e-20"))


@PROFILE
@given(plan_inputs())
def test_rerun_asks_for_no_further_sales(inputs):
    """SPEC 6: a re-run on the plan's own output asks for no tier or allocation sale.

    Targets and band are shares of T, and the plan's own fees and slippage make T after
    smaller than T before: a first run that left risk spot inside S* + band of T before but
    outside S* + band of T after (a window as wide as (spot % + band %)·costs) is tipped over
    the band by its own costs, and the re-run sells. That window is left out, as are lot steps
    and Min Trade Values that do not fit in the band (Hypothesis found such a book at 600
    examples: excess 98.58 under a band of 103.15; futures fees of 9.07 moved S* + band by 5.5).
    """
    plan = make_plan(inputs)
    s = inputs.settings
    band = s.rebalance_band * plan.total_after
    lumpy = [p for p in inputs.positions if p.lot_step and p.lot_step * p.price > band / 4]
    # the property holds when lot steps, Min Trade Value and the run's costs fit in the band
    assume(not lumpy and s.min_trade_value <= band / 4)
    assume(s.spot_target * (plan.fees + plan.slippage) <= band / 2)
    edge = s.spot_target + s.rebalance_band
    risk_after = plan.bucket("spot").after
    assume(not (edge * plan.total_after < risk_after <= edge * plan.total_before))
    again = make_plan(replace(inputs, positions=plan.positions_after, futures=plan.futures_after,
                              settings=replace(s, futures_free_collateral=free_collateral_after(plan))))
    assert [t for t in again.trades if t.step in ("tier", "allocation")] == []


@settings(max_examples=25, deadline=None)
@given(plan_inputs())
def test_deterministic(inputs):
    a, b = make_plan(inputs), make_plan(inputs)
    assert a == b and a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
