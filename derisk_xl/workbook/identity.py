"""Numbers before words (SPEC 3.9 item 8): the rows say which column is which.

Header words propose a mapping; the numbers in the rows decide it. Wherever three numeric columns
satisfy Quantity × Price = Value on most rows that have all three, those columns are the quantity,
the price and the value, whatever their headers say (a value headed ``Holdings`` is a value, a
price headed ``Exchange`` is a price). The identity cannot tell the two factors apart, so they are
told apart, in this order, by: a hand mapping (SPEC 3.9 item 12); the header words of either
factor; a cost identity (Quantity × Avg Cost = Cost Basis) sharing a factor, which is then the
quantity; a currency named in a factor's header (money is the price); stablecoin rows, whose price
is 1; the same asset on two rows, whose price is the same. When they are still open, the reading
is ambiguous and the run refuses, naming both readings and the setting that picks one.

Pure over the grid: every door (file, batch, Excel) reads through it.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from .grid import ExcelError, SheetGrid
from .numeric_text import AMBIGUOUS, text_number
from .vocabulary import HeaderWord

#: An identity holds on a row when x·y is within this share of z …
RELATIVE = 0.005
#: … or within half a unit of z's last shown decimal (values rounded as trackers show them).
MAX_SHOWN_DECIMALS = 6
#: An identity must hold on more than this share of the rows that have all three numbers.
MOST = 0.5
#: Rows looked at: the shortlist is drawn from the first rows, then checked on more.
SHORTLIST_ROWS = 12
CHECK_ROWS = 300
#: Rows the factors are told apart on (a stablecoin or a repeated asset may come late).
TELL_ROWS = 20_000
#: Tables wider than this many numeric columns are looked at in their first ones only.
MAX_NUMERIC_COLUMNS = 60
#: A column is numeric when at least this share of its non-empty cells are numbers (numeric
#: text and Excel errors count: a price column full of #N/A is still the price column).
NUMERIC_SHARE = 0.6
#: Stablecoins and cash priced at 1 in the currency they track tell the price from the quantity.
_PRICED_AT_ONE = frozenset({"USDT", "USDC", "DAI", "BUSD", "TUSD", "FDUSD", "USDP", "PYUSD",
                            "USDE", "USD", "EUR", "EURT", "EURC", "GBP", "CHF", "CASH"})
_FACTORS = ("quantity", "price", "avg_cost")
_PRODUCTS = ("value", "cost_basis")
#: Fields a column of numbers may be, and fields only a column of text may be.
NUMBER_FIELDS = frozenset({"quantity", "price", "value", "avg_cost", "cost_basis", "min_keep",
                           "original_quantity", "beta", "lot_step"})
TEXT_FIELDS = frozenset({"asset", "venue", "category", "protect"})


def number_of(v: object) -> float | None:
    """A cell's number, numeric text included; None for anything else."""
    t = type(v)
    if t is float:
        return v if math.isfinite(v) else None
    if t is int:
        return float(v)
    if t is str:
        return _text_number(v)
    return None


@functools.lru_cache(maxsize=65536)
def _text_number(text: str) -> float | None:
    if not any(ch.isdigit() for ch in text):  # most text is names: no digit, no number
        return None
    x = text_number(text)
    if x is None or x is AMBIGUOUS:
        return None
    try:
        return float(x)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class Profile:
    """What a column's cells are, over the rows looked at."""

    col: int
    numbers: int = 0
    texts: int = 0
    errors: int = 0
    distinct: int = 0     # distinct non-empty texts
    index: bool = False   # 0, 1, 2 … (a pandas index) or 1, 2, 3 … (row numbers)

    @property
    def filled(self) -> int:
        return self.numbers + self.texts + self.errors

    @property
    def numeric(self) -> bool:
        return self.numbers > 0 and self.numbers + self.errors >= NUMERIC_SHARE * self.filled

    @property
    def textual(self) -> bool:
        return self.texts > 0 and self.texts >= NUMERIC_SHARE * (self.numbers + self.texts)


def profiles(sheet: SheetGrid, rows: Sequence[int], c0: int, c1: int) -> dict[int, Profile]:
    out = {}
    for c in range(c0, c1 + 1):
        numbers = texts = errors = 0
        seen: set[str] = set()
        ints: list[float] = []
        for r in rows:
            v = sheet.value(r, c)
            if v is None or (type(v) is str and not v.strip()):
                continue
            if isinstance(v, ExcelError):
                errors += 1
                continue
            x = number_of(v) if type(v) is not bool else None
            if x is not None:
                numbers += 1
                ints.append(x)
            elif type(v) is str:
                texts += 1
                seen.add(v.strip().upper())
        index = len(ints) >= 2 and len(ints) == len(rows) and all(
            x == ints[0] + i for i, x in enumerate(ints)) and ints[0] in (0.0, 1.0)
        out[c] = Profile(c, numbers, texts, errors, len(seen), index)
    return out


