"""Which workbooks a batch plans, and what it clears first: files, folders (their top level) and
globs (``**`` recurses) expanded into workbooks; inputs that would write the same output file;
the temp files a killed run left beside the outputs this batch is about to write."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..pipeline import RunOptions, output_paths
from .rows import BatchRow
from .summary import SUMMARY_NAME

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Collected:
    """The workbooks to run (deduplicated, in order) and the named paths that gave none."""

    files: tuple[Path, ...]
    missing: tuple[BatchRow, ...] = ()


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


def collect_workbooks(paths: Iterable[str | os.PathLike], *,
                      out_dir: Path | None = None) -> Collected:
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
    from ..fsutil import temp_files_of

    removed: list[Path] = []
    for name in names:
        for stale in temp_files_of(folder / name):
            try:
                stale.unlink()
                removed.append(stale)
            except FileNotFoundError:
                pass
    return removed


def clean_stale(files: Sequence[Path], options: RunOptions, summary_dir: Path) -> list[Path]:
    by_folder: dict[Path, set[str]] = {summary_dir: {SUMMARY_NAME}}
    for source in files:
        workbook_out, pdf_out = output_paths(source, options)
        by_folder.setdefault(workbook_out.parent, set()).update({workbook_out.name, pdf_out.name})
    removed: list[Path] = []
    for folder, names in by_folder.items():
        if folder.is_dir():
            removed += remove_stale_temp_files(folder, sorted(names))
    return removed
