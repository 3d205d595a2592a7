"""How numbers read in the report: pure functions, no Jinja, no WeasyPrint.

The PDF is for a reader who never opens Excel, so every figure is spelled the same way:
money with thousands separators and the base currency in its own units (cents, whole yen,
satoshis: SPEC 3.10), percentages to one decimal (rates such
as funding keep the digits that carry meaning), a real minus sign, and the hedge's carry said in
words ("the short earns about $25 of funding over 30 days").
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..core.currencies import minor_units
from ..core.model import Carry
from ..core.money import D

MINUS = "\u2212"  # a typographic minus: a hyphen is easy to miss in print
NBSP = "\u00a0"  # keeps "10.9 %" and "$ 1" on one line

#: Currencies written with a symbol in front; any other code is written after the amount.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _q(value: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:  # room for every digit of the largest admitted figure
        ctx.prec = 80
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value: Decimal | int | float | None, places: int = 2, *, sign: bool = False) -> str:
    """``1234.5`` → ``1,234.50``; negative with a real minus; None → an en dash."""
    if value is None:
        return "–"
    d = _q(D(value), places)
    if d == 0:
        d = abs(d)  # never print "−0.00"
    text = f"{abs(d):,.{places}f}"
    if d < 0:
        return MINUS + text
    return ("+" + text) if sign and d > 0 else text


def amount(value: Decimal | None, currency: str = "USD") -> str:
    """An amount without its currency, in the currency's minor unit: ``1,250`` yen."""
    return number(value, minor_units(currency))


def money(value: Decimal | None, currency: str = "USD", places: int | None = None, *,
          sign: bool = False) -> str:
    """``Decimal('-7050')`` → ``−$7,050.00``; ``CHF`` → ``1,000.00 CHF``; ``JPY`` → ``¥1,250``.
    ``places`` defaults to the currency's minor units."""
    if value is None:
        return "–"
    text = number(value, minor_units(currency) if places is None else places, sign=sign)
    head = text[0] if text[0] in (MINUS, "+") else ""
    body = text[len(head):]
    symbol = SYMBOLS.get(currency.upper())
    if symbol:
        return f"{head}{symbol}{body}"
    return f"{head}{body}{NBSP}{currency.upper()}"


def price(value: Decimal | None, currency: str = "USD") -> str:
    """Prices in the currency's minor unit, with more digits when small (a coin at 0.000012
    must not read as 0.00)."""
    if value is None:
        return "–"
    places = minor_units(currency)
    magnitude = abs(value)
    if 0 < magnitude < 1:
        # enough decimals to show four significant digits, at most 10
        places = min(10, max(places, 2, -magnitude.adjusted() + 3))
    return money(value, currency, places)


def quantity(value: Decimal | None, max_places: int = 8) -> str:
    """Units of an asset: thousands separators, up to eight decimals, no trailing zeros."""
    if value is None:
        return "–"
    text = number(value, max_places)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def pct(fraction: Decimal | float | None, places: int = 1, *, sign: bool = False) -> str:
    """A fraction as a percentage to one decimal: ``0.6714`` → ``67.1 %``."""
    if fraction is None:
        return "–"
    f = D(fraction)
    return number(f * 100, places, sign=sign) + NBSP + "%"


def rate(fraction: Decimal | float | None) -> str:
    """A rate (funding, basis, annualized carry): two decimals, more when it is small.

    ``0.0001`` → ``0.01 %``; ``0.1095`` → ``10.95 %``; ``0.00001`` → ``0.001 %``.
    """
    if fraction is None:
        return "–"
    f = D(fraction)
    points = f * 100
    places = 2
    if points and abs(points) < Decimal("0.01"):
        places = min(6, -abs(points).adjusted() + 1)  # two significant digits
    text = number(points, places)
    while places > 2 and text.endswith("0"):
        text, places = text[:-1], places - 1
    return text + NBSP + "%"


def multiple(value: Decimal | None) -> str:
    """``4`` → ``4.00×``; unknown cost → ``unknown``."""
    return "unknown" if value is None else number(value, 2) + "×"


