"""SPEC 4 steps 7–9: fund the futures sleeve, size and open the short hedge, and its carry.

Sleeve funding (step 7). Wallet equity = free collateral + Σ equity of the positions.
- ``target``: the wallet's goal is F*.
- ``needed``: the goal is margin needed × Collateral Buffer, capped at F*; margin needed is
  the margin of the positions kept after step 6 plus the margin (and fee) of the hedge the plan
  means to open.
A shortfall is transferred from stable (the Stable Asset first, then other stable positions by
larger value, then name), limited to the stable held, with a warning when stable runs short.
A surplus goes back to the Stable Asset, but only from free collateral, and never the collateral
the planned hedge needs: margin in use is never withdrawn. Transfers are whole cents, rounded
down; a transfer under Min Trade Value is not made.

Hedge sizing (step 8), a dispatch table :data:`SIZING`:
- ``notional``: X = Σ kept risk spot values; H = hedge ratio · X.
- ``beta``: X = Σ βᵢ·Vᵢ; H = hedge ratio · X.
- ``min-variance``: X as notional; H = hedge ratio · h* · X with h* = ρ·σ_S/σ_F
  (S = the kept risk basket weighted by value, F = the hedge underlying). Without h* (no Prices
  or < 30 returns) it falls back to notional with a warning. Kept assets with no Prices column
  are left out of h* (estimated on the rest) with a warning at ``Prices`` naming them.
Existing shorts on the hedge underlying (after step 6) count toward H: new short A = H − existing.
A ≤ 0 with existing > H is an over-hedge: warned, not traded (the plan never buys back).
Quantity = A / (hedge price · Hedge Contract Size), rounded down to Hedge Lot Step (contracts).
Margin = notional / hedge leverage (Hedge Leverage, capped at Max Leverage with a warning so the
new position respects the cap); margin plus the opening fee must fit the wallet's free
collateral, else the quantity shrinks to fit (rounded down) with a warning. A hedge worth less
than Min Trade Value is not opened.
Hedge price: Settings Hedge Price, else the underlying's spot with a warning (basis 0). Hedge
Price and Hedge Underlying Price are in the instrument's quote currency (USDT for
BTCUSDT-PERP); in a book kept in another currency (not USD for a USDT contract) they are
converted at the rate Settings.fx gives for that quote (FX USDT, else FX USD), and without one
the hedge is skipped with a warning (:func:`_quote_rate`). Spot for
the basis: Hedge Underlying Price, else the underlying's Holdings price, else a futures row's
Underlying Price, else the hedge price (warned). The new short is linear: size = quantity ·
contract size units of the underlying, entry = mark = hedge price; its liquidation price uses
Settings Liquidation Model and Maint Margin Rate %.
Carry (step 9) is :func:`carry.carry` on the hedge notional. An expired Hedge Expiry is warned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Callable, Mapping, Sequence

from .carry import carry
from .currencies import quote_of, tracks
from .exposure import Betas, weighted_spot
from .issues import Issue
from .liquidation import liquidation_price
from .model import (FuturesPosition, Hedge, HedgeSizing, Position, PriceHistory, Rate,
                    Settings, Trade)
from .money import BPS, CENT, ONE, ZERO, round_down
from .valuation import fmt_money, fmt_multiple, fmt_pct, fmt_qty, spot_price_of, value_futures


def _warn(location: str, message: str) -> Issue:
    return Issue(location, message, "warning")


# --------------------------------------------------------------------------------------------
# Sizing: methods as data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sized:
    """X and the multiplier on ratio·X (h* for min-variance, else 1)."""

    sizing: HedgeSizing
    exposure: Decimal
    h_star: float | None
    issues: tuple[Issue, ...] = ()

    @property
    def factor(self) -> Decimal:
        return ONE if self.h_star is None else Decimal(repr(self.h_star))


def _notional(kept: Sequence[Position], settings: Settings, betas: Betas,
              prices: PriceHistory | None) -> Sized:
    return Sized("notional", weighted_spot(kept, None), None)


def _beta(kept: Sequence[Position], settings: Settings, betas: Betas,
          prices: PriceHistory | None) -> Sized:
    return Sized("beta", weighted_spot(kept, betas), None, betas.fallback_issues(kept))


def _min_variance(kept: Sequence[Position], settings: Settings, betas: Betas,
                  prices: PriceHistory | None) -> Sized:
    x = weighted_spot(kept, None)
    mv = None
    if prices is not None:
        from .stats import min_variance_ratio

        weights: dict[str, float] = {}
        for p in kept:
            if not p.is_stable and p.quantity > 0:
                weights[p.asset] = weights.get(p.asset, 0.0) + float(p.quantity * p.price)
        if weights:
            mv = min_variance_ratio(weights, settings.hedge_underlying, prices)
    if mv is None:
        return Sized("notional", x, None, (_warn("Settings", (
            "Hedge Sizing is min-variance but Prices give no hedge ratio h* (needs ≥ 30 daily "
            f"returns of the kept assets and {settings.hedge_underlying}): sized on notional "
            "instead.")),))
    issues: tuple[Issue, ...] = ()
    if mv.left_out:
        named = ", ".join(mv.left_out[:10])
        more = f" and {len(mv.left_out) - 10} more" if len(mv.left_out) > 10 else ""
        issues = (_warn("Prices", (
            f"Kept assets with no column in Prices: {named}{more}. They are left out of the "
            f"minimum-variance ratio h* {mv.h_star:.4f}, which is estimated from the other kept "
            "assets and then applied to the whole kept exposure; add their closing prices to "
            "Prices to include them.")),)
    return Sized("min-variance", x, mv.h_star, issues)


SIZING: Mapping[HedgeSizing, Callable[..., Sized]] = {
    "notional": _notional,
    "beta": _beta,
    "min-variance": _min_variance,
}


# --------------------------------------------------------------------------------------------
# The target hedge (before margin is fitted)
# --------------------------------------------------------------------------------------------


def _quote_rate(settings: Settings) -> tuple[Rate | None, Issue | None]:
    """The rate that brings Hedge Price and Hedge Underlying Price, typed in the instrument's
    quote currency (USDT for BTCUSDT-PERP), into a book kept in another currency; without one
    the hedge is skipped with a warning saying how to give it. Priced at spot (no Hedge Price,
    no Hedge Underlying Price), the hedge is in the base currency already and needs none."""
    base = settings.base_currency
    quote = quote_of(settings.hedge_instrument, settings.hedge_underlying)
    typed = settings.hedge_price is not None or settings.hedge_underlying_price is not None
    if quote is None or not typed or tracks(quote) == tracks(base):
        return None, None
    rate = settings.rate_for(quote)
    if rate is not None:
        return rate, None
    return None, _warn("Settings", (
        f"Hedge Price is in {quote}, the quote of {settings.hedge_instrument}, but the book is "
        f"in {base} and no rate for {quote} is given: no hedge is planned. Give the rate as "
        f"Settings FX {quote} ({base} per {quote}) or a {quote} row on an FX sheet, or leave "
        "Hedge Price empty to price the hedge at the underlying's spot."))


@dataclass(frozen=True, slots=True)
class HedgeTarget:
    sized: Sized
    target: Decimal            # H
    existing: Decimal          # shorts already on the underlying
    wanted: Decimal            # A before rounding and margin fit (≥ 0)
    price: Decimal
    spot_price: Decimal
    leverage: Decimal
    quantity: Decimal          # contracts wanted, rounded down to the lot step

    contract_size: Decimal = ONE
    rate: Rate | None = None   # Hedge Price's quote currency → base, when they differ

    def margin_and_fee(self, quantity: Decimal, fee_rate: Decimal) -> Decimal:
        notional = quantity * self.price * self.contract_size
        return notional / self.leverage + fee_rate * notional


def hedge_target(
    kept: Sequence[Position],
    futures_after: Sequence[FuturesPosition],
    all_positions: Sequence[Position],
    settings: Settings,
    betas: Betas,
    prices: PriceHistory | None,
) -> tuple[HedgeTarget | None, tuple[Issue, ...]]:
    """H, A and the quantity wanted; None when no hedge is asked for or none can be priced."""
    ccy = settings.base_currency  # sentences write money in its own units
    if settings.hedge_ratio <= 0:
        return None, ()
    issues: list[Issue] = []
    u = settings.hedge_underlying
    rate, refused = _quote_rate(settings)
    if refused:
        return None, (refused,)
    given_spot, price = settings.hedge_underlying_price, settings.hedge_price
    if rate is not None:
        given_spot = rate.to_base(given_spot) if given_spot is not None else None
        price = rate.to_base(price) if price is not None else None
    spot = given_spot or spot_price_of(u, all_positions, futures_after)
    if price is None:
        if spot is None:
            return None, (_warn("Settings", (
                f"No price for the hedge: set Hedge Price (or hold {u} or give Hedge Underlying "
                "Price); no hedge is planned.")),)
        price = spot
        issues.append(_warn("Settings", (
            f"Hedge Price is not set: the hedge is priced at {u}'s spot {fmt_money(spot, ccy)}, "
            "so the basis is taken as 0.")))
    if spot is None:
        spot = price
        issues.append(_warn("Settings", (
            f"No spot price for {u} (not in Holdings, no Hedge Underlying Price): the basis is "
            "taken as 0.")))
    leverage = settings.effective_hedge_leverage
    if leverage > settings.max_leverage:
        issues.append(_warn("Settings", (
            f"Hedge Leverage {fmt_multiple(leverage)} is above Max Leverage "
            f"{fmt_multiple(settings.max_leverage)}: the hedge uses "
            f"{fmt_multiple(settings.max_leverage)}.")))
        leverage = settings.max_leverage
    if leverage <= 0:
        leverage = ONE
    sized = SIZING[settings.hedge_sizing](kept, settings, betas, prices)
    issues.extend(sized.issues)
    target = settings.hedge_ratio * sized.exposure * sized.factor
    existing = ZERO
    for f in futures_after:
        if f.side == "short" and f.underlying == u and f.size > 0:
            existing += value_futures(f).notional
    wanted = max(ZERO, target - existing)
    if existing > target:
        issues.append(_warn("Settings", (
            f"Existing shorts on {u} ({fmt_money(existing, ccy)}) exceed the hedge target H "
            f"{fmt_money(target, ccy)} by {fmt_money(existing - target, ccy)}: over-hedged; the "
            "plan opens no new short and does not buy any back.")))
    cs = settings.hedge_contract_size
    quantity = round_down(wanted / (price * cs), settings.hedge_lot_step) if wanted > 0 else ZERO
    return HedgeTarget(sized, target, existing, wanted, price, spot, leverage, quantity, cs,
                       rate), \
        tuple(issues)


# --------------------------------------------------------------------------------------------
# Sleeve funding
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transfer:
    """Money moved from a stable position (``index`` in the positions after the sales, the
    Stable Asset's row included even when the plan created it) to the wallet (positive
    amount), or back to it (negative)."""

    index: int
    amount: Decimal


def sleeve_transfers(
    stable: Sequence[tuple[int, Position, Decimal]],
    wallet_equity: Decimal,
    free_collateral: Decimal,
    margin_in_use: Decimal,
    hedge_reserve: Decimal,
    sleeve_target: Decimal,
    settings: Settings,
    stable_asset_index: int,
) -> tuple[tuple[Transfer, ...], Decimal, tuple[Issue, ...]]:
    """``stable``: (index, position, quantity now) of each stable position, Stable Asset first.

    Returns the transfers, the goal the wallet aimed at, and warnings.
    """
    ccy = settings.base_currency  # sentences write money in its own units
    if settings.sleeve_funding == "needed":
        goal = min(sleeve_target, (margin_in_use + hedge_reserve) * settings.collateral_buffer)
    else:
        goal = sleeve_target
    delta = goal - wallet_equity
    issues: list[Issue] = []
    out: list[Transfer] = []
    if delta > 0:
        need = delta.quantize(CENT, rounding=ROUND_DOWN)
        if need < settings.min_trade_value or need <= 0:
            return (), goal, ()
        available = sum((q * p.price for _, p, q in stable), ZERO)
        if available < need:
            issues.append(_warn("Settings", (
                f"The futures wallet needs {fmt_money(need, ccy)} to reach its goal "
                f"{fmt_money(goal, ccy)} but stable holds only {fmt_money(available, ccy)}: all "
                "of it is moved.")))
        for i, p, q in stable:
            if need <= 0:
                break
            value = q * p.price
            take = min(value, need)
            if take <= 0:
                continue
            out.append(Transfer(i, take))
            need -= take
    elif delta < 0:
        free = max(ZERO, free_collateral - hedge_reserve)
        back = min(-delta, free).quantize(CENT, rounding=ROUND_DOWN)
        if back >= settings.min_trade_value and back > 0:
            out.append(Transfer(stable_asset_index, -back))
    return tuple(out), goal, tuple(issues)


# --------------------------------------------------------------------------------------------
# Opening the hedge
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenedHedge:
    hedge: Hedge
    position: FuturesPosition | None
    trade: Trade | None
    fee: Decimal
    margin_and_fee: Decimal
    issues: tuple[Issue, ...]


def open_hedge(
    t: HedgeTarget, free_collateral: Decimal, settings: Settings, as_of: dt.date
) -> OpenedHedge:
    ccy = settings.base_currency  # sentences write money in its own units
    issues: list[Issue] = []
    rate = settings.fee_bps / BPS
    unit = t.price * t.contract_size
    quantity = t.quantity
    if quantity > 0 and t.margin_and_fee(quantity, rate) > free_collateral:
        fitted = round_down(max(ZERO, free_collateral) / (unit * (ONE / t.leverage + rate)),
                            settings.hedge_lot_step)
        issues.append(_warn("Settings", (
            f"The hedge needs margin {fmt_money(quantity * unit / t.leverage, ccy)} but the "
            f"wallet's free collateral is {fmt_money(free_collateral, ccy)}: the short is cut "
            f"from {fmt_qty(quantity)} to {fmt_qty(fitted)} contracts.")))
        quantity = fitted
    notional = quantity * unit
    if quantity > 0 and notional < settings.min_trade_value:
        issues.append(_warn("Settings", (
            f"The hedge of {fmt_money(notional, ccy)} is under Min Trade Value "
            f"{fmt_money(settings.min_trade_value, ccy)}: not opened.")))
        quantity = ZERO
        notional = ZERO
    elif t.wanted > 0 and quantity == 0 and not issues:
        issues.append(_warn("Settings", (
            f"The hedge wanted {fmt_money(t.wanted, ccy)} rounds down to 0 contracts at Hedge Lot "
            f"Step {fmt_qty(settings.hedge_lot_step)}: not opened.")))
    margin = notional / t.leverage
    fee = rate * notional
    expiry = settings.hedge_expiry
    if expiry is not None and expiry <= as_of:
        issues.append(_warn("Settings", (
            f"Hedge Expiry {expiry.isoformat()} is not after the as-of date "
            f"{as_of.isoformat()}: the contract has expired; no basis is left to earn.")))
    position = trade = None
    liq = None
    c = None
    if quantity > 0:
        size = quantity * t.contract_size
        liq = liquidation_price(side="short", entry=t.price, size=size, margin=margin,
                                maint_rate=settings.maint_margin_rate,
                                model=settings.liquidation_model)
        position = FuturesPosition(
            symbol=settings.hedge_instrument, underlying=settings.hedge_underlying, side="short",
            size=size, entry_price=t.price, mark_price=t.price, margin=margin,
            leverage=t.leverage, maint_rate=settings.maint_margin_rate, expiry=expiry,
            funding_rate_8h=settings.hedge_funding_rate_8h, underlying_price=t.spot_price,
            liquidation_model=settings.liquidation_model, location="Settings")
        c = carry(futures_price=t.price, spot_price=t.spot_price, notional=notional,
                  expiry=expiry, as_of=as_of, funding_rate_8h=settings.hedge_funding_rate_8h,
                  horizon_days=settings.horizon_days)
        how = {"notional": "kept risk spot", "beta": "β-weighted kept risk spot",
               "min-variance": f"kept risk spot × h* {t.sized.h_star:.4f}"
               if t.sized.h_star is not None else "kept risk spot"}[t.sized.sizing]
        trade = Trade(0, "hedge", "", settings.hedge_instrument, "short", quantity, t.price,
                      notional, fee, None, (
                          f"Hedge {fmt_pct(settings.hedge_ratio)} % of the "
                          f"{how} {fmt_money(t.sized.exposure, ccy)}: "
                          f"H = {fmt_money(t.target, ccy)}"
                          + (f" less existing shorts {fmt_money(t.existing, ccy)}"
                             if t.existing else "")
                          + f"; margin {fmt_money(margin, ccy)} at {fmt_multiple(t.leverage)}."))
    hedge = Hedge(
        instrument=settings.hedge_instrument, underlying=settings.hedge_underlying,
        sizing=t.sized.sizing, exposure=t.sized.exposure, hedge_ratio=settings.hedge_ratio,
        h_star=t.sized.h_star, target_notional=t.target, existing_short_notional=t.existing,
        notional=notional, quantity=quantity, price=t.price, spot_price=t.spot_price,
        contract_size=t.contract_size, leverage=t.leverage, margin=margin,
        maint_rate=settings.maint_margin_rate, liquidation_price=liq,
        liquidation_model=settings.liquidation_model, carry=c, rate=t.rate)
    return OpenedHedge(hedge, position, trade, fee, margin + fee, tuple(issues))
