"""Splicing the plan sheets into the user's package: the recipe of :func:`add_plan_sheets`.

1. find the workbook part, and the previous plan's sheets with the parts only they use
   (:mod:`.previous`), which go;
2. render the plan sheets in a scratch workbook (:mod:`.scratch`), rename its parts
   ``derisk_plan_*`` under the workbook's folder and copy them in: their cell styles mapped to
   the user's styles part, which gets the few formats they need (:mod:`.styles`), their shared
   strings made inline (so ``sharedStrings.xml`` is untouched and user text can never become
   a formula), the big tables' rows streamed (:mod:`.rows`);
3. edit, by insertion, the parts that list sheets (:mod:`.listing`) and write the zip
   (:mod:`.archive`).
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Iterable

from ..parts import Rel, relationships, relative, rels_name, rels_source, resolve
from ..plan_sheets import SheetSpec
from .archive import Package, open_package, write_zip
from .listing import content_types, workbook_part, workbook_rels
from .previous import PART_PREFIX, owned_closure, previous_plan
from .rows import with_streamed_rows
from .scratch import Generated, generated
from .styles import merge_styles
from .xml_edit import (MAIN_NS, REL_NS, STRICT_MAIN_NS, STRICT_REL_NS, local, ns, parse, problem,
                       to_strict)

STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

_CELL_STR = re.compile(r'<c ([^>]*?)t="s"><v>(\d+)</v></c>')
_CELL_STYLE = re.compile(r'(<c [^>]*?\bs=")(\d+)(")')
_COL_STYLE = re.compile(r'(<col [^>]*?\bstyle=")(\d+)(")')


@dataclass
class _Workbook:
    """The user's workbook part, found through the package's relationships."""

    part: str
    data: bytes
    root: ET.Element
    rels: list[Rel]  # the workbook part's relationships
    strict: bool  # Strict Open XML: the parts we add get Strict namespaces

    @property
    def rel_ns(self) -> str:
        return STRICT_REL_NS if self.strict else REL_NS


@dataclass
class _Output:
    """What the new package gets besides the user's unchanged entries."""

    edited: dict[str, bytes] = field(default_factory=dict)  # user's part → its new bytes
    new_parts: dict[str, bytes | Iterable[str]] = field(default_factory=dict)
    workbook_rels: list[tuple[str, str]] = field(default_factory=list)  # (type, part)
    content_types: dict[str, str] = field(default_factory=dict)  # new part → content type


def add_plan_sheets(source: bytes, specs: tuple[SheetSpec, ...]) -> bytes:
    """The workbook ``source`` (bytes of an .xlsx/.xlsm) with the plan sheets added or replaced."""
    pkg = open_package(source)
    book = _workbook(pkg)
    previous = previous_plan(pkg, book.root, ns(book.root.tag), book.rel_ns, book.rels)
    removed = owned_closure(pkg, previous.parts)
    removed_lower = {p.lower() for p in removed} | {rels_name(p).lower() for p in removed}
    live = [i for i in pkg.infos if i.filename.lower() not in removed_lower]
    table_names, table_ids = _table_names(pkg, book, live, specs)
    gen = generated(specs, tuple(sorted(table_names.items())))
    rename, prefix = _rename(gen, posixpath.dirname(book.part),
                             {i.filename.lower() for i in live})
    out = _Output()
    xf_map = _styles(pkg, book, gen, prefix, out)
    _copy_in(gen, rename, xf_map, book.strict, table_ids, out)
    added = [("worksheet", rename[sheet]) for sheet in gen.sheets] + out.workbook_rels
    name, data, ids = workbook_rels(pkg, book.part, book.rels, previous.rids, added, book.rel_ns)
    out.edited[name] = data
    out.edited[book.part] = workbook_part(book.data, book.part, previous, specs,
                                          ids[:len(gen.sheets)], book.rel_ns)
    name, data = content_types(pkg, removed_lower, out.content_types)
    out.edited[name] = data
    return write_zip(pkg, live, out.edited, out.new_parts)


