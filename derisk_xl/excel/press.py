"""The one press behind both Excel doors: gather, compute, then the problems or the plan.

The desktop button (:mod:`derisk_xl.excel.button`, RunPython) and xlwings Lite
(:mod:`derisk_xl.excel.lite`, Pyodide) differ only in how they gather the open book (Lite reads
number formats only on demand, so it gathers asynchronously) and in what they keep beside the
plan sheets (the desktop writes the PDF beside the workbook; Lite cannot render one). Both then
call :func:`press` with what they gathered, and :func:`failed` when something unexpected
happens, so the plan sheets, the ``Plan Errors`` sheet and every message are the same wherever
the press happens.

Nothing here imports anything but the standard library and our pure modules, so it runs in
Pyodide (a test runs the Lite press with every compiled extension blocked).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..core.issues import Issue
from ..workbook.grid import WorkbookGrid
from .adapter import TITLE, apply_plan, remove_stale_plan, show_errors

log = logging.getLogger(__name__)

#: What the desktop door does with the PDF's bytes: writes them, and says where (with a note
#: when it is not beside the workbook).
KeepPdf = Callable[[Any, bytes], tuple[Path, str]]

#: Where a door puts the detail of an unexpected failure: (exception, what was being done).
LogFailure = Callable[[BaseException, str], object]


@dataclass(frozen=True)
class PressResult:
    """What a press did: ``planned`` with the PDF's path (None in xlwings Lite) and any
    warnings, ``invalid`` with the problems in the inputs, or ``failed`` with the unexpected
    error's text. ``message`` is what the user is told."""

    status: str
    pdf: Path | None = None
    issues: tuple[Issue, ...] = ()
    message: str = ""


def press(book: Any, grid: WorkbookGrid, *, today: dt.date,
          keep_pdf: KeepPdf | None = None) -> PressResult:
    """Plan the open ``book`` from its gathered ``grid``: compute, then apply.

    Everything that can fail happens before the book is touched; ``keep_pdf`` (without it no
    PDF is rendered) runs before any sheet changes, so a disk that refuses the PDF stops the
    press first. Problems in the inputs go on a ``Plan Errors`` sheet, never a traceback.
    """
    from ..pipeline import compute
    from ..workbook.reader import parse_inputs

    read = parse_inputs(grid, as_of=None, today=today)
    computed = compute(read, pdf=keep_pdf is not None)
    plan = computed.plan
    if plan is None:
        show_errors(book, computed.issues)
        return PressResult("invalid", issues=computed.issues)
    from .. import __version__
    from ..workbook.plan_sheets import plan_sheets

    specs = plan_sheets(plan, version=__version__)
    pdf, note = keep_pdf(book, computed.pdf) if keep_pdf is not None else (None, "")
    apply_plan(book, specs)
    warnings = computed.issues
    message = f"De-risk plan built ({plan.status}): {len(specs)} plan sheets written."
    if pdf is not None:
        message += f" PDF: {pdf}{note}."
    if warnings:
        message += f" {len(warnings)} warning(s) on Plan Summary."
    return PressResult("planned", pdf=pdf, issues=warnings, message=message)


def failed(book: Any, exc: BaseException, *, details: str, log_failure: LogFailure,
           ) -> PressResult:
    """A press that failed unexpectedly: an earlier plan is taken away too (it would look
    current), and the user gets one sentence in a message box; ``details`` says where the
    door keeps the rest, which ``log_failure`` puts there."""
    try:
        removed = remove_stale_plan(book)
    except Exception as err:
        log_failure(err, "could not remove the previous plan sheets")
        removed = []
    gone = f" The previous plan's sheets ({', '.join(removed)}) were removed." if removed else ""
    alert(book, f"The de-risk plan could not be built: {short(exc)}\n\nNothing in the input "
                f"sheets was changed.{gone} {details}", mode="critical", log_failure=log_failure)
    return PressResult("failed", message=str(exc))


def alert(book: Any, prompt: str, *, mode: str, log_failure: LogFailure | None = None) -> None:
    """A message box of ours. An Excel that cannot show one (an older Lite client) is told
    elsewhere too, so its refusal is logged (``log_failure``, else this module's log), never
    raised."""
    try:
        book.app.alert(prompt, title=TITLE, mode=mode)
    except Exception as err:
        if log_failure is None:
            log.info("no message box", exc_info=True)
        else:
            log_failure(err, "could not show the message box either")


def short(exc: BaseException) -> str:
    """An exception as one sentence for a message box."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "…"


__all__ = ["PressResult", "alert", "failed", "press", "short"]
