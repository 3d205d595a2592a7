"""What the "Build de-risk plan" button runs in desktop Excel, through xlwings' RunPython.

The three steps of every entry point, through the adapter both Excel doors share
(:mod:`derisk_xl.excel.adapter`): gather (every worksheet but the plan sheets, read in bulk into
a :class:`WorkbookGrid`), compute (``parse_inputs``, ``make_plan``, the plan sheets as data and
the PDF — all before anything is written), apply (the plan sheets written through Excel, so
Excel itself keeps every other part of the workbook; the PDF saved beside the workbook). The
workbook is not saved: the user decides that, as after any edit. xlwings Lite presses the same
adapter without the PDF (:mod:`derisk_xl.excel.lite`).

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

from .adapter import (
    ERRORS_SHEET, TITLE, PressResult, after_failure, apply_plan, gather, short,
    show_errors, write_sheet,
)

LOG_FILE = Path(tempfile.gettempdir()) / "derisk-xl-button.log"

log = logging.getLogger(__name__)

read_grid = gather  # the name the button's tests know


def build_plan(today: dt.date | None = None) -> PressResult | None:
    """The button's entry point: ``RunPython "import derisk_xl.excel; derisk_xl.excel.build_plan()"``.

    Catches everything: a user sees a message box, never a Python traceback.
    """
    book = None
    try:
        import xlwings as xw

        book = xw.Book.caller()
        return press(book, today=today or dt.date.today())
    except Exception as exc:  # the last line of defence: a sentence for the user, detail to a log
        detail = _log_failure(exc)
        if book is not None:
            gone = after_failure(book, lambda err: _log_failure(
                err, note="could not remove the previous plan sheets"))
            try:
                book.app.alert(
                    f"The de-risk plan could not be built: {short(exc)}\n\n"
                    f"Nothing in the input sheets was changed.{gone} Details: {detail}",
                    title=TITLE, mode="critical")
            except Exception:
                _log_failure(exc, note="could not show the message box either")
        return PressResult("failed", message=str(exc))


def press(book: Any, *, today: dt.date) -> PressResult:
    """Plan the open ``book``: gather, compute, apply."""
    from ..pipeline import compute
    from ..workbook.reader import parse_inputs

    # gather
    read = parse_inputs(gather(book), as_of=None, today=today)

    # compute: everything that can fail happens before the workbook is touched
    computed = compute(read)
    plan = computed.plan
    if plan is None:
        show_errors(book, computed.issues)
        return PressResult("invalid", issues=computed.issues)
    from .. import __version__
    from ..workbook.plan_sheets import plan_sheets

    specs = plan_sheets(plan, version=__version__)
    pdf_path, note = pdf_destination(book)

    # apply: the PDF first, so a disk that refuses it stops the press before a sheet changes
    from ..fsutil import atomic_write_bytes, os_problem

    try:
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(pdf_path, computed.pdf)
    except OSError as exc:
        raise os_problem(exc, f"write the PDF {pdf_path}") from exc
    apply_plan(book, specs)
    warnings = computed.issues
    message = f"De-risk plan built ({plan.status}). PDF: {pdf_path}{note}"
    if warnings:
        message += f" — {len(warnings)} warning(s) on Plan Summary."
    book.app.status_bar = message
    return PressResult("planned", pdf=pdf_path, issues=warnings, message=message)


# ---------------------------------------------------------------------------------------------
# Where the PDF goes; failures
# ---------------------------------------------------------------------------------------------


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


__all__ = ["ERRORS_SHEET", "LOG_FILE", "PressResult", "TITLE", "build_plan", "pdf_destination",
           "press", "read_grid", "show_errors", "write_sheet"]
