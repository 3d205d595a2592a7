"""The calculator on 10, 1,000, 10,000 and 100,000 positions (with futures and lots).

Targets (issue 2): 100,000 positions planned in under 2 s; 100k vs 10k at most 12× the time.
Each figure is the best of a few runs, printed with its ratio to the 10-position run, then the
size-to-size ratios, then a rallied book where nearly every position sells (the worst case for
the per-trade work), against the ordinary 100,000. The load average is printed first: figures
taken on a busy machine are slower by about that factor over the core count.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from harness import best_of, line

from derisk_xl.core.model import FuturesPosition, Lot, PlanInputs, Position, Settings
from derisk_xl.core.plan import make_plan

AS_OF = dt.date(2026, 11, 28)


def portfolio(n: int, seed: int = 7, *, rallied: bool = False) -> PlanInputs:
    """n positions like a book after a rally, not a pathological one.

    Each asset is held on two venues; multiples are log-normal around 1.35× (a quarter of the
    positions at 2× or more, a few under cost), one in 17 with no cost, one in 23 protected,
    min keep and lot steps on some rows; a third of the assets have two dated lots; futures on
    1 % of the rows; stable about a third of T, so the plan sells part of the book, as a real
    de-risking would. ``rallied=True`` is the old stress case: multiples up to 6× and almost no
    stable, so nearly every position sells.
    """
    rnd = random.Random(seed)
    positions: list[Position] = []
    lots: list[Lot] = []
    risk = Decimal(0)
    for i in range(n):
        asset = f"A{i // 2:06d}"
        price = Decimal(rnd.randint(50, 5_000_000)).scaleb(-2)
        qty = Decimal(rnd.randint(1, 100_000)).scaleb(-2)
        multiple = rnd.randint(5, 60) / 10 if rallied else rnd.lognormvariate(0.3, 0.6)
        cost = None if i % 17 == 0 else (price / Decimal(repr(multiple))).quantize(
            Decimal("0.01")) or Decimal("0.01")
        positions.append(Position(
            asset, qty, price, cost, "alt", protect=i % 23 == 0,
            min_keep=Decimal("0.1") if i % 5 == 0 else Decimal(0),
            lot_step=Decimal("0.01") if i % 3 == 0 else None,
            venue="Binance" if i % 2 else "Kraken", location=f"Holdings!A{i + 2}"))
        risk += qty * price
    by_asset: dict[str, list[Position]] = {}
    for p in positions:
        by_asset.setdefault(p.asset, []).append(p)
    for k, (asset, rows) in enumerate(by_asset.items()):
        if k % 3 or any(r.avg_cost is None for r in rows):
            continue
        total = sum((r.quantity for r in rows), Decimal(0))
        half = (total / 2).quantize(Decimal("0.0001"))
        lots.append(Lot(asset, half, rows[0].avg_cost, dt.date(2024, 3, 1)))
        lots.append(Lot(asset, total - half, rows[0].avg_cost * 2, dt.date(2026, 6, 1)))
    positions.append(Position("BTC", Decimal(2), Decimal(40000), Decimal(20000), "alt"))
    stable = Decimal(n * 50) if rallied else (risk * Decimal("0.55")).quantize(Decimal(1))
    positions.append(Position("USDC", stable, Decimal(1), Decimal(1), "stable"))
    futures = tuple(
        FuturesPosition(f"F{j}", "BTC", "long" if j % 2 else "short", Decimal("0.1"),
                        Decimal(38000 + j % 5000), Decimal(40000),
                        Decimal(400 + (j % 7) * 300))
        for j in range(max(1, n // 100)))
    settings = Settings.for_model("Balanced De-Risk", hedge_price=Decimal(40100),
                                  hedge_funding_rate_8h=Decimal("0.0001"))
    return PlanInputs(tuple(positions), settings, AS_OF, futures=futures, lots=tuple(lots))


def run() -> list[str]:
    import os

    out = [f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"]
    times: dict[int, float] = {}
    for n in (10, 1_000, 10_000, 100_000):
        inputs = portfolio(n)
        repeat = 3 if n >= 100_000 else 5
        times[n] = best_of(lambda: make_plan(inputs), repeat=repeat)
        plan = make_plan(inputs)
        trades = len(plan.trades)
        target = "< 2 s" if n == 100_000 else ""
        out.append(line(f"make_plan, {n:,} positions ({trades:,} trades)", times[n],
                        times[10], target))
    out.append(f"{'ratio 1,000 → 10,000':<58} {times[10_000] / times[1_000]:10.2f}×")
    out.append(f"{'ratio 10,000 → 100,000':<58} {times[100_000] / times[10_000]:10.2f}×"
               "  (target: ≤ 12×)")
    heavy = portfolio(100_000, rallied=True)
    t = best_of(lambda: make_plan(heavy), repeat=2)
    out.append(line(f"make_plan, 100,000 rallied, {len(make_plan(heavy).trades):,} trades",
                    t, times[100_000]) + "  (vs the 100,000 above)")
    return out


if __name__ == "__main__":
    for text in run():
        print(text)
