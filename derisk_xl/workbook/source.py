"""The file as a package: is it a workbook we may read, and where are its parts.

Refuses, with one sentence, what is not an Excel workbook we can read safely: legacy ``.xls`` and
encrypted files (OLE2), zip files that are not workbooks, XML with a DTD (entity bombs). The
part map (sheet name → part) serves the cell scan, which reads the facts calamine does not give.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from ..core.issues import Issue
from .grid import TableRef, parse_coordinate
from .parts import DamagedPart, Rel, relationships, rels_name

Loaded = TypeVar("Loaded")

# =============================================================================================
# Loading (I/O)
# =============================================================================================

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MAX_PART_BYTES = 2 << 30  # a part that inflates beyond 2 GiB is a zip bomb, not holdings
#: SPEC 3.8, bounded work. A part the reader parses (workbook, styles, shared strings, a
#: worksheet, a table) may inflate to at most this much XML; 100,000 positions take ~30 MB.
MAX_XML_PART = 256 << 20
#: The cells of the rectangle from A1 to a sheet's last value, which calamine and the grid
#: allocate densely (~40 bytes each): e.g. 100,000 rows by 50 columns.
MAX_SHEET_CELLS = 5_000_000
#: Excel's grid: no sheet it writes has a cell past XFD1048576.
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


class Refused(Exception):
    """The file is not one we may read; the message says why, for the user."""


def file_issue(message: str) -> tuple[None, tuple[Issue, ...]]:
    return None, (Issue("", message),)


def open_workbook(path: Path, read: Callable[[Path, object, str], Loaded]
                  ) -> Loaded | tuple[None, tuple[Issue, ...]]:
    """``read(path, zipfile, workbook part)`` of the workbook at ``path``, or what stops it as
    issues: the file is missing, a folder, legacy, encrypted, not a workbook, damaged or
    refused. ``read`` is scan.load_cells, passed in: the scan imports this module, not the
    other way round."""
    path = Path(path)
    name = path.name
    if not path.exists():
        return file_issue(f"{name} does not exist ({path}).")
    if path.is_dir():
        return file_issue(f"{path} is a folder, not a workbook.")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        return file_issue(f"{name} could not be opened: {exc.strerror or exc}.")
    if magic == _OLE_MAGIC:
        return file_issue(_ole_message(path))
    if not magic.startswith(_ZIP_MAGIC):
        return file_issue(f"{name} is not an Excel workbook (.xlsx or .xlsm): its content is "
                           "neither a zip package nor an Excel file.")
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return read(path, zf, _check_package(zf, name))
    except Refused as exc:
        return file_issue(str(exc))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
            zlib_error()) as exc:
        return file_issue(f"{name} is damaged: it looks like an Excel workbook but its zip "
                           f"package cannot be read ({_plain(exc)}). Open it in Excel and save "
                           "it again, or restore it from a copy.")
    except UnicodeDecodeError:
        return file_issue(f"{name} is damaged: one of its parts is not valid UTF-8 text. Open "
                           "it in Excel and save it again.")


def zlib_error() -> type:
    import zlib

    return zlib.error


def _plain(exc: BaseException) -> str:
    """An exception's message without its class name, first line only, for a user."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable data"
    return text[:200]


