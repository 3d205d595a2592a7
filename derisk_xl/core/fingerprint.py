"""A fingerprint of the inputs: the same inputs give the same hex digest in any process.

The inputs are written out by ``repr`` — which for these frozen records, Decimals, dates,
floats, strings, booleans and None is exact and independent of the process (no ``hash()``,
no ``id()``, no memory addresses) — with the one mapping, Prices' closes, in sorted order so
the column order of the sheet does not matter; then hashed with SHA-256. Decimals are taken as
written (``1.0`` and ``1.00`` differ): the reader makes the same Decimals from the same
workbook. Linear in the size of the inputs and fast (the generated record ``__repr__``s do the
work), so a batch can fingerprint 100,000 positions to decide whether to re-plan.
"""

from __future__ import annotations

import hashlib

from .model import PlanInputs


def canonical_text(inputs: PlanInputs) -> str:
    """The canonical serialization that :func:`inputs_fingerprint` hashes."""
    prices = inputs.prices
    if prices is None:
        prices_text = "None"
    else:
        closes = sorted((str(k), tuple(v)) for k, v in prices.closes.items())
        prices_text = f"PriceHistory(dates={prices.dates!r}, closes={closes!r})"
    return (
        f"PlanInputs(positions={inputs.positions!r}, settings={inputs.settings!r}, "
        f"as_of={inputs.as_of!r}, futures={inputs.futures!r}, tiers={inputs.tiers!r}, "
        f"lots={inputs.lots!r}, prices={prices_text})"
    )


def inputs_fingerprint(inputs: PlanInputs) -> str:
    """SHA-256 hex of the canonical serialization of ``inputs``."""
    return hashlib.sha256(canonical_text(inputs).encode("utf-8")).hexdigest()
