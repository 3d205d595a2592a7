"""The Settings sheet (SPEC 3.3): Key | Value rows, every key typed and checked."""


from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from ..core.currencies import is_currency
from ..core.model import CUSTOM_MODEL, DEFAULT_MODEL, MODELS, Rate, Settings
from ..core.money import HUNDRED, ONE, ZERO
from .grid import CellValue, SheetGrid, coordinate, sheet_ref
from .typed import (
    BAD, MAX_AMOUNT, MAX_PERCENT, MIN_POSITIVE, NUM_TEXT, PCT_TEXT, CellReader, ambiguous_comma,
    comma_message, describe, fmt_pct, to_decimal,
)
from .mapping import HAND_KEYS, HandMapping
from .vocabulary import norm

# -- Settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Key:
    title: str
    field: str
    kind: str
    low: Decimal | None = ZERO
    high: Decimal | None = HUNDRED
    options: tuple[str, ...] = ()


SETTINGS_KEYS: tuple[_Key, ...] = (
    _Key("Model", "model", "model"),
    _Key("Spot Target %", "spot_target", "pct"),
    _Key("Stable Target %", "stable_target", "pct"),
    _Key("Futures Sleeve %", "futures_sleeve", "pct"),
    _Key("Hedge Ratio %", "hedge_ratio", "pct"),
    _Key("Max Leverage", "max_leverage", "num", ONE, Decimal(1000)),
    _Key("Close Profitable Longs %", "close_profitable_longs", "pct"),
    _Key("Hedge Sizing", "hedge_sizing", "choice", options=("notional", "beta", "min-variance")),
    _Key("Hedge Instrument", "hedge_instrument", "text"),
    _Key("Hedge Underlying", "hedge_underlying", "asset"),
    _Key("Hedge Price", "hedge_price", "pos"),
    _Key("Hedge Underlying Price", "hedge_underlying_price", "pos"),
    _Key("Hedge Expiry", "hedge_expiry", "date"),
    _Key("Hedge Funding Rate 8h %", "hedge_funding_rate_8h", "pct", None, None),
    _Key("Hedge Contract Size", "hedge_contract_size", "pos"),
    _Key("Hedge Lot Step", "hedge_lot_step", "pos"),
    _Key("Liquidation Model", "liquidation_model", "choice", options=("binance", "bybit")),
    _Key("Hedge Leverage", "hedge_leverage", "num", ONE, Decimal(1000)),
    _Key("Maint Margin Rate %", "maint_margin_rate", "pct"),
    _Key("Futures Free Collateral", "futures_free_collateral", "num", ZERO, None),
    _Key("Sleeve Funding", "sleeve_funding", "choice", options=("target", "needed")),
    _Key("Collateral Buffer", "collateral_buffer", "pos"),
    _Key("Stable Asset", "stable_asset", "asset"),
    _Key("Core Assets", "core_assets", "assets"),
    _Key("Fee bps", "fee_bps", "num", ZERO, Decimal(10_000)),
    _Key("Slippage bps", "slippage_bps", "num", ZERO, Decimal(10_000)),
    _Key("Min Trade Value", "min_trade_value", "num", ZERO, None),
    _Key("Rebalance Band %", "rebalance_band", "pct"),
    _Key("Lot Method", "lot_method", "choice", options=("FIFO", "LIFO", "HIFO", "AVERAGE")),
    _Key("Tax Rate Short %", "tax_rate_short", "pct"),
    _Key("Tax Rate Long %", "tax_rate_long", "pct"),
    _Key("Long-Term Days", "long_term_days", "int", ZERO, Decimal(36_500)),
    _Key("Horizon Days", "horizon_days", "int", ONE, Decimal(3650)),
    _Key("Stress Shocks %", "stress_shocks", "shocks", Decimal(-100), None),
    _Key("Fear Greed Index", "fear_greed_index", "int", ZERO, HUNDRED),
    _Key("Base Currency", "base_currency", "asset"),
    _Key("Client", "client", "header"),
    _Key("Report Title", "report_title", "header"),
    _Key("Report Recipients", "report_recipients", "emails"),
    _Key("As Of", "as_of", "date"),
    _Key("Holdings Sheet", "holdings_sheet", "text"),
    *(_Key(key, f"{f}_column", "text") for f, key in HAND_KEYS.items()),
)
#: Keys the reader takes for itself (where the holdings are), not fields of Settings.
_READER_FIELDS = ("holdings_sheet", *(f"{f}_column" for f in HAND_KEYS))
#: Where our settings live: a tracker's own Settings sheet stays the user's (SPEC 3.9 item 11).
SETTINGS_SHEETS = ("Derisk Settings", "Settings")
_KEYS_BY_NORM = {norm(k.title): k for k in SETTINGS_KEYS}
#: ``FX EUR``, ``fx_usdt``, ``FX: BTC``: a rate key (SPEC 3.3), one per currency.
_FX_KEY = re.compile(r"^\s*FX[\s_:-]+([A-Za-z]{2,6})\s*$", re.IGNORECASE)
_MODEL_NAMES = (*MODELS, CUSTOM_MODEL)
_TARGET_FIELDS = ("spot_target", "stable_target", "futures_sleeve")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