def _holds(x: float, y: float, z: float, shown: int) -> bool:
    p = x * y
    slack = max(RELATIVE * abs(z), 0.5 * 10.0 ** -shown if shown <= MAX_SHOWN_DECIMALS else 0.0)
    return abs(p - z) <= slack


@functools.lru_cache(maxsize=65536)
def _shown(z: float) -> int:
    """Decimals in the shortest repr of z: how a tracker rounded it (99 when it is not rounded)."""
    text = repr(z)
    if "e" in text or "E" in text:
        return 99
    _, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return len(frac) if len(frac) <= MAX_SHOWN_DECIMALS else 99


@dataclass(frozen=True)
class Identity:
    """``x × y = z`` over the columns of a block, and on how many rows it held."""

    x: int
    y: int
    z: int
    held: int
    tried: int


def _matrix(rows: Sequence[Sequence[object]], cols: Sequence[int]) -> list[dict[int, float]]:
    out = []
    for row in rows:
        vals: dict[int, float] = {}
        for c in cols:
            v = row[c] if c < len(row) else None
            if v is None:
                continue
            x = number_of(v) if type(v) is not bool else None
            if x is not None and x != 0:
                vals[c] = x
        out.append(vals)
    return out


def find_identities(rows: Sequence[Sequence[object]], cols: Iterable[int]) -> list[Identity]:
    """Every x × y = z among ``cols`` that holds on most of ``rows`` (cell values, a row per
    row) having all three, non-zero."""
    cols = sorted(cols)[:MAX_NUMERIC_COLUMNS]
    if len(cols) < 3 or not rows:
        return []
    sample = _matrix(rows[:CHECK_ROWS], cols)
    # a shortlist from the first rows where a product meets a third column
    shortlist: dict[tuple[int, int, int], int] = {}
    looked = 0
    for vals in sample:
        if len(vals) < 3:
            continue
        looked += 1
        ordered = sorted((v, c) for c, v in vals.items())
        keys = [v for v, _ in ordered]
        items = list(vals.items())
        for i, (a, xa) in enumerate(items):
            for b, xb in items[i + 1:]:
                p = xa * xb
                lo = bisect.bisect_left(keys, p - max(abs(p) * 0.02, 1e-9) - 0.5)
                hi = bisect.bisect_right(keys, p + max(abs(p) * 0.02, 1e-9) + 0.5)
                for v, c in ordered[lo:hi]:
                    if c != a and c != b and _holds(xa, xb, v, _shown(v)):
                        key = (min(a, b), max(a, b), c)
                        shortlist[key] = shortlist.get(key, 0) + 1
        if looked >= SHORTLIST_ROWS:
            break
    out = []
    for (x, y, z), hits in shortlist.items():
        held = tried = nontrivial = 0
        for vals in sample:
            a, b, c = vals.get(x), vals.get(y), vals.get(z)
            if a is None or b is None or c is None:
                continue
            tried += 1
            if _holds(a, b, c, _shown(c)):
                held += 1
                if a != 1 and b != 1 and a != c and b != c:
                    nontrivial += 1
        if held > MOST * tried and nontrivial >= 2:  # one row proves nothing
            out.append(Identity(x, y, z, held, tried))
    out.sort(key=lambda i: (-i.held, i.z, i.x, i.y))
    return out


# =============================================================================================
# Reading a block: words proposed, numbers decide
# =============================================================================================


@dataclass(frozen=True)
class Reading:
    """Which column is which (field → column), and why."""

    columns: dict[str, int]
    evidence: str = ""                     # "Quantity × Price = Value on 69 of 69 rows"
    other: dict[str, int] | None = None    # the second reading, when two stay open
    decided_by: tuple[str, ...] = ()       # fields the numbers (not the words) decided


def _field_of(words: Mapping[int, HeaderWord], c: int) -> str | None:
    w = words.get(c)
    return w.field if w is not None else None


def _money_named(words: Mapping[int, HeaderWord], c: int) -> bool:
    w = words.get(c)
    return w is not None and w.currency is not None


def _kind(i: Identity, words: Mapping[int, HeaderWord]) -> str:
    """``value`` (Quantity × Price), ``cost`` (Quantity × Avg Cost) or ``?`` by the words."""
    z = _field_of(words, i.z)
    if z == "cost_basis":
        return "cost"
    if z == "value":
        return "value"
    fx, fy = _field_of(words, i.x), _field_of(words, i.y)
    if "avg_cost" in (fx, fy):
        return "cost"
    if "price" in (fx, fy):
        return "value"
    return "?"


