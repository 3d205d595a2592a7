"""The six plan sheets of SPEC 5.1 as data: blocks, columns, values, formats, widths, a chart.

Pure and library-neutral: nothing here knows openpyxl, XlsxWriter or xlwings. The package writer
(:mod:`derisk_xl.workbook.package`) and the Excel button both render these specs, so a plan looks
the same whichever door it came through. Values stay exact (Decimal) until the renderer writes
them; percentages are fractions (0.25 is 25 %); dates are dates; a missing figure is None.

Layout is decided here too (rows and columns are 0-based), so that the chart's data range and
the cell holding the inputs fingerprint are facts of the spec, not of a renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal, Union

from ..core.model import Plan, Settings
from ..core.money import D
from ..core.valuation import fmt_money
from .grid import column_letter

Kind = Literal["money", "quantity", "price", "percent", "integer", "date", "text", "multiple"]
Value = Union[Decimal, int, float, str, dt.date, None]

#: Excel number format per kind; the renderer applies them, the button too.
NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "quantity": "#,##0.00######",
    "price": "#,##0.00######",
    "percent": "0.00%",
    "integer": "0",
    "date": "yyyy-mm-dd",
    "text": "@",
    "multiple": '0.00"×"',
}

#: Default column width (Excel characters) per kind; long texts get their own.
WIDTHS: dict[str, float] = {
    "money": 14, "quantity": 14, "price": 13, "percent": 10, "integer": 6, "date": 12,
    "text": 16, "multiple": 10,
}

PLAN_SHEET_NAMES = (
    "Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge", "Plan Ladder", "Plan Stress",
)
FINGERPRINT_LABEL = "Inputs fingerprint"
TABLE_STYLE = "TableStyleMedium2"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: header text, number-format kind, width in Excel characters."""

    name: str
    kind: Kind
    width: float


@dataclass(frozen=True, slots=True)
class Block:
    """One Excel Table on a plan sheet, with an optional bold title line above it.

    ``rows`` may be empty: an Excel Table needs one data row, so renderers give an empty block
    one blank row (:attr:`data_rows`). ``kinds`` overrides the column kind cell by cell (the
    Value column of a key/value block holds money, percent and text in turn); None means the
    columns' kinds. ``top`` is the 0-based row of the title (or of the header when untitled).
    """

    table: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    top: int = 0
    kinds: tuple[tuple[Kind, ...], ...] | None = None

    @property
    def header_row(self) -> int:
        return self.top + (1 if self.title else 0)

    @property
    def data_rows(self) -> int:
        return max(1, len(self.rows))

    @property
    def bottom(self) -> int:
        """The last row the table covers (0-based, inclusive)."""
        return self.header_row + self.data_rows

    def kind(self, row: int, col: int) -> Kind:
        if self.kinds is not None:
            return self.kinds[row][col]
        return self.columns[col].kind


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """A clustered bar chart; ranges are absolute A1 references including the sheet name."""

    title: str
    categories: str
    series: tuple[tuple[str, str], ...]  # (name, values range)
    anchor: tuple[int, int]  # (row, col), 0-based, top-left cell
    size: tuple[int, int] = (480, 288)  # pixels


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A plan sheet: its name, blocks top to bottom, widths, frozen header rows, a chart."""

    name: str
    blocks: tuple[Block, ...]
    widths: tuple[float, ...]
    freeze_rows: int = 1
    chart: ChartSpec | None = None


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _col(name: str, kind: Kind, width: float | None = None) -> Column:
    return Column(name, kind, width if width is not None else max(WIDTHS[kind], len(name) + 2))


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def a1_range(sheet: str, first_row: int, col: int, last_row: int) -> str:
    """``'Plan Summary'!$B$4:$B$6`` for 0-based rows and column."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    c = column_letter(col)
    return f"{quoted}!${c}${first_row + 1}:${c}${last_row + 1}"


def _num(value: Decimal | float) -> str:
    """A quantity for prose: thousands separators, two decimals, more (up to 8) only when
    needed, so 0.069 contracts stays 0.069."""
    value = D(value)
    with localcontext() as ctx:  # a derived quantity may reach 1e39 contracts (README ranges)
        ctx.prec = 80
        if value == value.quantize(Decimal("0.01")):
            return f"{value:,.2f}"
    return f"{value:,.8f}".rstrip("0")


