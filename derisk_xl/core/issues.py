"""Problems in user data are values, not exceptions.

Readers and the calculator collect :class:`Issue` records, each pointing at the cell (or sheet)
it is about, so that every problem of a workbook can be shown at once. Exceptions are kept for
failures of the program or its environment, in the small tree below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the inputs.

    Attributes:
      location: where it is, in Excel's words: ``Holdings!C7``, ``Holdings`` (a whole sheet),
        ``Settings!B4``, or ``""`` when it concerns the workbook as a whole.
      message: what is wrong and what was expected, as a plain sentence.
      severity: ``error`` stops the plan; ``warning`` is reported beside it.
    """

    location: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def errors(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(i for i in issues if i.severity == "error")


def warnings(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(i for i in issues if i.severity == "warning")


class DeriskError(Exception):
    """Base of every exception this package raises on purpose."""


class InputError(DeriskError):
    """The workbook cannot be planned; ``issues`` says every reason, with cells."""

    def __init__(self, issues: Iterable[Issue], source: str = ""):
        self.issues = tuple(issues)
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {i}" for i in self.issues)
        super().__init__(f"{head}{len(self.issues)} problem(s) in the workbook:\n{lines}")


class WorkbookLocked(DeriskError):
    """The workbook is open in Excel (a ``~$`` lock file sits beside it)."""


class EnvironmentProblem(DeriskError):
    """Something outside the user's data failed: a missing library, a disk, a server."""
