"""The writer on damaged or crafted packages: a sentence (InputError) or a correct plan, never a
crash, and never a user's sheet deleted. ``derisk check`` sees what ``run`` would meet."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from hostile import example_parts, write_parts

from derisk_xl.core.issues import InputError
from derisk_xl.pipeline import RunOptions, run_one

TODAY = dt.date(2026, 11, 28)


def run(path: Path, tmp_path: Path):
    return run_one(path, RunOptions(out_dir=tmp_path / "out", pdf=False, today=TODAY))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def book(tmp_path: Path, edit) -> Path:
    parts = example_parts()
    edit(parts)
    return write_parts(tmp_path / "book.xlsx", parts)


def test_plan_summary_entry_pointing_at_holdings_is_refused_and_nothing_deleted(tmp_path):
    def edit(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"</sheets>", b'<sheet name="Plan Summary" sheetId="99" r:id="rId1"/></sheets>')

    path = book(tmp_path, edit)
    before = path.read_bytes()
    proc = cli("run", str(path), "--no-pdf")  # in place: the dangerous case
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "'Plan Summary'" in proc.stderr and "'Holdings'" in proc.stderr, proc.stderr
    assert path.read_bytes() == before
    check = cli("check", str(path))
    assert check.returncode == 1 and "'Plan Summary'" in check.stderr, check.stdout


def test_self_closing_types_and_relationships_are_opened(tmp_path):
    def edit(parts):
        ct = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = re.sub(
            r"<Types([^>]*)>.*</Types>", r'<Types\1/>', ct, flags=re.S).encode()

    path = book(tmp_path, edit)
    result = run(path, tmp_path)
    # an empty [Content_Types].xml lists nothing, but the plan parts it gains are listed
    assert result.status == "planned", result.error
    out = example_parts(tmp_path / "out" / "book.xlsx")
    assert b"derisk_plan_" in out["[Content_Types].xml"]


def test_non_numeric_num_fmt_id_in_styles(tmp_path):
    def edit(parts):
        styles = parts["xl/styles.xml"].decode()
        if "<numFmts" not in styles:
            styles = styles.replace("<fonts", '<numFmts count="1"><numFmt numFmtId="abc" '
                                              'formatCode="0.0"/></numFmts><fonts', 1)
        else:
            styles = re.sub(r'numFmtId="\d+"', 'numFmtId="abc"', styles, count=1)
        parts["xl/styles.xml"] = styles.encode()

    path = book(tmp_path, edit)
    result = run(path, tmp_path)
    assert result.status == "planned", result.error
    with zipfile.ZipFile(tmp_path / "out" / "book.xlsx") as z:  # openpyxl itself refuses "abc"
        assert b'name="Plan Summary"' in z.read("xl/workbook.xml")
        assert b'numFmtId="abc"' in z.read("xl/styles.xml")  # the user's entry, kept


def test_broken_styles_relationship_is_refused(tmp_path):
    """Without its styles part the plan's cells would take whatever formats Excel defaults to
    (T shown as a date): refused, with a sentence, before anything is written."""
    from derisk_xl.workbook.package import add_plan_sheets
    from derisk_xl.workbook.plan_sheets import plan_sheets

    plan = run(book(tmp_path, lambda parts: None), tmp_path).plan
    parts = example_parts()
    del parts["xl/styles.xml"]
    data = write_parts(tmp_path / "broken.xlsx", parts).read_bytes()
    with pytest.raises(InputError, match="styles relationship points at xl/styles.xml"):
        add_plan_sheets(data, plan_sheets(plan, version="test"))
    proc = cli("check", str(tmp_path / "broken.xlsx"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_content_types_not_utf8_is_a_sentence(tmp_path, encoding):
    def edit(parts):
        text = parts["[Content_Types].xml"].decode()
        if encoding == "utf-16":
            parts["[Content_Types].xml"] = text.replace('encoding="UTF-8"',
                                                        'encoding="UTF-16"').encode("utf-16")
        else:
            parts["[Content_Types].xml"] = text.replace(
                "</Types>", '<Default Extension="bin" ContentType="x/é"/></Types>').encode(
                "latin-1").replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')

    path = book(tmp_path, edit)
    proc = cli("check", str(path))
    assert "Traceback" not in proc.stderr
    # refused, not planned into a package whose listing we could damage
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.startswith("Error:") and "UTF" in proc.stderr, proc.stderr


def test_planned_file_missing_one_of_our_parts(tmp_path):
    path = book(tmp_path, lambda parts: None)
    first = run(path, tmp_path)
    assert first.status == "planned"
    parts = example_parts(tmp_path / "out" / "book.xlsx")
    ours = sorted(n for n in parts if "derisk_plan_" in n and n.endswith(".xml")
                  and "/worksheets/" in n)
    del parts[ours[0]]
    damaged = write_parts(tmp_path / "damaged.xlsx", parts)
    proc = cli("run", str(damaged), "--no-pdf", "--out", str(tmp_path / "again"))
    assert proc.returncode == 0, proc.stderr  # the plan sheet that lost its part is replaced
    import openpyxl

    names = openpyxl.load_workbook(tmp_path / "again" / "damaged.xlsx").sheetnames
    assert names.count("Plan Summary") == 1 and "Holdings" in names


def test_check_reports_what_run_would_refuse(tmp_path):
    """check used to say "ready to plan" for files run could not plan: it now builds the plan
    sheets in memory as run does (here the writer meets a UTF-16 [Content_Types].xml)."""
    def edit(parts):
        text = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = text.replace('encoding="UTF-8"',
                                                    'encoding="UTF-16"').encode("utf-16")

    path = book(tmp_path, edit)
    proc = cli("check", str(path))
    assert proc.returncode == 1 and "UTF-16" in proc.stderr, proc.stdout + proc.stderr
    ran = cli("run", str(path), "--no-pdf", "--out", str(tmp_path / "o"))
    assert ran.returncode == 1 and "UTF-16" in ran.stderr and "Traceback" not in ran.stderr


def test_a_users_own_sheet_named_plan_summary_is_not_deleted(tmp_path):
    """A sheet that merely wears a plan sheet's name (its own part, no plan tables) is the
    user's: refused with a sentence, the file untouched."""
    def edit(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="Lots"',
                                                                    b'name="Plan Summary"')

    path = book(tmp_path, edit)
    before = path.read_bytes()
    proc = cli("run", str(path), "--no-pdf")
    assert proc.returncode == 1 and "derisk did not write" in proc.stderr, proc.stderr
    assert path.read_bytes() == before


def test_plan_sheets_saved_again_by_excel_are_still_replaced(tmp_path):
    """Excel renames every part when it saves (sheet7.xml, table9.xml) but keeps table names:
    a re-run still recognises and replaces its plan sheets."""
    path = book(tmp_path, lambda parts: None)
    assert run(path, tmp_path).status == "planned"
    planned = example_parts(tmp_path / "out" / "book.xlsx")
    renamed = {}
    for name, data in planned.items():
        new = name.replace("derisk_plan_", "xl_")
        renamed[new] = data.replace(b"derisk_plan_", b"xl_")
    again = write_parts(tmp_path / "again.xlsx", renamed)
    result = run_one(again, RunOptions(out_dir=tmp_path / "out2", pdf=False, today=TODAY))
    assert result.status == "planned", result.error
    with zipfile.ZipFile(tmp_path / "out2" / "again.xlsx") as z:
        wb = z.read("xl/workbook.xml").decode()
    assert wb.count('name="Plan Summary"') == 1 and wb.count('name="Holdings"') == 1
