"""The path from the vocabulary tables to the index a run loads (SPEC 3.9 items 4 and 9).

The words are data: vocab/languages/*.toml and vocab/brokers.toml are read into
:class:`Vocabulary` records, and :func:`build_index` keys every word with its meaning
(tools/gen_vocab_index.py writes that to vocab/index.json). Here small tables written to a
folder of the test's own are read by the loaders' own code (their caches bypassed) and keyed,
and each record and index entry is the one worked out by hand from the tables below and the
module's docstrings; the shipped tables, read afresh, must key to the shipped index.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from derisk_xl.workbook import vocabulary as vocab
from derisk_xl.workbook.vocabulary import Vocabulary, build_index

SHIPPED = Path(vocab.__file__).parent / "vocab"


@pytest.fixture
def read_tables(tmp_path, monkeypatch):
    """Writes tables into a vocab folder of the test's own and reads them as a run reads the
    shipped ones: languages (English first), then the brokers."""
    monkeypatch.setattr(vocab, "_vocab_dir", lambda: tmp_path)
    (tmp_path / "languages").mkdir()

    def read(files: dict[str, str]) -> tuple[Vocabulary, ...]:
        files = {"brokers.toml": "", **files}
        for name, text in files.items():
            (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return (*vocab.languages.__wrapped__(), *vocab.brokers.__wrapped__())

    return read


ENGLISH = """\
    code = "en"
    name = "English"

    [fields]
    asset = [["Coin"]]
    price = [["Price"]]

    [other]
    weight = ["Share"]

    [words]
    totals = ["Total"]
"""

#: Every section a language table has, and no code of its own (the file names it).
TESTISH = """\
    name = "Testish"

    [fields]
    asset = [["Ticker"], ["Name"]]
    quantity = [["Units Held", "Count of Units"]]
    value = [["Worth"], ["Local in EUR"]]

    [other]
    pnl = ["Gain"]

    [words]
    totals = ["Sum"]
    dates = ["Day"]
    actions = ["Kind"]
    action_values = ["Bought", "Sold"]
    qualifiers = ["Now", "Real Time"]
    counts = ["No. of"]
    currency_words = ["IN"]
    joiners = ["Of"]
"""

#: A key that is not a table is skipped; a table may leave out any section.
BROKERS = """\
    version = 1

    [acme]
    name = "Acme Broker"
    source = "Acme positions export (CSV)"
    [acme.fields]
    asset = [["Symbol"]]
    price = [["Last Price"]]
    [acme.other]
    note = ["Remarks"]

    [memo]
    name = "Memo Export"
    [memo.other]
    note = ["Comment"]
"""


def _clean_tables(read_tables):
    return read_tables({"languages/en.toml": ENGLISH, "languages/xx.toml": TESTISH,
                        "languages/notes.txt": "not a table", "brokers.toml": BROKERS})


def test_each_table_is_read_into_its_record_with_every_section_where_it_says(read_tables):
    en, xx, acme, memo = _clean_tables(read_tables)
    assert en == Vocabulary(code="en", name="English", kind="language",
                            fields={"asset": (("Coin",),), "price": (("Price",),)},
                            other={"weight": ("Share",)}, totals=("Total",))
    assert xx == Vocabulary(
        code="xx", name="Testish", kind="language",
        fields={"asset": (("Ticker",), ("Name",)),
                "quantity": (("Units Held", "Count of Units"),),
                "value": (("Worth",), ("Local in EUR",))},
        other={"pnl": ("Gain",)}, totals=("Sum",), dates=("Day",), actions=("Kind",),
        action_values=("Bought", "Sold"), qualifiers=("Now", "Real Time"), counts=("No. of",),
        currency_words=("IN",), joiners=("Of",), source="")
    assert acme == Vocabulary(code="acme", name="Acme Broker", kind="broker",
                              fields={"asset": (("Symbol",),), "price": (("Last Price",),)},
                              other={"note": ("Remarks",)}, source="Acme positions export (CSV)")
    assert memo == Vocabulary(code="memo", name="Memo Export", kind="broker", fields={},
                              other={"note": ("Comment",)})
    # the defaults are the record's types: no words is an empty tuple, no source an empty text
    assert (xx.source, memo.totals, memo.joiners, dict(memo.fields)) == ("", (), (), {})
    assert list(xx.ranked("asset")) == [(0, "Ticker"), (1, "Name")]
    assert list(memo.ranked("asset")) == []


def test_the_index_keys_each_word_of_the_tables_with_its_meaning(read_tables):
    index, conflicts = build_index(_clean_tables(read_tables))
    assert conflicts == ()
    assert index == {
        # the words that take a header apart: folded, a qualifier or count word by word, the
        # joiners left out of a count (No. of → no)
        "currency_words": ["in"], "joiners": ["of"],
        "qualifiers": [["now"], ["real", "time"]], "counts": [["no"]],
        # key → [field, rank]; a word with its currency (Local in EUR) is keyed without it and
        # at rank 0, whatever its table's rank; joiners are no part of a key (Count of Units)
        "fields": {"coin": ["asset", 0], "countunits": ["quantity", 0],
                   "lastprice": ["price", 0], "local": ["value", 0], "name": ["asset", 1],
                   "price": ["price", 0], "symbol": ["asset", 0], "ticker": ["asset", 0],
                   "unitsheld": ["quantity", 0], "worth": ["value", 0]},
        # key → kind, the dates and action columns among them
        "other": {"comment": "note", "day": "date", "gain": "pnl", "kind": "side",
                  "remarks": "note", "share": "weight"},
        "totals": ["sum", "total"], "action_values": ["bought", "sold"],
    }
    assert list(index["fields"]) == sorted(index["fields"])  # as tools/gen_vocab_index.py writes


def test_a_word_two_tables_mean_differently_is_listed_and_the_first_table_wins(read_tables):
    """English is read first whatever its file's name sorts after; a word another table gives
    another field, another rank, or another kind than a field is a conflict, listed with
    every meaning; the index keeps the first, and never keeps a field's word as another kind."""
    tables = read_tables({
        "languages/en.toml": """\
            code = "en"
            name = "English"
            [fields]
            asset = [["Coin"], ["Name"]]
            price = [["Price"]]
        """,
        "languages/aa.toml": """\
            name = "Aa"
            [fields]
            quantity = [["Coin"]]
            asset = [["Name"]]
            [other]
            pnl = ["Price", "Gain"]
        """,
    })
    assert [t.code for t in tables] == ["en", "aa"]
    index, conflicts = build_index(tables)
    assert conflicts == (("coin", ("asset", "quantity")), ("name", ("asset", "asset rank 1")),
                         ("price", ("pnl", "price")))
    assert index["fields"] == {"coin": ["asset", 0], "name": ["asset", 1],
                               "price": ["price", 0]}
    assert index["other"] == {"gain": "pnl"}


