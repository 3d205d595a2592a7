"""One workbook in a worker of the local pool: planned through the pipeline, turned into its
summary row, never raising for the workbook's sake; and the worker's warm-up (the heavy modules,
the report renderer) before its first workbook."""

from __future__ import annotations

import signal
import time
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from ..core.issues import EnvironmentProblem
from ..pipeline import RunOptions, run_one
from .rows import BatchRow, row_from_result

#: Modules a worker process imports once, before its first workbook. Missing ones are skipped.
HEAVY_MODULES = (
    "openpyxl", "python_calamine", "jinja2", "weasyprint",
    "derisk_xl.pipeline", "derisk_xl.workbook.reader", "derisk_xl.workbook.writer",
    "derisk_xl.core.plan", "derisk_xl.core.fingerprint", "derisk_xl.report",
)


def plan_workbook(source: str, options: RunOptions, display: str | None = None) -> BatchRow:
    """Run one workbook and return its summary row; never raises for a workbook's sake.

    This is the task a local pool's worker runs (a Dask worker runs
    :func:`.cluster.plan_remote`). An unexpected exception becomes a failed row naming the
    exception and where it was raised, so one bad file cannot stop the batch.
    """
    started = time.perf_counter()
    display = display or source
    try:
        return row_from_result(run_one(Path(source), options), display)
    except EnvironmentProblem as exc:  # a full disk, a refused folder: its own sentence
        return BatchRow(file=display, status="failed", error=str(exc),
                        seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - isolate each workbook; reported, not hidden
        return BatchRow(file=display, status="failed", error=internal_error(exc),
                        seconds=time.perf_counter() - started)


def internal_error(exc: BaseException) -> str:
    """An unexpected exception as the summary says it: what it was and where it was raised."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"internal error, not a problem in the workbook: {type(exc).__name__}: {exc}{where}"


def plan_chunk(tasks: Sequence[tuple[str, str]], options: RunOptions) -> list[BatchRow]:
    """Several small workbooks in one round trip to the worker."""
    return [plan_workbook(source, options, display) for source, display in tasks]


def warm_worker(options: RunOptions) -> None:
    """Import the heavy modules once per worker and warm the report renderer (templates, fonts).

    Ctrl-C is left to the parent: a worker finishes the workbook in hand, so files are never
    abandoned half way by a keyboard interrupt.
    """
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread (a Dask worker thread): nothing to do
        pass
    import importlib

    for name in HEAVY_MODULES:
        if name == "weasyprint" and not options.renders_pdf:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional piece is reported per workbook
            pass
    if options.renders_pdf:
        try:
            _warm_report(options)
        except Exception:  # noqa: BLE001 - the first workbook will report it properly
            pass


def _warm_report(options: RunOptions) -> None:
    """Render one tiny plan: loads WeasyPrint, the templates, the stylesheet and the fonts
    into the cached renderer that every later :func:`render_pdf` of this worker reuses."""
    import datetime as dt

    from ..core.model import PlanInputs, Position, Settings
    from ..core.plan import make_plan
    from ..report import render_pdf

    inputs = PlanInputs(
        positions=(Position("ETH", Decimal(1), Decimal(3000), Decimal(1000)),
                   Position("USDC", Decimal(1000), Decimal(1), Decimal(1), "stable")),
        settings=Settings.for_model(), as_of=options.as_of or dt.date(2026, 1, 1))
    render_pdf(make_plan(inputs), template_dir=options.template_dir, paper=options.paper)

