"""A deliberately simple second reading of SPEC section 4, to check ``make_plan`` against.

Written from SPEC 4 and the rules the ``derisk_xl/core`` module docstrings state where the SPEC
is silent, without importing or copying anything from ``derisk_xl.core`` but the input records
(whose raw fields it reads; it uses none of their properties). Plain loops over exact
:class:`fractions.Fraction` money, one function per step, no shortcuts: it is meant to be
obviously right, not fast. Statistics (β and h* from Prices) are floats, as in the SPEC.

It covers steps 1–8 and 10–11 and 14 (valuation, targets, tier and allocation sales,
proceeds, futures closes and leverage cuts, sleeve funding, the hedge, exposure, stress,
realized gains and tax). Messages, signals, the ladder and carry are not modelled.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from fractions import Fraction as F

ZERO = F(0)
CENT = F(1, 100)


def fr(x) -> F:
    """A Decimal, int or float (a β) as an exact fraction; floats through their repr."""
    if x is None:
        return None
    if isinstance(x, float):
        return F(repr(x))
    return F(x)


def floor_to(q: F, step) -> F:
    """Round a quantity down to a whole number of steps (no step: unchanged)."""
    if step is None or step <= 0:
        return q
    step = fr(step)
    return (q // step) * step


def floor_cents(x: F) -> F:
    return (x // CENT) * CENT


# ---------------------------------------------------------------------------------------------
# What the oracle answers
# ---------------------------------------------------------------------------------------------


@dataclass
class OSale:
    index: int
    step: str
    quantity: F
    notional: F = ZERO          # after slippage
    fee: F = ZERO
    gain: F | None = None


@dataclass
class OFuture:
    """A futures position as the oracle follows it."""

    symbol: str
    underlying: str
    sign: int
    size: F
    entry: F
    mark: F
    margin: F
    inverse: bool
    contract_value: F
    maint_rate: F
    maint_amount: F
    model: str


@dataclass
class OHedge:
    exposure: F
    target: F
    existing: F
    quantity: F
    notional: F
    margin: F
    fee: F
    price: F


@dataclass
class OPlan:
    total_before: F = ZERO
    total_after: F = ZERO
    sales: list[OSale] = field(default_factory=list)
    futures_trades: list[tuple[str, str, F, F, F]] = field(default_factory=list)
    quantities_after: list[F] = field(default_factory=list)
    stable_asset_after: F = ZERO
    futures_after: list[OFuture] = field(default_factory=list)
    transfers: list[F] = field(default_factory=list)    # + to the wallet, − back
    hedge: OHedge | None = None
    fees: F = ZERO
    slippage: F = ZERO
    realized_gain: F = ZERO
    buckets: dict[str, tuple[F, F, F]] = field(default_factory=dict)
    net_exposure: tuple[F, F] = (ZERO, ZERO)
    gross_exposure: tuple[F, F] = (ZERO, ZERO)
    stress: list[tuple[F, F]] = field(default_factory=list)
    tax: tuple[F, F, F, F | None] = (ZERO, ZERO, ZERO, None)


# ---------------------------------------------------------------------------------------------
# Step 1: valuation
# ---------------------------------------------------------------------------------------------


def follow(f) -> OFuture:
    return OFuture(f.symbol, f.underlying, 1 if f.side == "long" else -1, fr(f.size),
                   fr(f.entry_price), fr(f.mark_price), fr(f.margin),
                   f.contract_type == "inverse", fr(f.contract_value), fr(f.maint_rate),
                   fr(f.maint_amount), f.liquidation_model)


def notional(f: OFuture) -> F:
    return f.size * f.contract_value if f.inverse else f.size * f.mark


def upnl(f: OFuture) -> F:
    """SPEC 4.1; an inverse position's coin PnL is taken to the base currency at the mark."""
    if f.inverse:
        return f.sign * f.size * f.contract_value * (1 / f.entry - 1 / f.mark) * f.mark
    return f.sign * f.size * (f.mark - f.entry)


def equity(f: OFuture) -> F:
    """Margin + uPnL; an inverse margin is coin bought at the entry, worth margin·mark/entry."""
    margin_now = f.margin * f.mark / f.entry if f.inverse else f.margin
    return margin_now + upnl(f)


