"""The cell scan: values through python-calamine, and the few facts calamine does not give.

Percent number formats, Excel error values, formulas with no cached value and hidden rows come
from one streaming pass over each sheet part that is scanned (a byte-level fast path, expat
when the fast path declines). The result is a :class:`WorkbookGrid`, the neutral picture the
Excel button builds too, so everything after this reads the same whoever loaded the book.
"""


from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path

from ..core.issues import Issue
from .grid import (
    ERROR_CODES, ExcelError, SheetGrid, TableRef, WorkbookGrid, coordinate, parse_coordinate,
    sheet_ref,
)
from .headers import may_hold_holdings
from .source import (
    Refused, _plain, file_issue, local_name, open_workbook, package_bounds, part_rels,
    skim_sheet,
)
from .vocabulary import INPUT_NORMS, PLAN_NORMS, norm

_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}
#: Excel's built-in date and time formats: a number in such a cell that calamine did not turn
#: into a date is a serial past year 9999, not a quantity (typed.CellReader.number says so).
_BUILTIN_DATES = {i: "yyyy-mm-dd" for i in (*range(14, 23), *range(27, 37), 45, 46, 47,
                                             *range(50, 59))}

def _number_formats(zf, workbook_part: str) -> dict[int, str]:
    """Style index → format code, for the styles whose format shows a percentage or a date
    (a percent cell holds a fraction; a date cell is no quantity)."""
    import xml.etree.ElementTree as ET

    styles = next((t for t in part_rels(zf, workbook_part).values() if t.endswith("styles.xml")),
                  None)
    if styles is None:
        return {}
    try:
        root = ET.fromstring(zf.read(styles))
    except KeyError:
        return {}
    codes = {**_BUILTIN_DATES, **_BUILTIN_PERCENT}
    out: dict[int, str] = {}
    for el in root:
        tag = local_name(el.tag)
        if tag == "numFmts":
            for nf in el:
                try:
                    codes[int(nf.get("numFmtId", "-1"))] = nf.get("formatCode", "")
                except ValueError:
                    pass
        elif tag == "cellXfs":
            for index, xf in enumerate(el):
                try:
                    code = codes.get(int(xf.get("numFmtId", "0")))
                except ValueError:
                    code = None
                if code and (is_percent_format(code) or is_date_format(code)):
                    out[index] = code
    return out


def is_date_format(code: str) -> bool:
    """A number format that shows a date or time: y, m, d, h or s outside quotes, escapes and
    brackets (``[Red]``, ``[$-409]``), and no ``%``."""
    stripped = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" not in stripped and bool(re.search(r"[ymdhsYMDHS]", stripped)) \
        and stripped.strip().lower() != "general"


def is_percent_format(code: str) -> bool:
    """A number format that shows a percentage: a ``%`` outside quotes and escapes."""
    stripped = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in stripped


@dataclass
class _SheetScan:
    errors: dict[tuple[int, int], str]
    uncached: list[tuple[int, int]]
    formats: dict[tuple[int, int], str]
    hidden: set[int]


def _scan_sheet(zf, part: str, shown_styles: dict[int, str]) -> _SheetScan:
    """One expat pass over a worksheet part for what calamine does not report."""
    scan = _SheetScan({}, [], {}, set())
    styles = {str(k): v for k, v in shown_styles.items()}
    parser = xml.parsers.expat.ParserCreate()
    state = {"row": -1, "col": -1, "cell": None, "f": False, "v": False, "err": False,
             "str": False, "text": []}

    def refuse(*_args):
        raise Refused(f"the worksheet part {part} declares a DTD")

    def chars(data):
        state["text"].append(data)

    def start(name, attrs):
        tag = name.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                try:
                    row, col = parse_coordinate(ref)
                except ValueError:
                    row, col = state["row"], state["col"] + 1
            else:
                row, col = state["row"], state["col"] + 1
            state["row"], state["col"] = row, col
            state["cell"] = (row, col)
            state["f"] = state["v"] = False
            state["err"] = attrs.get("t") == "e"
            state["str"] = attrs.get("t") == "str"
            s = attrs.get("s")
            if s is not None and s in styles:
                scan.formats[(row, col)] = styles[s]
        elif tag == "row":
            r = attrs.get("r")
            state["row"] = int(r) - 1 if r and r.isdigit() else state["row"] + 1
            state["col"] = -1
            if attrs.get("hidden") in ("1", "true"):
                scan.hidden.add(state["row"])
        elif tag == "f":
            state["f"] = True
        elif tag == "v" or tag == "is":
            if state["err"] or state["f"]:
                state["text"] = []
                parser.CharacterDataHandler = chars

    def end(name):
        tag = name.rpartition(":")[2]
        if tag == "v" or tag == "is":
            if parser.CharacterDataHandler is not None:
                parser.CharacterDataHandler = None
                text = "".join(state["text"]).strip()
                if text or state["str"]:  # a string result may be empty or blank
                    state["v"] = True
                    if state["err"]:
                        scan.errors[state["cell"]] = text
        elif tag == "c":
            if state["f"] and not state["v"] and not state["err"]:
                scan.uncached.append(state["cell"])
            elif state["err"] and not state["v"]:
                scan.errors[state["cell"]] = "#N/A"

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(skim_sheet(zf, part), False)  # the cells only: what follows is never parsed
    return scan


