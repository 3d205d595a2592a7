"""SPEC 4 step 6: close part of every profitable long, then cap every position's leverage.

Rules:
- Close Profitable Longs %: a long with uPnL > 0 closes that share f of its size at the mark.
  Its realized PnL (uPnL·f) and the released margin (margin·f) go to the wallet's free
  collateral, less the fee (Fee bps on the closed notional). Leverage is unchanged by a
  proportional close. A close worth less than Min Trade Value is dropped.
- Leverage cap: a position whose effective leverage L₀ = N/E exceeds Max Leverage L is reduced
  so that it sits at exactly L on its current equity, net of the fee of the reduction:
  closed notional c = (N − L·E) / (1 − L·r), r = fee rate, so (N − c) / (E − r·c) = L.
  The realized PnL uPnL·c/N stays in the position's margin (equity is unchanged but for the fee).
- A position with equity ≤ 0 is past its liquidation: it is closed entirely (the wallet takes
  its equity, a loss) with a warning.
- Inverse (coin-margined) positions: margin is given in the base currency and held in coin,
  coin margin = margin / entry (:mod:`valuation`); equity = (coin margin + coin uPnL)·mark.
  A close releases the coin margin at the mark (its share of the equity); realized PnL and
  fees that stay in a reduced position's margin are converted to coin at the mark.
- Liquidation prices before and after come from :mod:`liquidation`, in coin terms for inverse
  positions: coin margin as above, and Maint Amount taken as given, in coin (the unit the
  exchanges publish for coin-margined tiers).
- Futures sizes are not rounded (existing positions have no lot step in the workbook).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Sequence

from .issues import Issue
from .liquidation import liquidation_price
from .model import FuturesAction, FuturesPosition, Settings, Trade
from .money import BPS, ONE, ZERO
from .valuation import coin_margin, fmt_money, fmt_multiple, fmt_pct, margin_value, value_futures


def liquidation_of(f: FuturesPosition) -> Decimal | None:
    """The position's isolated liquidation price under its own model."""
    if f.size <= 0:
        return None
    margin = coin_margin(f) if f.contract_type == "inverse" else f.margin
    return liquidation_price(                     # Maint Amount of an inverse: already in coin
        side=f.side, entry=f.entry_price, size=f.size, margin=margin, maint_rate=f.maint_rate,
        maint_amount=f.maint_amount, model=f.liquidation_model, contract_type=f.contract_type,
        contract_value=f.contract_value,
    )


@dataclass(frozen=True, slots=True)
class FuturesStep:
    """What step 6 did: the actions, the positions after, the trades (unnumbered) and cash."""

    actions: tuple[FuturesAction, ...]
    after: tuple[FuturesPosition, ...]
    trades: tuple[Trade, ...]
    to_free_collateral: Decimal
    fees: Decimal
    realized: Decimal
    issues: tuple[Issue, ...]


def _trade(step, f: FuturesPosition, size: Decimal, notional: Decimal, fee: Decimal,
           realized: Decimal, reason: str) -> Trade:
    side = "sell" if f.side == "long" else "buy"
    return Trade(0, step, f.venue, f.symbol, side, size, f.mark_price, notional, fee, realized,
                 reason)


def adjust_futures(futures: Sequence[FuturesPosition], settings: Settings) -> FuturesStep:
    ccy = settings.base_currency  # sentences write money in its own units
    rate = settings.fee_bps / BPS
    cap = settings.max_leverage
    close_share = settings.close_profitable_longs
    actions: list[FuturesAction] = []
    after: list[FuturesPosition] = []
    trades: list[Trade] = []
    issues: list[Issue] = []
    cash = fees = realized_total = ZERO
    for f in futures:
        v0 = value_futures(f)
        liq0 = liquidation_of(f)
        cur = f
        v = v0
        realized = ZERO
        did: list[str] = []
        if v.equity <= 0:
            fee = rate * v.notional
            issues.append(Issue(f.location, (
                f"{f.symbol} has equity {fmt_money(v.equity, ccy)} (margin "
                f"{fmt_money(f.margin, ccy)}, uPnL {fmt_money(v.upnl, ccy)}): it is past "
                "liquidation; the plan closes it."),
                "warning"))
            trades.append(_trade("reduce-leverage", f, f.size, v.notional, fee, v.upnl,
                                 f"{f.symbol} has no equity left: close it entirely."))
            cash += v.equity - fee
            fees += fee
            realized += v.upnl
            cur = replace(f, size=ZERO, margin=ZERO)
            did.append("close")
        else:
            if f.side == "long" and v.upnl > 0 and close_share > 0:
                share = min(close_share, ONE)
                closed_notional = v.notional * share
                if closed_notional >= settings.min_trade_value:
                    fee = rate * closed_notional
                    gain = v.upnl * share
                    cash += margin_value(f) * share + gain - fee
                    fees += fee
                    realized += gain
                    trades.append(_trade(
                        "close-long", f, f.size * share, closed_notional, fee, gain,
                        f"{f.symbol} long is in profit by {fmt_money(v.upnl, ccy)}: close "
                        f"{fmt_pct(share)} % and bank {fmt_money(gain, ccy)} to the wallet."))
                    cur = replace(f, size=f.size * (ONE - share), margin=f.margin * (ONE - share))
                    v = value_futures(cur)
                    did.append("close")
            if cur.size > 0 and v.leverage is not None and v.leverage > cap:
                closed = (v.notional - cap * v.equity) / (ONE - cap * rate)
                share = closed / v.notional
                fee = rate * closed
                gain = v.upnl * share
                fees += fee
                realized += gain
                trades.append(_trade(
                    "reduce-leverage", cur, cur.size * share, closed, fee, gain,
                    f"{f.symbol} runs at {fmt_multiple(v.leverage)} effective leverage, above "
                    f"Max Leverage {fmt_multiple(cap)}: reduce to {fmt_multiple(cap)} on its "
                    f"equity {fmt_money(v.equity, ccy)}."))
                kept = gain - fee
                if cur.contract_type == "inverse":
                    kept = kept * cur.entry_price / cur.mark_price   # coin at the mark
                cur = replace(cur, size=cur.size * (ONE - share), margin=cur.margin + kept)
                v = value_futures(cur)
                did.append("reduce")
        realized_total += realized
        after.append(cur)
        v1 = value_futures(cur)
        actions.append(FuturesAction(
            symbol=f.symbol, venue=f.venue, side=f.side,
            action="+".join(did) if did else "keep",
            size_before=f.size, size_after=cur.size,
            notional_before=v0.notional, notional_after=v1.notional,
            margin_before=f.margin, margin_after=cur.margin,
            upnl_before=v0.upnl, realized_pnl=realized,
            leverage_before=v0.leverage, leverage_after=v1.leverage if cur.size > 0 else None,
            liquidation_before=liq0, liquidation_after=liquidation_of(cur),
        ))
    return FuturesStep(tuple(actions), tuple(after), tuple(trades), cash, fees, realized_total,
                       tuple(issues))
