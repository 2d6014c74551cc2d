"""The simulated multi-venue market: one SymbolMarket per symbol, driven by the engine's clock.

On a SimClock the market registers a clock listener and catches up to every new time before
sleepers wake (as fast as the CPU allows). On a LiveClock `run_live()` (started by the first
venue's `connect()`) steps it in wall time * speed. Either way every read catches up lazily to
`clock.now()` first, and symbols nobody looks at cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from typing import TYPE_CHECKING

from engine.clock import Clock
from engine.sim.params import MarketParams
from engine.sim.synthetic import SymbolMarket
from engine.sim.venue_book import Resting

if TYPE_CHECKING:
    from engine.sim.venues import SimVenue


class SimMarket:
    """Symbols shared by every simulated venue; venues register themselves to receive fills."""

    def __init__(
        self,
        params: MarketParams,
        symbols: list[str],
        n_venues: int,
        clock: Clock,
        *,
        seed: int = 7,
        step_s: float = 0.5,
    ) -> None:
        self.params = params
        self.clock = clock
        self.step_s = step_s
        self.n_venues = n_venues
        t0 = clock.now()
        self.symbols = {
            s: SymbolMarket(
                params.symbol(s),
                params,
                n_venues,
                seed=seed * 1_000_033 + zlib.crc32(s.encode()),
                t0=t0,
                step_s=step_s,
            )
            for s in symbols
        }
        for m in self.symbols.values():
            m.sink = self._sink
        self.venues: list[SimVenue] = []
        self._listening = False
        self._live: asyncio.Task[None] | None = None
        self._connected = 0

    def sync(self, symbol: str) -> SymbolMarket:
        """The symbol's market brought up to the clock's now."""
        m = self.symbols[symbol]
        m.advance(self.clock.now())
        return m

    def on_time(self, t: float) -> None:
        """Clock listener: only symbols with resting orders must move now; the rest catch up lazily."""
        for m in self.symbols.values():
            if m.has_resting():
                m.advance(t)

    def _sink(self, venue_index: int, order: Resting, lots: int, price_ticks: int) -> None:
        self.venues[venue_index].on_resting_fill(order, lots, price_ticks)

    async def start(self) -> None:
        """Called by each venue's connect(): hook the clock once."""
        self._connected += 1
        add_listener = getattr(self.clock, "add_listener", None)
        if self.clock.simulated and add_listener is not None:
            if not self._listening:
                add_listener(self.on_time)
                self._listening = True
        elif self._live is None or self._live.done():
            self._live = asyncio.get_running_loop().create_task(self.run_live())

    async def stop(self) -> None:
        """Called by each venue's close(): the live loop stops with the last venue."""
        self._connected = max(0, self._connected - 1)
        if self._connected == 0 and self._live is not None:
            self._live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live
            self._live = None

    async def run_live(self) -> None:
        """Step the market in wall time * speed so resting orders fill while nobody asks."""
        while True:
            await self.clock.sleep(self.step_s)
            self.on_time(self.clock.now())
