"""Risk gate: each limit denies with its own check id, trading states, rate window, history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.clock import SimClock
from engine.config import RiskConfig
from engine.models import ChildOrder, InputError, OrderType, Side, TradingState
from engine.risk.gate import CHECKS, RiskGate

D = Decimal
CFG = RiskConfig(
    max_child_quantity=D(1000),
    max_child_notional=D(50_000),
    max_child_share_of_parent=0.5,
    max_price_deviation_bps=50.0,
    max_position_per_symbol=D(5000),
    max_orders_per_second_per_venue=3,
)
ASK, BID = D("100.00"), D("99.98")


def child(
    qty: str = "100", side: Side = Side.BUY, limit: str | None = "100.00", venue: str = "V1"
) -> ChildOrder:
    px = D(limit) if limit is not None else None
    order_type = OrderType.LIMIT if px is not None else OrderType.MARKET
    return ChildOrder("P1-001", "P1", venue, "AAPL", side, D(qty), order_type, px)


def gate(cfg: RiskConfig = CFG) -> tuple[RiskGate, SimClock]:
    clock = SimClock(start=1000.0)
    return RiskGate(cfg, clock), clock


def check(
    g: RiskGate, c: ChildOrder, *, parent: str = "1000", best: Decimal | None = None, pos: str = "0"
):
    opp = best if best is not None else (ASK if c.side is Side.BUY else BID)
    return g.check(c, parent_quantity=D(parent), best_opposite=opp, position=D(pos))


def test_an_order_within_every_limit_passes() -> None:
    g, _ = gate()
    assert check(g, child()) is None
    assert (g.checked, g.denied, len(g.denials)) == (1, 0, 0)


@pytest.mark.parametrize(
    ("expected", "order", "kw"),
    [
        ("quantity", dict(qty="1001"), dict(parent="5000")),
        ("notional", dict(qty="600", limit="100.00"), dict(parent="2000", best=D("100.00"))),
        (
            "notional",
            dict(qty="100", limit=None),
            dict(best=D("600")),
        ),  # market: valued at the quote
        ("share_of_parent", dict(qty="301"), dict(parent="600")),
        ("price_deviation", dict(limit="100.51"), {}),  # 51 bps above the ask
        ("price_deviation", dict(side=Side.SELL, limit="99.47"), {}),  # 51 bps below the bid
        ("position", dict(qty="200"), dict(pos="4900")),
        ("position", dict(qty="200", side=Side.SELL, limit="99.98"), dict(pos="-4900")),
    ],
)
def test_each_limit_denies_with_its_own_check(expected: str, order: dict, kw: dict) -> None:
    g, _ = gate()
    denial = check(g, child(**order), **kw)
    assert denial is not None and denial.check == expected
    assert denial.reason
    rec = g.denials[-1]
    assert (rec.check, rec.client_order_id, rec.venue, rec.symbol, rec.ts) == (
        expected, "P1-001", "V1", "AAPL", 1000.0,
    )  # fmt: skip


def test_passive_limits_far_from_the_market_are_not_deviations() -> None:
    g, _ = gate()
    assert check(g, child(limit="90.00")) is None  # a buy far below the ask cannot hurt
    assert check(g, child(side=Side.SELL, limit="110.00")) is None


def test_limit_with_no_quote_is_denied_rather_than_unchecked() -> None:
    g, _ = gate()
    d = g.check(child(), parent_quantity=D(1000), best_opposite=None, position=D(0))
    assert d is not None and d.check == "price_deviation"


def test_market_order_with_no_quote_is_denied_for_want_of_a_price() -> None:
    g, _ = gate()
    d = g.check(child(limit=None), parent_quantity=D(1000), best_opposite=None, position=D(0))
    assert d is not None and d.check == "notional"


def test_orders_that_reduce_an_over_limit_position_pass() -> None:
    g, _ = gate()
    assert check(g, child(side=Side.SELL, limit="99.98"), pos="8000") is None


def test_halted_denies_everything_until_an_explicit_reset() -> None:
    g, _ = gate()
    assert g.halt("kill switch") == (TradingState.ACTIVE, TradingState.HALTED)
    assert g.halt("again") is None  # twice is harmless
    d = check(g, child(side=Side.SELL, limit="99.98"), pos="100")  # even a reducing order
    assert d is not None and d.check == "trading_state" and "HALTED" in d.reason
    with pytest.raises(InputError) as e:
        g.reset(confirm=False)
    assert e.value.field == "confirm" and g.state is TradingState.HALTED
    assert g.reset(confirm=True) == (TradingState.HALTED, TradingState.ACTIVE)
    assert check(g, child()) is None


@pytest.mark.parametrize(
    ("side", "qty", "pos", "passes"),
    [
        (Side.SELL, "100", "300", True),  # reduces a long
        (Side.SELL, "300", "300", True),  # closes it exactly
        (Side.SELL, "301", "300", False),  # would flip to short
        (Side.BUY, "100", "300", False),  # adds to the long
        (Side.BUY, "100", "-300", True),  # reduces a short
        (Side.BUY, "400", "-300", False),  # flips the short
        (Side.BUY, "1", "0", False),  # flat: nothing to reduce
        (Side.SELL, "1", "0", False),
    ],
)
def test_reducing_only_lets_orders_shrink_the_position(
    side: Side, qty: str, pos: str, passes: bool
) -> None:
    g, _ = gate()
    g.set_state(TradingState.REDUCING, "drawdown")
    limit = "100.00" if side is Side.BUY else "99.98"
    d = check(g, child(qty=qty, side=side, limit=limit), pos=pos)
    assert (d is None) is passes
    if not passes:
        assert d is not None and d.check == "trading_state"


def test_set_state_reports_changes_only() -> None:
    g, _ = gate()
    assert g.set_state(TradingState.ACTIVE, "x") is None
    assert g.set_state(TradingState.REDUCING, "risk off") == (
        TradingState.ACTIVE,
        TradingState.REDUCING,
    )
    assert g.state_reason == "risk off"


def test_order_rate_is_a_sliding_one_second_window_per_venue() -> None:
    g, clock = gate()
    for _ in range(3):
        assert check(g, child()) is None
    d = check(g, child())
    assert d is not None and d.check == "order_rate"
    assert check(g, child(venue="V2")) is None  # another venue has its own budget
    clock.advance_to(1000.999)
    assert check(g, child()) is not None
    clock.advance_to(1001.0)  # the first three leave the window together
    assert check(g, child()) is None


def test_denied_orders_do_not_use_up_the_rate() -> None:
    g, _ = gate()
    for _ in range(5):
        assert check(g, child(qty="5000"), parent="10000") is not None
    for _ in range(3):
        assert check(g, child()) is None


def test_denial_history_is_bounded() -> None:
    g = RiskGate(CFG, SimClock(), history=10)
    for _ in range(25):
        check(g, child(qty="0"))
    assert len(g.denials) == 10 and g.denied == 25
    assert g.denials[-1].check == "quantity"


# -- property: no child that breaks a limit passes ------------------------------------
qty_s = st.decimals(min_value=D("0.001"), max_value=D(3000), places=3)
price_s = st.decimals(min_value=D("1"), max_value=D(200), places=2)


@settings(max_examples=400, deadline=None)
@given(
    qty=qty_s,
    parent=qty_s,
    side=st.sampled_from([Side.BUY, Side.SELL]),
    limit=st.one_of(st.none(), price_s),
    best=st.one_of(st.none(), price_s),
    pos=st.decimals(min_value=D(-8000), max_value=D(8000), places=0),
    state=st.sampled_from([TradingState.ACTIVE] * 4 + [TradingState.REDUCING, TradingState.HALTED]),
    max_qty=st.decimals(min_value=D(1), max_value=D(2000), places=0),
    max_notional=st.decimals(min_value=D(100), max_value=D(200_000), places=0),
    max_share=st.floats(min_value=0.05, max_value=1.0),
    max_dev=st.floats(min_value=1.0, max_value=500.0),
    max_pos=st.decimals(min_value=D(1), max_value=D(6000), places=0),
)
def test_no_child_that_breaks_a_limit_passes(
    qty: Decimal,
    parent: Decimal,
    side: Side,
    limit: Decimal | None,
    best: Decimal | None,
    pos: Decimal,
    state: TradingState,
    max_qty: Decimal,
    max_notional: Decimal,
    max_share: float,
    max_dev: float,
    max_pos: Decimal,
) -> None:
    cfg = RiskConfig(
        max_child_quantity=max_qty,
        max_child_notional=max_notional,
        max_child_share_of_parent=max_share,
        max_price_deviation_bps=max_dev,
        max_position_per_symbol=max_pos,
        max_orders_per_second_per_venue=1000,
    )
    g = RiskGate(cfg, SimClock())
    g.set_state(state, "test")
    c = ChildOrder(
        "C", "P", "V", "X", side, qty, OrderType.LIMIT if limit else OrderType.MARKET, limit
    )
    denial = g.check(c, parent_quantity=parent, best_opposite=best, position=pos)
    assert denial is None or denial.check in CHECKS
    if denial is not None:
        return
    signed = qty * side.sign
    after = pos + signed
    assert state is not TradingState.HALTED
    if state is TradingState.REDUCING:
        assert abs(after) < abs(pos) and after * pos >= 0
    assert 0 < qty <= max_qty
    price = limit if limit is not None else best
    assert price is not None and qty * price <= max_notional
    assert qty <= parent * D(str(max_share))
    if limit is not None:
        assert best is not None
        assert (limit - best) * side.sign / best * 10_000 <= D(str(max_dev))
    assert abs(after) <= max_pos or abs(after) < abs(pos)
