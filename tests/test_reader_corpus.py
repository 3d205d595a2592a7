"""The reader over ../shared/corpus: 1,439 workbooks saved by Excel, none written by us.

Reading must never raise: each file either gives inputs or says why not. The two XML bombs
are refused before any parser sees their DTD; the Strict Open XML files are read, not mistaken
for empty workbooks. The fast regex scan of sheet parts must agree with the expat scan.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from hostile import example_parts, write_parts

from derisk_xl.workbook import reader, scan

BOMBS = {"poi/54764.xlsx", "poi/54764-2.xlsx"}
STRICT = {"poi/57914.xlsx", "poi/SampleSS.strict.xlsx", "poi/SimpleStrict.xlsx",
          "poi/sample.strict.xlsx",
          "closedxml/ClosedXML.Tests_Resource_TryToLoad_LO_xlsx_universal-content-strict.xlsx"}


def _books(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))


def test_every_corpus_file_reads_or_says_why(corpus_dir):
    books = _books(corpus_dir)
    assert len(books) > 1000
    outcomes = {}
    for path in books:
        result = reader.read_workbook(path, as_of=None, today=dt.date(2026, 1, 1))
        assert result.inputs is not None or result.issues, path
        assert all(i.message for i in result.issues)
        outcomes[path.relative_to(corpus_dir).as_posix()] = result
    for name in BOMBS:
        (issue,) = outcomes[name].issues
        assert "refused" in issue.message and "DTD" in issue.message, issue
    for name in STRICT:
        (issue,) = [i for i in outcomes[name].issues if i.severity == "error"]
        # read, sheets and all: refused only because no sheet holds a holdings table
        assert "has no holdings table" in issue.message and "has no sheets" not in issue.message


def test_strict_open_xml_values_are_read(corpus_dir):
    for name in STRICT:
        grid, issues = reader.load_grid(corpus_dir / name)
        assert issues == () and grid.sheet_names, name


def test_a_strict_workbook_with_holdings_is_read_properly(corpus_dir, tmp_path):
    """Excel's Strict file with its first sheet renamed Holdings and given holdings rows."""
    parts = example_parts(corpus_dir / "poi/SimpleStrict.xlsx")
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b'<sheet name="Sheet1"', b'<sheet name="Holdings"')
    ns = b"http://purl.oclc.org/ooxml/spreadsheetml/main"

    def s(ref, text):
        return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text)

    parts["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="' + ns +
        b'"><sheetData><row r="1">' + s(b"A1", b"Asset") + s(b"B1", b"Quantity") +
        s(b"C1", b"Price") + b'</row><row r="2" hidden="1">' + s(b"A2", b"BTC") +
        b'<c r="B2"><v>0.5</v></c><c r="C2"><v>40000</v></c></row><row r="3">' +
        s(b"A3", b"ETH") + b'<c r="B3"><v>2</v></c><c r="C3" t="e"><v>#N/A</v></c></row>'
        b"</sheetData></worksheet>")
    path = write_parts(tmp_path / "strict.xlsx", parts)
    result = reader.read_workbook(path, as_of=None, today=dt.date(2026, 1, 1))
    errors = {i.location: i.message for i in result.issues if i.severity == "error"}
    assert list(errors) == ["Holdings!C3"] and "#N/A" in errors["Holdings!C3"]
    assert any(i.severity == "warning" and "hidden" in i.message for i in result.issues)


def test_fast_scan_agrees_with_expat_scan(corpus_dir):
    """Both scans over every worksheet part of the corpus: same errors, formats, formulas."""
    compared = 0
    for path in _books(corpus_dir):
        if path.relative_to(corpus_dir).as_posix() in BOMBS:
            continue
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist()
                         if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")]
                if not names:
                    continue
                try:
                    styles = scan._number_formats(zf, "xl/workbook.xml")
                except Exception:
                    styles = {}
                styles = styles or {9: "0%"}
                for part in names:
                    fast = scan._scan_fast(zf.read(part), styles)
                    if fast is None:
                        continue
                    slow = scan._scan_sheet(zf, part, styles)
                    assert fast.errors == slow.errors, (path, part)
                    assert sorted(fast.uncached) == sorted(slow.uncached), (path, part)
                    assert fast.formats == slow.formats, (path, part)
                    assert fast.hidden == slow.hidden, (path, part)
                    compared += 1
        except zipfile.BadZipFile:
            continue
    assert compared > 1000
