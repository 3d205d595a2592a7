"""Atomic file replacement: a reader never sees half a file, a failed run leaves the old one."""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path
from typing import Callable


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


def atomic_write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` on a temp file in ``path``'s folder, fsync it, give it the
    permissions ``path`` has (or would get), then rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_write_with`)."""
    atomic_write_with(path, lambda tmp: tmp.write_bytes(data))
