"""The reader on real .xlsx files built here (XlsxWriter, openpyxl, raw zip parts): SPEC 3.

Each workbook is written the way a user's tool would write it, then read back by
``read_workbook``; bad input must come back as issues naming the right cell.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hostile import example_parts, write_parts

from derisk_xl.core.model import DEFAULT_TIERS
from derisk_xl.workbook.reader import read_workbook

TODAY = dt.date(2026, 11, 28)
HEAD = ["Asset", "Quantity", "Price", "Avg Cost"]


def xlsx(path: Path, sheets: dict, *, pct_cells=(), hidden_rows=(), tables=(), merges=(),
         errors=(), formulas=()) -> Path:
    """Write ``sheets`` ({name: rows}) with XlsxWriter.

    pct_cells: (sheet, row, col) written with a percent format; hidden_rows: (sheet, row);
    tables: (sheet, first_row, first_col, last_row, last_col, name); merges: (sheet, r0, c0,
    r1, c1, text); errors: (sheet, row, col, '#N/A') written as a formula with that cached
    error; formulas: (sheet, row, col, formula, cached value).
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    pct = wb.add_format({"num_format": "0.00%"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                fmt = pct if (name, r, c) in pct_cells else None
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day),
                                      wb.add_format({"num_format": "yyyy-mm-dd"}))
                elif isinstance(v, str):
                    ws.write_string(r, c, v, fmt)
                else:
                    ws.write(r, c, v, fmt)
        for s, r in hidden_rows:
            if s == name:
                ws.set_row(r, None, None, {"hidden": True})
        for s, r0, c0, r1, c1, tname in tables:
            if s == name:
                header = [{"header": str(h)} for h in rows[r0][c0:c1 + 1]]
                ws.add_table(r0, c0, r1, c1, {"name": tname, "columns": header})
                for r in range(r0 + 1, r1 + 1):
                    for c in range(c0, c1 + 1):
                        v = rows[r][c] if c < len(rows[r]) else None
                        if v is not None:
                            ws.write(r, c, v, pct if (name, r, c) in pct_cells else None)
        for s, r0, c0, r1, c1, text in merges:
            if s == name:
                ws.merge_range(r0, c0, r1, c1, text)
        for s, r, c, code in errors:
            if s == name:
                ws.write_formula(r, c, "=NA()" if code == "#N/A" else "=#REF!", None, code)
        for s, r, c, formula, value in formulas:
            if s == name:
                ws.write_formula(r, c, formula, None, value)
    wb.close()
    return path


def read(path: Path, as_of=None, today=TODAY):
    return read_workbook(path, as_of=as_of, today=today)


def errors_at(result) -> dict[str, str]:
    return {i.location: i.message for i in result.issues if i.severity == "error"}


def one_error(result, location: str) -> str:
    errs = errors_at(result)
    assert location in errs, f"no error at {location}; got {result.issues}"
    return errs[location]


BASIC = [HEAD, ["BTC", 0.1, 40000, 40000], ["ETH", 2.5, 3000, 1200], ["USDC", 100, 1, 1]]


# -------------------------------------------------------------------------------------------
# The happy paths
# -------------------------------------------------------------------------------------------

def test_case_study_workbook_reads_to_the_case_study_inputs(case_study):
    from tests.conftest import WORKBOOKS

    result = read(WORKBOOKS / "case-study.xlsx", today=dt.date(2000, 1, 1))
    assert [i for i in result.issues if i.severity == "error"] == []
    inputs = result.inputs
    assert inputs.positions == case_study.positions
    assert inputs.as_of == case_study.as_of  # from Settings As Of, not today
    expected = dataclasses.replace(
        case_study.settings, client=inputs.settings.client,
        report_title=inputs.settings.report_title, as_of=case_study.as_of,
        report_recipients=("client@example.com",))
    assert inputs.settings == expected
    assert inputs.settings.client
    assert [(t.trigger_multiple, t.sell_fraction, t.applies_to) for t in inputs.tiers] == \
        [(t.trigger_multiple, t.sell_fraction, t.applies_to) for t in DEFAULT_TIERS]
    assert inputs.futures == () and inputs.lots == () and inputs.prices is None


