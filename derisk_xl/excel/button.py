"""What the "Build de-risk plan" button runs in desktop Excel, through xlwings' RunPython.

The desktop door of the press both Excel doors share (:mod:`derisk_xl.excel.press`): the open
book is gathered at once (desktop Excel answers number formats immediately), the PDF is saved
beside the workbook before any plan sheet is written through Excel, and the outcome goes on the
status bar. The workbook is not saved: the user decides that, as after any edit.

Problems in the inputs become a ``Plan Errors`` sheet and a message box listing cells; anything
unexpected becomes one short sentence in a message box with the detail in a log file. No
traceback ever reaches the user, and nothing is opened that they did not ask for.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import traceback
from pathlib import Path
from typing import Any

from .adapter import gather
from .press import PressResult, failed, press

LOG_FILE = Path(tempfile.gettempdir()) / "derisk-xl-button.log"

log = logging.getLogger(__name__)


def build_plan(today: dt.date | None = None) -> PressResult:
    """The button's entry point: ``RunPython "import derisk_xl.excel; derisk_xl.excel.build_plan()"``.

    Plans the open book, gathered at once, the PDF kept beside the workbook; the outcome on
    the status bar. Catches everything: a user sees a message box, never a Python traceback.
    """
    book = None
    try:
        import xlwings as xw

        book = xw.Book.caller()
        result = press(book, gather(book), today=today or dt.date.today(), keep_pdf=save_pdf)
        if result.status == "planned":
            book.app.status_bar = result.message
        return result
    except Exception as exc:  # the last line of defence: a sentence for the user, detail to a log
        detail = _log_failure(exc)
        if book is None:
            return PressResult("failed", message=str(exc))
        return failed(book, exc, details=f"Details: {detail}", log_failure=_log_failure)


# ---------------------------------------------------------------------------------------------
# Where the PDF goes; failures
# ---------------------------------------------------------------------------------------------


def save_pdf(book: Any, pdf: bytes) -> tuple[Path, str]:
    """Write the press's PDF where :func:`pdf_destination` says; a disk that refuses it is one
    sentence, and the press stops before any sheet changes."""
    from ..fsutil import atomic_write_bytes, os_problem

    path, note = pdf_destination(book)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, pdf)
    except OSError as exc:
        raise os_problem(exc, f"write the PDF {path}") from exc
    return path, note


def pdf_destination(book: Any) -> tuple[Path, str]:
    """Beside the workbook, named as ``derisk run`` names it. A workbook never saved (its
    fullname has no folder) or one Excel knows only by a web address (OneDrive/SharePoint that
    xlwings cannot map to a local folder) gets a temp folder instead, and a note saying so."""
    from ..pipeline import RunOptions, output_paths

    temp = Path(tempfile.gettempdir()) / "derisk-xl"
    try:
        name = str(book.fullname)
    except Exception:  # xlwings raises when it cannot find a OneDrive/SharePoint file locally
        log.warning("book.fullname failed", exc_info=True)
        name = "://" + str(book.name)
    if "://" in name:
        stem = Path(name.rsplit("/", 1)[-1]).stem or "workbook"
        return (temp / f"{stem}-derisk-plan.pdf",
                " (Excel knows this workbook only by its OneDrive/SharePoint address, so the "
                "PDF went to a temporary folder)")
    path = Path(name)
    if not path.is_absolute():
        return (temp / f"{path.stem or 'workbook'}-derisk-plan.pdf",
                " (the workbook is not saved yet, so the PDF went to a temporary folder)")
    return output_paths(path, RunOptions())[1], ""


def _log_failure(exc: BaseException, note: str = "") -> str:
    """Append the traceback to the log file; the file's path (or why it could not be written)."""
    try:
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} {note}\n")
            f.write("".join(traceback.format_exception(exc)))
        return str(LOG_FILE)
    except OSError as err:
        return f"the log {LOG_FILE} could not be written ({err})"


__all__ = ["LOG_FILE", "build_plan", "pdf_destination", "save_pdf"]
