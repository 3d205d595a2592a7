"""Real trackers that people published (``../shared/realbooks``), read as they are (SPEC 3.9).

Each expectation is the folder README's "a good reading, as it is"; totals are the workbook's
own figures. Skipped, saying why, where the folder is not beside this clone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from derisk_xl.core.plan import make_plan
from derisk_xl.pipeline import RunOptions, run_one
from derisk_xl.workbook.reader import read_workbook
from needs import REALBOOKS, needs
from tests.test_fidelity_writer import assert_nothing_lost

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def books() -> Path:
    needs("realbooks")
    return REALBOOKS


def read(path: Path, holdings: str | None = None):
    return read_workbook(path, as_of=None, today=TODAY, holdings=holdings)


def errors(result) -> dict[str, str]:
    return {i.location: i.message for i in result.issues if i.severity == "error"}


def warnings(result) -> list[str]:
    return [str(i) for i in result.issues if i.severity == "warning"]


def total(result) -> Decimal:
    return make_plan(result.inputs).total_before.quantize(Decimal("0.01"))


def test_angus_flat_table_with_totals_row_and_sector_labels(books):
    result = read(books / "01_angus_crypto_portfolio.xlsx")
    assert errors(result) == {}
    inputs = result.inputs
    assert len(inputs.positions) == 51
    assert total(result) == Decimal("152166.93")
    assert inputs.source.where.startswith("Portfolio_v1!")
    btc = [p for p in inputs.positions if p.asset == "BTC"]
    assert {p.venue for p in btc} >= {"Ledger", "Binance"}  # the same coin on two venues
    said = "\n".join(warnings(result))
    assert "Portfolio_v2" in said and "--holdings" in said  # the close second, and its key
    assert "read as labels" in said  # sector labels (Layer 1, Meme …): one warning, no errors
    # no position is read from the totals row (row 53 holds only the sum of the values)
    assert all(not p.location.endswith("53") for p in inputs.positions)


def test_angus_second_table_when_chosen(books):
    result = read(books / "01_angus_crypto_portfolio.xlsx", holdings="Portfolio_v2!A2:X51")
    assert errors(result) == {}
    assert len(result.inputs.positions) == 49
    assert total(result) == Decimal("130748.58")


def test_karmcraft_stacked_wallets_are_one_table(books):
    result = read(books / "02_karmcraft_portfolio.xlsx")
    assert errors(result) == {}
    positions = result.inputs.positions
    assert len(positions) == 21
    assert total(result) == Decimal("76248895.87")
    venues = {p.venue for p in positions}
    assert {"Ledger 1", "Ledger 2", "Binance", "Coinbase", "Paper Wallet", "Faucet Game"} <= venues
    # the fees, totals and dominance tables below are named as not planned
    assert any("not planned" in w for w in warnings(result))


def test_dogukan_empty_template_is_refused_in_one_sentence(books):
    result = read(books / "03_dogukan_binance_portfolio.xlsx")
    assert result.inputs is None
    (message,) = errors(result).values()
    assert "no positions" in message


def test_gskoupras_dashboard_header_at_b10(books, tmp_path):
    path = books / "04_gskoupras_my_crypto_portfolio.xlsm"
    result = read(path)
    assert errors(result) == {}
    assert len(result.inputs.positions) == 8
    assert total(result) == Decimal("2686.42")
    assert result.inputs.source.where.startswith("'Crypto Portfolio'!B10:")
    # planned copy: macros, Power Query and every other part kept byte for byte
    done = run_one(path, RunOptions(out_dir=tmp_path, pdf=False, today=TODAY))
    assert done.status == "planned", done.issues
    assert_nothing_lost(path.read_bytes(), done.workbook.read_bytes())


def test_sachin_inr_table_with_prices_pasted_as_text(books):
    result = read(books / "06_sachin_crypto_portfolio.xlsx")
    assert errors(result) == {}
    inputs = result.inputs
    assert len(inputs.positions) == 9
    assert total(result) == Decimal("16508.56")
    assert inputs.settings.base_currency == "INR"
    assert inputs.settings.stable_asset == "INR cash"
    text_warnings = [w for w in warnings(result) if "stored as text" in w]
    assert len(text_warnings) == 1 and text_warnings[0].startswith("Dashboard!J5")
    assert inputs.source.where.startswith("Dashboard!B4:")


def test_janzsob_price_history_is_refused(books):
    result = read(books / "08_janzsob_portfolio.xlsx")
    assert result.inputs is None
    (message,) = errors(result).values()
    assert "price history" in message


def test_ahsan_pair_tickers_in_inr(books):
    result = read(books / "12_ahsan_portfolio.xlsx")
    assert errors(result) == {}
    inputs = result.inputs
    assert [p.asset for p in inputs.positions] == ["BTC", "LTC"]
    assert total(result) == Decimal("6937675.89")
    assert inputs.settings.base_currency == "INR"


def test_vikas_market_data_is_refused(books):
    result = read(books / "15_vikas_binance.xlsx")
    assert result.inputs is None
    (message,) = errors(result).values()
    assert "no holdings table" in message and "quantity" in message


def test_manjunath_zero_prices_are_the_only_errors(books, tmp_path):
    path = books / "16_manjunath_holdings.xlsx"
    result = read(path)
    assert set(errors(result)) == {"Equity!F112", "Equity!F113"}
    wb = openpyxl.load_workbook(path)
    wb["Equity"].delete_rows(112, 2)
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    result = read(fixed)
    assert errors(result) == {}
    assert len(result.inputs.positions) == 254
    assert total(result) == Decimal("1732337.13")
    assert all(p.avg_cost is not None for p in result.inputs.positions)


def test_liammeyers_errors_name_exactly_the_empty_prices_and_unshared_options(books):
    path = books / "20_liammeyers_portfolio_tracker.xlsx"
    ws = openpyxl.load_workbook(path, data_only=True)["Holdings"]
    header = [c.value for c in ws[1]]
    price, shares = header.index("CurrentPrice") + 1, header.index("Shares") + 1
    expected = set()
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value is None:
            continue
        if ws.cell(r, price).value is None:
            expected.add(f"Holdings!{ws.cell(r, price).coordinate}")
        if ws.cell(r, shares).value is None:
            expected.add(f"Holdings!{ws.cell(r, shares).coordinate}")
    result = read(path)
    assert set(errors(result)) == expected
    assert len(expected) == 20


@pytest.mark.parametrize("name", ["01_angus_crypto_portfolio.xlsx",
                                  "02_karmcraft_portfolio.xlsx",
                                  "06_sachin_crypto_portfolio.xlsx",
                                  "12_ahsan_portfolio.xlsx"])
def test_planned_copies_keep_every_original_part(books, tmp_path, name):
    path = books / name
    before = path.read_bytes()
    done = run_one(path, RunOptions(out_dir=tmp_path, pdf=False, today=TODAY))
    assert done.status == "planned", done.issues
    assert path.read_bytes() == before
    assert_nothing_lost(before, done.workbook.read_bytes())
    summary = openpyxl.load_workbook(done.workbook, read_only=True)["Plan Summary"]
    heading = " ".join(str(summary.cell(r, 1).value or "") for r in range(2, 6))
    assert done.plan.source.line in heading  # wrapped over rows from A2, inside the page width


def test_check_and_run_say_what_was_read_and_json_carries_it(books, tmp_path):
    import json
    import subprocess
    import sys

    def derisk(*args):
        return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                              text=True, cwd=tmp_path, timeout=120)

    path = books / "01_angus_crypto_portfolio.xlsx"
    done = derisk("check", str(path), "--holdings", "Portfolio_v2!A2:X51")
    assert done.returncode == 0, done.stderr
    assert "49 position(s)" in done.stdout
    assert "Holdings read from Portfolio_v2!A2:X51, 49 positions: Asset ← Ticker" in done.stdout
    done = derisk("run", str(books / "12_ahsan_portfolio.xlsx"), "--json", "--no-pdf",
                  "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)["holdings"]
    assert read["range"] == "Sheet1!A1:F3" and read["positions"] == 2
    assert read["base_currency"] == "INR"
    mapping = {m["field"]: m["header"] for m in read["mapping"]}
    assert mapping["Asset"] == "Ticker" and mapping["Quantity"] == "Quantity"
    assert read["ignored"] == ["Profit/Loss", "P/L%"]


def test_the_pdf_method_note_names_what_was_read(books, tmp_path):
    from pypdf import PdfReader

    needs("dejavu")
    done = run_one(books / "06_sachin_crypto_portfolio.xlsx",
                   RunOptions(out_dir=tmp_path, today=TODAY))
    assert done.status == "planned", done.issues
    text = " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(done.pdf).pages)
    assert "Holdings read from Dashboard!B4:J13, 9 positions" in text
    assert "INR cash" in text  # sales go to cash in the base currency, and the plan says so
    # what reading had to say is among the plan's warnings, not only on the command line
    assert "stored as text were read as numbers" in text
    assert any("stored as text" in w.message for w in done.plan.warnings)


def test_batch_takes_the_holdings_choice_too(books, tmp_path):
    import shutil

    from derisk_xl.batch import run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(books / "01_angus_crypto_portfolio.xlsx", folder)
    report = run_batch([str(folder)], RunOptions(out_dir=tmp_path / "out", pdf=False,
                                                 today=TODAY, holdings="Portfolio_v2!A2:X51"),
                       jobs=1, summary_dir=tmp_path, progress=False)
    (row,) = report.rows
    assert row.status == "planned", row.error
    assert row.total.quantize(Decimal("0.01")) == Decimal("130748.58")


# -- the whole folder: every tracker's reading, as its README says (issue #17) ---------------

#: (positions, T in the base currency, base currency) of each tracker that is planned as it
#: is, from the folder's README.
PLANNED = {
    "01_angus_crypto_portfolio.xlsx": (51, "152166.93", "USD"),
    "02_karmcraft_portfolio.xlsx": (21, "76248895.87", "USD"),
    "04_gskoupras_my_crypto_portfolio.xlsm": (8, "2686.42", "USD"),
    "06_sachin_crypto_portfolio.xlsx": (9, "16508.56", "INR"),
    "07_skriver_crypto_portfolio.xlsx": (2, "18129.30", "USD"),    # the latest snapshot
    "10_blackweaver_crypto.xlsx": (3, "546.70", "USD"),           # Binance Spot, in USDT
    "12_ahsan_portfolio.xlsx": (2, "6937675.89", "INR"),
    "14_notfrancee_portfolio.xlsx": (3, "28771.95", "USD"),
    "22_yann39_crypto_holdings.xlsx": (20, "270445.90", "USD"),
    "24_ajaykohle_equity_holdings_inr.xlsx": (11, "112638.75", "USD"),  # no currency named
    "25_jpaguirre_robinhood_portfolio.xlsx": (7, "13377.70", "USD"),
    "26_fhashim_rebalancing_gbp.xlsx": (7, "9060.00", "USD"),      # the current price
    "27_karthik_dividend_portfolio_inr.xlsx": (15, "74912.29", "USD"),
    "28_atomiczagnut_cryptoportfolio.xlsx": (3, "29.68", "USD"),
    "29_zcxixixi_asset_dashboard.xlsx": (6, "5580.48", "USD"),
    "32_abhishek_broker_positions_inr.xlsx": (26, "211031.38", "USD"),
    "33_igorvolochay_lots_rub.xlsx": (6, "54460.40", "USD"),       # lots added up
}
#: Trackers refused as they are, with words the one sentence must have, from the README.
REFUSED = {
    "03_dogukan_binance_portfolio.xlsx": ("no positions",),
    "05_naveen_portfolio.xlsx": ("no price",),
    "08_janzsob_portfolio.xlsx": ("price history",),
    "09_coinport_crypto.xlsx": ("no asset",),
    "11_blackweaver_actions.xlsx": ("log kept one sheet per asset",),
    "13_ahsan_transactions.xlsx": ("no price",),
    "15_vikas_binance.xlsx": ("no quantity",),
    "16_manjunath_holdings.xlsx": ("Price is 0",),
    "17_tharan_portfolio.xlsx": ("no header naming an asset, a quantity and a price",),
    "18_cwong_crypto_tracker.xlsx": ("no asset",),
    # a price in BTC beside its 'USD equivalent', which on its one row is the position's value:
    # never the BTC price read as dollars, nor the value as a price
    "19_vasthav_crypto_tracker.xlsx": ("two price columns", "Settings Price Column"),
    "20_liammeyers_portfolio_tracker.xlsx": ("Price is empty",),
    "21_neferyang_portfolio_tracker.xlsx": ("no quantity and no price",),
    "23_zainansarii_crypto_portfolio_gbp.xlsx": ("#N/A",),
    "30_fnvecchietti_defi_assets_ars.xlsx": ("Quantity is empty",),
    "31_corourke_crypto_numbers_export.xlsx": ("no price",),
    "34_eckdoris_dividend_holdings_noprice.xlsx": ("no price",),
    "35_leblanke_holdings_costbasis.xlsx": ("no price",),
    "36_arturo_binance_trade_history.xlsx": ("transaction log",),
    "37_leomariz_crypto_extrato_brl.xlsx": ("transaction log",),
    "38_dfinke_coin_price_snapshots.xlsx": ("no quantity",),
    "39_imp2311_symbol_watchlist.xlsx": ("no quantity",),
}


def test_the_folder_holds_no_tracker_this_test_forgets(books):
    assert {p.name for p in books.glob("*.xls*")} == set(PLANNED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(PLANNED))
def test_every_planned_tracker_reads_as_its_readme_says(books, name):
    n, t, base = PLANNED[name]
    result = read(books / name)
    assert errors(result) == {}, result.issues
    assert len(result.inputs.positions) == n
    assert total(result) == Decimal(t)
    assert result.inputs.settings.base_currency == base
    # and no book's own total disagrees with what was read
    assert not [w for w in warnings(result) if "own total" in w]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_every_refused_tracker_is_refused_saying_why(books, name):
    result = read(books / name)
    assert result.inputs is None
    said = " ".join(errors(result).values())
    for words in REFUSED[name]:
        assert words in said, said


def test_the_specific_cells_of_the_refusals_that_name_them(books):
    # 23: the holdings' #N/A prices by cell; 30: the four empty quantities
    assert {"Crypto!O8", "Crypto!O9"} <= set(errors(read(books / "23_zainansarii_crypto_portfolio_gbp.xlsx")))
    assert set(errors(read(books / "30_fnvecchietti_defi_assets_ars.xlsx"))) == {
        "Hoja1!C2", "Hoja1!C5", "Hoja1!C9", "Hoja1!C12"}


def test_numbers_decide_where_words_mislead(books):
    # 28: 'Exchange' holds the rates: Amount × Exchange = Value in $ on every row
    src = read(books / "28_atomiczagnut_cryptoportfolio.xlsx").inputs.source
    assert dict(src.mapping)["Price"] == "Exchange"
    assert src.evidence.startswith("Quantity × Price = Value on 3 of 3 rows")
    # 19 says its price is in BTC: planned in BTC, T 0.008914 (100 XRP at 0.00008914)
    settings = books / "19_vasthav_crypto_tracker.xlsx"
    result = read_workbook(settings, as_of=None, today=TODAY)
    assert result.inputs is None