def _ole_message(path: Path) -> str:
    """An OLE2 file is either an encrypted (password-protected) workbook or a legacy .xls."""
    name = path.name
    try:
        import msoffcrypto

        with open(path, "rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            encrypted = office.is_encrypted()
            kind = type(office).__name__
    except Exception:  # not a file msoffcrypto knows: decide by the stream names
        encrypted, kind = _ole_has_stream(path, "EncryptionInfo"), ""
    if encrypted and "Xls97" not in kind:
        return (f"{name} is password-protected (encrypted). Open it in Excel, remove the "
                "password (File › Info › Protect Workbook › Encrypt with Password), save, and "
                "run again.")
    if encrypted:
        return (f"{name} is an encrypted legacy Excel 97-2003 (.xls) file. Open it in Excel, "
                "remove the password and save it as an Excel Workbook (.xlsx).")
    return (f"{name} is a legacy Excel 97-2003 (.xls) file, which is not supported. Open it in "
            "Excel and save it as an Excel Workbook (.xlsx) or Macro-Enabled Workbook (.xlsm).")


def _ole_has_stream(path: Path, stream: str) -> bool:
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            return ole.exists(stream)
    except Exception:
        return False


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _check_package(zf, name: str) -> str:
    """Refuse what we must not parse; return the workbook part's name."""
    infos = zf.infolist()
    names = {i.filename for i in infos}
    for info in infos:
        if info.file_size > _MAX_PART_BYTES:
            raise Refused(f"{name} was refused: its part {info.filename} would inflate to "
                           f"{info.file_size:,} bytes (a zip bomb, not a workbook).")
        lower = info.filename.lower()
        if lower.endswith((".xml", ".rels", ".vml")) and _has_dtd(zf, info.filename):
            raise Refused(
                f"{name} was refused: its part {info.filename} declares an XML document type "
                "(DTD), which Excel never writes and which can hide an entity-expansion ('XML "
                "bomb') attack. Open the file in Excel and save it again if you trust it.")
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        raise Refused(f"{name} is password-protected (encrypted); remove the password in Excel.")
    workbook_part = None
    if "_rels/.rels" in names:
        try:
            rels = _relationships(zf, "", name)
        except DamagedPart as exc:
            raise _damaged(name, exc) from None
        workbook_part = next((r.target for r in rels if r.type.endswith("/officeDocument")),
                             None)
    if workbook_part is None and "xl/workbook.xml" in names:
        workbook_part = "xl/workbook.xml"
    if workbook_part is not None and workbook_part.endswith(".bin"):
        raise Refused(f"{name} is an Excel Binary Workbook (.xlsb), which is not supported; "
                       "save it from Excel as an Excel Workbook (.xlsx).")
    if workbook_part is None or workbook_part not in names:
        if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
            raise Refused(f"{name} is an OpenDocument spreadsheet, not an Excel workbook; save "
                           "it as an Excel Workbook (.xlsx).")
        raise Refused(f"{name} is a zip file but not an Excel workbook: it has no workbook "
                       "part (xl/workbook.xml).")
    return workbook_part


_DTD = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _has_dtd(zf, part: str) -> bool:
    """True when the part declares a DTD before its root element (OOXML forbids DTDs)."""
    head = b""
    with zf.open(part) as fh:
        while len(head) < (1 << 20):
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            head += chunk
            root = _ROOT_START.search(head)
            if root:
                return bool(_DTD.search(head, 0, root.start()))
    return bool(_DTD.search(head))


def part_rels(zf, part: str) -> dict[str, str]:
    """Relationship id → target part name, for ``part``; external targets left out."""
    return {r.id: r.target for r in _relationships(zf, part) if not r.external}


def _relationships(zf, part: str, name: str = "") -> list[Rel]:
    """The relationships of ``part`` (none when it has no relationships part), the part's size
    bounded first (``name``, the file's, is for that refusal); DamagedPart when malformed."""
    rels = rels_name(part)
    if rels not in zf.NameToInfo:
        return []
    _verify(zf, rels, name, "the relationships part")
    return relationships(zf.read(rels), part)


def _damaged(name: str, exc: DamagedPart) -> Refused:
    """A damaged relationships part that says which part is the workbook or which sheet is
    which: without it there is nothing to read."""
    return Refused(f"{name}: {exc} Open it in Excel and save it again.")


# =============================================================================================
# Bounds: what calamine may be asked for (SPEC 3.8, bounded work)
# =============================================================================================
#
# calamine trusts a package: it reserves memory for the strings sharedStrings.xml claims, the
# dense rectangle from a sheet's first to its last cell, a table's whole ref, and panics on a
# reversed ref. Everything it would be asked for is measured here first, cheaply, and what is
# absurd is refused with a sentence or not asked for at all.


@dataclass(frozen=True)
class Bounds:
    """Facts about a package gathered before calamine opens it.

    Attributes:
      sheets: worksheet name → part name, in workbook order.
      too_big: worksheet name → why calamine must not load it (a sentence naming the sheet).
      bad_tables: Excel Table name → why calamine must not load it.
      empty_tables: Excel Table name → the table, for one with no data rows (its header
        alone), which calamine cannot load either ("invalid range bounds").
      source: what to open with calamine: the path, or an in-memory copy of the package whose
        workbook part lists only its worksheets (macro, dialog and unknown sheets dropped).
      skims: worksheet part → its cells (:func:`skim_sheet`), kept for the cell scan while they
        fit in :data:`MAX_XML_PART` together, so a sheet is not inflated twice.
    """

    sheets: dict[str, str]
    too_big: dict[str, str]
    bad_tables: dict[str, str]
    empty_tables: dict[str, TableRef]
    source: object
    skims: dict[str, bytes] = field(default_factory=dict)


_WORKSHEET_TYPES = ("/worksheet", "/chartsheet")
_SST = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*>")
_COUNT = re.compile(rb'\suniqueCount\s*=\s*["\']\s*([0-9]+)')


def package_bounds(path: Path, zf, workbook_part: str) -> Bounds:
    """Measure what calamine would allocate; refuse (Refused) what no workbook needs."""
    import xml.etree.ElementTree as ET

    name = path.name
    rels = _rels_typed(zf, workbook_part, name)  # verifies the relationships part too
    _verify(zf, workbook_part, name, "the workbook part")
    try:
        root = ET.fromstring(zf.read(workbook_part))
    except ET.ParseError as exc:
        raise Refused(f"{name} is damaged: its workbook part {workbook_part} is not well-formed "
                      f"XML ({_plain(exc)}). Open it in Excel and save it again.") from None
    sheets: dict[str, str] = {}
    others = False
    for el in root.iter():
        if local_name(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if local_name(k) == "id" and k != "sheetId"),
                   None)
        if rid not in rels:
            continue
        kind, target = rels[rid]
        if kind.endswith("/worksheet"):
            sheets[el.get("name", "")] = target
        elif not kind.endswith(_WORKSHEET_TYPES):
            others = True
    for kind, target in rels.values():
        if kind.endswith(("/sharedStrings", "/styles")):
            _verify(zf, target, name, target)
    sst = next((t for k, t in rels.values() if k.endswith("/sharedStrings")), None)
    if sst is not None and sst in zf.NameToInfo:
        _check_shared_strings(zf, sst, name)
    too_big: dict[str, str] = {}
    bad_tables: dict[str, str] = {}
    empty_tables: dict[str, TableRef] = {}
    skims: dict[str, bytes] = {}
    kept = 0
    for sheet, part in sheets.items():
        if part not in zf.NameToInfo:
            continue
        skim = skim_sheet(zf, part, name, f"the sheet {sheet!r}", verify=True)
        rows, cols = sheet_extent(skim)
        if kept + len(skim) <= MAX_XML_PART:
            skims[part] = skim
            kept += len(skim)
        if rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
            too_big[sheet] = (
                f"{name}: the sheet {sheet!r} has a cell past the last row or column a sheet "
                f"can have (row {EXCEL_ROWS:,}, column XFD), which Excel never writes: the "
                "file is damaged or was not saved by Excel; open it in Excel and save it "
                "again, or restore it from a copy.")
        elif rows * cols > MAX_SHEET_CELLS:
            too_big[sheet] = (
                f"{name}: the sheet {sheet!r} spans {rows:,} rows by {cols:,} columns from A1 to "
                f"its last cell ({rows * cols:,} cells, more than the {MAX_SHEET_CELLS:,} a "
                "sheet may have here); delete the stray cells far to the right or below the "
                "data (Ctrl+End shows the last one) and save again.")
        for tpart in _table_parts(zf, part, name):
            _verify(zf, tpart, name, tpart)
            tname, problem, empty = _table_problem(zf, tpart, sheet, name)
            if problem or sheet in too_big:  # loading a table loads its whole sheet
                bad_tables[tname] = problem or too_big[sheet]
            elif empty is not None:
                empty_tables[tname] = empty
    source: object = str(path)
    if others:
        source = _worksheets_only(zf, workbook_part, root, rels)
    return Bounds(sheets, too_big, bad_tables, empty_tables, source, skims)


