"""IBKR orders, fills and account, with the real ib-async client against a loopback TWS."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.base import OrderNotFound, OrderRejected
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws, updates_of  # noqa: F401 - fixtures


def child(
    cid: str,
    qty: str = "100",
    *,
    side: Side = Side.BUY,
    limit: str | None = None,
    symbol: str = "AAPL",
    tif: TimeInForce = TimeInForce.GTC,
) -> ChildOrder:
    kind = OrderType.LIMIT if limit is not None else OrderType.MARKET
    return ChildOrder(
        cid,
        cid.split("-")[0],
        "IBKR",
        symbol,
        side,
        Decimal(qty),
        kind,
        Decimal(limit) if limit else None,
        tif,
    )


async def test_limit_order_rests_at_ib_with_client_order_id_as_order_ref_then_cancels(
    tws, make_ibkr
):
    broker = await make_ibkr()
    order = child("P1-001", limit="189.50")
    ack = await broker.submit(order)
    assert ack.status is OrderStatus.SUBMITTED
    at_ib = tws.order_by_ref("P1-001")
    assert (at_ib.action, at_ib.quantity, at_ib.order_type, at_ib.limit_price, at_ib.tif) == (
        "BUY",
        100,
        "LMT",
        189.5,
        "GTC",
    )
    assert ack.venue_order_id == str(at_ib.order_id)
    assert [s.client_order_id for s in await broker.open_orders()] == ["P1-001"]

    await broker.cancel(order)

    assert at_ib.status == "Cancelled"
    state = await broker.order_status(order)
    assert state.status is OrderStatus.CANCELLED and state.filled_qty == 0
    assert [(u.status, u.fill) for u in updates_of(broker)] == [(OrderStatus.CANCELLED, None)]
    assert await broker.open_orders() == []


async def test_market_order_fill_carries_exec_id_price_and_commission(tws, make_ibkr):
    broker = await make_ibkr()
    order = child("P2-001", "100")
    await broker.submit(order)
    await eventually(lambda: len(updates_of(broker)) == 1)
    (upd,) = updates_of(broker)
    ex = tws.executions[-1]
    assert upd.status is OrderStatus.FILLED
    assert upd.fill is not None
    assert (upd.fill.fill_id, upd.fill.price, upd.fill.quantity, upd.fill.fee) == (
        ex.exec_id,
        Decimal("190.02"),
        Decimal(100),
        Decimal(1),
    )
    assert (upd.fill.side, upd.fill.liquidity, upd.fill.symbol) == (Side.BUY, "taker", "AAPL")
    assert tws.order_by_ref("P2-001").order_type == "MKT"


async def test_partial_fills_are_pushed_once_each_with_their_own_commission(tws, make_ibkr):
    broker = await make_ibkr()
    order = child("P3-001", "100", side=Side.SELL, limit="190.00")
    await broker.submit(order)
    at_ib = tws.order_by_ref("P3-001")
    tws.fill(at_ib, 30, 190.00, commission=0.35, liquidity=1)
    await eventually(lambda: len(updates_of(broker)) == 1)
    tws.fill(at_ib, 70, 190.05, commission=0.65, liquidity=1)
    await eventually(lambda: len(updates_of(broker)) == 2)

    ups = updates_of(broker)
    assert [u.status for u in ups] == [OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]
    assert [
        (u.fill.quantity, u.fill.price, u.fill.fee, u.fill.liquidity) for u in ups if u.fill
    ] == [
        (Decimal(30), Decimal("190"), Decimal("0.35"), "maker"),
        (Decimal(70), Decimal("190.05"), Decimal("0.65"), "maker"),
    ]
    state = await broker.order_status(order)
    assert state.status is OrderStatus.FILLED and state.filled_qty == 100 and len(state.fills) == 2


async def test_reject_comes_back_as_rejected_with_ibs_reason(tws, make_ibkr):
    broker = await make_ibkr()
    tws.reject_next("Order rejected - reason: insufficient buying power")
    ack = await broker.submit(child("P4-001", limit="190.00"))
    assert ack.status is OrderStatus.REJECTED
    assert ack.reason == "IB 201: Order rejected - reason: insufficient buying power"
    assert [(u.status, u.reason) for u in updates_of(broker)] == [
        (OrderStatus.REJECTED, ack.reason)
    ]


async def test_venue_cancel_after_a_partial_fill_is_a_cancel_not_a_reject(tws, make_ibkr):
    broker = await make_ibkr()
    order = child("P5-001", "100", limit="190.00")
    await broker.submit(order)
    at_ib = tws.order_by_ref("P5-001")
    tws.fill(at_ib, 40, 190.00)
    tws.cancel_by_venue(at_ib)
    await eventually(lambda: len(updates_of(broker)) == 2)
    assert [u.status for u in updates_of(broker)] == [
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.CANCELLED,
    ]
    state = await broker.order_status(order)
    assert state.status is OrderStatus.CANCELLED and state.filled_qty == 40


async def test_resubmitting_the_same_client_order_id_places_nothing_new(tws, make_ibkr):
    broker = await make_ibkr()
    order = child("P6-001", limit="189.00")
    first = await broker.submit(order)
    again = await broker.submit(order)
    assert again.venue_order_id == first.venue_order_id
    assert [o.order_ref for o in tws.orders.values()] == ["P6-001"]


async def test_an_order_from_an_earlier_session_is_adopted_by_its_order_ref(tws, make_ibkr):
    old = await make_ibkr(client_id=60)
    order = child("P7-001", limit="189.00")
    await old.submit(order)
    await old.close()
    restarted = await make_ibkr(
        client_id=60
    )  # same ids after a restart: IB ties orders to the client id
    again = await restarted.submit(order)
    assert again.status is OrderStatus.SUBMITTED
    assert len(tws.orders) == 1
    await restarted.cancel(order)
    assert tws.order_by_ref("P7-001").status == "Cancelled"


async def test_ioc_limit_and_fractional_quantities(tws, make_ibkr):
    broker = await make_ibkr()
    await broker.submit(child("P8-001", limit="190.02", tif=TimeInForce.IOC))
    assert tws.order_by_ref("P8-001").tif == "IOC"
    with pytest.raises(OrderRejected, match="whole shares"):
        await broker.submit(child("P8-002", "10.5", limit="190.00"))


async def test_cancel_or_status_of_an_unknown_order_raises_order_not_found(make_ibkr):
    broker = await make_ibkr()
    with pytest.raises(OrderNotFound):
        await broker.cancel(child("NOPE-001", limit="1.00"))
    with pytest.raises(OrderNotFound):
        await broker.order_status(child("NOPE-001", limit="1.00"))


async def test_positions_and_portfolio_follow_fills(tws, make_ibkr):
    broker = await make_ibkr()
    await broker.submit(child("P9-001", "50", symbol="MSFT"))
    await eventually(lambda: bool(updates_of(broker)))
    await eventually(lambda: "MSFT" in tws.positions)
    positions = await broker.positions()
    assert positions["MSFT"].quantity == 50 and positions["MSFT"].avg_price == Decimal("420.04")
    snap = await broker.portfolio()
    assert snap.cash == Decimal("100000") - Decimal("50") * Decimal("420.04") - 1
    assert snap.equity == Decimal(str(tws._net_liq()))
    assert snap.positions == positions


async def test_post_only_limit_that_would_cross_the_last_quote_is_refused_before_ib_sees_it(
    tws, make_ibkr
):
    broker = await make_ibkr()
    await broker.top_of_book("AAPL")  # bid 190.00, ask 190.02
    crossing = child("P10-001", limit="190.02")
    crossing.post_only = True
    ack = await broker.submit(crossing)
    assert ack.status is OrderStatus.REJECTED and "would cross the ask 190.02" in ack.reason
    resting = child("P10-002", limit="190.01")
    resting.post_only = True
    assert (await broker.submit(resting)).status is OrderStatus.SUBMITTED
    assert [o.order_ref for o in tws.orders.values()] == ["P10-002"]


async def test_cancel_all_is_one_global_cancel_and_waits_until_ib_confirms_each(tws, make_ibkr):
    broker = await make_ibkr(global_cancel=True)  # the trader opted in
    other = await make_ibkr()  # another program on the same account
    await other.submit(child("X1-001", limit="189.40"))
    orders = [child(f"P9-00{i}", limit="189.50") for i in range(1, 4)]
    for o in orders:
        await broker.submit(o)
    done = await broker.cancel_all()
    assert sorted(done or []) == ["P9-001", "P9-002", "P9-003"]
    sent = [int(f[0]) for s in tws.sessions for f in s.received]
    assert sent.count(58) == 1 and 4 not in sent  # reqGlobalCancel, no cancelOrder one by one
    assert all(tws.order_by_ref(o.client_order_id).status == "Cancelled" for o in orders)
    assert tws.order_by_ref("X1-001").status == "Cancelled"  # what opting in means
    assert await broker.open_orders() == []
    assert [(u.client_order_id, u.status) for u in updates_of(broker)] == [
        (o.client_order_id, OrderStatus.CANCELLED) for o in orders
    ]


async def test_without_the_opt_in_the_kill_cancels_only_our_orders_each_by_id(tws, make_ibkr):
    from engine.risk.killswitch import cancel_everywhere

    broker = await make_ibkr()  # broker.ibkr_global_cancel: false, the default
    assert not broker.capabilities.native_cancel_all
    other = await make_ibkr()  # another program on the same account
    await other.submit(child("X1-001", limit="189.40"))
    orders = [child(f"P9-00{i}", limit="189.50") for i in range(1, 4)]
    for o in orders:
        await broker.submit(o)
    assert await broker.cancel_all() is None
    cancelled, failed = await cancel_everywhere({"IBKR": broker}, orders)
    assert failed == [] and sorted(c.client_order_id for c in cancelled) == [
        "P9-001", "P9-002", "P9-003"
    ]  # fmt: skip
    sent = [int(f[0]) for s in tws.sessions for f in s.received]
    assert 58 not in sent and sent.count(4) == 3  # no reqGlobalCancel: three cancelOrder
    assert all(tws.order_by_ref(o.client_order_id).status == "Cancelled" for o in orders)
    assert tws.order_by_ref("X1-001").status != "Cancelled"  # placed outside Tranche: left open
