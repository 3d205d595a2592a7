"""Add the plan sheets to a workbook at the package level, so nothing the user had is lost.

openpyxl's load-and-save drops what it does not model (shapes, sparklines, threaded comments,
Excel 2010+ formats, Strict files…), so the user's workbook is never round-tripped through a
library. Instead:

1. XlsxWriter writes the plan sheets into a scratch workbook (tables, formats, the chart);
   the data rows of big tables (:data:`STREAM_ROWS` rows or more) are left out and written
   later as text by :func:`stream_rows`, because XlsxWriter's cell-by-cell path cost ~40 s
   for a 100,000-position plan;
2. their worksheet, table, drawing and chart parts are renamed (``derisk_plan_*``) and copied
   into a copy of the user's zip, every existing part byte for byte (still compressed: the
   entries are copied raw, not inflated and deflated again);
3. only the parts that list sheets are edited, by insertion (``[Content_Types].xml``, the
   workbook part and its relationships), plus ``styles.xml`` by appending the few cell formats
   the new sheets need; strings are inline so ``sharedStrings.xml`` is untouched, and user
   text can never become a formula.

``docProps/app.xml`` is left as it was, although its TitlesOfParts lists the sheets: it is a
summary cached by the last application that saved the file, Excel and LibreOffice take the
sheets from the workbook part and rewrite app.xml on their next save
(tests/test_writer_libreoffice.py opens such a file), and not editing it is one part fewer
that could be damaged.

A re-run first removes the previous plan sheets (sheets named ``Plan …`` of SPEC 5.1) and the
parts only they use, then adds the new ones at the same place in the tab order, so two runs give
identical bytes. Strict Open XML workbooks get the new parts in Strict namespaces.

XML of the user's package is edited as text, with a parse of the same text as the guide: the
parse says what is there (names, ids, counts); the edit splices new elements in next to the
existing ones and leaves every other byte as it was.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import warnings
import io
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Iterator

from ..core.issues import InputError, Issue
from .grid import column_letter, coordinate, parse_coordinate
from .plan_sheets import (NUMBER_FORMATS, PLAN_SHEET_NAMES, TABLE_STYLE, WRAPPED_KINDS, Block,
                          SheetSpec, block_row_heights)

# ---------------------------------------------------------------------------------------------
# Namespaces
# ---------------------------------------------------------------------------------------------

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
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

WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"
STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

PART_PREFIX = "derisk_plan_"
_PLAN_NAMES = {n.lower() for n in PLAN_SHEET_NAMES}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _problem(message: str) -> InputError:
    return InputError([Issue("", message)])


def _attrs(start_tag: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTR.finditer(start_tag)}


def _parse(data: bytes, part: str) -> ET.Element:
    """Parse one of the user's parts, refusing DTDs (entity bombs) before expat sees them."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data:
        raise _problem(f"{part} declares a DTD or entities; refusing to parse it (a workbook "
                       "saved by Excel never does: the file may be crafted).")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise _problem(f"{part} is not well-formed XML ({exc}); the workbook is damaged.") from None


def _ns(tag: str) -> str:
    return tag[1:].split("}")[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _prefix_of(text: str, local: str) -> str:
    """The prefix (with colon, or "") the document uses on element ``local``."""
    m = re.search(r"<([\w.-]+:)?" + local + r"[\s/>]", text)
    return m.group(1) or "" if m else ""


def _declared_prefix(text: str, uri: str) -> str | None:
    """The prefix bound to ``uri`` on the root element, if any."""
    root = re.search(r"<(?!\?|!)[^>]*>", text)
    if not root:
        return None
    for m in re.finditer(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']', root.group(0)):
        if m.group(2) == uri:
            return m.group(1)
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _problem("a workbook part is UTF-16 encoded; only UTF-8 packages are supported. "
                       "Open the file in Excel and save it again.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _problem("a workbook part is not UTF-8 text; the workbook is damaged. Open it in "
                       "Excel and save it again.") from None


def _closing(text: str, prefix: str, local: str) -> tuple[str, int]:
    """The text with its root ``local`` element open (``<Types/>`` → ``<Types></Types>``) and
    the offset of its closing tag, where new children go."""
    close = f"</{prefix}{local}>"
    at = text.rfind(close)
    if at >= 0:
        return text, at
    m = re.search(r"<" + re.escape(prefix) + local + r"\b([^>]*?)/>", text)
    if m is None:
        raise _problem(f"the package's <{local}> element is damaged; open the file in Excel "
                       "and save it again.")
    text = text[:m.start()] + f"<{prefix}{local}{m.group(1)}>{close}" + text[m.end():]
    return text, text.rfind(close)


def _encode(text: str, original: bytes) -> bytes:
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    return bom + text.encode("utf-8")


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a part name (no leading slash), relative to ``base_part``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relative(from_part: str, to_part: str) -> str:
    return posixpath.relpath(to_part, posixpath.dirname(from_part) or ".")


# ---------------------------------------------------------------------------------------------
# The user's package, as read
# ---------------------------------------------------------------------------------------------


@dataclass
class Rel:
    id: str
    type: str
    target: str  # part name, or the raw target when external
    external: bool


@dataclass
class Package:
    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]  # only the parts we read or edit
    zf: zipfile.ZipFile
    names_lower: dict[str, str] = field(default_factory=dict)
    source: bytes = b""

    def has(self, part: str) -> bool:
        return part.lower() in self.names_lower

    def read(self, part: str) -> bytes:
        if part not in self.data:
            self.data[part] = self.zf.read(self.names_lower[part.lower()])
        return self.data[part]

    def rels(self, part: str) -> list[Rel]:
        name = rels_name(part)
        if not self.has(name):
            return []
        root = _parse(self.read(self.names_lower[name.lower()]), name)
        out = []
        for r in root:
            if _local(r.tag) != "Relationship":
                continue
            external = r.get("TargetMode") == "External"
            target = r.get("Target", "")
            out.append(Rel(r.get("Id", ""), r.get("Type", ""),
                           target if external else _resolve(part, target), external))
        return out


def _open(source: bytes) -> Package:
    try:
        zf = zipfile.ZipFile(io.BytesIO(source))
    except zipfile.BadZipFile:
        raise _problem("the file is not a workbook (not a zip package): an .xlsx or .xlsm "
                       "was expected.") from None
    infos = zf.infolist()
    names = {i.filename.lower(): i.filename for i in infos}
    if "[content_types].xml" not in names:
        raise _problem("the file is a zip but not an Office package ([Content_Types].xml is "
                       "missing).")
    return Package(infos, {}, zf, names, source)


