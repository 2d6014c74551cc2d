"""POV's traded volume from IB's tick-by-tick AllLast prints (the real ib-async client, loopback
TWS): counted from the first ask, our own executions taken off; and a POV parent through the
whole engine never above its cap."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.clock import LiveClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import AlgoParams, ChildOrder, OrderType, Side, Ticket
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws  # noqa: F401 - fixtures


async def test_volume_is_the_prints_since_the_first_ask_less_our_own(tws, make_ibkr):
    broker = await make_ibkr()
    tws.print_trade("AAPL", 190.01, 500)  # before we watch: not counted
    assert await broker.traded_volume("AAPL") == 0
    await eventually(lambda: any(s.all_last for s in tws.sessions))
    for size in (100, 250, 37):  # odd lots count, each at its own size
        tws.print_trade("AAPL", 190.01, size)
    await broker.submit(
        ChildOrder("P1-001", "P1", "IBKR", "AAPL", Side.BUY, Decimal(100), OrderType.MARKET)
    )  # our market order prints 100 on the tape too
    await eventually(lambda: len(broker.updates) == 1)  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    assert await broker.traded_volume("AAPL") == Decimal(387)


async def test_pov_on_ib_participates_from_the_tape_never_above_the_cap(tmp_path, tws, make_ibkr):
    tws.take_marketable_limits = True
    broker = await make_ibkr(connect=False)
    s = Settings()
    s = s.model_copy(
        update={
            "algos": s.algos.model_copy(update={"pov_check_s": 0.1}),
            "router": s.router.model_copy(
                update={"twap_num_slices": 3, "twap_interval_seconds": 1.0}
            ),
        }
    )
    eng = build_engine(s, clock=LiveClock(), db_path=tmp_path / "f.db", brokers={"IBKR": broker})
    await eng.start()
    others = 0

    async def others_trade() -> None:
        nonlocal others
        while True:
            tws.print_trade("AAPL", 190.01, 100)
            others += 100
            await asyncio.sleep(0.05)

    flow = asyncio.create_task(others_trade())
    try:
        t = Ticket("AAPL", Side.BUY, Decimal(1000), algo="pov", venue="IBKR",
                   params=AlgoParams(participation_pct=10))  # fmt: skip
        pid = await eng.submit(t)
        rep = await asyncio.wait_for(eng.wait(pid), 15)
    finally:
        flow.cancel()
        await eng.stop()
    share = rep.filled_qty / (rep.filled_qty + others)
    assert 0 < rep.filled_qty < t.quantity
    assert Decimal("0.05") < share <= Decimal("0.10")


async def test_volume_goes_on_after_the_data_connection_is_re_made(tws, make_ibkr):
    from tests.engine.brokers.test_ibkr_reconnect import GatewayRestart

    broker = await make_ibkr(sleep=GatewayRestart(tws))
    assert await broker.traded_volume("AAPL") == 0
    await eventually(lambda: any(s.all_last for s in tws.sessions))
    tws.print_trade("AAPL", 190.01, 200)
    await eventually(lambda: broker.tape._tapes["AAPL"].public == 200)
    await tws.stop_listening()
    tws.print_trade("AAPL", 190.01, 999)  # while nobody listens: not counted (errs low)
    await eventually(lambda: broker.connected, timeout=5)
    assert await broker.traded_volume("AAPL") == 200  # subscribed again on the new connection
    await eventually(lambda: any(s.all_last for s in tws.sessions))
    tws.print_trade("AAPL", 190.01, 50)
    await eventually(lambda: broker.tape._tapes["AAPL"].public == 250)
