"""Reading a tracker users already keep (SPEC 3.9): ``derisk check`` as a fresh process on the
largest file of ``../shared/realbooks`` and on the one with the most sheets (01: a transaction
log, snapshots, a price history, a dashboard…, every one of them scanned for a holdings table),
against the same command on ``workbooks/example.xlsx`` in the same run (target: at most 2×).
Then the finding alone, in this process, on each grid.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness import best_of, fresh_process, line

ROOT = Path(__file__).resolve().parent.parent
REALBOOKS = ROOT.parent / "shared" / "realbooks"
CHECK = ["-m", "derisk_xl.cli", "check"]


def largest() -> list[Path]:
    """The largest file, and the one of most sheets (01) when it is another."""
    books = sorted(REALBOOKS.glob("*.xls*"), key=lambda p: p.stat().st_size) \
        if REALBOOKS.is_dir() else []
    most = [b for b in books if b.name.startswith("01_")]
    return books[-1:] + [b for b in most if b not in books[-1:]]


def run() -> list[str]:
    example = ROOT / "workbooks" / "example.xlsx"
    books = largest()
    if not books:
        return [f"realbooks: ../shared/realbooks is not beside this clone ({REALBOOKS})"]
    out = []
    base = fresh_process([*CHECK, str(example)], repeat=5, cwd=ROOT)
    out.append(line(f"derisk check {example.name} (fresh process)", base))
    for book in books:
        real = fresh_process([*CHECK, str(book)], repeat=5, cwd=ROOT)
        out.append(line(f"derisk check {book.name} (fresh process)", real, base, "at most 2×"))

    from derisk_xl.workbook.scan import load_grid
    from derisk_xl.workbook.tables import find_holdings

    for path in (example, *books):
        grid, _ = load_grid(path)
        load = best_of(lambda: load_grid(path), repeat=3)
        find = best_of(lambda: find_holdings(grid), repeat=5)
        out.append(f"  {path.name}: {len(grid.sheets)} sheets, load_grid {load * 1000:.0f} ms, "
                   f"find_holdings {find * 1000:.1f} ms")
    return out


if __name__ == "__main__":
    for text in run():
        print(text)
    sys.exit(0)
