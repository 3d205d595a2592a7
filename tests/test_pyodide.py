"""The calculator and the plan-sheet builder in Pyodide, from the built wheel, as xlwings Lite
runs them: Node loads Pyodide (npm package ``pyodide``, offline), micropip installs our wheel
with its dependencies resolved (in Pyodide every one is marked away, so nothing is fetched: a
fetch fails the run), and SPEC section 7 is planned there and here. The two answers must be
the same to the last digit.

``.ci/pyodide`` puts Pyodide and micropip's wheel in ``.cache/pyodide/`` (``.ci/run`` calls it).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from needs import PYODIDE_CACHE, pyodide_xlwings_wheel

import conftest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.needs("node", "pyodide")  # asked before the wheel is built
RUNNER = Path(__file__).resolve().parent / "pyodide" / "run.mjs"
DIGEST = Path(__file__).resolve().parent / "pyodide" / "plan_digest.py"
LITE = Path(__file__).resolve().parent / "pyodide" / "lite_press.py"


def _tag(v):
    if isinstance(v, dt.datetime):
        return ["DT", v.isoformat()]
    if isinstance(v, dt.date):
        return ["DA", v.isoformat()]
    if isinstance(v, float):
        return ["F", repr(v)]
    if v.__class__.__name__ == "ExcelError":
        return ["E", v.code]
    return v


def case_study_grid() -> dict:
    """workbooks/case-study.xlsx as the grid an Excel door gathers (values and formats)."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "workbooks" / "case-study.xlsx", data_only=True)
    sheets, tables = [], []
    for ws in wb.worksheets:
        rows, formats = [], []
        for row in ws.iter_rows():
            rows.append([_tag(c.value) for c in row])
            formats += [[c.row - 1, c.column - 1, c.number_format] for c in row
                        if c.number_format and c.number_format != "General"]
        sheets.append({"name": ws.title, "rows": rows, "formats": formats})
        for t in ws.tables.values():
            from openpyxl.utils.cell import range_boundaries

            c1, r1, c2, r2 = range_boundaries(t.ref)
            tables.append([t.name, ws.title, r1 - 1, c1 - 1, r2 - 1, c2 - 1])
    return {"sheets": sheets, "sheet_names": wb.sheetnames, "tables": tables,
            "source": "case-study.xlsx"}


def script(folder: Path) -> Path:
    """plan_digest.py with its two inputs put in front: the case study and the grid."""
    source = "\n".join([
        "import datetime as dt",
        "from decimal import Decimal",
        "from derisk_xl.core.model import PlanInputs, Position, Settings",
        f"AS_OF = dt.date({conftest.AS_OF.year}, {conftest.AS_OF.month}, {conftest.AS_OF.day})",
        inspect.getsource(conftest.case_study_inputs),
        f"GRID = {json.dumps(case_study_grid())!r}",
        "import json as _json; GRID = _json.loads(GRID)",
        DIGEST.read_text(),
    ])
    path = folder / "digest.py"
    path.write_text(source)
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    return next(out.glob("derisk_xl-*.whl"))


