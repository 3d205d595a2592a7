"""Nothing lost: after write_plan every original part is byte-identical except the parts that
list sheets, styles.xml only grows, input sheets keep values and formulas, and a second run
gives identical bytes. XlsxWriter-style whole-file comparison: unzip both, compare part by part,
print a readable diff. LibreOffice is not needed.
"""

from __future__ import annotations

import difflib
import functools
import re
import io
import struct
import zipfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest
from conftest import CORPUS
from test_writer_plans import hand_case_study

from derisk_xl.core.issues import InputError
from derisk_xl.workbook import package
from derisk_xl.workbook.package import scratch, splice
from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES
from derisk_xl.workbook.writer import write_plan

#: The only original parts that may change (by insertion; styles by appending).
LISTING_PARTS = ("[Content_Types].xml", "workbook.xml", "workbook.xml.rels", "styles.xml")


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def readable_diff(before: dict[str, bytes], after: dict[str, bytes]) -> str:
    lines = []
    for name in sorted(before):
        if name not in after:
            lines.append(f"MISSING {name}")
        elif before[name] != after[name]:
            a = before[name].decode("utf-8", "replace").replace("><", ">\n<").splitlines()
            b = after[name].decode("utf-8", "replace").replace("><", ">\n<").splitlines()
            diff = list(difflib.unified_diff(a, b, name, name, n=1, lineterm=""))
            lines.append(f"CHANGED {name}:\n" + "\n".join(diff[:40]))
    return "\n".join(lines)


def is_listing(name: str) -> bool:
    return name == "[Content_Types].xml" or name.rsplit("/", 1)[-1] in LISTING_PARTS[1:]


def _children(root: ET.Element, local: str) -> list[bytes]:
    sec = next((c for c in root if c.tag.rsplit("}", 1)[-1] == local), None)
    return [] if sec is None else [ET.tostring(c) for c in sec]


def assert_styles_appended_only(before: bytes, after: bytes) -> None:
    """Every original style entry keeps its index and content; other sections untouched."""
    b, a = ET.fromstring(before), ET.fromstring(after)
    for sec in b:
        local = sec.tag.rsplit("}", 1)[-1]
        old, new = _children(b, local), _children(a, local)
        assert new[: len(old)] == old, f"styles.xml <{local}> entries changed"
        if local not in ("numFmts", "fonts", "fills", "borders", "cellXfs", "cellStyleXfs"):
            assert new == old, f"styles.xml <{local}> changed"


def assert_nothing_lost(before: bytes, after: bytes) -> None:
    old, new = parts(before), parts(after)
    changed = {n for n in old if n not in new or old[n] != new[n]}
    unexpected = {n for n in changed if not is_listing(n)}
    assert not unexpected, readable_diff({n: old[n] for n in unexpected}, new)
    for name in changed:
        if name.endswith("styles.xml"):
            assert_styles_appended_only(old[name], new[name])
        else:  # listing parts: every original element is still there, in order
            assert _text_kept(old[name], new[name]), readable_diff({name: old[name]}, new)


def _text_kept(old: bytes, new: bytes) -> bool:
    """Every tag and text run of ``old`` is in ``new`` in the same order: only insertions."""
    token = re.compile(rb"<[^>]*>|[^<]+")
    # an empty element that gained children (<definedNames/> → <definedNames>…</definedNames>)
    # keeps everything it had
    empty = re.compile(rb"<([\w:]+)([^>]*?)\s*/>")
    old, new = (empty.sub(rb"<\1\2></\1>", x) for x in (old, new))
    it = iter(token.findall(new))
    return all(any(t == u for u in it) for t in token.findall(old))


# ---------------------------------------------------------------------------------------------
# Workbooks built here with XlsxWriter
# ---------------------------------------------------------------------------------------------


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def vba_project() -> bytes | None:
    for name in ("xlsxwriter/macro01.xlsm", "xlsxwriter/button07.xlsm"):
        path = CORPUS / name
        if path.exists():
            with zipfile.ZipFile(path) as z:
                return z.read("xl/vbaProject.bin")
    return None


