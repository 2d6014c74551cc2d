"""Order-type router: market, limit or TWAP from signal strength, spread and size against ADV.

Rules, first match wins (thresholds from `router` config):
1. strong_signal  strength > market_strength_threshold        -> MARKET
2. wide_spread    spread > wide_spread_threshold_bps           -> LIMIT at mid, offset toward the far side
3. large_vs_adv   quantity > size_threshold_large_pct % of ADV -> TWAP (twap_num_slices, twap_interval_seconds),
                 run by `router.large_order_algo` (twap, vwap, pov or arrival) over that horizon
4. small_vs_adv   quantity < size_threshold_small_pct % of ADV -> LIMIT at the near touch (bid buy / ask sell)
5. default        otherwise -> execution.default_order_type; for limit: bid + offset (buy) / ask - offset (sell)

Offsets are `execution.limit_offset_pct` percent of the price they move. A limit never goes
through the far touch (a buy is at most the ask, a sell at least the bid); with `tick` given,
limit prices are rounded passively (buys down, sells up).
"""

from __future__ import annotations

import math
from decimal import Decimal

from engine.api import RouteDecision
from engine.config import ExecutionConfig, RouterConfig
from engine.models import InputError, OrderType, Side, parse_side, round_price, to_decimal

RULES = ("strong_signal", "wide_spread", "large_vs_adv", "small_vs_adv", "default")
_HUNDRED = Decimal(100)


def describe_rule(rule: str, router: RouterConfig, execution: ExecutionConfig) -> str:
    """The rule that fired, in words, with the thresholds it compared against."""
    off = f"{execution.limit_offset_pct:g}%"
    texts = {
        "strong_signal": f"signal strength above {router.market_strength_threshold:g}: market order",
        "wide_spread": f"spread wider than {router.wide_spread_threshold_bps:g} bps: limit at mid, {off} toward the far side",
        "large_vs_adv": f"size above {router.size_threshold_large_pct:g}% of ADV: "
        + (
            f"TWAP in {router.twap_num_slices} slices {router.twap_interval_seconds:g} s apart"
            if router.large_order_algo == "twap"
            else f"{router.large_order_algo} over {router.twap_num_slices * router.twap_interval_seconds:g} s"
        ),
        "small_vs_adv": f"size below {router.size_threshold_small_pct:g}% of ADV: limit at the near touch (bid for a buy, ask for a sell)",
        "default": f"no rule above fired: {execution.default_order_type}"
        + (
            f" at the near touch improved by {off}"
            if execution.default_order_type == "limit"
            else ""
        ),
    }
    if rule not in texts:
        raise InputError("rule", f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    return texts[rule]


def decision_algo(decision: RouteDecision, router: RouterConfig) -> str:
    """The leg algorithm a decision runs: a TWAP decision runs `router.large_order_algo`."""
    if decision.order_type is OrderType.TWAP:
        return router.large_order_algo
    return decision.order_type.value


def parse_strength(value: object) -> float:
    """A signal strength in [0, 1] from a number or its text; InputError names the field."""
    try:
        s = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("strength", f"expected a number, got {value!r}") from None
    if isinstance(value, bool) or math.isnan(s) or not 0.0 <= s <= 1.0:
        raise InputError("strength", f"must be between 0 and 1, got {value!r}")
    return s


def _limit(price: Decimal, side: Side, bid: Decimal, ask: Decimal, tick: Decimal | None) -> Decimal:
    far = ask if side is Side.BUY else bid
    px = min(price, far) if side is Side.BUY else max(price, far)
    return round_price(px, tick, side, passive=True) if tick is not None else px


def decide_order_type(
    *,
    side: Side | str,
    quantity: object,
    strength: object,
    bid: object,
    ask: object,
    adv: object,
    router: RouterConfig,
    execution: ExecutionConfig,
    tick: object = None,
) -> RouteDecision:
    """Pick the order type for one ticket; the decision names the rule that fired."""
    sd = side if isinstance(side, Side) else parse_side(side)
    qty = to_decimal(quantity, "quantity")
    st = parse_strength(strength)
    b = to_decimal(bid, "bid")
    a = to_decimal(ask, "ask")
    if a < b:
        raise InputError("ask", f"crossed quote: ask {a} is below bid {b}")
    volume = to_decimal(adv, "adv")
    tk = to_decimal(tick, "tick") if tick is not None else None

    offset = Decimal(str(execution.limit_offset_pct)) / _HUNDRED
    mid = (a + b) / 2
    spread_bps = (a - b) / mid * 10_000
    size_pct = qty / volume * _HUNDRED

    if st > router.market_strength_threshold:
        return RouteDecision(OrderType.MARKET, "strong_signal", None, 1, 0.0)
    if spread_bps > Decimal(str(router.wide_spread_threshold_bps)):
        px = mid * (1 + sd.sign * offset)
        return RouteDecision(OrderType.LIMIT, "wide_spread", _limit(px, sd, b, a, tk), 1, 0.0)
    if size_pct > Decimal(str(router.size_threshold_large_pct)):
        return RouteDecision(
            OrderType.TWAP,
            "large_vs_adv",
            None,
            router.twap_num_slices,
            router.twap_interval_seconds,
        )
    near = b if sd is Side.BUY else a
    if size_pct < Decimal(str(router.size_threshold_small_pct)):
        return RouteDecision(OrderType.LIMIT, "small_vs_adv", _limit(near, sd, b, a, tk), 1, 0.0)
    default = OrderType(execution.default_order_type)
    if default is OrderType.MARKET:
        return RouteDecision(default, "default", None, 1, 0.0)
    if default is OrderType.TWAP:
        return RouteDecision(
            default, "default", None, router.twap_num_slices, router.twap_interval_seconds
        )
    px = near * (1 + sd.sign * offset)
    return RouteDecision(OrderType.LIMIT, "default", _limit(px, sd, b, a, tk), 1, 0.0)
