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

    python -m tests.trackers --seed 7 --dump tracker-7.xlsx     # one book, its truth, the reading
    python -m tests.trackers --seed 0 --count 5000 [--dump DIR]  # a campaign: failures by feature
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property
from pathlib import Path
from typing import Callable

if __package__ in (None, ""):  # run as a file: the sibling word source
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tracker_words import Words, vocabularies
else:
    from .tracker_words import Words, vocabularies

from derisk_xl.workbook.grid import (
    CellValue, ExcelError, SheetGrid, TableRef, WorkbookGrid, column_letter, coordinate, sheet_ref,
)

D = Decimal
AS_OF = dt.date(2026, 11, 28)

# =============================================================================================
# Words: the vocabulary data, and what no table of it knows
# =============================================================================================


def norm_word(text: str) -> str:
    """A word as the vocabulary tables are compared: case, spaces, ``_-.`` and ``#%`` aside."""
    return re.sub(r"[\s_\-.#%:/\u00a0\u3000]+", "", text).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """Every table, and each written word's meanings over all of them: a word is written over a
    column only when it means one thing in every table (SPEC 3.9 item 9: the tables are one
    vocabulary), so the truth never rests on which table a reader consults first."""

    tables: tuple[Words, ...]
    meanings: dict[str, frozenset[str]]
    qualifiers: frozenset[str]

    def words(self, table: Words, fld: str, rank: int | None = 0) -> list[str]:
        """``table``'s words for ``fld`` (of ``rank``; None: any) that mean only that."""
        ranks = table.fields.get(fld, ())
        out = []
        for k, group in enumerate(ranks):
            if rank is not None and k != rank:
                continue
            out += [w for w in group if self.meanings.get(norm_word(w)) == {f"{fld}:{k}"}]
        return out

    def other(self, table: Words, kind: str) -> list[str]:
        return [w for w in table.other.get(kind, ())
                if self.meanings.get(norm_word(w)) == {f"other:{kind}"}]

    def known(self, text: str) -> bool:
        """Whether any word of ``text`` (or the whole) is a word of some table."""
        parts = [p for p in re.split(r"[\s_\-./()\[\]]+", text) if p]
        return any(norm_word(p) in self.meanings or norm_word(p) in self.qualifiers
                   for p in [text, *parts])


def _vocabulary() -> Vocabulary:
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
        for kind, words in (("totals", t.totals), ("date", t.dates), ("action", t.actions)):
            for w in words:
                meanings[norm_word(w)].add(kind)
    # a reader may drop a leading qualifier (item 9): a phrase whose bare word means something
    # else than the phrase does is doubtful, and never written
    for w in phrases:
        bare = norm_word(_without_qualifier(w, qualifiers))
        if bare != norm_word(w) and bare in meanings and meanings[bare] != meanings[norm_word(w)]:
            meanings[norm_word(w)].add("doubtful")
    return Vocabulary(tables, {w: frozenset(m) for w, m in meanings.items()}, qualifiers)


def _without_qualifier(phrase: str, qualifiers: set[str] | frozenset[str]) -> str:
    words = phrase.split()
    while len(words) > 1 and norm_word(words[0]) in qualifiers:
        words = words[1:]
    return " ".join(words)


