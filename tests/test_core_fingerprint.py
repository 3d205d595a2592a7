"""The inputs' fingerprint: same inputs, same digest in any process; any change, a new one."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import fields, replace
from decimal import Decimal

from derisk_xl.core.fingerprint import canonical_text, inputs_fingerprint
from derisk_xl.core.model import Position, PriceHistory
from derisk_xl.core.plan import make_plan

from conftest import ROOT, case_study_inputs

SCRIPT = ("import sys; sys.path.insert(0, 'tests'); from conftest import case_study_inputs; "
          "from derisk_xl.core.fingerprint import inputs_fingerprint; "
          "print(inputs_fingerprint(case_study_inputs()))")


def test_same_digest_in_other_processes_with_other_hash_seeds():
    mine = inputs_fingerprint(case_study_inputs())
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == mine


def test_any_change_changes_the_digest_and_the_plan_carries_it():
    base = case_study_inputs()
    eth = base.positions[1]
    moved = replace(base, positions=(base.positions[0], replace(eth, price=Decimal(3001)),
                                     *base.positions[2:]))
    assert inputs_fingerprint(moved) != inputs_fingerprint(base)
    assert make_plan(base).fingerprint == inputs_fingerprint(base)
    assert len(inputs_fingerprint(base)) == 64


def test_the_canonical_text_is_one_line_per_record_and_prices_by_name():
    """The module's canonical form: a header, then the ``repr`` of each record's field values,
    one line each; Prices' columns in the order of their names as text, whatever their type
    (a header read as the number 2024 sorts as '2024', before 'BTC')."""
    inputs = case_study_inputs()
    dates = (dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    inputs = replace(inputs, prices=PriceHistory(dates, {"BTC": (1.0, 2.0), 2024: (3.0, 4.0)}))
    lines = canonical_text(inputs).split("\n")
    head = lines.index(next(x for x in lines if x.startswith("positions:Position(")))
    values = [repr(tuple(getattr(p, f.name) for f in fields(Position))) for p in inputs.positions]
    assert lines[head + 1:head + 1 + len(values)] == values
    assert lines[head + 1 + len(values)].startswith("settings:Settings(")
    assert lines[-4:] == [f"prices:{dates!r}", "'2024':(3.0, 4.0)", "'BTC':(1.0, 2.0)", ""]
