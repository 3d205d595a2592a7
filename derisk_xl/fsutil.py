"""Atomic file replacement: a reader never sees half a file, a failed run leaves the old one.

Failures of the disk (full, read-only, a folder that is missing or is a file, permission
denied) are turned into one sentence by :func:`os_problem`, so the CLI says ``Error: …`` and
the batch reports the workbook, instead of a traceback.
"""

from __future__ import annotations

import errno
import glob
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from .core.issues import EnvironmentProblem


def _mode_for(path: Path) -> int:
    """Keep the replaced file's permissions; a new file gets the usual 0o666 less the umask
    (mkstemp's 0o600 would silently hide a planned workbook from the rest of a desk)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


TEMP_SUFFIX = ".tmp"


def temp_files_of(path: Path) -> list[Path]:
    """The temp files (``.<name>.XXXX.tmp``) :func:`atomic_write_with` makes beside ``path``;
    one outlives its write only when the process was killed between the write and the rename."""
    path = Path(path)
    return list(path.parent.glob(f"{glob.escape(_temp_prefix(path))}*{TEMP_SUFFIX}"))


def _temp_beside(path: Path) -> tuple[int, Path]:
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    return fd, Path(tmp)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is down (a short write is not an error; ENOSPC is)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def atomic_write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` on a temp file in ``path``'s folder, fsync it, give it the
    permissions ``path`` has (or would get), then rename it over ``path``."""
    path = Path(path)
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_write_with`)."""
    atomic_write_many([(Path(path), data)])


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace several files together: every temp file is written and synced first, and only
    then renamed over its target, in order, so a full disk or a refused folder met while
    writing any of them leaves all of them as they were (the renames need no space). A rename
    refused half way (a target locked by another program) leaves the files renamed before it
    replaced: put the one that matters most last."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            fd, tmp = _temp_beside(path)
            temps.append((tmp, path))
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(tmp, _mode_for(path))
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


#: Plain words for the failures of a disk a user can act on.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied (or the file is locked by another program)",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "a file of that name is in the way",
    errno.EBUSY: "the file is in use by another program",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "the disk reported an input/output error",
}


def os_problem(exc: OSError, doing: str) -> EnvironmentProblem:
    """One sentence for a failure of the machine: what we were doing, why it failed, where.

    ``doing`` completes "could not …" (``write the planned workbook out/book.xlsx``).
    """
    reason = _REASONS.get(exc.errno or -1) or (exc.strerror or str(exc) or type(exc).__name__)
    name = os.fspath(exc.filename) if exc.filename else ""
    ours = Path(name).name.startswith(".") and name.endswith(TEMP_SUFFIX)  # our temp file
    where = f" ({name})" if name and not ours else ""
    return EnvironmentProblem(f"could not {doing}: {reason}{where}.")
