"""Money in the plan sheets: prose rounds to the cent, cells keep the exact value.

Decision (SPEC 5.1 "numbers are numbers", SPEC 4 "reconciles to the cent"): a money *cell*
holds the plan's exact figure with the ``#,##0.00`` format, so Excel shows cents while a column
sum still equals the total the plan reports and a 0.004 fee does not read back as 0; *text*
(the hedge line, carry in words) has no number format, so it is rounded to the cent there.
Expected strings below are typed by hand.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal as d

import pytest
from test_writer_plans import hand_case_study

from derisk_xl.core.model import Trade
from derisk_xl.workbook.plan_sheets import hedge_line, plan_sheets
from derisk_xl.workbook.writer import write_plan


def with_hedge(**changes):
    plan = hand_case_study()
    return dataclasses.replace(plan, hedge=dataclasses.replace(plan.hedge, **changes))


def test_hedge_line_rounds_money_to_cents():
    plan = with_hedge(liquidation_price=d("128888.8888888889"), notional=d("2773.8049999"),
                      margin=d("924.6016666666"), quantity=d("0.069"), price=d(40200))
    assert hedge_line(plan) == ("Short 0.069 BTCUSDT-PERP at 40,200.00: 2,773.80 notional, "
                                "margin 924.60 at 3×, liquidation 128,888.89")


def test_hedge_line_keeps_small_prices_readable():
    plan = with_hedge(price=d("0.00001234567"), liquidation_price=d("0.0000150000049"),
                      quantity=d("1000000"))
    line = hedge_line(plan)
    assert "at 0.0000123457:" in line
    assert line.endswith("liquidation 0.000015")
    assert "Short 1,000,000.00 BTCUSDT-PERP" in line


def test_carry_in_words_is_in_cents():
    plan = hand_case_study()
    plan = with_hedge(carry=dataclasses.replace(plan.hedge.carry, amount=d("24.9583333333")))
    hedge = next(s for s in plan_sheets(plan, version="t") if s.name == "Plan Hedge")
    words = dict(hedge.blocks[0].rows)["Carry in words"]
    assert words == "Over 30 days the short earns about 24.96 of funding."


def test_money_cells_keep_exact_values_so_columns_sum_to_the_totals(tmp_path):
    import openpyxl
    import xlsxwriter

    fees = [d("0.011025"), d("0.004"), d("1.3333333333"), d("7.005")]
    base = hand_case_study()
    trades = tuple(Trade(i + 1, "tier", "", f"A{i}", "sell", d(1), d(10), d(10), fee, d(1), "")
                   for i, fee in enumerate(fees))
    plan = dataclasses.replace(base, trades=trades, fees=sum(fees))
    source = tmp_path / "in.xlsx"
    wb = xlsxwriter.Workbook(source)
    wb.add_worksheet("Holdings").write(0, 0, "Asset")
    wb.close()
    write_plan(source, source, plan)
    book = openpyxl.load_workbook(source)
    column = [r[8] for r in book["Plan Trades"].iter_rows(min_row=2)]
    assert [c.value for c in column] == pytest.approx([0.011025, 0.004, 1.3333333333, 7.005])
    assert all(c.number_format == "#,##0.00" for c in column)
    summary = {r[0].value: r[1] for r in book["Plan Summary"].iter_rows() if r[0].value}
    assert summary["Fees"].value == pytest.approx(sum(c.value for c in column), abs=1e-9)
    assert summary["Fees"].number_format == "#,##0.00"
