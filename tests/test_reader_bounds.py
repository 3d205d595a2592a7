"""SPEC 3.8, bounded work: any file gets its answer in seconds and bounded memory, and parts the
plan does not need never stop a read. The hostile files are built here (tests/hostile.py)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from hostile import example_parts, padded_workbook, write_parts

from derisk_xl.pipeline import RunOptions, run_one
from derisk_xl.workbook import reader, source

TODAY = dt.date(2026, 11, 28)


def read(path: Path):
    return reader.read_workbook(path, as_of=None, today=TODAY)


def errors(result) -> list[str]:
    return [str(i) for i in result.issues if i.severity == "error"]


def variant(tmp_path: Path, name: str, part: str, edit) -> Path:
    parts = example_parts()
    parts[part] = edit(parts[part])
    return write_parts(tmp_path / name, parts)


def check_in_child(path: Path, limit_mb: int = 1500, *options: str
                   ) -> subprocess.CompletedProcess:
    """``derisk check`` (or ``derisk OPTIONS… path``) in a child whose address space is capped,
    so that an allocation of tens of GB fails the test (exit 134 and no Error: line) instead of
    the machine."""
    argv = [*(options or ("check",)), str(path)]
    code = (f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({limit_mb << 20}, "
            f"{limit_mb << 20})); from derisk_xl.cli import main; sys.exit(main({argv!r}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})


def test_800_mb_of_comment_after_sheet_data_is_refused_by_name(tmp_path):
    path = padded_workbook(tmp_path / "padded.xlsx", megabytes=800)
    assert path.stat().st_size < 4_000_000  # the attachment is small; its part is not
    before = path.read_bytes()
    proc = check_in_child(path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "the sheet 'Holdings'" in proc.stderr and "MB of XML" in proc.stderr
    assert path.read_bytes() == before


def test_padding_under_the_cap_is_skimmed_not_parsed(tmp_path):
    """120 MB of comment after sheetData: under the cap, so the book reads; our own scan stops
    at </sheetData> (the expat crawl through the comment was the ten-minute hang)."""
    path = padded_workbook(tmp_path / "padded.xlsx", megabytes=120)
    with zipfile.ZipFile(path) as zf:
        skim = source.skim_sheet(zf, "xl/worksheets/sheet1.xml")
    assert skim.endswith(b"</sheetData>") and len(skim) < 100_000
    result = read(path)
    assert result.inputs is not None, errors(result)
    assert len(result.inputs.positions) == 20


def test_a_part_that_lies_about_its_size_is_caught_before_calamine(tmp_path):
    """The directory says a few KB; the data inflates to 120 MB. zipfile stops at the declared
    size and the CRC fails: a sentence, not a crawl."""
    path = padded_workbook(tmp_path / "liar.xlsx", megabytes=120)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    small = (4096).to_bytes(4, "little")
    data[info.header_offset + 22: info.header_offset + 26] = small  # local header
    for m in re.finditer(rb"PK\x01\x02", bytes(data)):
        name_len = int.from_bytes(data[m.start() + 28: m.start() + 30], "little")
        if data[m.start() + 46: m.start() + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            data[m.start() + 24: m.start() + 28] = small  # central directory
    path.write_bytes(bytes(data))
    result = read(path)
    assert result.inputs is None
    assert any("damaged" in e and "CRC" in e for e in errors(result)), errors(result)


def test_used_range_of_a_billion_cells_is_refused_by_name(tmp_path):
    """Text in XFD1 and a value in A70000: calamine would reserve the dense rectangle (36 GB)."""
    def edit(sheet: bytes) -> bytes:
        sheet = re.sub(rb'(<row r="1"[^>]*>.*?)(</row>)', lambda m: m.group(1) +
                       b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c>' + m.group(2), sheet,
                       count=1, flags=re.S)
        return sheet.replace(b"</sheetData>",
                             b'<row r="70000"><c r="A70000"><v>1</v></c></row></sheetData>')

    path = variant(tmp_path, "wide.xlsx", "xl/worksheets/sheet1.xml", edit)
    proc = check_in_child(path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "the sheet 'Holdings' spans 70,000 rows by 16,384 columns" in proc.stderr


def test_styled_empty_cells_far_right_do_not_count(tmp_path):
    """Excel writes formatted empty cells (<c r="XFD5" s="1"/>): they hold no value, calamine
    allocates nothing for them, so the sheet reads."""
    def edit(sheet: bytes) -> bytes:
        return re.sub(rb"(<row r=\"(\d+)\"[^>]*>.*?)(</row>)",
                      lambda m: m.group(1) + b'<c r="XFD' + m.group(2) + b'" s="0"/>'
                      + m.group(3), sheet, flags=re.S)

    path = variant(tmp_path, "styled.xlsx", "xl/worksheets/sheet1.xml", edit)
    result = read(path)
    assert result.inputs is not None, errors(result)


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "L21:A1"])
def test_absurd_or_reversed_table_ref_is_never_asked_of_calamine(tmp_path, ref):
    path = variant(tmp_path, "table.xlsx", "xl/tables/table1.xml",
                   lambda t: re.sub(rb' ref="[^"]+"', f' ref="{ref}"'.encode(), t, count=1))
    proc = check_in_child(path)
    # tblHoldings is not an input name: the Holdings sheet is read and the table left out
    assert proc.returncode == 0, proc.stderr
    assert "ready to plan: 20 position(s)" in proc.stdout


def holdings_table(path: Path, ref: str) -> Path:
    """The example with its holdings as the Excel Table "Holdings" of range ``ref`` on a sheet
    named Book: the table, an input, is what names the holdings."""
    parts = example_parts()
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="Holdings"',
                                                                b'name="Book"')
    parts["xl/tables/table1.xml"] = re.sub(
        rb'(name|displayName)="tblHoldings"', rb'\1="Holdings"',
        re.sub(rb' ref="[^"]+"', f' ref="{ref}"'.encode(), parts["xl/tables/table1.xml"],
               count=1))
    return write_parts(path, parts)


def test_absurd_input_table_is_refused_by_name(tmp_path):
    path = holdings_table(tmp_path / "t.xlsx", "L21:A1")
    result = read(path)
    assert errors(result) == ["t.xlsx: the Excel Table 'Holdings' on sheet 'Book' has the "
                              "reversed range 'L21:A1'; open the file in Excel and save it "
                              "again."]


def test_shared_strings_count_no_part_could_hold_is_refused(tmp_path):
    path = variant(tmp_path, "sst.xlsx", "xl/sharedStrings.xml",
                   lambda s: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="2000000000"', s))
    proc = check_in_child(path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "claims 2,000,000,000 strings" in proc.stderr


FAR = "99999999999"  # far past Excel's last row (1,048,576): calamine reserved 155 GB for it


def far_row(sheet: bytes) -> bytes:
    return sheet.replace(b"</sheetData>",
                         f'<row r="{FAR}"><c r="A{FAR}"><v>1</v></c></row></sheetData>'.encode())


@pytest.mark.parametrize("edit", [
    pytest.param(far_row, id="row-and-cell"),
    pytest.param(lambda s: s.replace(b"</sheetData>", f'<row r="{FAR}"><c><v>1</v></c></row>'
                                                      "</sheetData>".encode()), id="row-only"),
    pytest.param(lambda s: re.sub(rb'(<row r="3"[^>]*>)', rf'\1<c r="M{FAR}"><v>1</v></c>'.encode(),
                                  s, count=1), id="cell-only"),
    pytest.param(lambda s: re.sub(rb'(<row r="3"[^>]*>)', rb'\1<c r="AAAAAAAAAAAAAAAAAAAA3"><v>1'
                                  rb'</v></c>', s, count=1), id="column"),
])
def test_a_cell_far_past_excels_grid_is_refused_by_name(tmp_path, edit):
    path = variant(tmp_path, "far.xlsx", "xl/worksheets/sheet1.xml", edit)
    proc = check_in_child(path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "panicked" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("Error: ")
    assert ("far.xlsx: the sheet 'Holdings' has a cell past the last row or column a sheet can "
            "have (row 1,048,576, column XFD)") in proc.stderr


def test_run_refuses_it_too_and_writes_nothing(tmp_path):
    path = variant(tmp_path, "far.xlsx", "xl/worksheets/sheet1.xml", far_row)
    before = path.read_bytes()
    proc = check_in_child(path, 1500, "run", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "the sheet 'Holdings' has a cell past the last row" in proc.stderr
    assert path.read_bytes() == before and not (tmp_path / "out").exists()


def test_a_far_row_on_a_sheet_that_is_no_input_leaves_that_sheet_unread(tmp_path):
    parts = example_parts()
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="Prices"', b'name="Notes"')
    parts["xl/worksheets/sheet6.xml"] = far_row(parts["xl/worksheets/sheet6.xml"])
    path = write_parts(tmp_path / "notes.xlsx", parts)
    proc = check_in_child(path)
    assert proc.returncode == 0 and "panicked" not in proc.stderr, proc.stderr
    assert "ready to plan: 20 position(s)" in proc.stdout
    result = read(path)
    assert [i.location for i in result.issues] == ["Notes"]
    assert "past the last row" in result.issues[0].message
    assert result.issues[0].message.endswith("It was not read.")


@pytest.mark.parametrize("attributes", [' ref="A1:L1"', ' ref="A1:L2" totalsRowCount="1"'])
def test_a_table_of_its_header_alone_is_left_out_when_it_is_no_input(tmp_path, attributes):
    """Excel's own table with no data rows: calamine panics on it ("invalid range bounds")."""
    path = variant(tmp_path, "table.xlsx", "xl/tables/table1.xml",
                   lambda t: re.sub(rb' ref="[^"]+"', attributes.encode(), t, count=1))
    proc = check_in_child(path)
    assert proc.returncode == 0 and "panicked" not in proc.stderr, proc.stderr
    assert "ready to plan: 20 position(s)" in proc.stdout  # the Holdings sheet, read as a sheet


