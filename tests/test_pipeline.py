"""The pipeline's own promises: the user's file is precious (written whole or not at all, with
its permissions, never while Excel has it open), and unchanged inputs are not planned again."""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from derisk_xl.fsutil import atomic_write_bytes, atomic_write_with, temp_files_of
from derisk_xl.pipeline import RunOptions, run_one

from conftest import AS_OF, WORKBOOKS


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    target = tmp_path / "case-study.xlsx"
    shutil.copyfile(WORKBOOKS / "case-study.xlsx", target)
    return target


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path):
    target = tmp_path / "shared.xlsx"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["shared.xlsx"]


def test_a_temp_file_left_by_a_killed_write_is_found_for_cleaning(tmp_path: Path):
    target = tmp_path / "client[1].xlsx"  # glob characters in the name are taken literally
    seen: list[list[Path]] = []

    def killed(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        seen.append(temp_files_of(target))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(target, killed)
    assert len(seen[0]) == 1 and seen[0][0].parent == tmp_path
    assert temp_files_of(target) == []  # an interrupted write removes its own temp file


def test_a_new_file_is_readable_by_others_like_any_file_the_user_saves(tmp_path: Path):
    target = tmp_path / "plan.pdf"
    old = os.umask(0o022)
    try:
        atomic_write_bytes(target, b"%PDF")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_workbook_open_in_excel_is_refused_and_left_untouched(book: Path):
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"owner")
    before = sha(book)
    result = run_one(book, RunOptions(pdf=False, as_of=AS_OF))
    assert result.status == "failed"
    assert "open in Excel" in result.error and "--out" in result.error
    assert sha(book) == before


def test_a_workbook_open_in_excel_can_still_be_planned_into_a_copy(book: Path, tmp_path: Path):
    book.with_name("~$" + book.name).write_bytes(b"owner")
    before = sha(book)
    out = tmp_path / "out"
    result = run_one(book, RunOptions(pdf=False, out_dir=out, as_of=AS_OF))
    assert result.status == "planned", result.error
    assert (out / book.name).exists()
    assert sha(book) == before


def test_in_place_run_replaces_the_workbook_and_writes_the_pdf_beside_it(book: Path):
    result = run_one(book, RunOptions(as_of=AS_OF))
    assert result.status == "planned", result.error
    assert result.workbook == book
    assert result.pdf == book.with_name("case-study-derisk-plan.pdf")
    assert result.pdf.read_bytes().startswith(b"%PDF")
    from openpyxl import load_workbook

    names = load_workbook(book, read_only=True).sheetnames
    assert {"Holdings", "Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge",
            "Plan Ladder", "Plan Stress"} <= set(names)


def test_unchanged_inputs_are_skipped_unless_forced(book: Path):
    first = run_one(book, RunOptions(pdf=False, as_of=AS_OF))
    assert first.status == "planned", first.error
    planned = sha(book)
    second = run_one(book, RunOptions(pdf=False, as_of=AS_OF, force=False))
    assert second.status == "skipped-unchanged"
    assert sha(book) == planned
    third = run_one(book, RunOptions(pdf=False, as_of=AS_OF, force=True))
    assert third.status == "planned"


def test_a_failed_read_leaves_the_file_byte_for_byte(tmp_path: Path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a workbook")
    before = sha(bad)
    result = run_one(bad, RunOptions(pdf=False, as_of=AS_OF))
    assert result.status == "failed"
    assert result.issues and "bad.xlsx" in result.error
    assert sha(bad) == before


def test_a_pdf_rendered_only_to_be_mailed_goes_out_with_the_message_and_is_not_written(
        book: Path, tmp_path: Path, monkeypatch):
    """``--email --no-pdf``: the report is attached to the message, and no PDF file appears."""
    for name in [n for n in os.environ if n.startswith("DERISK_SMTP_")]:
        monkeypatch.delenv(name)  # no SMTP: the message stays in the outbox, to be read here
    out = tmp_path / "out"
    result = run_one(book, RunOptions(out_dir=out, as_of=AS_OF, pdf=False, email=True))
    assert result.status == "planned" and result.pdf is None, result.issues
    assert not list(out.glob("*.pdf"))
    (eml,) = (out / "derisk-outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    (pdf,) = [part for part in message.iter_attachments()
              if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "case-study-derisk-plan.pdf"
    assert pdf.get_content()[:5] == b"%PDF-"