# ---------------------------------------------------------------------------------------------
# Generating the new sheets (XlsxWriter into a scratch workbook)
# ---------------------------------------------------------------------------------------------


@dataclass
class Generated:
    """The scratch workbook's parts that the plan sheets need.

    ``streamed`` lists, per scratch sheet, the blocks whose data rows XlsxWriter did not write:
    :func:`stream_rows` writes them as text once the final style ids are known. ``kind_xf``
    is the scratch cell-format index of each number-format kind those rows use.
    """

    parts: dict[str, bytes]  # scratch part name → bytes
    content_types: dict[str, str]  # scratch part name → content type
    sheets: list[str]  # scratch worksheet parts, in tab order
    styles: bytes
    streamed: dict[str, tuple[Block, ...]] = field(default_factory=dict)
    kind_xf: dict[str, int] = field(default_factory=dict)
    heights: dict[str, dict[int, float]] = field(default_factory=dict)  # streamed rows'


#: Blocks with at least this many data rows are streamed as text instead of written cell by
#: cell through XlsxWriter (~10 µs a cell there: 100,000 trades took most of a minute). Blocks
#: a chart reads stay with XlsxWriter, which fills the chart's cached values from them.
STREAM_ROWS = 50


def _excel_value(value):
    """Decimal → float at the very edge; everything else as it is."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _chart_rows(spec: SheetSpec) -> set[int]:
    """0-based rows the sheet's chart reads (its ranges are ``'Sheet'!$A$5:$A$7``)."""
    if spec.chart is None:
        return set()
    rows: set[int] = set()
    for ref in (spec.chart.categories, *(v for _, v in spec.chart.series)):
        m = re.search(r"\$?(\d+):\$?[A-Z]+\$?(\d+)$", ref)
        if m:
            rows |= set(range(int(m.group(1)) - 1, int(m.group(2))))
    return rows


def _shares_rows(block: Block, spec: SheetSpec) -> bool:
    """Whether another block (or the heading) has cells on one of ``block``'s rows: streamed
    rows replace whole ``<row>`` elements, so only a block alone on its rows can stream."""
    return block.top < len(spec.heading) or any(
        o is not block and o.top <= block.bottom and block.top <= o.bottom for o in spec.blocks)


def streamed_blocks(spec: SheetSpec, stream_rows: int) -> tuple[Block, ...]:
    """The blocks of ``spec`` whose data rows are streamed rather than written by XlsxWriter."""
    chart = _chart_rows(spec)
    return tuple(b for b in spec.blocks
                 if b.rows and len(b.rows) >= stream_rows
                 and not (chart and chart & set(range(b.header_row + 1, b.bottom + 1)))
                 and not _shares_rows(b, spec))


def render_scratch(specs: Iterable[SheetSpec], table_names: dict[str, str] | None = None,
                   stream_rows: int | None = None) -> bytes:
    """Write ``specs`` with XlsxWriter into an in-memory workbook; returns its bytes.

    With ``stream_rows``, blocks of that many rows or more get only their table frame (the
    data rows are :func:`stream_rows`' job); by default every cell is written.
    """
    return _render(specs, table_names or {}, stream_rows)[0]


def _render(specs: Iterable[SheetSpec], table_names: dict[str, str], stream_rows: int | None
            ) -> tuple[bytes, dict[str, int]]:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "nan_inf_to_errors": True,
    })
    formats: dict[str, object] = {}
    specs = tuple(specs)  # one plan's sheets: one currency, so one format per kind
    number_formats = specs[0].number_formats if specs else NUMBER_FORMATS

    def fmt(kind: str):
        if kind not in formats:
            # top-aligned, so a row made tall by a wrapped reason still reads across
            props = {"num_format": number_formats[kind], "valign": "top"}
            if kind in WRAPPED_KINDS:
                props["text_wrap"] = True
            formats[kind] = wb.add_format(props)
        return formats[kind]

    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 12})
    heading = wb.add_format({"bold": True, "font_size": 14})
    stream_kinds: set[str] = set()
    for spec in specs:
        ws = wb.add_worksheet(spec.name)
        for i, w in enumerate(spec.widths):
            ws.set_column(i, i, w)
        streamed = streamed_blocks(spec, stream_rows) if stream_rows is not None else ()
        for r, line in enumerate(spec.heading):
            if line:
                ws.write_string(r, 0, line, heading if r == 0 else None)
        for block in spec.blocks:
            x = block.left
            if block.title:
                ws.write_string(block.top, x, block.title, title)
            h = block.header_row
            # A streamed block's table is added over its header and first row only (XlsxWriter
            # marks every cell of a table's range, ~1 µs each); _generated widens its ref.
            last = h + 1 if block in streamed else h + block.data_rows
            ws.add_table(h, x, last, block.right, {
                "name": table_names.get(block.table, block.table),
                "style": TABLE_STYLE,
                "columns": [{"header": c.name, "header_format": bold} for c in block.columns],
            })
            if block in streamed:
                stream_kinds |= _kinds_of(block)
                continue
            for row, height in block_row_heights(block, spec.widths).items():
                ws.set_row(row, height)
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row):
                    kind = block.kind(r, c)
                    value = _excel_value(value)
                    if value is None or value == "":
                        ws.write_blank(h + 1 + r, x + c, None, fmt(kind))
                    elif isinstance(value, str):
                        ws.write_string(h + 1 + r, x + c, value,
                                        fmt(kind if kind in WRAPPED_KINDS else "text"))
                    elif isinstance(value, dt.date):
                        ws.write_datetime(h + 1 + r, x + c,
                                          dt.datetime(value.year, value.month, value.day),
                                          fmt("date"))
                    else:
                        ws.write_number(h + 1 + r, x + c, value, fmt(kind))
        if spec.freeze_rows:
            ws.freeze_panes(spec.freeze_rows, 0)
        if spec.print_setup is not None:  # its print area and title rows are defined names,
            _page_setup(ws, spec.print_setup)  # written into the user's workbook part later
        if spec.chart is not None:
            ch = spec.chart
            chart = wb.add_chart({"type": "bar"})
            for name, values in ch.series:
                chart.add_series({"name": name, "categories": "=" + ch.categories,
                                  "values": "=" + values})
            chart.set_title({"name": ch.title})
            chart.set_size({"width": ch.size[0], "height": ch.size[1]})
            ws.insert_chart(ch.anchor[0], ch.anchor[1], chart)
    # The streamed rows' formats must exist in styles.xml although XlsxWriter wrote no cell
    # with them: ask for their index as a written cell would (XlsxWriter numbers a format the
    # first time a cell uses it; this is the same call, made ahead).
    kind_xf = {k: fmt(k)._get_xf_index() for k in sorted(stream_kinds)}
    wb.close()
    return buf.getvalue(), kind_xf