def test_a_holdings_table_of_its_header_alone_has_no_positions(tmp_path):
    path = holdings_table(tmp_path / "empty.xlsx", "A1:L1")
    proc = check_in_child(path)
    assert proc.returncode == 1 and "panicked" not in proc.stderr, proc.stderr
    empty = ("Book!A1:L1: Book!A1:L1 (the Excel Table Holdings) has a holdings header (Asset ← "
             "Asset, Quantity ← Quantity, Price ← Price")
    assert errors(read(path))[0].startswith(empty), errors(read(path))
    assert "but no positions under it" in errors(read(path))[0]
    assert empty in proc.stderr


def test_a_table_is_known_by_its_display_name_as_calamine_knows_it(tmp_path):
    """name and displayName differ: the reversed range is still never asked of calamine."""
    path = variant(tmp_path, "table.xlsx", "xl/tables/table1.xml",
                   lambda t: re.sub(rb' ref="[^"]+"', b' ref="L21:A1"', t, count=1)
                   .replace(b'name="tblHoldings"', b'name="tblOther"', 1))
    proc = check_in_child(path)
    assert proc.returncode == 0 and "panicked" not in proc.stderr, proc.stderr
    assert "ready to plan: 20 position(s)" in proc.stdout


# -- parts the plan does not need ------------------------------------------------------------

