"""The previous plan of a re-run: which listed sheets it is, and the parts only it uses.

A re-run replaces the plan sheets (the sheets named ``Plan …`` of SPEC 5.1) and removes the
parts only they use, so two runs give identical bytes. It never removes a user's sheet: a sheet
that merely wears a plan name, or whose content is another sheet's, stops the run with a
sentence instead.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..parts import Rel, rels_source
from ..plan_sheets import PLAN_SHEET_NAMES
from .archive import Package
from .xml_edit import REL_NS, parse, problem

#: Our part names start with this (``xl/worksheets/derisk_plan_sheet1.xml``): a re-run knows
#: its own sheets by it.
PART_PREFIX = "derisk_plan_"
PLAN_NAMES = {n.lower() for n in PLAN_SHEET_NAMES}

#: A sheet as the workbook part lists it: (name, sheetId, relationship id).
Listed = tuple[str, str, str]


@dataclass(frozen=True)
class Previous:
    """The workbook's sheets in tab order, and those of them that are a previous plan's: their
    entries, relationship ids and sheet parts."""

    sheets: list[Listed]
    old: list[Listed]
    rids: set[str]
    parts: set[str]


def previous_plan(pkg: Package, wb_root: ET.Element, main: str, rel_ns: str,
                  wb_rels: list[Rel]) -> Previous:
    """The previous plan sheets of the workbook part ``wb_root``; refuses (InputError) when
    replacing them would lose a sheet of the user's."""
    sheets = []
    for s in wb_root.iter(f"{{{main}}}sheet"):
        rid = s.get(f"{{{rel_ns}}}id") or s.get(f"{{{REL_NS}}}id") or ""
        sheets.append((s.get("name", ""), s.get("sheetId", ""), rid))
    old = [s for s in sheets if s[0].lower() in PLAN_NAMES]
    rel_by_id = {r.id: r for r in wb_rels}
    old_rids = {s[2] for s in old}
    old_parts = {rel_by_id[r].target for r in old_rids
                 if r in rel_by_id and not rel_by_id[r].external}
    kept_parts = {rel_by_id[s[2]].target.lower(): s[0] for s in sheets
                  if s not in old and s[2] in rel_by_id}
    for s_name, _, rid in old:  # never delete a user's sheet that merely wears a plan name
        target = rel_by_id[rid].target if rid in rel_by_id else ""
        if rid in {s[2] for s in sheets if s not in old} or target.lower() in kept_parts:
            other = kept_parts.get(target.lower(), "another sheet")
            raise problem(f"the workbook lists a sheet named {s_name!r} whose content is the "
                          f"sheet {other!r}; planning would replace it. Rename the "
                          f"{s_name!r} entry (or open the file in Excel and save it again).")
    for s_name, _, rid in old:  # a plan name without our marks: the user's own sheet
        if rid in rel_by_id and not _plan_made(pkg, rel_by_id[rid].target):
            raise problem(f"the workbook has a sheet named {s_name!r} that derisk did not "
                          "write (it has none of the plan's tables); planning replaces the "
                          "plan sheets by name, so it would be lost. Rename that sheet and run "
                          "again.")
    return Previous(sheets, old, old_rids, old_parts)


def _plan_made(pkg: Package, part: str) -> bool:
    """Whether a sheet part is a plan sheet we wrote: its part name is ours, or it holds one of
    the plan's Excel Tables (their names start with ``Plan``; Excel keeps them when it saves
    the file again and renames the parts). The button writes the same tables."""
    if not pkg.has(part):  # a plan sheet whose part is gone: there is nothing to lose
        return True
    if posixpath.basename(part).lower().startswith(PART_PREFIX):
        return True
    for rel in pkg.rels(part):
        if rel.external or not rel.type.endswith("/table") or not pkg.has(rel.target):
            continue
        table = parse(pkg.read(pkg.names_lower[rel.target.lower()]), rel.target)
        if (table.get("name") or "").lower().startswith("plan"):
            return True
    return False


def owned_closure(pkg: Package, roots: set[str]) -> set[str]:
    """``roots`` and every part reachable from them that nothing else refers to."""
    if not roots:
        return set()
    graph: dict[str, list[str]] = {}
    for info in pkg.infos:
        name = info.filename
        if name.endswith(".rels") and "/_rels/" in "/" + name:
            source = rels_source(name)
            graph[source.lower()] = [r.target.lower() for r in pkg.rels(source) if not r.external]
    roots_l = {r.lower() for r in roots}
    closure = set(roots_l)
    stack = list(roots_l)
    while stack:
        for t in graph.get(stack.pop(), []):
            if t not in closure and pkg.has(t):
                closure.add(t)
                stack.append(t)
    changed = True
    while changed:  # a part that something outside still refers to stays, with what it needs
        changed = False
        for src, targets in graph.items():
            if src in closure:
                continue
            for t in targets:
                if t in closure and t not in roots_l:
                    closure.discard(t)
                    changed = True
    return {pkg.names_lower[c] for c in closure if c in pkg.names_lower}