def test_example_workbook_reads_cleanly():
    from tests.conftest import WORKBOOKS

    result = read(WORKBOOKS / "example.xlsx")
    assert [i for i in result.issues if i.severity == "error"] == [], result.issues
    inputs = result.inputs
    assert len(inputs.positions) >= 18
    assert {p.venue for p in inputs.positions} >= {"Binance", "Bybit", "Coinbase", "Ledger"}
    assert any(p.category == "stable" for p in inputs.positions)
    longs = [f for f in inputs.futures if f.side == "long" and f.leverage == 10]
    assert longs and longs[0].mark_price > longs[0].entry_price
    assert any(f.side == "short" for f in inputs.futures)
    assert {f.liquidation_model for f in inputs.futures if "bybit" in f.venue.lower()} == \
        {"bybit"}
    assert len(inputs.prices.dates) == 90 and "BTC" in inputs.prices.closes
    assert any((inputs.as_of - lot.acquired).days > 365 for lot in inputs.lots)
    assert len(inputs.settings.report_recipients) == 2
    assert all(r.endswith("@example.com>") or r.endswith("@example.com")
               for r in inputs.settings.report_recipients)


def test_names_match_loosely_unknown_columns_are_ignored_and_empty_rows_skipped(tmp_path):
    rows = [
        ["My holdings, Q4"],
        [],
        ["  coin", "QTY", "current_price", "avg cost", "Notes", "min keep"],
        ["btc ", 0.1, 40000, 40000, "cold wallet", 10],
        [None, None, None, None, "a note only"],
        [],
        ["eth", 2.5, 3000, 1200],
    ]
    path = xlsx(tmp_path / "b.xlsx", {"HOLDINGS": rows})
    result = read(path)
    assert errors_at(result) == {}
    btc, eth = result.inputs.positions
    assert (btc.asset, btc.quantity, btc.price, btc.min_keep) == \
        ("BTC", Decimal("0.1"), Decimal(40000), Decimal("0.1"))
    assert btc.location == "HOLDINGS!A4" and eth.location == "HOLDINGS!A7"
    assert eth.avg_cost == Decimal(1200) and eth.category == "alt"


def test_percent_conventions(tmp_path):
    """Formatted as percent: a fraction; a plain number: points; text: what it says."""
    rows = [HEAD + ["Min Keep %"],
            ["A", 1, 1, 1, 0.25],      # formatted 25.00 %
            ["B", 1, 1, 1, 25],        # plain 25 → 25 %
            ["C", 1, 1, 1, 0.01],      # plain 0.01 → 0.01 %
            ["D", 1, 1, 1, "25%"],
            ["E", 1, 1, 1, "0.01 %"]]
    settings = [["Key", "Value"], ["Hedge Funding Rate 8h %", 0.0001],
                ["Rebalance Band %", 2], ["Hedge Ratio", "30%"],
                ["Stress Shocks %", "-10, -25%, +20"]]
    path = xlsx(tmp_path / "p.xlsx", {"Holdings": rows, "Settings": settings},
                pct_cells={("Holdings", 1, 4), ("Settings", 1, 1)})
    result = read(path)
    assert errors_at(result) == {}
    keeps = [p.min_keep for p in result.inputs.positions]
    assert keeps == [Decimal("0.25"), Decimal("0.25"), Decimal("0.0001"), Decimal("0.25"),
                     Decimal("0.0001")]
    s = result.inputs.settings
    assert s.hedge_funding_rate_8h == Decimal("0.0001")
    assert s.rebalance_band == Decimal("0.02")
    assert s.hedge_ratio == Decimal("0.30")
    assert s.stress_shocks == (Decimal("-0.10"), Decimal("-0.25"), Decimal("0.20"))


def test_an_excel_table_stands_in_for_a_sheet(tmp_path):
    rows = [[], [], [None, None] + HEAD + ["Category"],
            [None, None, "SOL", 10, 200, 20, "alt"],
            [None, None, "USDT", 500, 1, 1, None]]
    path = xlsx(tmp_path / "t.xlsx", {"Portfolio": rows},
                tables=[("Portfolio", 2, 2, 4, 6, "Holdings")])
    result = read(path)
    assert errors_at(result) == {}
    sol, usdt = result.inputs.positions
    assert sol.location == "Portfolio!C4" and sol.quantity == 10
    assert usdt.category == "stable"  # by name


