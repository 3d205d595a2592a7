"""The plan sheets rendered by XlsxWriter into a scratch workbook in memory.

XlsxWriter writes what Excel writes (tables, number formats, the chart); the parts of the
scratch workbook the plan sheets need are then renamed and copied into the user's package
(:mod:`.splice`). The data rows of big tables (:data:`STREAM_ROWS` rows or more) are left out
here and written later as text (:mod:`.rows`): XlsxWriter's cell-by-cell path cost ~40 s for a
100,000-position plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from ..grid import column_letter
from ..parts import relationships
from ..plan_sheets import (NUMBER_FORMATS, TABLE_STYLE, WRAPPED_KINDS, Block, PrintSetup,
                           SheetSpec, block_row_heights)
from .xml_edit import MAIN_NS, REL_NS, local

#: Blocks with at least this many data rows are streamed as text instead of written cell by
#: cell through XlsxWriter (~10 µs a cell there: 100,000 trades took most of a minute). Blocks
#: a chart reads stay with XlsxWriter, which fills the chart's cached values from them.
STREAM_ROWS = 50


@dataclass
class Generated:
    """The scratch workbook's parts that the plan sheets need.

    ``streamed`` lists, per scratch sheet, the blocks whose data rows XlsxWriter did not write:
    :func:`.rows.stream_rows` writes them as text once the final style ids are known.
    ``kind_xf`` is the scratch cell-format index of each number-format kind those rows use.
    """

    parts: dict[str, bytes]  # scratch part name → bytes
    content_types: dict[str, str]  # scratch part name → content type
    sheets: list[str]  # scratch worksheet parts, in tab order
    styles: bytes
    streamed: dict[str, tuple[Block, ...]] = field(default_factory=dict)
    kind_xf: dict[str, int] = field(default_factory=dict)
    heights: dict[str, dict[int, float]] = field(default_factory=dict)  # streamed rows'


def generated(specs: tuple[SheetSpec, ...], table_names: tuple[tuple[str, str], ...]
              ) -> Generated:
    """Render the scratch parts, streaming blocks of :data:`STREAM_ROWS` rows or more; small
    plans through a cache (a batch of copies of one plan renders once), big ones not: hashing
    100,000 rows costs more than the cache saves."""
    if sum(len(b.rows) for s in specs for b in s.blocks) > 5_000:
        return _generate(specs, table_names, STREAM_ROWS)
    return _generated_cached(specs, table_names, STREAM_ROWS)


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


_generated_cached = functools.lru_cache(maxsize=2)(_generate)


def _scratch_parts(scratch: bytes) -> Generated:
    zf = zipfile.ZipFile(io.BytesIO(scratch))
    parts = {n: zf.read(n) for n in zf.namelist()}
    ct_root = ET.fromstring(parts["[Content_Types].xml"])
    cts = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
           for o in ct_root if local(o.tag) == "Override"}
    by_id = {r.id: r.target
             for r in relationships(parts["xl/_rels/workbook.xml.rels"], "xl/workbook.xml")}
    wb = ET.fromstring(parts["xl/workbook.xml"])
    sheets = [by_id[s.get(f"{{{REL_NS}}}id")] for s in wb.iter(f"{{{MAIN_NS}}}sheet")]
    return Generated(parts, cts, sheets, parts["xl/styles.xml"])


# ---------------------------------------------------------------------------------------------
# Which blocks stream
# ---------------------------------------------------------------------------------------------


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


def _kinds_of(block: Block) -> set[str]:
    kinds = {"text", "date"}
    if block.kinds is not None:
        return kinds | {k for row in block.kinds for k in row}
    return kinds | {c.kind for c in block.columns}


# ---------------------------------------------------------------------------------------------
# The render
# ---------------------------------------------------------------------------------------------


def render_scratch(specs: Iterable[SheetSpec], table_names: dict[str, str] | None = None,
                   stream_rows: int | None = None) -> bytes:
    """Write ``specs`` with XlsxWriter into an in-memory workbook; returns its bytes.

    With ``stream_rows``, blocks of that many rows or more get only their table frame (the
    data rows are :mod:`.rows`' job); by default every cell is written.
    """
    return _render(specs, table_names or {}, stream_rows)[0]


class _Formats:
    """The scratch workbook's cell formats; a number-format kind's is made when first used."""

    def __init__(self, wb, number_formats=NUMBER_FORMATS):
        self._wb = wb
        self._number_formats = number_formats  # one plan's sheets: one currency, one format
        self._kinds: dict[str, object] = {}
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.heading = wb.add_format({"bold": True, "font_size": 14})

    def kind(self, kind: str):
        if kind not in self._kinds:
            # top-aligned, so a row made tall by a wrapped reason still reads across
            props = {"num_format": self._number_formats[kind], "valign": "top"}
            if kind in WRAPPED_KINDS:
                props["text_wrap"] = True
            self._kinds[kind] = self._wb.add_format(props)
        return self._kinds[kind]


def _render(specs: Iterable[SheetSpec], table_names: dict[str, str], stream_rows: int | None
            ) -> tuple[bytes, dict[str, int]]:
    """The scratch workbook's bytes, and the cell-format index of each kind streamed rows use."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "nan_inf_to_errors": True,
    })
    specs = tuple(specs)
    formats = _Formats(wb, specs[0].number_formats if specs else NUMBER_FORMATS)
    stream_kinds: set[str] = set()
    for spec in specs:
        ws = wb.add_worksheet(spec.name)
        streamed = streamed_blocks(spec, stream_rows) if stream_rows is not None else ()
        for i, w in enumerate(spec.widths):
            ws.set_column(i, i, w)
        for r, line in enumerate(spec.heading):
            if line:
                ws.write_string(r, 0, line, formats.heading if r == 0 else None)
        for block in spec.blocks:
            _write_block(ws, block, spec.widths, formats, table_names, block in streamed)
            if block in streamed:
                stream_kinds |= _kinds_of(block)
        if spec.freeze_rows:
            ws.freeze_panes(spec.freeze_rows, 0)
        if spec.print_setup is not None:  # its print area and title rows are defined names,
            page_setup(ws, spec.print_setup)  # written into the user's workbook part later
        if spec.chart is not None:
            _insert_chart(wb, ws, spec.chart)
    # The streamed rows' formats must exist in styles.xml although XlsxWriter wrote no cell
    # with them: ask for their index as a written cell would (XlsxWriter numbers a format the
    # first time a cell uses it; this is the same call, made ahead).
    kind_xf = {k: formats.kind(k)._get_xf_index() for k in sorted(stream_kinds)}
    wb.close()
    return buf.getvalue(), kind_xf


