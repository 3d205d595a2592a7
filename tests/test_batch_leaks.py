"""No path through the batch's local pool leaves a worker process alive (issue #14): a worker
started while the pool breaks, an exception in the ``done`` callback, workers killed at random
moments (also while still starting), one or two Ctrl-C. A worker left alive makes the
interpreter hang at exit waiting for it, which is how the test suite once hung."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import multiprocessing.context
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from concurrent.futures.process import BrokenProcessPool

from batch_stress_driver import Killer, sleepy_chunk, tasks
from derisk_xl.batch import BatchRow
from derisk_xl.batch.pool import run_local
from derisk_xl.pipeline import RunOptions
from test_batch_units import dying_chunk

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DIED = "the worker process died"


def run_bounded(tasks_, *, jobs=2, task=sleepy_chunk, done=None, limit=120.0):
    """``run_local`` in a thread, bounded: a hang fails the test instead of the session.

    Returns the rows reported and what ``run_local`` raised (None when it returned)."""
    rows: list[BatchRow] = []
    raised: list[BaseException | None] = [None]

    def body():
        try:
            run_local(tasks_, RunOptions(pdf=False), jobs, done or rows.append, task=task)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised[0] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        stuck = multiprocessing.active_children()
        for process in stuck:  # frees the stuck executor, so the session can go on
            process.kill()
        thread.join(30)
        pytest.fail(f"the batch did not return within {limit} s; workers left: {stuck}")
    return rows, raised[0]


def alive_workers() -> list:
    return multiprocessing.active_children()


def slow_to_start(options) -> None:
    """A worker initializer: the one started with SLOW_TO_START is still starting for 5 s."""
    if os.environ.get("SLOW_TO_START"):
        time.sleep(5)


def test_a_worker_started_while_the_pool_breaks_is_ended(monkeypatch):
    """CPython's executor neither terminates nor stops a worker it registers while breaking:
    its thread then waits for that worker for ever (the batch hung in its restart or, had that
    thread died, the session at exit). Made certain here: the second worker is launched, still
    starting, and registered only once the first has died on the crashing workbook."""
    original = multiprocessing.context.SpawnProcess.start
    started: list = []

    def register_after_the_first_dies(self):
        started.append(self)
        if len(started) != 2:
            return original(self)
        monkeypatch.setenv("SLOW_TO_START", "1")
        original(self)
        monkeypatch.delenv("SLOW_TO_START")
        deadline = time.monotonic() + 60
        while started[0].is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1.5)  # the executor's thread ends the broken pool meanwhile (see below)

    original_set_exception = concurrent.futures.Future.set_exception
    delayed: list = []

    def set_exception_slowly(self, exception):
        # The executor's thread fails the pending work before it counts the workers alive to
        # stop; by then the dead one is certainly gone, so it counts none and stops none.
        if isinstance(exception, BrokenProcessPool) and not delayed:
            delayed.append(exception)
            time.sleep(0.5)
        return original_set_exception(self, exception)

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start",
                        register_after_the_first_dies)
    monkeypatch.setattr(concurrent.futures.Future, "set_exception", set_exception_slowly)
    monkeypatch.setattr("derisk_xl.batch.pool.warm_worker", slow_to_start)
    work = [("crash00.xlsx", "crash00.xlsx")] + [
        (f"book{i:02d}.xlsx", f"book{i:02d}.xlsx") for i in range(1, 6)]
    rows, raised = run_bounded(work, task=dying_chunk, limit=60)
    assert raised is None
    assert sorted((r.file, r.status) for r in rows) == sorted(
        (name, "failed" if "crash" in name else "planned") for name, _ in work)
    assert started[0].exitcode == 9  # the first one took the crashing workbook
    assert not started[1].is_alive()
    assert alive_workers() == []


def test_a_ctrl_c_between_a_worker_start_and_its_registration_leaves_no_worker(monkeypatch):
    """Ctrl-C can land after a worker process has started and before the executor has
    recorded it (here: raised right there, on the first worker): the executor never learns of
    that worker, yet the batch still ends it."""
    original = multiprocessing.context.SpawnProcess.start
    started: list = []

    def start_then_ctrl_c(self):
        original(self)
        started.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", start_then_ctrl_c)
    rows, raised = run_bounded(tasks(6, random.Random(3)))
    assert isinstance(raised, KeyboardInterrupt) and rows == []
    assert len(started) == 1 and started[0].exitcode is not None
    assert alive_workers() == []


class DoneFails(Exception):
    pass


def test_an_exception_in_done_ends_every_worker():
    """The caller's callback raising (a closed stdout, a bug) stops the batch: the exception
    comes out and no worker is left, although work was still queued and in hand."""
    seen: list[str] = []

    def done(row: BatchRow) -> None:
        seen.append(row.file)
        if len(seen) == 3:
            raise DoneFails(row.file)

    work = tasks(30, random.Random(5))
    rows, raised = run_bounded(work, done=done)
    assert isinstance(raised, DoneFails) and str(raised) == seen[2]
    assert len(seen) == 3 and set(seen) <= {d for _, d in work}
    assert alive_workers() == []


@pytest.mark.slow
def test_workers_killed_at_random_moments_leave_no_process_and_lose_no_workbook():
    """Seeded rounds of a two-worker batch whose workers are SIGKILLed at random ages, half
    of them while still starting: each workbook is reported exactly once, planned or failed
    for its dead worker, and when the batch returns no worker is alive."""
    rng = random.Random(1414)
    young = grown = 0
    for round_ in range(5):
        work = tasks(rng.randint(8, 24), rng)
        killer = Killer(rng, kills=rng.randint(2, 4))
        killer.start()
        try:
            rows, raised = run_bounded(work)
        finally:
            killer.stop.set()
            killer.join()
        assert raised is None, f"round {round_}: {raised!r}"
        assert sorted(r.file for r in rows) == sorted(d for _, d in work), f"round {round_}"
        for row in rows:
            assert row.status == "planned" or DIED in row.error, (round_, row)
        assert alive_workers() == [], f"round {round_}"
        young += killer.young
        grown += killer.grown
    assert young and grown, (young, grown)  # both kinds of kill happened


def session_members(sid: int) -> list[str]:
    """Processes still alive in session ``sid`` (a driver and anything it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in (b"Z", b"X"):
            found.append(f"{entry.name}: {cmd[:160]}")
    return found


@pytest.mark.slow
@pytest.mark.needs("procfs")  # reads sessions from /proc
def test_one_or_two_ctrl_c_at_random_moments_leave_no_process():
    """A batch in its own session (as in a terminal) gets Ctrl-C once or twice at seeded
    random moments, to the whole group (workers still starting die of it; started ones ignore
    it) or to the batch alone, while workers are also killed: the batch process exits by
    itself, nothing of its session is left, and no workbook is reported twice."""
    rng = random.Random(14)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    interrupted = 0
    for run in range(6):
        seed, count = rng.randrange(1 << 30), rng.randint(20, 60)
        proc = subprocess.Popen([sys.executable, str(TESTS / "batch_stress_driver.py"),
                                 str(seed), str(count)], cwd=TESTS, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
            presses = 1 if rng.random() < 0.5 else 2
            for press in range(presses):
                time.sleep(rng.uniform(0.05, 1.5) if press == 0 else rng.uniform(0, 0.6))
                if proc.poll() is not None:
                    break
                if rng.random() < 0.5:
                    os.killpg(proc.pid, signal.SIGINT)
                else:
                    os.kill(proc.pid, signal.SIGINT)
            out, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            left = session_members(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"run {run} (seed {seed}): the batch did not exit; alive: {left}")
        assert proc.returncode == 0, f"run {run} (seed {seed}):\n{err[-3000:]}"
        deadline = time.monotonic() + 5
        while session_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session_members(proc.pid) == [], f"run {run} (seed {seed})"
        report = json.loads(out.strip().splitlines()[-1])
        files = [row[0] for row in report["rows"]]
        assert len(files) == len(set(files)) and set(files) <= set(report["tasks"])
        for _, status, error in report["rows"]:
            assert status == "planned" or DIED in error, (run, seed, status, error)
        if report["outcome"] == "finished":
            assert sorted(files) == sorted(report["tasks"]), (run, seed)
        interrupted += report["outcome"] == "interrupted"
    assert interrupted, "no run was interrupted: the presses all came too late"



def slow_dying_chunk(chunk, options):
    """A worker task: each workbook takes 0.3 s; one named *crash* kills its worker."""
    rows = []
    for source, display in chunk:
        if "crash" in source:
            os._exit(9)
        time.sleep(0.3)
        rows.append(BatchRow(file=display, status="planned"))
    return rows


def test_the_last_workbook_retried_after_a_worker_died_runs_alone_too():
    """After a worker dies, the workbooks that were in flight are retried one at a time, the
    last one too: were the next workbooks started beside it, the next crash (crash04) would
    break the pool under it and get it reported failed. (Seen once in ten runs of the batch
    tests, as an innocent workbook reported failed.)"""
    names = ["crash00", "book01", "book02", "book03", "crash04"] + [
        f"book{i:02d}" for i in range(5, 9)]
    work = [(f"{n}.xlsx", f"{n}.xlsx") for n in names]
    rows, raised = run_bounded(work, task=slow_dying_chunk)
    assert raised is None
    assert sorted(r.file for r in rows) == sorted(f"{n}.xlsx" for n in names)
    failed = sorted((r.file, r.error[:len(DIED)]) for r in rows if r.status == "failed")
    assert failed == [("crash00.xlsx", DIED), ("crash04.xlsx", DIED)], failed
    assert alive_workers() == []
