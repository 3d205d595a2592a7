"""Lot matching, realized gains by term and the tax estimate (SPEC 4 step 14).

The worked example, by hand. ETH lots, a sale of 1.5 ETH netting 3,000 a unit on 2024-12-01,
long term = held more than 365 days:

    lot  acquired     qty  unit cost   days held   term
    A    2020-01-10   1.0    1,000       1,787     long
    B    2021-06-01   1.0    3,500       1,279     long
    C    2024-03-01   1.0    2,000         275     short

    FIFO     A 1.0: 3,000 − 1,000 = +2,000 (long)   B 0.5: 1,500 − 1,750 = −250 (long)
             gain +1,750; remaining B 0.5, C 1.0
    LIFO     C 1.0: 3,000 − 2,000 = +1,000 (short)  B 0.5: −250 (long)
             gain +750; remaining A 1.0, B 0.5
    HIFO     B 1.0: 3,000 − 3,500 = −500 (long)     C 0.5: 1,500 − 1,000 = +500 (short)
             gain 0; remaining C 0.5, A 1.0
    AVERAGE  pool cost 6,500/3 = 2,166.67 a unit; FIFO order A 1.0, B 0.5 (both long)
             gain 4,500 − 1.5·6,500/3 = 4,500 − 3,250 = +1,250;
             remaining B 0.5, C 1.0, both at 2,166.67

Tax at 30 % short / 15 % long (net within a term, no cross-term offset):
    FIFO: long 1,750 → 262.50.  LIFO: short 1,000 → 300; long −250 → 0.  HIFO: short 500 →
    150; the long loss of 500 does not offset it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derisk_xl.core.lots import (LOT_METHODS, LotQueue, holding_term, match_sale, realize,
                                 tax_estimate)
from derisk_xl.core.model import Lot, RealizedLot
from derisk_xl.core.money import cents

A = Lot("ETH", D(1), D(1000), dt.date(2020, 1, 10), "Lots!A2")
B = Lot("ETH", D(1), D(3500), dt.date(2021, 6, 1), "Lots!A3")
C = Lot("ETH", D(1), D(2000), dt.date(2024, 3, 1), "Lots!A4")
LOTS = (C, A, B)  # deliberately not in date order
SOLD = dt.date(2024, 12, 1)


def _sell(method):
    matched, remaining = match_sale(LOTS, D("1.5"), method)
    realized = realize(matched, asset="ETH", venue="Kraken", unit_proceeds=D(3000), as_of=SOLD,
                       long_term_days=365)
    return matched, remaining, realized


def _taken(matched):
    return [(lot.location, q) for lot, q in matched]


def _left(remaining):
    return [(lot.location, lot.quantity) for lot in remaining]


def test_fifo():
    matched, remaining, realized = _sell("FIFO")
    assert _taken(matched) == [("Lots!A2", D(1)), ("Lots!A3", D("0.5"))]
    assert _left(remaining) == [("Lots!A3", D("0.5")), ("Lots!A4", D(1))]
    assert [(r.gain, r.term) for r in realized] == [(D(2000), "long"), (D(-250), "long")]
    assert sum(r.gain for r in realized) == D(1750)


def test_lifo():
    matched, remaining, realized = _sell("LIFO")
    assert _taken(matched) == [("Lots!A4", D(1)), ("Lots!A3", D("0.5"))]
    assert [(r.gain, r.term) for r in realized] == [(D(1000), "short"), (D(-250), "long")]
    assert sum(r.gain for r in realized) == D(750)
    assert _left(remaining) == [("Lots!A3", D("0.5")), ("Lots!A2", D(1))]


def test_hifo_realizes_less_than_fifo():
    matched, remaining, realized = _sell("HIFO")
    assert _taken(matched) == [("Lots!A3", D(1)), ("Lots!A4", D("0.5"))]
    assert [(r.gain, r.term) for r in realized] == [(D(-500), "long"), (D(500), "short")]
    assert sum(r.gain for r in realized) == 0
    assert _left(remaining) == [("Lots!A4", D("0.5")), ("Lots!A2", D(1))]
    fifo_gain = sum(r.gain for r in _sell("FIFO")[2])
    assert fifo_gain - sum(r.gain for r in realized) == D(1750)


def test_average_uses_the_pooled_cost():
    matched, remaining, realized = _sell("AVERAGE")
    assert _taken(matched) == [("Lots!A2", D(1)), ("Lots!A3", D("0.5"))]
    assert cents(sum(r.gain for r in realized)) == D("1250.00")
    assert cents(sum(r.cost for r in realized)) == D("3250.00")
    assert [r.term for r in realized] == ["long", "long"]
    assert [cents(lot.unit_cost) for lot in remaining] == [D("2166.67"), D("2166.67")]
    assert _left(remaining) == [("Lots!A3", D("0.5")), ("Lots!A4", D(1))]


def test_realized_lines_carry_proceeds_cost_and_place():
    _, _, realized = _sell("FIFO")
    assert realized[1] == RealizedLot(asset="ETH", venue="Kraken", acquired=dt.date(2021, 6, 1),
                                      quantity=D("0.5"), proceeds=D(1500), cost=D(1750),
                                      gain=D(-250), term="long")


@pytest.mark.parametrize("method, tax", [("FIFO", D("262.50")), ("LIFO", D(300)),
                                         ("HIFO", D(150))])
def test_tax_estimate_by_method(method, tax):
    estimate = tax_estimate(_sell(method)[2], D("0.30"), D("0.15"))
    assert estimate.tax == tax


def test_tax_estimate_splits_and_nets_within_a_term():
    """short +400 −100 = 300; long −50; unknown +200 joins short at the short rate:
    (300 + 200)·20 % = 100; long net is a loss → 0."""
    def r(gain, term):
        return RealizedLot("X", "", None, D(1), D(0), D(0), D(gain), term)

    lines = [r(400, "short"), r(-100, "short"), r(-50, "long"), r(200, "unknown")]
    estimate = tax_estimate(lines, D("0.20"), D("0.10"))
    assert (estimate.short_term_gain, estimate.long_term_gain, estimate.unknown_term_gain) == (
        D(300), D(-50), D(200))
    assert estimate.tax == D(100)
    # No rates: no tax figure at all. One rate: the other counts as 0.
    assert tax_estimate(lines, None, None).tax is None
    assert tax_estimate(lines, None, D("0.10")).tax == 0
    assert tax_estimate([r(1000, "long")], None, D("0.10")).tax == D(100)


def test_term_boundary_is_more_than_long_term_days():
    """Bought 2023-01-01: sold 2024-01-01 is 365 days held (short); 2024-01-02 is 366 (long)."""
    bought = dt.date(2023, 1, 1)
    assert holding_term(bought, dt.date(2024, 1, 1), 365) == "short"
    assert holding_term(bought, dt.date(2024, 1, 2), 365) == "long"
    assert holding_term(None, dt.date(2024, 1, 2), 365) == "unknown"
    lot = Lot("BTC", D(2), D(10), bought)
    matched, _ = match_sale([lot], D(1), "FIFO")
    (line,) = realize(matched, asset="BTC", venue="", unit_proceeds=D(15), as_of=dt.date(2024, 1, 1),
                      long_term_days=365)
    assert (line.term, line.gain) == ("short", D(5))


def test_partial_lot_and_undated_lots_last():
    undated = Lot("ALT", D(5), D(1), None, "Lots!A9")
    dated = Lot("ALT", D(3), D(2), dt.date(2022, 5, 5), "Lots!A8")
    for method in ("FIFO", "LIFO"):
        matched, remaining = match_sale([undated, dated], D(4), method)
        assert _taken(matched) == [("Lots!A8", D(3)), ("Lots!A9", D(1))]
        assert _left(remaining) == [("Lots!A9", D(4))]


def test_oversell_and_bad_method_are_refused():
    with pytest.raises(ValueError, match="exceeds"):
        match_sale(LOTS, D("3.1"), "FIFO")
    with pytest.raises(ValueError, match="FIFO, LIFO, HIFO or AVERAGE"):
        match_sale(LOTS, D(1), "LOFO")  # type: ignore[arg-type]
    # Within the lots' 1e-9 tolerance the whole holding is sold, no more.
    matched, remaining = match_sale(LOTS, D("3.000000000001"), "FIFO")
    assert sum(q for _, q in matched) == D(3) and remaining == ()


# --- properties ---------------------------------------------------------------------------

lot_strategy = st.builds(
    lambda q, c, d: (q, c, d),
    st.decimals(min_value=D("0.001"), max_value=D(1000), places=3),
    st.decimals(min_value=D(0), max_value=D(100000), places=2),
    st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2025, 1, 1))),
)


@settings(max_examples=100, deadline=None)
@given(
    raw=st.lists(lot_strategy, min_size=1, max_size=12),
    share=st.decimals(min_value=D(0), max_value=D(1), places=4),
    method=st.sampled_from(sorted(LOT_METHODS)),
    seed=st.integers(0, 1000),
)
def test_matched_quantities_sum_to_the_sale_and_never_exceed_a_lot(raw, share, method, seed):
    lots = [Lot("X", q, c, d, f"Lots!A{i + 2}") for i, (q, c, d) in enumerate(raw)]
    by_location = {lot.location: lot for lot in lots}
    total = sum(lot.quantity for lot in lots)
    sale = (total * share).quantize(D("0.0001"))
    matched, remaining = match_sale(lots, sale, method)

    assert sum(q for _, q in matched) == sale
    for lot, q in matched:
        assert 0 < q <= by_location[lot.location].quantity
    # Nothing is lost or made: taken + remaining = what was held, lot by lot.
    assert sum(q for _, q in matched) + sum(lot.quantity for lot in remaining) == total
    left = {lot.location: lot.quantity for lot in remaining}
    for location, lot in by_location.items():
        taken = sum(q for m, q in matched if m.location == location)
        assert taken + left.get(location, 0) == lot.quantity
    # Cost is conserved (exactly, except the pooled average's last-digit rounding).
    cost_before = sum(lot.quantity * lot.unit_cost for lot in lots)
    cost_after = (sum(q * lot.unit_cost for lot, q in matched)
                  + sum(lot.quantity * lot.unit_cost for lot in remaining))
    assert abs(cost_after - cost_before) <= D("1e-15") * max(cost_before, D(1))
    # Deterministic: the order the sheet lists the lots in does not matter.
    shuffled = lots[:]
    random.Random(seed).shuffle(shuffled)
    assert match_sale(shuffled, sale, method) == (matched, remaining)


def test_sale_after_sale_from_one_queue_is_the_hand_worked_fifo():
    """What make_plan does with an asset's lots: one queue, several sales. FIFO, 0.6 then 0.9
    then 1.0: A 0.6 | A 0.4, B 0.5 | B 0.5, C 0.5; C 0.5 remains. A fourth sale of 1 finds
    only 0.5: the queue says 0.5 was lacking."""
    queue = LotQueue(LOTS, "FIFO")
    assert queue.available == D(3)
    first, lacking = queue.take(D("0.6"))
    assert _taken(first) == [("Lots!A2", D("0.6"))] and lacking == 0
    second, _ = queue.take(D("0.9"))
    assert _taken(second) == [("Lots!A2", D("0.4")), ("Lots!A3", D("0.5"))]
    third, _ = queue.take(D(1))
    assert _taken(third) == [("Lots!A3", D("0.5")), ("Lots!A4", D("0.5"))]
    assert _left(queue.remaining()) == [("Lots!A4", D("0.5"))]
    fourth, lacking = queue.take(D(1))
    assert _taken(fourth) == [("Lots!A4", D("0.5"))] and lacking == D("0.5")


def test_the_plan_matches_its_sales_through_the_same_queue():
    """A plan selling 1.5 ETH of these lots by HIFO realizes the hand-worked HIFO lines:
    B 1.0 at 3,500 (a loss), C 0.5 at 2,000."""
    from derisk_xl.core.model import PlanInputs, Position, Settings
    from derisk_xl.core.plan import make_plan

    eth = Position("ETH", D(3), D(3000), D("2166.666666666666666666666667"),
                   original_quantity=D(3))
    usdc = Position("USDC", D(100000), D(1), D(1), "stable")
    s = Settings.for_model(lot_method="HIFO", fee_bps=D(0), hedge_ratio=D(0),
                           futures_sleeve=D(0), spot_target=D("0.5"), stable_target=D("0.5"),
                           min_trade_value=D(0))
    from derisk_xl.core.model import Tier

    # one tier at 1.3×: ETH trades at 3,000 / 2,166.67 ≈ 1.38×, so half of 3 is due
    plan = make_plan(PlanInputs((eth, usdc), s, SOLD, tiers=(Tier(D("1.3"), D("0.5")),),
                                lots=LOTS))
    (sale,) = [t for t in plan.trades if t.instrument == "ETH"]
    assert sale.quantity == D("1.5")
    assert [(r.acquired, r.quantity, r.cost) for r in plan.realized] == [
        (B.acquired, D(1), D(3500)), (C.acquired, D("0.5"), D(1000))]
    assert sale.realized_gain == D(4500) - D(4500)


def test_a_sale_beyond_the_lots_takes_the_rest_at_the_average_cost():
    """Holdings 4 ETH, lots A, B, C of 1 each (the reader warns of the gap of 1). A tier
    selling 87.5 % = 3.5 ETH at 3,000 (no fee): FIFO A 1 at 1,000, B 1 at 3,500, C 1 at 2,000,
    and 0.5 beyond the lots at the row's average cost 2,000 (1,000). Cost 7,500, proceeds
    10,500, gain 3,000; the plan warns about the gap."""
    from derisk_xl.core.model import PlanInputs, Position, Settings, Tier
    from derisk_xl.core.plan import make_plan

    eth = Position("ETH", D(4), D(3000), D(2000), location="Holdings!A2")
    usdc = Position("USDC", D(100000), D(1), D(1), "stable")
    s = Settings.for_model(fee_bps=D(0), hedge_ratio=D(0), futures_sleeve=D(0),
                           spot_target=D("0.5"), stable_target=D("0.5"), min_trade_value=D(0))
    plan = make_plan(PlanInputs((eth, usdc), s, SOLD, tiers=(Tier(D("1.2"), D("0.875")),),
                                lots=LOTS))
    (sale,) = [t for t in plan.trades if t.instrument == "ETH"]
    assert sale.quantity == D("3.5")
    assert [(r.acquired, r.quantity, r.cost) for r in plan.realized] == [
        (A.acquired, D(1), D(1000)), (B.acquired, D(1), D(3500)), (C.acquired, D(1), D(2000)),
        (None, D("0.5"), D(1000))]
    assert sale.realized_gain == D(10500) - D(7500)
    assert any("gap" in w.message and w.location == "Holdings!A2" for w in plan.warnings)


def test_lots_of_no_quantity_are_never_matched():
    """A Lots row of quantity 0 (allowed: ≥ 0) is no lot: it is never a line of a sale, under
    any method, and a pool of only such rows (AVERAGE) holds nothing."""
    empty = Lot("ETH", D(0), D(500), dt.date(2019, 1, 1), "Lots!A2")
    full = Lot("ETH", D(1), D(1000), dt.date(2020, 1, 1), "Lots!A3")
    for method in ("FIFO", "LIFO", "HIFO", "AVERAGE"):
        matched, left = match_sale([empty, full], D("0.5"), method)
        assert [(lot.location, q) for lot, q in matched] == [("Lots!A3", D("0.5"))], method
        assert [lot.location for lot in left] == ["Lots!A3"]
    assert LotQueue([empty, empty], "AVERAGE").available == 0
    assert match_sale([empty], D(0), "AVERAGE") == ((), ())


def test_a_sale_over_the_lots_by_the_tolerance_exactly_takes_them_all():
    """1e-9 of the lots is forgiven (SPEC 3.6), not a hair more; a negative sale is refused."""
    lots = [Lot("ETH", D(1), D(1000), dt.date(2020, 1, 1), "Lots!A2")]
    matched, left = match_sale(lots, D("1.000000001"), "FIFO")
    assert [q for _, q in matched] == [D(1)] and left == ()
    with pytest.raises(ValueError, match="exceeds the 1 held in lots"):
        match_sale(lots, D("1.0000000011"), "FIFO")
    with pytest.raises(ValueError, match="cannot sell a negative quantity: -1"):
        match_sale(lots, D(-1), "FIFO")