VOCAB = _vocabulary()
LANGUAGES = tuple(t for t in VOCAB.tables if not t.broker)
BROKERS = tuple(t for t in VOCAB.tables if t.broker)
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
    "USD": (("AAPL", "Apple", 150, 230), ("MSFT", "Microsoft", 300, 450), ("NVDA", "NVIDIA", 100, 900),
            ("AMZN", "Amazon", 100, 200), ("GOOGL", "Alphabet", 100, 180), ("TSLA", "Tesla", 150, 300),
            ("META", "Meta", 300, 550), ("JPM", "JPMorgan", 150, 220), ("KO", "Coca-Cola", 55, 70),
            ("BRK.B", "Berkshire Hathaway", 350, 450), ("V", "Visa", 230, 290), ("T", "AT&T", 15, 20),
            ("PLTR", "Palantir", 15, 30), ("AMD", "AMD", 100, 200), ("XOM", "Exxon Mobil", 90, 120)),
    "EUR": (("SAP", "SAP", 120, 200), ("SIE", "Siemens", 120, 190), ("ALV", "Allianz", 200, 280),
            ("ASML", "ASML", 600, 900), ("MC", "LVMH", 600, 850), ("AIR", "Airbus", 120, 170),
            ("BAS", "BASF", 40, 55), ("ENEL", "Enel", 5, 7), ("ITX", "Inditex", 35, 50),
            ("INGA", "ING", 12, 17), ("DTE", "Deutsche Telekom", 20, 28), ("IWDA", "iShares MSCI World", 70, 95)),
    "GBP": (("SHEL", "Shell", 24, 30), ("HSBA", "HSBC", 6, 8), ("ULVR", "Unilever", 38, 48),
            ("AZN", "AstraZeneca", 95, 125), ("VWRL", "Vanguard FTSE All-World", 95, 115),
            ("BP", "BP", 4, 5.5), ("LLOY", "Lloyds", 0.45, 0.6)),
    "INR": (("RELIANCE", "Reliance Industries", 2400, 3000), ("TCS", "Tata Consultancy", 3500, 4200),
            ("INFY", "Infosys", 1400, 1900), ("HDFCBANK", "HDFC Bank", 1400, 1700),
            ("ITC", "ITC", 400, 480), ("SBIN", "State Bank of India", 550, 800),
            ("WIPRO", "Wipro", 400, 550), ("BHARTIARTL", "Bharti Airtel", 1000, 1500)),
    "JPY": (("7203.T", "Toyota", 2500, 3500), ("6758.T", "Sony", 12000, 14000),
            ("9984.T", "SoftBank Group", 7000, 9500), ("8306.T", "MUFG", 1300, 1700)),
    "KRW": (("005930.KS", "Samsung Electronics", 70000, 85000), ("000660.KS", "SK Hynix", 150000, 200000),
            ("035420.KS", "NAVER", 170000, 220000)),
    "PLN": (("PKN", "Orlen", 55, 70), ("PKO", "PKO BP", 45, 60), ("CDR", "CD Projekt", 110, 150),
            ("PZU", "PZU", 45, 55)),
    "TRY": (("THYAO", "Türk Hava Yolları", 250, 320), ("ASELS", "Aselsan", 45, 60),
            ("GARAN", "Garanti BBVA", 80, 110), ("BIMAS", "BİM", 400, 520)),
    "RUB": (("SBER", "Сбербанк", 250, 320), ("GAZP", "Газпром", 150, 180), ("LKOH", "Лукойл", 6500, 7500)),
    "CNY": (("600519.SS", "贵州茅台", 1500, 1800), ("000858.SZ", "五粮液", 130, 160),
            ("601318.SS", "中国平安", 40, 50)),
    "TWD": (("2330.TW", "台積電", 700, 1000), ("2317.TW", "鴻海", 100, 200), ("2454.TW", "聯發科", 900, 1300)),
    "IDR": (("BBCA.JK", "Bank Central Asia", 9000, 10500), ("TLKM.JK", "Telkom Indonesia", 3000, 4000),
            ("BBRI.JK", "Bank Rakyat Indonesia", 4500, 6000)),
    "BRL": (("PETR4", "Petrobras", 35, 42), ("VALE3", "Vale", 60, 70), ("ITUB4", "Itaú Unibanco", 30, 36)),
    "CAD": (("SHOP", "Shopify", 90, 120), ("RY", "Royal Bank of Canada", 130, 150), ("ENB", "Enbridge", 48, 56)),
}
_FUNDS = (("Parag Parikh Flexi Cap Fund - Direct Growth", 60, 80),
          ("Axis Bluechip Fund - Direct Growth", 50, 65), ("Mirae Asset Large Cap Fund", 90, 110),
          ("SBI Small Cap Fund - Direct Growth", 150, 180), ("HDFC Index Fund Nifty 50 Plan", 200, 230),
          ("ICICI Prudential Balanced Advantage Fund", 60, 70), ("Kotak Emerging Equity Fund", 100, 125))
