"""The contract's own optional sheets (SPEC 3.2, 3.5–3.7): Futures, Tiers, Lots and Prices read
through ``parse_inputs`` on a workbook's grid, each value and each problem where SPEC 3.8 says
(the sheet, the cell, what was expected). What the reader's surviving mutants in contract.py
showed no test held (issue #20); every expectation is worked by hand from the rows below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from derisk_xl.core.model import FuturesPosition, Lot
from derisk_xl.workbook.contract import parse_inputs
from tests.reading import TODAY, errs, warns
from tests.test_reader_mutants import grid_of, read

D = Decimal
HOLDINGS = [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], ["ETH", 2, 3000]]
FUTURES = ["Symbol", "Underlying", "Side", "Size", "Entry Price", "Mark Price", "Leverage",
           "Margin", "Maint Margin Rate %", "Maint Amount", "Type", "Contract Value",
           "Underlying Price", "Venue"]


def _future(*cells):
    return [*cells, *[None] * (len(FUTURES) - len(cells))]


# -- Futures (SPEC 3.2) -----------------------------------------------------------------------


def test_a_futures_row_is_read_with_the_defaults_spec_names_and_the_amounts_given():
    """Type empty → linear, Contract Value → 100, Maint Margin Rate % → 0.5 %, Margin →
    Size·Entry/Leverage = 0.5 · 60000 / 5 = 6000; a Maint Amount given is kept; an empty Venue
    is no venue. Size and Entry Price typed as text are read, and said once."""
    result = read({"Holdings": HOLDINGS, "Futures": [
        FUTURES, _future("BTC-PERP", "btc", "Short", "0.5", "60000", 61000, 5, None, None, 50)]})
    assert errs(result) == {}
    (future,) = result.inputs.futures
    assert replace(future, liquidation_model="") == FuturesPosition(
        symbol="BTC-PERP", underlying="BTC", side="short", size=D("0.5"), entry_price=D(60000),
        mark_price=D(61000), margin=D(6000), leverage=D(5), maint_rate=D("0.005"),
        maint_amount=D(50), contract_type="linear", contract_value=D(100), expiry=None,
        funding_rate_8h=None, underlying_price=None, venue="", liquidation_model="",
        location="Futures!A2")
    assert warns(result) == [
        "Futures!D2: 2 number(s) stored as text were read as numbers (first: Futures!D2, "
        "Futures!E2); format those cells as numbers in Excel to keep them so."]


def test_each_bad_futures_cell_is_named_with_its_column_and_what_was_expected():
    result = read({"Holdings": HOLDINGS, "Futures": [
        FUTURES,
        _future(None, "BTC", "Long", 1, 60000, 61000, 2),
        _future("ETH-PERP", None, "Long", 1, 3000, 3100, 2),
        _future("X1", "BTC", None, 1, 1, 1, 2),
        _future("X2", "BTC", "Long", None, 1, 1, 2),
        _future("X3", "BTC", "Long", 1, 1, "abc", 2),
        _future("X4", "BTC", "Long", 1, 1, 1, None, 0),
        _future("X5", "BTC", "Long", 1, 1, 1, 2, None, "lots"),
        _future("X6", "BTC", "Long", 1, 1, 1, 2, None, None, -1),
        _future("X7", "DOGE", "Long", 1, 1, 1, 2, None, None, None, None, None, 0),
        _future("X8", "BTC", "Long", 1, 1, 1, 2, None, None, None, None, None, None, True),
        _future("X9", "BTC", "Long", 1, 1, 1),
        _future("X10", "DOGE", "Long", 1, 1, 1, 2),
    ]})
    assert errs(result) == {
        "Futures!A2": "Symbol is empty; expected a name.",
        "Futures!B3": "Underlying is empty; expected a name.",
        "Futures!C4": "Side is empty; expected Long or Short (Buy or Sell).",
        "Futures!D5": "Size is empty; expected a number greater than 0.",
        "Futures!F6": "Mark Price is the text 'abc'; expected a number greater than 0.",
        "Futures!H7": "Margin is 0; expected a number greater than 0.",
        "Futures!I8": "Maint Margin Rate % is the text 'lots'; expected a percentage from 0 to "
                      "100 (e.g. 25 or 25%).",
        "Futures!J9": "Maint Amount is -1; expected a number of at least 0.",
        "Futures!M10": "Underlying Price is 0; expected a number greater than 0.",
        "Futures!N11": "Venue is TRUE; expected text.",
        "Futures!A12": "X9 has neither Leverage nor Margin; give one of them (Margin is the "
                       "isolated margin, Leverage ≥ 1).",
        "Futures!B13": "the underlying DOGE is not in Holdings and no Underlying Price is "
                       "given; add one of them so the position can be priced.",
    }


def test_the_rate_a_future_is_converted_at_is_named_beside_the_holdings_own():
    """SPEC 3.10: a EUR book's BTCUSD future is converted at Settings FX USD, and the read line
    names that rate too (the holdings themselves are in EUR and use none)."""
    result = read({"Holdings": HOLDINGS, "Settings": [
        ["Key", "Value"], ["Base Currency", "EUR"], ["FX USD", 0.9]], "Futures": [
        FUTURES, _future("BTCUSD-PERP", "BTC", "Short", 1, 60000, 60000, 2)]})
    assert errs(result) == {}
    assert [(r.currency, r.rate, r.source) for r in result.inputs.source.rates] == [
        ("USD", D("0.9"), "Settings FX USD")]
    assert result.inputs.futures[0].mark_price == D(54000)


# -- Tiers (SPEC 3.5) -------------------------------------------------------------------------


def test_a_tier_without_its_sell_percent_is_named():
    result = read({"Holdings": HOLDINGS, "Tiers": [["Trigger Multiple", "Sell %"], [2, None]]})
    assert errs(result) == {"Tiers!B2": "Sell % is empty; expected a percentage from 0 to 100."}


# -- Lots (SPEC 3.6) --------------------------------------------------------------------------

LOTS = ["Asset", "Acquired", "Quantity", "Unit Cost"]


def test_lots_are_read_with_their_cells_and_a_lot_after_the_as_of_date_is_named_there():
    lots = [LOTS, ["BTC", dt.date(2025, 1, 1), 0.4, 30000], ["btc", None, 0.6, 40000],
            ["ETH", dt.date(2026, 3, 1), 2, 2500]]
    result = read({"Holdings": HOLDINGS, "Lots": lots})
    assert errs(result) == {}
    assert result.inputs.lots == (
        Lot("BTC", D("0.4"), D(30000), dt.date(2025, 1, 1), location="Lots!A2"),
        Lot("BTC", D("0.6"), D(40000), None, location="Lots!A3"),
        Lot("ETH", D(2), D(2500), dt.date(2026, 3, 1), location="Lots!A4"))
    lots[3][1] = dt.date(2026, 12, 1)  # after the as-of date, TODAY (2026-11-28)
    assert errs(read({"Holdings": HOLDINGS, "Lots": lots})) == {
        "Lots!A4": "a lot of ETH acquired on 2026-12-01, after the as-of date 2026-11-28; a "
                   "lot cannot be held before it is bought. Correct Acquired or the as-of date."}


def test_a_lot_without_its_quantity_or_cost_is_named_and_its_asset_not_summed():
    result = read({"Holdings": HOLDINGS, "Lots": [
        LOTS, ["BTC", None, 1, 30000], ["ETH", None, None, 2000], ["ETH", None, 1, None]]})
    assert errs(result) == {
        "Lots!C3": "Quantity is empty; expected a number of at least 0.",
        "Lots!D4": "Unit Cost is empty; expected a number of at least 0."}


def test_lots_that_do_not_sum_to_the_holding_name_the_gap():
    result = read({"Holdings": HOLDINGS, "Lots": [LOTS, ["BTC", None, 0.5, 30000],
                                                  ["ETH", None, 2, 2000]]})
    assert errs(result) == {
        "Lots!A2": "the lots of BTC sum to 0.5 but Holdings hold 1 (gap -0.5); the lot "
                   "quantities of an asset must add up to its Holdings quantity."}


# -- Prices (SPEC 3.7) ------------------------------------------------------------------------


def test_prices_are_read_in_date_order_with_a_missing_close_as_none():
    result = read({"Holdings": HOLDINGS, "Prices": [
        ["Date", "BTC", "ETH"], [dt.date(2026, 1, 3), 100, None],
        [dt.date(2026, 1, 1), 300, 30], [dt.date(2026, 1, 2), 200, 20]]})
    assert errs(result) == {}
    prices = result.inputs.prices
    assert prices.dates == (dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3))
    assert dict(prices.closes) == {"BTC": (300.0, 200.0, 100.0), "ETH": (30.0, 20.0, None)}
    assert warns(result) == [
        "Prices: Prices has 2 daily return(s); betas, the minimum-variance hedge and momentum "
        "signals need at least 30, so they are off."]


def test_a_second_column_of_an_asset_a_bad_close_and_a_day_twice_are_named():
    """The second BTC column is refused and the ETH column after it still read."""
    result = read({"Holdings": HOLDINGS, "Prices": [
        ["Date", "BTC", "btc", "ETH"], [dt.date(2026, 1, 1), 100, 100, "n/a"],
        [dt.date(2026, 1, 2), 101, 101, 20], [dt.date(2026, 1, 2), 102, 102, 21]]})
    assert errs(result) == {
        "Prices!C1": "a second price column for BTC (the first is at Prices!B1); keep one.",
        "Prices!D2": "the ETH close is the text 'n/a'; expected a price greater than 0.",
        "Prices!A4": "2026-01-02 appears twice (also row 3); keep one close per day."}


def test_a_close_that_is_a_formula_never_calculated_drops_its_day():
    """Its day is not read, so the same day on the next row is no second close."""
    grid = grid_of({"Holdings": HOLDINGS, "Prices": [
        ["Date", "BTC"], [dt.date(2026, 1, 1), None], [dt.date(2026, 1, 1), 100]]})
    result = parse_inputs(replace(grid, uncached_formulas=frozenset({"Prices!B2"})),
                          as_of=None, today=TODAY)
    assert errs(result) == {
        "Prices!B2": "the BTC close holds a formula with no cached value (the file was written "
                     "by a program and never calculated in Excel); open and save it in Excel, "
                     "or type the value (a price greater than 0)."}


# -- across the sheets ------------------------------------------------------------------------


def test_a_position_worth_more_than_a_plan_takes_is_named():
    result = read({"Holdings": [["Asset", "Quantity", "Price"], ["BTC", 1e10, 1e6]]})
    assert errs(result) == {
        "Holdings!A2": "BTC is worth 1.000E+16 (Quantity × Price), beyond the largest amount a "
                       "plan takes (1e15); check the Quantity and Price cells."}


def test_a_column_given_on_the_command_line_that_the_header_lacks_is_named():
    result = read({"Holdings": HOLDINGS}, columns=(("price", "Close"),))
    assert errs(result) == {
        "Holdings!A1:C3": "--column is 'Close', but the holdings header Holdings!A1:C3 has no "
                          "such column (its headers: Asset, Quantity, Price); give one of "
                          "them, or a column letter."}