def test_hidden_rows_are_read_with_a_warning(tmp_path):
    path = xlsx(tmp_path / "h.xlsx", {"Holdings": BASIC}, hidden_rows=[("Holdings", 2)])
    result = read(path)
    assert [p.asset for p in result.inputs.positions] == ["BTC", "ETH", "USDC"]
    warn = [i for i in result.issues if i.severity == "warning" and i.location == "Holdings"]
    assert warn and "hidden" in warn[0].message and "3" in warn[0].message


def test_holdings_options(tmp_path):
    rows = [HEAD + ["Cost Basis", "Category", "Protect", "Original Quantity", "Beta", "Venue",
                    "Lot Step"],
            ["SOL", 10, 200, None, 500, None, "yes", 14, 1.4, "Binance", 0.01],
            ["ADA", 100, 1, 0.5, None, "core", "FALSE", None, None, None, None],
            ["DAI", 100, 1, 1, None, None, 1, None, None, None, None]]
    result = read(xlsx(tmp_path / "o.xlsx", {"Holdings": rows}))
    assert errors_at(result) == {}
    sol, ada, dai = result.inputs.positions
    assert sol.avg_cost == Decimal(50) and sol.protect and sol.original_quantity == 14
    assert sol.beta == 1.4 and sol.venue == "Binance" and sol.lot_step == Decimal("0.01")
    assert ada.category == "core" and not ada.protect
    assert dai.category == "stable" and dai.protect


def test_settings_every_kind(tmp_path):
    settings = [
        ["Model", "conservative protection"], ["Max Leverage", 4], ["Hedge Sizing", "Beta"],
        ["Hedge Instrument", "BTC-PERP"], ["Hedge Underlying", "btc"],
        ["Hedge Expiry", dt.date(2027, 3, 26)], ["Liquidation Model", "bybit"],
        ["Sleeve Funding", "needed"], ["Core Assets", "none"], ["Lot Method", "hifo"],
        ["Long-Term Days", 366], ["Fear Greed Index", 80], ["As Of", "2026-11-01"],
        ["Report Recipients", "a@example.com; Bob <bob@example.com>, c@example.org"],
        ["Client", "Ann & Co"], ["Fee bps", "5"],
    ]
    result = read(xlsx(tmp_path / "s.xlsx", {"Holdings": BASIC, "Settings": settings}))
    assert errors_at(result) == {}
    s = result.inputs.settings
    assert s.model == "Conservative Protection" and s.spot_target == Decimal("0.20")
    assert s.max_leverage == 4 and s.hedge_sizing == "beta"
    assert s.hedge_underlying == "BTC" and s.hedge_expiry == dt.date(2027, 3, 26)
    assert s.liquidation_model == "bybit" and s.sleeve_funding == "needed"
    assert s.core_assets == () and s.lot_method == "HIFO" and s.long_term_days == 366
    assert s.fear_greed_index == 80 and s.fee_bps == 5
    assert s.report_recipients == ("a@example.com", "Bob <bob@example.com>", "c@example.org")
    assert result.inputs.as_of == dt.date(2026, 11, 1)


def test_as_of_flag_wins_over_settings_then_today(tmp_path):
    with_setting = xlsx(tmp_path / "a.xlsx", {"Holdings": BASIC,
                                             "Settings": [["As Of", dt.date(2026, 1, 2)]]})
    assert read(with_setting, as_of=dt.date(2026, 5, 5)).inputs.as_of == dt.date(2026, 5, 5)
    assert read(with_setting).inputs.as_of == dt.date(2026, 1, 2)
    plain = xlsx(tmp_path / "b.xlsx", {"Holdings": BASIC})
    assert read(plain).inputs.as_of == TODAY


