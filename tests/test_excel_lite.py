"""The xlwings Lite press, driven by xlwings' own remote engine.

``xw.Book(json=payload)`` is the book an xlwings Lite script receives: the payload is what the
Office.js client sends (built here from a real workbook, tests/officejs.py), and the script's
calls come back as the actions the client would run in Excel. The actions are checked, then
played on the workbook as Excel plays them, and the plan sheets that result are compared cell
by cell with what ``derisk run`` writes into the file for the same inputs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

import officejs
from derisk_xl.excel import lite
from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES

pytestmark = pytest.mark.needs("xlwings-remote")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbooks" / "example.xlsx"
TODAY = dt.date(2030, 1, 1)  # never used when the workbook names its As Of (example: 2026-11-27)


def press(path: Path, monkeypatch, today: dt.date = TODAY, formats: dict | None = None):
    """Press Lite's script on the workbook ``path``: the result, the book (with its actions),
    the payload it started from and the number-format reads. ``formats`` replaces the
    workbook's own number formats as the client reports them."""
    data, own = officejs.payload(path)
    asked = officejs.serve_number_formats(monkeypatch, own if formats is None else formats)
    book = xw.Book(json=json.loads(json.dumps(data)))  # what crosses from JavaScript is JSON
    result = asyncio.run(lite.build_plan(book, today=today))
    return result, book, data, asked


def derisk_run(path: Path, out: Path) -> Path:
    """``derisk run BOOK --out DIR --no-pdf`` in a fresh process, as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run", str(path), "--out",
                           str(out), "--no-pdf"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return out / path.name


def cell_value(value):
    """A cell as Excel holds it: every number a double, a date cell a date."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


class Same(float):
    """A number compared as Excel shows it, to 15 significant digits: ``derisk run`` writes
    small sheets through XlsxWriter, which stores 16 (``%.16G``), so the 17th digit of a
    quotient such as 274860.36363636365 differs from the double Lite sends."""

    def __eq__(self, other):
        return isinstance(other, float) and math.isclose(self, other, rel_tol=1e-15, abs_tol=0)

    __hash__ = float.__hash__


def cells(values: dict) -> dict:
    return {k: Same(v) if isinstance(v, float) else v
            for k, v in ((k, cell_value(v)) for k, v in values.items())}


