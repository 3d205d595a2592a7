"""Streamed rows: the data rows of a big plan table written as ``<row>`` text.

XlsxWriter writes a cell in ~10 µs; a 100,000-trade plan took most of a minute that way. The
blocks :func:`.scratch.streamed_blocks` picks get only their table frame from XlsxWriter, and
their rows are written here, as text, straight into the zip entry (:func:`.archive.write_zip`
deflates them while they are made), with the style ids the merged styles part gives them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Iterator

from ..grid import column_letter, coordinate, parse_coordinate
from ..plan_sheets import WRAPPED_KINDS, Block

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
