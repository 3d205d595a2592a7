"""SPEC 4 step 10: net and gross exposure, and the betas every risk figure uses.

Betas (SPEC 3.1, 3.7): a position's Beta column wins; else β from Prices versus the hedge
underlying (:func:`stats.beta`, ≥ 30 paired returns); else 1. The hedge underlying itself has
β = 1. Under ``beta`` hedge sizing a beta that falls back to 1 is warned (the hedge would be
sized on a guess); otherwise the fallback is silent, as the SPEC's default.

Exposure at one moment:
  net   = Σ w·V over risk spot + Σ side·w·notional over linear futures + Σ w·delta over
          inverse futures (delta = (coin margin + side·N·V/entry)·mark: a coin-margined
          position's coin collateral is exposure too; :func:`valuation.futures_delta`),
  gross = Σ V over risk spot + Σ |notional| over futures (size, never weighted),
with w = β under beta sizing and 1 otherwise (futures weighted by their underlying's β);
both also as a share of T (the T of that moment). Wallet leverage = Σ futures notional /
wallet equity, None without futures or when the wallet has no equity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

from .issues import Issue
from .model import Exposure, FuturesPosition, Position, PriceHistory
from .money import ONE, ZERO, pct
from .valuation import futures_delta, futures_notional


@dataclass(slots=True)
class Betas:
    """β per asset versus the hedge underlying, computed once per asset (never per row)."""

    underlying: str
    prices: PriceHistory | None
    _cache: dict[str, Decimal | None] = field(default_factory=dict)
    _of_asset: dict[str, Decimal] = field(default_factory=dict)
    _given: dict[float, Decimal] = field(default_factory=dict)

    def from_prices(self, asset: str) -> Decimal | None:
        """β from Prices, or None when Prices cannot give one."""
        if asset == self.underlying:
            return ONE
        if asset in self._cache:
            return self._cache[asset]
        value: Decimal | None = None
        if self.prices is not None and asset in self.prices.closes \
                and self.underlying in self.prices.closes:
            from .stats import beta

            b = beta(asset, self.underlying, self.prices)
            value = None if b is None else Decimal(repr(b))
        self._cache[asset] = value
        return value

    def of_asset(self, asset: str) -> Decimal:
        b = self._of_asset.get(asset)
        if b is None:
            found = self.from_prices(asset)
            b = self._of_asset[asset] = ONE if found is None else found
        return b

    def of_position(self, p: Position) -> Decimal:
        if p.beta is not None:
            b = self._given.get(p.beta)
            if b is None:
                b = self._given[p.beta] = Decimal(repr(p.beta))
            return b
        b = self._of_asset.get(p.asset)
        return self.of_asset(p.asset) if b is None else b

    def fallback_issues(self, positions: Iterable[Position]) -> tuple[Issue, ...]:
        """Warnings for risk positions whose β falls back to 1 (one per asset)."""
        seen: set[str] = set()
        out: list[Issue] = []
        for p in positions:
            if p.is_stable or p.beta is not None or p.asset in seen or p.quantity <= 0:
                continue
            seen.add(p.asset)
            if self.from_prices(p.asset) is None:
                out.append(Issue(p.location, (
                    f"{p.asset} has no Beta and Prices give none (needs ≥ 30 daily returns of "
                    f"{p.asset} and {self.underlying}): β = 1 is assumed."), "warning",
                    f"have no Beta and Prices give none (needs ≥ 30 daily returns of each and "
                    f"{self.underlying}): β = 1 is assumed."))
        return tuple(out)


def weighted_spot(positions: Iterable[Position], betas: Betas | None) -> Decimal:
    """Σ w·V over risk spot (w = β when ``betas`` is given, else 1)."""
    total = ZERO
    if betas is None:
        for p in positions:
            if p.category != "stable":           # is_stable, inlined: once per position
                total += p.quantity * p.price
        return total
    of_position = betas.of_position
    for p in positions:
        if p.category != "stable":
            total += of_position(p) * (p.quantity * p.price)
    return total


def exposure(
    positions: Sequence[Position],
    futures: Sequence[FuturesPosition],
    wallet_equity: Decimal,
    total: Decimal,
    betas: Betas | None,
    risk_spot: Decimal | None = None,
) -> Exposure:
    """``risk_spot``: Σ q·p over risk spot (the spot bucket), when the caller has it."""
    gross = weighted_spot(positions, None) if risk_spot is None else risk_spot
    net = gross if betas is None else weighted_spot(positions, betas)
    notional_sum = ZERO
    for f in futures:
        n = futures_notional(f)
        w = ONE if betas is None else betas.of_asset(f.underlying)
        net += w * futures_delta(f)                # linear: side·notional
        gross += n
        notional_sum += n
    leverage = notional_sum / wallet_equity if notional_sum and wallet_equity > 0 else None
    return Exposure(net, pct(net, total), gross, pct(gross, total), leverage)
