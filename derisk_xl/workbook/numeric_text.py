"""Numbers that users store as text (SPEC 3.9 item 5): ``'3431000.0'``, ``$1,234.56``.

A leaf module (it imports nothing of ours) so that every part of the reader, the cell scan's
look at a sheet included, reads numeric text the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal

_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_UNITS = re.compile(r"^(?:[$€£₹¥₿]|[A-Z]{3,4}\b)\s*|\s*(?:[$€£₹¥₿]|\b[A-Z]{3,4})$")
AMBIGUOUS = object()  # text such as "1,5": a decimal comma or a thousands separator?


def text_number(text: str) -> Decimal | None | object:
    """The number a text unambiguously is (SPEC 3.9 item 5): ``'3431000.0'``, ``$1,234.56``,
    ``1 234``, ``INR 12``; :data:`AMBIGUOUS` for a comma that may be a decimal comma; else None."""
    s = _UNITS.sub("", text.strip().replace("\u00a0", " ").replace("\u202f", " ")).strip()
    if re.fullmatch(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?", s):
        s = s.replace(" ", "")
    if _GROUPED.match(s):
        s = s.replace(",", "")
    elif "," in s and re.fullmatch(r"[+-]?[\d,]+(?:\.\d+)?", s):
        return AMBIGUOUS
    if not _PLAIN.match(s):
        return None
    try:
        x = Decimal(s)
    except ArithmeticError:
        return None
    if not x.is_finite():
        return None
    return Decimal(int(x)) if x == x.to_integral_value() and x.copy_abs() < Decimal(10) ** 18 \
        else x  # copy_abs: abs() of 1e999999999 would overflow the context


__all__ = ["AMBIGUOUS", "text_number"]
