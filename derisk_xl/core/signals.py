"""SPEC 4 step 12: stop/accelerate signals and the plan's status, each with its reasons.

- target reached: risk spot after ≤ S* + band and stable after ≥ C* − band (a portfolio below
  its spot target has reached the de-risk target: the plan never buys risk back).
- nothing left to sell: no unprotected risk position can still sell a lot step worth at least
  Min Trade Value above its min keep.
- momentum exhaustion (Prices): the hedge underlying is ≥ 10 % below its 30-day high and made
  no new 30-day high in the last 7 days (:func:`stats.momentum_exhaustion`).
- extreme greed: Fear Greed Index ≥ 75.
Status: ``complete`` when the target is reached or nothing is left; else ``accelerate`` on
exhaustion or greed; else ``continue``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Sequence

from .allocation import smallest_trade
from .model import Position, PriceHistory, Settings, Signal, Status, protected
from .money import ZERO
from .valuation import fmt_money

GREED = 75


def _still_sellable(positions: Sequence[Position], settings: Settings) -> tuple[int, Decimal]:
    """How many positions can still sell, and the value above their min keep
    (Σ q·(1 − min keep)·p), in one pass.

    A position can still sell when it is an unprotected risk position (not stable, not
    :func:`~derisk_xl.core.model.protected`) with quantity > 0 whose room above
    its min keep is at least one lot step and worth at least :func:`smallest_trade`."""
    core = frozenset(settings.core_assets)
    smallest = smallest_trade(settings)
    count = 0
    left = ZERO
    for p in positions:
        if p.category == "stable" or p.quantity <= 0 or protected(p, core):
            continue
        room = p.quantity * (1 - p.min_keep)
        step = p.lot_step
        if step is not None and step > 0 and room < step:
            continue
        value = room * p.price
        if value >= smallest:
            count += 1
            left += value
    return count, left


def signals(
    *,
    risk_after: Decimal,
    stable_after: Decimal,
    spot_target: Decimal,
    stable_target: Decimal,
    band: Decimal,
    positions_after: Sequence[Position],
    settings: Settings,
    prices: PriceHistory | None,
    as_of: dt.date,
) -> tuple[tuple[Signal, ...], Status]:
    ccy = settings.base_currency  # sentences write money in its own units
    reached = risk_after <= spot_target + band and stable_after >= stable_target - band
    target = Signal("target reached", reached, (
        f"risk spot after {fmt_money(risk_after, ccy)} vs target {fmt_money(spot_target, ccy)} "
        f"(band {fmt_money(band, ccy)}); stable after {fmt_money(stable_after, ccy)} vs target "
        f"{fmt_money(stable_target, ccy)}."))
    count, left = _still_sellable(positions_after, settings)
    sellable = count > 0
    nothing = Signal("nothing left to sell", not sellable, (
        "every unprotected risk position is at its min keep or below a tradable lot."
        if not sellable else
        f"{count} unprotected position(s) could still sell {fmt_money(left, ccy)} above "
        "their min keep."))
    u = settings.hedge_underlying
    ex = None
    if prices is not None and u in prices.closes:
        from .stats import momentum_exhaustion

        ex = momentum_exhaustion(u, prices, as_of)
    if ex is None:
        exhaustion = Signal("momentum exhaustion", False, (
            f"no price history for {u} with ≥ 30 daily returns up to {as_of.isoformat()}."))
    else:
        exhaustion = Signal("momentum exhaustion", ex.on, (
            f"{u} is {ex.drawdown * 100:.1f} % below its 30-day high {ex.high:,.2f} "
            f"(last {ex.last:,.2f}); last new high {ex.days_since_high} day(s) ago "
            "(on at ≥ 10 % below and no new high in 7 days)."))
    fgi = settings.fear_greed_index
    greed = Signal("extreme greed", fgi is not None and fgi >= GREED, (
        "no Fear Greed Index given." if fgi is None else
        f"Fear Greed Index {fgi} ({'≥' if fgi >= GREED else '<'} {GREED})."))
    status: Status
    if reached or not sellable:
        status = "complete"
    elif exhaustion.on or greed.on:
        status = "accelerate"
    else:
        status = "continue"
    return (target, nothing, exhaustion, greed), status
