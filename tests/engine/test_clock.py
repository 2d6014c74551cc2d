"""Simulated time: sleepers wake in time order, instantly, and listeners see every advance."""

import asyncio
import time

from engine.clock import SimClock


async def test_sim_clock_wakes_sleepers_in_time_order_without_real_waiting():
    clock = SimClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, s: float) -> None:
        await clock.sleep(s)
        woke.append((name, clock.now()))

    t0 = time.perf_counter()
    await asyncio.gather(sleeper("late", 3600), sleeper("early", 5), sleeper("mid", 60))
    assert woke == [("early", 1005.0), ("mid", 1060.0), ("late", 4600.0)]
    assert time.perf_counter() - t0 < 1.0


async def test_sim_clock_tells_listeners_before_waking_sleepers():
    clock = SimClock(start=0.0)
    seen: list[float] = []
    clock.add_listener(seen.append)
    await clock.sleep(2.5)
    assert seen == [2.5]
    assert clock.now() == 2.5
