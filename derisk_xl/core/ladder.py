"""SPEC 4 step 13: resting limit sells for the tiers a position has not reached yet.

For each kept (quantity after > 0), unprotected risk position with a known cost, and each tier
that applies to it with trigger > its multiple, in order of trigger: a limit sell at
trigger·avg cost. Its quantity is what step 3 would sell when that price is reached:
cumulative due at the trigger · Q0 − already sold after the plan − earlier rungs (which is
Sell %·Q0 when nothing beyond the tiers was sold), capped so the min keep still holds, rounded
down to the lot step; rungs worth less than Min Trade Value at their limit are left out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from .allocation import tier_applies
from .model import LadderRung, Position, Settings, Tier
from .money import ONE, ZERO
from .valuation import floor_to_step


def ladder(
    positions_after: Sequence[Position],
    floors: Sequence[Decimal],
    settings: Settings,
    tiers: Sequence[Tier],
) -> tuple[LadderRung, ...]:
    """``floors``: the min keep quantity of each position (from before the plan)."""
    ordered = sorted(tiers, key=lambda t: t.trigger_multiple)
    rungs: list[LadderRung] = []
    for p, floor in zip(positions_after, floors):
        if p.is_stable or p.quantity <= 0 or settings.is_protected(p) or p.multiple is None:
            continue
        assert p.avg_cost is not None
        multiple = p.multiple
        q0 = p.q0
        sold = max(ZERO, q0 - p.quantity)
        due = sum((t.sell_fraction for t in ordered if tier_applies(t, p)
                   and multiple >= t.trigger_multiple), ZERO)
        room = p.quantity - floor
        planned = ZERO
        for t in ordered:
            if not tier_applies(t, p) or multiple >= t.trigger_multiple:
                continue
            due = min(ONE, due + t.sell_fraction)
            q = min(max(ZERO, due * q0 - sold - planned), room - planned)
            q = floor_to_step(q, p.lot_step)
            price = t.trigger_multiple * p.avg_cost
            if q <= 0 or q * price < settings.min_trade_value:
                continue
            planned += q
            rungs.append(LadderRung(p.asset, p.venue, t.trigger_multiple, price, q, q * price,
                                    p.location))
    return tuple(rungs)
