"""The Holdings contract (SPEC 3.1 and 3.9 items 4–7): the rows of the table found → positions.

What real trackers write is read as what it unambiguously is: a Value column gives the price
when there is none, numeric text is a number (one warning lists the cells), a Category of
sector labels is a label, pair tickers (``btcinr``, ``ETH-USD``) are their base asset, and the
base currency comes from Settings, else the price headers, else the pairs' quote, else USD.
Every position keeps its own Asset cell, so every message about it points there.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from decimal import Decimal

from ..core.model import STABLE_NAMES, HoldingsSource, Position, Settings, mapping_words
from ..core.money import ZERO
from .grid import column_letter, coordinate, sheet_ref
from .headers import blank
from .book_total import check_book_total
from .currency import Money, money_of, no_rate, rates_used, single, to_base, unsure
from .fx import merge_rates, read_rates
from .mapping import HAND_KEYS, HandMapping
from .tables import Choice, HoldingsTable, find_holdings, refusal, taken_warnings
from .typed import BAD, CATEGORIES, PROTECT, CellReader, Region
from .vocabulary import CURRENCY_CODES, FIELD_TITLES, USD_FAMILY, norm

_PAIR = re.compile(r"^([A-Z0-9.]{2,})[-/_:]([A-Z]{3,5})$")
_MONEY_FIELDS = ("price", "value", "avg_cost", "cost_basis")
_COIN_QUOTES = frozenset({"BTC", "ETH"})  # STETH is no ST/ETH pair: coin quotes need a "-"
_SUFFIXES = tuple(sorted(CURRENCY_CODES - _COIN_QUOTES, key=len, reverse=True))
_SUFFIX_SET = frozenset(_SUFFIXES)


def parse_holdings(p: CellReader, settings: Settings, option: str | None,
                   hand: HandMapping | None = None
                   ) -> tuple[tuple[Position, ...] | None, Settings, HoldingsSource | None]:
    """Positions, the settings with the base currency resolved, and what was read.

    Found tables are tried best first (SPEC 3.9 item 10): one whose every row fails, or that has
    no rows, is set aside with its reason and the next is tried; a refusal names them all. A
    table chosen or named is read, or refused, on its own."""
    choice = None
    if option:
        choice = Choice(option, "--holdings", "--holdings")
    elif p.holdings_choice is not None:
        text, loc = p.holdings_choice
        choice = Choice(str(text), loc, "Settings Holdings Sheet")
    found = find_holdings(p.grid, choice, hand)
    if not found.tables:
        p.issues.extend(found.issues or (refusal(p.grid, found),))
        return None, settings, None
    set_aside: list[tuple[HoldingsTable, str]] = []
    failed_rows: list = []
    for table in found.tables:
        if table.header.other is not None:
            p.error(table.where, _two_readings(table))
            return None, settings, None
        mark = p.mark()
        p.issues.extend(table.issues)
        read = _read_table(p, table, settings, hand)
        positions, new_settings, source, why = read
        if positions or found.explicit or why is None:
            p.issues.extend(taken_warnings(p.grid, found, table))
            return positions, new_settings, source
        taken = p.rollback(mark)
        set_aside.append((table, why))
        if not failed_rows and "every one fails" in why:
            failed_rows = [i for i in taken if i.severity == "error"]
    p.issues.append(refusal(p.grid, found, set_aside))
    p.issues.extend(failed_rows)  # every problem of the best table whose rows all failed
    return None, settings, None


def _two_readings(table: HoldingsTable) -> str:
    """Words and numbers leave two readings: name both and the setting that picks one."""
    h = table.header
    first, second = h.columns, h.other
    def words(cols):
        return ", ".join(f"{FIELD_TITLES[f]} ← {h.texts.get(c, column_letter(c))}"
                         for f, c in sorted(cols.items(), key=lambda x: x[1])
                         if f in ("quantity", "price", "value"))
    q1, q2 = h.texts.get(first["quantity"]), h.texts.get(second["quantity"])
    return (f"{table.where} can be read two ways: {words(first)}, or {words(second)} "
            f"({h.evidence or 'Quantity × Price = Value'} either way), and nothing in the "
            f"headers or the rows tells which column is the quantity. Say which with Settings "
            f"Quantity Column ({q1!r} or {q2!r}), or run with --column quantity={_arg(q1)}.")


def _arg(text: str | None) -> str:
    text = text or ""
    return text if re.fullmatch(r"[\w.%#-]+", text) else '"' + text.replace('"', '\\"') + '"'


def _read_table(p: CellReader, table: HoldingsTable, settings: Settings,
                hand: HandMapping | None) -> tuple[tuple[Position, ...] | None, Settings,
                                                   HoldingsSource | None, str | None]:
    """The positions of one table, and why it is set aside when it gives none (None: it stands,
    with its errors)."""
    h = table.header
    if hand and _hand_missing(p, table, hand):
        return None, settings, None, None
    for note in h.notes:
        p.warn(table.where, f"{note}.")
    _check_merged(p, table)
    raw = [v.strip().upper() for v in (table.sheet.value(r, h.columns["asset"])
                                       for r in table.rows) if isinstance(v, str) and v.strip()]
    before = len(p.issues)
    money, settings = _base_currency(p, table, settings, raw)
    _doubles(p, table, money.columns)
    out, renamed = _positions(p, table, money)
    refused = unsure(money, table) or no_rate(money, table)
    if refused is not None:
        p.issues.append(refused)
        return None, settings, None, None
    if table.lots:
        out = _added_up(out)
    _headings(p, table)
    _hidden(p, table)
    if not out:
        return None, settings, None, _no_positions(p, table, before)
    if renamed:
        shown = ", ".join(renamed[:4]) + (" …" if len(renamed) > 4 else "")
        p.warn(out[0].location, f"{len(renamed)} pair ticker(s) read as their base asset (the "
                                f"quote is the base currency {money.base}): {shown}.")
    check_book_total(p, table, out)
    cols = money.columns
    source = HoldingsSource(
        where=table.where, positions=len(out), mapping=_mapping(table, cols),
        ignored=tuple(t for c, t in sorted(h.texts.items())
                      if c not in cols.values() and c != table.label_col),
        base_currency=money.base, chosen_by=table.how, evidence=h.evidence,
        rates=rates_used(money))
    return tuple(out), settings, source, None


def _hand_missing(p: CellReader, table: HoldingsTable, hand: HandMapping) -> bool:
    """A column mapped by hand that the table's header lacks: an error at the setting."""
    h = table.header
    _, missing = hand.columns(table.sheet, h.row, h.first_col, h.last_col)
    for f, text, origin in missing:
        said = "--column" if origin == "--column" else f"Settings {HAND_KEYS[f]}"
        p.error(origin if origin != "--column" else table.where, (
            f"{said} is {text!r}, but the holdings header {table.where} has no such column "
            f"(its headers: {', '.join(h.texts[c] for c in sorted(h.texts))}); give one "
            "of them, or a column letter."))
    return bool(missing)


