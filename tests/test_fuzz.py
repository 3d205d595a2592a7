"""Fuzz: seeded mutations (tests/fuzz_mutator.py) of workbooks/ and a few corpus files through
the code path of ``derisk check`` and ``derisk run`` (cli.main in a worker process, so an abort
or a hang fails one case, not the suite), plus a handful through the real CLI. Each case: exit 0
or one ``Error:`` message, no traceback, no internal exception name, the input unchanged, an
answer within the per-case timeout. A bigger campaign: README, "Testing"."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, ROOT, WORKBOOKS
from fuzz_mutator import mutate

SEED = int(os.environ.get("DERISK_FUZZ_SEED", "20261202"))
CASES = int(os.environ.get("DERISK_FUZZ_CASES", "240"))
TIMEOUT = float(os.environ.get("DERISK_FUZZ_TIMEOUT", "60"))
CORPUS_SEEDS = ("poi/64420.xlsm", "poi/SimpleStrict.xlsx", "xlsxwriter/chartsheet01.xlsx")
#: An exception class name in user-facing text means an internal failure leaked out.
LEAK = re.compile(r"Traceback|\b(?:[A-Z][a-z]+)+(?:Error|Exception|Panic)\b|InvalidOperation|"
                  r"\bOverflow\b|DivisionByZero|KeyError")


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _case(path: str, command: str, out: str) -> tuple[int, str]:
    """One case in a worker: the CLI's own main, its output captured."""
    import contextlib
    import io
    import traceback

    from derisk_xl.cli import main

    err, std = io.StringIO(), io.StringIO()
    args = ["check", path] if command == "check" else ["run", path, "--no-pdf", "--out", out]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            rc = main(args)
    except BaseException:  # noqa: BLE001 - a traceback is the failure this test looks for
        return 99, traceback.format_exc()
    return rc, err.getvalue()


def sources() -> list[Path]:
    books = sorted(WORKBOOKS.glob("*.xlsx"))
    books += [CORPUS / n for n in CORPUS_SEEDS if (CORPUS / n).exists()]
    return books


def _assert_outcome(label: str, rc: int, stderr: str) -> None:
    assert rc in (0, 1), f"{label}: exit {rc}\n{stderr[-3000:]}"
    assert not LEAK.search(stderr), f"{label}: internal name or traceback\n{stderr[-3000:]}"
    if rc == 1:
        assert stderr.startswith("Error:"), f"{label}: no Error: line\n{stderr[-2000:]}"


def test_mutated_workbooks_get_an_answer_or_a_sentence(tmp_path):
    rng = random.Random(SEED)
    seeds = [(p, p.read_bytes()) for p in sources()]
    cases = []
    for i in range(CASES):
        src, data = seeds[i % len(seeds)]
        names, mutated = mutate(data, rng)
        path = tmp_path / f"case{i:04d}{src.suffix}"
        path.write_bytes(mutated)
        command = "run" if i % 8 == 0 else "check"
        cases.append((i, f"case {i} ({src.name}: {names}, {command}, seed {SEED})", path,
                      hashlib.sha256(mutated).hexdigest(), command))
    pool = cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),
                                  initializer=_limit_memory)
    failures = []
    try:
        futures = {pool.submit(_case, str(p), cmd, str(tmp_path / f"out{i}")): (label, p, h)
                   for i, label, p, h, cmd in cases}
        for fut, (label, path, digest) in futures.items():
            try:
                rc, stderr = fut.result(timeout=TIMEOUT)
            except cf.TimeoutError:
                failures.append(f"{label}: no answer within {TIMEOUT:.0f} s")
                break
            except cf.process.BrokenProcessPool:
                failures.append(f"{label}: the worker died (an abort)")
                break
            try:
                _assert_outcome(label, rc, stderr)
            except AssertionError as exc:
                failures.append(str(exc))
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                failures.append(f"{label}: the input changed")
    finally:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=True, cancel_futures=True)
    assert not failures, "\n\n".join(failures[:10])


def test_a_few_mutations_through_the_real_cli(tmp_path):
    rng = random.Random(SEED + 1)
    data = (WORKBOOKS / "example.xlsx").read_bytes()
    for i in range(4):
        names, mutated = mutate(data, rng)
        path = tmp_path / f"cli{i}.xlsx"
        path.write_bytes(mutated)
        for args in (["check", str(path)], ["run", str(path), "--no-pdf", "--out",
                                             str(tmp_path / "out")]):
            proc = subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
            _assert_outcome(f"cli {i} ({names}) {args[0]}", proc.returncode, proc.stderr)
            assert path.read_bytes() == mutated
