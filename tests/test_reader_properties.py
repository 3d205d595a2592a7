"""Properties of parse_inputs over grids built in memory (the pure half of the reader)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from derisk_xl.workbook.grid import SheetGrid, WorkbookGrid
from derisk_xl.workbook.reader import parse_inputs

TODAY = dt.date(2026, 11, 28)
assets = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=6)
quantities = st.decimals(min_value=0, max_value=10**8, places=6, allow_nan=False)  # × price ≤ 1e15: a position's value stays within the domain (README)
prices = st.decimals(min_value=Decimal("0.000001"), max_value=10**7, places=6,
                     allow_nan=False)


def spelling(draw, title: str) -> str:
    """The same column title as a user might type it: case, spaces, underscores, a %."""
    words = title.split()
    sep = draw(st.sampled_from([" ", "", "_", "  "]))
    text = sep.join(w.upper() if draw(st.booleans()) else w.lower() for w in words)
    return (" " if draw(st.booleans()) else "") + text + ("%" if title.endswith("%") else "")


@st.composite
def holdings(draw):
    rows = draw(st.lists(st.tuples(assets, quantities, prices), min_size=1, max_size=8))
    header = tuple(spelling(draw, t) for t in ("Asset", "Quantity", "Price"))
    return header, rows


@settings(max_examples=60, deadline=None)
@given(holdings())
def test_positions_read_back_whatever_the_header_spelling(case):
    header, rows = case
    grid = WorkbookGrid(sheets=(SheetGrid("holdings", rows=(header, *[
        (a.lower(), float(q), float(p)) for a, q, p in rows])),), sheet_names=("holdings",))
    result = parse_inputs(grid, as_of=None, today=TODAY)
    assert [i for i in result.issues if i.severity == "error"] == []
    got = [(p.asset, p.quantity, p.price, p.location) for p in result.inputs.positions]
    want = [(a, Decimal(repr(float(q))), Decimal(repr(float(p))), f"holdings!A{i + 2}")
            for i, (a, q, p) in enumerate(rows)]
    assert got == want


@settings(max_examples=80, deadline=None)
@given(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_the_three_percent_conventions_agree(points):
    """25 (points), 0.25 in a percent-formatted cell, and the text '25%' are the same."""
    head = ("Asset", "Quantity", "Price", "Min Keep %")
    rows = (head, ("A", 1, 1, float(points)), ("B", 1, 1, float(points) / 100),
            ("C", 1, 1, f"{points}%"), ("D", 1, 1, f"{points} %"))
    grid = WorkbookGrid(sheets=(SheetGrid("Holdings", rows=rows,
                                          number_formats={(2, 3): "0.00%"}),))
    result = parse_inputs(grid, as_of=None, today=TODAY)
    assert result.inputs is not None, result.issues
    keeps = [p.min_keep for p in result.inputs.positions]
    assert all(abs(k - points / 100) < Decimal("1e-12") for k in keeps), keeps