def shock(fraction: Decimal) -> str:
    """A stress shock with its sign: ``-0.3`` → ``−30 %``, ``0.2`` → ``+20 %``."""
    points = Decimal(fraction) * 100
    places = 0 if points == points.to_integral_value() else 1
    return number(points, places, sign=True) + NBSP + "%"


def date(value: dt.date | None) -> str:
    """``2026-11-28`` → ``28 November 2026``: no day/month order to misread."""
    if value is None:
        return "–"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def about(amount: Decimal, currency: str = "USD") -> str:
    """A rounded amount for prose: ``24.96`` → ``$25``, ``1234.4`` → ``$1,234``, ``3.456`` →
    ``$3.46``, ``0.0012345`` BTC → ``0.00123 BTC`` (three significant digits, never past the
    currency's minor unit). Always the absolute value: the verb around it carries the sign."""
    a = abs(Decimal(amount))
    places = 0 if a >= 10 else min(minor_units(currency), max(2, -a.adjusted() + 2))
    return money(a, currency, places)


def carry_words(carry: Carry | None, currency: str = "USD", funding_rate_8h: Decimal | None = None,
                ) -> str:
    """The hedge's carry in one plain sentence, with the sign said as a verb.

    SPEC 4 step 9: a short earns a positive basis as the future converges to spot and receives
    positive funding; it pays when they are negative. ``amount`` is positive when it earns.
    """
    if carry is None:
        return "No hedge is opened, so there is no funding or basis to earn or pay."
    days = carry.horizon_days
    span = f"over {days} day{'s' if days != 1 else ''}"
    exact = money(abs(carry.amount), currency)
    if carry.kind == "funding":
        per_8h = "" if funding_rate_8h is None else f"{rate(funding_rate_8h)} per 8 hours, "
        if carry.amount == 0:
            return (f"At a funding rate of {rate(funding_rate_8h or 0)} per 8 hours the short "
                    f"neither earns nor pays funding {span}.")
        verb = carry.verb
        why = ("shorts receive funding when the rate is positive" if carry.amount > 0
               else "shorts pay funding when the rate is negative")
        return (f"The short {verb} about {about(carry.amount, currency)} of funding {span} "
                f"({exact}; {per_8h}{rate(carry.annualized)} a year: {why}).")
    # dated contract: the basis converges to zero by expiry
    basis = f"basis {money(carry.basis, currency)} a unit, {rate(carry.basis_pct)}"
    expiry = ("" if carry.days_to_expiry is None
              else f", {carry.days_to_expiry} days to expiry")
    if carry.amount == 0:
        return (f"The future trades at spot ({basis}{expiry}): the short neither earns nor pays "
                f"basis {span}.")
    why = ("a future sold above spot gains as it converges to spot" if carry.amount > 0
           else "a future sold below spot loses as it converges to spot")
    return (f"The short {carry.verb} about {about(carry.amount, currency)} from the basis {span} "
            f"({exact}; {basis}, {rate(carry.annualized)} annualized{expiry}: {why}).")


STEP_WORDS = {
    "tier": "Profit tier",
    "allocation": "Rebalance",
    "close-long": "Close long",
    "reduce-leverage": "Cut leverage",
    "transfer": "Transfer",
    "hedge": "Hedge",
}

BUCKET_WORDS = {"spot": "Risk spot", "stable": "Stable", "futures": "Futures wallet"}

STATUS_WORDS = {
    "complete": "Complete — the target is reached or nothing is left to sell",
    "accelerate": "Accelerate — signals say take profits faster",
    "continue": "Continue — keep following the plan",
}


def step(name: str) -> str:
    return STEP_WORDS.get(name, name)


def bucket(name: str) -> str:
    return BUCKET_WORDS.get(name, name)


def status(name: str) -> str:
    return STATUS_WORDS.get(name, name)


__all__ = [
    "MINUS", "NBSP", "about", "amount", "bucket", "carry_words", "date", "money", "multiple", "number",
    "pct", "price", "quantity", "rate", "shock", "status", "step",
]
