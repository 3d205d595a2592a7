"""Tracker workbooks with known truth, generated from a seed (issues #17 and #18).

``generate(seed)`` builds a workbook such as users keep — a holdings table under a title and KPI
block, off column A, with totals rows, second tables below and beside, logs and price histories
on other sheets, their own Settings sheet, headers in any language table or broker export of the
vocabulary and in any header form, decoys, numbers stored as text, several currencies — and says
what a reading by SPEC 3.9/3.10 must give: the positions (asset, quantity, price in the base
currency), T, the base currency, the table's sheet and header row, the mapping, the rates; or a
refusal, its reason and the cells it must name. Every feature cites the SPEC item that makes its
truth what it is; cases SPEC leaves open are not generated.

The book comes as a :class:`~derisk_xl.workbook.grid.WorkbookGrid` (what the file loader would
give, so thousands run through ``parse_inputs`` in seconds) and as a real ``.xlsx``
(:meth:`Tracker.write_xlsx`), for the cell scan. :func:`check` compares a reading with the truth.

    python -m tests.trackers --seed 7 --show --dump tracker-7.xlsx   # one book, truth, reading
    python -m tests.trackers --seed 0 --count 5000 [--dump DIR]       # a campaign, by feature
    python -m tests.trackers --seed 0 --count 5000 --only numbers:none  # the books with a feature

A seed gives the same book for the same vocabulary data: the header words are drawn from it, so
a change of the tables (a word added, a rank changed) draws other books from the same seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property
from pathlib import Path
from typing import Callable

from derisk_xl.workbook import vocabulary as _vocabulary
from derisk_xl.workbook.grid import (
    CellValue, ExcelError, SheetGrid, TableRef, WorkbookGrid, column_letter, coordinate, sheet_ref,
)

D = Decimal
AS_OF = dt.date(2026, 11, 28)

# =============================================================================================
# Words: the vocabulary data, and what no table of it knows
# =============================================================================================


Words = _vocabulary.Vocabulary


def vocabularies() -> tuple[Words, ...]:
    """Every language table and broker export of the vocabulary data (SPEC 3.9 item 9)."""
    return (*_vocabulary.languages(), *_vocabulary.brokers())


def broker(words: Words) -> bool:
    return words.kind == "broker"


def norm_word(text: str) -> str:
    """A word as the tables are compared here: case, spaces, ``_-./:#%`` aside."""
    return re.sub(r"[\s_\-.#%:/\u00a0\u3000]+", "", text).casefold()


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True, eq=False)
class WordIndex:
    """Every table, and each written word's meanings over all of them: a word is written over a
    column only when it means one thing in every table (SPEC 3.9 item 9: the tables are one
    vocabulary), so the truth never rests on which table a reader consults first."""

    tables: tuple[Words, ...]
    meanings: dict[str, frozenset[str]]
    qualifiers: frozenset[str]

    def words(self, table: Words, fld: str, rank: int | None = 0) -> list[str]:
        """``table``'s words for ``fld`` (of ``rank``; None: the best rank it has) that mean
        only that."""
        return self._words(table.code, fld, rank)

    @functools.lru_cache(maxsize=None)
    def _words(self, code: str, fld: str, rank: int | None) -> list[str]:
        table = next(t for t in self.tables if t.code == code)
        ranks = table.fields.get(fld, ())
        if rank is None:
            rank = next((k for k, g in enumerate(ranks) if self._usable(g, fld, k)), 0)
        return self._usable(ranks[rank], fld, rank) if rank < len(ranks) else []

    def _usable(self, group, fld: str, rank: int) -> list[str]:
        return [w for w in group if self.meanings.get(norm_word(w)) == {f"{fld}:{rank}"}]

    def other(self, table: Words, kind: str) -> list[str]:
        return self._other(table.code, kind)

    @functools.lru_cache(maxsize=None)
    def _other(self, code: str, kind: str) -> list[str]:
        table = next(t for t in self.tables if t.code == code)
        return [w for w in table.other.get(kind, ())
                if self.meanings.get(norm_word(w)) == {f"other:{kind}"}]

    @functools.lru_cache(maxsize=None)
    def known(self, text: str) -> bool:
        """Whether ``text``, or any word or part of it, is a word of some table."""
        parts = [p for p in re.split(r"[\s_\-./()\[\]]+", text) if p]
        whole = norm_word(text)
        return any(norm_word(p) in self.meanings or norm_word(p) in self.qualifiers
                   for p in [text, *parts]) or any(
            len(k) > 1 and k in whole for k in self._cjk_keys)

    @cached_property
    def _cjk_keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.meanings if _CJK.search(k))


def _bare_forms(phrase: str, qualifiers: frozenset[str]) -> set[str]:
    """The phrase without its qualifiers, as a reader may try it (SPEC 3.9 item 9: qualifiers
    are not needed for a match): from the start, from the end, all of them; a CJK qualifier
    off either end."""
    words = [norm_word(w) for w in phrase.split()]
    out = set()
    i = 0
    while i < len(words) - 1 and words[i] in qualifiers:
        i += 1
        out.add("".join(words[i:]))
    j = len(words)
    while j > 1 and words[j - 1] in qualifiers:
        j -= 1
        out.add("".join(words[:j]))
    rest = [w for w in words if w not in qualifiers]
    if rest and len(rest) < len(words):
        out.add("".join(rest))
    whole = norm_word(phrase)
    for q in qualifiers:
        if _CJK.search(q) and len(whole) > len(q):
            if whole.startswith(q):
                out.add(whole[len(q):])
            if whole.endswith(q):
                out.add(whole[:-len(q)])
    return out - {whole}


def _vocabulary_index() -> WordIndex:
    tables = vocabularies()
    meanings: dict[str, set[str]] = defaultdict(set)
    qualifiers = frozenset(norm_word(q) for t in tables for q in t.qualifiers)
    phrases = []
    for t in tables:
        for fld, ranks in t.fields.items():
            for k, group in enumerate(ranks):
                for w in group:
                    meanings[norm_word(w)].add(f"{fld}:{k}")
                    phrases.append(w)
        for kind, words in t.other.items():
            for w in words:
                meanings[norm_word(w)].add(f"other:{kind}")
                phrases.append(w)
        for kind, words in (("totals", t.totals), ("date", t.dates), ("action", t.actions),
                            ("count", t.counts)):
            for w in words:
                meanings[norm_word(w)].add(kind)
    for q in qualifiers:
        meanings[q].add("qualifier")
    # a phrase whose bare form means something else than the phrase does is doubtful, and
    # never written
    for w in phrases:
        own = meanings[norm_word(w)]
        if any(b in meanings and meanings[b] != own for b in _bare_forms(w, qualifiers)):
            own.add("doubtful")
    return WordIndex(tables, {w: frozenset(m) for w, m in meanings.items()}, qualifiers)


VOCAB = _vocabulary_index()
LANGUAGES = tuple(t for t in VOCAB.tables if not broker(t))
BROKERS = tuple(t for t in VOCAB.tables if broker(t))
ENGLISH = next(t for t in LANGUAGES if t.code == "en")


#: Header words of languages no vocabulary table holds (SPEC 3.9 item 8: numbers decide), by
#: role; a word some table knows is dropped when the vocabulary is read (see :func:`unknown`).
_UNKNOWN_LANGUAGES = {
    "fi": {"asset": ("Kohde", "Arvopaperi"), "quantity": ("Määrä", "Kappalemäärä"),
           "price": ("Kurssi", "Hinta"), "value": ("Arvo", "Markkina-arvo"),
           "venue": ("Välittäjä",), "totals": ("Yhteensä",)},
    "hu": {"asset": ("Eszköz", "Értékpapír"), "quantity": ("Mennyiség", "Darab"),
           "price": ("Árfolyam",), "value": ("Érték", "Piaci érték"),
           "venue": ("Számla",), "totals": ("Összesen",)},
    "sw": {"asset": ("Sarafu", "Hisa"), "quantity": ("Kiasi", "Idadi"), "price": ("Bei",),
           "value": ("Thamani",), "venue": ("Soko",), "totals": ("Jumla kuu",)},
    "vi": {"asset": ("Mã CK",), "quantity": ("Số lượng", "Khối lượng"),
           "price": ("Giá hiện tại", "Đơn giá"), "value": ("Thành tiền",),
           "venue": ("Sàn",), "totals": ("Tổng cộng",)},
    "el": {"asset": ("Σύμβολο", "Μετοχή"), "quantity": ("Ποσότητα", "Τεμάχια"),
           "price": ("Τιμή", "Τρέχουσα τιμή"), "value": ("Αξία", "Τρέχουσα αξία"),
           "venue": ("Πλατφόρμα",), "totals": ("Σύνολο",)},
    "made-up": {"asset": ("Vorkel", "Drimsa"), "quantity": ("Tulvo", "Brenkat"),
                "price": ("Zelmar", "Quorrin"), "value": ("Faskel", "Morvil"),
                "venue": ("Pelvin",), "totals": ("Grobbel",)},
}


def unknown(rng: random.Random, role: str, lang: str, taken: set[str]) -> str | None:
    """A header word for ``role`` that no vocabulary table knows, in the language ``lang``."""
    words = [w for w in _UNKNOWN_LANGUAGES[lang].get(role, ())
             if not VOCAB.known(w) and norm_word(w) not in taken]
    return rng.choice(words) if words else None


def unknown_language(rng: random.Random) -> str:
    usable = [k for k, v in _UNKNOWN_LANGUAGES.items() if all(
        any(not VOCAB.known(w) for w in v[r]) for r in ("asset", "quantity", "price", "value"))]
    return rng.choice(usable)


# =============================================================================================
# Currencies and markets
# =============================================================================================

#: US dollars per unit (rounded; the truth uses the rate the book gives, not these).
USD_PER = {"USD": D(1), "EUR": D("1.085"), "GBP": D("1.27"), "CHF": D("1.12"), "JPY": D("0.0067"),
           "INR": D("0.012"), "CAD": D("0.73"), "AUD": D("0.66"), "PLN": D("0.25"),
           "BRL": D("0.19"), "TRY": D("0.031"), "RUB": D("0.011"), "KRW": D("0.00074"),
           "IDR": D("0.000063"), "CNY": D("0.138"), "TWD": D("0.031")}
#: Decimals of each currency's minor unit (SPEC 3.10): values are shown rounded to them.
MINOR = {"JPY": 0, "KRW": 0, "IDR": 0}
#: Symbols SPEC 3.9 item 4 lists; other currencies are named by their code.
SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}
FORMAT = {"USD": '"$"#,##0.00', "EUR": '#,##0.00 [$€-407]', "GBP": '"£"#,##0.00',
          "INR": '[$₹-4009] #,##0.00', "JPY": '[$¥-411]#,##0', "KRW": '[$₩-412]#,##0'}
STABLES = ("USDT", "USDC", "DAI")

#: (ticker, name, low price, high price) in the market's currency.
_CRYPTO = (("BTC", "Bitcoin", 20000, 62000), ("ETH", "Ethereum", 1500, 4000),
           ("SOL", "Solana", 20, 200), ("BNB", "BNB", 200, 600), ("XRP", "XRP", 0.3, 3),
           ("ADA", "Cardano", 0.2, 1.5), ("DOGE", "Dogecoin", 0.05, 0.4),
           ("SHIB", "Shiba Inu", 0.000005, 0.00003), ("PEPE", "Pepe", 0.000001, 0.00002),
           ("DOT", "Polkadot", 3, 30), ("AVAX", "Avalanche", 10, 100),
           ("LINK", "Chainlink", 5, 30), ("MATIC", "Polygon", 0.3, 2), ("ATOM", "Cosmos", 5, 20),
           ("UNI", "Uniswap", 3, 15), ("LTC", "Litecoin", 50, 200), ("NEAR", "NEAR", 1, 8),
           ("ARB", "Arbitrum", 0.5, 2), ("XMR", "Monero", 100, 250), ("ALGO", "Algorand", 0.1, 0.4),
           ("AAVE", "Aave", 50, 300), ("MKR", "Maker", 1000, 3000), ("INJ", "Injective", 10, 40),
           ("YFI", "yearn.finance", 5000, 30000), ("GRT", "The Graph", 0.1, 0.4))
