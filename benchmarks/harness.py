"""Timing helpers shared by the benchmark sections: best-of-N wall time, and ratios.

Machines here are noisy, so every figure is printed against a baseline measured in the same
run, and each measurement is the best (minimum) of several repeats.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Callable, Sequence


def wall_times(fn: Callable[[], object], repeat: int = 5) -> list[float]:
    """Wall time of each of ``repeat`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Minimum wall time of ``repeat`` calls of ``fn``: the least disturbed by other work."""
    return min(wall_times(fn, repeat))


def best_cpu_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Minimum CPU time (this process) of ``repeat`` calls of ``fn``: steadier than wall time
    on a shared machine, for work that stays in this process."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def median_of(fn: Callable[[], object], repeat: int = 5) -> float:
    return statistics.median(wall_times(fn, repeat))


def fresh_process(args: Sequence[str], repeat: int = 3, **kwargs) -> float:
    """Best wall time of a fresh Python process running ``args`` (python -c … or -m …)."""
    cmd = [sys.executable, *args]
    return best_of(lambda: subprocess.run(cmd, check=True, capture_output=True, **kwargs), repeat)


def line(label: str, seconds: float, baseline: float | None = None, target: str = "") -> str:
    ratio = f"  ratio {seconds / baseline:6.2f}×" if baseline else ""
    tail = f"  (target: {target})" if target else ""
    return f"{label:<58} {seconds * 1000:10.1f} ms{ratio}{tail}"
