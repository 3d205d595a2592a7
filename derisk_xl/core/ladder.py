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

from .allocation import position_multiples, tier_applies
from .model import LadderRung, Position, Settings, Tier, protected
from .money import ONE, ZERO
from .records import constructor

_rung = constructor(LadderRung)


def ladder(
    positions_after: Sequence[Position],
    floors: Sequence[Decimal],
    settings: Settings,
    tiers: Sequence[Tier],
    multiples: Sequence[Decimal | None] | None = None,
) -> tuple[LadderRung, ...]:
    """``floors``: the min keep quantity of each position (from before the plan);
    ``multiples``: each position's multiple, when at hand (the plan keeps prices and costs)."""
    ordered = sorted(tiers, key=lambda t: t.trigger_multiple)
    if not ordered:
        return ()
    triggers = [t.trigger_multiple for t in ordered]
    universal = all(not t.applies_to for t in ordered)
    # universal tiers: the due after tier j is Σ Sell % of tiers 0..j, capped at 1
    cumulative, running = [], ZERO
    for t in ordered:
        running = min(ONE, running + t.sell_fraction)
        cumulative.append(running)
    top = triggers[-1]
    core = frozenset(settings.core_assets)
    mtv = settings.min_trade_value
    rungs: list[LadderRung] = []
    if multiples is None:
        multiples = position_multiples(positions_after)
    for p, floor, multiple in zip(positions_after, floors, multiples):
        if p.category == "stable" or p.quantity <= 0 or not p.avg_cost or protected(p, core):
            continue
        if multiple >= top:
            continue                       # every tier reached: nothing to ladder
        q0 = p.quantity if p.original_quantity is None else p.original_quantity
        sold = q0 - p.quantity if q0 > p.quantity else ZERO
        room = p.quantity - floor
        if universal:
            # the tiers reached are the first k in trigger order
            k = bisect_right(triggers, multiple)
            ahead = [(ordered[j], cumulative[j]) for j in range(k, len(ordered))]
        else:
            due = sum((t.sell_fraction for t in ordered
                       if tier_applies(t, p) and multiple >= t.trigger_multiple), ZERO)
            ahead = []
            for t in ordered:
                if tier_applies(t, p) and multiple < t.trigger_multiple:
                    due = min(ONE, due + t.sell_fraction)
                    ahead.append((t, due))
        planned = ZERO
        step = p.lot_step
        for t, due in ahead:
            want = due * q0 - sold - planned
            cap = room - planned
            q = cap if cap < want else want
            if q <= 0:
                continue
            if step is not None and step > 0:
                q = (q // step) * step
            price = t.trigger_multiple * p.avg_cost
            if q <= 0 or q * price < mtv:
                continue
            planned += q
            rungs.append(_rung(p.asset, p.venue, t.trigger_multiple, price, q, q * price,
                               p.location))
    return tuple(rungs)