def _closest(word: str, candidates: dict[str, str]) -> str | None:
    """The display name of the candidate whose normalized form is closest to ``word``."""
    hit = difflib.get_close_matches(norm(word), list(candidates), n=1, cutoff=0.6)
    return candidates[hit[0]] if hit else None


def parse_settings(p: CellReader) -> Settings:
    """Settings (SPEC 3.3); ``where`` keeps the value cell of each key given, for messages."""
    where: dict[str, str] = {}
    key_cells: dict[str, str] = {}
    bad_fields: set[str] = set()
    found = _settings_sheet(p)
    if found is None:
        return Settings.for_model()
    sheet, first_row, key_col, last_row = found
    if last_row is None:
        last_row = len(sheet.rows) - 1
    val_col = key_col + 1
    overrides: dict[str, object] = {}
    rates: dict[str, tuple[Rate, str]] = {}  # currency -> its rate and its key's cell
    header_seen = False
    for r in range(first_row, last_row + 1):
        k = sheet.value(r, key_col)
        v = sheet.value(r, val_col)
        if type(v) is str and not v.strip():
            v = None
        if k is None or (type(k) is str and not k.strip()):
            continue
        if not header_seen and type(k) is str and norm(k) in ("key", "setting", "name"):
            header_seen = True
            p._check_merged_header(sheet, r, key_col, val_col, "Settings")
            continue
        header_seen = True
        kloc = sheet_ref(sheet.name, coordinate(r, key_col))
        vloc = sheet_ref(sheet.name, coordinate(r, val_col))
        fx = _FX_KEY.match(k) if type(k) is str else None
        if fx:
            _fx_rate(p, sheet, r, val_col, v, fx.group(1).upper(), kloc, rates)
            continue
        spec = _KEYS_BY_NORM.get(norm(k)) if type(k) is str else None
        if spec is None:
            near = _closest(str(k), {norm(x.title): x.title for x in SETTINGS_KEYS})
            hint = f"; did you mean {near!r}?" if near else \
                "; see the list of settings in the README."
            shown = repr(k.strip()) if type(k) is str else describe(k)
            p.error(kloc, f"unknown setting {shown}{hint}")
            continue
        if spec.field in key_cells:
            p.error(kloc, f"{spec.title} is set twice (also at {key_cells[spec.field]}); keep "
                          "one.")
            continue
        key_cells[spec.field] = kloc
        where[spec.field] = vloc
        value = _setting_value(p, sheet, r, val_col, v, spec)
        if value is not None and value is not BAD:
            overrides[spec.field] = value
        elif value is BAD:
            bad_fields.add(spec.field)
    bad = bool(bad_fields & {"model", *_TARGET_FIELDS})
    model = overrides.pop("model", DEFAULT_MODEL)
    if model == CUSTOM_MODEL:
        missing = [k.title for k in SETTINGS_KEYS
                   if k.field in _TARGET_FIELDS and k.field not in overrides]
        if missing and not bad:
            p.error(where.get("model", "Settings"),
                    f"the Custom model needs its three targets; set {', '.join(missing)} in "
                    "Settings.")
    p.holdings_choice = (overrides.pop("holdings_sheet"), where["holdings_sheet"]) \
        if "holdings_sheet" in overrides else None
    p.hand = HandMapping(tuple(
        (f, str(overrides.pop(f"{f}_column")), where[f"{f}_column"]) for f in HAND_KEYS
        if f"{f}_column" in overrides))
    p.settings_given = frozenset(overrides)
    settings = Settings.for_model(model, fx=tuple(r for r, _ in rates.values()), **overrides)
    total = settings.spot_target + settings.stable_target + settings.futures_sleeve
    if abs(total - ONE) > Decimal("1e-9") and not bad:
        given = [where[f] for f in _TARGET_FIELDS if f in where]
        parts = ", ".join(
            f"{k.title.rstrip(' %')} {fmt_pct(getattr(settings, k.field))}"
            + ("" if k.field in where else " from the model")
            for k in SETTINGS_KEYS if k.field in _TARGET_FIELDS)
        p.error(given[0] if given else where.get("model", "Settings"),
                f"the targets sum to {fmt_pct(total)} ({parts}); Spot Target %, Stable "
                "Target % and Futures Sleeve % must sum to 100 %.")
    return settings


