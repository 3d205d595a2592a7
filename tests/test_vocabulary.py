"""Headers in any form, in the users' languages (SPEC 3.9 items 4 and 9).

Table-driven over every language and broker table: each word is read as its field, and so is
each form of it (snake, camel, kebab, a currency in brackets / after ``in`` / as a last word,
a leading ``#`` or count, a qualifier). The expectations come from the data files and the SPEC,
never from what the reader returned.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import pytest

from derisk_xl.workbook import vocabulary as vocab
from derisk_xl.workbook.vocabulary import HeaderWord, brokers, languages, read_header

ALL = (*languages(), *brokers())
IDS = [v.code for v in ALL]
SPEC_LANGUAGES = {"en", "de", "fr", "es", "pt", "it", "nl", "pl", "tr", "ru", "zh-Hans",
                  "zh-Hant", "ja", "ko", "id"}
SPEC_BROKERS = {"kite", "groww", "upstox", "degiro", "trading212", "ibkr", "schwab", "fidelity",
                "vanguard", "etoro", "robinhood", "binance", "coinbase", "kraken", "kucoin",
                "bybit"}


@functools.cache
def _meanings() -> dict[str, tuple[str | None, str | None]]:
    out: dict[str, tuple[str | None, str | None]] = {}
    for v in ALL:
        for f in vocab.FIELDS:
            for _, w in v.ranked(f):
                out.setdefault(vocab.key(w), (f, None))
    for v in ALL:
        for kind, ws in {**v.other, "date": v.dates, "side": v.actions}.items():
            for w in ws:
                out.setdefault(vocab.key(w), (None, kind))
    return out


def meaning_of(text: str) -> tuple[str | None, str | None]:
    """What the tables say a header means when it is a word of theirs, straight from the data
    (keyed alike, not read through the reader's qualifier and count rules)."""
    return _meanings().get(vocab.key(text), (None, None))


MONEY = {"price", "value", "avg_cost", "cost_basis"}
QUALIFIERS = {vocab.key(q) for v in ALL for q in v.qualifiers}


def words(v, ranks=(0,)):
    for f in vocab.FIELDS:
        for rank, w in v.ranked(f):
            if rank in ranks:
                yield f, rank, w


# -- the data ---------------------------------------------------------------------------------


def test_the_tables_are_loaded_as_records_for_the_generator():
    en = languages()[0]
    assert en.code == "en" and en.kind == "language"
    assert en.fields["asset"][0][:2] == ("Asset", "Symbol")
    assert "Currency" in en.fields["asset"][1] and "Name" in en.fields["asset"][2]
    assert "Total" in en.totals and "Date" in en.dates and "Buy" in en.action_values
    assert vocab.LANGUAGES == languages() and vocab.BROKERS == brokers()
    for v in ALL:
        assert set(v.fields) <= set(vocab.FIELDS), v.code
        assert any(words for ranks in v.fields.values() for words in ranks), v.code
    for v in languages():  # every language names at least the three fields a table needs
        assert all(v.fields.get(f) for f in ("asset", "quantity", "price", "value")), v.code


def test_every_language_and_broker_the_spec_names_has_a_table():
    assert SPEC_LANGUAGES <= {v.code for v in languages()}
    assert SPEC_BROKERS <= {v.code for v in brokers()}


def test_no_word_means_two_things():
    """A key two tables give different meanings would be read by load order: a data error."""
    assert vocab.build_index()[1] == ()


def test_the_index_a_run_loads_is_the_tables_keyed():
    """vocab/index.json is what read_header loads; it must say what the tables say."""
    shipped = json.loads(resources.files("derisk_xl.workbook").joinpath(
        "vocab/index.json").read_text("utf-8"))
    assert shipped == vocab.build_index()[0], "run: python tools/gen_vocab_index.py"


@pytest.mark.parametrize("v", ALL, ids=IDS)
def test_every_word_is_read_as_its_field(v):
    wrong = []
    for f, rank, w in words(v, ranks=range(9)):
        got = read_header(w)
        if got.field != f or got.rank > rank:
            wrong.append((w, f, rank, got))
    assert wrong == []


@pytest.mark.parametrize("v", ALL, ids=IDS)
def test_every_other_word_is_read_as_its_kind(v):
    wrong = []
    for kind, ws in {**v.other, "date": v.dates, "side": v.actions}.items():
        for w in ws:
            got = read_header(w)
            if got.field is not None or got.other != kind:
                wrong.append((w, kind, got))
    assert wrong == []


# -- the forms --------------------------------------------------------------------------------


def _latin(w: str) -> bool:
    return all(c.isascii() or c.isalpha() and ord(c) < 0x250 for c in w)


def forms(v, w: str):
    """(header, currency) for the forms SPEC 3.9 item 9 names, built on the word ``w``."""
    parts = w.replace(".", " ").replace("-", " ").replace("/", " ").split()
    yield w.upper(), None
    yield w.lower(), None
    if len(parts) > 1:
        yield "_".join(p.lower() for p in parts), None
        yield "-".join(p.lower() for p in parts), None
        if _latin(w):
            yield parts[0].lower() + "".join(p[:1].upper() + p[1:].lower() for p in parts[1:]), None
    yield f"{w} (EUR)", "EUR"
    yield f"{w} [CAD]", "CAD"
    yield f"{w}\u00a0(₹)", "INR"
    yield f"{w}（USD）", "USD"
    yield f"{w}_usd" if len(parts) > 1 else f"{w} USD", "USD"
    yield f"{w} GBP", "GBP"
    yield f"USD {w}", "USD"
    yield f"{w} $", "USD"
    for c in v.currency_words[:1]:
        yield f"{w} {c} PLN", "PLN"
    yield f"# {w}", None
    yield f"{w}\n", None


@pytest.mark.parametrize("v", languages(), ids=[v.code for v in languages()])
def test_each_form_of_each_word_keeps_its_field_and_names_its_currency(v):
    wrong = []
    for f, rank, w in words(v):
        for header, currency in forms(v, w):
            # a quantity in money is an amount of money: Amount (EUR) is a value (SPEC 3.10)
            expected = "value" if f == "quantity" and currency else f
            got = read_header(header)
            if (got.field, got.currency) != (expected, currency):
                wrong.append((header, expected, currency, got))
        got = read_header(f"{w} (BTC)")  # in a coin: units stay units, money ranks after money
        if (got.field, got.currency) != (f, "BTC") or (f in MONEY) != (got.rank >= 1):
            wrong.append((f"{w} (BTC)", f, "BTC", got))
    assert wrong == []


@pytest.mark.parametrize("v", languages(), ids=[v.code for v in languages()])
def test_a_qualifier_or_a_count_before_or_after_a_word_keeps_its_field(v):
    wrong = []
    for f, rank, w in words(v):
        tries = [f"{q} {w}" for q in v.qualifiers[:6]] + [f"{w} {q}" for q in v.qualifiers[:6]]
        if f in ("quantity",):
            tries += [f"{c} {w}" for c in v.counts]
        for header in tries:
            expected = meaning_of(header)
            q = header.replace(w, "").strip()
            if vocab.key(w) in QUALIFIERS and meaning_of(q)[0] not in (None, f):
                continue  # both words qualify and name fields (Asset Last): no expectation
            if expected == (None, None):
                expected = (f, None)  # not a word of its own: the qualifier is dropped
            got = read_header(header)
            if (got.field, got.other) != expected:
                wrong.append((header, expected, got))
    assert wrong == []


@pytest.mark.parametrize(("header", "field", "currency"), [
    ("asset_price", "price", None), ("total_value", "value", None),
    ("price_usd", "price", "USD"), ("market_value_usd", "value", "USD"),
    ("# SHARES", "quantity", None), ("# of Shares", "quantity", None),
    ("No. of Shares", "quantity", None), ("Number of Units", "quantity", None),
    ("CURRENT PRICE [CAD]", "price", "CAD"), ("NET POS", "quantity", None),
    ("MKT VAL", "value", None), ("Cumulative Quantity", "quantity", None),
    ("totalValue", "value", None), ("avgBuyPrice", "avg_cost", None),
    ("current-price", "price", None), ("Value in $", "value", "USD"),
    ("In USD", "value", "USD"), ("USD Price", "price", "USD"),
    ("Current Price ₹", "price", "INR"), ("Total Invested ₹", "cost_basis", "INR"),
    ("Valor en EUR", "value", "EUR"), ("Wert in EUR", "value", "EUR"),
    ("Precio (USD)", "price", "USD"), ("Kurs (€)", "price", "EUR"),
    ("Anzahl der Aktien", "quantity", None), ("Aktueller Kurs", "price", "" or None),
    ("Price\n(USD)", "price", "USD"), ("Price (R$)", "price", "BRL"),
    ("Value NT$", "value", "TWD"), ("Price (zł)", "price", "PLN"),
    ("LTP\u00a0", "price", None), ("Buy avg", "avg_cost", None),
    ("Present value", "value", None), ("Avg. cost", "avg_cost", None),
    ("Cur. val", "value", None), ("Holdings Value", "value", None),
])
def test_issue_17_headers(header, field, currency):
    got = read_header(header)
    assert (got.field, got.currency) == (field, currency)


# -- decoys and the currency rule ----------------------------------------------------------------


@pytest.mark.parametrize(("header", "field", "other"), [
    ("Buy Price", "avg_cost", None),  # what was paid, not the price now
    ("Price Change %", None, "change"),
    ("Price Change", None, "change"),
    ("Share %", None, "percent"),  # a percent is never a quantity
    ("% of Portfolio", None, "percent"),
    ("Total Cost", "cost_basis", None),  # Total stays part of the word
    ("Total Invested", "cost_basis", None),
    ("Total", None, None),  # beside Free/Locked the header row decides (headers.py)
    ("P&L", None, "pnl"), ("Gain/Loss", None, "pnl"), ("Profit/Loss", None, "pnl"),
    ("24h %", None, "change"), ("Allocation", None, "weight"),
    ("Date (UTC)", None, "date"), ("Buy/Sell", None, "side"),
    ("Fee", None, "fee"), ("FX Rate", None, "rate"), ("Exchange Rate", None, "rate"),
    ("Kurs", "price", None),  # German Kurs alone is a price
    ("Wechselkurs", None, "rate"),
    ("Min Keep %", "min_keep", None),
    ("Current Asset", "asset", None),  # both words qualify: the one that names a field
    ("Bestand aktuell", "quantity", None),
    ("Latest Holding Current", "quantity", None),  # between two: no form is the word alone
    ("Current Total", None, None),  # nothing but qualifiers
])
def test_decoys(header, field, other):
    got = read_header(header)
    assert (got.field, got.other) == (field, other)


@pytest.mark.parametrize(("header", "currency"), [
    ("Price ALL", "ALL"),  # an ISO code written in capitals
    ("Price all", None),  # a word: only common codes count in any case as a bare word
    ("Price (all)", "ALL"),  # in brackets any ISO code counts
    ("Price TOP", "TOP"), ("Price top", None),
    ("Value in pen", "PEN"),  # after in, any case
    ("Price usd", "USD"), ("price_eur", "EUR"),  # common codes in any case
    ("Price (USDT)", "USDT"), ("BTC Value", "BTC"),
])
def test_three_letter_words_are_currencies_only_by_the_rule(header, currency):
    assert read_header(header).currency == currency


@pytest.mark.parametrize(("header", "field", "currency"), [
    ("当前价格", "price", None),  # a CJK qualifier comes off a word written without spaces
    ("最新市值", "value", None), ("持仓数量", "quantity", None),
    ("現在の価格", "price", None), ("評価額（円）", "value", "JPY"),
    ("현재가격", "price", None), ("보유 수량", "quantity", None), ("평가금액(원)", "value", "KRW"),
    ("投資金額 (NT$)", "cost_basis", "TWD"), ("市值(元)", "value", None),  # 元: CNY or TWD
    ("合　計", None, None),  # a full-width space, a totals word, no field
    ("VARLIK", "asset", None), ("Varlık", "asset", None),  # Turkish i's fold alike
    ("İŞLEM TARİHİ", None, None),
    ("Цена, руб.", "price", "RUB"), ("Кол-во акций", "quantity", None),
    ("Wert (kr)", "value", None),  # kr: SEK, NOK, DKK or ISK
    ("Nilai dalam IDR", "value", "IDR"), ("Valor em R$", "value", "BRL"),
])
def test_scripts_and_currency_words_of_the_languages(header, field, currency):
    got = read_header(header)
    assert (got.field, got.currency) == (field, currency)


def test_not_text_is_no_header():
    assert read_header(None) == HeaderWord(None)
    assert read_header(12.5) == HeaderWord(None)
    assert read_header("   ") == HeaderWord(None)


def test_totals_words_of_every_language():
    for v in languages():
        for w in v.totals:
            assert vocab.total_word(w), (v.code, w)
    assert not vocab.total_word("Bitcoin") and not vocab.total_word("BTC")


# -- the real trackers (../shared/realbooks, README there) ------------------------------------

#: (book, header as written, field or other kind, rank): what the realbooks README says each
#: column holds. A kind in capitals-free lower case is an ``other`` kind; None: no reading.
REAL_HEADERS = [
    ("01", "Token", "asset", 0), ("01", "Name", "asset", 2), ("01", "Category", "category", 0),
    ("01", "Storage", "venue", 0), ("01", "Current Price", "price", 0),
    ("01", "Current Amount", "quantity", 0), ("01", "Current Value", "value", 0),
    ("01", "Percentage", "weight", None), ("01", "Blockchain network", "note", None),
    ("02", "SYM", "asset", 0), ("02", "BALANCE", "quantity", 0), ("02", "IN USD", "value", 0),
    ("02", "IN BTC", "value", 1),
    ("03", "Ticker", "asset", 0), ("03", "Current Price", "price", 0), ("03", "Amount", "quantity", 0),
    ("03", "Total Purchased", "cost_basis", 0), ("03", "Average Cost", "avg_cost", 0),
    ("04", "Currency", "asset", 1), ("04", "Quantity", "quantity", 0), ("04", "Price ($)", "price", 0),
    ("04", "Price Bought ($)", "avg_cost", 0), ("04", "Value Paid ($)", "cost_basis", 0),
    ("05", "Coin", "asset", 0), ("05", "Symbol", "asset", 0), ("05", "Holding", "quantity", 0),
    ("05", "Invested", "cost_basis", 0),
    ("06", "Crypto Name", "asset", 2), ("06", "Amount Purchase", "quantity", 0),
    ("06", "Total Invested ₹", "cost_basis", 0), ("06", "Current Value ₹", "value", 0),
    ("06", "Current Price ₹", "price", 0),
    ("07", "Price (USD)", "price", 0), ("07", "Value (USD)", "value", 0),
    ("07", "Timestamp", "date", None),
    ("10", "Asset", "asset", 0), ("10", "Price (USDT)", "price", 0), ("10", "Total USD", "value", 0),
    ("10", "Fecha de Compra", "date", None), ("10", "Cantidad", "quantity", 0),
    ("10", "Valor Actual (USD)", "value", 0), ("10", "Wallet", "venue", 0),
    ("11", "Plataforma", "venue", 0), ("11", "Ganancia/Perdida (USD)", "pnl", None),
    ("12", "Ticker", "asset", 0), ("12", "Last", "price", 0), ("12", "Average", "avg_cost", 0),
    ("12", "Profit/Loss", "pnl", None),
    ("14", "Broker", "venue", 0), ("14", "Amount", "quantity", 0), ("14", "Cost Basis", "cost_basis", 0),
    ("14", "Unit Cost Basis", "avg_cost", 0), ("14", "Last Price", "price", 0),
    ("14", "Market Value", "value", 0), ("14", "Real. PnL", "pnl", None),
    ("16", "Quantity Available", "quantity", 0), ("16", "Average Price", "avg_cost", 0),
    ("16", "Previous Closing Price", "price", 1), ("16", "Sector", "note", None),
    ("19", "Exchange", "venue", 0), ("19", "Buy price", "avg_cost", 0),
    ("19", "NET profit/loss", "pnl", None), ("19", "%change", "change", None),
    ("20", "Shares", "quantity", 0), ("20", "EntryCost", "avg_cost", 0),
    ("20", "CurrentPrice", "price", 0), ("20", "Contracts", "quantity", 1),
    ("21", "投資對象", "asset", 2), ("21", "建議比重", "target", None), ("21", "實際比重", "weight", None),
    ("21", "實際投資金額\n(NT$)", "cost_basis", 0), ("21", "備註", "note", None),
    ("22", "TOKEN", "asset", 0), ("22", "AMOUNT", "quantity", 0), ("22", "PRICE", "price", 0),
    ("23", "Price (£)", "price", 0), ("23", "BE (£)", "avg_cost", 0), ("23", "Holding", "quantity", 0),
    ("23", "P&L (£)", "pnl", None), ("23", "Change (24h)", "change", None),
    ("24", "Stock", "asset", 0), ("24", "Qty", "quantity", 0), ("24", "Buy avg", "avg_cost", 0),
    ("24", "Buy value", "cost_basis", 0), ("24", "LTP\u00a0", "price", 0),
    ("24", "Present value", "value", 0), ("24", "P&L", "pnl", None),
    ("25", "Equity", "value", 0), ("25", "Average Price", "avg_cost", 0), ("25", "P/E", "note", None),
    ("25", "Weights", "weight", None),
    ("26", "Investment", "asset", 2), ("26", "# of Shares", "quantity", 0),
    ("26", "current price", "price", 0), ("26", "current value", "value", 0),
    ("26", "initial cost", "cost_basis", 0), ("26", "Target", "target", None),
    ("27", "qty", "quantity", 0), ("27", "avgPrice", "avg_cost", 0),
    ("27", "currentPrice", "price", 0), ("27", "dividend", "note", None),
    ("28", "Currencies", "asset", 1), ("28", "Value in $", "value", 0),
    ("29", "symbol", "asset", 0), ("29", "price_usd", "price", 0),
    ("29", "market_value_usd", "value", 0), ("29", "account", "venue", 0),
    ("30", "SYMBOL", "asset", 0), ("30", "QUANTITY", "quantity", 0), ("30", "ACTUAL ARS", "value", 0),
    ("30", "PROFIT/LOSS", "pnl", None),
    ("31", "position", "quantity", 0), ("31", "date_purchased", "date", None),
    ("32", "INSTRUMENT", "asset", 0), ("32", "NET POS", "quantity", 0),
    ("32", "AVG COST", "avg_cost", 0), ("32", "LTP", "price", 0), ("32", "CHG %", "change", None),
    ("32", "TOTAL P&L", "pnl", None), ("32", "INV AMT", "cost_basis", 0),
    ("32", "MKT VAL", "value", 0), ("32", "WEIGHTED AVG RATE", "avg_cost", 1),
    ("32", "52W LOW", "change", None),
    ("33", "Название ", "asset", 2), ("33", "Тикер", "asset", 0), ("33", "Кол-во", "quantity", 0),
    ("33", "Дата покупки", "date", None), ("33", "Цена покупки", "avg_cost", 0),
    ("33", "Цена нынешняя", "price", 0), ("33", "Суммарная цена покупки", "cost_basis", 0),
    ("33", "Суммарная цена нынешняя", "value", 0), ("33", "Рост в %", "change", None),
    ("34", "Stückzahl", "quantity", 0), ("34", "Dividende je Aktie", "note", None),
    ("35", "Acquisition Date", "date", None), ("35", "Unit Cost", "avg_cost", 0),
    ("36", "Date(UTC)", "date", None), ("36", "Type", "side", None), ("36", "Fee", "fee", None),
    ("37", "Ativo", "asset", 0), ("37", "Valor pago", "cost_basis", 0), ("37", "Custo", "cost_basis", 0),
    ("37", "Preço (R$)", "price", 0), ("37", "Qtde efet", "quantity", 0), ("37", "Local", "venue", 0),
    ("37", "Data", "date", None),
    ("38", "current_price", "price", 0), ("38", "market_cap", "change", None),
    ("38", "last_updated", "date", None),
]


@pytest.fixture(scope="module")
def realbook_texts() -> dict[str, set[str]]:
    """Every text cell of each real tracker, to check a header below is written there as is."""
    from tests.test_realbooks import REALBOOKS

    if not REALBOOKS.is_dir():
        pytest.skip(f"the real trackers are not beside this clone ({REALBOOKS})")
    from python_calamine import CalamineWorkbook

    out: dict[str, set[str]] = {}
    for path in REALBOOKS.glob("*.xls*"):
        book = CalamineWorkbook.from_path(str(path))
        cells = out.setdefault(path.name[:2], set())
        for name in book.sheet_names:
            for row in book.get_sheet_by_name(name).to_python(nrows=60):
                cells.update(v for v in row if isinstance(v, str))
    return out


def test_the_headers_of_the_real_trackers_are_read_as_their_readme_says(realbook_texts):
    missing = [(b, h) for b, h, _, _ in REAL_HEADERS if h not in realbook_texts[b]]
    assert missing == []  # each header is copied from its book, spaces and all
    wrong = []
    for book, header, meaning, rank in REAL_HEADERS:
        got = read_header(header)
        said = (got.field, got.rank) if rank is not None else got.other
        if said != ((meaning, rank) if rank is not None else meaning):
            wrong.append((book, header, meaning, rank, got))
    assert wrong == []


# -- shipped ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_tables_and_the_index_ship_in_the_wheel_and_load_from_it(tmp_path):
    """Installed from the wheel (as micropip installs it in xlwings Lite), the package finds
    its vocabulary inside itself through importlib.resources, not in a source tree."""
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    pytest.importorskip("hatchling")
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(root)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("derisk_xl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    tables = {f"derisk_xl/workbook/vocab/languages/{v.code}.toml" for v in languages()}
    assert tables | {"derisk_xl/workbook/vocab/brokers.toml",
                     "derisk_xl/workbook/vocab/index.json"} <= names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from derisk_xl.workbook import vocabulary as v; import sys; "
            "h = v.read_header('Wartość w PLN'); "
            "print(v.__file__, h.field, h.currency, len(v.languages()), len(v.brokers()))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""})
    where, field, currency, n_languages, n_brokers = out.stdout.split()
    assert where.startswith(str(site)) and (field, currency) == ("value", "PLN")
    assert (int(n_languages), int(n_brokers)) == (len(languages()), len(brokers()))
