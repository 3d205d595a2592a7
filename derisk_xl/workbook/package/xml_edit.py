"""XML of the user's package, edited as text with a parse of the same text as the guide.

The parse says what is there (names, ids, counts); an edit splices new elements in next to the
existing ones and leaves every other byte as it was. A library's load and save would rewrite the
whole part in its own words and drop what it does not model.

Edits are ``(start, end, new text)`` offsets into the part's text, applied together by
:func:`apply_edits`, back to front so that earlier offsets stay valid.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Iterable

from ...core.issues import InputError, Issue
from ..parts import DamagedPart, parse_part

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"

#: Transitional → Strict, for the parts we add to a Strict workbook.
STRICT_NAMESPACES = (
    (MAIN_NS, STRICT_MAIN_NS),
    (REL_NS, STRICT_REL_NS),
    ("http://schemas.openxmlformats.org/drawingml/2006/main",
     "http://purl.oclc.org/ooxml/drawingml/main"),
    ("http://schemas.openxmlformats.org/drawingml/2006/chart",
     "http://purl.oclc.org/ooxml/drawingml/chart"),
    ("http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
     "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing"),
)

Edit = tuple[int, int, str]

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def problem(message: str) -> InputError:
    """The user's package cannot take the plan sheets: one sentence, no cell."""
    return InputError([Issue("", message)])


def parse(data: bytes, part: str) -> ET.Element:
    """Parse one of the user's parts; a damaged or crafted one stops the write with a sentence."""
    try:
        return parse_part(data, part)
    except DamagedPart as exc:
        raise problem(str(exc)) from None


def attrs(start_tag: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTR.finditer(start_tag)}


def ns(tag: str) -> str:
    return tag[1:].split("}")[0] if tag.startswith("{") else ""


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def prefix_of(text: str, local: str) -> str:
    """The prefix (with colon, or "") the document uses on element ``local``."""
    m = re.search(r"<([\w.-]+:)?" + local + r"[\s/>]", text)
    return m.group(1) or "" if m else ""


def declared_prefix(text: str, uri: str) -> str | None:
    """The prefix bound to ``uri`` on the root element, if any."""
    root = re.search(r"<(?!\?|!)[^>]*>", text)
    if not root:
        return None
    for m in re.finditer(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']', root.group(0)):
        if m.group(2) == uri:
            return m.group(1)
    return None


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise problem("a workbook part is UTF-16 encoded; only UTF-8 packages are supported. "
                      "Open the file in Excel and save it again.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise problem("a workbook part is not UTF-8 text; the workbook is damaged. Open it in "
                      "Excel and save it again.") from None


def encode(text: str, original: bytes) -> bytes:
    """``text`` as UTF-8, with the byte-order mark ``original`` had."""
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    return bom + text.encode("utf-8")


def closing(text: str, prefix: str, local: str) -> tuple[str, int]:
    """The text with its root ``local`` element open (``<Types/>`` → ``<Types></Types>``) and
    the offset of its closing tag, where new children go."""
    close = f"</{prefix}{local}>"
    at = text.rfind(close)
    if at >= 0:
        return text, at
    m = re.search(r"<" + re.escape(prefix) + local + r"\b([^>]*?)/>", text)
    if m is None:
        raise problem(f"the package's <{local}> element is damaged; open the file in Excel "
                      "and save it again.")
    text = text[:m.start()] + f"<{prefix}{local}{m.group(1)}>{close}" + text[m.end():]
    return text, text.rfind(close)


def section(text: str, prefix: str, local: str) -> re.Match | None:
    """The first ``local`` element: group 1 its attributes, group 2 "/" when it is empty
    (``<sheets/>``), group 3 its content."""
    return re.search(r"<" + re.escape(prefix) + local + r"\b([^>]*?)(/?)>(?:(.*?)</"
                     + re.escape(prefix) + local + r">)?", text, re.S)


def elements(text: str, prefix: str, local: str) -> Iterable[re.Match]:
    p = re.escape(prefix) + local
    return re.finditer(r"<" + p + r"\b[^>]*?(?:/>|>.*?</" + p + r">)", text, re.S)


def append_to(text: str, prefix: str, local: str, body: str) -> Edit | None:
    """The edit that adds ``body`` at the end of the first ``local`` element's content (an
    empty ``<local/>`` is opened for it); None when there is no such element."""
    m = section(text, prefix, local)
    if m is None:
        return None
    if m.group(2):  # <local/>
        return m.start(), m.end(), f"<{prefix}{local}{m.group(1)}>{body}</{prefix}{local}>"
    close = m.end() - len(f"</{prefix}{local}>")
    return close, close, body


def apply_edits(text: str, edits: list[Edit]) -> str:
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def to_strict(text: str) -> str:
    for old, new in STRICT_NAMESPACES:
        text = text.replace(old, new)
    return text