def delta(f: OFuture) -> F:
    """What the position's equity gains per unit of relative move of its underlying."""
    if f.inverse:
        return f.margin * f.mark / f.entry + f.sign * f.size * f.contract_value * f.mark / f.entry
    return f.sign * f.size * f.mark


def is_protected(p, settings) -> bool:
    return p.protect or p.category == "core" or p.asset in settings.core_assets


def multiple(p) -> F | None:
    if p.avg_cost is None or p.avg_cost == 0:
        return None
    return fr(p.price) / fr(p.avg_cost)


# ---------------------------------------------------------------------------------------------
# Steps 3–4: sales
# ---------------------------------------------------------------------------------------------


def smallest(settings) -> F:
    return max(fr(settings.min_trade_value), CENT)


def tier_applies(tier, p) -> bool:
    if not tier.applies_to:
        return True
    name = tier.applies_to.strip().upper()
    return name in (p.asset.upper(), p.category.upper())


def sellable(q: F, p, left: F, settings) -> F:
    """Cap at what is above the min keep, round down to the lot step, drop a small trade."""
    floor = fr(p.quantity) * fr(p.min_keep)
    q = min(q, left - floor)
    q = floor_to(q, p.lot_step)
    if q <= 0 or q * fr(p.price) < smallest(settings):
        return ZERO
    return q


def tier_sales(inputs, left: list[F]) -> list[OSale]:
    out = []
    for i, p in enumerate(inputs.positions):
        if p.category == "stable" or p.quantity <= 0 or is_protected(p, inputs.settings):
            continue
        m = multiple(p)
        if m is None:
            continue
        due = ZERO
        for t in inputs.tiers:
            if tier_applies(t, p) and m >= fr(t.trigger_multiple):
                due += fr(t.sell_fraction)
        due = min(due, F(1))
        q0 = fr(p.quantity if p.original_quantity is None else p.original_quantity)
        already = max(ZERO, q0 - fr(p.quantity))
        want = due * q0 - already
        if want <= 0:
            continue
        q = sellable(want, p, left[i], inputs.settings)
        if q > 0:
            out.append(OSale(i, "tier", q))
            left[i] -= q
    return out


def allocation_sales(inputs, left: list[F], spot_target: F, band: F) -> list[OSale]:
    s = inputs.settings
    risk = ZERO
    for i, p in enumerate(inputs.positions):
        if p.category != "stable":
            risk += left[i] * fr(p.price)
    excess = risk - spot_target
    if excess <= band:
        return []
    candidates = []
    for i, p in enumerate(inputs.positions):
        if p.category == "stable" or is_protected(p, s):
            continue
        if left[i] <= fr(p.quantity) * fr(p.min_keep):
            continue
        m = multiple(p)
        value = left[i] * fr(p.price)
        # highest multiple first, unknown cost last; then larger value, asset name, row
        candidates.append(((m is None, -(m or 0), -value, p.asset, i), i))
    candidates.sort()
    out = []
    for _, i in candidates:
        if excess < CENT:
            break
        p = inputs.positions[i]
        q = sellable(excess / fr(p.price), p, left[i], s)
        if q <= 0:
            continue
        excess -= q * fr(p.price)
        left[i] -= q
        out.append(OSale(i, "allocation", q))
    return out


# ---------------------------------------------------------------------------------------------
# Step 14: lots
# ---------------------------------------------------------------------------------------------