def _doubles(p: CellReader, table: HoldingsTable, cols: dict[str, int]) -> None:
    """Two columns of one rank for one field: the first is read (or the one named in the base
    currency, SPEC 3.10), and a warning names both."""
    h = table.header
    for f, kept, other in h.doubles:
        if cols.get(f) == other:
            kept, other = other, kept
        p.warn(sheet_ref(table.sheet.name, coordinate(h.row, other)),
               f"{h.texts[kept]!r} and {h.texts[other]!r} both mean {FIELD_TITLES[f]}; "
               f"{h.texts[kept]!r} ({coordinate(h.row, kept)}) is read, {h.texts[other]!r} "
               "is not.")


def _positions(p: CellReader, table: HoldingsTable, money: Money
               ) -> tuple[list[Position], list[str]]:
    """Every row's position (rows with a problem are reported and left out), and the pair
    tickers read as their base asset."""
    h = table.header
    sheet = table.sheet
    cols = money.columns
    quotes = {money.base} | (USD_FAMILY if money.base == "USD" else set())
    asset_cell = sheet_ref(sheet.name, column_letter(h.columns["asset"]))  # + the row's number
    region = Region("Holdings", sheet, h.row, h.first_col, h.last_col, table.last_row, cols)
    labels = _category_labels(p, table)
    out: list[Position] = []
    renamed: list[str] = []
    empty_value: list[str] = []
    for r in table.rows:
        row = sheet.rows[r] if r < len(sheet.rows) else ()
        asset = p.text(region, r, row, "asset", "Asset", required=True)
        quantity = p.number(region, r, row, "quantity", "Quantity", required=True,
                            minimum=ZERO)
        if "price" in cols:
            price = p.number(region, r, row, "price", "Price", required=True, positive=True)
            price = _in_base(money, table, r, "price", price, quantity)
        else:
            value = p.number(region, r, row, "value", "Value", required=True, minimum=ZERO)
            value = _in_base(money, table, r, "value", value, quantity)
            price = _price_from_value(p, table, r, quantity, value, empty_value)
            if price is None:
                continue

        avg = _in_base(money, table, r, "avg_cost", p.number(
            region, r, row, "avg_cost", "Avg Cost", minimum=ZERO) if "avg_cost" in cols
            else None, quantity)
        basis = _in_base(money, table, r, "cost_basis", p.number(
            region, r, row, "cost_basis", "Cost Basis", minimum=ZERO) if "cost_basis" in cols
            else None, quantity)
        category = p.choice(region, r, row, "category", "Category", CATEGORIES) \
            if "category" in cols and not labels else None
        protect = p.choice(region, r, row, "protect", "Protect", PROTECT, "yes or no") \
            if "protect" in cols else None
        min_keep = p.percent(region, r, row, "min_keep", "Min Keep %") \
            if "min_keep" in cols else None
        q0 = p.number(region, r, row, "original_quantity", "Original Quantity", minimum=ZERO) \
            if "original_quantity" in cols else None
        beta = p.number(region, r, row, "beta", "Beta") if "beta" in cols else None
        venue = p.text(region, r, row, "venue", "Venue") if "venue" in cols else None
        if venue is None and table.label_col is not None:
            label = sheet.value(r, table.label_col)
            venue = label.strip() if isinstance(label, str) and label.strip() else None
        lot_step = p.number(region, r, row, "lot_step", "Lot Step", positive=True) \
            if "lot_step" in cols else None
        if any(x is BAD for x in (asset, quantity, price, avg, basis, category, protect,
                                  min_keep, q0, beta, venue, lot_step)):
            continue
        if avg is None and basis is not None and quantity:
            avg = basis / quantity
        asset = asset.upper()
        base_asset = _base_asset(asset, quotes)
        if base_asset is not None:
            renamed.append(f"{asset} → {base_asset}")
            asset = base_asset
        out.append(Position(
            asset=asset, quantity=quantity, price=price, avg_cost=avg,
            category=category or ("stable" if asset in STABLE_NAMES else "alt"),
            protect=bool(protect),
            min_keep=min_keep if min_keep is not None else ZERO, original_quantity=q0,
            beta=float(beta) if beta is not None else None, venue=venue or "",
            lot_step=lot_step, location=f"{asset_cell}{r + 1}",
        ))
    if empty_value:
        p.warn(empty_value[0], f"{len(empty_value)} row(s) hold a quantity of 0 and no price "
                               f"(first: {', '.join(empty_value[:3])}); they are not planned.")
    return out, renamed


