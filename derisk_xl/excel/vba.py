"""The workbook's VBA project: xlwings' own modules, taken from the xlwings installed here, plus
a module of ours whose macro runs ``derisk_xl.excel.build_plan()``.

How: xlwings ships ``quickstart_standalone.xlsm`` whose ``vbaProject.bin`` was saved by Excel
with xlwings' VBA (module ``xlwings``, class ``Dictionary``) and the references it needs. We
keep that project's Excel-made header (project information and references, PROJECT stream
properties) and rebuild the rest in the interoperable form MS-OVBA prescribes for writers:
module streams hold only compressed source (no p-code: MODULEOFFSET 0), ``_VBA_PROJECT`` is the
7-byte header with version 0xFFFF, so Excel compiles the source when it opens the file. The
quickstart's sample macro (``import <workbook name>``) is dropped; document modules are made
for ThisWorkbook and each sheet code name; our module is added.

Why not ms-ovba (PyPI): its compressor (ms-ovba-compression 1.0.1) took 3 s on xlwings' 46 KB
module and produced containers that neither oletools nor its own decompressor could read back
past the first 4 KB chunk, and it writes scratch files into the working directory.

Limits: one project layout (Excel on Windows or Mac, codepage from the template's dir stream);
no forms, no protection, no digital signature (Excel drops a signature anyway when VBA changes).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from ..core.issues import EnvironmentProblem
from .cfb import Storage, write_compound_file

ModuleKind = Literal["document", "module", "class"]

MACRO_NAME = "BuildDeriskPlan"
OUR_MODULE = "DeriskButton"
PYTHON_COMMAND = "import derisk_xl.excel; derisk_xl.excel.build_plan()"

_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"


class VbaProjectError(EnvironmentProblem):
    """The installed xlwings does not ship a VBA project we can build on."""


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind and source text (with its ``Attribute`` lines)."""

    name: str
    kind: ModuleKind
    source: str
    doc_string: str = ""


def our_module() -> Module:
    """The macro the button runs. It names no workbook, so renamed copies keep working."""
    source = (
        f'Attribute VB_Name = "{OUR_MODULE}"\r\n'
        "Option Explicit\r\n"
        "\r\n"
        "' Added by derisk_xl. The \"Build de-risk plan\" button runs this macro; the Python\r\n"
        "' command names no workbook, so the file can be renamed or copied freely.\r\n"
        f"Sub {MACRO_NAME}()\r\n"
        f'    RunPython "{PYTHON_COMMAND}"\r\n'
        "End Sub\r\n"
    )
    return Module(OUR_MODULE, "module", source)


# ---------------------------------------------------------------------------------------------
# MS-OVBA compression (2.4.1): oletools decompresses, nothing maintained compresses.
# ---------------------------------------------------------------------------------------------

_CHUNK = 4096


def compress(data: bytes) -> bytes:
    """A CompressedContainer for ``data`` (MS-OVBA 2.4.1.3), greedy longest-match LZ77."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data[start:start + _CHUNK])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, n = 0, len(chunk)
    seen: dict[bytes, list[int]] = {}
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            offset, length = _longest_match(chunk, pos, seen)
            if length >= 3:
                bits = max((pos - 1).bit_length(), 4)
                out += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                flags |= 1 << bit
                step = length
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, min(pos + step, n - 2)):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    if len(out) > _CHUNK:
        if n != _CHUNK:  # a raw chunk would be padded with NULs: cannot happen for text
            raise ValueError("incompressible final chunk")
        return struct.pack("<H", 0x3000 | 0x0FFF) + chunk
    return struct.pack("<H", 0xB000 | (len(out) + 2 - 3)) + bytes(out)


def _longest_match(chunk: bytes, pos: int, seen: dict[bytes, list[int]]) -> tuple[int, int]:
    candidates = seen.get(chunk[pos:pos + 3])
    if not candidates:
        return 0, 0
    bits = max((pos - 1).bit_length(), 4)
    max_length = min((0xFFFF >> bits) + 3, len(chunk) - pos)
    best_len, best_off = 0, 0
    for start in reversed(candidates[-64:]):
        length = 0
        while length < max_length and chunk[start + length] == chunk[pos + length]:
            length += 1
        if length > best_len:
            best_len, best_off = length, pos - start
            if length == max_length:
                break
    return best_off, best_len


def decompress(data: bytes) -> bytes:
    """Read a CompressedContainer with oletools' decompressor (the reference we test against)."""
    from oletools.olevba import decompress_stream

    return bytes(decompress_stream(bytearray(data)))


