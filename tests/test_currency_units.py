"""Books in other currencies (SPEC 3.10), through the real command: money in the base
currency's own units in --json, the plan sheets' number formats (read back with openpyxl), the
PDF's text and the batch summary; Settings FX keys; the hedge in a book not kept in USD.

Every workbook is made here by hand and every expected figure is worked by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

AS_OF = "2026-11-28"


def derisk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derisk_xl.cli", *args], capture_output=True,
                          text=True, timeout=300)


def book(path: Path, rows: list[tuple], settings: list[tuple]) -> Path:
    """A workbook as a user types it: Holdings, and Settings as Key | Value rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws.append(["Asset", "Quantity", "Price", "Avg Cost"])
    for row in rows:
        ws.append(list(row))
    st = wb.create_sheet("Settings")
    st.append(["Key", "Value"])
    for row in settings:
        st.append(list(row))
    wb.save(path)
    return path


def run_json(path: Path, out: Path, *extra: str) -> dict:
    done = derisk("run", str(path), "--json", "--as-of", AS_OF, "--out", str(out), *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def summary_cell(path: Path, label: str):
    """The value cell beside ``label`` in column A of Plan Summary."""
    ws = load_workbook(path)["Plan Summary"]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == label:
            return row[1]
    raise AssertionError(f"no {label!r} on Plan Summary")


# Two positions per book, priced so that T needs rounding in every currency. T worked by hand:
#   USD/EUR/INR: 0.1234 × 40000.555 = 4936.068487; 2.5 × 3000.004 = 7500.01 → 12436.078487
#   JPY: 0.1234 × 6000000.7 = 740400.08638; 2.5 × 450000.3 = 1125000.75 → 1865400.83638
#   KRW: 0.1234 × 55000000.5 = 6787000.0617; 2.5 × 4000000.2 = 10000000.5 → 16787000.5617
#   BTC: 2.5 × 0.05234567891 = 0.130864197275; 10 × 0.00123456789 = 0.0123456789
#        → 0.143209876175
FIAT = [("BTC", 0.1234, 40000.555, 30000), ("ETH", 2.5, 3000.004, 1000)]
BOOKS = {
    "USD": (FIAT, "12436.08", "#,##0.00", "$12,436.08"),
    "EUR": (FIAT, "12436.08", "#,##0.00", "€12,436.08"),
    "INR": (FIAT, "12436.08", "#,##0.00", "12,436.08\u00a0INR"),
    "JPY": ([("BTC", 0.1234, 6000000.7, 4000000), ("ETH", 2.5, 450000.3, 100000)],
            "1865401", "#,##0", "¥1,865,401"),
    "KRW": ([("BTC", 0.1234, 55000000.5, 40000000), ("ETH", 2.5, 4000000.2, 1000000)],
            "16787001", "#,##0", "16,787,001\u00a0KRW"),
    "BTC": ([("ETH", 2.5, 0.05234567891, 0.02), ("SOL", 10, 0.00123456789, 0.001)],
            "0.14320988", "#,##0.00000000", "0.14320988\u00a0BTC"),
}


def settings_for(ccy: str) -> list[tuple]:
    """Fees 10 bps so fees need rounding too; Min Trade Value (10 by default, in the base
    currency) made small in the BTC book, where 10 BTC would drop every trade."""
    extra = [("Min Trade Value", 0.0001)] if ccy == "BTC" else []
    return [("Base Currency", ccy), ("Fee bps", 10), *extra]


@pytest.mark.parametrize("ccy", list(BOOKS))
def test_money_in_the_base_currency_units(tmp_path: Path, ccy: str):
    rows, total, money_format, _ = BOOKS[ccy]
    path = book(tmp_path / f"{ccy}.xlsx", rows, settings_for(ccy))
    doc = run_json(path, tmp_path / "out", "--no-pdf")
    plan = doc["plan"]
    assert plan["total_before"] == total
    assert doc["holdings"]["base_currency"] == ccy
    places = len(total.partition(".")[2])
    for trade in plan["trades"]:
        assert len(trade["notional"].partition(".")[2]) == places, trade
        assert len(trade["fee"].partition(".")[2]) == places, trade
    assert len(plan["hedge_notional"].partition(".")[2]) == places
    planned = tmp_path / "out" / f"{ccy}.xlsx"
    cell = summary_cell(planned, "Total value before (T)")
    assert cell.number_format == money_format
    assert Decimal(str(cell.value)).quantize(Decimal(1).scaleb(-places)) == Decimal(total)
    trades = load_workbook(planned)["Plan Trades"]
    header = [c.value for c in trades[1]]
    notional = header.index("Notional")
    assert trades.max_row > 1
    assert all(r[notional].number_format == money_format
               for r in trades.iter_rows(min_row=2))
    assert derisk("check", str(path), "--as-of", AS_OF).returncode == 0


@pytest.mark.parametrize("ccy", ["JPY", "BTC", "INR"])
def test_the_pdf_writes_money_in_the_base_currency_units(tmp_path: Path, ccy: str):
    from pypdf import PdfReader

    rows, _, _, shown = BOOKS[ccy]
    path = book(tmp_path / f"{ccy}.xlsx", rows, settings_for(ccy))
    doc = run_json(path, tmp_path / "out")
    text = " ".join(page.extract_text() for page in PdfReader(doc["pdf"]).pages)
    text = " ".join(text.split())
    assert f"{' '.join(shown.split())} before" in text.replace("\u00a0", " ")


def test_the_batch_summary_shows_each_book_in_its_own_units(tmp_path: Path):
    (tmp_path / "in").mkdir()
    usd = book(tmp_path / "in" / "a-usd.xlsx", BOOKS["USD"][0], [("Fee bps", 0)])
    jpy = book(tmp_path / "in" / "b-jpy.xlsx", BOOKS["JPY"][0],
               [("Base Currency", "JPY"), ("Fee bps", 0)])
    out = tmp_path / "out"
    done = derisk("batch", str(usd), str(jpy), "--no-pdf", "--as-of", AS_OF, "--out", str(out),
                  "--jobs", "1")
    assert done.returncode == 0, done.stderr
    ws = load_workbook(out / "batch-summary.xlsx").active
    header = [c.value for c in ws[1]]
    t = header.index("T")
    by_file = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    usd_row = next(r for f, r in by_file.items() if "a-usd" in f)
    jpy_row = next(r for f, r in by_file.items() if "b-jpy" in f)
    assert usd_row[t].number_format == "#,##0.00"
    assert jpy_row[t].number_format == '#,##0" JPY"'
    assert "T 1,865,401 JPY" in done.stdout
    assert "T 12,436.08 " in done.stdout


# -- Settings FX keys -------------------------------------------------------------------------


def _read(path: Path):
    from derisk_xl.workbook.reader import read_workbook

    day = dt.date(2026, 11, 28)
    return read_workbook(path, as_of=day, today=day)


def test_fx_keys_are_rates_with_their_cells(tmp_path: Path):
    from derisk_xl.core.model import Rate

    path = book(tmp_path / "b.xlsx", FIAT, [("Base Currency", "EUR"), ("FX USDT", 0.92),
                                            ("fx cad", "0.68")])
    read = _read(path)
    assert [i for i in read.issues if i.severity == "error"] == []
    assert read.inputs.settings.fx == (
        Rate("USDT", Decimal("0.92"), "Settings FX USDT", "Settings!B3"),
        Rate("CAD", Decimal("0.68"), "Settings FX CAD", "Settings!B4"),
    )


@pytest.mark.parametrize("settings, location, words", [
    ([("FX XYZ", 1.1)], "Settings!A2", "'XYZ' is not a currency we know"),
    ([("FX EUR", 1.1), ("FX EUR", 1.2)], "Settings!A3", "FX EUR is set twice (also at Settings!A2)"),
    ([("FX EUR", 0)], "Settings!B2", "a number from 1e-12 to 1e15"),
    ([("FX EUR", "ten")], "Settings!B2", "a number from 1e-12 to 1e15"),
    ([("FX EUR", "1,5")], "Settings!B2", "ambiguous"),
])
def test_a_bad_fx_key_names_its_cell(tmp_path: Path, settings, location, words):
    path = book(tmp_path / "b.xlsx", FIAT, settings)
    done = derisk("check", str(path), "--as-of", AS_OF)
    assert done.returncode == 1
    line = next(x for x in done.stderr.splitlines() if location in x)
    assert words in line, done.stderr


# -- the hedge in a book not kept in USD --------------------------------------------------------

EUR_BOOK = [("BTC", 0.5, 36000, 20000), ("ETH", 10, 2700, 1000), ("USDC", 20000, 0.9, 0.9)]


def test_a_usdt_hedge_in_a_eur_book_is_converted_at_fx_usdt(tmp_path: Path):
    from pypdf import PdfReader

    path = book(tmp_path / "eur.xlsx", EUR_BOOK,
                [("Base Currency", "EUR"), ("Hedge Price", 40200), ("FX USDT", 0.9),
                 ("Fee bps", 0)])
    doc = run_json(path, tmp_path / "out")
    hedge = doc["plan"]["hedge"]
    assert Decimal(hedge["price"]) == Decimal("36180")          # 40,200 USDT × 0.9 EUR/USDT
    assert hedge["rate"] == {"currency": "USDT", "rate": "0.9", "source": "Settings FX USDT",
                             "location": "Settings!B4"}
    ws = load_workbook(tmp_path / "out" / "eur.xlsx")["Plan Summary"]
    cells = [(c.value, c.number_format) for row in ws.iter_rows() for c in row]
    assert ("USDT", "@") in cells or any(v == "USDT" for v, _ in cells)
    assert any(v == 0.9 for v, _ in cells)
    assert any(isinstance(v, str) and v.startswith("Rates (units of EUR") for v, _ in cells)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(doc["pdf"]).pages)
    assert "1 USDT = 0.9 EUR (Settings FX USDT, Settings!B4)" in text


