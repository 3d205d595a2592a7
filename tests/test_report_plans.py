"""Plans for the report tests: the SPEC 7 case study through the real calculator when it is
there, else written out by hand from SPEC 7; plus a long plan and a hostile one.

Hand-built records use the figures printed in SPEC section 7 only (never output of our code).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal as d

from conftest import AS_OF, case_study_inputs

from derisk_xl.core.issues import Issue
from derisk_xl.core.model import (
    Bucket, Carry, Exposure, Hedge, Plan, Position, Settings, Signal, StressRow, TaxEstimate, Trade,
)


def have_make_plan() -> bool:
    try:
        from derisk_xl.core.plan import make_plan  # noqa: F401
    except ImportError:
        return False
    return True


def hand_case_study() -> Plan:
    """SPEC 7 as a Plan, typed in from the SPEC."""
    s = case_study_inputs().settings
    alt_q = d("635.4166666666666666666666667")
    trades = (
        Trade(1, "tier", "", "ALT", "sell", d(500), d(12), d(6000), d(0), d(4500),
              "ALT is at 4.00× its cost: tiers 2× and 4× are due, 50 % of the original quantity."),
        Trade(2, "tier", "", "ETH", "sell", d("0.625"), d(3000), d(1875), d(0), d(1125),
              "ETH is at 2.50× its cost: tier 2× is due, 25 % of the original quantity."),
        Trade(3, "allocation", "", "ALT", "sell", alt_q - 500, d(12), d(1625), d(0), d("1218.75"),
              "Risk spot 15,625 is 1,625 above its target 14,000: sold from the highest multiple."),
        Trade(4, "transfer", "", "USDC → futures wallet", "transfer", d(7000), d(1), d(7000), d(0),
              None, "Funds the futures wallet to its 20 % sleeve."),
        Trade(5, "hedge", "", "BTCUSDT-PERP", "short", d("0.069"), d(40200), d("2773.80"), d(0),
              None, "Shorts 20 % of the 14,000 of risk kept."),
    )
    hedge = Hedge(
        instrument="BTCUSDT-PERP", underlying="BTC", sizing="notional", exposure=d(14000),
        hedge_ratio=d("0.2"), h_star=None, target_notional=d(2800),
        existing_short_notional=d(0), notional=d("2773.80"), quantity=d("0.069"),
        price=d(40200), spot_price=d(40000), contract_size=d(1), leverage=d(3),
        margin=d("924.60"), maint_rate=d("0.005"), liquidation_price=d("53333.33"),
        liquidation_model="binance",
        carry=Carry("funding", d(200), d("0.005"), d("0.1095"), 30, d("24.9624")),
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
                                d("16773.80") / d(35000), d("0.3963")),
        stress=tuple(
            StressRow(x, b, a) for x, b, a in (
                (d("-0.1"), d(-2350), d("-1122.62")), (d("-0.2"), d(-4700), d("-2245.24")),
                (d("-0.3"), d(-7050), d("-3367.86")), (d("-0.5"), d(-11750), d("-5613.10")),
                (d("0.2"), d(4700), d("2245.24")))),
        signals=(Signal("target reached", True, "Risk spot 14,000 is within 1 % of its target."),
                 Signal("nothing left to sell", False, "ETH and ALT still hold sellable units."),
                 Signal("momentum exhaustion", False, "No price history in the workbook."),
                 Signal("extreme greed", False, "No Fear Greed Index given.")),
        status="complete", ladder=(), realized=(),
        tax=TaxEstimate(d(0), d(0), d("6843.75"), None), realized_gain=d("6843.75"),
        fees=d(0), slippage=d(0), positions_after=(), futures_after=(),
        warnings=(Issue("Settings", "Hedge Price given; spot used for the basis.", "warning"),),
    )


def case_study_plan() -> Plan:
    if have_make_plan():
        from derisk_xl.core.plan import make_plan

        return make_plan(case_study_inputs())
    return hand_case_study()


def long_plan(n: int = 60) -> Plan:
    """Many alt positions, each due a tier sale, so Trades runs over several pages."""
    base = case_study_inputs()
    extra = tuple(
        Position(f"COIN{i:02d}", d(1000 + i), d(5), d(2), "alt", venue=f"Venue {i % 3}",
                 location=f"Holdings!A{6 + i}")
        for i in range(n)
    )
    inputs = dataclasses.replace(base, positions=base.positions + extra)
    if have_make_plan():
        from derisk_xl.core.plan import make_plan

        return make_plan(inputs)
    plan = hand_case_study()
    trades = tuple(
        Trade(i + 1, "tier", p.venue, p.asset, "sell", p.quantity / 4, p.price,
              p.quantity / 4 * p.price, d(0), p.quantity / 4 * 3,
              f"{p.asset} is at 2.50× its cost: tier 2× is due.")
        for i, p in enumerate(extra)
    )
    return dataclasses.replace(plan, trades=trades)


HOSTILE_ASSET = '<img src="file:///etc/passwd">'
HOSTILE_CLIENT = 'Evil url(http://127.0.0.1:9/x) </style><style>body{display:none}'


def hostile_plan() -> Plan:
    """Workbook text that would fetch or restyle if it were not escaped."""
    base = case_study_inputs()
    s: Settings = dataclasses.replace(base.settings, client=HOSTILE_CLIENT,
                                      report_title='<b>Title</b> url("file:///etc/hostname")')
    positions = base.positions + (
        Position(HOSTILE_ASSET, d(100), d(20), d(2), "alt", venue="<script>x</script>",
                 location="Holdings!A6"),
    )
    inputs = dataclasses.replace(base, positions=positions, settings=s)
    if have_make_plan():
        from derisk_xl.core.plan import make_plan

        return make_plan(inputs)
    plan = hand_case_study()
    extra = Trade(6, "tier", "<script>x</script>", HOSTILE_ASSET, "sell", d(50), d(20), d(1000),
                  d(0), d(900), f"{HOSTILE_ASSET} is at 10.00× its cost.")
    return dataclasses.replace(
        plan, settings=s, trades=plan.trades + (extra,),
        warnings=plan.warnings + (Issue("Holdings!A6", f"odd name {HOSTILE_ASSET}", "warning"),),
    )
