"""A fingerprint of the inputs: the same inputs give the same hex digest in any process.

The inputs are turned into canonical JSON — records as objects tagged with their type and with
sorted keys, Decimals as normalized strings (so 1.0 and 1.00 are the same number), floats by
``repr``, dates in ISO form, mappings with sorted keys — and hashed with SHA-256. No ``hash()``,
no ``id()``, nothing that depends on the process or on the order of a dict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any, Mapping

from .model import PlanInputs


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        if value.is_nan():
            return "D:NaN"
        n = value.normalize()
        return "D:" + ("0" if n.is_zero() else str(n))
    if isinstance(value, float):
        return "F:" + repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return "T:" + value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@": type(value).__name__, **fields}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def inputs_fingerprint(inputs: PlanInputs) -> str:
    """SHA-256 hex of the canonical serialization of ``inputs``."""
    text = json.dumps(_canonical(inputs), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
