"""Protective exits as a Binance OCO order list, through the whole engine with the real ccxt client
against a loopback Binance: one leg's fill expires the other at the venue, also while the engine
is down; and an iceberg ticket rests as one native iceberg order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from engine.brokers.ccxt.broker import CcxtBroker
from engine.clock import LiveClock
from engine.config import Settings
from engine.execution.exit_pair import ExitStatus
from engine.factory import build_engine
from engine.models import AlgoParams, OrderStatus, Side, Ticket
from tests.fakes.binance_native import BinanceNativeFake
from tests.fakes.binance_spot import API_KEY, SECRET
from tests.fakes.ccxt_venue import venue_config
from tests.fakes.tws_harness import eventually

ENV = {"BINANCE_KEY": API_KEY, "BINANCE_SECRET": SECRET}


@pytest.fixture
async def fake():
    f = BinanceNativeFake()
    await f.start()
    yield f
    await f.stop()


async def _engine(tmp_path, fake):
    cfg = venue_config(fake, "binance", symbols=["BTCUSDT"], stream=False)
    broker = CcxtBroker(cfg, environ=ENV, poll_interval_s=0.05, backoff_s=0.01)
    eng = build_engine(
        Settings(), clock=LiveClock(), db_path=tmp_path / "f.db", brokers={"binance": broker}
    )
    await eng.start()
    return eng


async def _long(eng) -> str:
    t = Ticket("BTCUSDT", Side.BUY, Decimal("0.01"), algo="market", venue="binance")
    pid = await eng.submit(t)
    assert (await asyncio.wait_for(eng.wait(pid), 10)).filled_qty == Decimal("0.01")
    return pid


async def test_native_oco_take_profit_fill_expires_the_stop_at_binance(tmp_path, fake):
    eng = await _engine(tmp_path, fake)
    try:
        pid = await _long(eng)
        pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
        assert pair.path == "native" and len(fake.lists) == 1
        stop_raw = fake.find({"origClientOrderId": pair.legs[0]}).raw
        take_raw = fake.find({"origClientOrderId": pair.legs[1]}).raw
        assert (stop_raw["type"], Decimal(stop_raw["stopPrice"])) == (
            "STOP_LOSS_LIMIT", pair.stop_price,
        )  # fmt: skip
        assert (take_raw["type"], Decimal(take_raw["price"])) == ("LIMIT_MAKER", pair.take_profit)
        fake.print_trade("BTCUSDT", pair.take_profit)
        await eventually(lambda: pair.status is ExitStatus.TOOK_PROFIT, 5)
        await eventually(lambda: eng.parents[pair.exit_parent].status is OrderStatus.FILLED, 5)
        assert (stop_raw["status"], take_raw["status"]) == ("EXPIRED", "FILLED")
        assert eng.children[pair.legs[0]].status is OrderStatus.CANCELLED
        assert eng.positions["BTCUSDT"] == 0
    finally:
        await eng.stop()


async def test_native_stop_fills_while_down_and_the_restart_books_it_once(tmp_path, fake):
    eng = await _engine(tmp_path, fake)
    pid = await _long(eng)
    pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
    await eng.stop()  # the legs stay at Binance
    stop_raw = fake.find({"origClientOrderId": pair.legs[0]}).raw
    assert stop_raw["status"] == "NEW"
    fake.print_trade("BTCUSDT", pair.stop_price)
    assert stop_raw["status"] == "FILLED"

    eng2 = await _engine(tmp_path, fake)
    try:
        again = eng2.exits.pairs[pair.exit_id]
        await eventually(lambda: again.status is ExitStatus.STOPPED_OUT, 5)
        await eventually(lambda: eng2.parents[pair.exit_parent].status is OrderStatus.FILLED, 5)
        assert eng2.positions["BTCUSDT"] == 0
        assert eng2.children[pair.legs[1]].status is OrderStatus.CANCELLED
    finally:
        await eng2.stop()


async def test_iceberg_ticket_rests_as_one_native_iceberg_at_binance(tmp_path, fake):
    eng = await _engine(tmp_path, fake)
    try:
        t = Ticket("BTCUSDT", Side.BUY, Decimal("0.05"), algo="iceberg", venue="binance",
                   limit_price=Decimal("20000"), params=AlgoParams(display_qty=Decimal("0.01")))  # fmt: skip
        pid = await eng.submit(t)
        await eventually(lambda: bool(eng.parents[pid].children), 5)
        child = eng.children[eng.parents[pid].children[0]]
        assert child.quantity == Decimal("0.05") and child.meta["iceberg"] == "native"
        await eventually(lambda: child.status is not OrderStatus.PENDING, 5)
        assert child.status is OrderStatus.SUBMITTED, child.reason
        raw = fake.find({"origClientOrderId": child.client_order_id}).raw
        assert (raw["origQty"], raw["icebergQty"]) == ("0.05000000", "0.01")
        for _ in range(5):  # the venue refreshes the display: one child is all the engine sends
            fake.fill(child.client_order_id, "0.01", "20000")
        rep = await asyncio.wait_for(eng.wait(pid), 10)
        assert rep.filled_qty == Decimal("0.05") and len(eng.parents[pid].children) == 1
    finally:
        await eng.stop()


async def test_a_native_iceberg_the_venue_refuses_goes_on_emulated(tmp_path, fake):
    eng = await _engine(tmp_path, fake)
    try:
        t = Ticket("BTCUSDT", Side.BUY, Decimal("0.11"), algo="iceberg", venue="binance",
                   limit_price=Decimal("20000"), params=AlgoParams(display_qty=Decimal("0.01")))  # fmt: skip
        pid = await eng.submit(t)  # 11 pieces: Binance allows 10 (ICEBERG_PARTS)
        await eventually(lambda: len(eng.parents[pid].children) == 2, 5)
        first, second = (eng.children[c] for c in eng.parents[pid].children)
        assert first.status is OrderStatus.REJECTED and "ICEBERG_PARTS" in first.reason
        assert (second.meta["iceberg"], second.quantity) == ("emulated", Decimal("0.01"))
        await eventually(lambda: second.status is OrderStatus.SUBMITTED, 5)
        raw = fake.find({"origClientOrderId": second.client_order_id}).raw
        assert raw["icebergQty"] == "0.00000000"  # we show it ourselves now
        await eng.cancel(pid)
    finally:
        await eng.stop()
