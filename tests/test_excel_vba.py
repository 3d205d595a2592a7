"""The button workbook's VBA project, read back by independent readers: oletools (olevba and its
decompressor), olefile (strict), and LibreOffice when it is installed."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings, strategies as st
from needs import needs, soffice
from oletools.olevba import VBA_Parser, decompress_stream

from derisk_xl.excel import vba
from derisk_xl.excel.cfb import Storage, write_compound_file

RED, BLACK = 0, 1  # MS-CFB directory entry colours
COMMAND = "import derisk_xl.excel; derisk_xl.excel.build_plan()"


def modules_of(vba_bin: bytes, name: str = "vbaProject.bin") -> dict[str, str]:
    """Module name → source, as olevba extracts them."""
    parser = VBA_Parser(name, data=vba_bin)
    try:
        assert parser.detect_vba_macros()
        return {Path(vba_filename).stem: code for _, _, vba_filename, code
                in parser.extract_macros()}
    finally:
        parser.close()


# --- compression ----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=13000))
def test_compressed_bytes_read_back_by_oletools(data):
    assert bytes(decompress_stream(bytearray(vba.compress(data)))) == data


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Sub ", "End Sub\r\n", "    RunPython \"", "x", "'", "\r\n",
                                 "Dim a As String", " ", "ab" * 40]), max_size=900))
def test_compressed_source_like_text_reads_back(parts):
    data = "".join(parts).encode("cp1252")
    packed = vba.compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data
    if len(data) > 2000:
        assert len(packed) < len(data)  # it really compresses


@pytest.mark.parametrize("size", [0, 1, 3, 4095, 4096, 4097, 8192, 8193, 12289])
def test_chunk_boundaries(size):
    data = bytes((i * 7 + i // 13) % 251 for i in range(size))
    assert bytes(decompress_stream(bytearray(vba.compress(data)))) == data


# --- compound file --------------------------------------------------------------------------


def _check_red_black(raw: bytes) -> None:
    """Every sibling tree in the directory is a valid red-black tree (MS-CFB 2.6.4)."""
    ole = olefile.OleFileIO(io.BytesIO(raw))
    entries = {i: e for i, e in enumerate(ole.direntries) if e is not None}

    def black_height(sid: int, parent_red: bool) -> int:
        if sid == olefile.NOSTREAM:
            return 1
        e = entries[sid]
        red = e.color == RED
        assert not (red and parent_red), "two red nodes in a row"
        left, right = black_height(e.sid_left, red), black_height(e.sid_right, red)
        assert left == right, "unequal black heights"
        return left + (0 if red else 1)

    for e in entries.values():
        if e.sid_child != olefile.NOSTREAM:
            assert entries[e.sid_child].color == BLACK
            black_height(e.sid_child, False)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(
    st.text(alphabet="abcXYZ_0123", min_size=1, max_size=12),
    st.one_of(st.binary(max_size=9000),
              st.dictionaries(st.text(alphabet="pqr9", min_size=1, max_size=6),
                              st.binary(max_size=5000), max_size=5)),
    max_size=12))
def test_compound_file_read_back_by_olefile(tree):
    tree = {k.upper(): v for k, v in tree.items()}
    root = Storage({k: (Storage({n.upper(): d for n, d in v.items()}) if isinstance(v, dict) else v)
                    for k, v in tree.items()})
    raw = write_compound_file(root)
    ole = olefile.OleFileIO(io.BytesIO(raw), raise_defects=olefile.DEFECT_INCORRECT)
    expected = {}
    for k, v in root.children.items():
        if isinstance(v, Storage):
            expected.update({f"{k}/{n}": d for n, d in v.children.items()})
        else:
            expected[k] = v
    got = {"/".join(p): ole.openstream(p).read() for p in ole.listdir(streams=True)}
    assert got == expected
    _check_red_black(raw)


def test_compound_file_is_deterministic():
    root = Storage({"A": b"x" * 5000, "B": Storage({"C": b"y" * 10})})
    assert write_compound_file(root) == write_compound_file(root)


# --- the project ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project() -> bytes:
    return vba.derisk_vba_project(["Sheet1", "Sheet2", "Sheet3"])


def test_project_holds_our_macro_and_xlwings(project):
    mods = modules_of(project)
    assert set(mods) == {"ThisWorkbook", "Sheet1", "Sheet2", "Sheet3", "xlwings", "Dictionary",
                         "DeriskButton"}
    ours = mods["DeriskButton"]
    assert re.search(r"^Sub BuildDeriskPlan\(\)\s*$", ours, re.M)
    calls = re.findall(r'RunPython "([^"]*)"', ours)
    assert calls == [COMMAND]
    body = "\n".join(l for l in ours.splitlines() if not l.startswith("Attribute "))
    assert "Workbook" not in body and ".Name" not in body  # the command names no workbook
    assert re.search(r"^\s*Public Function RunPython\(", mods["xlwings"], re.M)
    # the quickstart's sample macro, which imports the workbook's own name, is gone
    assert not any("SampleCall" in code for code in mods.values())


def test_xlwings_code_is_the_installed_xlwings(project):
    import xlwings

    installed = (Path(xlwings.__file__).parent / "xlwings.bas").read_text("cp1252")
    body = "\n".join(line for line in installed.splitlines() if not line.startswith("Attribute "))
    got = modules_of(project)["xlwings"].replace("\r\n", "\n")
    got = "\n".join(line for line in got.splitlines() if not line.startswith("Attribute "))
    assert got.strip() == body.strip()
    assert f"'Version: {xlwings.__version__}" in got


def test_project_is_in_the_interoperable_form(project):
    """No p-code or caches: _VBA_PROJECT version 0xFFFF, so Excel compiles our source."""
    ole = olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)
    head = ole.openstream("VBA/_VBA_PROJECT").read()
    assert head[:2] == b"\xcc\x61" and head[2:4] == b"\xff\xff" and len(head) == 7
    streams = {"/".join(p) for p in ole.listdir(streams=True)}
    assert not any(s.startswith("VBA/__SRP") for s in streams)
    text = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Module=DeriskButton" in text and "Class=Dictionary" in text
    assert "Document=Sheet3/&H00000000" in text and "Module=Module1" not in text
    # every module stream starts with a compressed container (MODULEOFFSET 0)
    for name in ("DeriskButton", "xlwings", "Sheet1", "Dictionary"):
        assert ole.openstream(f"VBA/{name}").read()[:1] == b"\x01"
    wm = ole.openstream("PROJECTwm").read()
    assert b"DeriskButton\0" + "DeriskButton".encode("utf-16-le") + b"\0\0" in wm


def test_dir_stream_lists_each_module_once(project):
    ole = olefile.OleFileIO(io.BytesIO(project))
    records = vba._records(bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read()))))
    names = [d.decode() for rid, d in records if rid == 0x0019]
    count = next(struct.unpack("<H", d)[0] for rid, d in records if rid == 0x000F)
    assert count == len(names) == 7
    offsets = [struct.unpack("<I", d)[0] for rid, d in records if rid == 0x0031]
    assert offsets == [0] * 7


def test_unknown_duplicate_module_names_are_refused():
    template = vba.xlwings_template()
    with pytest.raises(vba.VbaProjectError):
        vba.build_vba_project(template, [vba.our_module(), vba.our_module()])


# --- LibreOffice ----------------------------------------------------------------------------


def _xlsm_with(project: bytes, path: Path) -> Path:
    """A minimal macro workbook around ``project``, written by XlsxWriter (not by us)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name in ("Holdings", "Settings", "xlwings.conf"):
        wb.add_worksheet(name)
    wb.add_vba_project(io.BytesIO(project), is_stream=True)
    wb.worksheets()[0].insert_button("F2", {"macro": vba.MACRO_NAME, "caption": "Build"})
    wb.close()
    return path


