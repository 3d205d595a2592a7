"""The suite's process guard (tests/conftest.py), run on a small session of its own: a test
that leaves processes running fails, naming them, and they are killed while the run goes on;
a wider fixture's processes are its own until it is finalized; a process still alive at the end
of the session is killed and fails the run, which exits instead of hanging."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

INNER_TESTS = '''
import multiprocessing, os, subprocess, sys, time
from pathlib import Path

import pytest

PIDS = Path(os.environ["GUARD_PIDS"])


def note(kind, pid):
    with PIDS.open("a") as f:
        f.write(f"{kind} {pid}\\n")


def test_leaves_a_worker_and_a_subprocess():
    worker = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(300,))
    worker.start()
    note("leaked", worker.pid)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    note("leaked", proc.pid)


def test_the_run_goes_on():
    assert True


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    note("owned", proc.pid)
    yield proc
    proc.kill()
    proc.wait()


def test_uses_the_server(server):
    assert server.poll() is None


def test_uses_the_server_again(server):
    assert server.poll() is None


def test_last():
    assert True
'''

# A process that appears after the last test's check: only the session-end hook can see it.
LATE_START = '''

def pytest_runtest_logfinish(nodeid, location):
    if nodeid.endswith("test_last"):
        import subprocess, sys
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open(os.environ["GUARD_PIDS"], "a") as f:
            f.write(f"late {proc.pid}\\n")
'''


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


@pytest.mark.needs("procfs")  # reads processes from /proc
def test_the_guard_fails_and_kills_what_a_test_or_the_session_leaves(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text() + LATE_START)
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    pids = tmp_path / "pids.txt"
    env = {**os.environ, "GUARD_PIDS": str(pids), "PYTHONPATH": str(TESTS)}  # conftest's needs
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "test_inner.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    out = done.stdout + done.stderr
    noted = [line.split() for line in pids.read_text().splitlines()]
    by_kind = {kind: [int(pid) for k, pid in noted if k == kind] for kind, _ in noted}
    assert done.returncode == 1, out
    assert "5 passed, 1 error" in out, out
    assert "ERROR at teardown of test_leaves_a_worker_and_a_subprocess" in out, out
    leaked_report = out.split("ERROR at teardown of", 1)[1].split("====", 1)[0]
    assert "left 2 process(es) running (now killed)" in leaked_report, out
    for pid in by_kind["leaked"]:
        assert f"pid {pid}" in leaked_report, out
    assert "SpawnProcess" in leaked_report and "time.sleep(300)" in leaked_report
    # the module fixture's process was its own: no test was blamed for it
    assert str(by_kind["owned"][0]) not in out
    late = by_kind["late"][0]
    assert "process leak: the run fails" in out, out
    assert f"pid {late}" in out.split("process leak: the run fails", 1)[1], out
    deadline = time.monotonic() + 10
    everyone = [pid for pids_ in by_kind.values() for pid in pids_]
    while any(alive(pid) for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in everyone if alive(pid)] == []