def test_fx_usd_serves_a_usdt_hedge(tmp_path: Path):
    path = book(tmp_path / "eur.xlsx", EUR_BOOK,
                [("Base Currency", "EUR"), ("Hedge Price", 40000), ("FX USD", "0.5"),
                 ("Fee bps", 0)])
    doc = run_json(path, tmp_path / "out", "--no-pdf")
    assert Decimal(doc["plan"]["hedge"]["price"]) == Decimal("20000")
    assert doc["plan"]["hedge"]["rate"]["currency"] == "USD"


def test_a_usdt_hedge_without_a_rate_is_skipped_saying_how_to_give_one(tmp_path: Path):
    path = book(tmp_path / "eur.xlsx", EUR_BOOK,
                [("Base Currency", "EUR"), ("Hedge Price", 40200), ("Fee bps", 0)])
    doc = run_json(path, tmp_path / "out", "--no-pdf")
    assert doc["plan"]["hedge"] is None
    said = [i["message"] for i in doc["issues"] if "no rate for USDT" in i["message"]]
    assert said and "Settings FX USDT" in said[0] and "FX sheet" in said[0]


def test_a_hedge_priced_at_spot_needs_no_rate(tmp_path: Path):
    path = book(tmp_path / "eur.xlsx", EUR_BOOK, [("Base Currency", "EUR"), ("Fee bps", 0)])
    doc = run_json(path, tmp_path / "out", "--no-pdf")
    assert Decimal(doc["plan"]["hedge"]["price"]) == Decimal(36000)  # BTC's spot, in EUR
    assert doc["plan"]["hedge"]["rate"] is None


