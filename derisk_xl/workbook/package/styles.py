"""Style merging: the cell formats the plan sheets use, appended to the user's styles part.

Existing entries keep their bytes and their indices (every cell of the user's sheets points at
them by index); an entry equal to one already there is reused, so a re-run appends nothing.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Iterable

from .xml_edit import Edit, apply_edits, attrs, decode, encode, local, ns, parse, prefix_of, section

_STYLE_SECTIONS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")


def _canon(el: ET.Element) -> tuple:
    return (local(el.tag), tuple(sorted((local(k), v) for k, v in el.attrib.items())),
            tuple(_canon(c) for c in el))


def _children_text(section_text: str, child: str) -> list[str]:
    """Top-level ``<child>`` elements of a section written by XlsxWriter (no nesting of same)."""
    return re.findall(r"<" + child + r"\b(?:[^>]*/>|.*?</" + child + r">)", section_text, re.S)


def _with_prefix(snippet: str, prefix: str) -> str:
    if not prefix:
        return snippet
    return re.sub(r"<(/?)([A-Za-z])", lambda m: f"<{m.group(1)}{prefix}{m.group(2)}", snippet)


def _section_of(root: ET.Element, kind: str) -> ET.Element | None:
    return root.find(f"{{{ns(root.tag)}}}{kind}")


class _Sections:
    """The user's style sections as they are, and what is appended to each (as text, in the
    user's prefix); an entry is compared with the others by its canonical form."""

    def __init__(self, root: ET.Element, prefix: str, strict: bool):
        self.prefix, self.strict = prefix, strict
        found = {k: _section_of(root, k) for k in _STYLE_SECTIONS}
        self.missing = {k for k, el in found.items() if el is None}
        self.existing = {k: list(el if el is not None else []) for k, el in found.items()}
        self.canon = {k: [_canon(e) for e in self.existing[k]] for k in _STYLE_SECTIONS}
        self.appended: dict[str, list[str]] = {k: [] for k in _STYLE_SECTIONS}

    def append(self, kind: str, snippet: str) -> None:
        self.canon[kind].append(_canon(ET.fromstring(snippet)))
        self.appended[kind].append(_with_prefix(snippet, self.prefix))

    def add(self, kind: str, snippet: str) -> int:
        """The index of ``snippet`` in its section: an equal entry's, or a new one's."""
        if self.strict and kind == "borders":
            snippet = snippet.replace("<left", "<start").replace("<right", "<end")
        key = _canon(ET.fromstring(snippet))
        if key in self.canon[kind]:
            return self.canon[kind].index(key)
        self.append(kind, snippet)
        return len(self.canon[kind]) - 1

    def total(self, kind: str) -> int:
        if kind == "numFmts":
            return len(self.existing[kind]) + len(self.appended[kind])
        return len(self.canon[kind])


