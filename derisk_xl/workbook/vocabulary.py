"""The words of the workbook contract: sheet names, columns and their synonyms (SPEC 3.1–3.7, 3.9).

The contract's own sheets match after :func:`norm`. A holdings header in a tracker of the
user's own is read by :func:`read_header` in any language and form the vocabulary has (SPEC 3.9
items 4 and 9): the words are data, one table per language (vocab/languages/*.toml) and per
broker or exchange export (vocab/brokers.toml), which :func:`languages` and :func:`brokers` give
as :class:`Vocabulary` records; a run loads vocab/index.json, the same words already keyed
(tools/gen_vocab_index.py writes it). Synonyms come in ranks: a column of a better rank wins
over one of a worse rank without a word (``Token`` over ``Name`` for the asset); two of the
same rank are reported.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

from ..core import currencies
from .plan_sheets import PLAN_SHEET_NAMES


def norm(name: object) -> str:
    """Sheet/column/key matching: case-insensitive, ignoring spaces, underscores and a trailing %."""
    text = str(name).strip().lower().replace(" ", "").replace("_", "").replace("\u00a0", "")
    return text[:-1] if text.endswith("%") else text


INPUT_SHEETS = ("Holdings", "Futures", "Settings", "Tiers", "Lots", "Prices")
INPUT_NORMS = {norm(s): s for s in INPUT_SHEETS}
#: Sheets this program writes (the plan sheets, and the button's Plan Errors): never inputs.
PLAN_NORMS = frozenset(norm(s) for s in (*PLAN_SHEET_NAMES, "Plan Errors"))


@dataclass(frozen=True)
class Column:
    """A column of an input sheet: the field it fills, its title, synonyms, and if required."""

    field: str
    title: str
    synonyms: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> str:
        return self.title + (f" (or {', '.join(self.synonyms)})" if self.synonyms else "")


#: The holdings fields, their titles and which are required. Their words, in every language and
#: broker export, are data: vocab/languages/*.toml and vocab/brokers.toml (see :func:`read_header`).
HOLDINGS_COLUMNS = (
    Column("asset", "Asset", required=True),
    Column("quantity", "Quantity", required=True),
    Column("price", "Price", required=True),
    Column("avg_cost", "Avg Cost"),
    Column("cost_basis", "Cost Basis"),
    Column("category", "Category"),
    Column("protect", "Protect"),
    Column("min_keep", "Min Keep %"),
    Column("original_quantity", "Original Quantity"),
    Column("beta", "Beta"),
    Column("venue", "Venue"),
    Column("lot_step", "Lot Step"),
    Column("value", "Value"),
)
FUTURES_COLUMNS = (
    Column("symbol", "Symbol", ("Contract", "Instrument"), True),
    Column("underlying", "Underlying", ("Underlying Asset",), True),
    Column("side", "Side", ("Direction",), True),
    Column("size", "Size", ("Contracts", "Quantity", "Qty"), True),
    Column("entry_price", "Entry Price", ("Entry", "Avg Entry Price"), True),
    Column("mark_price", "Mark Price", ("Mark",), True),
    Column("leverage", "Leverage", ("Lev",)),
    Column("margin", "Margin", ("Isolated Margin", "Position Margin")),
    Column("maint_rate", "Maint Margin Rate %", ("Maintenance Margin Rate %", "MMR %")),
    Column("maint_amount", "Maint Amount", ("Maintenance Amount",)),
    Column("contract_type", "Type", ("Contract Type",)),
    Column("contract_value", "Contract Value", ("Face Value",)),
    Column("expiry", "Expiry", ("Expiry Date", "Expiration", "Maturity")),
    Column("funding_rate_8h", "Funding Rate 8h %", ("Funding Rate %", "Funding 8h %")),
    Column("underlying_price", "Underlying Price", ("Spot Price", "Index Price")),
    Column("venue", "Venue", ("Exchange",)),
)
TIERS_COLUMNS = (
    Column("trigger", "Trigger Multiple", ("Trigger", "Multiple"), True),
    Column("sell", "Sell %", ("Sell Fraction %", "Sell Percent"), True),
    Column("applies_to", "Applies To", ("Applies",)),
)
LOTS_COLUMNS = (
    Column("asset", "Asset", ("Symbol", "Coin", "Ticker"), True),
    Column("acquired", "Acquired", ("Date", "Acquired Date", "Purchase Date", "Acquired On")),
    Column("quantity", "Quantity", ("Qty", "Amount", "Units"), True),
    Column("unit_cost", "Unit Cost", ("Cost", "Price", "Avg Cost", "Cost Per Unit"), True),
)
PRICES_DATE = Column("date", "Date", ("Day",), True)

#: What each holdings field is called in messages and in the "read from" line.
FIELD_TITLES = {c.field: c.title for c in HOLDINGS_COLUMNS}


# -- currencies in headers (SPEC 3.9 items 6 and 9, 3.10) -------------------------------------

#: Codes a pair ticker may end in (``btcinr``) and a header may name in any case as a bare first
#: or last word (``price_usd``). Any other ISO 4217 code names a currency only in brackets,
#: after ``in``/``en``… or written in capitals (``ALL``, ``TOP`` and ``PEN`` are words too).
CURRENCY_CODES = frozenset({
    "USD", "USDT", "USDC", "BUSD", "EUR", "GBP", "INR", "JPY", "CHF", "AUD", "CAD", "CNY",
    "HKD", "SGD", "KRW", "BRL", "TRY", "RUB", "ZAR", "NZD", "SEK", "NOK", "DKK", "PLN", "MXN",
    "IDR", "THB", "PHP", "VND", "NGN", "AED", "BTC", "ETH",
})
#: Quotes that price in US dollars: a USD book's stablecoins count at 1 and its pairs strip them.
USD_FAMILY = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "DAI", "PYUSD",
                        "USDE"})
#: Codes a header names in any case in brackets or after ``in``, and in capitals as a bare word:
#: ISO 4217 codes in use, stablecoins and the coins books are kept in (core.currencies, CLDR).
_CODES = frozenset(currencies.MINOR_UNITS) | frozenset(currencies.STABLECOINS) | currencies.COINS
#: Words for a currency a header may end in (``Цена, руб.``, ``Price in rupees``): only as a
#: word of their own, in any case. ``""``: a word of no one currency (``kr`` is SEK, NOK, DKK
#: or ISK; ``元`` CNY or TWD): taken off the header, the column's currency unknown.
_CURRENCY_WORDS = {
    "zł": "PLN", "zl": "PLN", "руб": "RUB", "р": "RUB", "kr": "", "元": "", "円": "JPY",
    "원": "KRW", "rp": "IDR", "rs": "INR", "ft": "HUF", "kč": "CZK", "lei": "RON", "tl": "TRY",
    "грн": "UAH", "лв": "BGN", "rmb": "CNY", "yuan": "CNY", "yen": "JPY", "won": "KRW",
    "rupee": "INR", "rupees": "INR", "dollar": "USD", "dollars": "USD", "euro": "EUR",
    "euros": "EUR",
}
#: Currency signs, from CLDR: any symbol with a currency sign in it (``$``, ``R$``, ``NT$``,
#: ``CN¥``, ``₩``). They come off any word they touch (``Price$``), the longest first.
CURRENCY_SYMBOLS = {s: c for s, c in currencies.SYMBOL_NAMES.items()
                    if any(unicodedata.category(ch) == "Sc" for ch in s) and " " not in s}
_SIGN_RE = re.compile("|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len,
                                                                 reverse=True)))


def _currency_word(token: str, loose: bool) -> str | None:
    """The currency one word of a header names (``""``: a word of no one currency), or None.
    ``loose`` (in brackets, after ``in``): any code in any case; otherwise a common code
    (:data:`CURRENCY_CODES`) in any case, any other only in capitals (``ALL``, ``TOP``, ``PEN``,
    ``LINK`` and ``DOT`` are words too)."""
    up = token.upper()
    if token in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[token]
    if token.casefold() in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[token.casefold()]
    if up in CURRENCY_CODES or (up in _CODES and (loose or token.isupper())):
        return up
    return None


# -- taking a header apart (SPEC 3.9 item 9) ---------------------------------------------------

_OPEN, _CLOSE = "([{<【「〔《〈", ")]}>】」〕》〉"
_BRACKETS = re.compile(f"[{re.escape(_OPEN)}]([^{re.escape(_OPEN + _CLOSE)}]*)"
                       f"[{re.escape(_CLOSE)}]")
#: camelCase apart where a word of two or more letters ends (``avgPrice``, ``numeroDeAcciones``;
#: not a one-letter prefix: ``gDAI``, ``eToro``)
_CAMEL = re.compile(r"(?<=[A-Za-zÀ-ÿ0-9][a-zà-ÿ])(?=[A-ZÀ-Þ])|(?<=[A-ZÀ-Þ])(?=[A-ZÀ-Þ][a-zà-ÿ])")
_SEPARATORS = re.compile(r"[\s_\-–—./\\:,;|+*?!¿¡\"“”«»・·=~^]+")
_APOSTROPHES = re.compile(r"['’`´]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _split(text: str) -> list[str]:
    """Words of a header, in their own case: camelCase, snake_case, kebab-case, dots and slashes
    apart; a currency sign, ``%`` and ``#`` are words of their own (``Price$`` → ``Price $``)."""
    text = _CAMEL.sub(" ", text)
    text = _SIGN_RE.sub(lambda m: f" {m.group(0)} ", text)
    text = text.replace("+/-", " ± ").replace("%", " % ").replace("#", " # ")
    return [w for w in _SEPARATORS.split(_APOSTROPHES.sub("", text)) if w]