def _money(value: Decimal | float) -> str:
    """Money for prose: to the cent (half up, as core's ``cents``), the precision of reports.
    Cells keep the exact value instead (their format shows cents; their sums reconcile)."""
    return fmt_money(D(value))


def _price(value: Decimal | float) -> str:
    """A price for prose: to the cent from 1 up; below 1, six significant digits, so a
    0.00001234 token price does not read as 0.00."""
    value = D(value)
    if abs(value) >= 1 or value == 0:
        return _money(value)
    rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - 5), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".rstrip("0").rstrip(".")


def _times(value: Decimal) -> str:
    return f"{value.normalize():f}×"


def _stack(blocks: list[Block], start: int = 0, gap: int = 1) -> tuple[Block, ...]:
    """Place blocks top to bottom with ``gap`` blank rows between them."""
    placed = []
    row = start
    for b in blocks:
        placed.append(replace(b, top=row))
        row = placed[-1].bottom + 1 + gap
    return tuple(placed)


def _widths(blocks: tuple[Block, ...], minimum: int = 0) -> tuple[float, ...]:
    n = max([len(b.columns) for b in blocks] + [minimum])
    widths = [8.43] * n
    for b in blocks:
        for i, c in enumerate(b.columns):
            widths[i] = max(widths[i], c.width)
    return tuple(widths)


def _key_values(table: str, title: str, items: list[tuple[str, Value, Kind]],
                width: float = 22) -> Block:
    return Block(
        table=table,
        title=title,
        columns=(_col("Item", "text", 26), _col("Value", "text", width)),
        rows=tuple((label, value) for label, value, _ in items),
        kinds=tuple(("text", kind) for _, _, kind in items),
    )


# ---------------------------------------------------------------------------------------------
# The sheets
# ---------------------------------------------------------------------------------------------


def hedge_line(plan: Plan) -> str:
    """The hedge in one line, as Plan Summary and the PDF say it."""
    h = plan.hedge
    if h is None or h.quantity == 0:
        return "No hedge: the hedge ratio is 0 or there is nothing to hedge."
    liq = (f", liquidation {_price(h.liquidation_price)}" if h.liquidation_price is not None
           else "")
    return (f"Short {_num(h.quantity)} {h.instrument} at {_price(h.price)}: "
            f"{_money(h.notional)} notional, margin {_money(h.margin)} at {_times(h.leverage)}"
            f"{liq}")