def _workbook(pkg: Package) -> _Workbook:
    """The package's workbook part; refuses a package without one, or with another kind."""
    office = [r for r in pkg.rels("") if r.type.endswith("/officeDocument") and not r.external]
    if not office or not pkg.has(office[0].target):
        raise problem("the package has no workbook part (no officeDocument relationship).")
    part = pkg.names_lower[office[0].target.lower()]
    data = pkg.read(part)
    root = parse(data, part)
    main = ns(root.tag)
    if local(root.tag) != "workbook" or main not in (MAIN_NS, STRICT_MAIN_NS):
        raise problem(f"{part} is not a SpreadsheetML workbook (root element "
                      f"{local(root.tag)!r} in namespace {main!r}); an .xlsx or .xlsm "
                      "saved by Excel 2007 or later was expected.")
    if not pkg.has(rels_name(part)):  # it says which part is each sheet: nothing to edit
        raise problem(f"{part} has no relationships part ({rels_name(part)}); the workbook is "
                      "damaged. Open it in Excel and save it again.")
    return _Workbook(part, data, root, pkg.rels(part), main == STRICT_MAIN_NS)


def _table_names(pkg: Package, book: _Workbook, live, specs: tuple[SheetSpec, ...]
                 ) -> tuple[dict[str, str], list[int]]:
    """A name for each plan table that no table or defined name of the user's has (``PlanTrades``
    or ``PlanTrades_2``…), and the table ids in use."""
    main = ns(book.root.tag)
    used_names = {n.get("name", "").lower() for n in book.root.iter(f"{{{main}}}definedName")}
    table_ids = [0]
    for info in live:
        if re.search(r"/tables/[^/]+\.xml$", info.filename, re.I):
            t = parse(pkg.read(info.filename), info.filename)
            used_names |= {t.get("name", "").lower(), t.get("displayName", "").lower()}
            if (t.get("id") or "").isdigit():
                table_ids.append(int(t.get("id")))
    table_names: dict[str, str] = {}
    for spec in specs:
        for b in spec.blocks:
            name, n = b.table, 1
            while name.lower() in used_names:
                n += 1
                name = f"{b.table}_{n}"
            used_names.add(name.lower())
            table_names[b.table] = name
    return table_names, table_ids


def _rename(gen: Generated, wb_dir: str, live_lower: set[str]) -> tuple[dict[str, str], str]:
    """Scratch part → our part name, with a prefix no part of the user's package has."""
    prefix = PART_PREFIX
    n = 1
    while True:
        rename = _rename_map(gen, wb_dir, prefix)
        if not any(p.lower() in live_lower for p in rename.values()):
            return rename, prefix
        n += 1
        prefix = f"{PART_PREFIX}{n}_"


def _rename_map(gen: Generated, wb_dir: str, prefix: str) -> dict[str, str]:
    """Scratch part → our part name, for every part reachable from the scratch sheets."""
    out: dict[str, str] = {}
    stack = list(gen.sheets)
    while stack:
        part = stack.pop()
        if part in out:
            continue
        rel = posixpath.relpath(part, "xl")
        folder, base = posixpath.split(rel)
        out[part] = posixpath.join(wb_dir, folder, prefix + base)
        rname = rels_name(part)
        if rname in gen.parts:
            folder, base = posixpath.split(posixpath.relpath(rname, "xl"))
            out[rname] = posixpath.join(wb_dir, folder, prefix + base.replace(".xml.rels", "")
                                        + ".xml.rels")
            stack += [r.target for r in relationships(gen.parts[rname], part) if not r.external]
    return out


def _styles(pkg: Package, book: _Workbook, gen: Generated, prefix: str, out: _Output
            ) -> dict[int, int]:
    """Scratch cell-format index → the user's, for the formats the plan sheets use: appended
    to the user's styles part, or ours become the workbook's when it has none."""
    used_xfs: set[int] = set()
    for sheet in gen.sheets:
        txt = gen.parts[sheet].decode("utf-8")
        used_xfs |= {int(m.group(2)) for m in _CELL_STYLE.finditer(txt)}
        used_xfs |= {int(m.group(2)) for m in _COL_STYLE.finditer(txt)}
    used_xfs |= set(gen.kind_xf.values())
    styles_rel = next((r for r in book.rels if r.type.endswith("/styles") and not r.external),
                      None)
    if styles_rel is not None and not pkg.has(styles_rel.target):
        raise problem(f"the workbook's styles relationship points at {styles_rel.target}, "
                      "which is not in the file, so the plan's number formats would show "
                      "wrongly; the workbook is damaged. Open it in Excel and save it again.")
    if styles_rel is not None:
        styles_part = pkg.names_lower[styles_rel.target.lower()]
        merged, xf_map = merge_styles(pkg.read(styles_part), gen.styles, used_xfs,
                                      strict=book.strict)
        if merged != pkg.read(styles_part):
            out.edited[styles_part] = merged
        return xf_map
    styles_part = posixpath.join(posixpath.dirname(book.part), f"{prefix}styles.xml")
    out.new_parts[styles_part] = (to_strict(gen.styles.decode()).encode() if book.strict
                                  else gen.styles)
    out.workbook_rels.append(("styles", styles_part))
    out.content_types[styles_part] = STYLES_CT
    return {i: i for i in used_xfs}


