"""Plan SPEC section 7 and describe the result exactly, as JSON on a line after ``DIGEST``.

Run unchanged by CPython and by Pyodide (tests/test_pyodide.py), which then compares the two
answers. Two routes to the same case study: the calculator on ``case_study_inputs()`` (its
source is put in front of this file, with ``GRID``, a workbook's cells as tagged JSON), and
the workbook route Lite takes: ``parse_inputs`` on that grid, ``compute`` without a PDF, the
plan sheets. Every Decimal is compared by its digits, every float by its repr.
"""

import datetime as dt
import json
import sys
from decimal import Decimal

import derisk_xl
from derisk_xl import make_plan
from derisk_xl.pipeline import compute
from derisk_xl.workbook.grid import ExcelError, SheetGrid, TableRef, WorkbookGrid
from derisk_xl.workbook.plan_sheets import plan_sheets
from derisk_xl.workbook.reader import parse_inputs


def tagged(x):
    if isinstance(x, Decimal):
        return ["D", str(x)]
    if isinstance(x, dt.datetime):
        return ["DT", x.isoformat()]
    if isinstance(x, dt.date):
        return ["DA", x.isoformat()]
    if isinstance(x, float):
        return ["F", repr(x)]
    return x


def untag(x):
    if isinstance(x, list):
        kind, text = x
        return {"DT": dt.datetime.fromisoformat, "DA": dt.date.fromisoformat,
                "E": ExcelError, "F": float}[kind](text)
    return x


def grid_from(data):
    sheets = tuple(SheetGrid(name=s["name"],
                             rows=tuple(tuple(untag(v) for v in row) for row in s["rows"]),
                             number_formats={(r, c): f for r, c, f in s["formats"]})
                   for s in data["sheets"])
    return WorkbookGrid(sheets=sheets, sheet_names=tuple(data["sheet_names"]),
                        tables=tuple(TableRef(*t) for t in data["tables"]), source=data["source"])


def describe(plan, specs):
    h = plan.hedge
    return {
        "figures": {
            "T": str(plan.total_before), "T after": str(plan.total_after),
            "realized gain": str(plan.realized_gain), "status": plan.status,
            "trades": [[t.step, t.instrument, t.side, str(t.quantity), str(t.notional)]
                       for t in plan.trades],
            "hedge": [str(h.quantity), str(h.notional), str(h.margin),
                      str(h.liquidation_price)] if h else None,
            "net exposure": [str(plan.exposure_before.net), str(plan.exposure_after.net)],
            "stress": [[str(r.shock), str(r.pnl_before), str(r.pnl_after)] for r in plan.stress],
            "fingerprint": plan.fingerprint,
        },
        "sheets": [[s.name, list(s.widths), s.freeze_rows,
                    [[b.table, b.title, b.top, [[c.name, c.kind, c.width] for c in b.columns],
                      [[tagged(v) for v in row] for row in b.rows]] for b in s.blocks]]
                   for s in specs],
    }


calculator = make_plan(case_study_inputs())  # noqa: F821 (put in front of this file)
read = parse_inputs(grid_from(GRID), as_of=None, today=dt.date(2026, 11, 28))  # noqa: F821
computed = compute(read, pdf=False)
answer = {
    "platform": sys.platform,
    "calculator": describe(calculator, plan_sheets(calculator, version=derisk_xl.__version__)),
    "workbook": describe(computed.plan, plan_sheets(computed.plan, version=derisk_xl.__version__)),
    "issues": [str(i) for i in computed.issues],
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {
        "weasyprint", "python_calamine", "dask", "distributed", "msoffcrypto", "rich",
        "openpyxl", "xlsxwriter", "jinja2", "xlwings"}),
}
print("DIGEST " + json.dumps(answer))
