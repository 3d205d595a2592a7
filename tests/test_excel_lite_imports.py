"""The Lite path plans with the heavy and native parts of the product made unimportable.

In Pyodide there is no WeasyPrint, python-calamine, Dask, msoffcrypto, rich, openpyxl or
XlsxWriter, and no compiled extension but Pyodide's own builds. A fresh Python here gets a
meta-path finder that refuses those packages and every compiled extension module installed in
site-packages (the standard library's own stay, as Pyodide has them), then presses Lite's
script through xlwings' remote engine (pure Python; it runs without its optional numpy,
pandas, Pillow and Rust parts) on the example workbook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import officejs

ROOT = Path(__file__).resolve().parent.parent

BLOCKER = r'''
import importlib.machinery, sys, sysconfig

SITE = tuple({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})
HEAVY = {"weasyprint", "python_calamine", "dask", "distributed", "msoffcrypto", "olefile",
         "rich", "openpyxl", "xlsxwriter", "jinja2", "markupsafe", "numpy", "pandas", "PIL",
         "cffi", "_cffi_backend", "cryptography", "fontTools", "pydyf", "tinycss2", "oletools"}


class Blocker:
    """Refuse the heavy packages by name and any compiled module from site-packages."""

    refused = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            self.refused.append(name)
            raise ImportError(f"blocked for this test: {name}")
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if (spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
                and str(spec.origin).startswith(SITE)):
            self.refused.append(name)
            raise ImportError(f"compiled extension blocked for this test: {name}")
        return None


sys.meta_path.insert(0, Blocker())
'''

PRESS = r'''
import asyncio, datetime as dt, json, sys
from pathlib import Path

data, formats = json.loads(Path(sys.argv[1]).read_text())
formats = {(s, r, c): f for s, r, c, f in formats}

import xlwings as xw
from xlwings.pro import _xlremote  # the test's stand-in for the Office.js client's answers


async def get_number_format(impl):
    r1, c1 = impl.row, impl.column
    rows, cols = impl.shape
    found = {formats.get((impl.sheet.name, r, c), "General")
             for r in range(r1, r1 + rows) for c in range(c1, c1 + cols)}
    return found.pop() if len(found) == 1 else None


_xlremote.Range.get_number_format = get_number_format

import derisk_xl.excel.lite

book = xw.Book(json=data)
result = asyncio.run(derisk_xl.excel.lite.build_plan(book, today=dt.date(2030, 1, 1)))
actions = book.json()["actions"]
try:
    import weasyprint
    blocker_works = False
except ImportError:
    blocker_works = True
compiled = sorted(m for m, mod in sys.modules.items()
                  if str(getattr(mod, "__file__", "") or "").endswith((".so", ".pyd"))
                  and str(mod.__file__).startswith(SITE))
print(json.dumps({"status": result.status, "message": result.message,
                  "sheets": [a["args"][1] for a in actions if a["func"] == "addSheet"],
                  "values": sum(a["func"] == "setValues" for a in actions),
                  "refused": sorted(set(Blocker.refused)), "blocker_works": blocker_works,
                  "compiled": compiled, "loaded": sorted(m for m in sys.modules
                                                         if m.split(".")[0] in HEAVY)}))
'''


@pytest.mark.slow
@pytest.mark.needs("xlwings-remote")
def test_lite_path_plans_without_heavy_or_compiled_packages(tmp_path):
    data, formats = officejs.payload(ROOT / "workbooks" / "example.xlsx")
    book = tmp_path / "payload.json"
    book.write_text(json.dumps([data, [[s, r, c, f] for (s, r, c), f in formats.items()]]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XLWINGS_LICENSE_KEY": "noncommercial"}
    done = subprocess.run([sys.executable, "-c", BLOCKER + PRESS, str(book)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert out["blocker_works"] and out["refused"]  # it was asked, and said no
    assert out["loaded"] == [] and out["compiled"] == []
    assert out["status"] == "planned", out["message"]
    assert out["sheets"] == ["Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge",
                             "Plan Ladder", "Plan Stress"]
    assert out["values"] >= 6
