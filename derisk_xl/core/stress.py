"""SPEC 4 step 11: the P&L of market shocks, before and after the plan, with liquidations.

For a shock x (e.g. −30 %):
  P&L = Σ βᵢ·x·Vᵢ over risk spot + Σ side·β·x·notional over futures,
where β of a future is its underlying's (1 for the hedge underlying and by default). A futures
position whose liquidation price is crossed by its shocked mark, mark·(1 + β·x) (a long at or
below it, a short at or above it), loses what it holds in the wallet, its equity
(margin + uPnL), instead. An inverse position's P&L is β·x·its delta,
(coin margin + side·N·V/entry)·mark (:func:`valuation.futures_delta`): its equity in the base
currency, coin margin·P + side·N·V·(P/entry − 1), moves exactly so with the price, coin
collateral included. Stable positions and free collateral do not move.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from .exposure import Betas
from .futures import liquidation_of
from .model import FuturesPosition, Position, StressRow
from .money import ONE, ZERO
from .valuation import futures_delta, value_futures


def stress_pnl(
    shocks: Sequence[Decimal],
    positions: Sequence[Position],
    futures: Sequence[FuturesPosition],
    betas: Betas,
    risk_spot: Decimal | None = None,
) -> list[tuple[Decimal, tuple[str, ...]]]:
    """For each shock: (P&L, symbols liquidated). O(positions + shocks·futures).

    ``risk_spot`` (Σ q·p over risk spot) may be given when every β is 1 (no Prices, no Beta
    column): Σ β·V is then that sum, and the positions are not read again.
    """
    if risk_spot is not None:
        spot = risk_spot
    else:
        spot = ZERO
        of_position = betas.of_position
        for p in positions:
            if p.category != "stable":           # is_stable, inlined: once per position
                b = of_position(p)
                # 1·q·p is q·p exactly (same digits): skip the product for the common β = 1
                spot += p.quantity * p.price if b is ONE else b * p.quantity * p.price
    legs = []
    for f in futures:
        if f.size <= 0:
            continue
        v = value_futures(f)
        legs.append((f, v.equity, betas.of_asset(f.underlying), liquidation_of(f),
                     futures_delta(f)))
    out = []
    for x in shocks:
        pnl = x * spot
        liquidated: list[str] = []
        for f, equity, beta, liq, delta in legs:
            shocked = f.mark_price * (ONE + beta * x)
            crossed = liq is not None and (shocked <= liq if f.side == "long" else shocked >= liq)
            if crossed:
                pnl -= equity
                liquidated.append(f.symbol)
            else:
                pnl += beta * x * delta            # linear: delta = side·notional
        out.append((pnl, tuple(liquidated)))
    return out


def stress_table(
    shocks: Sequence[Decimal],
    before: tuple[Sequence[Position], Sequence[FuturesPosition]],
    after: tuple[Sequence[Position], Sequence[FuturesPosition]],
    betas: Betas,
    risk_spot: tuple[Decimal, Decimal] | None = None,
) -> tuple[StressRow, ...]:
    """``risk_spot``: (before, after) Σ q·p over risk spot, when every β is 1."""
    b = stress_pnl(shocks, *before, betas, risk_spot[0] if risk_spot else None)
    a = stress_pnl(shocks, *after, betas, risk_spot[1] if risk_spot else None)
    return tuple(StressRow(x, pb, pa, lb, la) for x, (pb, lb), (pa, la) in zip(shocks, b, a))