def _summary(plan: Plan, version: str) -> SheetSpec:
    s: Settings = plan.settings
    name = "Plan Summary"
    t0, t1 = plan.total_before, plan.total_after
    model = _key_values("PlanModel", "Model and targets", [
        ("Model", s.model, "text"),
        ("Spot target", s.spot_target, "percent"),
        ("Stable target", s.stable_target, "percent"),
        ("Futures sleeve", s.futures_sleeve, "percent"),
        ("Hedge ratio", s.hedge_ratio, "percent"),
        ("Max leverage", s.max_leverage, "multiple"),
        ("Total value before (T)", t0, "money"),
        ("Total value after", t1, "money"),
    ])
    buckets = Block(
        table="PlanBuckets",
        title="Buckets",
        columns=(_col("Bucket", "text", 12), _col("Before", "money"), _col("Before %", "percent"),
                 _col("Target", "money"), _col("Target %", "percent"), _col("After", "money"),
                 _col("After %", "percent")),
        rows=tuple(
            (b.name, b.before, _pct(b.before, t0), b.target, _pct(b.target, t0), b.after,
             _pct(b.after, t1))
            for b in plan.buckets
        ),
    )
    e0, e1 = plan.exposure_before, plan.exposure_after
    exposure = Block(
        table="PlanExposure",
        title="Exposure",
        columns=(_col("Measure", "text", 18), _col("Before", "money"), _col("Before %", "percent"),
                 _col("After", "money"), _col("After %", "percent")),
        rows=(
            ("Net exposure", e0.net, e0.net_pct, e1.net, e1.net_pct),
            ("Gross exposure", e0.gross, e0.gross_pct, e1.gross, e1.gross_pct),
        ),
    )
    results = _key_values("PlanResults", "Gains, costs and hedge", [
        ("Realized gain", plan.realized_gain, "money"),
        ("Short-term gain", plan.tax.short_term_gain, "money"),
        ("Long-term gain", plan.tax.long_term_gain, "money"),
        ("Fees", plan.fees, "money"),
        ("Slippage", plan.slippage, "money"),
        ("Estimated tax", plan.tax.tax, "money"),
        ("Hedge", hedge_line(plan), "text"),
        ("Wallet leverage before", e0.wallet_leverage, "multiple"),
        ("Wallet leverage after", e1.wallet_leverage, "multiple"),
    ])
    status = Block(
        table="PlanSignals",
        title=f"Status: {plan.status}",
        columns=(_col("Signal", "text", 22), _col("On", "text", 6), _col("Reason", "text", 70)),
        rows=tuple((g.name, "yes" if g.on else "no", g.reason) for g in plan.signals),
    )
    warnings = Block(
        table="PlanWarnings",
        title="Warnings",
        columns=(_col("Location", "text", 16), _col("Warning", "text", 90)),
        rows=tuple((w.location, w.message) for w in plan.warnings),
    )
    about = _key_values("PlanAbout", "About this plan", [
        ("Status", plan.status, "text"),
        ("As of", plan.as_of, "date"),
        ("Client", s.client, "text"),
        ("Base currency", s.base_currency, "text"),
        ("derisk_xl version", version, "text"),
        (FINGERPRINT_LABEL, plan.fingerprint, "text"),
    ])
    blocks = _stack([model, buckets, exposure, results, status, warnings, about])
    b = blocks[1]
    first, last = b.header_row + 1, b.header_row + b.data_rows
    chart = ChartSpec(
        title="Buckets before and after",
        categories=a1_range(name, first, 0, last),
        series=(("Before", a1_range(name, first, 1, last)),
                ("After", a1_range(name, first, 5, last))),
        anchor=(blocks[0].top, 8),
    )
    return SheetSpec(name, blocks, _widths(blocks), freeze_rows=1, chart=chart)


def _trades(plan: Plan) -> SheetSpec:
    block = Block(
        table="PlanTrades",
        title="",
        columns=(_col("#", "integer", 5), _col("Step", "text", 16), _col("Venue", "text", 12),
                 _col("Instrument", "text", 22), _col("Side", "text", 9),
                 _col("Quantity", "quantity"), _col("Price", "price"), _col("Notional", "money"),
                 _col("Fee", "money", 10), _col("Realized Gain", "money"),
                 _col("Reason", "text", 80)),
        rows=tuple(
            (t.number, t.step, t.venue, t.instrument, t.side, t.quantity, t.price, t.notional,
             t.fee, t.realized_gain, t.reason)
            for t in plan.trades
        ),
    )
    return SheetSpec("Plan Trades", (block,), _widths((block,)))


def _futures(plan: Plan) -> SheetSpec:
    block = Block(
        table="PlanFutures",
        title="",
        columns=(_col("Symbol", "text", 18), _col("Venue", "text", 12), _col("Side", "text", 7),
                 _col("Action", "text", 14), _col("Size Before", "quantity"),
                 _col("Size After", "quantity"), _col("Notional Before", "money"),
                 _col("Notional After", "money"), _col("Margin Before", "money"),
                 _col("Margin After", "money"), _col("uPnL Before", "money"),
                 _col("Realized PnL", "money"), _col("Leverage Before", "multiple"),
                 _col("Leverage After", "multiple"), _col("Liquidation Before", "price"),
                 _col("Liquidation After", "price")),
        rows=tuple(
            (f.symbol, f.venue, f.side, f.action, f.size_before, f.size_after, f.notional_before,
             f.notional_after, f.margin_before, f.margin_after, f.upnl_before, f.realized_pnl,
             f.leverage_before, f.leverage_after, f.liquidation_before, f.liquidation_after)
            for f in plan.futures
        ),
    )
    return SheetSpec("Plan Futures", (block,), _widths((block,)))


