"""Half-Kelly, fixed and percent-of-equity sizing: reference example, caps, prices, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import ExecutionConfig
from engine.models import InputError
from engine.sizing import kelly_fraction, size_ticket

CFG = ExecutionConfig()
REF = dict(price=150, cash=50000, equity=100000, win_rate=0.55, avg_win=2, avg_loss=1)


def size(**overrides: object):
    args: dict[str, object] = {**REF, "side": "buy", "cfg": CFG, **overrides}
    return size_ticket(**args)  # type: ignore[arg-type]


def test_reference_example_kelly_uncapped_54_capped_to_33_by_5pct_of_equity() -> None:
    r = size()
    assert r.kelly_fraction == 0.325
    assert r.half_kelly_fraction == 0.1625
    assert r.uncapped_quantity == Decimal(54)
    assert r.quantity == Decimal(33)
    assert r.notional == Decimal(4950)
    assert r.capped is True
    assert "max_position_pct" in r.cap_reason and "5000" in r.cap_reason
    assert r.reason == ""


def test_kelly_fraction_is_exact_in_decimal() -> None:
    assert kelly_fraction(Decimal("0.55"), Decimal(2), Decimal(1)) == Decimal("0.325")


def test_uncapped_when_equity_is_large_enough() -> None:
    r = size(equity=1_000_000)
    assert (r.quantity, r.capped, r.cap_reason) == (Decimal(54), False, "")


def test_quantity_rounds_down_to_the_step() -> None:
    r = size(equity=1_000_000, step="10")
    assert r.quantity == Decimal(50)
    r = size(equity=1_000_000, price=100, step="0.001")
    assert r.quantity == Decimal("81.250")


def test_no_edge_gives_no_order_and_says_why() -> None:
    r = size(win_rate=0.3, avg_win=1, avg_loss=1)
    assert r.kelly_fraction == pytest.approx(-0.4)
    assert r.quantity == 0 and r.notional == 0
    assert "no edge" in r.reason and "<= 0" in r.reason
    assert r.stop_price is None and r.limit_price is None


def test_break_even_edge_is_no_order() -> None:
    r = size(win_rate=0.5, avg_win=1, avg_loss=1)
    assert r.kelly_fraction == 0 and r.quantity == 0 and r.reason


def test_quantity_rounding_to_zero_is_explained() -> None:
    r = size(price=1_000_000, equity=10**9)
    assert r.quantity == 0 and "rounds down to 0" in r.reason


def test_buy_stop_below_and_passive_limit_below_entry() -> None:
    r = size()
    assert r.stop_price == Decimal("147")
    assert r.limit_price == Decimal("149.925")


def test_sell_stop_above_and_passive_limit_above_entry() -> None:
    r = size(side="sell")
    assert r.stop_price == Decimal("153")
    assert r.limit_price == Decimal("150.075")
    assert r.quantity == Decimal(33)


def test_cap_counts_the_position_already_held() -> None:
    assert size(position=20).quantity == Decimal(13)  # (5000/150 = 33.3) - 20 held
    assert size(side="sell", position=20).quantity == Decimal(53)  # selling a long frees room
    assert size(position=40).quantity == 0  # already above the cap: nothing more


def test_fixed_mode_uses_the_configured_quantity_capped_by_cash_for_buys() -> None:
    cfg = ExecutionConfig(position_sizing="fixed", fixed_quantity=Decimal(20))
    r = size(cfg=cfg)
    assert (r.mode, r.quantity, r.capped) == ("fixed", Decimal(20), False)
    r = size(cfg=cfg, cash=1500, equity=10**7)
    assert r.quantity == Decimal(10) and r.cap_reason.startswith("cash")


def test_fixed_mode_needs_no_edge_figures() -> None:
    cfg = ExecutionConfig(position_sizing="fixed", fixed_quantity=Decimal(7))
    r = size(cfg=cfg, win_rate=None, avg_win=None, avg_loss=None)
    assert r.quantity == Decimal(7) and r.kelly_fraction == 0.0


def test_percent_equity_mode_sizes_notional_as_share_of_equity() -> None:
    cfg = ExecutionConfig(position_sizing="percent_equity", percent_equity=2.0)
    r = size(cfg=cfg)  # 2% of 100000 = 2000 -> 13.33 shares at 150
    assert (r.mode, r.quantity, r.capped) == ("percent_equity", Decimal(13), False)


def test_half_kelly_requires_the_edge_figures() -> None:
    with pytest.raises(InputError) as e:
        size(avg_loss=None)
    assert e.value.field == "avg_loss"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 0),
        ("price", -1),
        ("price", float("nan")),
        ("price", "abc"),
        ("cash", 0),
        ("cash", -5),
        ("cash", float("inf")),
        ("equity", 0),
        ("equity", "NaN"),
        ("win_rate", 1.2),
        ("win_rate", -0.1),
        ("win_rate", float("nan")),
        ("avg_loss", 0),
        ("avg_loss", -1),
        ("avg_win", -2),
        ("avg_win", 0),
        ("side", "hold"),
        ("step", 0),
    ],
)
def test_bad_input_names_the_field(field: str, value: object) -> None:
    with pytest.raises(InputError) as e:
        size(**{field: value})
    assert e.value.field == field
    assert str(e.value).startswith(f"{field}: ")


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    price=money,
    cash=money,
    equity=money,
    win_rate=st.decimals(min_value=0, max_value=1, places=3),
    avg_win=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
    avg_loss=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
    step=st.sampled_from([Decimal("1"), Decimal("0.1"), Decimal("0.001"), Decimal("5")]),
    side=st.sampled_from(["buy", "sell"]),
    max_pct=st.floats(min_value=0.1, max_value=100),
)
def test_half_kelly_never_exceeds_its_caps(
    price: Decimal,
    cash: Decimal,
    equity: Decimal,
    win_rate: Decimal,
    avg_win: Decimal,
    avg_loss: Decimal,
    step: Decimal,
    side: str,
    max_pct: float,
) -> None:
    cfg = ExecutionConfig(max_position_pct=max_pct)
    r = size_ticket(
        price=price,
        cash=cash,
        equity=equity,
        side=side,
        win_rate=win_rate,
        avg_win=avg_win,
        avg_loss=avg_loss,
        step=step,
        cfg=cfg,
    )
    f = kelly_fraction(win_rate, avg_win, avg_loss)
    assert r.quantity >= 0
    assert r.quantity % step == 0
    assert r.quantity <= r.uncapped_quantity
    assert r.quantity * price <= equity * Decimal(str(max_pct)) / 100
    if f <= 0:
        assert r.quantity == 0 and r.reason
    else:
        assert r.quantity * price <= cash * f / 2 + step * price
        assert r.quantity * price <= cash
