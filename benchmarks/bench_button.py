"""Cost of one press of the Excel button, against the floor of importing WeasyPrint.

A press runs in a fresh Python process started by xlwings' RunPython, which imports xlwings and
then our entry point. Measured here in fresh processes, in the same run:

- floor: ``import weasyprint`` alone (the PDF needs it, so no press can be cheaper);
- press: import xlwings and ``derisk_xl.excel``, read the 20-position example workbook through
  the xlwings calls (answered by the in-memory test double, as no Excel exists here), plan,
  write the six plan sheets and render and save the PDF.

Target: press ≤ 1.6 × floor.

Also measured, for Windows workbooks made with ``derisk new --use-udf-server``: a later press in
the same long-lived Python (xlwings' COM server runs every press there), best of 5 after a first.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import fresh_process, line

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbooks" / "example.xlsx"
TESTS = ROOT / "tests"

PRESS = """
import pickle, sys
import xlwings as xw
import derisk_xl.excel
sys.path.append(sys.argv[2])  # tests/: the double that stands in for Excel's side of the calls
import fake_excel
book = pickle.loads(open(sys.argv[1], "rb").read())
xw.Book.caller = classmethod(lambda cls: book)
result = derisk_xl.excel.build_plan()
assert result.status == "planned" and not book.app.alerts, (result, book.app.alerts)
"""

NO_PDF = PRESS.replace("result = derisk_xl.excel.build_plan()", """
import derisk_xl.report
derisk_xl.report.render_pdf = lambda plan, **kw: b"%PDF-1.7 measurement stub"
result = derisk_xl.excel.build_plan()""")


# what a plain ``pip install derisk-xl`` has: neither pandas nor numpy (xlwings imports both
# when present; the development extras install pandas for the tests)
PLAIN = "import sys; sys.modules['pandas'] = sys.modules['numpy'] = None\n" + PRESS

WARM = PRESS + """
import time
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    result = derisk_xl.excel.build_plan()
    best = min(best, time.perf_counter() - t)
    assert result.status == "planned", result
print(best)
"""


def run() -> list[str]:
    sys.path[:0] = [str(ROOT), str(TESTS)]
    from fake_excel import load_book

    with tempfile.TemporaryDirectory() as tmp:
        book = load_book(EXAMPLE, fullname=str(Path(tmp) / "example.xlsm"))
        positions = sum(1 for r in book.sheets["Holdings"].rows()[1:] if r and r[0])
        snapshot = Path(tmp) / "book.pickle"
        snapshot.write_bytes(pickle.dumps(book))

        floor = fresh_process(["-c", "import weasyprint"], repeat=5)
        xlwings_only = fresh_process(["-c", "import xlwings"], repeat=5)
        press = fresh_process(["-c", PRESS, str(snapshot), str(TESTS)], repeat=5)
        pdf = Path(tmp) / "example-derisk-plan.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-", "the press wrote no PDF"
        without_pdf = fresh_process(["-c", NO_PDF, str(snapshot), str(TESTS)], repeat=5)
        plain = fresh_process(["-c", PLAIN, str(snapshot), str(TESTS)], repeat=5)
        done = subprocess.run([sys.executable, "-c", WARM, str(snapshot), str(TESTS)], check=True,
                              capture_output=True, text=True)
        warm = float(done.stdout.split()[-1])

    return [
        line("floor: fresh process, import weasyprint", floor),
        line("fresh process, import xlwings", xlwings_only, floor),
        line(f"press: import entry point, plan {positions} positions, PDF", press, floor,
             target="≤ 1.60×"),
        line("  the same press without the PDF (no WeasyPrint)", without_pdf,
             floor),
        line("  the same press without pandas and numpy installed", plain, floor),
        line("later press in the same Python (Use UDF Server, Windows)", warm, floor),
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print("\n".join(run()))
