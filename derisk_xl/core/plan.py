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
- Lots (step 14) are per asset: sales of one asset on several venues draw on the asset's lots in
  trade order. Without a Lots sheet (or for an asset it does not list) each position is one
  undated lot at its average cost; a position with neither has no lot, so its gain is unknown
  (None). When an asset's lots do not sum to its holding (the reader reports that as an error),
  the core warns and matches any quantity beyond the lots at the position's average cost.
- Fees are charged on every trade's notional: spot sales (on the slipped notional), futures
  closes and reductions, and the hedge's opening. Slippage applies to spot sales only.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_CEILING, Decimal
from typing import Sequence

from . import lots as lotbook
from .allocation import Sale, allocation_sales, floor_quantity, proceeds, tier_sales
from .exposure import Betas, exposure
from .fingerprint import inputs_fingerprint
from .futures import adjust_futures
from .hedge import hedge_target, open_hedge, sleeve_transfers
from .issues import Issue
from .ladder import ladder
from .model import (Bucket, FuturesPosition, Lot, Plan, PlanInputs, Position, RealizedLot,
                    Settings, Trade)
from .money import LOT_TOLERANCE, ONE, ZERO
from .signals import signals
from .stress import stress_table
from .valuation import fmt_money, fmt_qty, targets, value_futures, value_portfolio


def _restated_min_keep(p: Position, quantity_after: Decimal) -> Decimal:
    if quantity_after <= 0 or p.min_keep <= 0:
        return p.min_keep
    share = (p.quantity * p.min_keep / quantity_after).quantize(
        Decimal("1e-24"), rounding=ROUND_CEILING)
    return min(ONE, share)


def _stable_asset_index(positions: Sequence[Position], asset: str) -> int | None:
    for i, p in enumerate(positions):
        if p.asset == asset and p.is_stable:
            return i
    return None


class _LotBook:
    """Step 14: each asset's lots, drawn on sale by sale in trade order."""

    def __init__(self, inputs: PlanInputs, positions: Sequence[Position]):
        self.settings = inputs.settings
        self.as_of = inputs.as_of
        self.issues: list[Issue] = []
        self.given: dict[str, list[Lot]] = {}
        for lot in inputs.lots:
            self.given.setdefault(lot.asset, []).append(lot)
        self.positions = positions
        self.open: dict[str, tuple[Lot, ...]] = {}
        self._by_asset: dict[str, list[Position]] | None = None

    def _positions_of(self, asset: str) -> list[Position]:
        if self._by_asset is None:
            self._by_asset = {}
            for p in self.positions:
                self._by_asset.setdefault(p.asset, []).append(p)
        return self._by_asset.get(asset, [])

    def _lots_of(self, asset: str) -> tuple[Lot, ...]:
        if asset in self.open:
            return self.open[asset]
        held = self._positions_of(asset)
        if asset in self.given:
            lots = tuple(self.given[asset])
            total = sum((lot.quantity for lot in lots), ZERO)
            holding = sum((p.quantity for p in held), ZERO)
            if abs(total - holding) > holding * LOT_TOLERANCE:
                where = held[0].location if held else "Lots"
                self.issues.append(Issue(where, (
                    f"The lots of {asset} sum to {fmt_qty(total)} but Holdings hold "
                    f"{fmt_qty(holding)} (gap {fmt_qty(holding - total)}): quantity beyond the "
                    "lots is matched at the position's average cost."), "warning"))
        else:
            lots = tuple(Lot(asset, p.quantity, p.avg_cost, None, p.location)
                         for p in held if p.avg_cost is not None and p.quantity > 0)
        self.open[asset] = lots
        return lots

    def sell(self, p: Position, quantity: Decimal, unit_proceeds: Decimal
             ) -> tuple[tuple[RealizedLot, ...], Decimal | None]:
        lots = self._lots_of(p.asset)
        available = lots[0].quantity if len(lots) == 1 else sum(
            (lot.quantity for lot in lots), ZERO)
        from_lots = min(quantity, available)
        matched: tuple = ()
        if from_lots > 0 and len(lots) == 1:
            # one lot: every method takes from it alike (match_sale's answer, without a sort)
            lot = lots[0]
            matched = ((lot, from_lots),)
            left = lot.quantity - from_lots
            self.open[p.asset] = (Lot(lot.asset, left, lot.unit_cost, lot.acquired,
                                      lot.location),) if left > 0 else ()
        elif from_lots > 0:
            matched, rest = lotbook.match_sale(lots, from_lots, self.settings.lot_method)
            self.open[p.asset] = rest
        extra = quantity - from_lots
        if extra > 0:
            if p.avg_cost is None:
                realized = lotbook.realize(matched, asset=p.asset, venue=p.venue,
                                           unit_proceeds=unit_proceeds, as_of=self.as_of,
                                           long_term_days=self.settings.long_term_days)
                return realized, None
            matched = (*matched, (Lot(p.asset, extra, p.avg_cost, None, p.location), extra))
        if not matched:
            return (), None
        realized = lotbook.realize(matched, asset=p.asset, venue=p.venue,
                                   unit_proceeds=unit_proceeds, as_of=self.as_of,
                                   long_term_days=self.settings.long_term_days)
        return realized, sum((r.gain for r in realized), ZERO)


