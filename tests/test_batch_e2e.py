"""``derisk batch`` end to end: real workbooks, the real pipeline, a real subprocess with worker
processes; failures isolated, the summary read back, re-runs skipping what is unchanged, and a
batch killed half way that leaves every workbook whole and finishes on the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from derisk_xl.workbook.new import InputBook, write_input_workbook

AS_OF = "2026-11-28"
PLAN_SHEETS = {"Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge", "Plan Ladder",
               "Plan Stress"}


# -- the folder a desk would have -----------------------------------------------------------


def holdings(i: int, n: int = 6) -> list[dict]:
    """Client ``i``: ``n - 2`` alts well in profit, some BTC (protected) and USDC."""
    rows = [{"Asset": f"C{j:02d}", "Quantity": 10 + j + i, "Price": 50 + 3 * j,
             "Avg Cost": 10 + j, "Venue": "Binance", "Lot Step": 0.01} for j in range(n - 2)]
    rows.append({"Asset": "BTC", "Quantity": 0.5, "Price": 97000, "Avg Cost": 30000})
    rows.append({"Asset": "USDC", "Quantity": 5000 + 100 * i, "Price": 1, "Avg Cost": 1})
    return rows


def total_of(rows: list[dict]) -> Decimal:
    """T of a spot-only client: Σ quantity · price, from the table the test wrote."""
    return sum((Decimal(str(r["Quantity"])) * Decimal(str(r["Price"])) for r in rows),
               Decimal(0))


def write_book(path: Path, rows: list[dict]) -> None:
    write_input_workbook(path, InputBook(
        holdings=rows, settings=[("Client", path.stem), ("Hedge Price", 97100)],
        futures=None, tiers=None, lots=None))


def write_without_holdings(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Settings")
    ws.write_row(0, 0, ["Key", "Value"])
    ws.write_row(1, 0, ["Model", "Balanced De-Risk"])
    wb.close()


def make_folder(folder: Path, good: int) -> dict[str, list[dict] | None]:
    """``good`` plannable workbooks plus two bad ones; returns each file's holdings rows."""
    folder.mkdir(parents=True, exist_ok=True)
    books: dict[str, list[dict] | None] = {}
    for i in range(good):
        rows = holdings(i)
        write_book(folder / f"client{i:02d}.xlsx", rows)
        books[f"client{i:02d}.xlsx"] = rows
    bad = holdings(99)
    bad[2]["Price"] = "about 56"  # a text price: Holdings!C4
    write_book(folder / "bad-price.xlsx", bad)
    books["bad-price.xlsx"] = None
    write_without_holdings(folder / "no-holdings.xlsx")
    books["no-holdings.xlsx"] = None
    return books


def derisk(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def summary_rows(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    rows = {}
    for values in ws.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, values))
        rows[Path(row["File"]).name] = row
    return rows


def plan_sheets_of(path: Path) -> set[str]:
    return set(openpyxl.load_workbook(path, read_only=True).sheetnames) & PLAN_SHEETS


def text_price_cell(path: Path) -> str:
    """Where the text price sits, found by reading the file (not by asking the reader)."""
    ws = openpyxl.load_workbook(path)["Holdings"]
    column = next(c.column_letter for c in ws[1] if c.value == "Price")
    row = next(r for r in range(2, ws.max_row + 1)
               if isinstance(ws[f"{column}{r}"].value, str))
    return f"Holdings!{column}{row}"


# -- good and bad together --------------------------------------------------------------------


