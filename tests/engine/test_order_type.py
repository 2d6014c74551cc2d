"""Order-type router: each rule, their precedence, thresholds from config, prices, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.config import ExecutionConfig, RouterConfig
from engine.models import InputError, OrderType
from engine.routing.order_type import RULES, decide_order_type, describe_rule

ROUTER = RouterConfig()
EXEC = ExecutionConfig()
# 100.00 / 100.05 is a 5 bps spread; 5000 of an ADV of 1,000,000 is 0.5%: no rule fires.
BASE: dict[str, object] = dict(
    side="buy", quantity="5000", strength=0.5, bid="100.00", ask="100.05", adv="1000000"
)


def decide(router: RouterConfig = ROUTER, execution: ExecutionConfig = EXEC, **kw: object):
    return decide_order_type(**{**BASE, **kw}, router=router, execution=execution)  # type: ignore[arg-type]


def test_strong_signal_goes_market_before_every_other_rule() -> None:
    d = decide(strength=0.95, bid="100", ask="101", quantity="50000")  # wide and large too
    assert (d.order_type, d.rule, d.limit_price, d.slices) == (
        OrderType.MARKET,
        "strong_signal",
        None,
        1,
    )


def test_strength_at_the_threshold_is_not_strong() -> None:
    assert decide(strength=0.9).rule == "default"


def test_wide_spread_buy_limits_at_mid_plus_offset() -> None:
    d = decide(bid="100", ask="100.50", quantity="50000")  # large too: spread rule comes first
    assert (d.order_type, d.rule) == (OrderType.LIMIT, "wide_spread")
    assert d.limit_price == Decimal("100.25") * Decimal("1.0005")


def test_wide_spread_sell_limits_at_mid_minus_offset() -> None:
    d = decide(side="sell", bid="100", ask="100.50")
    assert d.limit_price == Decimal("100.25") * Decimal("0.9995")


def test_wide_spread_limit_never_goes_through_the_far_touch() -> None:
    d = decide(execution=ExecutionConfig(limit_offset_pct=5.0), bid="100", ask="100.50")
    assert d.limit_price == Decimal("100.50")


def test_large_vs_adv_goes_twap_with_configured_slices() -> None:
    d = decide(quantity="10001")
    assert (d.order_type, d.rule, d.slices, d.interval_s) == (
        OrderType.TWAP,
        "large_vs_adv",
        5,
        60.0,
    )
    r = RouterConfig(twap_num_slices=8, twap_interval_seconds=15)
    assert (
        decide(router=r, quantity="20000").slices,
        decide(router=r, quantity="20000").interval_s,
    ) == (8, 15.0)


def test_exactly_the_large_threshold_is_not_large() -> None:
    assert decide(quantity="10000").rule == "default"


def test_small_vs_adv_buy_joins_the_bid_and_sell_joins_the_ask() -> None:
    buy = decide(quantity="999")
    sell = decide(side="sell", quantity="999")
    assert (buy.rule, buy.limit_price) == ("small_vs_adv", Decimal("100.00"))
    assert (sell.rule, sell.limit_price) == ("small_vs_adv", Decimal("100.05"))


def test_default_limit_improves_the_touch_by_the_offset() -> None:
    wide_enough = dict(bid="100.00", ask="100.15")  # 15 bps: under the wide threshold
    buy = decide(**wide_enough)
    sell = decide(side="sell", **wide_enough)
    assert (buy.order_type, buy.rule, buy.limit_price) == (
        OrderType.LIMIT,
        "default",
        Decimal("100.0500"),
    )
    assert sell.limit_price == Decimal("100.15") * Decimal("0.9995")


def test_default_limit_is_clamped_at_the_far_touch_on_a_tight_spread() -> None:
    assert decide(bid="100.00", ask="100.01").limit_price == Decimal("100.01")


def test_default_follows_configured_default_order_type() -> None:
    assert (
        decide(execution=ExecutionConfig(default_order_type="market")).order_type
        is OrderType.MARKET
    )
    twap = decide(execution=ExecutionConfig(default_order_type="twap"))
    assert (twap.order_type, twap.rule, twap.slices) == (OrderType.TWAP, "default", 5)


def test_thresholds_come_from_config() -> None:
    r = RouterConfig(market_strength_threshold=0.4, wide_spread_threshold_bps=2.0)
    assert decide(router=r).rule == "strong_signal"
    assert decide(router=r, strength=0.3).rule == "wide_spread"


def test_tick_rounds_limits_passively() -> None:
    d = decide(bid="100", ask="100.50", tick="0.01")  # mid+offset = 100.300125
    assert d.limit_price == Decimal("100.30")
    s = decide(side="sell", bid="100", ask="100.50", tick="0.01")  # 100.199875 -> up
    assert s.limit_price == Decimal("100.20")


def test_describe_rule_explains_each_rule_with_its_threshold() -> None:
    texts = {r: describe_rule(r, ROUTER, EXEC) for r in RULES}
    assert "0.9" in texts["strong_signal"]
    assert "20 bps" in texts["wide_spread"]
    assert "1% of ADV" in texts["large_vs_adv"] and "5 slices" in texts["large_vs_adv"]
    assert "0.1% of ADV" in texts["small_vs_adv"]
    assert "0.05%" in texts["default"]
    with pytest.raises(InputError):
        describe_rule("nope", ROUTER, EXEC)


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("quantity", dict(quantity="0")),
        ("quantity", dict(quantity="-5")),
        ("quantity", dict(quantity="nan")),
        ("strength", dict(strength=1.5)),
        ("strength", dict(strength=-0.1)),
        ("strength", dict(strength=float("nan"))),
        ("strength", dict(strength="strong")),
        ("bid", dict(bid="0")),
        ("ask", dict(ask="-1")),
        ("ask", dict(bid="101", ask="100")),
        ("adv", dict(adv="0")),
        ("side", dict(side="short")),
        ("tick", dict(tick="0")),
    ],
)
def test_bad_input_names_the_field(field: str, kw: dict[str, object]) -> None:
    with pytest.raises(InputError) as e:
        decide(**kw)
    assert e.value.field == field