# ---------------------------------------------------------------------------------------------
# The dir stream: a flat list of (id, data) records.
# ---------------------------------------------------------------------------------------------

_PROJECTVERSION = 0x0009
_PROJECTCODEPAGE = 0x0003
_PROJECTMODULES = 0x000F
_PROJECTCOOKIE = 0x0013
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULEDOCSTRING = 0x001C
_MODULEDOCSTRINGUNICODE = 0x0048
_MODULEOFFSET = 0x0031
_MODULETYPE_PROCEDURAL = 0x0021
_MODULETYPE_OTHER = 0x0022
_MODULE_END = 0x002B
_DIR_END = 0x0010


def _records(dir_data: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(dir_data):
        rid, size = struct.unpack_from("<HI", dir_data, i)
        if rid == _PROJECTVERSION:  # "Reserved" 4 then VersionMajor(4) + VersionMinor(2)
            size = 6
        out.append((rid, dir_data[i + 6:i + 6 + size]))
        i += 6 + size
        if rid == _DIR_END:
            break
    return out


def _pack(records: Sequence[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for rid, data in records:
        size = 4 if rid == _PROJECTVERSION else len(data)
        out += struct.pack("<HI", rid, size) + data
    return bytes(out)


@dataclass(frozen=True)
class _Template:
    header: tuple[tuple[int, bytes], ...]  # information and references records
    cookie: bytes
    codepage: str
    project_lines: tuple[str, ...]
    modules: tuple[Module, ...]


def _read_template(vba_bin: bytes) -> _Template:
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    records = _records(decompress(ole.openstream("VBA/dir").read()))
    split = next(i for i, (rid, _) in enumerate(records) if rid == _PROJECTMODULES)
    header = tuple(records[:split])
    codepage = "cp%d" % struct.unpack("<H", dict(header)[_PROJECTCODEPAGE])[0]
    cookie = records[split + 1][1] if records[split + 1][0] == _PROJECTCOOKIE else b"\xff\xff"

    modules, current = [], {}
    for rid, data in records[split + 2:]:
        if rid == _MODULE_END:
            stream = ole.openstream("VBA/" + current[_MODULESTREAMNAME].decode(codepage)).read()
            offset = struct.unpack("<I", current[_MODULEOFFSET])[0]
            source = decompress(stream[offset:]).decode(codepage)
            source = source.replace("\r\n", "\n").replace("\n", "\r\n")
            name = current[_MODULENAME].decode(codepage)
            kind: ModuleKind = ("module" if _MODULETYPE_PROCEDURAL in current
                                else "document" if "VB_Base" in source and
                                "{00020" in source.split("VB_Base", 1)[1][:30] else "class")
            modules.append(Module(name, kind, source,
                                  current.get(_MODULEDOCSTRING, b"").decode(codepage)))
            current = {}
        elif rid != _DIR_END:
            current[rid] = data
    project = ole.openstream("PROJECT").read().decode(codepage)
    return _Template(header, cookie, codepage, tuple(project.splitlines()), tuple(modules))


# ---------------------------------------------------------------------------------------------
# Building the project
# ---------------------------------------------------------------------------------------------


def _document(name: str, base: str) -> Module:
    source = (
        f'Attribute VB_Name = "{name}"\r\n'
        f'Attribute VB_Base = "{base}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )
    return Module(name, "document", source)


def _module_records(module: Module, codepage: str) -> list[tuple[int, bytes]]:
    name, wide = module.name.encode(codepage), module.name.encode("utf-16-le")
    doc = module.doc_string
    return [
        (_MODULENAME, name), (0x0047, wide),
        (_MODULESTREAMNAME, name), (0x0032, wide),
        (_MODULEDOCSTRING, doc.encode(codepage)), (_MODULEDOCSTRINGUNICODE, doc.encode("utf-16-le")),
        (_MODULEOFFSET, struct.pack("<I", 0)),
        (0x001E, struct.pack("<I", 0)),  # help context
        (0x002C, b"\xff\xff"),  # cookie: ignored on read
        (_MODULETYPE_PROCEDURAL if module.kind == "module" else _MODULETYPE_OTHER, b""),
        (_MODULE_END, b""),
    ]


def build_vba_project(template_bin: bytes, modules: Sequence[Module]) -> bytes:
    """A vbaProject.bin with ``modules``, on the information and references of a template
    project saved by Excel."""
    t = _read_template(template_bin)
    cp = t.codepage
    names = [m.name.upper() for m in modules]
    if len(set(names)) != len(names):
        raise VbaProjectError(f"duplicate module names: {[m.name for m in modules]}")

    records = list(t.header)
    records.append((_PROJECTMODULES, struct.pack("<H", len(modules))))
    records.append((_PROJECTCOOKIE, t.cookie))
    for module in modules:
        records.extend(_module_records(module, cp))
    records.append((_DIR_END, b""))

    kinds = {"document": "Document={}/&H00000000", "module": "Module={}", "class": "Class={}"}
    module_line = re.compile(r"^(Document|Module|Class|BaseClass|Package)=")
    head, rest, in_workspace = [], [], False
    for line in t.project_lines:
        if line.startswith("[Workspace]"):
            in_workspace = True  # window positions of the template's modules: not ours
        elif line.startswith("["):
            in_workspace = False
        if in_workspace or module_line.match(line):
            continue
        (head if line.startswith("ID=") else rest).append(line)
    while rest and rest[-1] == "":
        rest.pop()
    project = "\r\n".join(head + [kinds[m.kind].format(m.name) for m in modules] + rest) + "\r\n"

    name_map = b"".join(m.name.encode(cp) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
                        for m in modules) + b"\0\0"
    vba = Storage({
        "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",
        "dir": compress(_pack(records)),
        **{m.name: compress(m.source.encode(cp)) for m in modules},
    })
    return write_compound_file(Storage({
        "PROJECT": project.encode(cp),
        "PROJECTwm": name_map,
        "VBA": vba,
    }))


def xlwings_template() -> bytes:
    """The Excel-made vbaProject.bin inside the installed xlwings' standalone quickstart."""
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    try:
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise VbaProjectError(
            f"xlwings {xlwings.__version__} has no usable {path.name} ({exc}); "
            "reinstall xlwings (pip install --force-reinstall xlwings)") from exc


def xlwings_modules(template_bin: bytes) -> tuple[Module, ...]:
    """xlwings' own code in the template: the module that defines RunPython and every class
    module it uses (Dictionary on the Mac). The quickstart's sample macro is left out."""
    modules = _read_template(template_bin).modules
    runner = [m for m in modules if m.kind == "module" and
              re.search(r"^\s*(Public\s+)?Function\s+RunPython\b", m.source, re.M | re.I)]
    if not runner:
        raise VbaProjectError("the installed xlwings' VBA defines no RunPython function")
    return tuple(runner) + tuple(m for m in modules if m.kind == "class")


def derisk_vba_project(sheet_code_names: Sequence[str], workbook_code_name: str = "ThisWorkbook",
                       ) -> bytes:
    """The button workbook's vbaProject.bin: document modules for the workbook and each sheet
    (by code name), xlwings' modules from the installed xlwings, and our macro module."""
    template = xlwings_template()
    modules = [_document(workbook_code_name, _WORKBOOK_BASE)]
    modules += [_document(name, _WORKSHEET_BASE) for name in sheet_code_names]
    modules += list(xlwings_modules(template))
    modules.append(our_module())
    return build_vba_project(template, modules)