@pytest.fixture(scope="module")
def pyodide_run(wheel, tmp_path_factory) -> dict:
    """One Pyodide under Node for both tests: the digest of SPEC 7, and (where xlwings' pure
    wheel is in the cache) the Lite press on the example workbook. Their answers by name."""
    node = shutil.which("node")
    pyodide = PYODIDE_CACHE / "node_modules" / "pyodide"
    micropip = sorted((PYODIDE_CACHE / "wheels").glob("micropip-*.whl"))
    folder = tmp_path_factory.mktemp("pyodide")
    scripts, wheels = [digest_script(folder)], [wheel]
    formats = folder / "formats.json"
    formats.write_text("{}")
    lite = pyodide_xlwings_wheel()
    if lite is not None:
        scripts.append(lite_script(folder, formats))
        wheels.insert(0, lite)
    done = subprocess.run([node, str(RUNNER), str(pyodide), str(micropip[-1]), str(formats),
                           ",".join(map(str, wheels)), *map(str, scripts)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    answers = {}
    for line in done.stdout.splitlines():
        name, _, text = line.partition(" ")
        if name in ("DIGEST", "LITE"):
            answers[name] = json.loads(text)
    return answers


def digest_script(folder: Path) -> Path:
    return script(folder)


def lite_script(folder: Path, formats_file: Path) -> Path:
    """lite_press.py with the example workbook's payload in front; its formats into
    ``formats_file`` for the runner's stand-in of the Office.js client."""
    import officejs
    from openpyxl.utils import get_column_letter

    data, formats = officejs.payload(ROOT / "workbooks" / "example.xlsx")
    by_sheet: dict = {}
    for (sheet, r, c), fmt in formats.items():
        by_sheet.setdefault(sheet, {})[f"{get_column_letter(c)}{r}"] = fmt
    formats_file.write_text(json.dumps(by_sheet))
    path = folder / "lite_press.py"
    path.write_text(f"PAYLOAD = {json.dumps(data)!r}\n" + LITE.read_text())
    return path


@pytest.mark.slow
def test_spec7_plans_the_same_in_pyodide_from_the_wheel(pyodide_run, tmp_path):
    there = pyodide_run["DIGEST"]
    digest = script(tmp_path)
    here = json.loads(subprocess.run([sys.executable, str(digest)], check=True,
                                     capture_output=True, text=True, timeout=120,
                                     env={"PYTHONPATH": str(ROOT), "PATH": ""}).stdout
                      .strip().splitlines()[-1].partition(" ")[2])

    assert there["platform"] == "emscripten" and here["platform"] != "emscripten"
    assert there["heavy"] == [] and there["issues"] == here["issues"]
    assert there["calculator"] == here["calculator"]
    assert there["workbook"] == here["workbook"]

    # and those figures are SPEC section 7's
    for route in ("calculator", "workbook"):
        f = there[route]["figures"]
        assert float(f["T"]) == 35000 and float(f["realized gain"]) == 6843.75
        assert [float(x) for x in f["hedge"][:2]] == [0.069, 2773.80]
        assert round(float(f["hedge"][3]), 2) == 53333.33
        assert [round(float(x), 2) for x in f["net exposure"]] == [23500, 11226.20]
        shock = next(s for s in f["stress"] if float(s[0]) == -0.30)
        assert [round(float(x), 2) for x in shock[1:]] == [-7050, -3367.86]
        assert [s[0] for s in there[route]["sheets"]] == [
            "Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge", "Plan Ladder",
            "Plan Stress"]


@pytest.mark.slow
@pytest.mark.needs("pyodide-xlwings")  # without it, pyodide_run does not press Lite
def test_lite_press_in_pyodide_queues_the_same_actions_as_in_cpython(pyodide_run, monkeypatch):
    """The whole Lite script in Pyodide, from xlwings' and our wheels, with the percent
    formats asked of a stand-in of the Office.js client through ``js.xlwings`` exactly as
    xlwings Lite asks: the actions it queues for Excel are those the same press queues in
    CPython (tests/test_excel_lite.py shows those make derisk run's plan sheets)."""
    import asyncio

    import officejs
    import xlwings as xw

    from derisk_xl.excel import lite

    there = pyodide_run["LITE"]
    data, formats = officejs.payload(ROOT / "workbooks" / "example.xlsx")
    officejs.serve_number_formats(monkeypatch, formats)
    book = xw.Book(json=data)
    result = asyncio.run(lite.build_plan(book, today=dt.date(2030, 1, 1)))
    here = json.loads(json.dumps(book.json()["actions"]))

    assert there["platform"] == "emscripten"
    assert there["status"] == result.status == "planned"
    assert [a["func"] for a in there["actions"]].count("addSheet") == 6
    assert there["actions"] == here