def _page_setup(ws, setup) -> None:
    """The sheet-level print settings: orientation, fit to pages, header and footer."""
    if setup.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(setup.fit_width, setup.fit_height)
    ws.set_header(setup.codes(setup.header))
    ws.set_footer(setup.codes(setup.footer))


def _kinds_of(block: Block) -> set[str]:
    kinds = {"text", "date"}
    if block.kinds is not None:
        return kinds | {k for row in block.kinds for k in row}
    return kinds | {c.kind for c in block.columns}


def _generate(specs: tuple[SheetSpec, ...], table_names: tuple[tuple[str, str], ...],
              stream_rows: int) -> Generated:
    scratch, kind_xf = _render(specs, dict(table_names), stream_rows)
    gen = _scratch_parts(scratch)
    gen.kind_xf = kind_xf
    gen.streamed = {part: blocks for part, spec in zip(gen.sheets, specs)
                    if (blocks := streamed_blocks(spec, stream_rows))}
    gen.heights = {part: {row: h for b in gen.streamed[part]
                          for row, h in block_row_heights(b, spec.widths).items()}
                   for part, spec in zip(gen.sheets, specs) if part in gen.streamed}
    tables = {m.group(1): part for part, data in gen.parts.items() if "/tables/" in part
              and (m := re.search(rb'\bdisplayName="([^"]*)"', data))}
    for blocks in gen.streamed.values():
        for b in blocks:
            part = tables[dict(table_names).get(b.table, b.table).encode()]
            first, last = column_letter(b.left), column_letter(b.right)
            short = f'ref="{first}{b.header_row + 1}:{last}{b.header_row + 2}"'.encode()
            full = f'ref="{first}{b.header_row + 1}:{last}{b.bottom + 1}"'.encode()
            gen.parts[part] = gen.parts[part].replace(short, full)
    return gen


def _generated(specs: tuple[SheetSpec, ...], table_names: tuple[tuple[str, str], ...],
               stream_rows: int) -> Generated:
    """Render the scratch parts; small plans through a cache (a batch of copies of one plan
    renders once), big ones not: hashing 100,000 rows costs more than the cache saves."""
    if sum(len(b.rows) for s in specs for b in s.blocks) > 5_000:
        return _generate(specs, table_names, stream_rows)
    return _generated_cached(specs, table_names, stream_rows)


_generated_cached = functools.lru_cache(maxsize=2)(_generate)


def _scratch_parts(scratch: bytes) -> Generated:
    zf = zipfile.ZipFile(io.BytesIO(scratch))
    parts = {n: zf.read(n) for n in zf.namelist()}
    ct_root = ET.fromstring(parts["[Content_Types].xml"])
    cts = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
           for o in ct_root if _local(o.tag) == "Override"}
    wb_rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    by_id = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", "")) for r in wb_rels}
    wb = ET.fromstring(parts["xl/workbook.xml"])
    sheets = [by_id[s.get(f"{{{REL_NS}}}id")] for s in wb.iter(f"{{{MAIN_NS}}}sheet")]
    return Generated(parts, cts, sheets, parts["xl/styles.xml"])


# ---------------------------------------------------------------------------------------------
# Streamed rows: the big tables' <sheetData> as text
# ---------------------------------------------------------------------------------------------