def file_cells(ws) -> dict:
    return cells({(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                  if c.value is not None})


@pytest.fixture(scope="module")
def planned_by_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return openpyxl.load_workbook(derisk_run(EXAMPLE, out))


def test_lite_press_writes_the_same_plan_sheets_as_derisk_run(monkeypatch, planned_by_run):
    result, book, data, asked = press(EXAMPLE, monkeypatch)
    assert result.status == "planned", result
    actions = book.json()["actions"]
    kinds = Counter(a["func"] for a in actions)
    assert kinds["addSheet"] == len(PLAN_SHEET_NAMES) == 6
    for kind in ("setValues", "addTable", "setNumberFormat", "setFontProperty",
                 "setColumnWidth", "freezePaneAtRange", "setPrintArea", "addChart",
                 "activateSheet", "alert"):
        assert kinds[kind] >= 1, (kind, kinds)
    assert asked, "the percent formats were never asked for"

    excel = officejs.apply_actions(data, actions)
    inputs = [s["name"] for s in data["sheets"]]
    assert excel.names == inputs + list(PLAN_SHEET_NAMES)
    assert excel.active == "Plan Summary"
    for name in inputs:  # the input sheets are left exactly as they were
        before = officejs.apply_actions(data, [])[name]
        assert excel[name].values == before.values and not excel[name].formats
    assert all(not s.formulas for s in excel.sheets)

    for name in PLAN_SHEET_NAMES:
        ws = planned_by_run[name]
        run_cells = file_cells(ws)
        assert cells(excel[name].values) == run_cells, name
        # the same number formats on every cell holding a number
        for (r, c), value in run_cells.items():
            if isinstance(value, float):
                assert excel[name].formats.get((r, c)) == ws.cell(r, c).number_format, (name, r, c)
        # the same Excel Tables over the same ranges
        assert sorted((t[0], t[1]) for t in excel[name].tables) == \
            sorted((t.name, t.ref) for t in ws.tables.values()), name
        # header rows frozen as in the file
        assert excel[name].frozen is not None
        assert ws.freeze_panes == officejs.pane_below(excel[name].frozen), name
        # headers bold, columns sized
        for t in ws.tables.values():
            top = openpyxl.utils.cell.range_boundaries(t.ref)
            assert (top[1], top[0]) in excel[name].bold
        assert excel[name].widths
        # the same print area (the rest of the page setup is beyond Lite's API; README says so)
        assert excel[name].print_area and ws.print_area, name
        assert ws.print_area.split("!")[-1] == excel[name].print_area, name

    summary = excel["Plan Summary"]
    assert len(summary.charts) == 1 and summary.charts[0]["type"] == "BarClustered"
    # it says it made no PDF, and why
    assert len(excel.alerts) == 1 and excel.alerts[0]["mode"] == "info"
    assert "No PDF in xlwings Lite" in excel.alerts[0]["prompt"]
    assert "No PDF" in result.message and result.pdf is None


def test_percent_formatted_settings_are_read_through_their_formats(monkeypatch):
    """SPEC 3: Tax Rate Short % holds 0.35 formatted as 35 %; read without its format it would
    be 0.35 %. The tax estimate on Plan Summary tells which was read."""
    def tax(formats):
        _, book, data, _ = press(EXAMPLE, monkeypatch, formats=formats)
        summary = officejs.apply_actions(data, book.json()["actions"])["Plan Summary"]
        row = next(r for (r, c), v in summary.values.items() if c == 1 and v == "Estimated tax")
        return summary.values[(row, 2)]

    # {}: a client that reports General everywhere; 35 % read as 0.35 % (other percent
    # settings move the gains a little too)
    assert tax(None) > 50 * tax({}) > 0


def test_second_press_replaces_the_plan_in_place(monkeypatch, tmp_path, planned_by_run):
    planned = derisk_run(EXAMPLE, tmp_path)  # a workbook that already has the six plan sheets
    result, book, data, _ = press(planned, monkeypatch)
    assert result.status == "planned"
    excel = officejs.apply_actions(data, book.json()["actions"])
    assert excel.names == [s["name"] for s in data["sheets"]]  # same sheets, same order
    for name in PLAN_SHEET_NAMES:
        assert cells(excel[name].values) == file_cells(planned_by_run[name]), name


def test_gather_reads_every_sheet_but_the_plan_sheets(monkeypatch, tmp_path):
    from derisk_xl.excel.adapter import gather_async

    planned = derisk_run(EXAMPLE, tmp_path)
    data, formats = officejs.payload(planned)
    officejs.serve_number_formats(monkeypatch, formats)
    grid = asyncio.run(gather_async(xw.Book(json=data)))
    everything = [s["name"] for s in data["sheets"]]
    assert list(grid.sheet_names) == everything
    assert [s.name for s in grid.sheets] == [n for n in everything if n not in PLAN_SHEET_NAMES]
    assert {t.name for t in grid.tables} >= {"tblHoldings", "tblSettings"}
    holdings = grid.sheet("Holdings")
    assert holdings.rows[0][0] == "Asset" and len(holdings.rows) == 21
    settings = grid.sheet("Settings")
    tax_row = next(i for i, r in enumerate(settings.rows) if r[0] == "Tax Rate Short %")
    assert settings.number_formats[(tax_row, 1)].endswith("%")


def test_bad_input_lists_every_problem_and_writes_no_plan(monkeypatch, tmp_path):
    bad = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["Holdings"]["C2"] = "forty thousand"
    wb["Holdings"]["B3"] = -1
    wb["Settings"]["A3"] = "Spot Targte %"
    wb.save(bad)
    result, book, data, _ = press(bad, monkeypatch)
    assert result.status == "invalid"
    excel = officejs.apply_actions(data, book.json()["actions"])
    assert not set(PLAN_SHEET_NAMES) & set(excel.names)
    errors = excel["Plan Errors"]
    cells = {errors.values[(r, 2)] for r in range(2, 2 + len(result.issues))}
    assert {"Holdings!C2", "Holdings!B3", "Settings!A3"} <= cells
    assert errors.frozen == "1:1"
    assert excel.active == "Plan Errors"
    assert len(excel.alerts) == 1 and excel.alerts[0]["mode"] == "critical"
    assert "Holdings!C2" in excel.alerts[0]["prompt"]
    for name in [s["name"] for s in data["sheets"]]:
        assert excel[name].values == officejs.apply_actions(data, [])[name].values


def test_unexpected_failure_is_a_sentence_not_a_traceback(monkeypatch, capsys):
    import derisk_xl.core.plan as plan_module

    def broken(inputs):
        raise RuntimeError("the calculator tripped over something")

    monkeypatch.setattr(plan_module, "make_plan", broken)
    result, book, data, _ = press(EXAMPLE, monkeypatch)
    assert result.status == "failed"
    excel = officejs.apply_actions(data, book.json()["actions"])
    assert excel.names == [s["name"] for s in data["sheets"]]
    prompt = excel.alerts[0]["prompt"]
    assert "could not be built: the calculator tripped over something" in prompt
    assert "Traceback" not in prompt
    assert "Traceback" in capsys.readouterr().out  # the details go to Lite's output pane


def test_hostile_text_stays_text(monkeypatch, tmp_path):
    evil = '=HYPERLINK("http://example.invalid","click")'
    path = tmp_path / "evil.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    client = next(row[1] for row in wb["Settings"].iter_rows() if row[0].value == "Client")
    client.value = evil  # shown on Plan Summary
    client.data_type = "s"  # text, as a user who typed an apostrophe first has it
    wb.save(path)
    result, book, data, _ = press(path, monkeypatch)
    assert result.status == "planned"
    excel = officejs.apply_actions(data, book.json()["actions"])
    assert all(not s.formulas for s in excel.sheets)
    assert evil in excel["Plan Summary"].values.values()


# --- derisk lite: the files pasted into the Lite editor --------------------------------------


def test_derisk_lite_writes_a_main_py_that_plans_through_the_remote_engine(
        tmp_path, monkeypatch, planned_by_run):
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "lite", str(tmp_path / "lite"),
                           "--button", "[PlanButton]Holdings!N2"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    main = (tmp_path / "lite" / "main.py").read_text()
    assert '@script(button="[PlanButton]Holdings!N2"' in main

    namespace: dict = {}
    exec(compile(main, "main.py", "exec"), namespace)  # what Lite does with its main.py
    data, formats = officejs.payload(EXAMPLE)
    officejs.serve_number_formats(monkeypatch, formats)
    book = xw.Book(json=data)
    asyncio.run(namespace["build_plan"](book))
    excel = officejs.apply_actions(data, book.json()["actions"])
    assert cells(excel["Plan Trades"].values) == file_cells(planned_by_run["Plan Trades"])


def test_requirements_name_only_what_pyodide_installs(tmp_path):
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    import tomllib

    reqs = lite.requirements_txt().splitlines()
    assert reqs == [f"xlwings=={xw.__version__}", "derisk-xl==0.1.0"]
    # derisk-xl brings nothing into Pyodide: every dependency is marked away there
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyodide = {**default_environment(), "sys_platform": "emscripten",
               "platform_system": "Emscripten", "platform_machine": "wasm32"}
    here = default_environment()
    deps = [Requirement(d) for d in project["dependencies"]]
    assert deps and not [str(d) for d in deps if d.marker is None or d.marker.evaluate(pyodide)]
    assert all(d.marker.evaluate(here) for d in deps)  # ... and everything on a desktop


def test_derisk_lite_without_a_folder_prints_both_files():
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "lite"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0
    assert "async def build_plan(book: xw.Book):" in done.stdout
    assert f"xlwings=={xw.__version__}" in done.stdout and "derisk-xl==" in done.stdout


def test_derisk_lite_refuses_a_button_that_would_break_main_py(tmp_path):
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "lite", str(tmp_path),
                           "--button", 'x"); import os; ("'], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("Error:")
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())


def test_format_reads_do_not_grow_with_the_rows(monkeypatch):
    """Lite reads number formats one round trip at a time: a sheet costs a few, however many
    positions it holds (here the example's 20 holdings, then 400)."""
    from derisk_xl.excel.adapter import gather_async

    def reads(copies: int) -> int:
        data, formats = officejs.payload(EXAMPLE)
        holdings = data["sheets"][0]
        assert holdings["name"] == "Holdings"
        body = holdings["values"][1:]
        holdings["values"] = holdings["values"][:1] + body * copies
        n = len(holdings["values"])
        holdings["used_range_address"] = f"$A$1:$L${n}"
        holdings["tables"] = []
        for (sheet, r, c), fmt in list(formats.items()):
            if sheet == "Holdings" and r > 1:
                for k in range(1, copies):
                    formats[(sheet, r + k * len(body), c)] = fmt
        asked = officejs.serve_number_formats(monkeypatch, formats)
        grid = asyncio.run(gather_async(xw.Book(json=data)))
        assert len(grid.sheet("Holdings").rows) == n
        return len([a for a in asked if a[0] == "Holdings"])

    assert reads(1) == reads(20) <= 12
