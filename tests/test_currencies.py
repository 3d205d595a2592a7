"""The currencies table: generated from CLDR, checked against Babel, and SPEC 3.10's figures."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from derisk_xl.core import currencies as cur


@pytest.mark.parametrize("code, units", [
    # SPEC 3.10, by hand: 2 for USD, EUR, INR; 0 for JPY, KRW, IDR; 8 for BTC and other coins.
    ("USD", 2), ("EUR", 2), ("INR", 2), ("JPY", 0), ("KRW", 0), ("IDR", 0), ("BTC", 8),
    ("ETH", 8), ("SOL", 8), ("PEPE", 8),
    # stablecoins count in the currency they track
    ("USDT", 2), ("usdc", 2), ("EURC", 2),
    # three decimals where the currency has them
    ("KWD", 3), ("BHD", 3),
])
def test_minor_units(code, units):
    assert cur.minor_units(code) == units


def test_minor_unit_is_the_smallest_amount_shown():
    assert cur.minor_unit("USD") == Decimal("0.01")
    assert cur.minor_unit("JPY") == Decimal(1)
    assert cur.minor_unit("BTC") == Decimal("0.00000001")


@pytest.mark.parametrize("text, code", [
    ("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("¥", "JPY"), ("₹", "INR"), ("₩", "KRW"),
    ("R$", "BRL"), ("NT$", "TWD"), ("zł", "PLN"), ("₽", "RUB"), ("руб", "RUB"), ("₺", "TRY"),
    ("Rp", "IDR"), ("CHF", "CHF"), ("chf", "CHF"), ("CN¥", "CNY"), ("₿", "BTC"),
    ("USDT", "USDT"),
    # shared by several currencies with no clear majority: names none
    ("kr", None), ("Rs", None), ("￥", None), ("XYZ", None),
])
def test_currency_for_symbol(text, code):
    assert cur.currency_for_symbol(text) == code


def test_ambiguous_symbols_keep_every_currency_they_may_be():
    assert set(cur.SYMBOL_CURRENCIES["kr"]) >= {"SEK", "NOK", "DKK"}
    assert cur.SYMBOL_CURRENCIES["¥"][:2] == ("JPY", "CNY")
    assert cur.SYMBOL_CURRENCIES["$"][0] == "USD" and "CAD" in cur.SYMBOL_CURRENCIES["$"]


def test_is_currency():
    assert all(cur.is_currency(c) for c in ("EUR", "cad", "BTC", "USDT", "XOF"))
    assert not any(cur.is_currency(c) for c in ("XYZ", "DEM", "PRICE", ""))


def test_importing_it_is_cheap():
    out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "import derisk_xl.core.currencies"],
                         capture_output=True, text=True, check=True).stderr
    line = next(x for x in out.splitlines() if x.rstrip().endswith("derisk_xl.core.currencies"))
    self_us = int(line.split("|")[0].split(":")[1])
    assert self_us < 20_000, line  # pure literals; a few hundred microseconds here


# -- against CLDR itself, when Babel is installed ---------------------------------------------

babel = pytest.importorskip(
    "babel", reason="Babel is not installed (pip install -e '.[dev]'): the currencies table "
    "cannot be checked against CLDR here")


def generator():
    """tools/gen_currencies.py, imported from the repository beside these tests."""
    spec = importlib.util.spec_from_file_location(
        "gen_currencies", Path(__file__).resolve().parent.parent / "tools" / "gen_currencies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_code_in_use_with_cldr_digits():
    from babel.core import get_global
    from babel.numbers import get_currency_precision

    today = {code for region in get_global("territory_currencies").values()
             for code, _start, end, tender in region if end is None and tender}
    assert set(cur.MINOR_UNITS) == today
    wrong = {c: (cur.MINOR_UNITS[c], get_currency_precision(c)) for c in today
             if cur.MINOR_UNITS[c] != get_currency_precision(c)}
    assert not wrong


def test_every_symbol_is_one_a_locale_uses():
    from babel.core import Locale
    from babel.localedata import locale_identifiers

    EXTRA_WORDS, clean = generator().EXTRA_WORDS, generator().clean
    used: dict[str, set[str]] = {}
    for ident in locale_identifiers():
        for code, symbol in Locale.parse(ident).currency_symbols.items():
            used.setdefault(clean(symbol), set()).add(code)
    for text, codes in cur.SYMBOL_CURRENCIES.items():
        if text not in EXTRA_WORDS:
            assert set(codes) <= used[text], text
    assert cur.SYMBOL_CURRENCIES["₹"] == ("INR",)


def test_the_generated_block_is_up_to_date():
    gen = generator()
    source = gen.TARGET.read_text(encoding="utf-8")
    assert gen.regenerated(source) == source, "run: python tools/gen_currencies.py"