#: Excel's escape for characters XML 1.0 cannot carry (``_xHHHH_``), as XlsxWriter writes them
#: in shared strings; a literal ``_xHHHH_`` in the text gets its underscore escaped so Excel
#: shows it as typed.
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEEDS_WORK = re.compile("[&<>_\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_EPOCH = 693594  # date(1899, 12, 30).toordinal(): Excel's day 0 (1900 date system)


def xml_text(text: str) -> str:
    """``text`` as the content of an inline string's ``<t>``: escaped, XML 1.0 clean."""
    if not _NEEDS_WORK.search(text):
        return text
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _NOT_XML.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    text = _SURROGATE.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def stream_rows(block: Block, style: dict[str, int],
                heights: dict[int, float] | None = None) -> Iterator[str]:
    """The ``<row>`` elements of ``block``'s data rows; ``style`` maps a kind to its xf id,
    ``heights`` a 0-based row to its height in points (rows of wrapped text).

    Cells mean what XlsxWriter's would: text is an inline string (never a formula, whatever
    it starts with), numbers are numbers, dates are serials with the date format, missing
    figures are formatted blanks; NaN and infinities become Excel errors, not numbers.
    """
    ncols = len(block.columns)
    letters = [f'<c r="{column_letter(block.left + c)}' for c in range(ncols)]

    def mids(kinds) -> tuple[list[str], list[str], list[str], list[str]]:
        texts = [style[k if k in WRAPPED_KINDS else "text"] for k in kinds]
        return ([f'" s="{style[k]}"><v>' for k in kinds], [f'" s="{style[k]}"' for k in kinds],
                [f'" s="{s}" t="inlineStr"><is><t>' for s in texts],
                [f'" s="{s}" t="inlineStr"><is><t xml:space="preserve">' for s in texts])

    column_mids = mids([c.kind for c in block.columns])
    escaped: dict[str, str] = {}
    first = block.header_row + 2  # 1-based row of the first data row
    for r, row in enumerate(block.rows):
        rs = str(first + r)
        num, bare, text_mid, text_mid_space = (column_mids if block.kinds is None
                                               else mids(block.kinds[r]))
        cells = []
        add = cells.append
        for c, value in enumerate(row):
            t = type(value)
            if t is Decimal or t is float:
                # A Decimal's own digits when short (exact, and 8× cheaper than a float's
                # repr); a long quotient (28 digits) as the nearest double, shortest form.
                v = str(value) if t is Decimal else repr(value)
                if len(v) > 17 or v[-1] > "9":
                    v = repr(float(value))
                if v[-1] > "9":  # nan, inf, -inf
                    err = "#NUM!" if v == "nan" else "#DIV/0!"
                    add(f'{letters[c]}{rs}{bare[c]} t="e"><v>{err}</v></c>')
                    continue
                if v[-2:] == ".0":
                    v = v[:-2]
                add(f"{letters[c]}{rs}{num[c]}{v}</v></c>")
            elif t is str and value:
                x = escaped.get(value)
                if x is None:
                    x = escaped[value] = xml_text(value)
                mid = (text_mid_space if value[0].isspace() or value[-1].isspace()
                       else text_mid)[c]
                add(f"{letters[c]}{rs}{mid}{x}</t></is></c>")
            elif t is int:
                add(f"{letters[c]}{rs}{num[c]}{value}</v></c>")
            elif value is None or value == "":
                add(f"{letters[c]}{rs}{bare[c]}/>")
            else:
                add(_odd_cell(value, f"{letters[c]}{rs}", bare[c], style))
        height = heights.get(first - 1 + r) if heights else None
        if height:
            yield f'<row r="{rs}" ht="{height:g}" customHeight="1">{"".join(cells)}</row>'
        else:
            yield f'<row r="{rs}">{"".join(cells)}</row>'


def _odd_cell(value, start: str, bare: str, style: dict[str, int]) -> str:
    """Cells of the rarer types: dates (Excel serials), booleans, number subclasses."""
    if isinstance(value, dt.date):
        serial = value.toordinal() - _EXCEL_EPOCH
        if isinstance(value, dt.datetime):
            serial += (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        return f'{start}" s="{style["date"]}"><v>{serial}</v></c>'
    if isinstance(value, bool):
        return f'{start}{bare} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        v = repr(float(value))
        if v[-1] > "9":
            return f'{start}{bare} t="e"><v>#NUM!</v></c>'
        return f'{start}{bare}><v>{v[:-2] if v.endswith(".0") else v}</v></c>'
    raise TypeError(f"a plan cell of type {type(value).__name__} cannot be written: {value!r}")


_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+\d+)(?::([A-Z]+)(\d+))?"\s*/>')


def with_streamed_rows(sheet: str, blocks: tuple[Block, ...], style: dict[str, int],
                       heights: dict[int, float] | None = None) -> Iterator[str]:
    """``sheet`` (XlsxWriter's XML) as text chunks, with the streamed blocks' rows merged into
    ``<sheetData>`` in row order and ``<dimension>`` widened to cover them."""
    m = _SHEET_DATA.search(sheet)
    chunks: list[tuple[int, object]] = [(int(r.group(1)), r.group(0))
                                        for r in _ROW.finditer(m.group(1) or "")]
    chunks += [(b.header_row + 2, stream_rows(b, style, heights)) for b in blocks]
    chunks.sort(key=lambda c: c[0])
    last_row = max(b.header_row + len(b.rows) for b in blocks)  # 0-based, as is last_col
    last_col = max(b.right for b in blocks)

    def widen(d: re.Match) -> str:
        row, col = parse_coordinate(d.group(2) + d.group(3) if d.group(2) else d.group(1))
        end = coordinate(max(row, last_row), max(col, last_col))
        return f'<dimension ref="{d.group(1)}:{end}"/>'

    yield _DIMENSION.sub(widen, sheet[:m.start()], count=1) + "<sheetData>"
    for _, chunk in chunks:
        if isinstance(chunk, str):
            yield chunk
        else:
            yield from chunk
    yield "</sheetData>" + sheet[m.end():]


# ---------------------------------------------------------------------------------------------
# Styles: append what the new sheets need
# ---------------------------------------------------------------------------------------------

_STYLE_SECTIONS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")


def _canon(el: ET.Element) -> tuple:
    return (_local(el.tag), tuple(sorted((_local(k), v) for k, v in el.attrib.items())),
            tuple(_canon(c) for c in el))


def _children_text(section_text: str, child: str) -> list[str]:
    """Top-level ``<child>`` elements of a section written by XlsxWriter (no nesting of same)."""
    return re.findall(r"<" + child + r"\b(?:[^>]*/>|.*?</" + child + r">)", section_text, re.S)


def _section(text: str, prefix: str, local: str) -> re.Match | None:
    return re.search(r"<" + re.escape(prefix) + local + r"\b([^>]*?)(/?)>(?:(.*?)</"
                     + re.escape(prefix) + local + r">)?", text, re.S)


def _with_prefix(snippet: str, prefix: str) -> str:
    if not prefix:
        return snippet
    return re.sub(r"<(/?)([A-Za-z])", lambda m: f"<{m.group(1)}{prefix}{m.group(2)}", snippet)


def merge_styles(user: bytes, scratch: bytes, used: Iterable[int], *, strict: bool
                 ) -> tuple[bytes, dict[int, int]]:
    """Append the scratch cell formats ``used`` to the user's styles.xml.

    Existing entries keep their bytes and indices; an entry equal to one already there is
    reused (so a re-run appends nothing). Returns the new styles.xml and the map from scratch
    xf index to the index in the user's file.
    """
    text = _decode(user)
    root = _parse(user, "xl/styles.xml")
    prefix = _prefix_of(text, "styleSheet")
    sroot = ET.fromstring(scratch)
    stext = scratch.decode("utf-8")

    def section(r: ET.Element, local: str) -> ET.Element | None:
        return r.find(f"{{{_ns(r.tag)}}}{local}")

    s_fmts = {int(n.get("numFmtId")): n.get("formatCode")
              for n in (section(sroot, "numFmts") or [])}
    s_fonts = _children_text(_section(stext, "", "fonts").group(3), "font")
    s_fills = _children_text(_section(stext, "", "fills").group(3), "fill")
    s_borders = _children_text(_section(stext, "", "borders").group(3), "border")
    s_xfs = _children_text(_section(stext, "", "cellXfs").group(3), "xf")

    appended: dict[str, list[str]] = {k: [] for k in _STYLE_SECTIONS}
    existing = {k: list(section(root, k) if section(root, k) is not None else [])
                for k in _STYLE_SECTIONS}
    canon = {k: [_canon(e) for e in existing[k]] for k in _STYLE_SECTIONS}
    # A styles part without the basic sections (some generators write an empty one) gets
    # Excel's defaults first, so that unstyled cells keep meaning "the default format".
    seeds = {"fonts": s_fonts[:1], "fills": s_fills[:2], "borders": s_borders[:1],
             "cellStyleXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'],
             "cellXfs": s_xfs[:1]}
    for kind, defaults in seeds.items():
        if section(root, kind) is None:
            for snippet in defaults:
                canon[kind].append(_canon(ET.fromstring(snippet)))
                appended[kind].append(_with_prefix(snippet, prefix))

    def add(kind: str, snippet: str) -> int:
        if strict and kind == "borders":
            snippet = snippet.replace("<left", "<start").replace("<right", "<end")
        el = ET.fromstring(snippet)
        key = _canon(el)
        if key in canon[kind]:
            return canon[kind].index(key)
        canon[kind].append(key)
        appended[kind].append(_with_prefix(snippet, prefix))
        return len(canon[kind]) - 1

    numfmt_codes = {e.get("formatCode"): int(e.get("numFmtId")) for e in existing["numFmts"]
                    if (e.get("numFmtId") or "").isdigit()}  # numFmtId="abc": not ours to fix
    next_fmt = max([163, *numfmt_codes.values()]) + 1
    fmt_map: dict[int, int] = {}
    for fid, code in s_fmts.items():
        if code in numfmt_codes:
            fmt_map[fid] = numfmt_codes[code]
        else:
            fmt_map[fid] = numfmt_codes[code] = next_fmt
            appended["numFmts"].append(_with_prefix(
                f'<numFmt numFmtId="{next_fmt}" formatCode="{html.escape(code)}"/>', prefix))
            next_fmt += 1

    xf_map: dict[int, int] = {}
    for i in sorted(set(used)):
        xf = s_xfs[i]
        a = _attrs(xf[: xf.index(">")])
        font = add("fonts", s_fonts[int(a.get("fontId", 0))])
        fill = add("fills", s_fills[int(a.get("fillId", 0))])
        border = add("borders", s_borders[int(a.get("borderId", 0))])
        num = int(a.get("numFmtId", 0))
        num = fmt_map.get(num, num)
        new = (xf.replace(f'numFmtId="{a.get("numFmtId", 0)}"', f'numFmtId="{num}"', 1)
               .replace(f'fontId="{a.get("fontId", 0)}"', f'fontId="{font}"', 1)
               .replace(f'fillId="{a.get("fillId", 0)}"', f'fillId="{fill}"', 1)
               .replace(f'borderId="{a.get("borderId", 0)}"', f'borderId="{border}"', 1))
        xf_map[i] = add("cellXfs", new)

    # Splice, back to front so earlier offsets stay valid.
    edits: list[tuple[int, int, str]] = []
    root_tag = re.search(r"<" + re.escape(prefix) + r"styleSheet\b[^>]*>", text)
    anchor = root_tag.end()
    missing: list[str] = []
    for kind in _STYLE_SECTIONS:
        m = _section(text, prefix, kind)
        total = (len(existing[kind]) + len(appended[kind]) if kind == "numFmts"
                 else len(canon[kind]))
        body = "".join(appended[kind])
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
    text = _splice(text, edits)
    return _encode(text, user), xf_map


def _set_count(attrs: str, total: int) -> str:
    if re.search(r'\bcount\s*=\s*["\']\d*["\']', attrs):
        return re.sub(r'\bcount\s*=\s*(["\'])\d*\1', f'count="{total}"', attrs, count=1)
    return attrs


# ---------------------------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------------------------

_CELL_STR = re.compile(r'<c ([^>]*?)t="s"><v>(\d+)</v></c>')
_CELL_STYLE = re.compile(r'(<c [^>]*?\bs=")(\d+)(")')
_COL_STYLE = re.compile(r'(<col [^>]*?\bstyle=")(\d+)(")')


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


def _to_strict(text: str) -> str:
    for old, new in STRICT_NAMESPACES:
        text = text.replace(old, new)
    return text


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _elements(text: str, prefix: str, local: str) -> Iterable[re.Match]:
    p = re.escape(prefix) + local
    return re.finditer(r"<" + p + r"\b[^>]*?(?:/>|>.*?</" + p + r">)", text, re.S)


def add_plan_sheets(source: bytes, specs: tuple[SheetSpec, ...]) -> bytes:
    """The workbook ``source`` (bytes of an .xlsx/.xlsm) with the plan sheets added or replaced."""
    pkg = _open(source)
    root_rels = pkg.rels("")
    office = [r for r in root_rels
              if r.type.endswith("/officeDocument") and not r.external]
    if not office or not pkg.has(office[0].target):
        raise _problem("the package has no workbook part (no officeDocument relationship).")
    wb_part = pkg.names_lower[office[0].target.lower()]
    wb_bytes = pkg.read(wb_part)
    wb_root = _parse(wb_bytes, wb_part)
    main = _ns(wb_root.tag)
    if _local(wb_root.tag) != "workbook" or main not in (MAIN_NS, STRICT_MAIN_NS):
        raise _problem(f"{wb_part} is not a SpreadsheetML workbook (root element "
                       f"{_local(wb_root.tag)!r} in namespace {main!r}); an .xlsx or .xlsm "
                       "saved by Excel 2007 or later was expected.")
    strict = main == STRICT_MAIN_NS
    rel_ns = STRICT_REL_NS if strict else REL_NS
    wb_rels_part = rels_name(wb_part)
    wb_rels = pkg.rels(wb_part)
    rel_by_id = {r.id: r for r in wb_rels}

    # The sheets as listed, and which are previous plan sheets.
    sheets = []
    for s in wb_root.iter(f"{{{main}}}sheet"):
        rid = s.get(f"{{{rel_ns}}}id") or s.get(f"{{{REL_NS}}}id") or ""
        sheets.append((s.get("name", ""), s.get("sheetId", ""), rid))
    old = [s for s in sheets if s[0].lower() in _PLAN_NAMES]
    old_rids = {s[2] for s in old}
    old_parts = {rel_by_id[r].target for r in old_rids
                 if r in rel_by_id and not rel_by_id[r].external}
    kept_parts = {rel_by_id[s[2]].target.lower(): s[0] for s in sheets
                  if s not in old and s[2] in rel_by_id}
    for s_name, _, rid in old:  # never delete a user's sheet that merely wears a plan name
        target = rel_by_id[rid].target if rid in rel_by_id else ""
        if rid in {s[2] for s in sheets if s not in old} or target.lower() in kept_parts:
            other = kept_parts.get(target.lower(), "another sheet")
            raise _problem(f"the workbook lists a sheet named {s_name!r} whose content is the "
                           f"sheet {other!r}; planning would replace it. Rename the "
                           f"{s_name!r} entry (or open the file in Excel and save it again).")
    for s_name, _, rid in old:  # a plan name without our marks: the user's own sheet
        if rid in rel_by_id and not _plan_made(pkg, rel_by_id[rid].target):
            raise _problem(f"the workbook has a sheet named {s_name!r} that derisk did not "
                           "write (it has none of the plan's tables); planning replaces the "
                           "plan sheets by name, so it would be lost. Rename that sheet and run "
                           "again.")

    # Parts used only by the old plan sheets go with them.
    remove = _owned_closure(pkg, old_parts, wb_part)
    remove_lower = {p.lower() for p in remove} | {rels_name(p).lower() for p in remove}
    live = [i for i in pkg.infos if i.filename.lower() not in remove_lower]
    live_lower = {i.filename.lower() for i in live}

    # Names in use: table names, defined names, table ids, part names.
    used_names = {n.get("name", "").lower() for n in wb_root.iter(f"{{{main}}}definedName")}
    table_ids = [0]
    for info in live:
        if re.search(r"/tables/[^/]+\.xml$", info.filename, re.I):
            t = _parse(pkg.read(info.filename), info.filename)
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

    gen = _generated(specs, tuple(sorted(table_names.items())), STREAM_ROWS)
    strings = _shared_strings(gen.parts)

    # Rename every scratch part the sheets reach, under the workbook's folder.
    wb_dir = posixpath.dirname(wb_part)
    prefix = PART_PREFIX
    n = 1
    while True:
        rename = _rename_map(gen, wb_dir, prefix)
        if not any(p.lower() in live_lower for p in rename.values()):
            break
        n += 1
        prefix = f"{PART_PREFIX}{n}_"

    # Styles used by the new sheets.
    used_xfs: set[int] = set()
    for sheet in gen.sheets:
        txt = gen.parts[sheet].decode("utf-8")
        used_xfs |= {int(m.group(2)) for m in _CELL_STYLE.finditer(txt)}
        used_xfs |= {int(m.group(2)) for m in _COL_STYLE.finditer(txt)}
    used_xfs |= set(gen.kind_xf.values())
    styles_rel = next((r for r in wb_rels if r.type.endswith("/styles") and not r.external), None)
    new_parts: dict[str, bytes | Iterable[str]] = {}
    edited: dict[str, bytes] = {}
    extra_wb_rels: list[tuple[str, str]] = []  # (type suffix, target part)
    extra_cts: dict[str, str] = {}
    if styles_rel is not None and not pkg.has(styles_rel.target):
        raise _problem(f"the workbook's styles relationship points at {styles_rel.target}, "
                       "which is not in the file, so the plan's number formats would show "
                       "wrongly; the workbook is damaged. Open it in Excel and save it again.")
    if styles_rel is not None and pkg.has(styles_rel.target):
        styles_part = pkg.names_lower[styles_rel.target.lower()]
        merged, xf_map = merge_styles(pkg.read(styles_part), gen.styles, used_xfs, strict=strict)
        if merged != pkg.read(styles_part):
            edited[styles_part] = merged
    else:  # no styles at all: ours become the workbook's
        styles_part = posixpath.join(wb_dir, f"{prefix}styles.xml")
        new_parts[styles_part] = _to_strict(gen.styles.decode()).encode() if strict \
            else gen.styles
        xf_map = {i: i for i in used_xfs}
        extra_wb_rels.append(("styles", styles_part))
        extra_cts[styles_part] = STYLES_CT

    def remap(m: re.Match) -> str:
        return f"{m.group(1)}{xf_map[int(m.group(2))]}{m.group(3)}"

    for old_name, new_name in rename.items():
        data = gen.parts[old_name]
        if old_name in gen.sheets:
            txt = data.decode("utf-8")
            txt = txt.replace(' tabSelected="1"', "")
            txt = _CELL_STYLE.sub(remap, txt)
            txt = _COL_STYLE.sub(remap, txt)
            txt = _inline_strings(txt, strings)
            if strict:
                txt = _to_strict(txt)
            if old_name in gen.streamed:  # rows written while the zip is (_write_zip)
                style = {k: xf_map[i] for k, i in gen.kind_xf.items()}
                data = with_streamed_rows(txt, gen.streamed[old_name], style,
                                          gen.heights.get(old_name))
            else:
                data = txt.encode("utf-8")
        elif old_name.endswith(".rels"):
            data = _retarget(data, old_name, rename)
        elif "/tables/" in old_name:
            table_ids_next = max(table_ids) + 1
            table_ids.append(table_ids_next)
            data = re.sub(rb'(<table\b[^>]*?\bid=")\d+(")',
                          lambda m: m.group(1) + str(table_ids_next).encode() + m.group(2),
                          data, count=1)
        if strict and old_name not in gen.sheets:
            data = _to_strict(data.decode("utf-8")).encode("utf-8")
        new_parts[new_name] = data
        if old_name in gen.content_types:
            extra_cts[new_name] = gen.content_types[old_name]

    # xl/workbook.xml.rels: drop the old sheets' relationships, add ours.
    rels_bytes = pkg.read(pkg.names_lower[wb_rels_part.lower()])
    rels_text = _decode(rels_bytes)
    rprefix = _prefix_of(rels_text, "Relationship")
    edits = [(m.start(), m.end(), "") for m in _elements(rels_text, rprefix, "Relationship")
             if _attrs(m.group(0).split(">", 1)[0]).get("Id") in old_rids]
    remaining_ids = {r.id for r in wb_rels if r.id not in old_rids}
    next_rid = max([0] + [int(i[3:]) for i in remaining_ids if re.fullmatch(r"rId\d+", i)]) + 1
    new_rels = []
    sheet_rids = []
    for sheet in gen.sheets:
        while f"rId{next_rid}" in remaining_ids:
            next_rid += 1
        rid = f"rId{next_rid}"
        remaining_ids.add(rid)
        sheet_rids.append(rid)
        new_rels.append(f'<{rprefix}Relationship Id="{rid}" Type="{rel_ns}/worksheet" '
                        f'Target="{_relative(wb_part, rename[sheet])}"/>')
    for kind, target in extra_wb_rels:
        while f"rId{next_rid}" in remaining_ids:
            next_rid += 1
        rid = f"rId{next_rid}"
        remaining_ids.add(rid)
        new_rels.append(f'<{rprefix}Relationship Id="{rid}" Type="{rel_ns}/{kind}" '
                        f'Target="{_relative(wb_part, target)}"/>')
    rels_text, close = _closing(rels_text, rprefix, "Relationships")
    edits = [(m.start(), m.end(), "") for m in _elements(rels_text, rprefix, "Relationship")
             if _attrs(m.group(0).split(">", 1)[0]).get("Id") in old_rids]
    edits.append((close, close, "".join(new_rels)))
    edited[pkg.names_lower[wb_rels_part.lower()]] = _encode(_splice(rels_text, edits),
                                                            rels_bytes)

    # The workbook part: drop the old <sheet>s, insert ours where the first old one was.
    wb_text = _decode(wb_bytes)
    sprefix = _prefix_of(wb_text, "sheets")
    rdecl = _declared_prefix(wb_text, rel_ns)
    rattr = f"{rdecl}:id" if rdecl else "r:id"
    xmlns = "" if rdecl else f' xmlns:r="{rel_ns}"'
    edits = []
    insert_at = None
    for m in _elements(wb_text, sprefix, "sheet"):
        a = _attrs(m.group(0).split(">", 1)[0])
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        if a.get("name", "").lower() in _PLAN_NAMES and rid in old_rids:
            edits.append((m.start(), m.end(), ""))
            insert_at = m.start() if insert_at is None else insert_at
    remaining_sheet_ids = [int(s[1]) for s in sheets if s not in old and s[1].isdigit()]
    next_sid = max([0] + remaining_sheet_ids) + 1
    new_sheets = "".join(
        f'<{sprefix}sheet name="{html.escape(spec.name)}" sheetId="{next_sid + i}"{xmlns} '
        f'{rattr}="{rid}"/>'
        for i, (spec, rid) in enumerate(zip(specs, sheet_rids))
    )
    if insert_at is None:
        sm = _section(wb_text, sprefix, "sheets")
        if sm is None:
            raise _problem(f"{wb_part} lists no sheets; the workbook is damaged.")
        if sm.group(2):  # <sheets/>
            edits.append((sm.start(), sm.end(),
                          f"<{sprefix}sheets{sm.group(1)}>{new_sheets}</{sprefix}sheets>"))
        else:
            close = sm.end() - len(f"</{sprefix}sheets>")
            edits.append((close, close, new_sheets))
    else:
        edits.append((insert_at, insert_at, new_sheets))
    edits += _defined_name_edits(wb_text, sprefix, sheets, old, specs)
    edited[wb_part] = _encode(_splice(wb_text, edits), wb_bytes)

    # [Content_Types].xml: drop overrides of removed parts, add ours.
    ct_name = pkg.names_lower["[content_types].xml"]
    ct_bytes = pkg.read(ct_name)
    ct_text = _decode(ct_bytes)
    ct_root = _parse(ct_bytes, "[Content_Types].xml")
    cprefix = _prefix_of(ct_text, "Types")
    ct_text, _ = _closing(ct_text, cprefix, "Types")
    edits = []
    for m in _elements(ct_text, cprefix, "Override"):
        part = _attrs(m.group(0).split(">", 1)[0]).get("PartName", "").lstrip("/").lower()
        if part in remove_lower:
            edits.append((m.start(), m.end(), ""))
    defaults = {d.get("Extension", "").lower() for d in ct_root if _local(d.tag) == "Default"}
    additions = []
    if "rels" not in defaults:
        additions.append(f'<{cprefix}Default Extension="rels" ContentType="{RELS_CT}"/>')
    additions += [f'<{cprefix}Override PartName="/{html.escape(p)}" ContentType="{ct}"/>'
                  for p, ct in extra_cts.items()]
    _, close = _closing(ct_text, cprefix, "Types")
    edits.append((close, close, "".join(additions)))
    edited[ct_name] = _encode(_splice(ct_text, edits), ct_bytes)

    return _write_zip(pkg, live, edited, new_parts)


def _defined_name_edits(wb_text: str, prefix: str, sheets: list[tuple[str, str, str]],
                        old: list[tuple[str, str, str]], specs: tuple[SheetSpec, ...]
                        ) -> list[tuple[int, int, str]]:
    """Edits of the workbook part's ``<definedNames>``: the print area and print titles of each
    new plan sheet (Excel keeps both as names local to the sheet), the names local to the
    previous plan sheets removed with them, and the sheet index of every other local name
    moved if the sheets before it changed (``localSheetId`` counts sheets in tab order)."""
    old_set = set(old)
    kept = [i for i, s in enumerate(sheets) if s not in old_set]
    # the new sheets go where the first old one was, else at the end (as the <sheet>s do)
    first_old = next((i for i, s in enumerate(sheets) if s in old_set), len(sheets))
    first_new = sum(1 for i in kept if i < first_old)
    new_index = {i: k + (len(specs) if i > first_old else 0) for k, i in enumerate(kept)}

    edits: list[tuple[int, int, str]] = []
    for m in _elements(wb_text, prefix, "definedName"):
        tag = m.group(0).split(">", 1)[0]
        local = _attrs(tag).get("localSheetId", "")
        if not local.isdigit() or int(local) >= len(sheets):
            continue
        index = int(local)
        if sheets[index] in old_set:
            edits.append((m.start(), m.end(), ""))
        elif new_index[index] != index:
            at = m.start() + re.search(r'\blocalSheetId\s*=\s*["\'](\d+)', tag).start(1)
            edits.append((at, at + len(local), str(new_index[index])))
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
    section = _section(wb_text, prefix, "definedNames")
    if section is not None:
        if section.group(2):  # <definedNames/>
            edits.append((section.start(), section.end(), f"<{prefix}definedNames"
                          f"{section.group(1)}>{body}</{prefix}definedNames>"))
        else:
            close = section.end() - len(f"</{prefix}definedNames>")
            edits.append((close, close, body))
        return edits
    # No names yet: the section goes after <sheets> and the two elements that may follow it.
    after = max(m.end() for local in ("sheets", "functionGroups", "externalReferences")
                if (m := _section(wb_text, prefix, local)) is not None)
    edits.append((after, after, f"<{prefix}definedNames>{body}</{prefix}definedNames>"))
    return edits


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
        table = _parse(pkg.read(pkg.names_lower[rel.target.lower()]), rel.target)
        if (table.get("name") or "").lower().startswith("plan"):
            return True
    return False


def _owned_closure(pkg: Package, roots: set[str], wb_part: str) -> set[str]:
    """``roots`` and every part reachable from them that nothing else refers to."""
    if not roots:
        return set()
    graph: dict[str, list[str]] = {}
    for info in pkg.infos:
        name = info.filename
        if name.endswith(".rels") and "/_rels/" in "/" + name:
            folder, base = posixpath.split(name)
            source = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])
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
            for r in ET.fromstring(gen.parts[rname]):
                if r.get("TargetMode") != "External":
                    stack.append(_resolve(part, r.get("Target", "")))
    return out


