"""Matching sales to tax lots, realized gains by term, and the tax estimate (SPEC 4 step 14).

Methods are data (after beancount's ``parser/booking_method.py``): FIFO, LIFO and HIFO are one
helper that consumes lots in the order of a sort key; AVERAGE first pools every lot at the
average unit cost (Σ q·cost / Σ q) and then consumes them first in, first out, so the holding
period of what is sold still follows the acquisition dates while the cost is the pool's.

Order (ties are always broken by date, then cost, then the lot's cell, then quantity, so the
same lots give the same answer whatever order the sheet lists them in):

- FIFO: oldest first. LIFO: newest first. Lots with no date come after every dated lot in both:
  an unknown date is neither oldest nor newest, and selling dated lots first keeps the term
  split as informative as it can be.
- HIFO: highest unit cost first (the smallest gain), ties oldest first.
- AVERAGE: as FIFO, every lot costed at the pooled average.

Matching sorts once: O(n log n) in the number of lots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Callable, Mapping, Sequence

from .model import Lot, LotMethod, RealizedLot, TaxEstimate
from .money import LOT_TOLERANCE, ZERO

_UNDATED = dt.date.max.toordinal() + 1


def _date_key(lot: Lot) -> tuple[bool, int]:
    return (lot.acquired is None, lot.acquired.toordinal() if lot.acquired else _UNDATED)


def _fifo(lot: Lot) -> tuple:
    return (*_date_key(lot), lot.unit_cost, lot.location, lot.quantity)


def _lifo(lot: Lot) -> tuple:
    undated, day = _date_key(lot)
    return (undated, -day, lot.unit_cost, lot.location, lot.quantity)


def _hifo(lot: Lot) -> tuple:
    return (-lot.unit_cost, *_date_key(lot), lot.location, lot.quantity)


def _pooled(lots: Sequence[Lot]) -> list[Lot]:
    """Every lot at the pool's average unit cost (beancount's AVERAGE booking)."""
    total = sum((lot.quantity for lot in lots), ZERO)
    if not total:
        return list(lots)
    average = sum((lot.quantity * lot.unit_cost for lot in lots), ZERO) / total
    return [replace(lot, unit_cost=average) for lot in lots]


#: method → (prepare the lots, sort key). One helper, :func:`match_sale`, uses them all.
LOT_METHODS: Mapping[LotMethod, tuple[Callable[[Sequence[Lot]], list[Lot]], Callable[[Lot], tuple]]] = {
    "FIFO": (list, _fifo),
    "LIFO": (list, _lifo),
    "HIFO": (list, _hifo),
    "AVERAGE": (_pooled, _fifo),
}


def match_sale(
    lots: Sequence[Lot], quantity: Decimal, method: LotMethod
) -> tuple[tuple[tuple[Lot, Decimal], ...], tuple[Lot, ...]]:
    """Take ``quantity`` from ``lots`` (one asset's) in the method's order.

    Returns the (lot, quantity taken) pairs in the order taken, and the lots that remain, in the
    method's order: a lot used in part remains with its quantity reduced (under AVERAGE every
    lot carries the pooled cost). A sale larger than the lots by no more than the lots'
    tolerance (SPEC 3.6, 1e-9 relative) takes them all; a larger one is a program error
    (ValueError), since the reader has already checked that lots sum to the holding.
    """
    if quantity < 0:
        raise ValueError(f"cannot sell a negative quantity: {quantity}")
    try:
        prepare, key = LOT_METHODS[method]
    except KeyError:
        raise ValueError(f"unknown lot method {method!r}: expected FIFO, LIFO, HIFO or AVERAGE") from None
    ordered = sorted(prepare(lots), key=key)
    available = sum((lot.quantity for lot in ordered), ZERO)
    if quantity > available:
        if quantity - available > available * LOT_TOLERANCE:
            raise ValueError(f"sale of {quantity} exceeds the {available} held in lots")
        quantity = available
    matched: list[tuple[Lot, Decimal]] = []
    remaining: list[Lot] = []
    left = quantity
    for lot in ordered:
        if left <= 0 or lot.quantity <= 0:
            if lot.quantity > 0:
                remaining.append(lot)
            continue
        taken = min(lot.quantity, left)
        matched.append((lot, taken))
        left -= taken
        if taken < lot.quantity:
            remaining.append(replace(lot, quantity=lot.quantity - taken))
    return tuple(matched), tuple(remaining)


def holding_term(acquired: dt.date | None, as_of: dt.date, long_term_days: int) -> str:
    """``long`` when held **more than** ``long_term_days`` days, i.e. (as_of − acquired).days >
    long_term_days (365 days held is still short; 366 is long); ``short`` otherwise;
    ``unknown`` without a date."""
    if acquired is None:
        return "unknown"
    return "long" if (as_of - acquired).days > long_term_days else "short"


def realize(
    matched: Sequence[tuple[Lot, Decimal]],
    *,
    asset: str,
    venue: str,
    unit_proceeds: Decimal,
    as_of: dt.date,
    long_term_days: int,
) -> tuple[RealizedLot, ...]:
    """One realized line per matched lot: proceeds = q·unit_proceeds (net of slippage and fee),
    cost = q·unit cost, gain = proceeds − cost, term by :func:`holding_term`. Exact Decimals,
    not rounded, so the lines add up to the sale exactly."""
    out = []
    for lot, quantity in matched:
        proceeds = quantity * unit_proceeds
        cost = quantity * lot.unit_cost
        out.append(RealizedLot(
            asset=asset,
            venue=venue,
            acquired=lot.acquired,
            quantity=quantity,
            proceeds=proceeds,
            cost=cost,
            gain=proceeds - cost,
            term=holding_term(lot.acquired, as_of, long_term_days),  # type: ignore[arg-type]
        ))
    return tuple(out)


def tax_estimate(
    realized: Sequence[RealizedLot],
    rate_short: Decimal | None,
    rate_long: Decimal | None,
) -> TaxEstimate:
    """Net gains per term and, when a rate is set, the estimated tax.

    Netting: within a term, losses offset gains (the term's gain is the plain sum, and may be
    negative). Gains of unknown term are treated as short-term for the tax: they join the
    short-term net before it is taxed at the short rate (the cautious assumption, as short rates
    are usually the higher). A net loss in one term does not reduce the tax on the other term's
    gain, and no loss is carried forward: cross-term netting and carry-forwards depend on the
    jurisdiction, so the estimate errs on the high side. Tax = max(0, short + unknown net)·short
    rate + max(0, long net)·long rate; a rate left empty counts as 0 when the other is set;
    ``tax`` is None when neither is set. Not rounded.
    """
    short = long_ = unknown = ZERO
    for r in realized:                       # one pass: a plan may realize 10⁵ lines
        term = r.term
        if term == "short":
            short += r.gain
        elif term == "long":
            long_ += r.gain
        elif term == "unknown":
            unknown += r.gain
    tax: Decimal | None = None
    if rate_short is not None or rate_long is not None:
        tax = (max(ZERO, short + unknown) * (rate_short or ZERO)
               + max(ZERO, long_) * (rate_long or ZERO))
    return TaxEstimate(short_term_gain=short, long_term_gain=long_, unknown_term_gain=unknown,
                       tax=tax)


__all__ = ["LOT_METHODS", "holding_term", "match_sale", "realize", "tax_estimate"]
