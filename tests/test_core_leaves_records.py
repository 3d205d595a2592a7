"""The core's small leaves that the shell leans on (money, issues, records, the read line,
the fingerprint's text), each checked against figures and sentences worked out here.

Mutation testing found them untested by the core's own tests (issue #20): the reader and the
pipeline call them, the calculator's tests never did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from derisk_xl.core.fingerprint import canonical_text, inputs_fingerprint
from derisk_xl.core.issues import InputError, Issue, errors, grouped, warnings
from derisk_xl.core.model import HoldingsSource, Trade, mapping_words
from derisk_xl.core.money import D, cents, pct, round_down
from derisk_xl.core.records import constructor

from conftest import case_study_inputs


def test_numbers_become_exact_decimals():
    assert D(Decimal("1.50")) == Decimal("1.50") and str(D(Decimal("1.50"))) == "1.50"
    assert D(3) == Decimal(3) and isinstance(D(3), Decimal)
    assert str(D(0.1)) == "0.1"                       # through repr, not the binary fraction
    assert str(D(" 1,234.50 ")) == "1234.50"
    with pytest.raises(TypeError, match="^a boolean is not a number$"):
        D(True)
    with pytest.raises(TypeError, match=r"^not a number: \[1\]$"):
        D([1])


def test_cents_round_half_up_and_quantities_round_down():
    assert cents(Decimal("2.345")) == Decimal("2.35")
    assert cents(Decimal("-2.345")) == Decimal("-2.35")
    assert cents(Decimal("2.3449")) == Decimal("2.34")
    assert round_down(Decimal("1.2399"), Decimal("0.01")) == Decimal("1.23")
    assert round_down(Decimal("0.0069"), Decimal("0.001")) == Decimal("0.006")
    assert round_down(Decimal("7.5"), Decimal(2)) == Decimal(6)
    assert round_down(Decimal("1.2399"), None) == Decimal("1.2399")
    assert round_down(Decimal("1.2399"), Decimal(0)) == Decimal("1.2399")
    assert pct(Decimal(1), Decimal(4)) == Decimal("0.25")
    assert pct(Decimal(1), Decimal(0)) == 0


def test_issues_say_where_and_what_and_are_told_apart():
    bad = Issue("Holdings!C7", "Price is #N/A; expected a number greater than 0.")
    whole = Issue("", "book.xlsx is encrypted.")
    note = Issue("Settings", "Hedge Price is not set.", "warning")
    assert str(bad) == "Holdings!C7: Price is #N/A; expected a number greater than 0."
    assert str(whole) == "book.xlsx is encrypted."
    assert bad.severity == "error"
    assert errors([bad, note, whole]) == (bad, whole)
    assert warnings([bad, note, whole]) == (note,)
    raised = InputError([bad, whole], "book.xlsx")
    assert raised.issues == (bad, whole) and raised.source == "book.xlsx"
    assert str(raised) == ("book.xlsx: 2 problem(s) in the workbook:\n"
                           "  - Holdings!C7: Price is #N/A; expected a number greater than 0.\n"
                           "  - book.xlsx is encrypted.")
    assert str(InputError([bad])) == ("1 problem(s) in the workbook:\n"
                                      "  - Holdings!C7: Price is #N/A; expected a number "
                                      "greater than 0.")


def test_warnings_of_one_kind_are_said_once_from_three():
    kind = "have no average cost: no tier sales."
    many = [Issue(f"H!B{r}", f"X{r} has no average cost.", "warning", kind) for r in (2, 3, 4, 5)]
    other = Issue("Settings", "Hedge Price is not set.", "warning")
    out = grouped([many[0], other, *many[1:]])
    assert out == (Issue("H!B2", "4 positions have no average cost (first: H!B2, H!B3, H!B4 …):"
                                 " no tier sales.", "warning", kind), other)
    three = grouped(many[:3])
    assert [i.message for i in three] == [
        "3 positions have no average cost (first: H!B2, H!B3, H!B4): no tier sales."]
    assert grouped(many[:2]) == tuple(many[:2])          # two are said one by one
    two = "had a price: 0 at close: so no sale."        # split at the first colon
    said = grouped([Issue(f"H!B{r}", "x", "warning", two) for r in (2, 3, 4)])
    assert [i.message for i in said] == [
        "3 positions had a price (first: H!B2, H!B3, H!B4): 0 at close: so no sale."]
    as_errors = [dataclasses.replace(i, severity="error") for i in many]
    assert grouped(as_errors) == tuple(as_errors)        # errors are never grouped


def test_the_read_line_names_range_count_columns_and_what_was_left():
    assert mapping_words([("Asset", "Token"), ("Quantity", "Amount")]) == \
        "Asset ← Token, Quantity ← Amount"
    source = HoldingsSource("P!A1:C3", 2, (("Asset", "Token"), ("Quantity", "Amount")),
                            ("Name",), "EUR")
    assert source.line == ("Holdings read from P!A1:C3, 2 positions: Asset ← Token, "
                           "Quantity ← Amount; ignored: Name; prices in EUR")
    assert HoldingsSource("Holdings!A1:C9", 8, (("Asset", "Coin"),)).line == \
        "Holdings read from Holdings!A1:C9, 8 positions: Asset ← Coin"


def test_the_fingerprint_is_the_digest_of_the_canonical_text():
    inputs = case_study_inputs()
    text = canonical_text(inputs)
    assert text.startswith("derisk_xl inputs v2\npositions:Position(")
    assert "\nsettings:Settings('model', 'spot_target', " in text
    assert "\nas_of:datetime.date(2026, 11, 28)\n" in text
    assert "('ALT', Decimal('1000'), Decimal('12'), Decimal('3')," in text
    assert "\nlots:Lot('asset', 'quantity'," in text
    assert "\nfutures:FuturesPosition('symbol', " in text and "\ntiers:Tier(" in text
    assert text.endswith("prices:None\n")
    assert inputs_fingerprint(inputs) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_record_made_past_the_frozen_init_is_the_same_record():
    values = (1, "tier", "Kraken", "ETH", "sell", Decimal("0.625"), Decimal(3000),
              Decimal("1875"), Decimal(0), Decimal("1125"), "ETH trades at 2.5× its cost.")
    make = constructor(Trade)
    made = make(*values)
    assert type(made) is Trade and made == Trade(*values) and repr(made) == repr(Trade(*values))
    assert made.quantity == Decimal("0.625") and made.reason.startswith("ETH trades")
    assert make.__name__ == "make_Trade" and "number, step, venue" in make.__doc__
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.quantity = Decimal(1)


def test_only_plain_slotted_records_get_a_fast_constructor():
    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self):
            pass

    for cls in (Unslotted, Checked, int):
        with pytest.raises(TypeError, match="is not a plain slotted dataclass"):
            constructor(cls)


def test_prices_are_fingerprinted_by_asset_whatever_the_column_order():
    """Closes are taken per asset, sorted by name: the same columns in another order give the
    same digest; the same closes under other names give another."""
    from dataclasses import replace

    from derisk_xl.core.model import PriceHistory

    base = case_study_inputs()
    days = (dt.date(2026, 11, 27), dt.date(2026, 11, 28))
    one = replace(base, prices=PriceHistory(days, {"BTC": (1.0, 2.0), "ETH": (3.0, 4.0)}))
    other_order = replace(base, prices=PriceHistory(days, {"ETH": (3.0, 4.0),
                                                           "BTC": (1.0, 2.0)}))
    renamed = replace(base, prices=PriceHistory(days, {"BTC": (1.0, 2.0), "SOL": (3.0, 4.0)}))
    assert inputs_fingerprint(one) == inputs_fingerprint(other_order)
    assert inputs_fingerprint(one) != inputs_fingerprint(renamed)
    assert "\n'ETH':(3.0, 4.0)\n" in canonical_text(one)
