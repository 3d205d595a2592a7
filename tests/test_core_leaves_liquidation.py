"""Liquidation prices (SPEC 4 step 8), checked against figures worked by hand, an exchange's
published example, and first principles: at the liquidation price, equity = maintenance margin.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derisk_xl.core.liquidation import LIQUIDATION_MODELS, liquidation_price
from derisk_xl.core.money import cents


def test_spec7_short_hedge_binance():
    """SPEC 7: short 0.069 BTC at 40,200, margin 924.60 (3×), m = 0.5 %, binance.

    P = (E·Q + M)/(Q·(1 + m)) = (2,773.80 + 924.60)/(0.069 · 1.005) = 3,698.40/0.069345
      = 53,333.333… → 53,333.33.
    """
    p = liquidation_price(side="short", entry=D(40200), size=D("0.069"), margin=D("924.60"),
                          maint_rate=D("0.005"))
    assert cents(p) == D("53333.33")


@pytest.mark.parametrize(
    "side, entry, leverage, expected",
    [
        # Bybit Help Center, "Liquidation Price (USDT Contract)",
        # https://help.bybit.com/hc/en-us/articles/900000181046-Liquidation-Price-USDT-Contract-
        # "long entry of 1 BTC at 10,000 USDT with 50x leverage … = 9,850 USDT" and
        # "short entry of 1 BTC at 8,000 USDT with 40x leverage … = 8,160 USDT" (MMR 0.5 %).
        ("long", D(10000), D(50), D(9850)),
        ("short", D(8000), D(40), D(8160)),
        # Bybit Help Center (testnet copy), "Liquidation Price (USDT Contract)", Example 1:
        # https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract
        # "long entry of 1 BTC at 20,000 USDT with 50x leverage … LP = 20,000 − (400 − 100)
        #  = 19,700 USDT".
        ("long", D(20000), D(50), D(19700)),
    ],
)
def test_bybit_published_examples(side, entry, leverage, expected):
    """Bybit's isolated USDT examples: margin = E·Q/leverage, MMR 0.5 %, no extra margin."""
    p = liquidation_price(side=side, entry=entry, size=D(1), margin=entry / leverage,
                          maint_rate=D("0.005"), model="bybit")
    assert p == expected


def test_long_and_short_under_both_models_by_hand():
    """Long and short 2 units at 1,000, margin 200 (10×), m = 1 %, c = 5.

    binance long:  (2,000 − 200 − 5)/(2·0.99)  = 1,795/1.98  = 906.5656…
    binance short: (2,000 + 200 + 5)/(2·1.01)  = 2,205/2.02  = 1,091.5841…
    bybit: MM = 2,000·0.01 − 5 = 15; long 1,000 − (200 − 15)/2 = 907.50,
           short 1,000 + 185/2 = 1,092.50.
    """
    kw = dict(entry=D(1000), size=D(2), margin=D(200), maint_rate=D("0.01"), maint_amount=D(5))
    assert cents(liquidation_price(side="long", **kw)) == D("906.57")
    assert cents(liquidation_price(side="short", **kw)) == D("1091.58")
    assert liquidation_price(side="long", model="bybit", **kw) == D("907.50")
    assert liquidation_price(side="short", model="bybit", **kw) == D("1092.50")


def test_inverse_bybit_matches_published_formula():
    """Bybit UTA isolated, inverse: "Contract Quantity / [Position Value ± (IM − MM)]" with
    Position Value = Contract Quantity / Entry (their example's inputs: 60,000 USD of BTCUSD at
    50,000, 10×, MMR 0.5 %). By hand: PV = 1.2 BTC, IM = 0.12, MM = 0.006;
    long 60,000/(1.2 + 0.114) = 45,662.10; short 60,000/(1.2 − 0.114) = 55,248.62.
    Here 600 contracts of 100 USD.
    """
    kw = dict(entry=D(50000), size=D(600), margin=D("0.12"), maint_rate=D("0.005"),
              model="bybit", contract_type="inverse")
    assert cents(liquidation_price(side="long", **kw)) == D("45662.10")
    assert cents(liquidation_price(side="short", **kw)) == D("55248.62")


def test_inverse_binance_from_first_principles():
    """10 contracts of 100 USD at 20,000 (0.05 BTC of position), margin 0.01 BTC, m = 0.5 %.

    Long: equity(P) = 0.01 + 1,000·(1/20,000 − 1/P); maintenance at P = 1,000·0.005/P.
    0.01 + 0.05 − 1,000/P = 5/P ⇒ P = 1,005/0.06 = 16,750.
    Short: 0.01 − 0.05 + 1,000/P = 5/P ⇒ 995/P = 0.04 ⇒ P = 24,875.
    """
    kw = dict(entry=D(20000), size=D(10), margin=D("0.01"), maint_rate=D("0.005"),
              contract_type="inverse")
    assert liquidation_price(side="long", **kw) == D(16750)
    assert liquidation_price(side="short", **kw) == D(24875)


