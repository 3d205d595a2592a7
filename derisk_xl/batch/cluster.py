"""The batch on a Dask distributed cluster whose workers share no disk with us: this client
reads each workbook and writes what comes back; a worker plans the bytes it was sent."""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from ..core.issues import EnvironmentProblem, Issue
from ..pipeline import RunOptions
from .pool import IN_FLIGHT_PER_WORKER
from .rows import BatchRow, row_from_result
from .worker import internal_error


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

    from .. import pipeline

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


def run_dask(
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

    from ..pipeline import apply, existing_fingerprint, read_source, refusal

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

