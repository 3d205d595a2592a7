"""Plans for the writer tests: the SPEC 7 case study through the real calculator, and typed in
by hand from SPEC section 7 (never taken from our own code's output).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal as d

from conftest import AS_OF, case_study_inputs

from derisk_xl.core.issues import Issue
from derisk_xl.core.model import (
    Bucket, Carry, Exposure, Hedge, Plan, Signal, StressRow, TaxEstimate, Trade,
)
from derisk_xl.core.plan import make_plan


def hand_case_study() -> Plan:
    """SPEC 7 as a Plan record, figures copied from the SPEC."""
    s = case_study_inputs().settings
    alt_q = d("635.4166666666666666666666667")
    trades = (
        Trade(1, "tier", "", "ALT", "sell", d(500), d(12), d(6000), d(0), d(4500), "tier 4×"),
        Trade(2, "tier", "", "ETH", "sell", d("0.625"), d(3000), d(1875), d(0), d(1125), "tier 2×"),
        Trade(3, "allocation", "", "ALT", "sell", alt_q - 500, d(12), d(1625), d(0), d("1218.75"),
              "excess 1,625 over 14,000"),
        Trade(4, "transfer", "", "USDC → futures wallet", "transfer", d(7000), d(1), d(7000), d(0),
              None, "sleeve 20 %"),
        Trade(5, "hedge", "", "BTCUSDT-PERP", "short", d("0.069"), d(40200), d("2773.80"), d(0),
              None, "20 % of 14,000"),
    )
    hedge = Hedge(
        instrument="BTCUSDT-PERP", underlying="BTC", sizing="notional", exposure=d(14000),
        hedge_ratio=d("0.2"), h_star=None, target_notional=d(2800),
        existing_short_notional=d(0), notional=d("2773.80"), quantity=d("0.069"),
        price=d(40200), spot_price=d(40000), contract_size=d(1), leverage=d(3),
        margin=d("924.60"), maint_rate=d("0.005"), liquidation_price=d("53333.33"),
        liquidation_model="binance",
        carry=Carry("funding", d(200), d("0.005"), d("0.1095"), 30, d("24.96")),
    )
    return Plan(
        as_of=AS_OF, settings=s, total_before=d(35000), total_after=d(35000),
        buckets=(Bucket("spot", d(23500), d(14000), d(14000)),
                 Bucket("stable", d(11500), d(14000), d(14000)),
                 Bucket("futures", d(0), d(7000), d(7000))),
        trades=trades, futures=(), hedge=hedge,
        exposure_before=Exposure(d(23500), d(23500) / d(35000), d(23500), d(23500) / d(35000),
                                 None),
        exposure_after=Exposure(d("11226.20"), d("11226.20") / d(35000), d("16773.80"),
                                d("16773.80") / d(35000), None),
        stress=tuple(StressRow(x, b, a) for x, b, a in (
            (d("-0.1"), d(-2350), d("-1122.62")), (d("-0.2"), d(-4700), d("-2245.24")),
            (d("-0.3"), d(-7050), d("-3367.86")), (d("-0.5"), d(-11750), d("-5613.10")),
            (d("0.2"), d(4700), d("2245.24")))),
        signals=(Signal("target reached", True, "risk spot at target"),
                 Signal("extreme greed", False, "no Fear Greed Index")),
        status="complete", ladder=(), realized=(),
        tax=TaxEstimate(d(0), d(0), d("6843.75"), None), realized_gain=d("6843.75"),
        fees=d(0), slippage=d(0), positions_after=(), futures_after=(),
        warnings=(Issue("Settings", "a warning & <an angle>", "warning"),),
        fingerprint="f" * 64,
    )


def case_study_plan() -> Plan:
    """The case study as core plans it (``hand_case_study`` is the SPEC's figures typed in)."""
    return make_plan(case_study_inputs())


def with_fingerprint(plan: Plan, fingerprint: str) -> Plan:
    return dataclasses.replace(plan, fingerprint=fingerprint)