_STOCKS = {
    "USD": (
        ("AAPL", "Apple", 150, 230), ("MSFT", "Microsoft", 300, 450),
        ("NVDA", "NVIDIA", 100, 900), ("AMZN", "Amazon", 100, 200),
        ("GOOGL", "Alphabet", 100, 180), ("TSLA", "Tesla", 150, 300), ("META", "Meta", 300, 550),
        ("JPM", "JPMorgan", 150, 220), ("KO", "Coca-Cola", 55, 70),
        ("BRK.B", "Berkshire Hathaway", 350, 450), ("V", "Visa", 230, 290), ("T", "AT&T", 15, 20),
        ("PLTR", "Palantir", 15, 30), ("AMD", "AMD", 100, 200), ("XOM", "Exxon Mobil", 90, 120),
    ),
    "EUR": (
        ("SAP", "SAP", 120, 200), ("SIE", "Siemens", 120, 190), ("ALV", "Allianz", 200, 280),
        ("ASML", "ASML", 600, 900), ("MC", "LVMH", 600, 850), ("AIR", "Airbus", 120, 170),
        ("BAS", "BASF", 40, 55), ("ENEL", "Enel", 5, 7), ("ITX", "Inditex", 35, 50),
        ("INGA", "ING", 12, 17), ("DTE", "Deutsche Telekom", 20, 28),
        ("IWDA", "iShares MSCI World", 70, 95),
    ),
    "GBP": (
        ("SHEL", "Shell", 24, 30), ("HSBA", "HSBC", 6, 8), ("ULVR", "Unilever", 38, 48),
        ("AZN", "AstraZeneca", 95, 125), ("VWRL", "Vanguard FTSE All-World", 95, 115),
        ("BP", "BP", 4, 5.5), ("LLOY", "Lloyds", 0.45, 0.6),
    ),
    "INR": (
        ("RELIANCE", "Reliance Industries", 2400, 3000), ("TCS", "Tata Consultancy", 3500, 4200),
        ("INFY", "Infosys", 1400, 1900), ("HDFCBANK", "HDFC Bank", 1400, 1700),
        ("ITC", "ITC", 400, 480), ("SBIN", "State Bank of India", 550, 800),
        ("WIPRO", "Wipro", 400, 550), ("BHARTIARTL", "Bharti Airtel", 1000, 1500),
    ),
    "JPY": (
        ("7203.T", "Toyota", 2500, 3500), ("6758.T", "Sony", 12000, 14000),
        ("9984.T", "SoftBank Group", 7000, 9500), ("8306.T", "MUFG", 1300, 1700),
    ),
    "KRW": (
        ("005930.KS", "Samsung Electronics", 70000, 85000),
        ("000660.KS", "SK Hynix", 150000, 200000), ("035420.KS", "NAVER", 170000, 220000),
    ),
    "PLN": (
        ("PKN", "Orlen", 55, 70), ("PKO", "PKO BP", 45, 60), ("CDR", "CD Projekt", 110, 150),
        ("PZU", "PZU", 45, 55),
    ),
    "TRY": (
        ("THYAO", "Türk Hava Yolları", 250, 320), ("ASELS", "Aselsan", 45, 60),
        ("GARAN", "Garanti BBVA", 80, 110), ("BIMAS", "BİM", 400, 520),
    ),
    "RUB": (
        ("SBER", "Сбербанк", 250, 320), ("GAZP", "Газпром", 150, 180),
        ("LKOH", "Лукойл", 6500, 7500),
    ),
    "CNY": (
        ("600519.SS", "贵州茅台", 1500, 1800), ("000858.SZ", "五粮液", 130, 160),
        ("601318.SS", "中国平安", 40, 50),
    ),
    "TWD": (
        ("2330.TW", "台積電", 700, 1000), ("2317.TW", "鴻海", 100, 200), ("2454.TW", "聯發科", 900, 1300),
    ),
    "IDR": (
        ("BBCA.JK", "Bank Central Asia", 9000, 10500),
        ("TLKM.JK", "Telkom Indonesia", 3000, 4000),
        ("BBRI.JK", "Bank Rakyat Indonesia", 4500, 6000),
    ),
    "BRL": (
        ("PETR4", "Petrobras", 35, 42), ("VALE3", "Vale", 60, 70),
        ("ITUB4", "Itaú Unibanco", 30, 36),
    ),
    "CAD": (
        ("SHOP", "Shopify", 90, 120), ("RY", "Royal Bank of Canada", 130, 150),
        ("ENB", "Enbridge", 48, 56),
    ),
}
_FUNDS = (
    ("Parag Parikh Flexi Cap Fund - Direct Growth", 60, 80),
    ("Axis Bluechip Fund - Direct Growth", 50, 65), ("Mirae Asset Large Cap Fund", 90, 110),
    ("SBI Small Cap Fund - Direct Growth", 150, 180), ("HDFC Index Fund Nifty 50 Plan", 200, 230),
    ("ICICI Prudential Balanced Advantage Fund", 60, 70),
    ("Kotak Emerging Equity Fund", 100, 125),
)
_VENUES = {
    "crypto": (
        "Binance", "Coinbase", "Kraken", "Ledger", "Trezor", "MetaMask", "Bybit", "KuCoin",
    ),
    "stock": (
        "Degiro", "IBKR", "Schwab", "Fidelity", "Trading 212", "eToro", "Zerodha",
    ),
    "fund": (
        "Groww", "Zerodha Coin", "Kuvera",
    ),
}
#: The currency a language's stock trackers are kept in.
_LANG_CURRENCY = {"en": ("USD", "GBP", "INR", "CAD", "EUR"), "de": ("EUR",), "fr": ("EUR",),
                  "es": ("EUR",), "pt": ("BRL", "EUR"), "it": ("EUR",), "nl": ("EUR",),
                  "pl": ("PLN",), "tr": ("TRY",), "ru": ("RUB",), "zh-Hans": ("CNY",),
                  "zh-Hant": ("TWD",), "ja": ("JPY",), "ko": ("KRW",), "id": ("IDR",)}
_SHEET_NAMES = {
    "en": ("Portfolio", "Sheet1", "Dashboard", "My Portfolio", "Positions", "Tracker",
           "Investments", "Summary", "Crypto"),
    "de": ("Depot", "Tabelle1", "Übersicht", "Bestand"),
    "fr": ("Portefeuille", "Feuil1"),
    "es": ("Cartera", "Hoja1", "Resumen"),
    "pt": ("Carteira", "Planilha1"),
    "it": ("Portafoglio", "Foglio1"),
    "nl": ("Portefeuille", "Blad1", "Overzicht"),
    "pl": ("Portfel", "Arkusz1"),
    "tr": ("Portföy", "Sayfa1"),
    "ru": ("Портфель", "Лист1"),
    "zh-Hans": ("投资组合", "持仓", "Sheet1"),
    "zh-Hant": ("投資組合", "持倉", "工作表1"),
    "ja": ("ポートフォリオ", "保有資産", "Sheet1"),
    "ko": ("포트폴리오", "보유자산", "Sheet1"),
    "id": ("Portofolio", "Aset", "Sheet1"),
}


def minor(currency: str) -> int:
    return MINOR.get(currency, 2)


def rounded(x: Decimal, places: int) -> Decimal:
    return x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def significant(x: Decimal, digits: int) -> Decimal:
    """``x`` to ``digits`` significant digits, as a price is quoted."""
    if x == 0:
        return x
    places = digits - 1 - x.adjusted()
    return rounded(x, max(places, 0)) if places >= 0 else rounded(x, 0)


def rate(frm: str, to: str) -> Decimal:
    """Units of ``to`` per unit of ``frm``, quoted to 6 significant digits as an FX table would."""
    return significant(USD_PER[frm] / USD_PER[to], 6)


def cell_number(x: Decimal) -> float:
    """The float a cell holds for ``x``; the reader reads it back as exactly ``x``."""
    f = float(x)
    assert D(repr(f)) == x, (x, f)
    return f


# =============================================================================================
# The book: sheets of cells, as a grid and as a file
# =============================================================================================

_PERCENT = "0.00%"


@dataclass
class Sheet:
    """One worksheet as it is being built: cells by (row, column), 0-based."""

    name: str
    cells: dict[tuple[int, int], CellValue] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)
    #: Excel Tables, each with whether a totals row follows its data: a loader's TableRef ends
    #: at the data (calamine's range), the file's table range takes the totals row in
    tables: list[tuple[TableRef, bool]] = field(default_factory=list)

    def put(self, r: int, c: int, v: CellValue, fmt: str | None = None) -> None:
        if v is None:
            self.cells.pop((r, c), None)
            return
        self.cells[(r, c)] = v
        if isinstance(v, dt.datetime):
            fmt = "yyyy-mm-dd h:mm:ss"
        elif isinstance(v, dt.date):
            fmt = "yyyy-mm-dd"
        if fmt:
            self.formats[(r, c)] = fmt

    def row(self, r: int, c: int, values) -> None:
        for k, v in enumerate(values):
            self.put(r, c + k, v)

    @property
    def last_row(self) -> int:
        return max((r for r, _ in self.cells), default=-1)

    def grid(self) -> SheetGrid:
        """What the file loader gives for this sheet: values from A1 as floats, the percent and
        date formats (the only ones it reports), merges and hidden rows."""
        if not self.cells:
            return SheetGrid(self.name)
        height = max(r for r, _ in self.cells) + 1
        width = max(c for _, c in self.cells) + 1
        rows = [[None] * width for _ in range(height)]
        for (r, c), v in self.cells.items():
            rows[r][c] = float(v) if type(v) is int else v
        shown = {k: f for k, f in self.formats.items() if k in self.cells and
                 ("%" in f or f.startswith("yyyy"))}
        return SheetGrid(self.name, tuple(tuple(r) for r in rows), shown,
                         frozenset(self.hidden), tuple(self.merged))


@dataclass
class Book:
    sheets: list[Sheet] = field(default_factory=list)

    def add(self, name: str, at: int | None = None) -> Sheet:
        s = Sheet(name)
        self.sheets.insert(len(self.sheets) if at is None else at, s)
        return s

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def grid(self, source: str) -> WorkbookGrid:
        return WorkbookGrid(
            sheets=tuple(s.grid() for s in self.sheets),
            sheet_names=tuple(s.name for s in self.sheets),
            tables=tuple(t for s in self.sheets for t, _ in s.tables), source=source)

    def write_xlsx(self, path: Path) -> Path:
        """The same book as an Excel file (openpyxl), Excel Tables, formats and all."""
        import openpyxl
        from openpyxl.worksheet.table import Table, TableStyleInfo

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for s in self.sheets:
            ws = wb.create_sheet(s.name)
            for (r, c), v in sorted(s.cells.items()):
                cell = ws.cell(r + 1, c + 1, v.code if isinstance(v, ExcelError) else v)
                if (r, c) in s.formats:
                    cell.number_format = s.formats[(r, c)]
            for r0, c0, r1, c1 in s.merged:
                ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1,
                               end_column=c1 + 1)
            for r in s.hidden:
                ws.row_dimensions[r + 1].hidden = True
            for t, totals in s.tables:
                end = coordinate(t.last_row + (1 if totals else 0), t.last_col)
                ref = f"{coordinate(t.first_row, t.first_col)}:{end}"
                table = Table(displayName=t.name, ref=ref, totalsRowCount=1 if totals else None)
                table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
                ws.add_table(table)
        path = Path(path)
        wb.save(path)
        return path


# =============================================================================================
# Truth
# =============================================================================================


@dataclass(frozen=True)
class Expected:
    """A position a reading must give. ``price`` is in the base currency; ``exact``: the cells
    give it as it is (else it is derived: value ÷ quantity, or converted, within 1e-9)."""

    asset: str
    quantity: Decimal
    price: Decimal
    avg_cost: Decimal | None = None
    venue: str | None = None
    exact: bool = True


@dataclass(frozen=True)
class Truth:
    """What a reading by SPEC must give.

    ``outcome`` is ``planned`` (positions, T, base currency, sheet and header row, mapping of
    the fields the book decides: title → header text, rates: (currency, where it was given, the
    rate, or None where each row gives its own through a base-currency value)) or
    ``refused`` (``reason`` a kind of :data:`REASONS`, ``names``: what the refusal must name,
    each item a text, or a tuple of texts any one of which will do).
    """

    outcome: str
    positions: tuple[Expected, ...] = ()
    total: Decimal = D(0)
    tolerance: Decimal = D(0)
    base_currency: str = "USD"
    sheet: str = ""
    header_row: int = 0  # 1-based, as Excel shows it
    mapping: tuple[tuple[str, str], ...] = ()
    rates: tuple[tuple[str, str, Decimal | None], ...] = ()
    reason: str = ""
    names: tuple[str | tuple[str, ...], ...] = ()

    def line(self) -> str:
        if self.outcome == "refused":
            return f"refused ({self.reason}), naming {', '.join(map(_shown, self.names))}"
        rates = f", rates {', '.join(f'{c} ({w})' for c, w, _ in self.rates)}" \
            if self.rates else ""
        return (f"planned: {len(self.positions)} positions from {sheet_ref(self.sheet)} header row "
                f"{self.header_row}, T {self.total:,.2f} {self.base_currency}{rates}")


def _shown(item: str | tuple[str, ...]) -> str:
    return repr(item) if isinstance(item, str) else " or ".join(map(repr, item))


#: Refusal kinds and the words a refusal of that kind must use (case-insensitive regex).
REASONS = {
    "log": r"\blog\b",
    "price history": r"price history",
    "no price": r"\bno\b[^.;]*\bprice|\bprice\b[^.;]*\b(missing|not found)|without[^.;]*\bprice",
    "no quantity": r"\bno\b[^.;]*\bquantit|without[^.;]*\bquantit",
    "two readings": r"Quantity Column|Price Column|--column",
    "no rate": r"\brate",
    "no positions": r"no positions|no rows|empty|nothing (to plan|under)",
}


@dataclass
class Tracker:
    """A generated book, its truth, and the features it was built with (for grouping)."""

    seed: int
    book: Book
    truth: Truth
    features: tuple[str, ...]
    summary: str

    @cached_property
    def grid(self) -> WorkbookGrid:
        return self.book.grid(f"tracker-{self.seed}.xlsx")

    def write_xlsx(self, path: Path) -> Path:
        return self.book.write_xlsx(path)

    @property
    def description(self) -> str:
        return f"seed {self.seed}: {self.summary} → {self.truth.line()}"

    @property
    def repro(self) -> str:
        return f"python -m tests.trackers --seed {self.seed} --dump tracker-{self.seed}.xlsx"


# =============================================================================================
# Positions
# =============================================================================================


@dataclass
class Holding:
    """One row of the holdings table: what its cells say, and what a reading must give."""

    cell: str  # the asset as written
    asset: str  # as read: trimmed, upper-cased, a pair ticker's base asset (SPEC 3.1, 3.9.6)
    name: str
    quantity: Decimal
    price: Decimal  # in ``currency``
    currency: str
    value: Decimal  # quantity × price as the book shows it, to the currency's minor unit
    avg_cost: Decimal | None = None
    venue: str | None = None


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _quantity_places(market: str, usd_price: float, rng: random.Random) -> int:
    if market == "fund":
        return 3
    if market == "stock":
        return rng.choice((0, 0, 0, 2, 6))  # whole shares, or fractional (Robinhood)
    return 8 if usd_price > 1000 else rng.choice((2, 4, 6)) if usd_price > 1 else \
        rng.choice((0, 2))


def draw_holdings(rng: random.Random, market: str, currency: str, n: int) -> list[Holding]:
    """``n`` positions of ``market`` priced in ``currency``: prices across magnitudes (0.000001
    to 60,000 in USD terms), crypto quantities fractional, each worth at least 10 units (so a
    value shown to two decimals satisfies Quantity × Price = Value within 0.5 %)."""
    pool: list = list(_CRYPTO if market == "crypto" else _FUNDS if market == "fund"
                      else _STOCKS.get(currency, _STOCKS["USD"]))
    if market == "fund":
        pool = [(name, name, lo, hi) for name, lo, hi in pool]  # a scheme is known by its name
    pick = rng.sample(pool, min(n, len(pool)))
    out = []
    for ticker, name, lo, hi in pick:
        local = market != "crypto"  # stock and fund prices are in their own currency already
        raw = _log_uniform(rng, lo, hi)
        usd_price = raw * float(USD_PER[currency]) if local else raw
        price = significant(D(repr(raw if local else raw / float(USD_PER[currency]))),
                            rng.choice((4, 5, 6)))
        if price >= 1000:
            price = rounded(price, 2)
        places = _quantity_places(market, usd_price, rng)
        for _ in range(20):
            target = _log_uniform(rng, 40, 40000)
            quantity = rounded(D(repr(target / usd_price)), places)
            value = rounded(quantity * price, minor(currency))
            # never 1 (or within 2 % of it): Quantity × Value = Price would hold as well
            if quantity > 0 and abs(quantity - 1) > D("0.02") and \
                    value >= 10 * D(10) ** (2 - minor(currency)):
                break
        else:
            quantity = D(10) ** 6 if price < 1 else D(100)
            value = rounded(quantity * price, minor(currency))
        out.append(Holding(ticker, ticker.strip().upper(), name, quantity, price, currency,
                           value))
    return out


