"""The batch's summary (SPEC 5.4): ``batch-summary.xlsx``, one row per workbook, and the same
printed when the batch ends."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from .rows import BatchReport, BatchRow

SUMMARY_NAME = "batch-summary.xlsx"


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

    from ..fsutil import atomic_write_with

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
    from ..workbook.plan_sheets import number_formats

    money = number_formats(currency)["money"]
    return money if currency == "USD" else f'{money}" {currency}"'


def _money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return ""
    from ..core.valuation import fmt_money

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

