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

Matching sorts once: O(n log n) in the number of lots, then O(lots taken) per sale.
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


#: method → (prepare the lots, sort key). One queue, :class:`LotQueue`, uses them all (the plan
#: and :func:`match_sale` alike).
LOT_METHODS: Mapping[LotMethod, tuple[Callable[[Sequence[Lot]], list[Lot]], Callable[[Lot], tuple]]] = {
    "FIFO": (list, _fifo),
    "LIFO": (list, _lifo),
    "HIFO": (list, _hifo),
    "AVERAGE": (_pooled, _fifo),
}


class LotQueue:
    """One asset's open lots in the Lot Method's order, sorted once and consumed from the front.

    The one implementation of matching: :func:`match_sale` is one :meth:`take` on a fresh
    queue, and ``make_plan`` keeps a queue per asset and takes from it sale after sale, so
    every sale of the plan is matched by the code the hand-worked tests check. A lot a sale
    takes part of stays first, with the rest of its quantity; ties in the order are broken by
    date, cost, cell and quantity, so the same lots give the same answer in any order.
    """

    __slots__ = ("_lots", "_left", "_head")

    def __init__(self, lots: Sequence[Lot], method: LotMethod):
        try:
            prepare, key = LOT_METHODS[method]
        except KeyError:
            raise ValueError(f"unknown lot method {method!r}: expected FIFO, LIFO, HIFO or "
                             "AVERAGE") from None
        # one lot needs no order, and pools at its own cost (a plan has 10⁴ such assets)
        ordered = sorted(prepare(lots), key=key) if len(lots) > 1 else lots
        self._lots = [lot for lot in ordered if lot.quantity > 0]
        self._left = [lot.quantity for lot in self._lots]
        self._head = 0

    @property
    def available(self) -> Decimal:
        return sum(self._left[self._head:], ZERO)

    def take(self, quantity: Decimal) -> tuple[list[tuple[Lot, Decimal]], Decimal]:
        """Take ``quantity``: the (lot, quantity taken) pairs in order, and what the lots
        lacked (0 when they covered it). Each lot is as given (under AVERAGE, at the pooled
        cost); its remaining quantity is the queue's business."""
        lines: list[tuple[Lot, Decimal]] = []
        lots, left_of, i, left = self._lots, self._left, self._head, quantity
        n = len(lots)
        while left > 0 and i < n:
            q = left_of[i]
            if q <= left:
                lines.append((lots[i], q))
                left -= q
                i += 1
            else:
                lines.append((lots[i], left))
                left_of[i] = q - left
                left = ZERO
        self._head = i
        return lines, left

    def remaining(self) -> tuple[Lot, ...]:
        """The lots still open, in the method's order; one used in part at its reduced
        quantity."""
        return tuple(lot if lot.quantity == q else replace(lot, quantity=q)
                     for lot, q in zip(self._lots[self._head:], self._left[self._head:]))


def match_sale(
    lots: Sequence[Lot], quantity: Decimal, method: LotMethod
) -> tuple[tuple[tuple[Lot, Decimal], ...], tuple[Lot, ...]]:
    """Take ``quantity`` from ``lots`` (one asset's) in the method's order (:class:`LotQueue`).

    Returns the (lot, quantity taken) pairs in the order taken, and the lots that remain, in the
    method's order: a lot used in part remains with its quantity reduced (under AVERAGE every
    lot carries the pooled cost). A sale larger than the lots by no more than the lots'
    tolerance (SPEC 3.6, 1e-9 relative) takes them all; a larger one is a program error
    (ValueError), since the reader has already checked that lots sum to the holding.
    """
    if quantity < 0:
        raise ValueError(f"cannot sell a negative quantity: {quantity}")
    queue = LotQueue(lots, method)
    available = queue.available
    if quantity > available:
        if quantity - available > available * LOT_TOLERANCE:
            raise ValueError(f"sale of {quantity} exceeds the {available} held in lots")
        quantity = available
    matched, _ = queue.take(quantity)
    return tuple(matched), queue.remaining()


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


__all__ = ["LOT_METHODS", "LotQueue", "holding_term", "match_sale", "realize", "tax_estimate"]
