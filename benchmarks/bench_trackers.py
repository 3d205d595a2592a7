"""Bounded work on trackers (issue #17): the reader on a generated 50-sheet, 20,000-row tracker
(tests/trackers.big_book) whose header words no vocabulary table knows, against the same book
with known words (target: at most 3×) — the finding and contract over the grid in this process
(CPU time), then ``derisk check`` on the two files as fresh processes.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import best_cpu_of, best_of, line

ROOT = Path(__file__).resolve().parent.parent


def _check(path: Path) -> float:
    """Best wall time of ``derisk check`` on ``path``, a refusal (exit 1) as much as a plan."""
    cmd = [sys.executable, "-m", "derisk_xl.cli", "check", str(path)]
    return best_of(lambda: subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=600), 3)


def run() -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from trackers import big_book, check, read

    from derisk_xl.workbook.contract import parse_inputs

    known, unknown = big_book(known=True), big_book(known=False)
    out = []
    for book in (known, unknown):
        problems = check(book, read(book))
        out.append(f"  {book.summary}: " + ("read right" if not problems else
                                              f"read wrong: {problems[0][:120]}"))
    today = dt.date(2026, 11, 28)
    base = best_cpu_of(lambda: parse_inputs(known.grid, as_of=None, today=today), repeat=3)
    slow = best_cpu_of(lambda: parse_inputs(unknown.grid, as_of=None, today=today), repeat=3)
    out.append(line("parse_inputs, 50 sheets, 20,000 rows, known words (CPU)", base))
    out.append(line("parse_inputs, the same with no known word (CPU)", slow, base, "at most 3×"))
    with tempfile.TemporaryDirectory() as tmp:
        files = [b.write_xlsx(Path(tmp) / f"{name}.xlsx")
                 for b, name in ((known, "known"), (unknown, "unknown"))]
        check_known, check_unknown = _check(files[0]), _check(files[1])
    out.append(line("derisk check, known words (fresh process)", check_known))
    out.append(line("derisk check, no known word (fresh process)", check_unknown, check_known,
                    "at most 3×"))
    return out


if __name__ == "__main__":
    for text in run():
        print(text)
