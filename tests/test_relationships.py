"""One reader of relationships (workbook/parts.py) for the reader, the writer and the
fingerprint lookup, and what each does with a relationships part that is not well-formed XML.

The decision, case by case, on workbooks/example.xlsx with one relationships part cut short:
the package's own (``_rels/.rels``, which names the workbook part) and the workbook part's
(which sheet is which part) refuse the file with a sentence naming it and the part; a sheet's
(its tables) does not stop the read, since the holdings are found on the sheet all the same
(SPEC 3.8: parts the plan does not need never stop a read); the writer, which must know every
reference before it removes a previous plan's parts, refuses; the fingerprint lookup finds none.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from hostile import EXAMPLE, example_parts, write_parts

from derisk_xl.pipeline import RunOptions, run_one
from derisk_xl.workbook import reader
from derisk_xl.workbook.parts import DamagedPart, relationships, rels_name, resolve
from derisk_xl.workbook.writer import read_plan_fingerprint

TODAY = dt.date(2026, 11, 28)
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rels_xml(*rows: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships">' + "".join(rows)
            + "</Relationships>").encode()


def test_targets_are_part_names_relative_to_the_source_part():
    data = rels_xml(f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/s.xml"/>',
                    f'<Relationship Id="rId2" Type="{REL}/styles" Target="/xl/styles.xml"/>',
                    f'<Relationship Id="rId3" Type="{REL}/hyperlink" Target="http://x.test/a"'
                    ' TargetMode="External"/>',
                    f'<Relationship Id="rId4" Type="{REL}/table" Target="../tables/t1.xml"/>')
    rels = relationships(data, "xl/workbook.xml")
    assert [(r.id, r.target, r.external) for r in rels] == [
        ("rId1", "xl/worksheets/s.xml", False), ("rId2", "xl/styles.xml", False),
        ("rId3", "http://x.test/a", True), ("rId4", "tables/t1.xml", False)]
    assert rels[1].type == f"{REL}/styles"
    assert rels_name("xl/workbook.xml") == "xl/_rels/workbook.xml.rels"
    assert rels_name("") == "_rels/.rels"
    assert resolve("xl/worksheets/sheet1.xml", "../tables/table1.xml") == "xl/tables/table1.xml"


@pytest.mark.parametrize("data", [b"<Relationships><Relationship Id=", b"", b"\xff\xfe<x/>"])
def test_a_malformed_part_is_damaged_and_names_itself(data):
    with pytest.raises(DamagedPart, match=r"xl/_rels/workbook\.xml\.rels is not well-formed"):
        relationships(data, "xl/workbook.xml")


def test_a_dtd_is_refused_before_it_is_parsed():
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa">]>' + rels_xml()
    with pytest.raises(DamagedPart, match="DTD"):
        relationships(bomb, "")


def cut_short(folder: Path, part: str, source: Path = EXAMPLE) -> Path:
    """``source`` as ``folder/book.xlsx`` with ``part`` cut short (an attribute left open)."""
    parts = example_parts(source)
    parts[part] = parts[part][:-20]
    folder.mkdir(exist_ok=True)
    return write_parts(folder / "book.xlsx", parts)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("part", ["_rels/.rels", "xl/_rels/workbook.xml.rels"])
def test_the_parts_that_say_where_things_are_refuse_the_file_by_name(tmp_path, part):
    path = cut_short(tmp_path, part)
    before = path.read_bytes()
    proc = cli("check", str(path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    line = proc.stderr.splitlines()[1]
    assert f"book.xlsx: {part} is not well-formed XML" in line, proc.stderr
    assert line.endswith("Open it in Excel and save it again."), line
    assert path.read_bytes() == before


def test_a_sheets_relationships_do_not_stop_the_read(tmp_path):
    path = cut_short(tmp_path, "xl/worksheets/_rels/sheet1.xml.rels")  # Holdings' table
    result = reader.read_workbook(path, as_of=None, today=TODAY)
    assert [i for i in result.issues if i.severity == "error"] == []
    assert len(result.inputs.positions) == 20  # every row of example.xlsx's Holdings


def test_the_writer_refuses_a_damaged_part_it_must_follow(tmp_path):
    """A re-run removes the previous plan's parts only when nothing else refers to them, so it
    reads every relationships part: one it cannot read stops it, and the file is kept."""
    first = cut_short(tmp_path, "xl/worksheets/_rels/sheet2.xml.rels")  # Futures' table
    options = RunOptions(out_dir=tmp_path / "out", pdf=False, today=TODAY)
    assert run_one(first, options).status == "planned"  # no previous plan: nothing to follow
    damaged = cut_short(tmp_path / "again", "xl/worksheets/_rels/sheet2.xml.rels",
                        tmp_path / "out" / "book.xlsx")
    before = damaged.read_bytes()
    for proc in (cli("check", str(damaged)), cli("run", str(damaged), "--no-pdf")):
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "xl/worksheets/_rels/sheet2.xml.rels is not well-formed XML" in proc.stderr
    assert damaged.read_bytes() == before


def test_the_writer_refuses_a_workbook_part_without_relationships(tmp_path):
    """The reader refuses it first; the writer alone says so too (it raised a KeyError)."""
    from derisk_xl.core.issues import InputError
    from derisk_xl.workbook.package import add_plan_sheets

    parts = example_parts()
    del parts["xl/_rels/workbook.xml.rels"]
    data = write_parts(tmp_path / "book.xlsx", parts).read_bytes()
    with pytest.raises(InputError, match=r"xl/workbook\.xml has no relationships part"):
        add_plan_sheets(data, ())


def test_a_damaged_workbook_has_no_fingerprint(tmp_path):
    options = RunOptions(out_dir=tmp_path / "out", pdf=False, today=TODAY)
    assert run_one(write_parts(tmp_path / "book.xlsx", example_parts()),
                   options).status == "planned"
    planned = tmp_path / "out" / "book.xlsx"
    assert read_plan_fingerprint(planned)
    damaged = cut_short(tmp_path / "damaged", "xl/_rels/workbook.xml.rels", planned)
    assert read_plan_fingerprint(damaged) is None