def _rels_typed(zf, part: str, name: str = "") -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part) for the workbook part; external targets left
    out. ``name`` is the workbook's file name, for a refusal."""
    try:
        rels = _relationships(zf, part, name)
    except DamagedPart as exc:
        raise _damaged(name, exc) from None
    return {r.id: (r.type, r.target) for r in rels if not r.external}


def _verify(zf, part: str, name: str, what: str) -> None:
    """Inflate ``part`` in chunks, refusing it past :data:`MAX_XML_PART`. zipfile stops at the
    size the directory declares and checks the CRC, so a part that lies about its size is
    caught here, before calamine (which believes the data) would inflate all of it."""
    info = zf.NameToInfo.get(part)
    if info is None:
        return
    if info.file_size > MAX_XML_PART:
        raise Refused(f"{name} was refused: {what} ({part}) inflates to "
                      f"{info.file_size >> 20:,} MB of XML, far more than a workbook of "
                      f"holdings needs (the limit is {MAX_XML_PART >> 20} MB): it is padded or "
                      "crafted. Open it in Excel and save it again if you trust it.")
    with zf.open(info) as fh:
        while fh.read(1 << 22):
            pass


_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\b[^>]*/>")


def skim_sheet(zf, part: str, name: str = "", what: str = "", *, verify: bool = False
               ) -> bytes:
    """A worksheet part up to the end of its ``sheetData``: the cells, without what follows
    (page setup, drawings, or hundreds of MB of comment). With ``verify`` the rest is inflated
    and dropped as it comes (bounded memory) so that its size and CRC are checked too."""
    info = zf.NameToInfo[part]
    if info.file_size > MAX_XML_PART:
        _verify(zf, part, name, what or part)
    chunks: list[bytes] = []
    tail = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return b"".join(chunks)
            window = tail + chunk  # an end tag may straddle two chunks
            at = window.find(b"sheetData")
            while at >= 0:  # a literal find first: the regex alone is slow
                m = _SHEET_DATA_END.search(window, max(0, at - 32), at + 4096)
                if m:
                    chunks.append(chunk[: m.end() - len(tail)] if m.end() > len(tail) else b"")
                    if m.end() < len(tail):  # ended inside the overlap: trim what was kept
                        chunks[-2] = chunks[-2][: len(chunks[-2]) - (len(tail) - m.end())]
                    while verify and fh.read(1 << 22):
                        pass
                    return b"".join(chunks)
                at = window.find(b"sheetData", at + 1)
            chunks.append(chunk)
            tail = chunk[-64:]