def test_a_usdt_book_needs_no_rate_for_a_usdt_hedge():
    from derisk_xl.core.model import PlanInputs, Position, Settings
    from derisk_xl.core.plan import make_plan

    plan = make_plan(PlanInputs(
        positions=(Position("BTC", Decimal("0.5"), Decimal(40000)),),
        settings=Settings.for_model(base_currency="USDT", hedge_price=Decimal(40200),
                                    fee_bps=Decimal(0)),
        as_of=dt.date(2026, 11, 28)))
    assert plan.hedge is not None and plan.hedge.price == Decimal(40200)
    assert plan.hedge.rate is None


# -- the presentation helpers alone -------------------------------------------------------------


@pytest.mark.parametrize("value, ccy, text", [
    (Decimal("1250.5"), "JPY", "¥1,251"),
    (Decimal("1250.4"), "KRW", "1,250\u00a0KRW"),
    (Decimal("0.0089135"), "BTC", "0.00891350\u00a0BTC"),
    (Decimal("-7050.005"), "EUR", "−€7,050.01"),
    (Decimal("1234.5"), "INR", "1,234.50\u00a0INR"),
    (Decimal("12.3456"), "KWD", "12.346\u00a0KWD"),
])
def test_pdf_money(value, ccy, text):
    from derisk_xl.report import format as fmt

    assert fmt.money(value, ccy) == text


def test_pdf_prices_and_prose_keep_the_digits_that_matter():
    from derisk_xl.report import format as fmt

    assert fmt.price(Decimal("6000000.7"), "JPY") == "¥6,000,001"
    assert fmt.price(Decimal("0.0021"), "JPY") == "¥0.002100"      # a coin under one yen
    assert fmt.price(Decimal("0.05234567891"), "BTC") == "0.05234568\u00a0BTC"
    assert fmt.about(Decimal("24.96"), "USD") == "$25"
    assert fmt.about(Decimal("3.456"), "JPY") == "¥3"
    assert fmt.about(Decimal("0.0012345"), "BTC") == "0.00123\u00a0BTC"
    assert fmt.amount(Decimal("1865400.83638"), "JPY") == "1,865,401"


def test_plan_sheet_formats_per_currency():
    from derisk_xl.workbook.plan_sheets import NUMBER_FORMATS, number_formats

    assert number_formats("USD") == NUMBER_FORMATS
    assert number_formats("JPY")["money"] == "#,##0"
    assert number_formats("BTC")["money"] == "#,##0.00000000"
    assert number_formats("USDT")["money"] == "#,##0.00"
    assert number_formats("JPY")["price"] == NUMBER_FORMATS["price"]


def test_sentences_of_the_calculator_write_money_in_the_base_units():
    from derisk_xl.core.model import PlanInputs, Position, Settings
    from derisk_xl.core.plan import make_plan

    plan = make_plan(PlanInputs(
        positions=(Position("ETH", Decimal("2.5"), Decimal("0.05234567891"),
                            avg_cost=Decimal("0.02")),
                   Position("SOL", Decimal(10), Decimal("0.00123456789"))),
        settings=Settings.for_model(base_currency="BTC", fee_bps=Decimal(0),
                                    min_trade_value=Decimal("0.0001"), hedge_ratio=Decimal(0)),
        as_of=dt.date(2026, 11, 28)))
    said = " ".join([t.reason for t in plan.trades] + [s.reason for s in plan.signals])
    # stable target 40 % of T = 0.143209876175 × 0.4 = 0.05728395047 → 0.05728395 BTC
    assert "0.05728395" in said