def _headings(p: CellReader, table: HoldingsTable) -> None:
    if not table.headings:
        return
    h, sheet = table.header, table.sheet
    names = [str(sheet.value(r, c)).strip() for r in table.headings
             for c in range(h.first_col, h.last_col + 1) if not blank(sheet.value(r, c))]
    shown = ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
    p.warn(sheet_ref(sheet.name, coordinate(table.headings[0], h.first_col)),
           f"{len(names)} section heading row(s) between the positions ({shown}) are read as "
           "headings, not positions.")


def _no_positions(p: CellReader, table: HoldingsTable, before: int) -> str:
    """Why a table gave no position: its rows all failed, or it has none (then an error too,
    which stands when the table was chosen or named)."""
    failed = [i for i in p.issues[before:] if i.severity == "error"]
    if failed:
        return f"has {len(table.rows)} row(s) and every one fails (first: {failed[0]})"
    why = (f"has a holdings header ({mapping_words(_mapping(table))}) but no positions "
           "under it")
    if table.how == "the sheet named Holdings":
        p.error(table.sheet.name, "Holdings has no positions; expected at least one row below "
                                  "the header.")
    else:
        p.error(table.where, f"{table.where} ({table.how}) {why}; fill in at least one row.")
    return why


def _added_up(positions: list[Position]) -> list[Position]:
    """Purchase lots (SPEC 3.9 item 3): one position per asset and venue, its quantity the lots'
    sum, its average cost theirs when every lot has one; it keeps its first lot's cell."""
    groups: dict[tuple[str, str], list[Position]] = {}
    for pos in positions:
        groups.setdefault((pos.asset, pos.venue), []).append(pos)
    out = []
    for lots in groups.values():
        first = lots[0]
        quantity = sum((x.quantity for x in lots), ZERO)
        costs = [x.avg_cost for x in lots]
        avg = None if None in costs or not quantity else \
            sum((x.quantity * x.avg_cost for x in lots), ZERO) / quantity
        out.append(dataclasses.replace(first, quantity=quantity, avg_cost=avg))
    return out


