"""Betas, Hull's minimum-variance hedge ratio and momentum exhaustion from price series built to
known statistics (SPEC 3.7, 4 steps 8 and 12)."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from derisk_xl.core.model import PriceHistory
from derisk_xl.core.stats import (
    MIN_RETURNS, beta, min_variance_ratio, momentum_exhaustion, simple_returns,
)

START = dt.date(2026, 1, 1)


def _days(n):
    return tuple(START + dt.timedelta(days=i) for i in range(n))


def _prices(returns, start=100.0):
    """Compound returns into closes: one more close than returns."""
    closes = [start]
    for r in returns:
        closes.append(closes[-1] * (1.0 + r))
    return tuple(closes)


def _orthonormal_pair(n, seed):
    """Two length-n sequences with sample mean 0, sample std 1 and sample correlation 0."""
    rng = random.Random(seed)

    def centred(v):
        m = sum(v) / len(v)
        return [a - m for a in v]

    def scaled(v):
        s = math.sqrt(sum(a * a for a in v) / (len(v) - 1))
        return [a / s for a in v]

    x = scaled(centred([rng.gauss(0, 1) for _ in range(n)]))
    y = centred([rng.gauss(0, 1) for _ in range(n)])
    k = sum(a * b for a, b in zip(x, y)) / sum(a * a for a in x)
    y = scaled([b - k * a for a, b in zip(x, y)])
    return x, y


def test_simple_returns_skip_gaps():
    r = simple_returns([100.0, 110.0, None, 121.0, 0.0, 5.0])
    assert r[0] == pytest.approx(0.1)
    assert r[1] is None and r[2] is None  # no return across a missing close
    assert r[3] == pytest.approx(-1.0)
    assert r[4] is None  # from a zero close
    assert simple_returns([1.0]) == []


def test_hull_minimum_variance_hedge_ratio():
    """Hull, Options, Futures and Other Derivatives (Example 3.3, jet fuel hedged with heating
    oil futures): ρ = 0.928, σ_S = 0.0263, σ_F = 0.0313 ⇒ h* = 0.928·0.0263/0.0313 = 0.7798
    ≈ 0.78 (and N* = 0.78·2,000,000/42,000 = 37.14 ≈ 37 contracts).

    Built here: x, y orthonormal (sample statistics), r_F = 0.0004 + 0.0313·x,
    r_S = 0.0002 + 0.0263·(0.928·x + √(1 − 0.928²)·y) — so exactly those statistics. S is a
    basket of A (value 3,000) and B (1,000) with returns r_S + d and r_S − 3d, whose
    value-weighted return 0.75(r_S + d) + 0.25(r_S − 3d) is r_S.
    """
    n, rho, s_s, s_f = 60, 0.928, 0.0263, 0.0313
    x, y = _orthonormal_pair(n, seed=3)
    rf = [0.0004 + s_f * a for a in x]
    rs = [0.0002 + s_s * (rho * a + math.sqrt(1 - rho * rho) * b) for a, b in zip(x, y)]
    d = [0.01 * math.sin(t) for t in range(n)]
    prices = PriceHistory(dates=_days(n + 1), closes={
        "HO": _prices(rf, 2.5),
        "A": _prices([r + e for r, e in zip(rs, d)], 50.0),
        "B": _prices([r - 3 * e for r, e in zip(rs, d)], 7.0),
    })
    mv = min_variance_ratio({"A": 3000.0, "B": 1000.0, "GHOST": 500.0}, "HO", prices)
    assert mv is not None
    assert mv.rho == pytest.approx(0.928, abs=1e-9)
    assert mv.sigma_s == pytest.approx(0.0263, abs=1e-9)  # sample (n − 1) statistics
    assert mv.sigma_f == pytest.approx(0.0313, abs=1e-9)
    assert mv.h_star == pytest.approx(0.928 * 0.0263 / 0.0313, abs=1e-9)
    assert round(mv.h_star, 2) == 0.78
    assert mv.n_returns == 60
    assert mv.left_out == ("GHOST",)
    assert round(mv.h_star * 2_000_000 / 42_000) == 37


def test_beta_of_one_and_a_half_times_the_underlying():
    """r_X = 1.5·r_BTC every day ⇒ cov = 1.5·var ⇒ β = 1.5, gaps notwithstanding."""
    rng = random.Random(11)
    ru = [rng.gauss(0.001, 0.03) for _ in range(40)]
    alt = list(_prices([1.5 * r for r in ru], 10.0))
    alt[17] = None  # a missing close removes two returns: 38 remain, still ≥ 30
    prices = PriceHistory(dates=_days(41), closes={"BTC": _prices(ru), "X": tuple(alt)})
    assert beta("X", "BTC", prices) == pytest.approx(1.5, abs=1e-9)
    assert beta("BTC", "BTC", prices) == pytest.approx(1.0)
    assert beta("NOPE", "BTC", prices) is None


def test_fewer_than_thirty_returns_is_off():
    rng = random.Random(5)
    for closes_count, expect_value in ((MIN_RETURNS, False), (MIN_RETURNS + 1, True)):
        ru = [rng.gauss(0, 0.02) for _ in range(closes_count - 1)]
        ra = [rng.gauss(0, 0.02) for _ in range(closes_count - 1)]
        prices = PriceHistory(dates=_days(closes_count),
                              closes={"BTC": _prices(ru), "ETH": _prices(ra)})
        assert (beta("ETH", "BTC", prices) is not None) is expect_value
        assert (min_variance_ratio({"ETH": 1.0}, "BTC", prices) is not None) is expect_value
        assert (momentum_exhaustion("BTC", prices, START + dt.timedelta(days=closes_count))
                is not None) is expect_value


def _series(*segments):
    """Closes from (count, start, end) linear segments, one close a day from START."""
    closes = []
    for count, a, b in segments:
        closes += [a + (b - a) * i / (count - 1) for i in range(count)] if count > 1 else [a]
    return PriceHistory(dates=_days(len(closes)), closes={"BTC": tuple(closes)})


def test_exhaustion_on_after_a_quiet_drawdown():
    """Up 100 → 130 over days 0–29, down to 115 on day 39: high 130 (day 29), 1 − 115/130 =
    11.5 % ≥ 10 %, 10 days since the high ≥ 7 ⇒ on."""
    prices = _series((30, 100.0, 130.0), (10, 128.5, 115.0))
    ex = momentum_exhaustion("BTC", prices, START + dt.timedelta(days=39))
    assert ex.on
    assert ex.high == 130.0 and ex.last == 115.0
    assert ex.drawdown == pytest.approx(15 / 130)
    assert ex.days_since_high == 10


def test_exhaustion_off_cases():
    """(a) only 5 % below the high; (b) 12.3 % below a high made 3 days ago."""
    shallow = _series((30, 100.0, 130.0), (10, 129.0, 123.5))
    ex = momentum_exhaustion("BTC", shallow, START + dt.timedelta(days=39))
    assert not ex.on and ex.drawdown == pytest.approx(6.5 / 130)
    sudden = _series((37, 100.0, 130.0), (3, 125.0, 114.0))
    ex = momentum_exhaustion("BTC", sudden, START + dt.timedelta(days=39))
    assert not ex.on and ex.days_since_high == 3 and ex.drawdown > 0.12


@pytest.mark.parametrize("quiet_days, on", [(7, True), (6, False)])
def test_exhaustion_boundary(quiet_days, on):
    """Exactly 10 % below (100 → 90) counts; the high must be ≥ 7 days before the last close."""
    prices = _series((34, 60.0, 100.0), (quiet_days, 95.0, 90.0))
    last_day = START + dt.timedelta(days=33 + quiet_days)
    ex = momentum_exhaustion("BTC", prices, last_day)
    assert ex.days_since_high == quiet_days
    assert ex.on is on


def test_exhaustion_uses_closes_up_to_as_of_and_a_30_day_window():
    """A later rally after as_of is ignored; a higher close 40 days back is outside the window.

    Days 0–4 at 200 (outside the window), days 5–34 rise 100 → 130, days 35–44 fall to 116,
    days 45–49 rally to 140 (after as_of = day 44). High in the window = 130 (day 34): 10.8 %
    below, 10 days ⇒ on.
    """
    prices = _series((5, 200.0, 200.0), (30, 100.0, 130.0), (10, 128.0, 116.0),
                     (5, 130.0, 140.0))
    ex = momentum_exhaustion("BTC", prices, START + dt.timedelta(days=44))
    assert ex.on and ex.high == 130.0 and ex.last == 116.0 and ex.days_since_high == 10


# --- edges found by mutation testing (issue #20) ------------------------------------------

def test_returns_of_closes_under_one_and_after_a_zero():
    """0.5 → 1.0 is +100 % (a close under 1 is a price like any other); after a 0 close, or
    across a gap, there is no return."""
    assert simple_returns([0.5, 1.0, None, 2.0, 0.0, 3.0]) == [1.0, None, None, -1.0, None]


def _flat_and_moving(days=40, flat="BTC", moving="ETH"):
    return PriceHistory(dates=_days(days), closes={
        flat: tuple(100.0 for _ in range(days)),
        moving: tuple(100.0 * (1 + 0.02 * math.sin(i)) for i in range(days))})


def test_an_underlying_that_never_moved_gives_no_beta_nor_ratio():
    prices = _flat_and_moving()
    assert beta("ETH", "BTC", prices) is None
    assert min_variance_ratio({"ETH": 1.0}, "BTC", prices) is None


def test_a_basket_that_never_moved_needs_no_hedge():
    """S flat, F moving: h* = 0, ρ = 0, σ_S = 0; σ_F and the day count are F's own."""
    prices = _flat_and_moving(flat="ETH", moving="BTC")
    assert min_variance_ratio({"ETH": 1.0, "ZZZ": 2.0}, "BTC", prices).left_out == ("ZZZ",)
    mv = min_variance_ratio({"ETH": 1.0}, "BTC", prices)
    f = [b / a - 1 for a, b in zip(prices.closes["BTC"], prices.closes["BTC"][1:])]
    mean = sum(f) / len(f)
    sigma_f = math.sqrt(sum((x - mean) ** 2 for x in f) / (len(f) - 1))
    assert (mv.h_star, mv.rho, mv.sigma_s, mv.n_returns, mv.left_out) == (0.0, 0.0, 0.0, 39, ())
    assert mv.sigma_f == pytest.approx(sigma_f, rel=1e-12)


