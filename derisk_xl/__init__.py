"""derisk_xl: a holdings workbook in, a written de-risking plan out.

The calculator is usable from Python without Excel::

    from derisk_xl import make_plan, PlanInputs, Position, Settings

The rest of the package (workbook, report, mail, batch, button) are adapters around it; heavy
libraries are imported only by the adapter that needs them, so importing this package is cheap.
"""

__version__ = "0.1.0"

from .core.model import (  # noqa: E402
    FuturesPosition,
    Lot,
    Plan,
    PlanInputs,
    Position,
    PriceHistory,
    Settings,
    Tier,
)


def make_plan(inputs: PlanInputs) -> Plan:
    """Run SPEC section 4 on ``inputs``; pure and deterministic."""
    from .core.plan import make_plan as _make_plan

    return _make_plan(inputs)


__all__ = [
    "FuturesPosition", "Lot", "Plan", "PlanInputs", "Position", "PriceHistory", "Settings", "Tier",
    "make_plan", "__version__",
]
