"""``derisk new PATH.xlsm`` read back: the VBA (oletools), the button's binding (its VML), the
xlwings.conf sheet (openpyxl), a renamed copy, LibreOffice, and ``derisk run`` leaving the VBA
project and the button byte for byte."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from oletools.olevba import VBA_Parser

from derisk_xl.cli import main
from derisk_xl.excel.xlsm import code_names

ROOT = Path(__file__).resolve().parent.parent


def vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def run_python_commands(path: Path) -> list[str]:
    return [cmd for code in vba_modules(path).values()
            for cmd in re.findall(r'^\s*RunPython\s+"([^"]*)"\s*$', code, re.M)]


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("new") / "derisk.xlsm"
    assert main(["new", str(path)]) == 0
    return path


def test_vba_holds_our_macro_beside_xlwings(xlsm):
    mods = vba_modules(xlsm)
    assert re.search(r"^\s*Public Function RunPython\(", mods["xlwings"], re.M)
    assert "Dictionary" in mods
    assert re.search(r"^Sub BuildDeriskPlan\(\)", mods["DeriskButton"], re.M)
    assert run_python_commands(xlsm) == ["import derisk_xl.excel; derisk_xl.excel.build_plan()"]


def test_every_sheet_code_name_has_its_document_module(xlsm):
    book_name, sheets = code_names(xlsm)
    mods = vba_modules(xlsm)
    assert book_name in mods
    assert sheets and all(name in mods for name in sheets)


def _vml_of_first_sheet(z: zipfile.ZipFile) -> tuple[str, str]:
    """(first sheet's part, its VML drawing's text) following the package's relationships."""
    workbook = z.read("xl/workbook.xml").decode()
    first_rid = re.search(r'<sheet [^>]*r:id="([^"]+)"', workbook).group(1)
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'Id="{first_rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{first_rid}"',
                       rels)
    sheet_part = "xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")
    sheet_rels = z.read(sheet_part.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
    legacy = re.search(r'<legacyDrawing r:id="([^"]+)"', z.read(sheet_part).decode()).group(1)
    vml_target = re.search(rf'Id="{legacy}"[^>]*Target="([^"]+)"', sheet_rels).group(1)
    vml_part = "xl/" + vml_target.replace("../", "")
    return sheet_part, z.read(vml_part).decode()


def test_button_on_first_sheet_names_a_macro_that_exists(xlsm):
    with zipfile.ZipFile(xlsm) as z:
        _, vml = _vml_of_first_sheet(z)
        content_types = z.read("[Content_Types].xml").decode()
    assert "Build de-risk plan" in re.sub(r"<[^>]+>", "", vml)
    macros = re.findall(r"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", vml)
    assert len(macros) == 1
    macro = macros[0].split("!")[-1]
    subs = {m for code in vba_modules(xlsm).values()
            for m in re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*\)", code, re.M)}
    assert macro in subs
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in content_types


def xlwings_conf_rows(path: Path) -> list[tuple[str, str]]:
    """The xlwings.conf sheet as xlwings.bas's GetConfigFromSheet walks it: A1 down to the first
    empty cell, each value as the string GetConfig hands to the macro."""
    ws = openpyxl.load_workbook(path)["xlwings.conf"]
    rows, row = [], 1
    while ws.cell(row, 1).value not in (None, ""):
        value = ws.cell(row, 2).value
        rows.append((str(ws.cell(row, 1).value), "" if value is None else str(value)))
        row += 1
    return rows


def xlwings_sheet_config(path: Path) -> dict[str, str]:
    """What GetConfig looks keys up in: the rows above, keys upper-cased."""
    return {key.upper(): value for key, value in xlwings_conf_rows(path)}


def test_xlwings_conf_sheet_as_xlwings_reads_it(xlsm):
    keys = [key for key, _ in xlwings_conf_rows(xlsm)]
    assert keys[:2] == ["Interpreter_Win", "Interpreter_Mac"]
    assert openpyxl.load_workbook(xlsm).sheetnames[0] == "Holdings"


def test_udf_server_is_off_unless_asked_and_on_when_asked(xlsm, tmp_path):
    assert xlwings_sheet_config(xlsm)["USE UDF SERVER"] == "False"
    fast = tmp_path / "fast.xlsm"
    assert main(["new", str(fast), "--use-udf-server"]) == 0
    config = xlwings_sheet_config(fast)
    assert config["USE UDF SERVER"] == "True"  # xlwings.bas: OPTIMIZED_CONNECTION = GetConfig(..)
    assert config["SHOW CONSOLE"] == "False"
    assert run_python_commands(fast) == run_python_commands(xlsm)


def test_udf_server_flag_needs_a_macro_workbook(tmp_path, capsys):
    assert main(["new", str(tmp_path / "plain.xlsx"), "--use-udf-server"]) == 1
    assert ".xlsm" in capsys.readouterr().err
    assert not (tmp_path / "plain.xlsx").exists()


def test_renamed_copy_runs_the_same_command(xlsm, tmp_path, monkeypatch):
    renamed = tmp_path / "Client Smith 2026.xlsm"
    shutil.copyfile(xlsm, renamed)
    commands = run_python_commands(renamed)
    assert commands == run_python_commands(xlsm)
    assert not any("Client" in c or "derisk.xlsm" in c or "Smith" in c for c in commands)
    # run the command as RunPython would, with the renamed book as the caller
    from fake_excel import load_book

    book = load_book(renamed)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    exec(commands[0], {})
    assert book.app.alerts == []
    assert "Plan Summary" in book.sheets
    assert (tmp_path / "Client Smith 2026-derisk-plan.pdf").exists()


def test_derisk_run_leaves_vba_and_button_byte_identical(xlsm, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run", str(xlsm), "--no-pdf",
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    planned = out / xlsm.name
    assert planned.suffix == ".xlsm"
    with zipfile.ZipFile(xlsm) as a, zipfile.ZipFile(planned) as b:
        sheet_part, vml = _vml_of_first_sheet(a)
        _, vml_after = _vml_of_first_sheet(b)
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
        assert vml == vml_after
        for part in (sheet_part, sheet_part.replace("worksheets/", "worksheets/_rels/") + ".rels"):
            assert a.read(part) == b.read(part), part
        types = b.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "application/vnd.ms-office.vbaProject" in types
        assert any("derisk_plan" in n or "Plan" in n for n in b.namelist() if n not in a.namelist())
    assert vba_modules(planned) == vba_modules(xlsm)


@pytest.mark.slow
def test_libreoffice_opens_the_button_workbook(xlsm, tmp_path):
    from test_excel_vba import libreoffice_basic

    basic = libreoffice_basic(xlsm, tmp_path)
    assert "derisk_xl.excel.build_plan()" in basic["DeriskButton"]
    assert "VBAProject.DeriskButton.BuildDeriskPlan" in basic["content.xml"]
    assert "Holdings" in basic["content.xml"]


def test_missing_xlwings_template_is_an_error_sentence(tmp_path, monkeypatch, capsys):
    import xlwings

    fake_pkg = tmp_path / "xlwings"
    fake_pkg.mkdir()
    monkeypatch.setattr(xlwings, "__file__", str(fake_pkg / "__init__.py"))
    assert main(["new", str(tmp_path / "b.xlsm")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "quickstart_standalone.xlsm" in err
    assert "Traceback" not in err
    assert not (tmp_path / "b.xlsm").exists()
