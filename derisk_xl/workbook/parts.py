"""The parts of an Office package and the relationships between them, read one way by all.

An .xlsx is a zip of XML *parts*; which part is the workbook, which part is each sheet and which
parts a sheet uses (tables, drawings, comments) is said by *relationships* parts
(``xl/_rels/workbook.xml.rels`` lists the workbook part's). The reader's bounds pass and cell
scan, the package writer and the plan-fingerprint lookup all read relationships here, so they
agree on every target.

A relationships part that is not well-formed XML, or that declares a DTD, is a
:class:`DamagedPart`, never an empty list: an empty list would make a damaged workbook look
like one with no sheets, and let the writer think a part nobody refers to could go. Each caller
says what that means for it (the reader refuses the file when the part says where the workbook
or its sheets are, and reads on without a sheet's tables; the writer refuses).
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass


class DamagedPart(ValueError):
    """A part that cannot be parsed safely; the message names the part and says why."""


def parse_part(data: bytes, part: str) -> ET.Element:
    """Parse one of the user's parts, refusing DTDs (entity bombs) before expat sees them."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise DamagedPart(f"{part} declares a DTD or entities; refusing to parse it (a workbook "
                          "saved by Excel never does: the file may be crafted).")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DamagedPart(f"{part} is not well-formed XML ({exc}); the workbook is "
                          "damaged.") from None


@dataclass(frozen=True)
class Rel:
    """One relationship: ``target`` is a part name (no leading slash), or the raw target of an
    external one (a URL, a linked file)."""

    id: str
    type: str
    target: str
    external: bool


def rels_name(part: str) -> str:
    """The relationships part of ``part`` (``""`` is the package itself: ``_rels/.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def rels_source(rels_part: str) -> str:
    """The part whose relationships ``rels_part`` lists (the inverse of :func:`rels_name`)."""
    folder, base = posixpath.split(rels_part)
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def resolve(base_part: str, target: str) -> str:
    """A relationship target as a part name (no leading slash), relative to ``base_part``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def relative(from_part: str, to_part: str) -> str:
    """The target by which ``from_part`` refers to ``to_part``."""
    return posixpath.relpath(to_part, posixpath.dirname(from_part) or ".")


def relationships(data: bytes, part: str) -> list[Rel]:
    """The relationships of ``part``, from the bytes of its relationships part, in order."""
    root = parse_part(data, rels_name(part))
    out = []
    for r in root:
        if r.tag.rsplit("}", 1)[-1] != "Relationship":
            continue
        external = r.get("TargetMode") == "External"
        target = r.get("Target", "")
        out.append(Rel(r.get("Id", ""), r.get("Type", ""),
                       target if external else resolve(part, target), external))
    return out


__all__ = ["DamagedPart", "Rel", "parse_part", "relationships", "relative", "rels_name",
           "rels_source", "resolve"]
