"""SPEC 3.10, several currencies in one book: each source of a rate, each precedence rule and
each refusal, on hand-made .xlsx files read back by ``read_workbook`` (and the CLI where a
user sees it). Figures are worked by hand in each test."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from derisk_xl.core.plan import make_plan
from tests.reading import errs, held, read, warns
from tests.test_reader import xlsx

D = Decimal


def rates(result) -> dict[str, tuple[Decimal, str]]:
    return {r.currency: (r.rate, r.source) for r in result.inputs.source.rates}


# -- a rate from the book: a value column in the base currency on the row ---------------------

def test_a_base_currency_value_on_the_row_converts_the_row(tmp_path):
    # a Canadian book: US and Canadian stocks, prices in each row's currency, values in CAD
    rows = [["SYMBOL", "CURRENCY", "# SHARES", "CURRENT PRICE", "CURRENT VALUE [CAD]"],
            ["AAPL", "USD", 10, 200, 2700],      # 10 × 200 USD = 2,000 USD = 2,700 CAD
            ["RY", "CAD", 20, 150, 3000],
            ["MSFT", "USD", 2, 400, 1080]]       # 800 USD = 1,080 CAD
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert held(result) == [("AAPL", D(10), D(270)), ("RY", D(20), D(150)),
                            ("MSFT", D(2), D(540))]
    assert result.inputs.settings.base_currency == "CAD"
    rate, source = rates(result)["USD"]
    assert rate == D("1.35") and source == "the value column 'CURRENT VALUE [CAD]'"
    assert "1 USD = 1.35 CAD (the value column 'CURRENT VALUE [CAD]')" in \
        result.inputs.source.line


# -- a rate column of the table -----------------------------------------------------------------

def test_a_rate_column_converts_each_row(tmp_path):
    rows = [["Ticker", "Currency", "Quantity", "Price", "FX Rate"],
            ["AAPL", "USD", 10, 200, 4.0], ["PKO", "PLN", 100, 50, 1],
            ["SAP", "EUR", 5, 180, 4.3]]
    settings = [["Key", "Value"], ["Base Currency", "PLN"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfel": rows, "Settings": settings}))
    assert held(result) == [("AAPL", D(10), D(800)), ("PKO", D(100), D(50)),
                            ("SAP", D(5), D("774.0"))]
    assert rates(result)["USD"] == (D(4), "the rate column 'FX Rate'")


# -- an FX sheet or Excel Table -------------------------------------------------------------------

def test_an_fx_sheet_gives_the_rates(tmp_path):
    # a Belgian book in EUR with US and Norwegian stocks
    rows = [["Symbol", "Currency", "Qty", "Price"],
            ["UCB", "EUR", 10, 150], ["NVDA", "USD", 4, 125], ["EQNR", "NOK", 100, 250]]
    fx = [["Currency", "Rate"], ["USD", 0.9], ["NOK", 0.085]]
    settings = [["Key", "Value"], ["Base Currency", "EUR"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows, "FX": fx,
                                             "Settings": settings}))
    assert held(result) == [("UCB", D(10), D(150)), ("NVDA", D(4), D("112.5")),
                            ("EQNR", D(100), D("21.250"))]
    assert set(rates(result)) == {"USD", "NOK"}


# -- Settings FX keys -------------------------------------------------------------------------------

def test_settings_fx_keys_give_the_rates_and_win_over_the_sheet(tmp_path):
    # a Taiwanese book kept in TWD with US shares
    rows = [["Symbol", "Currency", "Qty", "Price"], ["2330", "TWD", 1000, 600],
            ["TSM", "USD", 10, 180]]
    fx = [["Currency", "Rate"], ["USD", 30]]
    settings = [["Key", "Value"], ["Base Currency", "TWD"], ["FX USD", 32]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows, "FX": fx,
                                             "Settings": settings}))
    assert held(result) == [("2330", D(1000), D(600)), ("TSM", D(10), D(5760))]
    assert rates(result)["USD"] == (D(32), "Settings FX USD")


# -- no rate, no guess --------------------------------------------------------------------------------

def test_a_currency_without_a_rate_refuses_naming_rows_and_the_ways_to_give_one(tmp_path):
    rows = [["Symbol", "Currency", "Qty", "Price"], ["AAPL", "USD", 10, 200],
            ["SHOP", "CAD", 5, 100], ["RY", "CAD", 3, 150], ["BP.", "GBP", 10, 4]]
    path = xlsx(tmp_path / "t.xlsx", {"Holdings": rows})
    result = read(path)
    assert result.inputs is None
    (where, msg), = errs(result).items()
    # most rows are in CAD, so the book is: the dollar and the pound rows need a rate
    assert where == "Holdings!A2"
    assert "GBP (1 row(s): Holdings!A5), USD (1 row(s): Holdings!A2)" in msg
    assert "book is in CAD (from most rows (2 of 4))" in msg
    assert "a value column in CAD" in msg and "FX sheet" in msg and "Settings FX GBP" in msg
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "check", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Holdings!A2" in done.stderr and "GBP" in done.stderr


# -- the base currency --------------------------------------------------------------------------------

def test_the_base_is_the_value_columns_currency_else_most_rows(tmp_path):
    by_value = [["Symbol", "Qty", "Price (USD)", "Value (EUR)"], ["AAPL", 10, 200, 1800]]
    result = read(xlsx(tmp_path / "a.xlsx", {"Holdings": by_value}))
    assert result.inputs.settings.base_currency == "EUR"
    assert held(result) == [("AAPL", D(10), D(180))]
    by_rows = [["Symbol", "Currency", "Qty", "Price"], ["SAP", "EUR", 1, 100],
               ["BAS", "EUR", 1, 50], ["AAPL", "USD", 1, 200]]
    fx = [["Currency", "Rate"], ["USD", 0.9]]
    result = read(xlsx(tmp_path / "b.xlsx", {"Holdings": by_rows, "FX": fx}))
    assert result.inputs.settings.base_currency == "EUR"
    assert any("from most rows (2 of 3)" in w for w in warns(result))


def test_a_price_named_in_the_base_beats_one_named_in_nothing(tmp_path):
    # coins priced in BTC beside their USD equivalent (one rate, 36,650, on every row): the USD
    # one is read, never the BTC price as dollars
    rows = [["Ticker", "Quantity", "Current Price", "USD equivalent of current price"],
            ["XRP", 100, 0.00001, 0.3665], ["ADA", 50, 0.00002, 0.733]]
    settings = [["Key", "Value"], ["Base Currency", "USD"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows, "Settings": settings}))
    assert held(result) == [("XRP", D(100), D("0.3665")), ("ADA", D(50), D("0.733"))]


def test_a_named_column_the_rows_do_not_bear_out_is_refused(tmp_path):
    # one row cannot show the USD column is the BTC price in dollars (here it is the value)
    rows = [["Ticker", "Quantity", "Current Price", "USD equivalent of current price"],
            ["XRP", 100, 0.00008914, 32.67]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    (msg,) = errs(result).values()
    assert "two price columns" in msg and "'Current Price' names no currency" in msg
    # saying the book is in BTC plans it in BTC
    settings = [["Key", "Value"], ["Base Currency", "BTC"]]
    result = read(xlsx(tmp_path / "u.xlsx", {"Holdings": rows, "Settings": settings}))
    assert held(result) == [("XRP", D(100), D("0.00008914"))]


def test_pence_are_hundredths_of_a_pound(tmp_path):
    rows = [["Symbol", "Currency", "Qty", "Price"], ["VOD", "GBX", 1000, 72.5],
            ["BP", "GBP", 100, 4.5]]
    settings = [["Key", "Value"], ["Base Currency", "GBP"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows, "Settings": settings}))
    assert held(result) == [("VOD", D(1000), D("0.725")), ("BP", D(100), D("4.5"))]


def test_json_carries_the_rates(tmp_path):
    rows = [["Symbol", "Currency", "Qty", "Price"], ["UCB", "EUR", 10, 150],
            ["NVDA", "USD", 4, 125]]
    settings = [["Key", "Value"], ["Base Currency", "EUR"], ["FX USD", 0.9]]
    path = xlsx(tmp_path / "t.xlsx", {"Holdings": rows, "Settings": settings})
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--no-pdf", "--json", "--as-of", "2026-11-28"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["plan"]["total_before"] == "1950.00"  # 1,500 + 4 × 125 × 0.9
    (rate,) = out["holdings"]["rates"]
    assert rate["currency"] == "USD" and rate["rate"] == "0.9"


# -- a property: converting at the book's rates plans as the same book in the base currency ------

POSITIONS = st.lists(st.tuples(
    st.sampled_from(["AAA", "BBB", "CCC", "DDD", "EEE"]),
    st.decimals(min_value=D("0.01"), max_value=D(1000), places=2),
    st.decimals(min_value=D("0.5"), max_value=D(5000), places=2),
    st.sampled_from(["USD", "EUR"])), min_size=1, max_size=5, unique_by=lambda t: t[0])


@settings(max_examples=25, deadline=None)
@given(POSITIONS, st.decimals(min_value=D("0.5"), max_value=D(2), places=4))
def test_a_book_in_two_currencies_plans_as_the_same_book_in_one(tmp_path_factory, positions,
                                                                rate):
    tmp = tmp_path_factory.mktemp("fx")
    mixed = [["Symbol", "Currency", "Qty", "Price"]] + [
        [a, cur, float(q), float(p)] for a, q, p, cur in positions]
    flat = [["Symbol", "Currency", "Qty", "Price"]] + [
        [a, "EUR", float(q), float(p * rate if cur == "USD" else p)]
        for a, q, p, cur in positions]
    keys = [["Key", "Value"], ["Base Currency", "EUR"], ["FX USD", float(rate)]]
    one = read(xlsx(tmp / "mixed.xlsx", {"Holdings": mixed, "Settings": keys}))
    two = read(xlsx(tmp / "flat.xlsx", {"Holdings": flat, "Settings": keys}))
    assert errs(one) == {} and errs(two) == {}
    a, b = make_plan(one.inputs), make_plan(two.inputs)
    cent = D("0.01")
    assert abs(a.total_before - b.total_before) <= cent
    assert [(t.instrument, t.side) for t in a.trades] == [(t.instrument, t.side) for t in b.trades]
    for x, y in zip(a.trades, b.trades):
        assert abs(x.notional - y.notional) <= cent
