"""The plan from xlwings Lite: Python in Pyodide inside Excel (Windows, macOS, the web).

The Lite editor's ``main.py`` (written by ``derisk lite``, :data:`MAIN_PY`) holds one script::

    @script(button=...)
    async def build_plan(book: xw.Book):
        await derisk_xl.excel.lite.build_plan(book)

and this module is the Lite door of the press the desktop button runs too
(:mod:`derisk_xl.excel.press`), so the plan sheets are the same wherever the press happens.
It is async because Lite reads number formats only on demand (``await
range.get_number_format()``), and a percent-formatted cell means what it shows (SPEC 3).

Lite cannot load native libraries, so there is no PDF here (WeasyPrint needs Pango): the press
writes the plan sheets only and says so; the plan sheets carry their own print setup, so Excel's
File › Export › PDF of them is the printable document. Everything imported on this path is the
standard library and our pure modules (a test runs it with every compiled extension blocked).
"""

from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from .adapter import gather_async
from .press import PressResult, alert, failed, press

NO_PDF = ("No PDF in xlwings Lite: print the plan sheets (File › Export › PDF), or run "
          "`derisk run` on the saved workbook for the PDF report.")


async def build_plan(book: Any, today: dt.date | None = None) -> PressResult:
    """The Lite script's body: the open book gathered on demand, planned without a PDF.
    Catches everything: the user sees a message box and the output pane's text, never a
    traceback in a dialog."""
    try:
        result = press(book, await gather_async(book), today=today or dt.date.today())
        if result.status == "planned":
            result = replace(result, message=f"{result.message} {NO_PDF}")
            print(result.message)
            alert(book, result.message, mode="info")
        return result
    except Exception as exc:  # the last line of defence: a sentence for the user
        print("The de-risk plan could not be built; details follow.")
        _print_failure(exc)
        return failed(book, exc, details="The details are in xlwings Lite's output pane.",
                      log_failure=_print_failure)


def _print_failure(exc: BaseException, note: str = "") -> None:
    """The detail of a failure, in xlwings Lite's output pane (its only log)."""
    if note:
        print(note)
    print("".join(traceback.format_exception(exc)))


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


__all__ = ["DEFAULT_BUTTON", "MAIN_PY", "NO_PDF", "build_plan", "main_py", "requirements_txt",
           "write_files"]
