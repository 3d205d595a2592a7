"""The six plan sheets of SPEC 5.1 as data: blocks, columns, values, formats, widths, a chart.

Pure and library-neutral: nothing here knows openpyxl, XlsxWriter or xlwings. The package writer
(:mod:`derisk_xl.workbook.package`) and the Excel button both render these specs, so a plan looks
the same whichever door it came through. Values stay exact (Decimal) until the renderer writes
them; percentages are fractions (0.25 is 25 %); dates are dates; a missing figure is None.

Layout is decided here too (rows and columns are 0-based), so that the chart's data range and
the cell holding the inputs fingerprint are facts of the spec, not of a renderer. So is the
print setup (:class:`PrintSetup`): Excel's File › Export › PDF of the plan sheets should be a
usable document for anyone without our PDF, whichever door wrote the sheets.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from typing import Literal, Mapping, Union

from ..core.model import Plan, Settings
from ..core.currencies import minor_units
from ..core.money import D
from ..core.valuation import fmt_money
from .grid import column_letter

#: ``prose`` is text too long for one line: it wraps inside its bounded column instead of
#: widening it (a signal's reason, a warning, a trade's reason).
Kind = Literal["money", "quantity", "price", "percent", "integer", "date", "text", "multiple",
               "prose"]
Value = Union[Decimal, int, float, str, dt.date, None]

#: Excel number format per kind in a USD book (:func:`number_formats` for another); the
#: renderer applies them, the button too.
NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "quantity": "#,##0.00######",
    "price": "#,##0.00######",
    "percent": "0.00%",
    "integer": "0",
    "date": "yyyy-mm-dd",
    "text": "@",
    "multiple": '0.00"×"',
    "prose": "@",
}



@lru_cache(maxsize=None)
def number_formats(currency: str) -> Mapping[str, str]:
    """The number formats of a book in ``currency``: money in its own units (SPEC 3.10), e.g.
    ``#,##0`` for yen, ``#,##0.00000000`` for BTC. Prices keep 2 to 8 decimals in every book:
    a unit price is not an amount, and a coin at ¥0.0021 must not read as 0."""
    units = minor_units(currency)
    money = "#,##0" + ("." + "0" * units if units else "")
    return {**NUMBER_FORMATS, "money": money}


#: Kinds whose cells wrap their text (renderers set wrap-text and top alignment on them).
WRAPPED_KINDS = frozenset({"prose"})

#: Default column width (Excel characters) per kind; long texts get their own.
WIDTHS: dict[str, float] = {
    "money": 14, "quantity": 14, "price": 13, "percent": 10, "integer": 6, "date": 12,
    "text": 16, "multiple": 10, "prose": 60,
}

PLAN_SHEET_NAMES = (
    "Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge", "Plan Ladder", "Plan Stress",
)
FINGERPRINT_LABEL = "Inputs fingerprint"
TABLE_STYLE = "TableStyleMedium2"

#: Excel's default row height in pixels (15 points), to know which rows a chart covers.
ROW_PIXELS = 20
#: A sheet wider than this (Excel characters) prints landscape: a portrait A4 or Letter page
#: holds about 90 characters of Calibri 11 at full scale.
PORTRAIT_WIDTH = 100
#: Excel refuses a header or footer longer than 255 characters; the client's name is cut.
_HEADER_TEXT = 80


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
    columns' kinds. ``top`` is the 0-based row of the title (or of the header when untitled);
    ``left`` the 0-based column of the title and first column, so blocks can sit side by side
    without sharing (and so widening) each other's columns.
    """

    table: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    top: int = 0
    kinds: tuple[tuple[Kind, ...], ...] | None = None
    left: int = 0

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

    @property
    def right(self) -> int:
        """The last column the table covers (0-based, inclusive)."""
        return self.left + len(self.columns) - 1

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

    @property
    def rows(self) -> int:
        """How many sheet rows the chart covers."""
        return -(-self.size[1] // ROW_PIXELS)


@dataclass(frozen=True, slots=True)
class PrintSetup:
    """How a plan sheet prints from Excel (SPEC 5.1), in the terms Excel's Page Setup uses.

    Attributes:
      landscape: the sheet is wider than a portrait page holds at a readable scale.
      fit_width, fit_height: pages wide and tall to scale to; ``fit_height`` 0 means as many
        pages tall as the rows need (Excel's "Fit all columns on one page").
      area: the print area on the sheet itself (``$A$1:$K$40``), as xlwings'
        ``page_setup.print_area`` takes it; the workbook stores it as ``_xlnm.Print_Area``.
        None prints the used range: an input sheet's table grows as the user types.
      title_rows: rows repeated at the top of every page (``$1:$1``), Excel's
        ``PrintTitleRows``; stored as ``_xlnm.Print_Titles``.
      header, footer: (left, center, right) sections in Excel's header codes (``&A`` the
        sheet's name, ``&P`` the page, ``&N`` the pages), literal ampersands doubled; as
        Excel's ``PageSetup.LeftHeader``… take them.
    """

    landscape: bool
    area: str | None
    title_rows: str
    header: tuple[str, str, str]
    footer: tuple[str, str, str]
    fit_width: int = 1
    fit_height: int = 0

    @staticmethod
    def codes(sections: tuple[str, str, str]) -> str:
        """The sections as one header/footer string of the file format (``&L…&C…&R…``)."""
        return "".join(f"&{k}{text}" for k, text in zip("LCR", sections) if text)


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A plan sheet: its name, blocks, widths, frozen header rows, a chart, how it prints.

    ``heading`` holds lines of text above the blocks, one per row from row 0, the first in
    bold (Plan Summary's title line); an empty line is a blank row kept for later use.
    """

    name: str
    blocks: tuple[Block, ...]
    widths: tuple[float, ...]
    freeze_rows: int = 1
    chart: ChartSpec | None = None
    print_setup: PrintSetup | None = None
    heading: tuple[str, ...] = ()
    currency: str = "USD"

    @property
    def number_formats(self) -> Mapping[str, str]:
        """Excel number format per kind, money in the plan's own currency units."""
        return number_formats(self.currency)

    @property
    def last_row(self) -> int:
        """The last row the sheet uses (0-based): blocks, heading and the chart's cells."""
        rows = [b.bottom for b in self.blocks] + [len(self.heading) - 1]
        if self.chart is not None:
            rows.append(self.chart.anchor[0] + self.chart.rows - 1)
        return max(rows)

    @property
    def last_col(self) -> int:
        return max([b.right for b in self.blocks] + [len(self.widths) - 1, 0])


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


def _money(value: Decimal | float, currency: str) -> str:
    """Money for prose: in the currency's minor unit (half up, as core's ``in_units``), the
    precision of reports. Cells keep the exact value instead (their format shows the minor
    unit; their sums reconcile)."""
    return fmt_money(D(value), currency)


def _price(value: Decimal | float, currency: str) -> str:
    """A price for prose: in the currency's minor unit from 1 up; below 1, six significant
    digits, so a 0.00001234 token price does not read as 0.00."""
    value = D(value)
    if abs(value) >= 1 or value == 0:
        return _money(value, currency)
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


def _widths(blocks: tuple[Block, ...], minimum: int = 0,
            base: tuple[float, ...] = ()) -> tuple[float, ...]:
    """Each column as wide as the widest block column placed in it, and at least ``base``."""
    n = max([b.right + 1 for b in blocks] + [minimum, len(base)])
    widths = list(base) + [8.43] * (n - len(base))
    for b in blocks:
        for i, c in enumerate(b.columns):
            widths[b.left + i] = max(widths[b.left + i], c.width)
    return tuple(widths)


def _header_text(text: str) -> str:
    """Literal text for an Excel header/footer section: ``&`` doubled, length bounded."""
    text = " ".join(str(text).split())
    if len(text) > _HEADER_TEXT:
        text = text[: _HEADER_TEXT - 1] + "…"
    return text.replace("&", "&&")


#: Points per line of Calibri 11 (Excel's default row height), and characters of running text
#: per unit of column width (a width unit is one digit; text averages a little narrower, and
#: wrapping at spaces wastes some): a wrapped cell's lines are estimated, not measured.
LINE_POINTS = 15.0
_CHARS_PER_WIDTH = 1.15


def block_row_heights(block: Block, widths: tuple[float, ...]) -> dict[int, float]:
    """Heights (points) for the rows of ``block`` whose wrapped text needs more than a line.

    Excel and LibreOffice do not re-measure rows when they open a file written by a library
    (LibreOffice trusts the stored heights of files that say Excel wrote them), so the rows a
    wrapped reason makes tall are given their height here.
    """
    wrapped = [c for c, col in enumerate(block.columns) if col.kind in WRAPPED_KINDS]
    if block.kinds is not None:
        wrapped = sorted({c for row in block.kinds for c, k in enumerate(row)
                          if k in WRAPPED_KINDS})
    lines: dict[int, int] = {}
    for c in wrapped:
        per_line = max(1, int(widths[block.left + c] * _CHARS_PER_WIDTH))
        for r, row in enumerate(block.rows):
            value = row[c]
            if type(value) is not str or (len(value) <= per_line and "\n" not in value):
                continue  # one line: most cells, checked without more work
            if block.kinds is not None and block.kinds[r][c] not in WRAPPED_KINDS:
                continue
            n = sum(-(-len(p) // per_line) or 1 for p in value.split("\n"))
            if n > lines.get(r, 1):
                lines[r] = n
    first = block.header_row + 1
    return {first + r: n * LINE_POINTS for r, n in lines.items()}


def print_setup(spec: SheetSpec, plan: Plan) -> PrintSetup:
    """A plan sheet's: its cells, the client and the as-of date in the page header."""
    client = _header_text(plan.settings.client) if plan.settings.client else ""
    return sheet_print_setup(
        spec.widths, f"$A$1:${column_letter(spec.last_col)}${spec.last_row + 1}",
        spec.freeze_rows, (client, f"As of {plan.as_of.isoformat()}"))


def sheet_print_setup(widths: tuple[float, ...], area: str | None, title_rows: int,
                      header: tuple[str, str]) -> PrintSetup:
    """How a sheet prints, plan sheet or input sheet: landscape when wide, one page wide, its
    ``title_rows`` header rows on every page, ``header`` left and right of the sheet's name
    (header codes), "Page X of Y" below."""
    return PrintSetup(
        landscape=sum(widths) > PORTRAIT_WIDTH,
        area=area,
        title_rows=f"$1:${max(title_rows, 1)}",
        header=(header[0], "&A", header[1]),
        footer=("", "Page &P of &N", ""),
    )


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
    h, ccy = plan.hedge, plan.settings.base_currency
    if h is None or h.quantity == 0:
        return "No hedge: the hedge ratio is 0 or there is nothing to hedge."
    liq = (f", liquidation {_price(h.liquidation_price, ccy)}"
           if h.liquidation_price is not None else "")
    return (f"Short {_num(h.quantity)} {h.instrument} at {_price(h.price, ccy)}: "
            f"{_money(h.notional, ccy)} notional, margin {_money(h.margin, ccy)} at "
            f"{_times(h.leverage)}{liq}")


#: Plan Summary's grid: the figures on the left (columns A–G), a gap, the words on the right
#: (I–K: a narrow column, a label column, a bounded column where long text wraps). A block sits
#: in one of the two, so a long reason never widens a column holding figures.
_FIGURES_LEFT, _WORDS_LEFT = 0, 8
_SUMMARY_WIDTHS = (26, 16, 11, 16, 11, 16, 11, 2, 6, 22, 64)


def summary_title(plan: Plan) -> str:
    """The first line of Plan Summary: what, for whom, as of when."""
    s = plan.settings
    parts = [s.report_title or "De-risk plan"]
    if s.client:
        parts.append(s.client)
    parts.append(f"as of {plan.as_of.isoformat()}")
    return " — ".join(parts)


def _summary(plan: Plan, version: str) -> SheetSpec:
    """A one-screen dashboard: title, key figures across the top, figures left, words right.

    Row 1 is the title (frozen and printed on every page); row 2 is kept for the line saying
    where the holdings were read from (SPEC 3.9 item 7). The key figures have no neighbour to
    their right, so the hedge line reads as one line across the empty cells beside it.
    """
    s: Settings = plan.settings
    name = "Plan Summary"
    t0, t1 = plan.total_before, plan.total_after
    e0, e1 = plan.exposure_before, plan.exposure_after
    key = _key_values("PlanKeyFigures", "Key figures", [
        ("Total value before (T)", t0, "money"),
        ("Total value after", t1, "money"),
        ("Status", plan.status, "text"),
        ("Realized gain", plan.realized_gain, "money"),
        ("Fees", plan.fees, "money"),
        ("Hedge", hedge_line(plan), "text"),
    ], width=16)
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
    exposure = Block(
        table="PlanExposure",
        title="Exposure",
        columns=(_col("Measure", "text", 18), _col("Before", "money"), _col("Before %", "percent"),
                 _col("After", "money"), _col("After %", "percent")),
        rows=(
            ("Net exposure", e0.net, e0.net_pct, e1.net, e1.net_pct),
            ("Gross exposure", e0.gross, e0.gross_pct, e1.gross, e1.gross_pct),
            ("Wallet leverage", e0.wallet_leverage, None, e1.wallet_leverage, None),
        ),
        kinds=(("text", "money", "percent", "money", "percent"),) * 2
        + (("text", "multiple", "percent", "multiple", "percent"),),
    )
    model = _key_values("PlanModel", "Model and targets", [
        ("Model", s.model, "text"),
        ("Spot target", s.spot_target, "percent"),
        ("Stable target", s.stable_target, "percent"),
        ("Futures sleeve", s.futures_sleeve, "percent"),
        ("Hedge ratio", s.hedge_ratio, "percent"),
        ("Max leverage", s.max_leverage, "multiple"),
    ], width=16)
    results = _key_values("PlanResults", "Gains and costs", [
        ("Short-term gain", plan.tax.short_term_gain, "money"),
        ("Long-term gain", plan.tax.long_term_gain, "money"),
        ("Slippage", plan.slippage, "money"),
        ("Estimated tax", plan.tax.tax, "money"),
    ], width=16)
    about = _key_values("PlanAbout", "About this plan", [
        ("As of", plan.as_of, "date"),
        ("Client", s.client, "text"),
        ("Base currency", s.base_currency, "text"),
        ("derisk_xl version", version, "text"),
        (FINGERPRINT_LABEL, plan.fingerprint, "text"),
    ], width=16)
    status = Block(
        table="PlanSignals",
        title=f"Status: {plan.status}",
        columns=(_col("On", "text", 6), _col("Signal", "text", 22), _col("Reason", "prose", 64)),
        rows=tuple(("yes" if g.on else "no", g.name, g.reason) for g in plan.signals),
    )
    rates = Block(
        table="PlanRates",
        title=f"Rates (units of {s.base_currency} per unit)",
        columns=(_col("Currency", "text", 6), _col("Rate", "price", 22),
                 _col("Where it came from", "prose", 64)),
        rows=tuple((r.currency, r.rate, f"{r.source}, {r.location}" if r.location else r.source)
                   for r in plan.rates),
    )
    warnings = Block(
        table="PlanWarnings",
        title="Warnings",
        columns=(_col("#", "integer", 6), _col("Location", "text", 22),
                 _col("Warning", "prose", 64)),
        rows=tuple((i, w.location, w.message) for i, w in enumerate(plan.warnings, 1)),
    )
    # what was read (SPEC 3.9 item 7), in lines that stay inside the printed page's width
    read = textwrap.wrap(f"{plan.source.line}.", SOURCE_LINE_WIDTH, break_on_hyphens=False) \
        if plan.source is not None else [""]
    heading = (summary_title(plan), *read)
    top = _stack([key], start=len(heading))
    figures = _stack([buckets, exposure, model, results, about], start=top[-1].bottom + 2)
    b = figures[0]
    first, last = b.header_row + 1, b.header_row + b.data_rows
    chart = ChartSpec(
        title="Buckets before and after",
        categories=a1_range(name, first, 0, last),
        series=(("Before", a1_range(name, first, 1, last)),
                ("After", a1_range(name, first, 5, last))),
        anchor=(b.top, _WORDS_LEFT),
    )
    shown = [rates, status, warnings] if plan.rates else [status, warnings]
    words = _stack(shown, start=b.top + chart.rows + 1)  # under the chart
    words = tuple(replace(w, left=_WORDS_LEFT) for w in words)
    blocks = top + figures + words
    widths = _widths(blocks, base=_SUMMARY_WIDTHS)
    return SheetSpec(name, blocks, widths, freeze_rows=1, chart=chart, heading=heading)


def _trades(plan: Plan) -> SheetSpec:
    block = Block(
        table="PlanTrades",
        title="",
        columns=(_col("#", "integer", 5), _col("Step", "text", 16), _col("Venue", "text", 12),
                 _col("Instrument", "text", 22), _col("Side", "text", 9),
                 _col("Quantity", "quantity"), _col("Price", "price"), _col("Notional", "money"),
                 _col("Fee", "money", 10), _col("Realized Gain", "money"),
                 _col("Reason", "prose", 60)),
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
        items = [("Hedge", hedge_line(plan), "prose")]
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
                     f"{_money(abs(c.amount), plan.settings.base_currency)} of {c.kind}.")
            items += [
                ("Carry", c.kind, "text"),
                ("Basis (F − S)", c.basis, "price"),
                ("Basis %", c.basis_pct, "percent"),
                ("Annualized", c.annualized, "percent"),
                ("Horizon days", c.horizon_days, "integer"),
                ("Days to expiry", c.days_to_expiry, "integer"),
                (f"Carry over the horizon ({c.verb})", c.amount, "money"),
                ("Carry in words", words, "prose"),
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


#: Characters of the "Holdings read from …" line per row of Plan Summary.
SOURCE_LINE_WIDTH = 110


def plan_sheets(plan: Plan, *, version: str) -> tuple[SheetSpec, ...]:
    """The six plan sheets of SPEC 5.1, in their tab order, each with its print setup."""
    specs = (_summary(plan, version), _trades(plan), _futures(plan), _hedge(plan),
             _ladder(plan), _stress(plan))
    return tuple(replace(spec, print_setup=print_setup(spec, plan),
                         currency=plan.settings.base_currency) for spec in specs)


__all__ = [
    "Block", "ChartSpec", "Column", "FINGERPRINT_LABEL", "Kind", "NUMBER_FORMATS",
    "PLAN_SHEET_NAMES", "PrintSetup", "SheetSpec", "TABLE_STYLE", "WRAPPED_KINDS", "a1_range",
    "block_row_heights", "hedge_line", "number_formats", "plan_sheets", "print_setup",
    "sheet_print_setup",
    "summary_title",
]
