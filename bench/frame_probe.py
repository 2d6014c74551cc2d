"""Where a console benchmark sees a frame: the moment Textual hands it to the terminal driver.

A headless run_test never renders a frame to text (App._display skips headless drivers), so a
latency taken there leaves out the compositor's render of every changed line. `FrameDriver` is
the headless driver that says it is not headless: Textual renders each frame to escape codes and
writes it, and `flush()` (called once per frame written) stamps the time. `QuoteLedger` pairs
each quote's arrival stamp with the first frame written after the market pane painted it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from textual.drivers.headless_driver import HeadlessDriver

from console.ingest import ConsoleState
from engine.events import Event, QuoteUpdated


class FrameDriver(HeadlessDriver):
    """A terminal that keeps nothing but renders everything: frames counted, bytes summed."""

    frames = 0
    written = 0
    on_frame: Callable[[float], None] | None = None

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written += len(data)

    def flush(self) -> None:
        self.frames += 1
        if self.on_frame is not None:
            self.on_frame(time.perf_counter())


class CountingState(ConsoleState):
    """The console's state, counting the quotes folded into it (the ones a paint can show)."""

    applied = 0

    def apply(self, ev: Event) -> None:
        if isinstance(ev, QuoteUpdated):
            self.applied += 1
        ConsoleState.apply(self, ev)


class QuoteLedger:
    """Arrival stamps in order; a market paint covers those applied, the next frame shows them."""

    def __init__(self, state: CountingState) -> None:
        self.state = state
        self.arrived: deque[float] = deque()  # stamps of quotes not yet painted, oldest first
        self.taken = 0  # quotes handed to a paint so far
        self.painted: list[float] = []  # painted, waiting for the frame that writes them
        self.latencies: list[float] = []
        self.paints = 0
        self.waiters: list[asyncio.Future[float]] = []

    def arrive(self) -> None:
        self.arrived.append(time.perf_counter())

    def on_paint(self, dirty: set[str], market: str) -> None:
        if market not in dirty:
            return
        self.paints += 1
        for _ in range(min(self.state.applied - self.taken, len(self.arrived))):
            self.painted.append(self.arrived.popleft())
        self.taken = self.state.applied

    def start(self) -> None:
        """From now on every quote applied is one of ours (the engine's own came before)."""
        self.taken = self.state.applied
        self.arrived.clear()

    def on_frame(self, now: float) -> None:
        self.latencies.extend((now - t) * 1000 for t in self.painted)
        self.painted.clear()
        waiters, self.waiters = self.waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(now)

    def next_frame(self) -> asyncio.Future[float]:
        """The time the next frame is written (after whatever the caller just changed)."""
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        return fut


def attach(app: Any, market: str) -> QuoteLedger:
    """Render `app` through a FrameDriver reporting to a new ledger (run it with headless=False)."""
    state = CountingState(steps=app.state.steps)
    app.state = state
    ledger = QuoteLedger(state)
    app.driver_class = type(
        "LedgerDriver", (FrameDriver,), {"on_frame": staticmethod(ledger.on_frame)}
    )
    app.on_paint = lambda dirty: ledger.on_paint(dirty, market)
    return ledger


class GcPauses:
    """CPU of each garbage collection between start() and stop(), in ms."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    def _watch(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.pauses.append((time.process_time() - self._began) * 1000)

    def start(self) -> None:
        gc.callbacks.append(self._watch)

    def stop(self) -> list[float]:
        gc.callbacks.remove(self._watch)
        return self.pauses