def add_stables(rng: random.Random, holdings: list[Holding], k: int = 1) -> None:
    """Stablecoins at 1 (±0.2 %) in a book in US dollars (SPEC 3.9 item 8, rule 4)."""
    for coin in rng.sample(STABLES, k):
        price = rng.choice((D(1), D(1), D("0.9998"), D("1.0002"), D("0.9995")))
        quantity = rounded(D(repr(_log_uniform(rng, 80, 25000))), 2)
        holdings.insert(rng.randrange(len(holdings) + 1), Holding(
            coin, coin, {"USDT": "Tether", "USDC": "USD Coin", "DAI": "Dai"}[coin], quantity,
            price, "USD", rounded(quantity * price, 2)))


def add_venues(rng: random.Random, holdings: list[Holding], market: str, repeat: int) -> None:
    """A venue on every row, and ``repeat`` assets held at a second venue: the same asset on
    several rows, each a position (SPEC 3.1), the same price and another quantity."""
    names = _VENUES["crypto" if market == "crypto" else "fund" if market == "fund" else "stock"]
    for h in holdings:
        h.venue = rng.choice(names)
    for h in rng.sample(holdings, min(repeat, len(holdings))):
        other = rng.choice([v for v in names if v != h.venue])
        quantity = h.quantity
        while quantity == h.quantity:
            quantity = rounded(h.quantity * D(repr(rng.uniform(0.1, 3))),
                               max(-h.quantity.as_tuple().exponent, 0))
            if quantity <= 0 or quantity * h.price < 10 * D(10) ** (2 - minor(h.currency)) or \
                    abs(quantity - 1) <= D("0.02"):
                quantity = h.quantity + 2
        twin = replace(h, quantity=quantity, venue=other,
                       value=rounded(quantity * h.price, minor(h.currency)))
        holdings.insert(holdings.index(h) + 1, twin)


def add_costs(rng: random.Random, holdings: list[Holding]) -> None:
    """An average cost per row, never within 5 % of the price (so Quantity × Avg Cost is not
    also Quantity × Price: one identity per pair of columns)."""
    for h in holdings:
        while True:
            ratio = rng.uniform(0.3, 1.6)
            if abs(ratio - 1) >= 0.05:
                break
        h.avg_cost = significant(h.price * D(repr(ratio)), 5)
        if h.avg_cost >= 1000:
            h.avg_cost = rounded(h.avg_cost, 2)


# =============================================================================================
# Headers in the forms users write (SPEC 3.9 items 4 and 9)
# =============================================================================================

_ASCII_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9 '&]*")
#: English qualifiers by field (``Total Price`` would be a value to a human, so not that).
_QUALIFY = {"quantity": ("Current", "Total", "Net", "Cumulative"),
            "price": ("Current", "Live", "Last"), "value": ("Current", "Total", "Net")}
#: Languages whose qualifier follows the word (``Prix actuel``), and those that write it
#: without a space (``当前价格``).
_QUALIFIER_AFTER = frozenset({"fr", "es", "pt", "it", "id"})
_COUNT_NOUNS = {"crypto": ("Coins", "Tokens"), "stock": ("Shares", "Units"), "fund": ("Units",)}
_COUNT_FORMS = ("# {}", "# of {}", "No. of {}", "Number of {}")
#: SPEC 3.9 item 9 names a currency after ``in``, ``en`` or ``em``.
_IN_WORDS = frozenset({"in", "en", "em"})
MONEY = ("price", "value", "avg_cost", "cost_basis")
_CODES = frozenset(USD_PER) | {"USDT", "USDC", "BTC", "ETH"}
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY", "₿": "BTC"}


def _means(text: str) -> frozenset[str] | None:
    return VOCAB.meanings.get(norm_word(text))


@functools.lru_cache(maxsize=None)
def word_currency(text: str) -> str | None:
    """The currency a header word itself names (``Value in EUR``, ``USD Value``), if any."""
    for token in re.findall(r"[A-Za-z]+|[$€£₹¥₿]", text):
        if token in _SIGNS:
            return _SIGNS[token]
        if token.upper() in _CODES and (token.isupper() or len(text.split()) > 1):
            return token.upper()
    return None


def same_money(a: str | None, b: str | None) -> bool:
    return a == b or {a, b} <= {"USD", "USDT", "USDC"}


def header_form(rng: random.Random, words: Words, fld: str, phrase: str,
                currency: str | None, tags: list[str], market: str = "stock") -> str:
    """``phrase`` (a word of ``fld``) as a user writes it, naming ``currency`` if given. Item 9:
    snake/camel/kebab case, a currency in brackets, after ``in``/``en``/``em`` or as a last
    word, a leading ``#``/``No. of`` and qualifiers such as Current or Total do not change what
    a header names. A broker export's names stay as the export writes them."""
    if broker(words):
        return _with_currency(rng, words, phrase, currency, "plain", tags)
    text = _qualified(rng, words, fld, phrase, tags)
    if words.code == "en" and fld == "quantity" and text in _COUNT_NOUNS[market] and \
            rng.random() < 0.4:
        text = rng.choice(_COUNT_FORMS).format(text)
        tags.append("form:count")
        return _with_currency(rng, words, rng.choice((text, text.upper())), currency, "plain",
                              tags)
    words_ = text.split()
    latin = bool(_ASCII_WORDS.fullmatch(text))
    forms = ["plain", "upper", "lower"] + (["snake", "camel", "kebab", "title"]
                                           if latin and len(words_) > 1 else [])
    form = rng.choice(forms)
    before = text
    text = {"plain": text, "upper": text.upper(), "lower": text.lower(), "title": text.title(),
            "snake": "_".join(w.lower() for w in words_),
            "kebab": "-".join(w.lower() for w in words_),
            "camel": words_[0].lower() + "".join(w[:1].upper() + w[1:].lower()
                                                 for w in words_[1:])}[form]
    if text != before:
        tags.append(f"form:{form}")
    return _with_currency(rng, words, text, currency, form, tags)


def _qualified(rng: random.Random, words: Words, fld: str, phrase: str, tags: list[str]) -> str:
    """Sometimes a qualifier of the table's language before or after the word (item 9)."""
    if fld not in _QUALIFY or rng.random() >= 0.2 or word_currency(phrase):
        return phrase
    pool = _QUALIFY[fld] if words.code == "en" else words.qualifiers[:3]
    whole = norm_word(phrase)
    if not pool or any(norm_word(w) in VOCAB.qualifiers for w in phrase.split()) or any(
            _CJK.search(q) and (whole.startswith(q) or whole.endswith(q))
            for q in VOCAB.qualifiers):
        return phrase
    q = rng.choice(pool)
    joined = _CJK.search(phrase) and _CJK.search(q)
    cand = (f"{phrase} {q}" if words.code in _QUALIFIER_AFTER else
            f"{q}{phrase}" if joined else f"{q} {phrase}")
    if _means(cand) not in (None, _means(phrase)):
        return phrase
    tags.append("form:qualifier")
    return cand


def _with_currency(rng: random.Random, words: Words, text: str, currency: str | None,
                   form: str, tags: list[str]) -> str:
    if currency is None or word_currency(text):
        return text
    code = currency
    if form in ("snake", "kebab"):
        sep = "_" if form == "snake" else "-"
        tags.append("form:currency-last-word")
        return f"{text}{sep}{code.lower() if rng.random() < 0.7 else code}"
    inside = [w for w in words.currency_words if w in _IN_WORDS]
    kinds = ["brackets", "square", "last-word"] + (["symbol"] if currency in SYMBOL else []) + \
        (["in"] if inside and form in ("plain", "upper", "title") and not broker(words) else [])
    kind = rng.choice(kinds)
    tags.append(f"form:currency-{kind}")
    if kind == "symbol":
        sym = SYMBOL[currency]
        return rng.choice((f"{text} ({sym})", f"{text} {sym}"))
    if kind == "in":
        word = inside[0]
        return f"{text} {word.upper() if form == 'upper' else word} {code}"
    return {"brackets": f"{text} ({code})", "square": f"{text} [{code}]",
            "last-word": f"{text} {code}"}[kind]


def field_word(rng: random.Random, words: Words, fld: str, taken: set[str],
               rank: int | None = 0, currency: str | None = None) -> str | None:
    """A word of ``words`` for ``fld`` that means only that and is not yet used; a language
    table that lacks one borrows English's, a broker export keeps to its own (but for the
    asset). A word that names a currency itself (``Value in EUR``) only for a column in that
    currency (``currency``)."""
    tables = (words,) if broker(words) and fld != "asset" else (words, ENGLISH)
    for table in tables:
        pool = [w for w in VOCAB.words(table, fld, None if broker(table) and rank == 0 else rank)
                if norm_word(w) not in taken and
                (word_currency(w) is None or fld in MONEY and currency is not None and
                 same_money(word_currency(w), currency))]
        if pool:
            return rng.choice(pool)
    return None


def other_word(rng: random.Random, words: Words, kind: str, taken: set[str]) -> str | None:
    for table in (words, ENGLISH):
        pool = [w for w in VOCAB.other(table, kind) if norm_word(w) not in taken]
        if pool:
            return rng.choice(pool)
    return None


# =============================================================================================
# The holdings table
# =============================================================================================


@dataclass
class Col:
    """A column of a table being built: its header, its cells, and what they hold as numbers
    (for the check that no identity holds but the ones meant)."""

    role: str
    header: CellValue
    cells: list[CellValue]
    numbers: list[Decimal | None] | None = None
    fmt: str | None = None
    total: CellValue = None
    places: int = 2


@dataclass
class Plan:
    """What a book's holdings table holds (decided by the scenario, drawn by :func:`draw_plan`).

    ``value``: ``with`` (a price and a value column), ``none`` (no value column) or ``only``
    (no price column: price = value ÷ quantity, SPEC 3.9 item 4). ``named``: the currency the
    money headers name, or None. ``extras``/``decoys``: columns beside the fields.
    """

    words: Words
    market: str
    currency: str
    named: str | None
    value: str = "with"
    costs: str = "none"  # none, avg, basis, both
    extras: frozenset[str] = frozenset()
    decoys: frozenset[str] = frozenset()
    text_numbers: bool = False

    @property
    def words_currency(self) -> str | None:
        """The currency a header word may name itself (``Value in EUR``, ``USD Value``): the
        book's, when its headers name it, it is US dollars, or an export's words name it."""
        return self.named or (self.currency if self.currency == "USD" or broker(self.words)
                              else None)


_LABELS = {"crypto": ("Layer 1", "DeFi", "Meme", "Layer 2", "Exchange token", "Privacy"),
           "stock": ("Tech", "Energy", "Finance", "Consumer", "Industrials", "Telecom"),
           "fund": ("Equity", "Hybrid", "Index", "Small cap")}
_NOTES = ("long term", "staking", "DCA monthly", "watch", "core", "spec", "cold storage", "")


def money_format(plan: Plan) -> str:
    return FORMAT.get(plan.currency, "#,##0.00") if plan.named or plan.currency == "USD" \
        else "#,##0.00"


def _number_col(role: str, header: str, xs: list[Decimal], fmt: str | None = None,
                places: int = 2) -> Col:
    return Col(role, header, [cell_number(x) for x in xs], list(xs), fmt, places=places)


def holdings_columns(rng: random.Random, plan: Plan, holdings: list[Holding],
                     tags: list[str]) -> tuple[list[Col], dict[str, str]]:
    """The columns of the holdings table, and the mapping a reading must give (field title →
    header). Words from the plan's table (SPEC 3.9 items 4, 9); decoys per item 8."""
    w, taken = plan.words, set()
    mapping: dict[str, str] = {}

    named = plan.words_currency

    def word(fld: str, rank: int = 0) -> str:
        x = field_word(rng, w, fld, taken, rank, named if fld in MONEY else None)
        taken.add(norm_word(x))
        return x

    def head(fld: str, title: str | None, money: bool = False, phrase: str | None = None) -> str:
        text = header_form(rng, w, fld, phrase or word(fld), plan.named if money else None, tags,
                           plan.market)
        if title:
            mapping[title] = text
        return text

    mf, cur = money_format(plan), plan.currency
    cols = _asset_columns(rng, plan, holdings, head, word, tags)
    if "free-locked" in plan.extras:
        cols += _free_locked(rng, holdings)
        mapping["Quantity"] = "Total"
        cols.append(_number_col("quantity", "Total", [h.quantity for h in holdings], places=8))
    else:
        cols.append(_number_col("quantity", head("quantity", "Quantity"),
                                [h.quantity for h in holdings], places=8))
    if plan.value != "only":
        cols.append(_number_col("price", head("price", "Price", True),
                                [h.price for h in holdings], mf, places=8))
    if plan.value in ("with", "only"):
        # item 8: Quantity × Price = Value decides, whatever the header says — a value column
        # headed like a quantity (Holdings, Position, Balance) is the value
        as_qty = "value-as-quantity" in plan.decoys and plan.value == "with"
        text = head("value", "Value", True, phrase=as_qty and field_word(
            rng, w, "quantity", taken) or None)
        cols.append(_number_col("value", text, [h.value for h in holdings], mf, minor(cur)))
        cols[-1].total = cell_number(sum(h.value for h in holdings))
    if plan.costs in ("avg", "both"):
        cols.append(_number_col("avg_cost", head("avg_cost", "Avg Cost", True),
                                [h.avg_cost for h in holdings], mf, places=8))
    if plan.costs in ("basis", "both"):  # item 8: a column equal to Quantity × Avg Cost
        basis = [rounded(h.quantity * h.avg_cost, minor(cur)) for h in holdings]
        cols.append(_number_col("cost_basis", head("cost_basis", "Cost Basis", True), basis, mf,
                                minor(cur)))
        cols[-1].total = cell_number(sum(basis))
    if "venue" in plan.extras:
        cols.append(Col("venue", head("venue", "Venue"), [h.venue for h in holdings]))
    cols += _side_columns(rng, plan, holdings, taken, tags)
    return cols, mapping


