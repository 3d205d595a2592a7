"""Reading hand-made workbooks in the reader's tests: the read, and what it said."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from derisk_xl.workbook.reader import read_workbook

TODAY = dt.date(2026, 11, 28)


def read(path, holdings=None, columns=()):
    return read_workbook(path, as_of=None, today=TODAY, holdings=holdings, columns=columns)


def errs(result) -> dict[str, str]:
    return {i.location: i.message for i in result.issues if i.severity == "error"}


def warns(result) -> list[str]:
    return [str(i) for i in result.issues if i.severity == "warning"]


def held(result) -> list[tuple[str, Decimal, Decimal]]:
    assert errs(result) == {}, result.issues
    return [(p.asset, p.quantity, p.price) for p in result.inputs.positions]
