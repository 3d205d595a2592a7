"""SPEC 4 step 13: resting limit sells for the tiers a position has not reached yet.

For each kept (quantity after > 0), unprotected risk position with a known cost, and each tier
that applies to it with trigger > its multiple, in order of trigger: a limit sell at
trigger·avg cost. Its quantity is what step 3 would sell when that price is reached:
cumulative due at the trigger · Q0 − already sold after the plan − earlier rungs (which is
Sell %·Q0 when nothing beyond the tiers was sold), capped so the min keep still holds, rounded
down to the lot step; rungs worth less than Min Trade Value at their limit are left out.
"""

from __future__ import annotations

from bisect import bisect_right
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
    if not ordered:
        return ()
    triggers = [t.trigger_multiple for t in ordered]
    universal = all(not t.applies_to for t in ordered)
    top = triggers[-1]
    core = frozenset(settings.core_assets)
    mtv = settings.min_trade_value
    rungs: list[LadderRung] = []
    for p, floor in zip(positions_after, floors):
        # is_stable, is_protected and multiple, inlined: once per position
        if p.category == "stable" or p.category == "core" or p.protect or p.quantity <= 0 \
                or not p.avg_cost or p.asset in core:
            continue
        multiple = p.price / p.avg_cost
        if multiple >= top:
            continue                       # every tier reached: nothing to ladder
        if universal:
            # the tiers reached are the first k in trigger order
            k = bisect_right(triggers, multiple)
            reached, ahead = ordered[:k], ordered[k:]
        else:
            reached = [t for t in ordered if tier_applies(t, p) and multiple >= t.trigger_multiple]
            ahead = [t for t in ordered if tier_applies(t, p) and multiple < t.trigger_multiple]
        q0 = p.q0
        sold = max(ZERO, q0 - p.quantity)
        due = sum((t.sell_fraction for t in reached), ZERO)
        room = p.quantity - floor
        planned = ZERO
        for t in ahead:
            due = min(ONE, due + t.sell_fraction)
            q = min(max(ZERO, due * q0 - sold - planned), room - planned)
            q = floor_to_step(q, p.lot_step)
            price = t.trigger_multiple * p.avg_cost
            if q <= 0 or q * price < mtv:
                continue
            planned += q
            rungs.append(LadderRung(p.asset, p.venue, t.trigger_multiple, price, q, q * price,
                                    p.location))
    return tuple(rungs)