class Lots:
    """Each asset the Lots sheet lists: one pool, consumed by the Lot Method in sale order."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.pools: dict[str, list[list]] = {}
        method = inputs.settings.lot_method
        by_asset: dict[str, list] = {}
        for lot in inputs.lots:
            by_asset.setdefault(lot.asset, []).append(lot)
        for asset, lots in by_asset.items():
            rows = []
            for lot in lots:
                if lot.quantity <= 0:
                    continue
                day = lot.acquired.toordinal() if lot.acquired else None
                rows.append([fr(lot.quantity), fr(lot.unit_cost), day, lot.location])
            if method == "AVERAGE":
                total = sum(r[0] for r in rows)
                if total:
                    average = sum(r[0] * r[1] for r in rows) / total
                    for r in rows:
                        r[1] = average

            def when(r, newest_first=False):
                if r[2] is None:
                    return (1, 0)                 # undated after every dated lot
                return (0, -r[2] if newest_first else r[2])

            if method == "LIFO":
                rows.sort(key=lambda r: (when(r, True), r[1], r[3], r[0]))
            elif method == "HIFO":
                rows.sort(key=lambda r: (-r[1], when(r), r[3], r[0]))
            else:
                rows.sort(key=lambda r: (when(r), r[1], r[3], r[0]))
            self.pools[asset] = rows

    def sell(self, p, q: F, net: F) -> tuple[F | None, list[tuple[F, int | None]]]:
        """The gain of a sale netting ``net``, and (gain, acquired day) per lot taken."""
        if p.asset not in self.pools:
            if p.avg_cost is None:
                return None, []
            gain = net - q * fr(p.avg_cost)
            return gain, [(gain, None)]
        unit = net / q
        parts = []
        left = q
        for lot in self.pools[p.asset]:
            if left <= 0:
                break
            take = min(lot[0], left)
            if take <= 0:
                continue
            lot[0] -= take
            left -= take
            parts.append((take * unit - take * lot[1], lot[2]))
        if left > 0:                                # beyond the lots: at the average cost
            if p.avg_cost is None:
                return None, parts
            parts.append((left * unit - left * fr(p.avg_cost), None))
        return sum((g for g, _ in parts), ZERO), parts


def tax(parts: list[tuple[F, int | None]], inputs) -> tuple[F, F, F, F | None]:
    s = inputs.settings
    short = long_ = unknown = ZERO
    today = inputs.as_of.toordinal()
    for gain, day in parts:
        if day is None:
            unknown += gain
        elif today - day > s.long_term_days:
            long_ += gain
        else:
            short += gain
    if s.tax_rate_short is None and s.tax_rate_long is None:
        return short, long_, unknown, None
    due = (max(ZERO, short + unknown) * fr(s.tax_rate_short or 0)
           + max(ZERO, long_) * fr(s.tax_rate_long or 0))
    return short, long_, unknown, due


# ---------------------------------------------------------------------------------------------
# Step 6: futures
# ---------------------------------------------------------------------------------------------


def adjust_futures(inputs, plan: OPlan) -> F:
    """Close profitable longs, cut leverage; returns the cash the wallet's free balance gets."""
    s = inputs.settings
    rate = fr(s.fee_bps) / 10_000
    cap = fr(s.max_leverage)
    share_long = min(fr(s.close_profitable_longs), F(1))
    cash = ZERO
    for f0 in inputs.futures:
        f = follow(f0)
        if equity(f) <= 0:                       # past liquidation: closed entirely
            fee = rate * notional(f)
            cash += equity(f) - fee
            plan.fees += fee
            plan.realized_gain += upnl(f)
            plan.futures_trades.append(("reduce-leverage", f.symbol, f.size, notional(f), fee))
            f.size = ZERO
            f.margin = ZERO
            plan.futures_after.append(f)
            continue
        if f.sign == 1 and upnl(f) > 0 and share_long > 0:
            closed = notional(f) * share_long
            if closed >= fr(s.min_trade_value):
                fee = rate * closed
                gain = upnl(f) * share_long
                margin_now = f.margin * f.mark / f.entry if f.inverse else f.margin
                cash += margin_now * share_long + gain - fee
                plan.fees += fee
                plan.realized_gain += gain
                plan.futures_trades.append(("close-long", f.symbol, f.size * share_long,
                                            closed, fee))
                f.size = f.size * (1 - share_long)
                f.margin = f.margin * (1 - share_long)
        n, e = notional(f), equity(f)
        if f.size > 0 and e > 0 and n / e > cap:
            # c such that (n − c) / (e − rate·c) = cap: exactly Max Leverage after the fee
            c = (n - cap * e) / (1 - cap * rate)
            share = c / n
            fee = rate * c
            gain = upnl(f) * share
            plan.fees += fee
            plan.realized_gain += gain
            plan.futures_trades.append(("reduce-leverage", f.symbol, f.size * share, c, fee))
            kept = gain - fee                    # stays in the position's margin
            if f.inverse:
                kept = kept * f.entry / f.mark
            f.size = f.size * (1 - share)
            f.margin = f.margin + kept
        plan.futures_after.append(f)
    return cash


# ---------------------------------------------------------------------------------------------
# Step 8 helpers: β and h* from Prices
# ---------------------------------------------------------------------------------------------


def returns(closes) -> list[float | None]:
    out = []
    for a, b in zip(closes, closes[1:]):
        out.append(None if a is None or b is None or a <= 0 else b / a - 1)
    return out