def _free_locked(rng: random.Random, holdings: list[Holding]) -> list[Col]:
    """Binance's Free and Locked beside Total = Free + Locked (SPEC 3.9 item 4)."""
    free = [rounded(h.quantity * D(repr(rng.uniform(0.3, 1))), max(-h.quantity.as_tuple()
                                                                   .exponent, 0))
            for h in holdings]
    return [_number_col("free", "Free", free, places=8),
            _number_col("locked", "Locked", [h.quantity - f for h, f in zip(holdings, free)],
                        places=8)]


def _asset_columns(rng, plan: Plan, holdings: list[Holding], head, word, tags) -> list[Col]:
    cols = []
    if "error-tickers" in plan.extras:
        # item 10: asset cells that are Excel errors (#VALUE! of linked data types) beside a
        # readable identifier column of the same table: that column is the asset
        cols.append(Col("error_asset", head("asset", None),
                        [ExcelError("#VALUE!")] * len(holdings)))
    phrase = word("asset")
    cols.append(Col("asset", head("asset", "Asset", phrase=phrase), [h.cell for h in holdings]))
    rank = max(int(m.split(":")[1]) for m in _means(phrase))
    if "name" in plan.extras and rank < 2:
        # item 4: Name names the asset only when no better column exists
        cols.append(Col("name", head("asset", None, phrase=word("asset", 2)),
                        [h.name for h in holdings]))
    return cols


def _side_columns(rng, plan: Plan, holdings: list[Holding], taken: set[str],
                  tags: list[str]) -> list[Col]:
    """Columns that are no field: a percentage, a P&L, a change, labels, notes, a numbering,
    a pandas index, a spacer, a date. None of them is read (SPEC 3: unknown columns are kept and
    ignored; item 10: a pandas index is not data)."""
    w, cur, out = plan.words, plan.currency, []

    def other(kind: str) -> str:
        x = other_word(rng, w, kind, taken)
        taken.add(norm_word(x))
        return x

    total = sum(h.value for h in holdings)
    if "percent" in plan.decoys:
        if rng.random() < 0.7:
            shares = [rounded(h.value / total, 4) for h in holdings]
            out.append(_number_col("weight", other("weight"), shares, _PERCENT, 4))
        else:
            shares = [rounded(100 * h.value / total, 2) for h in holdings]
            out.append(_number_col("weight", other("weight"), shares))
        out[-1].total = cell_number(sum(shares))
    if "pnl" in plan.decoys:
        pnl = [h.value - rounded(h.quantity * h.avg_cost, minor(cur)) for h in holdings]
        out.append(_number_col("pnl", other("pnl"), pnl, money_format(plan), minor(cur)))
        out[-1].total = cell_number(sum(pnl))
    if "change" in plan.decoys:
        change = [rounded(D(repr(rng.uniform(1, 15))) * rng.choice((-1, 1)), 2) for _ in holdings]
        out.append(_number_col("change", other("change"), change))
    if "category" in plan.extras:
        # item 5: a Category of labels (sectors) is read as labels, not as errors
        labels = _LABELS["fund" if plan.market == "fund" else plan.market]
        cells = [rng.choice(labels) for _ in holdings]
        out.append(Col("category", field_word(rng, ENGLISH, "category", taken) or "Category",
                       cells))
        if len(set(cells)) == 1:
            tags.append("column:category-one-label")
    if "note" in plan.extras:
        out.append(Col("note", other("note"), [rng.choice(_NOTES) or None for _ in holdings]))
    if "date" in plan.extras:
        # item 3: a date column is a log's only where an asset repeats; here none does
        dates = [AS_OF - dt.timedelta(days=rng.randrange(30, 900)) for _ in holdings]
        date_word = rng.choice([d for d in (w.dates or ENGLISH.dates)
                                if _means(d) == {"date"}] or ["Date"])
        out.append(Col("date", date_word, dates))
    if "sno" in plan.extras:
        out.append(_number_col("sno", rng.choice(("#", "SNo", "S.No.")),
                               [D(i + 1) for i in range(len(holdings))], places=0))
    return out


def order_columns(rng: random.Random, plan: Plan, cols: list[Col], tags: list[str]) -> list[Col]:
    """Any column order (item 1 finds a table by its header, not by where its columns are),
    the asset usually first; a numbering first; a pandas index before everything (item 10);
    an empty spacer column inside."""
    lead = [c for c in cols if c.role == "sno"]
    ids = [c for c in cols if c.role in ("error_asset", "asset", "name")]
    rest = [c for c in cols if c not in lead and c not in ids]
    rng.shuffle(rest)
    if rng.random() < 0.3:
        body = ids + rest
        rng.shuffle(body)
        tags.append("order:shuffled")
    else:
        if rng.random() < 0.3 and any(c.role == "name" for c in ids):
            ids.sort(key=lambda c: c.role != "name")  # Name, then the ticker
        body = ids + rest
    if "buy-price-next" in plan.decoys:
        # item 4/8: a buy price beside the current price is the average cost, not the price
        price = next((c for c in body if c.role == "price"), None)
        avg = next((c for c in body if c.role == "avg_cost"), None)
        if price is not None and avg is not None:
            body.remove(avg)
            body.insert(body.index(price) + rng.choice((0, 1)), avg)
    out = lead + body
    if "spacer" in plan.extras and len(out) > 2:
        out.insert(rng.randrange(1, len(out)), Col("spacer", None, [None] * len(cols[0].cells)))
    if "index" in plan.extras:
        out.insert(0, Col("index", None, [float(i) for i in range(len(cols[0].cells))],
                          [D(i) for i in range(len(cols[0].cells))], places=0))
    return out


def as_text(rng: random.Random, x: Decimal, symbol: str | None) -> str:
    """``x`` as numeric text that is unambiguously ``x`` (SPEC 3.9 item 5): plain, with thousands
    separators and a decimal point, or with a currency symbol."""
    style = rng.choice(("plain", "grouped", "symbol" if symbol else "grouped"))
    text = f"{x:f}" if style == "plain" or x.as_tuple().exponent >= 0 and abs(x) >= 1000 \
        else f"{x:,f}"
    return f"{symbol}{text}" if style == "symbol" else text