def test_batch_plans_the_good_reports_the_bad_and_reruns_skip_unchanged(tmp_path):
    inputs = tmp_path / "clients"
    books = make_folder(inputs, good=8)
    (inputs / "~$client03.xlsx").write_bytes(b"owner file of an open workbook")
    (inputs / "notes.txt").write_text("not a workbook")
    before = snapshot(inputs)
    out = tmp_path / "planned"

    first = derisk("batch", "clients", "--out", "planned", "--jobs", "2", "--no-pdf",
                   "--as-of", AS_OF, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert snapshot(inputs) == before  # --out: inputs untouched, bad ones included

    bad_cell = text_price_cell(inputs / "bad-price.xlsx")
    assert bad_cell in first.stdout and "about 56" in first.stdout
    assert "no-holdings.xlsx was not planned" in first.stdout
    assert "Traceback" not in first.stdout + first.stderr

    rows = summary_rows(out / "batch-summary.xlsx")
    assert set(rows) == set(books)  # lock file and notes.txt were not taken
    for name, holding_rows in books.items():
        row = rows[name]
        if holding_rows is None:
            assert row["Status"] == "failed" and not (out / name).exists()
            continue
        assert row["Status"] == "planned", row
        assert row["Error"] is None
        assert Decimal(str(row["T"])) == total_of(holding_rows)
        assert 0 < row["Risk Spot % After"] < row["Risk Spot % Before"] < 1
        assert row["Realized Gain"] > 0 and row["Hedge Notional"] > 0
        assert row["PDF"] is None and row["Seconds"] > 0
        assert plan_sheets_of(out / name) == PLAN_SHEETS
    assert bad_cell in rows["bad-price.xlsx"]["Error"]
    assert "Holdings" in rows["no-holdings.xlsx"]["Error"]
    assert not list(out.glob(".*.tmp")) and not list(inputs.glob(".*.tmp"))

    planned = snapshot(out)
    second = derisk("batch", "clients", "--out", "planned", "--jobs", "2", "--no-pdf",
                    "--as-of", AS_OF, cwd=tmp_path)
    assert second.returncode == 1
    rows = summary_rows(out / "batch-summary.xlsx")
    statuses = {name: row["Status"] for name, row in rows.items()}
    assert statuses == {name: "failed" if rows_ is None else "skipped-unchanged"
                        for name, rows_ in books.items()}
    after = snapshot(out)
    assert {n: b for n, b in after.items() if n != "batch-summary.xlsx"} == \
        {n: b for n, b in planned.items() if n != "batch-summary.xlsx"}

    forced = derisk("batch", "clients", "--out", "planned", "--jobs", "2", "--no-pdf",
                    "--as-of", AS_OF, "--force", cwd=tmp_path)
    assert forced.returncode == 1
    rows = summary_rows(out / "batch-summary.xlsx")
    assert sorted(n for n, r in rows.items() if r["Status"] == "planned") == \
        sorted(n for n, r in books.items() if r is not None)
    assert snapshot(inputs) == before


def test_batch_in_place_with_pdfs_and_a_workbook_open_in_excel(tmp_path):
    """In place: planned files get their sheets and a PDF beside them; the one open in Excel
    is refused and left as it was; the summary goes to the current folder."""
    folder = tmp_path / "desk"
    folder.mkdir()
    for i in range(3):
        write_book(folder / f"client{i}.xlsx", holdings(i))
    (folder / "~$client1.xlsx").write_bytes(b"owner")
    before = snapshot(folder)
    result = derisk("batch", str(folder / "*.xlsx"), "--jobs", "2", "--as-of", AS_OF,
                    cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    rows = summary_rows(tmp_path / "batch-summary.xlsx")
    assert {n: r["Status"] for n, r in rows.items()} == {
        "client0.xlsx": "planned", "client1.xlsx": "failed", "client2.xlsx": "planned"}
    assert "open in Excel" in rows["client1.xlsx"]["Error"]
    assert (folder / "client1.xlsx").read_bytes() == before["client1.xlsx"]
    for name in ("client0.xlsx", "client2.xlsx"):
        assert plan_sheets_of(folder / name) == PLAN_SHEETS
        pdf = folder / f"{Path(name).stem}-derisk-plan.pdf"
        assert pdf.read_bytes().startswith(b"%PDF") and rows[name]["PDF"] == str(pdf)


# -- killed half way, then resumed ------------------------------------------------------------


def _planned_or_untouched(folder: Path, originals: dict[str, bytes]) -> tuple[set, set]:
    planned, untouched = set(), set()
    for name, data in originals.items():
        now = (folder / name).read_bytes()
        if now == data:
            untouched.add(name)
        else:
            assert plan_sheets_of(folder / name) == PLAN_SHEETS, f"{name} is half planned"
            planned.add(name)
    return planned, untouched


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_a_batch_killed_half_way_leaves_files_whole_and_a_rerun_finishes(tmp_path, how):
    folder = tmp_path / "desk"
    folder.mkdir()
    count = 30
    for i in range(count):
        write_book(folder / f"client{i:02d}.xlsx", holdings(i, n=10))
    originals = snapshot(folder)
    inodes = {n: (folder / n).stat().st_ino for n in originals}  # a rename brings a new one
    cmd = [sys.executable, "-m", "derisk_xl.cli", "batch", str(folder), "--jobs", "2",
           "--no-pdf", "--as-of", AS_OF]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    changed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        changed = sum((folder / n).stat().st_ino != ino for n, ino in inodes.items())
        if changed >= 3:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    os.killpg(proc.pid, getattr(signal, how))
    out, err = proc.communicate(timeout=60)
    if how == "SIGINT":
        assert proc.returncode == 130, err
        assert b"Interrupted" in err
        rows = summary_rows(tmp_path / "batch-summary.xlsx")
        assert any("interrupted" in (r["Error"] or "") for r in rows.values())
        assert not list(folder.glob(".*.tmp"))  # the workbooks in hand were finished
    else:
        assert proc.returncode == -signal.SIGKILL
        time.sleep(0.2)  # let the killed workers' last writes settle

    planned, untouched = _planned_or_untouched(folder, originals)
    assert planned and untouched, (len(planned), len(untouched))
    # what a write killed between its temp file and the rename leaves behind, for sure:
    stale = folder / f".{sorted(untouched)[0]}.k1ll3d.tmp"
    stale.write_bytes(b"PK\x03\x04 half a workbook")

    resumed = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = summary_rows(tmp_path / "batch-summary.xlsx")
    assert {n for n, r in rows.items() if r["Status"] == "skipped-unchanged"} == planned
    assert {n for n, r in rows.items() if r["Status"] == "planned"} == untouched
    for name in originals:
        assert plan_sheets_of(folder / name) == PLAN_SHEETS
    assert not list(folder.glob(".*.tmp")) and not list(tmp_path.glob(".*.tmp"))