def _mapping(table: HoldingsTable, columns: dict[str, int] | None = None
             ) -> tuple[tuple[str, str], ...]:
    h = table.header
    columns = h.columns if columns is None else columns
    pairs = [(c, FIELD_TITLES[f], h.texts[c]) for f, c in columns.items()]
    if table.label_col is not None and "venue" not in columns:
        pairs.append((table.label_col, "Venue", f"{h.texts.get(table.label_col, '')} "
                                                "(the block labels)"))
    return tuple((f, t) for _, f, t in sorted(pairs))


def _price_from_value(p: CellReader, table: HoldingsTable, r: int, quantity, value,
                      empty: list[str]) -> Decimal | None | object:
    """No price column: price = value ÷ quantity (SPEC 3.9 item 4)."""
    if quantity is BAD or value is BAD:
        return BAD
    if quantity is None or value is None:
        return BAD
    if quantity == 0:
        empty.append(table.cell(r, "asset"))
        return None
    if value <= 0:
        return p.error(table.cell(r, "value"), f"Value is {value} for a quantity of {quantity}, "
                                               "so the price (value ÷ quantity) is not above 0; "
                                               "expected a value greater than 0.")
    return value / quantity


def _check_merged(p: CellReader, table: HoldingsTable) -> None:
    """Merged header cells that hide a column we read (SPEC 3.8); merges over ignored
    decoration are left alone."""
    h = table.header
    used = set(h.columns.values())
    for r0, a, r1, b in table.sheet.merged:
        if r0 <= h.row <= r1 and any(a <= c <= b for c in used) and b > a:
            ref = f"{coordinate(r0, a)}:{coordinate(r1, b)}"
            p.error(sheet_ref(table.sheet.name, ref),
                    "merged header cells on Holdings; unmerge them so that each column has its "
                    "own header.")


def _hidden(p: CellReader, table: HoldingsTable) -> None:
    hidden = [r + 1 for r in table.rows if r in table.sheet.hidden_rows]
    if hidden:
        shown = ", ".join(map(str, hidden[:10])) + (" …" if len(hidden) > 10 else "")
        p.warn(table.sheet.name, f"{len(hidden)} hidden row(s) on Holdings ({shown}); they are "
                                 "read like every other row.")


def _category_labels(p: CellReader, table: HoldingsTable) -> bool:
    """A Category column with no core/alt/stable in it holds labels (sectors), not categories."""
    c = table.header.columns.get("category")
    if c is None:
        return False
    values = [(r, table.sheet.value(r, c)) for r in table.rows]
    given = [(r, v) for r, v in values if isinstance(v, str) and v.strip()]
    kinds = {v.strip() for _, v in given}
    if len(given) < 2 or any(norm(v) in CATEGORIES or difflib.get_close_matches(
            norm(v), list(CATEGORIES), n=1, cutoff=0.8) for _, v in given):
        return False  # a typo in a category of ours (or one odd cell) is an error on its row
    kinds = sorted({v.strip() for _, v in given})
    shown = ", ".join(kinds[:4]) + (" …" if len(kinds) > 4 else "")
    first = sheet_ref(table.sheet.name, coordinate(given[0][0], c))
    p.warn(first, f"Category holds labels such as {shown} on {len(given)} rows, not core, alt or "
                  "stable: read as labels. Each position's category comes from its asset "
                  "(stablecoins by symbol, others alt).")
    return True