def rich_workbook(path: Path, vba: bytes | None = None) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Holdings")
    money = wb.add_format({"num_format": "$#,##0.00", "bold": True, "bg_color": "#FFEEAA"})
    ws.write_row(0, 0, ["Asset", "Quantity", "Price", "Value"])
    data = [["BTC", 0.1, 40000], ["ETH", 2.5, 3000], ["ALT", 1000, 12], ["USDC", 11500, 1]]
    for r, row in enumerate(data, start=1):
        ws.write_row(r, 0, row)
        ws.write_formula(r, 3, f"=B{r + 1}*C{r + 1}", money, row[1] * row[2])
    ws.add_table(6, 0, 9, 2, {"name": "PlanTrades", "columns": [{"header": h} for h in "XYZ"]})
    ws.write_comment("A2", "a comment on BTC")
    ws.data_validation("B2:B5", {"validate": "decimal", "criteria": ">=", "value": 0})
    ws.data_validation("E2", {"validate": "list", "source": ["core", "alt", "stable"]})
    ws.conditional_format("D2:D5", {"type": "data_bar", "bar_solid": True})
    ws.conditional_format("C2:C5", {"type": "3_color_scale"})
    ws.add_sparkline("F2", {"range": "Holdings!B2:D2"})
    ws.insert_image("H2", "dot.png", {"image_data": io.BytesIO(tiny_png())})
    ws.insert_textbox("H10", "a text box", {"width": 200, "height": 50})
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"categories": "=Holdings!$A$2:$A$5", "values": "=Holdings!$D$2:$D$5"})
    ws.insert_chart("K2", chart)
    wb.define_name("Total", "=SUM(Holdings!$D$2:$D$5)")
    wb.define_name("Holdings!Local", "=Holdings!$A$1")
    other = wb.add_worksheet("Notes")
    other.write_string(0, 0, "Plan Summary lives elsewhere")
    other.set_header("&LPage &P")
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
        ws.insert_button("H20", {"macro": "say_hello", "caption": "Build de-risk plan"})
    wb.close()
    return path


def run_twice(source: Path, tmp: Path) -> tuple[bytes, bytes]:
    plan = hand_case_study()
    first = tmp / ("first" + source.suffix)
    second = tmp / ("second" + source.suffix)
    write_plan(source, first, plan)
    write_plan(first, second, plan)
    return first.read_bytes(), second.read_bytes()


def input_values(path: Path, names) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {n: [[c.value for c in row] for row in wb[n].iter_rows()] for n in names}


@pytest.fixture(params=["xlsxwriter-cells", "streamed-rows"])
def stream_mode(request, monkeypatch) -> str:
    """Both ways the plan tables' rows are written: cell by cell through XlsxWriter (small
    tables) and streamed as text (big ones; forced here for every table)."""
    monkeypatch.setattr(scratch, "STREAM_ROWS", 0 if request.param == "streamed-rows" else 10**9)
    return request.param


@pytest.mark.usefixtures("stream_mode")
def test_rich_xlsx_keeps_every_part(tmp_path):
    source = rich_workbook(tmp_path / "rich.xlsx")
    first, second = run_twice(source, tmp_path)
    original = source.read_bytes()
    assert_nothing_lost(original, first)
    assert first == second, readable_diff(parts(first), parts(second))
    out = tmp_path / "first.xlsx"
    assert input_values(out, ["Holdings", "Notes"]) == input_values(source, ["Holdings", "Notes"])
    import openpyxl

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Holdings", "Notes", *PLAN_SHEET_NAMES]
    assert wb["Holdings"]["D2"].value == "=B2*C2"
    # the user's own table was called PlanTrades: ours got another name
    ours = [t for ws in wb.worksheets[2:] for t in ws.tables]
    assert "PlanTrades" not in ours and "PlanTrades_2" in ours
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/sharedStrings.xml") == zipfile.ZipFile(source).read(
            "xl/sharedStrings.xml")