def merge_styles(user: bytes, scratch: bytes, used: Iterable[int], *, strict: bool
                 ) -> tuple[bytes, dict[int, int]]:
    """Append the scratch cell formats ``used`` to the user's styles.xml.

    Returns the new styles.xml and the map from scratch xf index to the index in the user's
    file.
    """
    text = decode(user)
    prefix = prefix_of(text, "styleSheet")
    sections = _Sections(parse(user, "xl/styles.xml"), prefix, strict)
    stext = scratch.decode("utf-8")
    s_fonts, s_fills, s_borders, s_xfs = (
        _children_text(section(stext, "", kind).group(3), child)
        for kind, child in (("fonts", "font"), ("fills", "fill"), ("borders", "border"),
                            ("cellXfs", "xf")))
    # A styles part without the basic sections (some generators write an empty one) gets
    # Excel's defaults first, so that unstyled cells keep meaning "the default format".
    seeds = {"fonts": s_fonts[:1], "fills": s_fills[:2], "borders": s_borders[:1],
             "cellStyleXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'],
             "cellXfs": s_xfs[:1]}
    for kind, defaults in seeds.items():
        if kind in sections.missing:
            for snippet in defaults:
                sections.append(kind, snippet)
    fmt_map = _number_formats(sections, ET.fromstring(scratch))
    xf_map: dict[int, int] = {}
    for i in sorted(set(used)):
        xf = s_xfs[i]
        a = attrs(xf[: xf.index(">")])
        font = sections.add("fonts", s_fonts[int(a.get("fontId", 0))])
        fill = sections.add("fills", s_fills[int(a.get("fillId", 0))])
        border = sections.add("borders", s_borders[int(a.get("borderId", 0))])
        num = int(a.get("numFmtId", 0))
        num = fmt_map.get(num, num)
        new = (xf.replace(f'numFmtId="{a.get("numFmtId", 0)}"', f'numFmtId="{num}"', 1)
               .replace(f'fontId="{a.get("fontId", 0)}"', f'fontId="{font}"', 1)
               .replace(f'fillId="{a.get("fillId", 0)}"', f'fillId="{fill}"', 1)
               .replace(f'borderId="{a.get("borderId", 0)}"', f'borderId="{border}"', 1))
        xf_map[i] = sections.add("cellXfs", new)
    return encode(apply_edits(text, _edits(text, sections)), user), xf_map


def _number_formats(sections: _Sections, scratch: ET.Element) -> dict[int, int]:
    """Scratch numFmtId → the user's: an equal format code is reused, others get new ids."""
    s_fmts = {int(n.get("numFmtId")): n.get("formatCode")
              for n in (_section_of(scratch, "numFmts") or [])}
    codes = {e.get("formatCode"): int(e.get("numFmtId")) for e in sections.existing["numFmts"]
             if (e.get("numFmtId") or "").isdigit()}  # numFmtId="abc": not ours to fix
    next_fmt = max([163, *codes.values()]) + 1
    fmt_map: dict[int, int] = {}
    for fid, code in s_fmts.items():
        if code in codes:
            fmt_map[fid] = codes[code]
        else:
            fmt_map[fid] = codes[code] = next_fmt
            sections.appended["numFmts"].append(_with_prefix(
                f'<numFmt numFmtId="{next_fmt}" formatCode="{html.escape(code)}"/>',
                sections.prefix))
            next_fmt += 1
    return fmt_map


def _edits(text: str, sections: _Sections) -> list[Edit]:
    """Each section's appended entries at its end and its count updated; a missing section is
    written after the one that comes before it in the schema's order."""
    prefix = sections.prefix
    edits: list[Edit] = []
    anchor = re.search(r"<" + re.escape(prefix) + r"styleSheet\b[^>]*>", text).end()
    missing: list[str] = []
    for kind in _STYLE_SECTIONS:
        m = section(text, prefix, kind)
        total = sections.total(kind)
        body = "".join(sections.appended[kind])
        if m is None:
            if body:
                missing.append(f'<{prefix}{kind} count="{total}">{body}</{prefix}{kind}>')
            continue
        if missing:
            edits.append((anchor, anchor, "".join(missing)))
            missing = []
        anchor = m.end()
        if not body:
            continue
        start_attrs, selfclose = m.group(1), m.group(2)
        new_attrs = _set_count(start_attrs, total)
        if selfclose:
            edits.append((m.start(), m.end(),
                          f"<{prefix}{kind}{new_attrs}>{body}</{prefix}{kind}>"))
        else:
            tag_end = m.start() + len(f"<{prefix}{kind}{start_attrs}>")
            close = m.end() - len(f"</{prefix}{kind}>")
            edits.append((close, close, body))
            edits.append((m.start(), tag_end, f"<{prefix}{kind}{new_attrs}>"))
    if missing:
        edits.append((anchor, anchor, "".join(missing)))
    return edits


def _set_count(attrs: str, total: int) -> str:
    if re.search(r'\bcount\s*=\s*["\']\d*["\']', attrs):
        return re.sub(r'\bcount\s*=\s*(["\'])\d*\1', f'count="{total}"', attrs, count=1)
    return attrs