def _hedge(plan: Plan) -> SheetSpec:
    h = plan.hedge
    items: list[tuple[str, Value, Kind]]
    if h is None:
        items = [("Hedge", hedge_line(plan), "text")]
    else:
        items = [
            ("Instrument", h.instrument, "text"),
            ("Underlying", h.underlying, "text"),
            ("Sizing", h.sizing, "text"),
            ("Exposure (X)", h.exposure, "money"),
            ("Hedge ratio", h.hedge_ratio, "percent"),
            ("Minimum-variance ratio (h*)", h.h_star, "quantity"),
            ("Target short (H)", h.target_notional, "money"),
            ("Existing shorts", h.existing_short_notional, "money"),
            ("New short notional (A)", h.notional, "money"),
            ("Quantity (contracts)", h.quantity, "quantity"),
            ("Hedge price", h.price, "price"),
            ("Spot price", h.spot_price, "price"),
            ("Contract size", h.contract_size, "quantity"),
            ("Leverage", h.leverage, "multiple"),
            ("Margin", h.margin, "money"),
            ("Maintenance margin rate", h.maint_rate, "percent"),
            ("Liquidation price", h.liquidation_price, "price"),
            ("Liquidation model", h.liquidation_model, "text"),
        ]
        c = h.carry
        if c is not None:
            words = (f"Over {c.horizon_days} days the short {c.verb} about "
                     f"{_money(abs(c.amount))} of {c.kind}.")
            items += [
                ("Carry", c.kind, "text"),
                ("Basis (F − S)", c.basis, "price"),
                ("Basis %", c.basis_pct, "percent"),
                ("Annualized", c.annualized, "percent"),
                ("Horizon days", c.horizon_days, "integer"),
                ("Days to expiry", c.days_to_expiry, "integer"),
                (f"Carry over the horizon ({c.verb})", c.amount, "money"),
                ("Carry in words", words, "text"),
            ]
    block = _key_values("PlanHedge", "", items, width=40)
    return SheetSpec("Plan Hedge", (block,), _widths((block,)))


def _ladder(plan: Plan) -> SheetSpec:
    block = Block(
        table="PlanLadder",
        title="",
        columns=(_col("Asset", "text", 10), _col("Venue", "text", 12),
                 _col("Trigger Multiple", "multiple"), _col("Limit Price", "price"),
                 _col("Quantity", "quantity"), _col("Notional", "money")),
        rows=tuple((r.asset, r.venue, r.trigger_multiple, r.limit_price, r.quantity, r.notional)
                   for r in plan.ladder),
    )
    return SheetSpec("Plan Ladder", (block,), _widths((block,)))


def _stress(plan: Plan) -> SheetSpec:
    t0, t1 = plan.total_before, plan.total_after
    block = Block(
        table="PlanStress",
        title="",
        columns=(_col("Shock", "percent", 9), _col("P&L Before", "money"),
                 _col("P&L Before %", "percent"), _col("P&L After", "money"),
                 _col("P&L After %", "percent"), _col("Liquidated Before", "text", 24),
                 _col("Liquidated After", "text", 24)),
        rows=tuple(
            (r.shock, r.pnl_before, _pct(r.pnl_before, t0), r.pnl_after, _pct(r.pnl_after, t1),
             ", ".join(r.liquidated_before), ", ".join(r.liquidated_after))
            for r in plan.stress
        ),
    )
    return SheetSpec("Plan Stress", (block,), _widths((block,)))


def plan_sheets(plan: Plan, *, version: str) -> tuple[SheetSpec, ...]:
    """The six plan sheets of SPEC 5.1, in their tab order."""
    return (_summary(plan, version), _trades(plan), _futures(plan), _hedge(plan), _ladder(plan),
            _stress(plan))


__all__ = [
    "Block", "ChartSpec", "Column", "FINGERPRINT_LABEL", "Kind", "NUMBER_FORMATS",
    "PLAN_SHEET_NAMES", "SheetSpec", "TABLE_STYLE", "a1_range", "hedge_line", "plan_sheets",
]