def make_plan(inputs: PlanInputs) -> Plan:
    """Run SPEC 4 steps 1–14 on ``inputs`` and return the plan."""
    s: Settings = inputs.settings
    positions = inputs.positions
    futures = inputs.futures
    warnings: list[Issue] = []
    trades: list[Trade] = []

    # 1. Valuation, 2. Targets.
    before = value_portfolio(positions, futures, s.futures_free_collateral)
    total = before.total
    tg = targets(total, s)

    # 3. Tier sales, 4. Allocation sales.
    tier, issues = tier_sales(positions, s, inputs.tiers)
    warnings += issues
    remaining = [p.quantity for p in positions]
    for sale in tier:
        remaining[sale.index] -= sale.quantity
    allocation, issues = allocation_sales(positions, remaining, s, tg.spot, tg.band)
    warnings += issues
    for sale in allocation:
        remaining[sale.index] -= sale.quantity
    sales: tuple[Sale, ...] = tier + allocation

    # 5. Proceeds to the Stable Asset; 14. lots matched sale by sale.
    book = _LotBook(inputs, positions)
    realized: list[RealizedLot] = []
    spot_fees = slippage = received = ZERO
    for sale in sales:
        p = positions[sale.index]
        pr = proceeds(sale, s)
        spot_fees += pr.fee
        slippage += pr.slippage
        received += pr.net
        lines, gain = book.sell(p, sale.quantity, pr.net / sale.quantity)
        realized += lines
        trades.append(Trade(len(trades) + 1, sale.step, p.venue, p.asset, "sell", sale.quantity,
                            pr.exec_price, pr.notional, pr.fee, gain, sale.reason))
    warnings += book.issues

    after: list[Position] = list(positions)
    for i, p in enumerate(positions):
        if remaining[i] != p.quantity:
            q = remaining[i]
            after[i] = Position(p.asset, q, p.price, p.avg_cost, p.category, p.protect,
                                _restated_min_keep(p, q), p.q0, p.beta, p.venue, p.lot_step,
                                p.location)
    stable_index = _stable_asset_index(positions, s.stable_asset)
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
    rate = s.fee_bps / Decimal(10_000)
    reserve = target.margin_and_fee(target.quantity, rate) if target is not None else ZERO

    # 7. Sleeve funding.
    wallet = free + sum((value_futures(f).equity for f in futures_after), ZERO)
    in_use = sum((f.margin for f in futures_after if f.size > 0), ZERO)
    stable_rows = [(stable_index, after[stable_index], after[stable_index].quantity)]
    others = sorted(((i, p) for i, p in enumerate(after) if p.is_stable and i != stable_index
                     and p.quantity > 0), key=lambda ip: (-ip[1].quantity * ip[1].price,
                                                         ip[1].asset, ip[0]))
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
        trades.append(Trade(len(trades) + 1, "transfer", p.venue, instrument, "transfer", abs(t.amount), ONE,
                            abs(t.amount), ZERO, None, (
                                f"Sleeve funding ({s.sleeve_funding}): {why} the futures "
                                f"wallet's goal {fmt_money(goal)} (wallet equity "
                                f"{fmt_money(wallet)}).")))

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
    exposure_before = exposure(positions, futures, before.wallet, total, weighting)
    exposure_after = exposure(positions_after, futures_after_t, end.wallet, total_after,
                              weighting)
    stress = stress_table(s.stress_shocks, (positions, futures),
                          (positions_after, futures_after_t), betas)

    # 12. Signals and status.
    sig, status = signals(
        risk_after=end.risk_spot, stable_after=end.stable, spot_target=tg.spot,
        stable_target=tg.stable, band=tg.band, positions_after=positions_after, settings=s,
        prices=inputs.prices, as_of=inputs.as_of)

    # 13. Ladder.
    floors = [floor_quantity(p) for p in positions] + [ZERO] * (len(after) - len(positions))
    rungs = ladder(positions_after, floors, s, inputs.tiers)

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
        warnings=tuple(warnings), fingerprint=inputs_fingerprint(inputs),
    )