_ODD_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)")
_ATTR_R = re.compile(rb'\sr="([A-Za-z]{1,3}[0-9]+)"')
_V_TEXT = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)</(?:[\w.-]+:)?v>")


def _scan_fast(data: bytes, shown_styles: dict[int, str]) -> _SheetScan | None:
    """The same facts as :func:`_scan_sheet` from a few anchored regular expressions.

    About ten times faster on a large sheet. Cell markup in sheetData is regular (text never
    holds a literal ``<``), so the patterns are exact there; anything unusual — CDATA, comments,
    a cell or hidden row without its ``r`` reference — returns None and the caller falls back to
    the expat scan.
    """
    if b"<![CDATA[" in data or b"<!--" in data or _ODD_ENTITY.search(data):
        return None
    m = re.search(rb"<([\w.-]+:)?sheetData\b", data)
    scan = _SheetScan({}, [], {}, set())
    if m is None:
        return scan
    start = m.start()
    P = re.escape(m.group(1) or b"")

    def ref_of(tag: bytes) -> tuple[int, int] | None:
        found = _ATTR_R.search(tag)
        return parse_coordinate(found.group(1).decode()) if found else None

    hidden = re.compile(rb"<" + P + rb"row(?:\s[^>]*?)?\shidden=\"(?:1|true)\"[^>]*>")
    for hm in hidden.finditer(data, start):
        ref = re.search(rb'\sr="([0-9]+)"', hm.group(0))
        if ref is None:
            return None
        scan.hidden.add(int(ref.group(1)) - 1)
    if shown_styles:
        ids = b"|".join(str(i).encode() for i in sorted(shown_styles))
        styled = re.compile(rb"<" + P + rb"c(?:\s[^>]*?)?\ss=\"(" + ids + rb")\"[^>]*>")
        for cm in styled.finditer(data, start):
            at = ref_of(cm.group(0))
            if at is None:
                return None
            scan.formats[at] = shown_styles[int(cm.group(1))]
    formula = rb"<" + P + rb"f\b[^>]*?(?:/>|>[^<]*</" + P + rb"f>)"
    if re.compile(rb"<" + P + rb"f[\s>/]").search(data, start):
        uncached = re.compile(rb"<" + P + rb"c(\s[^>]*)?>\s*" + formula +
                              rb"\s*(<" + P + rb"v(?:\s[^>]*)?/>|<" + P + rb"v(?:\s[^>]*)?>"
                              rb"\s*</" + P + rb"v>)?\s*</" + P + rb"c>")
        for um in uncached.finditer(data, start):
            tag = um.group(1) or b""
            if b't="e"' in tag or (um.group(2) and b't="str"' in tag):
                continue  # an error, or a cached empty string
            at = ref_of(tag)
            if at is None:
                return None
            scan.uncached.append(at)
    errors = re.compile(rb"<" + P + rb"c((?:\s[^>]*?)?\st=\"e\"[^>]*?)(/?)>")
    for em in errors.finditer(data, start):
        at = ref_of(em.group(1))
        if at is None:
            return None
        code = b""
        if not em.group(2):
            end = data.find(b"</" + (m.group(1) or b"") + b"c>", em.end())
            v = _V_TEXT.search(data, em.end(), end if end >= 0 else len(data))
            code = v.group(1).strip() if v else b""
        scan.errors[at] = code.decode("utf-8", "replace") or "#N/A"
    return scan


class CalaminePanic(Exception):
    """calamine panicked (PyO3's PanicException derives from BaseException, so no ``except
    Exception`` would catch it); re-raised as an ordinary exception of ours."""


