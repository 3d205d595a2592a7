"""Cost of one xlwings Lite press, against a fresh ``derisk run --no-pdf`` of the same workbook.

In xlwings Lite, Python stays loaded in Pyodide between presses, and each press hands the
script a book built from the payload the Office.js client sends. Measured here with xlwings'
own remote engine (the Python half of Lite; ``XLWINGS_LICENSE_KEY=noncommercial``), in the
same run:

- baseline: ``derisk run example.xlsx --out DIR --no-pdf`` in a fresh process (a user's
  command: start-up, read the file, plan, write the planned copy);
- press: ``xw.Book(json=payload)`` for the 20-position example, gather (values from the
  payload, percent formats asked of the client, answered in-process here as Pyodide would
  get them from Excel), compute, and the actions (six plan sheets) queued — best of 10 after
  a first press, as in Lite after the first;
- first press in a fresh process: importing xlwings and our Lite path, then one press, and
  importing xlwings alone, which Lite has done before any script runs: the difference is what
  the first press after opening the workbook pays on top of loading Pyodide itself.

Target: press ≤ 0.5 × baseline. Pyodide's own speed is not measured here (CPython vs
WebAssembly): the Pyodide test shows the same figures come out, not how fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from harness import best_of, fresh_process, line

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbooks" / "example.xlsx"

FIRST_PRESS = """
import asyncio, json, sys
data, formats = json.loads(open(sys.argv[1]).read())
formats = {(s, r, c): f for s, r, c, f in formats}
import xlwings as xw
from xlwings.pro import _xlremote
async def get_number_format(impl):
    (r1, c1), (rows, cols) = (impl.row, impl.column), impl.shape
    found = {formats.get((impl.sheet.name, r, c), "General")
             for r in range(r1, r1 + rows) for c in range(c1, c1 + cols)}
    return found.pop() if len(found) == 1 else None
_xlremote.Range.get_number_format = get_number_format
import derisk_xl.excel.lite
book = xw.Book(json=data)
result = asyncio.run(derisk_xl.excel.lite.build_plan(book))
assert result.status == "planned", result
"""


class _Patch:
    """The smallest stand-in for pytest's monkeypatch that tests/officejs.py needs."""

    def setattr(self, target, name, value):
        setattr(target, name, value)


def run() -> list[str]:
    # the remote engine for this section only: other sections' fresh processes must import
    # xlwings as a user's machine does, without its pro package
    before = os.environ.get("XLWINGS_LICENSE_KEY")
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    try:
        return _run()
    finally:
        if before is None:
            os.environ.pop("XLWINGS_LICENSE_KEY", None)
        else:
            os.environ["XLWINGS_LICENSE_KEY"] = before


def _run() -> list[str]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    import officejs
    import xlwings as xw

    from derisk_xl.excel import lite

    data, formats = officejs.payload(EXAMPLE)
    officejs.serve_number_formats(_Patch(), formats)
    text = json.dumps(data)
    positions = sum(1 for row in data["sheets"][0]["values"][1:] if row and row[0])
    counts = []

    def press():
        book = xw.Book(json=json.loads(text))
        result = asyncio.run(lite.build_plan(book))
        assert result.status == "planned", result
        counts.append(len(book.json()["actions"]))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        baseline = fresh_process(["-m", "derisk_xl.cli", "run", str(EXAMPLE), "--out", str(out),
                                  "--no-pdf"], repeat=5, env=env)
        assert (out / EXAMPLE.name).exists()
        snapshot = Path(tmp) / "payload.json"
        snapshot.write_text(json.dumps([data, [[s, r, c, f] for (s, r, c), f in formats.items()]]))
        first = fresh_process(["-c", FIRST_PRESS, str(snapshot)], repeat=3, env=env)
        xlwings_only = fresh_process(["-c", "import xlwings"], repeat=3, env=env)
        with open(os.devnull, "w") as quiet:  # the press prints its message to Lite's pane
            stdout, sys.stdout = sys.stdout, quiet
            try:
                press()
                warm = best_of(press, repeat=10)
            finally:
                sys.stdout = stdout

    return [
        line("baseline: fresh process, derisk run --no-pdf", baseline),
        line(f"Lite press, {positions} positions ({counts[-1]} actions)", warm, baseline,
             target="≤ 0.50×"),
        line("  first press in a fresh process (with imports)", first, baseline),
        line("  of which importing xlwings (Lite has it loaded already)", xlwings_only,
             baseline),
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print("\n".join(run()))
