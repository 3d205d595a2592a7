"""The inputs' fingerprint: same inputs, same digest in any process; any change, a new one."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal

from derisk_xl.core.fingerprint import inputs_fingerprint
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
