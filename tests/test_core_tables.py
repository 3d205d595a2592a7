"""Portfolio tables for the core's tests, written the way a portfolio manager would jot them.

    holdings('''
        asset  qty   price  cost  cat    protect  keep  step  venue
        ETH    2.5   3000   1200  alt    -        -     -     -
    ''')

Columns may be left out; ``-`` is empty. ``keep`` is Min Keep in percent. Futures:
``symbol underlying side size entry mark margin maint type cv expiry funding venue``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from derisk_xl.core.model import FuturesPosition, Lot, Position


def _rows(text: str) -> list[dict[str, str]]:
    lines = [ln.split() for ln in text.strip().splitlines() if ln.strip()]
    head = [h.lower() for h in lines[0]]
    out = []
    for cells in lines[1:]:
        row = dict(zip(head, cells))
        out.append({k: v for k, v in row.items() if v != "-"})
    return out


def _d(row: dict[str, str], key: str, default=None):
    return Decimal(row[key].replace(",", "")) if key in row else default


def holdings(text: str) -> tuple[Position, ...]:
    out = []
    for n, r in enumerate(_rows(text), 2):
        asset = r["asset"].upper()
        out.append(Position(
            asset=asset, quantity=_d(r, "qty"), price=_d(r, "price"), avg_cost=_d(r, "cost"),
            category=r.get("cat", "stable" if asset in ("USDC", "USDT") else "alt"),
            protect=r.get("protect", "no") == "yes",
            min_keep=_d(r, "keep", Decimal(0)) / 100,
            original_quantity=_d(r, "q0"),
            beta=float(r["beta"]) if "beta" in r else None,
            venue=r.get("venue", ""), lot_step=_d(r, "step"), location=f"Holdings!A{n}",
        ))
    return tuple(out)


def futures(text: str) -> tuple[FuturesPosition, ...]:
    out = []
    for n, r in enumerate(_rows(text), 2):
        out.append(FuturesPosition(
            symbol=r["symbol"], underlying=r["underlying"], side=r["side"], size=_d(r, "size"),
            entry_price=_d(r, "entry"), mark_price=_d(r, "mark"), margin=_d(r, "margin"),
            maint_rate=_d(r, "maint", Decimal("0.5")) / 100,
            contract_type=r.get("type", "linear"), contract_value=_d(r, "cv", Decimal(100)),
            expiry=dt.date.fromisoformat(r["expiry"]) if "expiry" in r else None,
            funding_rate_8h=_d(r, "funding"), venue=r.get("venue", ""),
            location=f"Futures!A{n}",
        ))
    return tuple(out)


def lots(text: str) -> tuple[Lot, ...]:
    return tuple(
        Lot(r["asset"].upper(), _d(r, "qty"), _d(r, "cost"),
            dt.date.fromisoformat(r["acquired"]) if "acquired" in r else None, f"Lots!A{n}")
        for n, r in enumerate(_rows(text), 2))


def test_tables_read_like_the_sheet():
    (eth, usdc) = holdings("""
        asset  qty   price  cost  keep  step
        eth    2.5   3000   1200  10    0.01
        USDC   100   1      -     -     -
    """)
    assert (eth.asset, eth.quantity, eth.avg_cost, eth.min_keep, eth.lot_step) == (
        "ETH", Decimal("2.5"), Decimal(1200), Decimal("0.1"), Decimal("0.01"))
    assert usdc.is_stable and usdc.avg_cost is None and usdc.location == "Holdings!A3"