#: A key this close to one of ours is ours, mistyped (and reported as such): SPEC 3.3.
TYPO_CUTOFF = 0.85


def _ours(key: str) -> bool:
    k = norm(key)
    return k in _KEYS_BY_NORM or bool(_FX_KEY.match(key)) or bool(difflib.get_close_matches(k, list(_KEYS_BY_NORM), n=1,
                                                                 cutoff=TYPO_CUTOFF))


def _settings_sheet(p: CellReader) -> tuple[SheetGrid, int, int, int | None] | None:
    """The sheet (or Excel Table) our settings are on: ``Derisk Settings`` first, then
    ``Settings`` — unless fewer than half of that one's keys are ours: it is then the user's own
    (a tracker's settings), left alone with one warning (SPEC 3.9 item 11)."""
    for title in SETTINGS_SHEETS:
        key = norm(title)
        sheet = next((s for s in p.grid.sheets if norm(s.name) == key), None)
        first_row, key_col, last_row = 0, 0, None
        if sheet is None:
            table = next((t for t in p.grid.tables if norm(t.name) == key), None)
            if table is None:
                continue
            sheet = p.grid.sheet(table.sheet)
            if sheet is None:
                continue
            first_row, key_col, last_row = table.first_row, table.first_col, table.last_row
        if title == "Settings":
            keys = [k for k in (sheet.value(r, key_col) for r in range(
                first_row, (last_row if last_row is not None else len(sheet.rows) - 1) + 1))
                if type(k) is str and k.strip() and norm(k) not in ("key", "setting", "name")]
            ours = [k for k in keys if _ours(k)]
            if keys and 2 * len(ours) < len(keys):
                known = f"only {', '.join(repr(k.strip()) for k in ours[:3])} of its " \
                        f"{len(keys)} keys" if ours else f"none of its {len(keys)} keys"
                p.warn(sheet.name, f"{sheet.name} is not derisk's Settings sheet ({known} are "
                                   "settings of derisk), so it is left alone and the "
                                   "defaults are used. To give derisk settings, put them on a "
                                   "sheet named Derisk Settings (Key | Value).")
                return None
        return sheet, first_row, key_col, last_row
    return None


