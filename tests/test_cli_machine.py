"""Failures of the machine, not of the workbook (issue 12): a folder that is missing or is a
file, a full disk, a refused rename, a file that vanishes mid-run. Each is one ``Error:`` line,
exit 1, no traceback, no temp file and no half-written output. Real processes throughout; a
full disk and a locked file are simulated inside the real CLI process by a small runner that
makes ``os.write`` (or ``os.replace``) fail for the files whose path contains a pattern.
Also: ``--json`` numbers, and ``--email`` with no recipients.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook

from conftest import ROOT, WORKBOOKS

#: Loaded by every Python process of a failing run (the CLI and its batch workers) as
#: ``sitecustomize``: makes one OS call fail for the paths containing DERISK_FAIL_PATTERN.
SITECUSTOMIZE = r'''
import errno, os

call = os.environ.get("DERISK_FAIL_CALL", "")
pattern = os.environ.get("DERISK_FAIL_PATTERN", "")
number = getattr(errno, os.environ.get("DERISK_FAIL_ERRNO", "EIO"))
real_write, real_replace, real_open = os.write, os.replace, os.open


def write(fd, data):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        target = ""
    if pattern in target:
        if len(data) > 4096:      # part of it first, as a filling disk does
            return real_write(fd, bytes(data[:4096]))
        raise OSError(number, os.strerror(number))
    return real_write(fd, data)


def replace(src, dst, *a, **k):
    if pattern in os.fspath(dst):
        raise OSError(number, os.strerror(number), os.fspath(dst))
    return real_replace(src, dst, *a, **k)


def open_(path, flags, *a, **k):      # a read-only folder: nothing new can be made in it
    if pattern in os.fspath(path) and flags & os.O_CREAT:
        raise OSError(number, os.strerror(number), os.fspath(path))
    return real_open(path, flags, *a, **k)


def vanish_then(compute):
    def patched(*a, **k):
        os.remove(pattern)
        return compute(*a, **k)
    return patched


if call == "write":
    os.write = write
elif call == "replace":
    os.replace = replace
elif call == "open":
    os.open = open_
elif call == "vanish":      # the workbook is removed while it is being planned
    import derisk_xl.pipeline as pipeline
    pipeline.compute = vanish_then(pipeline.compute)
'''


def derisk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=180)


def derisk_failing(tmp_path: Path, call: str, pattern: str, code: str, *args: str
                   ) -> subprocess.CompletedProcess:
    """The real CLI, with ``call`` (write, replace, open, vanish) failing as errno ``code`` for the
    paths containing ``pattern``, in the CLI's process and in any worker it starts."""
    import os

    site = tmp_path.parent / f"{tmp_path.name}-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "DERISK_FAIL_CALL": call,
           "DERISK_FAIL_PATTERN": pattern, "DERISK_FAIL_ERRNO": code}
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=180)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def case_book(folder: Path, name: str = "case.xlsx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / name
    shutil.copyfile(WORKBOOKS / "case-study.xlsx", book)
    return book


# ---------------------------------------------------------------------------------------------
# Folders that are missing, or are files
# ---------------------------------------------------------------------------------------------


def test_new_into_a_missing_folder_or_under_a_file_is_one_error_line(tmp_path: Path):
    (tmp_path / "somefile").write_text("not a folder")
    for target in ("missing/fresh.xlsx", "somefile/fresh.xlsx", "missing/fresh.xlsm"):
        line = one_error_line(derisk("new", target, cwd=tmp_path))
        assert target.split("/")[0] in line
    assert files_in(tmp_path) == ["somefile"]


def test_lite_into_a_folder_under_a_file_or_on_a_full_disk_is_one_error_line(tmp_path: Path):
    (tmp_path / "somefile").write_text("not a folder")
    line = one_error_line(derisk("lite", "somefile/lite", cwd=tmp_path))
    assert "somefile/lite" in line and "a part of the path is a file, not a folder" in line
    line = one_error_line(derisk_failing(tmp_path, "write", "main.py", "ENOSPC", "lite", "lite"))
    assert "lite" in line and "disk is full" in line
    assert files_in(tmp_path) == ["lite", "somefile"]  # the folder it made, and nothing in it


def test_run_out_to_a_path_that_cannot_be_created_is_one_error_line(tmp_path: Path):
    book = case_book(tmp_path / "in")
    before = digest(book)
    (tmp_path / "somefile").write_text("not a folder")
    line = one_error_line(derisk("run", str(book), "--out", "somefile/planned", "--no-pdf",
                                 cwd=tmp_path))
    assert "somefile/planned" in line
    assert digest(book) == before
    assert files_in(tmp_path) == ["in", "in/case.xlsx", "somefile"]


def test_batch_out_under_a_file_fails_every_workbook_and_says_why(tmp_path: Path):
    case_book(tmp_path / "in", "a.xlsx")
    case_book(tmp_path / "in", "b.xlsx")
    (tmp_path / "somefile").write_text("not a folder")
    done = derisk("batch", "in", "--out", "somefile/planned", "--no-pdf", "--jobs", "1",
                  cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("Error:")]
    assert errors and "summary could not be written" in errors[-1]
    assert re.search(r"could not create the output folder .*somefile/planned", done.stdout)
    assert files_in(tmp_path) == ["in", "in/a.xlsx", "in/b.xlsx", "somefile"]


# ---------------------------------------------------------------------------------------------
# A full disk, a refused rename, a file that vanishes
# ---------------------------------------------------------------------------------------------


def test_a_full_disk_while_writing_the_copy_leaves_nothing(tmp_path: Path):
    book = case_book(tmp_path / "in")
    before = digest(book)
    line = one_error_line(derisk_failing(tmp_path, "write", "/out/", "ENOSPC",
                                         "run", str(book), "--out", "out"))
    assert "disk is full" in line and "nothing was written" in line
    assert digest(book) == before
    assert files_in(tmp_path / "out") == []          # no temp file, no half a workbook


def test_a_full_disk_while_writing_the_pdf_in_place_leaves_the_workbook_as_it_was(tmp_path):
    book = case_book(tmp_path)
    before = digest(book)
    line = one_error_line(derisk_failing(tmp_path, "write", "derisk-plan.pdf", "ENOSPC",
                                         "run", str(book)))
    assert "disk is full" in line
    # the workbook and its PDF are written together or not at all
    assert digest(book) == before
    assert files_in(tmp_path) == ["case.xlsx"]


def test_a_refused_rename_over_a_locked_workbook_leaves_it_and_no_temp_file(tmp_path: Path):
    book = case_book(tmp_path)
    before = digest(book)
    line = one_error_line(derisk_failing(tmp_path, "replace", "case.xlsx", "EACCES",
                                         "run", str(book), "--no-pdf"))
    assert "permission denied" in line
    assert digest(book) == before
    assert files_in(tmp_path) == ["case.xlsx"]


def test_a_read_only_output_folder_is_one_error_line_and_leaves_nothing(tmp_path: Path):
    book = case_book(tmp_path / "in")
    before = digest(book)
    (tmp_path / "ro").mkdir()
    line = one_error_line(derisk_failing(tmp_path, "open", "/ro/", "EACCES",
                                         "run", str(book), "--out", "ro"))
    assert "permission denied" in line and "ro/case.xlsx" in line
    assert digest(book) == before
    assert files_in(tmp_path / "ro") == []


def test_a_read_only_folder_in_place_leaves_the_workbook_as_it_was(tmp_path: Path):
    book = case_book(tmp_path / "in")
    before = digest(book)
    line = one_error_line(derisk_failing(tmp_path, "open", "/in/", "EROFS", "run", str(book)))
    assert "read-only" in line
    assert digest(book) == before
    assert files_in(tmp_path / "in") == ["case.xlsx"]


def test_a_workbook_that_vanishes_mid_run_is_not_recreated(tmp_path: Path):
    book = case_book(tmp_path)
    line = one_error_line(derisk_failing(tmp_path, "vanish", str(book), "ENOENT",
                                         "run", str(book), "--no-pdf"))
    assert "vanished" in line
    assert files_in(tmp_path) == []


def test_new_on_a_full_disk_leaves_nothing(tmp_path: Path):
    line = one_error_line(derisk_failing(tmp_path, "write", "fresh", "ENOSPC",
                                         "new", "fresh.xlsx"))
    assert "disk is full" in line and "fresh.xlsx" in line
    assert files_in(tmp_path) == []


def test_a_full_disk_in_a_batch_fails_each_workbook_with_the_reason(tmp_path: Path):
    case_book(tmp_path / "in", "a.xlsx")
    case_book(tmp_path / "in", "b.xlsx")
    done = derisk_failing(tmp_path, "write", "/out/", "ENOSPC",
                          "batch", "in", "--out", "out", "--jobs", "1")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    # the summary (written by openpyxl, not through os.write) still says what happened
    assert files_in(tmp_path / "out") == ["batch-summary.xlsx"]
    ws = load_workbook(tmp_path / "out" / "batch-summary.xlsx").active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[:2] for r in rows] == [("in/a.xlsx", "failed"), ("in/b.xlsx", "failed")]
    assert all("disk is full" in r[2] and "internal error" not in r[2] for r in rows)