def beta_from_prices(asset: str, u: str, prices) -> float | None:
    if asset == u:
        return 1.0
    if prices is None or asset not in prices.closes or u not in prices.closes:
        return None
    pairs = [(a, b) for a, b in zip(returns(prices.closes[asset]), returns(prices.closes[u]))
             if a is not None and b is not None]
    if len(pairs) < 30:
        return None
    xs = [a for a, _ in pairs]
    us = [b for _, b in pairs]
    mx, mu = sum(xs) / len(xs), sum(us) / len(us)
    var = sum((b - mu) ** 2 for b in us)
    if var <= 0:
        return None
    return sum((a - mx) * (b - mu) for a, b in pairs) / var


def beta_of(p, u: str, prices) -> F:
    if p.beta is not None:
        return fr(p.beta)
    b = beta_from_prices(p.asset, u, prices)
    return F(1) if b is None else fr(b)


def estimate_h_star(kept_values: dict[str, float], u: str, prices) -> float | None:
    """Minimum-variance ratio cov(S, F)/var(F) (= ρ·σ_S/σ_F), S the kept basket by value."""
    if prices is None or u not in prices.closes:
        return None
    members = sorted(a for a, w in kept_values.items() if w > 0 and a in prices.closes)
    if not members:
        return None
    total = sum(kept_values[a] for a in members)
    rf = returns(prices.closes[u])
    member_returns = {a: returns(prices.closes[a]) for a in members}
    s_series, f_series = [], []
    for t, r in enumerate(rf):
        if r is None or any(member_returns[a][t] is None for a in members):
            continue
        s_series.append(sum(kept_values[a] / total * member_returns[a][t] for a in members))
        f_series.append(r)
    if len(s_series) < 30:
        return None
    if statistics.pvariance(f_series) <= 0:
        return None
    if statistics.pvariance(s_series) <= 0:
        return 0.0
    ms, mf = statistics.fmean(s_series), statistics.fmean(f_series)
    cov = sum((a - ms) * (b - mf) for a, b in zip(s_series, f_series))
    return cov / sum((b - mf) ** 2 for b in f_series)


# ---------------------------------------------------------------------------------------------
# Steps 10–11: liquidation, exposure, stress
# ---------------------------------------------------------------------------------------------


def liquidation(f: OFuture) -> F | None:
    """SPEC 4.8's two models; inverse in coin terms (margin in coin, Maint Amount in coin)."""
    if f.size <= 0:
        return None
    s, e, m, c = f.sign, f.entry, f.maint_rate, f.maint_amount
    if not f.inverse:
        q, margin = f.size, f.margin
        if f.model == "bybit":
            price = e - s * (margin - (e * q * m - c)) / q
            return price if price > 0 else None
        den = q * (1 - s * m)
        if den <= 0:
            return None
        price = (e * q - s * (margin + c)) / den
        return price if price > 0 else None
    usd = f.size * f.contract_value
    coin = f.margin / e
    if f.model == "bybit":
        den = usd / e + s * (coin - (usd / e * m - c))
        if den <= 0:
            return None
        return usd / den if usd / den > 0 else None
    den = s * (coin + c) + usd / e
    if den <= 0:
        return None
    price = usd * (1 + s * m) / den
    return price if price > 0 else None


def exposures(values: list[tuple[F, F]], futures: list[OFuture], weights) -> tuple[F, F]:
    """(net, gross): ``values`` are (β, value) of risk spot; ``weights`` β of an underlying."""
    net = sum((w * v for w, v in values), ZERO)
    gross = sum((v for _, v in values), ZERO)
    for f in futures:
        net += weights(f.underlying) * delta(f)
        gross += notional(f)
    return net, gross


def stress(shock: F, values: list[tuple[F, F]], futures: list[OFuture], weights) -> F:
    pnl = sum((shock * b * v for b, v in values), ZERO)
    for f in futures:
        if f.size <= 0:
            continue
        b = weights(f.underlying)
        liq = liquidation(f)
        shocked = f.mark * (1 + b * shock)
        crossed = liq is not None and (shocked <= liq if f.sign == 1 else shocked >= liq)
        pnl += -equity(f) if crossed else b * shock * delta(f)
    return pnl


# ---------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------