@pytest.mark.needs("corpus")  # for a vbaProject.bin made by Excel
@pytest.mark.usefixtures("stream_mode")
def test_xlsm_keeps_macros_and_button(tmp_path):
    source = rich_workbook(tmp_path / "button.xlsm", vba_project())
    first, second = run_twice(source, tmp_path)
    assert_nothing_lost(source.read_bytes(), first)
    assert first == second
    new = parts(first)
    assert new["xl/vbaProject.bin"] == vba_project()
    assert any("vmlDrawing" in n for n in new)
    ct = new["[Content_Types].xml"].decode()
    assert "macroEnabled.main+xml" in ct
    assert (tmp_path / "first.xlsm").exists()


@pytest.mark.usefixtures("stream_mode")
def test_in_place_rerun_replaces_only_plan_sheets(tmp_path):
    source = rich_workbook(tmp_path / "inplace.xlsx")
    original = source.read_bytes()
    write_plan(source, source, hand_case_study())
    once = source.read_bytes()
    write_plan(source, source, hand_case_study())
    assert source.read_bytes() == once
    assert_nothing_lost(original, once)
    names = [n for n in parts(once) if "derisk_plan_sheet" in n and n.endswith(".xml")]
    assert len(names) == 6


@pytest.mark.usefixtures("stream_mode")
def test_odd_package_prefixes_folders_sparse_ids(tmp_path):
    """A workbook whose sheet lives in another folder, with sparse rIds and sheetIds and a
    prefixed SpreadsheetML namespace: the plan sheets still go in, and nothing else moves."""
    import xlsxwriter

    plain = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(plain)
    wb.add_worksheet("Data").write_number(0, 0, 42)
    wb.close()
    p = parts(plain.read_bytes())
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    wbx = p.pop("xl/workbook.xml").decode()
    wbx = (wbx.replace(f'<workbook xmlns="{main}"', f'<x:workbook xmlns:x="{main}"')
           .replace("</workbook>", "</x:workbook>")
           .replace("<", "<x:").replace("<x:/", "</x:").replace("<x:?", "<?")
           .replace("<x:x:", "<x:").replace("</x:x:", "</x:")
           .replace('sheetId="1" r:id="rId1"', 'sheetId="17" r:id="rId9"'))
    p["xl/workbook.xml"] = wbx.encode()
    rels = p["xl/_rels/workbook.xml.rels"].decode()
    p["xl/_rels/workbook.xml.rels"] = (rels.replace('Id="rId1"', 'Id="rId9"')
                                       .replace("worksheets/sheet1.xml", "/xl/other/data.xml")
                                       .encode())
    p["xl/other/data.xml"] = p.pop("xl/worksheets/sheet1.xml")
    ct = p["[Content_Types].xml"].decode().replace("/xl/worksheets/sheet1.xml",
                                                   "/xl/other/data.xml")
    p["[Content_Types].xml"] = ct.encode()
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in p.items():
            z.writestr(name, data)
    first, second = run_twice(odd, tmp_path)
    assert_nothing_lost(odd.read_bytes(), first)
    assert first == second
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "first.xlsx")
    assert book.sheetnames == ["Data", *PLAN_SHEET_NAMES]
    assert book["Data"]["A1"].value == 42
    wbx = parts(first)["xl/workbook.xml"].decode()
    assert '<x:sheet name="Plan Summary" sheetId="18"' in wbx


@functools.lru_cache(maxsize=1)
def corpus_index() -> tuple[tuple[Path, tuple[str, ...]], ...]:
    out = []
    for path in sorted(CORPUS.rglob("*.xls[xm]")):
        try:
            with zipfile.ZipFile(path) as z:
                out.append((path, tuple(z.namelist())))
        except zipfile.BadZipFile:
            continue
    return tuple(out)


def corpus_files(*needles: str) -> list[Path]:
    return [path for path, names in corpus_index()
            if any(any(n.lower() in name.lower() for name in names) for n in needles)]