def _retarget(data: bytes, rels_part: str, rename: dict[str, str]) -> bytes:
    """Rewrite the targets of one of our rels files to the renamed parts."""
    folder = posixpath.dirname(posixpath.dirname(rels_part))
    source = posixpath.join(folder, posixpath.basename(rels_part)[: -len(".rels")])
    new_source = rename[source]

    def repl(m: re.Match) -> bytes:
        target = m.group(2).decode()
        resolved = _resolve(source, target)
        if resolved in rename:
            target = _relative(new_source, rename[resolved])
        return m.group(1) + target.encode() + m.group(3)

    return re.sub(rb'(\bTarget=")([^"]*)(")', repl, data)


def _write_zip(pkg: Package, live: list[zipfile.ZipInfo], edited: dict[str, bytes],
               new_parts: dict[str, bytes | Iterable[str]]) -> bytes:
    """The output package: the user's unchanged parts copied as stored (still compressed, so a
    100,000-row input sheet costs a memcpy, not an inflate and a deflate), edited and new
    parts compressed; a streamed sheet (chunks of text) is deflated in a second thread while
    its rows are still being written."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
        for info in live:
            data = edited.get(info.filename)
            info_out = _info(info.filename, info.date_time, info.compress_type,
                             info.external_attr)
            if data is None and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                    and not info.flag_bits & 0x1:  # not encrypted
                _write_raw(z, info_out, _raw(pkg.source, info), info.CRC, info.file_size)
                continue
            if data is None:
                data = pkg.data.get(info.filename) or pkg.zf.read(info)
            z.writestr(info_out, data)
        for name in sorted(new_parts, key=_natural):
            data = new_parts[name]
            info_out = _info(name, _FIXED_TIME, zipfile.ZIP_DEFLATED, 0o600 << 16)
            if isinstance(data, bytes):
                z.writestr(info_out, data)
            else:
                raw, crc, size = _deflate(data)
                _write_raw(z, info_out, raw, crc, size)
    return out.getvalue()


def _raw(source: bytes, info: zipfile.ZipInfo) -> bytes:
    """The stored (compressed) bytes of one entry of ``source``, as its directory says."""
    off = info.header_offset
    header = struct.unpack(zipfile.structFileHeader, source[off: off + zipfile.sizeFileHeader])
    if header[0] != zipfile.stringFileHeader:
        raise _problem(f"the zip entry {info.filename} is damaged (bad local header); the "
                       "workbook is damaged.")
    start = off + zipfile.sizeFileHeader + header[10] + header[11]  # name and extra lengths
    raw = source[start: start + info.compress_size]
    if len(raw) != info.compress_size:
        raise _problem(f"the zip entry {info.filename} is truncated; the workbook is damaged.")
    return raw


def _write_raw(z: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes, crc: int,
               size: int) -> None:
    """Append an entry whose data is already compressed with ``info.compress_type``.

    zipfile has no public call for this; these are the steps of its own ``_open_to_write``
    and ``_ZipWriteFile.close`` for a seekable file, with the data written in one go
    (tests/test_fidelity_writer.py checks every entry's CRC on Python's current zipfile).
    """
    info.flag_bits = 0
    info.CRC, info.compress_size, info.file_size = crc, len(raw), size
    zip64 = size > zipfile.ZIP64_LIMIT or len(raw) > zipfile.ZIP64_LIMIT
    z.fp.seek(z.start_dir)
    info.header_offset = z.fp.tell()
    z._writecheck(info)
    z._didModify = True
    z.fp.write(info.FileHeader(zip64))
    z.fp.write(raw)
    z.start_dir = z.fp.tell()
    z.filelist.append(info)
    z.NameToInfo[info.filename] = info


#: Deflate level of the streamed sheets. Measured on the 100,000-position Plan Trades (67 MB of
#: XML): level 6 (zipfile's, openpyxl's, XlsxWriter's default) 0.88 s CPU → 7.2 MB; level 2
#: 0.30 s → 8.8 MB; level 1 0.27 s → 9.6 MB. A fifth bigger for a third of the time.
STREAM_LEVEL = 2
_CHUNK = 1 << 20


def _deflate(chunks: Iterable[str]) -> tuple[bytes, int, int]:
    """Raw-deflate the UTF-8 of ``chunks``: (data, CRC-32, size). zlib releases the GIL, so a
    one-thread pool compresses a megabyte while the next one's rows are written."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    comp = zlib.compressobj(STREAM_LEVEL, zlib.DEFLATED, -15)
    parts: list[bytes] = []
    state = [0, 0]  # crc, size

    def work(data: bytes) -> None:
        state[0] = zlib.crc32(data, state[0])
        state[1] += len(data)
        parts.append(comp.compress(data))

    pending: deque = deque()
    with ThreadPoolExecutor(1) as pool:
        buf: list[str] = []
        n = 0
        try:
            for chunk in chunks:
                buf.append(chunk)
                n += len(chunk)
                if n >= _CHUNK:
                    pending.append(pool.submit(work, "".join(buf).encode("utf-8")))
                    buf, n = [], 0
                    while len(pending) > 4:  # bound the text waiting for the compressor
                        pending.popleft().result()
            pending.append(pool.submit(work, "".join(buf).encode("utf-8")))
        finally:
            for f in pending:
                f.result()
    parts.append(comp.flush())
    return b"".join(parts), state[0], state[1]


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _info(name: str, date_time, compress_type: int, external_attr: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = (compress_type if compress_type in (zipfile.ZIP_STORED,
                                                             zipfile.ZIP_DEFLATED)
                          else zipfile.ZIP_DEFLATED)
    info.external_attr = external_attr
    return info


__all__ = ["PART_PREFIX", "add_plan_sheets", "merge_styles", "render_scratch",
           "rels_name"]