def test_the_basket_ignores_zero_weights_and_needs_a_priced_member():
    prices = _flat_and_moving(flat="SOL", moving="BTC")
    prices.closes["ETH"] = tuple(3000.0 * (1 + 0.03 * math.sin(i + 1)) for i in range(40))
    mv = min_variance_ratio({"ETH": 1.0, "ZZZ": 0.0}, "BTC", prices)
    assert mv is not None and mv.left_out == ()          # ZZZ weighs nothing: not named
    assert min_variance_ratio({"ZZZ": 5.0, "QQQ": 1.0}, "BTC", prices) is None


def test_gaps_drop_only_their_own_days():
    """A missing close on day 2 of the underlying and on day 5 of a member removes the days
    that need it (days 2, 3 and 5, 6), not the rest: 39 − 4 = 35 days; h* as worked out by a
    plain covariance over those days."""
    days = 40
    btc = [40000.0 * (1 + 0.02 * math.sin(i)) for i in range(days)]
    eth = [3000.0 * (1 + 0.03 * math.sin(i) + 0.01 * math.cos(2 * i)) for i in range(days)]
    btc[2] = None
    eth[5] = None
    prices = PriceHistory(dates=_days(days), closes={"BTC": tuple(btc), "ETH": tuple(eth)})
    mv = min_variance_ratio({"ETH": 1.0}, "BTC", prices)
    pairs = [(e1 / e0 - 1, b1 / b0 - 1) for e0, e1, b0, b1 in zip(eth, eth[1:], btc, btc[1:])
             if None not in (e0, e1, b0, b1)]
    s, f = [p[0] for p in pairs], [p[1] for p in pairs]
    ms, mf = sum(s) / len(s), sum(f) / len(f)
    h = sum((a - ms) * (b - mf) for a, b in pairs) / sum((b - mf) ** 2 for b in f)
    assert mv.n_returns == len(pairs) == 35
    assert mv.h_star == pytest.approx(h, rel=1e-9)


@pytest.mark.parametrize("back, high", [(29, 130.0), (30, 120.0)])
def test_the_thirty_day_window_holds_the_last_close_s_day_and_29_before(back, high):
    """Last close on day 40 at 110; 120 elsewhere in the window; a 130 close `back` days
    before the last: in the window at 29 days back (high 130), out of it at 30 (high 120)."""
    closes = [120.0] * 41
    closes[-1] = 110.0
    closes[40 - back] = 130.0
    for k in range(40 - back):                           # older closes lower still
        closes[k] = 100.0
    prices = PriceHistory(dates=_days(41), closes={"BTC": tuple(closes)})
    ex = momentum_exhaustion("BTC", prices, START + dt.timedelta(days=40))
    assert ex.high == high and ex.last == 110.0


def test_exhaustion_of_a_token_priced_under_one():
    """From 1.00 down to 0.85 (15 % below), the high 10 days back: on."""
    prices = _series((31, 0.5, 1.0), (10, 0.95, 0.85))
    ex = momentum_exhaustion("BTC", prices, START + dt.timedelta(days=40))
    assert ex.on and ex.drawdown == pytest.approx(0.15) and ex.high == 1.0