@pytest.mark.parametrize("files, message", [
    ({"languages/xx.toml": """\
        name = "Testish"
        [fields]
        asset = [["Ticker"]]
        qty = [["Units"]]
        asset_name = [["Name"]]
    """}, "vocabulary xx: unknown fields ['asset_name', 'qty']"),
    ({"brokers.toml": """\
        [acme]
        name = "Acme Broker"
        [acme.fields]
        ticker = [["Symbol"]]
    """}, "vocabulary acme: unknown fields ['ticker']"),
], ids=["language", "broker"])
def test_a_field_no_record_has_is_refused_naming_the_table_and_the_fields(read_tables, files,
                                                                           message):
    """A typo in a data file must not pass silently (a word of no field is never read)."""
    with pytest.raises(ValueError) as refused:
        read_tables(files)
    assert str(refused.value) == message


def test_the_shipped_tables_read_afresh_key_to_the_shipped_index():
    """vocab/index.json is what a run loads: it must be what the tables in the package say,
    read from the package as a run reads them (not from a cache of an earlier read)."""
    languages, brokers = vocab.languages.__wrapped__(), vocab.brokers.__wrapped__()
    assert [v.code for v in languages] == ["en", *sorted(
        p.stem for p in (SHIPPED / "languages").glob("*.toml") if p.stem != "en")]
    assert {v.kind for v in languages} == {"language"} and {v.kind for v in brokers} == {"broker"}
    kite = next(v for v in brokers if v.code == "kite")
    assert (kite.name, kite.source) == (
        "Zerodha Kite", "Kite holdings download (CSV) and Console holdings report (XLSX)")
    assert kite.other["change"] == ("Net chg.", "Day chg.")
    assert (languages[0].name, languages[0].source) == ("English", "")
    assert "Summe" in next(v for v in languages if v.code == "de").totals
    index, conflicts = build_index((*languages, *brokers))
    assert conflicts == ()
    assert index == json.loads((SHIPPED / "index.json").read_text("utf-8")), \
        "run: python tools/gen_vocab_index.py"


def test_a_word_that_is_only_a_currency_sign_keys_nothing_and_the_words_after_it_still_key(
        read_tables):
    """``$`` alone is a currency sign, no word (SPEC 3.9 item 9: a currency in a header is kept as
    the column's currency): it keys nothing, and the table's next word for the field is still
    keyed."""
    tables = read_tables({"languages/en.toml": """\
        code = "en"
        name = "English"
        [fields]
        value = [["$", "Worth"]]
    """})
    index, conflicts = build_index(tables)
    assert conflicts == ()
    assert index["fields"] == {"worth": ["value", 0]}
