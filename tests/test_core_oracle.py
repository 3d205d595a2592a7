"""``make_plan`` against an independent reading of SPEC 4 (:mod:`oracle`), on generated books.

The books hold what the calculator treats differently: futures longs and shorts on the hedge
underlying and on another, linear and inverse, profitable, over Max Leverage and past
liquidation; custom tiers by asset and by category; Lots under every Lot Method, with dates
on both sides of Long-Term Days; every Hedge Sizing (Prices for betas and h*); fees, slippage,
lot steps, min keep, Protect, a Stable Asset held or not. Money is compared to 1e-6 (well
inside a cent), quantities to 1e-18 relative: the plan's Decimals (28 digits) against exact
fractions. h* is a float statistic: the plan's h* is checked against the oracle's (1e-9
relative) and then used by the oracle, so the money that follows from it stays comparable.

``DERISK_ORACLE_EXAMPLES`` sets the examples per property (default 150, a few seconds);
e.g. ``DERISK_ORACLE_EXAMPLES=5000 python -m pytest tests/test_core_oracle.py`` for a long run.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings, strategies as st

import oracle
from derisk_xl.core.model import (FuturesPosition, Lot, PlanInputs, Position, PriceHistory,
                                  Settings, Tier)
from derisk_xl.core.plan import make_plan

AS_OF = dt.date(2026, 11, 28)
EXAMPLES = int(os.environ.get("DERISK_ORACLE_EXAMPLES", "150"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MONEY = Fraction(1, 10**6)
ASSETS = ("BTC", "ETH", "SOL", "AAA", "BBB")


def dec(lo, hi, places=2):
    return st.integers(int(lo * 10 ** places), int(hi * 10 ** places)).map(
        lambda n: Decimal(n).scaleb(-places))


@st.composite
def holdings(draw):
    rows = []
    for n in range(draw(st.integers(1, 6))):
        asset = draw(st.sampled_from(ASSETS))
        price = draw(dec(0.5, 60000))
        qty = draw(dec(0, 25000 / float(price) + 1, 4))
        m = draw(st.one_of(st.none(), st.just(Decimal(0)), dec(0.3, 7)))
        cost = None if m is None else (Decimal(0) if m == 0 else
                                       (price / m).quantize(Decimal("0.0001")))
        q0 = draw(st.one_of(st.none(), st.just(qty), dec(1, 2).map(lambda k: qty * k)))
        rows.append(Position(
            asset=asset, quantity=qty, price=price, avg_cost=cost,
            category=draw(st.sampled_from(["alt", "alt", "alt", "core"])),
            protect=draw(st.sampled_from([False, False, False, True])),
            min_keep=draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.25"),
                                           Decimal("0.6")])),
            original_quantity=q0,
            beta=draw(st.sampled_from([None, None, 0.5, 1.3, 2.0])),
            lot_step=draw(st.sampled_from([None, None, Decimal("0.0001"), Decimal("0.01")])),
            venue=draw(st.sampled_from(["", "Kraken", "Binance"])),
            location=f"Holdings!A{n + 2}"))
    for asset, price in (("USDC", Decimal(1)), ("USDT", Decimal("0.999"))):
        if draw(st.booleans()):
            rows.append(Position(asset, draw(dec(0, 30000)), price, price, "stable",
                                 location=f"Holdings!A{len(rows) + 2}"))
    return tuple(rows)


@st.composite
def futures_rows(draw):
    rows = []
    for n in range(draw(st.integers(0, 3))):
        underlying = draw(st.sampled_from(["BTC", "BTC", "ETH"]))
        entry = draw(dec(1000, 60000))
        mark = (entry * (1 + draw(dec(-0.4, 0.4)))).quantize(Decimal("0.01"))
        inverse = draw(st.integers(0, 3)) == 0
        size = draw(dec(1, 300, 0)) if inverse else draw(dec(0.01, 2, 3))
        value = size * 100 if inverse else size * entry
        leverage = draw(dec(1, 25, 1))
        rows.append(FuturesPosition(
            symbol=f"{underlying}{'USD' if inverse else 'USDT'}-{n}", underlying=underlying,
            side=draw(st.sampled_from(["long", "long", "short"])), size=size,
            entry_price=entry, mark_price=mark,
            margin=(value / leverage).quantize(Decimal("0.01")),
            maint_rate=draw(st.sampled_from([Decimal("0.005"), Decimal("0.01")])),
            maint_amount=draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.5")])),
            contract_type="inverse" if inverse else "linear",
            underlying_price=draw(st.one_of(st.none(), dec(1000, 60000))),
            liquidation_model=draw(st.sampled_from(["binance", "bybit"])),
            location=f"Futures!A{n + 2}"))
    return tuple(rows)


@st.composite
def tiers(draw):
    kind = draw(st.sampled_from(["default", "none", "custom", "custom"]))
    if kind == "default":
        return (Tier(Decimal(2), Decimal("0.25")), Tier(Decimal(4), Decimal("0.25")))
    if kind == "none":
        return ()
    out = []
    for n in range(draw(st.integers(1, 4))):
        out.append(Tier(draw(dec(1, 6, 1)), draw(dec(0.05, 0.6)),
                        draw(st.sampled_from([None, "alt", "core", "ETH", "SOL", "AAA"])),
                        location=f"Tiers!A{n + 2}"))
    return tuple(out)


@st.composite
def lots_for(draw, positions):
    """Lots for some assets, summing exactly to what Holdings hold of them."""
    held: dict[str, Decimal] = {}
    for p in positions:
        if p.category != "stable":
            held[p.asset] = held.get(p.asset, Decimal(0)) + p.quantity
    out = []
    for asset, total in held.items():
        if total <= 0 or not draw(st.booleans()):
            continue
        cuts = sorted(draw(st.lists(st.integers(1, 99), max_size=3, unique=True)))
        shares = [b - a for a, b in zip([0] + cuts, cuts + [100])]
        given = Decimal(0)
        for k, share in enumerate(shares):
            q = total - given if k == len(shares) - 1 else (total * share / 100).quantize(
                Decimal("0.0001"))
            given += q
            days = draw(st.one_of(st.none(), st.integers(1, 900)))
            out.append(Lot(asset, q, draw(dec(0.5, 70000)),
                           None if days is None else AS_OF - dt.timedelta(days=days),
                           location=f"Lots!A{len(out) + 2}"))
    return tuple(out)


def price_history(seed: int) -> PriceHistory:
    rnd = random.Random(seed)
    days = 45
    dates = tuple(AS_OF - dt.timedelta(days=days - 1 - k) for k in range(days))
    closes = {}
    market = [rnd.gauss(0, 0.03) for _ in range(days)]
    for asset in ("BTC", "ETH", "SOL", "AAA"):
        level, loading = rnd.uniform(1, 50000), rnd.uniform(0.3, 2)
        series = []
        for k in range(days):
            level *= 1 + loading * market[k] + rnd.gauss(0, 0.01)
            series.append(round(level, 6) if rnd.random() > 0.03 else None)
        closes[asset] = tuple(series)
    return PriceHistory(dates, closes)


@st.composite
def books(draw):
    model = draw(st.sampled_from(["Aggressive Hold", "Balanced De-Risk",
                                  "Conservative Protection"]))
    positions = draw(holdings())
    sizing = draw(st.sampled_from(["notional", "beta", "min-variance"]))
    s = Settings.for_model(
        model,
        fee_bps=draw(dec(0, 30, 0)),
        slippage_bps=draw(dec(0, 50, 0)),
        min_trade_value=draw(st.sampled_from([Decimal(0), Decimal(10), Decimal(250)])),
        rebalance_band=draw(st.sampled_from([Decimal("0.01"), Decimal(0), Decimal("0.05")])),
        hedge_ratio=draw(st.sampled_from([Decimal("0.2"), Decimal("0.5"), Decimal(1),
                                          Decimal(0)])),
        hedge_price=draw(st.one_of(st.none(), dec(20000, 60000))),
        hedge_underlying_price=draw(st.one_of(st.none(), st.just(Decimal(40000)))),
        hedge_contract_size=draw(st.sampled_from([Decimal(1), Decimal(1), Decimal("0.01"),
                                                  Decimal(5)])),
        hedge_lot_step=draw(st.sampled_from([Decimal("0.001"), Decimal(1)])),
        hedge_leverage=draw(st.sampled_from([None, Decimal(2), Decimal(10)])),
        close_profitable_longs=draw(st.sampled_from([None, Decimal(0), Decimal("0.3")]))
        or {"Aggressive Hold": Decimal(0), "Balanced De-Risk": Decimal("0.5"),
            "Conservative Protection": Decimal(1)}[model],
        futures_free_collateral=draw(dec(0, 8000)),
        sleeve_funding=draw(st.sampled_from(["target", "needed"])),
        collateral_buffer=draw(st.sampled_from([Decimal(2), Decimal("1.5")])),
        stable_asset=draw(st.sampled_from(["USDC", "USDC", "USDT", "DAI"])),
        hedge_sizing=sizing,
        lot_method=draw(st.sampled_from(["FIFO", "LIFO", "HIFO", "AVERAGE"])),
        tax_rate_short=draw(st.sampled_from([None, Decimal("0.3")])),
        tax_rate_long=draw(st.sampled_from([None, Decimal("0.15")])),
        liquidation_model=draw(st.sampled_from(["binance", "bybit"])),
    )
    prices = None
    if sizing != "notional" and draw(st.integers(0, 3)) > 0:
        prices = price_history(draw(st.integers(0, 2**32)))
    return PlanInputs(positions=positions, settings=s, as_of=AS_OF,
                      futures=draw(futures_rows()), tiers=draw(tiers()),
                      lots=draw(lots_for(positions)), prices=prices)


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------


def money(label, got, want):
    assert want is not None and got is not None, (label, got, want)
    assert abs(Fraction(got) - want) <= MONEY, f"{label}: plan {got}, oracle {float(want)}"


def quantity(label, got, want):
    gap = abs(Fraction(got) - want)
    assert gap <= Fraction(1, 10**18) * max(1, abs(want)), \
        f"{label}: plan {got}, oracle {float(want)}"


def expected(inputs, plan):
    """The oracle's plan, using the plan's h* once it has been checked against the oracle's."""
    h = None
    if plan.hedge is not None and plan.hedge.h_star is not None:
        o = oracle.plan(inputs)        # h* as the oracle estimates it, from its own basket
        kept: dict[str, float] = {}
        for i, q in enumerate(o.quantities_after):
            p = inputs.positions[i]
            if p.category != "stable" and q > 0:
                kept[p.asset] = kept.get(p.asset, 0.0) + float(q * oracle.fr(p.price))
        h = oracle.estimate_h_star(kept, inputs.settings.hedge_underlying, inputs.prices)
        assert h is not None and abs(h - plan.hedge.h_star) <= 1e-9 * max(1.0, abs(h)), \
            (h, plan.hedge.h_star)
    return oracle.plan(inputs, h_star=plan.hedge.h_star if h is not None else None)


