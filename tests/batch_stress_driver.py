"""A batch's local pool under fire, for tests/test_batch_leaks.py: the worker task, a killer of
worker processes, and (run as a script) a batch that the test interrupts with SIGINT.

Run as ``python batch_stress_driver.py SEED COUNT``: prints ``ready``, runs ``COUNT`` tiny
workbooks through :func:`derisk_xl.batch.pool.run_local` on two workers while killing workers at
seeded random moments, then prints one JSON line (what was reported, whether it was
interrupted) and exits. A worker left behind would make it hang at exit; the test watches.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time

from derisk_xl.batch import BatchRow


def sleepy_chunk(chunk, options):
    """A worker task: each "workbook" takes the milliseconds its name says (``b07-35.xlsx``)."""
    rows = []
    for source, display in chunk:
        time.sleep(int(source.rsplit("-", 1)[1].split(".")[0]) / 1000)
        rows.append(BatchRow(file=display, status="planned"))
    return rows


def tasks(count: int, rng: random.Random) -> list[tuple[str, str]]:
    names = [f"b{i:03d}-{rng.randint(5, 60)}.xlsx" for i in range(count)]
    return [(name, name) for name in names]


class Killer(threading.Thread):
    """SIGKILLs worker processes of this process at random moments: each new worker gets an age
    at which it dies (half of them while still starting: under 0.25 s old, before its imports
    and warm-up are done), until ``kills`` are spent."""

    def __init__(self, rng: random.Random, kills: int):
        super().__init__(daemon=True)
        self.rng = rng
        self.left = kills
        self.young = self.grown = 0
        self.stop = threading.Event()

    def run(self) -> None:
        doomed: dict[int, tuple[float, bool]] = {}  # pid -> (when it dies, while starting?)
        spared = (float("inf"), False)
        while not self.stop.is_set() and self.left > 0:
            now = time.monotonic()
            for process in multiprocessing.active_children():
                if process.pid not in doomed:
                    young = self.rng.random() < 0.5
                    age = self.rng.uniform(0, 0.25) if young else self.rng.uniform(0.25, 1.5)
                    doomed[process.pid] = (now + age, young) if self.rng.random() < 0.6 \
                        else spared
            for pid, (when, young) in list(doomed.items()):
                if when <= now and self.left > 0:
                    doomed[pid] = spared
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:  # ended already
                        continue
                    self.left -= 1
                    if young:
                        self.young += 1
                    else:
                        self.grown += 1
            time.sleep(0.005)


def main(seed: int, count: int) -> None:
    from derisk_xl.batch.pool import run_local
    from derisk_xl.pipeline import RunOptions

    rng = random.Random(seed)
    work = tasks(count, rng)
    killer = Killer(rng, kills=rng.randint(0, 3))
    rows: list[BatchRow] = []
    print("ready", flush=True)
    killer.start()
    outcome = "finished"
    try:
        try:
            run_local(work, RunOptions(pdf=False), 2, rows.append, task=sleepy_chunk)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C: nothing left to stop
    except KeyboardInterrupt:
        outcome = "interrupted"
    killer.stop.set()
    print(json.dumps({"outcome": outcome, "tasks": [d for _, d in work],
                      "rows": [[r.file, r.status, r.error] for r in rows]}), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
