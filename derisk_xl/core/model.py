"""The domain's records, in the SPEC's words: frozen, documented, money in Decimal.

Inputs (what a workbook says) come first, then the plan the calculator returns. Every record is
immutable so a plan can be shared between the sheet writer, the PDF and the mail without anyone
changing it under the others. Percentages are fractions here (0.25 means 25 %): the reader
converts Excel's conventions (SPEC 3) at the edge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Collection, Literal, Mapping, Sequence

from .issues import Issue
from .money import ZERO

Category = Literal["core", "alt", "stable"]
Side = Literal["long", "short"]
ContractType = Literal["linear", "inverse"]
LiquidationModel = Literal["binance", "bybit"]
HedgeSizing = Literal["notional", "beta", "min-variance"]
SleeveFunding = Literal["target", "needed"]
LotMethod = Literal["FIFO", "LIFO", "HIFO", "AVERAGE"]
Step = Literal["tier", "allocation", "close-long", "reduce-leverage", "transfer", "hedge"]
Status = Literal["complete", "accelerate", "continue"]

STABLE_NAMES = frozenset(
    {"USDT", "USDC", "DAI", "FDUSD", "TUSD", "USDP", "PYUSD", "USDE", "USD", "EUR", "GBP", "CHF"}
)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """A spot position: one row of Holdings (SPEC 3.1).

    Attributes:
      asset: upper-cased symbol, e.g. ``ETH``.
      quantity: units held now (q).
      price: current price in the base currency (p).
      avg_cost: average unit cost, or None when unknown (then multiple is unknown).
      category: ``core``, ``alt`` or ``stable`` (defaulted by the reader).
      protect: the row's Protect flag (Category core and Core Assets also protect: see
        :meth:`Settings.is_protected`).
      min_keep: fraction of the current quantity the plan never sells (0..1).
      original_quantity: Q0, the quantity before any tier was taken.
      beta: versus the hedge underlying; None means "from Prices, else 1".
      venue: where it is held, free text.
      lot_step: sells are rounded down to it; None means no rounding.
      location: the row's first cell, e.g. ``Holdings!A5``, for messages.
    """

    asset: str
    quantity: Decimal
    price: Decimal
    avg_cost: Decimal | None = None
    category: Category = "alt"
    protect: bool = False
    min_keep: Decimal = ZERO
    original_quantity: Decimal | None = None
    beta: float | None = None
    venue: str = ""
    lot_step: Decimal | None = None
    location: str = ""

    @property
    def value(self) -> Decimal:
        return self.quantity * self.price

    @property
    def cost(self) -> Decimal | None:
        return None if self.avg_cost is None else self.quantity * self.avg_cost

    @property
    def multiple(self) -> Decimal | None:
        """price / average unit cost; None when the cost is unknown or zero."""
        if not self.avg_cost:
            return None
        return self.price / self.avg_cost

    @property
    def q0(self) -> Decimal:
        return self.quantity if self.original_quantity is None else self.original_quantity

    @property
    def is_stable(self) -> bool:
        return self.category == "stable"


@dataclass(frozen=True, slots=True)
class FuturesPosition:
    """An open futures position (SPEC 3.2).

    Attributes:
      symbol: e.g. ``BTCUSDT-PERP``.
      underlying: the asset it tracks, e.g. ``BTC``.
      side: ``long`` or ``short``.
      size: units of the underlying (linear) or number of contracts (inverse).
      entry_price, mark_price: per unit of the underlying.
      margin: isolated margin in the base currency (the reader defaults it to
        size·entry/leverage).
      leverage: as given, or None when only Margin was given.
      maint_rate: maintenance margin rate as a fraction (default 0.005).
      maint_amount: the exchange's maintenance amount ``c`` for the tier (default 0).
      contract_type: ``linear`` or ``inverse``.
      contract_value: inverse only, USD per contract (default 100).
      expiry: None for a perpetual.
      funding_rate_8h: fraction per 8 hours, perpetuals; None when not given.
      underlying_price: spot price when the underlying is not in Holdings.
      venue: free text; also picks the liquidation model.
      liquidation_model: ``binance`` or ``bybit`` (resolved by the reader from Venue/Settings).
      location: the row's first cell, for messages.
    """

    symbol: str
    underlying: str
    side: Side
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    margin: Decimal
    leverage: Decimal | None = None
    maint_rate: Decimal = Decimal("0.005")
    maint_amount: Decimal = ZERO
    contract_type: ContractType = "linear"
    contract_value: Decimal = Decimal(100)
    expiry: dt.date | None = None
    funding_rate_8h: Decimal | None = None
    underlying_price: Decimal | None = None
    venue: str = ""
    liquidation_model: LiquidationModel = "binance"
    location: str = ""

    @property
    def sign(self) -> int:
        return 1 if self.side == "long" else -1


@dataclass(frozen=True, slots=True)
class Tier:
    """A profit-taking tier (SPEC 3.5): at ``trigger_multiple`` sell ``sell_fraction`` of Q0.

    ``applies_to`` is an asset symbol or a category name; None applies to every position.
    """

    trigger_multiple: Decimal
    sell_fraction: Decimal
    applies_to: str | None = None
    location: str = ""


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(Decimal(2), Decimal("0.25")),
    Tier(Decimal(4), Decimal("0.25")),
)


@dataclass(frozen=True, slots=True)
class Lot:
    """A tax lot (SPEC 3.6). ``acquired`` None means the holding period is unknown."""

    asset: str
    quantity: Decimal
    unit_cost: Decimal
    acquired: dt.date | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class PriceHistory:
    """Daily closes (SPEC 3.7): ``dates`` ascending, ``closes[asset]`` aligned with them.

    A missing close is None. Statistics are floats: they are estimates, not money.
    """

    dates: tuple[dt.date, ...]
    closes: Mapping[str, tuple[float | None, ...]]


@dataclass(frozen=True, slots=True)
class ModelDefaults:
    """One row of SPEC 3.4."""

    spot: Decimal
    stable: Decimal
    sleeve: Decimal
    hedge_ratio: Decimal
    max_leverage: Decimal
    close_profitable_longs: Decimal


MODELS: Mapping[str, ModelDefaults] = {
    "Aggressive Hold": ModelDefaults(
        Decimal("0.60"), Decimal("0.10"), Decimal("0.30"), ZERO, Decimal(5), ZERO
    ),
    "Balanced De-Risk": ModelDefaults(
        Decimal("0.40"), Decimal("0.40"), Decimal("0.20"), Decimal("0.20"), Decimal(3),
        Decimal("0.50"),
    ),
    "Conservative Protection": ModelDefaults(
        Decimal("0.20"), Decimal("0.70"), Decimal("0.10"), Decimal("0.50"), Decimal(2),
        Decimal(1),
    ),
}
CUSTOM_MODEL = "Custom"
DEFAULT_MODEL = "Balanced De-Risk"


def protected(position: Position, core_assets: Collection[str]) -> bool:
    """SPEC 2: Protect = yes, Category core, or the asset is one of ``core_assets`` (Settings
    Core Assets). The one rule: :meth:`Settings.is_protected` and the loops over every
    position (steps 3, 4, 12, 13) call it, the loops with Core Assets as a frozenset."""
    return position.protect or position.category == "core" or position.asset in core_assets


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate the workbook gives for converting one currency into the base currency (SPEC
    3.3, 3.10), with where it came from, so the plan can name every rate it used.

    Attributes:
      currency: the currency converted, upper-cased (``EUR``, ``USDT``).
      rate: units of the base currency per unit of ``currency`` (> 0).
      source: where it came from, in words (``Settings FX EUR``, ``FX sheet EUR/USD``).
      location: its cell (``Settings!B30``), or empty.
    """

    currency: str
    rate: Decimal
    source: str
    location: str = ""

    @property
    def shown(self) -> str:
        """The rate as written for a reader: exact up to 10 significant digits (an inverted
        pair's 1 / 150 is 0.006666666667), never an exponent."""
        rate = self.rate
        if len(rate.normalize().as_tuple().digits) > 10:
            rate = rate.quantize(Decimal(1).scaleb(min(0, rate.adjusted() - 9)))
        return f"{rate.normalize():f}"

    def words(self, base: str) -> str:
        """``1 EUR = 1.08 USD (Settings FX EUR, Settings!B30)``."""
        where = f"{self.source}, {self.location}" if self.location else self.source
        return f"1 {self.currency} = {self.shown} {base} ({where})"

    def to_base(self, amount: Decimal) -> Decimal:
        """``amount`` in ``currency``, in the base currency (exact)."""
        return amount * self.rate


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of SPEC 3.3, resolved: model defaults applied, percentages as fractions.

    Build with :meth:`for_model` so the model's defaults fill what the user left empty.
    ``fx`` holds every rate the workbook gives (Settings ``FX <CUR>`` keys, then the FX sheet's),
    so the calculator converts what the reader could not (Hedge Price) from its inputs alone.
    """

    model: str = DEFAULT_MODEL
    spot_target: Decimal = Decimal("0.40")
    stable_target: Decimal = Decimal("0.40")
    futures_sleeve: Decimal = Decimal("0.20")
    hedge_ratio: Decimal = Decimal("0.20")
    max_leverage: Decimal = Decimal(3)
    close_profitable_longs: Decimal = Decimal("0.50")
    hedge_sizing: HedgeSizing = "notional"
    hedge_instrument: str = "BTCUSDT-PERP"
    hedge_underlying: str = "BTC"
    hedge_price: Decimal | None = None
    hedge_underlying_price: Decimal | None = None
    hedge_expiry: dt.date | None = None
    hedge_funding_rate_8h: Decimal = ZERO
    hedge_contract_size: Decimal = Decimal(1)
    hedge_lot_step: Decimal = Decimal("0.001")
    liquidation_model: LiquidationModel = "binance"
    hedge_leverage: Decimal | None = None
    maint_margin_rate: Decimal = Decimal("0.005")
    futures_free_collateral: Decimal = ZERO
    sleeve_funding: SleeveFunding = "target"
    collateral_buffer: Decimal = Decimal(2)
    stable_asset: str = "USDC"
    core_assets: tuple[str, ...] = ("BTC",)
    fee_bps: Decimal = Decimal(10)
    slippage_bps: Decimal = ZERO
    min_trade_value: Decimal = Decimal(10)
    rebalance_band: Decimal = Decimal("0.01")
    lot_method: LotMethod = "FIFO"
    tax_rate_short: Decimal | None = None
    tax_rate_long: Decimal | None = None
    long_term_days: int = 365
    horizon_days: int = 30
    stress_shocks: tuple[Decimal, ...] = (
        Decimal("-0.10"), Decimal("-0.20"), Decimal("-0.30"), Decimal("-0.50"), Decimal("0.20"),
    )
    fear_greed_index: int | None = None
    base_currency: str = "USD"
    fx: tuple[Rate, ...] = ()
    client: str = ""
    report_title: str = ""
    report_recipients: tuple[str, ...] = ()
    as_of: dt.date | None = None

    @classmethod
    def for_model(cls, model: str = DEFAULT_MODEL, **overrides: object) -> "Settings":
        """The model's defaults (Custom: Balanced De-Risk's) with ``overrides`` on top."""
        base = MODELS.get(model, MODELS[DEFAULT_MODEL])
        values: dict[str, object] = dict(
            model=model,
            spot_target=base.spot,
            stable_target=base.stable,
            futures_sleeve=base.sleeve,
            hedge_ratio=base.hedge_ratio,
            max_leverage=base.max_leverage,
            close_profitable_longs=base.close_profitable_longs,
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def effective_hedge_leverage(self) -> Decimal:
        return self.hedge_leverage if self.hedge_leverage is not None else self.max_leverage

    def rate_for(self, currency: str) -> Rate | None:
        """The rate given for ``currency`` (Settings FX keys, then the FX sheet, as the reader
        merged them), else for the currency it tracks (FX USD serves USDT); None without one."""
        from .currencies import tracks

        code = currency.upper()
        for wanted in (code, tracks(code)):
            for rate in self.fx:
                if rate.currency == wanted:
                    return rate
        return None

    def is_protected(self, position: Position) -> bool:
        """SPEC 2: Protect = yes, Category core, or listed in Core Assets (:func:`protected`)."""
        return protected(position, self.core_assets)


def mapping_words(mapping: Sequence[tuple[str, str]]) -> str:
    """``Asset ← Token, Quantity ← Current Amount``: how columns were read, in the plan's words."""
    return ", ".join(f"{field} ← {header}" for field, header in mapping)


