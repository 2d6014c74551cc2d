"""POV's traded volume from a ccxt venue's public trades (the real ccxt client, loopback Binance):
counted from the first ask, paged by aggregate trade id, our own executions taken off; and a POV
parent through the whole engine never above its cap."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from engine.brokers.ccxt.broker import CcxtBroker
from engine.brokers.ccxt.tape import PAGE
from engine.clock import LiveClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import AlgoParams, Side, Ticket
from tests.fakes.binance_native import BinanceNativeFake
from tests.fakes.binance_spot import API_KEY, SECRET
from tests.fakes.ccxt_venue import connected, venue_config

ENV = {"BINANCE_KEY": API_KEY, "BINANCE_SECRET": SECRET}


@pytest.fixture
async def fake():
    f = BinanceNativeFake()
    await f.start()
    yield f
    await f.stop()


async def test_volume_counts_prints_after_the_first_ask_only_and_every_page(fake):
    px = fake.last_price("BTCUSDT")
    for _ in range(3):
        fake.print_trade("BTCUSDT", px, "1")  # before we watch: not counted
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        assert await b.traded_volume("BTCUSDT") == 0
        for _ in range(PAGE + 5):  # more than one page of aggTrades
            fake.print_trade("BTCUSDT", px, "0.01")
        assert await b.traded_volume("BTCUSDT") == Decimal("0.01") * (PAGE + 5)
        assert await b.traded_volume("BTCUSDT") == Decimal("0.01") * (PAGE + 5)  # no double count


async def test_our_own_executions_on_the_public_tape_are_not_others_volume(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        assert await b.traded_volume("BTCUSDT") == 0
        fake.print_trade("BTCUSDT", fake.last_price("BTCUSDT"), "0.30")
        from tests.engine.brokers.test_ccxt_native import order

        c = order("P9-001", "0.02", "20000")
        await b.submit(c)
        fake.fill("P9-001", "0.02", "20000")  # on the public tape too
        await b.fills.poll()  # our fill reported: the adapter knows it is ours
        assert await b.traded_volume("BTCUSDT") == Decimal("0.30")


async def test_pov_on_a_ccxt_venue_participates_from_its_trade_feed_never_above_the_cap(
    tmp_path, fake
):
    cfg = venue_config(fake, "binance", symbols=["BTCUSDT"], stream=False)
    broker = CcxtBroker(cfg, environ=ENV, poll_interval_s=0.02, backoff_s=0.01)
    s = Settings()
    s = s.model_copy(
        update={
            "algos": s.algos.model_copy(update={"pov_check_s": 0.1}),
            "router": s.router.model_copy(
                update={"twap_num_slices": 3, "twap_interval_seconds": 1.0}
            ),
        }
    )
    eng = build_engine(s, clock=LiveClock(), db_path=tmp_path / "f.db", brokers={"binance": broker})
    await eng.start()
    px = fake.last_price("BTCUSDT")

    async def others_trade() -> None:
        while True:
            fake.print_trade("BTCUSDT", px, "0.05")
            await asyncio.sleep(0.05)

    flow = asyncio.create_task(others_trade())
    try:
        t = Ticket("BTCUSDT", Side.BUY, Decimal("1"), algo="pov", venue="binance",
                   params=AlgoParams(participation_pct=10))  # fmt: skip
        pid = await eng.submit(t)
        rep = await asyncio.wait_for(eng.wait(pid), 15)
    finally:
        flow.cancel()
        await eng.stop()
    ours = sum(Decimal(t["q"]) for t in fake.tape if t["m"] is False and t["p"] != f"{px:.8f}")
    others = sum(Decimal(t["q"]) for t in fake.tape if t["p"] == f"{px:.8f}")
    assert rep.filled_qty > 0 and rep.filled_qty == ours  # it traded, from the feed
    assert rep.filled_qty < t.quantity  # the volume did not allow it all: the cap holds
    assert rep.filled_qty / (rep.filled_qty + others) <= Decimal("0.10")
    assert rep.filled_qty / (rep.filled_qty + others) > Decimal("0.05")  # and it does take part
