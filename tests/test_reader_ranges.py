"""Domain ranges (SPEC 3, README "Workbook format"): what the reader refuses, with its cell, and
that the calculator is total over everything it admits (no exception for any admitted input)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from hostile import example_parts, write_parts

from derisk_xl.core.model import FuturesPosition, Lot, PlanInputs, Position, PriceHistory, Settings
from derisk_xl.core.plan import make_plan
from derisk_xl.workbook import reader
from derisk_xl.workbook.plan_sheets import plan_sheets

TODAY = dt.date(2026, 11, 28)
D = Decimal


# -- refused on read, with the cell ----------------------------------------------------------

def _settings_sheet(rows: list[tuple[str, str]]) -> bytes:
    def s(ref, text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    body = "".join(f'<row r="{i}">{s(f"A{i}", k)}{s(f"B{i}", v)}</row>'
                   for i, (k, v) in enumerate([("Key", "Value"), *rows], start=1))
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + body +
            "</sheetData></worksheet>").encode()


def _cell_value(sheet: bytes, ref: str, value: str) -> bytes:
    import re

    return re.sub(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)',
                  lambda m: b'<c r="' + ref.encode() + b'"><v>' + value.encode() + b"</v></c>",
                  sheet, count=1, flags=__import__("re").S)


def read_with(tmp_path, edits: dict[str, bytes]):
    parts = example_parts()
    parts.update(edits)
    path = write_parts(tmp_path / "book.xlsx", parts)
    return reader.read_workbook(path, as_of=None, today=TODAY)


def errors(result) -> dict[str, str]:
    return {i.location: i.message for i in result.issues if i.severity == "error"}


@pytest.mark.parametrize("key,value,needle", [
    ("Horizon Days", "1e999999999", "Horizon Days"),
    ("Hedge Lot Step", "1e-30", "1e-12"),
    ("Hedge Contract Size", "1e-30", "1e-12"),
    ("Futures Free Collateral", "1e26", "1e15"),
    ("Hedge Price", "inf", "Hedge Price"),
    ("Fee bps", "1,5", "ambiguous"),
    ("Hedge Funding Rate 8h %", "1e999999999 %", "1000 %"),
    ("Stress Shocks %", "-10, 1e999999999", "1000 %"),
])
def test_settings_out_of_domain_name_their_cell(tmp_path, key, value, needle):
    result = read_with(tmp_path, {"xl/worksheets/sheet3.xml": _settings_sheet([(key, value)])})
    assert result.inputs is None
    assert needle in errors(result).get("Settings!B2", ""), errors(result)


@pytest.mark.parametrize("ref,value,needle", [
    ("B2", "1e26", "1e15"),          # Quantity
    ("C2", "1e300", "1e15"),         # Price
    ("C3", "1e-300", "1e-12"),       # Price
    ("D2", "inf", "finite"),         # Avg Cost
    ("B4", "nan", "finite"),
    ("D2", "1e-30", "1e-18"),        # Avg Cost: a price over it would overflow the multiple
])
def test_holdings_out_of_domain_name_their_cell(tmp_path, ref, value, needle):
    sheet = _cell_value(example_parts()["xl/worksheets/sheet1.xml"], ref, value)
    result = read_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet})
    assert needle in errors(result).get(f"Holdings!{ref}", ""), errors(result)


def test_a_position_worth_more_than_the_domain_is_refused(tmp_path):
    sheet = _cell_value(example_parts()["xl/worksheets/sheet1.xml"], "B2", "1e12")
    sheet = _cell_value(sheet, "C2", "1e12")
    result = read_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet})
    assert "Quantity × Price" in errors(result).get("Holdings!A2", ""), errors(result)


def test_lots_after_and_futures_expired_before_the_as_of_date(tmp_path):
    result = reader.read_workbook(reader_path(tmp_path), as_of=dt.date(2000, 1, 2), today=TODAY)
    msgs = " ".join(errors(result).values())
    assert "after the as-of date 2000-01-02" in msgs
    assert result.inputs is None
    # the sample's dated future (BTCUSD-270326) has expired by mid-2027
    result = reader.read_workbook(reader_path(tmp_path), as_of=dt.date(2027, 6, 1), today=TODAY)
    assert "BTCUSD-270326 expired on 2027-03-26, before the as-of date 2027-06-01" in \
        " ".join(errors(result).values()), errors(result)
    assert result.inputs is None


def test_a_date_formatted_serial_past_9999_is_not_a_quantity(tmp_path):
    """calamine hands back the bare number when a date-formatted serial is past year 9999."""
    import re

    sheet = example_parts()["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'<c r="B2"[^>]*>(<v>)[^<]*(</v>)', rb'<c r="B2" s="6">\g<1>3000000\2',
                   sheet)  # style 6 is yyyy-mm-dd in example.xlsx
    result = read_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet})
    assert "formatted as a date" in errors(result).get("Holdings!B2", ""), errors(result)


def test_a_date_formatted_number_that_makes_calamine_panic_is_a_sentence(tmp_path):
    """-1e26 in a date-formatted cell panics inside calamine (PanicException derives from
    BaseException): caught around every calamine call and said as a sentence naming the sheet."""
    import re

    sheet = example_parts()["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'<c r="B2"[^>]*>(<v>)[^<]*(</v>)', rb'<c r="B2" s="6">\g<1>-1e26\2', sheet)
    result = read_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet})
    assert list(errors(result).values()) == [
        "book.xlsx: the sheet 'Holdings' could not be read (a cell formatted as a date holds a "
        "number far outside Excel's dates). Open the file in Excel and save it again."]


def test_an_undefined_entity_in_a_sheet_is_refused_by_name(tmp_path):
    sheet = example_parts()["xl/worksheets/sheet1.xml"].replace(b"<sheetData>",
                                                                b"<sheetData>&undefined;", 1)
    result = read_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet})
    assert result.inputs is None
    assert any("the sheet 'Holdings' is not well-formed XML (undefined entity" in m
               for m in errors(result).values()), errors(result)


def reader_path(tmp_path):
    return write_parts(tmp_path / "plain.xlsx", example_parts())


def test_prices_alternating_absurd_closes_are_refused(tmp_path):
    import re

    sheet = example_parts()["xl/worksheets/sheet6.xml"]
    cells = re.findall(rb'<c r="(B\d+)"', sheet)[:4]
    for i, ref in enumerate(cells):
        sheet = _cell_value(sheet, ref.decode(), "1e-300" if i % 2 else "1e300")
    result = read_with(tmp_path, {"xl/worksheets/sheet6.xml": sheet})
    assert any(loc.startswith("Prices!B") for loc in errors(result)), errors(result)


# -- total over what is admitted -------------------------------------------------------------

amount = st.one_of(st.sampled_from([D(0), D("1e-18"), D("1e15")]),
                   st.decimals(min_value=0, max_value=D("1e15"), allow_nan=False,
                               allow_infinity=False, places=6))
positive = st.one_of(st.sampled_from([D("1e-12"), D("1e15"), D(1)]),
                     st.decimals(min_value=D("1e-12"), max_value=D("1e15"), allow_nan=False,
                                 allow_infinity=False))
fraction = st.decimals(min_value=0, max_value=1, places=4)


@st.composite
def positions(draw):
    out = []
    for i in range(draw(st.integers(1, 5))):
        price = draw(positive)
        qty = min(draw(amount), (D("1e15") / price).quantize(D(1), rounding="ROUND_DOWN"))
        out.append(Position(
            asset=draw(st.sampled_from(["BTC", "ETH", "ALT", "USDC", "SHIB"])) + str(i),
            quantity=qty, price=price,
            avg_cost=draw(st.one_of(st.none(), amount, positive)),
            category=draw(st.sampled_from(["alt", "core", "stable"])),
            protect=draw(st.booleans()), min_keep=draw(fraction),
            lot_step=draw(st.one_of(st.none(), positive)), location=f"Holdings!A{i + 2}"))
    return tuple(out)


@st.composite
def futures(draw, underlyings):
    out = []
    for i in range(draw(st.integers(0, 2))):
        size = draw(positive)
        entry, mark = draw(positive), draw(positive)
        cap = D("1e15") / max(entry, mark)
        size = min(size, cap) if min(size, cap) >= D("1e-12") else D("1e-12")
        if size * max(entry, mark) > D("1e15"):
            continue
        lev = draw(st.decimals(min_value=1, max_value=1000, places=2))
        out.append(FuturesPosition(
            symbol=f"F{i}", underlying=draw(st.sampled_from(underlyings)),
            side=draw(st.sampled_from(["long", "short"])), size=size, entry_price=entry,
            mark_price=mark, margin=size * entry / lev, leverage=lev,
            maint_rate=draw(fraction), maint_amount=draw(st.sampled_from([D(0), D(5)])),
            funding_rate_8h=draw(st.one_of(st.none(), st.decimals(-10, 10, places=4))),
            underlying_price=draw(positive), liquidation_model=draw(
                st.sampled_from(["binance", "bybit"])), location=f"Futures!A{i + 2}"))
    return tuple(out)


@st.composite
def plan_inputs(draw):
    pos = draw(positions())
    model = draw(st.sampled_from(["Aggressive Hold", "Balanced De-Risk",
                                  "Conservative Protection"]))
    settings = Settings.for_model(
        model, hedge_price=draw(st.one_of(st.none(), positive)),
        hedge_contract_size=draw(positive), hedge_lot_step=draw(positive),
        fee_bps=draw(st.decimals(0, 10_000, places=2)),
        slippage_bps=draw(st.decimals(0, 10_000, places=2)),
        max_leverage=draw(st.decimals(1, 1000, places=2)),
        horizon_days=draw(st.integers(1, 3650)),
        hedge_funding_rate_8h=draw(st.decimals(-10, 10, places=4)),
        futures_free_collateral=draw(amount), collateral_buffer=draw(positive),
        min_trade_value=draw(st.sampled_from([D(0), D(10), D("1e15")])),
        hedge_underlying=pos[0].asset,
    )
    underlyings = [p.asset for p in pos]
    days = 40
    prices = None
    if draw(st.booleans()):
        closes = {p.asset: tuple(float(D("1e-12") if (i % 2) else D("1e15")) if draw(
            st.booleans()) else 1.0 + i for i in range(days)) for p in pos[:2]}
        prices = PriceHistory(tuple(TODAY - dt.timedelta(days=days - i) for i in range(days)),
                              closes)
    lots = ()
    return PlanInputs(positions=pos, settings=settings, as_of=TODAY,
                      futures=draw(futures(underlyings)), lots=lots, prices=prices)


@hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan_inputs())
def test_make_plan_is_total_over_the_admitted_ranges(inputs):
    plan = make_plan(inputs)
    plan_sheets(plan, version="test")