def _fx_rate(p: CellReader, sheet: SheetGrid, r: int, c: int, v: CellValue, code: str,
             kloc: str, rates: dict[str, tuple[Rate, str]]) -> None:
    """An ``FX <CUR>`` key (SPEC 3.3): units of base currency per unit of ``code``, a positive
    number in the domain ranges; the currency must be one we know (ISO 4217 or a coin)."""
    title = f"FX {code}"
    if not is_currency(code):
        p.error(kloc, f"{title}: {code!r} is not a currency we know; expected FX followed by an "
                      "ISO 4217 code or a coin (FX EUR, FX USDT, FX BTC).")
        return
    if code in rates:
        p.error(kloc, f"{title} is set twice (also at {rates[code][1]}); keep one.")
        return
    vloc = sheet_ref(sheet.name, coordinate(r, c))
    if v is None:
        p.error(vloc, f"{title} is empty; expected units of the base currency per {code}, a "
                      "number from 1e-12 to 1e15.")
        return
    value = _setting_value(p, sheet, r, c, v, _Key(title, "fx", "pos"))
    if value is not None and value is not BAD:
        rates[code] = (Rate(code, value, f"Settings {title}", vloc), kloc)


def _setting_value(p: CellReader, sheet: SheetGrid, r: int, c: int, v: CellValue, spec: _Key):
    label = spec.title
    loc = sheet_ref(sheet.name, coordinate(r, c))
    if v is None:
        if loc in p.grid.uncached_formulas:
            return p.bad_cell(sheet, r, c, label, None, "a value")
        return None
    kind = spec.kind
    if kind == "model":
        text = str(v).strip()
        for name in _MODEL_NAMES:
            if norm(name) == norm(text):
                return name
        near = _closest(text, {norm(m): m for m in _MODEL_NAMES})
        hint = f"; did you mean {near!r}?" if near else ""
        return p.error(loc, f"unknown model {text!r}{hint} Expected one of "
                            f"{', '.join(_MODEL_NAMES)}.")
    if kind == "pct":
        return p.percent_value(sheet, r, c, v, sheet.number_formats.get((r, c)), label,
                               low=spec.low, high=spec.high, lenient=True)
    if kind in ("num", "pos", "int"):
        if type(v) is float and not math.isfinite(v):
            return p.bad_cell(sheet, r, c, label, v, _setting_expect(spec))
        if type(v) in (float, int):
            x = to_decimal(v)
        elif type(v) is str and NUM_TEXT.match(v):
            if ambiguous_comma(v):
                return p.error(loc, comma_message(label, v))
            x = Decimal(v.strip().replace(",", ""))
        else:
            return p.bad_cell(sheet, r, c, label, v, _setting_expect(spec))
        high = spec.high if spec.high is not None and kind != "pos" else MAX_AMOUNT
        if (kind == "pos" and x < MIN_POSITIVE) \
                or (spec.low is not None and kind != "pos" and x < spec.low) \
                or (kind != "pos" and x > high) or x > MAX_AMOUNT \
                or (kind == "int" and x != x.to_integral_value()):
            return p.bad_cell(sheet, r, c, label, v, _setting_expect(spec))
        return int(x) if kind == "int" else x
    if kind == "choice":
        options = {o.lower(): o for o in spec.options}
        return p.choice_value(sheet, r, c, v, label, options)
    if kind == "date":
        return p.date(sheet, r, c, v, label)
    if kind in ("text", "asset"):
        if type(v) is not str and type(v) not in (float, int):
            return p.bad_cell(sheet, r, c, label, v, "text")
        text = describe(v) if type(v) is not str else v.strip()
        if _CONTROL.search(text):
            return p.error(loc, f"{label} contains a line break or control character; "
                                "expected a single line of text.")
        return text.upper() if kind == "asset" else text
    if kind == "assets":
        if type(v) is not str:
            return p.bad_cell(sheet, r, c, label, v, "assets separated by commas, or none")
        if norm(v) == "none":
            return ()
        return tuple(a.strip().upper() for a in re.split(r"[,;]", v) if a.strip())
    if kind == "shocks":
        return _shocks(p, sheet, r, c, v, spec)
    if kind == "header":
        if type(v) is not str:
            return describe(v) if type(v) in (float, int) else \
                p.bad_cell(sheet, r, c, label, v, "text")
        text = v.strip()
        if _CONTROL.search(text):
            return p.error(loc, f"{label} contains a line break or control character, which "
                                "could smuggle an extra header into the report email; expected "
                                "a single line of text.")
        return text
    if kind == "emails":
        return _recipients(p, loc, v)
    raise AssertionError(kind)  # pragma: no cover - every kind above


