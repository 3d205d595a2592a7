"""Write a plan into a workbook file, atomically; read back which plan a workbook holds.

The heavy lifting is :mod:`derisk_xl.workbook.package` (bytes in, bytes out, nothing lost);
this module is the shell around it: read the source, build the new bytes completely in memory,
then a temp file in the destination folder replaced over the destination. Until that rename
nothing on disk has changed, so any failure leaves the source and destination as they were.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ..core.model import Plan
from ..fsutil import atomic_write_bytes
from .plan_sheets import FINGERPRINT_LABEL, plan_sheets


def write_plan(source: Path, dest: Path, plan: Plan) -> None:
    """Add (or replace) the plan sheets of ``plan`` in ``source``, saved as ``dest``.

    ``dest`` may be ``source`` itself (in place) or a copy elsewhere (``--out``); an ``.xlsm``
    keeps its macros because every existing part is copied unchanged.
    """
    source, dest = Path(source), Path(dest)
    atomic_write_bytes(dest, planned_bytes(source.read_bytes(), plan))


def planned_bytes(data: bytes, plan: Plan) -> bytes:
    """The workbook ``data`` with the plan sheets of ``plan`` added (or replaced), in memory."""
    from .. import __version__
    from .package import add_plan_sheets

    return add_plan_sheets(data, plan_sheets(plan, version=__version__))


def read_plan_fingerprint(path: Path) -> str | None:
    """The inputs fingerprint of the plan already in ``path``, or None when it holds none.

    Reads only the package's sheet list and the Plan Summary part, so a batch can skip an
    unchanged workbook without loading it. Any unreadable file simply has no fingerprint.
    """
    from .parts import parse_part, relationships, rels_name

    try:
        with zipfile.ZipFile(path) as z:
            names = {n.lower(): n for n in z.namelist()}

            def read(part: str) -> bytes | None:
                name = names.get(part.lower())
                return z.read(name) if name else None

            def rels(part: str) -> list:
                data = read(rels_name(part))
                return relationships(data, part) if data else []

            wb_part = next((r.target for r in rels("")
                            if r.type.endswith("/officeDocument")), None)
            wb = read(wb_part) if wb_part else None
            if not wb:
                return None
            by_id = {r.id: r.target for r in rels(wb_part)}
            sheet_part = None
            for s in parse_part(wb, wb_part).iter():
                if s.tag.endswith("}sheet") and s.get("name", "").lower() == "plan summary":
                    rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
                    sheet_part = by_id.get(rid)
            data = read(sheet_part) if sheet_part else None
            if not data or b"<!DOCTYPE" in data:  # parsed as a stream: checked here
                return None
            return _fingerprint_in(data, lambda: _shared(read, by_id))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return None  # DamagedPart is a ValueError: a damaged file simply has no fingerprint


def _shared(read, by_id: dict[str, str]) -> list[str]:
    from .parts import parse_part

    part = next((p for p in by_id.values() if p.lower().endswith("sharedstrings.xml")), None)
    data = read(part) if part else None
    if not data:
        return []
    return ["".join(t.text or "" for t in si.iter() if t.tag.endswith("}t"))
            for si in parse_part(data, part)]


def _fingerprint_in(sheet: bytes, shared) -> str | None:
    """Find the row whose column A says ``Inputs fingerprint``; its column B is the answer."""
    import xml.etree.ElementTree as ET

    strings: list[str] | None = None
    rows: dict[str, dict[str, str]] = {}
    for _, el in ET.iterparse(io.BytesIO(sheet)):
        if not el.tag.endswith("}c"):
            continue
        ref = el.get("r", "")
        m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
        if not m or m.group(1) not in ("A", "B"):
            continue
        t = el.get("t")
        if t == "inlineStr":
            text = "".join(x.text or "" for x in el.iter() if x.tag.endswith("}t"))
        else:
            v = next((x.text for x in el if x.tag.endswith("}v")), None)
            if v is None:
                continue
            if t == "s":
                if strings is None:
                    strings = shared()
                text = strings[int(v)] if int(v) < len(strings) else ""
            else:
                text = v
        rows.setdefault(m.group(2), {})[m.group(1)] = text
    for row in rows.values():
        if row.get("A") == FINGERPRINT_LABEL:
            return row.get("B") or None
    return None


__all__ = ["planned_bytes", "read_plan_fingerprint", "write_plan"]
