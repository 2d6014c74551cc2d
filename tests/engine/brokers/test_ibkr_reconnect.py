"""IBKR disconnects and reconnects: backoff on an injected sleep, and nothing lost while away."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.brokers.base import VenueUnavailable
from engine.models import ChildOrder, OrderStatus, OrderType, Side
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws, updates_of  # noqa: F401 - fixtures


class GatewayRestart:
    """An injected sleep: records each connection's backoff and brings the gateway back on the 3rd wait of both."""

    def __init__(self, tws, come_back_on: int = 3) -> None:
        self.tws = tws
        self.come_back_on = come_back_on
        self.delays: dict[str, list[float]] = {}
        self.back = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        task = asyncio.current_task()
        role = task.get_name().removeprefix("ibkr-reconnect-") if task else "?"
        self.delays.setdefault(role, []).append(seconds)
        if len(self.delays[role]) == self.come_back_on:
            if sum(len(d) >= self.come_back_on for d in self.delays.values()) == 2:
                await self.tws.resume_listening()
                self.back.set()
            await self.back.wait()
        await asyncio.sleep(0)


async def test_reconnects_with_exponential_backoff_and_pushes_fills_made_while_away(tws, make_ibkr):
    restart = GatewayRestart(tws)
    broker = await make_ibkr(sleep=restart)
    states: list[tuple[bool, str]] = []
    broker.on_state(lambda up, detail: states.append((up, detail)))
    order = ChildOrder(
        "R1-001", "R1", "IBKR", "AAPL", Side.BUY, Decimal(100), OrderType.LIMIT, Decimal("189.90")
    )
    await broker.submit(order)

    await tws.stop_listening()  # the gateway goes down: sockets drop, new connections are refused
    await eventually(lambda: not broker.connected)
    assert states[0][0] is False
    assert not (await broker.health()).connected
    try:
        await broker.submit(
            ChildOrder("R1-002", "R1", "IBKR", "AAPL", Side.BUY, Decimal(1), OrderType.MARKET)
        )
        raise AssertionError("submit while disconnected must fail")
    except VenueUnavailable as e:
        assert f":{tws.port}" in e.message
    tws.fill(tws.order_by_ref("R1-001"), 100, 189.90, commission=0.5)  # fills while nobody listens

    await eventually(lambda: broker.connected, timeout=5)

    assert restart.delays == {"broker": [0.5, 1.0, 2.0], "data": [0.5, 1.0, 2.0]}
    await eventually(lambda: len(updates_of(broker)) == 1)
    (upd,) = updates_of(broker)
    assert upd.status is OrderStatus.FILLED and upd.fill is not None
    assert (upd.fill.quantity, upd.fill.price, upd.fill.fee) == (
        Decimal(100),
        Decimal("189.9"),
        Decimal("0.5"),
    )
    assert states[-1][0] is True and "reconnected" in states[-1][1]
    assert (await broker.health()).connected
    assert tws.connected_client_ids() == [
        broker.ids.broker,
        broker.ids.data,
    ]  # the same ids: IB ties orders to them


async def test_a_dropped_session_resumes_open_orders_and_cancels_still_work(tws, make_ibkr):
    broker = await make_ibkr(sleep=lambda s: asyncio.sleep(0))
    order = ChildOrder(
        "R2-001", "R2", "IBKR", "MSFT", Side.SELL, Decimal(10), OrderType.LIMIT, Decimal("421.00")
    )
    await broker.submit(order)
    states: list[bool] = []
    broker.on_state(lambda up, detail: states.append(up))
    await tws.drop_connections()  # TWS restarts its API sessions but keeps listening
    await eventually(lambda: states[:1] == [False] and broker.connected)
    assert [s.client_order_id for s in await broker.open_orders()] == ["R2-001"]
    await broker.cancel(order)
    assert tws.order_by_ref("R2-001").status == "Cancelled"
    assert [u.status for u in updates_of(broker)] == [OrderStatus.CANCELLED]


async def test_close_stops_reconnecting(tws, make_ibkr):
    calls: list[float] = []

    async def record(seconds: float) -> None:
        calls.append(seconds)
        await asyncio.sleep(0)

    broker = await make_ibkr(sleep=record)
    await tws.stop_listening()
    await eventually(lambda: len(calls) >= 4)
    await broker.close()
    seen = len(calls)
    await asyncio.sleep(0.02)
    assert len(calls) == seen and not broker.connected


async def test_tws_losing_its_link_to_ib_stops_orders_until_restored(tws, make_ibkr):
    broker = await make_ibkr()
    states: list[tuple[bool, str]] = []
    broker.on_state(lambda up, detail: states.append((up, detail)))
    assert (await broker.health()).detail == ""  # healthy: nothing to report
    tws.farm_message(1100, "Connectivity between IB and Trader Workstation has been lost.")
    await eventually(lambda: bool(states))
    assert states[-1][0] is False and "1100" in states[-1][1]
    h = await broker.health()
    assert not h.connected and "1100" in h.detail
    try:
        await broker.submit(
            ChildOrder("R4-001", "R4", "IBKR", "AAPL", Side.BUY, Decimal(1), OrderType.MARKET)
        )
        raise AssertionError("orders must be refused while TWS cannot reach IB")
    except VenueUnavailable as e:
        assert "1100" in e.message
    tws.farm_message(
        1102, "Connectivity between IB and Trader Workstation has been restored - data maintained."
    )
    await eventually(lambda: states[-1][0] is True)
    assert (await broker.health()).connected