#: Parts of Excel's that a plan must not lose, each carried by some corpus file. Slicers are
#: not here: no corpus file has one, so no test could show they survive, and a case that skips
#: on every run only teaches its readers to ignore skips (test_no_corpus_file_carries_a_slicer).
FEATURES = ["threadedComments", "pivotTable", "externalLink", "ctrlProp", "vbaProject"]


@pytest.mark.parametrize("feature", FEATURES)
def test_corpus_features_survive(corpus_dir, tmp_path, feature):
    """The three smallest corpus files with the feature that are planned keep everything. A
    file may be refused with a clear message, but a feature whose every file is refused is
    shown to survive by none: that fails."""
    kept, refused = 0, []
    for source in sorted(corpus_files(feature), key=lambda p: p.stat().st_size):
        try:
            first, second = run_twice(source, tmp_path)
        except InputError as exc:
            assert str(exc)
            refused.append(f"{source.name}: {exc}")
            continue
        assert_nothing_lost(source.read_bytes(), first)
        assert first == second, source.name
        kept += 1
        if kept == 3:
            break
    assert kept, f"no corpus file carrying {feature} was planned:\n" + "\n".join(refused)


def test_no_corpus_file_carries_a_slicer(corpus_dir):
    """Why FEATURES leaves slicers out. When a file with a slicer joins the corpus this fails:
    add "slicer" to FEATURES."""
    assert corpus_files("slicer") == []


STRICT = ["poi/SimpleStrict.xlsx", "poi/sample.strict.xlsx", "poi/57914.xlsx",
          "poi/SampleSS.strict.xlsx",
          "closedxml/ClosedXML.Tests_Resource_TryToLoad_LO_xlsx_universal-content-strict.xlsx"]


@pytest.mark.parametrize("name", STRICT)
@pytest.mark.usefixtures("stream_mode")
def test_strict_workbooks_get_strict_plan_sheets(corpus_dir, tmp_path, name):
    source = corpus_dir / name
    first, second = run_twice(source, tmp_path)
    assert_nothing_lost(source.read_bytes(), first)
    assert first == second
    new = parts(first)
    sheet = new["xl/worksheets/derisk_plan_sheet1.xml"].decode()
    assert "http://purl.oclc.org/ooxml/spreadsheetml/main" in sheet
    assert "schemas.openxmlformats.org/spreadsheetml" not in sheet
    rels = new["xl/_rels/workbook.xml.rels"].decode()
    assert "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" in rels
    for data in new.values():  # every part we touched is still well-formed
        if data.lstrip().startswith(b"<?xml"):
            ET.fromstring(data)


def test_entity_bombs_are_refused(corpus_dir):
    data = (corpus_dir / "poi" / "54764-2.xlsx").read_bytes()
    with pytest.raises(InputError, match="DTD"):
        package.add_plan_sheets(data, ())


# ---------------------------------------------------------------------------------------------
# A failed write changes nothing
# ---------------------------------------------------------------------------------------------


def test_failed_generation_leaves_files_untouched(tmp_path, monkeypatch):
    source = rich_workbook(tmp_path / "keep.xlsx")
    before = source.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("injected failure while assembling the zip")

    monkeypatch.setattr(splice, "write_zip", boom)
    with pytest.raises(RuntimeError):
        write_plan(source, source, hand_case_study())
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx"]


def test_failed_rename_leaves_no_temp_file(tmp_path, monkeypatch):
    import derisk_xl.fsutil as fsutil

    source = rich_workbook(tmp_path / "keep.xlsx")
    before = source.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.xlsx").write_bytes(b"previous copy")

    def fail(*a, **k):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(fsutil.os, "replace", fail)
    with pytest.raises(OSError):
        write_plan(source, out / "keep.xlsx", hand_case_study())
    assert source.read_bytes() == before
    assert (out / "keep.xlsx").read_bytes() == b"previous copy"
    assert [p.name for p in out.iterdir()] == ["keep.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx", "out"]