def _copy_in(gen: Generated, rename: dict[str, str], xf_map: dict[int, int], strict: bool,
             table_ids: list[int], out: _Output) -> None:
    """The scratch parts under their new names: sheets restyled with inline strings, rels
    retargeted, tables given ids no table of the user's has."""
    strings = _shared_strings(gen.parts)
    for old_name, new_name in rename.items():
        data = gen.parts[old_name]
        if old_name in gen.sheets:
            data = _plan_sheet(gen, old_name, xf_map, strings, strict)
        elif old_name.endswith(".rels"):
            data = _retarget(data, old_name, rename)
        elif "/tables/" in old_name:
            table_ids.append(max(table_ids) + 1)
            data = re.sub(rb'(<table\b[^>]*?\bid=")\d+(")',
                          lambda m: m.group(1) + str(table_ids[-1]).encode() + m.group(2),
                          data, count=1)
        if strict and old_name not in gen.sheets:
            data = to_strict(data.decode("utf-8")).encode("utf-8")
        out.new_parts[new_name] = data
        if old_name in gen.content_types:
            out.content_types[new_name] = gen.content_types[old_name]


def _plan_sheet(gen: Generated, part: str, xf_map: dict[int, int], strings: list[str],
                strict: bool) -> bytes | Iterable[str]:
    """A scratch sheet as it goes into the user's package: not the selected tab, its styles
    the user's, its strings inline; a sheet with streamed blocks is text chunks, its rows
    written while the zip is (:func:`.archive.write_zip`)."""

    def remap(m: re.Match) -> str:
        return f"{m.group(1)}{xf_map[int(m.group(2))]}{m.group(3)}"

    txt = gen.parts[part].decode("utf-8")
    txt = txt.replace(' tabSelected="1"', "")
    txt = _CELL_STYLE.sub(remap, txt)
    txt = _COL_STYLE.sub(remap, txt)
    txt = _inline_strings(txt, strings)
    if strict:
        txt = to_strict(txt)
    if part in gen.streamed:
        style = {k: xf_map[i] for k, i in gen.kind_xf.items()}
        return with_streamed_rows(txt, gen.streamed[part], style, gen.heights.get(part))
    return txt.encode("utf-8")


def _retarget(data: bytes, rels_part: str, rename: dict[str, str]) -> bytes:
    """Rewrite the targets of one of our rels files to the renamed parts."""
    source = rels_source(rels_part)
    new_source = rename[source]

    def repl(m: re.Match) -> bytes:
        target = m.group(2).decode()
        resolved = resolve(source, target)
        if resolved in rename:
            target = relative(new_source, rename[resolved])
        return m.group(1) + target.encode() + m.group(3)

    return re.sub(rb'(\bTarget=")([^"]*)(")', repl, data)


def _inline_strings(sheet: str, strings: list[str]) -> str:
    def repl(m: re.Match) -> str:
        raw = strings[int(m.group(2))]
        text = html.escape(raw, quote=False)
        space = ' xml:space="preserve"' if raw[:1].isspace() or raw[-1:].isspace() else ""
        return f'<c {m.group(1)}t="inlineStr"><is><t{space}>{text}</t></is></c>'

    return _CELL_STR.sub(repl, sheet)


def _shared_strings(parts: dict[str, bytes]) -> list[str]:
    data = parts.get("xl/sharedStrings.xml")
    if not data:
        return []
    root = ET.fromstring(data)
    return ["".join(t.text or "" for t in si.iter(f"{{{MAIN_NS}}}t")) for si in root]