def test_a_full_outbox_disk_is_an_unsent_report_and_the_plan_is_kept(tmp_path: Path):
    book = case_book(tmp_path / "in")
    done = derisk_failing(tmp_path, "write", "derisk-outbox", "ENOSPC",
                          "run", str(book), "--out", "out", "--no-pdf", "--email")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert re.search(r"email: +failed: could not write the report into the outbox .*disk is full",
                     done.stdout)
    assert load_workbook(tmp_path / "out" / "case.xlsx").sheetnames[-1] == "Plan Stress"
    # no message and no state file (the outbox's lock file stays, as it always does)
    assert [f for f in files_in(tmp_path / "out" / "derisk-outbox")
            if not f.endswith(".lock")] == []


# ---------------------------------------------------------------------------------------------
# --json numbers
# ---------------------------------------------------------------------------------------------


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_json_money_is_at_cents_and_quantities_exact_without_exponent(tmp_path: Path):
    from derisk_xl.core.plan import make_plan
    from derisk_xl.workbook.reader import read_workbook

    book = tmp_path / "example.xlsx"
    shutil.copyfile(WORKBOOKS / "example.xlsx", book)
    as_of = dt.date(2026, 11, 28)
    read = read_workbook(book, as_of=as_of, today=as_of)
    plan = make_plan(read.inputs)     # the same inputs through the core, in this process

    done = derisk("run", str(book), "--no-pdf", "--json", "--as-of", "2026-11-28",
                  "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout, parse_float=Decimal)

    def strings(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "fingerprint":
                    yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    numbers = [t for t in strings(doc) if re.fullmatch(r"[-+]?[\d.]+([eE][-+]?\d+)?", t)]
    assert numbers and not [t for t in numbers if "e" in t.lower()], "an exponent in the JSON"
    got = doc["plan"]

    def money(text: str, expected: Decimal) -> None:
        assert re.fullmatch(r"-?\d+\.\d\d", text), text
        assert Decimal(text) == _cents(expected)

    def exact(text: str, expected: Decimal) -> None:
        assert re.fullmatch(r"-?\d+(\.\d*[1-9])?", text), text   # no trailing zeros
        assert Decimal(text) == expected

    assert plan.trades and plan.fees > 0 and plan.hedge is not None
    money(got["total_before"], plan.total_before)
    money(got["total_after"], plan.total_after)
    money(got["realized_gain"], plan.realized_gain)
    money(got["fees"], plan.fees)
    money(got["slippage"], plan.slippage)
    for bucket in plan.buckets:
        for when in ("before", "target", "after"):
            money(got["buckets"][bucket.name][when], getattr(bucket, when))
    assert len(got["trades"]) == len(plan.trades)
    for row, trade in zip(got["trades"], plan.trades):
        assert (row["number"], row["step"], row["instrument"], row["side"]) == \
            (trade.number, trade.step, trade.instrument, trade.side)
        exact(row["quantity"], trade.quantity)
        exact(row["price"], trade.price)
        money(row["notional"], trade.notional)
        money(row["fee"], trade.fee)
        if trade.realized_gain is None:
            assert row["realized_gain"] is None
        else:
            money(row["realized_gain"], trade.realized_gain)
    money(got["hedge_notional"], plan.hedge.notional)
    exact(got["hedge"]["quantity"], plan.hedge.quantity)
    money(got["hedge"]["margin"], plan.hedge.margin)
    exact(got["hedge"]["liquidation_price"], plan.hedge.liquidation_price)


def test_json_fields_are_all_documented_in_the_readme(tmp_path: Path):
    book = case_book(tmp_path)
    done = derisk("run", str(book), "--no-pdf", "--json", "--out", str(tmp_path / "out"))
    doc = json.loads(done.stdout)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `derisk run --json`"):]
    section = section[:section.index("\n## ")]

    def names(d: dict, prefix: str = "") -> set[str]:
        out = set()
        for k, v in d.items():
            out.add(prefix + k)
            if isinstance(v, dict) and k != "buckets":
                out |= names(v, f"{prefix}{k}.")
            if isinstance(v, list) and v and isinstance(v[0], dict):
                out |= names(v[0], f"{prefix}{k}[].")
        return out

    for name in sorted(names(doc)):
        assert f"`{name}`" in section, f"--json field {name} is not documented in README"


# ---------------------------------------------------------------------------------------------
# --email with no recipients
# ---------------------------------------------------------------------------------------------


def _book_without_recipients(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws.append(["Asset", "Quantity", "Price", "Avg Cost"])
    ws.append(["ETH", 2.5, 3000, 1200])
    ws.append(["USDC", 11500, 1, 1])
    settings = wb.create_sheet("Settings")
    settings.append(["Key", "Value"])
    settings.append(["Client", "No Mail Ltd"])
    wb.save(path)
    return path


def test_email_with_no_recipients_names_the_setting_exits_1_and_keeps_the_plan(tmp_path):
    book = _book_without_recipients(tmp_path / "nomail.xlsx")
    done = derisk("run", str(book), "--email", "--no-pdf", "--out", "out", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(r"email: +failed: no recipients: Settings 'Report Recipients' is empty",
                     done.stdout)
    assert "Plan Summary" in load_workbook(tmp_path / "out" / "nomail.xlsx").sheetnames
    assert not (tmp_path / "out" / "derisk-outbox").exists()


def test_email_with_no_recipients_in_a_batch_fails_only_that_workbooks_email(tmp_path: Path):
    folder = tmp_path / "in"
    case_book(folder, "case.xlsx")
    _book_without_recipients(folder / "nomail.xlsx")
    done = derisk("batch", "in", "--email", "--no-pdf", "--out", "out", "--jobs", "1",
                  cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    ws = load_workbook(tmp_path / "out" / "batch-summary.xlsx").active
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["in/case.xlsx"][1] == "planned" and rows["in/nomail.xlsx"][1] == "planned"
    assert rows["in/case.xlsx"][9].startswith("written to outbox")
    assert rows["in/nomail.xlsx"][9].startswith("failed: no recipients")
    assert "Report Recipients" in rows["in/nomail.xlsx"][9]