def _write_block(ws, block: Block, widths: tuple[float, ...], formats: _Formats,
                 table_names: dict[str, str], streamed: bool) -> None:
    """A block's title and Excel Table, and its cells unless its rows are streamed."""
    x = block.left
    if block.title:
        ws.write_string(block.top, x, block.title, formats.title)
    h = block.header_row
    # A streamed block's table is added over its header and first row only (XlsxWriter marks
    # every cell of a table's range, ~1 µs each); _generate widens its ref.
    last = h + 1 if streamed else h + block.data_rows
    ws.add_table(h, x, last, block.right, {
        "name": table_names.get(block.table, block.table),
        "style": TABLE_STYLE,
        "columns": [{"header": c.name, "header_format": formats.bold} for c in block.columns],
    })
    if streamed:
        return
    for row, height in block_row_heights(block, widths).items():
        ws.set_row(row, height)
    fmt = formats.kind
    for r, row in enumerate(block.rows):
        for c, value in enumerate(row):
            kind = block.kind(r, c)
            if isinstance(value, Decimal):  # Decimal → float at the very edge
                value = float(value)
            if value is None or value == "":
                ws.write_blank(h + 1 + r, x + c, None, fmt(kind))
            elif isinstance(value, str):
                ws.write_string(h + 1 + r, x + c, value,
                                fmt(kind if kind in WRAPPED_KINDS else "text"))
            elif isinstance(value, dt.date):
                ws.write_datetime(h + 1 + r, x + c,
                                  dt.datetime(value.year, value.month, value.day), fmt("date"))
            else:
                ws.write_number(h + 1 + r, x + c, value, fmt(kind))


def _insert_chart(wb, ws, ch) -> None:
    chart = wb.add_chart({"type": "bar"})
    for name, values in ch.series:
        chart.add_series({"name": name, "categories": "=" + ch.categories,
                          "values": "=" + values})
    chart.set_title({"name": ch.title})
    chart.set_size({"width": ch.size[0], "height": ch.size[1]})
    ws.insert_chart(ch.anchor[0], ch.anchor[1], chart)


def page_setup(ws, setup: PrintSetup, *, names: bool = False) -> None:
    """An XlsxWriter sheet's print settings: orientation, fit to pages, header and footer.

    With ``names`` its print area (when it has one) and title rows too, which XlsxWriter
    writes as the workbook's defined names: the input workbook of ``derisk new``. The plan
    sheets' are spliced into the user's workbook part instead, beside the user's own names.
    """
    if setup.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(setup.fit_width, setup.fit_height)
    ws.set_header(setup.codes(setup.header))
    ws.set_footer(setup.codes(setup.footer))
    if names:
        if setup.area is not None:
            ws.print_area(setup.area)
        first, last = (int(r.strip("$")) - 1 for r in setup.title_rows.split(":"))
        ws.repeat_rows(first, last)