def libreoffice_basic(xlsm: Path, tmp_path: Path) -> dict[str, str]:
    """Convert with LibreOffice to .ods and return its Basic modules (what it read of our VBA)
    plus the content.xml under the key ``content.xml``."""
    needs("libreoffice")
    out = tmp_path / "ods"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "ods", "--outdir", str(out), str(xlsm)], check=True, capture_output=True,
                   timeout=180)
    ods = out / (xlsm.stem + ".ods")
    with zipfile.ZipFile(ods) as z:
        found = {Path(n).stem: z.read(n).decode() for n in z.namelist()
                 if n.startswith("Basic/VBAProject/") and not n.endswith("script-lb.xml")}
        found["content.xml"] = z.read("content.xml").decode()
    return found


@pytest.mark.slow
def test_libreoffice_reads_every_module_and_binds_the_button(project, tmp_path):
    basic = libreoffice_basic(_xlsm_with(project, tmp_path / "button.xlsm"), tmp_path)
    assert {"DeriskButton", "xlwings", "Dictionary", "ThisWorkbook", "Sheet1"} <= set(basic)
    assert "derisk_xl.excel.build_plan()" in basic["DeriskButton"]
    assert "Function RunPython(" in basic["xlwings"]
    assert "VBAProject.DeriskButton.BuildDeriskPlan" in basic["content.xml"]
