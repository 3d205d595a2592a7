"""The words of the workbook contract: sheet names, columns and their synonyms (SPEC 3.1–3.7, 3.9).

A header is matched after :func:`norm`; a holdings header also after dropping a unit or currency
(``Price (USD)``, ``Current Price ₹``, ``Price USD``) and dots (``Avg. Purchase Price``), so the
words users write in their own trackers map to the contract's fields. Synonyms come in ranks: a
column of a better rank wins over one of a worse rank without a word (``Token`` over ``Name``
for the asset); two of the same rank are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .plan_sheets import PLAN_SHEET_NAMES


def norm(name: object) -> str:
    """Sheet/column/key matching: case-insensitive, ignoring spaces, underscores and a trailing %."""
    text = str(name).strip().lower().replace(" ", "").replace("_", "").replace("\u00a0", "")
    return text[:-1] if text.endswith("%") else text


INPUT_SHEETS = ("Holdings", "Futures", "Settings", "Tiers", "Lots", "Prices")
INPUT_NORMS = {norm(s): s for s in INPUT_SHEETS}
#: Sheets this program writes (the plan sheets, and the button's Plan Errors): never inputs.
PLAN_NORMS = frozenset(norm(s) for s in (*PLAN_SHEET_NAMES, "Plan Errors"))


@dataclass(frozen=True)
class Column:
    """A column of an input sheet: the field it fills, its title, synonyms, and if required.

    ``later`` holds synonyms of worse ranks, each group taken only when no column of a better
    rank is there (SPEC 3.9: ``Currency``, then ``Name``, name the asset only without a Symbol).
    """

    field: str
    title: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    later: tuple[tuple[str, ...], ...] = ()

    @property
    def names(self) -> str:
        return self.title + (f" (or {', '.join(self.synonyms)})" if self.synonyms else "")

    def ranked(self):
        """(rank, name) for every name of the column, rank 0 the best."""
        yield from ((0, n) for n in (self.title, *self.synonyms))
        for rank, group in enumerate(self.later, start=1):
            yield from ((rank, n) for n in group)


HOLDINGS_COLUMNS = (
    Column("asset", "Asset", ("Symbol", "Coin", "Ticker", "Token", "Asset Ticker", "SYM",
                              "Ticker Symbol", "Asset Symbol", "Coin Symbol", "Stock"), True,
           later=(("Currency",), ("Name", "Crypto Name", "Asset Name", "Coin Name",
                                   "Crypto", "Cryptocurrency"))),
    Column("quantity", "Quantity", ("Qty", "Amount", "Units", "Balance", "Holding", "Holdings",
                                    "Shares", "Current Amount", "Quantity Available",
                                    "Quantity Held", "Amount Held", "Amount Purchase",
                                    "Amount Purchased", "Coins", "No of Shares",
                                    "Number of Shares", "Position", "Total Quantity"), True),
    Column("price", "Price", ("Last", "Last Price", "Current Price", "Market Price", "Mark",
                              "Mark Price", "LTP", "Price Now", "Live Price", "Spot Price"),
           True, later=(("Close", "Closing Price", "Previous Close", "Previous Closing Price",
                         "Prev Close", "Last Close"),)),
    Column("avg_cost", "Avg Cost", ("Average Cost", "Unit Cost", "Avg Price", "Entry Price",
                                    "Average Price", "Avg Buy Price", "Average Buy Price",
                                    "Buy Price", "Purchase Price", "Avg Purchase Price",
                                    "Average Purchase Price", "Cost Price", "Entry Cost",
                                    "Unit Cost Basis", "Avg Entry Price", "Average Entry Price",
                                    "Cost Per Unit", "Cost Per Share", "Cost Per Coin",
                                    "Price Bought", "Bought Price", "Average", "Avg",
                                    "Avg Cost Price")),
    Column("cost_basis", "Cost Basis", ("Total Cost", "Cost", "Invested", "Total Invested",
                                        "Amount Invested", "Value Paid", "Book Value",
                                        "Total Cost Basis", "Investment", "Invested Value",
                                        "Purchase Value", "Buy Value")),
    Column("category", "Category"),
    Column("protect", "Protect"),
    Column("min_keep", "Min Keep %"),
    Column("original_quantity", "Original Quantity"),
    Column("beta", "Beta"),
    Column("venue", "Venue", ("Exchange", "Wallet", "Platform", "Broker", "Account", "Storage",
                              "Exchanges", "Wallets", "Custodian", "Location")),
    Column("lot_step", "Lot Step"),
    Column("value", "Value", ("Market Value", "Current Value", "Total Value", "Worth", "In USD",
                              "Holding Value", "Holdings Value", "Position Value",
                              "Present Value", "Value Now", "Balance Value")),
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

#: What each holdings field is called in messages and in the "read from" line.
FIELD_TITLES = {c.field: c.title for c in HOLDINGS_COLUMNS}

# -- currencies in headers (SPEC 3.9 item 6) --------------------------------------------------

CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY", "₿": "BTC"}
CURRENCY_CODES = frozenset({
    "USD", "USDT", "USDC", "BUSD", "EUR", "GBP", "INR", "JPY", "CHF", "AUD", "CAD", "CNY",
    "HKD", "SGD", "KRW", "BRL", "TRY", "RUB", "ZAR", "NZD", "SEK", "NOK", "DKK", "PLN", "MXN",
    "IDR", "THB", "PHP", "VND", "NGN", "AED", "BTC", "ETH",
})
#: Quotes that price in US dollars: a USD book's stablecoins count at 1 and its pairs strip them.
USD_FAMILY = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "DAI", "PYUSD",
                        "USDE"})
_BRACKETS = re.compile(r"[\(\[\{]([^\)\]\}]*)[\)\]\}]")
_SYMBOLS = re.compile("[" + re.escape("".join(CURRENCY_SYMBOLS)) + "]")


@dataclass(frozen=True, slots=True)
class HeaderWord:
    """A header cell understood: the holdings field it names (or None), its rank and currency."""

    field: str | None
    rank: int = 0
    currency: str | None = None


def _lookup(columns: tuple[Column, ...]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for c in columns:
        for rank, name in c.ranked():
            out.setdefault(norm(name), (c.field, rank))
    return out


HOLDINGS_LOOKUP = _lookup(HOLDINGS_COLUMNS)


def _currency_of(text: str) -> tuple[str, str | None]:
    """(header without its unit, the currency it names or None)."""
    currency = None
    for m in _BRACKETS.finditer(text):
        inner = m.group(1).strip()
        sym = _SYMBOLS.search(inner)
        if sym:
            currency = CURRENCY_SYMBOLS[sym.group(0)]
        elif inner.upper() in CURRENCY_CODES:
            currency = inner.upper()
    text = _BRACKETS.sub(" ", text)
    sym = _SYMBOLS.search(text)
    if sym:
        currency = currency or CURRENCY_SYMBOLS[sym.group(0)]
        text = _SYMBOLS.sub(" ", text)
    words = text.split()
    if len(words) > 1 and words[-1].upper() in CURRENCY_CODES:
        currency = currency or words[-1].upper()
        words = words[:-1]
    elif len(words) > 1 and words[0].upper() in CURRENCY_CODES and words[0].isupper():
        currency = currency or words[0].upper()  # "USD Value"
        words = words[1:]
    return " ".join(words), currency


def read_header(value: object, lookup: dict[str, tuple[str, int]] = HOLDINGS_LOOKUP) -> HeaderWord:
    """What a header cell names, SPEC 3.9 item 4: exact first, then without unit, dots, ``#``."""
    if not isinstance(value, str) or not value.strip():
        return HeaderWord(None)
    text = value.strip()
    hit = lookup.get(norm(text))
    stripped, currency = _currency_of(text)
    if hit is None:
        cleaned = stripped.replace(".", " ").rstrip("#%: ").strip()
        hit = lookup.get(norm(cleaned))
    if hit is None:
        return HeaderWord(None, currency=currency)
    return HeaderWord(hit[0], hit[1], currency)


__all__ = ["Column", "CURRENCY_CODES", "FIELD_TITLES", "FUTURES_COLUMNS", "HOLDINGS_COLUMNS",
           "HOLDINGS_LOOKUP", "HeaderWord", "INPUT_NORMS", "INPUT_SHEETS", "LOTS_COLUMNS",
           "PLAN_NORMS", "PRICES_DATE", "TIERS_COLUMNS", "USD_FAMILY", "norm",
           "read_header"]