@dataclass(frozen=True)
class _Grammar:
    """The words that take a header apart rather than name a field, from every table."""

    currency_words: frozenset[str]  # in, en, em, w, в
    joiners: frozenset[str]  # de, of, der: ignored
    qualifiers: frozenset[tuple[str, ...]]  # current; real time
    cjk_qualifiers: tuple[str, ...]  # dropped from the start or end of a key: 当前价格
    counts: frozenset[tuple[str, ...]]  # no of; #


@dataclass(frozen=True, slots=True)
class _Parts:
    words: tuple[str, ...]  # the header's words in lower case, its currency taken out
    aside: tuple[str, ...]  # words in brackets that name no currency (``(LSE:IEEM)``)
    currency: str | None
    percent: bool  # a ``%`` among them: a percent names no field but Min Keep %
    only_currency: bool  # nothing but ``in USD``: a value in that currency


def _parts(text: str, t: _Grammar) -> _Parts:
    text = unicodedata.normalize("NFKC", text)
    currency = None
    aside: list[str] = []
    for inner in _BRACKETS.findall(text):
        words = _split(inner)
        if len(words) == 2 and words[0].casefold() in t.currency_words:
            words = words[1:]  # (in USD)
        found = _currency_word(words[0], loose=True) if len(words) == 1 else None
        if found is None:
            aside += words
        currency = currency or found or None
    words = _split(_BRACKETS.sub(" ", text))
    percent = "%" in words or "%" in aside
    kept: list[str] = []
    signed = False  # a currency was named (a sign, or after in): kept or not
    i = 0
    while i < len(words):
        w = words[i]
        nxt = _currency_word(words[i + 1], loose=True) if i + 1 < len(words) else None
        if w in CURRENCY_SYMBOLS:  # a sign anywhere: $ € R$
            currency = currency or CURRENCY_SYMBOLS[w]
            signed = True
        elif nxt is not None and w.casefold() in t.currency_words:  # Value in USD, w PLN
            currency = currency or nxt or None
            signed = True
            i += 1
        elif w != "%":
            kept.append(w)
        i += 1
    only = not kept and signed and len(words) > 1
    # a currency as the last word (price_usd, Price EUR) or, in capitals, the first (USD Price;
    # not usd-coin, a coin's name)
    if len(kept) > 1 and (found := _currency_word(kept[-1], loose=False)) is not None:
        currency = currency or found or None
        kept.pop()
    if len(kept) > 1 and kept[0].isupper() and \
            (found := _currency_word(kept[0], loose=False)) is not None:
        currency = currency or found or None
        kept.pop(0)
    return _Parts(_fold(kept, t.joiners), _fold(aside, t.joiners), currency, percent, only)


