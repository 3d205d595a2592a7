"""What holding the short hedge earns or costs over the horizon (SPEC 4 step 9, SPEC 8).

The article had the sign backwards; SPEC 8 corrects it and so do we. A **short** future sold at
a premium (F > S, contango) gains as it converges to spot at expiry, and on a perpetual the
shorts **receive** funding when the rate is positive. So ``amount > 0`` means the short earns,
``amount < 0`` that it costs (backwardation, negative funding).

- basis = F − S, basis % = F/S − 1 (both reported for perpetuals too).
- Dated contract, d = days from the as-of date to expiry: annualized = basis %·365/d; over the
  horizon h the short earns basis %·notional·min(h, d)/d (linear convergence, SPEC's formula:
  the basis % is applied to the hedge notional). Funding does not apply to a dated contract.
- Perpetual: annualized funding = rate₈ₕ·3·365; over h days the short earns rate₈ₕ·3·h·notional.

A dated contract that expires on the as-of date or has already expired has converged: nothing
is left to earn or pay, so annualized, amount and horizon are 0; ``days_to_expiry`` keeps the
real figure (0 or negative) so the caller can warn about a stale Hedge Expiry.
Amounts are exact Decimals; round for display with :func:`derisk_xl.core.money.cents`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .model import Carry
from .money import ZERO

DAYS_PER_YEAR = 365
FUNDINGS_PER_DAY = 3  # one funding every 8 hours


def carry(
    *,
    futures_price: Decimal,
    spot_price: Decimal,
    notional: Decimal,
    expiry: dt.date | None,
    as_of: dt.date,
    funding_rate_8h: Decimal,
    horizon_days: int,
) -> Carry:
    """Basis or funding carry of a short hedge of ``notional`` over ``horizon_days``.

    ``funding_rate_8h`` is a fraction per 8 hours (0.0001 = 0.01 %); it is ignored for a dated
    contract (``expiry`` set). Raises ValueError for a non-positive spot price or a negative
    horizon: those are program errors, the reader has already refused such inputs.
    """
    if spot_price <= 0:
        raise ValueError(f"spot price must be positive for the basis, got {spot_price}")
    if horizon_days < 0:
        raise ValueError(f"horizon must be zero or more days, got {horizon_days}")
    basis = futures_price - spot_price
    basis_pct = futures_price / spot_price - 1
    if expiry is None:
        per_day = funding_rate_8h * FUNDINGS_PER_DAY
        return Carry(
            kind="funding",
            basis=basis,
            basis_pct=basis_pct,
            annualized=per_day * DAYS_PER_YEAR,
            horizon_days=horizon_days,
            amount=per_day * horizon_days * notional,
        )
    days = (expiry - as_of).days
    if days <= 0:
        return Carry(kind="basis", basis=basis, basis_pct=basis_pct, annualized=ZERO,
                     horizon_days=0, amount=ZERO, days_to_expiry=days)
    held = min(horizon_days, days)
    return Carry(
        kind="basis",
        basis=basis,
        basis_pct=basis_pct,
        annualized=basis_pct * DAYS_PER_YEAR / days,
        horizon_days=held,
        amount=basis_pct * notional * held / days,
        days_to_expiry=days,
    )


__all__ = ["DAYS_PER_YEAR", "FUNDINGS_PER_DAY", "carry"]
