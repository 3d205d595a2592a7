"""What a batch says about each workbook: one row of the summary per workbook (SPEC 5.4), and
the report of the whole batch. A row is small, so a worker sends back little."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..core.issues import Issue
from ..pipeline import RunResult, RunStatus


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


def row_from_result(result: RunResult, display: str) -> BatchRow:
    """The summary line of one :class:`RunResult` (small, so workers send back little)."""
    plan = result.plan
    total = before = after = gain = hedge = None
    if plan is not None:
        from ..core.money import pct

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
