"""``derisk batch``: many workbooks through the pipeline's own steps.

Thin shell, three steps: collect the workbooks (files, folders, globs), plan each one in a worker
(a local process pool running :func:`~derisk_xl.pipeline.run_one`; or a Dask cluster with
``--scheduler``, whose workers run :func:`~derisk_xl.pipeline.prepare` on the workbook's bytes
while this client runs :func:`~derisk_xl.pipeline.apply`), then write and print the summary
(SPEC 5.4). Nothing here computes a plan or writes a plan sheet.

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

import glob
import os
import signal
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .core.issues import EnvironmentProblem, Issue
from .pipeline import RunOptions, RunResult, RunStatus, output_paths, run_one

SUMMARY_NAME = "batch-summary.xlsx"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_GLOB_CHARS = frozenset("*?[")

#: Modules a worker process imports once, before its first workbook. Missing ones are skipped.
HEAVY_MODULES = (
    "openpyxl", "python_calamine", "jinja2", "weasyprint",
    "derisk_xl.pipeline", "derisk_xl.workbook.reader", "derisk_xl.workbook.writer",
    "derisk_xl.core.plan", "derisk_xl.core.fingerprint", "derisk_xl.report",
)


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    """One line of the summary (SPEC 5.4). Money in Decimal; percentages as fractions of T."""

    file: str
    status: RunStatus
    error: str = ""
    issues: tuple[Issue, ...] = ()
    total: Decimal | None = None
    risk_spot_before: Decimal | None = None
    risk_spot_after: Decimal | None = None
    realized_gain: Decimal | None = None
    hedge_notional: Decimal | None = None
    workbook: str = ""
    pdf: str = ""
    email: str = ""
    seconds: float = 0.0
    currency: str = "USD"  # of the money above: shown in its own units (SPEC 3.10)


@dataclass(frozen=True)
class BatchReport:
    """What the batch did: one row per workbook in input order, and where the summary went."""

    rows: tuple[BatchRow, ...]
    summary_path: Path | None
    seconds: float

    def with_status(self, status: str) -> tuple[BatchRow, ...]:
        return tuple(r for r in self.rows if r.status == status)

    @property
    def failed(self) -> tuple[BatchRow, ...]:
        return self.with_status("failed")

    @property
    def unsent(self) -> tuple[BatchRow, ...]:
        """Planned, but the report could not be sent and waits in the outbox (issue #5:
        the command exits non-zero, as ``derisk run --email`` does)."""
        return tuple(r for r in self.rows if r.email.startswith("failed"))

    @property
    def planned(self) -> tuple[BatchRow, ...]:
        return self.with_status("planned")

    @property
    def skipped(self) -> tuple[BatchRow, ...]:
        return self.with_status("skipped-unchanged")


@dataclass(frozen=True)
class Collected:
    """The workbooks to run (deduplicated, in order) and the named paths that gave none."""

    files: tuple[Path, ...]
    missing: tuple[BatchRow, ...] = ()


# ---------------------------------------------------------------------------------------------
# Collecting the workbooks
# ---------------------------------------------------------------------------------------------


def is_candidate(path: Path) -> bool:
    """A workbook a batch should plan: ``.xlsx``/``.xlsm``, not an Excel lock file (``~$…``),
    not a LibreOffice lock (``.~lock…``), not a hidden or temp file (ours are ``.name.XXXX.tmp``),
    and not a batch summary."""
    name = path.name
    lowered = name.lower()
    return (
        lowered.endswith(WORKBOOK_SUFFIXES)
        and not name.startswith(("~", "."))
        and lowered != SUMMARY_NAME
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def collect_workbooks(paths: Iterable[str | os.PathLike], *, out_dir: Path | None = None) -> Collected:
    """Expand files, folders (top level) and globs (``**`` recurses) into workbook paths.

    Deduplicated by real path and sorted, so the same arguments always give the same order.
    A folder or glob skips lock, temp and summary files and anything inside ``out_dir`` when
    ``out_dir`` lies below it (our own outputs). A file named explicitly is taken as it is:
    the reader then says clearly what is wrong with it. A named path that does not exist, or a
    glob that matches nothing, comes back as a failed row.
    """
    out_real = Path(out_dir).resolve() if out_dir is not None else None
    found: dict[Path, Path] = {}
    missing: list[BatchRow] = []

    def keep(path: Path, *, scanned_from: Path | None) -> None:
        real = path.resolve()
        if scanned_from is not None:
            if not is_candidate(path) or not path.is_file():
                return
            if out_real is not None and out_real != scanned_from and _inside(real, out_real) \
                    and _inside(out_real, scanned_from):
                return
        found.setdefault(real, path)

    for raw in paths:
        text = os.fspath(raw)
        path = Path(text)
        if any(c in text for c in _GLOB_CHARS) and not path.exists():
            matches = sorted(glob.glob(text, recursive=True))
            root = Path(_glob_root(text)).resolve()
            hits = [Path(m) for m in matches if Path(m).is_file()]
            if not hits:
                missing.append(BatchRow(file=text, status="failed",
                                        error=f"{text} matched no files"))
            for m in hits:
                keep(m, scanned_from=root)
        elif path.is_dir():
            root = path.resolve()
            for child in sorted(path.iterdir()):
                keep(child, scanned_from=root)
        elif path.is_file():
            keep(path, scanned_from=None)
        else:
            missing.append(BatchRow(file=text, status="failed",
                                    error=f"{text}: no such file or folder"))
    files = tuple(sorted(found.values(), key=lambda p: str(p)))
    return Collected(files=files, missing=tuple(missing))


def _glob_root(pattern: str) -> str:
    """The folder part of a glob before its first wildcard (``a/b/*/c`` → ``a/b``)."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if any(c in part for c in _GLOB_CHARS):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def output_clashes(files: Sequence[Path], options: RunOptions) -> dict[Path, str]:
    """Inputs that would write the same output file as another input, with the reason.

    Compared case-insensitively: the desk's share may be on Windows or macOS.
    """
    owners: dict[str, list[Path]] = {}
    for source in files:
        workbook_out, pdf_out = output_paths(source, options)
        targets = [workbook_out] + ([pdf_out] if options.renders_pdf else [])
        for target in targets:
            owners.setdefault(str(target.resolve()).lower(), []).append(source)
    clashes: dict[Path, str] = {}
    for target, sources in owners.items():
        if len(sources) < 2:
            continue
        for source in sources:
            others = ", ".join(str(s) for s in sources if s != source)
            clashes.setdefault(
                source,
                f"{source} and {others} would write the same output file {target}; rename one "
                "or run them into different --out folders",
            )
    return clashes


def remove_stale_temp_files(folder: Path, names: Iterable[str]) -> list[Path]:
    """Delete the temp files (``.<name>.XXXX.tmp``) a killed run left beside ``names``.

    Only temp files of the outputs this batch is about to write are touched, so another
    program's files are never removed.
    """
    from .fsutil import temp_files_of

    removed: list[Path] = []
    for name in names:
        for stale in temp_files_of(folder / name):
            try:
                stale.unlink()
                removed.append(stale)
            except FileNotFoundError:
                pass
    return removed


def _clean_stale(files: Sequence[Path], options: RunOptions, summary_dir: Path) -> list[Path]:
    by_folder: dict[Path, set[str]] = {summary_dir: {SUMMARY_NAME}}
    for source in files:
        workbook_out, pdf_out = output_paths(source, options)
        by_folder.setdefault(workbook_out.parent, set()).update({workbook_out.name, pdf_out.name})
    removed: list[Path] = []
    for folder, names in by_folder.items():
        if folder.is_dir():
            removed += remove_stale_temp_files(folder, sorted(names))
    return removed


# ---------------------------------------------------------------------------------------------
# One workbook, in a worker
# ---------------------------------------------------------------------------------------------


def row_from_result(result: RunResult, display: str) -> BatchRow:
    """The summary line of one :class:`RunResult` (small, so workers send back little)."""
    plan = result.plan
    total = before = after = gain = hedge = None
    if plan is not None:
        from .core.money import pct

        spot = plan.bucket("spot")
        total = plan.total_before
        before = pct(spot.before, plan.total_before)
        after = pct(spot.after, plan.total_after)
        gain = plan.realized_gain
        hedge = plan.hedge.notional if plan.hedge is not None else Decimal(0)
    return BatchRow(
        file=display, status=result.status, error=result.error, issues=tuple(result.issues),
        total=total, risk_spot_before=before, risk_spot_after=after, realized_gain=gain,
        hedge_notional=hedge, workbook=str(result.workbook or ""), pdf=str(result.pdf or ""),
        email=result.email_status, seconds=result.seconds,
        currency=plan.settings.base_currency if plan is not None else "USD",
    )


def plan_workbook(source: str, options: RunOptions, display: str | None = None) -> BatchRow:
    """Run one workbook and return its summary row; never raises for a workbook's sake.

    This is the task a local pool's worker runs (a Dask worker runs :func:`plan_remote`). An
    unexpected exception becomes a failed row naming the exception and where it was raised, so
    one bad file cannot stop the batch.
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

    from .core.model import PlanInputs, Position, Settings
    from .core.plan import make_plan
    from .report import render_pdf

    inputs = PlanInputs(
        positions=(Position("ETH", Decimal(1), Decimal(3000), Decimal(1000)),
                   Position("USDC", Decimal(1000), Decimal(1), Decimal(1), "stable")),
        settings=Settings.for_model(), as_of=options.as_of or dt.date(2026, 1, 1))
    render_pdf(make_plan(inputs), template_dir=options.template_dir, paper=options.paper)


# ---------------------------------------------------------------------------------------------
# Executors
# ---------------------------------------------------------------------------------------------

def _chunk_size(count: int, jobs: int, options: RunOptions) -> int:
    """Workbooks per round trip: 1 with PDFs (each takes long enough), more when they are tiny."""
    if options.renders_pdf:
        return 1
    return max(1, min(8, count // (jobs * 8)))


#: Tasks queued per worker: one running and one waiting in the pool's call queue, so a worker
#: starts its next workbook without waiting for the parent to hear back and submit.
IN_FLIGHT_PER_WORKER = 2

#: Seconds a pool may take to stop before its workers are ended: STOP_GRACE when it has nothing
#: in hand (a healthy pool stops in milliseconds), FINISH_GRACE to finish the workbooks in hand
#: when the batch stops early (an exception, a Ctrl-C that came outside the wait).
STOP_GRACE = 10.0
FINISH_GRACE = 60.0


def _run_local(
    tasks: Sequence[tuple[str, str]], options: RunOptions, jobs: int,
    done: Callable[[BatchRow], None], task: Callable[..., list[BatchRow]] | None = None,
) -> None:
    """A process pool of ``jobs`` warm workers; restarts itself when a worker dies.

    ``task`` (default :func:`plan_chunk`) is what a worker runs for a chunk of workbooks. At
    most ``IN_FLIGHT_PER_WORKER * jobs`` chunks are in flight, so when the pool breaks the
    chunks in flight are the only suspects: each is then retried alone, and a workbook whose
    worker dies while it runs alone is the one reported failed.
    """
    from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    task = task or plan_chunk
    # spawn: each worker is a fresh interpreter whose end the parent sees directly. (fork
    # would copy our threads' locks; with forkserver, restarting after a dead worker could
    # hang joining a worker the server no longer reports on.)
    context = _worker_context()
    size = _chunk_size(len(tasks), jobs, options)
    queue: deque[tuple[tuple[str, str], ...]] = deque(
        tuple(tasks[i:i + size]) for i in range(0, len(tasks), size))
    in_flight = IN_FLIGHT_PER_WORKER * jobs
    suspects: deque[tuple[str, str]] = deque()  # in flight when a worker died: retried alone
    running: dict = {}  # future -> (chunk, ran alone as a suspect?)

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=warm_worker, initargs=(options,))

    def died(display: str) -> BatchRow:
        return BatchRow(file=display, status="failed",
                        error="the worker process died while planning this workbook (killed, "
                              "out of memory or crashed); the file was not modified")

    def settle(future, chunk, alone: bool) -> None:
        """Report a finished chunk, or put its workbooks back when its worker died."""
        try:
            rows = future.result(timeout=0)
        except CancelledError:  # never started: back in line as it was
            queue.appendleft(chunk)
        except (BrokenProcessPool, TimeoutError):
            if alone:
                done(died(chunk[0][1]))
            else:
                suspects.extend(chunk)
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be sent back
            for _, display in chunk:
                done(BatchRow(file=display, status="failed",
                              error=f"internal error: {type(exc).__name__}: {exc}"))
        else:
            for row in rows:
                done(row)

    def restart(pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        # The pool is broken (or cannot start a worker): its workers are ended first, since
        # the executor ends only those it knows of. Afterwards every future is settled:
        # finished, broken or cancelled (or never answered: a suspect, as if broken).
        _stop_pool(pool, context.started, grace=STOP_GRACE, now=True)
        for future, (chunk, alone) in list(running.items()):
            del running[future]
            settle(future, chunk, alone)
        return new_pool()

    def submit(pool: ProcessPoolExecutor, chunk, alone: bool) -> None:
        try:
            future = pool.submit(task, chunk, options)
        except BaseException:
            (suspects.appendleft(chunk[0]) if alone else queue.appendleft(chunk))
            raise
        running[future] = (chunk, alone)

    pool = new_pool()
    interrupted = False
    try:
        while queue or suspects or running:
            if not interrupted:
                try:
                    if suspects and not running:
                        submit(pool, (suspects.popleft(),), True)
                    # a suspect runs truly alone, the last one too: were other chunks beside
                    # it, one killing its worker would get the suspect reported failed
                    alone = any(is_suspect for _, is_suspect in running.values())
                    while not suspects and not alone and queue and len(running) < in_flight:
                        submit(pool, queue.popleft(), False)
                except (BrokenProcessPool, OSError, RuntimeError, ValueError):
                    # the pool broke between two submissions (spawning a worker into a
                    # breaking pool can also fail on its closed pipes): start a fresh one
                    pool = restart(pool)
                    continue
            if not running:
                break
            try:
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                if interrupted:  # second Ctrl-C: stop now; atomic writes keep files whole
                    _end_processes(context.started)
                    raise
                interrupted = True
                print(f"\nInterrupted: finishing the {len(running)} task(s) in progress "
                      "(Ctrl-C again to stop now).", file=sys.stderr, flush=True)
                continue
            broken = False
            for future in finished:
                chunk, alone = running.pop(future)
                broken |= (not future.cancelled()
                           and isinstance(future.exception(), BrokenProcessPool))
                settle(future, chunk, alone)
            if broken:
                pool = restart(pool)
        if interrupted:
            raise KeyboardInterrupt
    finally:
        # Whatever ended the loop (the last workbook, a Ctrl-C, an exception in ``done``), no
        # worker outlives it; workbooks still in hand get FINISH_GRACE to finish.
        _stop_pool(pool, context.started, grace=FINISH_GRACE if running else STOP_GRACE)


def _worker_context():
    """The spawn context for a batch's pools, remembering every worker it starts.

    The executor's own list of workers is not enough (CPython 3.11-3.13): a worker started
    while the pool breaks is neither terminated nor told to stop, and the executor's thread
    then waits for it for ever; a Ctrl-C between a worker's start and its registration leaves
    a worker the executor never knew. Either hangs the interpreter at exit, joining it.
    """
    from multiprocessing.context import SpawnContext

    class RememberingSpawn(SpawnContext):
        def __init__(self) -> None:
            super().__init__()
            self.started: list = []  # recorded before it starts: no window to lose one

        def Process(self, *args, **kwargs):  # noqa: N802 - multiprocessing's name
            process = super().Process(*args, **kwargs)
            self.started.append(process)
            return process

    return RememberingSpawn()


def _stop_pool(pool, workers: list, *, grace: float, now: bool = False) -> None:
    """Shut ``pool`` down and end every worker in ``workers``, which are then forgotten.

    ``now`` ends the workers first (a broken pool); otherwise they finish what they have in
    hand, for at most ``grace`` seconds: a watchdog then ends them, which also frees the
    executor's thread if it waits on a worker it never told to stop. shutdown waits (without
    waiting it can hang the interpreter at exit, CPython gh-132969); a worker still alive
    once it returns is one the executor lost track of, and is ended too.
    """
    import threading

    watchdog = threading.Timer(grace, _end_processes, (list(workers),))
    watchdog.daemon = True
    try:
        if now:
            _end_processes(workers)
        watchdog.start()
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        try:
            watchdog.cancel()
            if watchdog.is_alive():  # it is ending them: let it finish
                watchdog.join()
        finally:
            _end_processes(workers)
            workers.clear()


def _end_processes(processes: Sequence) -> None:
    """Terminate, then kill, each started process still alive, and reap it.

    A Ctrl-C meanwhile is held back until every one is ended, then raised.
    """
    alive = [p for p in processes if p.pid is not None]
    interrupt: KeyboardInterrupt | None = None
    for how in ("terminate", "kill", "kill"):
        try:
            alive = [p for p in alive if p.is_alive()]
            if not alive:
                break
            for process in alive:
                getattr(process, how)()
            deadline = time.monotonic() + 2.0
            for process in alive:
                process.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt as exc:
            interrupt = exc
    if interrupt is not None:
        raise interrupt


def _template_files(folder: Path | None) -> dict[str, bytes] | None:
    """A desk's template folder as {relative path: bytes}, to send to workers that do not see
    it (templates are a few small files)."""
    if folder is None:
        return None
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _worker_templates(files: dict[str, bytes]) -> Path:
    """The templates sent by the client, in a folder of the worker's own named by their
    content, so every workbook with the same templates reuses one warm renderer."""
    import hashlib
    import tempfile

    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    folder = Path(tempfile.gettempdir()) / f"derisk-templates-{digest.hexdigest()[:16]}"
    try:
        st = folder.lstat()
        ours = folder.is_dir() and not folder.is_symlink() and st.st_uid == os.getuid()
    except FileNotFoundError:
        ours = False
    except AttributeError:  # no getuid (Windows): a per-user temp folder already
        ours = folder.is_dir()
    if not ours:  # absent, or made by someone else in a shared temp folder: make our own
        staging = Path(tempfile.mkdtemp(prefix=".derisk-templates-"))
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            staging.rename(folder)
        except OSError:  # made meanwhile by another task, or not ours: use the staging copy
            return staging
    return folder


def plan_remote(name: str, data: bytes, options: RunOptions, existing: str | None,
                refused: str, templates: dict[str, bytes] | None = None):
    """A Dask task: plan a workbook sent as bytes and send back what to write.

    The worker sees none of the client's folders: the bytes go into a temp folder of its own
    (under the workbook's own name, which messages quote), :func:`~derisk_xl.pipeline.prepare`
    builds the planned workbook and PDF in memory, and the client writes them. The worker
    writes nothing the client would read, so a worker killed mid-task leaves nothing behind
    but its own temp folder, and Dask can simply run the task again elsewhere.
    """
    import tempfile

    from . import pipeline

    try:
        if templates is not None:
            options = replace(options, template_dir=_worker_templates(templates))
        with tempfile.TemporaryDirectory(prefix="derisk-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            return pipeline.prepare(path, data, options, existing_fingerprint=existing,
                                    refused=refused)
    except Exception as exc:  # noqa: BLE001 - isolate each workbook, as plan_workbook does
        return pipeline.Prepared("failed", issues=(Issue("", internal_error(exc)),))


def _run_dask(
    tasks: Sequence[tuple[str, str]], options: RunOptions, address: str,
    done: Callable[[BatchRow], None],
) -> None:
    """The same workbooks on a Dask distributed cluster whose workers share no disk with us.

    The client reads each workbook (and the fingerprint of the plan already at its output,
    for skip-unchanged), sends the bytes to a worker (:func:`plan_remote`), and writes the
    planned workbook and PDF that come back, atomically, then mails the report
    (:func:`~derisk_xl.pipeline.apply`). Workers need derisk_xl installed and nothing else;
    a ``--template-dir`` folder is sent along. A worker that dies is Dask's to retry
    elsewhere; a workbook that keeps killing workers comes back as ``KilledWorker`` and is
    reported failed. At most a few workbooks per worker are read ahead, so a large batch does
    not sit in the client's memory.
    """
    from distributed import Client, as_completed

    from .pipeline import apply, existing_fingerprint, read_source, refusal

    templates = _template_files(options.template_dir)
    with Client(address) as client:
        # No separate warm-up: a Dask worker is a long-lived process, so its first workbook
        # loads the modules and the report renderer and every later one reuses them.
        pending = deque(tasks)
        futures: dict = {}
        finished = as_completed()

        def limit() -> int:
            workers = len(client.scheduler_info().get("workers", {}))
            return IN_FLIGHT_PER_WORKER * max(1, workers) + 2

        def submit_next() -> None:
            while pending and len(futures) < limit():
                source, display = pending.popleft()
                started = time.perf_counter()
                path = Path(source)
                try:
                    data, stamp = read_source(path)
                    existing = existing_fingerprint(path, options)
                except EnvironmentProblem as exc:
                    done(BatchRow(file=display, status="failed", error=str(exc),
                                  seconds=time.perf_counter() - started))
                    continue
                future = client.submit(plan_remote, path.name, data, options, existing,
                                       refusal(path, options), templates, pure=False)
                futures[future] = (path, display, stamp, started)
                finished.add(future)

        try:
            submit_next()
            for future in finished:
                path, display, stamp, started = futures.pop(future)
                try:
                    prepared = future.result()
                    row = row_from_result(apply(path, prepared, options, stamp, started),
                                          display)
                except EnvironmentProblem as exc:  # a full disk here, on the client
                    row = BatchRow(file=display, status="failed", error=str(exc),
                                   seconds=time.perf_counter() - started)
                except Exception as exc:  # noqa: BLE001 - KilledWorker, lost connection …
                    row = BatchRow(file=display, status="failed",
                                   error=f"the cluster could not plan this workbook: "
                                         f"{type(exc).__name__}: {exc}",
                                   seconds=time.perf_counter() - started)
                done(row)
                submit_next()
        except KeyboardInterrupt:
            client.cancel(list(futures))
            raise


# ---------------------------------------------------------------------------------------------
# Progress and summary
# ---------------------------------------------------------------------------------------------


class _Progress:
    """A rich bar on a terminal; one plain line per workbook otherwise (logs, CI, cron)."""

    def __init__(self, total: int, enabled: bool | None):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.total = total
        self.count = 0
        self.fancy = enabled is not False and self.console.is_terminal
        self.quiet = enabled is False
        self.bar = None
        self.task = None

    def __enter__(self) -> "_Progress":
        if self.fancy and self.total:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.bar = Progress(TextColumn("planning"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(),
                                TextColumn("{task.description}"), console=self.console)
            self.bar.__enter__()
            self.task = self.bar.add_task("", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def advance(self, row: BatchRow) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{row.status} {row.file}")
            if row.status == "failed":
                self.bar.console.print(f"[red]failed[/red] {row.file}: {row.error}",
                                       markup=True, highlight=False)
        elif not self.quiet:
            width = len(str(self.total))
            print(f"[{self.count:>{width}}/{self.total}] {row.status:<17} {row.file} "
                  f"({row.seconds:.2f} s)", file=sys.stderr, flush=True)


SUMMARY_COLUMNS = (
    ("File", 40, None), ("Status", 17, None), ("Error", 60, None), ("T", 16, "money"),
    ("Risk Spot % Before", 12, "0.0%"), ("Risk Spot % After", 12, "0.0%"),
    ("Realized Gain", 16, "money"), ("Hedge Notional", 16, "money"), ("PDF", 40, None),
    ("Email", 24, None), ("Seconds", 10, "0.00"),
)


def _row_values(row: BatchRow) -> list[object]:
    return [row.file, row.status, row.error, row.total, row.risk_spot_before,
            row.risk_spot_after, row.realized_gain, row.hedge_notional, row.pdf, row.email,
            round(row.seconds, 3)]


def write_summary(rows: Sequence[BatchRow], path: Path) -> Path:
    """``batch-summary.xlsx``: one row per workbook, numbers as numbers, an Excel Table to filter.

    Written atomically. Text from workbooks (errors quote cells) is stored as text, never as a
    formula, and characters Excel cannot hold are dropped.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    from .fsutil import atomic_write_with

    wb = Workbook()
    ws = wb.active
    ws.title = "Batch Summary"
    ws.append([name for name, _, _ in SUMMARY_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_row_values(row), start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32000]
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, Decimal):
                cell.value = float(value)
            else:
                cell.value = value
            fmt = SUMMARY_COLUMNS[c - 1][2]
            if fmt == "money":
                fmt = _money_format(row.currency)
            if fmt and value is not None:
                cell.number_format = fmt
    for c, (_, width, _) in enumerate(SUMMARY_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    last = get_column_letter(len(SUMMARY_COLUMNS))
    table = Table(displayName="BatchSummary", ref=f"A1:{last}{max(2, len(rows) + 1)}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_with(path, lambda tmp: wb.save(tmp))
    return path


def _money_format(currency: str) -> str:
    """A money cell of the summary in its workbook's currency units, named unless USD (a batch
    may hold books in several currencies)."""
    from .workbook.plan_sheets import number_formats

    money = number_formats(currency)["money"]
    return money if currency == "USD" else f'{money}" {currency}"'


def _money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return ""
    from .core.valuation import fmt_money

    return fmt_money(value, currency) + ("" if currency == "USD" else f" {currency}")


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def print_summary(report: BatchReport, *, stream=None, fancy: bool | None = None) -> None:
    """The summary on screen: a rich table on a terminal, plain lines otherwise; then every
    failure with its cell-referenced issues."""
    from rich.console import Console

    console = Console(file=stream or sys.stdout, highlight=False)
    fancy = console.is_terminal if fancy is None else fancy
    rows = report.rows
    if fancy:
        from rich.table import Table

        table = Table(title="derisk batch")
        table.add_column("File", overflow="fold", min_width=12)
        table.add_column("Status", no_wrap=True)
        for name in ("T", "Risk %", "after", "Gain", "Hedge"):
            table.add_column(name, justify="right", no_wrap=True)
        emails = any(row.email for row in rows)
        if emails:
            table.add_column("Email", overflow="fold")
        colours = {"planned": "green", "failed": "red", "skipped-unchanged": "dim"}
        for row in rows:
            cells = [row.file, f"[{colours[row.status]}]{row.status}[/]",
                     _money(row.total, row.currency),
                     _percent(row.risk_spot_before), _percent(row.risk_spot_after),
                     _money(row.realized_gain, row.currency),
                     _money(row.hedge_notional, row.currency)]
            cells += [row.email] if emails else []
            table.add_row(*cells)
        console.print(table)
    else:
        for row in rows:
            figures = ""
            if row.total is not None:
                ccy = row.currency
                figures = (f"  T {_money(row.total, ccy)}  risk spot "
                           f"{_percent(row.risk_spot_before)} -> {_percent(row.risk_spot_after)}"
                           f"  realized gain {_money(row.realized_gain, ccy)}  hedge "
                           f"{_money(row.hedge_notional, ccy)}")
            email = f"  email {row.email}" if row.email else ""
            console.print(f"{row.status:<17} {row.file}{figures}{email}", markup=False,
                          soft_wrap=True)
    for row in report.failed:
        console.print(f"Error: {row.file} was not planned; nothing was changed.", markup=False,
                      soft_wrap=True)
        lines = [str(i) for i in row.issues] or [row.error]
        for line in lines:
            console.print(f"  - {line}", markup=False, soft_wrap=True)
    counts = (f"{len(report.planned)} planned, {len(report.skipped)} skipped unchanged, "
              f"{len(report.failed)} failed in {report.seconds:.1f} s")
    where = f"; summary in {report.summary_path}" if report.summary_path else ""
    console.print(f"{len(rows)} workbook(s): {counts}{where}.", markup=False, soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------------------------


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
    _clean_stale(collected.files, options, summary_dir)

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
    with _Progress(len(tasks), progress) as bar:
        def done(row: BatchRow) -> None:
            results[row.file] = row
            bar.advance(row)

        previous = _raise_on_sigterm()
        try:
            if not tasks:
                pass
            elif scheduler:
                _run_dask(tasks, options, scheduler, done)
            else:
                _run_local(tasks, options, max(1, min(jobs or default_jobs(), len(tasks))), done)
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
