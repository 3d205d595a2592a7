"""Progress while a batch runs."""

from __future__ import annotations

import sys

from .rows import BatchRow


class Progress:
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

    def __enter__(self) -> "Progress":
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

