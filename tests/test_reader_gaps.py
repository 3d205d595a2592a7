"""Reader paths no test reached (issue #20): each written as a real .xlsx with openpyxl and read
back through ``read_workbook``, asserting on the positions read or the issue and its cell,
so they hold whatever the reader's insides become.

- refusals: a future expired before the as-of date, a Hedge Expiry before it, lots of an asset
  Holdings does not hold, a second Prices column for one asset;
- a leading currency code in a header (``USD Price``);
- stacked blocks of one table, each closed by a totals row of bare sums, and the two-rows
  guard that keeps a single row from being taken for its own total.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from derisk_xl.workbook.reader import read_workbook

AS_OF = dt.date(2026, 11, 28)
HOLDINGS = [["Asset", "Quantity", "Price", "Avg Cost"],
            ["BTC", 0.1, 40000, 40000], ["ETH", 2.5, 3000, 1200], ["USDC", 100, 1, 1]]


def book(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write ``sheets`` ({name: rows, first row at A1}) as a plain .xlsx with openpyxl."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def read(path: Path):
    return read_workbook(path, as_of=AS_OF, today=AS_OF)


def errors(result) -> dict[str, str]:
    return {i.location: i.message for i in result.issues if i.severity == "error"}


def refused_at(path: Path, where: str) -> str:
    result = read(path)
    assert result.inputs is None, "a workbook with an error must not be planned"
    found = errors(result)
    assert where in found, f"no error at {where}: {result.issues}"
    return found[where]


# -------------------------------------------------------------------------------------------
# Refusals, each naming its cell
# -------------------------------------------------------------------------------------------

FUTURES_HEAD = ["Symbol", "Underlying", "Side", "Size", "Entry Price", "Mark Price", "Leverage",
                "Expiry"]


def test_a_future_that_expired_before_the_as_of_date_is_refused(tmp_path):
    path = book(tmp_path / "b.xlsx", {
        "Holdings": HOLDINGS,
        "Futures": [FUTURES_HEAD,
                    ["BTC-0327", "BTC", "Short", 0.01, 40000, 41000, 2, dt.date(2026, 3, 27)],
                    ["BTC-1225", "BTC", "Short", 0.01, 40000, 41000, 2, dt.date(2026, 12, 25)],
                    ["BTC-1128", "BTC", "Short", 0.01, 40000, 41000, 2, AS_OF]]})
    message = refused_at(path, "Futures!A2")
    assert "BTC-0327 expired on 2026-03-27, before the as-of date 2026-11-28" in message
    # a future expiring later, or on the as-of date itself, is still open
    assert set(errors(read(path))) == {"Futures!A2"}


def test_a_hedge_expiry_before_the_as_of_date_is_refused(tmp_path):
    path = book(tmp_path / "b.xlsx", {
        "Holdings": HOLDINGS,
        "Settings": [["Key", "Value"], ["Hedge Expiry", dt.date(2026, 9, 25)]]})
    message = refused_at(path, "Settings")
    assert "Hedge Expiry 2026-09-25 is before the as-of date 2026-11-28" in message


def test_a_hedge_expiry_on_the_as_of_date_is_not_an_error(tmp_path):
    path = book(tmp_path / "b.xlsx", {
        "Holdings": HOLDINGS,
        "Settings": [["Key", "Value"], ["Hedge Expiry", AS_OF]]})
    result = read(path)
    assert errors(result) == {}
    assert result.inputs.settings.hedge_expiry == AS_OF


def test_lots_of_an_asset_not_held_are_refused(tmp_path):
    path = book(tmp_path / "b.xlsx", {
        "Holdings": HOLDINGS,
        "Lots": [["Asset", "Acquired", "Quantity", "Unit Cost"],
                 ["ETH", dt.date(2025, 1, 2), 2.5, 1200],
                 ["DOGE", dt.date(2025, 1, 2), 1000, 0.1],
                 ["DOGE", dt.date(2025, 2, 2), 500, 0.2]]})
    message = refused_at(path, "Lots!A3")
    assert "lots for DOGE, which is not in Holdings" in message
    assert set(errors(read(path))) == {"Lots!A3"}      # ETH's lots are fine; DOGE said once


def test_a_second_prices_column_for_one_asset_is_refused(tmp_path):
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=k) for k in range(3)]
    path = book(tmp_path / "b.xlsx", {
        "Holdings": HOLDINGS,
        "Prices": [["Date", "BTC", "ETH", "btc"]] +
                  [[d, 40000 + k, 3000 + k, 40000 + k] for k, d in enumerate(days)]})
    message = refused_at(path, "Prices!D1")
    assert "a second price column for BTC (the first is at Prices!B1)" in message


# -------------------------------------------------------------------------------------------
# Headers and blocks
# -------------------------------------------------------------------------------------------


def positions_of(result) -> list[tuple[str, Decimal, Decimal]]:
    assert errors(result) == {}, result.issues
    return [(p.asset, p.quantity, p.price) for p in result.inputs.positions]


def test_a_leading_currency_code_names_the_price_column(tmp_path):
    path = book(tmp_path / "b.xlsx", {"Portfolio": [
        ["Coin", "Amount", "USD Price"], ["BTC", 0.5, 40000], ["ETH", 3, 2500]]})
    result = read(path)
    assert positions_of(result) == [("BTC", Decimal("0.5"), Decimal(40000)),
                                    ("ETH", Decimal(3), Decimal(2500))]
    assert ("Price", "USD Price") in result.inputs.source.mapping
    assert result.inputs.settings.base_currency == "USD"


def test_a_leading_currency_code_sets_the_base_currency(tmp_path):
    path = book(tmp_path / "b.xlsx", {"Portfolio": [
        ["Coin", "Amount", "EUR Price"], ["BTC", 0.5, 36000], ["ETH", 3, 2300]]})
    result = read(path)
    assert positions_of(result)[0] == ("BTC", Decimal("0.5"), Decimal(36000))
    assert result.inputs.settings.base_currency == "EUR"


def test_stacked_blocks_each_closed_by_a_row_of_sums(tmp_path):
    """Two wallets stacked on one sheet, each header repeated and each block closed by a row
    of bare sums (no word): both totals rows are left out, whatever the first block summed."""
    head = ["Wallet", "Coin", "Amount", "Price", "Value"]
    path = book(tmp_path / "b.xlsx", {"Portfolio": [
        head,
        ["Ledger", "BTC", 0.5, 40000, 20000],
        ["Ledger", "ETH", 2, 3000, 6000],
        [None, None, 2.5, None, 26000],
        [],
        head,
        ["Kraken", "SOL", 10, 150, 1500],
        ["Kraken", "ADA", 1000, 0.5, 500],
        ["Kraken", "DOT", 100, 5, 500],
        [None, None, 1110, None, 2500],
    ]})
    assert positions_of(read(path)) == [
        ("BTC", Decimal("0.5"), Decimal(40000)), ("ETH", Decimal(2), Decimal(3000)),
        ("SOL", Decimal(10), Decimal(150)), ("ADA", Decimal(1000), Decimal("0.5")),
        ("DOT", Decimal(100), Decimal(5))]


def test_a_row_of_sums_after_two_rows_closes_the_table(tmp_path):
    path = book(tmp_path / "b.xlsx", {"Portfolio": [
        ["Coin", "Amount", "Price", "Value"],
        ["BTC", 0.5, 40000, 20000],
        ["ETH", 2, 3000, 6000],
        [None, 2.5, None, 26000],
    ]})
    assert [a for a, _, _ in positions_of(read(path))] == ["BTC", "ETH"]


def test_one_row_is_never_taken_for_the_total_of_itself(tmp_path):
    """After a single row, a row without an asset repeating its numbers cannot be told from a
    position with a missing asset: it is read as a row, and its empty Asset is an error."""
    path = book(tmp_path / "b.xlsx", {"Portfolio": [
        ["Coin", "Amount", "Price", "Value"],
        ["BTC", 0.5, 40000, 20000],
        [None, 0.5, 40000, 20000],
    ]})
    result = read(path)
    assert result.inputs is None
    assert any(loc.startswith("Portfolio!") and "3" in loc for loc in errors(result)), \
        result.issues
