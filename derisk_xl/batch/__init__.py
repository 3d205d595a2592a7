"""``derisk batch``: many workbooks through the pipeline's own steps, :func:`run_batch` its face.

Thin shell, three steps, each in its own room: collect the workbooks (:mod:`.collect`: files,
folders, globs), plan each one in a worker (:mod:`.pool`, a local process pool whose workers run
:func:`~derisk_xl.pipeline.run_one` through :mod:`.worker`; or :mod:`.cluster`, a Dask cluster
with ``--scheduler``, whose workers run :func:`~derisk_xl.pipeline.prepare` on the workbook's
bytes while this client runs :func:`~derisk_xl.pipeline.apply`), then write and print the
summary (:mod:`.summary`, SPEC 5.4; :mod:`.progress` while it runs; :mod:`.rows` the records
they share). Nothing here computes a plan or writes a plan sheet.

Decisions, stated once:

- A folder means its top level (a desk's folder of client workbooks); to go down into
  subfolders, pass a glob with ``**``, e.g. ``'clients/**/*.xlsx'``.
- With ``--out``, outputs go flat into that folder; two inputs that would write the same output
  file (``a/x.xlsx`` and ``b/x.xlsx``, or ``x.xlsx`` and ``x.xlsm`` sharing one PDF name) are
  both reported as failed with the clash named, and neither is planned.
- A workbook's failure never stops the batch: user errors come back as issues, unexpected
  exceptions and a dead worker process are caught per workbook. After a worker dies the pool is
  restarted; the workbooks that were in flight are retried one at a time, so only the one that
  kills its worker is reported failed.
- Every file is written atomically (temp file + rename), so an interrupted batch leaves each
  workbook either as it was or fully planned; the next run removes the temp files a killed run
  left behind and, without ``--force``, skips what is already planned.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..core.issues import EnvironmentProblem
from ..pipeline import RunOptions
from .cluster import run_dask
from .collect import clean_stale, collect_workbooks, output_clashes
from .pool import run_local
from .progress import Progress
from .rows import BatchReport, BatchRow
from .summary import SUMMARY_NAME, print_summary, write_summary


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    paths: Sequence[str],
    options: RunOptions,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    summary_dir: Path | None = None,
    progress: bool | None = None,
) -> BatchReport:
    """Plan every workbook in ``paths``; write and print the summary; never stop for one file.

    ``jobs`` worker processes (default: the CPUs this process may use); ``scheduler`` a Dask
    address (``tcp://host:8786``) to run on a cluster instead. ``progress`` None means a bar
    on a terminal and plain lines otherwise; False prints nothing while running. The summary goes
    to ``summary_dir``, else ``options.out_dir``, else the current folder. Ctrl-C lets the
    workbooks in progress finish, writes the summary of what was done, then raises
    KeyboardInterrupt.
    """
    started = time.perf_counter()
    collected = collect_workbooks(paths, out_dir=options.out_dir)
    summary_dir = Path(summary_dir or options.out_dir or Path.cwd())
    clashes = output_clashes(collected.files, options)
    clean_stale(collected.files, options, summary_dir)

    results: dict[str, BatchRow] = {}
    for row in collected.missing:
        results[row.file] = row
    for source, reason in clashes.items():
        results[str(source)] = BatchRow(file=str(source), status="failed", error=reason)
    # Workers get absolute paths (a worker's current folder need not be ours); rows keep the
    # paths as the user wrote them.
    tasks = [(str(f.resolve()), str(f)) for f in collected.files if f not in clashes]
    options = replace(options, **{
        name: Path(getattr(options, name)).resolve()
        for name in ("out_dir", "template_dir", "outbox", "mail_config")
        if getattr(options, name) is not None})

    interrupted = False
    with Progress(len(tasks), progress) as bar:
        def done(row: BatchRow) -> None:
            results[row.file] = row
            bar.advance(row)

        previous = _raise_on_sigterm()
        try:
            if not tasks:
                pass
            elif scheduler:
                run_dask(tasks, options, scheduler, done)
            else:
                run_local(tasks, options, max(1, min(jobs or default_jobs(), len(tasks))), done)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            _restore_sigterm(previous)

    order = [row.file for row in collected.missing] + [str(f) for f in collected.files]
    rows = []
    for name in order:
        row = results.get(name)
        if row is None:  # interrupted before it ran: untouched
            row = BatchRow(file=name, status="failed",
                           error="not run: the batch was interrupted; run it again to finish")
        rows.append(row)
    try:
        summary_path: Path | None = write_summary(rows, summary_dir / SUMMARY_NAME)
        problem = None
    except OSError as exc:  # e.g. yesterday's summary open in Excel on a Windows share
        summary_path, problem = None, exc
    report = BatchReport(rows=tuple(rows), summary_path=summary_path,
                         seconds=time.perf_counter() - started)
    if progress is not False:
        print_summary(report)
    if interrupted:
        raise KeyboardInterrupt
    if problem is not None:
        raise EnvironmentProblem(f"the batch ran but its summary could not be written to "
                                 f"{summary_dir / SUMMARY_NAME}: {problem}") from problem
    return report


def _raise_on_sigterm():
    """SIGTERM (a scheduler's timeout, ``kill``) ends the batch like Ctrl-C: summary first."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


__all__ = ["BatchReport", "BatchRow", "run_batch"]