# Row numbers and column letters of any length: one far past Excel's grid is what these look
# for (<row r="99999999999">), read with a cap so that a thousand digits cost nothing.
_ROW_FAST = re.compile(rb'<row r="([0-9]+)"')
_CELL_FAST = re.compile(rb'<c r="([A-Z]+)[0-9]')
_ROW_NUMBER = re.compile(rb'\sr="0*([0-9]+)"')
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
_CELL_COLUMN = re.compile(rb'\sr="([A-Za-z]+)[0-9]')
_BARE_CELL = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s>/])(?![^>]*\sr=)")
_CELL_ROW = re.compile(rb'\sr="[A-Za-z]+0*([0-9]+)"')
_VALUE_CELL = re.compile(rb'\sr="([A-Za-z]+)0*([0-9]+)"[^>]*(?<!/)>')
_FAR = 1 << 50  # past any grid: what a longer number or name counts as


def _row_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 15 else _FAR


def _column_index(letters: bytes) -> int:
    if len(letters) > 10:
        return _FAR
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col


def _greater_than(n: int) -> bytes:
    """A pattern for a decimal number (no leading zeros) greater than ``n``."""
    digits = str(n)
    alts = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, d in enumerate(digits):
        if d != "9":
            alts.append(f"{digits[:i]}[{int(d) + 1}-9][0-9]{{{len(digits) - i - 1}}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def sheet_extent(data: bytes) -> tuple[int, int]:
    """(rows, columns) of the rectangle from A1 to the last cell of a skimmed sheet part: what
    calamine allocates densely. Excel and the libraries write ``<row r="7"`` and ``<c r="B7"``
    first, which literal-prefixed patterns find fast (~0.1 s for 100,000 rows); any other
    markup takes the general patterns. When the estimate (row tags, column letters) is too
    big, it is redone exactly over the cells that can hold a value (a styled empty cell,
    ``<c r="XFD9" s="1"/>``, holds none), and so it is when it passes Excel's grid."""
    row_numbers = _ROW_FAST.findall(data)
    cell_letters = _CELL_FAST.findall(data)
    canonical = (len(row_numbers) == data.count(b"<row")
                 and len(cell_letters) == data.count(b"<c ")
                 and b"<c>" not in data and b"<c/>" not in data and b":row" not in data)
    if not canonical:
        row_numbers = _ROW_NUMBER.findall(data)
        cell_letters = _CELL_COLUMN.findall(data)
    rows = max(max((_row_number(x) for x in row_numbers), default=0),
               len(_ROW_TAG.findall(data)) if not canonical else len(row_numbers))
    lead = rb'<c r="' if canonical else rb'\sr="'
    beyond = re.compile(lead + rb'[A-Za-z]+0*' + _greater_than(rows) + rb'"')
    if beyond.search(data):  # a cell below its row's number: take the cells' own numbers
        rows = max([rows] + [_row_number(r) for r in _CELL_ROW.findall(data)])
    bare = 0 if canonical else len(_BARE_CELL.findall(data))
    cols = max((_column_index(c) for c in set(cell_letters)), default=0) + bare
    if rows * cols <= MAX_SHEET_CELLS and rows <= EXCEL_ROWS and cols <= EXCEL_COLUMNS:
        return rows, cols
    exact = _VALUE_CELL.findall(data)
    # a cell without its reference sits in the row its row tag numbers: that row counts
    exact_rows = max((_row_number(r) for _, r in exact), default=0)
    rows = max(exact_rows, rows) if bare else exact_rows
    cols = max((_column_index(c) for c, _ in exact), default=0) + bare
    return rows, cols


def _check_shared_strings(zf, part: str, name: str) -> None:
    """calamine reserves room for uniqueCount strings up front: a count no part of this size
    could hold is a crafted file (2,000,000,000 strings ask for 48 GB)."""
    with zf.open(part) as fh:
        head = fh.read(4096)
    m = _SST.search(head)
    if not m:
        return
    c = _COUNT.search(m.group(0))
    size = zf.NameToInfo[part].file_size
    if c and int(c.group(1)) > size // 5 + 16:  # the shortest string, <si/>, takes 5 bytes
        raise Refused(f"{name} is damaged: its shared strings part claims {int(c.group(1)):,} "
                      f"strings, more than its {size:,} bytes can hold. Open it in Excel and "
                      "save it again.")


def _table_parts(zf, sheet_part: str, name: str) -> list[str]:
    """The sheet's Excel Table parts. A sheet whose relationships part is damaged has none
    here, and the read goes on: calamine, which reads that part too, then loads no table at
    all (:func:`scan.load_cells` asks again without tables), and the sheet's cells are read."""
    try:
        rels = _relationships(zf, sheet_part, name)
    except DamagedPart:
        return []
    return [r.target for r in rels if not r.external and r.type.endswith("/table")
            and r.target in zf.NameToInfo]


def _table_problem(zf, part: str, sheet: str, name: str
                   ) -> tuple[str, str | None, TableRef | None]:
    """(the table's name as calamine knows it; why calamine must not load it, or None; the
    table itself when it has no data rows, which calamine cannot load either)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(zf.read(part))
    except ET.ParseError as exc:
        return ("", f"{name}: the Excel Table in {part} is not well-formed XML "
                    f"({_plain(exc)}).", None)
    tname = root.get("displayName") or root.get("name") or ""
    ref = root.get("ref", "")
    where = f"the Excel Table {tname!r} on sheet {sheet!r}"
    try:
        a, _, b = ref.partition(":")
        r0, c0 = _cell(a)
        r1, c1 = _cell(b or a)
    except ValueError:
        return tname, f"{name}: {where} has the range {ref[:40]!r}, which is not a range.", None
    if r1 < r0 or c1 < c0:
        return tname, (f"{name}: {where} has the reversed range {ref!r}; open the file in Excel "
                       "and save it again."), None
    cells = (r1 + 1) * (c1 + 1)
    if cells > MAX_SHEET_CELLS:
        return tname, (f"{name}: {where} spans {ref} ({cells:,} cells from A1, more than the "
                       f"{MAX_SHEET_CELLS:,} a table may have here); resize it to its data "
                       "(Table Design › Resize Table)."), None
    header = _row_count(root.get("headerRowCount"), 1)
    if r1 - r0 + 1 - header - _row_count(root.get("totalsRowCount"), 0) < 1:
        if not header:  # Excel keeps a data row in a table without a header row
            return tname, f"{name}: {where} has neither a header row nor data rows.", None
        return tname, None, TableRef(tname, sheet, r0 + header - 1, c0, r0 + header - 1, c1)
    return tname, None, None


def _row_count(text: str | None, default: int) -> int:
    try:
        return max(int(text), 0) if text is not None else default
    except ValueError:
        return default


def _cell(ref: str) -> tuple[int, int]:
    r, c = parse_coordinate(ref)
    if r < 0 or c < 0 or r >= EXCEL_ROWS or c >= EXCEL_COLUMNS:
        raise ValueError(ref)
    return r, c


def _worksheets_only(zf, workbook_part: str, root, rels) -> object:
    """An in-memory copy of the package's XML parts whose workbook part lists only worksheets
    and chart sheets, for calamine, which stops at an Excel 4 macro sheet or a dialog sheet
    ("Unrecognized sheet type"). Defined names go too: their sheet indexes would shift."""
    import io
    import xml.etree.ElementTree as ET
    import zipfile

    text = zf.read(workbook_part).decode("utf-8", "replace")

    def keep(m: re.Match) -> str:
        rid = re.search(r'\s[\w.-]*:?id\s*=\s*"([^"]*)"', m.group(0))
        kind = rels.get(rid.group(1), ("", ""))[0] if rid else ""
        return m.group(0) if kind.endswith(_WORKSHEET_TYPES) else ""

    text = re.sub(r"<(?:[\w.-]+:)?sheet\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?sheet>)", keep, text,
                  flags=re.S)
    text = re.sub(r"<(?:[\w.-]+:)?definedNames\b.*?</(?:[\w.-]+:)?definedNames>", "", text,
                  flags=re.S)
    ET.fromstring(text.encode("utf-8"))  # still well-formed
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in zf.infolist():
            lower = info.filename.lower()
            if info.filename == workbook_part:
                copy.writestr(info.filename, text.encode("utf-8"))
            elif lower.endswith((".xml", ".rels")) and "macrosheets/" not in lower \
                    and "dialogsheets/" not in lower:
                copy.writestr(info.filename, zf.read(info))
    out.seek(0)
    return out