def test_none_when_no_positive_price_exists():
    # A 1× long fully paid for (margin = notional) never reaches maintenance under binance.
    assert liquidation_price(side="long", entry=D(100), size=D(1), margin=D(100),
                             maint_rate=D("0.005")) is None
    # Bybit: margin beyond E·Q + MM pushes the long's price below zero.
    assert liquidation_price(side="long", entry=D(100), size=D(1), margin=D(101),
                             maint_rate=D("0.005"), model="bybit") is None
    # An inverse short margined with the full coin value (1,000/20,000 = 0.05 BTC) is a
    # cash-and-carry under binance: its coin loss is capped at 0.05 as P → ∞ and maintenance
    # at P (1,000·m/P) shrinks to 0, so it is never liquidated.
    inverse_short = dict(side="short", entry=D(20000), size=D(10), maint_rate=D("0.005"),
                         contract_type="inverse")
    assert liquidation_price(margin=D("0.05"), **inverse_short) is None
    # Bybit values maintenance at entry (0.05·0.5 % = 0.00025 BTC), which the capped equity
    # only just misses: 1,000/(0.05 − (0.05 − 0.00025)) = 4,000,000. One more 0.001 BTC of
    # margin covers it: no liquidation.
    assert liquidation_price(margin=D("0.05"), model="bybit", **inverse_short) == D(4000000)
    assert liquidation_price(margin=D("0.051"), model="bybit", **inverse_short) is None
    # Empty positions.
    assert liquidation_price(side="short", entry=D(100), size=D(0), margin=D(1),
                             maint_rate=D("0.005")) is None
    assert liquidation_price(side="long", entry=D(0), size=D(1), margin=D(1),
                             maint_rate=D("0.005")) is None


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ValueError, match="binance or bybit"):
        liquidation_price(side="long", entry=D(1), size=D(1), margin=D(1), maint_rate=D(0),
                          model="okx")  # type: ignore[arg-type]


def test_models_are_data():
    assert set(LIQUIDATION_MODELS) == {"binance", "bybit"}
    assert LIQUIDATION_MODELS["binance"].maintenance_at == "liquidation price"
    assert LIQUIDATION_MODELS["bybit"].maintenance_at == "entry price"


# --- property: at the computed price, equity equals the model's maintenance margin ------------

def _equity_and_maintenance(model, contract_type, s, e, size, margin, m, c, v, p):
    """First principles, written independently of the module's closed forms."""
    if contract_type == "linear":
        equity = margin + s * size * (p - e)
        notional = size * (p if model == "binance" else e)
        return equity, notional * m - c
    coins_at = size * v / (p if model == "binance" else e)
    equity = margin + s * size * v * (1 / e - 1 / p)
    return equity, coins_at * m - c


def _dec(lo, hi, places):
    return st.decimals(min_value=D(lo), max_value=D(hi), places=places,
                       allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(["binance", "bybit"]),
    contract_type=st.sampled_from(["linear", "inverse"]),
    side=st.sampled_from(["long", "short"]),
    entry=_dec("0.01", "200000", 2),
    size=_dec("0.001", "5000", 3),
    leverage=_dec("1", "125", 1),
    m=_dec("0", "0.2", 4),
    c_share=_dec("0", "0.5", 3),
    v=st.sampled_from([D(1), D(10), D(100)]),
)
def test_equity_equals_maintenance_at_the_price(model, contract_type, side, entry, size,
                                                leverage, m, c_share, v):
    s = 1 if side == "long" else -1
    position_value = size * entry if contract_type == "linear" else size * v / entry
    margin = position_value / leverage
    c = c_share * position_value * m  # a maintenance amount below the maintenance margin
    p = liquidation_price(side=side, entry=entry, size=size, margin=margin, maint_rate=m,
                          maint_amount=c, model=model, contract_type=contract_type,
                          contract_value=v)
    if p is None:
        # No positive root: at any price the position stays above maintenance.
        for probe in (entry / 1000, entry, entry * 1000):
            eq, mm = _equity_and_maintenance(model, contract_type, s, entry, size, margin, m, c,
                                             v, probe)
            assert eq > mm or abs(eq - mm) <= abs(mm) * D("1e-20")
        return
    assert p > 0
    eq, mm = _equity_and_maintenance(model, contract_type, s, entry, size, margin, m, c, v, p)
    scale = max(abs(margin), abs(mm), D("1e-12"))
    assert abs(eq - mm) <= scale * D("1e-18")


def test_an_empty_position_has_no_liquidation_price_under_either_model():
    for model in ("binance", "bybit"):
        for kind in ("linear", "inverse"):
            assert liquidation_price(side="long", entry=D(100), size=D(0), margin=D(10),
                                     maint_rate=D("0.005"), model=model,
                                     contract_type=kind) is None, (model, kind)