def _with_holdings(path: Path, tmp_path: Path) -> Path:
    """A corpus file with its first worksheet renamed Holdings and given two positions; every
    other part (the Excel 4 macro sheet among them) as Excel wrote it."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    wb = parts["xl/workbook.xml"].decode()
    rels = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="([^"]+)"',
                           parts["xl/_rels/workbook.xml.rels"].decode()))
    first = next(m for m in re.finditer(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', wb)
                 if "worksheets/" in rels[m.group(2)])
    part = "xl/" + rels[first.group(2)].lstrip("/").removeprefix("xl/")
    parts["xl/workbook.xml"] = wb.replace(f'name="{first.group(1)}"', 'name="Holdings"',
                                          1).encode()

    def s(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    parts[part] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="'
        'http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        + s("A1", "Asset") + s("B1", "Quantity") + s("C1", "Price") + s("D1", "Avg Cost")
        + '</row><row r="2">' + s("A2", "ETH") + '<c r="B2"><v>2</v></c><c r="C2"><v>3000</v>'
        '</c><c r="D2"><v>1000</v></c></row><row r="3">' + s("A3", "USDC")
        + '<c r="B3"><v>5000</v></c><c r="C3"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    out = tmp_path / path.name
    return write_parts(out, parts)


@pytest.mark.parametrize("name", ["poi/64420.xlsm", "poi/xlmmacro.xlsm"])
def test_excel_4_macro_sheets_do_not_stop_a_read_and_are_kept(corpus_dir, tmp_path, name):
    from test_fidelity_writer import assert_nothing_lost, parts

    book = _with_holdings(corpus_dir / name, tmp_path)
    assert any(n.startswith("xl/macrosheets/") for n in parts(book.read_bytes()))
    result = read(book)
    assert result.inputs is not None, errors(result)
    assert [p.asset for p in result.inputs.positions] == ["ETH", "USDC"]
    before = book.read_bytes()
    run = run_one(book, RunOptions(out_dir=tmp_path / "out", pdf=False, today=TODAY))
    assert run.status == "planned", run.error
    after = (tmp_path / "out" / book.name).read_bytes()
    assert_nothing_lost(before, after)
    assert book.read_bytes() == before
    # the planned file reads again (macro sheet and plan sheets together)
    again = read(tmp_path / "out" / book.name)
    assert again.inputs is not None, errors(again)


def test_the_corpus_macro_files_now_read(corpus_dir):
    for name in ("poi/64420.xlsm", "poi/xlmmacro.xlsm"):
        result = read(corpus_dir / name)
        assert not any("Unrecognized" in e or "could not be read" in e for e in errors(result))
        assert any("no holdings table" in e for e in errors(result)), errors(result)


def test_example_still_reads_everything(tmp_path):
    result = read(ROOT / "workbooks" / "example.xlsx")
    assert result.inputs is not None and len(result.inputs.positions) == 20
