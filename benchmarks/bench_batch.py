"""Batch throughput: ``derisk batch --jobs 2`` against one fresh ``derisk run`` per workbook.

200 generated workbooks of 20 positions each, with PDFs, measured in the same run. The
one-process-per-workbook loop is measured on a sample (20 by default) and scaled to the full
count, which the output says. Peak memory is the largest sum of resident memory over the batch's
process tree (the CLI, the resource tracker, the workers and the short-lived ``gcc`` that
WeasyPrint's library lookup runs while a worker imports it), sampled every 200 ms with psutil
(every 20 ms cost the sampler ~10 % of a core, taken from the workers on this 2-core machine;
the workers' memory now stays flat, so a coarser sample finds the same peak); shared pages are
counted once per process, so it over-states.

    python benchmarks/run.py batch
    DERISK_BENCH_BATCH=40 DERISK_BENCH_SAMPLE=5 python benchmarks/run.py batch   # quicker
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

AS_OF = "2026-11-28"
TARGET_RATE = 4.0
TARGET_RATIO = 3.0


def write_books(folder: Path, count: int, positions: int = 20) -> None:
    """``count`` client workbooks of ``positions`` rows, written as a user's template would be."""
    from derisk_xl.workbook.new import InputBook, write_input_workbook

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        rows = [{"Asset": f"C{j:02d}", "Quantity": 10 + j + i % 7, "Price": 50 + 3 * j,
                 "Avg Cost": 10 + j, "Venue": "Binance", "Lot Step": 0.01}
                for j in range(positions - 2)]
        rows.append({"Asset": "BTC", "Quantity": 0.5, "Price": 97000, "Avg Cost": 30000})
        rows.append({"Asset": "USDC", "Quantity": 5000 + 10 * i, "Price": 1, "Avg Cost": 1})
        write_input_workbook(folder / f"client{i:03d}.xlsx", InputBook(
            holdings=rows, settings=[("Client", f"Client {i:03d}"), ("Hedge Price", 97100)],
            futures=None, tiers=None, lots=None))


class PeakMemory:
    """Peak total RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.2):
        import psutil

        self.root = psutil.Process(pid)
        self.every = every
        self.peak_total = 0
        self.peak_single = 0
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                sizes = []
                for p in procs:
                    try:
                        sizes.append(p.memory_info().rss)
                    except psutil.Error:
                        pass
                self.peak_total = max(self.peak_total, sum(sizes))
                self.peak_single = max(self.peak_single, max(sizes, default=0))
                self.most_processes = max(self.most_processes, len(sizes))
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def derisk_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "derisk_xl.cli", *args]


def time_batch(folder: Path, out: Path, jobs: int) -> tuple[float, PeakMemory, str]:
    cmd = derisk_cmd("batch", str(folder), "--out", str(out), "--jobs", str(jobs),
                     "--as-of", AS_OF, "--force")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(proc.pid) as memory:
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"derisk batch failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return seconds, memory, stdout.strip().splitlines()[-1]


def time_loop(books: list[Path], out: Path) -> float:
    started = time.perf_counter()
    for book in books:
        subprocess.run(derisk_cmd("run", str(book), "--out", str(out), "--as-of", AS_OF),
                       check=True, capture_output=True)
    return time.perf_counter() - started


def run(count: int | None = None, sample: int | None = None, jobs: int = 2) -> list[str]:
    count = count or int(os.environ.get("DERISK_BENCH_BATCH", 200))
    sample = min(count, sample or int(os.environ.get("DERISK_BENCH_SAMPLE", 20)))
    lines: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="derisk-bench-batch-"))
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        lines.append(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start "
                     "(other work on the machine slows both sides alike)")
        books = work / "books"
        started = time.perf_counter()
        write_books(books, count)
        lines.append(f"generated {count} workbooks of 20 positions in "
                     f"{time.perf_counter() - started:.1f} s")

        batch_s, memory, tail = time_batch(books, work / "out-batch", jobs)
        rate = count / batch_s
        lines.append(f"derisk batch --jobs {jobs} ({count} workbooks, PDFs): {batch_s:7.1f} s  "
                     f"{rate:5.2f} workbooks/s  (target ≥ {TARGET_RATE:g}/s)")
        lines.append(f"  {tail}")
        lines.append(f"  peak memory: {memory.peak_total / 2**20:,.0f} MiB RSS summed over "
                     f"{memory.most_processes} processes (largest one "
                     f"{memory.peak_single / 2**20:,.0f} MiB)")

        chosen = sorted(books.glob("*.xlsx"))[:sample]
        loop_s = time_loop(chosen, work / "out-loop")
        per_book = loop_s / sample
        loop_rate = 1 / per_book
        lines.append(f"one fresh 'derisk run' per workbook: {sample} measured in {loop_s:.1f} s "
                     f"= {per_book:.2f} s each, scaled to {count}: {per_book * count:7.1f} s  "
                     f"{loop_rate:5.2f} workbooks/s")
        ratio = rate / loop_rate
        lines.append(f"batch vs loop: {ratio:5.2f}× faster (target ≥ {TARGET_RATIO:g}×)")
        met = rate >= TARGET_RATE and ratio >= TARGET_RATIO
        lines.append("targets: " + ("met" if met else
                     "MISSED — " + ", ".join(
                         ([f"{rate:.2f}/s < {TARGET_RATE:g}/s"] if rate < TARGET_RATE else []) +
                         ([f"{ratio:.2f}× < {TARGET_RATIO:g}×"] if ratio < TARGET_RATIO else []))))
        if not met:
            lines += profile_one(books / "client000.xlsx", work / "out-profile")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lines


def profile_one(book: Path, out: Path) -> list[str]:
    """Where a warm worker's time goes for one workbook: each pipeline step, timed in-process."""
    import datetime as dt

    from derisk_xl.batch.worker import warm_worker
    from derisk_xl.core.plan import make_plan
    from derisk_xl.pipeline import RunOptions
    from derisk_xl.report import render_pdf
    from derisk_xl.workbook.reader import read_workbook
    from derisk_xl.workbook.writer import write_plan

    options = RunOptions(out_dir=out, as_of=dt.date.fromisoformat(AS_OF))
    warm_worker(options)
    out.mkdir(parents=True, exist_ok=True)
    steps: dict[str, list[float]] = {"read": [], "plan": [], "write sheets": [], "PDF": []}
    for _ in range(3):
        t = time.perf_counter()
        read = read_workbook(book, as_of=options.as_of, today=options.as_of)
        steps["read"].append(time.perf_counter() - t)
        t = time.perf_counter()
        plan = make_plan(read.inputs)
        steps["plan"].append(time.perf_counter() - t)
        t = time.perf_counter()
        write_plan(book, out / book.name, plan)
        steps["write sheets"].append(time.perf_counter() - t)
        t = time.perf_counter()
        render_pdf(plan)
        steps["PDF"].append(time.perf_counter() - t)
    total = sum(min(v) for v in steps.values())
    parts = ", ".join(f"{name} {min(v) * 1000:.0f} ms ({min(v) / total:.0%})"
                      for name, v in steps.items())
    return [f"profile of one warm workbook (best of 3): {parts}; "
            f"a warm worker's ceiling is {1 / total:.2f} workbooks/s per core"]


if __name__ == "__main__":
    for text in run():
        print(text)
