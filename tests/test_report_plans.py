"""Plans for the report tests, all made by the real calculator from inputs written here:
the SPEC 7 case study, a long plan (~60 trades) and one full of hostile workbook text."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as d

from conftest import case_study_inputs

from derisk_xl.core.model import Plan, Position
from derisk_xl.core.plan import make_plan

HOSTILE_ASSET = '<img src="file:///etc/passwd">'
HOSTILE_CLIENT = 'Evil url(http://127.0.0.1:9/x) </style><style>body{display:none}'
HOSTILE_TITLE = '<b>Plan</b> url("file:///etc/hostname")'


def case_study_plan() -> Plan:
    return make_plan(case_study_inputs())


def long_plan(n: int = 60) -> Plan:
    """The case study plus ``n`` alt positions at 2.5× their cost, each due a tier sale."""
    base = case_study_inputs()
    extra = tuple(
        Position(f"COIN{i:02d}", d(1000 + i), d(5), d(2), "alt", venue=f"Venue {i % 3}",
                 location=f"Holdings!A{6 + i}")
        for i in range(n)
    )
    return make_plan(dataclasses.replace(base, positions=base.positions + extra))


def hostile_plan() -> Plan:
    """Workbook text that would fetch or restyle if it reached HTML or CSS unescaped."""
    base = case_study_inputs()
    settings = dataclasses.replace(base.settings, client=HOSTILE_CLIENT,
                                   report_title=HOSTILE_TITLE)
    positions = base.positions + (
        Position(HOSTILE_ASSET, d(100), d(20), d(2), "alt", venue="<script>x()</script>",
                 location="Holdings!A6"),
    )
    return make_plan(dataclasses.replace(base, positions=positions, settings=settings))