_VENUES = {"crypto": ("Binance", "Coinbase", "Kraken", "Ledger", "Trezor", "MetaMask", "Bybit", "KuCoin"),
           "stock": ("Degiro", "IBKR", "Schwab", "Fidelity", "Trading 212", "eToro", "Zerodha"),
           "fund": ("Groww", "Zerodha Coin", "Kuvera")}
#: The currency a language's stock trackers are kept in.
_LANG_CURRENCY = {"en": ("USD", "GBP", "INR", "CAD", "EUR"), "de": ("EUR",), "fr": ("EUR",),
                  "es": ("EUR",), "pt": ("BRL", "EUR"), "it": ("EUR",), "nl": ("EUR",),
                  "pl": ("PLN",), "tr": ("TRY",), "ru": ("RUB",), "zh-Hans": ("CNY",),
                  "zh-Hant": ("TWD",), "ja": ("JPY",), "ko": ("KRW",), "id": ("IDR",)}
_SHEET_NAMES = {"en": ("Portfolio", "Sheet1", "Dashboard", "My Portfolio", "Positions", "Tracker",
                       "Investments", "Summary", "Crypto"),
                "de": ("Depot", "Tabelle1", "Übersicht", "Bestand"), "fr": ("Portefeuille", "Feuil1"),
                "es": ("Cartera", "Hoja1", "Resumen"), "pt": ("Carteira", "Planilha1"),
                "it": ("Portafoglio", "Foglio1"), "nl": ("Portefeuille", "Blad1", "Overzicht"),
                "pl": ("Portfel", "Arkusz1"), "tr": ("Portföy", "Sayfa1"), "ru": ("Портфель", "Лист1"),
                "zh-Hans": ("投资组合", "持仓", "Sheet1"), "zh-Hant": ("投資組合", "持倉", "工作表1"),
                "ja": ("ポートフォリオ", "保有資産", "Sheet1"), "ko": ("포트폴리오", "보유자산", "Sheet1"),
                "id": ("Portofolio", "Aset", "Sheet1")}


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
    the fields the book decides: title → header text, rates: currency → where it was given) or
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
    rates: tuple[tuple[str, str], ...] = ()
    reason: str = ""
    names: tuple[str | tuple[str, ...], ...] = ()

    def line(self) -> str:
        if self.outcome == "refused":
            return f"refused ({self.reason}), naming {', '.join(map(_shown, self.names))}"
        rates = f", rates {', '.join(f'{c} ({w})' for c, w in self.rates)}" if self.rates else ""
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
            if quantity > 0 and value >= 10 * D(10) ** (2 - minor(currency)):
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
            if quantity <= 0 or quantity * h.price < 10 * D(10) ** (-minor(h.currency)):
                quantity = h.quantity + 1
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
_QUALIFY = {"quantity": ("Current", "Total", "Net", "Cumulative"),
            "price": ("Current", "Live", "Last"), "value": ("Current", "Total", "Net")}
_COUNT_NOUNS = {"crypto": ("Coins", "Tokens"), "stock": ("Shares", "Units"), "fund": ("Units",)}
_COUNT_FORMS = ("# {}", "# of {}", "No. of {}", "Number of {}")
_IN_WORD = {"en": "in", "es": "en", "fr": "en", "pt": "em"}
MONEY = ("price", "value", "avg_cost", "cost_basis")


def _means(text: str) -> frozenset[str] | None:
    return VOCAB.meanings.get(norm_word(text))


def header_form(rng: random.Random, words: Words, fld: str, phrase: str,
                currency: str | None, tags: list[str], market: str = "stock") -> str:
    """``phrase`` (a word of ``fld``) as a user writes it, naming ``currency`` if given. Item 9:
    snake/camel/kebab case, a currency in brackets, after ``in`` or as a last word, a leading
    ``#``/``No. of`` and qualifiers such as Current or Total do not change what a header names.
    A broker export's names stay as the export writes them."""
    if words.broker:
        return _with_currency(rng, words, phrase, currency, "plain", tags)
    text, english = phrase, words.code == "en"
    if english and fld in _QUALIFY and rng.random() < 0.2:
        q = rng.choice(_QUALIFY[fld])
        cand = f"{q} {text}"
        if norm_word(text.split()[0]) not in VOCAB.qualifiers and \
                _means(cand) in (None, _means(text)):
            text = cand
            tags.append("form:qualifier")
    if english and fld == "quantity" and text in _COUNT_NOUNS[market] and rng.random() < 0.4:
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


