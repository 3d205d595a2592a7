"""The three parts of the user's package that list sheets, edited by insertion.

``[Content_Types].xml`` (each part's type), the workbook part (its ``<sheet>`` entries and the
plan sheets' print areas and titles, which Excel keeps as names local to a sheet) and the
workbook part's relationships (which part each sheet is). Entries of the previous plan sheets go;
ours go where the first of them was, else at the end; every other byte stays as it was.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Iterator

from ..parts import Rel, relative, rels_name
from ..plan_sheets import SheetSpec
from .archive import Package
from .previous import PLAN_NAMES, Previous
from .xml_edit import (Edit, append_to, apply_edits, attrs, closing, declared_prefix, decode,
                       elements, encode, local, parse, prefix_of, problem, section)

RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"


def _fresh_ids(rels: list[Rel], old_rids: set[str]) -> Iterator[str]:
    """Relationship ids no remaining relationship has, counting up from the largest."""
    taken = {r.id for r in rels if r.id not in old_rids}
    start = max([0] + [int(i[3:]) for i in taken if re.fullmatch(r"rId\d+", i)]) + 1
    return (f"rId{n}" for n in itertools.count(start) if f"rId{n}" not in taken)


def workbook_rels(pkg: Package, wb_part: str, rels: list[Rel], old_rids: set[str],
                  added: list[tuple[str, str]], rel_ns: str) -> tuple[str, bytes, list[str]]:
    """The workbook part's relationships without the previous plan sheets' and with ``added``
    ((type, target part) pairs, the sheets first): the part's name, its new bytes and the ids
    given to ``added``, in order."""
    name = pkg.names_lower[rels_name(wb_part).lower()]
    data = pkg.read(name)
    text = decode(data)
    prefix = prefix_of(text, "Relationship")
    ids = list(itertools.islice(_fresh_ids(rels, old_rids), len(added)))
    new = "".join(f'<{prefix}Relationship Id="{rid}" Type="{rel_ns}/{kind}" '
                  f'Target="{relative(wb_part, target)}"/>'
                  for rid, (kind, target) in zip(ids, added))
    text, close = closing(text, prefix, "Relationships")
    edits = [(m.start(), m.end(), "") for m in elements(text, prefix, "Relationship")
             if attrs(m.group(0).split(">", 1)[0]).get("Id") in old_rids]
    edits.append((close, close, new))
    return name, encode(apply_edits(text, edits), data), ids


def workbook_part(data: bytes, wb_part: str, previous: Previous, specs: tuple[SheetSpec, ...],
                  sheet_rids: list[str], rel_ns: str) -> bytes:
    """The workbook part with the previous plan's ``<sheet>`` entries replaced by ours (the
    relationship ids ``sheet_rids``), where the first of them was, else at the end; and the
    defined names to match (:func:`_defined_name_edits`)."""
    text = decode(data)
    prefix = prefix_of(text, "sheets")
    rdecl = declared_prefix(text, rel_ns)
    rattr = f"{rdecl}:id" if rdecl else "r:id"
    xmlns = "" if rdecl else f' xmlns:r="{rel_ns}"'
    edits: list[Edit] = []
    insert_at = None
    for m in elements(text, prefix, "sheet"):
        a = attrs(m.group(0).split(">", 1)[0])
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        if a.get("name", "").lower() in PLAN_NAMES and rid in previous.rids:
            edits.append((m.start(), m.end(), ""))
            insert_at = m.start() if insert_at is None else insert_at
    remaining_sheet_ids = [int(s[1]) for s in previous.sheets
                           if s not in previous.old and s[1].isdigit()]
    next_sid = max([0] + remaining_sheet_ids) + 1
    new_sheets = "".join(
        f'<{prefix}sheet name="{html.escape(spec.name)}" sheetId="{next_sid + i}"{xmlns} '
        f'{rattr}="{rid}"/>'
        for i, (spec, rid) in enumerate(zip(specs, sheet_rids))
    )
    if insert_at is None:
        edit = append_to(text, prefix, "sheets", new_sheets)
        if edit is None:
            raise problem(f"{wb_part} lists no sheets; the workbook is damaged.")
        edits.append(edit)
    else:
        edits.append((insert_at, insert_at, new_sheets))
    edits += _defined_name_edits(text, prefix, previous, specs)
    return encode(apply_edits(text, edits), data)


def _defined_name_edits(wb_text: str, prefix: str, previous: Previous,
                        specs: tuple[SheetSpec, ...]) -> list[Edit]:
    """Edits of the workbook part's ``<definedNames>``: the print area and print titles of each
    new plan sheet (Excel keeps both as names local to the sheet), the names local to the
    previous plan sheets removed with them, and the sheet index of every other local name
    moved if the sheets before it changed (``localSheetId`` counts sheets in tab order)."""
    sheets, old_set = previous.sheets, set(previous.old)
    kept = [i for i, s in enumerate(sheets) if s not in old_set]
    # the new sheets go where the first old one was, else at the end (as the <sheet>s do)
    first_old = next((i for i, s in enumerate(sheets) if s in old_set), len(sheets))
    first_new = sum(1 for i in kept if i < first_old)
    new_index = {i: k + (len(specs) if i > first_old else 0) for k, i in enumerate(kept)}

    edits: list[Edit] = []
    for m in elements(wb_text, prefix, "definedName"):
        tag = m.group(0).split(">", 1)[0]
        sheet_id = attrs(tag).get("localSheetId", "")
        if not sheet_id.isdigit() or int(sheet_id) >= len(sheets):
            continue
        index = int(sheet_id)
        if sheets[index] in old_set:
            edits.append((m.start(), m.end(), ""))
        elif new_index[index] != index:
            at = m.start() + re.search(r'\blocalSheetId\s*=\s*["\'](\d+)', tag).start(1)
            edits.append((at, at + len(sheet_id), str(new_index[index])))
    names = []
    for k, spec in enumerate(specs):
        setup = spec.print_setup
        if setup is None:
            continue
        sheet = "'" + spec.name.replace("'", "''") + "'"
        for name, ref in (("_xlnm.Print_Area", setup.area), ("_xlnm.Print_Titles",
                                                             setup.title_rows)):
            names.append(f'<{prefix}definedName name="{name}" localSheetId="{first_new + k}">'
                         f'{html.escape(sheet + "!" + ref, quote=False)}</{prefix}definedName>')
    if not names:
        return edits
    body = "".join(names)
    edit = append_to(wb_text, prefix, "definedNames", body)
    if edit is None:
        # No names yet: the section goes after <sheets> and the two elements that may follow.
        at = max(m.end() for name in ("sheets", "functionGroups", "externalReferences")
                 if (m := section(wb_text, prefix, name)) is not None)
        edit = (at, at, f"<{prefix}definedNames>{body}</{prefix}definedNames>")
    edits.append(edit)
    return edits


def content_types(pkg: Package, removed: set[str], added: dict[str, str]) -> tuple[str, bytes]:
    """``[Content_Types].xml`` without the overrides of the ``removed`` parts (lower case) and
    with ``added`` (part → content type): its name in the zip and its new bytes."""
    name = pkg.names_lower["[content_types].xml"]
    data = pkg.read(name)
    text = decode(data)
    root = parse(data, "[Content_Types].xml")
    prefix = prefix_of(text, "Types")
    text, close = closing(text, prefix, "Types")
    edits: list[Edit] = []
    for m in elements(text, prefix, "Override"):
        part = attrs(m.group(0).split(">", 1)[0]).get("PartName", "").lstrip("/").lower()
        if part in removed:
            edits.append((m.start(), m.end(), ""))
    defaults = {d.get("Extension", "").lower() for d in root if local(d.tag) == "Default"}
    additions = []
    if "rels" not in defaults:
        additions.append(f'<{prefix}Default Extension="rels" ContentType="{RELS_CT}"/>')
    additions += [f'<{prefix}Override PartName="/{html.escape(p)}" ContentType="{ct}"/>'
                  for p, ct in added.items()]
    edits.append((close, close, "".join(additions)))
    return name, encode(apply_edits(text, edits), data)