def _fold(words: list[str], joiners: frozenset[str]) -> tuple[str, ...]:
    """Lower case without what case does to Turkish i's (VARLIK and Varlık are one word)."""
    folded = (w.casefold().replace("ı", "i").replace("\u0307", "") for w in words)
    return tuple(f for f in folded if f not in joiners and f != "%")


# -- the vocabulary as data (SPEC 3.9 item 9) --------------------------------------------------

#: The holdings fields a header may name.
FIELDS = tuple(c.field for c in HOLDINGS_COLUMNS)


@dataclass(frozen=True)
class Vocabulary:
    """One language's header words, or one broker's or exchange's export columns.

    What :func:`read_header` matches, and what the tracker generator of the tests builds
    headers from. ``fields`` gives each holdings field's words by rank (``fields["asset"][0]``
    the best); ``other`` the words of columns that are none of them, by kind (``pnl``,
    ``change``, ``weight``, ``fee``, ``note``, ``rate``, ``target``).
    """

    code: str  # "de", or a broker's: "kite"
    name: str  # "German", "Zerodha Kite"
    kind: str  # "language" or "broker"
    fields: Mapping[str, tuple[tuple[str, ...], ...]]
    other: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    totals: tuple[str, ...] = ()  # first cells of a totals row: Total, Summe, 合計
    dates: tuple[str, ...] = ()  # date or time columns: Date, Datum, 日付
    actions: tuple[str, ...] = ()  # a log's buy/sell column: Type, Side, Typ
    action_values: tuple[str, ...] = ()  # what such a column holds: Buy, Sell, Kauf
    qualifiers: tuple[str, ...] = ()  # words a match may drop: Current, aktuell, 当前
    counts: tuple[str, ...] = ()  # a count before a word: No. of, Anzahl, #
    currency_words: tuple[str, ...] = ()  # a currency after them: in, en, em, w, в
    joiners: tuple[str, ...] = ()  # words matching ignores: de, of, der
    source: str = ""  # where the words come from (brokers: the export)

    def ranked(self, field_name: str) -> Iterator[tuple[int, str]]:
        """(rank, word) for every word of one field, rank 0 the best."""
        for rank, words in enumerate(self.fields.get(field_name, ())):
            yield from ((rank, w) for w in words)