def _with_currency(rng: random.Random, words: Words, text: str, currency: str | None,
                   form: str, tags: list[str]) -> str:
    if currency is None:
        return text
    code = currency
    if form in ("snake", "kebab"):
        sep = "_" if form == "snake" else "-"
        tags.append("form:currency-last-word")
        return f"{text}{sep}{code.lower() if rng.random() < 0.7 else code}"
    kinds = ["brackets", "square", "last-word"] + (["symbol"] if currency in SYMBOL else []) + \
        (["in"] if words.code in _IN_WORD and form in ("plain", "upper", "title") else [])
    kind = rng.choice(kinds)
    tags.append(f"form:currency-{kind}")
    if kind == "symbol":
        sym = SYMBOL[currency]
        return rng.choice((f"{text} ({sym})", f"{text} {sym}"))
    if kind == "in":
        word = _IN_WORD[words.code]
        return f"{text} {word.upper() if form == 'upper' else word} {code}"
    return {"brackets": f"{text} ({code})", "square": f"{text} [{code}]",
            "last-word": f"{text} {code}"}[kind]


def field_word(rng: random.Random, words: Words, fld: str, taken: set[str],
               rank: int = 0) -> str | None:
    """A word of ``words`` (else of English) for ``fld`` that means only that, not yet used."""
    for table in (words, ENGLISH):
        pool = [w for w in VOCAB.words(table, fld, rank) if norm_word(w) not in taken]
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

    def word(fld: str, rank: int = 0) -> str:
        x = field_word(rng, w, fld, taken, rank)
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
    cols.append(_number_col("quantity", head("quantity", "Quantity"),
                            [h.quantity for h in holdings], places=8))
    if plan.value != "only":
        cols.append(_number_col("price", head("price", "Price", True),
                                [h.price for h in holdings], mf, places=8))
    if plan.value in ("with", "only"):
        # item 8: Quantity × Price = Value decides, whatever the header says — a value column
        # headed like a quantity (Holdings, Position, Balance) is the value
        as_qty = "value-as-quantity" in plan.decoys and plan.value == "with"
        text = head("value", "Value", True, phrase=word("quantity") if as_qty else None)
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


def _asset_columns(rng, plan: Plan, holdings: list[Holding], head, word, tags) -> list[Col]:
    cols = []
    if "error-tickers" in plan.extras:
        # item 10: asset cells that are Excel errors (#VALUE! of linked data types) beside a
        # readable identifier column of the same table: that column is the asset
        cols.append(Col("error_asset", head("asset", None), [ExcelError("#VALUE!")] * len(holdings)))
    cols.append(Col("asset", head("asset", "Asset"), [h.cell for h in holdings]))
    if "name" in plan.extras:
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
        out.append(Col("category", field_word(rng, ENGLISH, "category", taken) or "Category",
                       [rng.choice(labels) for _ in holdings]))
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


