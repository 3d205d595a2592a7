"""SPEC 3.9, one test per rule: trackers as users keep them, written to real .xlsx files with
XlsxWriter and read back by ``read_workbook``. Expected figures are worked by hand in each test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.reading import errs, held, read, warns
from tests.test_reader import xlsx

D = Decimal


TITLE = [["My crypto portfolio"], [], ["Updated", "2026-11-01"], []]


def test_title_rows_and_header_off_column_a(tmp_path):
    rows = TITLE + [[None, None, "Coin", "Amount", "Price (USD)", "Avg Buy Price"],
                    [None, None, "BTC", 0.5, 60000, 20000],
                    [None, None, "ETH", 4, 3000, 1500]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert held(result) == [("BTC", D("0.5"), D(60000)), ("ETH", D(4), D(3000))]
    src = result.inputs.source
    assert src.where == "Portfolio!C5:F7"
    assert dict(src.mapping) == {"Asset": "Coin", "Quantity": "Amount", "Price": "Price (USD)",
                                 "Avg Cost": "Avg Buy Price"}
    # every position names its own Asset cell
    assert [p.location for p in result.inputs.positions] == ["Portfolio!C6", "Portfolio!C7"]


def test_totals_row_by_word_is_not_planned(tmp_path):
    rows = [["Token", "Holdings", "Last Price", "Value"],
            ["SOL", 10, 150, 1500], ["ADA", 1000, 0.5, 500],
            ["Total", None, None, 2000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert [a for a, _, _ in held(result)] == ["SOL", "ADA"]


def test_numbers_that_sum_the_rows_above_are_a_totals_row(tmp_path):
    rows = [["Symbol", "Qty", "Price", "Market Value"],
            ["SOL", 10, 150, 1500], ["ADA", 1000, 0.5, 500],
            [None, 1010, None, 2000]]  # no label: its numbers are the sums of the rows above
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert [a for a, _, _ in held(result)] == ["SOL", "ADA"]


def test_stacked_wallets_are_read_together_with_their_labels_as_venues(tmp_path):
    head = ["LEDGER", "SYM", "BALANCE", "IN USD"]
    rows = [head, ["Ledger A", "BTC", 1, 60000], ["Ledger A", "ETH", 10, 30000],
            ["Subtotal", None, None, 90000], [],
            ["EXCHANGES"] + head[1:], ["Kraken", "SOL", 100, 15000],
            ["Subtotal", None, None, 15000], [],
            ["Fees", "BTC sats/byte: 5"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"PORTFOLIO": rows}))
    # no price column: price = value ÷ balance
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(10), D(3000)),
                            ("SOL", D(100), D(150))]
    assert [p.venue for p in result.inputs.positions] == ["Ledger A", "Ledger A", "Kraken"]
    assert any("not planned" in w and "10" in w for w in warns(result))  # the fees row


def test_a_second_table_below_is_not_planned(tmp_path):
    rows = [["Ticker", "Shares", "Price"], ["AAPL", 10, 200], ["MSFT", 5, 400], [],
            ["Market Watch"], ["Ticker", "Price", "Change"], ["NVDA", 900, 0.02],
            ["TSLA", 200, -0.01]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert [a for a, _, _ in held(result)] == ["AAPL", "MSFT"]
    assert any("not planned" in w and "rows 5–8" in w for w in warns(result))


def test_rows_of_the_same_shape_after_a_gap_stay_with_a_warning(tmp_path):
    rows = [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [], ["ETH", 2, 3000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Positions": rows}))
    assert [a for a, _, _ in held(result)] == ["BTC", "ETH"]
    assert any("empty row" in w for w in warns(result))


def test_side_by_side_tables_only_the_first_is_planned(tmp_path):
    rows = [["In USD", None, None, None, "In EUR"],
            ["Name", "Ticker", "Quantity", "Current Price", "Currency", "Name", "Ticker",
             "Quantity", "Current Price"],
            ["Bitcoin", "BTC", 1, 60000, "EUR", "Bitcoin", "BTC", 1, 55000],
            ["Ether", "ETH", 2, 3000, "EUR", "Ether", "ETH", 2, 2750]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert result.inputs.source.where == "Portfolio!A2:D4"
    said = "\n".join(warns(result))
    assert "Portfolio!E2:I4" in said  # the other one is named, with the key that picks it


def test_snapshot_series_takes_the_latest_snapshot(tmp_path):
    d1, d2 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    rows = [["Date", "Coin", "Balance", "Price"],
            [d1, "BTC", 1, 50000], [d1, "ETH", 10, 2500],
            [d2, "BTC", 1.5, 60000], [d2, "ETH", 8, 3000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Balances": rows}))
    assert held(result) == [("BTC", D("1.5"), D(60000)), ("ETH", D(8), D(3000))]
    assert any("2 snapshots" in w and "2026-11-01" in w for w in warns(result))


def test_transaction_log_is_refused_with_what_to_do(tmp_path):
    rows = [["Date", "Coin", "Quantity", "Price", "Exchange"],
            [dt.date(2026, 1, 2), "ADA", 100, 0.3, "Binance"],
            [dt.date(2026, 2, 3), "BTC", 0.1, 40000, "Kraken"],
            [dt.date(2026, 3, 4), "ADA", 50, 0.4, "Binance"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Trades": rows}))
    assert result.inputs is None
    (message,) = errs(result).values()
    assert "transaction log" in message and "ADA" in message and "Holdings" in message


def test_log_with_buys_and_sells_beside_the_holdings_is_not_taken(tmp_path):
    holdings = [["Asset", "Amount", "Price"], ["BTC", 1, 60000]]
    log = [["Date", "Action", "Asset", "Amount", "Price"],
           [dt.date(2026, 1, 2), "Buy", "BTC", 2, 40000],
           [dt.date(2026, 1, 3), "Sell", "BTC", 1, 45000],
           [dt.date(2026, 1, 4), "Buy", "ETH", 1, 2000],
           [dt.date(2026, 1, 5), "Buy", "SOL", 1, 100]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Log": log, "Mine": holdings}))
    assert held(result) == [("BTC", D(1), D(60000))]


def test_price_history_is_never_holdings(tmp_path):
    rows = [["Date", "BTC", "ETH", "SOL"]] + [
        [dt.date(2026, 1, d), 40000 + d, 2000 + d, 100 + d] for d in range(1, 8)]
    result = read(xlsx(tmp_path / "t.xlsx", {"Prices history": rows}))
    assert result.inputs is None
    (message,) = errs(result).values()
    assert "price history" in message and "Holdings" in message


def test_numeric_text_is_read_with_one_warning_and_words_stay_errors(tmp_path):
    rows = [["Symbol", "Qty", "Price"], ["BTC", "1.5", "$60,000.50"], ["ETH", 2, "'3000"],
            ["SOL", "ten", 100], ["ADA", "1,5", 0.5]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    assert set(errs(result)) == {"Holdings!B4", "Holdings!B5", "Holdings!C3"}
    assert "ambiguous" in errs(result)["Holdings!B5"] or "comma" in errs(result)["Holdings!B5"]
    rows[2][2], rows[3][1], rows[4][1] = "3000", 10, "1,500"
    result = read(xlsx(tmp_path / "u.xlsx", {"Holdings": rows}))
    assert held(result) == [("BTC", D("1.5"), D("60000.50")), ("ETH", D(2), D(3000)),
                            ("SOL", D(10), D(100)), ("ADA", D(1500), D("0.5"))]
    text = [w for w in warns(result) if "stored as text" in w]
    assert len(text) == 1 and text[0].startswith("Holdings!B2") and "4 number(s)" in text[0]


def test_currency_headers_give_the_base_currency_and_inr_sales_go_to_inr_cash(tmp_path):
    rows = [["Crypto Name", "Symbol", "Amount", "Current Price ₹", "Total Invested ₹"],
            ["Bitcoin", "btc", 0.01, 3400000, 30000], ["Tether", "usdt", 100, 88, 8000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Dashboard": rows}))
    assert errs(result) == {}
    s = result.inputs.settings
    assert (s.base_currency, s.stable_asset) == ("INR", "INR cash")
    assert any("INR cash" in w for w in warns(result))
    # Settings win over the headers: the rupee prices then need a rate into USD (SPEC 3.10),
    # and with one they are converted, never taken as dollars
    settings = [["Key", "Value"], ["Base Currency", "USD"]]
    result = read(xlsx(tmp_path / "u.xlsx", {"Dashboard": rows, "Settings": settings}))
    (where, message), = errs(result).items()
    assert where == "Dashboard!B2" and "INR (2 row(s): Dashboard!B2, Dashboard!B3)" in message
    settings.append(["FX INR", 0.012])
    result = read(xlsx(tmp_path / "v.xlsx", {"Dashboard": rows, "Settings": settings}))
    s = result.inputs.settings
    assert (s.base_currency, s.stable_asset) == ("USD", "USDC")
    assert result.inputs.positions[0].price == Decimal("40800.000")  # 3,400,000 × 0.012


def test_headers_naming_different_currencies_need_a_rate(tmp_path):
    rows = [["Coin", "Qty", "Price (USD)", "Avg Cost (EUR)"], ["BTC", 1, 60000, 30000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    (where, message), = errs(result).items()
    assert where == "Holdings!A2" and "EUR (1 row(s): Holdings!A2)" in message
    assert "book is in USD (from the header 'Price (USD)')" in message
    assert "Settings FX EUR" in message


def test_pair_tickers_are_their_base_asset(tmp_path):
    rows = [["Ticker", "Last", "Average", "Quantity"], ["btcinr", 3368900, 2233110, 0.0101],
            ["ltcinr", 13975, 11186, 494]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert [a for a, _, _ in held(result)] == ["BTC", "LTC"]
    assert result.inputs.settings.base_currency == "INR"
    rows = [["Symbol", "Qty", "Price"], ["ETH-USD", 2, 3000], ["BTCUSDT", 1, 60000],
            ["USDT", 500, 1]]
    result = read(xlsx(tmp_path / "u.xlsx", {"Sheet1": rows}))
    assert [a for a, _, _ in held(result)] == ["ETH", "BTC", "USDT"]
    assert result.inputs.settings.base_currency == "USD"


def test_sector_categories_are_labels_with_one_warning(tmp_path):
    rows = [["Token", "Category", "Amount", "Price"], ["SOL", "Layer 1", 10, 150],
            ["DOGE", "Meme", 1000, 0.2], ["USDC", "Stablecoin", 500, 1]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert errs(result) == {}
    assert [p.category for p in result.inputs.positions] == ["alt", "alt", "stable"]
    assert len([w for w in warns(result) if "labels" in w]) == 1


def test_cost_zero_is_a_cost(tmp_path):
    rows = [["Asset", "Quantity", "Price", "Cost"], ["AIR", 100, 2, 0]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    assert result.inputs.positions[0].avg_cost == 0


def test_two_columns_for_one_field_name_both_headers(tmp_path):
    rows = [["Coin", "Symbol", "Quantity", "Price"], ["Bitcoin", "BTC", 1, 60000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    (w,) = [w for w in warns(result) if "both mean Asset" in w]
    assert "'Coin'" in w and "'Symbol'" in w
    assert result.inputs.positions[0].asset == "BITCOIN"  # the first is read


def test_explicit_holdings_sheet_in_settings_points_elsewhere(tmp_path):
    main = [["Asset", "Quantity", "Price"], ["BTC", 1, 60000]]
    other = [["Coin", "Balance", "Price"], ["ETH", 3, 3000]]
    settings = [["Key", "Value"], ["Holdings Sheet", "Cold wallet"]]
    path = xlsx(tmp_path / "t.xlsx", {"Holdings": main, "Cold wallet": other,
                                      "Settings": settings})
    assert held(read(path)) == [("ETH", D(3), D(3000))]
    assert read(path).inputs.source.chosen_by == "chosen by Settings Holdings Sheet"
    # --holdings wins over Settings
    assert held(read(path, holdings="Holdings")) == [("BTC", D(1), D(60000))]
    # a name that is nowhere is an error at the Settings cell, listing what there is
    settings[1][1] = "Cold walet"
    result = read(xlsx(tmp_path / "u.xlsx", {"Holdings": main, "Cold wallet": other,
                                             "Settings": settings}))
    assert "Cold wallet" in errs(result)["Settings!B2"]


def test_a_range_reads_exactly_its_cells(tmp_path):
    rows = [["Report"], [None, "Coin", "Qty", "Price"], [None, "BTC", 1, 60000],
            [None, "ETH", 2, 3000], [None, "SOL", 3, 150]]
    path = xlsx(tmp_path / "t.xlsx", {"Data": rows})
    result = read(path, holdings="Data!B2:D4")
    assert [a for a, _, _ in held(result)] == ["BTC", "ETH"]
    assert result.inputs.source.where == "Data!B2:D4"


def test_an_excel_table_bounds_the_holdings(tmp_path):
    rows = [["Title"], ["Symbol", "Amount", "Price"], ["BTC", 1, 60000], ["ETH", 2, 3000],
            ["SOL", 3, 150], ["Note", "these prices are from Monday"]]
    path = xlsx(tmp_path / "t.xlsx", {"Dashboard": rows},
                tables=[("Dashboard", 1, 0, 3, 2, "Coins")])
    result = read(path)
    assert [a for a, _, _ in held(result)] == ["BTC", "ETH"]


def test_close_candidates_are_named_with_the_key_that_picks_the_other(tmp_path):
    a = [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], ["ETH", 2, 3000]]
    b = [["Asset", "Quantity", "Price"], ["SOL", 1, 150], ["ADA", 2, 0.5]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": a, "Portfolio 2": b}))
    assert [x for x, _, _ in held(result)] == ["BTC", "ETH"]  # equals: tab order
    (w,) = [w for w in warns(result) if "also looks like holdings" in w]
    assert '--holdings "Portfolio 2"' in w


def test_no_table_anywhere_says_what_was_looked_at(tmp_path):
    result = read(xlsx(tmp_path / "t.xlsx", {"Notes": [["Ideas"], ["buy low"]],
                                              "Watch": [["Ticker", "Price"], ["BTC", 1]]}))
    (message,) = errs(result).values()
    assert "Notes" in message and "Watch has no quantity column" in message
    assert "Holdings Sheet" in message


@pytest.mark.parametrize("n", [2, 5])
def test_position_warnings_are_grouped_from_three(tmp_path, n):
    rows = [["Name", "Ticker", "Amount", "Price"]] + [
        [f"Coin {i}", f"C{i}", 1, 10 + i] for i in range(n)]
    from derisk_xl.core.plan import make_plan

    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    plan = make_plan(result.inputs)
    cost = [w for w in plan.warnings if "average cost" in w.message]
    if n < 3:
        assert [w.location for w in cost] == ["Holdings!B2", "Holdings!B3"]
    else:
        (w,) = cost
        assert w.message.startswith("5 positions have no average cost (first: Holdings!B2, "
                                    "Holdings!B3, Holdings!B4 …)")


def test_a_holdings_sheet_with_purchase_dates_is_still_positions(tmp_path):
    rows = [["Asset", "Quantity", "Price", "Date"], ["BTC", 1, 60000, dt.date(2024, 1, 2)],
            ["BTC", 0.5, 60000, dt.date(2024, 6, 3)], ["ETH", 2, 3000, dt.date(2024, 2, 1)]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    assert [a for a, _, _ in held(result)] == ["BTC", "BTC", "ETH"]  # SPEC 3.1: each row
