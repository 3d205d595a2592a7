"""Money is Decimal, made in one place.

Floats from a spreadsheet are converted through ``str`` so that ``0.1`` stays ``0.1``; they
never enter the core as binary fractions. Rounding happens only where the SPEC rounds: to the
base currency's minor unit where an amount is shown (SPEC 3.10: cents, whole yen, satoshis),
to the cent for reconciliation, down to a lot step for quantities.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from .currencies import minor_unit

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
BPS = Decimal(10_000)
HUNDRED = Decimal(100)

#: Relative tolerance for "the lots sum to the holding" (SPEC 3.6).
LOT_TOLERANCE = Decimal("1e-9")


def D(value: object) -> Decimal:
    """Any number a workbook or caller gives, as an exact Decimal (floats via ``str``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return Decimal(value.strip().replace(",", ""))
    raise TypeError(f"not a number: {value!r}")


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent: the precision of reports and of reconciliation."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def in_units(value: Decimal, currency: str) -> Decimal:
    """Round half up to ``currency``'s minor unit, as the amount is shown: ``1250`` yen,
    ``35000.00`` dollars, ``0.00891400`` BTC (SPEC 3.10). Never a negative zero."""
    with localcontext() as ctx:  # room for every digit of the largest admitted figure
        ctx.prec = 80
        value = value.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
    return value if value else abs(value)


def round_down(quantity: Decimal, step: Decimal | None) -> Decimal:
    """Round a quantity down to a multiple of ``step`` (no step: unchanged)."""
    if step is None or step <= 0:
        return quantity
    with localcontext() as ctx:
        ctx.rounding = ROUND_DOWN
        return (quantity / step).to_integral_value(rounding=ROUND_DOWN) * step


def pct(part: Decimal, whole: Decimal) -> Decimal:
    """``part / whole`` as a fraction, zero when the whole is zero."""
    return part / whole if whole else ZERO
