"""Workbook in, plan sheets out: what a button press costs before the PDF, and a big book.

(a) ``derisk run --no-pdf`` on a 20-position workbook as a fresh process, against a fresh
    ``python -c pass`` (target: under 1 s);
(b) ``derisk run --no-pdf --out DIR`` on a generated 100,000-position workbook, against an
    openpyxl ``load_workbook`` + ``save`` of the same file measured in the same run (target: at
    most half its time). Then read, plan and write alone on that workbook, each against the
    same baseline, for where the time goes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import best_of, fresh_process, line

ROOT = Path(__file__).resolve().parent.parent
DERISK = [sys.executable, "-m", "derisk_xl.cli"]


def big_workbook(path: Path, n: int = 100_000) -> Path:
    """Holdings of ``n`` alt positions plus a stable row, written row by row (constant memory)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("Holdings")
    ws.write_row(0, 0, ["Asset", "Quantity", "Price", "Avg Cost", "Category", "Venue"])
    for i in range(n):
        ws.write_row(i + 1, 0, [f"C{i:06d}", 10 + i % 97, 1 + (i % 50) / 10, 0.5 + (i % 7) / 10,
                                "alt", f"Venue {i % 5}"])
    ws.write_row(n + 1, 0, ["USDC", 1_000_000, 1, 1, "stable", "Bank"])
    wb.close()
    return path


def small_workbook(folder: Path) -> Path:
    example = ROOT / "workbooks" / "example.xlsx"
    if example.exists():
        return example
    return big_workbook(folder / "small.xlsx", n=19)


def _run(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([*DERISK, *args], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def run() -> list[str]:
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = small_workbook(tmp)
        base = fresh_process(["-c", "pass"], repeat=5)
        out.append(line("python -c pass (fresh process)", base))
        try:
            small_run = min(_run(["run", str(small), "--no-pdf", "--out", str(tmp / "small")])
                            for _ in range(3))
            out.append(line(f"derisk run --no-pdf {small.name} (fresh process)", small_run,
                            base, "under 1 s"))
        except subprocess.CalledProcessError as exc:
            out.append(f"derisk run --no-pdf: not runnable yet ({exc.stderr.decode()[-200:]})")

        big = big_workbook(tmp / "big.xlsx")
        import openpyxl

        def round_trip() -> None:
            wb = openpyxl.load_workbook(big)
            wb.save(tmp / "openpyxl-copy.xlsx")

        baseline = best_of(round_trip, repeat=1)
        out.append(line("openpyxl load_workbook + save, 100,000 positions", baseline))
        try:
            big_run = _run(["run", str(big), "--no-pdf", "--out", str(tmp / "big-out")])
            out.append(line("derisk run --no-pdf --out, 100,000 positions", big_run, baseline,
                            "at most 0.5×"))
        except subprocess.CalledProcessError as exc:
            out.append(f"derisk run on 100,000 positions failed: {exc.stderr.decode()[-300:]}")

        # Where the time goes: each step alone, in this process, against the same baseline, so
        # whoever picks this up sees which part misses (the run above also pays imports and a
        # fresh interpreter).
        import datetime as dt

        from derisk_xl.core.plan import make_plan
        from derisk_xl.workbook.reader import read_workbook
        from derisk_xl.workbook.writer import write_plan

        day = dt.date(2026, 11, 28)
        t = time.perf_counter()
        read = read_workbook(big, as_of=day, today=day)
        out.append(line("  read_workbook alone", time.perf_counter() - t, baseline))
        if read.inputs is not None:
            t = time.perf_counter()
            plan = make_plan(read.inputs)
            out.append(line("  make_plan alone", time.perf_counter() - t, baseline))
            t, cpu = time.perf_counter(), time.process_time()
            write_plan(big, tmp / "big-write.xlsx", plan)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            out.append(line(f"  write_plan alone ({len(plan.trades):,} trades)", wall, baseline)
                        + f"  cpu {cpu * 1000:.0f} ms")
    return out


if __name__ == "__main__":
    for text in run():
        print(text)
