"""SPEC 4 steps 1–2: what everything is worth now, and what each bucket should be worth.

Rules (SPEC 4.1):
- Spot: value = q·p, cost = q·avg_cost, multiple = p/avg_cost (unknown without a cost).
- Linear futures: notional = size·mark, uPnL = side·size·(mark − entry).
- Inverse futures (N contracts of value V): notional = N·V; uPnL in coin =
  side·N·V·(1/entry − 1/mark), in the base currency × mark.
- Margin is in the base currency (SPEC 3.2). A linear position's margin is that cash. An
  inverse (coin-margined) position holds its margin in coin, bought at the opening:
  coin margin = margin / entry. Its equity is the exchange's view, (coin margin + coin uPnL) ·
  mark, so the collateral itself moves with the price (:func:`margin_value`).
- equity = margin value + uPnL; effective leverage = notional / equity, None when equity ≤ 0
  (the position is beyond liquidation: no finite leverage describes it).
- Delta (:func:`futures_delta`), the base-currency P&L of a relative move x of the underlying
  divided by x: linear side·size·mark = side·notional; inverse (coin margin + side·N·V/entry)·
  mark, since equity = coin margin·P + side·N·V·(P/entry − 1) is linear in the price P. Stress
  and net exposure use it, so a coin-margined long counts its coin collateral too.
- Maint Amount of an inverse position is taken **in coin**, the unit in which the exchanges
  publish it for coin-margined tiers (Binance COIN-M ``cum``, Bybit inverse MM deduction).
- The futures wallet = Futures Free Collateral + Σ equity of the positions.
- T = Σ spot values (stable included) + wallet equity.

Buckets: *spot* is risk spot (every non-stable position, protected ones included), *stable*
is every stable position, *futures* is the wallet equity. Targets (step 2): S* = spot%·T,
C* = stable%·T, F* = sleeve%·T.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from .model import FuturesPosition, Position, Settings
from .money import ZERO, in_units


@dataclass(frozen=True, slots=True)
class FuturesValue:
    """A futures position valued at its mark, in the base currency."""

    notional: Decimal
    upnl: Decimal
    equity: Decimal
    leverage: Decimal | None


def futures_notional(f: FuturesPosition) -> Decimal:
    if f.contract_type == "inverse":
        return f.size * f.contract_value
    return f.size * f.mark_price


def futures_upnl(f: FuturesPosition) -> Decimal:
    if f.contract_type == "inverse":
        coin = f.sign * f.size * f.contract_value * (1 / f.entry_price - 1 / f.mark_price)
        return coin * f.mark_price
    return f.sign * f.size * (f.mark_price - f.entry_price)


def coin_margin(f: FuturesPosition) -> Decimal:
    """An inverse position's margin in coin: the base-currency margin bought at the entry."""
    return f.margin / f.entry_price


def margin_value(f: FuturesPosition) -> Decimal:
    """The margin's value now, in the base currency: linear, the margin itself; inverse, the
    coin margin at the mark (margin · mark / entry)."""
    if f.contract_type == "inverse":
        return f.margin * f.mark_price / f.entry_price
    return f.margin


def futures_delta(f: FuturesPosition) -> Decimal:
    """Base-currency P&L per unit of relative move of the underlying (see the module notes)."""
    if f.contract_type == "inverse":
        return margin_value(f) + f.sign * f.size * f.contract_value * f.mark_price / f.entry_price
    return f.sign * futures_notional(f)


def value_futures(f: FuturesPosition) -> FuturesValue:
    notional = futures_notional(f)
    upnl = futures_upnl(f)
    equity = margin_value(f) + upnl
    leverage = notional / equity if equity > 0 else None
    return FuturesValue(notional, upnl, equity, leverage)


@dataclass(frozen=True, slots=True)
class Valuation:
    """The portfolio at one moment: the three buckets and T."""

    risk_spot: Decimal
    stable: Decimal
    wallet: Decimal

    @property
    def total(self) -> Decimal:
        return self.risk_spot + self.stable + self.wallet


def value_portfolio(
    positions: Iterable[Position], futures: Iterable[FuturesPosition], free_collateral: Decimal
) -> Valuation:
    risk = ZERO
    stable = ZERO
    for p in positions:
        if p.category == "stable":             # is_stable, inlined: once per position
            stable += p.quantity * p.price
        else:
            risk += p.quantity * p.price
    wallet = free_collateral + sum((value_futures(f).equity for f in futures), ZERO)
    return Valuation(risk, stable, wallet)


@dataclass(frozen=True, slots=True)
class Targets:
    """S*, C*, F* and the rebalance band, all in the base currency."""

    spot: Decimal
    stable: Decimal
    futures: Decimal
    band: Decimal


def targets(total: Decimal, settings: Settings) -> Targets:
    return Targets(
        spot=settings.spot_target * total,
        stable=settings.stable_target * total,
        futures=settings.futures_sleeve * total,
        band=settings.rebalance_band * total,
    )


def spot_price_of(asset: str, positions: Sequence[Position],
                  futures: Sequence[FuturesPosition] = ()) -> Decimal | None:
    """The spot price of ``asset``: its first Holdings row, else a futures row's Underlying Price."""
    for p in positions:
        if p.asset == asset:
            return p.price
    for f in futures:
        if f.underlying == asset and f.underlying_price is not None:
            return f.underlying_price
    return None


def fmt_money(x: Decimal, currency: str = "USD") -> str:
    """Money as reasons and warnings write it: in the currency's minor unit (cents, whole yen,
    satoshis) with thousands separators."""
    return f"{in_units(x, currency):,f}"


def _stripped(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_qty(x: Decimal) -> str:
    """A quantity for a sentence: thousands separators, at most 8 decimals (a satoshi), no
    trailing zeros: ``1,000``, ``0.625``, ``135.41666667``."""
    return _stripped(f"{x:,.8f}")


def fmt_multiple(m: Decimal) -> str:
    """A multiple or a leverage for a sentence: at most 2 decimals and the sign ×, e.g.
    ``2.57×``, ``3×``."""
    return _stripped(f"{m:,.2f}") + "×"


def fmt_pct(fraction: Decimal) -> str:
    """A fraction as percent points for a sentence: at most 2 decimals, e.g. ``25``,
    ``33.33`` (the caller writes the ``%``)."""
    return _stripped(f"{fraction * 100:,.2f}")