def _setting_expect(spec: _Key) -> str:
    if spec.kind == "pos":
        return "a number from 1e-12 to 1e15"
    what = "a whole number" if spec.kind == "int" else "a number"
    if spec.low is not None and spec.high is not None:
        return f"{what} from {spec.low} to {spec.high}"
    if spec.low is not None:
        return f"{what} from {spec.low} to 1e15"
    return what


def _shocks(p: CellReader, sheet: SheetGrid, r: int, c: int, v: CellValue, spec: _Key):
    fmt = sheet.number_formats.get((r, c))
    if type(v) in (float, int):
        one = p.percent_value(sheet, r, c, v, fmt, spec.title, low=spec.low, high=None)
        return BAD if one is BAD else (one,)
    if type(v) is not str:
        return p.bad_cell(sheet, r, c, spec.title, v, "percentages separated by commas")
    out = []
    loc = sheet_ref(sheet.name, coordinate(r, c))
    for item in re.split(r"[,;]", v):
        item = item.strip()
        if not item:
            continue
        m = PCT_TEXT.match(item)
        if m:
            x = Decimal(m.group(1))
        elif NUM_TEXT.match(item) and "," not in item:
            x = Decimal(item)
        else:
            x = None
        if x is not None and x.copy_abs() > MAX_PERCENT:
            return p.error(loc, f"{spec.title} has {item!r}, beyond ±1000 %.")
        if x is not None:
            x = x / HUNDRED
        else:
            return p.error(loc, f"{spec.title} has {item!r}, which is not a percentage; "
                                "expected percentages separated by commas, e.g. -10, -20, +20.")
        if x <= -1:
            return p.error(loc, f"{spec.title} has {item!r}; a shock cannot be -100 % or less.")
        out.append(x)
    if not out:
        return None
    return tuple(out)


def _recipients(p: CellReader, loc: str, v: CellValue):
    """Report Recipients: addresses split on , or ; each one a single, valid address."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address
    from email.utils import parseaddr

    if type(v) is not str:
        return p.error(loc, f"Report Recipients is {describe(v)}; expected email addresses "
                            "separated by , or ;.")
    if _CONTROL.search(v):
        return p.error(loc, "Report Recipients contains a line break or control character, "
                            "which could smuggle an extra header into the email; expected "
                            "addresses separated by , or ;.")
    out = []
    bad = False
    for item in re.split(r"[,;]", v):
        item = item.strip()
        if not item:
            continue
        name, addr = parseaddr(item)
        try:
            if not addr or "@" not in addr:
                raise ValueError
            address = Address(display_name=name, addr_spec=addr)
            if not address.domain or "." not in address.domain or not address.username:
                raise ValueError
            text = str(address)
            if _CONTROL.search(text):
                raise ValueError
        except (ValueError, IndexError, HeaderParseError, TypeError):
            p.error(loc, f"Report Recipients has {item!r}, which is not one email address; "
                         "expected addresses like ann@example.com separated by , or ;.")
            bad = True
            continue
        out.append(text)
    if bad:
        return BAD
    return tuple(out) or None