_LISTS = ("totals", "dates", "actions", "action_values", "qualifiers", "counts",
          "currency_words", "joiners")


def _record(code: str, kind: str, data: dict) -> Vocabulary:
    words = data.get("words", {})
    unknown = set(data.get("fields", {})) - set(FIELDS)
    if unknown:  # a typo in a data file must not pass silently
        raise ValueError(f"vocabulary {code}: unknown fields {sorted(unknown)}")
    return Vocabulary(
        code=data.get("code", code), name=data["name"], kind=kind,
        fields={f: tuple(tuple(r) for r in ranks) for f, ranks in data.get("fields", {}).items()},
        other={k: tuple(v) for k, v in data.get("other", {}).items()},
        source=data.get("source", ""), **{k: tuple(words.get(k, ())) for k in _LISTS})


def _vocab_dir():
    return resources.files(__package__).joinpath("vocab")


@functools.cache
def languages() -> tuple[Vocabulary, ...]:
    """Every language table (vocab/languages/*.toml), English first."""
    import tomllib  # only the tests, the generator and tools/gen_vocab_index.py read the tables

    files = sorted((f for f in _vocab_dir().joinpath("languages").iterdir()
                    if f.name.endswith(".toml")), key=lambda f: (f.name != "en.toml", f.name))
    return tuple(_record(f.name[:-5], "language", tomllib.loads(f.read_text("utf-8")))
                 for f in files)


