"""SPEC 4 steps 3–5: tier sales, allocation sales, and what the sales bring in.

Tier sales (step 3). For each risk spot position that is not protected and has a known cost:
  due = min(1, Σ Sell % of the tiers that apply to it and whose trigger ≤ its multiple);
  already sold = max(0, Q0 − q);
  sell = max(0, due·Q0 − already sold), capped at q·(1 − min keep).
A tier applies when its Applies To is empty, the asset, or the position's category
(case-insensitive). A position with unknown cost takes no tier sales (its multiple is unknown)
and gets a warning; it is sold last by the allocation.

Allocation sales (step 4). Risk spot after step 3 (at market prices) minus S* is the excess.
When the excess is larger than the band (Rebalance Band % · T) the whole excess is sold, from
unprotected positions in order of multiple, highest first; unknown cost last; ties by larger
value, then asset name, then row order. Each position goes down to its min keep at most.
If protected positions alone are worth more than S*, the target cannot be reached: the
unprotected positions are sold down to their min keep and a warning says why. The plan never
buys risk assets, so a portfolio already below S* gets no allocation sales.

Every sale (tier or allocation) is rounded down to the position's Lot Step; a sale worth less
than Min Trade Value (at market price) is dropped. A dropped or rounded allocation sale leaves
its excess to the next position in the order. Nothing is sold for less than a cent, whatever
Min Trade Value says. Min keep is a share of the quantity held before
the plan: the floor q·min keep is never sold.

Proceeds (step 5). A sale of q at price p executes at p·(1 − slippage); slippage cost =
q·p − q·p·(1 − slippage); fee = fee bps · q·p·(1 − slippage) / 10⁴; proceeds = executed
notional − fee, all of which goes to the Stable Asset.
"""

from __future__ import annotations

from bisect import bisect_right
from decimal import Decimal
from typing import NamedTuple, Sequence

from .issues import Issue
from .model import Position, Settings, Step, Tier, protected
from .money import BPS, CENT, ONE, ZERO
from .valuation import fmt_money as _fmt, fmt_multiple, fmt_pct, fmt_qty as _qty

#: An allocation excess below a cent is not worth a trade.
_DUST = CENT


_NO_COST = ("have no average cost: their multiples are unknown, so no tier sales; the "
            "allocation sells them last and their gains are not estimated.")


def smallest_trade(settings: Settings) -> Decimal:
    """The smallest sale worth making: Min Trade Value, and never less than a cent."""
    return max(settings.min_trade_value, CENT)


class Sale(NamedTuple):
    """A spot sale planned by step 3 or 4, at market price (before slippage and fee).

    ``index`` is the position's index in the inputs' positions. A named tuple: a plan of
    10⁵ positions makes 10⁵ of them, and a tuple is built several times faster than a frozen
    dataclass.
    """

    index: int  # type: ignore[assignment]
    step: Step
    quantity: Decimal
    price: Decimal
    reason: str


class Proceeds(NamedTuple):
    """Step 5 for one sale: executed price and notional, slippage cost, fee and net proceeds.
    A named tuple, as :class:`Sale`: the plan makes one per sale."""

    exec_price: Decimal
    notional: Decimal
    slippage: Decimal
    fee: Decimal
    net: Decimal


def execution_factor(settings: Settings) -> Decimal:
    """1 − slippage: what a sell gets per unit of market price, before the fee."""
    return ONE - settings.slippage_bps / BPS


def proceeds(sale: Sale, settings: Settings, factor: Decimal | None = None) -> Proceeds:
    """Step 5 (the rule in this module's docstring); ``make_plan`` runs every sale through it.
    ``factor``: :func:`execution_factor` of ``settings``, when the caller worked it out once."""
    q, price = sale.quantity, sale.price
    exec_price = price * (execution_factor(settings) if factor is None else factor)
    notional = q * exec_price
    fee = settings.fee_bps * notional / BPS
    # tuple.__new__ directly: the named tuple's own __new__ is one more Python call per sale
    return _new_tuple(Proceeds, (exec_price, notional, q * price - notional, fee,
                                 notional - fee))


_new_tuple = tuple.__new__