def assert_same(inputs, plan, o):
    money("T before", plan.total_before, o.total_before)
    for name in ("spot", "stable", "futures"):
        b = plan.bucket(name)
        for label, got, want in zip(("before", "target", "after"),
                                    (b.before, b.target, b.after), o.buckets[name]):
            money(f"{name} {label}", got, want)
    sales = [t for t in plan.trades if t.step in ("tier", "allocation")]
    assert [(t.step, t.instrument) for t in sales] == \
        [(s.step, inputs.positions[s.index].asset) for s in o.sales]
    for t, s in zip(sales, o.sales):
        quantity(f"{t.step} {t.instrument}", t.quantity, s.quantity)
        money(f"{t.instrument} notional", t.notional, s.notional)
        money(f"{t.instrument} fee", t.fee, s.fee)
        if s.gain is None:
            assert t.realized_gain is None, t
        else:
            money(f"{t.instrument} gain", t.realized_gain, s.gain)
    closes = [t for t in plan.trades if t.step in ("close-long", "reduce-leverage")]
    assert [(t.step, t.instrument) for t in closes] == [x[:2] for x in o.futures_trades]
    for t, (_, _, size, value, fee) in zip(closes, o.futures_trades):
        quantity(f"{t.step} {t.instrument} size", t.quantity, size)
        money(f"{t.step} {t.instrument} notional", t.notional, value)
        money(f"{t.step} {t.instrument} fee", t.fee, fee)
    moved = [t.notional if "→ futures wallet" in t.instrument else -t.notional
             for t in plan.trades if t.step == "transfer"]
    assert len(moved) == len(o.transfers), (moved, o.transfers)
    for got, want in zip(moved, o.transfers):
        money("transfer", got, want)
    if o.hedge is None:
        assert plan.hedge is None
    else:
        h = plan.hedge
        assert h is not None
        money("hedge exposure X", h.exposure, o.hedge.exposure)
        money("hedge target H", h.target_notional, o.hedge.target)
        money("existing shorts", h.existing_short_notional, o.hedge.existing)
        quantity("hedge quantity", h.quantity, o.hedge.quantity)
        money("hedge notional", h.notional, o.hedge.notional)
        money("hedge margin", h.margin, o.hedge.margin)
    for i, q in enumerate(o.quantities_after):
        quantity(f"{inputs.positions[i].asset} after (row {i})",
                 plan.positions_after[i].quantity, q)
    stable = next(p for p in plan.positions_after
                  if p.asset == inputs.settings.stable_asset and p.category == "stable")
    money("Stable Asset after", stable.quantity, o.stable_asset_after)
    assert len(plan.futures_after) == len(o.futures_after)
    for f, g in zip(plan.futures_after, o.futures_after):
        quantity(f"{f.symbol} size after", f.size, g.size)
        money(f"{f.symbol} margin after", f.margin, g.margin)
    money("fees", plan.fees, o.fees)
    money("slippage", plan.slippage, o.slippage)
    money("realized gain", plan.realized_gain, o.realized_gain)
    money("T after", plan.total_after, o.total_after)
    money("net exposure before", plan.exposure_before.net, o.net_exposure[0])
    money("net exposure after", plan.exposure_after.net, o.net_exposure[1])
    money("gross exposure before", plan.exposure_before.gross, o.gross_exposure[0])
    money("gross exposure after", plan.exposure_after.gross, o.gross_exposure[1])
    for row, (before, after) in zip(plan.stress, o.stress):
        money(f"stress {row.shock} before", row.pnl_before, before)
        money(f"stress {row.shock} after", row.pnl_after, after)
    short, long_, unknown, tax = o.tax
    money("short-term gain", plan.tax.short_term_gain, short)
    money("long-term gain", plan.tax.long_term_gain, long_)
    money("unknown-term gain", plan.tax.unknown_term_gain, unknown)
    if tax is None:
        assert plan.tax.tax is None
    else:
        money("tax", plan.tax.tax, tax)


@PROFILE
@given(books())
def test_make_plan_agrees_with_the_oracle(inputs):
    plan = make_plan(inputs)
    assert_same(inputs, plan, expected(inputs, plan))
