"""The calculator: SPEC 4's fourteen steps, in order, each a call into its own module.

``make_plan(inputs) -> Plan`` is pure: no files, clock or network; the same inputs give the same
plan. Money is Decimal throughout and reconciles exactly: Σ sale proceeds = stable received,
and T after = T before − fees − slippage (transfers only move value).

Rules this module owns (where SPEC 4 is silent):
- Proceeds go to the first stable Holdings row of the Stable Asset; when there is none, a new
  position of it (price 1, category stable) is added at the end of ``positions_after``.
- ``positions_after`` keeps every row in order. A row the plan sold keeps Q0 in
  ``original_quantity`` (so tiers already taken count as sold on a re-run) and its min keep is
  restated as a share of the new quantity (rounded up), so the same quantity stays protected.
- Lots (step 14): an asset the Lots sheet lists has one pool of lots, and its sales on every
  venue draw on that pool in trade order by the Lot Method. Without a Lots sheet (or for an
  asset it does not list) each position is its own undated lot at its average cost (SPEC 3.6):
  a sale on one venue is costed at that row's average cost, never at another venue's; a
  position with no average cost has no lot, so its gain is unknown (None). When an asset's
  lots do not sum to its holding (the reader reports that as an error), the core warns and
  matches any quantity beyond the lots at the position's average cost.
- Fees are charged on every trade's notional: spot sales (on the slipped notional), futures
  closes and reductions, and the hedge's opening. Slippage applies to spot sales only.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from decimal import ROUND_CEILING, Decimal
from typing import Sequence

from . import lots as lotbook
from .allocation import Sale, allocation_sales, execution_factor, proceeds, tier_sales
from .exposure import Betas, exposure
from .fingerprint import inputs_fingerprint
from .futures import adjust_futures
from .hedge import hedge_target, open_hedge, sleeve_transfers
from .issues import Issue, grouped
from .ladder import ladder
from .model import (Bucket, FuturesPosition, Lot, Plan, PlanInputs, Position, RealizedLot,
                    Settings, Trade)
from .money import BPS, LOT_TOLERANCE, ONE, ZERO
from .records import constructor
from .signals import signals
from .stress import stress_table
from .valuation import fmt_money, fmt_qty, targets, value_futures, value_portfolio


_trade = constructor(Trade)
_realized_lot = constructor(RealizedLot)
_position = constructor(Position)


def _restated_min_keep(p: Position, quantity_after: Decimal) -> Decimal:
    if quantity_after <= 0 or p.min_keep <= 0:
        return p.min_keep
    share = (p.quantity * p.min_keep / quantity_after).quantize(
        Decimal("1e-24"), rounding=ROUND_CEILING)
    return min(ONE, share)


def _stable_asset_index(positions: Sequence[Position], asset: str,
                        stable_rows: Sequence[int]) -> int | None:
    """The first stable row of ``asset`` (``stable_rows``: the stable rows' indices)."""
    for i in stable_rows:
        if positions[i].asset == asset:
            return i
    return None


class _LotBook:
    """Step 14: sales matched to lots in trade order — the Lots sheet's pool for an asset it
    lists, else the position itself as one lot at its average cost."""

    def __init__(self, inputs: PlanInputs, positions: Sequence[Position]):
        self.settings = inputs.settings
        self.as_of = inputs.as_of
        self.long_term_days = inputs.settings.long_term_days
        self.issues: list[Issue] = []
        self.given: dict[str, list[Lot]] = {}
        for lot in inputs.lots:
            self.given.setdefault(lot.asset, []).append(lot)
        self.positions = positions
        self.books: dict[str, lotbook.LotQueue] = {}
        self._by_asset: dict[str, list[Position]] | None = None

    def _positions_of(self, asset: str) -> list[Position]:
        if self._by_asset is None:
            self._by_asset = {a: [] for a in self.given}
            for p in self.positions:
                rows = self._by_asset.get(p.asset)
                if rows is not None:
                    rows.append(p)
        return self._by_asset.get(asset, [])

    def _book(self, asset: str) -> lotbook.LotQueue:
        """The open lots of an asset the Lots sheet lists, sorted once on first use."""
        book = self.books.get(asset)
        if book is not None:
            return book
        held = self._positions_of(asset)
        lots = self.given[asset]
        total = sum((lot.quantity for lot in lots), ZERO)
        holding = sum((h.quantity for h in held), ZERO)
        if abs(total - holding) > holding * LOT_TOLERANCE:
            where = held[0].location if held else "Lots"
            self.issues.append(Issue(where, (
                f"The lots of {asset} sum to {fmt_qty(total)} but Holdings hold "
                f"{fmt_qty(holding)} (gap {fmt_qty(holding - total)}): quantity beyond the "
                "lots is matched at the position's average cost."), "warning"))
        book = self.books[asset] = lotbook.LotQueue(lots, self.settings.lot_method)
        return book

    def _term(self, acquired) -> str:
        return lotbook.holding_term(acquired, self.as_of, self.long_term_days)

    def sell(self, p: Position, quantity: Decimal, net: Decimal
             ) -> tuple[tuple[RealizedLot, ...], Decimal | None]:
        """Match a sale of ``quantity`` netting ``net`` (after slippage and fee) to lots.

        Quantity beyond the lots is taken at the position's average cost; without one, the
        gain is unknown (None). A sale matched to one lot realizes exactly ``net``; several
        lots share it by quantity.
        """
        asset, venue = p.asset, p.venue
        if asset not in self.given:
            # SPEC 3.6: without lots the position is its own lot at its average cost (a sale
            # never exceeds the position, so it is all matched, and never to another row's cost)
            if p.avg_cost is None:
                return (), None
            c = quantity * p.avg_cost
            return (_realized_lot(asset, venue, None, quantity, net, c, net - c, "unknown"),), \
                net - c
        taken, extra = self._book(asset).take(quantity)
        known = True
        if extra > 0:
            if p.avg_cost is None:
                known = False
            else:  # beyond the lots (a gap the reader warned of): at the average cost
                taken.append((Lot(asset, extra, p.avg_cost, None, p.location), extra))
        if not taken:
            return (), None
        if len(taken) == 1 and taken[0][1] == quantity:
            lot, q = taken[0]
            c = q * lot.unit_cost
            realized = (_realized_lot(asset, venue, lot.acquired, q, net, c, net - c,
                                      self._term(lot.acquired)),)
            return realized, (net - c) if known else None
        unit = net / quantity
        out = []
        gain = ZERO
        for lot, q in taken:
            got = q * unit
            c = q * lot.unit_cost
            gain += got - c
            out.append(_realized_lot(asset, venue, lot.acquired, q, got, c, got - c,
                                     self._term(lot.acquired)))
        return tuple(out), gain if known else None


def make_plan(inputs: PlanInputs) -> Plan:
    """Run SPEC 4 steps 1–14 on ``inputs`` and return the plan.

    Python's cyclic garbage collector is paused while the plan is built. A plan of 10⁵
    positions allocates about a million small immutable objects, none in a reference cycle, so
    every collection their allocation triggers scans them, and the whole heap, for nothing (a
    quarter of the run time at 10⁵ positions); reference counting still frees everything.
    Mercurial's ``util.nogc`` does the same for the same reason. The collector is left as it
    was found, and nothing is moved between its generations: doing so also aged the garbage
    other code had left (a PDF render's), which then grew a batch worker by ~5 MB a workbook.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _make_plan(inputs)
    finally:
        if was_enabled:
            gc.enable()


def _make_plan(inputs: PlanInputs) -> Plan:
    s: Settings = inputs.settings
    ccy = s.base_currency  # sentences write money in its own units
    positions = inputs.positions
    futures = inputs.futures
    warnings: list[Issue] = []
    trades: list[Trade] = []

    # 1. Valuation, 2. Targets.
    before = value_portfolio(positions, futures, s.futures_free_collateral)
    total = before.total
    tg = targets(total, s)

    # 3. Tier sales, 4. Allocation sales.
    # one pass over the positions for what several steps read (a 10⁵-row book does not sit in
    # the processor's cache, so each pass costs): quantities left, min keep floors (step 13),
    # multiples (steps 3, 4, 13: prices and costs never change), and whether any β is given
    remaining: list[Decimal] = []
    floors: list[Decimal] = []
    multiples: list[Decimal | None] = []
    stable_rows_in: list[int] = []               # steps 5 and 7
    any_beta = False
    for i, p in enumerate(positions):
        remaining.append(p.quantity)
        floors.append(p.quantity * p.min_keep)
        multiples.append(p.price / p.avg_cost if p.avg_cost else None)
        if p.beta is not None:
            any_beta = True
        if p.category == "stable":
            stable_rows_in.append(i)
    tier, issues = tier_sales(positions, s, inputs.tiers, multiples)
    warnings += issues
    for sale in tier:
        remaining[sale.index] -= sale.quantity
    allocation, issues = allocation_sales(positions, remaining, s, tg.spot, tg.band,
                                          multiples)
    warnings += issues
    for sale in allocation:
        remaining[sale.index] -= sale.quantity
    sales: tuple[Sale, ...] = tier + allocation

    # 5. Proceeds to the Stable Asset; 14. lots matched sale by sale.
    book = _LotBook(inputs, positions)
    realized: list[RealizedLot] = []
    spot_fees = slippage = received = ZERO
    factor = execution_factor(s)
    for sale in sales:
        p = positions[sale.index]
        q = sale.quantity
        exec_price, notional, slipped, fee, net = proceeds(sale, s, factor)
        spot_fees += fee
        slippage += slipped
        received += net
        lines, gain = book.sell(p, q, net)
        realized += lines
        trades.append(_trade(len(trades) + 1, sale.step, p.venue, p.asset, "sell", q,
                             exec_price, notional, fee, gain, sale.reason))
    warnings += book.issues

    after: list[Position] = list(positions)
    for i in {sale.index for sale in sales}:
        p = positions[i]
        q = remaining[i]
        if q != p.quantity:
            after[i] = _position(p.asset, q, p.price, p.avg_cost, p.category, p.protect,
                                 _restated_min_keep(p, q), p.q0, p.beta, p.venue, p.lot_step,
                                 p.location)
    stable_index = _stable_asset_index(positions, s.stable_asset, stable_rows_in)
    if stable_index is None:
        stable_index = len(after)
        after.append(Position(s.stable_asset, ZERO, ONE, ONE, "stable", venue="",
                              location="Settings"))
        if received > 0:
            warnings.append(Issue("Settings", (
                f"Stable Asset {s.stable_asset} is not in Holdings: the plan adds it to "
                "receive the proceeds."), "warning"))
    if received:
        sp = after[stable_index]
        after[stable_index] = replace(sp, quantity=sp.quantity + received / sp.price)

    # 6. Futures: close profitable longs, cap leverage.
    fs = adjust_futures(futures, s)
    warnings += fs.issues
    trades += [replace(t, number=len(trades) + n) for n, t in enumerate(fs.trades, 1)]
    free = s.futures_free_collateral + fs.to_free_collateral
    futures_after: list[FuturesPosition] = list(fs.after)

    # 8 (sizing first, so the sleeve can reserve the hedge's collateral).
    betas = Betas(s.hedge_underlying, inputs.prices)
    target, issues = hedge_target(after, futures_after, positions, s, betas, inputs.prices)
    warnings += issues
    rate = s.fee_bps / BPS
    reserve = target.margin_and_fee(target.quantity, rate) if target is not None else ZERO

    # 7. Sleeve funding.
    wallet = free + sum((value_futures(f).equity for f in futures_after), ZERO)
    in_use = sum((f.margin for f in futures_after if f.size > 0), ZERO)
    stable_rows = [(stable_index, after[stable_index], after[stable_index].quantity)]
    # the plan adds at most the Stable Asset's row, so the stable rows are those of the inputs
    others = sorted(((i, after[i]) for i in stable_rows_in
                     if i != stable_index and after[i].quantity > 0),
                    key=lambda ip: (-ip[1].quantity * ip[1].price, ip[1].asset, ip[0]))
    stable_rows += [(i, p, p.quantity) for i, p in others]
    transfers, goal, issues = sleeve_transfers(stable_rows, wallet, free, in_use, reserve,
                                               tg.futures, s, stable_index)
    warnings += issues
    for t in transfers:
        p = after[t.index]
        after[t.index] = replace(p, quantity=p.quantity - t.amount / p.price)
        free += t.amount
        if t.amount > 0:
            instrument, why = f"{p.asset} → futures wallet", "fund"
        else:
            instrument, why = f"futures wallet → {p.asset}", "bring back the surplus over"
        trades.append(Trade(len(trades) + 1, "transfer", p.venue, instrument, "transfer",
                            abs(t.amount), ONE, abs(t.amount), ZERO, None, (
                                f"Sleeve funding ({s.sleeve_funding}): {why} the futures "
                                f"wallet's goal {fmt_money(goal, ccy)} (wallet equity "
                                f"{fmt_money(wallet, ccy)}).")))

    # 8. Hedge, 9. Carry.
    hedge = None
    hedge_fee = ZERO
    if target is not None and target.sized.exposure > 0:
        opened = open_hedge(target, free, s, inputs.as_of)
        warnings += opened.issues
        hedge = opened.hedge
        if opened.position is not None and opened.trade is not None:
            free -= opened.margin_and_fee
            hedge_fee = opened.fee
            futures_after.append(opened.position)
            trades.append(replace(opened.trade, number=len(trades) + 1))

    fees = spot_fees + fs.fees + hedge_fee

    # Buckets and T after.
    positions_after = tuple(after)
    futures_after_t = tuple(futures_after)
    end = value_portfolio(positions_after, futures_after_t, free)
    total_after = end.total
    buckets = (
        Bucket("spot", before.risk_spot, tg.spot, end.risk_spot),
        Bucket("stable", before.stable, tg.stable, end.stable),
        Bucket("futures", before.wallet, tg.futures, end.wallet),
    )

    # 10. Exposure, 11. Stress.
    weighting = betas if s.hedge_sizing == "beta" else None
    exposure_before = exposure(positions, futures, before.wallet, total, weighting,
                               before.risk_spot)
    exposure_after = exposure(positions_after, futures_after_t, end.wallet, total_after,
                              weighting, end.risk_spot)
    # every β is 1 without Prices and without a Beta column: stress needs only the buckets
    unit_betas = inputs.prices is None and not any_beta
    stress = stress_table(s.stress_shocks, (positions, futures),
                          (positions_after, futures_after_t), betas,
                          (before.risk_spot, end.risk_spot) if unit_betas else None)

    # 12. Signals and status.
    sig, status = signals(
        risk_after=end.risk_spot, stable_after=end.stable, spot_target=tg.spot,
        stable_target=tg.stable, band=tg.band, positions_after=positions_after, settings=s,
        prices=inputs.prices, as_of=inputs.as_of)

    # 13. Ladder.
    floors += [ZERO] * (len(after) - len(positions))
    rungs = ladder(positions_after, floors, s, inputs.tiers,
                   multiples + [None] * (len(after) - len(positions)))

    # 14. Realized gains and tax.
    tax = lotbook.tax_estimate(realized, s.tax_rate_short, s.tax_rate_long)
    spot_gain = sum((t.realized_gain for t in trades
                     if t.realized_gain is not None and t.step in ("tier", "allocation")), ZERO)

    return Plan(
        as_of=inputs.as_of, settings=s, total_before=total, total_after=total_after,
        buckets=buckets, trades=tuple(trades), futures=fs.actions, hedge=hedge,
        exposure_before=exposure_before, exposure_after=exposure_after, stress=stress,
        signals=sig, status=status, ladder=rungs, realized=tuple(realized), tax=tax,
        realized_gain=spot_gain + fs.realized, fees=fees, slippage=slippage,
        positions_after=positions_after, futures_after=futures_after_t,
        warnings=grouped(warnings), fingerprint=inputs_fingerprint(inputs),
        source=inputs.source,
    )