def _quantity_of(i: Identity, words: Mapping[int, HeaderWord], hand: Mapping[str, int],
                 costs: Sequence[Identity], assets: Sequence[object],
                 sheet: SheetGrid, rows: Sequence[int]) -> tuple[int | None, str]:
    """Which factor of a value identity is the quantity, and what told (``""`` when open)."""
    x, y = i.x, i.y
    for f, q in (("quantity", True), ("price", False)):
        c = hand.get(f)
        if c in (x, y):
            return (c if q else (y if c == x else x)), "the hand mapping"
    fx, fy = _field_of(words, x), _field_of(words, y)
    if fx == "quantity" and fy != "quantity" or fy == "price" and fx != "price":
        return x, "words"
    if fy == "quantity" and fx != "quantity" or fx == "price" and fy != "price":
        return y, "words"
    for cost in costs:
        shared = {cost.x, cost.y} & {x, y}
        if len(shared) == 1:
            return shared.pop(), "the cost identity"
    mx, my = _money_named(words, x), _money_named(words, y)
    if mx != my:
        return (y if mx else x), "the currency in a header"
    at_one = _at_one(sheet, rows, assets, x, y)
    if at_one is not None:
        return at_one, "stablecoins priced at 1"
    same = _same_asset_price(sheet, rows, assets, x, y)
    if same is not None:
        return same, "the same asset priced alike on two rows"
    return None, ""


def _at_one(sheet, rows, assets, x, y) -> int | None:
    """On stablecoin rows the price is 1 (±2 %): the other factor is the quantity."""
    votes_x = votes_y = 0
    for r, a in zip(rows, assets):
        if type(a) is not str or a.strip().upper() not in _PRICED_AT_ONE:
            continue
        vx, vy = number_of(sheet.value(r, x)), number_of(sheet.value(r, y))
        if vx is None or vy is None:
            continue
        one_x, one_y = abs(vx - 1) <= 0.02, abs(vy - 1) <= 0.02
        if one_x and not one_y:
            votes_y += 1   # x is the price, y the quantity
        elif one_y and not one_x:
            votes_x += 1
    return _vote(x, y, votes_x, votes_y)


def _vote(x: int, y: int, votes_x: int, votes_y: int) -> int | None:
    """The quantity column, when the rows that tell agree on it."""
    if votes_x and not votes_y:
        return x
    if votes_y and not votes_x:
        return y
    return None


def _same_asset_price(sheet, rows, assets, x, y) -> int | None:
    """The same asset on several rows (venues) has one price and different quantities."""
    by_asset: dict[str, list[int]] = {}
    for r, a in zip(rows, assets):
        if type(a) is str and a.strip():
            by_asset.setdefault(a.strip().upper(), []).append(r)
    votes_x = votes_y = 0
    for group in by_asset.values():
        if len(group) < 2:
            continue
        xs = {number_of(sheet.value(r, x)) for r in group}
        ys = {number_of(sheet.value(r, y)) for r in group}
        if None in xs or None in ys:
            continue
        if len(xs) == 1 and len(ys) > 1:
            votes_y += 1   # x is the price
        elif len(ys) == 1 and len(xs) > 1:
            votes_x += 1
    return _vote(x, y, votes_x, votes_y)


def valid_words(words_columns: dict[str, int], prof: Mapping[int, Profile]) -> dict[str, int]:
    """Words whose column holds only the wrong kind of cells name nothing: a column of text is
    no quantity (``Investment`` holding fund names), a column of numbers no asset or venue
    (``Exchange`` holding prices). A stray label or total in a column does not count against
    it."""
    out = {}
    for f, c in words_columns.items():
        p = prof.get(c)
        if p is not None and f in NUMBER_FIELDS and p.texts and not p.numbers and not p.errors:
            continue
        if p is not None and f in TEXT_FIELDS and p.numbers and not p.texts and not p.errors:
            continue
        out[f] = c
    return out


