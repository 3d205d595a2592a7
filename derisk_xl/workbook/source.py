"""The file as a package: is it a workbook we may read, and where are its parts.

Refuses, with one sentence, what is not an Excel workbook we can read safely: legacy ``.xls`` and
encrypted files (OLE2), zip files that are not workbooks, XML with a DTD (entity bombs). The
part map (sheet name → part) serves the cell scan, which reads the facts calamine does not give.
"""


from __future__ import annotations

import posixpath
import re
from pathlib import Path

from ..core.issues import Issue
from .grid import WorkbookGrid

# =============================================================================================
# Loading (I/O)
# =============================================================================================

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MAX_PART_BYTES = 2 << 30  # a part that inflates beyond 2 GiB is a zip bomb, not holdings


class Refused(Exception):
    """The file is not one we may read; the message says why, for the user."""


def file_issue(message: str) -> tuple[None, tuple[Issue, ...]]:
    return None, (Issue("", message),)


def load_grid(path: Path) -> tuple[WorkbookGrid | None, tuple[Issue, ...]]:
    """Read the workbook at ``path`` into a grid, or say (as issues) why it cannot be read."""
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
            workbook_part = _check_package(zf, name)
            from .scan import load_cells

            return load_cells(path, zf, workbook_part)
    except Refused as exc:
        return file_issue(str(exc))
    except zipfile.BadZipFile as exc:
        return file_issue(f"{name} is not an Excel workbook: it looks like a zip file but "
                           f"cannot be opened as one ({exc}).")


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
        import xml.etree.ElementTree as ET

        root = ET.fromstring(zf.read("_rels/.rels"))
        for rel in root:
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook_part = posixpath.normpath(rel.get("Target", "").lstrip("/"))
                break
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
    """Relationship id → target part name, for ``part``."""
    import xml.etree.ElementTree as ET

    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    try:
        root = ET.fromstring(zf.read(rels_name))
    except KeyError:
        return {}
    out = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        out[rel.get("Id", "")] = posixpath.normpath(full)
    return out


def sheet_parts(zf, workbook_part: str) -> dict[str, str]:
    """Sheet name → worksheet part name (transitional or Strict namespaces)."""
    import xml.etree.ElementTree as ET

    rels = part_rels(zf, workbook_part)
    root = ET.fromstring(zf.read(workbook_part))
    out = {}
    for el in root.iter():
        if local_name(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if local_name(k) == "id" and k != "sheetId"),
                   None)
        if rid in rels:
            out[el.get("name", "")] = rels[rid]
    return out
