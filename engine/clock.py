"""Injected time: a simulated clock that runs as fast as the CPU allows, and a live wall clock."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class Clock(Protocol):
    """What the engine needs of time: read it, and wait on it."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    @property
    def simulated(self) -> bool: ...

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Hold time still while awaiting I/O that belongs to the current instant (journal writes)."""
        ...


class LiveClock:
    """Wall time, optionally sped up by `speed` (the console's simulated venues)."""

    simulated = False

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed: must be > 0, got {speed}")
        self.speed = speed
        self._t0 = time.time() if start is None else start  # a replay runs in its recording's time
        self._m0 = time.monotonic()

    def now(self) -> float:
        return self._t0 + (time.monotonic() - self._m0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    @contextmanager
    def busy(self) -> Iterator[None]:
        yield  # wall time does not wait for anyone


class SimClock:
    """Virtual time: a sleeper wakes as soon as every runnable task has had its turn.

    Sleepers due at the same instant wake together, as they would on a wall clock, so what they
    decide at that instant can be journaled in one transaction (engine/execution/journal.py).

    Listeners (the simulated market) are told of every advance before sleepers wake, so the
    market has moved to the new time by the time an algorithm looks at it.
    """

    simulated = True

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[float], None]] = []
        self._holds = 0
        self._released: asyncio.Event | None = None

    def now(self) -> float:
        return self._now

    def add_listener(self, fn: Callable[[float], None]) -> None:
        self._listeners.append(fn)

    def advance_to(self, t: float) -> None:
        """Move time forward (never back) and tell listeners."""
        if t > self._now:
            self._now = t
            for fn in self._listeners:
                fn(t)

    @contextmanager
    def busy(self) -> Iterator[None]:
        """While held, time does not advance: I/O in a thread (SQLite) would look like idleness."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if self._holds == 0 and self._released is not None:
                self._released.set()

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._heap, (self._now + max(0.0, seconds), next(self._seq), fut))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        await fut

    async def _settle(self) -> None:
        """Let every ready callback run, including those they schedule in turn."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        for _ in range(10_000):
            await asyncio.sleep(0)
            if ready is not None and len(ready) == 0:
                # one more round for tasks woken by I/O threads finishing right now
                await asyncio.sleep(0)
                if len(ready) == 0:
                    return
        return

    async def _drive(self) -> None:
        while self._heap:
            await self._settle()
            while self._holds:
                self._released = asyncio.Event()
                await self._released.wait()
                await self._settle()
            if not self._heap:
                break
            t, _, fut = heapq.heappop(self._heap)
            due = [fut]
            while self._heap and self._heap[0][0] == t:  # one instant: its sleepers wake together
                due.append(heapq.heappop(self._heap)[2])
            due = [f for f in due if not f.cancelled()]
            if not due:
                continue
            self.advance_to(t)
            for f in due:  # in the order they went to sleep
                f.set_result(None)