def plan(inputs, h_star: float | None = None) -> OPlan:
    """SPEC 4 on ``inputs``. ``h_star``: the minimum-variance ratio to use instead of the
    oracle's own estimate (a float statistic, compared apart to a float tolerance).

    Long on purpose: it reads top to bottom as SPEC 4 does, step by step, each step's state
    in plain local variables, so a reader can check it against the SPEC in one pass."""
    s = inputs.settings
    min_variance = h_star
    out = OPlan()
    positions = list(inputs.positions)
    rate = fr(s.fee_bps) / 10_000

    # 1–2. Valuation and targets.
    free = fr(s.futures_free_collateral)
    futures_before = [follow(f) for f in inputs.futures]
    spot_before = sum((fr(p.quantity) * fr(p.price) for p in positions
                       if p.category != "stable"), ZERO)
    stable_before = sum((fr(p.quantity) * fr(p.price) for p in positions
                         if p.category == "stable"), ZERO)
    wallet_before = free + sum((equity(f) for f in futures_before), ZERO)
    total = spot_before + stable_before + wallet_before
    out.total_before = total
    spot_target = fr(s.spot_target) * total
    stable_target = fr(s.stable_target) * total
    sleeve = fr(s.futures_sleeve) * total
    band = fr(s.rebalance_band) * total

    # 3–4. Sales.
    left = [fr(p.quantity) for p in positions]
    out.sales = tier_sales(inputs, left)
    out.sales += allocation_sales(inputs, left, spot_target, band)

    # 5, 14. Proceeds into the Stable Asset; lots.
    keep = 1 - fr(s.slippage_bps) / 10_000
    lots = Lots(inputs)
    received = ZERO
    parts = []
    for sale in out.sales:
        p = positions[sale.index]
        at_market = sale.quantity * fr(p.price)
        sale.notional = at_market * keep
        sale.fee = rate * sale.notional
        out.slippage += at_market - sale.notional
        out.fees += sale.fee
        net = sale.notional - sale.fee
        received += net
        sale.gain, lines = lots.sell(p, sale.quantity, net)
        parts += lines
        if sale.gain is not None:
            out.realized_gain += sale.gain
    out.tax = tax(parts, inputs)
    stable_rows = [i for i, p in enumerate(positions) if p.category == "stable"]
    home = next((i for i in stable_rows if positions[i].asset == s.stable_asset), None)
    prices = [fr(p.price) for p in positions]
    categories = [p.category for p in positions]
    if home is None:
        home = len(left)
        left.append(ZERO)
        prices.append(F(1))
        categories.append("stable")
    left[home] += received / prices[home]

    # 6. Futures.
    free += adjust_futures(inputs, out)

    # 8 (sizing), so that 7 can reserve the hedge's collateral.
    u = s.hedge_underlying
    kept = [(i, left[i] * prices[i]) for i in range(len(positions))
            if categories[i] != "stable"]
    target = None
    if s.hedge_ratio > 0:
        spot = fr(s.hedge_underlying_price) if s.hedge_underlying_price else None
        if spot is None:
            spot = next((fr(p.price) for p in positions if p.asset == u), None)
        if spot is None:
            spot = next((f.underlying_price for f in inputs.futures
                         if f.underlying == u and f.underlying_price is not None), None)
            spot = fr(spot)
        price = fr(s.hedge_price) if s.hedge_price is not None else spot
        if price is not None:
            leverage = fr(s.hedge_leverage if s.hedge_leverage is not None else s.max_leverage)
            leverage = min(leverage, fr(s.max_leverage))
            x = sum((v for _, v in kept), ZERO)
            factor = F(1)
            if s.hedge_sizing == "beta":
                x = sum((beta_of(positions[i], u, inputs.prices) * v for i, v in kept), ZERO)
            elif s.hedge_sizing == "min-variance":
                values: dict[str, float] = {}
                for i, v in kept:
                    if left[i] > 0:
                        a = positions[i].asset
                        values[a] = values.get(a, 0.0) + float(v)
                h = min_variance if min_variance is not None else (
                    estimate_h_star(values, u, inputs.prices) if values else None)
                if h is not None:
                    factor = fr(h)
            goal = fr(s.hedge_ratio) * x * factor
            existing = sum((notional(f) for f in out.futures_after
                            if f.sign == -1 and f.underlying == u and f.size > 0), ZERO)
            wanted = max(ZERO, goal - existing)
            unit = price * fr(s.hedge_contract_size)
            quantity = floor_to(wanted / unit, s.hedge_lot_step) if wanted > 0 else ZERO
            target = (x, goal, existing, quantity, price, unit, leverage)
    reserve = ZERO
    if target is not None:
        quantity, unit, leverage = target[3], target[5], target[6]
        reserve = quantity * unit / leverage + rate * quantity * unit

    # 7. Sleeve funding.
    wallet = free + sum((equity(f) for f in out.futures_after), ZERO)
    in_use = sum((f.margin for f in out.futures_after if f.size > 0), ZERO)
    goal = sleeve
    if s.sleeve_funding == "needed":
        goal = min(sleeve, (in_use + reserve) * fr(s.collateral_buffer))
    gap = goal - wallet
    if gap > 0:
        need = floor_cents(gap)
        if need >= fr(s.min_trade_value) and need > 0:
            others = [i for i in stable_rows if i != home and left[i] > 0]
            others.sort(key=lambda i: (-left[i] * prices[i], positions[i].asset, i))
            for i in [home] + others:
                if need <= 0:
                    break
                take = min(left[i] * prices[i], need)
                if take <= 0:
                    continue
                left[i] -= take / prices[i]
                free += take
                need -= take
                out.transfers.append(take)
    elif gap < 0:
        back = floor_cents(min(-gap, max(ZERO, free - reserve)))
        if back >= fr(s.min_trade_value) and back > 0:
            left[home] += back / prices[home]
            free -= back
            out.transfers.append(-back)

    # 8. Open the hedge.
    if target is not None and target[0] > 0:
        x, goal_h, existing, quantity, price, unit, leverage = target
        if quantity > 0 and quantity * unit / leverage + rate * quantity * unit > free:
            quantity = floor_to(max(ZERO, free) / (unit * (1 / leverage + rate)),
                                s.hedge_lot_step)
        value = quantity * unit
        if quantity > 0 and value < fr(s.min_trade_value):
            quantity = value = ZERO
        margin, fee = value / leverage, rate * value
        out.hedge = OHedge(x, goal_h, existing, quantity, value, margin, fee, price)
        if quantity > 0:
            free -= margin + fee
            out.fees += fee
            out.futures_after.append(OFuture(
                s.hedge_instrument, u, -1, quantity * fr(s.hedge_contract_size), price, price,
                margin, False, F(100), fr(s.maint_margin_rate), ZERO, s.liquidation_model))

    # Buckets, T after.
    out.quantities_after = left[:len(positions)]
    out.stable_asset_after = left[home]
    spot_after = sum((left[i] * prices[i] for i in range(len(left))
                      if categories[i] != "stable"), ZERO)
    stable_after = sum((left[i] * prices[i] for i in range(len(left))
                        if categories[i] == "stable"), ZERO)
    wallet_after = free + sum((equity(f) for f in out.futures_after), ZERO)
    out.total_after = spot_after + stable_after + wallet_after
    out.buckets = {"spot": (spot_before, spot_target, spot_after),
                   "stable": (stable_before, stable_target, stable_after),
                   "futures": (wallet_before, sleeve, wallet_after)}

    # 10–11. Exposure and stress.
    def spot_values(quantities):
        return [(beta_of(p, u, inputs.prices), quantities[i] * fr(p.price))
                for i, p in enumerate(positions) if p.category != "stable"]

    def weight(asset):
        b = beta_from_prices(asset, u, inputs.prices)
        return F(1) if b is None else fr(b)

    before_values = spot_values([fr(p.quantity) for p in positions])
    after_values = spot_values(left)
    if s.hedge_sizing == "beta":
        net_b, gross_b = exposures(before_values, futures_before, weight)
        net_a, gross_a = exposures(after_values, out.futures_after, weight)
    else:
        net_b, gross_b = exposures([(F(1), v) for _, v in before_values], futures_before,
                                   lambda a: F(1))
        net_a, gross_a = exposures([(F(1), v) for _, v in after_values], out.futures_after,
                                   lambda a: F(1))
    out.net_exposure = (net_b, net_a)
    out.gross_exposure = (gross_b, gross_a)
    out.stress = [(stress(fr(x), before_values, futures_before, weight),
                   stress(fr(x), after_values, out.futures_after, weight))
                  for x in s.stress_shocks]
    return out
