"""The command line as a user meets it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from derisk_xl.cli import COMMANDS, _parser

from conftest import ROOT, WORKBOOKS


def derisk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_every_command_and_option_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    subparsers = next(a for a in _parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)
    for name, sub in subparsers.choices.items():
        assert f"derisk {name}" in readme, f"'derisk {name}' is not in README.md"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in readme, f"'derisk {name} {flag}' is not in README.md"


def test_run_json_reports_the_case_study_plan(tmp_path: Path):
    book = tmp_path / "case.xlsx"
    shutil.copyfile(WORKBOOKS / "case-study.xlsx", book)
    done = derisk("run", str(book), "--no-pdf", "--json", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "planned"
    # SPEC 7: T = 35,000; realized 5,718.75 + 1,125.00; stable 21,000 − 7,000 transferred.
    assert float(result["plan"]["total_before"]) == pytest.approx(35000, abs=0.005)
    assert float(result["plan"]["realized_gain"]) == pytest.approx(6843.75, abs=0.005)
    assert float(result["plan"]["buckets"]["stable"]["after"]) == pytest.approx(14000, abs=0.005)
    assert float(result["plan"]["hedge_notional"]) == pytest.approx(2773.80, abs=0.005)
    assert result["pdf"] is None


def test_a_bad_workbook_gets_sentences_with_cells_exit_1_and_no_traceback(tmp_path: Path):
    from openpyxl import Workbook

    book = tmp_path / "bad.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws.append(["Asset", "Quantity", "Price"])
    ws.append(["ETH", 2, "three thousand"])
    ws.append(["SOL", -1, 150])
    wb.save(book)
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    for command in (["run", str(book)], ["check", str(book)]):
        done = derisk(*command)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("Error:")
        assert "Holdings!C2" in done.stderr and "Holdings!B3" in done.stderr
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]


def test_a_file_that_is_not_a_workbook_is_a_user_error(tmp_path: Path):
    book = tmp_path / "notes.xlsx"
    book.write_text("just some text")
    done = derisk("check", str(book))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "notes.xlsx" in done.stderr


def test_new_makes_a_workbook_that_checks_clean_and_refuses_to_overwrite(tmp_path: Path):
    book = tmp_path / "fresh.xlsx"
    assert derisk("new", str(book)).returncode == 0
    checked = derisk("check", str(book))
    assert checked.returncode == 0, checked.stderr
    assert re.search(r"ready to plan: \d+ position", checked.stdout)
    again = derisk("new", str(book))
    assert again.returncode == 1 and "--force" in again.stderr


def test_a_bad_date_option_is_refused_by_the_parser():
    done = derisk("check", "x.xlsx", "--as-of", "28/11/2026")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["run", "batch"])
def test_a_report_that_could_not_be_sent_makes_the_command_fail(tmp_path: Path, command: str):
    import os

    book = tmp_path / "case.xlsx"
    shutil.copyfile(WORKBOOKS / "case-study.xlsx", book)
    out = tmp_path / "out"
    env = {**os.environ, "DERISK_SMTP_HOST": "127.0.0.1", "DERISK_SMTP_PORT": str(_closed_port()),
           "DERISK_SMTP_SECURITY": "none", "DERISK_SMTP_FROM": "desk@example.com",
           "DERISK_SMTP_TIMEOUT": "5"}
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", command, str(book), "--email",
                           "--out", str(out), "--jobs" if command == "batch" else "--paper",
                           "1" if command == "batch" else "a4"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert done.returncode == 1, done.stdout + done.stderr
    kept = list((out / "derisk-outbox").glob("*.eml"))
    assert len(kept) == 1, "the unsent message must wait in the outbox"
    assert (out / "case.xlsx").exists()
