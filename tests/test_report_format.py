"""Formatting helpers and charts, alone: how a reader who never opens Excel sees numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal as d

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derisk_xl.core.model import Bucket, Carry, StressRow
from derisk_xl.report import charts
from derisk_xl.report import format as fmt

NB = "\u00a0"


@pytest.mark.parametrize("value, ccy, text", [
    (d(35000), "USD", "$35,000.00"),
    (d("6843.75"), "USD", "$6,843.75"),
    (d("-7050"), "USD", "−$7,050.00"),
    (d("-3367.86"), "USD", "−$3,367.86"),
    (d("1234567.891"), "EUR", "€1,234,567.89"),
    (d("1000"), "CHF", f"1,000.00{NB}CHF"),
    (d("-0.001"), "USD", "$0.00"),          # never a negative zero
    (None, "USD", "–"),
])
def test_money(value, ccy, text):
    assert fmt.money(value, ccy) == text


@pytest.mark.parametrize("fraction, text", [
    (d(23500) / d(35000), f"67.1{NB}%"),
    (d("11226.20") / d(35000), f"32.1{NB}%"),
    (d("0.4"), f"40.0{NB}%"),
    (d(0), f"0.0{NB}%"),
])
def test_pct_one_decimal(fraction, text):
    assert fmt.pct(fraction) == text


@pytest.mark.parametrize("fraction, text", [
    (d("0.0001"), f"0.01{NB}%"),
    (d("0.1095"), f"10.95{NB}%"),
    (d("0.005"), f"0.50{NB}%"),
    (d("0.00001"), f"0.001{NB}%"),
    (d("-0.0003"), f"−0.03{NB}%"),
])
def test_rate_keeps_meaningful_digits(fraction, text):
    assert fmt.rate(fraction) == text


@pytest.mark.parametrize("value, text", [
    (d("635.4166666666666666666666667"), "635.41666667"),
    (d("0.069"), "0.069"), (d(500), "500"), (d("12345.5"), "12,345.5"),
])
def test_quantity(value, text):
    assert fmt.quantity(value) == text


def test_small_prices_keep_significant_digits():
    assert fmt.price(d("0.000012345")) == "$0.00001235"
    assert fmt.price(d(40200)) == "$40,200.00"


def test_shock_and_date():
    assert fmt.shock(d("-0.30")) == f"−30{NB}%"
    assert fmt.shock(d("0.2")) == f"+20{NB}%"
    assert fmt.shock(d("-0.125")) == f"−12.5{NB}%"
    import datetime as dt
    assert fmt.date(dt.date(2026, 11, 28)) == "28 November 2026"


def funding(amount, days=30):
    return Carry("funding", d(200), d("0.005"), d("0.1095"), days, d(amount))


def test_carry_words_earns_for_the_case_study():
    # SPEC 7: 2,773.80 × 0.01 % × 3 × 30 = 24.9642 earned by the short
    text = fmt.carry_words(funding("24.9642"), "USD", d("0.0001"))
    assert text.startswith("The short earns about $25 of funding over 30 days")
    assert "$24.96" in text and "10.95" in text


def test_carry_words_costs_when_negative():
    carry = Carry("funding", d(-50), d("-0.00125"), d("-0.0548"), 30, d("-12.5"))
    text = fmt.carry_words(carry, "USD", d("-0.00005"))
    assert text.startswith("The short costs about $13 of funding over 30 days")
    assert "pay" in text


def test_carry_words_basis_for_a_dated_contract():
    carry = Carry("basis", d(800), d("0.02"), d("0.1217"), 30, d("40"), days_to_expiry=60)
    text = fmt.carry_words(carry, "USD")
    assert text.startswith("The short earns about $40 from the basis over 30 days")
    assert "converges" in text and "60 days to expiry" in text
    assert "$800.00 a unit" in text


def test_carry_words_zero_and_none():
    assert "neither earns nor pays" in fmt.carry_words(funding("0"), "USD", d(0))
    assert "No hedge" in fmt.carry_words(None)


@given(st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False))
def test_money_round_trips_to_the_cent(value):
    text = fmt.money(value, "USD")
    back = d(text.replace("−", "-").replace("$", "").replace(",", ""))
    assert back == value.quantize(d("0.01"), rounding="ROUND_HALF_UP")  # −0.00 == 0 too
    assert re.fullmatch(r"−?\$\d{1,3}(,\d{3})*\.\d\d", text)


@given(st.decimals(min_value=-100, max_value=100, places=6, allow_nan=False))
def test_pct_always_one_decimal(value):
    assert re.fullmatch(r"−?[\d,]+\.\d\u00a0%", fmt.pct(value))


# -- charts ----------------------------------------------------------------------------------

def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_bucket_chart_is_valid_svg_with_group_labels_and_bars_to_scale():
    buckets = (Bucket("spot", d(23500), d(14000), d(14000)),
               Bucket("stable", d(11500), d(14000), d(14000)),
               Bucket("futures", d(0), d(7000), d(7000)))
    root = parse(charts.buckets_chart(buckets))
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(ns + "text")]
    assert {"Risk spot", "Stable", "Futures wallet", "Before", "Target", "After the plan"
            } <= set(labels)
    # bar heights to scale (the figures themselves are in the table above the chart)
    bars = [float(r.get("height")) for r in root.iter(ns + "rect") if float(r.get("width")) > 12]
    assert len(bars) == 9
    assert bars[0] / bars[1] == pytest.approx(23500 / 14000, rel=1e-3)  # spot before : target
    assert bars[3] / bars[7] == pytest.approx(11500 / 7000, rel=1e-3)   # stable : futures
    # grayscale: every fill is a gray (r = g = b), and the three series differ in fill or dash
    fills = {r.get("fill") for r in root.iter(ns + "rect")}
    assert all(f[1:3] == f[3:5] == f[5:7] for f in fills)
    styles = {(r.get("fill"), r.get("stroke-dasharray")) for r in root.iter(ns + "rect")}
    assert len(styles) == 3


def test_stress_chart_negative_bars_go_down():
    rows = (StressRow(d("-0.3"), d(-7050), d("-3367.86")), StressRow(d("0.2"), d(4700), d(2245)))
    root = parse(charts.stress_chart(rows))
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(ns + "text")]
    assert "−30\u00a0%" in labels and "+20\u00a0%" in labels
    line = next(root.iter(ns + "line"))
    zero = float(line.get("y1"))
    bars = [r for r in root.iter(ns + "rect") if float(r.get("width")) > 12]  # not the legend
    assert float(bars[0].get("y")) == pytest.approx(zero)        # −30 % hangs below zero
    assert float(bars[2].get("y")) + float(bars[2].get("height")) == pytest.approx(zero)
    assert float(bars[0].get("height")) / float(bars[1].get("height")) == pytest.approx(
        7050 / 3367.86, rel=1e-3)


def test_chart_labels_are_escaped():
    svg = str(charts.grouped_bars([('<script>"x"</script>', [("before", d(1))])],
                                  legend=[("before", "<b>")], title="</svg><img>"))
    assert "<script>" not in svg and "<b>" not in svg and "</svg><img>" not in svg
    texts = [t.text for t in parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert '<script>"x"</script>' in texts and "<b>" in texts  # shown as written, as text
