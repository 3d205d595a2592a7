"""``derisk new PATH.xlsm``: the input workbook of ``derisk new`` plus a button that builds the plan.

The VBA is made when the command runs, from the xlwings installed on this machine (so this
repository never holds xlwings' code): xlwings' own modules, document modules for the workbook
and its sheets, and our module ``DeriskButton`` whose ``BuildDeriskPlan`` macro calls
``RunPython "import derisk_xl.excel; derisk_xl.excel.build_plan()"`` — a command that names no
workbook, so a renamed copy (``Client Smith 2026.xlsm``) keeps working.
"""

from __future__ import annotations

import re
import sys
import tempfile
import zipfile
from pathlib import Path

from .vba import MACRO_NAME, derisk_vba_project

BUTTON_CAPTION = "Build de-risk plan"
CONF_SHEET = "xlwings.conf"


def xlwings_conf(*, use_udf_server: bool = False) -> dict[str, str]:
    """The ``xlwings.conf`` sheet's settings (xlwings reads keys from A1 down, values in B).

    The interpreter of the platform running ``derisk new`` is this Python (the one that has
    derisk_xl installed); the other platform's is left empty for the user to fill in (empty
    means xlwings' default, ``python``). Delete a row to fall back to the xlwings add-in or
    ``xlwings.conf`` file settings.

    ``use_udf_server`` (Windows only; macOS ignores it): xlwings runs each press in its
    persistent COM server instead of a fresh Python, so only the first press pays for start-up,
    imports and fonts. Written either way, so the workbook behaves the same on every machine
    whatever the user's add-in says.
    """
    return {
        "Interpreter_Win": sys.executable if sys.platform.startswith("win") else "",
        "Interpreter_Mac": sys.executable if sys.platform == "darwin" else "",
        "Use UDF Server": str(bool(use_udf_server)),
        "Show Console": "False",
    }


_CODE_NAME = re.compile(rb'<(?:\w+:)?(?:sheetPr|workbookPr)\b[^>]*\bcodeName="([^"]+)"')


def code_names(path: Path) -> tuple[str, list[str]]:
    """The workbook's code name and each worksheet's, in sheet order, read from the package."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml")
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        m = _CODE_NAME.search(workbook)
        book_name = m.group(1).decode() if m else ""
        names = []
        for sheet in ET.fromstring(workbook).iterfind("m:sheets/m:sheet", ns):
            target = targets[sheet.get(f"{{{ns['r']}}}id")].lstrip("/")
            part = target if target.startswith("xl/") else "xl/" + target
            m = _CODE_NAME.search(z.read(part))
            names.append(m.group(1).decode() if m else "")
    return book_name, names


def new_macro_workbook(path: Path, *, use_udf_server: bool = False) -> None:
    """Write a macro-enabled input workbook with example rows, the xlwings.conf sheet and the
    "Build de-risk plan" button on the first sheet (``use_udf_server``: see :func:`xlwings_conf`)."""
    from ..workbook.new import new_workbook

    path = Path(path)
    conf = xlwings_conf(use_udf_server=use_udf_server)
    button = (BUTTON_CAPTION, MACRO_NAME)
    # The document modules must match the sheets' code names, which the workbook writer
    # chooses: write once with a provisional project to learn them, then for real.
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.xlsm"
        new_workbook(probe, vba_project=derisk_vba_project([]), button=button,
                     xlwings_conf=conf)
        book_name, sheet_names = code_names(probe)
    # A sheet without a code name gets its document module from Excel when first opened.
    sheet_names = [n for n in sheet_names if n]
    if len({n.upper() for n in sheet_names}) != len(sheet_names):
        raise ValueError(f"duplicate sheet code names in the new workbook: {sheet_names}")
    vba = derisk_vba_project(sheet_names, book_name or "ThisWorkbook")
    new_workbook(path, vba_project=vba, button=button, xlwings_conf=conf)