@functools.cache
def brokers() -> tuple[Vocabulary, ...]:
    """Every broker and exchange export (vocab/brokers.toml), in the file's order."""
    import tomllib

    data = tomllib.loads(_vocab_dir().joinpath("brokers.toml").read_text("utf-8"))
    return tuple(_record(code, "broker", d) for code, d in data.items() if isinstance(d, dict))


@functools.lru_cache(maxsize=16384)
def key(text: str) -> str:
    """The form header words are compared in: ``Avg. Buy-Price (USD)`` → ``avgbuyprice``."""
    return "".join(_parts(text, _index().grammar).words)


def _split_words(word: str, joiners: frozenset[str]) -> tuple[str, ...]:
    return _fold(_split(unicodedata.normalize("NFKC", word)), joiners)


def _grammar_of(lists: Mapping[str, list]) -> _Grammar:
    joiners = frozenset(lists["joiners"])
    qualifiers = frozenset(tuple(q) for q in lists["qualifiers"])
    return _Grammar(
        frozenset(lists["currency_words"]), joiners, qualifiers,
        tuple(sorted({"".join(q) for q in qualifiers if _CJK.search("".join(q))},
                     key=len, reverse=True)),
        frozenset(tuple(c) for c in lists["counts"]))


def build_index(tables: Iterable[Vocabulary] | None = None
                ) -> tuple[dict, tuple[tuple[str, tuple[str, ...]], ...]]:
    """What :func:`read_header` needs, from every table (the shipped ones unless given, the
    first table's meaning of a word winning): the words that take a header apart, and each word
    by its key with its meaning (JSON-ready), and the keys two tables give different meanings
    or ranks (a data error the tests refuse). tools/gen_vocab_index.py writes it to
    vocab/index.json, which a run loads instead of parsing every table."""
    vocabs = (*languages(), *brokers()) if tables is None else tuple(tables)
    joiners = sorted({w.casefold() for v in vocabs for w in v.joiners})

    def words(name: str) -> list[list[str]]:
        found = {_split_words(w, frozenset(joiners)) for v in vocabs for w in getattr(v, name)}
        return sorted(list(q) for q in found - {()})

    lists = {"currency_words": sorted({w.casefold() for v in vocabs for w in v.currency_words}),
             "joiners": joiners, "qualifiers": words("qualifiers"), "counts": words("counts")}
    grammar = _grammar_of(lists)
    fields: dict[str, list] = {}
    other: dict[str, str] = {}
    meanings: dict[str, set[str]] = {}
    for v in vocabs:
        for f in FIELDS:
            for rank, word in v.ranked(f):
                p = _parts(word, grammar)
                k = "".join(p.words)
                if not k:
                    continue
                # a word with its currency (Value in EUR, BTC Value) is read as the word: its
                # rank comes from the currency (read_header), not from the table
                meanings.setdefault(k, set()).add(f if p.currency or not rank
                                                  else f"{f} rank {rank}")
                fields.setdefault(k, [f, 0 if p.currency else rank])
    for v in vocabs:
        for kind, ws in {**v.other, "date": v.dates, "side": v.actions}.items():
            for k in filter(None, ("".join(_parts(w, grammar).words) for w in ws)):
                meanings.setdefault(k, set()).add(kind)
                other.setdefault(k, kind)

    def keys(name: str) -> list[str]:
        return sorted({"".join(_parts(w, grammar).words) for v in vocabs
                       for w in getattr(v, name)} - {""})

    index = {**lists, "fields": dict(sorted(fields.items())),
             "other": {k: o for k, o in sorted(other.items()) if k not in fields},
             "totals": keys("totals"), "action_values": keys("action_values")}
    conflicts = tuple(sorted((k, tuple(sorted(m))) for k, m in meanings.items() if len(m) > 1))
    return index, conflicts


