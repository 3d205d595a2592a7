"""SPEC 3.9 items 8 and 10–13, one test per rule, on hand-made .xlsx files read by
``read_workbook`` (and the CLI where a user would see it). Figures are worked by hand."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest

from tests.reading import errs, held, read, warns
from tests.test_reader import xlsx

D = Decimal


# -- item 8: numbers before words ----------------------------------------------------------

def test_a_value_headed_like_a_quantity_is_the_value(tmp_path):
    # 'Holdings' is a quantity word, but 2 × 30,000 = 60,000: it is the value
    rows = [["Coin", "Amount", "Price", "Holdings"],
            ["BTC", 2, 30000, 60000], ["ETH", 10, 2000, 20000], ["SOL", 100, 150, 15000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert held(result) == [("BTC", D(2), D(30000)), ("ETH", D(10), D(2000)),
                            ("SOL", D(100), D(150))]
    src = result.inputs.source
    assert dict(src.mapping)["Value"] == "Holdings" and dict(src.mapping)["Quantity"] == "Amount"
    assert src.evidence == "Quantity × Price = Value on 3 of 3 rows"
    assert "Quantity × Price = Value on 3 of 3 rows" in src.line


def test_a_price_headed_like_a_venue_is_the_price(tmp_path):
    # 'Exchange' holds rates: 0.5 × 8,000 = 4,000 decides it is the price, not a venue
    rows = [["Currencies", "Amount", "Exchange", "Value in $"],
            ["Bitcoin", 0.5, 8000, 4000], ["Ripple", 6, 0.25, 1.5], ["Total", None, None, 4001.5]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert held(result) == [("BITCOIN", D("0.5"), D(8000)), ("RIPPLE", D(6), D("0.25"))]
    assert dict(result.inputs.source.mapping)["Price"] == "Exchange"
    assert not any("own total" in w for w in warns(result))  # 4,000 + 1.5 = 4,001.5


def test_unknown_words_are_read_by_the_identity_beside_an_identifier_column(tmp_path):
    # Hungarian, not in the vocabulary: the price names a currency, so the other factor is the
    # quantity; the text column of distinct identifiers is the asset
    rows = [["Eszköz", "Darab", "Árfolyam (USD)", "Érték (USD)"],
            ["OTP", 10, 52.5, 525], ["MOL", 40, 7.25, 290], ["RICHTER", 3, 25, 75]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Lap1": rows}))
    assert held(result) == [("OTP", D(10), D("52.5")), ("MOL", D(40), D("7.25")),
                            ("RICHTER", D(3), D(25))]
    src = result.inputs.source
    assert dict(src.mapping) == {"Asset": "Eszköz", "Quantity": "Darab",
                                 "Price": "Árfolyam (USD)", "Value": "Érték (USD)"}
    assert "names a currency" in src.evidence


def test_stablecoins_priced_at_one_tell_the_price(tmp_path):
    rows = [["Kod", "A", "B", "C"],
            ["BTC", 0.5, 60000, 30000], ["USDT", 2500, 1, 2500], ["ETH", 4, 3000, 12000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Arkusz1": rows}))
    assert held(result) == [("BTC", D("0.5"), D(60000)), ("USDT", D(2500), D(1)),
                            ("ETH", D(4), D(3000))]
    assert "stablecoin" in result.inputs.source.evidence


def test_the_same_asset_on_two_rows_has_one_price(tmp_path):
    rows = [["Kod", "Gudang", "A", "B", "C"],
            ["BTC", "Ledger", 0.5, 60000, 30000], ["BTC", "Indodax", 0.25, 60000, 15000],
            ["ETH", "Ledger", 4, 3000, 12000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Lembar1": rows}))
    assert held(result) == [("BTC", D("0.5"), D(60000)), ("BTC", D("0.25"), D(60000)),
                            ("ETH", D(4), D(3000))]


def test_two_readings_are_refused_naming_both_and_the_setting(tmp_path):
    rows = [["Kod", "A", "B", "C"], ["X1", 2, 3, 6], ["X2", 5, 7, 35], ["X3", 4, 10, 40]]
    path = xlsx(tmp_path / "t.xlsx", {"Lap1": rows})
    result = read(path)
    assert result.inputs is None
    (msg,) = errs(result).values()
    assert "two ways" in msg
    assert "Quantity ← A, Price ← B" in msg and "Price ← A, Quantity ← B" in msg
    assert "Settings Quantity Column" in msg and "--column quantity=A" in msg
    # and the setting does pick one
    hand = read(path, columns=(("quantity", "B"),))
    assert held(hand) == [("X1", D(3), D(2)), ("X2", D(7), D(5)), ("X3", D(10), D(4))]


def test_the_cost_identity_sharing_a_factor_names_the_quantity(tmp_path):
    # N × Avg Cost = K and N × P2 = W share N: N is the quantity, so P2 the price and W the
    # value (no word says so), and K, equal to Quantity × Avg Cost, is the cost basis
    rows = [["Name", "N", "Avg Cost", "K", "P2", "W"],
            ["AAA", 10, 5, 50, 8, 80], ["BBB", 3, 20, 60, 25, 75], ["CCC", 7, 2, 14, 3, 21]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert held(result) == [("AAA", D(10), D(8)), ("BBB", D(3), D(25)), ("CCC", D(7), D(3))]
    assert dict(result.inputs.source.mapping) == {
        "Asset": "Name", "Quantity": "N", "Avg Cost": "Avg Cost", "Cost Basis": "K",
        "Price": "P2", "Value": "W"}
    assert "Quantity × Avg Cost = Cost Basis" in result.inputs.source.evidence


def test_a_pandas_index_is_not_data(tmp_path):
    rows = [[None, "Symbol", "Price", "Quantity", "Equity"],
            [0, "AAPL", 200, 3, 600], [1, "MSFT", 400, 0.5, 200], [2, "KO", 60, 10, 600]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert held(result) == [("AAPL", D(3), D(200)), ("MSFT", D("0.5"), D(400)),
                            ("KO", D(10), D(60))]
    assert result.inputs.source.where == "Sheet1!B1:E4"


def test_one_row_proves_nothing(tmp_path):
    # a single row whose numbers happen to multiply is not read as holdings by numbers alone
    rows = [["Tarehe", "Mali", "Idadi", "Bei", "Thamani"], [None, "BNB", 2, 300, 600]]
    result = read(xlsx(tmp_path / "t.xlsx", {"BNB": rows}))
    assert result.inputs is None


# -- item 10: candidates in turn ------------------------------------------------------------

def test_a_summary_beside_a_trade_log_is_found(tmp_path):
    log = [["Date", "Coin", "Type", "Amount", "Price"],
           [dt.date(2026, 1, 2), "BTC", "Buy", 1, 40000],
           [dt.date(2026, 2, 2), "BTC", "Sell", 0.5, 50000],
           [dt.date(2026, 3, 2), "ETH", "Buy", 5, 2000]]
    summary = [["Coin", "Amount", "Price"], ["BTC", 0.5, 60000], ["ETH", 5, 3000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Trades": log, "Summary": summary}))
    assert held(result) == [("BTC", D("0.5"), D(60000)), ("ETH", D(5), D(3000))]


def test_a_candidate_whose_rows_all_fail_gives_way_to_the_next(tmp_path):
    watch = [["Symbol", "Quantity", "Price"], ["BTC", "n/a", 60000], ["ETH", "n/a", 3000],
             ["SOL", "n/a", 150], ["ADA", "n/a", 1], ["DOT", "n/a", 5]]
    real = [["Symbol", "Quantity", "Price"], ["BTC", 1, 60000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": watch, "Wallet": real}))
    assert held(result) == [("BTC", D(1), D(60000))]


def test_a_refusal_names_every_candidate_and_why(tmp_path):
    log = [["Date", "Coin", "Type", "Amount", "Price"],
           [dt.date(2026, 1, 2), "BTC", "Buy", 1, 40000],
           [dt.date(2026, 2, 2), "BTC", "Sell", 0.5, 50000]]
    watch = [["Symbol", "Quantity", "Price"], ["BTC", "n/a", 60000], ["ETH", "n/a", 3000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Trades": log, "Watch": watch,
                                             "Notes": [["hello"]]}))
    assert result.inputs is None
    refusal = next(m for loc, m in errs(result).items() if "no holdings table" in m)
    assert "Trades!A1:E3 is not holdings" in refusal and "transaction log" in refusal
    assert "Watch has no quantity column (Asset ← Symbol, Price ← Price; 'Quantity' (B1) " \
        "holds text, not numbers)" in refusal
    assert "Notes has no header" in refusal
    assert "Quantity Column" in refusal and "--column" in refusal


def test_error_tickers_fall_back_to_another_identifier_column(tmp_path):
    rows = [["Ticker", "Name", "Quantity", "Price"], [None, "Apple", 3, 200],
            [None, "Microsoft", 1, 400]]
    path = xlsx(tmp_path / "t.xlsx", {"Portfolio": rows},
                errors=[("Portfolio", 1, 0, "#VALUE!"), ("Portfolio", 2, 0, "#VALUE!")])
    result = read(path)
    assert held(result) == [("APPLE", D(3), D(200)), ("MICROSOFT", D(1), D(400))]
    assert any("Excel errors" in w for w in warns(result))


# -- item 11: the user's own sheets with our names -------------------------------------------

BASIC = [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], ["USDC", 1000, 1]]


def test_a_trackers_own_settings_sheet_is_left_alone_with_one_warning(tmp_path):
    own = [["Theme", "Dark"], ["Refresh", "Hourly"], ["API Key", "xyz"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": BASIC, "Settings": own}))
    assert errs(result) == {}
    (w,) = [w for w in warns(result) if w.startswith("Settings:")]
    assert "not derisk's Settings sheet" in w and "Derisk Settings" in w
    assert result.inputs.settings.model == "Balanced De-Risk"


def test_our_settings_on_derisk_settings_win(tmp_path):
    own = [["Theme", "Dark"]]
    ours = [["Key", "Value"], ["Model", "Conservative Protection"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": BASIC, "Settings": own,
                                             "Derisk Settings": ours}))
    assert errs(result) == {} and result.inputs.settings.model == "Conservative Protection"
    assert not any("Settings" in w and "left alone" in w for w in warns(result))


def test_a_settings_sheet_mostly_ours_keeps_its_errors(tmp_path):
    mostly = [["Model", "Aggressive Hold"], ["Fee bps", 5], ["Hedge Ration %", 20]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": BASIC, "Settings": mostly}))
    assert "Hedge Ratio %" in errs(result)["Settings!A3"]


@pytest.mark.parametrize("name, rows", [
    ("Prices", [["Ticker", "Last"], ["BTC", 60000]]),
    ("Lots", [["Broker", "Note"], ["IBKR", "moved"]]),
    ("Tiers", [["Level", "Colour"], ["1", "red"]]),
    ("Futures", [["Exchange", "Account"], ["Binance", "main"]]),
])
def test_a_users_own_sheet_with_one_of_our_names_is_left_alone(tmp_path, name, rows):
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": BASIC, name: rows}))
    assert errs(result) == {}
    (w,) = [w for w in warns(result) if w.startswith(f"{name}:")]
    assert f"not derisk's {name} sheet" in w
    if name == "Tiers":  # as if absent: the default tiers stay
        assert len(result.inputs.tiers) == 2


# -- item 12: the user can always say it ------------------------------------------------------

def test_settings_column_keys_map_by_header_and_by_letter(tmp_path):
    rows = [["Wertpapier", "Stück", "Kurs akt", "Notiz"],
            ["SAP", 10, 180, "x"], ["BASF", 20, 45, "y"]]
    settings = [["Key", "Value"], ["Asset Column", "Wertpapier"], ["Quantity Column", "B"],
                ["Price Column", "Kurs akt"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Depot": rows, "Settings": settings}))
    assert held(result) == [("SAP", D(10), D(180)), ("BASF", D(20), D(45))]


def test_a_hand_mapped_header_the_table_lacks_is_an_error_at_its_setting(tmp_path):
    settings = [["Key", "Value"], ["Quantity Column", "Stückzahl"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": BASIC, "Settings": settings}))
    msg = errs(result)["Settings!B2"]
    assert "'Stückzahl'" in msg and "Asset, Quantity, Price" in msg


def test_column_on_the_command_line_wins_over_settings(tmp_path):
    rows = [["Kod", "A", "B", "C"], ["X1", 2, 3, 6], ["X2", 5, 7, 35]]
    settings = [["Key", "Value"], ["Quantity Column", "B"]]
    path = xlsx(tmp_path / "t.xlsx", {"Lap1": rows, "Settings": settings})
    assert held(read(path))[0] == ("X1", D(3), D(2))
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--no-pdf", "--json", "--as-of", "2026-11-28",
                           "--column", "quantity=A"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {"field": "Quantity", "header": "A"} in out["holdings"]["mapping"]
    assert out["plan"]["total_before"] == "41.00"  # 2 × 3 + 5 × 7


def test_an_unknown_field_on_the_command_line_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "check", "x.xlsx",
                           "--column", "colour=A"], capture_output=True, text=True)
    assert done.returncode == 2 and "FIELD one of asset, quantity" in done.stderr


# -- item 13: the book's own total checks the plan ---------------------------------------------

def test_a_total_the_positions_do_not_reach_is_said_with_both_figures(tmp_path):
    rows = [["Coin", "Qty", "Price", "Value"], ["BTC", 1, 60000, 60000], ["ETH", 2, 3000, 6000],
            ["Total", None, None, 70000]]  # the book says 70,000; the rows say 66,000
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert result.inputs is not None
    (w,) = [w for w in warns(result) if "own total" in w]
    assert w.startswith("Portfolio!D4:") and "66,000.00" in w and "70,000.00" in w


def test_a_labelled_total_above_the_table_checks_it_too(tmp_path):
    rows = [["Total Portfolio Value", 5000], [], ["Coin", "Qty", "Price", "Value"],
            ["BTC", 0.1, 60000, 6000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    (w,) = [w for w in warns(result) if "own total" in w]
    assert w.startswith("Portfolio!B1:") and "6,000.00" in w and "5,000.00" in w


def test_a_total_within_its_rounding_says_nothing(tmp_path):
    rows = [["Coin", "Qty", "Price", "Value"], ["BTC", 0.123, 60123.45, 7395.18],
            ["ETH", 2.5, 3012.34, 7530.85], ["Total", None, None, 14926.03]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Portfolio": rows}))
    assert result.inputs is not None and not any("own total" in w for w in warns(result))


# -- shapes users keep -----------------------------------------------------------------------

def test_sector_headings_between_positions_are_headings(tmp_path):
    rows = [["Stock", "Qty", "LTP"], ["Banking"], ["HDFCBANK", 10, 1600], ["ICICIBANK", 5, 1100],
            [], ["Information Technology"], ["INFY", 8, 1500]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Equity": rows}))
    assert held(result) == [("HDFCBANK", D(10), D(1600)), ("ICICIBANK", D(5), D(1100)),
                            ("INFY", D(8), D(1500))]
    assert any("2 section heading row(s)" in w and "Banking, Information Technology" in w
               for w in warns(result))


def test_a_ticker_alone_on_its_row_is_a_position_missing_its_numbers(tmp_path):
    rows = [["Stock", "Qty", "LTP"], ["HDFCBANK", 10, 1600], ["TCS"], ["INFY", 8, 1500]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows}))
    assert set(errs(result)) == {"Holdings!B3", "Holdings!C3"}


# -- item 3: logs, snapshots and lots ----------------------------------------------------------

def test_snapshots_stamped_by_text_are_snapshots(tmp_path):
    rows = [["Coin", "Quantity", "Price (USD)", "Timestamp"],
            ["axelar", 100, 0.5, "2025-01-10 14:21:12"], ["any-inu", 1000, 0.01, "2025-01-10 14:21:12"],
            ["axelar", 100, 0.6, "2025-01-11 14:21:12"], ["any-inu", 1000, 0.02, "2025-01-11 14:21:12"]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Sheet1": rows}))
    assert held(result) == [("AXELAR", D(100), D("0.6")), ("ANY-INU", D(1000), D("0.02"))]
    assert any("2 snapshots" in w and "2025-01-11 14:21:12" in w for w in warns(result))


def test_purchase_lots_at_one_current_price_are_added_up(tmp_path):
    # each asset at one current price on all its rows, no sells: lots, added up at their cost
    rows = [["Тикер", "Кол-во", "Дата покупки", "Цена покупки", "Цена нынешняя"],
            ["SBER", 10, dt.date(2024, 1, 10), 250, 300],
            ["GAZP", 100, dt.date(2024, 2, 1), 160, 130],
            ["SBER", 30, dt.date(2024, 3, 5), 270, 300]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Акции": rows}))
    assert held(result) == [("SBER", D(40), D(300)), ("GAZP", D(100), D(130))]
    assert result.inputs.positions[0].avg_cost == D("265")  # (10 × 250 + 30 × 270) / 40
    assert any("purchase lots" in w for w in warns(result))


def test_a_log_of_trades_at_their_own_prices_is_refused(tmp_path):
    rows = [["Date", "Asset", "Qty", "Price"], [dt.date(2024, 1, 10), "BTC", 1, 40000],
            [dt.date(2024, 3, 5), "BTC", 0.5, 60000], [dt.date(2024, 4, 1), "ETH", 3, 3000]]
    result = read(xlsx(tmp_path / "t.xlsx", {"Log": rows}))
    assert result.inputs is None
    assert "transaction log" in " ".join(errs(result).values())


def test_a_log_kept_one_sheet_per_asset_is_not_holdings(tmp_path):
    head = ["Fecha de Compra", "Cripto", "Cantidad", "Precio Compra (USD)", "Valor Actual (USD)"]
    sheets = {name: [head, [dt.date(2024, 1, 2), name, 1, 100, 150]]
              for name in ("BTC", "ETH", "SOL")}
    result = read(xlsx(tmp_path / "t.xlsx", sheets))
    assert result.inputs is None
    msg = " ".join(errs(result).values())
    assert "a log kept one sheet per asset" in msg and "BTC!A1:E2" in msg


def test_the_books_own_total_reaches_json_plan_summary_and_pdf(tmp_path):
    import openpyxl
    import pdfplumber

    rows = [["Coin", "Qty", "Price", "Value"], ["BTC", 1, 60000, 60000], ["ETH", 2, 3000, 6000],
            ["Total", None, None, 70000]]
    path = xlsx(tmp_path / "t.xlsx", {"Portfolio": rows})
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--json", "--as-of", "2026-11-28"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    said = [i for i in out["issues"] if "own total" in i["message"]]
    assert said and said[0]["location"] == "Portfolio!D4" and said[0]["severity"] == "warning"
    summary = openpyxl.load_workbook(out["workbook"])["Plan Summary"]
    assert any("own total" in str(c.value) for row in summary.iter_rows() for c in row)
    with pdfplumber.open(out["pdf"]) as pdf:
        text = " ".join(page.extract_text() or "" for page in pdf.pages)
    assert "70,000.00" in text and "own total" in text


def test_column_on_batch_maps_every_workbook(tmp_path):
    rows = [["Kod", "A", "B", "C"], ["X1", 2, 3, 6], ["X2", 5, 7, 35]]
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("one.xlsx", "two.xlsx"):
        xlsx(folder / name, {"Lap1": rows})
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "batch", str(folder), "--out",
                           str(tmp_path / "out"), "--no-pdf", "--jobs", "1", "--as-of",
                           "2026-11-28", "--column", "quantity=B"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("one.xlsx", "two.xlsx"):  # read with B as the quantity: 3 × 2 + 7 × 5
        assert read(tmp_path / "out" / name).issues  # the two readings, without the option …
        planned = read(tmp_path / "out" / name, columns=(("quantity", "B"),))
        assert held(planned) == [("X1", D(3), D(2)), ("X2", D(7), D(5))]
    assert done.stdout.count("planned") >= 2