def tier_applies(tier: Tier, p: Position) -> bool:
    if not tier.applies_to:
        return True
    target = tier.applies_to.strip().upper()
    return target == p.asset.upper() or target == p.category.upper()


def fraction_due(p: Position, tiers: Sequence[Tier]) -> Decimal:
    multiple = p.multiple
    if multiple is None:
        return ZERO
    due = sum((t.sell_fraction for t in tiers if tier_applies(t, p)
               and multiple >= t.trigger_multiple), ZERO)
    return min(due, ONE)


def _sellable_q(q: Decimal, p: Position, smallest: Decimal, remaining: Decimal) -> Decimal:
    """Cap ``q`` at what is left above min keep, round it down to the lot step and drop it
    when worth less than ``smallest`` (:func:`smallest_trade`, worked out once by the caller)."""
    room = remaining - p.quantity * p.min_keep if p.min_keep else remaining
    if q > room:
        q = room
    step = p.lot_step
    if step is not None and step > 0 and q > 0:
        q = (q // step) * step
    if q <= 0 or q * p.price < smallest:
        return ZERO
    return q


def _due_table(tiers: Sequence[Tier]):
    """For tiers that apply to everyone: (triggers ascending, cumulative Sell % capped at 1)."""
    ordered = sorted(tiers, key=lambda t: t.trigger_multiple)
    triggers = [t.trigger_multiple for t in ordered]
    cumulative, running = [], ZERO
    for t in ordered:
        running += t.sell_fraction
        cumulative.append(min(running, ONE))
    return triggers, cumulative


def position_multiples(positions: Sequence[Position]) -> list[Decimal | None]:
    """Each position's multiple (price / average cost; None when the cost is unknown or 0),
    worked out once: the plan never changes a price or a cost, so steps 3, 4 and 13 share it."""
    return [p.price / p.avg_cost if p.avg_cost else None for p in positions]


def tier_sales(
    positions: Sequence[Position], settings: Settings, tiers: Sequence[Tier],
    multiples: Sequence[Decimal | None] | None = None,
) -> tuple[tuple[Sale, ...], tuple[Issue, ...]]:
    """Step 3. ``multiples``: :func:`position_multiples` of ``positions``, when at hand."""
    sales: list[Sale] = []
    issues: list[Issue] = []
    universal = all(not t.applies_to for t in tiers)
    triggers, cumulative = _due_table(tiers) if universal else ([], [])
    due_text = [fmt_pct(due) for due in cumulative]
    core = frozenset(settings.core_assets)
    smallest = smallest_trade(settings)
    for i, p in enumerate(positions):
        if p.category == "stable" or p.quantity <= 0 or protected(p, core):
            continue
        if not p.avg_cost:
            issues.append(Issue(p.location, f"{p.asset} has no average cost: its multiple is "
                                "unknown, so no tier sales; the allocation sells it last and its "
                                "gain is not estimated.", "warning", _NO_COST))
            continue
        multiple = p.price / p.avg_cost if multiples is None else multiples[i]
        if universal:
            k = bisect_right(triggers, multiple)
            if not k:
                continue
            due = cumulative[k - 1]
            due_pct = due_text[k - 1]
        else:
            due = fraction_due(p, tiers)
            due_pct = fmt_pct(due)
        if due <= 0:
            continue
        q0 = p.quantity if p.original_quantity is None else p.original_quantity
        already = q0 - p.quantity if q0 > p.quantity else ZERO
        want = due * q0 - already
        if want <= 0:
            continue
        q = _sellable_q(want, p, smallest, p.quantity)
        if q > 0:
            sales.append(Sale(i, "tier", q, p.price, (
                f"{p.asset} trades at {fmt_multiple(multiple)} its cost: tiers due "
                f"{due_pct} % of the original {_qty(q0)}; already sold "
                f"{_qty(already) if already else '0'}.")))
    return tuple(sales), tuple(issues)


def allocation_sales(
    positions: Sequence[Position],
    remaining: Sequence[Decimal],
    settings: Settings,
    spot_target: Decimal,
    band: Decimal,
    multiples: Sequence[Decimal | None] | None = None,
) -> tuple[tuple[Sale, ...], tuple[Issue, ...]]:
    """Sell the excess of risk spot over S* (``remaining``: quantities after the tier sales;
    ``multiples``: :func:`position_multiples` of ``positions``, when at hand)."""
    ccy = settings.base_currency  # sentences write money in its own units
    risk = ZERO
    protected_value = ZERO
    candidates: list[int] = []
    core = frozenset(settings.core_assets)
    for i, p in enumerate(positions):
        category = p.category
        if category == "stable":
            continue
        left = remaining[i]
        value = left * p.price
        risk += value
        if protected(p, core):
            protected_value += value
        elif left > (p.quantity * p.min_keep if p.min_keep else ZERO):
            candidates.append(i)
    excess = risk - spot_target
    issues: list[Issue] = []
    if excess <= band:
        return (), ()
    if protected_value > spot_target:
        issues.append(Issue("Settings", (
            f"Protected positions alone are worth {_fmt(protected_value, ccy)}, more than the "
            f"spot target S* {_fmt(spot_target, ccy)}: the target cannot be reached; unprotected "
            "positions are sold down to their min keep and protected ones are never sold."),
            "warning"))

    if multiples is None:
        multiples = position_multiples(positions)
    order = _by_multiple(positions, remaining, candidates, multiples)
    prefix = (f"Risk spot exceeds the target S* {_fmt(spot_target, ccy)} by {_fmt(excess, ccy)}: "
              "sold from ")
    smallest = smallest_trade(settings)
    sales: list[Sale] = []
    for i in order:
        if excess < _DUST:
            break
        m = multiples[i]
        p = positions[i]
        q = _sellable_q(excess / p.price, p, smallest, remaining[i])
        if q <= 0:
            continue
        excess -= q * p.price
        mult = "unknown cost" if m is None else fmt_multiple(m)
        sales.append(Sale(i, "allocation", q, p.price,
                          f"{prefix}{p.asset} ({mult}), highest multiple first."))
    return tuple(sales), tuple(issues)


def _by_multiple(positions: Sequence[Position], remaining: Sequence[Decimal],
                 candidates: Sequence[int], multiples: Sequence[Decimal | None]) -> list[int]:
    """Candidates' indices in step 4's order: multiple highest first, unknown cost last, then
    larger value, asset name, row order.

    Known and unknown costs are sorted apart on one float each (the multiple; for unknown
    costs the value): CPython sorts a list of float keys with a direct float comparison, and
    touches nothing else, which matters when 10⁵ candidates do not fit in the cache. float()
    of a Decimal is correctly rounded, so it never inverts an order; only a run of equal floats
    is sorted again on the exact key (multiple, value, asset, row) as Decimals.
    """
    known: list[int] = []
    known_keys: list[float] = []
    unknown: list[int] = []
    unknown_keys: list[float] = []
    for i in candidates:
        m = multiples[i]
        if m is None:
            unknown.append(i)
            unknown_keys.append(-float(remaining[i] * positions[i].price))
        else:
            known.append(i)
            known_keys.append(-float(m))

    def exact(i: int) -> tuple:
        m = multiples[i]
        return (-(m or ZERO), -(remaining[i] * positions[i].price), positions[i].asset, i)

    return _sorted_exactly(known, known_keys, exact) + _sorted_exactly(unknown, unknown_keys,
                                                                       exact)


def _sorted_exactly(indices: list[int], keys: list[float], exact) -> list[int]:
    """``indices`` sorted by their float ``keys``, every run of equal floats by ``exact``."""
    order = sorted(range(len(indices)), key=keys.__getitem__)
    ordered_keys = [keys[j] for j in order]
    out = [indices[j] for j in order]
    if all(a != b for a, b in zip(ordered_keys, ordered_keys[1:])):
        return out
    fixed: list[int] = []
    start, n = 0, len(out)
    while start < n:
        end = start + 1
        while end < n and ordered_keys[end] == ordered_keys[start]:
            end += 1
        run = out[start:end]
        if len(run) > 1:
            run.sort(key=exact)
        fixed += run
        start = end
    return fixed