def test_missing_destination_folder_fails_cleanly(tmp_path):
    source = rich_workbook(tmp_path / "keep.xlsx")
    before = source.read_bytes()
    with pytest.raises(OSError):
        write_plan(source, tmp_path / "no" / "such" / "keep.xlsx", hand_case_study())
    assert source.read_bytes() == before


def test_not_a_workbook_is_refused_clearly(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 but not really")
    with pytest.raises(InputError, match="not a workbook"):
        write_plan(bad, bad, hand_case_study())
    assert bad.read_bytes() == b"PK\x03\x04 but not really"


# ---------------------------------------------------------------------------------------------
# The whole corpus
# ---------------------------------------------------------------------------------------------

REFUSED_OK = ("DTD", "not a SpreadsheetML workbook", "not a workbook")


def _check_corpus_file(path: str, load: bool = True, stream: bool = False) -> str | None:
    """None when fine, else a reason. Runs in a worker process. ``stream``: the plan tables'
    rows are streamed as text (as for a big plan) instead of written through XlsxWriter."""
    import warnings

    import openpyxl

    from derisk_xl.workbook.plan_sheets import plan_sheets

    scratch.STREAM_ROWS = 0 if stream else 10**9

    specs = _SPECS.get("specs")
    if specs is None:
        specs = _SPECS["specs"] = plan_sheets(hand_case_study(), version="corpus")
    src = Path(path).read_bytes()
    try:
        out = package.add_plan_sheets(src, specs)
    except InputError as exc:
        return None if any(r in str(exc) for r in REFUSED_OK) else f"refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - reported as a test failure with its file
        return f"{type(exc).__name__}: {exc}"
    # CRC-32 and size from the zip directories: no need to inflate every part again here
    # (the tests above compare whole bytes).
    with zipfile.ZipFile(io.BytesIO(src)) as zo, zipfile.ZipFile(io.BytesIO(out)) as zn:
        old = {i.filename: (i.CRC, i.file_size) for i in zo.infolist()}
        new = {i.filename: (i.CRC, i.file_size) for i in zn.infolist()}
        strict = b"purl.oclc.org/ooxml/spreadsheetml/main" in zn.read(
            next(n for n in new if n.lower().endswith("workbook.xml")) if any(
                n.lower().endswith("workbook.xml") for n in new) else "[Content_Types].xml")
    lost = [n for n in old if n not in new or (old[n] != new[n] and not is_listing(n))]
    if lost:
        return f"changed {lost[:5]}"
    if strict or not load:
        return None  # openpyxl cannot read Strict; the parts are intact, checked above
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(io.BytesIO(out), read_only=True)
            rows = list(wb["Plan Stress"].iter_rows(values_only=True))
            wb.close()
        except Exception as exc:  # noqa: BLE001
            try:
                openpyxl.load_workbook(io.BytesIO(src), read_only=True).close()
            except Exception:  # noqa: BLE001 - the original did not load either
                return None
            return f"result does not load with openpyxl: {type(exc).__name__}: {exc}"
    if len(rows) < 6 or rows[0][0] != "Shock":
        return f"Plan Stress reads back as {rows[:2]}"
    return None


_SPECS: dict = {}


def test_whole_corpus(corpus_dir):
    files = sorted(str(p) for p in corpus_dir.rglob("*") if p.suffix in (".xlsx", ".xlsm"))
    with ProcessPoolExecutor(2) as pool:
        # openpyxl reloads every third result (the costliest check); every file is merged and
        # compared part by part.
        results = list(pool.map(_check_corpus_file, files,
                                [i % 3 == 0 for i in range(len(files))],
                                [i % 2 == 0 for i in range(len(files))], chunksize=16))
    problems = [f"{Path(f).relative_to(corpus_dir)}: {r}" for f, r in zip(files, results) if r]
    assert not problems, "\n".join(problems[:30])
    assert len(files) > 1000
