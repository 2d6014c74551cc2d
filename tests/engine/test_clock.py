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


async def test_sim_clock_holds_time_still_while_io_of_this_instant_is_in_flight():
    clock = SimClock(start=0.0)
    done_at: list[float] = []

    async def journal_write() -> None:
        with clock.busy():
            await asyncio.to_thread(time.sleep, 0.05)  # a SQLite commit in its thread
            done_at.append(clock.now())

    async def other_leg() -> None:
        await clock.sleep(60)

    await asyncio.gather(journal_write(), other_leg())
    assert done_at == [0.0]
    assert clock.now() == 60.0
