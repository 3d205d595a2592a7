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
      kind: for warnings that recur once per position, the rest of a sentence that says it of
        many ("have no average cost: …"), so that :func:`grouped` can say it once with a count.
    """

    location: str
    message: str
    severity: Severity = "error"
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def errors(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(i for i in issues if i.severity == "error")


def warnings(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(i for i in issues if i.severity == "warning")


#: From this many warnings of one kind on, they are said once, with a count and the first cells.
GROUP_FROM = 3
_FIRST_CELLS = 3


def grouped(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    """Warnings of one kind said once (SPEC 3.9 item 7): ``254 positions have no average cost
    (first: Equity!B2, Equity!B3, Equity!B4 …): …``, at the place of the first; others as they
    are."""
    issues = tuple(issues)
    counts: dict[str, int] = {}
    for i in issues:
        if i.kind and i.severity == "warning":
            counts[i.kind] = counts.get(i.kind, 0) + 1
    if all(n < GROUP_FROM for n in counts.values()):
        return issues
    cells: dict[str, list[str]] = {}
    for i in issues:
        if counts.get(i.kind, 0) >= GROUP_FROM and i.severity == "warning":
            cells.setdefault(i.kind, []).append(i.location)
    out: list[Issue] = []
    for i in issues:
        n = counts.get(i.kind, 0) if i.severity == "warning" else 0
        if n < GROUP_FROM:
            out.append(i)
            continue
        where = cells.pop(i.kind, None)
        if where is None:
            continue  # said with the first of its kind
        first = ", ".join(where[:_FIRST_CELLS]) + (" …" if n > _FIRST_CELLS else "")
        head, colon, tail = i.kind.partition(":")
        out.append(Issue(where[0], f"{n} positions {head} (first: {first}){colon}{tail}",
                         "warning", i.kind))
    return tuple(out)


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