def numbers_as_text(rng: random.Random, plan: Plan, cols: list[Col], tags: list[str]) -> None:
    """Prices and values pasted from the web as text (item 5: read as numbers, one warning)."""
    chosen = [c for c in cols if c.role in ("quantity", "price", "value", "avg_cost")]
    symbol = SYMBOL.get(plan.currency) if (plan.named or plan.currency == "USD") else None
    for c in rng.sample(chosen, rng.randint(1, min(2, len(chosen)))):
        rows = range(len(c.cells)) if rng.random() < 0.5 else \
            rng.sample(range(len(c.cells)), max(1, len(c.cells) // 2))
        for i in rows:
            c.cells[i] = as_text(rng, c.numbers[i], symbol if c.role != "quantity" else None)
        tags.append(f"text-numbers:{c.role}")


# =============================================================================================
# Laying a table out on a sheet (SPEC 3.9 items 1 and 2)
# =============================================================================================


@dataclass
class Placed:
    """Where a table landed: its header row, columns, the sheet row of each data row."""

    sheet: Sheet
    header_row: int
    first_col: int
    last_col: int
    rows: list[int]
    last_row: int
    totals_row: int | None = None


_TEXT_ROLES = ("asset", "name", "error_asset", "venue", "category", "note", "sno")


def totals_word(rng: random.Random, words: Words) -> tuple[str, str]:
    """A first cell of a totals row in the table's language (else English), and that language:
    (word, code)."""
    for table in (words, ENGLISH):
        pool = [w for w in table.totals if _means(w) == {"totals"}]
        if pool:
            return rng.choice(pool), table.code
    return "Total", "en"


def place_table(rng: random.Random, sheet: Sheet, r0: int, c0: int, cols: list[Col], *,
                gap: bool = False, template: int = 0, totals: str | None = None,
                total_word: tuple[str, str] = ("Total", "en"), tags: list[str]) -> Placed:
    """The header at (r0, c0), the rows under it; an empty row inside (item 2: rows of the same
    shape after a gap stay in the table), template rows with no asset and a zero quantity (item
    2: skipped silently), a totals row labelled or of bare sums (item 2: not a position)."""
    for k, col in enumerate(cols):
        sheet.put(r0, c0 + k, col.header)
    n = len(cols[0].cells)
    gap_at = rng.randint(2, n - 1) if gap and n >= 3 else None
    r, rows = r0 + 1, []
    for i in range(n):
        if i == gap_at:
            r += 1
            tags.append("layout:gap-row")
        for k, col in enumerate(cols):
            sheet.put(r, c0 + k, col.cells[i], col.fmt)
        rows.append(r)
        r += 1
    for j in range(template):
        for k, col in enumerate(cols):
            v = {"sno": float(n + j + 1), "quantity": rng.choice((0.0, None)),
                 "value": 0.0, "cost_basis": 0.0, "pnl": 0.0, "weight": 0.0}.get(col.role)
            sheet.put(r, c0 + k, v, col.fmt if v is not None else None)
        r += 1
    if template:
        tags.append("layout:template-rows")
    last, totals_row = r - 1, None
    if totals and any(c.total is not None for c in cols):
        totals_row = last = r
        for k, col in enumerate(cols):
            sheet.put(r, c0 + k, col.total, col.fmt)
        if totals == "labelled":
            at = 0 if cols[0].role in _TEXT_ROLES and rng.random() < 0.5 else \
                next(k for k, c in enumerate(cols) if c.role == "asset")
            sheet.put(r, c0 + at, total_word[0])
            spec = total_word[0] in ("Total", "Totals", "Subtotal", "Sum", "Net Worth",
                                     "Grand Total")  # the words SPEC 3.9 item 2 lists
            tags.append("totals:label-spec" if spec else f"totals:label-{total_word[1]}")
            if any(c.total is not None for c in cols[:at]):  # item 2: the first TEXT cell
                tags.append("totals:label-after-a-number")
        tags.append(f"totals:{totals}")
    return Placed(sheet, r0, c0, c0 + len(cols) - 1, rows, last, totals_row)


def as_excel_table(sheet: Sheet, placed: Placed, name: str, cols: list[Col]) -> bool:
    """Make the table an Excel Table (ListObject), when Excel would take its header."""
    heads = [c.header for c in cols]
    if any(not isinstance(h, str) for h in heads) or len({h.lower() for h in heads}) < len(heads):
        return False
    data_end = placed.last_row - (1 if placed.totals_row is not None else 0)
    ref = TableRef(name, sheet.name, placed.header_row, placed.first_col, data_end,
                   placed.last_col)
    sheet.tables.append((ref, placed.totals_row is not None))
    return True


def title_block(rng: random.Random, sheet: Sheet, c0: int, plan: Plan, holdings: list[Holding],
                tags: list[str], total: Decimal | None = None) -> int:
    """A title, a date and a KPI block above the table (item 1: a header within ~30 rows of
    the top of its block is found); the KPI total equals the book's total (item 13)."""
    r = 0
    if rng.random() < 0.65:
        title = rng.choice(("My Portfolio", "PORTFOLIO OVERVIEW", "Investments 2026",
                            {"crypto": "Crypto Portfolio Tracker", "stock": "Stock Portfolio",
                             "fund": "Mutual Fund Tracker"}[plan.market]))
        sheet.put(r, c0, title)
        if rng.random() < 0.5:
            sheet.merged.append((r, c0, r, c0 + 3))
        r += 1
        if rng.random() < 0.5:
            sheet.put(r, c0, "Last updated")
            sheet.put(r, c0 + 1, AS_OF - dt.timedelta(days=rng.randrange(0, 5)))
            r += 1
        r += 1
        tags.append("layout:title")
    if rng.random() < 0.45:
        total = sum(h.value for h in holdings) if total is None else total
        kpis = [("Portfolio Value", cell_number(total), money_format(plan)),
                ("Line items", float(len(holdings)), None),
                ("Return", cell_number(rounded(D(repr(rng.uniform(-0.3, 2))), 4)), _PERCENT)]
        side = rng.random() < 0.4
        for i, (label, value, fmt) in enumerate(rng.sample(kpis, rng.randint(2, 3))):
            row, col = (r, c0 + 4 * i) if side else (r + i, c0)
            sheet.put(row, col, label)
            sheet.put(row, col + rng.choice((1, 2)), value, fmt)
        r += 1 if side else 3
        r += 1
        tags.append("layout:kpi" + ("-side" if side else ""))
    return r + rng.choice((0, 0, 1, 2))


def second_table(rng: random.Random, sheet: Sheet, r0: int, c0: int, kind: str, plan: Plan,
                 held: list[Holding], tags: list[str]) -> int:
    """A second table (item 2: anything else below or beside is not planned): a watchlist with
    prices and no quantities, a summary by category, a model portfolio of target weights."""
    w, taken = ENGLISH if broker(plan.words) else plan.words, set()
    if rng.random() < 0.5:
        sheet.put(r0, c0, {"watchlist": "Watchlist", "summary": "Summary by category",
                           "model": "Target allocation"}[kind])
        r0 += 1
    if kind == "watchlist":
        pool = [x for x in (_CRYPTO if plan.market == "crypto" else _STOCKS.get(plan.currency, ()))
                if x[0] not in {h.cell for h in held}]
        rows = [(t, cell_number(significant(D(repr(_log_uniform(rng, lo, hi))), 5)),
                 cell_number(rounded(D(repr(rng.uniform(-12, 12))), 2)))
                for t, _, lo, hi in rng.sample(pool, min(len(pool), rng.randint(2, 6)))]
        head = [header_form(rng, w, "asset", field_word(rng, w, "asset", taken), None, []),
                header_form(rng, w, "price", field_word(rng, w, "price", taken, 0, plan.named),
                            plan.named, []),
                other_word(rng, w, "change", taken) or "24h %"]
        if not rows:
            return r0 - 1
    elif kind == "summary":
        labels = _LABELS["fund" if plan.market == "fund" else plan.market][:rng.randint(2, 4)]
        total = sum(h.value for h in held)
        parts = [rounded(total / len(labels), 2) for _ in labels]
        rows = [(lab, cell_number(v), cell_number(rounded(v / total, 4))) for lab, v in
                zip(labels, parts)]
        head = ["Category", header_form(rng, w, "value", field_word(rng, w, "value", taken, 0,
                                                                    plan.named),
                                        plan.named, []), other_word(rng, w, "weight", taken)]
    else:
        rows = [(h.cell, cell_number(rounded(D(repr(rng.uniform(0.02, 0.3))), 2)))
                for h in held[:6]]
        head = [header_form(rng, w, "asset", field_word(rng, w, "asset", taken), None, []),
                other_word(rng, w, "target", taken) or "Target Weight"]
    sheet.row(r0, c0, head)
    for i, row in enumerate(rows):
        for k, v in enumerate(row):
            sheet.put(r0 + 1 + i, c0 + k, v, _PERCENT if (kind == "model" and k == 1) or
                      (kind == "summary" and k == 2) else None)
    tags.append(f"second:{kind}")
    return r0 + len(rows)


# =============================================================================================
# Other sheets: logs, price histories, the user's own Settings, ours
# =============================================================================================

_LOG_NAMES = ("Transactions", "Trades", "Trade Log", "Journal", "History of trades",
              "Transaktionen", "Operaciones", "Movimentações")
_HISTORY_NAMES = ("Price History", "History", "Kursverlauf", "Historique", "Cotações", "Daily")
_USER_KEYS = (("Theme", "Dark"), ("Refresh Interval (min)", 5.0), ("API Key", "pk_live_51Hx"),
              ("Default Exchange", "Binance"), ("Language", "en"), ("Show Zero Balances", "No"),
              ("Decimal Places", 2.0), ("Notifications", "On"), ("Data Source", "CoinGecko"))


def _word_of(words: Words, kind: str) -> str:
    pool = {"date": words.dates, "action": words.actions}[kind]
    usable = [x for x in pool if _means(x) == {kind}]
    return usable[0] if usable else {"date": "Date", "action": "Type"}[kind]


def log_sheet(rng: random.Random, book: Book, words: Words, held: list[Holding], at: int,
              tags: list[str]) -> Sheet:
    """A trade log (item 3: a date column in which the same asset repeats, buys and sells: not
    holdings). The same asset is bought twice on one day, so no reading takes it for a series
    of snapshots (one row per asset per date)."""
    names = [n for n in _LOG_NAMES if book.sheet(n) is None]
    sheet = book.add(rng.choice(names), at)
    words = ENGLISH if broker(words) else words
    taken: set[str] = set()
    head = [_word_of(words, "date"), _word_of(words, "action"),
            field_word(rng, words, "asset", taken), field_word(rng, words, "quantity", taken),
            field_word(rng, words, "price", taken), field_word(rng, words, "value", taken)]
    sheet.row(0, 0, head)
    buy, sell = (words.action_values or ENGLISH.action_values)[:2]
    trades, day = [], dt.date(2024, 1, 8)
    for i, h in enumerate([h for h in held if h.asset not in STABLES][:6] or held[:1]):
        for j in range(rng.randint(1, 3)):
            day += dt.timedelta(days=rng.randint(1, 40))
            trades.append((day, h, buy if j == 0 or rng.random() < 0.7 else sell))
        if i == 0:
            trades.append((day, h, buy))  # the same asset twice on one day
    trades.sort(key=lambda t: t[0])
    for r, (day, h, side) in enumerate(trades, start=1):
        places = max(-h.quantity.as_tuple().exponent, 0)
        q = rounded(h.quantity * D(repr(rng.uniform(0.1, 0.6))), places) or h.quantity
        p = significant(h.price * D(repr(rng.uniform(0.5, 1.2))), 5)
        sheet.row(r, 0, [day, side, h.cell, cell_number(q), cell_number(p),
                         cell_number(rounded(q * p, 2))])
    tags.append("sheet:log")
    return sheet


def history_sheet(rng: random.Random, book: Book, words: Words, held: list[Holding], at: int | None,
                  tags: list[str], name: str | None = None) -> Sheet:
    """A price history, dates down and assets across (item 3: never holdings)."""
    sheet = book.add(name or rng.choice([n for n in _HISTORY_NAMES if book.sheet(n) is None]), at)
    words = ENGLISH if broker(words) else words
    unique = list({h.cell: h for h in held}.values())
    assets = unique[:rng.randint(min(2, len(unique)), min(6, len(unique)))]
    sheet.row(0, 0, [_word_of(words, "date")] + [h.cell for h in assets])
    days = rng.randint(8, 40)
    level = [float(h.price) for h in assets]
    for i in range(days):
        day = AS_OF - dt.timedelta(days=days - i)
        level = [x * rng.uniform(0.95, 1.05) for x in level]
        sheet.row(i + 1, 0, [day] + [cell_number(significant(D(repr(x)), 6)) for x in level])
    tags.append("sheet:history")
    return sheet


def user_settings(rng: random.Random, book: Book, tags: list[str]) -> Sheet:
    """The user's own Settings sheet, none of whose keys are ours (item 11: not read as ours,
    one warning)."""
    sheet = book.add("Settings")
    r = 0
    if rng.random() < 0.5:
        sheet.row(0, 0, ["Option", "Value"])
        r = 1
    for key, value in rng.sample(_USER_KEYS, rng.randint(2, 5)):
        sheet.row(r, 0, [key, value])
        r += 1
    tags.append("sheet:user-settings")
    return sheet


def user_prices(rng: random.Random, book: Book, held: list[Holding], tags: list[str]) -> Sheet:
    """The user's own Prices sheet with no Date column: a price list (item 11: not ours)."""
    sheet = book.add("Prices")
    sheet.row(0, 0, ["Coin", "Price", "Source"])
    for i, h in enumerate(held[:5]):
        sheet.row(i + 1, 0, [h.cell, cell_number(h.price), "CoinGecko"])
    tags.append("sheet:user-prices")
    return sheet


def our_settings(book: Book, rows: list[tuple[str, CellValue]], tags: list[str]) -> Sheet:
    """Our Settings (SPEC 3.3), on ``Derisk Settings`` when the user keeps a Settings sheet of
    their own (item 11)."""
    name = "Derisk Settings" if book.sheet("Settings") is not None else "Settings"
    sheet = book.add(name)
    sheet.row(0, 0, ["Key", "Value"])
    for i, row in enumerate(rows):
        sheet.row(i + 1, 0, list(row))
    tags.append(f"settings:{'derisk' if name != 'Settings' else 'ours'}")
    return sheet


def notes_sheet(book: Book) -> Sheet:
    sheet = book.add("Notes")
    for i, text in enumerate(("Prices from CoinGecko, pasted weekly.", "Keep 10 % in cash.",
                              "Rebalance in January.")):
        sheet.put(i, 0, text)
    return sheet


# =============================================================================================
# Books: a holdings table read as it is (SPEC 3.9)
# =============================================================================================


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


#: The market and currency of each broker's or exchange's export.
_BROKER_BOOKS = {"kite": ("stock", "INR"), "upstox": ("stock", "INR"), "groww": ("fund", "INR"),
                 "degiro": ("stock", "EUR"), "trading212": ("stock", "GBP"),
                 "binance": ("crypto", "USD"), "coinbase": ("crypto", "USD"),
                 "kraken": ("crypto", "USD"), "kucoin": ("crypto", "USD"),
                 "bybit": ("crypto", "USD")}


def draw_plan(rng: random.Random, tags: list[str], *, words: Words | None = None) -> Plan:
    """The book's language or broker table, market, currency and columns."""
    if words is None:
        words = rng.choice(BROKERS) if _chance(rng, 0.2) else rng.choice(LANGUAGES)
    if broker(words):
        market, currency = _BROKER_BOOKS.get(words.code, ("stock", "USD"))
    else:
        market = rng.choice(("crypto", "crypto", "stock"))
        currency = "USD" if market == "crypto" and _chance(rng, 0.6) else \
            rng.choice(_LANG_CURRENCY[words.code])
    if currency == "USD":
        named = rng.choice((None, None, "USD", "USD", "USDT" if market == "crypto" else "USD"))
    else:  # a currency no header names comes from Settings Base Currency (SPEC 3.10)
        named = currency if _chance(rng, 0.75) and not broker(words) else None
    has = {f: bool(VOCAB.words(words, f, None)) or not broker(words) for f in FIELDS_WRITTEN}
    value = rng.choice(("with", "with", "with", "none", "only"))
    if not has["price"]:
        value = "only"
    elif not has["value"]:
        value = "none"
    costs = rng.choice(("none", "none", "avg", "avg", "basis", "both"))
    if not has["avg_cost"]:
        costs = "basis" if costs in ("basis", "both") and has["cost_basis"] else "none"
    elif not has["cost_basis"] and costs in ("basis", "both"):
        costs = "avg"
    decoys = {d for d, p in (("value-as-quantity", 0.2), ("buy-price-next", 0.3),
                             ("percent", 0.3), ("pnl", 0.25), ("change", 0.2)) if _chance(rng, p)}
    if value != "with" or broker(words):
        decoys.discard("value-as-quantity")
    if costs not in ("avg", "both"):
        decoys.discard("buy-price-next")
    extras = {e for e, p in (("name", 0.35), ("category", 0.2), ("note", 0.15), ("sno", 0.15),
                             ("venue", 0.35), ("spacer", 0.1), ("date", 0.1),
                             ("error-tickers", 0.07), ("index", 0.08)) if _chance(rng, p)}
    if not has["venue"]:
        extras.discard("venue")
    if words.code == "binance" and _chance(rng, 0.5):
        extras.add("free-locked")  # item 4: Total is the quantity beside Free and Locked
    return Plan(words, market, currency, named, value, costs, frozenset(extras),
                frozenset(decoys), _chance(rng, 0.2))


FIELDS_WRITTEN = ("price", "value", "avg_cost", "cost_basis", "venue")


def plan_tags(plan: Plan) -> list[str]:
    """The features a plan gives its book, for grouping failures."""
    return [f"words:{plan.words.code}", f"market:{plan.market}", f"currency:{plan.currency}",
            f"named:{'yes' if plan.named else 'no'}", f"value:{plan.value}",
            f"costs:{plan.costs}", *(f"decoy:{d}" for d in sorted(plan.decoys)),
            *(f"column:{e}" for e in sorted(plan.extras))]


def book_holdings(rng: random.Random, plan: Plan, tags: list[str]) -> list[Holding]:
    holdings = draw_holdings(rng, plan.market, plan.currency, rng.randint(2, 11))
    if plan.currency == "USD" and plan.market == "crypto" and _chance(rng, 0.35):
        add_stables(rng, holdings)
        tags.append("rows:stablecoin")
    if "venue" in plan.extras:
        add_venues(rng, holdings, plan.market, rng.choice((0, 0, 1, 2)))
        if len({h.asset for h in holdings}) < len(holdings):
            tags.append("rows:same-asset-two-venues")
    add_costs(rng, holdings)
    if plan.market == "crypto" and plan.named in (None, "USD") and plan.currency == "USD" and \
            _chance(rng, 0.1) or plan.named in ("INR", "EUR") and plan.market == "crypto" and \
            _chance(rng, 0.2):
        # item 6: pair tickers (btcinr, ETH-USD) are their base asset when the quote is the
        # base currency
        quote = plan.currency
        for h in holdings:
            if h.cell not in STABLES:
                h.cell = pair_ticker(rng, h.cell, quote)
        tags.append("rows:pair-tickers")
    return holdings


_QUOTES = _CODES | {"BUSD", "FDUSD", "TUSD", "USDP", "DAI", "PYUSD", "USDE"}


def pair_ticker(rng: random.Random, asset: str, quote: str) -> str:
    """``ETH-USD`` or ``ethusd``; run together only where no other quote could end it
    (``arbusd`` may be ARB/USD or AR/BUSD: SPEC leaves it open, so it is never written)."""
    joined = f"{asset}{quote}"
    clear = not any(joined.endswith(q) and q != quote for q in _QUOTES)
    return rng.choice((f"{asset}-{quote}", joined.lower())) if clear else f"{asset}-{quote}"


def identities(cols: list[Col]) -> set[tuple[str, str, str]]:
    """Every (a, b, c) of numeric columns with a × b = c on most rows that have all three,
    within the rounding c shows or 0.5 % (SPEC 3.9 item 8), as column roles."""
    nums = [c for c in cols if c.numbers is not None]
    out = set()
    for i, a in enumerate(nums):
        for b in nums[i + 1:]:
            for c in nums:
                if c is a or c is b:
                    continue
                rows = [(x, y, z) for x, y, z in zip(a.numbers, b.numbers, c.numbers)
                        if None not in (x, y, z)]
                tol = D(5) / D(10) ** (c.places + 1)
                hits = sum(abs(x * y - z) <= max(tol, abs(z) * D("0.005")) for x, y, z in rows)
                if rows and hits * 2 > len(rows):
                    out.add((*sorted((a.role, b.role)), c.role))
    return out


#: The identities a holdings table is meant to have (item 8); any other one is an accident
#: of the draw, and the side column that makes it is dropped.
MEANT = {("price", "quantity", "value"), ("avg_cost", "quantity", "cost_basis")}


def drop_accidents(cols: list[Col]) -> list[Col]:
    while True:
        extra = identities(cols) - MEANT
        if not extra:
            return cols
        fields = {"asset", "quantity", "price", "value", "avg_cost", "cost_basis",
                  "value_base", "rate"}
        bad = next((r for triple in sorted(extra) for r in triple if r not in fields), None)
        if bad is None:  # a program error: the draw must not let the fields make two identities
            raise AssertionError(f"the fields satisfy {sorted(extra)}: quantities near 1?")
        cols = [c for c in cols if c.role != bad]


def place_holdings(rng: random.Random, book: Book, plan: Plan, holdings: list[Holding],
                   cols: list[Col], tags: list[str], *, name: str | None = None
                   ) -> tuple[Placed, Sheet]:
    """The holdings sheet: title and KPI block, the table (maybe an Excel Table, off column A),
    its totals row, a second table below and one beside."""
    pandas = "index" in plan.extras
    holdings_named = name == "Holdings" or name is None and not pandas and _chance(rng, 0.07)
    if holdings_named:
        name = "Holdings"
        tags.append("sheet:named-holdings")  # item 1/2: found by name, read to its end
    sheet = book.add(name or rng.choice(_SHEET_NAMES["en" if broker(plan.words)
                                                     else plan.words.code]))
    c0 = 0 if pandas else rng.choice((0, 0, 1, 1, 2, 3))
    r0 = 0 if pandas else title_block(rng, sheet, c0, plan, holdings, tags)
    if c0:
        tags.append("layout:off-column-a")
    placed = place_table(
        rng, sheet, r0, c0, cols, gap=not pandas and _chance(rng, 0.08),
        template=0 if pandas or not _chance(rng, 0.1) else rng.randint(1, 6),
        totals=None if pandas else rng.choice((None, None, "labelled", "labelled", "unlabelled")),
        total_word=totals_word(rng, plan.words), tags=tags)
    if placed.rows and _chance(rng, 0.08):
        sheet.hidden.add(rng.choice(placed.rows))  # SPEC 3.8: hidden rows are still read
        tags.append("layout:hidden-row")
    # item 1/2: an Excel Table is a candidate and ends at its own range (its totals row in it)
    if not pandas and _chance(rng, 0.2) and as_excel_table(
            sheet, placed, rng.choice(("Table1", "tblPortfolio", "Tableau1", "Tabelle1")), cols):
        tags.append("layout:excel-table")
    # a sheet named Holdings is read to its end (item 2): what else is on it is SPEC's open
    # question, so nothing else is
    if not pandas and not holdings_named and _chance(rng, 0.3):
        second_table(rng, sheet, placed.last_row + rng.randint(2, 4), c0,
                     rng.choice(("watchlist", "summary", "model")), plan, holdings, tags)
    if not pandas and not holdings_named and _chance(rng, 0.2):
        # beside, never on the header row: a header row that runs on past an empty column into
        # another asset column (Scheme Name … STOCK) is one table or two? SPEC leaves it open
        second_table(rng, sheet, placed.header_row + rng.choice((1, 2, 3)),
                     placed.last_col + rng.randint(2, 3),
                     rng.choice(("watchlist", "summary", "model")), plan, holdings, tags)
    return placed, sheet


def other_sheets(rng: random.Random, book: Book, plan: Plan, holdings: list[Holding],
                 tags: list[str], settings: list[tuple[str, CellValue]]) -> None:
    """A trade log before or after the holdings (item 10: a candidate that is a log is set
    aside and the next is tried), a price history, the user's own Settings and Prices sheets
    (item 11), notes; and our Settings when the book needs one."""
    if _chance(rng, 0.25):
        first = _chance(rng, 0.5)
        log_sheet(rng, book, plan.words, holdings, 0 if first else len(book.sheets), tags)
        if first:  # item 10: a candidate that is a log is set aside, the next one is tried
            tags.append("sheet:log-first")
    if _chance(rng, 0.2):
        history_sheet(rng, book, plan.words, holdings, None, tags)
    if _chance(rng, 0.12):
        user_settings(rng, book, tags)
    if _chance(rng, 0.05) and book.sheet("Prices") is None:
        user_prices(rng, book, holdings, tags)
    if _chance(rng, 0.1):
        notes_sheet(book)
    if settings:
        our_settings(book, settings, tags)


def base_setting(plan: Plan, tags: list[str]) -> list[tuple[str, CellValue]]:
    """Settings Base Currency for a book whose headers do not name its currency (SPEC 3.10:
    a currency is never taken from nowhere; unnamed is US dollars)."""
    if plan.currency == "USD" or plan.named:
        return []
    tags.append("settings:base-currency")
    return [("Base Currency", plan.currency)]


def planned_truth(plan: Plan, holdings: list[Holding], placed: Placed, mapping: dict[str, str],
                  base: str, rates: tuple[tuple[str, str, Decimal | None], ...] = (),
                  prices: list[Decimal] | None = None) -> Truth:
    """Positions as SPEC 3.1/3.9 read them: the price column's price, else value ÷ quantity
    (item 4); the average cost, else cost basis ÷ quantity (3.1); the venue column's venue."""
    out = []
    for i, h in enumerate(holdings):
        if prices is not None:
            price, exact = prices[i], False
        elif plan.value == "only":
            price, exact = h.value / h.quantity, False
        else:
            price, exact = h.price, True
        avg = h.avg_cost if plan.costs in ("avg", "both") else \
            rounded(h.quantity * h.avg_cost, minor(h.currency)) / h.quantity \
            if plan.costs == "basis" else None
        out.append(Expected(h.asset, h.quantity, price, avg,
                            h.venue if "venue" in plan.extras else None, exact))
    total = sum((p.quantity * p.price for p in out), D(0))
    tolerance = D(0) if all(p.exact for p in out) else total * D("1e-9") + D("1e-9")
    if rates:
        tolerance += D(len(out)) / 2 / D(10) ** minor(base)
    return Truth("planned", tuple(out), total, tolerance, base, placed.sheet.name,
                 placed.header_row + 1, tuple(mapping.items()), rates)


def plain_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """A tracker as users keep it, read as it is (SPEC 3.9 items 1–7, 9–13)."""
    plan = draw_plan(rng, tags)
    holdings = book_holdings(rng, plan, tags)
    if len({h.asset for h in holdings}) < len(holdings):
        plan = replace(plan, extras=plan.extras - {"date"})  # item 3: repeats + a date = a log
    tags += plan_tags(plan)
    cols, mapping = holdings_columns(rng, plan, holdings, tags)
    if plan.text_numbers:
        numbers_as_text(rng, plan, cols, tags)
    cols = drop_accidents(order_columns(rng, plan, cols, tags))
    book = Book()
    placed, _ = place_holdings(rng, book, plan, holdings, cols, tags)
    other_sheets(rng, book, plan, holdings, tags, base_setting(plan, tags))
    truth = planned_truth(plan, holdings, placed, mapping, plan.currency)
    summary = (f"{plan.words.name} {plan.market} book in {plan.currency}"
               f"{' (named)' if plan.named else ''}, {len(holdings)} rows on "
               f"{sheet_ref(placed.sheet.name, coordinate(placed.header_row, placed.first_col))}"
               f", sheets {', '.join(s.name for s in book.sheets)}")
    return book, truth, summary


def _layout_simple(rng: random.Random, book: Book, plan: Plan, holdings: list[Holding],
                   cols: list[Col], tags: list[str], total_word: tuple[str, str] | None = None,
                   total: Decimal | None = None) -> Placed:
    """A table under an optional title, maybe off column A, maybe with a totals row."""
    sheet = book.add(rng.choice(_SHEET_NAMES["en" if broker(plan.words) else plan.words.code]))
    c0 = rng.choice((0, 0, 1, 2))
    r0 = title_block(rng, sheet, c0, plan, holdings, tags, total)
    totals = rng.choice((None, "labelled", "unlabelled"))
    return place_table(rng, sheet, r0, c0, cols, totals=totals,
                       total_word=total_word or totals_word(rng, plan.words), tags=tags)


def _summary(kind: str, plan: Plan, holdings: list[Holding], placed: Placed, book: Book) -> str:
    where = sheet_ref(placed.sheet.name, coordinate(placed.header_row, placed.first_col))
    return (f"{kind}: {plan.market} book in {plan.currency}, {len(holdings)} rows on {where}, "
            f"sheets {', '.join(s.name for s in book.sheets)}")


# -- numbers before words (SPEC 3.9 item 8) ------------------------------------------------------

#: How a reading tells the quantity from the price when the identity holds but the words do not
#: say (item 8, in the lead's order): a hand mapping, header words on either factor, a currency
#: in a factor's header, stablecoins at 1, the same asset twice at one price; else refuse.
NUMBER_RULES = ("hand", "words", "currency", "stablecoin", "repeat", "none")


def numbers_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Headers in a language no vocabulary table holds: Quantity × Price = Value decides which
    columns are the quantity, the price and the value, a text column of distinct identifiers
    is the asset (item 8); the rule that tells quantity from price decides the truth."""
    rule = rng.choice(NUMBER_RULES)
    lang = unknown_language(rng)
    tags += [f"numbers:{rule}", f"unknown-words:{lang}"]
    market = "crypto" if rule == "stablecoin" or _chance(rng, 0.6) else "stock"
    currency = rng.choice(("EUR", "USD", "GBP")) if rule == "currency" else "USD"
    holdings = draw_holdings(rng, market, currency, rng.randint(3, 9))
    if rule == "stablecoin":
        add_stables(rng, holdings, rng.randint(1, 2))
    venue_col = rule == "repeat" or _chance(rng, 0.2) and rule != "none"
    if venue_col:
        add_venues(rng, holdings, market, rng.randint(1, 2) if rule == "repeat" else 0)
    taken: set[str] = set()
    known_asset = rule == "repeat" or venue_col or _chance(rng, 0.4)
    plan = Plan(rng.choice(LANGUAGES), market, currency, currency if rule == "currency" else None)

    def unknown_head(role: str) -> str:
        w = unknown(rng, role, lang, taken)
        taken.add(norm_word(w))
        return w

    asset_h = header_form(rng, plan.words, "asset", field_word(rng, plan.words, "asset", taken),
                          None, tags) if known_asset else unknown_head("asset")
    known_factor = rng.choice(("quantity", "price")) if rule == "words" else None
    heads = {}
    for role in ("quantity", "price"):
        heads[role] = header_form(rng, plan.words, role, field_word(rng, plan.words, role, taken),
                                  None, tags) if role == known_factor else unknown_head(role)
    if rule == "currency":  # rule 3: money named in a factor's header is the price
        heads["price"] = _with_currency(rng, plan.words, heads["price"], currency, "plain", tags)
    value_known = _chance(rng, 0.4)
    heads["value"] = header_form(rng, plan.words, "value", field_word(
        rng, plan.words, "value", taken), None, tags) if value_known else unknown_head("value")
    if rule == "none" and _chance(rng, 0.3):  # a currency on the value is no factor's (rule 3)
        heads["value"] = _with_currency(rng, plan.words, heads["value"], "USD", "plain", tags)
        tags.append("numbers:value-names-currency")
    mf = money_format(plan)
    cols = [Col("asset", asset_h, [h.cell for h in holdings]),
            _number_col("quantity", heads["quantity"], [h.quantity for h in holdings], places=8),
            _number_col("price", heads["price"], [h.price for h in holdings], mf, 8),
            _number_col("value", heads["value"], [h.value for h in holdings], mf,
                        minor(currency))]
    cols[-1].total = cell_number(sum(h.value for h in holdings))
    venue_known = venue_col and known_asset and _chance(rng, 0.5)
    if venue_col:  # a venue column is one only by its word (SPEC 3.9 item 4): no number says so
        cols.append(Col("venue", field_word(rng, plan.words, "venue", taken) if venue_known
                        else unknown_head("venue"), [h.venue for h in holdings]))
    body = cols[1:]
    rng.shuffle(body)
    cols = [cols[0]] + body if _chance(rng, 0.7) else rng.sample(cols, len(cols))
    book = Book()
    placed = _layout_simple(rng, book, plan, holdings, cols, tags,
                            total_word=(_UNKNOWN_LANGUAGES[lang]["totals"][0], lang))
    settings = []
    if rule == "hand":  # item 12 (rule 1): Settings name the columns by their header text
        keys = rng.choice((("Quantity Column",), ("Price Column",),
                           ("Quantity Column", "Price Column")))
        settings = [(k, heads[k.split()[0].lower()]) for k in keys]
        our_settings(book, settings, tags)
    mapping = {"Asset": asset_h, "Quantity": heads["quantity"], "Price": heads["price"],
               "Value": heads["value"]}
    summary = _summary(f"numbers ({rule}, {lang} words)", plan, holdings, placed, book)
    if rule == "none":
        return book, Truth("refused", reason="two readings", names=(
            heads["quantity"], heads["price"], ("Quantity Column", "Price Column", "--column"))), \
            summary
    return book, planned_truth(replace(plan, extras=frozenset({"venue"} if venue_known else ())),
                               holdings, placed, mapping, currency), summary


# -- several currencies (SPEC 3.10) --------------------------------------------------------------

CURRENCY_KINDS = ("value-column", "header-pair", "rate-column", "fx-sheet", "fx-table",
                  "settings", "none", "btc-usd")
_FX_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "JPY", "CHF")


def currency_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Positions in several currencies, converted at the rate the book gives (3.10): a value
    column in the base currency on the row, a rate column, an FX sheet or Excel Table, Settings
    FX keys; none, and the reading refuses, naming the currencies and their rows."""
    kind = rng.choice(CURRENCY_KINDS)
    tags.append(f"currencies:{kind}")
    if kind == "btc-usd":
        return _btc_priced(rng, tags)
    if kind == "header-pair":
        return _header_pair(rng, tags)
    words = rng.choice([t for t in LANGUAGES if VOCAB.words(t, "asset", 1)])
    base = rng.choice(("USD", "EUR", "GBP", "CAD"))
    others = rng.sample([c for c in _FX_CURRENCIES if c != base and c in _STOCKS],
                        rng.randint(1, 2))
    holdings = _mixed_holdings(rng, base, others)
    plan = Plan(words, "stock", base, None, "with" if _chance(rng, 0.5) else "none")
    taken: set[str] = set()
    asset_h = header_form(rng, words, "asset", _take(rng, words, "asset", taken), None, tags)
    cur_h = _take(rng, words, "asset", taken, rank=1)
    cols = [Col("asset", asset_h, [h.cell for h in holdings]),
            Col("currency", cur_h, [h.currency for h in holdings]),
            _number_col("quantity", header_form(rng, words, "quantity",
                                                _take(rng, words, "quantity", taken), None, tags),
                        [h.quantity for h in holdings], places=8),
            _number_col("price", header_form(rng, words, "price",
                                             _take(rng, words, "price", taken), None, tags),
                        [h.price for h in holdings], "#,##0.00", 8)]
    mapping = {"Asset": asset_h, "Quantity": cols[2].header, "Price": cols[3].header}
    book = Book()
    rates = {c: rate(c, base) for c in others}
    settings: list[tuple[str, CellValue]] = []
    if kind == "value-column":  # the row's value in the base currency gives the rate
        values = [rounded(h.quantity * h.price * (rates.get(h.currency, D(1))), minor(base))
                  for h in holdings]
        text = header_form(rng, words, "value", _take(rng, words, "value", taken, 0, base), base,
                           tags)
        cols.append(_number_col("value_base", text, values, FORMAT.get(base), minor(base)))
        cols[-1].total = cell_number(sum(values))
        mapping["Value"] = text
        # a row already in the base currency needs no rate: its price is its price
        prices = [h.price if h.currency == base else v / h.quantity
                  for v, h in zip(values, holdings)]
    else:
        if plan.value == "with":  # the row's value in its own currency
            local = [rounded(h.quantity * h.price, 2) for h in holdings]
            text = header_form(rng, words, "value", _take(rng, words, "value", taken), None, tags)
            cols.append(_number_col("value", text, local, "#,##0.00"))
            mapping["Value"] = text
        prices = [h.price * rates.get(h.currency, D(1)) for h in holdings]
        if kind == "rate-column":
            word = other_word(rng, words, "rate", taken) or "FX Rate"
            word = f"{word} {base}" if _chance(rng, 0.3) else word
            cols.append(_number_col("rate", word, [rates.get(h.currency, D(1)) for h in holdings],
                                    None, 6))
        elif kind == "settings":
            settings = [(f"FX {c}", cell_number(r)) for c, r in rates.items()]
    body = cols[2:]
    rng.shuffle(body)
    cols = cols[:2] + body
    placed = _layout_simple(rng, book, plan, holdings, cols, tags, total=rounded(sum(
        h.quantity * p for h, p in zip(holdings, prices)), minor(base)))
    if kind in ("fx-sheet", "fx-table"):
        _fx_rates(rng, book, base, rates, kind, tags)
    if kind == "settings" or _chance(rng, 0.2):
        settings = [("Base Currency", base)] + settings
        tags.append("settings:base-currency")
    if settings:
        our_settings(book, settings, tags)
    summary = _summary(f"currencies ({kind})", plan, holdings, placed, book)
    where = {"value-column": "value column", "rate-column": "rate column", "fx-sheet": "FX sheet",
             "fx-table": "FX table", "settings": "Settings"}.get(kind, "")
    if kind == "none":
        names: list = []
        for c in others:
            first = next(i for i, h in enumerate(holdings) if h.currency == c)
            r = placed.rows[first] + 1
            names += [c, (f"row {r}", f"rows {r}", *(f"{column_letter(k)}{r}" for k in range(
                placed.first_col, placed.last_col + 1)))]
        return book, Truth("refused", reason="no rate", names=tuple(names)), summary
    given = kind != "value-column"  # else each row's base-currency value gives its own rate
    return book, planned_truth(plan, holdings, placed, mapping, base, tuple(
        (c, where, rates[c] if given else None) for c in others), prices=prices), summary


def _take(rng: random.Random, words: Words, fld: str, taken: set[str], rank: int = 0,
          currency: str | None = None) -> str:
    w = field_word(rng, words, fld, taken, rank, currency)
    taken.add(norm_word(w))
    return w


def _mixed_holdings(rng: random.Random, base: str, others: list[str]) -> list[Holding]:
    """Stocks in the base currency on most rows (3.10: the base currency is the one most rows
    are in: strictly more than any other), the rest in ``others``."""
    n_base = rng.randint(2, min(5, len(_STOCKS[base])))
    holdings = draw_holdings(rng, "stock", base, n_base)
    for c in others:
        holdings += draw_holdings(rng, "stock", c, rng.randint(1, n_base - 1))
    rows = Counter(h.currency for h in holdings)
    assert all(rows[c] < rows[base] for c in others), rows
    rng.shuffle(holdings)
    return holdings


def _fx_rates(rng: random.Random, book: Book, base: str, rates: dict[str, Decimal], kind: str,
              tags: list[str]) -> None:
    """An FX sheet, or an Excel Table named FX: a currency or a pair, and its rate."""
    sheet = book.add(rng.choice(("FX", "Rates", "Exchange Rates", "Wechselkurse")))
    pair = _chance(rng, 0.5)
    sheet.row(0, 0, ["Pair" if pair else "Currency", "Rate"])
    for i, (c, r) in enumerate(sorted(rates.items()), start=1):
        label = rng.choice((f"{c}{base}", f"{c}/{base}")) if pair else c
        sheet.row(i, 0, [label, cell_number(r)])
    if kind == "fx-table":
        sheet.tables.append((TableRef("FX", sheet.name, 0, 0, len(rates), 1), False))
    tags.append(f"fx:{'pairs' if pair else 'currencies'}")


def _header_pair(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Prices in one currency named in their header, values in another (3.10: every money
    column has the currency its header names; the value column's is the base currency)."""
    words = ENGLISH if _chance(rng, 0.5) else rng.choice(LANGUAGES)
    price_cur, base = rng.sample(("USD", "EUR", "GBP", "INR"), 2)
    holdings = draw_holdings(rng, "crypto", price_cur, rng.randint(2, 7))
    r = rate(price_cur, base)
    values = [rounded(h.quantity * h.price * r, 2) for h in holdings]
    plan = Plan(words, "crypto", base, base)
    taken: set[str] = set()
    heads = [header_form(rng, words, f, _take(rng, words, f, taken, 0, c), c, tags)
             for f, c in (("asset", None), ("quantity", None), ("price", price_cur),
                          ("value", base))]
    cols = [Col("asset", heads[0], [h.cell for h in holdings]),
            _number_col("quantity", heads[1], [h.quantity for h in holdings], places=8),
            _number_col("price", heads[2], [h.price for h in holdings], FORMAT.get(price_cur), 8),
            _number_col("value_base", heads[3], values, FORMAT.get(base))]
    cols[-1].total = cell_number(sum(values))
    book = Book()
    placed = _layout_simple(rng, book, plan, holdings, cols, tags, total=sum(values))
    mapping = {"Asset": heads[0], "Quantity": heads[1], "Price": heads[2], "Value": heads[3]}
    prices = [v / h.quantity for v, h in zip(values, holdings)]
    return book, planned_truth(plan, holdings, placed, mapping, base,
                               ((price_cur, "value column", None),), prices=prices), \
        _summary("currencies (header-pair)", plan, holdings, placed, book)


def _btc_priced(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Prices in BTC (no currency named) beside their US-dollar equivalent: the named one, in
    the base currency, is read (3.10)."""
    holdings = draw_holdings(rng, "crypto", "USD", rng.randint(1, 6))
    add_venues(rng, holdings, "crypto", 0)
    btc = significant(D(repr(_log_uniform(rng, 20000, 62000))), 6)
    plan = Plan(ENGLISH, "crypto", "USD", "USD", extras=frozenset({"venue"}))
    named = rng.choice(("USD equivalent of current price", "Current Price (USD)",
                        "Price in USD"))
    cols = [Col("asset", "Ticker", [h.cell for h in holdings]),
            Col("venue", "Exchange", [h.venue for h in holdings]),
            _number_col("quantity", "Quantity", [h.quantity for h in holdings], places=8),
            _number_col("price_btc", "Current Price", [significant(h.price / btc, 6)
                                                       for h in holdings], places=10),
            _number_col("price", named, [h.price for h in holdings], FORMAT["USD"], 8)]
    if _chance(rng, 0.5):
        cols.append(_number_col("value", "Value (USD)", [h.value for h in holdings],
                                FORMAT["USD"]))
        cols[-1].total = cell_number(sum(h.value for h in holdings))
    book = Book()
    sheet = book.add(rng.choice(("Sheet1", "Crypto Tracker", "Portfolio")))
    sheet.row(0, 0, ["1 BTC =", cell_number(btc), "USD"])
    placed = place_table(rng, sheet, 2, rng.choice((0, 1)), cols, tags=tags,
                         totals=rng.choice((None, "labelled")))
    mapping = {"Asset": "Ticker", "Quantity": "Quantity", "Price": named}
    tags.append("currencies:btc-beside-usd")
    summary = _summary("currencies (BTC prices beside USD)", plan, holdings, placed, book)
    if len(holdings) == 1:
        # one row cannot show the named column is the same price at one rate (3.10; realbook
        # 19, whose 'USD equivalent' is the value): refused, naming the setting that picks
        return book, Truth("refused", reason="two readings", names=("Current Price", named)), \
            summary
    return book, planned_truth(plan, holdings, placed, mapping, "USD"), summary


# -- snapshots, stacked wallets (SPEC 3.9 items 2 and 3) ----------------------------------------


def snapshot_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """A series of snapshots: every row dated, each date listing each asset once; the latest
    snapshot is read, with a word (item 3)."""
    plan = replace(draw_plan(rng, tags, words=rng.choice(LANGUAGES)), value="with", costs="none",
                   extras=frozenset(),
                   decoys=frozenset(), text_numbers=False)
    tags += plan_tags(plan)
    holdings = draw_holdings(rng, plan.market, plan.currency, rng.randint(2, 6))
    taken: set[str] = set()
    named = plan.words_currency
    heads = {f: header_form(rng, plan.words, f, _take(rng, plan.words, f, taken, 0,
                                                      named if f in MONEY else None),
                            plan.named if f in MONEY else None, tags)
             for f in ("asset", "quantity", "price", "value")}
    stamps = sorted(dt.datetime(2026, rng.randint(1, 10), rng.randint(1, 28), rng.randint(8, 20),
                                rng.choice((0, 15, 30))) for _ in range(rng.randint(2, 4)))
    stamps = sorted(set(stamps))
    rows = []
    for k, stamp in enumerate(stamps):
        for h in holdings:
            price = significant(h.price * D(repr(rng.uniform(0.8, 1.25))), 6) \
                if k < len(stamps) - 1 else h.price  # the latest snapshot is the truth
            rows.append((stamp, h.cell, h.quantity, price, rounded(h.quantity * price,
                                                                   minor(plan.currency))))
    if _chance(rng, 0.3):
        rows.reverse()
        tags.append("snapshots:newest-first")
    date_h = _word_of(plan.words, "date")
    book = Book()
    sheet = book.add(rng.choice(("Snapshots", "History", "Portfolio", "Sheet1")))
    sheet.row(0, 0, [date_h, heads["asset"], heads["quantity"], heads["price"], heads["value"]])
    mf = money_format(plan)
    for i, (stamp, cell, q, p, v) in enumerate(rows, start=1):
        sheet.put(i, 0, stamp)
        sheet.put(i, 1, cell)
        sheet.put(i, 2, cell_number(q))
        sheet.put(i, 3, cell_number(p), mf)
        sheet.put(i, 4, cell_number(v), mf)
    placed = Placed(sheet, 0, 0, 4, [], len(rows))
    tags.append(f"snapshots:{len(stamps)}")
    settings = base_setting(plan, tags)
    if settings:
        our_settings(book, settings, tags)
    mapping = {"Asset": heads["asset"], "Quantity": heads["quantity"], "Price": heads["price"],
               "Value": heads["value"]}
    return book, planned_truth(plan, holdings, placed, mapping, plan.currency), \
        _summary(f"{len(stamps)} snapshots", plan, holdings, placed, book)


def stacked_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Wallets stacked one under another, each under a repeat of the same header and closed by
    a subtotal: blocks of the same columns are read together (item 2)."""
    plan = draw_plan(rng, tags)
    plan = replace(plan, extras=plan.extras - {"index", "spacer", "error-tickers", "date", "venue"},
                   value="with" if plan.value == "none" else plan.value, text_numbers=False)
    tags += plan_tags(plan)
    blocks = rng.randint(2, 3)
    holdings = draw_holdings(rng, plan.market, plan.currency, rng.randint(blocks * 2, 10))
    add_costs(rng, holdings)
    for h in holdings:
        h.venue = None
    cols, mapping = holdings_columns(rng, plan, holdings, tags)
    cols = drop_accidents(order_columns(rng, plan, cols, tags))
    book = Book()
    sheet = book.add(rng.choice(_SHEET_NAMES["en" if broker(plan.words) else plan.words.code]))
    c0 = rng.choice((0, 1))
    r = title_block(rng, sheet, c0, plan, holdings, tags)
    cuts = sorted(rng.sample(range(1, len(holdings)), blocks - 1))
    spans = list(zip([0] + cuts, cuts + [len(holdings)]))
    titled = _chance(rng, 0.4)
    first: Placed | None = None
    for k, (a, b) in enumerate(spans):
        if titled and k:
            sheet.put(r, c0, rng.choice(("Exchanges", "Cold wallets", "Others", "DeFi")))
            r += 1
        part = [replace(c, cells=c.cells[a:b], numbers=c.numbers[a:b] if c.numbers else None,
                        total=_subtotal(c, a, b)) for c in cols]
        placed = place_table(rng, sheet, r, c0, part, totals=rng.choice(("labelled",
                                                                         "unlabelled")),
                             total_word=totals_word(rng, plan.words), tags=tags)
        first = first or placed
        r = placed.last_row + rng.randint(2, 3)
    tags += [f"stacked:{blocks}"] + (["stacked:titled"] if titled else [])
    settings = base_setting(plan, tags)
    if settings:
        our_settings(book, settings, tags)
    return book, planned_truth(plan, holdings, first, mapping, plan.currency), \
        _summary(f"{blocks} stacked blocks", plan, holdings, first, book)


def _subtotal(c: Col, a: int, b: int) -> CellValue:
    if c.total is None or c.numbers is None:
        return None
    return cell_number(sum(c.numbers[a:b]))


# -- refusals -------------------------------------------------------------------------------------

REFUSALS = ("log", "price history", "no price", "no quantity", "no positions")


def refusal_book(rng: random.Random, tags: list[str]) -> tuple[Book, Truth, str]:
    """Books with no holdings to plan, refused with the reason: only a log or only a price
    history (item 3: never holdings; item 10: a refusal names every candidate and why), a
    table with no price or value, or no quantity (item 1: a candidate names an asset, a
    quantity and a price or value column), a header with no positions under it (item 2: a
    template row is no position; realbooks 03 and 13)."""
    reason = rng.choice(REFUSALS)
    tags.append(f"refusal:{reason}")
    plan = draw_plan(rng, tags, words=rng.choice(LANGUAGES))
    tags += [f"words:{plan.words.code}", f"market:{plan.market}"]
    holdings = draw_holdings(rng, plan.market, plan.currency, rng.randint(2, 8))
    add_costs(rng, holdings)
    book = Book()
    if reason == "log":
        sheet = log_sheet(rng, book, plan.words, holdings, 0, tags)
    elif reason == "price history":
        sheet = history_sheet(rng, book, plan.words, holdings, 0, tags)
    else:
        taken: set[str] = set()
        fields = {"no price": ("asset", "quantity", rng.choice(("cost_basis", "avg_cost"))),
                  "no quantity": ("asset", "price"),
                  "no positions": ("asset", "quantity", "price", "value")}[reason]
        named = plan.words_currency
        heads = [header_form(rng, plan.words, f, _take(rng, plan.words, f, taken, 0,
                                                       named if f in MONEY else None),
                             plan.named if f in MONEY else None, tags) for f in fields]
        sheet = book.add(rng.choice(_SHEET_NAMES["en" if broker(plan.words) else plan.words.code]))
        c0 = rng.choice((0, 1))
        sheet.row(0, c0, heads)
        if reason != "no positions":
            for i, h in enumerate(holdings, start=1):
                sheet.put(i, c0, h.cell)
                x = {"quantity": h.quantity, "price": h.price, "avg_cost": h.avg_cost,
                     "cost_basis": rounded(h.quantity * h.avg_cost, 2)}
                for k, f in enumerate(fields[1:], start=1):
                    sheet.put(i, c0 + k, cell_number(x[f]))
        elif _chance(rng, 0.5):  # template rows: no asset, a zero quantity (item 2)
            for i in range(1, rng.randint(2, 8)):
                sheet.row(i, c0 + 1, [0.0, None, 0.0])
            tags.append("layout:template-rows")
    if _chance(rng, 0.3):
        notes_sheet(book)
    summary = f"refusal ({reason}): {plan.words.name} words, sheets " \
              f"{', '.join(s.name for s in book.sheets)}"
    return book, Truth("refused", reason=reason, names=(sheet.name,)), summary


# -- bounded work: a big book, with and without words a reader knows ------------------------------


def _tickers(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct made-up tickers that are no currency, stablecoin or pair."""
    out: set[str] = set()
    while len(out) < n:
        t = "".join(rng.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(rng.randint(3, 5)))
        if not any(t.endswith(q) for q in _QUOTES) and t not in STABLES:
            out.add(t)
    return sorted(out)


def big_book(known: bool, sheets: int = 50, rows: int = 20_000, seed: int = 0) -> Tracker:
    """A tracker of ``sheets`` sheets and ``rows`` rows in all (the issue's bounded-work case):
    the holdings on the first sheet, then price histories (dates down, assets across), market
    data tables and trade logs. ``known``: the headers are words of the vocabulary; else none
    is (SPEC 3.9 item 8), and a stablecoin at 1 tells the price (rule 4). Either way the
    holdings are read and nothing else is."""
    rng = random.Random(seed)
    per = rows // sheets
    words = {"asset": "Symbol", "quantity": "Quantity", "price": "Price", "value": "Value",
             "date": "Date", "change": "24h Change %", "volume": "Volume", "side": "Type"} \
        if known else {"asset": "Kohde", "quantity": "Määrä", "price": "Kurssi",
                       "value": "Arvo", "date": "Päiväys", "change": "Muutos",
                       "volume": "Vaihto", "side": "Laji"}
    assert known or not any(VOCAB.known(w) for w in words.values()), words
    tickers = _tickers(rng, per)
    holdings = []
    for t in tickers[:per - 1]:
        price = significant(D(repr(_log_uniform(rng, 0.01, 5000))), 5)
        quantity = rounded(D(repr(_log_uniform(rng, 20, 20000))) / price, 4) + 2
        holdings.append(Holding(t, t, t, quantity, price, "USD",
                                rounded(quantity * price, 2)))
    holdings.append(Holding("USDT", "USDT", "Tether", D("2500.00"), D(1), "USD", D("2500.00")))
    book = Book()
    sheet = book.add("Portfolio")
    sheet.row(0, 0, [words[f] for f in ("asset", "quantity", "price", "value")])
    for i, h in enumerate(holdings, start=1):
        sheet.row(i, 0, [h.cell, cell_number(h.quantity), cell_number(h.price),
                         cell_number(h.value)])
    for k in range(1, sheets):
        _big_sheet(rng, book.add(f"Data {k}"), k % 3, per, tickers, words)
    plan = Plan(ENGLISH if known else LANGUAGES[0], "crypto", "USD", None)
    placed = Placed(sheet, 0, 0, 3, [], len(holdings))
    mapping = {"Asset": words["asset"], "Quantity": words["quantity"], "Price": words["price"],
               "Value": words["value"]}
    tags = ["scenario:bounded", f"bounded:{'known' if known else 'unknown'}-words"]
    return Tracker(seed, book, planned_truth(plan, holdings, placed, mapping, "USD"),
                   tuple(tags), f"{sheets} sheets, {rows} rows, "
                                f"{'known' if known else 'unknown'} header words")


def _big_sheet(rng: random.Random, sheet: Sheet, kind: int, n: int, tickers: list[str],
               words: dict[str, str]) -> None:
    """A price history (0), market data without quantities (1), or a trade log (2)."""
    if kind == 0:
        assets = tickers[:12]
        sheet.row(0, 0, [words["date"], *assets])
        for i in range(1, n):
            sheet.row(i, 0, [AS_OF - dt.timedelta(days=n - i),
                             *(round(rng.uniform(1, 100), 4) for _ in assets)])
    elif kind == 1:
        sheet.row(0, 0, [words["asset"], words["price"], words["volume"], words["change"]])
        for i in range(1, n):
            sheet.row(i, 0, [tickers[i % len(tickers)], round(rng.uniform(1, 100), 4),
                             round(rng.uniform(1e3, 1e7), 0), round(rng.uniform(-9, 9), 2)])
    else:
        sheet.row(0, 0, [words["date"], words["side"], words["asset"], words["quantity"],
                         words["price"], words["value"]])
        for i in range(1, n):
            q, p = round(rng.uniform(1, 50), 2), round(rng.uniform(1, 100), 2)
            sheet.row(i, 0, [AS_OF - dt.timedelta(days=n - i // 2), rng.choice(("Buy", "Sell")),
                             tickers[i % 7], q, p, round(q * p, 2)])


# =============================================================================================
# generate, check
# =============================================================================================

#: Scenarios and their weights: most books are trackers read as they are.
SCENARIOS: dict[str, tuple[float, Callable]] = {
    "plain": (0.55, plain_book),
    "numbers": (0.12, numbers_book),
    "currencies": (0.13, currency_book),
    "snapshots": (0.04, snapshot_book),
    "stacked": (0.07, stacked_book),
    "refusal": (0.09, refusal_book),
}


def generate(seed: int) -> Tracker:
    """The book of ``seed``, the same for the same seed."""
    rng = random.Random(seed)
    names = list(SCENARIOS)
    name = rng.choices(names, weights=[SCENARIOS[n][0] for n in names])[0]
    tags = [f"scenario:{name}"]
    book, truth, summary = SCENARIOS[name][1](rng, tags)
    return Tracker(seed, book, truth, tuple(dict.fromkeys(tags)), summary)


_WHERE = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Za-z]{1,3})\$?(\d+)")
USD_FAMILY = frozenset({"USD", "USDT", "USDC"})


def _same_currency(a: str, b: str) -> bool:
    return a == b or {a, b} <= USD_FAMILY


def _close(a: Decimal, b: Decimal, exact: bool) -> bool:
    return a == b if exact else abs(a - b) <= abs(b) * D("1e-9") + D("1e-18")


def check(tracker: Tracker, result) -> list[str]:
    """What a reading (a :class:`~derisk_xl.workbook.contract.ReadResult`) got wrong against the
    truth, one line each; empty when it is right."""
    t = tracker.truth
    errors = [i for i in result.issues if i.severity == "error"]
    if t.outcome == "refused":
        return _check_refusal(t, result, errors)
    if result.inputs is None:
        return ["refused, but the truth is a plan: " + " | ".join(str(i) for i in errors[:3])]
    out = [f"error: {i}" for i in errors[:3]]
    out += _check_positions(t, list(result.inputs.positions))
    got_total = sum((p.quantity * p.price for p in result.inputs.positions), D(0))
    if abs(got_total - t.total) > t.tolerance:
        out.append(f"T is {got_total:,.6f}, expected {t.total:,.6f} {t.base_currency}")
    source = result.inputs.source
    if not _same_currency(source.base_currency, t.base_currency):
        out.append(f"base currency {source.base_currency}, expected {t.base_currency}")
    m = _WHERE.match(source.where)
    sheet = (m.group(1) or "").replace("''", "'") or (m.group(2) or "") if m else ""
    if not m or sheet != t.sheet or int(m.group(4)) != t.header_row:
        out.append(f"read from {source.where}, expected the table with its header on row "
                   f"{t.header_row} of {t.sheet}")
    read = dict(source.mapping)
    for title, header in t.mapping:
        if read.get(title, "").strip() != header.strip():
            out.append(f"{title} ← {read.get(title)!r}, expected {header!r}")
    line, read_rates = source.line, {r.currency: r.rate for r in source.rates}
    for currency, where, value in t.rates:  # SPEC 3.10: the read line names every rate used
        if currency not in line:
            out.append(f"the read line does not name the {currency} rate ({where}): {line}")
        if value is not None and read_rates.get(currency) != value:
            out.append(f"the {currency} rate read is {read_rates.get(currency)}, expected {value} "
                       f"({where})")
    return out


def _check_positions(t: Truth, got: list) -> list[str]:
    out, free = [], list(got)
    for e in t.positions:
        hit = next((p for p in free if p.asset == e.asset and p.quantity == e.quantity), None)
        if hit is None:
            near = [f"{p.asset} {p.quantity}" for p in free if p.asset == e.asset][:2]
            out.append(f"missing {e.asset} {e.quantity} @ {e.price}" +
                       (f" (read: {', '.join(near)})" if near else ""))
            continue
        free.remove(hit)
        if not _close(hit.price, e.price, e.exact):
            out.append(f"{e.asset} {e.quantity}: price {hit.price}, expected {e.price}")
        if e.avg_cost is not None and (hit.avg_cost is None or
                                       not _close(hit.avg_cost, e.avg_cost, False)):
            out.append(f"{e.asset} {e.quantity}: avg cost {hit.avg_cost}, expected {e.avg_cost}")
        if e.venue is not None and hit.venue != e.venue:
            out.append(f"{e.asset} {e.quantity}: venue {hit.venue!r}, expected {e.venue!r}")
    out += [f"extra {p.asset} {p.quantity} @ {p.price} ({p.location})" for p in free]
    return out


def _check_refusal(t: Truth, result, errors) -> list[str]:
    if result.inputs is not None:
        src = result.inputs.source
        return [f"planned {len(result.inputs.positions)} positions from "
                f"{src.where if src else '?'}, but the truth is a refusal ({t.reason})"]
    text = "\n".join(str(i) for i in errors)
    out = []
    if not re.search(REASONS[t.reason], text, re.IGNORECASE):
        out.append(f"the refusal does not say {t.reason}: {text[:300]!r}")
    for item in t.names:
        options = (item,) if isinstance(item, str) else item
        if not any(o.lower() in text.lower() for o in options):
            out.append(f"the refusal does not name {_shown(item)}: {text[:300]!r}")
    return out


def read(tracker: Tracker):
    """The reading of the book's grid (the pure reader, as thousands of books need)."""
    from derisk_xl.workbook.contract import parse_inputs

    return parse_inputs(tracker.grid, as_of=AS_OF, today=AS_OF)


# =============================================================================================
# By hand: one book, or a campaign
# =============================================================================================


def campaign(seeds, reader: Callable = read) -> tuple[int, list[tuple[Tracker, list[str]]]]:
    """Every seed's book through ``reader``: (books, the failing ones with what was wrong)."""
    failures, n = [], 0
    for seed in seeds:
        tracker = generate(seed)
        n += 1
        try:
            problems = check(tracker, reader(tracker))
        except Exception as exc:  # a crash is a failure of the book, shown with its seed
            problems = [f"crashed: {type(exc).__name__}: {exc}"]
        if problems:
            failures.append((tracker, problems))
    return n, failures


def by_feature(n: int, failures: list[tuple[Tracker, list[str]]], counts: Counter) -> list[str]:
    """Failures grouped by feature: each failing book is put under the feature of its own that
    fails most often over the campaign (its likeliest cause), worst first, with the books that
    feature is in, a seed and what was wrong there."""
    failed: Counter = Counter(f for tracker, _ in failures for f in tracker.features)
    rate = {f: failed[f] / counts[f] for f in failed}
    groups: dict[str, list] = defaultdict(list)
    for tracker, problems in failures:
        cause = max(tracker.features, key=lambda f: (rate.get(f, 0), -counts[f], f))
        groups[cause].append((tracker, problems))
    out = [f"{len(failures)} of {n} books read wrong; by likeliest cause (failing books of "
           "that feature / books with it):"]
    for f in sorted(groups, key=lambda f: (-len(groups[f]), f)):
        tracker, problems = groups[f][0]
        seeds = ", ".join(str(t.seed) for t, _ in groups[f][:4])
        out.append(f"  {f:32} {len(groups[f]):5}  ({failed[f]}/{counts[f]})  seeds {seeds}: "
                   f"{problems[0][:160]}")
    return out


def show(tracker: Tracker) -> str:
    """The book's sheets as text, a row a line (cells ``|``-separated, from column A)."""
    out = []
    for sheet in tracker.grid.sheets:
        out.append(f"--- {sheet.name}")
        for r, row in enumerate(sheet.rows):
            cells = ["" if v is None else str(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                out.append(f"{r + 1:4} | " + " | ".join(cells))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.trackers", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--dump", type=Path, help="write the book(s) here: a .xlsx for one seed, "
                                              "else a folder for the failing ones")
    ap.add_argument("--show", action="store_true", help="print the sheets of one book")
    ap.add_argument("--only", action="append", default=[], metavar="FEATURE",
                    help="a campaign over the books with this feature (repeatable)")
    args = ap.parse_args(argv)
    seeds = range(args.seed, args.seed + args.count)
    if args.count == 1:
        tracker = generate(args.seed)
        print(tracker.description)
        print("features:", ", ".join(tracker.features))
        if args.show:
            print(show(tracker))
        problems = check(tracker, read(tracker))
        print("\n".join(f"  ✗ {p}" for p in problems) or "  read right")
        if args.dump:
            print("written:", tracker.write_xlsx(args.dump))
        return 1 if problems else 0
    counts: Counter = Counter()
    chosen = []
    for seed in seeds:
        features = generate(seed).features
        if all(f in features for f in args.only):
            counts.update(features)
            chosen.append(seed)
    n, failures = campaign(chosen)
    print("\n".join(by_feature(n, failures, counts)))
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for tracker, _ in failures:
            tracker.write_xlsx(args.dump / f"tracker-{tracker.seed}.xlsx")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