def test_futures_defaults_and_liquidation_model_by_venue(tmp_path):
    head = ["Symbol", "Underlying", "Side", "Size", "Entry Price", "Mark Price", "Leverage",
            "Margin", "Type", "Contract Value", "Venue", "Underlying Price", "Expiry",
            "Maint Margin Rate %", "Funding Rate 8h %"]
    rows = [head,
            ["BTCUSDT-PERP", "BTC", "Buy", 0.5, 60000, 90000, 10, None, None, None,
             "Binance Futures", None, None, None, 0.01],
            ["BTCUSD-PERP", "BTC", "sell", 200, 50000, 90000, 4, None, "inverse", None,
             "Bybit", None, None, 1, None],
            ["SOL-27MAR", "sol", "Long", 10, 100, 200, None, 400, None, None, "OKX", 210,
             dt.date(2027, 3, 26), None, None]]
    settings = [["Liquidation Model", "bybit"]]
    result = read(xlsx(tmp_path / "f.xlsx", {"Holdings": BASIC, "Futures": rows,
                                             "Settings": settings}))
    assert errors_at(result) == {}
    lin, inv, dated = result.inputs.futures
    assert lin.side == "long" and lin.margin == Decimal(3000) and lin.liquidation_model == "binance"
    assert lin.funding_rate_8h == Decimal("0.0001") and lin.maint_rate == Decimal("0.005")
    assert inv.side == "short" and inv.contract_type == "inverse"
    assert inv.margin == Decimal(200 * 100) / 4 and inv.liquidation_model == "bybit"
    assert inv.maint_rate == Decimal("0.01")
    assert dated.underlying == "SOL" and dated.margin == 400 and dated.leverage is None
    assert dated.expiry == dt.date(2027, 3, 26) and dated.liquidation_model == "bybit"


def test_tiers_absent_default_header_only_none_and_applies_to(tmp_path):
    plain = xlsx(tmp_path / "a.xlsx", {"Holdings": BASIC})
    assert read(plain).inputs.tiers == DEFAULT_TIERS
    empty = xlsx(tmp_path / "b.xlsx", {"Holdings": BASIC,
                                       "Tiers": [["Trigger Multiple", "Sell %"]]})
    assert read(empty).inputs.tiers == ()
    custom = xlsx(tmp_path / "c.xlsx", {"Holdings": BASIC, "Tiers": [
        ["Trigger Multiple", "Sell %", "Applies To"], [3, 0.5, "eth"], [5, 10, "Alt"]]},
        pct_cells={("Tiers", 1, 1)})
    t1, t2 = read(custom).inputs.tiers
    assert (t1.trigger_multiple, t1.sell_fraction, t1.applies_to) == (3, Decimal("0.5"), "ETH")
    assert (t2.sell_fraction, t2.applies_to) == (Decimal("0.1"), "alt")


def test_lots_and_prices(tmp_path):
    lots = [["Asset", "Acquired", "Quantity", "Unit Cost"],
            ["ETH", dt.date(2023, 1, 2), 1.5, 1000], ["ETH", "2025-06-30", 1, 2500]]
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(40)]
    prices = [["Date", "BTC", "eth"]] + [[d, 40000 + i, 3000 - i] for i, d in enumerate(days)]
    result = read(xlsx(tmp_path / "l.xlsx", {"Holdings": BASIC, "Lots": lots,
                                             "Prices": prices}))
    assert errors_at(result) == {}
    a, b = result.inputs.lots
    assert a.acquired == dt.date(2023, 1, 2) and b.acquired == dt.date(2025, 6, 30)
    history = result.inputs.prices
    assert history.dates == tuple(days) and history.closes["ETH"][0] == 3000.0
    assert not [i for i in result.issues if "Prices" in i.location]


def test_short_price_history_warns(tmp_path):
    prices = [["Date", "BTC"]] + [[dt.date(2026, 1, 1 + i), 1.0 + i] for i in range(10)]
    result = read(xlsx(tmp_path / "p.xlsx", {"Holdings": BASIC, "Prices": prices}))
    assert result.inputs is not None
    warn = [i for i in result.issues if i.location == "Prices"]
    assert warn and warn[0].severity == "warning" and "9 daily return" in warn[0].message


def test_plan_sheets_from_a_previous_run_are_ignored(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", {"Holdings": BASIC,
                                      "Plan Summary": [["Model", "nonsense"], ["x", "#N/A"]],
                                      "Plan Errors": [["Holdings!C3", "old"]]})
    assert errors_at(read(path)) == {}


