"""A fingerprint of the inputs: the same inputs give the same hex digest in any process.

Canonical form: for each kind of record (positions, settings, futures, tiers, lots) a header
naming the record and its fields, then one line per record, the ``repr`` of the tuple of its
field values in field order. ``repr`` of Decimals, dates, floats, strings, booleans and None
is exact and independent of the process (no ``hash()``, no ``id()``, no memory addresses);
Decimals are taken as written (``1.0`` and ``1.00`` differ): the reader makes the same Decimals
from the same workbook. Prices' closes, the one mapping, are taken in sorted order so the
column order of the sheet does not matter. The lines are fed to SHA-256 kind by kind, never
built into one string of the whole inputs: linear in the size of the inputs, so a batch can
fingerprint 100,000 positions cheaply to decide whether to re-plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from operator import attrgetter
from typing import Iterable, Iterator, Sequence

from .model import FuturesPosition, Lot, PlanInputs, Position, Settings, Tier


def _records(label: str, cls: type, records: Sequence[object]) -> Iterator[str]:
    names = tuple(f.name for f in fields(cls))
    yield f"{label}:{cls.__name__}{names!r}:{len(records)}\n"
    if not records:
        return
    get = attrgetter(*names)
    yield "\n".join(map(repr, map(get, records)))
    yield "\n"


def _chunks(inputs: PlanInputs) -> Iterator[str]:
    yield "derisk_xl inputs v2\n"
    yield from _records("positions", Position, inputs.positions)
    yield from _records("settings", Settings, (inputs.settings,))
    yield f"as_of:{inputs.as_of!r}\n"
    yield from _records("futures", FuturesPosition, inputs.futures)
    yield from _records("tiers", Tier, inputs.tiers)
    yield from _records("lots", Lot, inputs.lots)
    prices = inputs.prices
    if prices is None:
        yield "prices:None\n"
    else:
        yield f"prices:{prices.dates!r}\n"
        for asset in sorted(prices.closes, key=str):
            yield f"{str(asset)!r}:{tuple(prices.closes[asset])!r}\n"


def canonical_text(inputs: PlanInputs) -> str:
    """The canonical serialization that :func:`inputs_fingerprint` hashes (for inspection)."""
    return "".join(_chunks(inputs))


def _digest(chunks: Iterable[str]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk.encode("utf-8"))
    return h.hexdigest()


def inputs_fingerprint(inputs: PlanInputs) -> str:
    """SHA-256 hex of the canonical serialization of ``inputs``."""
    return _digest(_chunks(inputs))
