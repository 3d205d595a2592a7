"""Shared fixtures: the SPEC section 7 case study as calculator inputs, and paths."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from derisk_xl.core.model import PlanInputs, Position, Settings

# xlwings' remote engine (the Python half of xlwings Lite) lives in its dual-licensed pro
# package, which loads under the noncommercial license: for this test suite only, and before
# any test imports xlwings. The product never imports xlwings.pro.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
WORKBOOKS = ROOT / "workbooks"
AS_OF = dt.date(2026, 11, 28)


def case_study_inputs() -> PlanInputs:
    """SPEC 7: BTC 0.1 @ 40,000; ETH 2.5 @ 3,000 (1,200); ALT 1,000 @ 12 (3); USDC 11,500."""
    d = Decimal
    positions = (
        Position("BTC", d("0.1"), d(40000), d(40000), "alt", location="Holdings!A2"),
        Position("ETH", d("2.5"), d(3000), d(1200), "alt", location="Holdings!A3"),
        Position("ALT", d(1000), d(12), d(3), "alt", location="Holdings!A4"),
        Position("USDC", d(11500), d(1), d(1), "stable", location="Holdings!A5"),
    )
    settings = Settings.for_model(
        "Balanced De-Risk",
        fee_bps=d(0),
        hedge_price=d(40200),
        hedge_funding_rate_8h=d("0.0001"),
    )
    return PlanInputs(positions=positions, settings=settings, as_of=AS_OF)


@pytest.fixture
def case_study() -> PlanInputs:
    return case_study_inputs()


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the Excel-made corpus is not beside this clone ({CORPUS}); "
                    "these tests need ../shared/corpus")
    return CORPUS
