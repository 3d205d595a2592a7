"""The plan from xlwings Lite: Python in Pyodide inside Excel (Windows, macOS, the web).

The Lite editor's ``main.py`` (written by ``derisk lite``, :data:`MAIN_PY`) holds one script::

    @script(button=...)
    async def build_plan(book: xw.Book):
        await derisk_xl.excel.lite.build_plan(book)

and this module does the press through the same adapter as the desktop button
(:mod:`derisk_xl.excel.adapter`), so the plan sheets are the same wherever the press happens.
It is async because Lite reads number formats only on demand (``await
range.get_number_format()``), and a percent-formatted cell means what it shows (SPEC 3).

Lite cannot load native libraries, so there is no PDF here (WeasyPrint needs Pango): the press
writes the plan sheets only and says so; the plan sheets carry their own print setup, so Excel's
File › Export › PDF of them is the printable document. Everything imported on this path is the
standard library and our pure modules (a test runs it with every compiled extension blocked).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from pathlib import Path
from typing import Any

from .adapter import TITLE, PressResult, apply_plan, gather_async, short, show_errors

log = logging.getLogger(__name__)

NO_PDF = ("No PDF in xlwings Lite: print the plan sheets (File › Export › PDF), or run "
          "`derisk run` on the saved workbook for the PDF report.")


async def press(book: Any, *, today: dt.date) -> PressResult:
    """Plan the open ``book``: gather, compute (no PDF), apply."""
    from ..pipeline import compute
    from ..workbook.reader import parse_inputs

    # gather
    read = parse_inputs(await gather_async(book), as_of=None, today=today)

    # compute: everything that can fail happens before the workbook is touched
    computed = compute(read, pdf=False)
    plan = computed.plan
    if plan is None:
        show_errors(book, computed.issues)
        return PressResult("invalid", issues=computed.issues)
    from .. import __version__
    from ..workbook.plan_sheets import plan_sheets

    specs = plan_sheets(plan, version=__version__)

    # apply
    apply_plan(book, specs)
    warnings = computed.issues
    message = f"De-risk plan built ({plan.status}): {len(specs)} plan sheets written."
    if warnings:
        message += f" {len(warnings)} warning(s) on Plan Summary."
    message += " " + NO_PDF
    return PressResult("planned", issues=warnings, message=message)


async def build_plan(book: Any, today: dt.date | None = None) -> PressResult:
    """The Lite script's body. Catches everything: the user sees a message box and the
    output pane's text, never a traceback in a dialog."""
    try:
        result = await press(book, today=today or dt.date.today())
        if result.status == "planned":
            print(result.message)
            _alert(book, result.message, mode="info")
        return result
    except Exception as exc:  # the last line of defence: a sentence for the user
        print("The de-risk plan could not be built; details follow.")
        print("".join(traceback.format_exception(exc)))
        _alert(book, f"The de-risk plan could not be built: {short(exc)}\n\nNothing in the input "
                     "sheets was changed. The details are in xlwings Lite's output pane.",
               mode="critical")
        return PressResult("failed", message=str(exc))


def _alert(book: Any, prompt: str, *, mode: str) -> None:
    try:
        book.app.alert(prompt, title=TITLE, mode=mode)
    except Exception:  # an older client without alerts: the output pane has said it
        log.info("no message box", exc_info=True)


# ---------------------------------------------------------------------------------------------
# What to paste into the Lite editor (``derisk lite``)
# ---------------------------------------------------------------------------------------------

DEFAULT_BUTTON = "[DeriskButton]Holdings!J1"

MAIN_PY = '''\
"""derisk_xl in xlwings Lite: press the sheet button (or run build_plan in the task pane).

Writes the six plan sheets into this workbook, as `derisk run` and the desktop button do.
No PDF here (WeasyPrint cannot run inside Excel): print the plan sheets instead
(File > Export > PDF), or run `derisk run` on the saved workbook for the PDF report.
Made by `derisk lite` of derisk-xl {version}.
"""

import xlwings as xw
from xlwings import script

import derisk_xl.excel.lite


# The sheet button: a shape named DeriskButton whose hyperlink points at the cell below.
# Rename the shape or move the link? Change this line to match.
@script(button="{button}", show_taskpane=False)
async def build_plan(book: xw.Book):
    await derisk_xl.excel.lite.build_plan(book)
'''


def main_py(button: str = DEFAULT_BUTTON) -> str:
    """The ``main.py`` to paste into the Lite editor."""
    from .. import __version__

    if '"' in button or "\\" in button or "\n" in button:
        raise ValueError(f"a button reference has no quotes, backslashes or line breaks: {button!r}")
    return MAIN_PY.format(version=__version__, button=button)


def requirements_txt(xlwings_version: str | None = None) -> str:
    """The ``requirements.txt`` to paste into the Lite editor: pure-Python wheels only.

    derisk-xl's own native and heavy dependencies (WeasyPrint, python-calamine, Dask,
    msoffcrypto-tool, rich, openpyxl, XlsxWriter) carry the marker ``sys_platform !=
    "emscripten"``, so micropip, which evaluates markers in Pyodide, installs none of them.
    xlwings is pinned to the version these files were tested with (the one installed here).
    """
    from .. import __version__

    if xlwings_version is None:
        xlwings_version = _installed("xlwings")
    lines = [f"xlwings=={xlwings_version}" if xlwings_version else "xlwings",
             f"derisk-xl=={__version__}"]
    return "\n".join(lines) + "\n"


def _installed(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def write_files(folder: Path, button: str = DEFAULT_BUTTON) -> tuple[Path, Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``folder`` (made if missing)."""
    from ..fsutil import atomic_write_bytes

    folder.mkdir(parents=True, exist_ok=True)
    main, reqs = folder / "main.py", folder / "requirements.txt"
    atomic_write_bytes(main, main_py(button).encode("utf-8"))
    atomic_write_bytes(reqs, requirements_txt().encode("utf-8"))
    return main, reqs


__all__ = ["DEFAULT_BUTTON", "MAIN_PY", "NO_PDF", "build_plan", "main_py", "press",
           "requirements_txt", "write_files"]