def resolve(sheet: SheetGrid, words: Mapping[int, HeaderWord], words_columns: dict[str, int],
            rows: Sequence[int], c0: int, c1: int, hand: Mapping[str, int] | None = None,
            others: frozenset[int] = frozenset(), asset_col: int | None = None,
            prof: Mapping[int, Profile] | None = None,
            more: Callable[[], Sequence[int]] | None = None) -> Reading:
    """The mapping of a block: the words' (``words_columns``), checked and completed by the
    identities its rows satisfy. ``others`` are columns whose words say what they are not
    (P&L, change, weight …): never a quantity, price or value."""
    hand = dict(hand or {})
    sample = list(rows[:CHECK_ROWS])
    if prof is None:
        prof = profiles(sheet, sample, c0, c1)
    columns = valid_words(words_columns, prof)
    columns.update(hand)
    settled = {c for f, c in columns.items()
               if f in TEXT_FIELDS | {"min_keep", "beta", "lot_step", "original_quantity"}}
    numeric = [c for c, p in prof.items() if p.numeric and not p.index and c not in others
               and c not in settled]
    identities = find_identities([sheet.rows[r] if r < len(sheet.rows) else () for r in sample],
                                 numeric)
    if not identities:
        return Reading(columns)
    kinds = {i: _kind(i, words) for i in identities}
    costs = [i for i in identities if kinds[i] == "cost"]
    values = [i for i in identities if kinds[i] == "value"]
    unknown = [i for i in identities if kinds[i] == "?"]
    guessed = False
    if not values and unknown:
        shared = [i for i in unknown if any(len({c.x, c.y} & {i.x, i.y}) == 1 for c in costs)]
        values = shared or unknown
        guessed = not shared
    if not values:
        return _with_costs(columns, costs, words)
    q_words, p_words = columns.get("quantity"), columns.get("price")
    products = {i.z for i in identities}
    if q_words is not None and q_words not in products and "quantity" not in hand:
        # the words' quantity stands unless the rows show it is a product (a value headed
        # ``Holdings``): an identity without it converts amounts, it prices no position
        values = [i for i in values if q_words in (i.x, i.y)]
        if not values:
            return _with_costs(columns, costs, words)
    # most rows first; then the words' price; then column order (a second currency is a
    # double, named by the words' own rule)
    values.sort(key=lambda i: (-i.held, p_words not in (i.x, i.y), i.z, i.x))
    best = values[0]
    seen, widened = list(rows), more is None

    def telling(i: Identity) -> tuple[int | None, str]:
        """Which of i's factors is the quantity, on the sample rows, else on every row (a
        stablecoin or a repeated asset may come late); the rows looked on stay for a rival."""
        nonlocal seen, widened
        while True:
            assets = [sheet.value(r, asset_col) if asset_col is not None else None
                      for r in seen]
            q, told = _quantity_of(i, words, hand, costs, assets, sheet, seen)
            if q is not None or widened:
                return q, told
            seen, widened = list(more()), True

    q, told = telling(best)
    rival = next((i for i in values[1:] if i.z != best.z and {i.x, i.y} != {best.x, best.y}),
                 None) if guessed else None
    if rival is not None and not ({"price", "value"} & set(hand)):
        # two products of the same quantity, and no word says which is the value (and which
        # the cost): two readings
        q2, _ = telling(rival)
        first = _assign(columns, best, q if q is not None else best.x)
        second = _assign(columns, rival, q2 if q2 is not None else rival.x)
        return Reading(first, _evidence(best, ""), other=second)
    if q is None:
        first = _assign(columns, best, best.x)
        second = _assign(columns, best, best.y)
        return Reading(first, _evidence(best, ""), other=second)
    out = _assign(columns, best, q)
    decided = tuple(f for f in ("quantity", "price", "value")
                    if words_columns.get(f) != out.get(f))
    out = _with_costs(out, costs, words).columns
    return Reading(out, _evidence(best, told), decided_by=decided)


def _assign(columns: dict[str, int], i: Identity, q: int) -> dict[str, int]:
    """The columns with the identity's reading in place: no other field keeps its columns."""
    p = i.y if q == i.x else i.x
    taken = {q, p, i.z}
    out = {f: c for f, c in columns.items()
           if c not in taken and f not in ("quantity", "price", "value")}
    out.update(quantity=q, price=p, value=i.z)
    return out


def _with_costs(columns: dict[str, int], costs: Sequence[Identity],
                words: Mapping[int, HeaderWord]) -> Reading:
    """A column equal to Quantity × Avg Cost is the cost basis (and the other factor the avg
    cost, unless the words gave one)."""
    q = columns.get("quantity")
    out = dict(columns)
    for i in costs:
        if q not in (i.x, i.y) or i.z in out.values() and out.get("cost_basis") != i.z:
            continue
        other = i.y if q == i.x else i.x
        if other in (out.get("price"), out.get("value")):
            continue
        out["cost_basis"] = i.z
        if "avg_cost" not in out or out["avg_cost"] == i.z:
            out["avg_cost"] = other
        break
    return Reading(out)


#: How the factors were told apart, in the read line's words.
_TOLD = {
    "the hand mapping": "as mapped by hand",
    "the cost identity": "the quantity is also the factor of Quantity × Avg Cost = Cost Basis",
    "the currency in a header": "the price is the factor whose header names a currency",
    "stablecoins priced at 1": "the price is the factor that is 1 on the stablecoin rows",
    "the same asset priced alike on two rows":
        "the price is the factor the same asset has alike on several rows",
}


def _evidence(i: Identity, told: str) -> str:
    text = f"Quantity × Price = Value on {i.held} of {i.tried} rows"
    return f"{text} ({_TOLD[told]})" if told in _TOLD else text


__all__ = ["Identity", "Profile", "Reading", "find_identities", "number_of", "profiles",
           "resolve"]