@dataclass(frozen=True)
class _Index:
    """vocab/index.json as read_header uses it (loaded once, on first use)."""

    grammar: _Grammar
    fields: dict[str, tuple[str, int]]  # key -> (field, rank)
    other: dict[str, str]  # key -> kind (never a key of ``fields``)
    totals: frozenset[str]
    action_values: frozenset[str]


@functools.cache
def _index() -> _Index:
    data = json.loads(_vocab_dir().joinpath("index.json").read_text("utf-8"))
    return _Index(_grammar_of(data), {k: (f, r) for k, (f, r) in data["fields"].items()},
                  data["other"], frozenset(data["totals"]), frozenset(data["action_values"]))


# -- reading a header --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderWord:
    """A header cell understood: the holdings field it names (or None), its rank and currency,
    and for a column that names no field, what it is instead (``other``: ``pnl``, ``change``,
    ``weight``, ``date``, ``side``, ``fee``, ``note``, ``rate``, ``target``, ``percent``), so
    the reader knows what a column is not."""

    field: str | None
    rank: int = 0
    currency: str | None = None
    other: str | None = None


def _drop_counts(words: tuple[str, ...], counts: frozenset) -> tuple[str, ...]:
    """Without a count before the word (``No. of Shares``, ``Anzahl der Aktien``) or a ``#``
    after it (``Shares #``)."""
    for n in (3, 2, 1):
        if len(words) > n and words[:n] in counts:
            return words[n:]
    return words[:-1] if len(words) > 1 and words[-1] == "#" else words


def _qualifier_at(words: tuple[str, ...], i: int, qualifiers: frozenset) -> int:
    """How many words from ``i`` on are one qualifier (``real time`` is two), or 0."""
    return next((n for n in (3, 2, 1) if i + n <= len(words) and words[i:i + n] in qualifiers),
                0)


def _unqualified(words: tuple[str, ...], qualifiers: frozenset) -> list[tuple[str, ...]]:
    """The words without qualifiers, one at a time from the start, then from the end, then
    without any: ``Current Last Traded Price`` → ``Last Traded Price``; ``Precio Compra Total
    actual`` keeps its Total (cost basis) before it loses it (average cost)."""
    out = []
    i = 0
    while i < len(words) and (n := _qualifier_at(words, i, qualifiers)):
        i += n
        out.append(words[i:])
    j = len(words)
    while j > 0 and (n := next((n for n in (3, 2, 1) if n <= j and words[j - n:j] in qualifiers),
                               0)):
        j -= n
        out.append(words[:j])
    rest: list[str] = []
    i = 0
    while i < len(words):
        n = _qualifier_at(words, i, qualifiers)
        if not n:
            rest.append(words[i])
        i += n or 1
    return [*out, tuple(rest)]


def _drop_cjk(text: str, qualifiers: tuple[str, ...]) -> str:
    """Without a CJK qualifier at the start or end (当前价格 → 价格, 現在値 stays whole)."""
    changed = True
    while changed:
        changed = False
        for q in qualifiers:
            if text.startswith(q) and len(text) > len(q):
                text, changed = text[len(q):], True
            elif text.endswith(q) and len(text) > len(q):
                text, changed = text[:-len(q)], True
    return text


def _meaning(parts: _Parts) -> tuple[tuple[str, int] | None, str | None]:
    """The field (and rank) or other kind the first form of the words a table knows gives."""
    t = _index()
    g = t.grammar
    words = parts.words
    counted = _drop_counts(words, g.counts)
    forms = [words + parts.aside, words, *_unqualified(words, g.qualifiers), counted,
             *_unqualified(counted, g.qualifiers)]
    keys = ["".join(f) for f in forms]
    if g.cjk_qualifiers:
        keys.append(_drop_cjk(keys[-1], g.cjk_qualifiers))
    for k in keys:
        if k in t.fields:
            return t.fields[k], None
        if k in t.other:
            return None, t.other[k]
    if not forms[-1]:  # every word qualifies: the word is the one of them that names a field
        named = {t.fields[w] for w in counted if w in t.fields}
        if len(named) == 1:  # Bestand aktuell; not Last Asset
            return named.pop(), None
    return None, None


