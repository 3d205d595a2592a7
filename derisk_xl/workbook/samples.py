"""The committed sample workbooks: ``workbooks/example.xlsx`` and ``workbooks/case-study.xlsx``.

Regenerate with ``python -m derisk_xl.workbook.samples`` (deterministic: the same bytes every
time). Both are written by the same machinery as ``derisk new``, so they look like a user's file.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .new import DEFAULT_TIER_ROWS, InputBook, Percent, price_history, write_input_workbook

CASE_STUDY_AS_OF = dt.date(2026, 11, 28)
EXAMPLE_AS_OF = dt.date(2026, 11, 27)


def case_study_book() -> InputBook:
    """SPEC section 7: BTC 0.1 @ 40,000; ETH 2.5 @ 3,000 (1,200); ALT 1,000 @ 12 (3); USDC."""
    holdings = [
        {"Asset": "BTC", "Quantity": 0.1, "Price": 40000, "Avg Cost": 40000},
        {"Asset": "ETH", "Quantity": 2.5, "Price": 3000, "Avg Cost": 1200},
        {"Asset": "ALT", "Quantity": 1000, "Price": 12, "Avg Cost": 3},
        {"Asset": "USDC", "Quantity": 11500, "Price": 1, "Avg Cost": 1},
    ]
    settings = [
        ("Model", "Balanced De-Risk"),
        ("Fee bps", 0),
        ("Hedge Price", 40200),
        ("Hedge Funding Rate 8h %", Percent(0.0001, 2)),
        ("As Of", CASE_STUDY_AS_OF),
        ("Client", "Case Study Client"),
        ("Report Title", "De-risk plan: the article's case study"),
        ("Report Recipients", "client@example.com"),
    ]
    return InputBook(holdings=holdings, futures=(), settings=settings,
                     tiers=DEFAULT_TIER_ROWS, lots=None, prices=None)


def example_book() -> InputBook:
    """A post-rally crypto portfolio over four venues, with futures, lots and 90 days of prices.

    Long because it is data: one literal per sheet, as a user would type the rows."""
    d = dt.date
    holdings = [
        {"Asset": "BTC", "Quantity": 1.2, "Price": 96800, "Avg Cost": 28500, "Category": "core",
         "Protect": "yes", "Venue": "Ledger", "Lot Step": 0.0001},
        {"Asset": "BTC", "Quantity": 0.35, "Price": 96800, "Avg Cost": 61000,
         "Venue": "Coinbase", "Lot Step": 0.0001},
        {"Asset": "ETH", "Quantity": 14, "Price": 3650, "Avg Cost": 1850, "Venue": "Coinbase",
         "Lot Step": 0.001},
        {"Asset": "ETH", "Quantity": 6.5, "Price": 3650, "Avg Cost": 1420, "Venue": "Ledger",
         "Min Keep %": Percent(0.5), "Lot Step": 0.001},
        {"Asset": "SOL", "Quantity": 420, "Price": 238, "Avg Cost": 38.6, "Venue": "Binance",
         "Original Quantity": 560, "Lot Step": 0.01},
        {"Asset": "LINK", "Quantity": 1800, "Price": 24.6, "Avg Cost": 7.9, "Venue": "Binance",
         "Lot Step": 0.01},
        {"Asset": "AVAX", "Quantity": 950, "Price": 47.2, "Avg Cost": 14.5, "Venue": "Bybit",
         "Lot Step": 0.01},
        {"Asset": "DOGE", "Quantity": 85000, "Price": 0.41, "Avg Cost": 0.082,
         "Venue": "Binance", "Lot Step": 1},
        {"Asset": "ADA", "Quantity": 22000, "Price": 1.05, "Avg Cost": 0.36, "Venue": "Coinbase",
         "Lot Step": 0.1},
        {"Asset": "DOT", "Quantity": 1500, "Price": 9.4, "Avg Cost": 6.2, "Venue": "Binance",
         "Lot Step": 0.01},
        {"Asset": "ARB", "Quantity": 9000, "Price": 1.12, "Avg Cost": 1.35, "Venue": "Bybit",
         "Lot Step": 0.1},
        {"Asset": "INJ", "Quantity": 600, "Price": 31.5, "Avg Cost": 9.8, "Venue": "Binance",
         "Lot Step": 0.01},
        {"Asset": "RENDER", "Quantity": 1200, "Price": 9.1, "Avg Cost": 2.7, "Venue": "Binance",
         "Lot Step": 0.01},
        {"Asset": "OP", "Quantity": 4000, "Price": 2.45, "Avg Cost": 2.9, "Venue": "Bybit",
         "Lot Step": 0.01},
        {"Asset": "UNI", "Quantity": 700, "Price": 14.8, "Cost Basis": 3920,
         "Venue": "Coinbase", "Lot Step": 0.01},
        {"Asset": "ATOM", "Quantity": 900, "Price": 8.9, "Avg Cost": 9.5, "Venue": "Ledger",
         "Lot Step": 0.01},
        {"Asset": "USDC", "Quantity": 45000, "Price": 1, "Avg Cost": 1, "Venue": "Coinbase"},
        {"Asset": "USDT", "Quantity": 28000, "Price": 1, "Avg Cost": 1, "Venue": "Binance"},
        {"Asset": "DAI", "Quantity": 6000, "Price": 1, "Avg Cost": 1, "Venue": "Ledger"},
        {"Asset": "FDUSD", "Quantity": 5000, "Price": 1, "Avg Cost": 1, "Venue": "Binance"},
    ]
    futures = [
        {"Symbol": "BTCUSDT-PERP", "Underlying": "BTC", "Side": "Long", "Size": 0.5,
         "Entry Price": 61200, "Mark Price": 96900, "Leverage": 10,
         "Maint Margin Rate %": Percent(0.004, 2), "Type": "linear",
         "Funding Rate 8h %": Percent(0.00012, 3), "Venue": "Binance"},
        {"Symbol": "ETHUSDT-PERP", "Underlying": "ETH", "Side": "Short", "Size": 5,
         "Entry Price": 3420, "Mark Price": 3655, "Leverage": 5,
         "Maint Margin Rate %": Percent(0.005, 2), "Type": "linear",
         "Funding Rate 8h %": Percent(0.0001, 3), "Venue": "Bybit"},
        {"Symbol": "SOLUSDT-PERP", "Underlying": "SOL", "Side": "Long", "Size": 100,
         "Entry Price": 180, "Mark Price": 238.4, "Margin": 3000,
         "Maint Margin Rate %": Percent(0.01, 2), "Type": "linear",
         "Funding Rate 8h %": Percent(0.00015, 3), "Venue": "Bybit"},
        {"Symbol": "BTCUSD-270326", "Underlying": "BTC", "Side": "Long", "Size": 300,
         "Entry Price": 88000, "Mark Price": 98100, "Leverage": 3, "Type": "inverse",
         "Contract Value": 100, "Expiry": d(2027, 3, 26), "Venue": "OKX"},
    ]
    settings = [
        ("Model", "Balanced De-Risk"),
        ("Hedge Sizing", "notional"),
        ("Hedge Price", 97150),
        ("Hedge Funding Rate 8h %", Percent(0.0001, 3)),
        ("Futures Free Collateral", 2500),
        ("Stable Asset", "USDC"),
        ("Tax Rate Short %", Percent(0.35)),
        ("Tax Rate Long %", Percent(0.20)),
        ("Fear Greed Index", 82),
        ("As Of", EXAMPLE_AS_OF),
        ("Client", "Northwind Family Office"),
        ("Report Title", "De-risk plan after the Q4 rally"),
        ("Report Recipients", "pm@example.com; Operations <ops@example.com>"),
    ]
    lots = [
        {"Asset": "BTC", "Acquired": d(2020, 3, 16), "Quantity": 0.8, "Unit Cost": 5600},
        {"Asset": "BTC", "Acquired": d(2022, 11, 10), "Quantity": 0.4, "Unit Cost": 16500},
        {"Asset": "BTC", "Acquired": d(2026, 7, 1), "Quantity": 0.35, "Unit Cost": 61000},
        {"Asset": "ETH", "Acquired": d(2022, 6, 18), "Quantity": 9, "Unit Cost": 1100},
        {"Asset": "ETH", "Acquired": d(2023, 3, 2), "Quantity": 7.5, "Unit Cost": 1600},
        {"Asset": "ETH", "Acquired": d(2026, 7, 15), "Quantity": 4, "Unit Cost": 4200},
        {"Asset": "SOL", "Acquired": d(2023, 1, 5), "Quantity": 300, "Unit Cost": 12},
        {"Asset": "SOL", "Acquired": d(2026, 2, 20), "Quantity": 120, "Unit Cost": 105},
    ]
    risk = {}
    for row in holdings:
        if row["Asset"] not in ("USDC", "USDT", "DAI", "FDUSD"):
            risk.setdefault(row["Asset"], row["Price"])
    return InputBook(holdings=holdings, futures=futures, settings=settings,
                     tiers=DEFAULT_TIER_ROWS, lots=lots,
                     prices=price_history(risk, EXAMPLE_AS_OF, 90))


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, book in (("example.xlsx", example_book()), ("case-study.xlsx", case_study_book())):
        write_input_workbook(folder / name, book)
        out.append(folder / name)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "workbooks"
    for path in write_samples(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
