"""Every door finds and maps the same table (SPEC 3.9, issue "the same for every door").

On each real tracker of ``../shared/realbooks``: the file reader (``derisk run``/``check``), the
batch (real worker processes) and the Excel button reading through xlwings (the remote engine an
xlwings Lite press uses, fed the payload Office.js sends) give the same table, the same positions
and the same refusals.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

import officejs
from derisk_xl.batch import run_batch
from derisk_xl.core.plan import make_plan
from derisk_xl.pipeline import RunOptions
from derisk_xl.workbook.reader import parse_inputs, read_workbook
from needs import REALBOOKS

pytestmark = pytest.mark.needs("xlwings-remote")
TODAY = dt.date(2026, 12, 1)


def through_xlwings(path: Path, monkeypatch):
    from derisk_xl.excel.adapter import gather_async

    data, formats = officejs.payload(path)
    officejs.serve_number_formats(monkeypatch, formats)
    grid = asyncio.run(gather_async(xw.Book(json=json.loads(json.dumps(data)))))
    return parse_inputs(grid, as_of=None, today=TODAY)


def positions(result) -> list[tuple]:
    return [(p.asset, p.quantity, p.price, p.avg_cost, p.venue, p.location)
            for p in result.inputs.positions]


def error_cells(issues) -> set[str]:
    return {i.location for i in issues if i.severity == "error"}


@pytest.mark.needs("realbooks")
def test_file_batch_and_button_read_every_real_tracker_alike(tmp_path, monkeypatch):
    books = tmp_path / "in"
    shutil.copytree(REALBOOKS, books, ignore=shutil.ignore_patterns("*.md"))
    report = run_batch([str(books)], RunOptions(out_dir=tmp_path / "out", pdf=False,
                                                today=TODAY),
                       jobs=2, summary_dir=tmp_path, progress=False)
    rows = {Path(r.file).name: r for r in report.rows}
    assert len(rows) == len(list(books.glob("*.xls*"))) >= 10
    for path in sorted(books.glob("*.xls*")):
        file = read_workbook(path, as_of=None, today=TODAY)
        button = through_xlwings(path, monkeypatch)
        row = rows[path.name]
        if file.inputs is None:
            assert button.inputs is None, path.name
            assert row.status == "failed", path.name
            assert error_cells(button.issues) == error_cells(file.issues), path.name
            assert error_cells(row.issues) == error_cells(file.issues), path.name
            continue
        assert button.inputs is not None, (path.name, button.issues)
        assert button.inputs.source == file.inputs.source, path.name
        assert positions(button) == positions(file), path.name
        assert button.inputs.settings == file.inputs.settings, path.name
        assert row.status == "planned", (path.name, row.error)
        assert row.total.quantize(Decimal("0.01")) == \
            make_plan(file.inputs).total_before.quantize(Decimal("0.01"))
        summary = openpyxl.load_workbook(tmp_path / "out" / path.name,
                                         read_only=True)["Plan Summary"]
        heading = " ".join(str(summary.cell(r, 1).value or "") for r in range(2, 6))
        assert file.inputs.source.line in heading, path.name
