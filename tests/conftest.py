"""Shared fixtures: the SPEC section 7 case study as calculator inputs, and paths; the
guard that no test leaves a process running (issue #14); and CI's rule that no skip is silent
(tests/needs.py, issue #20)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from needs import CORPUS, ROOT, judge, needs

from derisk_xl.core.model import PlanInputs, Position, Settings

# xlwings' remote engine (the Python half of xlwings Lite) lives in its dual-licensed pro
# package, which loads under the noncommercial license: for this test suite only, and before
# any test imports xlwings. The product never imports xlwings.pro.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

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
    needs("corpus")
    return CORPUS


# -- what a test needs from outside the repository (tests/needs.py) ---------------------------


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*things): skip unless every thing named in "
                                       "tests/needs.py is here (under CI's strict step: fail)")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        needs(*mark.args)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    judge(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    judge(report)
    return report


# -- no process outlives its test ---------------------------------------------------------------
#
# A process left running (a pool worker its executor lost, a subprocess never waited for) makes
# the session hang at exit, joining it: CI would then run into its time limit. So after each
# test's teardown (its fixtures are finalized by then, and the wider ones no later test needs),
# any process the session started that is still alive fails that test, named, and is killed;
# processes started by a still-active module or session fixture (a Dask LocalCluster) are that
# fixture's. At the end of the session anything left is killed and the run fails, loudly.

SESSION_KEY = "DERISK_TEST_SESSION"
SESSION_TOKEN = f"{os.getpid()}-{time.time_ns()}"
# Every process this session starts inherits the token, so one orphaned by a child that ended
# (reparented away from us) is still recognised as ours.
os.environ[SESSION_KEY] = SESSION_TOKEN
_TOKEN_BYTES = f"{SESSION_KEY}={SESSION_TOKEN}".encode()
_PROC = Path("/proc")
_SETTLE_SECONDS = 5.0  # a process being ended (a killed group, a cluster closing) may lag
_owned: dict = {}  # wider-scoped fixture -> pids it started


def _start_ticks(stat: bytes) -> int:
    return int(stat.rsplit(b")", 1)[1].split()[19])


try:
    _SESSION_START = _start_ticks((_PROC / "self" / "stat").read_bytes())
except OSError:  # no /proc (macOS, Windows): multiprocessing's own children only
    _SESSION_START = None


def _helper_pids() -> set[int]:
    """multiprocessing's own long-lived helpers, which end with this process."""
    pids = set()
    from multiprocessing import resource_tracker

    pids.add(getattr(resource_tracker._resource_tracker, "_pid", None))
    try:
        from multiprocessing import forkserver

        pids.add(getattr(forkserver._forkserver, "_forkserver_pid", None))
    except ImportError:
        pass
    return {p for p in pids if p}


def session_processes() -> dict[int, tuple[int, str]]:
    """Live processes this session started: pid -> (parent pid, what it is)."""
    me = os.getpid()
    found: dict[int, tuple[int, str]] = {
        p.pid: (me, f"{p.name} (multiprocessing, pid {p.pid})")
        for p in multiprocessing.active_children()  # also reaps the finished ones
    }
    if _SESSION_START is not None:
        for entry in os.scandir(_PROC):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            pid = int(entry.name)
            try:
                stat = (_PROC / entry.name / "stat").read_bytes()
                fields = stat.rsplit(b")", 1)[1].split()
                state, ppid = fields[0], int(fields[1])
                if state in (b"Z", b"X"):  # exited, waiting to be reaped: nothing to end
                    continue
                if ppid != me:
                    if _start_ticks(stat) < _SESSION_START:
                        continue
                    if _TOKEN_BYTES not in (_PROC / entry.name / "environ").read_bytes():
                        continue
                if pid not in found:
                    cmd = (_PROC / entry.name / "cmdline").read_bytes().replace(b"\0", b" ")
                    what = cmd.decode(errors="replace").strip()[:200]
                    found[pid] = (ppid, f"pid {pid}: {what}")
            except (OSError, IndexError, ValueError):  # it ended meanwhile
                continue
    for pid in _helper_pids():
        found.pop(pid, None)
    return found


def _without_owned(found: dict[int, tuple[int, str]]) -> dict[int, tuple[int, str]]:
    """Drop the processes of still-active wider-scoped fixtures, and their descendants."""
    owned = set().union(*_owned.values()) if _owned else set()
    return {pid: value for pid, value in found.items() if not _descends(pid, found, owned)}


def _descends(pid: int, found: dict[int, tuple[int, str]], owned: set[int]) -> bool:
    seen = set()
    while pid not in seen:
        if pid in owned:
            return True
        seen.add(pid)
        if pid not in found:
            return False
        pid = found[pid][0]
    return False


def _end(pids) -> None:
    """SIGKILL each process and reap it when it is our child."""
    children = {p.pid: p for p in multiprocessing.active_children()}
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        if pid in children:
            children[pid].join(5)
        else:
            try:
                os.waitpid(pid, 0)
            except OSError:  # not our child (an orphan's parent reaps it), or reaped already
                pass


def leftovers(*, respect_owners: bool = True) -> dict[int, tuple[int, str]]:
    """The session's processes still alive, after giving those on their way out a moment."""
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        found = session_processes()
        if respect_owners:
            found = _without_owned(found)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.scope == "function":
        return (yield)
    before = set(session_processes())
    try:
        return (yield)
    finally:
        started = set(session_processes()) - before
        if started:
            _owned[fixturedef] = started


def pytest_fixture_post_finalizer(fixturedef, request):
    _owned.pop(fixturedef, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        left = leftovers()
        if left:
            _end(left)
            pytest.fail(f"{item.nodeid} left {len(left)} process(es) running (now killed):\n"
                        + "\n".join(f"  {what}" for _, what in left.values()), pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    left = leftovers(respect_owners=False)
    if not left:
        return
    _end(left)
    lines = [f"{len(left)} process(es) this session started were still running at its end and "
             "have been killed; left alone, the run would have hung at exit waiting for them:"]
    lines += [f"  {what}" for _, what in left.values()]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("!", "process leak: the run fails", red=True, bold=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(lines), file=sys.stderr, flush=True)
    if session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
