"""Carry of the short hedge (SPEC 4 step 9): the sign is the point (SPEC 8).

Every expected figure is worked by hand in the test's docstring.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from derisk_xl.core.carry import carry
from derisk_xl.core.money import cents

AS_OF = dt.date(2026, 11, 28)


def test_spec7_perpetual_funding_earns():
    """SPEC 7: hedge 0.069 BTC at 40,200 = 2,773.80 notional, spot 40,000, funding 0.01 %/8h.

    annualized = 0.0001·3·365 = 0.1095 (10.95 %); over 30 days 0.0001·3·30·2,773.80 = 24.9642
    → 24.96 earned; basis 40,200 − 40,000 = 200, 200/40,000 = 0.50 %.
    """
    c = carry(futures_price=D(40200), spot_price=D(40000), notional=D("2773.80"), expiry=None,
              as_of=AS_OF, funding_rate_8h=D("0.0001"), horizon_days=30)
    assert c.kind == "funding"
    assert c.annualized == D("0.1095")
    assert cents(c.amount) == D("24.96")
    assert c.verb == "earns"
    assert c.basis == D(200)
    assert c.basis_pct == D("0.005")
    assert c.horizon_days == 30 and c.days_to_expiry is None


def test_negative_funding_costs():
    """−0.02 %/8h on 10,000 for 10 days: −0.0002·3·10·10,000 = −60 (the short pays);
    annualized −0.0002·3·365 = −21.9 %."""
    c = carry(futures_price=D(99), spot_price=D(100), notional=D(10000), expiry=None,
              as_of=AS_OF, funding_rate_8h=D("-0.0002"), horizon_days=10)
    assert c.amount == D(-60)
    assert c.annualized == D("-0.219")
    assert c.verb == "costs"


def test_contango_earns_for_a_short():
    """Dated, 90 days to expiry, F 40,800 vs S 40,000: basis % = 2 %; annualized 2 %·365/90 =
    8.111…%; over 30 days the short earns 0.02·20,000·30/90 = 133.33…"""
    c = carry(futures_price=D(40800), spot_price=D(40000), notional=D(20000),
              expiry=AS_OF + dt.timedelta(days=90), as_of=AS_OF, funding_rate_8h=D("0.0005"),
              horizon_days=30)
    assert c.kind == "basis"
    assert c.basis == D(800) and c.basis_pct == D("0.02")
    assert cents(c.annualized * 100) == D("8.11")
    assert cents(c.amount) == D("133.33")
    assert c.verb == "earns"
    assert c.days_to_expiry == 90 and c.horizon_days == 30


def test_backwardation_costs_a_short():
    """F 39,600 vs S 40,000 (−1 %), 60 days to expiry, 30-day horizon on 10,000:
    −0.01·10,000·30/60 = −50; annualized −1 %·365/60 = −6.0833 %."""
    c = carry(futures_price=D(39600), spot_price=D(40000), notional=D(10000),
              expiry=AS_OF + dt.timedelta(days=60), as_of=AS_OF, funding_rate_8h=D(0),
              horizon_days=30)
    assert c.amount == D(-50)
    assert c.verb == "costs"
    assert cents(c.annualized * 100) == D("-6.08")


def test_horizon_beyond_expiry_takes_the_whole_basis_once():
    """10 days to expiry, 30-day horizon: min(30, 10)/10 = 1, the whole 1 % of 5,000 = 50."""
    c = carry(futures_price=D(101), spot_price=D(100), notional=D(5000),
              expiry=AS_OF + dt.timedelta(days=10), as_of=AS_OF, funding_rate_8h=D(0),
              horizon_days=30)
    assert c.amount == D(50)
    assert c.horizon_days == 10 and c.days_to_expiry == 10


@pytest.mark.parametrize("days", [0, -5])
def test_expired_or_expiring_today_carries_nothing(days):
    """Converged already: nothing left to earn; the real days to expiry are kept for a warning."""
    c = carry(futures_price=D(101), spot_price=D(100), notional=D(5000),
              expiry=AS_OF + dt.timedelta(days=days), as_of=AS_OF, funding_rate_8h=D(0),
              horizon_days=30)
    assert c.amount == 0 and c.annualized == 0 and c.horizon_days == 0
    assert c.days_to_expiry == days


def test_bad_spot_or_horizon_is_refused():
    with pytest.raises(ValueError, match="spot price"):
        carry(futures_price=D(1), spot_price=D(0), notional=D(1), expiry=None, as_of=AS_OF,
              funding_rate_8h=D(0), horizon_days=1)
    with pytest.raises(ValueError, match="horizon"):
        carry(futures_price=D(1), spot_price=D(1), notional=D(1), expiry=None, as_of=AS_OF,
              funding_rate_8h=D(0), horizon_days=-1)


def test_a_horizon_of_no_days_carries_nothing():
    """h = 0 is allowed (only a negative horizon is refused): perpetual 0.0001·3·0·10,000 = 0,
    still annualized 0.0001·3·365 = 10.95 %; dated, 10 days out, min(0, 10) = 0 days held of
    a 1 % basis: 0, annualized 1 %·365/10 = 36.5 %."""
    c = carry(futures_price=D(101), spot_price=D(100), notional=D(10000), expiry=None,
              as_of=AS_OF, funding_rate_8h=D("0.0001"), horizon_days=0)
    assert (c.amount, c.annualized, c.horizon_days) == (0, D("0.1095"), 0)
    c = carry(futures_price=D(101), spot_price=D(100), notional=D(10000),
              expiry=AS_OF + dt.timedelta(days=10), as_of=AS_OF, funding_rate_8h=D(0),
              horizon_days=0)
    assert (c.amount, c.annualized, c.horizon_days, c.days_to_expiry) == \
        (0, D("0.365"), 0, 10)


def test_a_contract_expiring_tomorrow_still_converges_over_its_last_day():
    """1 day to expiry, F 101 vs S 100 (1 %), 30-day horizon on 5,000: min(30, 1)/1 = 1, the
    whole 1 % = 50; annualized 1 %·365/1 = 365 %."""
    c = carry(futures_price=D(101), spot_price=D(100), notional=D(5000),
              expiry=AS_OF + dt.timedelta(days=1), as_of=AS_OF, funding_rate_8h=D(0),
              horizon_days=30)
    assert (c.amount, c.annualized, c.horizon_days, c.days_to_expiry) == \
        (D(50), D("3.65"), 1, 1)