def place_table(rng: random.Random, sheet: Sheet, r0: int, c0: int, cols: list[Col], *,
                gap: bool = False, template: int = 0, totals: str | None = None,
                total_word: str = "Total", tags: list[str]) -> Placed:
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
            sheet.put(r, c0 + at, total_word)
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
                tags: list[str]) -> int:
    """A title, a date and a KPI block above the table (item 1: a header within ~30 rows of
    the top of its block is found); the KPI total equals the book's total (item 13)."""
    r = 0
    if rng.random() < 0.65:
        title = rng.choice(("My Portfolio", "Crypto Portfolio Tracker", "PORTFOLIO OVERVIEW",
                            "Investments 2026", f"{plan.words.name} portfolio", "Depot"))
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
        total = sum(h.value for h in holdings)
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
    w, taken = plan.words, set()
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
                header_form(rng, w, "price", field_word(rng, w, "price", taken), plan.named, []),
                other_word(rng, w, "change", taken) or "24h %"]
        if not rows:
            return r0 - 1
    elif kind == "summary":
        labels = _LABELS["fund" if plan.market == "fund" else plan.market][:rng.randint(2, 4)]
        total = sum(h.value for h in held)
        parts = [rounded(total / len(labels), 2) for _ in labels]
        rows = [(lab, cell_number(v), cell_number(rounded(v / total, 4))) for lab, v in
                zip(labels, parts)]
        head = ["Category", header_form(rng, w, "value", field_word(rng, w, "value", taken),
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
    taken: set[str] = set()
    head = [_word_of(words, "date"), _word_of(words, "action"),
            field_word(rng, words, "asset", taken), field_word(rng, words, "quantity", taken),
            field_word(rng, words, "price", taken), field_word(rng, words, "value", taken)]
    sheet.row(0, 0, head)
    buy, sell = (words.action_values or ENGLISH.action_values)[:2]
    trades, day = [], dt.date(2024, 1, 8)
    for i, h in enumerate(held[:6]):
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
    unique = list({h.cell: h for h in held}.values())
    assets = unique[:rng.randint(1, min(6, len(unique)))]
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


def draw_plan(rng: random.Random, tags: list[str], *, words: Words | None = None,
              market: str | None = None) -> Plan:
    """The book's language or broker table, market, currency and columns."""
    if words is None:
        words = rng.choice(BROKERS) if _chance(rng, 0.2) else rng.choice(LANGUAGES)
    if market is None:
        market = {"zerodha": "stock", "coinbase": "crypto", "ibkr": "stock", "robinhood": "stock",
                  "trading212": "stock", "groww": "fund"}.get(words.code) or \
            rng.choice(("crypto", "crypto", "stock"))
    code = "en" if words.broker else words.code
    currency = {"zerodha": "INR", "trading212": rng.choice(("GBP", "EUR"))}.get(words.code) or \
        ("INR" if market == "fund" else
         "USD" if market == "crypto" and _chance(rng, 0.6) or words.code in ("ibkr", "robinhood",
                                                                             "coinbase")
         else rng.choice(_LANG_CURRENCY[code]))
    if currency == "USD":
        named = rng.choice((None, None, "USD", "USD", "USDT" if market == "crypto" else "USD"))
    else:  # a currency no header names comes from Settings Base Currency (SPEC 3.10)
        named = currency if _chance(rng, 0.75) and not words.broker else None
    value = rng.choice(("with", "with", "with", "none", "only"))
    costs = rng.choice(("none", "none", "avg", "avg", "basis", "both"))
    decoys = {d for d, p in (("value-as-quantity", 0.2), ("buy-price-next", 0.3),
                             ("percent", 0.3), ("pnl", 0.25), ("change", 0.2)) if _chance(rng, p)}
    if value != "with":
        decoys.discard("value-as-quantity")
    if costs not in ("avg", "both"):
        decoys.discard("buy-price-next")
    extras = {e for e, p in (("name", 0.35), ("category", 0.2), ("note", 0.15), ("sno", 0.15),
                             ("venue", 0.35), ("spacer", 0.1), ("date", 0.1),
                             ("error-tickers", 0.07), ("index", 0.08)) if _chance(rng, p)}
    tags += [f"words:{words.code}", f"market:{market}", f"currency:{currency}",
             f"named:{'yes' if named else 'no'}", f"value:{value}", f"costs:{costs}"]
    tags += [f"decoy:{d}" for d in sorted(decoys)] + [f"column:{e}" for e in sorted(extras)]
    return Plan(words, market, currency, named, value, costs, frozenset(extras),
                frozenset(decoys), _chance(rng, 0.2))


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
                h.cell = rng.choice((f"{h.cell}-{quote}", f"{h.cell}{quote}".lower()))
        tags.append("rows:pair-tickers")
    return holdings


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
        bad = next(r for triple in sorted(extra) for r in triple if r not in fields)
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
    sheet = book.add(name or rng.choice(_SHEET_NAMES["en" if plan.words.broker
                                                     else plan.words.code]))
    c0 = 0 if pandas else rng.choice((0, 0, 1, 1, 2, 3))
    r0 = 0 if pandas else title_block(rng, sheet, c0, plan, holdings, tags)
    if c0:
        tags.append("layout:off-column-a")
    totals_words = [w for w in (plan.words.totals or ENGLISH.totals) if _means(w) == {"totals"}]
    placed = place_table(
        rng, sheet, r0, c0, cols, gap=not pandas and _chance(rng, 0.08),
        template=0 if pandas or not _chance(rng, 0.1) else rng.randint(1, 6),
        totals=None if pandas else rng.choice((None, None, "labelled", "labelled", "unlabelled")),
        total_word=rng.choice(totals_words or ["Total"]), tags=tags)
    if placed.rows and _chance(rng, 0.08):
        sheet.hidden.add(rng.choice(placed.rows))  # SPEC 3.8: hidden rows are still read
        tags.append("layout:hidden-row")
    if not pandas and _chance(rng, 0.2) and as_excel_table(
            sheet, placed, rng.choice(("Table1", "tblPortfolio", "Tableau1", "Tabelle1")), cols):
        tags.append("layout:excel-table")
    if not pandas and _chance(rng, 0.3):
        second_table(rng, sheet, placed.last_row + rng.randint(2, 4) if not holdings_named
                     else 0, placed.last_col + rng.randint(2, 3) if holdings_named else c0,
                     rng.choice(("watchlist", "summary", "model")), plan, holdings, tags)
    if not pandas and not holdings_named and _chance(rng, 0.2):
        second_table(rng, sheet, placed.header_row + rng.choice((0, 0, 2)),
                     placed.last_col + rng.randint(2, 3),
                     rng.choice(("watchlist", "summary", "model")), plan, holdings, tags)
    return placed, sheet


def other_sheets(rng: random.Random, book: Book, plan: Plan, holdings: list[Holding],
                 tags: list[str], settings: list[tuple[str, CellValue]]) -> None:
    """A trade log before or after the holdings (item 10: a candidate that is a log is set
    aside and the next is tried), a price history, the user's own Settings and Prices sheets
    (item 11), notes; and our Settings when the book needs one."""
    if _chance(rng, 0.25):
        log_sheet(rng, book, plan.words, holdings, rng.choice((0, len(book.sheets))), tags)
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


def planned_truth(plan: Plan, holdings: list[Holding], placed: Placed, mapping: dict[str, str],
                  base: str, rates: tuple[tuple[str, str], ...] = (),
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
    cols, mapping = holdings_columns(rng, plan, holdings, tags)
    if plan.text_numbers:
        numbers_as_text(rng, plan, cols, tags)
    cols = drop_accidents(order_columns(rng, plan, cols, tags))
    book = Book()
    placed, _ = place_holdings(rng, book, plan, holdings, cols, tags)
    settings = [("Base Currency", plan.currency)] if plan.currency != "USD" and not plan.named \
        else []
    if settings:
        tags.append("settings:base-currency")
    other_sheets(rng, book, plan, holdings, tags, settings)
    truth = planned_truth(plan, holdings, placed, mapping, plan.currency)
    summary = (f"{plan.words.name} {plan.market} book in {plan.currency}"
               f"{' (named)' if plan.named else ''}, {len(holdings)} rows on "
               f"{sheet_ref(placed.sheet.name, coordinate(placed.header_row, placed.first_col))}"
               f", sheets {', '.join(s.name for s in book.sheets)}")
    return book, truth, summary


# =============================================================================================
# generate, check
# =============================================================================================

#: Scenarios and their weights: most books are trackers read as they are.
SCENARIOS: dict[str, tuple[float, Callable]] = {
    "plain": (1.0, plain_book),
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
    line = source.line
    for currency, where in t.rates:
        if currency not in line:
            out.append(f"the read line does not name the {currency} rate ({where}): {line}")
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
