"""Statistics from the Prices sheet: betas, the minimum-variance hedge ratio, momentum (SPEC 3.7).

These are estimates, not money, so they are floats, computed with the standard library's
``statistics`` module. Every dispersion is a **sample** statistic (n − 1 in the denominator:
``statistics.stdev``, ``variance``, ``covariance``); ratios such as β and h* do not depend on the
choice as long as it is the same throughout, which it is.

Returns are simple daily returns, r_t = P_t / P_{t−1} − 1, taken only between two consecutive
rows that both have a close: a gap gives no return (we do not bridge it, which would mix a
multi-day return into daily ones). With fewer than :data:`MIN_RETURNS` usable returns a
feature is off (None) and the caller warns.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

from .model import PriceHistory

MIN_RETURNS = 30

#: SPEC 4 step 12: the hedge underlying ≥ 10 % below its 30-day high, no new high in 7 days.
EXHAUSTION_DRAWDOWN = 0.10
EXHAUSTION_WINDOW_DAYS = 30
EXHAUSTION_QUIET_DAYS = 7
_EPS = 1e-12


def simple_returns(closes: Sequence[float | None]) -> list[float | None]:
    """Daily returns aligned so that ``returns[i]`` is the return into row ``i + 1``.

    None where either close is missing or the earlier close is not positive.
    """
    out: list[float | None] = []
    for before, after in zip(closes, closes[1:]):
        if before is None or after is None or before <= 0:
            out.append(None)
        else:
            out.append(after / before - 1.0)
    return out


def _returns_of(asset: str, prices: PriceHistory) -> list[float | None] | None:
    closes = prices.closes.get(asset)
    return None if closes is None else simple_returns(closes)


def beta(asset: str, underlying: str, prices: PriceHistory) -> float | None:
    """β = cov(rᵢ, r_u) / var(r_u) over the days on which both returns exist.

    None when either has no column, fewer than 30 such days, or the underlying never moved.
    """
    ra, ru = _returns_of(asset, prices), _returns_of(underlying, prices)
    if ra is None or ru is None:
        return None
    pairs = [(a, u) for a, u in zip(ra, ru) if a is not None and u is not None]
    if len(pairs) < MIN_RETURNS:
        return None
    xs, us = [a for a, _ in pairs], [u for _, u in pairs]
    var_u = statistics.variance(us)
    if var_u <= 0:
        return None
    return statistics.covariance(xs, us) / var_u


@dataclass(frozen=True, slots=True)
class MinVariance:
    """The minimum-variance hedge ratio h* = ρ·σ_S/σ_F (Hull) and the figures behind it.

    Attributes:
      h_star: the ratio; rho: correlation of the basket's and the underlying's daily returns;
      sigma_s, sigma_f: their sample standard deviations (daily); n_returns: days used.
      left_out: basket members given a weight but with no column in Prices, so not in the
        estimate (the caller should say so).
    """

    h_star: float
    rho: float
    sigma_s: float
    sigma_f: float
    n_returns: int
    left_out: tuple[str, ...] = ()


def min_variance_ratio(
    weights: Mapping[str, float], underlying: str, prices: PriceHistory
) -> MinVariance | None:
    """h* for hedging the basket S (assets weighted by their kept values) with F = underlying.

    S's daily return is the value-weighted return of its members, Σ wᵢ·rᵢ / Σ wᵢ. A day counts
    only when every member with a price column and the underlying have a return that day (no
    re-weighting over whoever happened to trade). Members without a column are left out and
    listed in ``left_out``; weights ≤ 0 are ignored. None when nothing of the basket has
    prices, the underlying has none, fewer than 30 days remain, or F never moved. A basket that
    never moved needs no hedge: h* = 0.
    """
    positive = {a: float(w) for a, w in weights.items() if float(w) > 0}
    members = sorted(a for a in positive if a in prices.closes)
    left_out = tuple(sorted(a for a in positive if a not in prices.closes))
    ru = _returns_of(underlying, prices)
    if not members or ru is None:
        return None
    total = sum(positive[a] for a in members)
    member_returns = [(positive[a] / total, simple_returns(prices.closes[a])) for a in members]
    s_series: list[float] = []
    f_series: list[float] = []
    for t, rf in enumerate(ru):
        if rf is None:
            continue
        day = [(w, r[t]) for w, r in member_returns]
        if any(r is None for _, r in day):
            continue
        s_series.append(sum(w * r for w, r in day))  # type: ignore[operator]
        f_series.append(rf)
    n = len(s_series)
    if n < MIN_RETURNS:
        return None
    sigma_s, sigma_f = statistics.stdev(s_series), statistics.stdev(f_series)
    if sigma_f <= 0:
        return None
    if sigma_s <= 0:
        return MinVariance(0.0, 0.0, sigma_s, sigma_f, n, left_out)
    rho = statistics.correlation(s_series, f_series)
    return MinVariance(rho * sigma_s / sigma_f, rho, sigma_s, sigma_f, n, left_out)


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """Momentum exhaustion of the hedge underlying (SPEC 4 step 12), with its numbers.

    Attributes:
      on: the signal fires.
      drawdown: 1 − last/high, a fraction (0.12 = 12 % below the high).
      high: the highest close of the 30 days ending on the last close; last: that close.
      days_since_high: calendar days from the (latest) day of that high to the last close.
    """

    on: bool
    drawdown: float
    high: float
    last: float
    days_since_high: int


def momentum_exhaustion(
    underlying: str, prices: PriceHistory, as_of: dt.date
) -> Exhaustion | None:
    """Is the rally of ``underlying`` running out, judged from closes on or before ``as_of``?

    The last close is the latest one dated on or before ``as_of``; the 30-day high is the
    highest close dated in the 30 calendar days ending on it (that day included). On when
    last ≤ 90 % of the high (drawdown ≥ 10 %) and the high was made at least 7 days before the
    last close, i.e. none of the last 7 days (the last close's day and the 6 before it) set it.
    None when the underlying has no column or fewer than 30 returns up to ``as_of``.
    """
    closes = prices.closes.get(underlying)
    if closes is None:
        return None
    dated = [(d, c) for d, c in zip(prices.dates, closes) if d <= as_of]
    returns = simple_returns([c for _, c in dated])
    if sum(r is not None for r in returns) < MIN_RETURNS:
        return None
    known = [(d, c) for d, c in dated if c is not None]
    last_day, last = known[-1]
    start = last_day - dt.timedelta(days=EXHAUSTION_WINDOW_DAYS - 1)
    window = [(d, c) for d, c in known if d >= start]
    high = max(c for _, c in window)
    high_day = max(d for d, c in window if c == high)
    days_since_high = (last_day - high_day).days
    drawdown = 1.0 - last / high if high > 0 else 0.0
    on = drawdown >= EXHAUSTION_DRAWDOWN - _EPS and days_since_high >= EXHAUSTION_QUIET_DAYS
    return Exhaustion(on, drawdown, high, last, days_since_high)


__all__ = [
    "EXHAUSTION_DRAWDOWN", "EXHAUSTION_QUIET_DAYS", "EXHAUSTION_WINDOW_DAYS", "Exhaustion",
    "MIN_RETURNS", "MinVariance", "beta", "min_variance_ratio", "momentum_exhaustion",
    "simple_returns",
]
