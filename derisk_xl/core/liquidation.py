"""Isolated-margin liquidation prices, as the exchanges publish them (SPEC 4 step 8).

Users hold our figure up against their exchange's screen, and the two big venues define the
same liquidation differently, so both definitions are implemented and picked by name:

- ``binance``: the maintenance margin is taken **at the liquidation price**
  (MM = notional at P · m − c).
- ``bybit``: the maintenance margin is taken **at the entry price** (MM = E·Q·m − c).

In both, the position is liquidated where its equity (isolated margin + unrealized PnL) falls to
that maintenance margin. ``c`` is the maintenance amount of the position's tier (Binance
``cum``, Bybit "MM deduction"); 0 unless given.

Linear (USDⓈ-margined), size Q in units of the underlying, entry E, margin M in currency, side
s = +1 long, −1 short. Equity at P is M + s·Q·(P − E).

- binance: M + s·Q·(P − E) = Q·P·m − c
  ⇒ P = (E·Q − s·(M + c)) / (Q·(1 − s·m)),
  i.e. long (E·Q − M − c)/(Q·(1 − m)), short (E·Q + M + c)/(Q·(1 + m)) — SPEC's formulas.
- bybit: M + s·Q·(P − E) = E·Q·m − c
  ⇒ P = E − s·(M − MM)/Q, i.e. long E − (M − MM)/Q, short E + (M − MM)/Q.

Inverse (coin-margined), N contracts of V USD each, so the position is worth N·V/P coin at
price P; margin M and maintenance amount c are **in coin**. Equity in coin at P is
M + s·N·V·(1/E − 1/P) (the uPnL of SPEC 4 step 1, in coin).

- binance: maintenance in coin at P is (N·V/P)·m − c. Setting equity equal to it:
  M + s·N·V/E − s·N·V/P = N·V·m/P − c
  ⇒ M + c + s·N·V/E = N·V·(s + m)/P
  ⇒ P = N·V·(s + m) / (M + c + s·N·V/E).
  Long: N·V·(1 + m)/(M + c + N·V/E), always positive (a coin-margined long loses without
  bound in coin as P → 0). Short: N·V·(1 − m)/(N·V/E − M − c), which has no positive solution
  when M + c ≥ N·V/E: a short margined with at least the coin it is short cannot be
  liquidated (its coin loss is capped at N·V/E as P → ∞).
- bybit: maintenance at entry, MM = (N·V/E)·m − c coin. Setting equity equal to it:
  s·N·V/P = s·N·V/E + (M − MM)  ⇒  P = N·V / (N·V/E + s·(M − MM)),
  which is Bybit's published "Contract Quantity / [Position Value ± (IM − MM)]".

A result ≤ 0 (or a non-positive denominator) means no price liquidates the position: the
function returns None. A positive price on the wrong side of the entry (margin already below
maintenance) is returned as it is: the position is liquidatable now, which the caller should
see. Prices are not rounded; round for display with :func:`derisk_xl.core.money.cents`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Literal, Mapping

from .model import ContractType, LiquidationModel, Side
from .money import ONE, ZERO

#: A liquidation formula: (s, E, size, M, m, c, V) → P or None. ``size`` is Q (linear) or N
#: (inverse); V is used by inverse formulas only.
Formula = Callable[[int, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal], "Decimal | None"]


def _positive(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator when both make a positive price, else None (no liquidation)."""
    if denominator <= 0:
        return None
    price = numerator / denominator
    return price if price > 0 else None


def _linear_binance(s: int, e: Decimal, q: Decimal, m_: Decimal, mmr: Decimal, c: Decimal,
                    v: Decimal) -> Decimal | None:
    return _positive(e * q - s * (m_ + c), q * (ONE - s * mmr))


def _linear_bybit(s: int, e: Decimal, q: Decimal, m_: Decimal, mmr: Decimal, c: Decimal,
                  v: Decimal) -> Decimal | None:
    maintenance = e * q * mmr - c
    price = e - s * (m_ - maintenance) / q
    return price if price > 0 else None


def _inverse_binance(s: int, e: Decimal, n: Decimal, m_: Decimal, mmr: Decimal, c: Decimal,
                     v: Decimal) -> Decimal | None:
    usd = n * v
    # P = N·V·(s + m) / (M + c + s·N·V/E), both sides multiplied by s so the denominator's sign
    # says whether a liquidation exists.
    return _positive(usd * (ONE + s * mmr), s * (m_ + c) + usd / e)


def _inverse_bybit(s: int, e: Decimal, n: Decimal, m_: Decimal, mmr: Decimal, c: Decimal,
                   v: Decimal) -> Decimal | None:
    usd = n * v
    maintenance = usd / e * mmr - c
    return _positive(usd, usd / e + s * (m_ - maintenance))


@dataclass(frozen=True, slots=True)
class LiquidationRule:
    """One exchange's definition of the liquidation price.

    Attributes:
      name: ``binance`` or ``bybit``.
      maintenance_at: where the maintenance margin is valued: at the liquidation price
        (binance) or at the entry price (bybit).
      linear, inverse: the closed-form price for each contract type (see the module docstring
        for the derivations).
    """

    name: LiquidationModel
    maintenance_at: Literal["liquidation price", "entry price"]
    linear: Formula
    inverse: Formula

    def formula(self, contract_type: ContractType) -> Formula:
        return self.inverse if contract_type == "inverse" else self.linear


#: The two models as data; :func:`liquidation_price` dispatches on the name.
LIQUIDATION_MODELS: Mapping[LiquidationModel, LiquidationRule] = {
    "binance": LiquidationRule("binance", "liquidation price", _linear_binance, _inverse_binance),
    "bybit": LiquidationRule("bybit", "entry price", _linear_bybit, _inverse_bybit),
}


def liquidation_price(
    *,
    side: Side,
    entry: Decimal,
    size: Decimal,
    margin: Decimal,
    maint_rate: Decimal,
    maint_amount: Decimal = ZERO,
    model: LiquidationModel = "binance",
    contract_type: ContractType = "linear",
    contract_value: Decimal = Decimal(100),
) -> Decimal | None:
    """The mark price at which an isolated position is liquidated, or None if none exists.

    ``size`` is units of the underlying (linear) or contracts of ``contract_value`` USD
    (inverse); ``margin`` and ``maint_amount`` are in the base currency (linear) or in coin
    (inverse); ``maint_rate`` is a fraction (0.005 = 0.5 %). An empty position (size, entry or
    contract value not positive) has no liquidation price.
    """
    if size <= 0 or entry <= 0 or (contract_type == "inverse" and contract_value <= 0):
        return None
    try:
        rule = LIQUIDATION_MODELS[model]
    except KeyError:
        raise ValueError(f"unknown liquidation model {model!r}: expected binance or bybit") from None
    s = 1 if side == "long" else -1
    return rule.formula(contract_type)(
        s, entry, size, margin, maint_rate, maint_amount, contract_value
    )


__all__ = ["LIQUIDATION_MODELS", "LiquidationRule", "liquidation_price"]