def _calamine(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except Exception:
        raise
    except BaseException as exc:  # PanicException; KeyboardInterrupt and SystemExit pass
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        text = str(exc)
        if "TimeDelta" in text or "date" in text.lower():
            raise CalaminePanic("a cell formatted as a date holds a number far outside Excel's "
                                "dates") from None
        raise CalaminePanic("the reader met a value it cannot handle") from None


def _open_book(pc, source, *, load_tables: bool):
    if isinstance(source, str):
        return _calamine(pc.CalamineWorkbook.from_path, source, load_tables=load_tables)
    source.seek(0)
    return _calamine(pc.CalamineWorkbook.from_filelike, source, load_tables=load_tables)


def _is_input_name(name: str) -> bool:
    return norm(name) in INPUT_NORMS


def _sheets_to_read(book, sheet_names: tuple[str, ...]) -> list[str]:
    """Every worksheet but our own plan sheets: the holdings may be on any of them (SPEC 3.9).
    Chart and macro sheets hold no cells to read."""
    try:
        kinds = {m.name: str(m.typ) for m in _calamine(lambda: book.sheets_metadata)}
    except Exception:  # an older calamine without metadata: read every sheet
        kinds = {}
    return [s for s in sheet_names if norm(s) not in PLAN_NORMS
            and kinds.get(s, "WorkSheet").endswith("WorkSheet")]


def load_grid(path: Path) -> tuple[WorkbookGrid | None, tuple[Issue, ...]]:
    """Read the workbook at ``path`` into a grid, or say (as issues) why it cannot be read."""
    return open_workbook(path, load_cells)


def load_cells(path: Path, zf, workbook_part: str) -> tuple[WorkbookGrid | None, tuple[Issue, ...]]:
    """Every worksheet's values; the facts calamine lacks only for the sheets that can hold
    inputs (named as an input sheet, or with a header naming an asset, a quantity and a price
    or value), so a tracker of many sheets costs little more than its values."""
    import python_calamine as pc

    name = path.name
    bounds = package_bounds(path, zf, workbook_part)
    try:
        book = _open_book(pc, bounds.source, load_tables=True)
    except (pc.CalamineError, CalaminePanic):
        try:
            book = _open_book(pc, bounds.source, load_tables=False)
        except pc.PasswordError:
            return file_issue(f"{name} is password-protected; remove the password in Excel.")
        except (pc.CalamineError, CalaminePanic) as exc:
            return file_issue(f"{name} could not be read as an Excel workbook ({_plain(exc)}). "
                               "Open it in Excel and save it again.")
    with book:
        sheet_names = tuple(book.sheet_names)
        tables: list[TableRef] = []
        try:
            table_names = _calamine(lambda: book.table_names) or []
        except (pc.CalamineError, CalaminePanic):
            table_names = []
        for tname in table_names:
            if tname in bounds.bad_tables:  # never asked of calamine: it would abort or panic
                if _is_input_name(tname):
                    return file_issue(bounds.bad_tables[tname])
                continue
            if tname in bounds.empty_tables:  # its header alone: calamine would panic too
                if _is_input_name(tname):
                    tables.append(bounds.empty_tables[tname])
                continue
            try:
                t = _calamine(book.get_table_by_name, tname)
            except (pc.CalamineError, CalaminePanic):
                continue
            if t.start is None or t.end is None:
                continue
            # calamine's start/end cover the data; the header row sits just above it
            tables.append(TableRef(t.name, t.sheet, max(t.start[0] - 1, 0), t.start[1],
                                   t.end[0], t.end[1]))
        wanted = _sheets_to_read(book, sheet_names)
        parts = bounds.sheets
        shown_styles = _number_formats(zf, workbook_part) if wanted else {}
        sheets = []
        skipped: list[Issue] = []
        uncached: set[str] = set()
        for sname in wanted:
            if sname in bounds.too_big:  # never asked of calamine: it would abort
                if _is_input_name(sname):
                    return file_issue(bounds.too_big[sname])
                skipped.append(Issue(sname, bounds.too_big[sname] + " It was not read.",
                                     "warning"))
                continue
            try:
                sheet = _calamine(book.get_sheet_by_name, sname)
                raw = _calamine(sheet.to_python, skip_empty_area=False)  # dates can panic
                merged_raw = _calamine(lambda: sheet.merged_cell_ranges) or []
            except (pc.CalamineError, CalaminePanic) as exc:
                if not _is_input_name(sname):
                    continue  # a sheet the holdings may be on, but cannot: the finder says so
                return file_issue(f"{name}: the sheet {sname!r} could not be read "
                                   f"({_plain(exc)}). Open the file in Excel and save it again.")
            part = parts.get(sname)
            scan = None
            if part in zf.NameToInfo and (_is_input_name(sname) or may_hold_holdings(raw)):
                skim = bounds.skims.pop(part, None) or skim_sheet(zf, part)
                scan = _scan_fast(skim, shown_styles)
                del skim
                if scan is None:
                    try:
                        scan = _scan_sheet(zf, part, shown_styles)
                    except xml.parsers.expat.ExpatError as exc:  # e.g. an undefined entity
                        message = (f"{name}: the sheet {sname!r} is not well-formed XML ({exc});"
                                   " open the file in Excel and save it again.")
                        if _is_input_name(sname):
                            return file_issue(message)
                        skipped.append(Issue(sname, message, "warning"))
            rows = [[None if v == "" else v for v in r] for r in raw]
            if scan is not None:
                for (r, c), code in scan.errors.items():
                    while len(rows) <= r:
                        rows.append([])
                    row = rows[r]
                    if len(row) <= c:
                        row.extend([None] * (c + 1 - len(row)))
                    row[c] = ExcelError(code if code in ERROR_CODES else code or "#N/A")
                uncached.update(sheet_ref(sname, coordinate(r, c)) for r, c in scan.uncached)
            merged = tuple((a[0], a[1], b[0], b[1]) for a, b in merged_raw)
            sheets.append(SheetGrid(
                name=sname, rows=tuple(map(tuple, rows)),
                number_formats=scan.formats if scan else {},
                hidden_rows=frozenset(scan.hidden) if scan else frozenset(), merged=merged,
            ))
    return WorkbookGrid(sheets=tuple(sheets), sheet_names=sheet_names, tables=tuple(tables),
                        uncached_formulas=frozenset(uncached), source=name), tuple(skipped)
