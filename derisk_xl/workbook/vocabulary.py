"""The words of the workbook contract: sheet names, columns and their synonyms (SPEC 3.1–3.7)."""


from __future__ import annotations

from dataclasses import dataclass

def norm(name: object) -> str:
    """Sheet/column/key matching: case-insensitive, ignoring spaces, underscores and a trailing %."""
    text = str(name).strip().lower().replace(" ", "").replace("_", "").replace("\u00a0", "")
    return text[:-1] if text.endswith("%") else text


INPUT_SHEETS = ("Holdings", "Futures", "Settings", "Tiers", "Lots", "Prices")
INPUT_NORMS = {norm(s): s for s in INPUT_SHEETS}


# =============================================================================================
# Parsing (pure over the grid)
# =============================================================================================


@dataclass(frozen=True)
class Column:
    """A column of an input sheet: the field it fills, its title, synonyms, and if required."""

    field: str
    title: str
    synonyms: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> str:
        return self.title + (f" (or {', '.join(self.synonyms)})" if self.synonyms else "")


HOLDINGS_COLUMNS = (
    Column("asset", "Asset", ("Symbol", "Coin", "Ticker"), True),
    Column("quantity", "Quantity", ("Qty", "Amount", "Units", "Balance"), True),
    Column("price", "Price", ("Last", "Current Price", "Mark"), True),
    Column("avg_cost", "Avg Cost", ("Average Cost", "Unit Cost", "Avg Price", "Entry Price")),
    Column("cost_basis", "Cost Basis", ("Total Cost", "Cost")),
    Column("category", "Category"),
    Column("protect", "Protect"),
    Column("min_keep", "Min Keep %"),
    Column("original_quantity", "Original Quantity"),
    Column("beta", "Beta"),
    Column("venue", "Venue"),
    Column("lot_step", "Lot Step"),
)
FUTURES_COLUMNS = (
    Column("symbol", "Symbol", ("Contract", "Instrument"), True),
    Column("underlying", "Underlying", ("Underlying Asset",), True),
    Column("side", "Side", ("Direction",), True),
    Column("size", "Size", ("Contracts", "Quantity", "Qty"), True),
    Column("entry_price", "Entry Price", ("Entry", "Avg Entry Price"), True),
    Column("mark_price", "Mark Price", ("Mark",), True),
    Column("leverage", "Leverage", ("Lev",)),
    Column("margin", "Margin", ("Isolated Margin", "Position Margin")),
    Column("maint_rate", "Maint Margin Rate %", ("Maintenance Margin Rate %", "MMR %")),
    Column("maint_amount", "Maint Amount", ("Maintenance Amount",)),
    Column("contract_type", "Type", ("Contract Type",)),
    Column("contract_value", "Contract Value", ("Face Value",)),
    Column("expiry", "Expiry", ("Expiry Date", "Expiration", "Maturity")),
    Column("funding_rate_8h", "Funding Rate 8h %", ("Funding Rate %", "Funding 8h %")),
    Column("underlying_price", "Underlying Price", ("Spot Price", "Index Price")),
    Column("venue", "Venue", ("Exchange",)),
)
TIERS_COLUMNS = (
    Column("trigger", "Trigger Multiple", ("Trigger", "Multiple"), True),
    Column("sell", "Sell %", ("Sell Fraction %", "Sell Percent"), True),
    Column("applies_to", "Applies To", ("Applies",)),
)
LOTS_COLUMNS = (
    Column("asset", "Asset", ("Symbol", "Coin", "Ticker"), True),
    Column("acquired", "Acquired", ("Date", "Acquired Date", "Purchase Date", "Acquired On")),
    Column("quantity", "Quantity", ("Qty", "Amount", "Units"), True),
    Column("unit_cost", "Unit Cost", ("Cost", "Price", "Avg Cost", "Cost Per Unit"), True),
)
PRICES_DATE = Column("date", "Date", ("Day",), True)