@dataclass(frozen=True, slots=True)
class HoldingsSource:
    """Where the holdings were read and how each column was taken (SPEC 3.9 item 7), so the
    plan can say in its own words what it planned.

    Attributes:
      where: the range read, e.g. ``Portfolio_v1!A1:I52``.
      positions: how many positions were read.
      mapping: (field, header) pairs in column order, e.g. ``("Asset", "Token")``.
      ignored: headers of the table that were not read.
      base_currency: the currency prices are in, and where that came from.
      chosen_by: how the table was chosen (``found``, ``the sheet named Holdings``,
        ``chosen by --holdings`` …).
      evidence: what the numbers showed when they decided the mapping (SPEC 3.9 item 8), e.g.
        ``Quantity × Price = Value on 69 of 69 rows``; empty when the words sufficed.
      rates: the rates rows in other currencies were converted at (SPEC 3.10).
    """

    where: str
    positions: int
    mapping: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()
    base_currency: str = "USD"
    chosen_by: str = ""
    evidence: str = ""
    rates: tuple[Rate, ...] = ()

    @property
    def line(self) -> str:
        text = (f"Holdings read from {self.where}, {self.positions} positions: "
                f"{mapping_words(self.mapping)}")
        if self.evidence:
            text += f": {self.evidence}"
        if self.ignored:
            text += f"; ignored: {', '.join(self.ignored)}"
        if self.base_currency != "USD":
            text += f"; prices in {self.base_currency}"
        if self.rates:
            text += "; converted at " + ", ".join(r.words(self.base_currency) for r in self.rates)
        return text


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Everything the calculator needs; nothing it does not.

    ``tiers`` is the Tiers sheet as read (DEFAULT_TIERS when the sheet is absent, empty when
    the sheet has no rows). ``lots`` empty means one lot per position at its average cost.
    ``as_of`` is already resolved (command line, then Settings As Of, then today) by the shell.
    """

    positions: tuple[Position, ...]
    settings: Settings
    as_of: dt.date
    futures: tuple[FuturesPosition, ...] = ()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    lots: tuple[Lot, ...] = ()
    prices: PriceHistory | None = None
    source: HoldingsSource | None = None  # what the reader read; not part of the fingerprint


# ---------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trade:
    """One line of Plan Trades (SPEC 5.1).

    Attributes:
      number: 1-based order of execution.
      step: tier, allocation, close-long, reduce-leverage, transfer or hedge.
      venue, instrument: where and what (an asset, a futures symbol, or for a transfer
        e.g. ``USDC → futures wallet``).
      side: ``sell``, ``buy``, ``short`` or ``transfer``.
      quantity: units (contracts for the hedge); for a transfer, the amount moved.
      price: execution price (sells: after slippage).
      notional: quantity · price (transfers: the amount).
      fee: fee paid, in the base currency.
      realized_gain: gain realized by the trade (spot: vs. lots; futures: realized PnL),
        None when the cost is unknown or the trade realizes nothing.
      reason: one sentence a client understands, with the numbers.
    """

    number: int
    step: Step
    venue: str
    instrument: str
    side: str
    quantity: Decimal
    price: Decimal
    notional: Decimal
    fee: Decimal
    realized_gain: Decimal | None
    reason: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """One of the three buckets (spot, stable, futures) before, at target and after."""

    name: Literal["spot", "stable", "futures"]
    before: Decimal
    target: Decimal
    after: Decimal


@dataclass(frozen=True, slots=True)
class FuturesAction:
    """What the plan does to one existing futures position (Plan Futures).

    ``action`` is ``keep``, ``close`` (partly: close-long), ``reduce`` (to Max Leverage), or
    ``close+reduce``. Liquidation prices are None when none exists (fully collateralized).
    """

    symbol: str
    venue: str
    side: Side
    action: str
    size_before: Decimal
    size_after: Decimal
    notional_before: Decimal
    notional_after: Decimal
    margin_before: Decimal
    margin_after: Decimal
    upnl_before: Decimal
    realized_pnl: Decimal
    leverage_before: Decimal | None
    leverage_after: Decimal | None
    liquidation_before: Decimal | None
    liquidation_after: Decimal | None


@dataclass(frozen=True, slots=True)
class Carry:
    """The cost or income of holding the hedge over the horizon (SPEC 4 step 9).

    Attributes:
      kind: ``funding`` (perpetual) or ``basis`` (dated).
      basis: F − S, per unit; basis_pct: F/S − 1.
      annualized: funding rate·3·365, or basis %·365/days to expiry (fraction).
      horizon_days: the horizon used (capped at days to expiry for a dated contract).
      amount: over the horizon, positive when the short **earns**, negative when it costs.
      verb: ``earns`` or ``costs``.
    """

    kind: Literal["funding", "basis"]
    basis: Decimal
    basis_pct: Decimal
    annualized: Decimal
    horizon_days: int
    amount: Decimal
    days_to_expiry: int | None = None

    @property
    def verb(self) -> str:
        return "earns" if self.amount >= 0 else "costs"


@dataclass(frozen=True, slots=True)
class Hedge:
    """The futures hedge the plan holds (Plan Hedge).

    Attributes:
      instrument, underlying: from Settings.
      sizing: notional, beta or min-variance.
      exposure: X, the kept risk exposure being hedged.
      hedge_ratio: from Settings; h_star: the minimum-variance ratio, when used.
      target_notional: H; existing_short_notional: shorts already on the underlying.
      notional: A, the new short actually opened (after lot rounding and margin fit).
      quantity: contracts (after rounding down to the lot step).
      price: hedge (futures) price; spot_price: the underlying's spot for the basis.
      contract_size, leverage, margin, maint_rate.
      liquidation_price: of the new short; None when no hedge is opened.
      carry: basis/funding over the horizon.
      rate: the rate Hedge Price was converted at, when the instrument is quoted in a
        currency other than the book's (BTCUSDT-PERP in a EUR book); else None.
    """

    instrument: str
    underlying: str
    sizing: HedgeSizing
    exposure: Decimal
    hedge_ratio: Decimal
    h_star: float | None
    target_notional: Decimal
    existing_short_notional: Decimal
    notional: Decimal
    quantity: Decimal
    price: Decimal
    spot_price: Decimal
    contract_size: Decimal
    leverage: Decimal
    margin: Decimal
    maint_rate: Decimal
    liquidation_price: Decimal | None
    liquidation_model: LiquidationModel
    carry: Carry | None
    rate: Rate | None = None


@dataclass(frozen=True, slots=True)
class Exposure:
    """Net and gross exposure at one moment (SPEC 4 step 10)."""

    net: Decimal
    net_pct: Decimal
    gross: Decimal
    gross_pct: Decimal
    wallet_leverage: Decimal | None


@dataclass(frozen=True, slots=True)
class StressRow:
    """P&L of one shock before and after the plan, with what would be liquidated."""

    shock: Decimal
    pnl_before: Decimal
    pnl_after: Decimal
    liquidated_before: tuple[str, ...] = ()
    liquidated_after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Signal:
    """A stop/accelerate signal (SPEC 4 step 12): on or off, and why, with numbers."""

    name: Literal["target reached", "nothing left to sell", "momentum exhaustion", "extreme greed"]
    on: bool
    reason: str


@dataclass(frozen=True, slots=True)
class LadderRung:
    """A resting limit sell for a tier not yet triggered (SPEC 4 step 13)."""

    asset: str
    venue: str
    trigger_multiple: Decimal
    limit_price: Decimal
    quantity: Decimal
    notional: Decimal
    location: str = ""


@dataclass(frozen=True, slots=True)
class RealizedLot:
    """A sale matched to one lot (SPEC 4 step 14). ``term`` is short, long or unknown."""

    asset: str
    venue: str
    acquired: dt.date | None
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    gain: Decimal
    term: Literal["short", "long", "unknown"]


@dataclass(frozen=True, slots=True)
class TaxEstimate:
    """Realized gains split by term; ``tax`` None unless the rates are set."""

    short_term_gain: Decimal
    long_term_gain: Decimal
    unknown_term_gain: Decimal
    tax: Decimal | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The calculator's answer. Immutable; everything the outputs show comes from here.

    Attributes:
      as_of, settings: what it was computed for.
      total_before, total_after: T before and after (after = before − fees − slippage).
      buckets: spot, stable, futures — before, target, after.
      trades: in execution order.
      futures: one action per existing futures position.
      hedge: the hedge (None when the hedge ratio is 0 or nothing to hedge).
      exposure_before, exposure_after.
      stress: one row per shock.
      signals, status.
      ladder: resting limit sells for tiers not yet reached.
      realized: sales matched to lots; tax: their split and estimate.
      realized_gain: Σ realized gains (spot and futures).
      fees, slippage: totals in the base currency.
      positions_after, futures_after: the portfolio after the plan (for a re-run); stable
        balances after are the stable positions among ``positions_after``.
      warnings: issues of severity warning, each with its location.
      fingerprint: of the inputs (hex), so a plan can be matched to what made it.
    """

    as_of: dt.date
    settings: Settings
    total_before: Decimal
    total_after: Decimal
    buckets: tuple[Bucket, ...]
    trades: tuple[Trade, ...]
    futures: tuple[FuturesAction, ...]
    hedge: Hedge | None
    exposure_before: Exposure
    exposure_after: Exposure
    stress: tuple[StressRow, ...]
    signals: tuple[Signal, ...]
    status: Status
    ladder: tuple[LadderRung, ...]
    realized: tuple[RealizedLot, ...]
    tax: TaxEstimate
    realized_gain: Decimal
    fees: Decimal
    slippage: Decimal
    positions_after: tuple[Position, ...]
    futures_after: tuple[FuturesPosition, ...]
    warnings: tuple[Issue, ...] = ()
    fingerprint: str = ""
    source: HoldingsSource | None = None

    def bucket(self, name: str) -> Bucket:
        return next(b for b in self.buckets if b.name == name)

    @property
    def rates(self) -> tuple[Rate, ...]:
        """Every rate the plan used, to be named wherever it is shown (SPEC 3.10): the read's
        (rows in other currencies), then the hedge's (Hedge Price in its quote currency)."""
        used = self.source.rates if self.source is not None else ()
        hedge = self.hedge.rate if self.hedge is not None else None
        if hedge is not None and hedge not in used:
            used = (*used, hedge)
        return used


__all__ = [
    "Bucket", "Carry", "Category", "CUSTOM_MODEL", "DEFAULT_MODEL", "DEFAULT_TIERS", "Exposure",
    "FuturesAction", "FuturesPosition", "Hedge", "HoldingsSource", "LadderRung", "Lot", "MODELS", "ModelDefaults",
    "Plan", "PlanInputs", "Position", "PriceHistory", "Rate", "RealizedLot", "STABLE_NAMES",
    "Settings", "Signal", "StressRow", "TaxEstimate", "Tier", "Trade",
]