def _in_base(money: Money, table: HoldingsTable, r: int, field_name: str, amount, quantity):
    """A money cell in the base currency (SPEC 3.10); BAD when its currency has no rate (the
    row is left out and the refusal names it)."""
    if amount is None or amount is BAD:
        return amount
    q = quantity if quantity is not BAD else None
    x = to_base(money, table, r, field_name, amount, q)
    return BAD if x is None else x


def _untie(p: CellReader, money: Money, settings: Settings) -> None:
    """Rows in several currencies and no currency named for the book: it is in the one the
    workbook's rates are into — the one it gives no rate for, when the rates cover every other.
    So as many rows in two currencies are decided, and most rows in a currency the workbook
    gives a rate for (which a book's own currency would not need) give way."""
    fits = []
    for base in money.tied or money.row_currencies:
        sheet, _ = read_rates(p.grid, base, {r.currency for r in settings.fx})
        given = {r.currency for r in settings.fx} | set(sheet)
        if all(cur == base or cur in given for cur in money.row_currencies):
            fits.append(base)
    if len(fits) == 1 and fits[0] != money.base:
        others = ", ".join(c for c in money.row_currencies if c != fits[0])
        money.base = fits[0]
        money.why = f"the rates the workbook gives for {others}, which are into {fits[0]}"


def _base_currency(p: CellReader, table: HoldingsTable, settings: Settings,
                   assets: list[str]) -> tuple[Money, Settings]:
    """The table's money (:func:`.currency.money_of`) and the settings with the base currency
    and every rate the workbook gives (Settings FX keys, then the FX sheet) resolved."""
    quotes: set[str | None] = set()
    for a in assets:
        quotes.add(_quote(a))
        if None in quotes or len(quotes) > 1:
            break
    pair = next(iter(quotes)) if len(quotes) == 1 and None not in quotes else None
    money = money_of(table, settings, "base_currency" in p.settings_given, pair)
    if money.tied or (len(money.row_currencies) > 1 and "most rows" in money.why):
        _untie(p, money, settings)
    base = "USD" if money.base in USD_FAMILY else money.base
    money.base = base
    money.single = single(money)
    sheet_rates, fx_issues = read_rates(p.grid, base, {r.currency for r in settings.fx})
    p.issues.extend(fx_issues)
    changes: dict[str, object] = {"base_currency": base,
                                  "fx": merge_rates(settings.fx, sheet_rates)}
    if base not in USD_FAMILY and "stable_asset" not in p.settings_given:
        cash = f"{base} cash"
        changes["stable_asset"] = cash
        p.warn(table.where, f"prices are in {base} (from {money.why or 'Settings'}); "
                            "stablecoins count at 1 only in the currency they track, so sales "
                            f"go to {cash}, a cash position in {base}, not to "
                            f"{settings.stable_asset}. Set Settings Stable Asset to choose "
                            "another.")
    settings = dataclasses.replace(settings, **changes)
    money.settings = settings
    return money, settings


def _quote(asset: str) -> str | None:
    """The quote currency of a pair ticker (``BTCINR`` → INR), or None when it is no pair."""
    m = _PAIR.match(asset)
    if m and m.group(2) in CURRENCY_CODES:
        return m.group(2)
    if asset in STABLE_NAMES or asset in USD_FAMILY:
        return None
    if asset[-3:] not in _SUFFIX_SET and asset[-4:] not in _SUFFIX_SET:
        return None
    for code in _SUFFIXES:
        if asset.endswith(code) and len(asset) - len(code) >= 2:
            return code
    return None


def _base_asset(asset: str, quotes: set[str] | frozenset[str]) -> str | None:
    """A pair ticker whose quote is the base currency → its base asset (``BTCINR`` → BTC)."""
    if asset[-3:] not in quotes and asset[-4:] not in quotes and asset[-5:] not in quotes:
        return None
    m = _PAIR.match(asset)
    if m:
        return m.group(1) if m.group(2) in quotes else None
    q = _quote(asset)
    return asset[:-len(q)] if q in quotes else None


__all__ = ["parse_holdings"]
