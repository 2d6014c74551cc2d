"""The simulated venues as brokers: shared fair price, matching, latency, fees, cash, determinism."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from engine.brokers.base import InsufficientFunds, OrderNotFound, OrderUpdate, UnknownSymbol
from engine.clock import LiveClock, SimClock
from engine.config import Settings
from engine.models import ChildOrder, OrderStatus, OrderType, Side, Ticket, TimeInForce
from engine.sim.venues import SimVenue, build_simulated_venues


def child(
    cid: str,
    side: Side,
    qty: str,
    *,
    price: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    post_only: bool = False,
    symbol: str = "AAPL",
    venue: str = "SIM-A",
) -> ChildOrder:
    otype = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(
        cid,
        "P1",
        venue,
        symbol,
        side,
        Decimal(qty),
        otype,
        Decimal(price) if price else None,
        tif,
        post_only,
    )


async def venues(clock, **sim) -> dict[str, SimVenue]:
    v = build_simulated_venues(Settings.model_validate({"sim": sim}), clock)
    for b in v.values():
        await b.connect()
    return v  # type: ignore[return-value]


async def test_venues_share_one_fair_price_but_differ_in_spread_fees_and_latency():
    clock = SimClock()
    v = await venues(clock)
    assert list(v) == ["SIM-A", "SIM-B", "SIM-C", "SIM-D"]
    await clock.sleep(600)
    for sym in ("AAPL", "MSFT", "GOOG", "BTCUSDT"):
        quotes = [await b.top_of_book(sym) for b in v.values()]
        mids = [q.mid for q in quotes]
        widest = max(q.ask - q.bid for q in quotes)
        assert max(mids) - min(mids) <= widest, sym  # one fair price inside every venue's spread
        assert all(q.bid < q.ask and q.bid_size > 0 and q.ask_size > 0 for q in quotes)
    assert len({b.vp.taker_fee_bps for b in v.values()}) == 4
    assert len({b.vp.latency_ms for b in v.values()}) == 4
    spreads = [
        sum(b.market.symbols["AAPL"].books[b.index].spread_median for _ in [0]) for b in v.values()
    ]
    assert spreads == sorted(spreads) and spreads[0] < spreads[-1]
    assert await v["SIM-A"].symbols() == ["AAPL", "BTCUSDT", "GOOG", "MSFT"]
    btc = await v["SIM-B"].instrument("BTCUSDT")
    assert btc.tick == Decimal("0.01") and btc.step == Decimal("0.00001")
    assert 50_000 < (await v["SIM-A"].top_of_book("BTCUSDT")).mid < 75_000
    assert await v["SIM-A"].adv("AAPL") > 0
    with pytest.raises(UnknownSymbol):
        await v["SIM-A"].top_of_book("NOPE")


async def test_market_order_walks_the_book_at_prices_it_offered_and_consumes_them():
    clock = SimClock()
    v = await venues(clock)
    a = v["SIM-A"]
    updates: list[OrderUpdate] = []
    a.on_update(updates.append)
    _, asks = await a.book("AAPL", 50)
    total = sum(q for _, q in asks[:3])
    t0 = clock.now()
    ack = await a.submit(child("c1", Side.BUY, str(total)))
    assert ack.status is OrderStatus.FILLED
    fills = [u.fill for u in updates if u.fill]
    assert sum(f.quantity for f in fills) == total
    offered = dict(asks)
    for f in fills:
        assert f.price in offered and f.quantity <= offered[f.price]
        assert f.liquidity == "taker" and f.fee > 0 and f.ts > t0  # arrived after the entry latency
    assert len({f.fill_id for f in fills}) == len(fills)
    q = await a.top_of_book("AAPL")
    assert q.ask > asks[0][0]  # what we took is gone for now
    await clock.sleep(120)  # ... and refills over time (the fair price may have moved meanwhile)
    await a.top_of_book("AAPL")
    assert not a.market.symbols["AAPL"].books[0].consumed[1]


async def test_ioc_remainder_is_cancelled_and_post_only_that_would_cross_is_rejected():
    clock = SimClock()
    v = await venues(clock)
    a = v["SIM-A"]
    updates: list[OrderUpdate] = []
    a.on_update(updates.append)
    q = await a.top_of_book("AAPL")
    ack = await a.submit(
        child("ioc", Side.SELL, str(q.bid_size * 1000), price=str(q.bid), tif=TimeInForce.IOC)
    )
    assert ack.status is OrderStatus.CANCELLED
    state = await a.order_status(child("ioc", Side.SELL, "1"))
    assert 0 < state.filled_qty < q.bid_size * 1000
    assert all(f.price >= q.bid for f in state.fills)
    assert updates[-1].status is OrderStatus.CANCELLED and "IOC" in updates[-1].reason
    q = await a.top_of_book("AAPL")
    ack = await a.submit(child("po", Side.SELL, "10", price=str(q.bid), post_only=True))
    assert ack.status is OrderStatus.REJECTED and "post-only" in ack.reason


async def test_passive_orders_join_behind_the_displayed_size_and_fill_as_makers():
    clock = SimClock()
    v = await venues(clock)
    a = v["SIM-A"]
    q = await a.top_of_book("AAPL")
    await a.submit(child("b", Side.BUY, "100", price=str(q.bid)))
    await a.submit(child("s", Side.SELL, "100", price=str(q.ask)))
    book = a.market.symbols["AAPL"].books[0]
    assert [r.ahead for r in book.resting] == [
        float(q.bid_size),
        float(q.ask_size),
    ]  # behind the queue
    assert {s.client_order_id for s in await a.open_orders()} == {"b", "s"}
    done: dict[str, object] = {}
    for _ in range(3600):
        await clock.sleep(1)
        for cid, side in (("b", Side.BUY), ("s", Side.SELL)):
            state = await a.order_status(child(cid, side, "1"))
            if state.status is OrderStatus.FILLED:
                done[cid] = state
        if done:
            break
    assert done, "neither side of the touch filled within an hour"
    for cid, state in done.items():
        price = q.bid if cid == "b" else q.ask
        assert all(f.liquidity == "maker" and f.price == price for f in state.fills)  # type: ignore[attr-defined]
        assert sum(f.quantity for f in state.fills) == Decimal(100)  # type: ignore[attr-defined]


async def test_cancel_removes_a_resting_order_and_unknown_orders_are_reported():
    clock = SimClock()
    v = await venues(clock)
    a = v["SIM-B"]
    updates: list[OrderUpdate] = []
    a.on_update(updates.append)
    q = await a.top_of_book("MSFT")
    o = child("c", Side.SELL, "5", price=str(q.ask + Decimal("1.00")), symbol="MSFT", venue="SIM-B")
    await a.submit(o)
    await a.cancel(o)
    assert (await a.order_status(o)).status is OrderStatus.CANCELLED
    assert updates[-1].status is OrderStatus.CANCELLED
    assert await a.open_orders() == []
    assert not a.market.symbols["MSFT"].books[1].resting
    with pytest.raises(OrderNotFound):
        await a.cancel(child("nope", Side.BUY, "1"))


async def test_buys_beyond_cash_are_refused_and_the_portfolio_adds_up():
    clock = SimClock()
    v = await venues(clock, starting_cash="10000")
    a = v["SIM-A"]
    with pytest.raises(InsufficientFunds):
        await a.submit(child("big", Side.BUY, "1000"))
    await a.submit(child("ok", Side.BUY, "10"))
    pf = await a.portfolio()
    state = await a.order_status(child("ok", Side.BUY, "1"))
    cost = sum(f.quantity * f.price + f.fee for f in state.fills)
    assert pf.cash == Decimal(10000) - cost
    assert pf.positions["AAPL"].quantity == 10
    assert (
        abs(pf.equity - Decimal(10000)) < 20
    )  # marked at the fair price: only spread and fees lost


async def test_same_seed_same_market_different_seed_different_market():
    async def path(seed: int) -> list[Decimal]:
        clock = SimClock(start=0.0)
        v = await venues(clock, seed=seed)
        out = []
        for _ in range(20):
            await clock.sleep(30)
            out.append((await v["SIM-C"].top_of_book("GOOG")).mid)
        return out

    assert await path(1) == await path(1)
    assert await path(1) != await path(2)


async def test_an_hour_long_twap_on_four_venues_runs_in_well_under_two_seconds(tmp_path):
    from engine.factory import build_engine

    clock = SimClock()
    s = Settings.model_validate(
        {
            "router": {"twap_num_slices": 60, "twap_interval_seconds": 60},
            "sim": {"starting_cash": "100000000"},
            "risk": {"max_child_notional": "1e9"},
        }
    )
    eng = build_engine(s, clock=clock, db_path=tmp_path / "fills.db")
    await eng.start()
    try:
        t0 = time.perf_counter()
        pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(200_000), algo="twap"))
        rep = await eng.wait(pid)
        wall = time.perf_counter() - t0
    finally:
        await eng.stop()
    assert rep.filled_qty == Decimal(200_000)
    assert clock.now() - 1_700_000_000 > 3000
    assert wall < 2.0


async def test_live_clock_market_fills_resting_orders_without_being_asked():
    clock = LiveClock(speed=20_000)  # 0.5 s steps take 25 us of wall time
    v = await venues(clock)
    a = v["SIM-A"]
    updates: list[OrderUpdate] = []
    a.on_update(updates.append)
    q = await a.top_of_book("AAPL")
    await a.submit(
        child("live", Side.BUY, "1", price=str(q.ask + Decimal("0.50")))
    )  # marketable: fills at once
    await a.submit(child("rest", Side.SELL, "1", price=str(q.bid + Decimal("0.02"))))
    for _ in range(200):
        if any(u.client_order_id == "rest" and u.fill for u in updates):
            break
        await asyncio.sleep(0.01)
    for b in v.values():
        await b.close()
    assert any(u.client_order_id == "live" and u.fill for u in updates)
    assert any(u.client_order_id == "rest" and u.fill for u in updates)