_MONEY_FIELDS = frozenset({"price", "value", "avg_cost", "cost_basis"})


@functools.lru_cache(maxsize=16384)
def _read(text: str) -> HeaderWord:
    parts = _parts(text, _index().grammar)
    money = bool(parts.currency) and currencies.tracks(parts.currency) in currencies.MINOR_UNITS
    hit, other = _meaning(parts)
    if hit is None and other is None and not parts.percent and (parts.only_currency or (
            parts.currency and not _unqualified(parts.words, _index().grammar.qualifiers)[-1])):
        # In USD, en EUR, w PLN; Total USD, ACTUAL ARS: an amount in a currency is a value
        return HeaderWord("value", int(not money), parts.currency)
    if parts.percent and (hit is None or hit[0] != "min_keep"):  # Share %, % of Portfolio
        return HeaderWord(None, 0, parts.currency, other or "percent")
    if hit is None:
        return HeaderWord(None, 0, parts.currency, other)
    field_name, rank = hit
    if field_name == "quantity" and money:  # Amount (EUR), holdings_usd: money, not units
        field_name = "value"
    if field_name in _MONEY_FIELDS and parts.currency and not money:
        rank = max(rank, 1)  # IN BTC beside IN USD: a value in a coin only when none in money
    return HeaderWord(field_name, rank, parts.currency)


def read_header(value: object) -> HeaderWord:
    """What a header cell names (SPEC 3.9 items 4 and 9), in any language the vocabulary has.

    The header is taken apart first: words out of snake_case, camelCase, kebab-case, dots and
    slashes; a currency out of any brackets, after ``in``/``en``/``em``/``w``/``в``, or as a
    first or last word (kept as :attr:`HeaderWord.currency`); then it is matched whole, without
    a leading count (``#``, ``No. of``), and without qualifiers (Current, Total, aktuell),
    the first form that a table knows giving the meaning.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return HeaderWord(None)
    return _read(value.strip())


def total_word(text: str) -> bool:
    """Whether a row's first text cell says the row sums the rows above (SPEC 3.9 item 2)."""
    start = unicodedata.normalize("NFKC", text.lstrip()[:1]).lower()
    if start not in _total_starts():  # a row's first text is mostly a name: decided cheaply
        return False
    k = key(text.rstrip(": "))
    return k in _index().totals or k.startswith(("total", "subtotal", "grandtotal"))


@functools.lru_cache(maxsize=1)
def _total_starts() -> frozenset[str]:
    """The first letters a totals word may begin with, in any table (``t``, ``s``, ``и``, ``合``)."""
    return frozenset(k[:1] for k in _index().totals) | {"t", "s", "g"}


def action_value(text: str) -> bool:
    """Whether a cell of a log's action column is a buy, sell, deposit… in some language."""
    return key(text) in _index().action_values


def __getattr__(name: str):  # the tables load on first use, not on import
    if name == "LANGUAGES":
        return languages()
    if name == "BROKERS":
        return brokers()
    raise AttributeError(name)


__all__ = ["BROKERS", "CURRENCY_CODES", "CURRENCY_SYMBOLS", "Column", "FIELDS", "FIELD_TITLES",
           "FUTURES_COLUMNS", "HOLDINGS_COLUMNS", "HeaderWord", "INPUT_NORMS", "INPUT_SHEETS",
           "LANGUAGES", "LOTS_COLUMNS", "PLAN_NORMS", "PRICES_DATE", "TIERS_COLUMNS",
           "USD_FAMILY", "Vocabulary", "action_value", "brokers", "build_index", "key", "languages", "norm",
           "read_header", "total_word"]
