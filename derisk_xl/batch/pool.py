"""The local process pool: warm workers, two pieces of work in flight per worker, restarted
when a worker dies (the workbooks in flight are then retried one at a time), and no worker
outliving the batch however it ends (issue #14: every worker is recorded before it starts, and
:func:`_stop_pool` ends any the executor lost track of)."""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Callable, Sequence

from ..pipeline import RunOptions
from .rows import BatchRow
from .worker import plan_chunk, warm_worker


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


def run_local(
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