# -------------------------------------------------------------------------------------------
# SPEC 3.8: every bad input, with its cell
# -------------------------------------------------------------------------------------------

def test_missing_holdings_sheet(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", {"Sheet1": [["hello"]]})
    result = read(path)
    assert result.inputs is None
    msg = one_error(result, "")
    assert "m.xlsx" in msg and "Holdings" in msg and "Sheet1" in msg


def test_missing_required_column(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", {"Holdings": [["Asset", "Quantity"], ["BTC", 1]]})
    msg = one_error(read(path), "Holdings!A1:B1")
    assert "Price" in msg and "required" in msg


def test_text_in_a_number_cell(tmp_path):
    rows = [HEAD, ["BTC", "one", 40000, 1]]
    msg = one_error(read(xlsx(tmp_path / "t.xlsx", {"Holdings": rows})), "Holdings!B2")
    assert "'one'" in msg and "expected a number" in msg


@pytest.mark.parametrize("code", ["#N/A", "#REF!"])
def test_excel_errors_in_number_cells(tmp_path, code):
    rows = [HEAD, ["BTC", 1, None, 1], ["ETH", 1, 3000, 1]]
    path = xlsx(tmp_path / "e.xlsx", {"Holdings": rows}, errors=[("Holdings", 1, 2, code)])
    msg = one_error(read(path), "Holdings!C2")
    assert code in msg and "Excel error" in msg


def test_excel_error_written_as_raw_xml(tmp_path):
    """An error cell as Excel itself writes it: ``<c t="e"><v>#DIV/0!</v></c>``, no formula."""
    path = xlsx(tmp_path / "raw.xlsx", {"Holdings": [HEAD, ["BTC", 1, 123456789, 1]]})
    part = "xl/worksheets/sheet1.xml"
    parts = example_parts(path)
    xml = parts[part].decode()
    assert '<c r="C2"><v>123456789</v></c>' in xml
    parts[part] = xml.replace('<c r="C2"><v>123456789</v></c>',
                              '<c r="C2" t="e"><v>#DIV/0!</v></c>').encode()
    write_parts(path, parts)
    assert "#DIV/0!" in one_error(read(path), "Holdings!C2")


@pytest.mark.parametrize("price", [0, -5])
def test_negative_or_zero_price(tmp_path, price):
    rows = [HEAD, ["BTC", 1, 40000, 1], ["ETH", 1, price, 1]]
    msg = one_error(read(xlsx(tmp_path / "n.xlsx", {"Holdings": rows})), "Holdings!C3")
    assert "greater than 0" in msg


def test_negative_quantity(tmp_path):
    rows = [HEAD, ["BTC", -1, 40000, 1]]
    assert "at least 0" in one_error(read(xlsx(tmp_path / "n.xlsx", {"Holdings": rows})),
                                     "Holdings!B2")


def test_duplicate_settings_keys(tmp_path):
    settings = [["Key", "Value"], ["Fee bps", 5], ["Model", "Aggressive Hold"], ["fee_bps", 7]]
    msg = one_error(read(xlsx(tmp_path / "d.xlsx", {"Holdings": BASIC, "Settings": settings})),
                    "Settings!A4")
    assert "twice" in msg and "Settings!A2" in msg


def test_unknown_settings_key_names_the_closest(tmp_path):
    settings = [["Hedge Ration %", 20]]
    msg = one_error(read(xlsx(tmp_path / "k.xlsx", {"Holdings": BASIC, "Settings": settings})),
                    "Settings!A1")
    assert "Hedge Ratio %" in msg


def test_unknown_model_names_the_closest(tmp_path):
    settings = [["Key", "Value"], ["Model", "Balanced Derisk"]]
    msg = one_error(read(xlsx(tmp_path / "m.xlsx", {"Holdings": BASIC, "Settings": settings})),
                    "Settings!B2")
    assert "Balanced De-Risk" in msg


def test_targets_not_summing_to_100(tmp_path):
    settings = [["Spot Target %", 50], ["Stable Target %", 40]]
    msg = one_error(read(xlsx(tmp_path / "s.xlsx", {"Holdings": BASIC, "Settings": settings})),
                    "Settings!B1")
    assert "110 %" in msg and "100 %" in msg


def test_custom_model_requires_its_three_targets(tmp_path):
    settings = [["Model", "Custom"], ["Spot Target %", 50], ["Stable Target %", 30]]
    msg = one_error(read(xlsx(tmp_path / "c.xlsx", {"Holdings": BASIC, "Settings": settings})),
                    "Settings!B1")
    assert "Futures Sleeve %" in msg
    ok = [["Model", "Custom"], ["Spot Target %", 50], ["Stable Target %", 30],
          ["Futures Sleeve %", 20]]
    s = read(xlsx(tmp_path / "ok.xlsx", {"Holdings": BASIC, "Settings": ok})).inputs.settings
    assert (s.spot_target, s.futures_sleeve, s.hedge_ratio) == \
        (Decimal("0.5"), Decimal("0.2"), Decimal("0.20"))


def test_formulas_without_cached_values(tmp_path):
    """openpyxl writes formulas with no cached value: a file never opened in Excel."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws.append(HEAD)
    ws.append(["BTC", 0.1, "=39000+1000", 40000])
    ws.append(["ETH", 2.5, 3000, 1200])
    wb.save(tmp_path / "f.xlsx")
    result = read(tmp_path / "f.xlsx")
    msg = one_error(result, "Holdings!C2")
    assert "formula with no cached value" in msg and "Excel" in msg
    assert result.inputs is None


def test_formula_with_a_cached_value_is_read(tmp_path):
    path = xlsx(tmp_path / "c.xlsx", {"Holdings": [HEAD, ["BTC", 1, None, 1]]},
                formulas=[("Holdings", 1, 2, "=40000", 40000)])
    assert read(path).inputs.positions[0].price == 40000


def test_merged_header_cells(tmp_path):
    rows = [["Asset", None, "Price", "Avg Cost"], ["BTC", 1, 40000, 1]]
    path = xlsx(tmp_path / "m.xlsx", {"Holdings": rows},
                merges=[("Holdings", 0, 0, 0, 1, "Asset")])
    result = read(path)
    assert "merged" in one_error(result, "Holdings!A1:B1")


def test_text_dates(tmp_path):
    lots = [["Asset", "Acquired", "Quantity", "Unit Cost"],
            ["ETH", "2023-01-02", 1.5, 1000], ["ETH", "03/04/2024", 1, 2500]]
    result = read(xlsx(tmp_path / "d.xlsx", {"Holdings": BASIC, "Lots": lots}))
    msg = one_error(result, "Lots!B3")
    assert "03/04/2024" in msg and "YYYY-MM-DD" in msg
    assert "Lots!B2" not in errors_at(result)


def test_lots_must_sum_to_the_holding(tmp_path):
    lots = [["Asset", "Acquired", "Quantity", "Unit Cost"],
            ["ETH", dt.date(2023, 1, 2), 1.5, 1000], ["ETH", dt.date(2024, 1, 2), 0.9, 2500]]
    msg = one_error(read(xlsx(tmp_path / "l.xlsx", {"Holdings": BASIC, "Lots": lots})),
                    "Lots!A2")
    assert "ETH" in msg and "2.4" in msg and "2.5" in msg and "-0.1" in msg


def test_futures_underlying_must_price_and_leverage_or_margin(tmp_path):
    head = ["Symbol", "Underlying", "Side", "Size", "Entry Price", "Mark Price", "Leverage",
            "Margin"]
    rows = [head, ["DOGEUSDT", "DOGE", "Long", 100, 0.1, 0.2, 5, None],
            ["BTCUSDT", "BTC", "Long", 1, 50000, 60000, None, None],
            ["ETHUSDT", "ETH", "Up", 1, 3000, 3100, 2, None]]
    result = read(xlsx(tmp_path / "f.xlsx", {"Holdings": BASIC, "Futures": rows}))
    assert "DOGE" in one_error(result, "Futures!B2")
    assert "Leverage nor Margin" in one_error(result, "Futures!A3")
    assert "Long or Short" in one_error(result, "Futures!C4")


def test_bad_protect_category_and_recipients(tmp_path):
    rows = [HEAD + ["Category", "Protect"], ["BTC", 1, 1, 1, "gold", "maybe"]]
    settings = [["Report Recipients", "ok@example.com; not an address"],
                ["Report Title", "Plan\r\nBcc: victim@example.com"]]
    result = read(xlsx(tmp_path / "b.xlsx", {"Holdings": rows, "Settings": settings}))
    assert "core, alt, stable" in one_error(result, "Holdings!E2")
    assert "yes" in one_error(result, "Holdings!F2")
    assert "not an address" in one_error(result, "Settings!B1")
    assert "line break" in one_error(result, "Settings!B2")


def test_header_smuggled_into_a_recipient(tmp_path):
    settings = [["Report Recipients", "a@example.com\nBcc: b@evil.example"]]
    result = read(xlsx(tmp_path / "r.xlsx", {"Holdings": BASIC, "Settings": settings}))
    assert "line break" in one_error(result, "Settings!B1")


def test_every_problem_is_reported_at_once(tmp_path):
    rows = [HEAD, ["BTC", "x", 40000, 1], ["ETH", 1, -3, 1], ["SOL", 1, None, 1]]
    settings = [["Model", "Balanced"], ["Fee bps", 1], ["Fee bps", 2], ["Hedge Ration", 1]]
    lots = [["Asset", "Acquired", "Quantity", "Unit Cost"], ["ETH", "31/12/2023", 1, 1]]
    path = xlsx(tmp_path / "all.xlsx", {"Holdings": rows, "Settings": settings, "Lots": lots},
                errors=[("Holdings", 3, 2, "#N/A")])
    result = read(path)
    assert result.inputs is None
    assert {"Holdings!B2", "Holdings!C3", "Holdings!C4", "Settings!B1", "Settings!A3",
            "Settings!A4", "Lots!B2"} <= set(errors_at(result))


# -------------------------------------------------------------------------------------------
# Files that are not (readable) workbooks
# -------------------------------------------------------------------------------------------

def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text\n")
    result = read(path)
    assert result.inputs is None and "notes.xlsx" in one_error(result, "")
    assert "not an Excel workbook" in one_error(result, "")


def test_zip_without_a_workbook_part(tmp_path):
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "no workbook part" in one_error(read(path), "")


def test_missing_file(tmp_path):
    assert "does not exist" in one_error(read(tmp_path / "nope.xlsx"), "")


def test_password_protected_workbook(tmp_path):
    import msoffcrypto

    from derisk_xl.workbook.new import new_workbook

    plain = tmp_path / "plain.xlsx"
    new_workbook(plain)
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as src, open(locked, "wb") as out:
        msoffcrypto.OfficeFile(src).encrypt("secret", out)
    msg = one_error(read(locked), "")
    assert "locked.xlsx" in msg and "password" in msg


def test_legacy_xls(tmp_path):
    from derisk_xl.excel.cfb import Storage, write_compound_file

    bof = b"\x09\x08\x10\x00" + b"\x00\x06\x05\x00" + b"\x00" * 12
    eof = b"\x0a\x00\x00\x00"
    path = tmp_path / "old.xls"
    path.write_bytes(write_compound_file(Storage({"Workbook": bof + eof})))
    msg = one_error(read(path), "")
    assert ".xls" in msg and "old.xls" in msg and "save it as" in msg


def test_xml_entity_bomb_is_refused_without_expanding(tmp_path):
    path = xlsx(tmp_path / "bomb.xlsx", {"Holdings": BASIC})
    parts = example_parts(path)
    entities = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    dtd = f'<!DOCTYPE sst [<!ENTITY l0 "lol">{entities}]>'
    xml = parts["xl/sharedStrings.xml"].decode()
    head, _, rest = xml.partition("?>")
    parts["xl/sharedStrings.xml"] = (head + "?>" + dtd + rest.replace(
        "<t>BTC</t>", "<t>&l9;</t>")).encode()
    write_parts(path, parts)
    msg = one_error(read(path), "")
    assert "refused" in msg and "xl/sharedStrings.xml" in msg


def test_check_command_exits_1_names_the_cell_and_leaves_the_file(tmp_path):
    import subprocess
    import sys

    rows = [HEAD, ["BTC", 1, "n/a", 1]]
    path = xlsx(tmp_path / "bad.xlsx", {"Holdings": rows})
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "check", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Holdings!C2" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == before
