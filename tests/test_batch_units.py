"""The batch's own machinery: collecting files, output clashes, stale temp files, the summary
workbook read back with openpyxl, and a real process pool surviving a worker that dies."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from derisk_xl.batch import BatchRow
from derisk_xl.batch.collect import collect_workbooks, output_clashes, remove_stale_temp_files
from derisk_xl.batch.pool import run_local
from derisk_xl.batch.summary import SUMMARY_NAME, write_summary
from derisk_xl.pipeline import RunOptions


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def names(paths) -> list[str]:
    return [p.name for p in paths]


def test_folder_is_its_top_level_without_locks_temps_or_summaries(tmp_path):
    folder = tmp_path / "clients"
    for name in ("b.xlsx", "a.XLSX", "c.xlsm", "~$a.xlsx", ".~lock.b.xlsx#", ".b.xlsx.k2j3.tmp",
                 "~wrl0001.tmp", "notes.txt", "old.xls", SUMMARY_NAME, "Batch-Summary.xlsx"):
        touch(folder / name)
    touch(folder / "sub" / "deep.xlsx")
    (folder / "dir.xlsx").mkdir()  # a folder that looks like a workbook is not one
    got = collect_workbooks([folder])
    assert names(got.files) == ["a.XLSX", "b.xlsx", "c.xlsm"]
    assert got.missing == ()


def test_recursive_glob_dedupes_and_skips_the_out_folder_inside_the_input(tmp_path):
    folder = tmp_path / "clients"
    touch(folder / "a.xlsx")
    touch(folder / "east" / "b.xlsx")
    touch(folder / "planned" / "a.xlsx")  # our own output from an earlier run
    got = collect_workbooks([f"{folder}/**/*.xlsx", folder / "a.xlsx", folder],
                            out_dir=folder / "planned")
    assert [p.relative_to(folder).as_posix() for p in got.files] == ["a.xlsx", "east/b.xlsx"]


def test_order_does_not_depend_on_argument_order(tmp_path):
    for name in ("z.xlsx", "m.xlsx", "a.xlsx"):
        touch(tmp_path / name)
    one = collect_workbooks([tmp_path / "z.xlsx", tmp_path / "a.xlsx", tmp_path / "m.xlsx"])
    two = collect_workbooks([tmp_path / "m.xlsx", tmp_path / "z.xlsx", tmp_path / "a.xlsx"])
    assert one.files == two.files and names(one.files) == ["a.xlsx", "m.xlsx", "z.xlsx"]


def test_explicit_files_are_taken_and_missing_paths_reported(tmp_path):
    legacy = touch(tmp_path / "old.xls")
    got = collect_workbooks([legacy, tmp_path / "nope.xlsx", f"{tmp_path}/*.xlsm"])
    assert got.files == (legacy,)  # the reader will say what is wrong with it
    errors = [row.error for row in got.missing]
    assert [row.status for row in got.missing] == ["failed", "failed"]
    assert "no such file" in errors[0] and "nope.xlsx" in errors[0]
    assert "matched no files" in errors[1]


def test_same_names_into_one_out_folder_are_clashes(tmp_path):
    a = touch(tmp_path / "east" / "client.xlsx")
    b = touch(tmp_path / "west" / "client.xlsx")
    c = touch(tmp_path / "west" / "other.xlsx")
    clashes = output_clashes([a, b, c], RunOptions(out_dir=tmp_path / "out", pdf=False))
    assert set(clashes) == {a, b}
    assert "west/client.xlsx" in clashes[a] and "east/client.xlsx" in clashes[b]
    # in place, each writes beside itself: no clash
    assert output_clashes([a, b, c], RunOptions(pdf=False)) == {}


def test_xlsx_and_xlsm_of_one_name_clash_on_their_pdf(tmp_path):
    a = touch(tmp_path / "client.xlsx")
    m = touch(tmp_path / "client.xlsm")
    assert set(output_clashes([a, m], RunOptions(pdf=True))) == {a, m}
    assert output_clashes([a, m], RunOptions(pdf=False)) == {}


def test_stale_temp_files_of_our_outputs_are_removed_and_nothing_else(tmp_path):
    ours = [touch(tmp_path / ".a.xlsx.abc123.tmp"), touch(tmp_path / ".a-derisk-plan.pdf.x1.tmp")]
    theirs = [touch(tmp_path / ".b.xlsx.abc123.tmp"), touch(tmp_path / "a.xlsx"),
              touch(tmp_path / ".a.xlsx.swp")]
    removed = remove_stale_temp_files(tmp_path, ["a.xlsx", "a-derisk-plan.pdf"])
    assert sorted(removed) == sorted(ours)
    assert all(p.exists() for p in theirs) and not any(p.exists() for p in ours)


def test_summary_workbook_reads_back_with_numbers_and_text_never_formulas(tmp_path):
    rows = [
        BatchRow(file="a.xlsx", status="planned", total=Decimal("35000"),
                 risk_spot_before=Decimal("0.5"), risk_spot_after=Decimal("0.4"),
                 realized_gain=Decimal("6843.75"), hedge_notional=Decimal("2773.80"),
                 pdf="out/a-derisk-plan.pdf", email="outbox", seconds=0.4567),
        BatchRow(file="=HYPERLINK(\"x\").xlsx", status="failed",
                 error="Holdings!C3: expected a number, got '=1+1\x07'", seconds=0.1),
        BatchRow(file="c.xlsx", status="skipped-unchanged"),
    ]
    path = write_summary(rows, tmp_path / "out" / SUMMARY_NAME)
    assert path == tmp_path / "out" / SUMMARY_NAME
    assert not list(path.parent.glob(".*.tmp"))
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header == ["File", "Status", "Error", "T", "Risk Spot % Before", "Risk Spot % After",
                      "Realized Gain", "Hedge Notional", "PDF", "Email", "Seconds"]
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert values[0] == ["a.xlsx", "planned", None, 35000, 0.5, 0.4, 6843.75, 2773.8,
                         "out/a-derisk-plan.pdf", "outbox", 0.457]
    assert values[1][:3] == ["=HYPERLINK(\"x\").xlsx", "failed",
                             "Holdings!C3: expected a number, got '=1+1'"]
    assert ws["A3"].data_type == "s" and ws["C3"].data_type == "s"
    assert values[2][1] == "skipped-unchanged" and values[2][3] is None
    assert ws["E2"].number_format == "0.0%" and ws.freeze_panes == "A2"
    assert ws.tables["BatchSummary"].ref == "A1:K4"


# -- a real pool whose worker dies -------------------------------------------------------------


def dying_chunk(chunk, options):
    """A worker task that dies like an out-of-memory kill on any workbook named *crash*."""
    rows = []
    for source, display in chunk:
        if "crash" in source:
            os._exit(9)
        rows.append(BatchRow(file=display, status="planned", seconds=float(os.getpid())))
    return rows


@pytest.mark.parametrize("count", [40, 12])  # chunks of two workbooks, and of one
def test_a_dying_worker_fails_only_its_own_workbook_and_the_batch_goes_on(count):
    tasks = [(f"book{i:02d}.xlsx", f"book{i:02d}.xlsx") for i in range(count)]
    tasks[3] = ("crash03.xlsx", "crash03.xlsx")
    tasks[-2] = ("crash-late.xlsx", "crash-late.xlsx")
    rows: list[BatchRow] = []
    run_local(tasks, RunOptions(pdf=False), 2, rows.append, task=dying_chunk)
    by_file = {r.file: r for r in rows}
    assert len(rows) == count and len(by_file) == count  # each reported once
    failed = sorted(f for f, r in by_file.items() if r.status == "failed")
    assert failed == ["crash-late.xlsx", "crash03.xlsx"], [(r.file, r.error) for r in rows]
    assert "worker process died" in by_file["crash03.xlsx"].error
    # workers are reused: far fewer processes than workbooks
    assert len({r.seconds for r in rows if r.status == "planned"}) <= 8
