"""The contract: SPEC 3.1–3.7 fields → :class:`PlanInputs`, every problem an issue with its cell."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from ..core.issues import Issue, grouped
from ..core.model import (
    DEFAULT_TIERS, FuturesPosition, Lot, PlanInputs, Position, PriceHistory, Settings, Tier,
)
from ..core.money import LOT_TOLERANCE, ONE, ZERO
from .grid import WorkbookGrid, coordinate, sheet_ref
from .fx import futures_in_base
from .holdings import parse_holdings
from .mapping import HandMapping
from .settings_sheet import parse_settings
from .typed import (
    BAD, CATEGORIES, CONTRACT_TYPES, MAX_AMOUNT, MIN_POSITIVE, SIDE_EXPECT, SIDES, CellReader,
    describe,
)
from .vocabulary import FUTURES_COLUMNS, LOTS_COLUMNS, PRICES_DATE, TIERS_COLUMNS, norm


@dataclass(frozen=True)
class ReadResult:
    """The inputs (None when the workbook cannot be planned) and every issue found."""

    inputs: PlanInputs | None
    issues: tuple[Issue, ...]

# -- Holdings, Futures, Tiers, Lots, Prices ---------------------------------------------------

def _liquidation_model(venue: str, settings: Settings) -> str:
    lower = venue.lower()
    if "bybit" in lower:
        return "bybit"
    if "binance" in lower:
        return "binance"
    return settings.liquidation_model


def _parse_futures(p: CellReader, settings: Settings,
                   held: set[str]) -> tuple[FuturesPosition, ...]:
    region = p.region("Futures", FUTURES_COLUMNS, required=False)
    if region is None or region.header_row < 0:
        return ()
    out = []
    for r, row in p.rows(region):
        symbol = p.text(region, r, row, "symbol", "Symbol", required=True)
        underlying = p.text(region, r, row, "underlying", "Underlying", required=True)
        side = p.choice(region, r, row, "side", "Side", SIDES, SIDE_EXPECT)
        if side is None:
            side = p.bad_cell(region.sheet, r, region.columns["side"], "Side", None,
                              SIDE_EXPECT)
        size = p.number(region, r, row, "size", "Size", required=True, positive=True)
        entry = p.number(region, r, row, "entry_price", "Entry Price", required=True,
                         positive=True)
        mark = p.number(region, r, row, "mark_price", "Mark Price", required=True,
                        positive=True)
        leverage = p.number(region, r, row, "leverage", "Leverage", minimum=ONE)
        margin = p.number(region, r, row, "margin", "Margin", positive=True)
        maint = p.percent(region, r, row, "maint_rate", "Maint Margin Rate %")
        maint_amount = p.number(region, r, row, "maint_amount", "Maint Amount", minimum=ZERO)
        ctype = p.choice(region, r, row, "contract_type", "Type", CONTRACT_TYPES, "linear or inverse")
        cvalue = p.number(region, r, row, "contract_value", "Contract Value", positive=True)
        expiry = p.cell_date(region, r, row, "expiry", "Expiry")
        funding = p.percent(region, r, row, "funding_rate_8h", "Funding Rate 8h %", low=None,
                            high=None)
        under_price = p.number(region, r, row, "underlying_price", "Underlying Price",
                               positive=True)
        venue = p.text(region, r, row, "venue", "Venue")
        values = (symbol, underlying, side, size, entry, mark, leverage, margin, maint,
                  maint_amount, ctype, cvalue, expiry, funding, under_price, venue)
        if leverage is None and margin is None and BAD not in (leverage, margin):
            p.error(region.first_cell(r), f"{symbol if type(symbol) is str else 'this position'}"
                                          " has neither Leverage nor Margin; give one of them "
                                          "(Margin is the isolated margin, Leverage ≥ 1).")
            continue
        if type(underlying) is str and under_price is None and underlying.upper() not in held:
            c = region.columns["underlying"]
            p.error(sheet_ref(region.sheet.name, coordinate(r, c)),
                    f"the underlying {underlying.upper()} is not in Holdings and no Underlying "
                    "Price is given; add one of them so the position can be priced.")
            continue
        if any(x is BAD for x in values):
            continue
        ctype = ctype or "linear"
        cvalue = cvalue if cvalue is not None else Decimal(100)
        if margin is None:
            base = size * cvalue if ctype == "inverse" else size * entry
            margin = base / leverage
        out.append(FuturesPosition(
            symbol=symbol, underlying=underlying.upper(), side=side, size=size,
            entry_price=entry, mark_price=mark, margin=margin, leverage=leverage,
            maint_rate=maint if maint is not None else Decimal("0.005"),
            maint_amount=maint_amount if maint_amount is not None else ZERO,
            contract_type=ctype, contract_value=cvalue, expiry=expiry,
            funding_rate_8h=funding, underlying_price=under_price, venue=venue or "",
            liquidation_model=_liquidation_model(venue or "", settings),
            location=region.first_cell(r),
        ))
    return tuple(out)


def _parse_tiers(p: CellReader) -> tuple[Tier, ...]:
    region = p.region("Tiers", TIERS_COLUMNS, required=False)
    if region is None:
        key = norm("Tiers")
        present = any(norm(s.name) == key for s in p.grid.sheets) or \
            any(norm(t.name) == key for t in p.grid.tables)
        return () if present and "Tiers" not in p.users_own else DEFAULT_TIERS
    if region.header_row < 0:
        return ()
    out = []
    for r, row in p.rows(region):
        trigger = p.number(region, r, row, "trigger", "Trigger Multiple", required=True,
                           positive=True)
        sell = p.percent(region, r, row, "sell", "Sell %")
        if sell is None:
            sell = p.bad_cell(region.sheet, r, region.columns["sell"], "Sell %", None,
                              "a percentage from 0 to 100")
        applies = p.text(region, r, row, "applies_to", "Applies To")
        if BAD in (trigger, sell, applies):
            continue
        if applies is not None:
            applies = applies.lower() if applies.lower() in CATEGORIES else applies.upper()
        out.append(Tier(trigger, sell, applies, location=region.first_cell(r)))
    return tuple(out)


def _parse_lots(p: CellReader, positions: tuple[Position, ...] | None) -> tuple[Lot, ...]:
    region = p.region("Lots", LOTS_COLUMNS, required=False)
    if region is None or region.header_row < 0:
        return ()
    out = []
    first_row: dict[str, str] = {}
    bad_assets: set[str] = set()
    for r, row in p.rows(region):
        asset = p.text(region, r, row, "asset", "Asset", required=True)
        acquired = p.cell_date(region, r, row, "acquired", "Acquired")
        quantity = p.number(region, r, row, "quantity", "Quantity", required=True,
                            minimum=ZERO)
        cost = p.number(region, r, row, "unit_cost", "Unit Cost", required=True, minimum=ZERO)
        if type(asset) is str:
            first_row.setdefault(asset.upper(), region.first_cell(r))
            if BAD in (acquired, quantity, cost):
                bad_assets.add(asset.upper())
        if BAD in (asset, acquired, quantity, cost):
            continue
        out.append(Lot(asset.upper(), quantity, cost, acquired, location=region.first_cell(r)))
    if positions is None:
        return tuple(out)
    held: dict[str, Decimal] = {}
    for pos in positions:
        held[pos.asset] = held.get(pos.asset, ZERO) + pos.quantity
    sums: dict[str, Decimal] = {}
    for lot in out:
        sums[lot.asset] = sums.get(lot.asset, ZERO) + lot.quantity
    for asset, total in sums.items():
        if asset in bad_assets:
            continue
        if asset not in held:
            p.error(first_row[asset], f"lots for {asset}, which is not in Holdings; every lot "
                                      "must belong to a held asset.")
            continue
        want = held[asset]
        gap = total - want
        if abs(gap) > LOT_TOLERANCE * max(abs(want), abs(total)):
            p.error(first_row[asset],
                    f"the lots of {asset} sum to {total.normalize():f} but Holdings hold "
                    f"{want.normalize():f} (gap {gap.normalize():f}); the lot quantities of an "
                    "asset must add up to its Holdings quantity.")
    return tuple(out)


def _parse_prices(p: CellReader) -> PriceHistory | None:
    region = p.region("Prices", (PRICES_DATE,), required=False)
    if region is None or region.header_row < 0:
        return None
    sheet = region.sheet
    date_col = region.columns["date"]
    assets: list[tuple[str, int]] = []
    seen: dict[str, str] = {}
    for c in range(region.first_col, region.last_col + 1):
        if c == date_col:
            continue
        h = sheet.value(region.header_row, c)
        if h is None or (type(h) is str and not h.strip()):
            continue
        name = (h.strip() if type(h) is str else describe(h)).upper()
        loc = sheet_ref(sheet.name, coordinate(region.header_row, c))
        if name in seen:
            p.error(loc, f"a second price column for {name} (the first is at {seen[name]}); "
                         "keep one.")
            continue
        seen[name] = loc
        assets.append((name, c))
    region.columns.update({f"asset:{n}": c for n, c in assets})
    rows: list[tuple[dt.date, list[float | None]]] = []
    dates_seen: dict[dt.date, int] = {}
    for r, row in p.rows(region):
        v = row[date_col] if date_col < len(row) else None
        day = p.date(sheet, r, date_col, v, "Date", required=True)
        closes: list[float | None] = []
        ok = day is not BAD
        for name, c in assets:
            x = row[c] if c < len(row) else None
            if type(x) in (float, int) and MIN_POSITIVE <= x <= MAX_AMOUNT:
                closes.append(float(x))
            elif x is None or (type(x) is str and not x.strip()):
                if sheet_ref(sheet.name, coordinate(r, c)) in p.grid.uncached_formulas:
                    p.bad_cell(sheet, r, c, f"the {name} close", None, "a price greater than 0")
                    ok = False
                closes.append(None)
            else:
                p.bad_cell(sheet, r, c, f"the {name} close", x, "a price greater than 0")
                ok = False
        if not ok:
            continue
        if day in dates_seen:
            p.error(sheet_ref(sheet.name, coordinate(r, date_col)),
                    f"{day.isoformat()} appears twice (also row {dates_seen[day] + 1}); keep "
                    "one close per day.")
            continue
        dates_seen[day] = r
        rows.append((day, closes))
    rows.sort(key=lambda item: item[0])
    history = PriceHistory(
        dates=tuple(d for d, _ in rows),
        closes={name: tuple(cl[i] for _, cl in rows) for i, (name, _) in enumerate(assets)},
    )
    returns = max(len(rows) - 1, 0)
    if returns < 30:
        p.warn(sheet.name, f"Prices has {returns} daily return(s); betas, the minimum-variance "
                           "hedge and momentum signals need at least 30, so they are off.")
    return history


def _check_domain(p: CellReader, settings: Settings, positions, futures, lots,
                  as_of: dt.date) -> None:
    """Ranges that span cells (SPEC 3): a position's value and a future's notional stay within
    the 1e15 of a single amount; nothing is acquired after the as-of date and no future has
    expired before it (an old file planned today would act on a past that is gone)."""
    for pos in positions:
        if pos.quantity * pos.price > MAX_AMOUNT:
            p.error(pos.location, f"{pos.asset} is worth {pos.quantity * pos.price:.3E} "
                                  "(Quantity × Price), beyond the largest amount a plan takes "
                                  "(1e15); check the Quantity and Price cells.")
    for fut in futures:
        notional = fut.size * (fut.contract_value if fut.contract_type == "inverse"
                               else max(fut.mark_price, fut.entry_price))
        if notional > MAX_AMOUNT or fut.margin > MAX_AMOUNT:
            p.error(fut.location, f"{fut.symbol} has a notional of {notional:.3E}, beyond the "
                                  "largest amount a plan takes (1e15); check Size and prices.")
        if fut.expiry is not None and fut.expiry < as_of:
            p.error(fut.location, f"{fut.symbol} expired on {fut.expiry.isoformat()}, before the "
                                  f"as-of date {as_of.isoformat()}; remove the row or correct "
                                  "its Expiry.")
    for lot in lots:
        if lot.acquired is not None and lot.acquired > as_of:
            p.error(lot.location, f"a lot of {lot.asset} acquired on "
                                  f"{lot.acquired.isoformat()}, after the as-of date "
                                  f"{as_of.isoformat()}; a lot cannot be held before it is "
                                  "bought. Correct Acquired or the as-of date.")
    if settings.hedge_expiry is not None and settings.hedge_expiry < as_of:
        p.error("Settings", f"Hedge Expiry {settings.hedge_expiry.isoformat()} is before the "
                            f"as-of date {as_of.isoformat()}; a hedge cannot use an expired "
                            "future.")


def parse_inputs(grid: WorkbookGrid, *, as_of: dt.date | None, today: dt.date,
                 holdings: str | None = None,
                 columns: tuple[tuple[str, str], ...] = ()) -> ReadResult:
    """Turn a workbook's grid into calculator inputs, with every problem as an issue.

    ``holdings`` is the ``--holdings`` choice (a sheet, Excel Table or range); it wins over
    Settings Holdings Sheet (SPEC 3.9 item 1). ``columns`` are ``--column FIELD=HEADER``
    choices, (field, header or column letter); each wins over Settings ``… Column`` for its
    field (SPEC 3.9 item 12).
    """
    p = CellReader(grid)
    settings = parse_settings(p)
    hand = p.hand or HandMapping()
    if columns:
        given = {f for f, _ in columns}
        hand = HandMapping(tuple(e for e in hand.entries if e[0] not in given) +
                           tuple((f, text, "--column") for f, text in columns))
    positions, settings, source = parse_holdings(p, settings, holdings, hand)
    held = {pos.asset for pos in positions or ()}
    futures, quoted, problems = futures_in_base(_parse_futures(p, settings, held), settings)
    p.issues.extend(problems)
    if source is not None and quoted:  # name the futures' rates beside the holdings' own
        have = {r.currency for r in source.rates}
        source = replace(source, rates=source.rates + tuple(
            r for r in quoted if r.currency not in have))
    tiers = _parse_tiers(p)
    lots = _parse_lots(p, positions)
    prices = _parse_prices(p)
    resolved = as_of or settings.as_of or today
    _check_domain(p, settings, positions or (), futures, lots, resolved)
    if p.text_numbers:
        cells = p.text_numbers
        first = ", ".join(cells[:3]) + (" …" if len(cells) > 3 else "")
        p.warn(cells[0], f"{len(cells)} number(s) stored as text were read as numbers (first: "
                         f"{first}); format those cells as numbers in Excel to keep them so.")
    issues = grouped(p.issues)
    if positions is None or any(i.severity == "error" for i in issues):
        return ReadResult(None, issues)
    return ReadResult(
        PlanInputs(positions=positions, settings=settings, as_of=resolved, futures=futures,
                   tiers=tiers, lots=lots, prices=prices, source=source),
        issues,
    )


__all__ = ["ReadResult", "parse_inputs"]
